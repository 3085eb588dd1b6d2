/*
 * drv_agent.c - the agent driver: hvctld's REST API (schema/openapi.yaml,
 * docs/client-path.md), over the agent's Unix socket (agent_unix.c) or,
 * through the HTTP module, TCP and TLS (agent_module.c).  This file has
 * the connection, one request with its errors, and jobs; the domain
 * calls are in agent_domain.c and events in agent_events.c.
 *
 * The agent's error answers ({"error": {"code", "message"}}) become
 * HV_E* codes with the agent's message kept word for word: it already
 * names the domain the way libhvctl does.  A failure to reach the agent
 * names the connection's URI.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_int.h"
#include "conn_uri.h"
#include "op.h"

#define REQUEST_TIMEOUT_MS 120000

static const struct { const char *code; int hv; } codes[] = {
    { "invalid_config", HV_ECONFIG },
    { "not_supported", HV_ENOTSUP },
    { "unauthorized", HV_EPERM }, { "forbidden", HV_EPERM },
    { "permission_denied", HV_EPERM },
    { "not_found", HV_ENOENT },
    { "not_defined", HV_ESTATE },
    { "name_taken", HV_EEXIST }, { "uuid_taken", HV_EEXIST },
    { "wrong_state", HV_ESTATE }, { "busy", HV_ESTATE },
    { "job_finished", HV_ESTATE }, { "not_cancellable", HV_ESTATE },
    { "domain_died", HV_EDEAD },
    { "cancelled", HV_ECANCELED },
    { "timeout", HV_ETIMEDOUT },
    { "hypervisor_protocol", HV_EPROTO },
    { "spawn_failed", HV_ESPAWN },
    { "out_of_memory", HV_ENOMEM },
    { "invalid_stream", HV_ESTREAM },
    { "database", HV_EIO }, { "internal", HV_EIO },
    { "too_many_streams", HV_EIO }, { "too_many_connections", HV_EIO },
};

int agent_code_to_hv(const char *code, long status)
{
    for (size_t i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++)
        if (!strcmp(codes[i].code, code))
            return codes[i].hv;
    /* The other codes are the client's mistakes; else by status. */
    if (code || status == 400)
        return status >= 500 ? HV_EIO : HV_EINVAL;
    switch (status) {
    case 401: case 403: return HV_EPERM;
    case 404: return HV_ENOENT;
    case 409: return HV_ESTATE;
    case 502: return HV_EPROTO;
    case 504: return HV_ETIMEDOUT;
    default:  return status >= 400 && status < 500 ? HV_EINVAL : HV_EIO;
    }
}

void agent_escape(const char *name, char out[200])
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;

    for (; *name && k + 4 < 200; name++) {
        unsigned char c = (unsigned char)*name;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-._~", c)) {
            out[k++] = (char)c;
        } else {
            out[k++] = '%';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        }
    }
    out[k] = '\0';
}

int agent_call(hv_conn *conn, const char *method, const char *path,
               const char *body, const char *ctype, const char *accept,
               struct ht_response *r)
{
    return agent_call_within(conn, method, path, body, ctype, accept,
                             REQUEST_TIMEOUT_MS, r);
}

int agent_call_within(hv_conn *conn, const char *method, const char *path,
                      const char *body, const char *ctype,
                      const char *accept, int timeout_ms,
                      struct ht_response *r)
{
    struct agent *a = AG(conn);
    struct ht_request q = {
        .method = method, .path = path, .body = body,
        .len = body ? strlen(body) : 0, .ctype = ctype, .accept = accept,
        .timeout_ms = timeout_ms,
    };
    char err[HT_ERR_MAX] = "";
    int rc;

    pthread_mutex_lock(&a->lock);
    rc = a->t->request(a->hc, &q, r, err);
    pthread_mutex_unlock(&a->lock);
    if (rc)
        return err_set(HV_EIO, "connection '%s': %s", conn->uri, err);
    return 0;
}

