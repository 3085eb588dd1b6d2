/*
 * runtime.c - reading the runtime directory hvcore maintains (domctl.h):
 *     domains/<domid>/{pid,name,uuid,control}   names/<name> -> ../domains/<domid>
 * and cleaning up after an hvcore that died without doing it itself; plus
 * the one file libhvctl adds there, domains/<domid>/config.json.
 *
 * An hvcore holds an flock on its domains/<domid> directory for life, and
 * such a directory only appears complete (hvcore builds it under a staging
 * name, domains/.new-<pid>, and renames it): an unlocked directory is a
 * dead hvcore's, whatever it was doing when it died.  The protocol, and
 * who reclaims what a kill leaves, is in docs/architecture.md ("Runtime
 * directory").  Cleanup takes the directory's flock (so one party removes
 * it, once) and <rundir>/.lock, which hvcore takes to reclaim names.
 */
#include <ctype.h>
#include <dirent.h>
#include <poll.h>
#include <sys/syscall.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "domain_int.h"

/* What a names/<name> link holds before its domid. */
#define NAME_LINK_PREFIX "../domains/"

pid_t rt_read_pid(const hv_conn *conn, uint32_t domid)
{
    char path[32], buf[32], *end;
    long v;
    int n;

    snprintf(path, sizeof(path), "%u/pid", domid);
    n = read_small_file(conn_domains_fd(conn), path, buf, sizeof(buf));
    if (n < 0)
        return n;
    v = strtol(buf, &end, 10);
    if (n == 0 || *end || v <= 0 || v > INT32_MAX)
        return -EINVAL;
    return (pid_t)v;
}

int rt_read_name(const hv_conn *conn, uint32_t domid, char buf[64])
{
    char path[32];
    int n;

    snprintf(path, sizeof(path), "%u/name", domid);
    n = read_small_file(conn_domains_fd(conn), path, buf, 64);
    return n < 0 ? n : 0;
}

/* Boot time (CLOCK_REALTIME seconds) from /proc/stat, read once. */
static long long boot_time(void)
{
    static long long btime = -1;
    char line[256];
    FILE *f;

    if (btime >= 0)
        return btime;
    f = fopen("/proc/stat", "re");
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "btime %lld", &btime) == 1)
            break;
    fclose(f);
    if (btime < 0)
        btime = 0;
    return btime;
}

