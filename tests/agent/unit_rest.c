/*
 * unit_rest.c - the agent's pieces that need no hvcore: routing and path
 * decoding, the command line and its refusals, tokens, jobs, the domain
 * table and its cached list, the event log, and small helpers.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <openssl/evp.h>

#include "auth.h"
#include "domtable.h"
#include "errmap.h"
#include "evlog.h"
#include "jobs.h"
#include "log.h"
#include "options.h"
#include "route.h"
#include "store.h"
#include "util.h"

/* ---- routes ---- */

static void test_route_match(void **state)
{
    struct route_match m;

    route_match(M_GET, "/v1/domains", &m);
    assert_int_equal(m.status, 0);
    assert_string_equal(m.route->pattern, "/v1/domains");
    route_match(M_POST, "/v1/domains/web/pause", &m);
    assert_int_equal(m.status, 0);
    assert_string_equal(m.route->pattern, "/v1/domains/{name}/pause");
    assert_int_equal(m.nparams, 1);
    assert_string_equal(m.params[0], "web");
    route_match(M_DELETE, "/v1/jobs/17", &m);
    assert_string_equal(m.route->pattern, "/v1/jobs/{id}");
    assert_string_equal(m.params[0], "17");
    route_match(M_GET, "/metrics", &m);
    assert_int_equal(m.status, 0);
}

static void test_route_refusals(void **state)
{
    struct route_match m;
    char allow[64];

    route_match(M_PATCH, "/v1/domains/web", &m);
    assert_int_equal(m.status, 405);
    route_allow_header(m.allowed, allow, sizeof(allow));
    assert_string_equal(allow, "GET, PUT, DELETE");
    route_match(M_GET, "/v1/domains/web/start", &m);
    assert_int_equal(m.status, 405);
    assert_int_equal(m.allowed, M_POST);
    route_match(M_GET, "/v1/domains/", &m);          /* trailing slash */
    assert_int_equal(m.status, 404);
    route_match(M_GET, "/v1//domains", &m);
    assert_int_equal(m.status, 404);
    route_match(M_GET, "/v2/domains", &m);
    assert_int_equal(m.status, 404);
    route_match(M_GET, "/v1/domains/a/b/c", &m);
    assert_int_equal(m.status, 404);
    route_match(M_GET, "", &m);
    assert_int_equal(m.status, 404);
    route_match(M_GET, NULL, &m);
    assert_int_equal(m.status, 404);
}

static void test_route_escapes(void **state)
{
    struct route_match m;
    char out[8];

    /* An escaped slash stays inside the segment (the name check then
     * refuses it); it never becomes a separator. */
    route_match(M_GET, "/v1/domains/..%2F..%2Fetc", &m);
    assert_int_equal(m.status, 0);
    assert_string_equal(m.params[0], "../../etc");
    route_match(M_GET, "/v1/domains/a%20b", &m);
    assert_string_equal(m.params[0], "a b");
    route_match(M_GET, "/v1/domains/bad%zz", &m);
    assert_int_equal(m.status, 400);
    route_match(M_GET, "/v1/domains/nul%00", &m);
    assert_int_equal(m.status, 400);
    route_match(M_GET, "/v1/domains/cut%4", &m);
    assert_int_equal(m.status, 400);
    assert_false(route_decode_segment("abcdefgh", 8, out, sizeof(out)));
    assert_true(route_decode_segment("abc%41", 6, out, sizeof(out)));
    assert_string_equal(out, "abcA");
}

static void test_route_table_sane(void **state)
{
    /* Every pattern is reachable by its own method, uniquely. */
    for (size_t i = 0; i < routes_count; i++) {
        struct route_match m;
        char path[128];
        size_t o = 0;

        for (const char *p = routes[i].pattern; *p && o < sizeof(path) - 4;) {
            if (*p == '{') {
                memcpy(path + o, "x1", 2);
                o += 2;
                p = strchr(p, '}') + 1;
            } else {
                path[o++] = *p++;
            }
        }
        path[o] = '\0';
        route_match(routes[i].method, path, &m);
        assert_ptr_equal(m.route, &routes[i]);
        assert_non_null(routes[i].query);
        /* Only GET is read-only. */
        assert_int_equal(routes[i].write, routes[i].method != M_GET);
    }
}

/* ---- options ---- */

