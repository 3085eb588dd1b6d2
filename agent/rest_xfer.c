/*
 * rest_xfer.c - POST /v1/domains/{name}/save and POST /v1/domains/restore:
 * jobs that run libhvctl's hv_domain_save / hv_domain_restore (the direct
 * driver: hvctld owns this host's runtime) on a job worker, with hvcore's
 * progress as the job's step and fraction, and DELETE /v1/jobs/{id} as
 * hv_op_cancel.  The domain's end (saved) and start (restored) reach the
 * table and the event stream through the monitor, as every other change
 * of a running domain does; the note set here gives those events where
 * the domain went to or came from.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "jobs.h"
#include "log.h"
#include "migrate.h"
#include "rest_handlers.h"
#include "worker.h"

struct xfer_work {
    struct work w;
    struct agent *a;
    struct job *j;
    hv_op *op;
    bool save;
    char name[64], uuid[37];
    uint32_t domid;
    char path[PATH_MAX];
    unsigned flags;
    /* results */
    int rc;
    char msg[512];
    char new_name[64], new_uuid[37];
    uint32_t new_domid;
};

/* hv_op_get_figure's figures by their REST names (Job.figures). */
static const struct { int fig; const char *name; } fig_names[] = {
    { HV_OP_PHASE, "phase" },
    { HV_OP_ITERATION, "iteration" },
    { HV_OP_BYTES_SENT, "bytes_sent" },
    { HV_OP_BYTES_REMAINING, "bytes_remaining" },
    { HV_OP_BYTES_TOTAL, "bytes_total" },
    { HV_OP_DIRTY_RATE_BPS, "dirty_rate_bps" },
    { HV_OP_BANDWIDTH_BPS, "bandwidth_bps" },
    { HV_OP_EXPECTED_DOWNTIME_NS, "expected_downtime_ns" },
};

void xfer_job_figures(struct job *j, const hv_op *op)
{
    struct job_figure f[JOB_FIGURES_MAX];
    unsigned n = 0;

    for (size_t i = 0; i < sizeof(fig_names) / sizeof(fig_names[0]) &&
         n < JOB_FIGURES_MAX; i++)
        if (hv_op_get_figure(op, fig_names[i].fig, &f[n].value) == 0)
            f[n++].name = fig_names[i].name;
    if (n)
        job_set_figures(j, f, n);
}

static void on_progress(const char *step, double fraction, void *opaque)
{
    struct xfer_work *x = opaque;

    xfer_job_figures(x->j, x->op);
    job_set_step(x->j, step, fraction);
}

static void on_cancel(struct job *j)
{
    hv_op_cancel(((struct xfer_work *)j->data)->op);
}

/* The job's figures, for GET /v1/jobs/{id} (rest_xfer_figures). */
static void set_figures(struct job *j, hv_op *op)
{
    json_object *r = json_object_new_object();
    static const struct { int fig; const char *key; } figs[] = {
        { HV_OP_BYTES_SENT, "bytes_sent" },
        { HV_OP_TOTAL_NS, "total_ns" },
        { HV_OP_DOWNTIME_NS, "downtime_ns" },
        { HV_OP_ITERATIONS, "iterations" },
    };

    for (size_t i = 0; r && i < sizeof(figs) / sizeof(figs[0]); i++) {
        uint64_t v;
        if (hv_op_get_figure(op, figs[i].fig, &v) == 0)
            json_object_object_add(r, figs[i].key,
                                   json_object_new_int64((int64_t)v));
    }
    job_set_result(j, r);
}

static void xfer_run(struct work *w)
{
    struct xfer_work *x = (struct xfer_work *)w;
    hv_domain *dom = NULL;

    if (x->save) {
        x->rc = hv_domain_lookup_by_id(x->a->conn, x->domid, &dom);
        if (x->rc == 0 && strcmp(hv_domain_get_name(dom), x->name) != 0)
            x->rc = HV_ENOENT;
        if (x->rc == 0)
            x->rc = hv_domain_save(dom, x->path, x->flags, x->op);
        hv_domain_free(dom);
    } else {
        x->rc = hv_domain_restore(x->a->conn, x->path, x->flags, &dom, x->op);
        if (x->rc == 0) {
            snprintf(x->new_name, sizeof(x->new_name), "%s",
                     hv_domain_get_name(dom));
            snprintf(x->new_uuid, sizeof(x->new_uuid), "%s",
                     hv_domain_get_uuid(dom));
            x->new_domid = hv_domain_get_id(dom);
            hv_domain_free(dom);
        }
    }
    if (x->rc)
        snprintf(x->msg, sizeof(x->msg), "%s", hv_last_error());
}

