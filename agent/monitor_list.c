/*
 * monitor_list.c - the periodic hv_domain_list on a worker (see
 * monitor.h): domains started or ended in ways no event told of, and
 * fresh figures for /metrics and GET /v1/domains?fresh=true.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent.h"
#include "evlog.h"
#include "log.h"
#include "monitor_int.h"
#include "restart.h"
#include "store.h"
#include "util.h"
#include "worker.h"

/*
 * A list that lacks a domain does not prove it ended: libhvctl leaves out
 * an hvcore that did not answer in time.  So the worker asks each domain
 * we believe running and the list lacks, and only a "no such domain" (or
 * "its hvcore died") counts.
 */
struct known {
    uint32_t domid;
    char name[64];
    int gone;                   /* 0, or HV_ENOENT / HV_EDEAD */
};

struct refresh {
    struct work w;
    struct monitor *m;
    hv_domlist *list;
    uint64_t t0;
    int rc;
    char msg[256];
    struct waiter *waiters;
    struct known *known;        /* running in our view at submission */
    size_t nknown;
};

/* How long a domain found gone may still be told of by its events. */
#define VANISH_GRACE_NS (5ull * 1000000000)

/* ---- the periodic list ---- */

/*
 * Another domain (another uuid) runs under the name of a definition:
 * started behind the agent's back.  It is not the definition running,
 * so it is never shown as one (the definition's uuid with its figures):
 * the definition stays shut off (starting it fails, the name is taken)
 * and the clash is logged and told once per incarnation.
 */
static void name_conflict(struct agent *a, struct dom *d, const char *uuid,
                          uint32_t domid)
{
    char detail[160];

    if (d->domid == domid) {    /* attached by its started event */
        handle_put(d->h);
        d->h = NULL;
        d->domid = 0;
        d->state = DOM_SHUTOFF;
        d->have_info = false;
        fields_init(&d->info);
        domtable_changed(&a->doms);
    }
    if (d->conflict_domid == domid)
        return;
    d->conflict_domid = domid;
    snprintf(detail, sizeof(detail), "uuid %s, not the definition's %s",
             uuid, d->uuid);
    log_err("domain '%s' (id %u) runs with %s", d->name, domid, detail);
    evlog_emit(a->evlog, d->name, uuid, domid, "name_conflict",
               HV_CAUSE_AGENT, HV_REASON_UNKNOWN,
               detail);
}

/*
 * Why a domain the list shows is in its state, when no event told: the
 * direct driver knows only of dead hvcores; one that runs, runs since it
 * booted.
 */
static int list_reason(const hv_domain_info *in)
{
    int reason = hv_domain_info_get_reason(in);

    if (reason == HV_REASON_UNKNOWN &&
        hv_domain_info_get_state(in) == HV_STATE_RUNNING)
        return HV_REASON_BOOTED;
    return reason;
}

