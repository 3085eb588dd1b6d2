/*
 * migrate_in.c - the destination agent's side of a migration between
 * agents (docs/migration.md):
 *
 *   POST /v1/migrations/incoming          {name, uuid, persistent, config,
 *                                          paused, insecure, source}
 *       a TCP port bound for this migration, hvmigrate-relay on it with a
 *       fresh one-time key, and `hvcore --incoming` on the relay's
 *       socketpair (libhvctl's spawner); 201 {id, port, key}.
 *   GET  /v1/migrations/incoming/{id}     where its hvcore stands
 *       (receiving, undecided, running, paused, gone): what the source
 *       agent asks when the handshake broke.
 *   POST /v1/migrations/incoming/{id}/finish  {outcome}
 *       "moved": the source saw it run here: store the definition if the
 *       move persists it.  "take": the source is gone; run the undecided
 *       copy here (then as moved).  "abort": the source runs it; destroy
 *       what is here.  The record goes either way.
 *
 * Nothing is written to this agent's database before "moved" or "take":
 * a migration that fails leaves it as it was.
 *
 * These are short (a spawn, a getinfo, a destroy) and run on the agent's
 * operation workers, not on the job workers that this agent's own
 * migrations hold for their whole length: two agents migrating to each
 * other with every job worker busy must not wait for each other.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/bufferevent.h>
#include <event2/http.h>

#include "agent.h"
#include "evlog.h"
#include "jobs.h"
#include "log.h"
#include "migrate.h"
#include "priv_hvctld.h"
#include "public/domctl.h"
#include "rest_handlers.h"
#include "store.h"
#include "util.h"
#include "worker.h"

/* How long an incoming migration waits for the source's verdict. */
#define MIG_IN_KEEP_MS (10 * 60 * 1000)

struct mig_in {
    char id[33];
    char name[64], uuid[37], source[128];
    bool persistent, paused, insecure;
    uint64_t memory_mib;        /* its size, to make before it arrives */
    char *config;               /* the definition to store, or NULL */
    hv_domain *dom;             /* the incoming hvcore */
    pid_t relay;
    int64_t created_ms;
    bool busy;                  /* a worker has it */
    struct mig_in *next;
};

static struct mig_in *find(struct agent *a, const char *id)
{
    for (struct mig_in *m = a->mig_in; m; m = m->next)
        if (strcmp(m->id, id) == 0)
            return m;
    return NULL;
}

static void mig_free(struct mig_in *m)
{
    if (!m)
        return;
    if (m->relay > 0) {
        kill(m->relay, SIGTERM);
        relay_reap(m->relay, 2000);
    }
    hv_domain_free(m->dom);
    free(m->config);
    free(m);
}

static void unlink_mig(struct agent *a, struct mig_in *m)
{
    for (struct mig_in **p = &a->mig_in; *p; p = &(*p)->next)
        if (*p == m) {
            *p = m->next;
            return;
        }
}

/*
 * Forget migrations whose source never said how they ended (its agent
 * died): their relay has long given up (RELAY_TIMEOUT_MS) and is reaped
 * here; their hvcore ended with its stream, or waits undecided for
 * someone to unpause or destroy it, as a domain of this host.
 */
static void sweep(struct agent *a)
{
    int64_t now = now_real_ms();

    for (struct mig_in **p = &a->mig_in; *p;) {
        struct mig_in *m = *p;
        if (!m->busy && now - m->created_ms > MIG_IN_KEEP_MS) {
            log_warn("incoming migration %s of domain '%s': no word from "
                     "the source for %d s; forgotten", m->id, m->name,
                     MIG_IN_KEEP_MS / 1000);
            *p = m->next;
            mig_free(m);
            continue;
        }
        p = &m->next;
    }
}

void migrate_in_free_all(struct agent *a)
{
    while (a->mig_in) {
        struct mig_in *m = a->mig_in;
        a->mig_in = m->next;
        mig_free(m);
    }
}

