/*
 * test_rest_client_path.c - the REST contract libhvctl's agent driver
 * relies on (docs/client-path.md), against a real hvctld and real pvboot
 * domains: the domain object with every key of the field table and its
 * reason, the list's filters, the running and the stored configuration,
 * transient starts, define as replace and relative kernels, ?uuid= on a
 * domain's routes and what a start job started, shutdown's timeout_ms.  The events'
 * reasons and the host shutdown are test_rest_events_host.c's.  The tests
 * run in order and share one agent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "domain_fields.h"
#include "harness.h"
#include "hvctl.h"

static struct agentd ad;
static int events;              /* one stream, open for the whole story */

static int group_setup(void **state)
{
    agentd_init(&ad, "cpath");
    assert_int_equal(agentd_start(&ad, NULL, NULL), 0);
    events = sse_open(&ad, -1);
    return 0;
}

static int group_teardown(void **state)
{
    if (events > 0)
        sse_close(events);
    assert_int_equal(agentd_stop(&ad), 0);
    agentd_cleanup(&ad);
    return 0;
}

static void assert_error(struct resp *r, long status, const char *code,
                         const char *message)
{
    expect_error(r, status, code, message);
}

static void define(const char *name, unsigned mem_mib)
{
    define_domain(&ad, name, "counter", mem_mib);
}

static void destroy(const char *name)
{
    destroy_domain(&ad, name);
}

/* The item of GET /v1/domains for name (a new reference), or NULL. */
static json_object *list_item(const char *query, const char *name)
{
    char path[256];
    struct resp r;
    json_object *arr, *found = NULL;

    snprintf(path, sizeof(path), "/v1/domains%s", query);
    r = GET(&ad, path);
    assert_int_equal(r.status, 200);
    arr = jget(r.json, "domains");
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *d = json_object_array_get_idx(arr, i);
        if (!strcmp(jstr(d, "name"), name))
            found = json_object_get(d);
    }
    resp_free(&r);
    return found;
}

/* Every key of the field table, and the older keys, are in o. */
static void assert_all_keys(json_object *o, bool single)
{
#define KEY(getter, member, ctype, kind, json, label) json,
    static const char *const keys[] = { HV_DOMAIN_FIELDS(KEY) "vcpus",
                                        "memory_mib", "job" };
#undef KEY
    static const char *const single_keys[] = { "created", "updated",
                                               "config", "runtime" };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (!json_object_object_get_ex(o, keys[i], NULL))
            fail_msg("no \"%s\" in %s", keys[i],
                     json_object_to_json_string(o));
    for (size_t i = 0; single && i < 4; i++)
        if (!json_object_object_get_ex(o, single_keys[i], NULL))
            fail_msg("no \"%s\" in %s", single_keys[i],
                     json_object_to_json_string(o));
}

static bool is_null(json_object *o, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(o, key, &v) && v == NULL;
}

/* ---- 1. the domain object ---- */

static void test_domain_object_shutoff(void **state)
{
    json_object *d;
    struct resp r;

    define("cp1", 32);
    d = list_item("", "cp1");
    assert_non_null(d);
    assert_all_keys(d, false);
    assert_string_equal(jstr(d, "state"), "shutoff");
    assert_string_equal(jstr(d, "reason"), "never_started");
    assert_true(is_null(d, "id"));
    assert_true(json_object_get_boolean(jget(d, "persistent")));
    assert_false(json_object_get_boolean(jget(d, "autostart")));
    assert_false(json_object_get_boolean(jget(d, "figures_known")));
    /* From the definition. */
    assert_int_equal(jint(d, "vcpus_max"), 1);
    assert_int_equal(jint(d, "memory_max_kib"), 32 * 1024);
    assert_int_equal(jint(d, "memory_target_kib"), 32 * 1024);
    /* Only hvcore knows these. */
    assert_true(is_null(d, "vcpus_online"));
    assert_true(is_null(d, "memory_current_kib"));
    assert_true(is_null(d, "pid"));
    assert_true(is_null(d, "exits"));
    /* The older keys. */
    assert_int_equal(jint(d, "vcpus"), 1);
    assert_int_equal(jint(d, "memory_mib"), 32);
    json_object_put(d);

    r = GET(&ad, "/v1/domains/cp1");
    assert_int_equal(r.status, 200);
    assert_all_keys(r.json, true);
    assert_string_equal(jstr(r.json, "reason"), "never_started");
    assert_true(is_null(r.json, "runtime"));
    resp_free(&r);
}