static void apply_one(struct agent *a, const hv_domain_info *in,
                      uint64_t list_ns, int startup)
{
    const char *name = hv_domain_info_get_name(in);
    const char *uuid = hv_domain_info_get_uuid(in);
    uint32_t domid = hv_domain_info_get_id(in);
    int state = hv_domain_info_get_state(in);
    struct dom *d = dom_find(&a->doms, name);
    char detail[64];

    if (state == HV_STATE_CRASHED && !*uuid) {
        /* Its hvcore died: libhvctl reports that once, here. */
        if (d && d->domid != domid && !startup)
            return;             /* not the incarnation we know */
        snprintf(detail, sizeof(detail), "hvcore (pid %d) died",
                 hv_domain_info_get_pid(in));
        evlog_emit(a->evlog, name, d ? d->uuid : "", domid, "crashed",
                   HV_CAUSE_HVCORE, HV_REASON_HVCORE_DIED, detail);
        if (d) {
            d->reason = HV_REASON_HVCORE_DIED;
            monitor_stopped(a, d);
        }
        return;
    }
    /* Ended (and out of the table) since this list began: not back. */
    if (!d && !startup && dom_gone_since(&a->doms, name, domid, list_ns))
        return;
    if (!d && !(d = dom_add(&a->doms, name)))
        return;
    if (d->defined && d->uuid[0] && *uuid && strcasecmp(d->uuid, uuid)) {
        name_conflict(a, d, uuid, domid);
        return;
    }
    if (d->run_changed_ns > list_ns && d->domid != domid)
        return;                 /* we saw a newer start or stop */
    if (!d->uuid[0])
        snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
    else if (*uuid && strcasecmp(d->uuid, uuid) && d->domid != domid)
        log_warn("domain '%s' runs with uuid %s, defined with %s", name,
                 uuid, d->uuid);
    if (d->domid != domid) {
        handle_put(d->h);
        d->h = NULL;
        d->domid = domid;
        d->reason = list_reason(in);
        d->run_changed_ns = list_ns;
        d->state_ns = 0;        /* what events told was of another */
        if (d->defined &&
            store_running_set(a->store, d->uuid, domid, now_real_ms()))
            log_warn("domain '%s': %s", name, store_errmsg(a->store));
        if (startup)
            log_info("re-adopted domain '%s' (id %u%s)", name, domid,
                     d->defined ? "" : ", transient");
        /* Started by hvctld, as far as anyone can tell: with
         * on_crash=restart, it runs with preserve (restart.h). */
        d->rs.managed = d->defined && d->crash_restart;
        domtable_changed(&a->doms);
    }
    if (d->state != state || !d->have_info ||
        d->info.mem_max_kib != hv_domain_info_get_mem_max_kib(in) ||
        d->info.vcpus_max != hv_domain_info_get_vcpus_max(in))
        domtable_changed(&a->doms);
    if (d->state_ns <= list_ns && d->state != state) {
        /* No event told of a newer state. */
        d->state = state;
        d->reason = list_reason(in);
    }
    fields_from_info(&d->info, in);
    d->have_info = true;
    /* Kept crashed for a restart that a stopped agent never made. */
    if (startup && d->state == HV_STATE_CRASHED)
        restart_crashed(a, d);
}

void monitor_apply_list(struct agent *a, const hv_domlist *list,
                        uint64_t list_ns, int startup)
{
    for (size_t i = 0; i < hv_domlist_count(list); i++)
        apply_one(a, hv_domlist_get(list, i), list_ns, startup);
    /* New figures (CPU time, uptime, counters): the cached list is as of
     * this look, rebuilt once on its next request. */
    if (hv_domlist_count(list))
        domtable_changed(&a->doms);
}