int agent_fail(hv_conn *conn, const struct ht_response *r)
{
    json_object *o = r->body ? json_tokener_parse(r->body) : NULL, *e, *c, *m;
    int rc;

    if (o && json_object_object_get_ex(o, "error", &e) &&
        json_object_object_get_ex(e, "code", &c) &&
        json_object_object_get_ex(e, "message", &m) &&
        json_object_is_type(m, json_type_string)) {
        rc = err_set(agent_code_to_hv(json_object_get_string(c), r->status),
                     "%s", json_object_get_string(m));
    } else {
        rc = err_set(agent_code_to_hv(NULL, r->status),
                     "connection '%s': the agent answered HTTP %ld without "
                     "saying why", conn->uri, r->status);
    }
    json_object_put(o);
    return rc;
}

int agent_json(hv_conn *conn, const char *method, const char *path,
               const char *body, json_object **out, long *status)
{
    struct ht_response r;
    json_object *o = NULL;
    int rc;

    if (out)
        *out = NULL;
    if ((rc = agent_call(conn, method, path, body,
                         body ? "application/json" : NULL, NULL, &r)))
        return rc;
    if (status)
        *status = r.status;
    if (r.status < 200 || r.status > 299) {
        rc = agent_fail(conn, &r);
    } else if (out && r.status != 204) {
        if (!r.body || !(o = json_tokener_parse(r.body)) ||
            !json_object_is_type(o, json_type_object)) {
            json_object_put(o);
            rc = err_set(HV_EPROTO, "connection '%s': %s %s: the agent's "
                         "answer is not a JSON object", conn->uri, method,
                         path);
        } else {
            *out = o;
        }
    }
    ht_response_free(&r);
    return rc;
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(o, key, &v) &&
           json_object_is_type(v, json_type_string)
           ? json_object_get_string(v) : NULL;
}

/* The job's error as ours; `fallback` when it says none. */
static int job_error(json_object *job, int fallback, const char *what)
{
    json_object *e;
    const char *msg;

    if (json_object_object_get_ex(job, "error", &e) && e &&
        (msg = jstr(e, "message")))
        return err_set(agent_code_to_hv(jstr(e, "code"), 0), "%s", msg);
    return err_set(fallback, "%s", what);
}

int agent_follow_job(hv_conn *conn, json_object *job, hv_op *op,
                     char domain[64])
{
    int64_t id = 0;
    json_object *v, *cur = json_object_get(job);
    int wait_ms = 1, rc = 0;
    bool cancelling = false;
    char path[64], what[160];

    if (json_object_object_get_ex(job, "id", &v))
        id = json_object_get_int64(v);
    if (domain)
        snprintf(domain, 64, "%s", jstr(job, "domain") ? jstr(job, "domain")
                                                        : "");
    snprintf(what, sizeof(what), "job %lld of '%s'", (long long)id,
             jstr(job, "domain") ? jstr(job, "domain") : "");
    snprintf(path, sizeof(path), "/v1/jobs/%lld", (long long)id);
    if (id <= 0) {
        json_object_put(cur);
        return err_set(HV_EPROTO, "connection '%s': the agent's job has no id",
                       conn->uri);
    }
    for (;;) {
        const char *state = jstr(cur, "state"), *step = jstr(cur, "step");
        double frac = -1;

        if (json_object_object_get_ex(cur, "progress", &v) && v)
            frac = json_object_get_double(v);
        if (!state || strcmp(state, "running")) {
            if (state && !strcmp(state, "succeeded"))
                rc = 0;
            else if (state && !strcmp(state, "cancelled"))
                rc = job_error(cur, HV_ECANCELED, "cancelled") ?
                     err_set(HV_ECANCELED, "%s", hv_last_error()) : 0;
            else
                rc = job_error(cur, HV_EIO, what);
            break;
        }
        if (step) {
            agent_job_figures(op, cur);
            op_progress(op, step, frac);
        }
        struct pollfd pf = { .fd = op_cancel_fd(op), .events = POLLIN };
        if (poll(&pf, pf.fd >= 0 && !cancelling ? 1 : 0, wait_ms) > 0) {
            /* Ask the agent; the job then ends as cancelled (or, when it
             * cannot be, runs to its end, which is then the outcome). */
            json_object_put(cur);
            cur = NULL;
            cancelling = true;
            agent_json(conn, "DELETE", path, NULL, NULL, NULL);
        }
        if (wait_ms < 50)
            wait_ms *= 2;
        json_object_put(cur);
        cur = NULL;
        if ((rc = agent_json(conn, "GET", path, NULL, &cur, NULL)))
            break;
    }
    json_object_put(cur);
    return rc;
}

