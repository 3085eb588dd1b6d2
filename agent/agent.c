/*
 * agent.c - hvctld's life: set up (database, runtime directory, the view
 * of the domains, listeners), serve until SIGTERM or SIGINT, and tear
 * down in the order that lets in-flight work finish.  Running domains are
 * left running: they belong to their hvcore processes, not to the agent.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "agent.h"
#include "migrate.h"
#include "host_shutdown.h"
#include "auth.h"
#include "evlog.h"
#include "httpd.h"
#include "jobs.h"
#include "log.h"
#include "metrics.h"
#include "monitor.h"
#include "reconcile.h"
#include "restart.h"
#include "sdnotify.h"
#include "shutdown.h"
#include "sse.h"
#include "store.h"
#include "util.h"
#include "worker.h"

/* Threads for starts: a start normally takes milliseconds, but may take
 * up to hvcore's start timeout; short operations never queue behind it. */
#define JOB_WORKERS 4

bool agent_name_ok(struct agent *a, const char *name, char *msg, size_t len)
{
    if (hv_config_set_name(a->scratch, name) == 0)
        return true;
    if (msg)
        snprintf(msg, len, "invalid domain name: %s", hv_last_error());
    return false;
}

/* One hvctld per runtime directory: two would fight over its domains. */
static int lock_rundir(struct agent *a)
{
    char path[4200], pid[24];
    int fd;

    snprintf(path, sizeof(path), "%s/hvctld.lock",
             hv_conn_get_rundir(a->conn));
    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) {
        /* Opening a connection makes no directory: the agent, which is
         * to serve it, does (its parent must exist, as for any path). */
        if (mkdir(hv_conn_get_rundir(a->conn), 0755) == 0 || errno == EEXIST)
            fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        else
            snprintf(path, sizeof(path), "%s", hv_conn_get_rundir(a->conn));
    }
    if (fd < 0) {
        log_err("%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int n = (int)read(fd, pid, sizeof(pid) - 1);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        log_err("another hvctld (pid %s) serves %s", *pid ? pid : "?",
                hv_conn_get_rundir(a->conn));
        close(fd);
        return -1;
    }
    snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    if (ftruncate(fd, 0) == 0)
        (void)!pwrite(fd, pid, strlen(pid), 0);
    a->lock_fd = fd;
    return 0;
}

/* domtable.on_stopped: an incarnation ended. */
static void on_stopped(struct domtable *t, struct dom *d, void *arg)
{
    restart_forget(d);
    shutdown_stopped(t, d, arg);
    host_shutdown_stopped(arg, d);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct agent *a = arg;

    log_info("%s: shutting down (domains keep running)",
             sig == SIGTERM ? "SIGTERM" : "SIGINT");
    event_base_loopexit(a->base, NULL);
}

/*
 * Not EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST, although it would save an
 * epoll_ctl per request: it defers epoll changes to the next loop
 * iteration, and a connection's fd that evhttp closed meanwhile may by
 * then be a worker thread's new hvcore socket, which would inherit the
 * stale registration (and spin the loop on an fd nobody reads).
 */
static struct event_base *base_new(void)
{
    struct event_base *base = event_base_new();

    /* Two priorities, before any event exists: 0 for what must be seen
     * before requests in the same iteration (auth.c), 1 for the rest. */
    if (base && event_base_priority_init(base, 2) < 0) {
        event_base_free(base);
        base = NULL;
    }
    return base;
}

