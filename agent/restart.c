/*
 * restart.c - see restart.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent.h"
#include "evlog.h"
#include "log.h"
#include "ops.h"
#include "rest_handlers.h"
#include "restart.h"
#include "util.h"

#define NS_PER_MS 1000000ull
#define BUSY_RETRY_MS 10

struct restart_wait {
    struct agent *a;
    struct dom *d;              /* referenced */
    uint32_t domid;             /* the crashed incarnation */
    struct event *timer;
    struct restart_wait *next;  /* in a->restarts */
};

/* Restarts of rs within the last interval, at now. */
static unsigned recent(const struct agent *a, const struct restart_state *rs,
                       uint64_t now)
{
    uint64_t span = (uint64_t)a->opts->start_limit_interval_s * 1000 *
                    NS_PER_MS;
    unsigned k = 0;

    for (unsigned i = 0; i < rs->n; i++)
        if (now - rs->at_ns[i] < span)
            k++;
    return k;
}

static void record(struct restart_state *rs, uint64_t now)
{
    rs->at_ns[rs->next] = now;
    rs->next = (rs->next + 1) % START_LIMIT_BURST_MAX;
    if (rs->n < START_LIMIT_BURST_MAX)
        rs->n++;
}

/* The backoff before the restart that follows k recent ones. */
static uint64_t backoff_ms(const struct agent *a, unsigned k)
{
    uint64_t ms = a->opts->restart_backoff_ms;

    while (k-- > 0 && ms < a->opts->restart_backoff_max_ms)
        ms *= 2;
    return ms < a->opts->restart_backoff_max_ms
           ? ms : a->opts->restart_backoff_max_ms;
}

static void destroy(struct agent *a, struct dom *d)
{
    struct domop *op = domop_new(a, DOMOP_DESTROY, d, NULL, NULL);

    if (!op) {
        log_err("domain '%s': out of memory", d->name);
        return;
    }
    op->cause = HV_CAUSE_AGENT;
    domop_submit(op);
}

/* Too many restarts: stop the domain for good and say why. */
static void give_up(struct agent *a, struct dom *d, unsigned k,
                    const char *action)
{
    char detail[160];

    snprintf(detail, sizeof(detail), "%u restarts within %u s: not "
             "restarted again (%s=restart); a start resets the limit", k,
             a->opts->start_limit_interval_s, action);
    log_warn("domain '%s': %s", d->name, detail);
    evlog_emit(a->evlog, d->name, d->uuid, d->domid, "start_limit",
               HV_CAUSE_AGENT, d->reason, detail);
    d->rs.limited = true;
    domtable_changed(&a->doms);
    destroy(a, d);
}

static void unlink_wait(struct restart_wait *w)
{
    for (struct restart_wait **pp = &w->a->restarts; *pp;
         pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    if (w->d->rs.wait == w)
        w->d->rs.wait = NULL;
    event_free(w->timer);
    dom_unref(w->d);
    free(w);
}

static void on_time(evutil_socket_t fd, short what, void *arg)
{
    struct restart_wait *w = arg;
    struct agent *a = w->a;
    struct dom *d = w->d;
    int rc;

    if (a->stopping || d->removed || d->domid != w->domid) {
        unlink_wait(w);
        return;
    }
    if (d->busy) {
        /* The start that made this incarnation has not answered yet (a
         * guest that crashes at boot is that quick): once it has. */
        struct timeval tv = { 0, BUSY_RETRY_MS * 1000 };
        evtimer_add(w->timer, &tv);
        return;
    }
    unlink_wait(w);
    record(&d->rs, now_mono_ns());
    /* In order on the domain's queue: the crashed incarnation goes, then
     * the new one starts. */
    destroy(a, d);
    if (!rest_start_job(a, d, HV_CAUSE_AGENT, &rc))
        log_warn("restart of '%s': %s", d->name, hv_strerror(rc));
}

void restart_on_start(struct dom *d, int cause)
{
    d->rs.managed = d->crash_restart;
    d->rs.limited = false;
    if (cause == HV_CAUSE_API) {
        d->rs.n = 0;            /* a manual start: a clean slate */
        d->rs.next = 0;
    }
}

void restart_external(struct dom *d)
{
    d->rs.managed = false;
}

void restart_crashed(struct agent *a, struct dom *d)
{
    uint64_t now = now_mono_ns(), ms;
    struct restart_wait *w;
    struct timeval tv;
    unsigned k;

    if (!d->rs.managed || d->rs.wait || a->stopping)
        return;
    k = recent(a, &d->rs, now);
    if (k >= a->opts->start_limit_burst) {
        give_up(a, d, k, "on_crash");
        return;
    }
    ms = backoff_ms(a, k);
    w = calloc(1, sizeof(*w));
    if (w)
        w->timer = evtimer_new(a->base, on_time, w);
    tv.tv_sec = (time_t)(ms / 1000);
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    if (!w || !w->timer || evtimer_add(w->timer, &tv) < 0) {
        if (w && w->timer)
            event_free(w->timer);
        free(w);
        log_err("domain '%s': out of memory: not restarted", d->name);
        return;
    }
    w->a = a;
    w->d = dom_ref(d);
    w->domid = d->domid;
    w->next = a->restarts;
    a->restarts = w;
    d->rs.wait = w;
    log_info("domain '%s' crashed: restarting it in %llu ms", d->name,
             (unsigned long long)ms);
}

void restart_rebooted(struct agent *a, struct dom *d, int cause,
                      const char *action)
{
    uint64_t now = now_mono_ns();
    unsigned k;

    if (cause == HV_CAUSE_UNKNOWN || cause == HV_CAUSE_API || d->rs.limited)
        return;
    record(&d->rs, now);
    k = recent(a, &d->rs, now);
    if (k > a->opts->start_limit_burst)
        give_up(a, d, k, action);
}

void restart_forget(struct dom *d)
{
    if (d->rs.wait)
        unlink_wait(d->rs.wait);
}

void restart_shutdown(struct agent *a)
{
    while (a->restarts)
        unlink_wait(a->restarts);
}
