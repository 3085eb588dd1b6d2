/*
 * fuzz_rest.c - libFuzzer harness for hvctld's REST requests: routing and
 * path decoding, authentication, query parameters, content negotiation,
 * bodies and every handler but the SSE stream, through rest_dispatch()
 * (agent/rest_local.c: no socket; the HTTP framing is libevent's).
 *
 * The agent is a real one on a temporary database and runtime directory
 * with two workers, and no hvcore (HVCORE_PATH names nothing), so a start
 * is a job that fails at once.  A token "admin" and a read-only one are in
 * the database; their secrets are in rest.dict.
 *
 * An input is up to 8 requests separated by a line "%%":
 *
 *   POST /v1/domains?start=0 tcp       method, target, transport
 *   Authorization: Bearer hvt_...      (unix, the default, tcp or tls)
 *   Content-Type: application/json     headers up to an empty line
 *
 *   {"type":"pv", ...}                 the body: the rest
 *
 * After each input every job has finished and every definition is removed
 * again (through the API), so that an input means the same whatever ran
 * before.  Checked besides crashes, leaks and sanitizer errors: every
 * request is answered, with a status the API documents; every error is
 * the JSON {"error":{"code":...,"message":...}}; a JSON reply is JSON; a
 * 405 names the allowed methods; the Unix socket never asks for
 * credentials and TCP always does; no request makes a 500.
 */
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "agent.h"
#include "auth.h"
#include "evlog.h"
#include "fuzz_check.h"
#include "jobs.h"
#include "log.h"
#include "metrics.h"
#include "monitor.h"
#include "reconcile.h"
#include "rest_local.h"
#include "shutdown.h"
#include "sse.h"
#include "store.h"
#include "worker.h"

#define MAX_REQUESTS 8
#define MAX_HEADERS 32
#define SEPARATOR "\n%%\n"

/* Two tokens of TOKEN_LEN characters (also in rest.dict). */
#define ADMIN_SECRET "hvt_fuzzAdminTokenAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define READER_SECRET "hvt_fuzzReaderTokenRRRRRRRRRRRRRRRRRRRRRRRRRRR"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct agent agent;
static struct agent_opts opts;
static char tmpdir[256], rundir[300], dbpath[300];

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void remove_tmpdir(void)
{
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void add_token(const char *name, const char *secret,
                      enum store_role role)
{
    unsigned char hash[32];

    auth_token_hash(secret, strlen(secret), hash);
    FUZZ_CHECK(store_token_add(agent.store, name, hash, role) == 0,
               "token %s: %s", name, store_errmsg(agent.store));
}

/* What agent.c's setup() makes, minus the listeners and the rundir lock. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    char err[512];

    (void)argc; (void)argv;
    snprintf(tmpdir, sizeof(tmpdir), "%s/fuzz_rest.XXXXXX", base);
    FUZZ_CHECK(mkdtemp(tmpdir), "mkdtemp %s", tmpdir);
    atexit(remove_tmpdir);
    snprintf(rundir, sizeof(rundir), "%s/run", tmpdir);
    snprintf(dbpath, sizeof(dbpath), "%s/hvctl.db", tmpdir);
    FUZZ_CHECK(mkdir(rundir, 0700) == 0, "mkdir %s", rundir);
    setenv("HVCORE_PATH", "/nonexistent/hvcore", 1);
    log_set_level((enum log_level)0);       /* silence: not even errors */

    opts.db_path = dbpath;
    opts.rundir = rundir;
    opts.workers = 2;
    opts.refresh_ms = 3600 * 1000;          /* no periodic refresh */
    opts.http_timeout_s = 60;
    opts.event_log_max = 1000;
    opts.log_level = 0;
    agent.opts = &opts;
    agent.lock_fd = -1;
    domtable_init(&agent.doms);
    agent.doms.on_stopped = shutdown_stopped;
    agent.doms.on_stopped_arg = &agent;

    FUZZ_CHECK(hv_conn_open(rundir, &agent.conn) == 0, "%s",
               hv_last_error());
    FUZZ_CHECK(store_open(dbpath, &agent.store, err, sizeof(err)) == 0,
               "%s", err);
    add_token("admin", ADMIN_SECRET, STORE_ROLE_ADMIN);
    add_token("reader", READER_SECRET, STORE_ROLE_READONLY);
    agent.scratch = hv_config_new();
    agent.base = event_base_new();
    FUZZ_CHECK(agent.base && event_base_priority_init(agent.base, 2) == 0,
               "event base");
    agent.jobs = jobs_new();
    agent.metrics = metrics_new();
    agent.auth = auth_new(agent.store, dbpath, agent.base);
    agent.evlog = evlog_new(agent.store, agent.base, opts.event_log_max);
    FUZZ_CHECK(agent.scratch && agent.jobs && agent.metrics && agent.auth &&
               agent.evlog, "out of memory");
    FUZZ_CHECK(workers_start(agent.base, opts.workers, &agent.workers) == 0 &&
               workers_start(agent.base, 2, &agent.job_workers) == 0,
               "workers");
    FUZZ_CHECK(reconcile_load(&agent) == 0 &&
               monitor_start(&agent, &agent.mon) == 0 &&
               reconcile_runtime(&agent) == 0 && sse_init(&agent) == 0,
               "agent setup");
    return 0;
}

static unsigned method_bit(const char *s, size_t len)
{
    static const struct { const char *name; unsigned bit; } m[] = {
        { "GET", M_GET }, { "POST", M_POST }, { "HEAD", M_HEAD },
        { "PUT", M_PUT }, { "DELETE", M_DELETE }, { "OPTIONS", M_OPTIONS },
        { "TRACE", M_TRACE }, { "CONNECT", M_CONNECT }, { "PATCH", M_PATCH },
    };

    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        if (strlen(m[i].name) == len && memcmp(m[i].name, s, len) == 0)
            return m[i].bit;
    return 0;
}

