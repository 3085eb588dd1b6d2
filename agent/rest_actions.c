/*
 * rest_actions.c - what can be done to a domain: start and shutdown (long:
 * 202 and a job), pause, resume, reboot, destroy and the memory target
 * (short: 200 and the domain once hvcore has done it), and autostart.
 *
 * Every action runs on a worker (ops.c), since hvcore may be slow or hung;
 * the event loop goes on serving other requests meanwhile.  A shutdown
 * waits for the domain's end on the event loop (shutdown.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>

#include "agent.h"
#include "evlog.h"
#include "jobs.h"
#include "log.h"
#include "ops.h"
#include "rest_handlers.h"
#include "shutdown.h"
#include "store.h"
#include "util.h"

#define SHUTDOWN_TIMEOUT_DEFAULT_MS (120 * 1000)
#define SHUTDOWN_TIMEOUT_MAX_S 86400

void rest_reply_job(struct rest_req *rr, struct job *j)
{
    char loc[48];

    snprintf(loc, sizeof(loc), "/v1/jobs/%llu", (unsigned long long)j->id);
    rest_header(rr, "Location", loc);
    rest_reply_json(rr, 202, job_json(j));
}

/* A job's operation finished: record the outcome. */
static void job_done(struct domop *op, void *arg)
{
    struct agent *a = op->a;
    struct job *j = arg;

    if (op->kind == DOMOP_START) {
        op->d->busy = NULL;
        domtable_changed(&a->doms);
        if (op->rc && op->d->state == DOM_SHUTOFF)
            op->d->reason = HV_REASON_START_FAILED;
        if (op->rc) {
            evlog_emit(a->evlog, op->name, op->d->uuid, 0, "start_failed",
                       op->d->expect_cause[HV_EVENT_STARTED]
                       ? op->d->expect_cause[HV_EVENT_STARTED] : HV_CAUSE_API,
                       HV_REASON_START_FAILED, op->msg);
            op->d->expect_ns[HV_EVENT_STARTED] = 0;
            log_warn("%s", op->msg);
        } else {
            /* What it started, for the client's handle: the domain may
             * have ended (and its name been taken) before the client
             * reads the job. */
            json_object *r = json_object_new_object();
            json_object_object_add(r, "name",
                                   json_object_new_string(op->name));
            json_object_object_add(r, "uuid",
                                   json_object_new_string(op->started_uuid));
            json_object_object_add(r, "domid", json_object_new_int64(
                                       op->started_domid));
            job_set_result(j, r);
        }
        /* A transient start that failed leaves nothing behind. */
        if (!op->d->defined && !op->d->removed &&
            op->d->state == DOM_SHUTOFF)
            dom_remove(&a->doms, op->d);
    }
    job_finish(a->jobs, j, op->rc, op->msg);
}

struct job *rest_start_job(struct agent *a, struct dom *d, int cause,
                           int *hv_rc)
{
    return rest_start_config(a, d, d->config, cause, 0, hv_rc);
}

struct job *rest_start_config(struct agent *a, struct dom *d,
                              const char *config, int cause, unsigned flags,
                              int *hv_rc)
{
    struct domop *op;
    struct job *j;

    j = job_create(a->jobs, "start", d->name);
    op = j ? domop_new(a, DOMOP_START, d, job_done, j) : NULL;
    if (op) {
        op->config = strdup(config);
        op->transient = !d->defined;
        op->create_flags = flags;
    }
    if (!op || !op->config) {
        if (op) {
            /* Never submitted: undo domop_new by hand. */
            handle_put(op->h);
            dom_unref(op->d);
            free(op);
        }
        if (j)
            job_finish(a->jobs, j, HV_ENOMEM, "out of memory");
        *hv_rc = HV_ENOMEM;
        return NULL;
    }
    op->job = j;
    op->cause = cause;
    d->busy = "start";
    domtable_changed(&a->doms);
    domop_submit(op);
    return j;
}

/* The domain of the path, which must be running; else reply and NULL. */
static struct dom *running_param(struct rest_req *rr, const char *verb)
{
    struct dom *d = rest_domain_param(rr);

    if (d && d->state == DOM_SHUTOFF) {
        rest_error(rr, 409, "wrong_state", "cannot %s domain '%s': it is "
                   "not running", verb, d->name);
        return NULL;
    }
    return d;
}

void h_action_start(struct rest_req *rr)
{
    struct dom *d = rest_domain_param(rr);
    struct job *j;
    int rc;

    if (!d)
        return;
    if (d->busy) {
        rest_error(rr, 409, "busy", "domain '%s': a %s job is running",
                   d->name, d->busy);
        return;
    }
    if (d->state != DOM_SHUTOFF) {
        rest_error(rr, 409, "wrong_state", "domain '%s' is already running",
                   d->name);
        return;
    }
    if (!d->defined) {
        rest_error(rr, 404, "not_found", "domain '%s': no such domain",
                   d->name);
        return;
    }
    j = rest_start_job(rr->a, d, HV_CAUSE_API, &rc);
    if (!j)
        rest_error_hv(rr, rc, hv_last_error());
    else
        rest_reply_job(rr, j);
}

/* A short action finished: answer with the domain, or the failure. */
static void action_done(struct domop *op, void *arg)
{
    struct rest_req *rr = arg;

    if (op->rc == HV_ENOENT && !op->d->removed)
        /* It ended between the request and hvcore: not running now. */
        rest_error(rr, 409, "wrong_state", "%s", op->msg);
    else if (op->rc)
        rest_error_hv(rr, op->rc, op->msg);
    else
        rest_reply_json(rr, 200, rest_domain_json(op->d));
}

