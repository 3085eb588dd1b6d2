/*
 * test_rest_events_host.c - the rest of the REST contract of
 * docs/client-path.md, against a real hvctld and real pvboot domains:
 * every event names its domain and uuid and says why (reason) and who
 * (cause), as libhvctl's enums name them; a restarted agent still knows
 * why each shut-off domain stopped, and a client resuming with
 * Last-Event-ID gets what it missed, reasons included; and the host
 * shutdown, in its order, with what did not stop named.  The tests run
 * in order and share one agent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"
#include "hvctl.h"

static struct agentd ad;
static int events;              /* one stream, open for the whole story */

static int group_setup(void **state)
{
    agentd_init(&ad, "evhost");
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

static void start_transient(const char *name)
{
    char *cfg = domain_json(name, "counter", 16);
    struct resp r = POST(&ad, "/v1/domains?transient=true", cfg);

    assert_int_equal(r.status, 202);
    assert_string_equal(wait_job(&ad, jint(r.json, "id"), NULL),
                        "succeeded");
    resp_free(&r);
    free(cfg);
}

static void pause_domain(const char *name)
{
    char path[96];
    struct resp r;

    snprintf(path, sizeof(path), "/v1/domains/%s/pause", name);
    r = POST(&ad, path, NULL);
    assert_int_equal(r.status, 200);
    resp_free(&r);
}

/* ---- events: name, uuid, reason, cause; resumed after a restart ---- */

/* The next `type` event of name, with this reason and cause; its id. */
static long long expect_event(int fd, const char *type, const char *name,
                              const char *reason, const char *cause,
                              const char *uuid)
{
    json_object *ev = sse_wait(fd, type, name, 30000);
    long long id;

    if (!ev)
        fail_msg("no '%s' event for %s within 30 s", type, name);
    assert_string_equal(jstr(ev, "name"), name);
    assert_string_equal(jstr(ev, "reason"), reason);
    assert_string_equal(jstr(ev, "cause"), cause);
    if (uuid)
        assert_string_equal(jstr(ev, "uuid"), uuid);
    id = jint(ev, "id");
    json_object_put(ev);
    return id;
}

static void expect_reason(const char *name, const char *state,
                          const char *reason)
{
    char path[96];
    struct resp r;

    snprintf(path, sizeof(path), "/v1/domains/%s", name);
    r = GET(&ad, path);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "state"), state);
    assert_string_equal(jstr(r.json, "reason"), reason);
    resp_free(&r);
}

static void test_event_reasons(void **state)
{
    char uuid[40];
    long long first, pid;
    struct resp r;
    int fd;

    /* ev: started, paused, its hvcore killed.  evh: powers off at once.
     * evd: destroyed.  evn: never started.  evr: left running. */
    define_domain(&ad, "ev", "counter", 16);
    define_domain(&ad, "evh", "hello", 16);
    define_domain(&ad, "evd", "counter", 16);
    define_domain(&ad, "evn", "counter", 16);
    define_domain(&ad, "evr", "counter", 16);
    r = GET(&ad, "/v1/domains/ev");
    snprintf(uuid, sizeof(uuid), "%s", jstr(r.json, "uuid"));
    resp_free(&r);
    expect_reason("evn", "shutoff", "never_started");

    start_domain(&ad, "ev");
    first = expect_event(events, "started", "ev", "booted", "api", uuid);
    pause_domain("ev");
    expect_event(events, "paused", "ev", "requested", "api", uuid);
    r = GET(&ad, "/v1/domains/ev");
    pid = jint(r.json, "pid");
    resp_free(&r);
    assert_true(pid > 0);
    assert_int_equal(kill((pid_t)pid, SIGKILL), 0);
    expect_event(events, "crashed", "ev", "hvcore_died", "hvcore", uuid);
    assert_true(wait_state(&ad, "ev", "shutoff", 30000));
    expect_reason("ev", "shutoff", "hvcore_died");

    start_domain(&ad, "evh");
    expect_event(events, "started", "evh", "booted", "api", NULL);
    expect_event(events, "shutdown", "evh", "poweroff", "guest", NULL);
    assert_true(wait_state(&ad, "evh", "shutoff", 30000));
    expect_reason("evh", "shutoff", "poweroff");

    start_domain(&ad, "evd");
    destroy_domain(&ad, "evd");
    expect_event(events, "destroyed", "evd", "requested", "api", NULL);
    expect_reason("evd", "shutoff", "requested");
    start_domain(&ad, "evr");

    /* A restart: the reasons come back from the event log, and a client
     * resuming with Last-Event-ID gets every event since, reasons and
     * causes included. */
    sse_close(events);
    assert_int_equal(agentd_stop(&ad), 0);
    assert_int_equal(agentd_start(&ad, NULL, NULL), 0);
    events = sse_open(&ad, -1);
    expect_reason("ev", "shutoff", "hvcore_died");
    expect_reason("evh", "shutoff", "poweroff");
    expect_reason("evd", "shutoff", "requested");
    expect_reason("evn", "shutoff", "never_started");
    expect_reason("evr", "running", "booted");      /* re-adopted */
    fd = sse_open_last_event_id(&ad, first - 1);
    expect_event(fd, "started", "ev", "booted", "api", uuid);
    expect_event(fd, "paused", "ev", "requested", "api", uuid);
    expect_event(fd, "crashed", "ev", "hvcore_died", "hvcore", uuid);
    expect_event(fd, "shutdown", "evh", "poweroff", "guest", NULL);
    expect_event(fd, "destroyed", "evd", "requested", "api", NULL);
    sse_close(fd);
    destroy_domain(&ad, "evr");
}

