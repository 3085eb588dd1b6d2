/*
 * linux_initramfs.c - the tests' busybox initramfs as a newc cpio archive
 * written here, and its gzip copy (linux_initramfs.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "linux_initramfs.h"

#define NEWC_MAGIC   "070701"
#define NEWC_ALIGN   4
#define MAX_BUSYBOX  (64u << 20)     /* busybox-static is ~2 MiB        */

static const char init_script[] =
    "#!/bin/sh\n"
    "export PATH=/bin\n"
    "mount -t proc proc /proc\n"
    "mount -t sysfs sysfs /sys\n"
    "mount -t devtmpfs devtmpfs /dev\n"
    "echo " LINUX_INIT_MARKER "\n"
    "export PS1='" LINUX_PROMPT "'\n"
    /* A shutdown or reboot request from the host reaches the kernel
     * (Xen: xenstore's control/shutdown), which runs /sbin/poweroff or
     * /sbin/reboot; busybox's signals init, as for any distribution's. */
    "trap 'echo " LINUX_POWEROFF_MARKER "; poweroff -f' USR2\n"
    "trap 'echo " LINUX_REBOOT_MARKER "; reboot -f' TERM\n"
    "while :; do setsid cttyhack sh & wait $!; done\n";

/* The applets the tests and bench-linux run, each a link to busybox. */
static const char *const applets[] = {
    "sh", "ash", "mount", "umount", "echo", "cat", "date", "sleep", "usleep", "poweroff",
    "reboot", "halt", "true", "false", "uname", "awk", "seq", "setsid", "cttyhack", "cut",
    "ls", "dmesg", "sync", "test", "[", "mkdir", "expr", "env", "printf", "uptime", "ps",
    "kill",
};

static const char *const dirs[] = { "bin", "dev", "proc", "sbin", "sys" };

/* Where the kernel looks for its poweroff and reboot helpers. */
static const char *const sbin_links[] = { "poweroff", "reboot" };

static const struct {
    const char *name;
    unsigned mode, major, minor;
} nodes[] = {
    { "dev/console", 0600, 5, 1 }, { "dev/hvc0", 0600, 229, 0 }, { "dev/ttyS0", 0600, 4, 64 },
    { "dev/null", 0666, 1, 3 },
};

struct writer {
    FILE *f;
    uint32_t ino;               /* the last inode number given          */
    uint64_t off;
    bool failed;
};

static void put(struct writer *w, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->f) != n)
        w->failed = true;
    w->off += n;
}

static void pad(struct writer *w)
{
    static const char zero[NEWC_ALIGN];

    put(w, zero, (size_t)(-w->off & (NEWC_ALIGN - 1)));
}

/* One entry: header, name, data, each padded to 4 bytes. */
static void entry(struct writer *w, const char *name, uint32_t mode, uint32_t nlink,
                  unsigned rmajor, unsigned rminor, const void *data, size_t size)
{
    char hdr[6 + 13 * 8 + 1];
    size_t namesize = strlen(name) + 1;

    snprintf(hdr, sizeof(hdr),
             "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", NEWC_MAGIC,
             ++w->ino, mode, 0u, 0u, nlink, 0u, (unsigned)size, 0u, 0u,
             rmajor, rminor, (unsigned)namesize, 0u);
    put(w, hdr, sizeof(hdr) - 1);
    put(w, name, namesize);
    pad(w);
    put(w, data, size);
    pad(w);
}

/* The whole file at path (malloc'd), or NULL. */
static char *slurp(const char *path, size_t *size, char *why, size_t why_len)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    char *buf = NULL;

    if (!f) {
        snprintf(why, why_len, "initramfs: cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
        (uint64_t)st.st_size > MAX_BUSYBOX) {
        snprintf(why, why_len, "initramfs: %s is not a file of 1 byte to %u MiB", path,
                 MAX_BUSYBOX >> 20);
        goto out;
    }
    buf = malloc((size_t)st.st_size);
    if (!buf || fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        snprintf(why, why_len, "initramfs: cannot read %s", path);
        free(buf);
        buf = NULL;
        goto out;
    }
    *size = (size_t)st.st_size;
out:
    if (f)
        fclose(f);
    return buf;
}

static int write_cpio(const char *path, const char *bb, size_t bb_size, char *why,
                      size_t why_len)
{
    struct writer w = { .f = fopen(path, "wb") };
    char name[64];

    if (!w.f) {
        snprintf(why, why_len, "initramfs: cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        entry(&w, dirs[i], S_IFDIR | 0755, 2, 0, 0, NULL, 0);
    for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
        entry(&w, nodes[i].name, S_IFCHR | nodes[i].mode, 1, nodes[i].major, nodes[i].minor,
              NULL, 0);
    entry(&w, "bin/busybox", S_IFREG | 0755, 1, 0, 0, bb, bb_size);
    for (size_t i = 0; i < sizeof(applets) / sizeof(applets[0]); i++) {
        snprintf(name, sizeof(name), "bin/%s", applets[i]);
        entry(&w, name, S_IFLNK | 0777, 1, 0, 0, "busybox", strlen("busybox"));
    }
    for (size_t i = 0; i < sizeof(sbin_links) / sizeof(sbin_links[0]); i++) {
        snprintf(name, sizeof(name), "sbin/%s", sbin_links[i]);
        entry(&w, name, S_IFLNK | 0777, 1, 0, 0, "../bin/busybox", strlen("../bin/busybox"));
    }
    entry(&w, "init", S_IFREG | 0755, 1, 0, 0, init_script, strlen(init_script));
    entry(&w, "TRAILER!!!", 0, 1, 0, 0, NULL, 0);
    if (fclose(w.f) != 0 || w.failed) {
        snprintf(why, why_len, "initramfs: cannot write %s", path);
        return -1;
    }
    return 0;
}

/* gzip -n (no name, no time stamp: the same bytes each time) of in. */
static int write_gz(const char *in, const char *out, char *why, size_t why_len)
{
    char cmd[2 * PATH_MAX + 64];
    int st;

    snprintf(cmd, sizeof(cmd), "gzip -n -9 -c '%s' > '%s'", in, out);
    st = system(cmd);
    if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
        snprintf(why, why_len, "initramfs: gzip -n -9 of %s into %s failed", in, out);
        return -1;
    }
    return 0;
}

int linux_initramfs(const char *busybox, const char *dir, struct linux_initrd *out,
                    char *why, size_t why_len)
{
    size_t bb_size = 0;
    char *bb = slurp(busybox, &bb_size, why, why_len);
    int r = -1;

    if (!bb)
        return -1;
    snprintf(out->cpio, sizeof(out->cpio), "%s/initrd.cpio", dir);
    snprintf(out->gz, sizeof(out->gz), "%s/initrd.cpio.gz", dir);
    if (strchr(dir, '\'')) {
        snprintf(why, why_len, "initramfs: directory %s has a quote in its name", dir);
        goto out;
    }
    if (write_cpio(out->cpio, bb, bb_size, why, why_len) == 0 &&
        write_gz(out->cpio, out->gz, why, why_len) == 0)
        r = 0;
out:
    free(bb);
    return r;
}
