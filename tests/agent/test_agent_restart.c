/*
 * test_agent_restart.c - a guest that crashes at boot, with
 * on_crash=restart, is restarted a bounded number of times and then left
 * crashed with a `start_limit` event saying why; a start through the API
 * gives it a fresh count.  Restarts that hvcore makes in place (a domain
 * started behind the agent's back) are held to the same limit.  However
 * many lifecycle events that makes, the record of who defined what stays
 * in the event log.  A restart due when the agent stops is made by the
 * next one.
 *
 * The backoff is made tiny (--restart-backoff 1) and the interval long,
 * so that nothing here depends on how fast the machine boots a guest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"
#include "hvctl.h"

#define BURST 3
#define WAIT_MS 30000           /* only matters when something is broken */

static struct agentd ad;

static char *looping_json(const char *name)
{
    char *s = NULL;

    if (asprintf(&s, "{\"type\": \"pv\", \"name\": \"%s\", "
                 "\"memory\": {\"max_mib\": 16, \"current_mib\": 16}, "
                 "\"vcpus\": {\"max\": 1, \"current\": 1}, "
                 "\"on_crash\": \"restart\", "
                 "\"os\": {\"kernel\": \"%s\", \"cmdline\": \"crash\"}}",
                 name, harness_pvboot()) < 0)
        fail_msg("out of memory");
    return s;
}

/* Events of name on fd up to (and with) the first of type `until`: how
 * many of each kind came.  Fails after WAIT_MS without it. */
struct tally {
    int started, crashed, destroyed, rebooted, start_limit;
    char limit_detail[200];
};

static void tally_until(int fd, const char *name, const char *until,
                        struct tally *t)
{
    double deadline = now_ms() + WAIT_MS;

    memset(t, 0, sizeof(*t));
    for (;;) {
        int left = (int)(deadline - now_ms());
        json_object *ev = left > 0 ? sse_next(fd, left) : NULL;
        const char *type;

        if (!ev)
            fail_msg("no %s event of '%s' within %d ms", until, name,
                     WAIT_MS);
        type = jstr(ev, "type");
        if (!strcmp(jstr(ev, "domain"), name)) {
            t->started += !strcmp(type, "started");
            t->crashed += !strcmp(type, "crashed");
            t->destroyed += !strcmp(type, "destroyed");
            t->rebooted += !strcmp(type, "rebooted");
            if (!strcmp(type, "start_limit")) {
                t->start_limit++;
                snprintf(t->limit_detail, sizeof(t->limit_detail), "%s",
                         jstr(ev, "detail"));
                assert_string_equal(jstr(ev, "cause"), "agent");
            }
            if (!strcmp(type, until)) {
                json_object_put(ev);
                return;
            }
        }
        json_object_put(ev);
    }
}

/* The domain ends up crashed, and stays so: no start job runs for it. */
static void expect_crashed_for_good(const char *name)
{
    char path[96];
    struct resp r;

    assert_true(wait_state(&ad, name, "crashed", WAIT_MS));
    snprintf(path, sizeof(path), "/v1/domains/%s", name);
    r = GET(&ad, path);
    assert_null(jget(r.json, "id"));            /* not running */
    assert_null(jget(r.json, "runtime"));
    assert_null(jget(r.json, "job"));
    resp_free(&r);
}

static void test_crash_loop_is_limited(void **state)
{
    char *cfg = looping_json("loop"), want[200];
    int live = sse_open(&ad, -1);
    struct resp r = POST(&ad, "/v1/domains", cfg);
    struct tally t;

    assert_int_equal(r.status, 201);
    resp_free(&r);
    free(cfg);

    start_domain(&ad, "loop");
    tally_until(live, "loop", "start_limit", &t);
    /* The first boot and BURST restarts, each a crash; then no more. */
    assert_int_equal(t.started, 1 + BURST);
    assert_int_equal(t.crashed, 1 + BURST);
    assert_int_equal(t.destroyed, BURST);       /* each restart's */
    snprintf(want, sizeof(want), "%d restarts within 3600 s: not "
             "restarted again (on_crash=restart); a start resets the "
             "limit", BURST);
    assert_string_equal(t.limit_detail, want);
    /* The crashed incarnation goes, and the domain shows as crashed. */
    tally_until(live, "loop", "destroyed", &t);
    expect_crashed_for_good("loop");

    /* A start through the API: a fresh count, the same end. */
    start_domain(&ad, "loop");
    tally_until(live, "loop", "start_limit", &t);
    assert_int_equal(t.started, 1 + BURST);
    expect_crashed_for_good("loop");
    sse_close(live);
}

/*
 * A domain started behind the agent's back restarts in its own hvcore
 * (crashed, rebooted, crashed, ...): the agent holds it to the limit all
 * the same, and destroys it.
 */
