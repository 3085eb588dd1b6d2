/*
 * runtime.c - reading the runtime directory hvcore maintains (domctl.h):
 *     domains/<domid>/{pid,name,control}   names/<name> -> ../domains/<domid>
 * and cleaning up after an hvcore that died without doing it itself; plus
 * the one file libhvctl adds there, domains/<domid>/config.json.
 *
 * Cleanup takes <rundir>/.lock (flock), the lock hvcore takes when it
 * reclaims a dead domain's name, so that a directory is removed by one
 * party exactly once and a dead domain is reported as crashed once.
 */
#include <ctype.h>
#include <dirent.h>
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

pid_t rt_read_pid(const hv_conn *conn, uint32_t domid)
{
    char path[32], buf[32], *end;
    long v;
    int n;

    snprintf(path, sizeof(path), "%u/pid", domid);
    n = read_small_file(conn->domains_fd, path, buf, sizeof(buf));
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
    n = read_small_file(conn->domains_fd, path, buf, 64);
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

int rt_domain_alive(const hv_conn *conn, uint32_t domid, pid_t *pidp)
{
    char path[32];
    struct stat st;
    pid_t pid;

    snprintf(path, sizeof(path), "%u/pid", domid);
    if (fstatat(conn->domains_fd, path, &st, 0) < 0)
        return -1;              /* gone, or starting (no pid file yet) */
    pid = rt_read_pid(conn, domid);
    if (pid <= 0)
        return -1;
    if (pidp)
        *pidp = pid;
    return rt_pid_alive(pid, &st.st_mtim) ? 1 : 0;
}

static int lock_runtime(const hv_conn *conn)
{
    char path[4200];
    int fd;

    snprintf(path, sizeof(path), "%s/.lock", conn->rundir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR) {
            close(fd);
            return -1;
        }
    return fd;
}

int rt_reap(const hv_conn *conn, uint32_t domid, pid_t pid, char name[64])
{
    static const char *const files[] = { "control", "pid", "name", "uuid",
                                         RT_CONFIG, RT_CONFIG_TMP };
    char path[96], link[96], want[32];
    pid_t now_pid;
    int lock, reaped = 0, dfd;

    lock = lock_runtime(conn);
    if (lock < 0)
        return 0;
    /* Under the lock: still the same dead incarnation? */
    now_pid = 0;
    if (rt_domain_alive(conn, domid, &now_pid) != 0 || now_pid != pid)
        goto out;
    name[0] = '\0';
    rt_read_name(conn, domid, name);
    if (name[0]) {
        ssize_t n = readlinkat(conn->names_fd, name, link, sizeof(link) - 1);
        snprintf(want, sizeof(want), "../domains/%u", domid);
        if (n > 0) {
            link[n] = '\0';
            if (strcmp(link, want) == 0)
                unlinkat(conn->names_fd, name, 0);
        }
    }
    snprintf(path, sizeof(path), "%u", domid);
    dfd = openat(conn->domains_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
            unlinkat(dfd, files[i], 0);
        close(dfd);
    }
    unlinkat(conn->domains_fd, path, AT_REMOVEDIR);
    reaped = 1;
out:
    close(lock);
    return reaped;
}

/* Open domains/<domid> if its pid file still names pid: fd, or -errno. */
static int open_domdir_of(const hv_conn *conn, uint32_t domid, pid_t pid)
{
    char path[32], buf[32];
    int dfd, n;

    snprintf(path, sizeof(path), "%u", domid);
    dfd = openat(conn->domains_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
            fstatat(conn->domains_fd, path, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
            ours.st_dev == now.st_dev && ours.st_ino == now.st_ino)
            unlinkat(conn->domains_fd, path, AT_REMOVEDIR);
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

    n = readlinkat(conn->names_fd, name, link, sizeof(link) - 1);
    if (n < 0)
        return -errno;
    link[n] = '\0';
    if (strncmp(link, "../domains/", 11) != 0)
        return -EINVAL;
    id = strtol(link + 11, &end, 10);
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
    fd = openat(conn->domains_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
