/*
 * migrate_out.c - POST /v1/domains/{name}/migrate: the source agent
 * drives a move to another agent (docs/migration.md).
 *
 *   1. ask the destination agent (its URL, with a token or a client
 *      certificate) for an incoming domain: a port and a one-time key;
 *   2. start hvmigrate-relay towards that port on a socketpair, and give
 *      the other end to our hvcore (domctl migrate_send, through
 *      libhvctl): the stream goes hvcore -> relay -> TLS -> relay ->
 *      hvcore, never through this process;
 *   3. decide, with the destination agent, which copy runs when
 *      hvcore's handshake could not (exactly one, always), then tell the
 *      destination the outcome, which stores the definition there if
 *      asked; only then is it removed here (undefine_source).
 *
 * Everything that blocks runs on a job worker; the job's step and
 * fraction follow hvcore's progress, DELETE /v1/jobs/{id} cancels.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "evlog.h"
#include "jobs.h"
#include "log.h"
#include "migrate.h"
#include "priv_hvctld.h"
#include "public/errno.h"
#include "rest_handlers.h"
#include "store.h"
#include "util.h"
#include "worker.h"

/* How long to keep asking a destination whether it runs the domain. */
#define ASK_DEADLINE_MS 30000
/*
 * How long one request to the destination agent may take: preparing
 * starts an hvcore (libhvctl gives it 30 s); the others are quick, and
 * must not hold the job (and the source's verdict) for the transport's
 * two minutes when the destination cannot be reached.
 */
#define PREPARE_TIMEOUT_MS 40000
#define ASK_TIMEOUT_MS 5000
#define FINISH_TIMEOUT_MS 10000

struct mig_out {
    struct work w;
    struct agent *a;
    struct job *j;
    struct dom *d;              /* referenced */
    hv_op *op;
    hv_migrate_params *params;
    char name[64], uuid[37];
    uint32_t domid;
    char dest[256];             /* the destination URL as given */
    char uri[2048];             /* with its credentials: never shown */
    char host[256];             /* the data connection's host */
    char *config;               /* the definition, if persistent */
    bool persistent, undefine_source, insecure, paused;
    /* results */
    int rc;
    char msg[1400];
    bool moved;                 /* it runs there now */
    bool defined_there;
};

static void on_progress(const char *step, double fraction, void *opaque)
{
    struct mig_out *x = opaque;

    xfer_job_figures(x->j, x->op);
    job_set_step(x->j, step, fraction);
}

static void on_cancel(struct job *j)
{
    hv_op_cancel(((struct mig_out *)j->data)->op);
}

/* The error message of an agent's answer body, or the status. */
static void answer_msg(const char *body, long status, char *out, size_t len)
{
    json_object *o = body ? json_tokener_parse(body) : NULL, *e, *m;

    if (o && json_object_object_get_ex(o, "error", &e) &&
        json_object_object_get_ex(e, "message", &m))
        snprintf(out, len, "%s", json_object_get_string(m));
    else
        snprintf(out, len, "HTTP status %ld", status);
    json_object_put(o);
}

/* A JSON exchange with the destination: 0 and *out for a 2xx, else the
 * HV_E* code with the agent's words in msg. */
static int ask(hv_conn *dc, const char *method, const char *path,
               json_object *req, int timeout_ms, json_object **out,
               char *msg, size_t len)
{
    long status;
    char *body = NULL;
    int rc = hv_priv_agent_request(dc, method, path,
                                   req ? json_object_to_json_string(req)
                                       : NULL, timeout_ms, &status, &body);

    *out = NULL;
    if (rc) {
        snprintf(msg, len, "%s", hv_last_error());
        return rc;
    }
    if (status >= 200 && status < 300) {
        *out = body ? json_tokener_parse(body) : NULL;
        free(body);
        if (!*out) {
            snprintf(msg, len, "the destination's answer is not JSON");
            return HV_EPROTO;
        }
        return 0;
    }
    answer_msg(body, status, msg, len);
    free(body);
    return status == 401 || status == 403 ? HV_EPERM
         : status == 409 ? HV_EEXIST : status == 404 ? HV_ENOENT : HV_EIO;
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *v;

    return o && json_object_object_get_ex(o, key, &v)
           ? json_object_get_string(v) : "";
}