static int setup(struct agent *a)
{
    char err[512];
    int rc;

    /* First of all: a second agent on this database must touch nothing
     * (no runtime directory, no autostart, no event ids). */
    if (store_lock(a->opts->db_path, &a->db_lock_fd, err, sizeof(err))) {
        log_err("%s", err);
        return -1;
    }
    if ((rc = hv_conn_open(a->opts->rundir, &a->conn))) {
        log_err("%s", hv_last_error());
        return -1;
    }
    if (lock_rundir(a))
        return -1;
    if (store_open(a->opts->db_path, &a->store, err, sizeof(err))) {
        log_err("database %s: %s", a->opts->db_path, err);
        return -1;
    }
    store_events_set_audit_keep(a->store, a->opts->audit_log_max);
    a->scratch = hv_config_new();
    a->base = base_new();
    a->jobs = jobs_new();
    a->metrics = metrics_new();
    a->auth = auth_new(a->store, a->opts->db_path, a->base);
    if (!a->scratch || !a->base || !a->jobs || !a->metrics || !a->auth ||
        !(a->evlog = evlog_new(a->store, a->base, a->opts->event_log_max)) ||
        workers_start(a->base, a->opts->workers, &a->workers) ||
        workers_start(a->base, JOB_WORKERS, &a->job_workers)) {
        log_err("out of memory");
        return -1;
    }
    if (reconcile_load(a))
        return -1;
    /* Watch before listing, so that nothing falls between the two. */
    if (monitor_start(a, &a->mon) || reconcile_runtime(a))
        return -1;
    if (sse_init(a)) {
        log_err("out of memory");
        return -1;
    }
    if (httpd_start(a, &a->httpd, err, sizeof(err))) {
        log_err("%s", err);
        return -1;
    }
    return 0;
}

static void teardown(struct agent *a)
{
    a->stopping = true;
    sse_shutdown();
    httpd_stop_accepting(a->httpd);
    /* Waiting operations stop at once; the rest finish in the workers. */
    if (a->jobs)
        jobs_cancel_all(a->jobs);
    workers_stop(a->job_workers);
    a->job_workers = NULL;
    workers_stop(a->workers);
    /* monitor_stop() below answers requests still waiting for a list
     * (/metrics), which read the agent's state: no freed pool in it. */
    a->workers = NULL;
    monitor_stop(a->mon);
    migrate_in_free_all(a);
    migrate_notes_free(a);
    httpd_stop(a->httpd);
    restart_shutdown(a);
    evlog_free(a->evlog);
    domtable_free(&a->doms);
    jobs_free(a->jobs);
    auth_free(a->auth);
    metrics_free(a->metrics);
    store_close(a->store);
    hv_config_free(a->scratch);
    /* libevent frees a connection's bufferevents from a callback of the
     * loop (after httpd_stop, one answering a request that was waiting,
     * as for /metrics): give it one turn, or they leak. */
    if (a->base) {
        event_base_loop(a->base, EVLOOP_NONBLOCK);
        event_base_free(a->base);
    }
    hv_conn_free(a->conn);
    if (a->lock_fd >= 0)
        close(a->lock_fd);
    if (a->db_lock_fd >= 0)
        close(a->db_lock_fd);
}

int agent_start(struct agent *a, const struct agent_opts *opts)
{
    memset(a, 0, sizeof(*a));
    a->opts = opts;
    a->lock_fd = -1;
    a->db_lock_fd = -1;
    a->started_ms = now_real_ms();
    log_set_level((enum log_level)opts->log_level);
    signal(SIGPIPE, SIG_IGN);
    domtable_init(&a->doms);
    a->doms.on_stopped = on_stopped;
    a->doms.on_stopped_arg = a;
    return setup(a);
}

void agent_stop(struct agent *a)
{
    teardown(a);
}

int agent_run(const struct agent_opts *opts)
{
    struct agent a;
    struct event *sig_term = NULL, *sig_int = NULL;
    int status = 1;

    if (agent_start(&a, opts))
        goto out;
    sig_term = evsignal_new(a.base, SIGTERM, on_signal, &a);
    sig_int = evsignal_new(a.base, SIGINT, on_signal, &a);
    if (!sig_term || !sig_int || evsignal_add(sig_term, NULL) ||
        evsignal_add(sig_int, NULL)) {
        log_err("cannot handle signals");
        goto out;
    }
    reconcile_autostart(&a);
    log_info("hvctld %s ready (database %s, runtime %s)", PACKAGE_VERSION,
             opts->db_path, hv_conn_get_rundir(a.conn));
    sd_notify_msg("READY=1");
    event_base_dispatch(a.base);
    sd_notify_msg("STOPPING=1");
    status = 0;
out:
    if (sig_term)
        event_free(sig_term);
    if (sig_int)
        event_free(sig_int);
    agent_stop(&a);
    return status;
}
