/*
 * rest.c - hvctld's REST API in its own terms (schema/openapi.yaml): JSON
 * fields, domain objects, requests that may turn into jobs, and names.
 * backend_remote.c maps hvctl's operations onto it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "progress.h"
#include "rest.h"

#define POLL_US 20000           /* between two looks at a running job */

/* ---- JSON helpers ---- */

json_object *rest_get(json_object *o, const char *key)
{
    json_object *v = NULL;

    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

const char *rest_str(json_object *o, const char *key)
{
    json_object *v = rest_get(o, key);

    return v && json_object_is_type(v, json_type_string)
        ? json_object_get_string(v) : NULL;
}

bool rest_int(json_object *o, const char *key, int64_t *out)
{
    json_object *v = rest_get(o, key);

    if (!v || !json_object_is_type(v, json_type_int))
        return false;
    *out = json_object_get_int64(v);
    return true;
}

/* -1 when absent or null. */
int rest_bool(json_object *o, const char *key)
{
    json_object *v = rest_get(o, key);

    return v && json_object_is_type(v, json_type_boolean)
        ? json_object_get_boolean(v) : -1;
}

/* Parse a response body; NULL after reporting. */
json_object *rest_parse(struct cli *cli, const struct http_resp *r)
{
    json_object *o = r->body ? json_tokener_parse(r->body) : NULL;

    if (!o)
        cli_fail(cli, "hvctld sent a malformed answer (HTTP %ld, not JSON)",
                 r->status);
    return o;
}

/*
 * A domain object of the API into a row: the summary every domain has
 * (GET /v1/domains items), and "runtime" with hvcore's figures when the
 * answer carries them (GET /v1/domains/{name} of a running domain).
 */
void rest_row(json_object *o, struct dom_row *r)
{
    json_object *rt = rest_get(o, "runtime"), *mem = rest_get(rt, "memory");
    const char *s;
    int64_t v;

    memset(r, 0, sizeof(*r));
    r->id = -1;
    str_copy(r->name, sizeof(r->name), (s = rest_str(o, "name")) ? s : "");
    str_copy(r->uuid, sizeof(r->uuid), (s = rest_str(o, "uuid")) ? s : "");
    str_copy(r->state, sizeof(r->state),
             (s = rest_str(o, "state")) ? s : "unknown");
    if (rest_int(o, "id", &v) && v > 0)
        r->id = (long)v;
    r->persistent = rest_bool(o, "persistent");
    r->autostart = rest_bool(o, "autostart");
    /* No domain has 0 vCPUs or 0 MiB: 0 (or null) is "not known yet". */
    if (rest_int(o, "vcpus", &v) && v > 0) {
        r->vcpus = (unsigned)v;
        r->have_size = rest_int(o, "memory_mib", &v) && v > 0;
        r->mem_kib = (uint64_t)v * 1024;
    }
    if (!rt || !json_object_is_type(rt, json_type_object))
        return;
    r->live = true;
    r->have_size = true;
    if (rest_int(rt, "pid", &v))
        r->pid = (int)v;
    if (rest_int(rt, "vcpus_online", &v))
        r->vcpus = (unsigned)v;
    if (rest_int(rt, "vcpus_max", &v))
        r->vcpus_max = (unsigned)v;
    if (rest_int(mem, "current_kib", &v))
        r->mem_kib = (uint64_t)v;
    if (rest_int(mem, "target_kib", &v))
        r->mem_target_kib = (uint64_t)v;
    if (rest_int(mem, "max_kib", &v))
        r->mem_max_kib = (uint64_t)v;
    if (rest_int(rt, "cpu_time_ns", &v))
        r->cpu_time_ns = (uint64_t)v;
    if (rest_int(rt, "uptime_ns", &v))
        r->uptime_ns = (uint64_t)v;
    if (rest_int(rt, "boot_count", &v))
        r->boot_count = (unsigned)v;
}

/* The array of domains in a GET /v1/domains answer. */
static json_object *domain_array(json_object *top)
{
    json_object *arr = rest_get(top, "domains");

    return arr && json_object_is_type(arr, json_type_array) ? arr : NULL;
}

/* ---- requests ---- */

static bool job_running(json_object *job)
{
    const char *state = rest_str(job, "state");

    return !state || strcmp(state, "running") == 0;
}

/* Poll a job (href from its 202) until it ends; *final its last state. */
static int wait_job(struct http *h, struct cli *cli, json_object *job,
                    json_object **final)
{
    struct progress *pg = progress_new(cli, cli->what);
    char path[160];
    const char *href = rest_str(job, "href"), *state;
    int64_t id = 0;
    int rc = EXIT_OK;

    if (href && strncmp(href, "/v1/jobs/", 9) == 0)
        str_copy(path, sizeof(path), href);
    else if (rest_int(job, "id", &id))
        snprintf(path, sizeof(path), "/v1/jobs/%lld", (long long)id);
    else
        return cli_fail(cli, "hvctld accepted the request but named no job");
    if (sig_watch() < 0)
        return cli_fail(cli, "cannot watch signals: %s", strerror(errno));
    job = json_object_get(job);
    while (job_running(job)) {
        json_object *prog = rest_get(job, "progress");
        const char *step = rest_str(job, "step");

        progress_show(pg, step && *step ? step : "waiting",
                      prog ? json_object_get_double(prog) : -1);
        if (sig_caught()) {
            /* Stop the agent's waiting too; what was asked stands. */
            rest_call(h, cli, "DELETE", path, NULL, NULL, NULL);
            rc = cli_fail(cli, "wait cancelled (%s)",
                          strsignal(sig_caught()));
            break;
        }
        usleep(POLL_US);
        json_object_put(job);
        if ((rc = rest_call(h, cli, "GET", path, NULL, NULL, &job)))
            break;
    }
    progress_done(pg);
    state = rest_str(job, "state");
    if (rc == EXIT_OK && (!state || strcmp(state, "succeeded") != 0)) {
        const char *msg = rest_str(rest_get(job, "error"), "message");
        rc = cli_fail(cli, "%s", msg && *msg ? msg
                      : state && strcmp(state, "cancelled") == 0
                      ? "cancelled" : "the job failed");
    }
    if (rc == EXIT_OK && final)
        *final = job;
    else
        json_object_put(job);
    return rc;
}

int rest_call(struct http *h, struct cli *cli, const char *method,
              const char *path, const char *body, const char *ctype,
              json_object **out)
{
    struct http_resp r;
    json_object *o = NULL;
    int rc;

    if (out)
        *out = NULL;
    if ((rc = http_request(h, cli, method, path, body,
                           body ? strlen(body) : 0, ctype, NULL, &r)))
        return rc;
    if (r.status < 200 || r.status > 299) {
        rc = http_fail(cli, &r);
        http_resp_free(&r);
        return rc;
    }
    if ((r.status == 202 || out) && !(o = rest_parse(cli, &r))) {
        http_resp_free(&r);
        return EXIT_FAIL;
    }
    http_resp_free(&r);
    if (r.status == 202) {
        json_object *final = NULL;
        rc = wait_job(h, cli, o, out ? &final : NULL);
        json_object_put(o);
        o = final;
    }
    if (out && rc == EXIT_OK)
        *out = o;
    else
        json_object_put(o);
    return rc;
}

/* All domains hvctld knows: defined ones, and every running one. */
int rest_domains(struct http *h, struct cli *cli, struct dom_list *l)
{
    json_object *top, *arr;
    int rc;

    if ((rc = rest_call(h, cli, "GET", "/v1/domains", NULL, NULL, &top)))
        return rc;
    if (!(arr = domain_array(top))) {
        json_object_put(top);
        return cli_fail(cli, "hvctld sent a malformed domain list");
    }
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        struct dom_row *r = dom_list_add(l);
        if (!r) {
            json_object_put(top);
            return cli_fail(cli, "out of memory");
        }
        rest_row(json_object_array_get_idx(arr, i), r);
    }
    json_object_put(top);
    return EXIT_OK;
}

