/*
 * direct_host.c - hv_conn_shutdown_all on the direct driver: ask every
 * running (or paused) domain to power off at once, then wait for all of
 * them together, so the wait is the slowest guest's and not the sum.
 * There is no autostart here to order by: that is the agent's (hvctld's
 * host shutdown).  The words of a timeout are the agent's, so that a
 * caller sees the same whichever driver served it.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "domain_int.h"
#include "driver.h"
#include "op.h"

#define POLL_MS 20

struct asked {
    uint32_t domid;
    char name[64];
    bool ended;
};

/* Mark those no longer in a fresh list; return how many are left. */
static size_t still_running(hv_conn *conn, struct asked *a, size_t n, int *rc)
{
    hv_domlist *l = NULL;
    size_t left = 0;

    if ((*rc = hv_domain_list(conn, &l)))
        return 0;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t k = 0; k < hv_domlist_count(l) && !found; k++) {
            const hv_domain_info *inf = hv_domlist_get(l, k);
            found = hv_domain_info_get_id(inf) == a[i].domid &&
                    !strcmp(hv_domain_info_get_name(inf), a[i].name) &&
                    hv_domain_info_get_state(inf) != HV_STATE_CRASHED;
        }
        a[i].ended = !found;
        left += found;
    }
    hv_domlist_free(l);
    return left;
}

static int timed_out(const struct asked *a, size_t n, size_t left,
                     int timeout_ms)
{
    char msg[512];
    size_t o = (size_t)snprintf(msg, sizeof(msg), "%zu domain%s still "
                                "running after %d ms", left,
                                left == 1 ? "" : "s", timeout_ms);

    for (size_t i = 0, k = 0; i < n && o < sizeof(msg); i++)
        if (!a[i].ended)
            o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s'%s'",
                                  k++ ? ", " : ": ", a[i].name);
    return err_set(HV_ETIMEDOUT, "%s", msg);
}

int direct_shutdown_all(hv_conn *conn, int timeout_ms, hv_op *op)
{
    uint64_t end = timeout_ms > 0 ? now_mono_ns() +
                                    (uint64_t)timeout_ms * 1000000
                                  : UINT64_MAX;
    hv_domlist *l = NULL;
    struct asked *a = NULL;
    size_t n = 0, left;
    int rc;

    if ((rc = hv_domain_list_filtered(conn, HV_LIST_RUNNING | HV_LIST_PAUSED,
                                      NULL, &l)))
        return rc;
    a = calloc(hv_domlist_count(l) + 1, sizeof(*a));
    if (!a) {
        hv_domlist_free(l);
        return err_set(HV_ENOMEM, "host shutdown: out of memory");
    }
    op_progress(op, "asking every domain to power off", 0);
    for (size_t i = 0; i < hv_domlist_count(l); i++) {
        const hv_domain_info *inf = hv_domlist_get(l, i);
        hv_domain *d = NULL;
        /* One that ended in the meantime needs no asking. */
        if (hv_domain_lookup_by_id(conn, hv_domain_info_get_id(inf), &d))
            continue;
        if (hv_domain_shutdown(d, 0, 0, NULL) == 0) {
            a[n].domid = hv_domain_get_id(d);
            snprintf(a[n].name, sizeof(a[n].name), "%s",
                     hv_domain_get_name(d));
            n++;
        }
        hv_domain_free(d);
    }
    hv_domlist_free(l);
    rc = 0;
    if (timeout_ms == 0)
        goto out;
    op_progress(op, "waiting for the domains to power off", -1);
    while ((left = still_running(conn, a, n, &rc)) > 0 && rc == 0) {
        struct pollfd p = { .fd = op_cancel_fd(op), .events = POLLIN };
        if (now_mono_ns() >= end) {
            rc = timed_out(a, n, left, timeout_ms);
            goto out;
        }
        if (poll(&p, p.fd >= 0 ? 1 : 0, POLL_MS) > 0) {
            rc = err_set(HV_ECANCELED, "host shutdown: cancelled");
            goto out;
        }
    }
    if (rc == 0)
        op_progress(op, "done", 1);
out:
    free(a);
    return rc;
}