static void test_domain_object_running(void **state)
{
    json_object *d;
    struct resp r;

    start_domain(&ad, "cp1");
    r = GET(&ad, "/v1/domains/cp1");
    assert_int_equal(r.status, 200);
    assert_all_keys(r.json, true);
    assert_string_equal(jstr(r.json, "state"), "running");
    assert_string_equal(jstr(r.json, "reason"), "booted");
    assert_true(json_object_get_boolean(jget(r.json, "figures_known")));
    assert_true(jint(r.json, "id") > 0);
    assert_true(jint(r.json, "pid") > 0);
    assert_int_equal(jint(r.json, "pid"), jint(r.json, "runtime.pid"));
    assert_int_equal(jint(r.json, "vcpus_online"), 1);
    assert_int_equal(jint(r.json, "memory_max_kib"), 32 * 1024);
    assert_int_equal(jint(r.json, "boot_count"), 1);
    assert_true(jint(r.json, "uptime_ns") > 0);
    assert_true(jint(r.json, "exits") >= 0);
    resp_free(&r);

    /* The list knows the figures too, once hvcore was asked. */
    d = list_item("", "cp1");
    assert_all_keys(d, false);
    assert_string_equal(jstr(d, "state"), "running");
    assert_true(json_object_get_boolean(jget(d, "figures_known")));
    json_object_put(d);

    r = POST(&ad, "/v1/domains/cp1/pause", NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "state"), "paused");
    assert_string_equal(jstr(r.json, "reason"), "requested");
    resp_free(&r);
    r = POST(&ad, "/v1/domains/cp1/resume", NULL);
    assert_int_equal(r.status, 200);
    resp_free(&r);

    destroy("cp1");
    r = GET(&ad, "/v1/domains/cp1");
    assert_string_equal(jstr(r.json, "state"), "shutoff");
    assert_string_equal(jstr(r.json, "reason"), "requested");
    assert_false(json_object_get_boolean(jget(r.json, "figures_known")));
    assert_int_equal(jint(r.json, "memory_max_kib"), 32 * 1024);
    resp_free(&r);
}

static void test_domain_object_start_failed(void **state)
{
    const char *cfg = "{\"type\": \"pv\", \"name\": \"cpbad\", "
                      "\"memory\": {\"max_mib\": 16}, "
                      "\"os\": {\"kernel\": \"/nonexistent/pvboot\"}}";
    struct resp r = POST(&ad, "/v1/domains", cfg);

    assert_int_equal(r.status, 201);
    resp_free(&r);
    r = POST(&ad, "/v1/domains/cpbad/start", NULL);
    assert_int_equal(r.status, 202);
    assert_string_equal(wait_job(&ad, jint(r.json, "id"), NULL), "failed");
    resp_free(&r);
    r = GET(&ad, "/v1/domains/cpbad");
    assert_string_equal(jstr(r.json, "state"), "shutoff");
    assert_string_equal(jstr(r.json, "reason"), "start_failed");
    resp_free(&r);
    r = DELETE(&ad, "/v1/domains/cpbad");
    assert_int_equal(r.status, 204);
    resp_free(&r);
}


/* ---- 2. filters ---- */

static const char *names_of(const char *query)
{
    return list_names(&ad, query);
}

static void expect_bad_query(const char *query, const char *message)
{
    char path[256];
    struct resp r;

    snprintf(path, sizeof(path), "/v1/domains?%s", query);
    r = GET(&ad, path);
    assert_error(&r, 400, "bad_query", message);
    resp_free(&r);
}

