/*
 * agent_domain.c - the agent driver's domain calls, one REST request (or
 * a job) each (docs/client-path.md, "REST contract"):
 *
 *   create      POST /v1/domains?transient=true   (a job, or the domain)
 *   define      POST /v1/domains                  (creates or replaces)
 *   lookups     GET /v1/domains?name=N / ?id=N / ?uuid=U
 *   list        GET /v1/domains?state=..&persistent=..&name=GLOB
 *   info        GET /v1/domains/{name}: the domain object, read through
 *               the field table (fields_from_json), as the agent wrote it
 *   config      GET /v1/domains/{name}/config and /definition
 *   actions     POST /v1/domains/{name}/{pause,resume,reboot,destroy,
 *               start,shutdown}, DELETE for undefine, PUT memory and
 *               autostart
 *   console     straight to hvcore through a direct connection to the
 *               agent's runtime directory, when the agent is on this host
 *
 * Every request on a handle carries its uuid (?uuid=U): a handle acts on
 * the domain it was made for or fails with HV_ENOENT, never on another
 * that took the name since, as a direct handle does.  A created or
 * started domain's handle comes from the start job's result, not from a
 * lookup by name after it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent_int.h"
#include "config.h"
#include "drv_direct.h"

/* A handle from a domain object. */
static int dom_from_object(hv_conn *conn, json_object *o, hv_domain **out)
{
    struct hv_fields f;
    char err[128];

    fields_init(&f);
    if (fields_from_json(&f, o, err, sizeof(err)))
        return err_set(HV_EPROTO, "connection '%s': the agent's domain "
                       "object: %s", conn->uri, err);
    return dom_new(conn, f.name, f.uuid, f.domid, out);
}

/*
 * A domain's path with a suffix ("/pause"), and the handle's uuid: a
 * handle means the domain it was made for, not whichever has its name
 * now (another one, after that one ended, for a transient domain).  The
 * agent answers 404 for a name whose domain has another uuid.
 */
void agent_dom_path(const hv_domain *dom, const char *suffix, char path[320])
{
    char esc[200];

    agent_escape(dom->name, esc);
    snprintf(path, 320, "/v1/domains/%s%s%s%s", esc, suffix,
             dom->uuid[0] ? "?uuid=" : "", dom->uuid);
}

int agent_dom_get(hv_domain *dom, const char *suffix, struct ht_response *r,
                  char path[320])
{
    int rc;

    agent_dom_path(dom, suffix, path);
    if ((rc = agent_call(dom->conn, "GET", path, NULL, NULL,
                         "application/json", r)))
        return rc;
    /* Named in messages as the resource, without the query. */
    path[strcspn(path, "?")] = '\0';
    if (r->status != 200) {
        rc = agent_fail(dom->conn, r);
        ht_response_free(r);
    }
    return rc;
}

/* GET /v1/domains/{name}: the handle's domain object. */
static int get_domain(hv_domain *dom, json_object **out)
{
    char path[320];

    agent_dom_path(dom, "", path);
    return agent_json(dom->conn, "GET", path, NULL, out, NULL);
}

/* Keep the handle's domid as the agent now says (after start, destroy). */
static void update_domid(hv_domain *dom, json_object *o)
{
    struct hv_fields f;
    char err[128];

    fields_init(&f);
    if (o && !fields_from_json(&f, o, err, sizeof(err))) {
        /* Calls on one handle are serialised (hvctl.h, THREADS). */
        pthread_mutex_lock(&dom->lock);
        dom->domid = f.domid;
        pthread_mutex_unlock(&dom->lock);
    }
}

/* ---- create, define, start ---- */

static const char *str_of(json_object *o, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(o, key, &v) &&
           json_object_is_type(v, json_type_string)
           ? json_object_get_string(v) : NULL;
}

