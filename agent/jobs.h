/*
 * jobs.h - long operations behind a 202: each gets a job that clients
 * poll at /v1/jobs/{id} and may cancel with DELETE.
 *
 * A job is created, finished and cancelled on the event-loop thread; only
 * its progress (step and fraction) may be written by a worker running it,
 * under the job's own lock.  Finished jobs are kept for JOBS_KEEP_MS, and
 * at most JOBS_KEEP_MAX of them.
 */
#ifndef HVCTLD_JOBS_H
#define HVCTLD_JOBS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#define JOBS_KEEP_MS (10 * 60 * 1000)
#define JOBS_KEEP_MAX 1000
#define JOB_FIGURES_MAX 12

enum job_state { JOB_RUNNING, JOB_SUCCEEDED, JOB_FAILED, JOB_CANCELLED };

struct job {
    uint64_t id;
    char op[16];                /* "start", "shutdown", "host_shutdown" */
    char domain[64];
    enum job_state state;
    int64_t created_ms, finished_ms;
    /* Stops the job (which then finishes as cancelled); NULL: it cannot
     * be cancelled.  `data` is the creator's. */
    void (*cancel)(struct job *j);
    void *data;
    int err_status;             /* when failed: HTTP status and body */
    char err_code[32];
    char err_msg[512];
    json_object *result;        /* what it did, or NULL (owned) */

    pthread_mutex_t lock;       /* guards step, progress and gen */
    char step[96];
    double progress;            /* 0..1, or -1 when unknown */
    unsigned gen;               /* bumped at each change of those or of
                                   the state, for the event stream's
                                   job events (sse.c) */
    unsigned sent_gen;          /* what sse.c sent last (event loop) */
    /* Figures of a save or migration while it runs (hv_op_get_figure's,
     * by name), shown as "figures"; guarded by lock. */
    struct job_figure {
        const char *name;       /* static */
        uint64_t value;
    } figures[JOB_FIGURES_MAX];
    unsigned nfigures;

    struct job *next;
};

struct jobs;

struct jobs *jobs_new(void);
void jobs_free(struct jobs *js);

/* A running job for op on domain; NULL when out of memory. */
struct job *job_create(struct jobs *js, const char *op, const char *domain);
/* What the job does now, and how far it is (0..1, -1 unknown). */
void job_set_step(struct job *j, const char *step, double progress);
struct job *job_find(struct jobs *js, uint64_t id);
/* hv_rc 0: succeeded; HV_ECANCELED: cancelled; else failed with msg
 * (an HV_E* code, for the HTTP status and error code). */
void job_finish(struct jobs *js, struct job *j, int hv_rc, const char *msg);
/* Replace the job's running figures (n at most JOB_FIGURES_MAX; names
 * static).  Any thread. */
void job_set_figures(struct job *j, const struct job_figure *f, unsigned n);
/* Set what the job did (takes o), shown as its "result". */
void job_set_result(struct job *j, json_object *o);
/* Stop a running job.  0, or -1 when it has finished or cannot be. */
int job_cancel(struct job *j);

/* Cancel every running job that can be (at shutdown). */
void jobs_cancel_all(struct jobs *js);

/* Call fn for every job kept, newest first. */
void jobs_foreach(struct jobs *js, void (*fn)(struct job *j, void *arg),
                  void *arg);

const char *job_state_name(enum job_state s);
json_object *job_json(struct job *j);
json_object *jobs_list_json(struct jobs *js);
size_t jobs_running(const struct jobs *js);

#endif /* HVCTLD_JOBS_H */
