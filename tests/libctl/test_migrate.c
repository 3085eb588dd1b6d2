/*
 * test_migrate.c - hv_domain_migrate between two runtime directories of
 * this machine (two "hosts", each a direct connection), with real hvcore
 * and pvboot domains running memcheck.  Whatever happens, exactly one copy
 * runs afterwards and its memory checks out:
 *
 *   - non-live and live: the domain runs at the destination under the
 *     same name and uuid, its memory intact and its ticks going on; the
 *     source has nothing left and said `migrated`; progress grew; with
 *     HV_MIGRATE_PAUSED it arrives paused;
 *   - cancelled while memory is being copied (a bandwidth cap keeps it
 *     going): it runs on at the source, the destination has nothing;
 *   - the destination's hvcore killed (SIGKILL) mid-stream: the same;
 *   - the source's hvcore killed after the final round: it runs at the
 *     destination; killed while it copies: the call says the domain is
 *     lost, naming both hvcores, and neither host keeps an entry;
 *   - refusals with their exact words: parameters only agents have, the
 *     same runtime directory, a destination through hvctld, bad URIs.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_assert.h"
#include "xfer_harness.h"

static struct harness A, B;     /* source and destination "hosts" */
static char dest_uri[400];

/* d's name on h, running: a handle (asserts). */
static hv_domain *find(struct harness *h, const char *name)
{
    hv_domain *d = NULL;
    hv_domain_info *i;

    OK(hv_domain_lookup_by_name(h->conn, name, &d));
    OK(hv_domain_get_info(d, &i));
    assert_int_equal(hv_domain_info_get_state(i), HV_STATE_RUNNING);
    hv_domain_info_free(i);
    return d;
}

/* The next event of type `type` for `name` within 30 s, or fail. */
static void expect_event(hv_events *ev, int type, const char *name)
{
    double end = harness_now_ms() + 30000;

    while (harness_now_ms() < end) {
        struct pollfd p = { .fd = hv_events_get_fd(ev), .events = POLLIN };
        hv_event *e;

        poll(&p, 1, 100);
        while (hv_event_next(ev, &e) == 0) {
            bool hit = hv_event_get_type(e) == type &&
                       strcmp(hv_event_get_name(e), name) == 0;
            hv_event_free(e);
            if (hit)
                return;
        }
    }
    fail_msg("no %s event for %s", hv_event_type_name(type), name);
}

static void migrate_and_check(const char *name, unsigned flags)
{
    hv_domain *d = xfer_start(&A, name, 64, 32), *there, *gone = NULL;
    hv_migrate_params *p = hv_migrate_params_new();
    hv_events *ev = NULL;
    struct xfer_rec rec;
    long long ticks;
    char uuid[37];
    uint64_t v;

    snprintf(uuid, sizeof(uuid), "%s", hv_domain_get_uuid(d));
    ticks = xfer_verify(d, XFER_ANY);
    OK(hv_events_open(A.conn, &ev));
    assert_non_null(p);
    OK(hv_migrate_params_set_flags(p, flags));
    xfer_rec_init(&rec);
    OK(hv_domain_migrate(d, dest_uri, p, rec.op));
    /* Nothing left here, and its hvcore's last word said why. */
    expect_err(hv_domain_lookup_by_name(A.conn, name, &gone), HV_ENOENT,
               "domain '%s': no such domain", name);
    assert_int_equal(xfer_entries(&A), 0);
    expect_event(ev, HV_EVENT_MIGRATED, name);
    hv_events_free(ev);
    /* There: the same domain, its memory intact, its ticks going on. */
    there = find(&B, name);
    assert_string_equal(hv_domain_get_uuid(there), uuid);
    xfer_verify(there, ticks);
    /* Its configuration came with it. */
    {
        hv_config *cfg;
        OK(hv_domain_get_config(there, &cfg));
        assert_string_equal(hv_config_get_name(cfg), name);
        assert_string_equal(hv_config_get_cmdline(cfg), "memcheck=32");
        hv_config_free(cfg);
    }
    /* The figures of the outcome. */
    OK(hv_op_get_figure(rec.op, HV_OP_BYTES_SENT, &v));
    assert_true(v >= 32u << 20);
    OK(hv_op_get_figure(rec.op, HV_OP_TOTAL_NS, &v));
    assert_true(v > 0);
    OK(hv_op_get_figure(rec.op, HV_OP_ITERATIONS, &v));
    if (flags & HV_MIGRATE_LIVE)
        assert_true(v >= 1);
    assert_false(rec.went_down);
    xfer_rec_free(&rec);
    hv_migrate_params_free(p);
    OK(hv_domain_destroy(there, 0));
    hv_domain_free(there);
    hv_domain_free(d);
}

