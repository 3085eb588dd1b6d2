/*
 * priv_hvctld.h - what hvctld needs of libhvctl beyond hvctl.h, for
 * migrations between agents (agent/migrate_*.c, docs/migration.md).
 * Not installed and not part of the API: exported under the version
 * node HVCTL_0.5_PRIVATE, which may change with every release, so that
 * the agent uses the very spawner and transfer session the direct
 * driver uses instead of a copy of them.
 */
#ifndef HVCTL_PRIV_HVCTLD_H
#define HVCTL_PRIV_HVCTLD_H

#include <stddef.h>
#include <stdint.h>

#include "hvctl.h"

/*
 * Start `hvcore --incoming` on conn (a direct connection) reading the
 * stream from sock (the spawner takes its own copy; the caller closes
 * sock).  Returns as soon as hvcore has claimed a domid (it is then
 * paused, receiving), with *out its handle under name and uuid.
 * flags: HV_MIGRATE_PAUSED to stay paused once it has arrived.
 * reserve_mib: the domain's memory, made before hvcore says it is ready
 * (--reserve), or 0 when not known.
 */
int hv_priv_incoming_start(hv_conn *conn, const char *name,
                           const char *uuid, int sock, unsigned flags,
                           uint64_t reserve_mib, hv_domain **out);

/* What came of hv_priv_migrate_send. */
enum hv_priv_move {
    HV_PRIV_MOVED = 1,  /* the destination runs it; the source has ended */
    HV_PRIV_STAYED,     /* failed or cancelled: the source runs on       */
    HV_PRIV_UNDECIDED,  /* broke after GO: the source waits paused; ask
                           the destination, then unpause or destroy     */
    HV_PRIV_SOURCE_GONE, /* the source hvcore died without a final word */
};

/*
 * domctl migrate_send on dom's hvcore with fd (closed here, on every
 * path), progress and figures into op, xfer_cancel when op is cancelled.
 * 0 with *move and *status (hvcore's final -HVE_* or 0) and, for
 * HV_PRIV_STAYED, hvcore's one line in msg ("" otherwise); or an HV_E*
 * code when the domain could not be asked at all (it runs on).
 */
int hv_priv_migrate_send(hv_domain *dom, int fd, const hv_migrate_params *p,
                         hv_op *op, enum hv_priv_move *move, int *status,
                         char *msg, size_t msglen);

/*
 * Where dom's hvcore stands: HV_XFER_STATE_* (domctl.h) and its
 * HV_STATE_*.  0, or HV_ENOENT when it has ended, or another HV_E*.
 * A domain still receiving has no control socket yet: HV_EAGAIN.
 */
int hv_priv_xfer_state(hv_domain *dom, int *xfer, int *state);

/* dom left its hvcore (moved): wait for that hvcore to exit, and reap
 * its runtime entry, so that its name is free. */
void hv_priv_wait_gone(hv_domain *dom);

/*
 * One exchange with the agent of conn (an agent connection: its URI,
 * token and certificates), a JSON body or none, within timeout_ms: 0
 * with the answer's status and body text (*body malloc'ed, may be NULL)
 * whatever the status, or an HV_E* code (message set) when no answer
 * came in time.
 */
int hv_priv_agent_request(hv_conn *conn, const char *method,
                          const char *path, const char *json,
                          int timeout_ms, long *status, char **body);

#endif /* HVCTL_PRIV_HVCTLD_H */