static enum opts_result parse(struct agent_opts *o, char *err, ...)
{
    char *argv[32] = { "hvctld" };
    int argc = 1;
    va_list ap;
    char *a;
    FILE *devnull = fopen("/dev/null", "w");
    enum opts_result r;

    va_start(ap, err);
    while ((a = va_arg(ap, char *)) && argc < 31)
        argv[argc++] = a;
    va_end(ap);
    err[0] = '\0';
    r = opts_parse(argc, argv, o, devnull, err, 512);
    fclose(devnull);
    return r;
}

static void test_options_defaults(void **state)
{
    struct agent_opts o;
    char err[512];

    assert_int_equal(parse(&o, err, NULL), OPTS_RUN);
    assert_string_equal(o.db_path, "/var/lib/hvctl/hvctl.db");
    assert_null(o.rundir);
    assert_int_equal(o.nlisten, 0);
    assert_true(o.autostart);
    assert_int_equal(o.workers, 16);
    assert_int_equal(o.log_level, LOG_INFO);
    assert_int_equal(parse(&o, err, "--db", "/x.db", "-r", "/run/x",
                           "--no-autostart", "--workers", "4", "-q", NULL),
                     OPTS_RUN);
    assert_string_equal(o.db_path, "/x.db");
    assert_string_equal(o.rundir, "/run/x");
    assert_false(o.autostart);
    assert_int_equal(o.workers, 4);
    assert_int_equal(o.log_level, LOG_WARN);
    assert_int_equal(parse(&o, err, "--help", NULL), OPTS_EXIT_OK);
    assert_int_equal(parse(&o, err, "-V", NULL), OPTS_EXIT_OK);
}

static void test_options_listen(void **state)
{
    struct agent_opts o;
    char err[512];

    assert_int_equal(parse(&o, err, "--listen", "127.0.0.1:8080",
                           "--insecure", NULL), OPTS_RUN);
    assert_string_equal(o.listen[0].host, "127.0.0.1");
    assert_string_equal(o.listen[0].port, "8080");
    assert_true(o.listen[0].loopback);
    assert_int_equal(parse(&o, err, "-l", "[::1]:1", "-l", "localhost:2",
                           "--insecure", NULL), OPTS_RUN);
    assert_string_equal(o.listen[0].host, "::1");
    assert_int_equal(o.nlisten, 2);
    assert_int_equal(parse(&o, err, "-l", "0.0.0.0:8443", "--tls-cert", "c",
                           "--tls-key", "k", "--tls-ca", "ca", NULL), OPTS_RUN);
    assert_false(o.listen[0].loopback);
}

static void test_options_refused(void **state)
{
    static const struct {
        const char *args[6];
        const char *err;
    } cases[] = {
        { { "--listen", "0.0.0.0:8443" },
          "--listen needs TLS: give --tls-cert and --tls-key (plain HTTP is "
          "only allowed on loopback, with --insecure)" },
        { { "--listen", "10.0.0.1:80", "--insecure" },
          "--listen 10.0.0.1:80: plain HTTP (--insecure) is only allowed on "
          "a loopback address" },
        { { "--listen", "[::]:80", "--insecure" },
          "--listen [::]:80: plain HTTP (--insecure) is only allowed on a "
          "loopback address" },
        { { "--insecure" }, "--insecure only applies to --listen" },
        { { "-l", "127.0.0.1:1", "--insecure", "--tls-cert", "c" },
          "--insecure serves plain HTTP: it does not go with --tls-cert, "
          "--tls-key or --tls-ca" },
        { { "--tls-cert", "c", "--tls-key", "k" },
          "--tls-cert, --tls-key and --tls-ca only apply to --listen" },
        { { "--listen", "example.com:80" },
          "--listen example.com:80: the host must be a numeric address (or "
          "localhost)" },
        { { "--listen", "127.0.0.1:99999" },
          "--listen 127.0.0.1:99999: expected HOST:PORT or [IPV6]:PORT" },
        { { "--listen", "::1:80" },
          "--listen ::1:80: expected HOST:PORT or [IPV6]:PORT" },
        { { "--workers", "0" },
          "--workers 0: expected a number from 1 to 256" },
        { { "--bogus" }, "unknown option --bogus" },
        { { "--db" }, "option --db needs an argument" },
        { { "extra" }, "unexpected argument 'extra'" },
    };

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct agent_opts o;
        char err[512];
        const char *const *a = cases[i].args;

        assert_int_equal(parse(&o, err, a[0], a[1], a[2], a[3], a[4], a[5]),
                         OPTS_USAGE);
        assert_string_equal(err, cases[i].err);
    }
}