static void non_live(void **state)
{
    (void)state;
    migrate_and_check("web", 0);
}

static void live(void **state)
{
    (void)state;
    migrate_and_check("live", HV_MIGRATE_LIVE);
}

/* HV_MIGRATE_PAUSED: it arrives paused, and runs on once unpaused. */
static void arrives_paused(void **state)
{
    hv_domain *d = xfer_start(&A, "nap", 32, 8), *there = NULL;
    hv_migrate_params *p = hv_migrate_params_new();
    hv_domain_info *i;
    long long ticks = xfer_verify(d, XFER_ANY);

    (void)state;
    OK(hv_migrate_params_set_flags(p, HV_MIGRATE_LIVE | HV_MIGRATE_PAUSED));
    OK(hv_domain_migrate(d, dest_uri, p, NULL));
    hv_migrate_params_free(p);
    hv_domain_free(d);
    OK(hv_domain_lookup_by_name(B.conn, "nap", &there));
    OK(hv_domain_get_info(there, &i));
    assert_int_equal(hv_domain_info_get_state(i), HV_STATE_PAUSED);
    hv_domain_info_free(i);
    OK(hv_domain_unpause(there, 0));
    xfer_verify(there, ticks);
    OK(hv_domain_destroy(there, 0));
    hv_domain_free(there);
}

/* And back: a migrated domain migrates again (B to A). */
static void there_and_back(void **state)
{
    hv_domain *d = xfer_start(&A, "tour", 32, 8), *there, *back;
    char home[400];
    long long ticks;

    (void)state;
    snprintf(home, sizeof(home), "hvctl:///system?driver=direct&rundir=%s",
             A.rundir);
    ticks = xfer_verify(d, XFER_ANY);
    OK(hv_domain_migrate(d, dest_uri, NULL, NULL));
    hv_domain_free(d);
    there = find(&B, "tour");
    OK(hv_domain_migrate(there, home, NULL, NULL));
    hv_domain_free(there);
    assert_int_equal(xfer_entries(&B), 0);
    back = find(&A, "tour");
    xfer_verify(back, ticks);
    OK(hv_domain_destroy(back, 0));
    hv_domain_free(back);
}

/* A migration that is still copying (1 MiB/s for 32 MiB) is stopped. */
static hv_domain *slow_migration(const char *name, struct xfer_rec *rec,
                                 unsigned flags, int *rc)
{
    hv_domain *d = xfer_start(&A, name, 64, 32);
    hv_migrate_params *p = hv_migrate_params_new();

    assert_non_null(p);
    OK(hv_migrate_params_set_flags(p, flags));
    OK(hv_migrate_params_set_bandwidth(p, 1));
    *rc = hv_domain_migrate(d, dest_uri, p, rec->op);
    hv_migrate_params_free(p);
    return d;
}

/* It runs on at the source, memory intact; the destination is empty. */
static void runs_on_here(hv_domain *d)
{
    hv_domain *here = find(&A, hv_domain_get_name(d));

    assert_int_equal(hv_domain_get_id(here), hv_domain_get_id(d));
    assert_int_equal(xfer_entries(&B), 0);
    xfer_verify(here, XFER_ANY);
    OK(hv_domain_destroy(here, 0));
    hv_domain_free(here);
}

static void cancelled(void **state)
{
    struct xfer_rec rec;
    hv_domain *d;
    int rc;

    (void)state;
    for (int live = 0; live < 2; live++) {
        xfer_rec_init(&rec);
        rec.cancel_at_first = true;
        d = slow_migration("stay", &rec, live ? HV_MIGRATE_LIVE : 0, &rc);
        assert_true(rec.acted);
        expect_err(rc, HV_ECANCELED,
                   "migration of 'stay' cancelled: it runs on here");
        xfer_rec_free(&rec);
        runs_on_here(d);
        hv_domain_free(d);
    }
}

