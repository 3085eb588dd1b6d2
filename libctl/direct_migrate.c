/*
 * direct_migrate.c - the direct driver's migration: to another runtime
 * directory of this host (another "host" on one machine), hvcore to
 * hvcore over a socketpair.
 *
 *   1. open the destination connection (a direct one);
 *   2. socketpair; start hvcore --incoming there with one end (it is
 *      "ready" as soon as it receives: paused, xfer RECEIVING);
 *   3. hand the other end to the source hvcore with domctl migrate_send,
 *      relay its progress to the hv_op, send xfer_cancel on cancel;
 *   4. decide from the outcome which copy runs.
 *
 * The rule: exactly one copy runs at every instant and nothing is lost.
 * hvcore's handshake (stream.h: READY, GO, RUNNING) keeps it while both
 * ends live; this file keeps it when the session ends otherwise:
 *
 *   final 0                 the destination runs; the source exits
 *                           MIGRATED (waited for, so the name is free).
 *   final -HVE_* (not INPROGRESS), refusal, cancel
 *                           the source runs on; whatever is left of the
 *                           destination (never running) is destroyed.
 *   final -HVE_INPROGRESS   the connection broke after GO; the source
 *                           waits paused: settle() asks the destination.
 *   no final reply          the source hvcore died (or hung up): settle()
 *                           makes the destination run if it can.
 */
#include <errno.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "direct_xfer.h"
#include "drv_direct.h"
#include "op.h"
#include "public/errno.h"

/* How often to look at a destination that is still receiving. */
#define SETTLE_POLL_NS 5000000L

struct mig {
    hv_domain *dom;             /* the source                              */
    hv_conn *dc;                /* the destination connection              */
    const char *uri;            /* dc's canonical URI, for messages        */
    uint32_t ddomid;            /* the destination hvcore's domain         */
    pid_t dpid;
    char what[100];             /* "migration of 'web'"                    */
};

enum dest_state { DEST_GONE, DEST_RUNNING, DEST_UNDECIDED };

/* A handle on the destination's domain (for unpause and destroy). */
static int dest_handle(struct mig *m, hv_domain **out)
{
    int rc = dom_new(m->dc, m->dom->name, m->dom->uuid, m->ddomid, out);

    if (rc == 0)
        (*out)->pid = m->dpid;
    return rc;
}

/* Remove the destination's entry if its hvcore is dead. */
static void dest_reap(struct mig *m)
{
    char name[64];
    pid_t pid = 0;

    if (rt_domain_alive(m->dc, m->ddomid, &pid) == 0 && pid == m->dpid)
        rt_reap(m->dc, m->ddomid, pid, name);
}

/*
 * Where the destination stands, once it is no longer receiving (a
 * receiver whose sender has gone sees the end of its stream and exits;
 * SPAWN_TIMEOUT_MS bounds a hung one, which then counts as undecided).
 */
static enum dest_state dest_settle(struct mig *m)
{
    uint64_t deadline = now_mono_ns() + (uint64_t)SPAWN_TIMEOUT_MS * 1000000;

    for (;;) {
        struct hv_domctl_info info;
        int rc = query_info(m->dc, m->ddomid, &info);

        if (rc == 0 && info.pid != m->dpid)
            return DEST_GONE;           /* another domain took the domid */
        if (rc < 0 && rc != -ETIMEDOUT) {
            if (rt_domain_alive_after_hangup(m->dc, m->ddomid, NULL) != 1) {
                dest_reap(m);
                return DEST_GONE;
            }
        } else if (rc == 0 && info.xfer == HV_XFER_STATE_UNDECIDED) {
            return DEST_UNDECIDED;
        } else if (rc == 0 && info.xfer == HV_XFER_STATE_NONE &&
                   (info.state == HV_DOMSTATE_running ||
                    info.state == HV_DOMSTATE_paused)) {
            return DEST_RUNNING;
        }
        if (now_mono_ns() >= deadline)
            return DEST_UNDECIDED;
        nanosleep(&(struct timespec){ .tv_nsec = SETTLE_POLL_NS }, NULL);
    }
}

