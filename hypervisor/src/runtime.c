/*
 * runtime.c - domid and name allocation in the runtime directory.
 *
 * Uniqueness comes from the file system, so that concurrent hvcore
 * processes (two `create` of one name at the same instant) need no
 * daemon to arbitrate: mkdir(2) allocates a domid and symlink(2) claims a
 * name, both atomic.  A lock file serialises only the rare reclaiming of
 * entries left behind by an hvcore that was killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hvcore.h"
#include "runtime.h"

#define MAX_DOMID 32767

const char *runtime_check_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0)
        return "is empty";
    if (len >= 64)
        return "is longer than 63 bytes";
    if (name[0] == '.' || name[0] == '-')
        return "starts with '.' or '-'";
    for (const char *p = name; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return "may contain only letters, digits, '.', '_' and '-'";
    }
    return NULL;
}

static int mkdir_p(const char *path, mode_t mode)
{
    char tmp[600];

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    return mkdir(tmp, mode) < 0 && errno != EEXIST ? -1 : 0;
}

static int write_file(const char *dir, const char *file, const char *text)
{
    char path[1200];
    int fd;

    snprintf(path, sizeof(path), "%s/%s", dir, file);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* A killed hvcore whose parent does not reap it still answers kill(0). */
static bool pid_is_zombie(pid_t pid)
{
    char path[64], buf[256];
    ssize_t n;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    /* "pid (comm) S ...": the state follows the last ')' */
    const char *p = strrchr(buf, ')');
    return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* Is domain dir domdir owned by a live process? */
static int dir_alive(const char *domdir)
{
    char path[1200], buf[32];
    int fd;
    ssize_t n;

    snprintf(path, sizeof(path), "%s/pid", domdir);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -1 : 1;   /* no pid yet: maybe starting */
    n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    long pid = strtol(buf, NULL, 10);
    if (pid <= 0)
        return 0;
    if (kill((pid_t)pid, 0) < 0 && errno != EPERM)
        return 0;
    return !pid_is_zombie((pid_t)pid);
}

static void remove_domdir(const char *domdir)
{
    /* config.json{,.tmp}: written by libhvctl after the domain started. */
    static const char *const files[] = { "control", "pid", "name", "uuid",
                                         "config.json", "config.json.tmp" };
    char path[1200];

    for (unsigned i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", domdir, files[i]);
        unlink(path);
    }
    rmdir(domdir);
}

/* Try to take over names/<name> from a dead owner.  Lock held. */
static int reclaim_name(struct domain *d, const char *link)
{
    char target[256], domdir[800];
    ssize_t n = readlink(link, target, sizeof(target) - 1);

    if (n <= 0)
        return -1;
    target[n] = '\0';
    snprintf(domdir, sizeof(domdir), "%s/names/%s", d->rundir, target);
    if (dir_alive(domdir) == 1)
        return -1;
    if (dir_alive(domdir) == 0)
        remove_domdir(domdir);
    return unlink(link);
}

int runtime_claim(struct domain *d, uint32_t want_domid, char *err, size_t errlen)
{
    char path[1200], link[1200], target[64], pid[32];
    int lock_fd;

    snprintf(path, sizeof(path), "%s/domains", d->rundir);
    if (mkdir_p(path, 0755) < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/names", d->rundir);
    if (mkdir_p(path, 0755) < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
        return -1;
    }

    /* domid: the lowest free one, by atomic mkdir. */
    for (uint32_t id = want_domid ? want_domid : 1; id <= MAX_DOMID; id++) {
        snprintf(d->domdir, sizeof(d->domdir), "%s/domains/%u", d->rundir, id);
        if (mkdir(d->domdir, 0750) == 0) {
            d->domid = id;
            break;
        }
        if (errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", d->domdir, strerror(errno));
            d->domdir[0] = '\0';
            return -1;
        }
        if (want_domid) {
            snprintf(err, errlen, "domid %u is in use", want_domid);
            d->domdir[0] = '\0';
            return -1;
        }
    }
    if (!d->domid) {
        snprintf(err, errlen, "no free domid in %s/domains", d->rundir);
        d->domdir[0] = '\0';
        return -1;
    }
    snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
    if (write_file(d->domdir, "pid", pid) < 0) {
        snprintf(err, errlen, "cannot write %s/pid: %s", d->domdir, strerror(errno));
        return -1;
    }
    if (!d->name[0])
        snprintf(d->name, sizeof(d->name), "domain-%u", d->domid);

    /* name: atomic symlink; reclaim from a dead owner under the lock. */
    snprintf(link, sizeof(link), "%s/names/%s", d->rundir, d->name);
    snprintf(target, sizeof(target), "../domains/%u", d->domid);
    if (symlink(target, link) < 0) {
        int ok = -1;
        if (errno == EEXIST) {
            snprintf(path, sizeof(path), "%s/.lock", d->rundir);
            lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
            if (lock_fd >= 0 && flock(lock_fd, LOCK_EX) == 0 &&
                reclaim_name(d, link) == 0)
                ok = symlink(target, link);
            if (lock_fd >= 0)
                close(lock_fd);
        }
        if (ok < 0) {
            snprintf(err, errlen, "name '%s' is already in use", d->name);
            return -1;
        }
    }
    d->have_name_link = true;
    char uuid[40];
    const uint8_t *u = d->uuid;
    snprintf(uuid, sizeof(uuid),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
             u[12], u[13], u[14], u[15]);
    if (write_file(d->domdir, "name", d->name) < 0 || write_file(d->domdir, "uuid", uuid) < 0) {
        snprintf(err, errlen, "cannot write to %s: %s", d->domdir, strerror(errno));
        return -1;
    }
    return 0;
}

void runtime_release(struct domain *d)
{
    char link[1200], target[64], want[64];

    if (d->have_name_link) {
        snprintf(link, sizeof(link), "%s/names/%s", d->rundir, d->name);
        snprintf(want, sizeof(want), "../domains/%u", d->domid);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            if (strcmp(target, want) == 0)
                unlink(link);
        }
        d->have_name_link = false;
    }
    if (d->domdir[0])
        remove_domdir(d->domdir);
    d->domdir[0] = '\0';
}
