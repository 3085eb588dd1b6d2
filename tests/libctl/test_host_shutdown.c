/*
 * test_host_shutdown.c - hv_conn_shutdown_all and hv_conn_get_agent_version
 * through both drivers, with real hvcore + pvboot domains and a real
 * hvctld (tests/cli/agent_harness) on the same runtime directory.
 *
 * What must hold whichever driver serves the call: every running domain
 * powers off and the call returns once all have; a paused one cannot act
 * on the request, so a bounded wait ends with HV_ETIMEDOUT naming it, in
 * the same words through both drivers, and the request stands until it is
 * unpaused; bad flags are refused; the direct driver cannot name an agent
 * version, the agent names its own.  Through the agent, a domain whose
 * hvcore does not answer fails the job in its own words, not as a
 * deadline.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_harness.h"
#include "api_assert.h"
#include "cli_harness.h"
#include "hvctl.h"

static struct agent A;

static hv_conn *open_uri(const char *uri)
{
    hv_conn *c = NULL;

    OK(hv_conn_open_uri(uri, 0, &c));
    return c;
}

static hv_domain *create(hv_conn *c, const char *name)
{
    hv_config *cfg = NULL;
    hv_domain *d = NULL;

    OK(hv_config_load_file(cli_config(name, "counter", true, 0), &cfg));
    OK(hv_domain_create(c, cfg, 0, &d));
    hv_config_free(cfg);
    return d;
}

/* Running (or paused) domains the connection sees. */
static size_t active(hv_conn *c)
{
    hv_domlist *l = NULL;
    size_t n;

    OK(hv_domain_list_filtered(c, HV_LIST_RUNNING | HV_LIST_PAUSED, NULL,
                               &l));
    n = hv_domlist_count(l);
    hv_domlist_free(l);
    return n;
}

/* Until nothing runs (30 s at most: only matters on failure). */
static void wait_none_active(hv_conn *c)
{
    double end = now_ms() + 30000;

    while (active(c) > 0) {
        assert_true(now_ms() < end);
        usleep(10000);
    }
}

static int steps;
static void count_step(const char *step, double fraction, void *opaque)
{
    (void)step;
    (void)fraction;
    (void)opaque;
    steps++;
}

/* Two running domains power off; the call returns once both have. */
static void all_power_off(const char *uri)
{
    hv_conn *c = open_uri(uri);
    hv_domain *a = create(c, "hs-a"), *b = create(c, "hs-b");
    hv_op *op = hv_op_new(count_step, NULL);

    steps = 0;
    OK(hv_conn_shutdown_all(c, 30000, 0, op));
    assert_int_equal(active(c), 0);
    assert_true(steps > 0);
    hv_op_free(op);
    hv_domain_free(a);
    hv_domain_free(b);
    hv_conn_free(c);
}

/*
 * A paused domain: the bounded wait ends naming it, in the agent's words
 * through either driver; the request stands, and it powers off once
 * unpaused.
 */
static void paused_times_out(const char *uri)
{
    hv_conn *c = open_uri(uri);
    hv_domain *p = create(c, "hs-paused");

    OK(hv_domain_pause(p, 0));
    expect_err(hv_conn_shutdown_all(c, 300, 0, NULL), HV_ETIMEDOUT,
               "1 domain still running after 300 ms: 'hs-paused'");
    OK(hv_domain_unpause(p, 0));
    wait_none_active(c);
    hv_domain_free(p);
    hv_conn_free(c);
}

/*
 * A hung hvcore (stopped) cannot be asked: the running one powers off,
 * and the call then fails naming the hung one and why, instead of
 * leaving it out or waiting for it.  (Costs one domctl timeout, 10 s.)
 */