static void hex(const unsigned char *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", b[i]);
}

/* ---- prepare ---- */

struct prep_work {
    struct work w;
    struct rest_req *rr;
    struct mig_in *m;
    struct sockaddr_storage bind;   /* where to listen (port 0) */
    socklen_t bind_len;
    int port;
    char key[2 * RELAY_KEY_BYTES + 1];
    int rc;
    char msg[512];
};

/* A listening socket on p->bind, port chosen by the kernel. */
static int listen_on(struct prep_work *p)
{
    struct sockaddr_storage ss = p->bind;
    socklen_t len = p->bind_len;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) < 0 ||
        listen(fd, 4) < 0 || getsockname(fd, (struct sockaddr *)&ss,
                                         &len) < 0) {
        snprintf(p->msg, sizeof(p->msg), "cannot listen for the migration "
                 "stream: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    p->port = ntohs(ss.ss_family == AF_INET
                    ? ((struct sockaddr_in *)&ss)->sin_port
                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

static void prep_run(struct work *w)
{
    struct prep_work *p = (struct prep_work *)w;
    struct mig_in *m = p->m;
    unsigned char key[RELAY_KEY_BYTES];
    int lfd = -1, sv[2] = { -1, -1 };

    p->rc = HV_EIO;
    if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key)) {
        snprintf(p->msg, sizeof(p->msg), "no random key: %s",
                 strerror(errno));
        goto out;
    }
    hex(key, sizeof(key), p->key);
    if ((lfd = listen_on(p)) < 0)
        goto out;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        snprintf(p->msg, sizeof(p->msg), "socketpair: %s", strerror(errno));
        goto out;
    }
    if (relay_spawn(lfd, NULL, sv[0], p->key, m->id, m->insecure, -1,
                    &m->relay,
                    p->msg, sizeof(p->msg)) < 0)
        goto out;
    p->rc = hv_priv_incoming_start(p->rr->a->conn, m->name, m->uuid, sv[1],
                                   m->paused ? HV_MIGRATE_PAUSED : 0,
                                   m->memory_mib, &m->dom);
    if (p->rc)
        snprintf(p->msg, sizeof(p->msg), "%s", hv_last_error());
out:
    if (lfd >= 0)
        close(lfd);
    for (int i = 0; i < 2; i++)
        if (sv[i] >= 0)
            close(sv[i]);
    explicit_bzero(key, sizeof(key));
}

static void prep_done(struct work *w)
{
    struct prep_work *p = (struct prep_work *)w;
    struct rest_req *rr = p->rr;
    struct agent *a = rr->a;
    struct mig_in *m = p->m;
    json_object *o;
    char note[200];

    m->busy = false;
    if (p->rc) {
        unlink_mig(a, m);
        mig_free(m);
        log_warn("incoming migration refused: %s", p->msg);
        rest_error_hv(rr, p->rc, p->msg);
        goto out;
    }
    snprintf(note, sizeof(note), "from %s", m->source[0] ? m->source
                                                          : "another host");
    migrate_note_set(a, m->name, "restored", note);
    log_info("incoming migration %s of domain '%s' from %s: port %d", m->id,
             m->name, m->source, p->port);
    o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(m->id));
    json_object_object_add(o, "port", json_object_new_int(p->port));
    json_object_object_add(o, "key", json_object_new_string(p->key));
    json_object_object_add(o, "timeout_ms",
                           json_object_new_int(RELAY_TIMEOUT_MS));
    rest_reply_json(rr, 201, o);
out:
    explicit_bzero(p->key, sizeof(p->key));
    free(p);
}

/* Where the request came in (so the source can reach the port), or the
 * wildcard; loopback only for a plain stream. */
