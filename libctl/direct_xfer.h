/*
 * direct_xfer.h - what the direct driver's save, restore and migrate
 * (direct_save.c, direct_migrate.c) share: one save or migrate_send
 * session with an hvcore (direct_xfer.c).  Not part of the API.
 */
#ifndef HVCTL_DIRECT_XFER_H
#define HVCTL_DIRECT_XFER_H

#include <stdbool.h>

#include "domain_int.h"

/* What came of a session; filled whatever the outcome. */
struct xfer_outcome {
    bool started;               /* hvcore took the request (status 0)     */
    bool final;                 /* its final reply came                    */
    bool cancel_sent;           /* we sent xfer_cancel                     */
    int32_t status;             /* refusal's (!started) or final status    */
    int conn_err;               /* -errno: the connection failed before a
                                   final reply (-EPIPE: hvcore hung up)    */
    struct hv_domctl_result result; /* the final reply's; message ends in NUL */
};

/*
 * Send cmd (HV_DOMCTL_save or HV_DOMCTL_migrate_send) with x and `fd`
 * (SCM_RIGHTS; closed here once sent, on every path) to dom's hvcore
 * on a connection of its own, tell op of
 * every progress reply (hv_op_get_figure's figures too), send
 * xfer_cancel when op is cancelled, and wait for the final reply or the
 * end of the connection.  0 with *out filled, whatever hvcore answered;
 * an HV_E* code (message set) when the domain could not be asked at
 * all: gone, not answering the request within DOMCTL_TIMEOUT_MS.
 */
int xfer_run(hv_domain *dom, uint32_t cmd, const struct hv_domctl_xfer *x,
             int fd, hv_op *op, struct xfer_outcome *out);

/* The domain left dom's hvcore: wait for it to exit and reap its entry,
 * so that the name and domid are free (direct_save.c). */
void xfer_wait_gone(hv_domain *dom);

/* The outcome's figures into op (hv_op_get_figure). */
void xfer_figures(hv_op *op, const struct xfer_outcome *o);

/* hvcore's one-line message of a refusal or failure, or a fallback. */
const char *xfer_message(const struct xfer_outcome *o);

/* An HV_E* code for a refusal or a final -HVE_* status. */
int xfer_status_to_hv(int32_t status);

#endif /* HVCTL_DIRECT_XFER_H */
