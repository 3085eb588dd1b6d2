/*
 * op.c - hv_op: progress reporting and cancellation for long operations.
 * Cancelling writes to an eventfd, which the waiting operation polls next
 * to whatever it waits for; so it is safe from any thread or a signal
 * handler, and costs nothing while nobody cancels.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "op.h"

struct hv_op {
    hv_progress_fn fn;
    void *opaque;
    int cancel_fd;
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