static void bind_addr(struct rest_req *rr, struct prep_work *p, bool insecure)
{
    struct evhttp_connection *ec = evhttp_request_get_connection(rr->req);
    struct bufferevent *bev = ec ? evhttp_connection_get_bufferevent(ec)
                                 : NULL;
    int fd = bev ? bufferevent_getfd(bev) : -1;
    struct sockaddr_in *in = (struct sockaddr_in *)&p->bind;

    p->bind_len = sizeof(p->bind);
    if (!insecure && fd >= 0 &&
        getsockname(fd, (struct sockaddr *)&p->bind, &p->bind_len) == 0 &&
        (p->bind.ss_family == AF_INET || p->bind.ss_family == AF_INET6)) {
        if (p->bind.ss_family == AF_INET)
            in->sin_port = 0;
        else
            ((struct sockaddr_in6 *)&p->bind)->sin6_port = 0;
        return;
    }
    memset(&p->bind, 0, sizeof(p->bind));
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(insecure ? INADDR_LOOPBACK : INADDR_ANY);
    p->bind_len = sizeof(*in);
}

static const char *str_of(json_object *body, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(body, key, &v) &&
           json_object_is_type(v, json_type_string)
           ? json_object_get_string(v) : NULL;
}

static bool bool_of(json_object *body, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(body, key, &v) &&
           json_object_get_boolean(v);
}

/* A positive integer up to max, else 0 (not known). */
static uint64_t uint_of(json_object *body, const char *key, uint64_t max)
{
    json_object *v;

    if (!json_object_object_get_ex(body, key, &v) ||
        !json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) <= 0 ||
        (uint64_t)json_object_get_int64(v) > max)
        return 0;
    return (uint64_t)json_object_get_int64(v);
}

void h_migrations_incoming(struct rest_req *rr)
{
    static const char *const keys[] = { "name", "uuid", "persistent",
                                        "config", "paused", "insecure",
                                        "source", "memory_mib", NULL };
    struct agent *a = rr->a;
    json_object *body = rest_json_body(rr, keys, false);
    const char *name, *uuid, *config, *source;
    struct prep_work *p = NULL;
    struct mig_in *m = NULL;
    unsigned char idb[16];
    char msg[256];
    struct dom *d;

    if (!body)
        return;
    sweep(a);
    name = str_of(body, "name");
    uuid = str_of(body, "uuid");
    config = str_of(body, "config");
    source = str_of(body, "source");
    if (!name || !agent_name_ok(a, name, msg, sizeof(msg))) {
        rest_error(rr, 400, "invalid_argument", "\"name\": %s",
                   name ? msg : "a domain name is required");
        goto out;
    }
    if (!uuid || strlen(uuid) != 36) {
        rest_error(rr, 400, "invalid_argument", "\"uuid\": the domain's uuid "
                   "is required");
        goto out;
    }
    if (bool_of(body, "persistent") && !config) {
        rest_error(rr, 400, "invalid_argument", "\"config\": a persistent "
                   "move needs the definition");
        goto out;
    }
    if (bool_of(body, "insecure") && rr->tr == TR_TLS) {
        rest_error(rr, 400, "invalid_argument", "\"insecure\": this agent "
                   "was reached over TLS; the stream goes over TLS too");
        goto out;
    }
    d = dom_find(&a->doms, name);
    if (d && d->domid) {
        rest_error(rr, 409, "name_taken", "domain '%s' runs on this host "
                   "already", name);
        goto out;
    }
    if (d && d->defined && strcasecmp(d->uuid, uuid) != 0) {
        rest_error(rr, 409, "name_taken", "domain '%s' is defined on this "
                   "host with uuid %s, not %s", name, d->uuid, uuid);
        goto out;
    }
    for (struct mig_in *o = a->mig_in; o; o = o->next)
        if (strcmp(o->name, name) == 0) {
            rest_error(rr, 409, "busy", "domain '%s': a migration to this "
                       "host is under way already (%s)", name, o->id);
            goto out;
        }
    m = calloc(1, sizeof(*m));
    p = calloc(1, sizeof(*p));
    if (!m || !p || getrandom(idb, sizeof(idb), 0) != (ssize_t)sizeof(idb) ||
        (config && !(m->config = strdup(config)))) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        goto fail;
    }
    hex(idb, sizeof(idb), m->id);
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->uuid, sizeof(m->uuid), "%s", uuid);
    snprintf(m->source, sizeof(m->source), "%s", source ? source : "");
    m->persistent = bool_of(body, "persistent");
    m->paused = bool_of(body, "paused");
    m->insecure = bool_of(body, "insecure");
    m->memory_mib = uint_of(body, "memory_mib", 1u << 20);
    m->busy = true;
    m->created_ms = now_real_ms();
    m->next = a->mig_in;
    a->mig_in = m;
    p->rr = rr;
    p->m = m;
    bind_addr(rr, p, m->insecure);
    p->w.run = prep_run;
    p->w.done = prep_done;
    workers_submit(a->workers, &p->w);
    goto out;