/* ---- helpers ---- */

static void test_utf8(void **state)
{
    assert_true(utf8_valid("plain", 5));
    assert_true(utf8_valid("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 14));
    assert_false(utf8_valid("\xff", 1));
    assert_false(utf8_valid("\xc3", 1));              /* cut short */
    assert_false(utf8_valid("\xc0\xaf", 2));          /* overlong '/' */
    assert_false(utf8_valid("\xed\xa0\x80", 3));      /* surrogate */
    assert_false(utf8_valid("\xf4\x90\x80\x80", 4));  /* > U+10FFFF */
    assert_false(utf8_valid("a\0b", 3));              /* NUL */
}

static void test_small_helpers(void **state)
{
    char t[TIME_STR_LEN];
    int64_t v;
    int status;
    const char *code;

    assert_string_equal(time_str(1700000000123, t), "2023-11-14T22:13:20.123Z");
    assert_true(parse_int64("42", 0, 100, &v));
    assert_int_equal(v, 42);
    assert_false(parse_int64("42x", 0, 100, &v));
    assert_false(parse_int64("", 0, 100, &v));
    assert_false(parse_int64("101", 0, 100, &v));
    assert_false(parse_int64(" 1", 0, 100, &v));
    errmap_hv(HV_ESTATE, &status, &code);
    assert_int_equal(status, 409);
    assert_string_equal(code, "wrong_state");
    errmap_hv(HV_ECONFIG, &status, &code);
    assert_int_equal(status, 400);
    errmap_hv(HV_ETIMEDOUT, &status, &code);
    assert_int_equal(status, 504);
    errmap_hv(-1000, &status, &code);
    assert_int_equal(status, 500);
}

/* ---- tokens ---- */

static void test_tokens(void **state)
{
    char dir[] = "/tmp/hvctld-unit.XXXXXX", db[96], err[256], secret[TOKEN_LEN + 1];
    char hdr[80], who[96], cmd[96];
    unsigned char hash[32], want[32];
    unsigned int len = 32;
    struct store *st, *other;
    struct auth *au;

    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/t.db", dir);
    assert_int_equal(store_open(db, &st, err, sizeof(err)), 0);
    assert_int_equal(auth_token_generate(secret, hash), 0);
    assert_int_equal(strlen(secret), TOKEN_LEN);
    assert_memory_equal(secret, "hvt_", 4);
    assert_int_equal(strspn(secret + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
                            "klmnopqrstuvwxyz0123456789-_"), TOKEN_LEN - 4);
    EVP_Digest(secret, TOKEN_LEN, want, &len, EVP_sha256(), NULL);
    assert_memory_equal(hash, want, 32);

    /* Once without an event loop (the database is asked every time)
     * and once with one (an inotify event says when to ask). */
    for (int pass = 0; pass < 2; pass++) {
        struct event_base *base = NULL;
        char name[8];

        if (pass) {
            base = event_base_new();
            assert_int_equal(event_base_priority_init(base, 2), 0);
        }
        snprintf(name, sizeof(name), "ci%d", pass);
        assert_int_equal(auth_token_generate(secret, hash), 0);
        assert_int_equal(store_token_add(st, name, hash, STORE_ROLE_READONLY),
                         0);
        au = auth_new(st, db, base);
        snprintf(hdr, sizeof(hdr), "Bearer %s", secret);
        assert_int_equal(auth_check_bearer(au, hdr, who, sizeof(who)),
                         STORE_ROLE_READONLY);
        assert_string_equal(who + 6, name);
        assert_int_equal(auth_check_bearer(au, NULL, who, sizeof(who)), -1);
        assert_int_equal(auth_check_bearer(au, "Bearer ", who, sizeof(who)), -1);
        assert_int_equal(auth_check_bearer(au, "Basic eDp5", who, sizeof(who)),
                         -1);
        hdr[10] ^= 1;
        assert_int_equal(auth_check_bearer(au, hdr, who, sizeof(who)), -1);
        hdr[10] ^= 1;
        /* Revoked by another process: refused at the next check (after
         * the loop has seen the change, with an event loop). */
        assert_int_equal(store_open(db, &other, err, sizeof(err)), 0);
        assert_int_equal(store_token_revoke(other, name), 0);
        store_close(other);
        if (base)
            event_base_loop(base, EVLOOP_NONBLOCK);
        assert_int_equal(auth_check_bearer(au, hdr, who, sizeof(who)), -1);
        if (pass == 0) {
            auth_free(au);
            continue;
        }
        /* A new token is seen the same way. */
        assert_int_equal(auth_token_generate(secret, hash), 0);
        assert_int_equal(store_open(db, &other, err, sizeof(err)), 0);
        assert_int_equal(store_token_add(other, "late", hash, STORE_ROLE_ADMIN),
                         0);
        store_close(other);
        event_base_loop(base, EVLOOP_NONBLOCK);
        snprintf(hdr, sizeof(hdr), "Bearer %s", secret);
        assert_int_equal(auth_check_bearer(au, hdr, who, sizeof(who)),
                         STORE_ROLE_ADMIN);
        auth_free(au);
        event_base_free(base);
    }
    store_close(st);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- jobs ---- */

static struct jobs *cancel_js;

static void cancel_now(struct job *j)
{
    job_finish(cancel_js, j, HV_ECANCELED, "cancelled");
}

static void test_jobs(void **state)
{
    struct jobs *js = jobs_new();
    int64_t before = now_real_ms();
    struct job *a = job_create(js, "start", "web");
    struct job *b = job_create(js, "shutdown", "web");
    json_object *o;
    char href[48];

    cancel_js = js;
    b->cancel = cancel_now;
    /* Ids go on from the clock at jobs_new (jobs.c): one from before a
     * restart is never handed out again. */
    assert_true(a->id >= (uint64_t)before * 1000);
    assert_int_equal(b->id, a->id + 1);
    assert_ptr_equal(job_find(js, b->id), b);
    assert_null(job_find(js, b->id + 1));
    assert_int_equal(jobs_running(js), 2);
    o = job_json(b);
    assert_true(json_object_get_boolean(json_object_object_get(o, "cancellable")));
    json_object_put(o);
    job_set_step(a, "starting hvcore", 0.5);
    assert_int_equal(job_cancel(a), -1);        /* start: not cancellable */
    assert_int_equal(job_cancel(b), 0);
    assert_int_equal(b->state, JOB_CANCELLED);
    job_finish(js, a, HV_ESPAWN, "domain 'web': hvcore: no kernel");
    assert_int_equal(jobs_running(js), 0);
    assert_int_equal(job_cancel(b), -1);        /* finished */
    o = job_json(a);
    assert_string_equal(json_object_get_string(json_object_object_get(o, "state")),
                        "failed");
    assert_string_equal(json_object_get_string(json_object_object_get(
                            json_object_object_get(o, "error"), "code")),
                        "spawn_failed");
    snprintf(href, sizeof(href), "/v1/jobs/%llu", (unsigned long long)a->id);
    assert_string_equal(json_object_get_string(json_object_object_get(o, "href")),
                        href);
    json_object_put(o);
    o = job_json(b);
    assert_string_equal(json_object_get_string(json_object_object_get(o, "state")),
                        "cancelled");
    assert_false(json_object_get_boolean(json_object_object_get(o, "cancellable")));
    assert_null(json_object_object_get(o, "error"));
    json_object_put(o);
    jobs_free(js);
}

/* ---- the domain table ---- */

static void test_domtable(void **state)
{
    struct domtable t;
    struct dom *a, *b, *c;
    struct list_cache *c1, *c2;
    const char *data, *data2;
    size_t len;

    domtable_init(&t);
    b = dom_add(&t, "b");
    a = dom_add(&t, "a");
    c = dom_add(&t, "c");
    assert_null(dom_add(&t, "b"));
    assert_ptr_equal(t.v[0], a);
    assert_ptr_equal(t.v[2], c);
    assert_ptr_equal(dom_find(&t, "b"), b);
    assert_null(dom_find(&t, "d"));
    b->domid = 5;
    b->state = HV_STATE_PAUSED;
    snprintf(b->uuid, sizeof(b->uuid), "00000000-0000-4000-8000-00000000000b");
    assert_ptr_equal(dom_find_domid(&t, 5), b);
    assert_ptr_equal(dom_find_uuid(&t, "00000000-0000-4000-8000-00000000000B"), b);

    /* The list is built once and shared until something changes. */
    c1 = domtable_list_json(&t, &data, &len);
    c2 = domtable_list_json(&t, &data2, &len);
    assert_ptr_equal(data, data2);
    /* The field table's order (domain_fields.h). */
    assert_non_null(strstr(data, "{\"id\":5,\"name\":\"b\",\"uuid\":\"00000000-"
                           "0000-4000-8000-00000000000b\",\"state\":\"paused\","
                           "\"reason\":\"unknown\""));
    assert_int_equal(data[len - 1], '\n');
    domtable_changed(&t);
    list_cache_put(c2);
    /* A reply in flight keeps its copy after the change. */
    assert_non_null(strstr(data, "\"name\":\"a\""));
    c2 = domtable_list_json(&t, &data2, &len);
    assert_ptr_not_equal(c1, c2);
    list_cache_put(c1);
    list_cache_put(c2);

    /* A transient entry that stops leaves the table; a referenced one is
     * freed when the reference goes.  Its going is remembered, for a list
     * begun before it (monitor_list.c). */
    uint64_t before = now_mono_ns();
    b->domid = 7;
    b->state = HV_STATE_RUNNING;
    dom_ref(b);
    dom_stopped(&t, b);
    assert_null(dom_find(&t, "b"));
    assert_true(b->removed);
    dom_unref(b);
    assert_true(dom_gone_since(&t, "b", 7, before));
    assert_false(dom_gone_since(&t, "b", 7, now_mono_ns()));
    assert_false(dom_gone_since(&t, "b", 8, before));
    assert_false(dom_gone_since(&t, "c", 7, before));
    a->defined = true;
    dom_stopped(&t, a);
    assert_ptr_equal(dom_find(&t, "a"), a);
    assert_string_equal(dom_state_name(a->state), "shutoff");
    domtable_free(&t);
}

/* ---- the event log ---- */

static void count_event(const struct store_event *ev, void *arg)
{
    (*(int *)arg)++;
}

static int collect(const struct store_event *ev, void *arg)
{
    strcat(arg, ev->type);
    strcat(arg, " ");
    return 0;
}

static void test_evlog(void **state)
{
    char dir[] = "/tmp/hvctld-unit.XXXXXX", db[96], err[256], types[256] = "";
    struct event_base *base = event_base_new();
    struct evlog_sub sub = { .fn = count_event };
    struct store *st;
    struct evlog *l;
    int seen = 0;

    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/e.db", dir);
    assert_int_equal(store_open(db, &st, err, sizeof(err)), 0);
    l = evlog_new(st, base, 3);
    sub.arg = &seen;
    evlog_subscribe(l, &sub);
    evlog_emit(l, "web", "", 1, "started", HV_CAUSE_API, HV_REASON_BOOTED,
               "");
    evlog_emit(l, "web", "", 1, "paused", HV_CAUSE_API, HV_REASON_REQUESTED,
               "");
    assert_int_equal(seen, 2);                  /* at once */
    assert_int_equal(store_events_max_id(st), 0);   /* batched */
    evlog_unsubscribe(l, &sub);
    evlog_emit(l, "web", "", 1, "unpaused", HV_CAUSE_EXTERNAL,
               HV_REASON_REQUESTED, "");
    evlog_emit(l, "web", "", 1, "destroyed", HV_CAUSE_API,
               HV_REASON_REQUESTED, "");
    assert_int_equal(seen, 2);
    /* Replay writes the batch first; the log keeps the newest 3. */
    assert_int_equal(evlog_replay(l, 0, 10, collect, types), 0);
    assert_string_equal(types, "paused unpaused destroyed ");
    assert_int_equal(evlog_last_id(l), 4);
    evlog_free(l);
    /* A restart continues the numbering. */
    l = evlog_new(st, base, 3);
    assert_int_equal(evlog_last_id(l), 4);
    evlog_free(l);
    store_close(st);
    event_base_free(base);
    snprintf(err, sizeof(err), "rm -rf %s", dir);
    assert_int_equal(system(err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_match),
        cmocka_unit_test(test_route_refusals),
        cmocka_unit_test(test_route_escapes),
        cmocka_unit_test(test_route_table_sane),
        cmocka_unit_test(test_options_defaults),
        cmocka_unit_test(test_options_listen),
        cmocka_unit_test(test_options_refused),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_small_helpers),
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_jobs),
        cmocka_unit_test(test_domtable),
        cmocka_unit_test(test_evlog),
    };

    log_set_level(LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