static void short_action(struct rest_req *rr, enum domop_kind kind,
                         const char *verb)
{
    struct dom *d = running_param(rr, verb);
    struct domop *op;

    if (!d)
        return;
    op = domop_new(rr->a, kind, d, action_done, rr);
    if (!op) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    domop_submit(op);
}

void h_action_pause(struct rest_req *rr)
{
    short_action(rr, DOMOP_PAUSE, "pause");
}

void h_action_resume(struct rest_req *rr)
{
    short_action(rr, DOMOP_RESUME, "resume");
}

void h_action_reboot(struct rest_req *rr)
{
    short_action(rr, DOMOP_REBOOT, "reboot");
}

void h_action_destroy(struct rest_req *rr)
{
    short_action(rr, DOMOP_DESTROY, "destroy");
}

/*
 * {"timeout_ms": N} (-1: without limit, 0: only asks), as
 * hv_domain_shutdown takes it, so that its timeout says the caller's
 * milliseconds; {"timeout": S} in seconds is 0.3's.  -1 on a bad body
 * (replied).
 */
static int64_t shutdown_timeout(struct rest_req *rr, json_object *body)
{
    json_object *ms, *s;
    int64_t v;
    bool has_ms = json_object_object_get_ex(body, "timeout_ms", &ms);
    bool has_s = json_object_object_get_ex(body, "timeout", &s);

    if (has_ms && has_s) {
        rest_error(rr, 400, "invalid_argument", "give \"timeout_ms\" or "
                   "\"timeout\", not both");
        return -2;
    }
    if (has_ms) {
        if (!json_object_is_type(ms, json_type_int) ||
            (v = json_object_get_int64(ms)) < -1 || v > INT32_MAX) {
            rest_error(rr, 400, "invalid_argument", "\"timeout_ms\" must "
                       "be an integer from -1 to %d (milliseconds; 0 only "
                       "asks, -1 waits without limit)", INT32_MAX);
            return -2;
        }
        return v;
    }
    if (has_s) {
        if (!json_object_is_type(s, json_type_int) ||
            (v = json_object_get_int64(s)) < 0 ||
            v > SHUTDOWN_TIMEOUT_MAX_S) {
            rest_error(rr, 400, "invalid_argument", "\"timeout\" must be "
                       "an integer from 0 to %d (seconds; 0 only asks)",
                       SHUTDOWN_TIMEOUT_MAX_S);
            return -2;
        }
        return v * 1000;
    }
    return SHUTDOWN_TIMEOUT_DEFAULT_MS;
}

void h_action_shutdown(struct rest_req *rr)
{
    static const char *const keys[] = { "timeout_ms", "timeout", NULL };
    json_object *body = NULL;
    int64_t timeout_ms;
    struct dom *d;
    struct job *j;

    if (!(d = running_param(rr, "shut down")))
        return;
    if (!(body = rest_json_body(rr, keys, true)))
        return;
    timeout_ms = shutdown_timeout(rr, body);
    json_object_put(body);
    if (timeout_ms < -1)
        return;
    j = shutdown_job(rr->a, d, (int)timeout_ms);
    if (!j) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    rest_reply_job(rr, j);
}

void h_memory(struct rest_req *rr)
{
    static const char *const keys[] = { "target_mib", NULL };
    json_object *body, *v;
    struct domop *op;
    struct dom *d;
    int64_t mib;

    if (!(d = running_param(rr, "set the memory of")))
        return;
    if (!(body = rest_json_body(rr, keys, false)))
        return;
    if (!json_object_object_get_ex(body, "target_mib", &v) ||
        !json_object_is_type(v, json_type_int) ||
        (mib = json_object_get_int64(v)) < 1) {
        rest_error(rr, 400, "invalid_argument", "\"target_mib\" must be a "
                   "positive integer (MiB)");
        json_object_put(body);
        return;
    }
    json_object_put(body);
    op = domop_new(rr->a, DOMOP_MEMORY, d, action_done, rr);
    if (!op) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    op->mem_mib = (uint64_t)mib;
    domop_submit(op);
}

void h_autostart(struct rest_req *rr)
{
    static const char *const keys[] = { "autostart", NULL };
    struct agent *a = rr->a;
    struct store_event ev;
    json_object *body, *v;
    struct dom *d;
    bool on;

    if (!(d = rest_domain_param(rr)))
        return;
    if (!(body = rest_json_body(rr, keys, false)))
        return;
    if (!json_object_object_get_ex(body, "autostart", &v) ||
        !json_object_is_type(v, json_type_boolean)) {
        rest_error(rr, 400, "invalid_argument", "\"autostart\" must be true "
                   "or false");
        json_object_put(body);
        return;
    }
    on = json_object_get_boolean(v);
    json_object_put(body);
    if (!d->defined) {
        rest_error(rr, 409, "not_defined", "domain '%s' is transient: only "
                   "a defined domain can start with the host", d->name);
        return;
    }
    evlog_prepare(a->evlog, &ev, d->name, d->uuid, d->domid,
                  on ? "autostart_on" : "autostart_off", HV_CAUSE_API,
                  HV_REASON_REQUESTED, rr->who);
    if (store_def_set_autostart(a->store, d->uuid, on, now_real_ms(), &ev)) {
        rest_error(rr, 500, "database", "%s", store_errmsg(a->store));
        return;
    }
    evlog_publish(a->evlog, &ev);
    d->autostart = on;
    d->updated_ms = ev.time_ms;
    domtable_changed(&a->doms);
    rest_reply_json(rr, 200, rest_domain_json(d));
}