/*
 * Follow a start job (the 202 body) to its end, then read what it
 * started from its result: the domain as it was started, even when the
 * guest has powered off since (a lookup by name would then find nothing,
 * or another domain).  1: the job succeeded but its result does not say
 * (an agent from before start results).
 */
int agent_follow_start(hv_conn *conn, json_object *job, hv_op *op,
                       struct started *s)
{
    json_object *cur = NULL, *res, *v;
    const char *name, *uuid;
    char path[64];
    int64_t id = 0;
    int rc;

    memset(s, 0, sizeof(*s));
    s->domid = HV_DOMID_NONE;
    if ((rc = agent_follow_job(conn, job, op, s->name)))
        return rc;
    if (json_object_object_get_ex(job, "id", &v))
        id = json_object_get_int64(v);
    snprintf(path, sizeof(path), "/v1/jobs/%lld", (long long)id);
    if ((rc = agent_json(conn, "GET", path, NULL, &cur, NULL)))
        return rc;
    rc = 1;
    if (json_object_object_get_ex(cur, "result", &res) && res &&
        (uuid = str_of(res, "uuid")) && (name = str_of(res, "name"))) {
        snprintf(s->name, sizeof(s->name), "%s", name);
        snprintf(s->uuid, sizeof(s->uuid), "%s", uuid);
        /* A domid is 1 .. 2^32-2: anything else (an agent's mistake, or
         * worse) is "not said", never a truncated number. */
        if (json_object_object_get_ex(res, "domid", &v) &&
            json_object_is_type(v, json_type_int) &&
            json_object_get_int64(v) >= 1 &&
            json_object_get_int64(v) < (int64_t)HV_DOMID_NONE)
            s->domid = (uint32_t)json_object_get_int64(v);
        rc = 0;
    }
    json_object_put(cur);
    return rc;
}

static int post_config(hv_conn *conn, const hv_config *cfg, bool transient,
                       unsigned flags, hv_domain **out)
{
    json_object *o = NULL;
    struct started st;
    char *json;
    long status = 0;
    int rc;

    /* Checked here, so a bad config is told as the direct driver does. */
    if ((rc = hv_config_to_json(cfg, &json)))
        return rc;
    rc = agent_json(conn, "POST", !transient ? "/v1/domains"
                    : flags & HV_CREATE_PAUSED
                    ? "/v1/domains?transient=true&paused=true"
                    : "/v1/domains?transient=true", json, &o, &status);
    free(json);
    if (rc)
        return rc;
    if (status == 202) {
        rc = agent_follow_start(conn, o, NULL, &st);
        json_object_put(o);
        o = NULL;
        if (rc == 0) {
            rc = dom_new(conn, st.name, st.uuid, st.domid, out);
        } else if (rc == 1) {
            /* An older agent: the domain as it is now. */
            hv_domain tmp = { .conn = conn };
            snprintf(tmp.name, sizeof(tmp.name), "%s",
                     st.name[0] ? st.name : cfg->name);
            if (!(rc = get_domain(&tmp, &o)))
                rc = dom_from_object(conn, o, out);
        }
    } else {
        rc = dom_from_object(conn, o, out);
    }
    json_object_put(o);
    return rc;
}

int agent_create(hv_conn *conn, const hv_config *cfg, unsigned flags,
                 hv_domain **out)
{
    return post_config(conn, cfg, true, flags, out);
}

int agent_define(hv_conn *conn, const hv_config *cfg, unsigned flags,
                 hv_domain **out)
{
    return post_config(conn, cfg, false, flags, out);
}

/* ---- lists and lookups ---- */