/* ---- the host shutdown ---- */

static void set_autostart(const char *name)
{
    char path[96];
    struct resp r;

    snprintf(path, sizeof(path), "/v1/domains/%s/autostart", name);
    r = PUT(&ad, path, "{\"autostart\": true}");
    assert_int_equal(r.status, 200);
    resp_free(&r);
}

/* The names of the next n shutdown events, in order, comma-separated. */
static const char *shutdown_order(size_t n)
{
    static char out[256];
    size_t o = 0, seen = 0;

    out[0] = '\0';
    while (seen < n) {
        json_object *ev = sse_next(events, 30000);
        if (!ev)
            fail_msg("only %zu shutdown events within 30 s: %s", seen, out);
        if (!strcmp(jstr(ev, "type"), "shutdown")) {
            o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s",
                                  o ? "," : "", jstr(ev, "name"));
            seen++;
        }
        json_object_put(ev);
    }
    return out;
}

static void test_host_shutdown_order(void **state)
{
    const char *order;
    struct resp r, fin;

    /* Without autostart: hs1 (defined), hst (transient).  With
     * autostart: hsa, then hsb, started in that order. */
    define_domain(&ad, "hs1", "counter", 16);
    define_domain(&ad, "hsa", "counter", 16);
    define_domain(&ad, "hsb", "counter", 16);
    set_autostart("hsa");
    set_autostart("hsb");
    start_domain(&ad, "hs1");
    start_transient("hst");
    start_domain(&ad, "hsa");
    start_domain(&ad, "hsb");
    assert_string_equal(list_names(&ad, "state=running"), "hs1,hsa,hsb,hst");

    r = POST(&ad, "/v1/host/shutdown", "{\"timeout_ms\": 60000}");
    assert_int_equal(r.status, 202);
    assert_string_equal(jstr(r.json, "operation"), "host_shutdown");
    assert_non_null(strstr(r.location, "/v1/jobs/"));
    assert_string_equal(wait_job(&ad, jint(r.json, "id"), &fin),
                        "succeeded");
    resp_free(&r);
    assert_int_equal(json_object_array_length(jget(fin.json,
                                                   "result.stopped")), 4);
    assert_int_equal(json_object_array_length(jget(fin.json,
                                               "result.still_running")), 0);
    resp_free(&fin);

    /* Those without autostart first, then the last started first. */
    order = shutdown_order(4);
    if (strcmp(order, "hs1,hst,hsb,hsa") && strcmp(order, "hst,hs1,hsb,hsa"))
        fail_msg("shutdown order %s", order);
    assert_string_equal(list_names(&ad, "state=running,paused"), "");
}