static void test_list_filters(void **state)
{
    char q[128], id[16], uuid[40];
    struct resp r;
    long long up1, up2;
    json_object *d;

    /* cp1 running, cp2 shut off, cp3 paused. */
    define("cp2", 16);
    define("cp3", 16);
    start_domain(&ad, "cp1");
    start_domain(&ad, "cp3");
    r = POST(&ad, "/v1/domains/cp3/pause", NULL);
    assert_int_equal(r.status, 200);
    resp_free(&r);

    assert_string_equal(names_of("state=running"), "cp1");
    assert_string_equal(names_of("state=running,paused"), "cp1,cp3");
    assert_string_equal(names_of("state=shutoff"), "cp2");
    assert_string_equal(names_of("state=crashed"), "");
    assert_string_equal(names_of("persistent=true"), "cp1,cp2,cp3");
    assert_string_equal(names_of("persistent=false"), "");
    assert_string_equal(names_of("name=cp%5B12%5D"), "cp1,cp2");
    assert_string_equal(names_of("name=cp*&state=paused,shutoff"),
                        "cp2,cp3");

    r = GET(&ad, "/v1/domains/cp1");
    snprintf(id, sizeof(id), "%lld", jint(r.json, "id"));
    up1 = jint(r.json, "uptime_ns");
    resp_free(&r);
    snprintf(q, sizeof(q), "id=%s", id);
    assert_string_equal(names_of(q), "cp1");
    assert_string_equal(names_of("id=4000000"), "");
    r = GET(&ad, "/v1/domains/cp2");
    snprintf(uuid, sizeof(uuid), "%s", jstr(r.json, "uuid"));
    resp_free(&r);
    for (char *p = uuid; *p; p++)
        if (*p >= 'a' && *p <= 'f')
            *p = (char)(*p - 'a' + 'A');
    snprintf(q, sizeof(q), "uuid=%s", uuid);
    assert_string_equal(names_of(q), "cp2");

    /* The whole list, cached from here on. */
    d = list_item("", "cp1");
    json_object_put(d);
    /* fresh: hvcore was asked after the request came. */
    d = list_item("?fresh=true&state=running", "cp1");
    assert_non_null(d);
    assert_true(json_object_get_boolean(jget(d, "figures_known")));
    up2 = jint(d, "uptime_ns");
    json_object_put(d);
    if (up2 <= up1)
        fail_msg("fresh uptime %lld is not past the earlier %lld", up2, up1);
    /* The whole (cached) list is as of that look, or a later one. */
    d = list_item("", "cp1");
    if (jint(d, "uptime_ns") < up2)
        fail_msg("the list's uptime %lld is older than the last look's %lld",
                 jint(d, "uptime_ns"), up2);
    json_object_put(d);

    expect_bad_query("state=running,sleeping", "state=running,sleeping: "
                     "'sleeping' is not a domain state (running, paused, "
                     "shutdown, crashed, shutoff)");
    expect_bad_query("state=", "state=: '' is not a domain state (running, "
                     "paused, shutdown, crashed, shutoff)");
    expect_bad_query("persistent=maybe", "persistent=maybe: expected true "
                     "or false");
    expect_bad_query("fresh=yes", "fresh=yes: expected true or false");
    expect_bad_query("id=abc", "id=abc: expected a domain id (a positive "
                     "integer)");
    expect_bad_query("id=0", "id=0: expected a domain id (a positive "
                     "integer)");
    expect_bad_query("uuid=xyz", "uuid=xyz: not a uuid "
                     "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)");
    destroy("cp3");
}

/* ---- 3. the running configuration and the stored definition ---- */

static struct resp get_as(const char *path, const char *accept)
{
    struct req q = { .method = "GET", .path = path, .accept = accept };
    struct resp r;

    assert_int_equal(http(&ad, &q, &r), 0);
    return r;
}