fail:
    mig_free(m);
    free(p);
out:
    json_object_put(body);
}

/* ---- state and finish ---- */

enum in_act { ACT_STATE, ACT_MOVED, ACT_TAKE, ACT_ABORT };

struct fin_work {
    struct work w;
    struct rest_req *rr;
    struct mig_in *m;
    enum in_act act;
    int rc;
    char msg[512];
    const char *state;
};

static const char *state_of(struct mig_in *m)
{
    int xfer, st;
    int rc = hv_priv_xfer_state(m->dom, &xfer, &st);

    if (rc == HV_EAGAIN)
        return "receiving";
    if (rc)
        return "gone";
    switch (xfer) {
    case HV_XFER_STATE_RECEIVING: return "receiving";
    case HV_XFER_STATE_UNDECIDED: return "undecided";
    default:
        return st == HV_STATE_PAUSED ? "paused" : "running";
    }
}

static void fin_run(struct work *w)
{
    struct fin_work *f = (struct fin_work *)w;
    struct mig_in *m = f->m;

    switch (f->act) {
    case ACT_STATE:
        break;
    case ACT_TAKE:
        /* The undecided copy takes over (hvcore's unpause). */
        f->rc = hv_domain_unpause(m->dom, 0);
        if (f->rc == HV_ESTATE)
            f->rc = 0;
        if (f->rc)
            snprintf(f->msg, sizeof(f->msg), "%s", hv_last_error());
        break;
    case ACT_ABORT:
        /* The stream ends first, so one still receiving exits by
         * itself; one built and waiting is destroyed. */
        if (m->relay > 0) {
            kill(m->relay, SIGTERM);
            relay_reap(m->relay, 5000);
            m->relay = -1;
        }
        if (strcmp(state_of(m), "gone") != 0)
            hv_domain_destroy(m->dom, 0);
        break;
    case ACT_MOVED:
        break;
    }
    f->state = state_of(m);
    if (f->act != ACT_STATE && m->relay > 0) {
        relay_reap(m->relay, 5000);
        m->relay = -1;
    }
}

/* Store the definition that came with the domain (event loop). */
static int persist(struct agent *a, struct mig_in *m, char *msg, size_t len)
{
    struct dom *d = dom_find(&a->doms, m->name);
    struct store_def def;
    struct store_event ev;
    char detail[200];
    int rc;

    if (d && d->defined)
        return 0;               /* defined here already, same uuid */
    memset(&def, 0, sizeof(def));
    snprintf(def.uuid, sizeof(def.uuid), "%s", m->uuid);
    snprintf(def.name, sizeof(def.name), "%s", m->name);
    def.config = m->config;
    def.created_ms = def.updated_ms = now_real_ms();
    snprintf(detail, sizeof(detail), "migrated from %s", m->source);
    evlog_prepare(a->evlog, &ev, m->name, m->uuid, d ? d->domid : 0,
                  "defined", HV_CAUSE_API, HV_REASON_REQUESTED, detail);
    if ((rc = store_def_insert(a->store, &def, &ev))) {
        snprintf(msg, len, "domain '%s': the definition cannot be stored "
                 "here: %s", m->name, rc == -EEXIST ? "the name is defined"
                 : store_errmsg(a->store));
        return HV_EEXIST;
    }
    if (!d && !(d = dom_add(&a->doms, m->name))) {
        snprintf(msg, len, "out of memory (the definition is stored)");
        return HV_ENOMEM;
    }
    d->defined = true;
    snprintf(d->uuid, sizeof(d->uuid), "%s", m->uuid);
    d->created_ms = def.created_ms;
    d->updated_ms = def.updated_ms;
    dom_set_config(d, m->config);
    m->config = NULL;
    if (d->domid)
        store_running_set(a->store, d->uuid, d->domid, now_real_ms());
    domtable_changed(&a->doms);
    evlog_publish(a->evlog, &ev);
    return 0;
}

