/*
 * evlog.h - lifecycle events: numbered, fanned out at once to live
 * subscribers (the SSE streams), and written to the database's event log.
 *
 * Events of running domains (paused, resumed, ...) are written in batches
 * (one transaction at most every EVLOG_FLUSH_MS), so that a burst of
 * pause/resume requests does not cost one fsync each; a kill -9 loses at
 * most the last batch of those.  Events that go with a definition change
 * (defined, undefined, ...) are written in the same transaction as the
 * change instead (evlog_prepare + evlog_publish).
 */
#ifndef HVCTLD_EVLOG_H
#define HVCTLD_EVLOG_H

#include <stdint.h>

#include "store.h"

#define EVLOG_FLUSH_MS 50

struct event_base;
struct evlog;

struct evlog_sub {
    void (*fn)(const struct store_event *ev, void *arg);
    void *arg;
    struct evlog_sub *prev, *next;      /* private to evlog.c */
};

struct evlog *evlog_new(struct store *st, struct event_base *base,
                        int64_t keep);
/* Flushes what is pending. */
void evlog_free(struct evlog *l);

/*
 * Fill ev with a new id, the time and these fields: cause is an enum
 * hv_cause and reason an enum hv_reason, logged and sent by their names
 * (hv_cause_name, hv_reason_name), so that the agent's causes are
 * libhvctl's.
 */
void evlog_prepare(struct evlog *l, struct store_event *ev, const char *name,
                   const char *uuid, int64_t domid, const char *type,
                   int cause, int reason, const char *detail);
/* Tell the subscribers about ev (already stored by the caller). */
void evlog_publish(struct evlog *l, const struct store_event *ev);
/* prepare + queue for the database + publish. */
void evlog_emit(struct evlog *l, const char *name, const char *uuid,
                int64_t domid, const char *type, int cause, int reason,
                const char *detail);
/* Write the queued events now. */
void evlog_flush(struct evlog *l);

void evlog_subscribe(struct evlog *l, struct evlog_sub *s);
void evlog_unsubscribe(struct evlog *l, struct evlog_sub *s);

/* Events with id > after (stored and queued), oldest first, at most limit. */
int evlog_replay(struct evlog *l, int64_t after, size_t limit,
                 int (*fn)(const struct store_event *ev, void *arg),
                 void *arg);
int64_t evlog_last_id(const struct evlog *l);

#endif /* HVCTLD_EVLOG_H */