static void test_config_and_definition(void **state)
{
    char *cfg = domain_json("cp1", "shell", 32);
    struct resp r;

    /* cp1 runs with cmdline counter; its definition now says shell. */
    r = PUT(&ad, "/v1/domains/cp1", cfg);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    free(cfg);

    r = GET(&ad, "/v1/domains/cp1/config");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "application/json");
    assert_string_equal(jstr(r.json, "name"), "cp1");
    assert_string_equal(jstr(r.json, "os.cmdline"), "counter");
    resp_free(&r);
    r = get_as("/v1/domains/cp1/config", "application/xml");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "application/xml");
    assert_non_null(strstr(r.body, "<cmdline>counter</cmdline>"));
    resp_free(&r);

    r = GET(&ad, "/v1/domains/cp1/definition");
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "os.cmdline"), "shell");
    resp_free(&r);
    r = get_as("/v1/domains/cp1/definition", "text/xml");
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<cmdline>shell</cmdline>"));
    resp_free(&r);

    /* Nothing runs: no running configuration; the definition stays. */
    r = GET(&ad, "/v1/domains/cp2/config");
    assert_error(&r, 409, "wrong_state", "domain 'cp2' is not running: it "
                 "has no running configuration");
    resp_free(&r);
    r = GET(&ad, "/v1/domains/cp2/definition");
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "name"), "cp2");
    resp_free(&r);

    r = get_as("/v1/domains/cp1/config", "text/plain");
    assert_error(&r, 406, "not_acceptable", "a configuration is available "
                 "as application/json or application/xml");
    resp_free(&r);
    r = GET(&ad, "/v1/domains/nosuch/definition");
    assert_error(&r, 404, "not_found", "domain 'nosuch': no such domain");
    resp_free(&r);
}

/* ---- 4. transient starts; define replaces; relative kernels ---- */

/* A config for name with this uuid and command line; caller frees. */
static char *config_uuid(const char *name, const char *uuid,
                         const char *cmdline)
{
    char *plain = domain_json(name, cmdline, 16), *s = NULL;

    if (asprintf(&s, "{\"uuid\": \"%s\", %s", uuid, plain + 1) < 0)
        fail_msg("out of memory");
    free(plain);
    return s;
}

static void test_transient_create(void **state)
{
    char *cfg = domain_json("cpt", "counter", 16);
    const char *bad = "{\"type\": \"pv\", \"name\": \"cpt2\", "
                      "\"memory\": {\"max_mib\": 16}, "
                      "\"os\": {\"kernel\": \"/nonexistent/pvboot\"}}";
    json_object *ev;
    struct resp r;

    r = POST(&ad, "/v1/domains?transient=true", cfg);
    assert_int_equal(r.status, 202);
    assert_string_equal(jstr(r.json, "operation"), "start");
    assert_string_equal(jstr(r.json, "domain"), "cpt");
    assert_string_equal(wait_job(&ad, jint(r.json, "id"), NULL),
                        "succeeded");
    resp_free(&r);
    ev = sse_wait(events, "started", "cpt", 30000);
    assert_non_null(ev);
    assert_string_equal(jstr(ev, "cause"), "api");
    json_object_put(ev);

    r = GET(&ad, "/v1/domains/cpt");
    assert_string_equal(jstr(r.json, "state"), "running");
    assert_false(json_object_get_boolean(jget(r.json, "persistent")));
    assert_string_equal(jstr(r.json, "reason"), "booted");
    resp_free(&r);
    assert_string_equal(names_of("persistent=false"), "cpt");
    r = GET(&ad, "/v1/domains/cpt/definition");
    assert_error(&r, 409, "not_defined", "domain 'cpt' is transient: no "
                 "definition is stored for it");
    resp_free(&r);
    r = GET(&ad, "/v1/domains/cpt/config");
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "os.cmdline"), "counter");
    resp_free(&r);

    /* A running name, a defined name, a contradiction. */
    r = POST(&ad, "/v1/domains?transient=true", cfg);
    assert_error(&r, 409, "name_taken", "domain 'cpt' is already running");
    resp_free(&r);
    free(cfg);
    cfg = domain_json("cp2", "counter", 16);
    r = POST(&ad, "/v1/domains?transient=true", cfg);
    assert_error(&r, 409, "name_taken", "domain 'cp2' is already defined "
                 "(start it with POST /v1/domains/cp2/start)");
    resp_free(&r);
    r = POST(&ad, "/v1/domains?transient=true&start=false", cfg);
    assert_error(&r, 400, "bad_query", "transient=true starts the domain: "
                 "start=false contradicts it");
    resp_free(&r);
    r = POST(&ad, "/v1/domains?paused=true", cfg);
    assert_error(&r, 400, "bad_query", "paused=true is for transient=true "
                 "(a defined domain starts through /start)");
    resp_free(&r);
    r = POST(&ad, "/v1/domains?transient=true&paused=maybe", cfg);
    assert_int_equal(r.status, 400);
    resp_free(&r);
    free(cfg);

    /* Gone when destroyed: nothing defines it. */
    destroy("cpt");
    r = GET(&ad, "/v1/domains/cpt");
    assert_error(&r, 404, "not_found", "domain 'cpt': no such domain");
    resp_free(&r);

    /* A start that fails leaves nothing behind either. */
    r = POST(&ad, "/v1/domains?transient=true", bad);
    assert_int_equal(r.status, 202);
    assert_string_equal(wait_job(&ad, jint(r.json, "id"), NULL), "failed");
    resp_free(&r);
    r = GET(&ad, "/v1/domains/cpt2");
    assert_error(&r, 404, "not_found", "domain 'cpt2': no such domain");
    resp_free(&r);
}