static void destination_killed(void **state)
{
    struct xfer_rec rec;
    hv_domain *d;
    int rc;

    (void)state;
    xfer_rec_init(&rec);
    rec.kill_in = &B;
    d = slow_migration("orphan", &rec, HV_MIGRATE_LIVE, &rc);
    assert_true(rec.acted);
    assert_int_equal(rc, HV_EIO);
    if (strncmp(hv_last_error(), "migration of 'orphan' failed: ", 30) != 0 ||
        !strstr(hv_last_error(), "; it runs on here"))
        fail_msg("destination killed: %s", hv_last_error());
    xfer_rec_free(&rec);
    runs_on_here(d);
    hv_domain_free(d);
}

/*
 * The source's hvcore killed once the final round is over (at its
 * HANDSHAKE report): whether or not its GO left, the destination has
 * the whole domain, and it is made to run there.
 */
static void source_killed_after_final_round(void **state)
{
    hv_domain *d = xfer_start(&A, "phoenix", 64, 32), *there;
    hv_domain_info *i;
    struct xfer_rec rec;
    long long ticks = xfer_verify(d, XFER_ANY);

    (void)state;
    OK(hv_domain_get_info(d, &i));
    xfer_rec_init(&rec);
    rec.kill_at_handshake = hv_domain_info_get_pid(i);
    hv_domain_info_free(i);
    OK(hv_domain_migrate(d, dest_uri, NULL, rec.op));
    assert_true(rec.acted);
    xfer_rec_free(&rec);
    hv_domain_free(d);
    /* Nothing left at the source, not even the dead hvcore's entry. */
    assert_int_equal(xfer_entries(&A), 0);
    there = find(&B, "phoenix");
    xfer_verify(there, ticks);
    OK(hv_domain_destroy(there, 0));
    hv_domain_free(there);
}

/*
 * The source's hvcore killed while it copies memory: the destination never
 * got the whole domain, so nothing can run it; the call says so, naming
 * both hvcores, and neither host keeps an entry.
 */
static void source_killed_mid_copy(void **state)
{
    struct xfer_rec rec;
    hv_domain_info *i;
    hv_domain *d = xfer_start(&A, "lost", 64, 32);
    hv_migrate_params *p = hv_migrate_params_new();
    pid_t src;
    int rc;

    (void)state;
    OK(hv_domain_get_info(d, &i));
    src = hv_domain_info_get_pid(i);
    hv_domain_info_free(i);
    xfer_rec_init(&rec);
    rec.kill_at_precopy = src;
    rec.kill_in = &B;
    OK(hv_migrate_params_set_bandwidth(p, 1));
    rc = hv_domain_migrate(d, dest_uri, p, rec.op);
    expect_err(rc, HV_EDEAD,
               "migration of 'lost' lost the domain: the source hvcore "
               "(pid %d) died and the destination hvcore (pid %d) exited "
               "without running it", (int)src, (int)rec.killed);
    assert_true(rec.killed > 0);
    xfer_rec_free(&rec);
    hv_migrate_params_free(p);
    hv_domain_free(d);
    assert_int_equal(xfer_entries(&A), 0);
    assert_int_equal(xfer_entries(&B), 0);
}

static void progress_grows(void **state)
{
    hv_domain *d = xfer_start(&A, "grow", 64, 32), *there;
    hv_migrate_params *p = hv_migrate_params_new();
    struct xfer_rec rec;

    (void)state;
    OK(hv_migrate_params_set_bandwidth(p, 64));
    xfer_rec_init(&rec);
    /* 32 MiB at 64 MiB/s: half a second, reports every 100 ms. */
    OK(hv_domain_migrate(d, dest_uri, p, rec.op));
    assert_true(rec.calls >= 2);
    assert_true(rec.last_sent > rec.first_sent);
    assert_false(rec.went_down);
    xfer_rec_free(&rec);
    hv_migrate_params_free(p);
    hv_domain_free(d);
    there = find(&B, "grow");
    OK(hv_domain_destroy(there, 0));
    hv_domain_free(there);
}

