/*
 * rest_misc.c - the host (and its shutdown), jobs, and /metrics.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "agent.h"
#include "host_shutdown.h"
#include "jobs.h"
#include "metrics.h"
#include "monitor.h"
#include "rest_handlers.h"
#include "util.h"

/* Host RAM in MiB, from sysconf (what a config may at most ask for). */
static int64_t host_ram_mib(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

    return pages > 0 && size > 0 ? (int64_t)pages * size / (1024 * 1024) : 0;
}

void h_host(struct rest_req *rr)
{
    struct agent *a = rr->a;
    json_object *o = json_object_new_object();
    json_object *agent = json_object_new_object();
    json_object *doms = json_object_new_object();
    char host[256] = "", started[TIME_STR_LEN], lib[32];
    unsigned v = hv_version();

    gethostname(host, sizeof(host) - 1);
    snprintf(lib, sizeof(lib), "%u.%u.%u", v >> 16, (v >> 8) & 0xff, v & 0xff);
    json_object_object_add(o, "hostname", json_object_new_string(host));
    json_object_object_add(o, "api_version", json_object_new_string("v1"));
    json_object_object_add(agent, "version",
                           json_object_new_string(PACKAGE_VERSION));
    json_object_object_add(agent, "pid", json_object_new_int(getpid()));
    json_object_object_add(agent, "started",
                           json_object_new_string(time_str(a->started_ms,
                                                           started)));
    json_object_object_add(agent, "uptime_s", json_object_new_int64(
                               (now_real_ms() - a->started_ms) / 1000));
    json_object_object_add(o, "agent", agent);
    json_object_object_add(o, "library_version", json_object_new_string(lib));
    json_object_object_add(o, "rundir",
                           json_object_new_string(hv_conn_get_rundir(a->conn)));
    json_object_object_add(o, "cpus",
                           json_object_new_int64(sysconf(_SC_NPROCESSORS_ONLN)));
    json_object_object_add(o, "memory_mib",
                           json_object_new_int64(host_ram_mib()));
    json_object_object_add(o, "kvm",
                           json_object_new_boolean(access("/dev/kvm", R_OK | W_OK) == 0));
    json_object_object_add(doms, "defined", json_object_new_int64(
                               (int64_t)domtable_count_defined(&a->doms)));
    json_object_object_add(doms, "running", json_object_new_int64(
                               (int64_t)domtable_count_running(&a->doms)));
    json_object_object_add(o, "domains", doms);
    rest_reply_json(rr, 200, o);
}

void h_host_shutdown(struct rest_req *rr)
{
    static const char *const keys[] = { "timeout_ms", NULL };
    int64_t timeout = HOST_SHUTDOWN_TIMEOUT_DEFAULT_MS;
    json_object *body, *v;
    struct job *j, *running;

    if (!(body = rest_json_body(rr, keys, true)))
        return;
    if (json_object_object_get_ex(body, "timeout_ms", &v) &&
        (!json_object_is_type(v, json_type_int) ||
         (timeout = json_object_get_int64(v)) < 1 ||
         timeout > HOST_SHUTDOWN_TIMEOUT_MAX_MS)) {
        rest_error(rr, 400, "invalid_argument", "\"timeout_ms\" must be an "
                   "integer from 1 to %d (milliseconds)",
                   HOST_SHUTDOWN_TIMEOUT_MAX_MS);
        json_object_put(body);
        return;
    }
    json_object_put(body);
    j = host_shutdown_job(rr->a, (int)timeout, &running);
    if (!j && running) {
        rest_error(rr, 409, "busy", "the host is shutting down already "
                   "(job %llu)", (unsigned long long)running->id);
        return;
    }
    if (!j) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    rest_reply_job(rr, j);
}

void h_jobs_list(struct rest_req *rr)
{
    rest_reply_json(rr, 200, jobs_list_json(rr->a->jobs));
}

/* The job of the path, or reply 404 and NULL. */
static struct job *job_param(struct rest_req *rr)
{
    int64_t id;
    struct job *j = NULL;

    if (parse_int64(rr->m.params[0], 1, INT64_MAX, &id))
        j = job_find(rr->a->jobs, (uint64_t)id);
    if (!j)
        rest_error(rr, 404, "not_found", "job %s: no such job (finished "
                   "jobs are kept for %d minutes)", rr->m.params[0],
                   JOBS_KEEP_MS / 60000);
    return j;
}

void h_job_get(struct rest_req *rr)
{
    struct job *j = job_param(rr);

    if (j)
        rest_reply_json(rr, 200, job_json(j));
}

void h_job_cancel(struct rest_req *rr)
{
    struct job *j = job_param(rr);

    if (!j)
        return;
    if (j->state != JOB_RUNNING) {
        rest_error(rr, 409, "job_finished", "job %llu has already %s",
                   (unsigned long long)j->id, job_state_name(j->state));
        return;
    }
    if (job_cancel(j)) {
        rest_error(rr, 409, "not_cancellable", "job %llu (%s) cannot be "
                   "cancelled", (unsigned long long)j->id, j->op);
        return;
    }
    rest_reply_job(rr, j);
}

static void metrics_ready(void *arg)
{
    struct rest_req *rr = arg;
    struct evbuffer *out = evhttp_request_get_output_buffer(rr->req);
    struct strbuf sb = { 0 };

    metrics_format(rr->a->metrics, rr->a, &sb);
    if (sb.oom || !sb.s) {
        sb_free(&sb);
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    evbuffer_add(out, sb.s, sb.len);
    sb_free(&sb);
    rest_send(rr, 200, "text/plain; version=0.0.4; charset=utf-8");
}

void h_metrics(struct rest_req *rr)
{
    /* Fresh memory and CPU figures: one list of every hvcore first. */
    if (monitor_refresh(rr->a->mon, metrics_ready, rr))
        metrics_ready(rr);
}
