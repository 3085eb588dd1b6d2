/*
 * ops.c - see ops.h.
 *
 * Every result is applied only if the entry still describes the same
 * incarnation the operation started on: between submission and
 * completion the domain may have been destroyed elsewhere, and a late
 * result must not bring a stale state back.
 *
 * The operations of one domain run one at a time, in order (the rest wait
 * in the domain's queue, not on a worker): a hung hvcore holds one worker
 * at most, and delays only the requests about its own domain.  Starts run
 * in a pool of their own, since a start may take as long as hvcore's
 * start timeout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "evlog.h"
#include "jobs.h"
#include "log.h"
#include "monitor.h"
#include "ops.h"
#include "restart.h"
#include "store.h"
#include "util.h"

/* How long an API-requested event counts as "caused by the API". */
#define EXPECT_NS (30ull * 1000000000)

/* The lifecycle event an operation makes hvcore send. */
static int expected_event(enum domop_kind kind)
{
    switch (kind) {
    case DOMOP_START:    return HV_EVENT_STARTED;
    case DOMOP_PAUSE:    return HV_EVENT_PAUSED;
    case DOMOP_RESUME:   return HV_EVENT_UNPAUSED;
    case DOMOP_SHUTDOWN: return HV_EVENT_SHUTDOWN;
    case DOMOP_REBOOT:   return HV_EVENT_REBOOTED;
    case DOMOP_DESTROY:  return HV_EVENT_DESTROYED;
    case DOMOP_ATTACH:   return HV_EVENT_DEVICE_ATTACHED;
    case DOMOP_DETACH:   return HV_EVENT_DEVICE_DETACHED;
    default:             return 0;
    }
}

static void fail(struct domop *op, int rc)
{
    op->rc = rc;
    snprintf(op->msg, sizeof(op->msg), "%s", hv_last_error());
}

static int start(struct domop *op, hv_domain **dom)
{
    hv_config *cfg = NULL;
    int rc;

    if (op->job)
        job_set_step(op->job, "starting hvcore", 0);
    rc = hv_config_from_json(op->config, strlen(op->config), op->name, &cfg);
    /* hvctld restarts a crashed defined domain itself, with a backoff
     * and a start limit (restart.c): hvcore keeps it until then. */
    if (rc == 0 && !op->transient &&
        hv_config_get_action(cfg, HV_ON_CRASH) == HV_ACTION_RESTART)
        rc = hv_config_set_action(cfg, HV_ON_CRASH, HV_ACTION_PRESERVE);
    if (rc == 0)
        rc = hv_domain_create(op->a->conn, cfg, op->create_flags,
                              &op->newdom);
    if (rc == 0) {
        op->started_domid = hv_domain_get_id(op->newdom);
        snprintf(op->started_uuid, sizeof(op->started_uuid), "%s",
                 hv_domain_get_uuid(op->newdom));
    }
    hv_config_free(cfg);
    *dom = op->newdom;
    return rc;
}

