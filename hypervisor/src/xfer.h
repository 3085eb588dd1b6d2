/*
 * xfer.h - save and migrate-send: a domain leaving as a stream.
 *
 * domctl save and migrate_send start a job on its own thread; the event
 * loop goes on serving the domain meanwhile.  The job owns the client's
 * domctl connection (progress and the final reply go there; a cancel
 * request or a hang-up arrives there) and the stream descriptor.  The
 * protocol and its outcomes are domctl.h's; the rule that exactly one
 * copy of the domain runs is docs/migration-stream.md's.
 */
#ifndef HVCORE_XFER_H
#define HVCORE_XFER_H

#include <stdint.h>

struct domain;
struct hv_domctl;

/*
 * Start the job req asks for (cmd save or migrate_send) with stream_fd.
 * On 0 the job owns client_fd and stream_fd and has answered (or will)
 * "started" itself; the caller stops watching client_fd.  Otherwise
 * nothing was started, both descriptors are still the caller's, and the
 * return value is the -HVE_* status to answer with: -HVE_BUSY (a job
 * runs, the domain is not running or paused, or is arriving),
 * -HVE_INVAL (no descriptor, or bad flags), -HVE_NOMEM.
 */
int xfer_start(struct domain *d, int client_fd, int stream_fd, const struct hv_domctl *req);

/* The domain is ending for another reason: stop a running job (its
 * client is told) and wait for it.  Event loop thread. */
void xfer_stop(struct domain *d);

/* Is a job running (pause and unpause are the job's meanwhile)? */
int xfer_busy(struct domain *d);

#endif /* HVCORE_XFER_H */
