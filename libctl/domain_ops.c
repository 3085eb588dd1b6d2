/*
 * domain_ops.c - what can be done to a domain: info, pause, unpause,
 * shutdown (and waiting for it), reboot, destroy, memory target, console.
 * Each is one domctl request (domain.c: dom_call) plus the words for its
 * failures.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "domain_int.h"
#include "drv_direct.h"
#include "op.h"
#include "public/errno.h"
#include "public/shared_info.h"

#define DOM_FMT "domain '%s' (id %u)"
#define DOM_ARGS(d) (d)->name, (d)->domid

#define CHECK_DOM(dom)                                                       \
    do {                                                                     \
        if (!(dom))                                                          \
            return err_set(HV_EINVAL, "domain: NULL handle");                \
    } while (0)

/* A non-zero reply status as a message. */
static int status_err(hv_domain *dom, int32_t status, const char *verb)
{
    if (-status == HVE_BUSY)
        return err_set(HV_ESTATE, DOM_FMT ": cannot %s: the domain is "
                       "crashed or shutting down", DOM_ARGS(dom), verb);
    if (-status == HVE_NOSPC)
        return err_set(HV_EIO, DOM_FMT ": cannot %s: hvcore has no free "
                       "slot", DOM_ARGS(dom), verb);
    return err_set(ctl_status_to_hv(status), DOM_FMT ": cannot %s: %s",
                   DOM_ARGS(dom), verb, strerror(-status));
}

/* dom_call, then turn a non-zero reply status into a message. */
static int request(hv_domain *dom, uint32_t cmd, const struct hv_domctl *args,
                   struct hv_domctl_reply *reply, int *fd, const char *verb)
{
    int rc = dom_call(dom, cmd, args, reply, fd);

    if (rc)
        return rc;
    if (reply->status && fd && *fd >= 0) {
        close(*fd);
        *fd = -1;
    }
    return reply->status ? status_err(dom, reply->status, verb) : 0;
}

int direct_get_info(hv_domain *dom, hv_domain_info **out)
{
    struct hv_domctl_reply reply;
    int rc;

    if ((rc = request(dom, HV_DOMCTL_getinfo, NULL, &reply, NULL, "get info")))
        return rc;
    *out = malloc(sizeof(**out));
    if (!*out)
        return err_set(HV_ENOMEM, DOM_FMT ": out of memory", DOM_ARGS(dom));
    info_from_wire(*out, &reply.u.info);
    return 0;
}

static int pause_op(hv_domain *dom, bool pause)
{
    struct hv_domctl_reply reply;
    int rc;

    CHECK_DOM(dom);
    rc = dom_call(dom, pause ? HV_DOMCTL_pause : HV_DOMCTL_unpause, NULL,
                  &reply, NULL);
    if (rc)
        return rc;
    if (-reply.status == HVE_ALREADY)
        return err_set(HV_ESTATE, pause ? DOM_FMT ": already paused"
                                        : DOM_FMT ": not paused",
                       DOM_ARGS(dom));
    if (reply.status)
        return status_err(dom, reply.status, pause ? "pause" : "unpause");
    return 0;
}

int direct_pause(hv_domain *dom, bool pause)
{
    return pause_op(dom, pause);
}

/* PAUSED_HINT: what a shutdown that timed out on a paused guest adds. */
#define PAUSED_HINT ": it is paused, so the guest cannot act on the " \
                    "request (unpause it, or use destroy)"

/*
 * A shutdown wait ran out.  A paused guest is the usual reason, and one
 * the user can act on: say so (the request still stands).
 */
static int timed_out(hv_domain *dom, int timeout_ms)
{
    struct hv_domctl_reply reply;
    bool paused = request(dom, HV_DOMCTL_getinfo, NULL, &reply, NULL,
                          "get its state") == 0 &&
                  reply.u.info.state == HV_DOMSTATE_paused;

    return err_set(HV_ETIMEDOUT, DOM_FMT ": still running after %d ms%s",
                   DOM_ARGS(dom), timeout_ms, paused ? PAUSED_HINT : "");
}

/*
 * Wait on an event stream until hvcore closes it (it exits) or, for a
 * crash with on_crash=preserve, reports the crash.  0, HV_ETIMEDOUT or
 * HV_ECANCELED.
 */
