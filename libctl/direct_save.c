/*
 * direct_save.c - the direct driver's save (domctl save into a file of
 * ours) and restore (hvcore --restore FILE).
 *
 * A save writes "<path>.tmp", made with O_EXCL next to the target, and
 * renames it over the target only once hvcore said the stream is complete
 * and it is synced: a failed save leaves neither a partial file nor a
 * damaged old one.  Once hvcore has said so, the domain has left (unless
 * it was a checkpoint), so from there on nothing may delete the stream:
 * a rename that fails leaves the complete "<path>.tmp" and says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "direct_xfer.h"
#include "drv_direct.h"
#include "op.h"
#include "public/errno.h"
#include "public/stream.h"

#define DOM_FMT "domain '%s' (id %u)"
#define DOM_ARGS(d) (d)->name, (d)->domid

/* fsync the directory holding path, so that the rename is on disk. */
static void sync_dir_of(const char *path)
{
    char *copy = strdup(path);
    int fd;

    if (!copy)
        return;
    fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(copy);
}

/* The domain left its hvcore: wait for that hvcore to exit, so that the
 * name and domid are free when the call returns, as after a destroy. */
void xfer_wait_gone(hv_domain *dom)
{
    char name[64];

    if (dom->pid > 0 && rt_wait_exit(dom->pid, DOMCTL_TIMEOUT_MS) == 0 &&
        rt_read_pid(dom->conn, dom->domid) == dom->pid)
        rt_reap(dom->conn, dom->domid, dom->pid, name);
    pthread_mutex_lock(&dom->lock);
    if (dom->ctl_fd >= 0) {
        close(dom->ctl_fd);
        dom->ctl_fd = -1;
    }
    pthread_mutex_unlock(&dom->lock);
}

/* A session that ended without a final reply: what became of hvcore. */
static int save_broke(hv_domain *dom, const char *path)
{
    pid_t pid = 0;

    if (rt_domain_alive_after_hangup(dom->conn, dom->domid, &pid) == 0) {
        char name[64];
        if (pid == dom->pid)
            rt_reap(dom->conn, dom->domid, pid, name);
        return err_set(HV_EDEAD, DOM_FMT ": save to %s failed: its hvcore "
                       "(pid %d) died", DOM_ARGS(dom), path, (int)dom->pid);
    }
    return err_set(HV_EIO, DOM_FMT ": save to %s failed: hvcore closed the "
                   "connection; it runs on", DOM_ARGS(dom), path);
}

int direct_save(hv_domain *dom, const char *path, unsigned flags, hv_op *op)
{
    struct hv_domctl_xfer x;
    struct xfer_outcome o;
    char tmp[PATH_MAX];
    bool keep_tmp = false;
    int fd, rc;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
        return err_set(HV_EINVAL, DOM_FMT ": save to %s: the file name is "
                       "too long", DOM_ARGS(dom), path);
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST)
        return err_set(HV_EEXIST, DOM_FMT ": save to %s: %s exists (another "
                       "save to that file, or one that was interrupted, "
                       "which may hold a whole saved domain: restore it "
                       "or remove it)", DOM_ARGS(dom), path, tmp);
    if (fd < 0)
        return err_sys(err_from_errno(errno), errno, DOM_FMT ": save to %s: "
                       "cannot create %s", DOM_ARGS(dom), path, tmp);
    memset(&x, 0, sizeof(x));
    x.flags = flags & HV_SAVE_KEEP ? HV_XFER_KEEP : 0;
    op_progress(op, "saving", 0);
    /* xfer_run closes what it sends; ours stays for fsync. */
    {
        int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
        if (copy < 0) {
            rc = err_sys(HV_EIO, errno, DOM_FMT ": save to %s",
                         DOM_ARGS(dom), path);
            goto out;
        }
        if ((rc = xfer_run(dom, HV_DOMCTL_save, &x, copy, op, &o)))
            goto out;
    }
    /* Ended without an answer (a refusal has its status): never take
     * what is in the file for a complete stream. */
    if (!o.final && !o.status) {
        rc = save_broke(dom, path);
        goto out;
    }
    if (o.status == -HVE_CANCELED) {
        rc = err_set(HV_ECANCELED, DOM_FMT ": save to %s cancelled: it runs "
                     "on", DOM_ARGS(dom), path);
        goto out;
    }
    if (o.status) {
        rc = err_set(xfer_status_to_hv(o.status), DOM_FMT ": save to %s "
                     "failed: %s; it runs on", DOM_ARGS(dom), path,
                     xfer_message(&o));
        goto out;
    }
    /* Complete: from here on the stream is the domain (unless a
     * checkpoint), and only a checkpoint's may be thrown away. */
    keep_tmp = !(flags & HV_SAVE_KEEP);
    if (fsync(fd) < 0) {
        rc = err_sys(HV_EIO, errno, DOM_FMT ": save to %s: fsync of %s%s",
                     DOM_ARGS(dom), path, tmp, keep_tmp
                     ? " (the domain has left: its stream is there)" : "");
        goto out;
    }
    if (rename(tmp, path) < 0) {
        if (flags & HV_SAVE_KEEP)
            rc = err_sys(HV_EIO, errno, DOM_FMT ": save to %s: cannot "
                         "rename %s (it runs on)", DOM_ARGS(dom), path, tmp);
        else
            rc = err_sys(HV_EIO, errno, DOM_FMT ": save to %s: the domain "
                         "was saved to %s but cannot be renamed",
                         DOM_ARGS(dom), path, tmp);
        goto out;
    }
    keep_tmp = true;            /* it is `path` now */
    sync_dir_of(path);
    if (!(flags & HV_SAVE_KEEP))
        xfer_wait_gone(dom);
    op_progress(op, "done", 1);
    err_clear();
