/*
 * evlog.c - see evlog.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "evlog.h"
#include "hvctl.h"
#include "log.h"
#include "util.h"

#define QUEUE_MAX 4096          /* beyond this, flush at once */

struct evlog {
    struct store *st;
    struct event *timer;
    int64_t keep;
    int64_t last_id;
    struct store_event *q;
    size_t nq, capq;
    struct evlog_sub subs;      /* list head */
};

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    evlog_flush(arg);
}

struct evlog *evlog_new(struct store *st, struct event_base *base,
                        int64_t keep)
{
    struct evlog *l = calloc(1, sizeof(*l));

    if (!l)
        return NULL;
    l->st = st;
    l->keep = keep;
    l->last_id = store_events_max_id(st);
    l->subs.next = l->subs.prev = &l->subs;
    l->timer = evtimer_new(base, on_timer, l);
    if (!l->timer) {
        free(l);
        return NULL;
    }
    return l;
}

void evlog_free(struct evlog *l)
{
    if (!l)
        return;
    evlog_flush(l);
    event_free(l->timer);
    free(l->q);
    free(l);
}

void evlog_prepare(struct evlog *l, struct store_event *ev, const char *name,
                   const char *uuid, int64_t domid, const char *type,
                   int cause, int reason, const char *detail)
{
    memset(ev, 0, sizeof(*ev));
    ev->id = ++l->last_id;
    ev->time_ms = now_real_ms();
    snprintf(ev->name, sizeof(ev->name), "%s", name ? name : "");
    snprintf(ev->uuid, sizeof(ev->uuid), "%s", uuid ? uuid : "");
    ev->domid = domid > 0 ? domid : -1;
    snprintf(ev->type, sizeof(ev->type), "%s", type);
    snprintf(ev->cause, sizeof(ev->cause), "%s", hv_cause_name(cause));
    snprintf(ev->reason, sizeof(ev->reason), "%s", hv_reason_name(reason));
    snprintf(ev->detail, sizeof(ev->detail), "%s", detail ? detail : "");
}

void evlog_publish(struct evlog *l, const struct store_event *ev)
{
    struct evlog_sub *s = l->subs.next;

    log_debug("event %lld: %s %s (%s) %s", (long long)ev->id, ev->name,
              ev->type, ev->cause, ev->detail);
    /* A subscriber may unsubscribe itself from its callback. */
    while (s != &l->subs) {
        struct evlog_sub *next = s->next;
        s->fn(ev, s->arg);
        s = next;
    }
}

void evlog_emit(struct evlog *l, const char *name, const char *uuid,
                int64_t domid, const char *type, int cause, int reason,
                const char *detail)
{
    struct store_event ev;

    evlog_prepare(l, &ev, name, uuid, domid, type, cause, reason, detail);
    if (l->nq == l->capq) {
        size_t cap = l->capq ? l->capq * 2 : 64;
        struct store_event *q = realloc(l->q, cap * sizeof(*q));
        if (!q) {
            log_warn("event log: out of memory; event %lld not stored",
                     (long long)ev.id);
            evlog_publish(l, &ev);
            return;
        }
        l->q = q;
        l->capq = cap;
    }
    l->q[l->nq++] = ev;
    if (l->nq >= QUEUE_MAX) {
        evlog_flush(l);
    } else if (!evtimer_pending(l->timer, NULL)) {
        struct timeval tv = { 0, EVLOG_FLUSH_MS * 1000 };
        evtimer_add(l->timer, &tv);
    }
    evlog_publish(l, &ev);
}

void evlog_flush(struct evlog *l)
{
    int rc;

    if (evtimer_pending(l->timer, NULL))
        evtimer_del(l->timer);
    if (!l->nq)
        return;
    rc = store_events_append(l->st, l->q, l->nq, l->keep);
    if (rc)
        log_warn("event log: %zu events not stored: %s", l->nq,
                 store_errmsg(l->st));
    l->nq = 0;
}

void evlog_subscribe(struct evlog *l, struct evlog_sub *s)
{
    s->next = &l->subs;
    s->prev = l->subs.prev;
    l->subs.prev->next = s;
    l->subs.prev = s;
}

void evlog_unsubscribe(struct evlog *l, struct evlog_sub *s)
{
    if (!s->next)
        return;
    s->prev->next = s->next;
    s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

int evlog_replay(struct evlog *l, int64_t after, size_t limit,
                 int (*fn)(const struct store_event *ev, void *arg),
                 void *arg)
{
    /* Queued events are not in the database yet: write them first, so
     * one query sees everything in order. */
    evlog_flush(l);
    return store_events_since(l->st, after, limit, fn, arg);
}

int64_t evlog_last_id(const struct evlog *l)
{
    return l->last_id;
}