/* POST .../finish {outcome}: 0, or the destination's failure in msg. */
static int finish(hv_conn *dc, const char *id, const char *outcome,
                  bool *defined, char *msg, size_t len)
{
    json_object *req = json_object_new_object(), *ans = NULL, *v;
    char path[128];
    int rc;

    snprintf(path, sizeof(path), "/v1/migrations/incoming/%s/finish", id);
    json_object_object_add(req, "outcome", json_object_new_string(outcome));
    rc = ask(dc, "POST", path, req, FINISH_TIMEOUT_MS, &ans, msg, len);
    if (rc == 0 && defined)
        *defined = json_object_object_get_ex(ans, "persistent", &v) &&
                   json_object_get_boolean(v);
    json_object_put(req);
    json_object_put(ans);
    return rc;
}

/* What the destination's copy is: "running", "paused", "undecided",
 * "receiving", "gone", or "" when it cannot be asked within the
 * deadline. */
static void dest_state(hv_conn *dc, const char *id, char *out, size_t len)
{
    char path[128], msg[256];
    uint64_t deadline = now_mono_ns() + (uint64_t)ASK_DEADLINE_MS * 1000000;

    snprintf(path, sizeof(path), "/v1/migrations/incoming/%s", id);
    out[0] = '\0';
    while (now_mono_ns() < deadline) {
        json_object *ans = NULL;
        if (ask(dc, "GET", path, NULL, ASK_TIMEOUT_MS, &ans, msg,
                sizeof(msg)) == 0) {
            snprintf(out, len, "%s", jstr(ans, "state"));
            json_object_put(ans);
            /* A receiver still reading sees the end soon. */
            if (strcmp(out, "receiving") != 0)
                return;
        }
        nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
    }
}

/*
 * What the relay said on its way out (its stderr, a pipe): each line
 * into the log, the last one into why ("" when it said nothing).
 */
