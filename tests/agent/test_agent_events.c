/*
 * test_agent_events.c - every lifecycle change of a domain the agent
 * starts produces its event, also when the domain is over before anyone
 * could subscribe to it: a guest that powers off at boot (`hello`) and
 * one that crashes at boot (`crash`, a #PF), started again and again.
 * Each start must show `started` and then its end (`shutdown` or
 * `crashed`), exactly once, in the live stream and in the stored log.
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

#define ROUNDS 20
#define WAIT_MS 30000           /* only matters when something is broken */

static struct agentd ad;

/*
 * The next event of `name` on stream fd, skipping other domains'.
 */
static json_object *next_of(int fd, const char *name)
{
    double deadline = now_ms() + WAIT_MS;

    for (;;) {
        int left = (int)(deadline - now_ms());
        json_object *ev = left > 0 ? sse_next(fd, left) : NULL;

        if (!ev)
            fail_msg("no event of '%s' within %d ms", name, WAIT_MS);
        if (!strcmp(jstr(ev, "domain"), name))
            return ev;
        json_object_put(ev);
    }
}

/* The next event of name on fd is `type` (with `cause`). */
static void expect(int fd, const char *name, const char *type,
                   const char *cause, int round)
{
    json_object *ev = next_of(fd, name);

    if (strcmp(jstr(ev, "type"), type) || strcmp(jstr(ev, "cause"), cause))
        fail_msg("round %d: '%s' %s (%s), expected %s (%s)", round, name,
                 jstr(ev, "type"), jstr(ev, "cause"), type, cause);
    json_object_put(ev);
}

/*
 * Start `name` ROUNDS times; each start's events, in order: started
 * (api), then `end` (guest).  Checked live, then in the log.
 */
static void start_many(const char *name, const char *cmdline,
                       const char *end)
{
    char *cfg = domain_json(name, cmdline, 16);
    int live = sse_open(&ad, -1), log;
    struct resp r = POST(&ad, "/v1/domains", cfg);
    json_object *ev;
    long long since;

    assert_int_equal(r.status, 201);
    resp_free(&r);
    free(cfg);
    /* The log is checked from the definition on. */
    ev = next_of(live, name);
    assert_string_equal(jstr(ev, "type"), "defined");
    since = jint(ev, "id");
    json_object_put(ev);
    for (int i = 0; i < ROUNDS; i++) {
        start_domain(&ad, name);
        expect(live, name, "started", "api", i);
        expect(live, name, end, "guest", i);
        /* The end is in the table before the next start is asked. */
        assert_true(wait_state(&ad, name, "shutoff", WAIT_MS));
    }
    sse_close(live);

    log = sse_open(&ad, since);
    for (int i = 0; i < ROUNDS; i++) {
        expect(log, name, "started", "api", i);
        expect(log, name, end, "guest", i);
    }
    /* And nothing else about it: no doubles, no "vanished". */
    while ((ev = sse_next(log, 500))) {
        if (!strcmp(jstr(ev, "domain"), name))
            fail_msg("one event too many: %s", jstr(ev, "type"));
        json_object_put(ev);
    }
    sse_close(log);
}

static void test_poweroff_at_boot(void **state)
{
    start_many("hello", "hello", "shutdown");
}

static void test_crash_at_boot(void **state)
{
    start_many("boom", "crash", "crashed");
}

static int group_setup(void **state)
{
    /* A crashed domain whose hvcore ends is found gone by a re-list:
     * a frequent one only saves time. */
    const char *const args[] = { "--refresh-interval", "100", NULL };

    agentd_init(&ad, "events");
    assert_int_equal(agentd_start(&ad, args, NULL), 0);
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
        cmocka_unit_test(test_poweroff_at_boot),
        cmocka_unit_test(test_crash_at_boot),
    };
    return HARNESS_MAIN(tests, group_setup, group_teardown);
}
