/*
 * shutdown.c - see shutdown.h.
 *
 * A wait is in one of three phases: asking (the request is on a worker),
 * waiting (linked into its domain's list, with a timer), or gone.  A
 * cancellation while asking finishes the job at once and leaves a mark
 * for the asking step to clean up after.
 */
#include <stdio.h>
#include <stdlib.h>

#include <event2/event.h>

#include "agent.h"
#include "jobs.h"
#include "ops.h"
#include "shutdown.h"

struct stop_wait {
    struct agent *a;
    struct job *job;
    struct dom *d;              /* referenced */
    uint32_t domid;
    int timeout_ms;             /* -1: without limit */
    struct event *timer;
    bool linked, cancelled;
    struct stop_wait *next;     /* in d->stop_waits */
};

static void unlink_wait(struct stop_wait *w)
{
    for (struct stop_wait **pp = &w->d->stop_waits; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    w->linked = false;
}

/* The end of a wait: finish its job (unless already) and let go. */
static void finish(struct stop_wait *w, int rc, const char *msg)
{
    if (w->linked)
        unlink_wait(w);
    if (w->timer)
        event_free(w->timer);
    if (w->job) {
        w->job->cancel = NULL;
        w->job->data = NULL;
        job_finish(w->a->jobs, w->job, rc, msg);
    }
    dom_unref(w->d);
    free(w);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct stop_wait *w = arg;
    char msg[200];

    /* libhvctl's own words for it, so hvctl says the same locally and
     * through the agent. */
    snprintf(msg, sizeof(msg), "domain '%s' (id %u): still running after "
             "%d ms%s", w->d->name, w->domid, w->timeout_ms,
             w->d->state == HV_STATE_PAUSED
             ? ": it is paused, so the guest cannot act on the request "
               "(unpause it, or use destroy)" : "");
    finish(w, HV_ETIMEDOUT, msg);
}

static void on_cancel(struct job *j)
{
    struct stop_wait *w = j->data;

    if (!w->linked) {
        /* Still asking: finish the job now, free the wait later. */
        w->cancelled = true;
        w->job = NULL;
        j->cancel = NULL;
        j->data = NULL;
        job_finish(w->a->jobs, j, HV_ECANCELED, "cancelled");
        return;
    }
    finish(w, HV_ECANCELED, "cancelled");
}

/* The request reached the guest (or failed): now wait for the end. */
static void asked(struct domop *op, void *arg)
{
    struct stop_wait *w = arg;
    struct dom *d = w->d;
    struct timeval tv = { w->timeout_ms / 1000,
                          (w->timeout_ms % 1000) * 1000 };

    if (w->cancelled) {
        finish(w, 0, NULL);
        return;
    }
    if (op->rc) {
        finish(w, op->rc, op->msg);
        return;
    }
    /* Only asked to ask, or the domain is already gone. */
    if (w->timeout_ms == 0 || d->removed || d->domid != w->domid) {
        finish(w, 0, NULL);
        return;
    }
    /* Without limit: no timer; the end or a cancellation finishes it. */
    if (w->timeout_ms > 0 &&
        (!(w->timer = evtimer_new(w->a->base, on_timeout, w)) ||
         evtimer_add(w->timer, &tv) < 0)) {
        finish(w, HV_ENOMEM, "out of memory");
        return;
    }
    w->next = d->stop_waits;
    d->stop_waits = w;
    w->linked = true;
    job_set_step(w->job, "waiting for the guest to power off", -1);
}

void shutdown_stopped(struct domtable *t, struct dom *d, void *arg)
{
    struct stop_wait *w = d->stop_waits, *next;

    for (; w; w = next) {
        next = w->next;
        if (w->domid == d->domid)
            finish(w, 0, NULL);
    }
}

struct job *shutdown_job(struct agent *a, struct dom *d, int timeout_ms)
{
    struct stop_wait *w = calloc(1, sizeof(*w));
    struct job *j = w ? job_create(a->jobs, "shutdown", d->name) : NULL;
    struct domop *op = j ? domop_new(a, DOMOP_SHUTDOWN, d, asked, w) : NULL;

    if (!op) {
        if (j)
            job_finish(a->jobs, j, HV_ENOMEM, "out of memory");
        free(w);
        return NULL;
    }
    w->a = a;
    w->job = j;
    w->d = dom_ref(d);
    w->domid = d->domid;
    w->timeout_ms = timeout_ms;
    j->cancel = on_cancel;
    j->data = w;
    job_set_step(j, "asking the guest to power off", 0);
    domop_submit(op);
    return j;
}
