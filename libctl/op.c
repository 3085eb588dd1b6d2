/*
 * op.c - hv_op: progress reporting and cancellation for long operations.
 * Cancelling writes to an eventfd, which the waiting operation polls next
 * to whatever it waits for; so it is safe from any thread or a signal
 * handler, and costs nothing while nobody cancels.
 *
 * A save or a migration also leaves its figures here (hv_op_get_figure),
 * under a lock since another thread may read them while the call runs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "op.h"

struct hv_op {
    hv_progress_fn fn;
    void *opaque;
    int cancel_fd;
    pthread_mutex_t lock;               /* the figures */
    uint64_t figure[OP_FIGURES_MAX];
    bool known[OP_FIGURES_MAX];
};

HV_EXPORT hv_op *hv_op_new(hv_progress_fn fn, void *opaque)
{
    hv_op *op = calloc(1, sizeof(*op));

    if (!op) {
        err_set(HV_ENOMEM, "operation: out of memory");
        return NULL;
    }
    op->fn = fn;
    op->opaque = opaque;
    op->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (op->cancel_fd < 0) {
        err_sys(HV_EIO, errno, "operation: eventfd");
        free(op);
        return NULL;
    }
    pthread_mutex_init(&op->lock, NULL);
    return op;
}

HV_EXPORT void hv_op_cancel(hv_op *op)
{
    uint64_t one = 1;

    if (op)
        (void)!write(op->cancel_fd, &one, sizeof(one));
}

HV_EXPORT void hv_op_free(hv_op *op)
{
    if (!op)
        return;
    close(op->cancel_fd);
    pthread_mutex_destroy(&op->lock);
    free(op);
}

int op_cancel_fd(const hv_op *op)
{
    return op ? op->cancel_fd : -1;
}

void op_progress(const hv_op *op, const char *step, double fraction)
{
    if (op && op->fn)
        op->fn(step, fraction, op->opaque);
}

void op_figures_reset(hv_op *op)
{
    if (!op)
        return;
    pthread_mutex_lock(&op->lock);
    memset(op->known, 0, sizeof(op->known));
    pthread_mutex_unlock(&op->lock);
}

void op_set_figure(hv_op *op, int figure, uint64_t value)
{
    if (!op || figure <= 0 || figure >= OP_FIGURES_MAX)
        return;
    pthread_mutex_lock(&op->lock);
    op->figure[figure] = value;
    op->known[figure] = true;
    pthread_mutex_unlock(&op->lock);
}

HV_EXPORT int hv_op_get_figure(const hv_op *op, int figure, uint64_t *value)
{
    hv_op *o = (hv_op *)op;     /* the lock only */
    int rc = 0;

    if (!value)
        return err_set(HV_EINVAL, "operation: no place for the figure");
    *value = 0;
    if (!op)
        return err_set(HV_EINVAL, "operation: NULL handle");
    if (figure <= 0 || figure >= OP_FIGURES_MAX)
        return err_set(HV_EINVAL, "operation: unknown figure %d", figure);
    pthread_mutex_lock(&o->lock);
    if (o->known[figure])
        *value = o->figure[figure];
    else
        rc = HV_EAGAIN;
    pthread_mutex_unlock(&o->lock);
    if (rc)
        return err_set(rc, "operation: figure %d is not known yet", figure);
    return 0;
}

HV_EXPORT const char *hv_op_phase_name(int phase)
{
    switch (phase) {
    case HV_OP_PHASE_SETUP:     return "setup";
    case HV_OP_PHASE_PRECOPY:   return "precopy";
    case HV_OP_PHASE_FINAL:     return "final";
    case HV_OP_PHASE_HANDSHAKE: return "handshake";
    default:                    return "unknown";
    }
}