/*
 * The name of ref: a domid or a uuid is looked up in the domain list (the
 * API names domains by name), falling back to a name that merely looks
 * like one; anything else is taken as a name.
 */
int rest_resolve(struct http *h, struct cli *cli, const char *ref,
                 char name[64])
{
    struct dom_list l = { 0 };
    uint32_t id = 0;
    bool by_id = looks_like_domid(ref, &id);
    int rc;

    str_copy(name, 64, ref);
    if (!by_id && !looks_like_uuid(ref))
        return EXIT_OK;
    if ((rc = rest_domains(h, cli, &l)))
        return rc;
    for (size_t i = 0; i < l.n; i++)
        if (strcmp(l.rows[i].name, ref) == 0)
            goto out;           /* a name, after all */
    for (size_t i = 0; i < l.n; i++)
        if ((by_id && l.rows[i].id == (long)id) ||
            (!by_id && strcasecmp(l.rows[i].uuid, ref) == 0)) {
            str_copy(name, 64, l.rows[i].name);
            goto out;
        }
    /* The words libhvctl uses for the same miss. */
    rc = by_id ? cli_fail(cli, "domain %u: no such domain", id)
               : cli_fail(cli, "domain uuid '%s': no such domain", ref);
out:
    dom_list_free(&l);
    return rc;
}

/* "/v1/domains/<name><suffix>" for ref (malloc'ed in *path). */
int rest_domain_path(struct http *h, struct cli *cli, const char *ref,
                     const char *suffix, char **path)
{
    char name[64], *esc;
    size_t len;
    int rc;

    *path = NULL;
    if ((rc = rest_resolve(h, cli, ref, name)))
        return rc;
    if (!(esc = http_escape(h, name)))
        return cli_fail(cli, "out of memory");
    len = strlen(esc) + strlen(suffix) + 16;
    if ((*path = malloc(len)))
        snprintf(*path, len, "/v1/domains/%s%s", esc, suffix);
    free(esc);
    return *path ? EXIT_OK : cli_fail(cli, "out of memory");
}