static void test_define_replaces(void **state)
{
    char uuid[40], want[200];
    char *cfg;
    json_object *ev;
    struct resp r = GET(&ad, "/v1/domains/cp2");

    snprintf(uuid, sizeof(uuid), "%s", jstr(r.json, "uuid"));
    resp_free(&r);

    /* The same uuid: the definition is replaced. */
    cfg = config_uuid("cp2", uuid, "shell");
    r = POST(&ad, "/v1/domains", cfg);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "uuid"), uuid);
    assert_string_equal(jstr(r.json, "config.os.cmdline"), "shell");
    resp_free(&r);
    free(cfg);
    ev = sse_wait(events, "updated", "cp2", 30000);
    assert_non_null(ev);
    json_object_put(ev);
    r = GET(&ad, "/v1/domains/cp2/definition");
    assert_string_equal(jstr(r.json, "os.cmdline"), "shell");
    resp_free(&r);

    /* Another uuid, or none, is another domain under a taken name. */
    cfg = config_uuid("cp2", "11111111-2222-3333-4444-555555555555",
                      "counter");
    r = POST(&ad, "/v1/domains", cfg);
    snprintf(want, sizeof(want), "domain 'cp2' is already defined with "
             "uuid %s, not 11111111-2222-3333-4444-555555555555", uuid);
    assert_error(&r, 409, "name_taken", want);
    resp_free(&r);
    free(cfg);
    cfg = domain_json("cp2", "counter", 16);
    r = POST(&ad, "/v1/domains", cfg);
    assert_error(&r, 409, "name_taken", "domain 'cp2' is already defined");
    resp_free(&r);
    free(cfg);
}

static void test_relative_kernel_refused(void **state)
{
    const char *cfg = "{\"type\": \"pv\", \"name\": \"cprel\", "
                      "\"memory\": {\"max_mib\": 16}, "
                      "\"os\": {\"kernel\": \"guest/pvboot\"}}";
    const char *want = "domain 'cprel': kernel 'guest/pvboot' is a relative "
                       "path; hvctld needs an absolute one (or the name of "
                       "an installed guest kernel, without a slash)";
    const char *installed = "{\"type\": \"pv\", \"name\": \"cpinst\", "
                            "\"memory\": {\"max_mib\": 16}, "
                            "\"os\": {\"kernel\": \"pvboot\"}}";
    struct resp r = POST(&ad, "/v1/domains", cfg);

    assert_error(&r, 400, "invalid_config", want);
    resp_free(&r);
    r = PUT(&ad, "/v1/domains/cprel", cfg);
    assert_error(&r, 400, "invalid_config", want);
    resp_free(&r);
    r = POST(&ad, "/v1/domains?transient=true", cfg);
    assert_error(&r, 400, "invalid_config", want);
    resp_free(&r);
    r = GET(&ad, "/v1/domains/cprel");
    assert_int_equal(r.status, 404);
    resp_free(&r);

    /* A name without a slash is hvcore's installed guest: defined. */
    r = POST(&ad, "/v1/domains", installed);
    assert_int_equal(r.status, 201);
    assert_string_equal(jstr(r.json, "config.os.kernel"), "pvboot");
    resp_free(&r);
    r = DELETE(&ad, "/v1/domains/cpinst");
    assert_int_equal(r.status, 204);
    resp_free(&r);
}

