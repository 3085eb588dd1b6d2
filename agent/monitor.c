/*
 * monitor.c - see monitor.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent.h"
#include "evlog.h"
#include "log.h"
#include "monitor.h"
#include "restart.h"
#include "store.h"
#include "util.h"
#include "worker.h"

struct waiter {
    void (*fn)(void *arg);
    void *arg;
    struct waiter *next;
};

struct monitor {
    struct agent *a;
    hv_events *hev;
    struct event *ev_fd;
    struct event *timer;
    bool in_flight, again;
    struct waiter *waiting;     /* for the next refresh to start */
};

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

static void submit_refresh(struct monitor *m);

/* How long a domain found gone may still be told of by its events. */
#define VANISH_GRACE_NS (5ull * 1000000000)

/* ---- lifecycle events ---- */

/*
 * Who caused an event: the API or the agent when one of their calls
 * asked for it lately, else what libhvctl says (the guest, or hvcore
 * that died), else another libhvctl user (e.g. `hvctl` on this host).
 */
static int cause_of(struct dom *d, const hv_event *e)
{
    int type = hv_event_get_type(e);
    uint64_t now = now_mono_ns();

    if (d && type > 0 && type < 8 && d->expect_ns[type] > now) {
        d->expect_ns[type] = 0;
        return d->expect_cause[type] ? d->expect_cause[type] : HV_CAUSE_API;
    }
    if (hv_event_get_reason(e) == HV_REASON_HVCORE_DIED)
        return HV_CAUSE_HVCORE;
    switch (hv_event_get_cause(e)) {
    case HV_CAUSE_GUEST:
    case HV_CAUSE_HVCORE:
        return hv_event_get_cause(e);
    default:
        break;
    }
    switch (type) {
    case HV_EVENT_SHUTDOWN:
    case HV_EVENT_REBOOTED:
    case HV_EVENT_CRASHED:
        return HV_CAUSE_GUEST;
    default:
        return HV_CAUSE_EXTERNAL;
    }
}

/* The incarnation domid has ended. */
static void stopped(struct agent *a, struct dom *d)
{
    if (d->defined && store_running_clear(a->store, d->uuid))
        log_warn("domain '%s': %s", d->name, store_errmsg(a->store));
    d->run_changed_ns = now_mono_ns();
    dom_stopped(&a->doms, d);
}