static void xfer_done(struct work *w)
{
    struct xfer_work *x = (struct xfer_work *)w;
    struct agent *a = x->a;

    if (x->rc == 0 && x->save) {
        set_figures(x->j, x->op);
        log_info("domain '%s' saved to %s", x->name, x->path);
    } else if (x->rc == 0) {
        json_object *r = json_object_new_object();
        json_object_object_add(r, "name", json_object_new_string(x->new_name));
        json_object_object_add(r, "uuid", json_object_new_string(x->new_uuid));
        json_object_object_add(r, "domid",
                               json_object_new_int64(x->new_domid));
        job_set_result(x->j, r);
        log_info("domain '%s' restored from %s", x->new_name, x->path);
    } else {
        log_warn("%s", x->msg);
    }
    if (x->rc && x->save) {
        char drop[256];
        migrate_note_take(a, x->name, "saved", drop, sizeof(drop));
    }
    x->j->cancel = NULL;
    x->j->data = NULL;
    job_finish(a->jobs, x->j, x->rc, x->msg);
    hv_op_free(x->op);
    free(x);
}

/* A job for x (filled but for j and op), submitted; replies 202. */
static void submit(struct rest_req *rr, struct xfer_work *x, const char *op,
                   const char *domain)
{
    struct agent *a = rr->a;

    x->a = a;
    x->w.run = xfer_run;
    x->w.done = xfer_done;
    x->op = hv_op_new(on_progress, x);
    x->j = x->op ? job_create(a->jobs, op, domain) : NULL;
    if (!x->j) {
        hv_op_free(x->op);
        free(x);
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    x->j->cancel = on_cancel;
    x->j->data = x;
    workers_submit(a->job_workers, &x->w);
    rest_reply_job(rr, x->j);
}

/* body's "path": absolute (hvctld has no working directory of the
 * client's), else reply 400 and false. */
static bool path_arg(struct rest_req *rr, json_object *body, char *out,
                     size_t len)
{
    json_object *v;
    const char *p;

    if (!json_object_object_get_ex(body, "path", &v) ||
        !json_object_is_type(v, json_type_string)) {
        rest_error(rr, 400, "invalid_argument", "\"path\" (a file name) is "
                   "required");
        return false;
    }
    p = json_object_get_string(v);
    if (p[0] != '/' || strlen(p) >= len) {
        rest_error(rr, 400, "invalid_argument", "\"path\" must be an "
                   "absolute file name (hvctld has no working directory of "
                   "yours): '%s'", p);
        return false;
    }
    snprintf(out, len, "%s", p);
    return true;
}

/* body's boolean key (default false); reply 400 and -1 when not one. */
static int bool_arg(struct rest_req *rr, json_object *body, const char *key)
{
    json_object *v;

    if (!json_object_object_get_ex(body, key, &v))
        return 0;
    if (!json_object_is_type(v, json_type_boolean)) {
        rest_error(rr, 400, "invalid_argument", "\"%s\" must be true or "
                   "false", key);
        return -1;
    }
    return json_object_get_boolean(v);
}

void h_domain_save(struct rest_req *rr)
{
    static const char *const keys[] = { "path", "keep", NULL };
    struct dom *d = rest_domain_param(rr);
    struct xfer_work *x = NULL;
    json_object *body = NULL;
    char detail[PATH_MAX + 16];
    int keep;

    if (!d)
        return;
    if (!(body = rest_json_body(rr, keys, false)))
        return;
    if (!d->domid || d->state == DOM_SHUTOFF) {
        rest_error(rr, 409, "wrong_state", "domain '%s' is not running",
                   d->name);
        goto out;
    }
    if (d->busy) {
        rest_error(rr, 409, "busy", "domain '%s': a %s job is running",
                   d->name, d->busy);
        goto out;
    }
    if (!(x = calloc(1, sizeof(*x)))) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        goto out;
    }
    if (!path_arg(rr, body, x->path, sizeof(x->path)) ||
        (keep = bool_arg(rr, body, "keep")) < 0) {
        free(x);
        goto out;
    }
    x->save = true;
    x->flags = keep ? HV_SAVE_KEEP : 0;
    x->domid = d->domid;
    snprintf(x->name, sizeof(x->name), "%s", d->name);
    snprintf(x->uuid, sizeof(x->uuid), "%s", d->uuid);
    snprintf(detail, sizeof(detail), "to %s", x->path);
    migrate_note_set(rr->a, d->name, "saved", detail);
    submit(rr, x, "save", d->name);
out:
    json_object_put(body);
}

void h_domains_restore(struct rest_req *rr)
{
    static const char *const keys[] = { "path", "paused", "verify", NULL };
    struct xfer_work *x = NULL;
    json_object *body = rest_json_body(rr, keys, false);
    int paused, verify;

    if (!body)
        return;
    if (!(x = calloc(1, sizeof(*x)))) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        goto out;
    }
    if (!path_arg(rr, body, x->path, sizeof(x->path)) ||
        (paused = bool_arg(rr, body, "paused")) < 0 ||
        (verify = bool_arg(rr, body, "verify")) < 0) {
        free(x);
        goto out;
    }
    x->flags = (paused ? HV_RESTORE_PAUSED : 0) |
               (verify ? HV_RESTORE_VERIFY : 0);
    submit(rr, x, "restore", "");
out:
    json_object_put(body);
}
