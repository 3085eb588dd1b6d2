/*
 * agent_xfer.c - the agent driver's save, restore and migrate: hvctld
 * jobs (POST /v1/domains/{name}/save, /v1/domains/restore,
 * /v1/domains/{name}/migrate), followed to their end with their steps
 * into the hv_op, and cancelled through DELETE /v1/jobs/{id} when the
 * hv_op is (agent_follow_job).  A migration is driven by the source's
 * agent, which talks to the destination's (docs/migration.md): the
 * destination URI's credentials go to it as fields.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent_int.h"
#include "op.h"

/* An absolute path for the agent (it has no working directory of ours). */
static int abs_path(const char *path, char out[PATH_MAX])
{
    char cwd[PATH_MAX];

    if (path[0] == '/') {
        snprintf(out, PATH_MAX, "%s", path);
        return 0;
    }
    if (!getcwd(cwd, sizeof(cwd)))
        return err_sys(HV_EIO, 0, "%s: cannot make the path absolute", path);
    if ((size_t)snprintf(out, PATH_MAX, "%s/%s", cwd, path) >= PATH_MAX)
        return err_set(HV_EINVAL, "%s: path too long", path);
    return 0;
}

static void dom_path(const hv_domain *dom, const char *suffix, char out[320])
{
    char esc[200];

    agent_escape(dom->name, esc);
    snprintf(out, 320, "/v1/domains/%s%s%s%s", esc, suffix,
             dom->uuid[0] ? "?uuid=" : "", dom->uuid);
}

/* The REST names of the figures (Job.figures, JobResult). */
static const struct { const char *key; int fig; } fig_names[] = {
    { "phase", HV_OP_PHASE },
    { "iteration", HV_OP_ITERATION },
    { "bytes_sent", HV_OP_BYTES_SENT },
    { "bytes_remaining", HV_OP_BYTES_REMAINING },
    { "bytes_total", HV_OP_BYTES_TOTAL },
    { "dirty_rate_bps", HV_OP_DIRTY_RATE_BPS },
    { "bandwidth_bps", HV_OP_BANDWIDTH_BPS },
    { "expected_downtime_ns", HV_OP_EXPECTED_DOWNTIME_NS },
};

void agent_job_figures(hv_op *op, json_object *job)
{
    json_object *figs, *v;

    if (!op || !json_object_object_get_ex(job, "figures", &figs) || !figs)
        return;
    for (size_t i = 0; i < sizeof(fig_names) / sizeof(fig_names[0]); i++)
        if (json_object_object_get_ex(figs, fig_names[i].key, &v) &&
            json_object_is_type(v, json_type_int) &&
            json_object_get_int64(v) >= 0)
            op_set_figure(op, fig_names[i].fig,
                          (uint64_t)json_object_get_int64(v));
}

/*
 * The figures of a finished job's result into op (hv_op_get_figure), as
 * the direct driver gives them from hvcore's final reply.
 */
static void result_figures(hv_conn *conn, json_object *job, hv_op *op)
{
    static const struct { const char *key; int fig; } figs[] = {
        { "bytes_sent", HV_OP_BYTES_SENT },
        { "total_ns", HV_OP_TOTAL_NS },
        { "downtime_ns", HV_OP_DOWNTIME_NS },
        { "iterations", HV_OP_ITERATIONS },
    };
    json_object *cur = NULL, *res, *v;
    char path[64];

    if (!op || !json_object_object_get_ex(job, "id", &v))
        return;
    snprintf(path, sizeof(path), "/v1/jobs/%lld",
             (long long)json_object_get_int64(v));
    if (agent_json(conn, "GET", path, NULL, &cur, NULL) == 0 &&
        json_object_object_get_ex(cur, "result", &res) && res)
        for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++)
            if (json_object_object_get_ex(res, figs[i].key, &v) &&
                json_object_is_type(v, json_type_int) &&
                json_object_get_int64(v) >= 0)
                op_set_figure(op, figs[i].fig,
                              (uint64_t)json_object_get_int64(v));
    json_object_put(cur);
    err_clear();
}

/* POST body to path and follow the job. */
static int post_job(hv_conn *conn, const char *path, json_object *body,
                    hv_op *op, struct started *st)
{
    json_object *job = NULL;
    int rc = agent_json(conn, "POST", path, json_object_to_json_string(body),
                        &job, NULL);

    if (rc == 0)
        rc = st ? agent_follow_start(conn, job, op, st)
                : agent_follow_job(conn, job, op, NULL);
    if (rc == 0 && !st)
        result_figures(conn, job, op);
    json_object_put(job);
    return rc;
}