static int wait_stream_end(hv_domain *dom, int sub, int timeout_ms,
                           const hv_op *op)
{
    uint64_t deadline = timeout_ms > 0
        ? now_mono_ns() + (uint64_t)timeout_ms * 1000000 : 0;

    for (;;) {
        struct pollfd p[2] = { { .fd = sub, .events = POLLIN },
                               { .fd = op_cancel_fd(op), .events = POLLIN } };
        struct hv_domctl_event ev;
        int wait = -1, r;
        ssize_t n;

        if (deadline) {
            uint64_t now = now_mono_ns();
            if (now >= deadline)
                return timed_out(dom, timeout_ms);
            wait = (int)((deadline - now + 999999) / 1000000);
        }
        r = poll(p, op ? 2 : 1, wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return err_sys(HV_EIO, errno, DOM_FMT ": poll", DOM_ARGS(dom));
        if (op && (p[1].revents & POLLIN))
            return err_set(HV_ECANCELED, DOM_FMT ": wait cancelled",
                           DOM_ARGS(dom));
        if (!p[0].revents)
            continue;
        n = recv(sub, &ev, sizeof(ev), MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (n <= 0)
            return 0;           /* end of stream: hvcore has exited */
        if (n == (ssize_t)sizeof(ev) && ev.type == HV_EVENT_crashed)
            op_progress(op, "the guest crashed", -1);
        if (n == (ssize_t)sizeof(ev) && ev.type == HV_EVENT_shutdown)
            op_progress(op, "the guest powered off", 1);
    }
}

static int shutdown_request(hv_domain *dom, uint32_t reason, const char *verb)
{
    struct hv_domctl args;
    struct hv_domctl_reply reply;

    memset(&args, 0, sizeof(args));
    args.u.shutdown.reason = reason;
    return request(dom, HV_DOMCTL_shutdown, &args, &reply, NULL, verb);
}

int direct_shutdown(hv_domain *dom, int timeout_ms, unsigned flags, hv_op *op)
{
    struct hv_domctl_reply reply;
    int sub = -1, rc;

    (void)flags;
    /* Subscribe before asking, so that the end cannot be missed. */
    if (timeout_ms != 0 &&
        (rc = request(dom, HV_DOMCTL_subscribe, NULL, &reply, &sub,
                      "subscribe to events")))
        return rc;
    if (timeout_ms != 0 && sub < 0)
        return err_set(HV_EPROTO, DOM_FMT ": hvcore sent no event stream",
                       DOM_ARGS(dom));
    op_progress(op, "asking the guest to power off", 0);
    rc = shutdown_request(dom, SHUTDOWN_REQUEST_poweroff, "shut down");
    if (rc == 0 && timeout_ms != 0) {
        op_progress(op, "waiting for the guest to power off", -1);
        rc = wait_stream_end(dom, sub, timeout_ms, op);
    }
    if (sub >= 0)
        close(sub);
    if (rc == 0)
        op_progress(op, "done", 1);
    return rc;
}

int direct_reboot(hv_domain *dom)
{
    return shutdown_request(dom, SHUTDOWN_REQUEST_reboot, "reboot");
}

int direct_destroy(hv_domain *dom)
{
    struct hv_domctl_reply reply;
    char name[64];
    bool sent = false;
    int rc;

    CHECK_DOM(dom);
    memset(&reply, 0, sizeof(reply));
    rc = dom_call_sent(dom, HV_DOMCTL_destroy, NULL, &reply, NULL, &sent);
    /*
     * hvcore may exit before its reply reaches us; if it was alive when
     * we sent the request, that is success.  (A domain that had already
     * ended gives HV_ENOENT from the connect, before anything is sent.)
     */
    if (rc == HV_ENOENT && sent)
        rc = 0;
    if (rc)
        return rc;
    if (reply.status)
        return status_err(dom, reply.status, "destroy");
    /* Return only once the name and domid are free again. */
    if (dom->pid > 0 && rt_wait_exit(dom->pid, DOMCTL_TIMEOUT_MS) < 0)
        return err_set(HV_ETIMEDOUT, DOM_FMT ": hvcore (pid %d) did not exit "
                       "within %d ms", DOM_ARGS(dom), (int)dom->pid,
                       DOMCTL_TIMEOUT_MS);
    if (dom->pid > 0 && rt_read_pid(dom->conn, dom->domid) == dom->pid)
        rt_reap(dom->conn, dom->domid, dom->pid, name);
    pthread_mutex_lock(&dom->lock);
    if (dom->ctl_fd >= 0) {
        close(dom->ctl_fd);
        dom->ctl_fd = -1;
    }
    pthread_mutex_unlock(&dom->lock);
    err_clear();
    return 0;
}

int direct_set_memory(hv_domain *dom, uint64_t target_mib, unsigned flags)
{
    struct hv_domctl args;
    struct hv_domctl_reply reply;
    int rc;

    (void)flags;
    if (target_mib == 0 || target_mib > (UINT64_MAX >> 10))
        return err_set(HV_EINVAL, DOM_FMT ": memory target %llu MiB is out "
                       "of range", DOM_ARGS(dom),
                       (unsigned long long)target_mib);
    memset(&args, 0, sizeof(args));
    args.u.mem.target_kib = target_mib << 10;
    rc = dom_call(dom, HV_DOMCTL_set_mem_target, &args, &reply, NULL);
    if (rc)
        return rc;
    if (-reply.status == HVE_INVAL || -reply.status == HVE_RANGE) {
        /* Name the maximum, so the caller knows what would do. */
        if (dom_call(dom, HV_DOMCTL_getinfo, NULL, &reply, NULL) == 0 &&
            reply.status == 0 && reply.u.info.mem_max_kib >= 1024)
            return err_set(HV_EINVAL, DOM_FMT ": memory target %llu MiB is "
                           "out of range (1 to %llu MiB, the maximum "
                           "memory)", DOM_ARGS(dom),
                           (unsigned long long)target_mib,
                           (unsigned long long)(reply.u.info.mem_max_kib >>
                                                10));
        return err_set(HV_EINVAL, DOM_FMT ": memory target %llu MiB is out "
                       "of range (1 MiB to the maximum memory)",
                       DOM_ARGS(dom), (unsigned long long)target_mib);
    }
    if (reply.status)
        return status_err(dom, reply.status, "set the memory target");
    return 0;
}

int direct_console_open(hv_domain *dom, int *fd)
{
    struct hv_domctl_reply reply;
    int rc;

    if ((rc = request(dom, HV_DOMCTL_console_attach, NULL, &reply, fd,
                      "attach to the console")))
        return rc;
    if (*fd < 0)
        return err_set(HV_EPROTO, DOM_FMT ": hvcore sent no console fd",
                       DOM_ARGS(dom));
    return 0;
}