static void relay_words(struct mig_out *x, int fd, char *why, size_t len)
{
    char buf[2048], *line, *save = NULL;
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

    why[0] = '\0';
    if (n <= 0)
        return;
    buf[n] = '\0';
    for (line = strtok_r(buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        log_warn("migration of '%s': %s", x->name, line);
        snprintf(why, len, "%s", line);
    }
}

/* Run hvcore's migrate_send through the relay; the move's outcome. */
static void move(struct mig_out *x, hv_conn *dc, hv_domain *dom,
                 const char *id, int port, const char *key)
{
    char where[300], err[256], st[32], said[256], both[600];
    int sv[2] = { -1, -1 }, ep[2] = { -1, -1 }, status, rstat;
    enum hv_priv_move mv;
    pid_t relay = -1;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        x->rc = HV_EIO;
        snprintf(x->msg, sizeof(x->msg), "migration of '%s' to %s failed: "
                 "socketpair: %s; it runs on here", x->name, x->dest,
                 strerror(errno));
        finish(dc, id, "abort", NULL, err, sizeof(err));
        return;
    }
    snprintf(where, sizeof(where), strchr(x->host, ':') ? "[%s]:%d"
                                                         : "%s:%d",
             x->host, port);
    /* Its stderr comes back to us: why it could not connect, say. */
    if (pipe2(ep, O_CLOEXEC | O_NONBLOCK) < 0)
        ep[0] = ep[1] = -1;
    if (relay_spawn(-1, where, sv[1], key, id, x->insecure, ep[1], &relay,
                    err, sizeof(err)) < 0) {
        close(sv[0]);
        close(sv[1]);
        for (int i = 0; i < 2; i++)
            if (ep[i] >= 0)
                close(ep[i]);
        x->rc = HV_EIO;
        snprintf(x->msg, sizeof(x->msg), "migration of '%s' to %s failed: "
                 "%s; it runs on here", x->name, x->dest, err);
        finish(dc, id, "abort", NULL, err, sizeof(err));
        return;
    }
    close(sv[1]);
    if (ep[1] >= 0)
        close(ep[1]);
    x->rc = hv_priv_migrate_send(dom, sv[0], x->params, x->op, &mv, &status,
                                 err, sizeof(err));
    if (x->rc) {
        snprintf(x->msg, sizeof(x->msg), "migration of '%s' to %s failed: "
                 "%s; it runs on here", x->name, x->dest, hv_last_error());
        mv = HV_PRIV_STAYED;
        status = 0;
    }
    rstat = relay_reap(relay, 10000);
    relay_words(x, ep[0], said, sizeof(said));
    if (ep[0] >= 0)
        close(ep[0]);
    /* A relay that failed says why the stream broke better than hvcore,
     * which saw only its end. */
    if (rstat != 0 && said[0])
        snprintf(both, sizeof(both), "%s (%s)", err, said);
    else
        snprintf(both, sizeof(both), "%s", err);
    switch (mv) {
    case HV_PRIV_MOVED:
        x->moved = true;
        break;
    case HV_PRIV_STAYED:
        finish(dc, id, "abort", NULL, st, sizeof(st));
        if (x->rc)
            return;
        x->rc = status == -HVE_CANCELED ? HV_ECANCELED : HV_EIO;
        if (x->rc == HV_ECANCELED)
            snprintf(x->msg, sizeof(x->msg), "migration of '%s' cancelled: "
                     "it runs on here", x->name);
        else
            snprintf(x->msg, sizeof(x->msg), "migration of '%s' to %s "
                     "failed: %s; it runs on here", x->name, x->dest, both);
        return;
    case HV_PRIV_UNDECIDED:
        /* We sent GO, or hvcore hung up: the destination knows. */
        dest_state(dc, id, st, sizeof(st));
        log_info("migration of '%s' to %s: the connection broke after the "
                 "go-ahead; the destination's copy is %s", x->name, x->dest,
                 st[0] ? st : "not known");
        if (!strcmp(st, "running") || !strcmp(st, "paused")) {
            /* It left: told as migrated, not as destroyed. */
            snprintf(where, sizeof(where), "to %s", x->dest);
            migrate_note_set(x->a, x->name, "destroyed", where);
            hv_domain_destroy(dom, 0);
            hv_priv_wait_gone(dom);
            x->moved = true;
            break;
        }
        if (!strcmp(st, "undecided") || !strcmp(st, "receiving"))
            x->rc = finish(dc, id, "abort", NULL, err, sizeof(err));
        if (!st[0] || x->rc) {
            x->rc = HV_EIO;
            snprintf(x->msg, sizeof(x->msg), "migration of '%s' to %s: the "
                     "connection broke at the end and the destination "
                     "cannot be asked whether it runs the domain; it waits "
                     "paused here (resume it only once it surely does not "
                     "run there)", x->name, x->dest);
            return;
        }
        x->rc = hv_domain_unpause(dom, 0);
        if (x->rc && x->rc != HV_ESTATE) {
            snprintf(x->msg, sizeof(x->msg), "migration of '%s' failed: the "
                     "connection broke at the end and the source cannot be "
                     "resumed: %s", x->name, hv_last_error());
            return;
        }
        x->rc = HV_EIO;
        snprintf(x->msg, sizeof(x->msg), "migration of '%s' to %s failed: "
                 "the connection broke before the destination ran it; it "
                 "runs on here", x->name, x->dest);
        return;
    case HV_PRIV_SOURCE_GONE:
        dest_state(dc, id, st, sizeof(st));
        log_warn("migration of '%s' to %s: the source hvcore died; the "
                 "destination's copy is %s", x->name, x->dest,
                 st[0] ? st : "not known");
        if (!strcmp(st, "undecided") &&
            finish(dc, id, "take", &x->defined_there, err,
                   sizeof(err)) == 0) {
            x->moved = true;
            x->rc = 0;
            return;
        }
        if (!strcmp(st, "running") || !strcmp(st, "paused")) {
            x->moved = true;
            break;
        }
        x->rc = HV_EDEAD;
        snprintf(x->msg, sizeof(x->msg), "migration of '%s' to %s lost the "
                 "domain: the source hvcore died and the destination does "
                 "not run it", x->name, x->dest);
        return;
    }
    /* It runs there: the destination stores the definition, if asked. */
    x->rc = finish(dc, id, "moved", &x->defined_there, err, sizeof(err));
    if (x->rc)
        snprintf(x->msg, sizeof(x->msg), "migration of '%s' to %s: it runs "
                 "there now, but the destination did not take the "
                 "definition: %s; the definition stays here", x->name,
                 x->dest, err);
}

