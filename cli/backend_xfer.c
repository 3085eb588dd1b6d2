/*
 * backend_xfer.c - save, restore and migrate through libhvctl: an hv_op
 * whose callback hands hvcore's figures to the command (which draws
 * them), and whose cancel is Ctrl-C's: SIGINT and SIGTERM call
 * hv_op_cancel (async-signal-safe), and libhvctl then cancels the
 * transfer, so that the domain runs on where it was.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "backend_lib.h"

struct xfer_wait {
    hv_op *op;
    xfer_fn fn;
    void *opaque;
};

static hv_op *volatile xfer_op;

static void cancel_xfer(int sig)
{
    (void)sig;
    if (xfer_op)
        hv_op_cancel(xfer_op);
}

static uint64_t figure(const hv_op *op, int which)
{
    uint64_t v = 0;

    return hv_op_get_figure(op, which, &v) == 0 ? v : 0;
}

static void read_figures(const hv_op *op, struct xfer_figures *f)
{
    uint64_t v;

    memset(f, 0, sizeof(*f));
    f->phase = (int)figure(op, HV_OP_PHASE);
    f->iteration = figure(op, HV_OP_ITERATION);
    f->bytes_sent = figure(op, HV_OP_BYTES_SENT);
    f->bytes_remaining = figure(op, HV_OP_BYTES_REMAINING);
    f->bytes_total = figure(op, HV_OP_BYTES_TOTAL);
    f->dirty_rate_bps = figure(op, HV_OP_DIRTY_RATE_BPS);
    f->bandwidth_bps = figure(op, HV_OP_BANDWIDTH_BPS);
    f->expected_downtime_ns = figure(op, HV_OP_EXPECTED_DOWNTIME_NS);
    f->result = hv_op_get_figure(op, HV_OP_TOTAL_NS, &v) == 0;
    f->total_ns = v;
    f->downtime_ns = figure(op, HV_OP_DOWNTIME_NS);
    f->iterations = figure(op, HV_OP_ITERATIONS);
}

static void on_progress(const char *step, double fraction, void *opaque)
{
    struct xfer_wait *w = opaque;
    struct xfer_figures f;

    (void)step;
    (void)fraction;
    /* Only hvcore's reports carry figures; libhvctl's own steps
     * ("starting the destination") have none yet. */
    read_figures(w->op, &f);
    if (w->fn && f.phase)
        w->fn(w->opaque, &f);
}

/* Run call(op) with Ctrl-C cancelling it; figures into *out. */
static int with_op(struct cli *cli, xfer_fn fn, void *opaque,
                   struct xfer_figures *out,
                   int (*call)(void *arg, hv_op *op), void *arg)
{
    struct sigaction sa, old_int, old_term;
    struct xfer_wait w = { .fn = fn, .opaque = opaque };
    int rc;

    if (!(w.op = hv_op_new(on_progress, &w)))
        return lib_fail(cli);
    xfer_op = w.op;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = cancel_xfer;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    rc = call(arg, w.op);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    xfer_op = NULL;
    /* The message first: reading a figure that is not known sets one. */
    rc = rc ? lib_fail(cli) : EXIT_OK;
    if (out)
        read_figures(w.op, out);
    hv_op_free(w.op);
    return rc;
}

struct save_args {
    hv_domain *dom;
    const char *file;
    unsigned flags;
};

static int do_save(void *arg, hv_op *op)
{
    struct save_args *a = arg;

    return hv_domain_save(a->dom, a->file, a->flags, op);
}

int be_save(struct backend *be, struct cli *cli, const char *ref,
            const char *file, bool keep, xfer_fn fn, void *opaque,
            struct xfer_figures *out, char name[64])
{
    struct save_args a = { .file = file, .flags = keep ? HV_SAVE_KEEP : 0 };
    int rc;

    if ((rc = lib_resolve(be, cli, ref, &a.dom)))
        return rc;
    str_copy(name, 64, hv_domain_get_name(a.dom));
    rc = with_op(cli, fn, opaque, out, do_save, &a);
    hv_domain_free(a.dom);
    return rc;
}

int be_restore(struct backend *be, struct cli *cli, const char *file,
               unsigned flags, struct hv_fields *out)
{
    hv_domain_info *info;
    hv_domain *dom;

    if (hv_domain_restore(be->conn, file, flags, &dom, NULL))
        return lib_fail(cli);
    if (hv_domain_get_info(dom, &info) == 0) {
        fields_from_info(out, info);
        hv_domain_info_free(info);
    } else {
        fields_init(out);
        out->domid = hv_domain_get_id(dom);
        str_copy(out->name, sizeof(out->name), hv_domain_get_name(dom));
        str_copy(out->uuid, sizeof(out->uuid), hv_domain_get_uuid(dom));
        out->state = HV_STATE_SHUTDOWN;
    }
    hv_domain_free(dom);
    return EXIT_OK;
}

struct migrate_args {
    hv_domain *dom;
    const char *dest;
    hv_migrate_params *params;
};

static int do_migrate(void *arg, hv_op *op)
{
    struct migrate_args *a = arg;

    return hv_domain_migrate(a->dom, a->dest, a->params, op);
}

int be_migrate(struct backend *be, struct cli *cli, const char *ref,
               const char *dest, const struct migrate_opts *mo, xfer_fn fn,
               void *opaque, struct xfer_figures *out, char name[64])
{
    struct migrate_args a = { .dest = dest };
    int rc;

    if (!(a.params = hv_migrate_params_new()) ||
        hv_migrate_params_set_flags(a.params, mo->flags) ||
        hv_migrate_params_set_max_downtime_ms(a.params, mo->max_downtime_ms) ||
        hv_migrate_params_set_bandwidth(a.params, mo->bandwidth_mib) ||
        hv_migrate_params_set_max_iterations(a.params, mo->max_iterations)) {
        hv_migrate_params_free(a.params);
        return lib_fail(cli);
    }
    if ((rc = lib_resolve(be, cli, ref, &a.dom)) == EXIT_OK) {
        str_copy(name, 64, hv_domain_get_name(a.dom));
        rc = with_op(cli, fn, opaque, out, do_migrate, &a);
        hv_domain_free(a.dom);
    }
    hv_migrate_params_free(a.params);
    return rc;
}
