/*
 * monitor.c - see monitor.h: libhvctl's lifecycle events, applied to the
 * table as they come and logged with their reason and cause.  The
 * periodic list is monitor_list.c's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent.h"
#include "evlog.h"
#include "log.h"
#include "migrate.h"
#include "monitor_int.h"
#include "restart.h"
#include "store.h"
#include "util.h"

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

    if (d && type > 0 && type < (int)ARRAY_SIZE(d->expect_ns) &&
        d->expect_ns[type] > now) {
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

void monitor_stopped(struct agent *a, struct dom *d)
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
    char uuid[37] = "", note[256], drop[256];
    const char *restarted = NULL;
    int cause;
    bool crashed = false;

    /*
     * domids are reused: an entry still holding this domid under another
     * name is an incarnation whose end we have not heard yet (the list
     * refresh will tell it).  This event is not about it, and must not
     * carry its uuid.
     */
    if (d && name && *name && strcmp(d->name, name) != 0)
        d = NULL;
    if (!d && name && *name) {
        d = dom_find(&a->doms, name);
        if (d && d->domid && d->domid != domid)
            d = NULL;           /* the name belongs to someone else now */
    }
    if (!d && (type == HV_EVENT_STARTED || type == HV_EVENT_RESTORED) &&
        name && *name)
        d = dom_add(&a->doms, name);        /* started outside hvctld */
    cause = cause_of(d, e);
    snprintf(uuid, sizeof(uuid), "%s", d && d->uuid[0]
             ? d->uuid : hv_event_get_uuid(e));

    if (d) {
        switch (type) {
        case HV_EVENT_STARTED:
        case HV_EVENT_RESTORED:     /* from a save file or a migration */
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
                monitor_stopped(a, d);
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
        case HV_EVENT_SAVED:        /* it left as a stream: gone here */
        case HV_EVENT_MIGRATED:
            if (d->domid == domid) {
                d->reason = reason;
                monitor_stopped(a, d);
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
    /* Where it went or came from, when hvctld moved it (migrate.h). */
    if (type == HV_EVENT_DESTROYED && name &&
        migrate_note_take(a, name, "destroyed", note, sizeof(note))) {
        type = HV_EVENT_MIGRATED;
        migrate_note_take(a, name, "migrated", drop, sizeof(drop));
        detail = note;
        cause = HV_CAUSE_API;
    } else if ((type == HV_EVENT_SAVED || type == HV_EVENT_MIGRATED ||
         type == HV_EVENT_RESTORED) && name &&
        migrate_note_take(a, name, hv_event_type_name(type), note,
                          sizeof(note))) {
        detail = note;
        cause = HV_CAUSE_API;
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

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    monitor_submit_refresh(arg);
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