static void refusals(void **state)
{
    hv_domain *d = xfer_start(&A, "no", 32, 4);
    hv_migrate_params *p = hv_migrate_params_new();
    char same[400];

    (void)state;
    OK(hv_migrate_params_set_flags(p, HV_MIGRATE_PERSIST));
    expect_err(hv_domain_migrate(d, dest_uri, p, NULL), HV_ENOTSUP,
               "migration of 'no': persisting it on the destination needs "
               "hvctld on both hosts (a direct connection has no "
               "definitions)");
    OK(hv_migrate_params_set_flags(p, HV_MIGRATE_UNDEFINE_SOURCE));
    expect_err(hv_domain_migrate(d, dest_uri, p, NULL), HV_ENOTSUP,
               "migration of 'no': undefining it on the source needs "
               "hvctld on both hosts (a direct connection has no "
               "definitions)");
    expect_err(hv_migrate_params_set_flags(p, 0x10), HV_EINVAL,
               "migration parameters: unknown flags 0x10");
    expect_err(hv_migrate_params_set_bandwidth(p, (1ull << 40) + 1),
               HV_EINVAL, "migration parameters: bandwidth 1099511627777 "
               "MiB/s is out of range (0 to 1099511627776)");
    snprintf(same, sizeof(same), "hvctl:///system?driver=direct&rundir=%s",
             A.rundir);
    expect_err(hv_domain_migrate(d, same, NULL, NULL), HV_EINVAL,
               "migration of 'no' to %s: it runs in that runtime directory "
               "already", same);
    expect_err(hv_domain_migrate(d, "ftp://x:1", NULL, NULL), HV_EINVAL,
               "migration of 'no': connection URI 'ftp://x:1': "
               "unknown scheme (hvctl:///system, unix:///PATH, "
               "https://HOST:PORT or http://127.0.0.1:PORT)");
    /* A destination's token never shows in a message. */
    snprintf(same, sizeof(same), "hvctl:///system?driver=direct&rundir=%s&token=sekrit",
             B.rundir);
    expect_err(hv_domain_migrate(d, same, NULL, NULL), HV_EINVAL,
               "migration of 'no': connection URI "
               "'hvctl:///system?driver=direct&rundir=%s&token=***': unknown "
               "parameter 'token' for this kind of connection", B.rundir);
    assert_null(strstr(hv_last_error(), "sekrit"));
    expect_err(hv_domain_migrate(d, NULL, NULL, NULL), HV_EINVAL,
               "domain 'no' (id %u): migrate: no destination URI",
               hv_domain_get_id(d));
    expect_err(hv_domain_migrate(NULL, dest_uri, NULL, NULL), HV_EINVAL,
               "domain: NULL handle");
    /* Nothing was started anywhere, and it runs on. */
    assert_int_equal(xfer_entries(&B), 0);
    xfer_verify(d, XFER_ANY);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
    hv_migrate_params_free(p);
}

static int teardown(void **state)
{
    (void)state;
    return xfer_nothing_left(&A) | xfer_nothing_left(&B);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(non_live, teardown),
        cmocka_unit_test_teardown(live, teardown),
        cmocka_unit_test_teardown(arrives_paused, teardown),
        cmocka_unit_test_teardown(there_and_back, teardown),
        cmocka_unit_test_teardown(cancelled, teardown),
        cmocka_unit_test_teardown(destination_killed, teardown),
        cmocka_unit_test_teardown(source_killed_after_final_round, teardown),
        cmocka_unit_test_teardown(source_killed_mid_copy, teardown),
        cmocka_unit_test_teardown(progress_grows, teardown),
        cmocka_unit_test_teardown(refusals, teardown),
    };
    char why[256];
    int rc;

    if (!harness_can_run(why, sizeof(why))) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    if (harness_open(&A, "mig-a") != 0 || harness_open(&B, "mig-b") != 0)
        return 99;
    snprintf(dest_uri, sizeof(dest_uri),
             "hvctl:///system?driver=direct&rundir=%s", B.rundir);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    harness_close(&A);
    harness_close(&B);
    return rc;
}
