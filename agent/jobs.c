/*
 * jobs.c - see jobs.h.  Jobs are few (one per long operation), so a list
 * with the newest first is all the structure they need.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmap.h"
#include "hvctl.h"
#include "jobs.h"
#include "util.h"

struct jobs {
    struct job *head;           /* newest first */
    uint64_t next_id;
    size_t running;
};

/*
 * Job ids go on from the wall clock at start, in thousandths of a
 * millisecond: an id from before a restart is never handed out again
 * (a client following /v1/jobs/N across the restart would read another
 * job's outcome), unless more than a thousand jobs a millisecond were
 * created, or the clock was set back by more than the agent's previous
 * run lasted.  Such ids stay below 2^53, exact in any JSON reader.
 */
#define JOB_IDS_PER_MS 1000

struct jobs *jobs_new(void)
{
    struct jobs *js = calloc(1, sizeof(*js));
    int64_t now = now_real_ms();

    if (js)
        js->next_id = now > 0 ? (uint64_t)now * JOB_IDS_PER_MS : 1;
    return js;
}

static void job_free(struct job *j)
{
    json_object_put(j->result);
    pthread_mutex_destroy(&j->lock);
    free(j);
}

void jobs_free(struct jobs *js)
{
    if (!js)
        return;
    while (js->head) {
        struct job *j = js->head;
        js->head = j->next;
        job_free(j);
    }
    free(js);
}

/* Forget finished jobs that are old, or too many. */
static void gc(struct jobs *js)
{
    int64_t now = now_real_ms();
    size_t finished = 0;

    for (struct job **pp = &js->head; *pp;) {
        struct job *j = *pp;
        if (j->state != JOB_RUNNING &&
            (now - j->finished_ms > JOBS_KEEP_MS ||
             ++finished > JOBS_KEEP_MAX)) {
            *pp = j->next;
            job_free(j);
            continue;
        }
        pp = &j->next;
    }
}

void job_set_step(struct job *j, const char *step, double progress)
{
    pthread_mutex_lock(&j->lock);
    snprintf(j->step, sizeof(j->step), "%s", step ? step : "");
    j->progress = progress > 1 ? 1 : progress;
    j->gen++;
    pthread_mutex_unlock(&j->lock);
}

struct job *job_create(struct jobs *js, const char *op, const char *domain)
{
    struct job *j = calloc(1, sizeof(*j));

    if (!j)
        return NULL;
    pthread_mutex_init(&j->lock, NULL);
    gc(js);
    j->id = js->next_id++;
    snprintf(j->op, sizeof(j->op), "%s", op);
    snprintf(j->domain, sizeof(j->domain), "%s", domain);
    j->state = JOB_RUNNING;
    j->created_ms = now_real_ms();
    j->progress = 0;
    snprintf(j->step, sizeof(j->step), "queued");
    j->next = js->head;
    js->head = j;
    js->running++;
    return j;
}

void job_set_figures(struct job *j, const struct job_figure *f, unsigned n)
{
    if (n > JOB_FIGURES_MAX)
        n = JOB_FIGURES_MAX;
    pthread_mutex_lock(&j->lock);
    memcpy(j->figures, f, n * sizeof(*f));
    j->nfigures = n;
    j->gen++;
    pthread_mutex_unlock(&j->lock);
}

void job_set_result(struct job *j, json_object *o)
{
    json_object_put(j->result);
    j->result = o;
}

struct job *job_find(struct jobs *js, uint64_t id)
{
    for (struct job *j = js->head; j; j = j->next)
        if (j->id == id)
            return j;
    return NULL;
}

