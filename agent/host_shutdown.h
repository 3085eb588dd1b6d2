/*
 * host_shutdown.h - POST /v1/host/shutdown: every running domain shut
 * down, in an order that lets services come down before what they rely
 * on: first the domains without autostart (all at once), then the
 * autostart ones one by one, the last started first.  One job for the
 * whole host; the domains still running at its deadline are named in the
 * job's result.  This is `hvctl shutdown --all`.
 */
#ifndef HVCTLD_HOST_SHUTDOWN_H
#define HVCTLD_HOST_SHUTDOWN_H

struct agent;
struct dom;
struct job;

#define HOST_SHUTDOWN_TIMEOUT_DEFAULT_MS 120000
#define HOST_SHUTDOWN_TIMEOUT_MAX_MS 86400000

/*
 * Start the job, waiting at most timeout_ms (1 ..
 * HOST_SHUTDOWN_TIMEOUT_MAX_MS) in all.  NULL when out of memory, or
 * when one runs already (*running then names its job).
 */
struct job *host_shutdown_job(struct agent *a, int timeout_ms,
                              struct job **running);
/* From domtable.on_stopped: the incarnation of d ended. */
void host_shutdown_stopped(struct agent *a, struct dom *d);

#endif /* HVCTLD_HOST_SHUTDOWN_H */