/*
 * Destroy the destination's copy (never running: the source runs).  One
 * that has not received the DOMAIN record has no control socket yet: it
 * sees the end of its stream (the source closed its end) and exits by
 * itself; one that does not within DOMCTL_TIMEOUT_MS is killed, as
 * spawn.c kills an hvcore that did not start.
 */
static void dest_destroy(struct mig *m)
{
    hv_domain *dd;

    if (m->dpid <= 0)
        return;
    if (rt_read_pid(m->dc, m->ddomid) == m->dpid &&
        dest_handle(m, &dd) == 0) {
        direct_destroy(dd);
        hv_domain_free(dd);
    }
    if (rt_wait_exit(m->dpid, DOMCTL_TIMEOUT_MS) < 0) {
        kill(m->dpid, SIGKILL);
        rt_wait_exit(m->dpid, DOMCTL_TIMEOUT_MS);
    }
    dest_reap(m);
}

/* Unpause a copy that waits undecided (HV_ESTATE: it runs already). */
static int take_over(hv_domain *d)
{
    int rc = direct_pause(d, false);

    return rc == HV_ESTATE ? 0 : rc;
}

/* "died" when its runtime entry is left (killed), else "exited". */
static const char *how_ended(const hv_conn *conn, uint32_t domid, pid_t pid)
{
    return rt_read_pid(conn, domid) == pid ? "died" : "exited";
}

/*
 * The session ended without a final answer that says it all: GO may
 * have been sent (-HVE_INPROGRESS), or the source hvcore went away
 * (src_alive false).  Make exactly one copy run.
 */
static int settle(struct mig *m, bool src_alive)
{
    hv_domain *dom = m->dom, *dd = NULL;
    enum dest_state ds = dest_settle(m);
    int rc;

    if (ds == DEST_RUNNING) {
        if (src_alive)
            direct_destroy(dom);
        xfer_wait_gone(dom);
        err_clear();
        return 0;
    }
    if (ds == DEST_UNDECIDED && !src_alive) {
        if ((rc = dest_handle(m, &dd)) == 0)
            rc = take_over(dd);
        hv_domain_free(dd);
        if (rc)
            return err_set(rc, "%s: the source hvcore (pid %d) died and the "
                           "destination cannot be made to run: %s", m->what,
                           (int)dom->pid, hv_last_error());
        xfer_wait_gone(dom);
        err_clear();
        return 0;
    }
    if (ds == DEST_UNDECIDED)
        dest_destroy(m);
    if (src_alive) {
        if ((rc = take_over(dom)))
            return err_set(rc, "%s failed: the connection broke at the end "
                           "and the source cannot be resumed: %s", m->what,
                           hv_last_error());
        return err_set(HV_EIO, "%s failed: the connection broke before the "
                       "destination ran it; it runs on here", m->what);
    }
    {
        const char *src_end = how_ended(dom->conn, dom->domid, dom->pid);
        xfer_wait_gone(dom);
        return err_set(HV_EDEAD, "%s lost the domain: the source hvcore "
                       "(pid %d) %s and the destination hvcore (pid %d) "
                       "exited without running it", m->what, (int)dom->pid,
                       src_end, (int)m->dpid);
    }
}

/*
 * Start hvcore --incoming on the destination with sock.  It makes the
 * guest's memory before it says it is ready (--reserve, the source's
 * size), so that fresh pages are not paid for while the stream flows.
 */
static int start_receiver(struct mig *m, int sock, unsigned flags)
{
    char what[PATH_MAX];
    struct spawn_req req = {
        .what = what, .name = m->dom->name, .uuid = m->dom->uuid,
        .incoming = sock,
        .flags = flags & HV_MIGRATE_PAUSED ? SPAWN_PAUSED : 0,
    };
    struct hv_domctl_info info;
    pid_t fg = -1;
    int rc;

    if (query_info(m->dom->conn, m->dom->domid, &info) == 0 &&
        info.pid == m->dom->pid)
        req.reserve_mib = info.mem_max_kib >> 10;

    snprintf(what, sizeof(what), "%s failed: %s", m->what, m->uri);
    if ((rc = conn_make_rundir(m->dc)))
        return rc;
    rc = spawn_start(m->dc, &req, &m->ddomid, &fg);
    if (rc == HV_EEXIST)
        return err_set(rc, "%s failed: the name is in use on %s; it runs on "
                       "here", m->what, m->uri);
    if (rc) {
        char why[512];
        snprintf(why, sizeof(why), "%s", hv_last_error());
        return err_set(rc, "%s; it runs on here", why);
    }
    /* The foreground hvcore has exited by now (--detach). */
    spawn_reap(fg);
    m->dpid = rt_read_pid(m->dc, m->ddomid);
    return 0;
}