void job_finish(struct jobs *js, struct job *j, int hv_rc, const char *msg)
{
    const char *code;

    if (j->state != JOB_RUNNING)
        return;
    js->running--;
    j->finished_ms = now_real_ms();
    pthread_mutex_lock(&j->lock);
    if (hv_rc == 0) {
        j->state = JOB_SUCCEEDED;
        j->progress = 1;
        snprintf(j->step, sizeof(j->step), "done");
    } else if (hv_rc == HV_ECANCELED) {
        j->state = JOB_CANCELLED;
        snprintf(j->step, sizeof(j->step), "cancelled");
    } else {
        j->state = JOB_FAILED;
        snprintf(j->step, sizeof(j->step), "failed");
    }
    j->gen++;
    pthread_mutex_unlock(&j->lock);
    if (hv_rc) {
        errmap_hv(hv_rc, &j->err_status, &code);
        snprintf(j->err_code, sizeof(j->err_code), "%s", code);
        snprintf(j->err_msg, sizeof(j->err_msg), "%s", msg ? msg : "");
    }
}

int job_cancel(struct job *j)
{
    if (j->state != JOB_RUNNING || !j->cancel)
        return -1;
    j->cancel(j);
    return 0;
}

void jobs_foreach(struct jobs *js, void (*fn)(struct job *j, void *arg),
                  void *arg)
{
    for (struct job *j = js->head; j; j = j->next)
        fn(j, arg);
}

void jobs_cancel_all(struct jobs *js)
{
    /* A cancel callback finishes the job but never frees one. */
    for (struct job *j = js->head; j; j = j->next)
        job_cancel(j);
}

const char *job_state_name(enum job_state s)
{
    switch (s) {
    case JOB_RUNNING:   return "running";
    case JOB_SUCCEEDED: return "succeeded";
    case JOB_FAILED:    return "failed";
    case JOB_CANCELLED: return "cancelled";
    }
    return "unknown";
}

json_object *job_json(struct job *j)
{
    json_object *o = json_object_new_object(), *err = NULL, *figs = NULL;
    char created[TIME_STR_LEN], finished[TIME_STR_LEN], href[48];
    double progress;
    char step[96];

    if (!o)
        return NULL;
    pthread_mutex_lock(&j->lock);
    progress = j->progress;
    snprintf(step, sizeof(step), "%s", j->step);
    if (j->nfigures && (figs = json_object_new_object()))
        for (unsigned i = 0; i < j->nfigures; i++)
            json_object_object_add(figs, j->figures[i].name,
                                   json_object_new_int64(
                                       (int64_t)j->figures[i].value));
    pthread_mutex_unlock(&j->lock);
    snprintf(href, sizeof(href), "/v1/jobs/%llu", (unsigned long long)j->id);
    json_object_object_add(o, "id", json_object_new_int64((int64_t)j->id));
    json_object_object_add(o, "href", json_object_new_string(href));
    json_object_object_add(o, "operation", json_object_new_string(j->op));
    json_object_object_add(o, "domain", json_object_new_string(j->domain));
    json_object_object_add(o, "state",
                           json_object_new_string(job_state_name(j->state)));
    json_object_object_add(o, "step", json_object_new_string(step));
    json_object_object_add(o, "progress", progress >= 0
                           ? json_object_new_double(progress) : NULL);
    json_object_object_add(o, "cancellable", json_object_new_boolean(
                               j->cancel && j->state == JOB_RUNNING));
    json_object_object_add(o, "created",
                           json_object_new_string(time_str(j->created_ms,
                                                           created)));
    json_object_object_add(o, "finished", j->finished_ms
                           ? json_object_new_string(time_str(j->finished_ms,
                                                             finished))
                           : NULL);
    if (j->state == JOB_FAILED) {
        err = json_object_new_object();
        json_object_object_add(err, "code", json_object_new_string(j->err_code));
        json_object_object_add(err, "message",
                               json_object_new_string(j->err_msg));
    }
    json_object_object_add(o, "error", err);
    json_object_object_add(o, "result", json_object_get(j->result));
    json_object_object_add(o, "figures", figs);
    return o;
}

json_object *jobs_list_json(struct jobs *js)
{
    json_object *root = json_object_new_object();
    json_object *arr = json_object_new_array();

    gc(js);
    for (struct job *j = js->head; j; j = j->next)
        json_object_array_add(arr, job_json(j));
    json_object_object_add(root, "jobs", arr);
    return root;
}

size_t jobs_running(const struct jobs *js)
{
    return js->running;
}
