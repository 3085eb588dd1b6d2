/*
 * shutdown.h - the shutdown job: ask the guest to power off (on a worker),
 * then wait for the domain's end on the event loop.  No thread is held
 * while a guest takes its time, so any number of shutdowns may wait
 * without delaying other requests; the end is seen through the monitor's
 * lifecycle events, whatever they are (shutdown, destroyed, crashed).
 */
#ifndef HVCTLD_SHUTDOWN_H
#define HVCTLD_SHUTDOWN_H

struct agent;
struct dom;
struct domtable;
struct job;

/*
 * Start a shutdown job for the running domain d, waiting at most
 * timeout_ms (0: only ask; -1: without limit).  The job, or NULL when out
 * of memory.
 */
struct job *shutdown_job(struct agent *a, struct dom *d, int timeout_ms);
/* For domtable.on_stopped: the incarnation of d ended. */
void shutdown_stopped(struct domtable *t, struct dom *d, void *arg);

#endif /* HVCTLD_SHUTDOWN_H */
