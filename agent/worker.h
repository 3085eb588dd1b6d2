/*
 * worker.h - a small thread pool for everything that may block: every
 * call into libhvctl that talks to an hvcore (which can take up to its
 * timeout when an hvcore hangs) runs here, so the event loop never waits.
 *
 * A work item runs `run` on some worker thread, then `done` on the main
 * (event loop) thread.  Only `done` may touch the agent's state; `run`
 * sees nothing but its own item.  The item is owned by the caller, who
 * typically frees it at the end of `done`.
 */
#ifndef HVCTLD_WORKER_H
#define HVCTLD_WORKER_H

#include <stddef.h>

struct event_base;
struct workers;

struct work {
    void (*run)(struct work *w);
    void (*done)(struct work *w);
    struct work *next;          /* private to worker.c */
};

/* n threads; completions are delivered through an event on base. */
int workers_start(struct event_base *base, unsigned n, struct workers **out);
void workers_submit(struct workers *wk, struct work *w);
/* Items queued or running. */
size_t workers_pending(const struct workers *wk);
/*
 * Let the threads finish what is queued, join them, deliver the last
 * completions, and free the pool.
 */
void workers_stop(struct workers *wk);

#endif /* HVCTLD_WORKER_H */