/* libhvctl's message without its "connection 'URI': " (ours names it). */
static const char *without_conn(const char *msg)
{
    const char *p;

    if (strncmp(msg, "connection '", 12) == 0 && (p = strstr(msg, "': ")))
        return p + 3;
    return msg;
}

static void mig_run(struct work *w)
{
    struct mig_out *x = (struct mig_out *)w;
    json_object *req = NULL, *ans = NULL;
    hv_conn *dc = NULL;
    hv_domain *dom = NULL;
    char why[400], src[128] = "";
    hv_domain_info *info = NULL;
    uint64_t mem_mib = 0;
    int rc;

    job_set_step(x->j, "asking the destination", -1);
    if ((rc = hv_conn_open_uri(x->uri, 0, &dc))) {
        x->rc = rc;
        if (rc == HV_EPERM)     /* it answered: no */
            snprintf(x->msg, sizeof(x->msg), "migration of '%s' to %s "
                     "refused: %s; it runs on here", x->name, x->dest,
                     without_conn(hv_last_error()));
        else
            snprintf(x->msg, sizeof(x->msg), "migration of '%s' to %s: "
                     "cannot reach the destination agent: %s; it runs on "
                     "here", x->name, x->dest, hv_last_error());
        goto out;
    }
    if ((rc = hv_domain_lookup_by_id(x->a->conn, x->domid, &dom)) ||
        strcmp(hv_domain_get_name(dom), x->name) != 0) {
        x->rc = rc ? rc : HV_ENOENT;
        snprintf(x->msg, sizeof(x->msg), "migration of '%s': the domain has "
                 "ended", x->name);
        goto out;
    }
    gethostname(src, sizeof(src) - 1);
    if (hv_domain_get_info(dom, &info) == 0) {
        mem_mib = hv_domain_info_get_mem_max_kib(info) >> 10;
        hv_domain_info_free(info);
    }
    req = json_object_new_object();
    json_object_object_add(req, "name", json_object_new_string(x->name));
    json_object_object_add(req, "uuid", json_object_new_string(x->uuid));
    json_object_object_add(req, "persistent",
                           json_object_new_boolean(x->persistent));
    if (x->config)
        json_object_object_add(req, "config",
                               json_object_new_string(x->config));
    json_object_object_add(req, "paused", json_object_new_boolean(x->paused));
    json_object_object_add(req, "insecure",
                           json_object_new_boolean(x->insecure));
    json_object_object_add(req, "source", json_object_new_string(src));
    if (mem_mib)
        json_object_object_add(req, "memory_mib",
                               json_object_new_int64((int64_t)mem_mib));
    if ((x->rc = ask(dc, "POST", "/v1/migrations/incoming", req,
                     PREPARE_TIMEOUT_MS, &ans, why, sizeof(why)))) {
        snprintf(x->msg, sizeof(x->msg), "migration of '%s' to %s refused: "
                 "%s; it runs on here", x->name, x->dest, why);
        goto out;
    }
    job_set_step(x->j, "connecting", 0);
    move(x, dc, dom, jstr(ans, "id"),
         (int)json_object_get_int(json_object_object_get(ans, "port")),
         jstr(ans, "key"));
out:
    json_object_put(req);
    json_object_put(ans);
    hv_domain_free(dom);
    hv_conn_free(dc);
}

