/* op.h - internal side of hv_op (op.c). */
#ifndef HVCTL_OP_H
#define HVCTL_OP_H

#include "internal.h"

/* fd that becomes readable on cancel (and stays so), or -1 for NULL. */
int op_cancel_fd(const hv_op *op);
void op_progress(const hv_op *op, const char *step, double fraction);

#endif /* HVCTL_OP_H */