/* The "domains" array of a list answer into a new hv_domlist. */
static int read_list(hv_conn *conn, json_object *o, hv_domlist **out)
{
    json_object *arr;
    char err[128];
    size_t n;
    int rc;

    if (!json_object_object_get_ex(o, "domains", &arr) ||
        !json_object_is_type(arr, json_type_array))
        return err_set(HV_EPROTO, "connection '%s': the agent's list has no "
                       "\"domains\"", conn->uri);
    n = json_object_array_length(arr);
    if ((rc = domlist_new(n, out)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct hv_fields f;
        fields_init(&f);
        if (fields_from_json(&f, json_object_array_get_idx(arr, i), err,
                             sizeof(err))) {
            hv_domlist_free(*out);
            *out = NULL;
            return err_set(HV_EPROTO, "connection '%s': the agent's domain "
                           "object: %s", conn->uri, err);
        }
        memcpy(&(*out)->items[i], &f, sizeof(f));
    }
    return 0;
}

/*
 * GET /v1/domains?query.  An agent from before the filters refuses them
 * (unknown_parameter): then the whole list, which the caller filters.
 */
static int fetch_list(hv_conn *conn, const char *query, hv_domlist **out)
{
    char path[600];
    json_object *o;
    int rc;

    snprintf(path, sizeof(path), "/v1/domains%s%s", *query ? "?" : "", query);
    rc = agent_json(conn, "GET", path, NULL, &o, NULL);
    if (rc == HV_EINVAL && *query &&
        strstr(hv_last_error(), "parameter"))
        rc = agent_json(conn, "GET", "/v1/domains", NULL, &o, NULL);
    if (rc)
        return rc;
    rc = read_list(conn, o, out);
    json_object_put(o);
    return rc;
}

/* Running domains by domid, then the others by name (hvctl.h). */
static int by_domid(const void *pa, const void *pb)
{
    const struct hv_domain_info *a = pa, *b = pb;

    if (a->domid != b->domid)
        return a->domid < b->domid ? -1 : 1;
    return strcmp(a->name, b->name);
}

int agent_list(hv_conn *conn, unsigned flags, const char *name_glob,
               hv_domlist **out)
{
    static const int states[] = { HV_STATE_RUNNING, HV_STATE_PAUSED,
                                  HV_STATE_SHUTDOWN, HV_STATE_CRASHED,
                                  HV_STATE_SHUTOFF };
    unsigned all = HV_LIST_ACTIVE | HV_LIST_SHUTOFF;
    char query[512] = "", esc[200];
    size_t k = 0;
    int rc;

    /*
     * A filter on states alone (hv_domain_list: hvctl list) takes the
     * agent's whole list, its cached hot path, and filters it here.
     */
    if ((flags & all) && (flags & all) != all &&
        (name_glob || (flags & (HV_LIST_PERSISTENT | HV_LIST_TRANSIENT)))) {
        k += (size_t)snprintf(query + k, sizeof(query) - k, "state=");
        for (size_t i = 0; i < 5; i++)
            if (flags & HV_LIST_STATE(states[i]))
                k += (size_t)snprintf(query + k, sizeof(query) - k, "%s%s",
                                      query[k - 1] == '=' ? "" : ",",
                                      hv_state_name(states[i]));
    }
    if (flags & (HV_LIST_PERSISTENT | HV_LIST_TRANSIENT))
        k += (size_t)snprintf(query + k, sizeof(query) - k,
                              "%spersistent=%s", k ? "&" : "",
                              flags & HV_LIST_PERSISTENT ? "true" : "false");
    if (name_glob) {
        agent_escape(name_glob, esc);
        k += (size_t)snprintf(query + k, sizeof(query) - k, "%sname=%s",
                              k ? "&" : "", esc);
    }
    /* domstats, top: hvcore's figures now, not as of the agent's look. */
    if (flags & HV_LIST_FRESH)
        snprintf(query + k, sizeof(query) - k, "%sfresh=true", k ? "&" : "");
    if ((rc = fetch_list(conn, query, out)))
        return rc;
    /* The agent filtered already; this keeps an older agent's answer
     * right too. */
    domlist_filter(*out, flags, name_glob);
    if ((*out)->n > 1)
        qsort((*out)->items, (*out)->n, sizeof((*out)->items[0]), by_domid);
    return 0;
}

int agent_lookup(hv_conn *conn, enum drv_key kind, const char *key,
                 uint32_t id, hv_domain **out)
{
    hv_domlist *l = NULL;
    char query[256], esc[200];
    int rc;

    /*
     * A lookup needs the agent's table, not hvcore's fresh figures, which
     * GET /v1/domains/{name} fetches (a worker and a round trip to
     * hvcore): a filtered list is answered from the table at once.  The
     * name, escaped for fnmatch(3), matches itself only.
     */
    if (kind == KEY_NAME) {
        char glob[140], *g = glob;
        for (const char *p = key; *p && g < glob + sizeof(glob) - 3; p++) {
            if (strchr("*?[]\\", *p))
                *g++ = '\\';
            *g++ = *p;
        }
        *g = '\0';
        agent_escape(glob, esc);
        snprintf(query, sizeof(query), "name=%s", esc);
    } else if (kind == KEY_ID) {
        snprintf(query, sizeof(query), "id=%u", id);
    } else {
        agent_escape(key, esc);
        snprintf(query, sizeof(query), "uuid=%s", esc);
    }
    if ((rc = fetch_list(conn, query, &l)))
        return rc;
    for (size_t i = 0; i < l->n; i++) {
        const struct hv_domain_info *d = &l->items[i];
        if (kind == KEY_NAME ? !strcmp(d->name, key)
            : kind == KEY_ID ? d->domid == id : !strcasecmp(d->uuid, key)) {
            rc = dom_new(conn, d->name, d->uuid, d->domid, out);
            hv_domlist_free(l);
            return rc;
        }
    }
    hv_domlist_free(l);
    if (kind == KEY_NAME)
        return err_set(HV_ENOENT, "domain '%s': no such domain", key);
    if (kind == KEY_ID)
        return err_set(HV_ENOENT, "domain %u: no such domain", id);
    return err_set(HV_ENOENT, "domain uuid '%s': no such domain", key);
}

/* ---- on a handle ---- */

int agent_get_info(hv_domain *dom, hv_domain_info **out)
{
    struct hv_fields f;
    json_object *o;
    char err[128];
    int rc;

    if ((rc = get_domain(dom, &o)))
        return rc;
    fields_init(&f);
    if (fields_from_json(&f, o, err, sizeof(err))) {
        rc = err_set(HV_EPROTO, "connection '%s': the agent's domain "
                     "object: %s", dom->conn->uri, err);
    } else if (!(*out = malloc(sizeof(**out)))) {
        rc = err_set(HV_ENOMEM, "domain '%s': out of memory", dom->name);
    } else {
        memcpy(*out, &f, sizeof(f));
        update_domid(dom, o);
    }
    json_object_put(o);
    return rc;
}

/* GET .../config or .../definition as a config. */
static int get_cfg(hv_domain *dom, const char *which, hv_config **out)
{
    struct ht_response r;
    char path[320];
    int rc;

    if ((rc = agent_dom_get(dom, which, &r, path)))
        return rc;
    rc = hv_config_from_json(r.body ? r.body : "", r.len, path, out);
    ht_response_free(&r);
    return rc;
}

int agent_get_config(hv_domain *dom, hv_config **out)
{
    return get_cfg(dom, "/config", out);
}

int agent_get_definition(hv_domain *dom, unsigned flags, hv_config **out)
{
    (void)flags;
    return get_cfg(dom, "/definition", out);
}

/* POST (or another method) on the domain; a job is followed. */
static int on_domain(hv_domain *dom, const char *method, const char *suffix,
                     const char *body, hv_op *op)
{
    json_object *o = NULL;
    struct started st;
    char path[320];
    long status = 0;
    int rc;

    agent_dom_path(dom, suffix, path);
    if ((rc = agent_json(dom->conn, method, path, body, &o, &status)))
        return rc;
    if (status == 202 && !strcmp(suffix, "/start")) {
        /* The handle now means the incarnation the job started. */
        if ((rc = agent_follow_start(dom->conn, o, op, &st)) == 0) {
            pthread_mutex_lock(&dom->lock);
            dom->domid = st.domid;
            pthread_mutex_unlock(&dom->lock);
        } else if (rc == 1) {
            json_object_put(o);
            o = NULL;
            if (!get_domain(dom, &o))
                update_domid(dom, o);
            rc = 0;
        }
    } else if (status == 202) {
        rc = agent_follow_job(dom->conn, o, op, NULL);
    } else {
        update_domid(dom, o);
    }
    json_object_put(o);
    return rc;
}

int agent_action(hv_domain *dom, enum drv_action act, unsigned flags)
{
    static const char *const suffix[] = {
        [ACT_PAUSE] = "/pause", [ACT_UNPAUSE] = "/resume",
        [ACT_REBOOT] = "/reboot", [ACT_DESTROY] = "/destroy",
        [ACT_START] = "/start",
    };
    (void)flags;
    if (act == ACT_UNDEFINE)
        return on_domain(dom, "DELETE", "", NULL, NULL);
    return on_domain(dom, "POST", suffix[act], NULL, NULL);
}

/*
 * The agent's shutdown job waits timeout_ms as given (0: only asks; -1:
 * without limit), so its timeout says the caller's milliseconds.
 */
int agent_shutdown(hv_domain *dom, int timeout_ms, unsigned flags, hv_op *op)
{
    char body[48];

    (void)flags;
    snprintf(body, sizeof(body), "{\"timeout_ms\": %d}",
             timeout_ms < 0 ? -1 : timeout_ms);
    return on_domain(dom, "POST", "/shutdown", body, op);
}

int agent_set_memory(hv_domain *dom, uint64_t target_mib, unsigned flags)
{
    char body[64];

    (void)flags;
    snprintf(body, sizeof(body), "{\"target_mib\": %llu}",
             (unsigned long long)target_mib);
    return on_domain(dom, "PUT", "/memory", body, NULL);
}

int agent_get_autostart(hv_domain *dom, int *autostart)
{
    json_object *o, *v;
    int rc;

    if ((rc = get_domain(dom, &o)))
        return rc;
    *autostart = json_object_object_get_ex(o, "autostart", &v) &&
                 json_object_get_boolean(v);
    json_object_put(o);
    return 0;
}

int agent_set_autostart(hv_domain *dom, int autostart, unsigned flags)
{
    (void)flags;
    return on_domain(dom, "PUT", "/autostart",
                     autostart ? "{\"autostart\": true}"
                               : "{\"autostart\": false}", NULL);
}

/*
 * The REST API carries no console: on this host, hvcore's console socket
 * is reached through the runtime directory the agent watches.
 */
int agent_console_open(hv_domain *dom, int *fd)
{
    struct agent *a = AG(dom->conn);
    hv_domain *d = NULL;
    hv_conn *direct;
    int rc = 0;

    pthread_mutex_lock(&a->lock);
    if (!a->direct &&
        (rc = conn_open_direct(dom->conn->rundir, &a->direct)))
        a->direct = NULL;
    direct = a->direct;
    pthread_mutex_unlock(&a->lock);
    if (rc)
        return rc;
    if ((rc = direct_lookup(direct, KEY_NAME, dom->name, 0, &d)))
        return rc;
    /* The handle's domain, not another one that took its name since. */
    if (dom->uuid[0] && strcasecmp(d->uuid, dom->uuid))
        rc = err_set(HV_ENOENT, "domain '%s' (uuid %s): no such domain; a "
                     "domain of that name now has uuid %s", dom->name,
                     dom->uuid, d->uuid);
    else
        rc = direct_console_open(d, fd);
    hv_domain_free(d);
    return rc;
}