/* conn->rundir of a unix:// connection: the agent says it. */
static int ask_rundir(hv_conn *conn)
{
    json_object *host;
    const char *dir;
    int rc;

    if ((rc = agent_json(conn, "GET", "/v1/host", NULL, &host, NULL)))
        return rc;
    dir = jstr(host, "rundir");
    conn->rundir = dir ? strdup(dir) : NULL;
    json_object_put(host);
    if (!dir)
        return err_set(HV_EPROTO, "connection '%s': the agent did not say "
                       "its runtime directory", conn->uri);
    return conn->rundir ? 0 : err_set(HV_ENOMEM, "connection '%s': out of "
                                      "memory", conn->uri);
}

static void agent_close(hv_conn *conn)
{
    struct agent *a = AG(conn);

    if (!a)
        return;
    if (a->hc)
        a->t->close(a->hc);
    hv_conn_free(a->direct);
    pthread_mutex_destroy(&a->lock);
    free(a->base);
    free(a->socket);
    free(a->cacert);
    free(a->cert);
    free(a->key);
    if (a->token)
        memset(a->token, 0, strlen(a->token));
    free(a->token);
    free(a);
    conn->priv = NULL;
}

/* POST /v1/host/shutdown, and (unless only asking) its job followed. */
static int agent_shutdown_all(hv_conn *conn, int timeout_ms, hv_op *op)
{
    char body[64];
    json_object *job = NULL;
    int rc;

    /* The agent's deadline is bounded: "without limit" is its longest. */
    if (timeout_ms > 0)
        snprintf(body, sizeof(body), "{\"timeout_ms\": %d}", timeout_ms);
    else
        snprintf(body, sizeof(body), timeout_ms < 0
                 ? "{\"timeout_ms\": 86400000}" : "{}");
    if ((rc = agent_json(conn, "POST", "/v1/host/shutdown", body, &job,
                         NULL)))
        return rc;
    rc = timeout_ms == 0 ? 0 : agent_follow_job(conn, job, op, NULL);
    json_object_put(job);
    return rc;
}

static int agent_version(hv_conn *conn, char **out)
{
    json_object *host, *ag;
    const char *v;
    int rc;

    if ((rc = agent_json(conn, "GET", "/v1/host", NULL, &host, NULL)))
        return rc;
    v = json_object_object_get_ex(host, "agent", &ag) ? jstr(ag, "version")
                                                       : NULL;
    *out = v ? strdup(v) : NULL;
    json_object_put(host);
    if (!v)
        return err_set(HV_EPROTO, "connection '%s': the agent did not say "
                       "its version", conn->uri);
    return *out ? 0 : err_set(HV_ENOMEM, "connection '%s': out of memory",
                              conn->uri);
}

#define AGENT_OPS                                                            \
    .name = "agent",                                                         \
    .close = agent_close,                                                    \
    .create = agent_create,                                                  \
    .define = agent_define,                                                  \
    .lookup = agent_lookup,                                                  \
    .list = agent_list,                                                      \
    .get_info = agent_get_info,                                              \
    .get_config = agent_get_config,                                          \
    .get_definition = agent_get_definition,                                  \
    .action = agent_action,                                                  \
    .shutdown = agent_shutdown,                                              \
    .set_memory = agent_set_memory,                                          \
    .get_autostart = agent_get_autostart,                                    \
    .set_autostart = agent_set_autostart,                                    \
    .shutdown_all = agent_shutdown_all,                                      \
    .agent_version = agent_version,                                          \
    .save = agent_save,                                                      \
    .restore = agent_restore,                                                \
    .migrate = agent_migrate,                                                \
    .attach_device = agent_attach_device,                                    \
    .detach_device = agent_detach_device,                                    \
    .get_devices = agent_get_devices,                                        \
    .events_open = agent_events_open,                                        \
    .events_free = agent_events_free,                                        \
    .events_fd = agent_events_fd,                                            \
    .event_next = agent_event_next

