/*
 * conn.c - hv_conn: a host's runtime directory, and where hvcore lives.
 *
 * Opening a connection creates nothing: a mistyped HVCTL_RUNDIR must not
 * appear because someone listed it.  A runtime directory that does not
 * exist (yet) holds no domains; it is made by what starts one
 * (hv_domain_create, and hv_events_open, which must watch it), and its
 * subdirectories are opened whenever they are first found.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "domain_int.h"
#include "conn_uri.h"
#include "driver.h"

#ifndef HVCORE_INSTALL_PATH
#define HVCORE_INSTALL_PATH "/usr/local/bin/hvcore"
#endif

#define DEFAULT_RUNDIR "/run/hvctl"

/* mkdir -p, but only for the directory itself and its parents. */
static int mkdir_p(const char *path, mode_t mode)
{
    char tmp[PATH_MAX];
    size_t len = strlen(path);

    if (len == 0 || len >= sizeof(tmp))
        return -ENAMETOOLONG;
    memcpy(tmp, path, len + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

/* domains/ or names/ of conn, opened the first time it exists: the fd,
 * or -1 while it does not.  Threads race to publish it; one wins. */
static int subdir_fd(const hv_conn *conn, int *slot, const char *sub)
{
    char path[PATH_MAX];
    int fd = __atomic_load_n(slot, __ATOMIC_ACQUIRE), none = -1;

    if (fd >= 0)
        return fd;
    snprintf(path, sizeof(path), "%s/%s", conn->rundir, sub);
    fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (!__atomic_compare_exchange_n(slot, &none, fd, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        close(fd);
        return none;
    }
    return fd;
}

int conn_domains_fd(const hv_conn *conn)
{
    return subdir_fd(conn, (int *)&conn->domains_fd, "domains");
}

int conn_names_fd(const hv_conn *conn)
{
    return subdir_fd(conn, (int *)&conn->names_fd, "names");
}

int conn_make_rundir(hv_conn *conn)
{
    static const char *const subs[] = { "domains", "names" };
    char path[PATH_MAX];
    int rc;

    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", conn->rundir, subs[i]);
        if ((rc = mkdir_p(path, 0755)) < 0)
            return err_sys(err_from_errno(-rc), -rc, "runtime directory %s",
                           path);
    }
    if (conn_domains_fd(conn) < 0 || conn_names_fd(conn) < 0)
        return err_sys(err_from_errno(errno), errno, "runtime directory %s",
                       conn->rundir);
    return 0;
}

/* dir made absolute without resolving it (it need not exist). */
static int absolute(const char *dir, char out[PATH_MAX])
{
    char cwd[PATH_MAX];

    if (dir[0] == '/')
        return snprintf(out, PATH_MAX, "%s", dir) < PATH_MAX ? 0 : -ENAMETOOLONG;
    if (!getcwd(cwd, sizeof(cwd)))
        return -errno;
    return snprintf(out, PATH_MAX, "%s/%s", cwd, dir) < PATH_MAX ? 0
                                                               : -ENAMETOOLONG;
}

int conn_open_direct(const char *rundir, hv_conn **out)
{
    const char *dir = rundir, *core;
    char real[PATH_MAX], enc[PATH_MAX * 3];
    hv_conn *conn;
    int rc;

    if (!out)
        return err_set(HV_EINVAL, "connection: no place for the result");
    *out = NULL;
    if (!dir || !*dir)
        dir = getenv("HVCTL_RUNDIR");
    if (!dir || !*dir)
        dir = DEFAULT_RUNDIR;
    /* Absolute, so that it still means the same after a chdir. */
    if (realpath(dir, real)) {
        struct stat st;
        if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode))
            return err_sys(HV_EINVAL, ENOTDIR, "runtime directory %s", dir);
    } else if (errno != ENOENT) {
        return err_sys(err_from_errno(errno), errno, "runtime directory %s",
                       dir);
    } else if ((rc = absolute(dir, real)) < 0) {
        return err_sys(err_from_errno(-rc), -rc, "runtime directory %s", dir);
    }

    conn = calloc(1, sizeof(*conn));
    if (!conn)
        return err_set(HV_ENOMEM, "connection %s: out of memory", real);
    conn->drv = &drv_direct;
    conn->domains_fd = conn->names_fd = -1;
    pthread_mutex_init(&conn->cache_lock, NULL);
    pthread_mutex_init(&conn->events_lock, NULL);
    core = getenv("HVCORE_PATH");
    conn->rundir = strdup(real);
    conn->hvcore_path = strdup(core && *core ? core : HVCORE_INSTALL_PATH);
    conn->hvcore_from_env = core && *core;
    uri_encode(real, enc, sizeof(enc));
    conn->uri = malloc(strlen(enc) + 40);
    if (conn->uri)
        sprintf(conn->uri, "hvctl:///system?driver=direct&rundir=%s", enc);
    if (!conn->rundir || !conn->hvcore_path || !conn->uri) {
        rc = err_set(HV_ENOMEM, "connection %s: out of memory", real);
        goto fail;
    }
    *out = conn;
    return 0;
fail:
    hv_conn_free(conn);
    return rc;
}

HV_EXPORT int hv_conn_open(const char *rundir, hv_conn **out)
{
    return conn_open_direct(rundir, out);
}

HV_EXPORT void hv_conn_free(hv_conn *conn)
{
    if (!conn)
        return;
    if (conn->drv && conn->drv->close)
        conn->drv->close(conn);
    if (conn->domains_fd >= 0)
        close(conn->domains_fd);
    if (conn->names_fd >= 0)
        close(conn->names_fd);
    for (size_t i = 0; i < conn->ncache; i++)
        close(conn->cache[i].fd);
    free(conn->cache);
    pthread_mutex_destroy(&conn->cache_lock);
    pthread_mutex_destroy(&conn->events_lock);
    free(conn->rundir);
    free(conn->uri);
    free(conn->hvcore_path);
    free(conn);
}

HV_EXPORT const char *hv_conn_get_rundir(const hv_conn *conn)
{
    return conn ? conn->rundir : NULL;
}

HV_EXPORT const char *hv_conn_get_uri(const hv_conn *conn)
{
    return conn ? conn->uri : NULL;
}

HV_EXPORT const char *hv_conn_get_driver(const hv_conn *conn)
{
    return conn && conn->drv ? conn->drv->name : NULL;
}