/* Remove the definition here: it moved (event loop). */
static void undefine_here(struct mig_out *x)
{
    struct agent *a = x->a;
    struct dom *d = x->d;
    struct store_event ev;
    char detail[300];

    if (d->removed || !d->defined || strcasecmp(d->uuid, x->uuid) != 0)
        return;
    snprintf(detail, sizeof(detail), "migrated to %s", x->dest);
    evlog_prepare(a->evlog, &ev, d->name, d->uuid, d->domid, "undefined",
                  HV_CAUSE_API, HV_REASON_REQUESTED, detail);
    if (store_def_delete(a->store, d->uuid, &ev)) {
        log_warn("domain '%s': %s", d->name, store_errmsg(a->store));
        return;
    }
    evlog_publish(a->evlog, &ev);
    d->defined = false;
    d->autostart = false;
    free(d->config);
    d->config = NULL;
    if (d->state == DOM_SHUTOFF)
        dom_remove(&a->doms, d);
    else
        domtable_changed(&a->doms);
}

static void mig_done(struct work *w)
{
    struct mig_out *x = (struct mig_out *)w;
    struct agent *a = x->a;
    char drop[256];

    if (x->d->busy && strcmp(x->d->busy, "migrate") == 0)
        x->d->busy = NULL;
    domtable_changed(&a->doms);
    if (x->moved) {
        json_object *r = json_object_new_object();
        uint64_t v;
        json_object_object_add(r, "destination",
                               json_object_new_string(x->dest));
        json_object_object_add(r, "persistent",
                               json_object_new_boolean(x->defined_there));
        if (hv_op_get_figure(x->op, HV_OP_BYTES_SENT, &v) == 0)
            json_object_object_add(r, "bytes_sent", json_object_new_int64(
                                       (int64_t)v));
        if (hv_op_get_figure(x->op, HV_OP_DOWNTIME_NS, &v) == 0)
            json_object_object_add(r, "downtime_ns", json_object_new_int64(
                                       (int64_t)v));
        if (hv_op_get_figure(x->op, HV_OP_TOTAL_NS, &v) == 0)
            json_object_object_add(r, "total_ns", json_object_new_int64(
                                       (int64_t)v));
        if (hv_op_get_figure(x->op, HV_OP_ITERATIONS, &v) == 0)
            json_object_object_add(r, "iterations", json_object_new_int64(
                                       (int64_t)v));
        job_set_result(x->j, r);
        if (x->rc == 0 && x->undefine_source)
            undefine_here(x);
        log_info("domain '%s' migrated to %s", x->name, x->dest);
    } else {
        migrate_note_take(a, x->name, "migrated", drop, sizeof(drop));
        log_warn("%s", x->msg);
    }
    x->j->cancel = NULL;
    x->j->data = NULL;
    job_finish(a->jobs, x->j, x->rc, x->msg);
    dom_unref(x->d);
    hv_op_free(x->op);
    hv_migrate_params_free(x->params);
    free(x->config);
    explicit_bzero(x->uri, sizeof(x->uri));
    free(x);
}

/* ---- the request ---- */

static bool get_bool(json_object *b, const char *k, bool *out,
                     struct rest_req *rr)
{
    json_object *v;