static void hung_is_named(const char *uri)
{
    hv_conn *c = open_uri(uri);
    hv_domain *run = create(c, "hs-run"), *hung = create(c, "hs-hung");
    hv_domain_info *i = NULL;
    char want[200];
    pid_t pid;

    OK(hv_domain_get_info(hung, &i));
    pid = hv_domain_info_get_pid(i);
    hv_domain_info_free(i);
    assert_int_equal(kill(pid, SIGSTOP), 0);
    snprintf(want, sizeof(want), "1 domain still running: domain 'hs-hung' "
             "(id %u): hvcore did not answer within 10000 ms",
             hv_domain_get_id(hung));
    expect_err(hv_conn_shutdown_all(c, 60000, 0, NULL), HV_ETIMEDOUT, "%s",
               want);
    assert_int_equal(kill(pid, SIGCONT), 0);
    OK(hv_domain_destroy(hung, 0));
    assert_int_equal(active(c), 0);
    hv_domain_free(run);
    hv_domain_free(hung);
    hv_conn_free(c);
}

static void test_direct(void **state)
{
    char uri[700];
    hv_conn *c;
    char *v = (char *)1;

    (void)state;
    snprintf(uri, sizeof(uri), "hvctl:///system?driver=direct");
    all_power_off(uri);
    paused_times_out(uri);
    hung_is_named(uri);
    c = open_uri(uri);
    expect_err(hv_conn_shutdown_all(c, 0, 1, NULL), HV_EINVAL,
               "host shutdown: unknown flags 0x1");
    expect_err(hv_conn_get_agent_version(c, &v), HV_ENOTSUP,
               "agent version: not possible through %s: the direct driver "
               "runs transient domains only; definitions need hvctld "
               "(hvctl:///system with hvctld running, or "
               "unix:///PATH/hvctld.sock)", hv_conn_get_uri(c));
    assert_null(v);
    /* Nothing runs: asking is done at once, and so is waiting. */
    OK(hv_conn_shutdown_all(c, 0, 0, NULL));
    OK(hv_conn_shutdown_all(c, 1000, 0, NULL));
    hv_conn_free(c);
}

static void test_agent(void **state)
{
    hv_conn *c;
    char *v = NULL;

    (void)state;
    all_power_off(A.unix_url);
    paused_times_out(A.unix_url);
    c = open_uri(A.unix_url);
    OK(hv_conn_get_agent_version(c, &v));
    assert_string_equal(v, PACKAGE_VERSION);
    free(v);
    /* Asking only: the agent's job goes on, and ends with them all. */
    hv_domain_free(create(c, "hs-ask"));
    OK(hv_conn_shutdown_all(c, 0, 0, NULL));
    wait_none_active(c);
    hv_conn_free(c);
}

/*
 * A domain whose hvcore does not answer (stopped) cannot be asked: its
 * request times out in libhvctl (HV_ETIMEDOUT, after DOMCTL_TIMEOUT_MS),
 * long before the job's own deadline.  The job then ends at once, saying
 * why in the domain's own words; it is no deadline, so it does not name
 * one ("after N ms"), though the code is the request's timeout.
 */
static void test_agent_hung_hvcore(void **state)
{
    hv_conn *c = open_uri(A.unix_url);
    hv_domain *h = create(c, "hs-hung");
    hv_domain_info *info = NULL;
    uint32_t id = hv_domain_get_id(h);
    pid_t pid;
    int rc;

    (void)state;
    OK(hv_domain_get_info(h, &info));
    pid = (pid_t)hv_domain_info_get_pid(info);
    hv_domain_info_free(info);
    assert_true(pid > 0);
    assert_int_equal(kill(pid, SIGSTOP), 0);
    rc = hv_conn_shutdown_all(c, 600000, 0, NULL);
    kill(pid, SIGCONT);
    expect_err(rc, HV_ETIMEDOUT, "1 domain still running: domain 'hs-hung' "
               "(id %u): hvcore did not answer within 10000 ms", id);
    hv_domain_destroy(h, 0);
    wait_none_active(c);
    hv_domain_free(h);
    hv_conn_free(c);
}

static int setup(void **state)
{
    (void)state;
    agent_prepare(&A);
    agent_start(&A);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    agent_stop(&A);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct),
        cmocka_unit_test(test_agent),
        cmocka_unit_test(test_agent_hung_hvcore),
    };
    int rc;

    if (!agent_domains_can_run())
        return 77;
    cli_env_open("host-shutdown");
    rc = cmocka_run_group_tests(tests, setup, teardown);
    cli_env_close();
    return rc;
}
