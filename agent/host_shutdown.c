/*
 * host_shutdown.c - see host_shutdown.h.
 *
 * Like a domain's shutdown job (shutdown.c), no thread waits for a guest:
 * the requests go through the domains' operation queues (ops.c), and the
 * ends are seen through domtable.on_stopped.  The first phase asks every
 * domain without autostart and waits for all of them; the second asks
 * the autostart ones one at a time, each after the previous one ended.
 * One timer holds the deadline of the whole job.
 *
 * A request that fails (hvcore hung, or refusing) does not hold the
 * order up: that domain is counted as still running and the next one is
 * asked.  Requests on workers hold the state (pending); it is freed when
 * the job has finished and the last of them came back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "agent.h"
#include "host_shutdown.h"
#include "jobs.h"
#include "log.h"
#include "ops.h"
#include "util.h"

struct member {
    struct dom *d;              /* referenced */
    uint32_t domid;             /* the incarnation to stop */
    bool autostart;
    uint64_t started_ns;        /* its last start, as the agent saw it */
    bool asked, ended, failed;
    int rc;                     /* failed: why (HV_E*, message) */
    char msg[512];
};

struct host_stop {
    struct agent *a;
    struct job *job;            /* NULL once finished */
    struct member *m;           /* phase 1 first, then the autostart ones */
    size_t n, n_plain;          /* all; without autostart */
    size_t next;                /* phase 2: the next one to ask */
    int timeout_ms;
    struct event *timer;
    bool deadline;              /* the timer fired: the job ends by it */
    unsigned pending;           /* requests on workers */
};

struct ask {
    struct host_stop *hs;
    size_t i;
};

static void host_stop_free(struct host_stop *hs)
{
    for (size_t i = 0; i < hs->n; i++)
        dom_unref(hs->m[i].d);
    if (hs->timer)
        event_free(hs->timer);
    free(hs->m);
    free(hs);
}

/* The job's result: who stopped, who did not. */
static json_object *result_json(const struct host_stop *hs)
{
    json_object *o = json_object_new_object();
    json_object *stopped = json_object_new_array();
    json_object *running = json_object_new_array();

    for (size_t i = 0; i < hs->n; i++)
        json_object_array_add(hs->m[i].ended ? stopped : running,
                              json_object_new_string(hs->m[i].d->name));
    json_object_object_add(o, "stopped", stopped);
    json_object_object_add(o, "still_running", running);
    return o;
}

/*
 * The failure message: at the deadline the names of those still running;
 * before it (every one left could not be asked) why each could not.
 * Which one is the deadline's to say, not a code's: a domain that could
 * not be asked because hvcore did not answer failed with HV_ETIMEDOUT too.
 */
static int failure(const struct host_stop *hs, int rc, char *msg, size_t len)
{
    size_t o, left = 0;

    for (size_t i = 0; i < hs->n; i++)
        left += !hs->m[i].ended;
    if (!left || rc == HV_ECANCELED) {
        snprintf(msg, len, "%s", rc ? "cancelled" : "");
        return rc;
    }
    o = (size_t)snprintf(msg, len, "%zu domain%s still running", left,
                         left == 1 ? "" : "s");
    if (hs->deadline)
        o += (size_t)snprintf(msg + o, len - o, " after %d ms",
                              hs->timeout_ms);
    for (size_t i = 0, k = 0; i < hs->n && o < len; i++) {
        const struct member *m = &hs->m[i];
        if (m->ended)
            continue;
        if (rc == 0)
            rc = m->rc;         /* the first failure's code */
        if (hs->deadline)
            o += (size_t)snprintf(msg + o, len - o, "%s'%s'",
                                  k++ ? ", " : ": ", m->d->name);
        else
            o += (size_t)snprintf(msg + o, len - o, "%s%s",
                                  k++ ? "; " : ": ", m->msg);
    }
    return rc;
}

/* End the job with rc (0, HV_ETIMEDOUT, HV_ECANCELED); free if we can. */
static void finish(struct host_stop *hs, int rc)
{
    struct agent *a = hs->a;
    char msg[512];

    if (hs->timer)
        evtimer_del(hs->timer);
    if (hs->job) {
        rc = failure(hs, rc, msg, sizeof(msg));
        job_set_result(hs->job, result_json(hs));
        hs->job->cancel = NULL;
        hs->job->data = NULL;
        job_finish(a->jobs, hs->job, rc, msg);
        hs->job = NULL;
    }
    if (a->host_stop == hs)
        a->host_stop = NULL;
    if (hs->pending == 0)
        host_stop_free(hs);
}

static void ask(struct host_stop *hs, size_t i);

/* What to do next, after an end or a failed request. */
static void advance(struct host_stop *hs)
{
    size_t i;

    if (!hs->job)
        return;
    for (i = 0; i < hs->n_plain; i++)
        if (!hs->m[i].ended && !hs->m[i].failed)
            return;             /* phase 1 still waits */
    /* Phase 2: the current one must be over before the next goes. */
    if (hs->next > hs->n_plain) {
        struct member *cur = &hs->m[hs->next - 1];
        if (!cur->ended && !cur->failed)
            return;
    }
    if (hs->next < hs->n_plain)
        hs->next = hs->n_plain;
    while (hs->next < hs->n) {
        struct member *m = &hs->m[hs->next];
        char step[160];
        if (m->ended) {         /* ended on its own meanwhile */
            hs->next++;
            continue;
        }
        snprintf(step, sizeof(step), "shutting down autostart domain '%s'",
                 m->d->name);
        job_set_step(hs->job, step, (double)hs->next / (double)hs->n);
        ask(hs, hs->next++);
        if (!m->failed)
            return;             /* its end, or its failure, comes back */
    }
    /* Every one ended, or could not be asked: nothing more to wait for. */
    finish(hs, 0);
}