static void handle_event(struct monitor *m, const hv_event *e)
{
    struct agent *a = m->a;
    int type = hv_event_get_type(e);
    uint32_t domid = hv_event_get_domid(e);
    const char *name = hv_event_get_name(e);
    const char *detail = hv_event_get_detail(e);
    int reason = hv_event_get_reason(e);
    struct dom *d = dom_find_domid(&a->doms, domid);
    char uuid[37] = "";
    const char *restarted = NULL;
    int cause;
    bool crashed = false;

    if (!d && name && *name) {
        d = dom_find(&a->doms, name);
        if (d && d->domid && d->domid != domid)
            d = NULL;           /* the name belongs to someone else now */
    }
    if (!d && type == HV_EVENT_STARTED && name && *name)
        d = dom_add(&a->doms, name);        /* started outside hvctld */
    cause = cause_of(d, e);
    snprintf(uuid, sizeof(uuid), "%s", d && d->uuid[0]
             ? d->uuid : hv_event_get_uuid(e));

    if (d) {
        switch (type) {
        case HV_EVENT_STARTED:
            if (!d->domid) {
                d->domid = domid;
                d->state = HV_STATE_RUNNING;
                d->reason = reason;
                d->run_changed_ns = now_mono_ns();
                monitor_refresh_soon(m);    /* for its uuid and figures */
            }
            if (d->domid == domid && cause == HV_CAUSE_EXTERNAL)
                restart_external(d);
            break;
        case HV_EVENT_PAUSED:
            if (d->domid == domid) {
                d->state = HV_STATE_PAUSED;
                d->reason = reason;
            }
            break;
        case HV_EVENT_UNPAUSED:
            if (d->domid == domid) {
                d->state = HV_STATE_RUNNING;
                d->reason = reason;
            }
            break;
        case HV_EVENT_REBOOTED:
            if (d->domid != domid)
                break;
            /* Not from d->state: the refresh the crash asked for may
             * have set it back to running already (hvcore's state stays
             * running through an on_crash=restart reboot). */
            restarted = d->crash_pending ? "on_crash" : "on_reboot";
            d->crash_pending = false;
            d->state = HV_STATE_RUNNING;
            d->reason = reason;
            break;
        case HV_EVENT_CRASHED:
            if (d->domid != domid)
                break;
            d->reason = reason;
            if (reason == HV_REASON_HVCORE_DIED) {
                stopped(a, d);
                d = NULL;
            } else {
                /* Preserved, destroyed or restarted: ask hvcore. */
                d->state = HV_STATE_CRASHED;
                d->crash_pending = true;
                monitor_refresh_soon(m);
                crashed = true;
            }
            break;
        case HV_EVENT_SHUTDOWN:
        case HV_EVENT_DESTROYED:
            if (d->domid == domid) {
                d->reason = reason;
                stopped(a, d);
                d = NULL;
            }
            break;
        default:
            break;
        }
        if (d)
            d->state_ns = now_mono_ns();
        domtable_changed(&a->doms);
    }
    evlog_emit(a->evlog, name, uuid, domid, hv_event_type_name(type), cause,
               reason, detail);
    /* After the event itself, which is what the restart follows. */
    if (crashed)
        restart_crashed(a, d);
    if (restarted)
        restart_rebooted(a, d, cause, restarted);
}

static void on_events(evutil_socket_t fd, short what, void *arg)
{
    struct monitor *m = arg;
    hv_event *e;

    /* Bounded, so a storm of events cannot starve the HTTP side; the fd
     * stays readable and we come back. */
    for (int i = 0; i < 256 && hv_event_next(m->hev, &e) == 0; i++) {
        handle_event(m, e);
        hv_event_free(e);
    }
}

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
            stopped(a, d);
        }
        return;
    }
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
        stopped(a, d);
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
        submit_refresh(m);
    }
}

static void submit_refresh(struct monitor *m)
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
        submit_refresh(m);
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
    submit_refresh(m);
    return 0;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    submit_refresh(arg);
}

int monitor_start(struct agent *a, struct monitor **out)
{
    struct monitor *m = calloc(1, sizeof(*m));
    struct timeval tv;
    int rc;

    *out = NULL;
    if (!m)
        return HV_ENOMEM;
    m->a = a;
    rc = hv_events_open(a->conn, &m->hev);
    if (rc) {
        log_err("watching %s: %s", hv_conn_get_rundir(a->conn),
                hv_last_error());
        free(m);
        return rc;
    }
    m->ev_fd = event_new(a->base, hv_events_get_fd(m->hev),
                         EV_READ | EV_PERSIST, on_events, m);
    m->timer = event_new(a->base, -1, EV_PERSIST, on_timer, m);
    tv.tv_sec = a->opts->refresh_ms / 1000;
    tv.tv_usec = (a->opts->refresh_ms % 1000) * 1000;
    if (!m->ev_fd || !m->timer || event_add(m->ev_fd, NULL) < 0 ||
        event_add(m->timer, &tv) < 0) {
        monitor_stop(m);
        return HV_ENOMEM;
    }
    *out = m;
    return 0;
}

void monitor_stop(struct monitor *m)
{
    if (!m)
        return;
    if (m->ev_fd)
        event_free(m->ev_fd);
    if (m->timer)
        event_free(m->timer);
    hv_events_free(m->hev);
    while (m->waiting) {
        struct waiter *wt = m->waiting;
        m->waiting = wt->next;
        wt->fn(wt->arg);
        free(wt);
    }
    free(m);
}