/* The agent on this host: the console goes straight to hvcore. */
const struct hv_driver drv_agent = {
    AGENT_OPS,
    .cannot = "",
    .console_open = agent_console_open,
};

/* Another host's agent: the REST API has no console. */
static const struct hv_driver drv_agent_remote = {
    AGENT_OPS,
    .cannot = "the console needs a connection on the domain's host "
              "(hvctl:///system, or unix:///PATH/hvctld.sock)",
};

static char *dup_opt(const char *s, bool *fail)
{
    char *d = s ? strdup(s) : NULL;

    if (s && !d)
        *fail = true;
    return d;
}

int agent_open(const struct conn_uri *u, hv_conn **out)
{
    hv_conn *conn = NULL;
    struct agent *a;
    char base[400], err[HT_ERR_MAX] = "";
    bool fail = false;
    int rc;

    *out = NULL;
    if (!(conn = calloc(1, sizeof(*conn))) || !(a = calloc(1, sizeof(*a)))) {
        free(conn);
        return err_set(HV_ENOMEM, "connection '%s': out of memory",
                       u->canonical);
    }
    conn->domains_fd = conn->names_fd = -1;
    pthread_mutex_init(&conn->cache_lock, NULL);
    pthread_mutex_init(&conn->events_lock, NULL);
    pthread_mutex_init(&a->lock, NULL);
    conn->priv = a;
    conn->drv = &drv_agent;
    conn->uri = dup_opt(u->canonical, &fail);
    if (u->kind == URI_HTTPS || u->kind == URI_HTTP) {
        conn->drv = &drv_agent_remote;
        snprintf(base, sizeof(base), "%s://%s:%u",
                 u->kind == URI_HTTPS ? "https" : "http", u->host, u->port);
        a->base = dup_opt(base, &fail);
        a->cacert = dup_opt(u->cacert, &fail);
        a->cert = dup_opt(u->cert, &fail);
        a->key = dup_opt(u->key, &fail);
        a->token = dup_opt(u->token, &fail);
    } else {
        a->local = true;
        a->socket = dup_opt(u->socket, &fail);
        if (u->kind == URI_SYSTEM)
            conn->rundir = dup_opt(u->rundir, &fail);
    }
    if (fail) {
        rc = err_set(HV_ENOMEM, "connection '%s': out of memory",
                     u->canonical);
        goto fail;
    }
    a->params = (struct ht_params){
        .base = a->base, .socket = a->socket, .cacert = a->cacert,
        .cert = a->cert, .key = a->key, .token = a->token,
    };
    if (a->local)
        a->t = &ht_unix;
    else if ((rc = agent_http_module(u->canonical, &a->t)))
        goto fail;
    if (a->t->open(&a->params, &a->hc, err)) {
        rc = err_set(HV_EIO, "connection '%s': %s", u->canonical, err);
        goto fail;
    }
    /*
     * Over TCP, connecting says little (TLS and the token are checked at
     * the first request): ask for the host now, so that a wrong CA or
     * token is told by hv_conn_open_uri, not by some later call.
     */
    /* The agent on this host: its runtime directory (hv_conn_get_rundir,
     * and the console's way to hvcore). */
    if (a->local && !conn->rundir && (rc = ask_rundir(conn)))
        goto fail;
    if (!a->local) {
        json_object *host;
        if ((rc = agent_json(conn, "GET", "/v1/host", NULL, &host, NULL))) {
            if (rc != HV_EIO)
                err_set(rc, "connection '%s': %s", u->canonical,
                        hv_last_error());
            goto fail;
        }
        json_object_put(host);
    }
    *out = conn;
    return 0;
fail:
    hv_conn_free(conn);
    return rc;
}
