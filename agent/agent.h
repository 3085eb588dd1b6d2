/*
 * agent.h - the one hvctld instance: what every module reaches through
 * `struct agent`.  Everything here belongs to the event-loop thread.
 */
#ifndef HVCTLD_AGENT_H
#define HVCTLD_AGENT_H

#include <stdbool.h>
#include <stdint.h>

#include "domtable.h"
#include "hvctl.h"
#include "options.h"

struct event_base;
struct event;
struct store;
struct workers;
struct evlog;
struct jobs;
struct monitor;
struct httpd;
struct auth;
struct metrics;
struct mig_note;
struct mig_in;

struct agent {
    const struct agent_opts *opts;
    struct event_base *base;
    hv_conn *conn;
    struct store *store;
    struct workers *workers;    /* short operations (ops.c)           */
    struct workers *job_workers; /* starts, which may take seconds     */
    struct domtable doms;
    struct evlog *evlog;
    struct jobs *jobs;
    struct monitor *mon;
    struct auth *auth;
    struct metrics *metrics;
    struct httpd *httpd;
    hv_config *scratch;         /* for checking names with the library */
    int64_t started_ms;
    int lock_fd;                /* flock on <rundir>/hvctld.lock */
    int db_lock_fd;             /* flock on <db>.lock (store_lock) */
    struct restart_wait *restarts; /* crash restarts waiting (restart.c) */
    struct host_stop *host_stop; /* the host shutdown job, if one runs */
    struct mig_note *mig_notes; /* where domains went (migrate_relay.c) */
    struct mig_in *mig_in;      /* incoming migrations (migrate_in.c)  */
    bool stopping;
};

/*
 * Is name a valid domain name?  Uses libhvctl's own rule, so the two can
 * never disagree.  On false, msg (if not NULL) gets the reason.
 */
bool agent_name_ok(struct agent *a, const char *name, char *msg, size_t len);

/* Run the daemon with these options until SIGTERM/SIGINT; exit status. */
int agent_run(const struct agent_opts *opts);

/*
 * What agent_run does before and after its loop: everything up to the
 * listeners (0, or -1 logged), and the tear-down (also after a failed
 * start).  No signal handling and no autostart; for harnesses that run
 * a->base themselves (tests/fuzz/fuzz_agent.c).
 */
int agent_start(struct agent *a, const struct agent_opts *opts);
void agent_stop(struct agent *a);

#endif /* HVCTLD_AGENT_H */