static void asked(struct domop *op, void *arg)
{
    struct ask *k = arg;
    struct host_stop *hs = k->hs;
    struct member *m = &hs->m[k->i];

    free(k);
    hs->pending--;
    if (!hs->job) {
        if (hs->pending == 0)
            host_stop_free(hs);
        return;
    }
    if (op->rc == HV_ENOENT || op->rc == HV_EDEAD ||
        m->d->removed || m->d->domid != m->domid) {
        m->ended = true;        /* gone before or while asked */
    } else if (op->rc) {
        m->failed = true;
        m->rc = op->rc;
        snprintf(m->msg, sizeof(m->msg), "%s", op->msg);
        log_warn("host shutdown: %s", op->msg);
    }
    advance(hs);
}

static void ask(struct host_stop *hs, size_t i)
{
    struct member *m = &hs->m[i];
    struct ask *k = calloc(1, sizeof(*k));
    struct domop *op = k ? domop_new(hs->a, DOMOP_SHUTDOWN, m->d, asked, k)
                         : NULL;

    m->asked = true;
    if (!op) {
        free(k);
        m->failed = true;
        m->rc = HV_ENOMEM;
        snprintf(m->msg, sizeof(m->msg), "domain '%s': out of memory",
                 m->d->name);
        log_err("host shutdown: domain '%s': out of memory", m->d->name);
        return;
    }
    k->hs = hs;
    k->i = i;
    hs->pending++;
    domop_submit(op);
}

void host_shutdown_stopped(struct agent *a, struct dom *d)
{
    struct host_stop *hs = a->host_stop;

    if (!hs)
        return;
    for (size_t i = 0; i < hs->n; i++)
        if (hs->m[i].d == d && hs->m[i].domid == d->domid) {
            hs->m[i].ended = true;
            advance(hs);
            return;
        }
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    struct host_stop *hs = arg;

    hs->deadline = true;
    finish(hs, HV_ETIMEDOUT);
}

static void on_cancel(struct job *j)
{
    finish(j->data, HV_ECANCELED);
}

/* Phase 2 order: the last started first (then the higher domid). */
static int later_first(const void *x, const void *y)
{
    const struct member *a = x, *b = y;

    if (a->autostart != b->autostart)
        return a->autostart ? 1 : -1;   /* phase 1 before phase 2 */
    if (a->started_ns != b->started_ns)
        return a->started_ns < b->started_ns ? 1 : -1;
    return a->domid < b->domid ? 1 : a->domid > b->domid ? -1 : 0;
}

struct job *host_shutdown_job(struct agent *a, int timeout_ms,
                              struct job **running)
{
    struct host_stop *hs;
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    char step[96];

    *running = a->host_stop ? a->host_stop->job : NULL;
    if (*running)
        return NULL;
    hs = calloc(1, sizeof(*hs));
    if (!hs || !(hs->m = calloc(a->doms.n ? a->doms.n : 1, sizeof(*hs->m))) ||
        !(hs->timer = evtimer_new(a->base, on_deadline, hs)) ||
        !(hs->job = job_create(a->jobs, "host_shutdown", ""))) {
        if (hs)
            host_stop_free(hs);
        return NULL;
    }
    hs->a = a;
    hs->timeout_ms = timeout_ms;
    for (size_t i = 0; i < a->doms.n; i++) {
        struct dom *d = a->doms.v[i];
        if (d->state == DOM_SHUTOFF || !d->domid)
            continue;
        hs->m[hs->n].d = dom_ref(d);
        hs->m[hs->n].domid = d->domid;
        hs->m[hs->n].autostart = d->defined && d->autostart;
        hs->m[hs->n].started_ns = d->run_changed_ns;
        hs->n_plain += !hs->m[hs->n].autostart;
        hs->n++;
    }
    qsort(hs->m, hs->n, sizeof(*hs->m), later_first);
    hs->job->cancel = on_cancel;
    hs->job->data = hs;
    a->host_stop = hs;
    log_info("host shutdown: %zu domains, %zu with autostart", hs->n,
             hs->n - hs->n_plain);
    if (evtimer_add(hs->timer, &tv) < 0) {
        struct job *j = hs->job;
        finish(hs, HV_ENOMEM);
        return j;
    }
    snprintf(step, sizeof(step), "shutting down %zu domains without "
             "autostart", hs->n_plain);
    job_set_step(hs->job, step, 0);
    for (size_t i = 0; i < hs->n_plain; i++)
        ask(hs, i);
    hs->next = hs->n_plain;
    {
        struct job *j = hs->job;
        /* Nothing to wait for in phase 1: phase 2 (or the end) now. */
        advance(hs);
        return j;
    }
}