/* A transient start: its job's result is the domain it started. */
static void start_transient(const char *name, char uuid[37], long long *domid)
{
    char *cfg = domain_json(name, "counter", 16);
    struct resp r, fin;

    r = POST(&ad, "/v1/domains?transient=true", cfg);
    assert_int_equal(r.status, 202);
    assert_null(jget(r.json, "result"));
    assert_string_equal(wait_job(&ad, jint(r.json, "id"), &fin),
                        "succeeded");
    resp_free(&r);
    assert_string_equal(jstr(fin.json, "result.name"), name);
    snprintf(uuid, 37, "%s", jstr(fin.json, "result.uuid"));
    *domid = jint(fin.json, "result.domid");
    resp_free(&fin);
    assert_int_equal(strlen(uuid), 36);
    assert_true(*domid > 0);
    free(cfg);
}

/*
 * ?uuid=U on a domain's routes: the domain of that name must have it.
 * One that ended and another that took its name are told apart.
 */
static void test_uuid_query(void **state)
{
    char was[37], now[37], upper[37], path[160], msg[300];
    long long domid;
    struct resp r;
    static const char *const routes[][2] = {
        { "GET", "" }, { "GET", "/config" }, { "GET", "/definition" },
        { "POST", "/pause" }, { "POST", "/resume" }, { "POST", "/reboot" },
        { "POST", "/destroy" }, { "POST", "/shutdown" },
        { "POST", "/start" }, { "DELETE", "" },
    };

    start_transient("cpu", was, &domid);
    r = GET(&ad, "/v1/domains/cpu");
    assert_string_equal(jstr(r.json, "uuid"), was);
    assert_int_equal(jint(r.json, "id"), domid);
    resp_free(&r);
    /* The same uuid in any case is the same domain. */
    for (size_t i = 0; i < sizeof(upper); i++)
        upper[i] = (char)(was[i] >= 'a' && was[i] <= 'f' ? was[i] - 32
                                                         : was[i]);
    snprintf(path, sizeof(path), "/v1/domains/cpu?uuid=%s", upper);
    r = GET(&ad, path);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    snprintf(path, sizeof(path), "/v1/domains/cpu/pause?uuid=%s", was);
    r = POST(&ad, path, NULL);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "state"), "paused");
    resp_free(&r);
    destroy("cpu");

    start_transient("cpu", now, &domid);
    assert_string_not_equal(was, now);
    snprintf(msg, sizeof(msg), "domain 'cpu' (uuid %s): no such domain; a "
             "domain of that name now has uuid %s", was, now);
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
        struct req q = { .method = routes[i][0], .path = path };
        snprintf(path, sizeof(path), "/v1/domains/cpu%s?uuid=%s",
                 routes[i][1], was);
        assert_int_equal(http(&ad, &q, &r), 0);
        expect_error(&r, 404, "not_found", msg);
        resp_free(&r);
    }
    snprintf(path, sizeof(path), "/v1/domains/cpu/memory?uuid=%s", was);
    r = PUT(&ad, path, "{\"target_mib\": 8}");
    expect_error(&r, 404, "not_found", msg);
    resp_free(&r);
    snprintf(path, sizeof(path), "/v1/domains/cpu/autostart?uuid=%s", was);
    r = PUT(&ad, path, "{\"autostart\": true}");
    expect_error(&r, 404, "not_found", msg);
    resp_free(&r);
    /* The new one was left alone. */
    r = GET(&ad, "/v1/domains/cpu");
    assert_string_equal(jstr(r.json, "state"), "running");
    resp_free(&r);
    destroy("cpu");
    snprintf(path, sizeof(path), "/v1/domains/cpu?uuid=%s", was);
    r = GET(&ad, path);
    snprintf(msg, sizeof(msg), "domain 'cpu' (uuid %s): no such domain", was);
    expect_error(&r, 404, "not_found", msg);
    resp_free(&r);
}

