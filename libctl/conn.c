/*
 * conn.c - hv_conn: a host's runtime directory, and where hvcore lives.
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

static int open_subdir(const char *rundir, const char *sub, int *fd)
{
    char path[PATH_MAX];
    int rc;

    snprintf(path, sizeof(path), "%s/%s", rundir, sub);
    if ((rc = mkdir_p(path, 0755)) < 0)
        return err_sys(err_from_errno(-rc), -rc, "runtime directory %s", path);
    *fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*fd < 0)
        return err_sys(err_from_errno(errno), errno, "runtime directory %s",
                       path);
    return 0;
}

HV_EXPORT int hv_conn_open(const char *rundir, hv_conn **out)
{
    const char *dir = rundir, *core;
    char real[PATH_MAX];
    hv_conn *conn;
    int rc;

    if (!out)
        return err_set(HV_EINVAL, "connection: no place for the result");
    *out = NULL;
    if (!dir || !*dir)
        dir = getenv("HVCTL_RUNDIR");
    if (!dir || !*dir)
        dir = DEFAULT_RUNDIR;
    if ((rc = mkdir_p(dir, 0755)) < 0)
        return err_sys(err_from_errno(-rc), -rc, "runtime directory %s", dir);
    /* Absolute, so that it still means the same after a chdir. */
    if (!realpath(dir, real))
        return err_sys(err_from_errno(errno), errno, "runtime directory %s",
                       dir);

    conn = calloc(1, sizeof(*conn));
    if (!conn)
        return err_set(HV_ENOMEM, "connection %s: out of memory", real);
    conn->domains_fd = conn->names_fd = -1;
    pthread_mutex_init(&conn->cache_lock, NULL);
    core = getenv("HVCORE_PATH");
    conn->rundir = strdup(real);
    conn->hvcore_path = strdup(core && *core ? core : HVCORE_INSTALL_PATH);
    if (!conn->rundir || !conn->hvcore_path) {
        rc = err_set(HV_ENOMEM, "connection %s: out of memory", real);
        goto fail;
    }
    if ((rc = open_subdir(real, "domains", &conn->domains_fd)) ||
        (rc = open_subdir(real, "names", &conn->names_fd)))
        goto fail;
    *out = conn;
    return 0;
fail:
    hv_conn_free(conn);
    return rc;
}

HV_EXPORT void hv_conn_free(hv_conn *conn)
{
    if (!conn)
        return;
    if (conn->domains_fd >= 0)
        close(conn->domains_fd);
    if (conn->names_fd >= 0)
        close(conn->names_fd);
    for (size_t i = 0; i < conn->ncache; i++)
        close(conn->cache[i].fd);
    free(conn->cache);
    pthread_mutex_destroy(&conn->cache_lock);
    free(conn->rundir);
    free(conn->hvcore_path);
    free(conn);
}

HV_EXPORT const char *hv_conn_get_rundir(const hv_conn *conn)
{
    return conn ? conn->rundir : NULL;
}