static void test_in_place_restarts_are_limited(void **state)
{
    hv_conn *conn;
    hv_config *cfg = hv_config_new();
    hv_domain *d;
    struct tally t;
    int live = sse_open(&ad, -1);

    assert_int_equal(hv_conn_open(ad.rundir, &conn), 0);
    hv_config_set_name(cfg, "side");
    hv_config_set_kernel(cfg, harness_pvboot());
    hv_config_set_cmdline(cfg, "crash");
    hv_config_set_memory(cfg, 16, 16);
    hv_config_set_action(cfg, HV_ON_CRASH, HV_ACTION_RESTART);
    /* It may be over (limited and destroyed) before create returns. */
    int rc = hv_domain_create(conn, cfg, 0, &d);
    assert_true(rc == 0 || rc == HV_ESPAWN);
    if (rc == 0)
        hv_domain_free(d);
    tally_until(live, "side", "start_limit", &t);
    assert_true(t.rebooted > BURST);
    assert_non_null(strstr(t.limit_detail, "(on_crash=restart)"));
    tally_until(live, "side", "destroyed", &t);
    sse_close(live);
    hv_config_free(cfg);
    hv_conn_free(conn);
}

/* The definitions' events outlive every lifecycle event above, many
 * more than the agent keeps (--event-log-max 10). */
static void test_audit_trail_kept(void **state)
{
    char *cfg = domain_json("mark", "counter", 16);
    int log, lifecycle = 0;
    json_object *ev;
    bool defined = false, first = true, marked = false;
    double deadline = now_ms() + WAIT_MS;
    struct resp r;

    /* Defined last: the replay is over at its event, not after some
     * quiet time (which a loaded machine may exceed). */
    r = POST(&ad, "/v1/domains", cfg);
    assert_int_equal(r.status, 201);
    resp_free(&r);
    free(cfg);
    log = sse_open(&ad, 0);
    while (!marked && now_ms() < deadline &&
           (ev = sse_next(log, (int)(deadline - now_ms()) + 1))) {
        const char *type = jstr(ev, "type");
        if (first) {
            /* The oldest event left is the definition, made first. */
            assert_string_equal(type, "defined");
            assert_string_equal(jstr(ev, "domain"), "keep");
            first = false;
        }
        if (!strcmp(type, "defined") && !strcmp(jstr(ev, "domain"), "keep"))
            defined = true;
        else if (!strcmp(type, "defined") &&
                 !strcmp(jstr(ev, "domain"), "mark"))
            marked = true;
        else if (strcmp(type, "defined"))
            lifecycle++;
        json_object_put(ev);
    }
    sse_close(log);
    assert_true(marked);
    assert_true(defined);
    assert_true(lifecycle <= 10);
}

/*
 * A crashed domain waiting for its restart when the agent stops is
 * restarted by the next agent, with the next agent's limits.
 */
static void test_restart_outlives_the_agent(void **state)
{
    static struct agentd ad2;
    const char *const slow[] = { "--restart-backoff", "3600000",
                                 "--restart-backoff-max", "3600000", NULL };
    const char *const quick[] = { "--restart-backoff", "1",
                                  "--start-limit-burst", "1",
                                  "--start-limit-interval", "3600", NULL };
    char *cfg = looping_json("later");
    struct resp r;
    struct tally t;
    json_object *ev;
    long long since;
    int fd;

    agentd_init(&ad2, "restart-later");
    assert_int_equal(agentd_start(&ad2, slow, NULL), 0);
    fd = sse_open(&ad2, -1);
    r = POST(&ad2, "/v1/domains?start=true", cfg);
    assert_int_equal(r.status, 202);
    resp_free(&r);
    free(cfg);
    ev = sse_wait(fd, "crashed", "later", WAIT_MS);
    assert_non_null(ev);
    since = jint(ev, "id");
    json_object_put(ev);
    sse_close(fd);
    /* Kept crashed (preserved) for the hour-long backoff; the agent
     * stops meanwhile, and a new one takes over. */
    assert_int_equal(agentd_stop(&ad2), 0);
    assert_int_equal(agentd_start(&ad2, quick, NULL), 0);
    fd = sse_open(&ad2, since);
    tally_until(fd, "later", "start_limit", &t);
    assert_int_equal(t.started, 1);
    assert_int_equal(t.crashed, 1);
    assert_int_equal(t.destroyed, 1);
    sse_close(fd);
    assert_true(wait_state(&ad2, "later", "crashed", WAIT_MS));
    agentd_cleanup(&ad2);
}

static int group_setup(void **state)
{
    const char *const args[] = {
        "--restart-backoff", "1", "--restart-backoff-max", "8",
        "--start-limit-burst", "3", "--start-limit-interval", "3600",
        "--event-log-max", "10", NULL,
    };
    char *cfg;
    struct resp r;

    agentd_init(&ad, "restart-limit");
    assert_int_equal(agentd_start(&ad, args, NULL), 0);
    /* Who defined what, before all the noise. */
    cfg = domain_json("keep", "counter", 16);
    r = POST(&ad, "/v1/domains", cfg);
    assert_int_equal(r.status, 201);
    resp_free(&r);
    free(cfg);
    return 0;
}

static int group_teardown(void **state)
{
    agentd_cleanup(&ad);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crash_loop_is_limited),
        cmocka_unit_test(test_in_place_restarts_are_limited),
        cmocka_unit_test(test_audit_trail_kept),
        cmocka_unit_test(test_restart_outlives_the_agent),
    };
    return HARNESS_MAIN(tests, group_setup, group_teardown);
}
