/*
 * runtime.c - domid and name allocation in the runtime directory.
 *
 * Uniqueness comes from the file system, so that concurrent hvcore
 * processes (two `create` of one name at the same instant) need no
 * daemon to arbitrate: rename(2) of a complete directory allocates a
 * domid and symlink(2) claims a name, both atomic.
 *
 * Liveness is decided by the kernel, not by file contents: hvcore holds an
 * flock on its domains/<domid> directory for life, and the kernel drops it
 * when hvcore dies, however it dies.  A domid directory becomes visible
 * only complete and locked (built as domains/.new-<pid>, then renamed), so
 * "exists and unlocked" always means "dead": whoever meets such an entry
 * reclaims it.  The full protocol, step by step with what a kill -9 at
 * each step leaves and who reclaims it, is in docs/architecture.md
 * ("Runtime directory").  <rundir>/.lock serialises only the reclaiming
 * of names and of abandoned staging directories.
 */
#include <dirent.h>
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
#include "public/domctl.h"
#include "public/errno.h"
#include "runtime.h"
#include "startup_step.h"

/* What a names/<name> link holds before its domid. */
#define NAME_LINK_PREFIX "../domains/"

#define MAX_DOMID 32767
#define STAGING_PREFIX ".new-"

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

/* 0 or -errno. */
static int mkdir_p(const char *path, mode_t mode)
{
    char tmp[600];

    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, mode) < 0 && errno != EEXIST)
                return -errno;
            *p = '/';
        }
    }
    return mkdir(tmp, mode) < 0 && errno != EEXIST ? -errno : 0;
}

/* Write text to dfd/file.  Only used inside the staging directory, which
 * nobody reads until it is complete, so a torn write is never seen.
 * 0 or -errno (-HVE_IO for a short write). */
static int write_file_at(int dfd, const char *file, const char *text)
{
    size_t len = strlen(text);
    int fd = openat(dfd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);

    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, len);
    int r = n == (ssize_t)len ? 0 : n < 0 ? -errno : -HVE_IO;
    close(fd);
    return r;
}

/* Read dfd/file into buf as a string; its length or -errno. */
static int read_file_at(int dfd, const char *file, char *buf, size_t len)
{
    int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    ssize_t n;

    buf[0] = '\0';
    if (fd < 0)
        return -errno;
    n = read(fd, buf, len - 1);
    int r = n < 0 ? -errno : (int)n;
    close(fd);
    if (n >= 0)
        buf[n] = '\0';
    return r;
}

/*
 * A directory stream over dfd from its first entry, leaving dfd itself
 * open (readdir() needs a DIR of its own); NULL if none can be had.
 */