static bool is_json(const char *content_type)
{
    return content_type &&
           strncmp(content_type, "application/json", 16) == 0;
}

/* The checks every reply must pass. */
static void check_reply(const struct rest_local_reply *r, enum transport tr,
                        bool has_auth, const char *what)
{
    static const int documented[] = { 200, 201, 202, 204, 400, 401, 403, 404,
                                      405, 406, 409, 413, 415, 502, 503,
                                      504 };
    json_object *o = NULL, *e = NULL, *code = NULL, *msg = NULL;
    bool known = false;

    for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
        known = known || r->status == documented[i];
    FUZZ_CHECK(known, "%s: status %d\n%s", what, r->status, r->body);
    FUZZ_CHECK(tr != TR_UNIX || r->status != 401, "%s: 401 on the socket",
               what);
    FUZZ_CHECK(tr == TR_UNIX || has_auth || r->status == 401,
               "%s: %d without credentials", what, r->status);
    FUZZ_CHECK(r->status != 405 || (r->allow && *r->allow),
               "%s: 405 without Allow", what);
    if (is_json(r->content_type)) {
        o = json_tokener_parse(r->body);
        FUZZ_CHECK(o != NULL || !strcmp(r->body, "null\n"),
                   "%s: not JSON:\n%s", what, r->body);
    }
    if (r->status >= 400) {
        FUZZ_CHECK(is_json(r->content_type), "%s: %d as %s:\n%s", what,
                   r->status, r->content_type ? r->content_type : "-",
                   r->body);
        FUZZ_CHECK(json_object_object_get_ex(o, "error", &e) &&
                   json_object_object_get_ex(e, "code", &code) &&
                   json_object_object_get_ex(e, "message", &msg) &&
                   json_object_is_type(code, json_type_string) &&
                   json_object_is_type(msg, json_type_string) &&
                   json_object_get_string_len(code) > 0,
                   "%s: %d without the error object:\n%s", what, r->status,
                   r->body);
    }
    json_object_put(o);
}

/* One request: "METHOD TARGET [TRANSPORT]\nheaders\n\nbody". */
static void one_request(const char *text, size_t len)
{
    const char *hdr[2 * MAX_HEADERS + 1];
    char *copy = malloc(len + 1), *line, *next, *sp, *body = NULL;
    char *method_s, *target, *trs = NULL, what[320];
    enum transport tr = TR_UNIX;
    struct rest_local_reply r;
    size_t nh = 0, body_len = 0;
    bool has_auth = false;
    unsigned method;

    FUZZ_CHECK(copy, "out of memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    line = copy;
    next = memchr(copy, '\n', len);
    if (next)
        *next++ = '\0';
    method_s = line;
    if (!(sp = strchr(line, ' ')))
        goto out;
    *sp = '\0';
    target = sp + 1;
    if ((sp = strchr(target, ' '))) {
        *sp = '\0';
        trs = sp + 1;
    }
    if (!(method = method_bit(method_s, strlen(method_s))))
        goto out;                       /* libevent answers those itself */
    snprintf(what, sizeof(what), "%s %s", method_s, target);
    if (trs && !strcmp(trs, "tcp"))
        tr = TR_TCP;
    else if (trs && !strcmp(trs, "tls"))
        tr = TR_TLS;
    while (next && next < copy + len) {
        char *colon;

        line = next;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!*line) {
            body = next;
            break;
        }
        if (!(colon = strchr(line, ':')) || nh == MAX_HEADERS)
            goto out;                   /* not a header libevent passes */
        *colon++ = '\0';
        while (*colon == ' ' || *colon == '\t')
            colon++;
        hdr[2 * nh] = line;
        hdr[2 * nh + 1] = colon;
        has_auth = has_auth || !strcasecmp(line, "Authorization");
        nh++;
    }
    hdr[2 * nh] = NULL;
    if (body)
        body_len = (size_t)(copy + len - body);
    if (rest_local_request(&agent, tr, method, target, hdr, body, body_len,
                           &r) == 0) {
        check_reply(&r, tr, has_auth, what);
        rest_local_reply_free(&r);
    }
out:
    free(copy);
}

/* Back to the state before the input: no job running, nothing defined. */
static void reset(void)
{
    char names[64][64];
    size_t n = 0;

    while (jobs_running(agent.jobs))
        event_base_loop(agent.base, EVLOOP_ONCE);
    for (size_t i = 0; i < agent.doms.n && n < 64; i++)
        snprintf(names[n++], sizeof(names[0]), "%s", agent.doms.v[i]->name);
    for (size_t i = 0; i < n; i++) {
        struct rest_local_reply r;
        char uri[128];

        snprintf(uri, sizeof(uri), "/v1/domains/%s", names[i]);
        FUZZ_CHECK(rest_local_request(&agent, TR_UNIX, M_DELETE, uri, NULL,
                                      NULL, 0, &r) == 0, "DELETE %s", uri);
        FUZZ_CHECK(r.status == 204, "DELETE %s: %d\n%s", uri, r.status,
                   r.body);
        rest_local_reply_free(&r);
    }
    FUZZ_CHECK(agent.doms.n == 0, "%zu domains left after undefining all",
               agent.doms.n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;

    for (int i = 0; i < MAX_REQUESTS && p < end; i++) {
        const char *sep = memmem(p, (size_t)(end - p), SEPARATOR,
                                 strlen(SEPARATOR));
        const char *stop = sep ? sep : end;

        one_request(p, (size_t)(stop - p));
        p = sep ? sep + strlen(SEPARATOR) : end;
    }
    reset();
    return 0;
}
