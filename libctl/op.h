/* op.h - internal side of hv_op (op.c). */
#ifndef HVCTL_OP_H
#define HVCTL_OP_H

#include "internal.h"

/* fd that becomes readable on cancel (and stays so), or -1 for NULL. */
int op_cancel_fd(const hv_op *op);
void op_progress(const hv_op *op, const char *step, double fraction);

/*
 * Transfer figures (hv_op_get_figure), indexed by enum hv_op_figure.
 * op_figures_reset forgets them all (a new save or migration starts);
 * op_set_figure makes one known.  NULL op: nothing.
 */
#define OP_FIGURES_MAX 12       /* one past the highest HV_OP_* figure */
void op_figures_reset(hv_op *op);
void op_set_figure(hv_op *op, int figure, uint64_t value);

#endif /* HVCTL_OP_H */