    *out = false;
    if (!json_object_object_get_ex(b, k, &v))
        return true;
    if (!json_object_is_type(v, json_type_boolean)) {
        rest_error(rr, 400, "invalid_argument", "\"%s\" must be true or "
                   "false", k);
        return false;
    }
    *out = json_object_get_boolean(v);
    return true;
}

static bool get_uint(json_object *b, const char *k, uint64_t max,
                     uint64_t *out, struct rest_req *rr)
{
    json_object *v;

    *out = 0;
    if (!json_object_object_get_ex(b, k, &v))
        return true;
    if (!json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) < 0 ||
        (uint64_t)json_object_get_int64(v) > max) {
        rest_error(rr, 400, "invalid_argument", "\"%s\" must be an integer "
                   "from 0 to %llu", k, (unsigned long long)max);
        return false;
    }
    *out = (uint64_t)json_object_get_int64(v);
    return true;
}

static const char *get_str(json_object *b, const char *k)
{
    json_object *v;

    return json_object_object_get_ex(b, k, &v) &&
           json_object_is_type(v, json_type_string)
           ? json_object_get_string(v) : NULL;
}

/* Append "&key=value" (percent-encoded) to the URI. */
static void add_param(char *uri, size_t len, const char *key, const char *v)
{
    size_t o = strlen(uri);

    if (!v || !*v)
        return;
    o += (size_t)snprintf(uri + o, len > o ? len - o : 0, "%c%s=",
                          strchr(uri, '?') ? '&' : '?', key);
    for (; *v && o + 4 < len; v++) {
        unsigned char c = (unsigned char)*v;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || strchr("-._~/", c))
            uri[o++] = (char)c;
        else
            o += (size_t)sprintf(uri + o, "%%%02X", c);
    }
    uri[o < len ? o : len - 1] = '\0';
}

/*
 * The destination URL: https://HOST:PORT (or http:// with insecure);
 * its host into x->host.  Replies 400 and false when it is not one.
 */
static bool parse_dest(struct rest_req *rr, struct mig_out *x,
                       const char *url)
{
    const char *h;
    size_t n;
    bool https = strncmp(url, "https://", 8) == 0;

    if (!https && strncmp(url, "http://", 7) != 0) {
        rest_error(rr, 400, "invalid_argument", "\"destination\": '%s' is "
                   "not an agent URL (https://HOST:PORT)", url);
        return false;
    }
    h = url + (https ? 8 : 7);
    if (*h == '[') {
        n = strcspn(++h, "]");
    } else {
        n = strcspn(h, ":/?");
    }
    if (!n || n >= sizeof(x->host) || strchr(url, '?')) {
        rest_error(rr, 400, "invalid_argument", "\"destination\": '%s' is "
                   "not an agent URL (https://HOST:PORT, credentials as "
                   "fields)", url);
        return false;
    }
    memcpy(x->host, h, n);
    x->host[n] = '\0';
    if ((x->insecure || !https) && !migrate_host_is_loopback(x->host)) {
        rest_error(rr, 400, "invalid_argument", "migration of '%s' to %s: "
                   "a plain (insecure) stream goes to a loopback address "
                   "only; use https:// and TLS", x->name, url);
        return false;
    }
    if (!https && !x->insecure) {
        rest_error(rr, 400, "invalid_argument", "migration of '%s' to %s: "
                   "http:// carries the stream in clear: say \"insecure\": "
                   "true (loopback only), or use https://", x->name, url);
        return false;
    }
    snprintf(x->dest, sizeof(x->dest), "%s", url);
    snprintf(x->uri, sizeof(x->uri), "%s", url);
    return true;
}

