/*
 * linux_initramfs.h - the initramfs the Linux-guest tests boot, built from
 * busybox-static.
 *
 * The archive (newc cpio, mtimes 0, owner root, inode numbers in order:
 * the same busybox gives the same bytes) holds /bin/busybox and links to it
 * for the applets the tests use, /dev with console (5,1), hvc0 (229,0),
 * ttyS0 (4,64) and null (1,3), /proc, /sys, and /init, which mounts proc,
 * sysfs and devtmpfs, prints LINUX_INIT_MARKER on a line of its own and
 * then keeps an interactive shell (`setsid cttyhack sh`, PATH=/bin) on the
 * console whose prompt is LINUX_PROMPT, starting a new one should it end.
 */
#ifndef HV_TEST_LINUX_INITRAMFS_H
#define HV_TEST_LINUX_INITRAMFS_H

#include <limits.h>
#include <stddef.h>

#define LINUX_INIT_MARKER "HVTEST-INIT-OK"
#define LINUX_PROMPT      "hvtest# "
/* What init prints when the kernel asks it to power off or reboot (a
 * shutdown request from the host: /sbin/poweroff, /sbin/reboot). */
#define LINUX_POWEROFF_MARKER "HVTEST-INIT-POWEROFF"
#define LINUX_REBOOT_MARKER   "HVTEST-INIT-REBOOT"

/* Where linux_initramfs() put the archive. */
struct linux_initrd {
    char cpio[PATH_MAX];         /* dir/initrd.cpio, uncompressed        */
    char gz[PATH_MAX];           /* dir/initrd.cpio.gz (gzip -n)         */
};

/* Build the archive from the busybox binary into dir (which exists), both
 * uncompressed and gzip-compressed.  0, or -1 with one line in why. */
int linux_initramfs(const char *busybox, const char *dir, struct linux_initrd *out,
                    char *why, size_t why_len);

#endif /* HV_TEST_LINUX_INITRAMFS_H */