static DIR *dir_stream(int dfd)
{
    int fd = dup(dfd);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;

    if (!dir) {
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    rewinddir(dir);             /* the offset is shared with dfd */
    return dir;
}

/* Remove every entry of directory dfd (hvcore never makes subdirectories
 * there): whatever a killed hvcore or libhvctl left half-way. */
static void empty_dir(int dfd)
{
    DIR *dir = dir_stream(dfd);
    struct dirent *de;

    if (!dir)
        return;
    while ((de = readdir(dir)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            unlinkat(dfd, de->d_name, 0);
    closedir(dir);
}

/*
 * Open domains/<entry> and try to take its flock.  Returns the fd with
 * the lock held when the owner is dead (or there never was one),
 * -EWOULDBLOCK when somebody holds it, or another -errno.
 */
static int lock_dead_entry(int domains_fd, const char *entry)
{
    int fd = openat(domains_fd, entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    return fd;
}

/* Remove domains/<entry>, which lock_dead_entry() gave us as dfd. */
static void remove_dead_entry(int domains_fd, const char *entry, int dfd)
{
    struct stat ours, now;

    empty_dir(dfd);
    /* Only if the name still means our directory: an empty directory can
     * be replaced by a new hvcore's rename(2) at any time. */
    if (fstat(dfd, &ours) == 0 &&
        fstatat(domains_fd, entry, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
        ours.st_dev == now.st_dev && ours.st_ino == now.st_ino)
        unlinkat(domains_fd, entry, AT_REMOVEDIR);
    close(dfd);
}

/* <rundir>/.lock, held: its fd, or -errno. */
static int lock_rundir(const struct domain *d)
{
    char path[600];
    int fd, r;

    snprintf(path, sizeof(path), "%s/.lock", d->rundir);
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    while (flock(fd, LOCK_EX) < 0)
        if (errno != EINTR) {
            r = -errno;
            close(fd);
            return r;
        }
    return fd;
}

/* Remove staging directories of hvcores that died before renaming them.
 * Runtime lock held (a staging directory is locked under it). */
static void sweep_staging(int domains_fd)
{
    DIR *dir = dir_stream(domains_fd);
    struct dirent *de;
    int dfd;

    if (!dir)
        return;
    while ((de = readdir(dir)))
        if (strncmp(de->d_name, STAGING_PREFIX, strlen(STAGING_PREFIX)) == 0 &&
            (dfd = lock_dead_entry(domains_fd, de->d_name)) >= 0)
            remove_dead_entry(domains_fd, de->d_name, dfd);
    closedir(dir);
}

/*
 * Make domains/.new-<pid> and lock it.  The mkdir and the flock happen
 * under the runtime lock, which sweepers take too: nobody can see the
 * directory unlocked and take it for abandoned.  Its fd, or -errno with
 * a reason in err.
 */
static int stage(struct domain *d, int domains_fd, char *staging, size_t len,
                 char *err, size_t errlen)
{
    int lock = lock_rundir(d), fd = -1, r;

    if (lock < 0) {
        snprintf(err, errlen, "cannot lock %s/.lock: %s", d->rundir, strerror(-lock));
        return lock;
    }
    sweep_staging(domains_fd);
    snprintf(staging, len, STAGING_PREFIX "%ld", (long)getpid());
    if (mkdirat(domains_fd, staging, 0750) < 0 && errno != EEXIST)
        goto fail;
    fd = openat(domains_fd, staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0)
        goto fail;
    empty_dir(fd);              /* a dead namesake's leftovers */
    close(lock);
    return fd;
fail:
    r = -errno;
    snprintf(err, errlen, "cannot create %s/domains/%s: %s", d->rundir, staging,
             strerror(-r));
    if (fd >= 0)
        close(fd);
    close(lock);
    return r;
}

/* What take_domid() says when the domid is held by a live domain. */
#define DOMID_TAKEN 1

/*
 * Rename the staging directory to domains/<id>: done if <id> is free or an
 * empty leftover; if it holds a dead domain, empty that and try again.
 * 0 done, DOMID_TAKEN (by the living), or -errno.
 */
static int take_domid(struct domain *d, int domains_fd, const char *staging,
                      uint32_t id, bool name_given)
{
    char entry[16];
    int r;

    snprintf(entry, sizeof(entry), "%u", id);
    if (!name_given) {
        char name[64];
        snprintf(name, sizeof(name), "domain-%u", id);
        r = write_file_at(d->domdir_fd, "name", name);
        if (r < 0)
            return r;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        if (renameat(domains_fd, staging, domains_fd, entry) == 0)
            return 0;
        if (errno != EEXIST && errno != ENOTEMPTY && errno != ENOTDIR)
            return -errno;
        int dfd = lock_dead_entry(domains_fd, entry);
        if (dfd < 0)
            return DOMID_TAKEN;
        /* Dead: empty it, keeping its lock, so that our rename replaces
         * it (rename(2) replaces an empty directory) before anyone else
         * can decide about it. */
        empty_dir(dfd);
        r = renameat(domains_fd, staging, domains_fd, entry) == 0 ? 0 : -errno;
        close(dfd);
        if (r == 0)
            return 0;
        if (r != -EEXIST && r != -ENOTEMPTY)
            return r;
    }
    return DOMID_TAKEN;
}

/*
 * Is names/<name>, which points at target, a live claim of someone else?
 * It is only if target is "../domains/<id>" for another domid whose
 * directory is locked by a live hvcore and whose name file says name.
 * A dead target directory found on the way is removed.
 */
static bool name_link_is_live(struct domain *d, int domains_fd, const char *target)
{
    char want[64], entry[16], name[64], pid[32];
    unsigned long id;
    char *end;
    int dfd;

    if (strncmp(target, NAME_LINK_PREFIX, strlen(NAME_LINK_PREFIX)) != 0)
        return false;
    id = strtoul(target + strlen(NAME_LINK_PREFIX), &end, 10);
    if (*end || id == 0 || id > MAX_DOMID || id == d->domid)
        return false;           /* garbage, or our own domid: stale */
    snprintf(entry, sizeof(entry), "%lu", id);
    dfd = lock_dead_entry(domains_fd, entry);
    if (dfd >= 0) {
        remove_dead_entry(domains_fd, entry, dfd);
        return false;
    }
    /* Only a directory known to be gone makes the link stale: any other
     * failure (EMFILE, EACCES, ...) says nothing about its holder, and
     * replacing a live domain's name link is far worse than refusing. */
    if (dfd != -EWOULDBLOCK)
        return dfd != -ENOENT && dfd != -ENOTDIR;
    dfd = openat(domains_fd, entry, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return errno != ENOENT && errno != ENOTDIR;
    int rn = read_file_at(dfd, "name", name, sizeof(name));
    int rp = read_file_at(dfd, "pid", pid, sizeof(pid));
    close(dfd);
    if ((rn < 0 && rn != -ENOENT) || (rp < 0 && rp != -ENOENT))
        return true;
    snprintf(want, sizeof(want), "%s", d->name);
    if (strcmp(name, want) != 0)
        return false;
    /* Locked: by its hvcore, or for an instant by a prober while its
     * hvcore is already dead. */
    long p = strtol(pid, NULL, 10);
    return p > 0 && (kill((pid_t)p, 0) == 0 || errno == EPERM);
}

/* Claim names/<name>; a stale link is replaced under the runtime lock.
 * 0, -HVE_EXIST if a live domain holds it, or -errno; a reason in err. */
static int take_name(struct domain *d, int domains_fd, char *err, size_t errlen)
{
    char link[1200], target[64], old[256];
    int lock = -1, rc;

    snprintf(link, sizeof(link), "%s/names/%s", d->rundir, d->name);
    snprintf(target, sizeof(target), NAME_LINK_PREFIX "%u", d->domid);
    if (symlink(target, link) == 0)
        return 0;
    if (errno != EEXIST)
        goto fail;
    lock = lock_rundir(d);
    if (lock < 0) {
        rc = lock;
        goto report;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        ssize_t n = readlink(link, old, sizeof(old) - 1);
        if (n < 0 && errno != ENOENT && errno != EINVAL)
            goto fail;
        if (n >= 0) {
            old[n] = '\0';
            if (name_link_is_live(d, domains_fd, old))
                goto in_use;
        }
        if (n >= 0 || errno == EINVAL)
            unlink(link);
        if (symlink(target, link) == 0) {
            rc = 0;
            goto out;
        }
        if (errno != EEXIST)
            goto fail;
    }
in_use:
    snprintf(err, errlen, "name '%s' is already in use", d->name);
    rc = -HVE_EXIST;
    goto out;
fail:
    rc = -errno;
report:
    snprintf(err, errlen, "cannot create %s: %s", link, strerror(-rc));
out:
    if (lock >= 0)
        close(lock);
    return rc;
}

int runtime_claim(struct domain *d, uint32_t want_domid, char *err, size_t errlen)
{
    char path[1200], staging[64] = "", text[64];
    int domains_fd = -1, r;
    const uint8_t *u = d->uuid;
    bool name_given = d->name[0] != '\0';

    d->domdir_fd = -1;
    d->domdir[0] = '\0';
    snprintf(path, sizeof(path), "%s/names", d->rundir);
    r = mkdir_p(path, 0755);
    if (r < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(-r));
        return r;
    }
    snprintf(path, sizeof(path), "%s/domains", d->rundir);
    r = mkdir_p(path, 0755);
    if (r == 0 && (domains_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        r = -errno;
    if (r < 0) {
        snprintf(err, errlen, "cannot create %s: %s", path, strerror(-r));
        return r;
    }

    /* 1. A complete, locked directory under a name nobody lists. */
    r = stage(d, domains_fd, staging, sizeof(staging), err, errlen);
    if (r < 0)
        goto out;
    d->domdir_fd = r;
    startup_step(STEP_STAGED);
    snprintf(text, sizeof(text), "%ld\n", (long)getpid());
    r = write_file_at(d->domdir_fd, "pid", text);
    if (r < 0)
        goto write_failed;
    startup_step(STEP_PID_WRITTEN);
    snprintf(text, sizeof(text),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
             u[12], u[13], u[14], u[15]);
    r = name_given ? write_file_at(d->domdir_fd, "name", d->name) : 0;
    if (r == 0)
        r = write_file_at(d->domdir_fd, "uuid", text);
    if (r < 0)
        goto write_failed;
    startup_step(STEP_FILES_WRITTEN);

    /* 2. The domid: the lowest one free or held by the dead. */
    for (uint32_t id = want_domid ? want_domid : 1; id <= MAX_DOMID; id++) {
        r = take_domid(d, domains_fd, staging, id, name_given);
        if (r < 0) {
            snprintf(err, errlen, "cannot create %s/domains/%u: %s", d->rundir, id,
                     strerror(-r));
            goto out;
        }
        if (r == 0) {
            d->domid = id;
            break;
        }
        if (want_domid) {
            snprintf(err, errlen, "domid %u is in use", want_domid);
            r = -HVE_EXIST;
            goto out;
        }
    }
    if (!d->domid) {
        snprintf(err, errlen, "no free domid in %s/domains", d->rundir);
        r = -HVE_NOSPC;
        goto out;
    }
    staging[0] = '\0';
    snprintf(d->domdir, sizeof(d->domdir), "%s/domains/%u", d->rundir, d->domid);
    if (!name_given)
        snprintf(d->name, sizeof(d->name), "domain-%u", d->domid);
    startup_step(STEP_DOMID_TAKEN);

    /* 3. The name. */
    r = take_name(d, domains_fd, err, errlen);
    if (r < 0)
        goto out;
    d->have_name_link = true;
    startup_step(STEP_NAME_TAKEN);
    goto out;

write_failed:
    snprintf(err, errlen, "cannot write to %s/domains/%s: %s", d->rundir, staging,
             strerror(-r));
out:
    if (r < 0 && d->domdir_fd >= 0) {
        /* Nothing of ours may stay: the staging directory, or domains/N. */
        remove_dead_entry(domains_fd, staging[0] ? staging : strrchr(d->domdir, '/') + 1,
                          d->domdir_fd);
        d->domdir_fd = -1;
        d->domdir[0] = '\0';
    }
    close(domains_fd);
    return r;
}

void runtime_release(struct domain *d)
{
    char path[1200], target[64], want[64];

    if (d->domdir_fd < 0)
        return;
    /* Unpublish first (the control socket), then the name, then the rest:
     * a kill in between leaves a dead directory nobody saw as running. */
    unlinkat(d->domdir_fd, HV_DOMCTL_SOCKET, 0);
    if (d->have_name_link) {
        snprintf(path, sizeof(path), "%s/names/%s", d->rundir, d->name);
        snprintf(want, sizeof(want), NAME_LINK_PREFIX "%u", d->domid);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            if (strcmp(target, want) == 0)
                unlink(path);
        }
        d->have_name_link = false;
    }
    unlinkat(d->domdir_fd, "pid", 0);     /* libhvctl: "ended" from here */
    snprintf(path, sizeof(path), "%s/domains", d->rundir);
    int domains_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (domains_fd >= 0) {
        snprintf(path, sizeof(path), "%u", d->domid);
        remove_dead_entry(domains_fd, path, d->domdir_fd);
        close(domains_fd);
    } else {
        close(d->domdir_fd);
    }
    d->domdir_fd = -1;
    d->domdir[0] = '\0';
}

/* Replace dfd/file whole (a live directory: readers see old or new). */
static int replace_file_at(int dfd, const char *file, const char *text)
{
    char tmp[64];

    snprintf(tmp, sizeof(tmp), ".%s.new", file);
    int r = write_file_at(dfd, tmp, text);
    if (r == 0 && renameat(dfd, tmp, dfd, file) < 0)
        r = -errno;
    if (r < 0)
        unlinkat(dfd, tmp, 0);
    return r;
}

int runtime_set_identity(struct domain *d, const char *name, const uint8_t uuid[16], char *err,
                         size_t errlen)
{
    char old[64], path[1200], text[64], target[64];
    const uint8_t *u = uuid;
    int domains_fd, r;

    snprintf(text, sizeof(text),
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n",
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
             u[12], u[13], u[14], u[15]);
    r = replace_file_at(d->domdir_fd, "uuid", text);
    if (r < 0) {
        snprintf(err, errlen, "cannot write %s/uuid: %s", d->domdir, strerror(-r));
        return r;
    }
    memcpy(d->uuid, uuid, 16);
    if (strcmp(name, d->name) == 0)
        return 0;
    snprintf(path, sizeof(path), "%s/domains", d->rundir);
    domains_fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (domains_fd < 0) {
        r = -errno;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(-r));
        return r;
    }
    snprintf(old, sizeof(old), "%s", d->name);
    snprintf(d->name, sizeof(d->name), "%s", name);
    /* The name file first: take_name() tells a live claim by it. */
    r = replace_file_at(d->domdir_fd, "name", d->name);
    if (r == 0)
        r = take_name(d, domains_fd, err, errlen);
    else
        snprintf(err, errlen, "cannot write %s/name: %s", d->domdir, strerror(-r));
    close(domains_fd);
    if (r < 0) {
        snprintf(d->name, sizeof(d->name), "%s", old);
        (void)replace_file_at(d->domdir_fd, "name", d->name);
        return r;
    }
    /* The placeholder goes, if it is still ours. */
    snprintf(path, sizeof(path), "%s/names/%s", d->rundir, old);
    snprintf(target, sizeof(target), NAME_LINK_PREFIX "%u", d->domid);
    char have[64];
    ssize_t n = readlink(path, have, sizeof(have) - 1);
    if (n > 0) {
        have[n] = '\0';
        if (strcmp(have, target) == 0)
            unlink(path);
    }
    return 0;
}