/* Open dest_uri: a direct connection to another runtime directory. */
static int open_dest(struct mig *m, const char *dest_uri)
{
    char why[512];
    int rc;

    if ((rc = hv_conn_open_uri(dest_uri, 0, &m->dc))) {
        snprintf(why, sizeof(why), "%s", hv_last_error());
        /* why names the URI already, without its token (conn_uri.c);
         * dest_uri itself may carry one. */
        return err_set(rc, "%s: %s", m->what, why);
    }
    m->uri = hv_conn_get_uri(m->dc);
    if (strcmp(hv_conn_get_driver(m->dc), "direct") != 0)
        return err_set(HV_ENOTSUP, "%s to %s: a direct connection migrates "
                       "to another direct connection only (between hosts, "
                       "migrate through hvctld: hvctl -c unix:///PATH migrate)",
                       m->what, m->uri);
    if (strcmp(m->dc->rundir, m->dom->conn->rundir) == 0)
        return err_set(HV_EINVAL, "%s to %s: it runs in that runtime "
                       "directory already", m->what, m->uri);
    return 0;
}

int direct_migrate(hv_domain *dom, const char *dest_uri,
                   const struct hv_migrate_params *p, hv_op *op)
{
    struct mig m = { .dom = dom };
    struct hv_domctl_xfer x;
    struct xfer_outcome o;
    int sv[2] = { -1, -1 }, rc;

    snprintf(m.what, sizeof(m.what), "migration of '%s'", dom->name);
    if (p->flags & (HV_MIGRATE_PERSIST | HV_MIGRATE_UNDEFINE_SOURCE))
        return err_set(HV_ENOTSUP, "%s: %s needs hvctld on both hosts (a "
                       "direct connection has no definitions)", m.what,
                       p->flags & HV_MIGRATE_PERSIST ? "persisting it on the "
                       "destination" : "undefining it on the source");
    if ((rc = open_dest(&m, dest_uri)))
        goto out;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        rc = err_sys(HV_EIO, errno, "%s: socketpair", m.what);
        goto out;
    }
    op_progress(op, "starting the destination", 0);
    rc = start_receiver(&m, sv[1], p->flags);
    close(sv[1]);
    sv[1] = -1;
    if (rc)
        goto out;

    memset(&x, 0, sizeof(x));
    x.flags = p->flags & HV_MIGRATE_LIVE ? HV_XFER_LIVE : 0;
    x.max_downtime_ms = p->max_downtime_ms;
    x.bandwidth_bps = p->bandwidth_mib << 20;
    x.max_iterations = p->max_iterations;
    rc = xfer_run(dom, HV_DOMCTL_migrate_send, &x, sv[0], op, &o);
    sv[0] = -1;                 /* xfer_run closed it */
    if (rc) {
        /* The source could not be asked: it keeps whatever it has. */
        dest_destroy(&m);
        goto out;
    }
    if (!o.final && (o.started || o.conn_err)) {
        /* No answer: did the source hvcore die, or only hang up? */
        bool alive = rt_domain_alive_after_hangup(dom->conn, dom->domid,
                                                  NULL) == 1;
        rc = settle(&m, alive);
    } else if (o.status == 0) {
        xfer_wait_gone(dom);
        op_progress(op, "done", 1);
        err_clear();
        rc = 0;
    } else if (o.status == -HVE_INPROGRESS) {
        rc = settle(&m, true);
    } else {
        dest_destroy(&m);
        if (o.status == -HVE_CANCELED)
            rc = err_set(HV_ECANCELED, "%s cancelled: it runs on here",
                         m.what);
        else
            rc = err_set(xfer_status_to_hv(o.status), "%s failed: %s; it "
                         "runs on here", m.what, xfer_message(&o));
    }
out:
    for (int i = 0; i < 2; i++)
        if (sv[i] >= 0)
            close(sv[i]);
    hv_conn_free(m.dc);
    return rc;
}