int agent_save(hv_domain *dom, const char *path, unsigned flags, hv_op *op)
{
    char abs[PATH_MAX], p[320];
    json_object *body;
    int rc;

    if ((rc = abs_path(path, abs)))
        return rc;
    body = json_object_new_object();
    json_object_object_add(body, "path", json_object_new_string(abs));
    json_object_object_add(body, "keep",
                           json_object_new_boolean(flags & HV_SAVE_KEEP));
    dom_path(dom, "/save", p);
    rc = post_job(dom->conn, p, body, op, NULL);
    json_object_put(body);
    if (rc == 0 && !(flags & HV_SAVE_KEEP)) {
        pthread_mutex_lock(&dom->lock);
        dom->domid = HV_DOMID_NONE;
        pthread_mutex_unlock(&dom->lock);
    }
    return rc;
}

int agent_restore(hv_conn *conn, const char *path, unsigned flags,
                  hv_domain **out, hv_op *op)
{
    char abs[PATH_MAX];
    struct started st;
    json_object *body;
    int rc;

    if ((rc = abs_path(path, abs)))
        return rc;
    body = json_object_new_object();
    json_object_object_add(body, "path", json_object_new_string(abs));
    json_object_object_add(body, "paused",
                           json_object_new_boolean(flags &
                                                   HV_RESTORE_PAUSED));
    json_object_object_add(body, "verify",
                           json_object_new_boolean(flags &
                                                   HV_RESTORE_VERIFY));
    rc = post_job(conn, "/v1/domains/restore", body, op, &st);
    json_object_put(body);
    if (rc == 1)
        rc = err_set(HV_EPROTO, "restore from %s: the agent did not say "
                     "what it restored", path);
    if (rc == 0)
        rc = dom_new(conn, st.name, st.uuid, st.domid, out);
    return rc;
}

/* Add dest_uri's query parameters (credentials) to body as fields. */
static int dest_fields(const char *dest_uri, json_object *body)
{
    static const char *const keys[] = { "token", "cacert", "cert", "key" };
    const char *q = strchr(dest_uri, '?');
    char *copy, *save = NULL;

    json_object_object_add(body, "destination", json_object_new_string_len(
                               dest_uri, q ? (int)(q - dest_uri)
                                           : (int)strlen(dest_uri)));
    if (strncmp(dest_uri, "http://", 7) == 0)
        json_object_object_add(body, "insecure",
                               json_object_new_boolean(1));
    if (!q)
        return 0;
    if (!(copy = strdup(q + 1)))
        return err_set(HV_ENOMEM, "out of memory");
    for (char *kv = strtok_r(copy, "&", &save); kv;
         kv = strtok_r(NULL, "&", &save)) {
        char *eq = strchr(kv, '=');
        size_t i;
        if (!eq)
            continue;
        *eq = '\0';
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            if (strcmp(kv, keys[i]) == 0)
                break;
        if (i == sizeof(keys) / sizeof(keys[0])) {
            int rc = err_set(HV_EINVAL, "migrate: destination parameter "
                             "'%s' is not one of token, cacert, cert, key",
                             kv);
            free(copy);
            return rc;
        }
        json_object_object_add(body, kv, json_object_new_string(eq + 1));
    }
    free(copy);
    return 0;
}

int agent_migrate(hv_domain *dom, const char *dest_uri,
                  const struct hv_migrate_params *p, hv_op *op)
{
    json_object *body = json_object_new_object();
    char path[320];
    int rc;

    if (!body)
        return err_set(HV_ENOMEM, "out of memory");
    if ((rc = dest_fields(dest_uri, body)))
        goto out;
    json_object_object_add(body, "live", json_object_new_boolean(
                               p->flags & HV_MIGRATE_LIVE));
    json_object_object_add(body, "paused", json_object_new_boolean(
                               p->flags & HV_MIGRATE_PAUSED));
    json_object_object_add(body, "persistent", json_object_new_boolean(
                               p->flags & HV_MIGRATE_PERSIST));
    json_object_object_add(body, "undefine_source", json_object_new_boolean(
                               p->flags & HV_MIGRATE_UNDEFINE_SOURCE));
    json_object_object_add(body, "max_downtime_ms",
                           json_object_new_int64(p->max_downtime_ms));
    json_object_object_add(body, "bandwidth_mib_s",
                           json_object_new_int64((int64_t)p->bandwidth_mib));
    json_object_object_add(body, "max_iterations",
                           json_object_new_int64(p->max_iterations));
    dom_path(dom, "/migrate", path);
    if ((rc = post_job(dom->conn, path, body, op, NULL)) == 0) {
        pthread_mutex_lock(&dom->lock);
        dom->domid = HV_DOMID_NONE;
        pthread_mutex_unlock(&dom->lock);
    }
out:
    json_object_put(body);
    return rc;
}