void h_domain_migrate(struct rest_req *rr)
{
    static const char *const keys[] = {
        "destination", "token", "cacert", "cert", "key", "live", "paused",
        "max_downtime_ms", "bandwidth_mib_s", "max_iterations", "persistent",
        "undefine_source", "insecure", NULL };
    struct agent *a = rr->a;
    struct dom *d = rest_domain_param(rr);
    json_object *body = NULL;
    struct mig_out *x = NULL;
    uint64_t downtime, bw, iters;
    bool live;
    unsigned flags;
    char note[300];

    if (!d || !(body = rest_json_body(rr, keys, false)))
        return;
    if (!(x = calloc(1, sizeof(*x))) ||
        !(x->params = hv_migrate_params_new()) ||
        !(x->op = hv_op_new(on_progress, x))) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        goto fail;
    }
    snprintf(x->name, sizeof(x->name), "%s", d->name);
    snprintf(x->uuid, sizeof(x->uuid), "%s", d->uuid);
    if (!get_bool(body, "live", &live, rr) ||
        !get_bool(body, "paused", &x->paused, rr) ||
        !get_bool(body, "persistent", &x->persistent, rr) ||
        !get_bool(body, "undefine_source", &x->undefine_source, rr) ||
        !get_bool(body, "insecure", &x->insecure, rr) ||
        !get_uint(body, "max_downtime_ms", 60000, &downtime, rr) ||
        !get_uint(body, "bandwidth_mib_s", 1u << 20, &bw, rr) ||
        !get_uint(body, "max_iterations", 1000, &iters, rr))
        goto fail;
    if (!get_str(body, "destination")) {
        rest_error(rr, 400, "invalid_argument", "\"destination\" (the "
                   "destination agent's URL) is required");
        goto fail;
    }
    if (!parse_dest(rr, x, get_str(body, "destination")))
        goto fail;
    add_param(x->uri, sizeof(x->uri), "token", get_str(body, "token"));
    add_param(x->uri, sizeof(x->uri), "cacert", get_str(body, "cacert"));
    add_param(x->uri, sizeof(x->uri), "cert", get_str(body, "cert"));
    add_param(x->uri, sizeof(x->uri), "key", get_str(body, "key"));
    if (!d->domid || d->state == DOM_SHUTOFF) {
        rest_error(rr, 409, "wrong_state", "domain '%s' is not running",
                   d->name);
        goto fail;
    }
    if (d->busy) {
        rest_error(rr, 409, "busy", "domain '%s': a %s job is running",
                   d->name, d->busy);
        goto fail;
    }
    if ((x->persistent || x->undefine_source) && !d->defined) {
        rest_error(rr, 409, "not_defined", "domain '%s' is transient: there "
                   "is no definition to %s", d->name, x->persistent
                   ? "store on the destination" : "remove");
        goto fail;
    }
    if (x->persistent && !(x->config = strdup(d->config))) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        goto fail;
    }
    flags = (live ? HV_MIGRATE_LIVE : 0) | (x->paused ? HV_MIGRATE_PAUSED : 0);
    hv_migrate_params_set_flags(x->params, flags);
    hv_migrate_params_set_max_downtime_ms(x->params, (unsigned)downtime);
    hv_migrate_params_set_bandwidth(x->params, bw);
    hv_migrate_params_set_max_iterations(x->params, (unsigned)iters);
    if (!(x->j = job_create(a->jobs, "migrate", d->name))) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        goto fail;
    }
    x->a = a;
    x->d = dom_ref(d);
    x->domid = d->domid;
    x->w.run = mig_run;
    x->w.done = mig_done;
    x->j->cancel = on_cancel;
    x->j->data = x;
    d->busy = "migrate";
    domtable_changed(&a->doms);
    snprintf(note, sizeof(note), "to %s", x->dest);
    migrate_note_set(a, d->name, "migrated", note);
    workers_submit(a->job_workers, &x->w);
    rest_reply_job(rr, x->j);
    json_object_put(body);
    return;
fail:
    if (x) {
        hv_op_free(x->op);
        hv_migrate_params_free(x->params);
        free(x->config);
        free(x);
    }
    json_object_put(body);
}