static void fin_done(struct work *w)
{
    struct fin_work *f = (struct fin_work *)w;
    struct rest_req *rr = f->rr;
    struct agent *a = rr->a;
    struct mig_in *m = f->m;
    bool defined = false;
    json_object *o;

    m->busy = false;
    if (f->rc) {
        rest_error_hv(rr, f->rc, f->msg);
        goto out;
    }
    if ((f->act == ACT_MOVED || f->act == ACT_TAKE) && m->persistent) {
        if ((f->rc = persist(a, m, f->msg, sizeof(f->msg)))) {
            rest_error_hv(rr, f->rc, f->msg);
            goto forget;
        }
        defined = true;
    }
    o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(m->id));
    json_object_object_add(o, "name", json_object_new_string(m->name));
    json_object_object_add(o, "state", json_object_new_string(f->state));
    json_object_object_add(o, "persistent",
                           json_object_new_boolean(defined));
    rest_reply_json(rr, 200, o);
    if (f->act == ACT_STATE)
        goto out;
    log_info("incoming migration %s of domain '%s': %s", m->id, m->name,
             f->act == ACT_ABORT ? "given up" : "it runs here");
forget:
    if (f->act == ACT_ABORT) {
        char drop[256];
        migrate_note_take(a, m->name, "restored", drop, sizeof(drop));
    }
    unlink_mig(a, m);
    mig_free(m);
out:
    free(f);
}

static void submit_fin(struct rest_req *rr, enum in_act act)
{
    struct mig_in *m = find(rr->a, rr->m.params[0]);
    struct fin_work *f;

    if (!m) {
        rest_error(rr, 404, "not_found", "no incoming migration '%s'",
                   rr->m.params[0]);
        return;
    }
    if (m->busy) {
        rest_error(rr, 409, "busy", "incoming migration '%s' is busy",
                   m->id);
        return;
    }
    if (!(f = calloc(1, sizeof(*f)))) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    m->busy = true;
    f->rr = rr;
    f->m = m;
    f->act = act;
    f->w.run = fin_run;
    f->w.done = fin_done;
    workers_submit(rr->a->workers, &f->w);
}

void h_migration_get(struct rest_req *rr)
{
    submit_fin(rr, ACT_STATE);
}

void h_migration_finish(struct rest_req *rr)
{
    static const char *const keys[] = { "outcome", NULL };
    json_object *body = rest_json_body(rr, keys, false);
    const char *outcome;
    enum in_act act;

    if (!body)
        return;
    outcome = str_of(body, "outcome");
    if (outcome && strcmp(outcome, "moved") == 0) {
        act = ACT_MOVED;
    } else if (outcome && strcmp(outcome, "take") == 0) {
        act = ACT_TAKE;
    } else if (outcome && strcmp(outcome, "abort") == 0) {
        act = ACT_ABORT;
    } else {
        rest_error(rr, 400, "invalid_argument", "\"outcome\" must be "
                   "\"moved\", \"take\" or \"abort\"");
        goto out;
    }
    submit_fin(rr, act);
out:
    json_object_put(body);
}
