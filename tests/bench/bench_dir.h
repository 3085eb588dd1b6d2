/*
 * bench_dir.h - where the benchmarks keep their runtime directory.
 *
 * hvctl's runtime directory is /run/hvctl, a tmpfs, and a create makes
 * and renames a dozen files and directories in it.  On a disk file system
 * each of those costs 30-150 us, depending on what else is writing to it
 * (its journal): in /tmp on ext4 the benchmarks measured that file system
 * as much as hvctl.  On the machine of issue 9 it was 1.3 ms of a 3.3 ms
 * hv_domain_create, and the figure swung by as much again with other
 * processes' writes while pause and list stayed put.  So the benchmarks
 * use a tmpfs, as production does: $HV_BENCH_DIR if set (HV_BENCH_DIR=/tmp
 * gives figures comparable with those measured in /tmp before), else
 * /dev/shm if it is a writable tmpfs, else /tmp.  Each benchmark names the
 * file system it used.
 */
#ifndef HVCTL_BENCH_DIR_H
#define HVCTL_BENCH_DIR_H

#include <linux/magic.h>
#include <stdlib.h>
#include <sys/statfs.h>
#include <unistd.h>

static inline int bench_dir_is_tmpfs(const char *dir)
{
    struct statfs fs;

    return statfs(dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

static inline const char *bench_dir(void)
{
    const char *dir = getenv("HV_BENCH_DIR");

    if (dir && *dir)
        return dir;
    if (bench_dir_is_tmpfs("/dev/shm") && access("/dev/shm", W_OK) == 0)
        return "/dev/shm";
    return "/tmp";
}

/* "tmpfs" or "not a tmpfs", for the benchmark's first line. */
static inline const char *bench_dir_kind(const char *dir)
{
    return bench_dir_is_tmpfs(dir) ? "tmpfs" : "not a tmpfs";
}

#endif
