/*
 * linux_fetch.h - the Debian kernel and busybox the Linux-guest tests and
 * bench-linux boot, fetched once into a cache by linux_fetch.sh.
 *
 * The cache directory is $HVCTL_KERNEL_CACHE, else /var/cache/hvctl-test;
 * it survives runs, so only the first run on a machine downloads.
 */
#ifndef HV_TEST_LINUX_FETCH_H
#define HV_TEST_LINUX_FETCH_H

#include <limits.h>
#include <stddef.h>

/* linux_fetch() could not fetch the packages here (no network, no apt):
 * the caller skips, saying why. */
#define LINUX_FETCH_SKIP 77

#define LINUX_CACHE_DEFAULT "/var/cache/hvctl-test"

/* What linux_fetch.sh unpacked (its cache's `ready` file). */
struct linux_kit {
    char release[128];           /* the kernel's `uname -r`              */
    char vmlinuz[PATH_MAX];      /* the bzImage                          */
    char system_map[PATH_MAX];
    char busybox[PATH_MAX];      /* busybox-static's /bin/busybox        */
};

/* Run linux_fetch.sh on the cache directory (it does nothing when the
 * cache is ready) and read what it unpacked into kit.  Returns 0; or
 * LINUX_FETCH_SKIP when the packages cannot be fetched here, or -1 on any
 * other failure, with one line in why (the script's own, or ours). */
int linux_fetch(struct linux_kit *kit, char *why, size_t why_len);

/* The cache directory linux_fetch() uses. */
const char *linux_cache_dir(void);

#endif /* HV_TEST_LINUX_FETCH_H */
