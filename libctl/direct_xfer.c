/*
 * direct_xfer.c - one save or migrate_send session with an hvcore
 * (domctl.h, minor 3): the request goes with the file or socket as
 * SCM_RIGHTS on a connection of its own, which then carries hvcore's
 * "started" reply, its progress replies and one final reply, and nothing
 * else but our xfer_cancel.  Hanging up cancels too, so the connection is
 * never the handle's shared one.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "direct_xfer.h"
#include "op.h"
#include "public/errno.h"

#define DOM_FMT "domain '%s' (id %u)"
#define DOM_ARGS(d) (d)->name, (d)->domid

int xfer_status_to_hv(int32_t status)
{
    switch (-status) {
    case HVE_CANCELED: return HV_ECANCELED;
    case HVE_BUSY:     return HV_ESTATE;
    case HVE_NOSYS:    return HV_ENOTSUP;
    case HVE_PROTO:    return HV_ESTREAM;
    default:           return ctl_status_to_hv(status);
    }
}

const char *xfer_message(const struct xfer_outcome *o)
{
    if (o->result.message[0])
        return o->result.message;
    switch (-o->status) {
    case HVE_BUSY:     return "another save or migration of it is running";
    case HVE_NOSYS:    return "its hvcore is too old to save or migrate";
    case HVE_CANCELED: return "cancelled";
    default:           return strerror(-o->status);
    }
}

static const char *phase_step(uint32_t phase, char *buf, size_t len,
                              uint32_t iteration)
{
    switch (phase) {
    case HV_XFER_PHASE_SETUP:
        return "setting up";
    case HV_XFER_PHASE_PRECOPY:
        snprintf(buf, len, "copying memory (round %u)", iteration);
        return buf;
    case HV_XFER_PHASE_FINAL:
        return "final round (paused)";
    case HV_XFER_PHASE_HANDSHAKE:
        return "waiting for the destination";
    default:
        return "transferring";
    }
}

static void relay_progress(hv_op *op, const struct hv_domctl_progress *p)
{
    uint64_t done = p->bytes_sent, left = p->bytes_remaining;
    char buf[48];

    if (!op)
        return;
    op_set_figure(op, HV_OP_PHASE, p->phase);
    op_set_figure(op, HV_OP_ITERATION, p->iteration);
    op_set_figure(op, HV_OP_BYTES_SENT, p->bytes_sent);
    op_set_figure(op, HV_OP_BYTES_REMAINING, p->bytes_remaining);
    op_set_figure(op, HV_OP_BYTES_TOTAL, p->bytes_total);
    op_set_figure(op, HV_OP_DIRTY_RATE_BPS, p->dirty_rate_bps);
    op_set_figure(op, HV_OP_BANDWIDTH_BPS, p->bandwidth_bps);
    op_set_figure(op, HV_OP_EXPECTED_DOWNTIME_NS, p->expected_downtime_ns);
    op_progress(op, phase_step(p->phase, buf, sizeof(buf), p->iteration),
                done + left ? (double)done / (double)(done + left) : -1);
}

void xfer_figures(hv_op *op, const struct xfer_outcome *o)
{
    if (!op || !o->final)
        return;
    op_set_figure(op, HV_OP_BYTES_SENT, o->result.bytes_sent);
    op_set_figure(op, HV_OP_TOTAL_NS, o->result.total_ns);
    op_set_figure(op, HV_OP_DOWNTIME_NS, o->result.downtime_ns);
    op_set_figure(op, HV_OP_ITERATIONS, o->result.iterations);
}

/* A connection to dom's own hvcore (not another that took its domid). */
static int connect_own(hv_domain *dom)
{
    char what[100];
    int fd;

    snprintf(what, sizeof(what), DOM_FMT, DOM_ARGS(dom));
    if (rt_read_pid(dom->conn, dom->domid) != dom->pid)
        return err_set(HV_ENOENT, "%s: the domain has ended", what);
    fd = ctl_connect(dom->conn, dom->domid);
    if (fd == -ENOENT || fd == -ECONNREFUSED)
        return dom_gone(dom->conn, dom->domid, dom->pid, what);
    if (fd < 0)
        return err_sys(err_from_errno(-fd), -fd, "%s: cannot connect to "
                       "hvcore", what);
    return fd;
}

int xfer_run(hv_domain *dom, uint32_t cmd, const struct hv_domctl_xfer *x,
             int fd, hv_op *op, struct xfer_outcome *out)
{
    struct hv_domctl req;
    struct hv_domctl_reply reply;
    uint64_t deadline = now_mono_ns() + (uint64_t)DOMCTL_TIMEOUT_MS * 1000000;
    const uint32_t seq = 1;
    int ctl, rc = 0;

    memset(out, 0, sizeof(*out));
    if ((ctl = connect_own(dom)) < 0) {
        close(fd);
        return ctl;
    }
    ctl_req_init(&req, cmd, dom->domid, seq);
    req.u.xfer = *x;
    rc = ctl_send_fd(ctl, &req, fd);
    /* hvcore has its own copy now: ours must not keep a migration
     * socket open after hvcore is gone, or the receiver would wait. */
    close(fd);
    if (rc < 0) {
        rc = err_sys(HV_EIO, -rc, DOM_FMT ": domctl", DOM_ARGS(dom));
        goto out;
    }
    for (;;) {
        struct pollfd p[2] = {
            { .fd = ctl, .events = POLLIN },
            { .fd = op_cancel_fd(op), .events = POLLIN },
        };
        nfds_t n = op && !out->cancel_sent ? 2 : 1;
        int wait = -1, r;

        if (!out->started) {
            uint64_t now = now_mono_ns();
            if (now >= deadline) {
                rc = err_set(HV_ETIMEDOUT, DOM_FMT ": hvcore did not answer "
                             "within %d ms", DOM_ARGS(dom), DOMCTL_TIMEOUT_MS);
                goto out;
            }
            wait = (int)((deadline - now) / 1000000) + 1;
        }
        r = poll(p, n, wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = err_sys(HV_EIO, errno, DOM_FMT ": poll", DOM_ARGS(dom));
            goto out;
        }
        if (n == 2 && (p[1].revents & POLLIN)) {
            /* Answered by the final reply only; seq is the request's. */
            ctl_req_init(&req, HV_DOMCTL_xfer_cancel, dom->domid, seq);
            ctl_send(ctl, &req);
            out->cancel_sent = true;
        }
        if (!p[0].revents)
            continue;
        r = ctl_recv(ctl, seq, &reply, NULL);
        if (r == -ETIMEDOUT)
            continue;
        if (r < 0) {
            out->conn_err = r;
            goto out;
        }
        if (!out->started && reply.status == 0) {
            out->started = true;
            continue;
        }
        if (out->started && reply.status == HV_DOMCTL_PROGRESS) {
            relay_progress(op, &reply.u.progress);
            continue;
        }
        out->status = reply.status;
        out->result = reply.u.result;
        out->result.message[sizeof(out->result.message) - 1] = '\0';
        /* One line, whatever it held. */
        for (char *c = out->result.message; *c; c++)
            if ((unsigned char)*c < ' ')
                *c = ' ';
        out->final = out->started;
        goto out;
    }
out:
    close(ctl);
    xfer_figures(op, out);
    return rc;
}
