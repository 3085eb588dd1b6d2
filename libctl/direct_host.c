/*
 * direct_host.c - hv_conn_shutdown_all on the direct driver: ask every
 * domain in the runtime directory to power off at once, then wait for
 * all of them together, so the wait is the slowest guest's and not the
 * sum.  There is no autostart here to order by: that is the agent's
 * (hvctld's host shutdown).  The words of a failure are the agent's, so
 * that a caller sees the same whichever driver served it.
 *
 * Whether a domain has ended is read from the runtime directory (the
 * lock its hvcore holds for life), not asked of hvcore: a hung hvcore is
 * still running, and asking it would cost the domctl timeout each time.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_int.h"
#include "driver.h"
#include "op.h"

#define POLL_MS 20

struct member {
    uint32_t domid;
    pid_t pid;
    char name[64];
    bool asked, ended;
    int rc;                     /* why it could not be asked: the code */
    char msg[256];              /* ... and the message */
};

/*
 * Ask each domain of the runtime directory; those gone by now are left
 * out, and one that cannot be asked (a hung hvcore cannot even be looked
 * up) is kept with why, to be named rather than waited for.
 */
static int ask_all(hv_conn *conn, struct member **out, size_t *n)
{
    uint32_t *ids = NULL;
    size_t nids = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if ((rc = rt_list_domids(conn, &ids, &nids)))
        return rc;
    if (!(*out = calloc(nids + 1, sizeof(**out)))) {
        free(ids);
        return err_set(HV_ENOMEM, "host shutdown: out of memory");
    }
    for (size_t i = 0; i < nids; i++) {
        struct member *m = &(*out)[*n];
        hv_domain *d = NULL;
        m->domid = ids[i];
        rc = hv_domain_lookup_by_id(conn, ids[i], &d);
        if (rc == HV_ENOENT || rc == HV_EDEAD)
            continue;           /* ended, or never got going */
        if (rc == 0) {
            m->pid = d->pid;
            snprintf(m->name, sizeof(m->name), "%s", d->name);
            rc = hv_domain_shutdown(d, 0, 0, NULL);
            hv_domain_free(d);
        }
        /* A hung hvcore cannot even be looked up: it runs all the same. */
        m->asked = rc == 0;
        m->rc = rc;
        /* As hvctld words a hung hvcore, with the name the lookup lacked. */
        if (rc == HV_ETIMEDOUT && !m->name[0] &&
            rt_read_name(conn, ids[i], m->name) == 0)
            snprintf(m->msg, sizeof(m->msg), "domain '%s' (id %u): hvcore "
                     "did not answer within %d ms", m->name, ids[i],
                     DOMCTL_TIMEOUT_MS);
        else if (rc)
            snprintf(m->msg, sizeof(m->msg), "%s", hv_last_error());
        (*n)++;
    }
    free(ids);
    return 0;
}

/* Mark the asked ones that have ended; how many asked ones are left. */
static size_t still_running(const hv_conn *conn, struct member *m, size_t n)
{
    size_t left = 0;

    for (size_t i = 0; i < n; i++) {
        pid_t pid = 0;
        if (!m[i].asked || m[i].ended)
            continue;
        m[i].ended = rt_domain_alive(conn, m[i].domid, &pid) != 1 ||
                     pid != m[i].pid;
        left += !m[i].ended;
    }
    return left;
}

/*
 * The agent's words: at the deadline, the names still running; before
 * it (none left that was asked), why each of the others was not.
 */
static int failure(const struct member *m, size_t n, int timeout_ms,
                   bool deadline)
{
    char msg[512];
    size_t left = 0, o;
    int rc = deadline ? HV_ETIMEDOUT : 0;

    for (size_t i = 0; i < n; i++) {
        left += !m[i].ended;
        if (!rc && !m[i].asked)
            rc = m[i].rc;       /* the first failure's code */
    }
    o = (size_t)snprintf(msg, sizeof(msg), "%zu domain%s still running",
                         left, left == 1 ? "" : "s");
    if (deadline)
        o += (size_t)snprintf(msg + o, sizeof(msg) - o, " after %d ms",
                              timeout_ms);
    for (size_t i = 0, k = 0; i < n && o < sizeof(msg); i++) {
        if (m[i].ended)
            continue;
        if (m[i].asked)
            o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s'%s'",
                                  k++ ? ", " : ": ", m[i].name);
        else
            o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s%s",
                                  k++ ? "; " : ": ", m[i].msg);
    }
    return err_set(rc, "%s", msg);
}

int direct_shutdown_all(hv_conn *conn, int timeout_ms, hv_op *op)
{
    uint64_t end = timeout_ms > 0 ? now_mono_ns() +
                                    (uint64_t)timeout_ms * 1000000
                                  : UINT64_MAX;
    struct member *m = NULL;
    size_t n = 0, unasked = 0;
    int rc;

    op_progress(op, "asking every domain to power off", 0);
    if ((rc = ask_all(conn, &m, &n)))
        return rc;
    for (size_t i = 0; i < n; i++)
        unasked += !m[i].asked;
    if (timeout_ms == 0) {
        rc = unasked ? failure(m, n, timeout_ms, false) : 0;
        goto out;
    }
    op_progress(op, "waiting for the domains to power off", -1);
    while (still_running(conn, m, n) > 0) {
        struct pollfd p = { .fd = op_cancel_fd(op), .events = POLLIN };
        if (now_mono_ns() >= end) {
            rc = failure(m, n, timeout_ms, true);
            goto out;
        }
        if (poll(&p, p.fd >= 0 ? 1 : 0, POLL_MS) > 0) {
            rc = err_set(HV_ECANCELED, "host shutdown: cancelled");
            goto out;
        }
    }
    /* Every one that was asked has gone; those that could not be say why. */
    rc = unasked ? failure(m, n, timeout_ms, false) : 0;
    if (rc == 0)
        op_progress(op, "done", 1);
out:
    free(m);
    return rc;
}
