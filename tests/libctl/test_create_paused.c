/*
 * test_create_paused.c - hv_domain_create with HV_CREATE_PAUSED through
 * both drivers (a real hvctld on the same runtime directory): the domain
 * is there, paused, its guest has not run one instruction (no exit, no
 * console output), and unpause boots it.  What hvctl create --console
 * builds on: a console attached in between misses nothing, even of a
 * guest that powers off at once.
 */
#include <poll.h>
#include <setjmp.h>
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

/* All a console says until it closes (30 s at most), NUL-terminated. */
static void read_all(int fd, char *buf, size_t size)
{
    size_t len = 0;
    double end = now_ms() + 30000;

    while (len + 1 < size && now_ms() < end) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;
        if (poll(&p, 1, 100) <= 0)
            continue;
        n = read(fd, buf + len, size - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
}

static void paused_then_run(const char *uri)
{
    hv_conn *c = NULL;
    hv_config *cfg = NULL;
    hv_domain *d = NULL;
    hv_domain_info *i = NULL;
    char out[4096];
    int fd = -1;

    OK(hv_conn_open_uri(uri, 0, &c));
    /* A guest that prints one line and powers off at once. */
    OK(hv_config_load_file(cli_config("once", "hello", true, 0), &cfg));
    OK(hv_domain_create(c, cfg, HV_CREATE_PAUSED, &d));
    OK(hv_domain_get_info(d, &i));
    assert_int_equal(hv_domain_info_get_state(i), HV_STATE_PAUSED);
    assert_int_equal(hv_domain_info_get_exits(i), 0);
    hv_domain_info_free(i);
    OK(hv_domain_console_open(d, &fd));
    OK(hv_domain_unpause(d, 0));
    read_all(fd, out, sizeof(out));
    close(fd);
    if (!strstr(out, "pvboot: hello from domain"))
        fail_msg("%s: the console missed the guest's line: '%s'", uri, out);
    hv_domain_free(d);
    /* The next bit means nothing yet. */
    expect_err(hv_domain_create(c, cfg, 2, &d), HV_EINVAL,
               "domain 'once': create: unknown flags 0x2");
    assert_null(d);
    hv_config_free(cfg);
    hv_conn_free(c);
}

static void test_direct(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++)
        paused_then_run("hvctl:///system?driver=direct");
}

static void test_agent(void **state)
{
    (void)state;
    for (int k = 0; k < 3; k++)
        paused_then_run(A.unix_url);
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
    };
    int rc;

    if (!agent_domains_can_run())
        return 77;
    cli_env_open("create-paused");
    rc = cmocka_run_group_tests(tests, setup, teardown);
    cli_env_close();
    return rc;
}