/*
 * A shutdown waits timeout_ms, exactly, and says the caller's figure in
 * libhvctl's words; 0.3's "timeout" in seconds still works.
 */
static void test_shutdown_timeout_ms(void **state)
{
    char uuid[37], msg[300];
    long long domid, id;
    struct resp r, fin;

    start_transient("cps", uuid, &domid);
    r = POST(&ad, "/v1/domains/cps/shutdown",
             "{\"timeout_ms\": 300, \"timeout\": 1}");
    expect_error(&r, 400, "invalid_argument", "give \"timeout_ms\" or "
                 "\"timeout\", not both");
    resp_free(&r);
    r = POST(&ad, "/v1/domains/cps/shutdown", "{\"timeout_ms\": -2}");
    expect_error(&r, 400, "invalid_argument", "\"timeout_ms\" must be an "
                 "integer from -1 to 2147483647 (milliseconds; 0 only asks, "
                 "-1 waits without limit)");
    resp_free(&r);
    r = POST(&ad, "/v1/domains/cps/pause", NULL);
    resp_free(&r);
    r = POST(&ad, "/v1/domains/cps/shutdown", "{\"timeout_ms\": 300}");
    assert_int_equal(r.status, 202);
    id = jint(r.json, "id");
    resp_free(&r);
    assert_string_equal(wait_job(&ad, id, &fin), "failed");
    snprintf(msg, sizeof(msg), "domain 'cps' (id %lld): still running after "
             "300 ms: it is paused, so the guest cannot act on the request "
             "(unpause it, or use destroy)", domid);
    assert_string_equal(jstr(fin.json, "error.code"), "timeout");
    assert_string_equal(jstr(fin.json, "error.message"), msg);
    resp_free(&fin);
    /* Seconds, as 0.3 sent them: the message says them in ms. */
    r = POST(&ad, "/v1/domains/cps/shutdown", "{\"timeout\": 1}");
    id = jint(r.json, "id");
    resp_free(&r);
    assert_string_equal(wait_job(&ad, id, &fin), "failed");
    snprintf(msg, sizeof(msg), "domain 'cps' (id %lld): still running after "
             "1000 ms: it is paused, so the guest cannot act on the request "
             "(unpause it, or use destroy)", domid);
    assert_string_equal(jstr(fin.json, "error.message"), msg);
    resp_free(&fin);
    /* -1: no limit; the requests stand, and resumed it powers off. */
    r = POST(&ad, "/v1/domains/cps/shutdown", "{\"timeout_ms\": -1}");
    assert_int_equal(r.status, 202);
    id = jint(r.json, "id");
    resp_free(&r);
    r = POST(&ad, "/v1/domains/cps/resume", NULL);
    resp_free(&r);
    assert_string_equal(wait_job(&ad, id, NULL), "succeeded");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_domain_object_shutoff),
        cmocka_unit_test(test_domain_object_running),
        cmocka_unit_test(test_domain_object_start_failed),
        cmocka_unit_test(test_list_filters),
        cmocka_unit_test(test_config_and_definition),
        cmocka_unit_test(test_transient_create),
        cmocka_unit_test(test_define_replaces),
        cmocka_unit_test(test_relative_kernel_refused),
        cmocka_unit_test(test_uuid_query),
        cmocka_unit_test(test_shutdown_timeout_ms),
    };

    return HARNESS_MAIN(tests, group_setup, group_teardown);
}