static void run(struct work *w)
{
    struct domop *op = (struct domop *)w;
    hv_domain *dom = op->h ? op->h->dom : NULL;
    hv_domain_info *info = NULL;
    int rc = 0;

    op->t0 = now_mono_ns();
    if (op->kind == DOMOP_START) {
        rc = start(op, &dom);
    } else if (!dom) {
        rc = hv_domain_lookup_by_id(op->a->conn, op->domid, &op->newdom);
        if (rc == 0 && strcmp(hv_domain_get_name(op->newdom), op->name)) {
            hv_domain_free(op->newdom);
            op->newdom = NULL;
            rc = HV_ENOENT;
            snprintf(op->msg, sizeof(op->msg), "domain '%s': no such "
                     "domain", op->name);
            op->rc = rc;
            return;
        }
        dom = op->newdom;
    }
    if (rc) {
        fail(op, rc);
        return;
    }
    switch (op->kind) {
    case DOMOP_PAUSE:    rc = hv_domain_pause(dom, 0); break;
    case DOMOP_RESUME:   rc = hv_domain_unpause(dom, 0); break;
    case DOMOP_REBOOT:   rc = hv_domain_reboot(dom, 0); break;
    case DOMOP_DESTROY:  rc = hv_domain_destroy(dom, 0); break;
    case DOMOP_MEMORY:   rc = hv_domain_set_memory(dom, op->mem_mib, 0); break;
    case DOMOP_SHUTDOWN: rc = hv_domain_shutdown(dom, 0, 0, NULL); break;
    case DOMOP_ATTACH:
        /* op->device gets the id and MAC it was given: the answer. */
        rc = hv_domain_attach_device(dom, op->device, HV_DEVICE_LIVE);
        break;
    case DOMOP_DETACH:
        rc = hv_domain_detach_device(dom, op->device_id, HV_DEVICE_LIVE);
        break;
    case DOMOP_DEVICES: {
        hv_devlist *l;
        rc = hv_domain_get_devices(dom, 0, &l);
        if (rc == 0) {
            rc = hv_devlist_to_json(l, &op->devices_json);
            hv_devlist_free(l);
        }
        break;
    }
    case DOMOP_CONFIG: {
        hv_config *cfg;
        rc = hv_domain_get_config(dom, &cfg);
        if (rc == 0) {
            rc = hv_config_to_json(cfg, &op->live_config);
            hv_config_free(cfg);
        }
        break;
    }
    default:
        break;
    }
    if (rc) {
        fail(op, rc);
        return;
    }
    /* Fresh facts for the reply, unless the domain is gone by design. */
    if (op->kind == DOMOP_DESTROY)
        return;
    if (hv_domain_get_info(dom, &info) == 0) {
        fields_from_info(&op->info, info);
        op->state = hv_domain_info_get_state(info);
        op->have_info = true;
        hv_domain_info_free(info);
    } else if (op->kind == DOMOP_START) {
        /* Started and already gone (a guest that powers off at once):
         * the start still succeeded. */
        op->state = DOM_SHUTOFF;
    }
    /* A transient domain's configuration, kept by libhvctl if it was
     * started through it; none (NULL) is no failure. */
    if (op->kind == DOMOP_INFO && op->want_config) {
        hv_config *cfg;
        if (hv_domain_get_config(dom, &cfg) == 0) {
            if (hv_config_to_json(cfg, &op->live_config))
                op->live_config = NULL;
            hv_config_free(cfg);
        }
    }
}

/* A successful start: the entry now describes the new incarnation. */
static void apply_start(struct agent *a, struct domop *op)
{
    struct dom *d = op->d;
    struct handle *h;

    if (!op->newdom)
        return;
    h = handle_new(op->newdom);
    op->newdom = NULL;
    if (!h)
        return;
    if (d->domid == h->domid) {
        /* Its started event came first: what its events said since is
         * fresher than what the worker saw (a crash, for one). */
        handle_put(d->h);
        d->h = h;
        if (!d->have_info && op->have_info) {
            d->info = op->info;
            d->have_info = true;
        }
    } else if (h->domid == d->ended_domid && d->run_changed_ns >= op->t0) {
        /* Its events (on the stream libhvctl opened before hvcore ran)
         * told of its start and its end already: no resurrection.  Only
         * after the test above: hvcore hands out the lowest free domid,
         * so a new incarnation often has the ended one's, and its started
         * event may have come first. */
        handle_put(h);
        return;
    } else if (op->have_info || op->state != DOM_SHUTOFF) {
        handle_put(d->h);
        d->h = h;
        d->domid = h->domid;
        d->state = op->state ? op->state : HV_STATE_RUNNING;
        d->reason = HV_REASON_BOOTED;
        d->info = op->info;
        d->have_info = op->have_info;
        d->run_changed_ns = now_mono_ns();
    } else {
        handle_put(h);
        return;
    }
    domtable_changed(&a->doms);
    if (d->defined &&
        store_running_set(a->store, d->uuid, d->domid, now_real_ms()))
        log_warn("domain '%s': %s", d->name, store_errmsg(a->store));
}