static bool listed(const hv_domlist *list, uint32_t domid)
{
    size_t lo = 0, hi = hv_domlist_count(list);

    while (lo < hi) {           /* the list is sorted by domid */
        size_t mid = lo + (hi - lo) / 2;
        uint32_t id = hv_domain_info_get_id(hv_domlist_get(list, mid));
        if (id == domid)
            return true;
        if (id < domid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

static void refresh_run(struct work *w)
{
    struct refresh *r = (struct refresh *)w;
    hv_conn *conn = r->m->a->conn;

    r->t0 = now_mono_ns();
    r->rc = hv_domain_list(conn, &r->list);
    if (r->rc) {
        snprintf(r->msg, sizeof(r->msg), "%s", hv_last_error());
        return;
    }
    for (size_t i = 0; i < r->nknown; i++) {
        struct known *k = &r->known[i];
        hv_domain *d = NULL;
        int rc;

        if (listed(r->list, k->domid))
            continue;
        rc = hv_domain_lookup_by_id(conn, k->domid, &d);
        if (rc == HV_ENOENT || rc == HV_EDEAD)
            k->gone = rc;
        else if (rc == 0 && strcmp(hv_domain_get_name(d), k->name))
            k->gone = HV_ENOENT;        /* its domid is someone else's now */
        hv_domain_free(d);
    }
}

/* Domains that ended without an event reaching us. */
static void apply_gone(struct agent *a, struct refresh *r)
{
    for (size_t i = 0; i < r->nknown; i++) {
        struct known *k = &r->known[i];
        struct dom *d = k->gone ? dom_find_domid(&a->doms, k->domid) : NULL;

        if (!d || d->run_changed_ns > r->t0 || strcmp(d->name, k->name))
            continue;
        /*
         * Gone from the runtime directory, with no end told.  hvcore
         * releases its entry a moment before its event stream ends with
         * the last word (libhvctl tells shutdown and destroyed then, so
         * that the name is free for whoever hears them), and a domain
         * libhvctl watches is always told of, within a second of its
         * end: this is the safety net for the others, which waits well
         * past that.
         */
        if (k->gone == HV_ENOENT && d->state != HV_STATE_CRASHED) {
            if (d->missing_domid != d->domid) {
                d->missing_domid = d->domid;
                d->missing_ns = r->t0;
            }
            if (r->t0 - d->missing_ns < VANISH_GRACE_NS)
                continue;
        }
        if (k->gone == HV_EDEAD) {
            d->reason = HV_REASON_HVCORE_DIED;
            evlog_emit(a->evlog, d->name, d->uuid, d->domid, "crashed",
                       HV_CAUSE_HVCORE, HV_REASON_HVCORE_DIED,
                       "hvcore died");
        } else if (d->state != HV_STATE_CRASHED) {
            d->reason = HV_REASON_UNKNOWN;
            evlog_emit(a->evlog, d->name, d->uuid, d->domid, "vanished",
                       HV_CAUSE_AGENT, HV_REASON_UNKNOWN,
                       "no longer in the runtime directory");
        }
        /* else: its crash was told, and on_crash=destroy ended it. */
        monitor_stopped(a, d);
    }
}

static void refresh_done(struct work *w)
{
    struct refresh *r = (struct refresh *)w;
    struct monitor *m = r->m;

    m->in_flight = false;
    if (r->rc) {
        log_warn("listing domains: %s", r->msg);
    } else if (!m->a->stopping) {
        monitor_apply_list(m->a, r->list, r->t0, 0);
        apply_gone(m->a, r);
    }
    hv_domlist_free(r->list);
    free(r->known);
    while (r->waiters) {
        struct waiter *wt = r->waiters;
        r->waiters = wt->next;
        wt->fn(wt->arg);
        free(wt);
    }
    free(r);
    if ((m->again || m->waiting) && !m->a->stopping) {
        m->again = false;
        monitor_submit_refresh(m);
    }
}

void monitor_submit_refresh(struct monitor *m)
{
    struct refresh *r;

    if (m->in_flight) {
        m->again = true;
        return;
    }
    r = calloc(1, sizeof(*r));
    if (!r)
        return;
    r->known = calloc(m->a->doms.n ? m->a->doms.n : 1, sizeof(*r->known));
    if (!r->known) {
        free(r);
        return;
    }
    for (size_t i = 0; i < m->a->doms.n; i++) {
        const struct dom *d = m->a->doms.v[i];
        if (!d->domid)
            continue;
        r->known[r->nknown].domid = d->domid;
        snprintf(r->known[r->nknown].name, sizeof(r->known[0].name), "%s",
                 d->name);
        r->nknown++;
    }
    r->w.run = refresh_run;
    r->w.done = refresh_done;
    r->m = m;
    r->waiters = m->waiting;
    m->waiting = NULL;
    m->in_flight = true;
    workers_submit(m->a->workers, &r->w);
}

void monitor_refresh_soon(struct monitor *m)
{
    if (m)
        monitor_submit_refresh(m);
}

int monitor_refresh(struct monitor *m, void (*fn)(void *arg), void *arg)
{
    struct waiter *wt = calloc(1, sizeof(*wt));

    if (!wt)
        return -1;
    wt->fn = fn;
    wt->arg = arg;
    wt->next = m->waiting;
    m->waiting = wt;
    monitor_submit_refresh(m);
    return 0;
}
