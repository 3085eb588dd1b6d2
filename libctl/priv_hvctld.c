/*
 * priv_hvctld.c - see priv_hvctld.h: hvctld's private entries, thin
 * wrappers over what the direct driver uses (spawn.c, direct_xfer.c)
 * and the agent driver's one request (drv_agent.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_int.h"
#include "direct_xfer.h"
#include "priv_hvctld.h"
#include "public/errno.h"

HV_EXPORT int hv_priv_incoming_start(hv_conn *conn, const char *name,
                                     const char *uuid, int sock,
                                     unsigned flags, uint64_t reserve_mib,
                                     hv_domain **out)
{
    char what[128];
    struct spawn_req req = {
        .what = what, .name = name, .uuid = uuid, .incoming = sock,
        .flags = flags & HV_MIGRATE_PAUSED ? SPAWN_PAUSED : 0,
        .reserve_mib = reserve_mib,
    };
    uint32_t domid;
    pid_t fg = -1;
    int rc;

    *out = NULL;
    if (!conn || strcmp(conn->drv->name, "direct") != 0)
        return err_set(HV_EINVAL, "incoming domain: needs a direct "
                       "connection");
    snprintf(what, sizeof(what), "incoming domain '%s'", name);
    if ((rc = conn_make_rundir(conn)) ||
        (rc = spawn_start(conn, &req, &domid, &fg)))
        goto out;
    if ((rc = dom_new(conn, name, uuid, domid, out)) == 0)
        (*out)->pid = rt_read_pid(conn, domid);
out:
    spawn_reap(fg);
    return rc;
}

HV_EXPORT int hv_priv_migrate_send(hv_domain *dom, int fd,
                                   const hv_migrate_params *p, hv_op *op,
                                   enum hv_priv_move *move, int *status,
                                   char *msg, size_t msglen)
{
    struct hv_domctl_xfer x;
    struct xfer_outcome o;
    int rc;

    msg[0] = '\0';
    *status = 0;
    memset(&x, 0, sizeof(x));
    x.flags = p->flags & HV_MIGRATE_LIVE ? HV_XFER_LIVE : 0;
    x.max_downtime_ms = p->max_downtime_ms;
    x.bandwidth_bps = p->bandwidth_mib << 20;
    x.max_iterations = p->max_iterations;
    if ((rc = xfer_run(dom, HV_DOMCTL_migrate_send, &x, fd, op, &o)))
        return rc;
    *status = o.final || !o.started ? o.status : 0;
    if (!o.final && (o.started || o.conn_err)) {
        /* No final word: did the source hvcore die, or only hang up? */
        *move = rt_domain_alive_after_hangup(dom->conn, dom->domid,
                                             NULL) == 1
                ? HV_PRIV_UNDECIDED : HV_PRIV_SOURCE_GONE;
    } else if (o.status == 0) {
        *move = HV_PRIV_MOVED;
    } else if (o.status == -HVE_INPROGRESS) {
        *move = HV_PRIV_UNDECIDED;
    } else {
        *move = HV_PRIV_STAYED;
        snprintf(msg, msglen, "%s", xfer_message(&o));
    }
    err_clear();
    return 0;
}

HV_EXPORT int hv_priv_xfer_state(hv_domain *dom, int *xfer, int *state)
{
    struct hv_domctl_info info;
    struct hv_domain_info di;
    int rc;

    if (rt_read_pid(dom->conn, dom->domid) != dom->pid)
        return err_set(HV_ENOENT, "domain '%s': it has ended", dom->name);
    rc = query_info(dom->conn, dom->domid, &info);
    if (rc == -ENOENT || rc == -ECONNREFUSED)
        return err_set(HV_EAGAIN, "domain '%s': no control socket yet",
                       dom->name);
    if (rc < 0)
        return err_sys(err_from_errno(-rc), -rc, "domain '%s'", dom->name);
    info_from_wire(&di, &info);
    *xfer = (int)info.xfer;
    *state = hv_domain_info_get_state(&di);
    return 0;
}

HV_EXPORT void hv_priv_wait_gone(hv_domain *dom)
{
    xfer_wait_gone(dom);
}

HV_EXPORT int hv_priv_agent_request(hv_conn *conn, const char *method,
                                    const char *path, const char *json,
                                    int timeout_ms, long *status,
                                    char **body)
{
    struct ht_response r;
    int rc;

    *body = NULL;
    *status = 0;
    if (!conn || strcmp(conn->drv->name, "agent") != 0)
        return err_set(HV_EINVAL, "%s %s: needs an agent connection",
                       method, path);
    if ((rc = agent_call_within(conn, method, path, json,
                                json ? "application/json" : NULL, NULL,
                                timeout_ms, &r)))
        return rc;
    *status = r.status;
    *body = r.body;
    r.body = NULL;
    ht_response_free(&r);
    return 0;
}