static void done(struct work *w);

static void run_now(struct domop *op)
{
    struct agent *a = op->a;

    if (a->stopping) {
        /* The pools are going away: answer it without running it. */
        op->rc = HV_ECANCELED;
        snprintf(op->msg, sizeof(op->msg), "domain '%s': hvctld is "
                 "stopping", op->name);
        done(&op->w);
        return;
    }
    workers_submit(op->kind == DOMOP_START ? a->job_workers : a->workers,
                   &op->w);
}

static void done(struct work *w)
{
    struct domop *op = (struct domop *)w;
    struct agent *a = op->a;
    struct dom *d = op->d;
    bool same = !d->removed && d->domid == op->domid;
    struct domop *next;

    if (op->rc == 0 && op->kind == DOMOP_START && !d->removed) {
        apply_start(a, op);
    } else if (op->rc == 0 && same && op->domid) {
        if (op->newdom && !d->h) {
            d->h = handle_new(op->newdom);
            op->newdom = NULL;
        }
        if (op->kind == DOMOP_DESTROY) {
            /* One stopped by its start limit keeps its crash's reason. */
            if (!d->rs.limited)
                d->reason = HV_REASON_REQUESTED;
            if (d->defined)
                store_running_clear(a->store, d->uuid);
            d->run_changed_ns = now_mono_ns();
            dom_stopped(&a->doms, d);
        } else if (op->have_info) {
            if (d->state != op->state)
                d->reason = HV_REASON_REQUESTED;    /* pause, resume */
            d->state = op->state;
            d->info = op->info;
            d->have_info = true;
            domtable_changed(&a->doms);
        }
    } else if (op->rc == HV_ENOENT || op->rc == HV_EDEAD) {
        /* Gone under us: let the monitor find out what happened. */
        monitor_refresh_soon(a->mon);
    }
    if (op->cb)
        op->cb(op, op->cb_arg);
    /* This domain's turn passes to its next operation. */
    next = d->opq_head;
    if (next) {
        d->opq_head = next->qnext;
        if (!d->opq_head)
            d->opq_tail = NULL;
        run_now(next);
    } else {
        d->op_busy = false;
    }
    hv_domain_free(op->newdom);
    handle_put(op->h);
    dom_unref(op->d);
    free(op->config);
    free(op->live_config);
    free(op->devices_json);
    hv_device_free(op->device);
    free(op);
}

struct domop *domop_new(struct agent *a, enum domop_kind kind, struct dom *d,
                        domop_cb cb, void *cb_arg)
{
    struct domop *op = calloc(1, sizeof(*op));

    if (!op)
        return NULL;
    op->w.run = run;
    op->w.done = done;
    op->a = a;
    op->kind = kind;
    op->d = dom_ref(d);
    op->h = handle_get(d->h);
    op->domid = d->domid;
    snprintf(op->name, sizeof(op->name), "%s", d->name);
    op->cb = cb;
    op->cb_arg = cb_arg;
    return op;
}

void domop_submit(struct domop *op)
{
    struct dom *d = op->d;
    int ev = expected_event(op->kind);

    if (ev) {
        d->expect_ns[ev] = now_mono_ns() + EXPECT_NS;
        d->expect_cause[ev] = op->cause ? op->cause : HV_CAUSE_API;
    }
    if (op->kind == DOMOP_START)
        restart_on_start(d, op->cause ? op->cause : HV_CAUSE_API);
    if (d->op_busy) {
        op->qnext = NULL;
        if (d->opq_tail)
            d->opq_tail->qnext = op;
        else
            d->opq_head = op;
        d->opq_tail = op;
        return;
    }
    d->op_busy = true;
    run_now(op);
}