bool rt_pid_alive(pid_t pid, const struct timespec *since)
{
    char path[64], buf[1024], *p;
    unsigned long long start_ticks = 0;
    int fd, n, field;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno != ENOENT && errno != ESRCH;
    n = (int)read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    /* "pid (comm) S ppid ...": comm may hold spaces and parentheses. */
    p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return true;
    p += 2;
    if (*p == 'Z' || *p == 'X' || *p == 'x')
        return false;
    /* Field 22 is starttime; p points at field 3. */
    for (field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    if (p)
        start_ticks = strtoull(p, NULL, 10);
    if (since && start_ticks && boot_time()) {
        long hz = sysconf(_SC_CLK_TCK);
        long long started = boot_time() + (long long)(start_ticks / (unsigned long long)(hz > 0 ? hz : 100));
        /* Started well after the pid file was written: a reused pid. */
        if (started > (long long)since->tv_sec + 2)
            return false;
    }
    return true;
}

/* Open domains/<domid> (a directory, not a link): fd or -1. */
static int open_domdir(const hv_conn *conn, uint32_t domid)
{
    char path[32];

    snprintf(path, sizeof(path), "%u", domid);
    return openat(conn_domains_fd(conn), path,
                  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

int rt_domain_alive(const hv_conn *conn, uint32_t domid, pid_t *pidp)
{
    int dfd = open_domdir(conn, domid), alive;
    pid_t pid;

    if (dfd < 0)
        return -1;
    pid = rt_read_pid(conn, domid);
    if (pidp)
        *pidp = pid > 0 ? pid : 0;
    /* Its hvcore's lock, or for an instant a reaper's: alive either way
     * (the reaper reports it). */
    alive = flock(dfd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
    close(dfd);
    return alive;
}

int rt_domain_alive_after_hangup(const hv_conn *conn, uint32_t domid,
                                 pid_t *pidp)
{
    char path[32];
    pid_t pid = 0;
    int alive = rt_domain_alive(conn, domid, &pid);

    snprintf(path, sizeof(path), "%u/" HV_DOMCTL_SOCKET, domid);
    /*
     * Still locked with its socket in place: the process is dying (the
     * lock goes with the last of its threads, which may outlive the
     * first by a while) -- a starting hvcore has no socket yet, and one
     * ending normally removes it first.
     */
    if (alive == 1 && pid > 0 &&
        faccessat(conn_domains_fd(conn), path, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
        rt_wait_exit(pid, DOMCTL_TIMEOUT_MS) == 0)
        alive = rt_domain_alive(conn, domid, &pid);
    if (pidp)
        *pidp = pid;
    return alive;
}

/* Take <rundir>/.lock; with wait false, fail at once if it is held (a
 * hung or stopped hvcore may hold it for good). */
static int lock_runtime(const hv_conn *conn, bool wait)
{
    char path[4200];
    int fd;

    snprintf(path, sizeof(path), "%s/.lock", conn->rundir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0)
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    return fd;
}

/* Remove every entry of directory dfd: hvcore's files, a socket, what a
 * writer killed half-way left. */
static void empty_dir(int dfd)
{
    int fd = dup(dfd);
    struct dirent *de;
    DIR *dir;

    if (fd < 0 || !(dir = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return;
    }
    rewinddir(dir);             /* the offset is shared with dfd */
    while ((de = readdir(dir)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            unlinkat(dfd, de->d_name, 0);
    closedir(dir);
}

/* Empty directory dfd (locked by us) and remove it, if `entry` of
 * domains/ still names it: an empty directory may be replaced by a new
 * hvcore's rename(2) at any moment. */
static void remove_locked_dir(const hv_conn *conn, const char *entry, int dfd)
{
    struct stat ours, now;

    empty_dir(dfd);
    if (fstat(dfd, &ours) == 0 &&
        fstatat(conn_domains_fd(conn), entry, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
        ours.st_dev == now.st_dev && ours.st_ino == now.st_ino)
        unlinkat(conn_domains_fd(conn), entry, AT_REMOVEDIR);
}

int rt_reap(const hv_conn *conn, uint32_t domid, pid_t pid, char name[64])
{
    char path[32], link[96], want[32], buf[32];
    int lock, reaped = 0, dfd = -1;

    name[0] = '\0';
    /* A caller that saw pid dead may have seen only its first thread
     * gone: the lock goes with the last one.  Let it finish dying. */
    if (pid > 0 && rt_domain_alive(conn, domid, NULL) == 1 &&
        !rt_pid_alive(pid, NULL))
        rt_wait_exit(pid, DOMCTL_TIMEOUT_MS);
    lock = lock_runtime(conn, true);
    if (lock < 0)
        return 0;
    dfd = open_domdir(conn, domid);
    /* Under both locks: dead, and still the incarnation the caller saw? */
    if (dfd < 0 || flock(dfd, LOCK_EX | LOCK_NB) < 0)
        goto out;
    if (pid > 0 && read_small_file(dfd, "pid", buf, sizeof(buf)) > 0 &&
        strtol(buf, NULL, 10) != (long)pid)
        goto out;
    read_small_file(dfd, "name", name, 64);
    /* Reported as crashed only if it ever was a domain one could talk to;
     * one that died in start-up goes silently (its creator was told). */
    reaped = faccessat(dfd, HV_DOMCTL_SOCKET, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
    if (name[0]) {
        ssize_t n = readlinkat(conn_names_fd(conn), name, link, sizeof(link) - 1);
        snprintf(want, sizeof(want), NAME_LINK_PREFIX "%u", domid);
        if (n > 0) {
            link[n] = '\0';
            if (strcmp(link, want) == 0)
                unlinkat(conn_names_fd(conn), name, 0);
        }
    }
    snprintf(path, sizeof(path), "%u", domid);
    remove_locked_dir(conn, path, dfd);
out:
    if (dfd >= 0)
        close(dfd);
    close(lock);
    return reaped;
}

int rt_wait_exit(pid_t pid, int timeout_ms)
{
    uint64_t deadline = now_mono_ns() + (uint64_t)timeout_ms * 1000000;
#ifdef SYS_pidfd_open
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);

    if (pfd >= 0) {
        struct pollfd p = { .fd = pfd, .events = POLLIN };
        int r;
        do
            r = poll(&p, 1, timeout_ms);
        while (r < 0 && errno == EINTR);
        close(pfd);
        return r > 0 ? 0 : -ETIMEDOUT;
    }
    if (errno == ESRCH)
        return 0;
#endif
    while (rt_pid_alive(pid, NULL)) {
        if (now_mono_ns() >= deadline)
            return -ETIMEDOUT;
        usleep(1000);
    }
    return 0;
}

static void sweep_staging(const hv_conn *conn, const char *entry, bool wait)
{
    int lock, dfd;

    if ((lock = lock_runtime(conn, wait)) < 0)
        return;
    /* hvcore makes and locks a staging directory under the same lock. */
    dfd = openat(conn_domains_fd(conn), entry,
                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd >= 0 && flock(dfd, LOCK_EX | LOCK_NB) == 0)
        remove_locked_dir(conn, entry, dfd);
    if (dfd >= 0)
        close(dfd);
    close(lock);
}

void rt_sweep_staging(const hv_conn *conn, const char *entry)
{
    /* Never wait here: list and hv_event_next call this and must not
     * block.  A held lock leaves the sweep to a later call. */
    sweep_staging(conn, entry, false);
}

void rt_sweep_staging_wait(const hv_conn *conn, const char *entry)
{
    sweep_staging(conn, entry, true);
}

/* Open domains/<domid> if its pid file still names pid: fd, or -errno. */
static int open_domdir_of(const hv_conn *conn, uint32_t domid, pid_t pid)
{
    char path[32], buf[32];
    int dfd, n;

    snprintf(path, sizeof(path), "%u", domid);
    dfd = openat(conn_domains_fd(conn), path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? -ESRCH : -errno;
    n = read_small_file(dfd, "pid", buf, sizeof(buf));
    if (n <= 0 || strtol(buf, NULL, 10) != (long)pid) {
        close(dfd);
        return -ESRCH;
    }
    return dfd;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int rt_write_config(const hv_conn *conn, uint32_t domid, pid_t pid,
                    const char *json)
{
    int dfd, fd, rc;

    /*
     * Writes go through the directory fd: should the domain end and its
     * domid be reused meanwhile, they fail in the removed directory
     * instead of landing in the new domain's.
     */
    dfd = open_domdir_of(conn, domid, pid);
    if (dfd < 0)
        return dfd;
    fd = openat(dfd, RT_CONFIG_TMP,
                O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0) {
        rc = errno == ENOENT ? -ESRCH : -errno;
        goto out;
    }
    rc = write_all(fd, json, strlen(json));
    if (rc == 0)
        rc = write_all(fd, "\n", 1);
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && renameat(dfd, RT_CONFIG_TMP, dfd, RT_CONFIG) < 0)
        rc = -errno;
    if (rc < 0)
        unlinkat(dfd, RT_CONFIG_TMP, 0);
    /*
     * hvcore may have emptied the directory while we wrote, leaving its
     * rmdir to fail on our file: finish its cleanup, once the pid file
     * (removed before the rmdir) is gone.
     */
    if (faccessat(dfd, "pid", F_OK, 0) < 0 && errno == ENOENT) {
        struct stat ours, now;
        char path[32];

        unlinkat(dfd, RT_CONFIG, 0);
        unlinkat(dfd, RT_CONFIG_TMP, 0);
        snprintf(path, sizeof(path), "%u", domid);
        /* Not a new domain's directory under the same domid. */
        if (fstat(dfd, &ours) == 0 &&
            fstatat(conn_domains_fd(conn), path, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
            ours.st_dev == now.st_dev && ours.st_ino == now.st_ino)
            unlinkat(conn_domains_fd(conn), path, AT_REMOVEDIR);
        if (rc == 0)
            rc = -ESRCH;
    }
out:
    close(dfd);
    return rc;
}

int rt_read_config(const hv_conn *conn, uint32_t domid, pid_t pid, char **out)
{
    struct stat st;
    char *buf = NULL;
    size_t len = 0;
    int dfd, fd = -1, rc = 0;

    *out = NULL;
    dfd = open_domdir_of(conn, domid, pid);
    if (dfd < 0)
        return dfd;
    fd = openat(dfd, RT_CONFIG, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        rc = -errno;
        goto out;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
        st.st_size > 16 * 1024 * 1024) {
        rc = -EINVAL;
        goto out;
    }
    if (!(buf = malloc((size_t)st.st_size + 1))) {
        rc = -ENOMEM;
        goto out;
    }
    while (len < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + len, (size_t)st.st_size - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -errno;
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *out = buf;
    buf = NULL;
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    close(dfd);
    return rc;
}

long rt_lookup_name(const hv_conn *conn, const char *name)
{
    char link[96], *end;
    ssize_t n;
    long id;

    n = readlinkat(conn_names_fd(conn), name, link, sizeof(link) - 1);
    if (n < 0)
        return -errno;
    link[n] = '\0';
    if (strncmp(link, NAME_LINK_PREFIX, strlen(NAME_LINK_PREFIX)) != 0)
        return -EINVAL;
    id = strtol(link + strlen(NAME_LINK_PREFIX), &end, 10);
    if (*end || id <= 0)
        return -EINVAL;
    return id;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

int rt_list_domids(const hv_conn *conn, uint32_t **ids, size_t *n)
{
    size_t cap = 0, cnt = 0;
    uint32_t *v = NULL;
    struct dirent *de;
    DIR *d;
    int fd;

    *ids = NULL;
    *n = 0;
    if (conn_domains_fd(conn) < 0)
        return 0;               /* no runtime directory: no domains */
    fd = openat(conn_domains_fd(conn), ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || !(d = fdopendir(fd))) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return err_sys(HV_EIO, e, "runtime directory %s/domains",
                       conn->rundir);
    }
    while ((de = readdir(d))) {
        char *end;
        unsigned long id;

        /* A staging directory: an hvcore starting, or killed while it did. */
        if (strncmp(de->d_name, RT_STAGING_PREFIX,
                    strlen(RT_STAGING_PREFIX)) == 0)
            rt_sweep_staging(conn, de->d_name);
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        id = strtoul(de->d_name, &end, 10);
        if (*end || id == 0 || id > UINT32_MAX)
            continue;
        if (cnt == cap) {
            uint32_t *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
            if (!nv) {
                free(v);
                closedir(d);
                return err_set(HV_ENOMEM, "listing domains: out of memory");
            }
            v = nv;
        }
        v[cnt++] = (uint32_t)id;
    }
    closedir(d);
    if (cnt)
        qsort(v, cnt, sizeof(*v), cmp_u32);
    *ids = v;
    *n = cnt;
    return 0;
}