static void test_host_shutdown_timeout(void **state)
{
    char want[96];
    struct resp r, fin;
    long long id;

    /* A paused guest cannot act on the request: it stays. */
    define_domain(&ad, "hsp", "counter", 16);
    start_domain(&ad, "hsp");
    pause_domain("hsp");

    /* One at a time; a running one can be cancelled. */
    r = POST(&ad, "/v1/host/shutdown", NULL);
    assert_int_equal(r.status, 202);
    id = jint(r.json, "id");
    resp_free(&r);
    r = POST(&ad, "/v1/host/shutdown", "{}");
    snprintf(want, sizeof(want), "the host is shutting down already (job "
             "%lld)", id);
    expect_error(&r, 409, "busy", want);
    resp_free(&r);
    snprintf(want, sizeof(want), "/v1/jobs/%lld", id);
    r = DELETE(&ad, want);
    assert_int_equal(r.status, 202);
    assert_string_equal(jstr(r.json, "state"), "cancelled");
    assert_string_equal(jstr(r.json, "result.still_running.0"), "hsp");
    resp_free(&r);

    /* What did not stop in time is named. */
    r = POST(&ad, "/v1/host/shutdown", "{\"timeout_ms\": 500}");
    assert_int_equal(r.status, 202);
    assert_string_equal(wait_job(&ad, jint(r.json, "id"), &fin), "failed");
    resp_free(&r);
    assert_string_equal(jstr(fin.json, "error.code"), "timeout");
    assert_string_equal(jstr(fin.json, "error.message"), "1 domain still "
                        "running after 500 ms: 'hsp'");
    assert_string_equal(jstr(fin.json, "result.still_running.0"), "hsp");
    assert_int_equal(json_object_array_length(jget(fin.json,
                                                   "result.stopped")), 0);
    resp_free(&fin);

    r = POST(&ad, "/v1/host/shutdown", "{\"timeout_ms\": 0}");
    expect_error(&r, 400, "invalid_argument", "\"timeout_ms\" must be an "
                 "integer from 1 to 86400000 (milliseconds)");
    resp_free(&r);
    r = POST(&ad, "/v1/host/shutdown", "{\"timeout\": 5}");
    expect_error(&r, 400, "unknown_field", "unknown field \"timeout\"");
    resp_free(&r);
    destroy_domain(&ad, "hsp");
}

static void test_host_shutdown_refused(void **state)
{
    char body[512], want[200];
    struct resp r, fin;

    /* A crashed domain kept by hvcore cannot be asked to power off: the
     * job does not wait for its deadline, and says why. */
    snprintf(body, sizeof(body), "{\"type\": \"pv\", \"name\": \"hsc\", "
             "\"memory\": {\"max_mib\": 16}, \"on_crash\": \"preserve\", "
             "\"os\": {\"kernel\": \"%s\", \"cmdline\": \"crash\"}}",
             harness_pvboot());
    r = POST(&ad, "/v1/domains?start=true", body);
    assert_int_equal(r.status, 202);
    assert_string_equal(wait_job(&ad, jint(r.json, "id"), NULL),
                        "succeeded");
    resp_free(&r);
    assert_true(wait_state(&ad, "hsc", "crashed", 30000));
    r = GET(&ad, "/v1/domains/hsc");
    snprintf(want, sizeof(want), "1 domain still running: domain 'hsc' (id "
             "%lld): cannot shut down: the domain is crashed or shutting "
             "down", jint(r.json, "id"));
    resp_free(&r);

    r = POST(&ad, "/v1/host/shutdown", "{\"timeout_ms\": 86400000}");
    assert_int_equal(r.status, 202);
    assert_string_equal(wait_job(&ad, jint(r.json, "id"), &fin), "failed");
    resp_free(&r);
    assert_string_equal(jstr(fin.json, "error.code"), "wrong_state");
    assert_string_equal(jstr(fin.json, "error.message"), want);
    assert_string_equal(jstr(fin.json, "result.still_running.0"), "hsc");
    resp_free(&fin);
    destroy_domain(&ad, "hsc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_event_reasons),
        cmocka_unit_test(test_host_shutdown_order),
        cmocka_unit_test(test_host_shutdown_timeout),
        cmocka_unit_test(test_host_shutdown_refused),
    };

    return HARNESS_MAIN(tests, group_setup, group_teardown);
}