out:
    close(fd);
    if (!keep_tmp)
        unlink(tmp);
    return rc;
}

/*
 * The name and uuid a save file carries, for messages and events before
 * hvcore has read it (hvcore checks the whole file; this only names it).
 * "" when they cannot be read.
 */
static void stream_identity(const char *path, char name[64], char uuid[37])
{
    struct {
        struct hv_stream_header h;
        struct hv_stream_rec r;
        struct hv_rec_domain d;
    } buf;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? pread(fd, &buf, sizeof(buf), 0) : -1;
    bool ok = n == (ssize_t)sizeof(buf) &&
              memcmp(buf.h.magic, HV_STREAM_MAGIC, 8) == 0 &&
              buf.h.header_size == sizeof(buf.h) &&
              buf.r.type == HV_REC_DOMAIN &&
              memchr(buf.d.name, '\0', sizeof(buf.d.name)) && buf.d.name[0];

    name[0] = uuid[0] = '\0';
    if (fd >= 0)
        close(fd);
    for (const char *c = buf.d.name; ok && *c; c++)
        if ((unsigned char)*c <= ' ' || *c == '/' || *c == 0x7f)
            ok = false;
    if (!ok)
        return;
    snprintf(name, 64, "%s", buf.d.name);
    uuid_format(buf.d.uuid, uuid);
}

int direct_restore(hv_conn *conn, const char *path, unsigned flags,
                   hv_domain **out, hv_op *op)
{
    struct hv_domctl_info info;
    char what[PATH_MAX + 20], name[64], uuid[37];
    struct spawn_req req = { .what = what, .name = name, .uuid = uuid,
                             .incoming = -1 };
    uint32_t domid;
    pid_t fg = -1;
    char *abs;
    int rc;

    snprintf(what, sizeof(what), "restore from %s", path);
    if (!(abs = realpath(path, NULL)))
        return err_sys(errno == ENOENT ? HV_ENOENT : err_from_errno(errno),
                       errno, "%s", what);
    stream_identity(abs, name, uuid);
    req.restore = abs;
    req.flags = (flags & HV_RESTORE_PAUSED ? SPAWN_PAUSED : 0) |
                (flags & HV_RESTORE_VERIFY ? SPAWN_VERIFY : 0);
    op_progress(op, "restoring", -1);
    if ((rc = conn_make_rundir(conn)) ||
        (rc = spawn_start(conn, &req, &domid, &fg)))
        goto out;
    if (query_info(conn, domid, &info) == 0) {
        rc = dom_from_info(conn, &info, out);
    } else {
        /* Ended at once (a guest that powers off): a handle all the
         * same, as create gives, whose calls say it has ended. */
        rc = dom_new(conn, name, uuid, domid, out);
        if (rc == 0)
            (*out)->pid = rt_read_pid(conn, domid);
    }
    if (rc == 0) {
        op_progress(op, "done", 1);
        err_clear();
    }
out:
    spawn_reap(fg);
    free(abs);
    return rc;
}
