/*
 * test_list_hung.c - listing never hangs on, and is never emptied by, a
 * hung hvcore (a stopped process: it accepts and answers nothing).
 *
 *   - a list whose batch waits out one silent hvcore still lists the
 *     domains whose replies came meanwhile (a reply already there after
 *     the deadline counts);
 *   - once a hung hvcore's listen backlog is full, a connect to it fails
 *     at once instead of blocking for ever: the list returns, and a
 *     lookup says hvcore did not answer.
 *
 * Each costs one domctl timeout (10 s) at most, never more.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_assert.h"
#include "api_harness.h"

static struct harness H;

static hv_domain *start(const char *name)
{
    hv_config *c = harness_config(&H, name, "counter");
    hv_domain *d = NULL;

    assert_non_null(c);
    OK(hv_domain_create(H.conn, c, 0, &d));
    hv_config_free(c);
    return d;
}

static pid_t pid_of(hv_domain *d)
{
    hv_domain_info *i;
    pid_t pid;

    OK(hv_domain_get_info(d, &i));
    pid = hv_domain_info_get_pid(i);
    hv_domain_info_free(i);
    return pid;
}

/* Names a fresh connection lists (no cached control connection). */
static bool listed(const char *name)
{
    hv_conn *c = NULL;
    hv_domlist *l = NULL;
    bool found = false;

    OK(hv_conn_open(H.rundir, &c));
    OK(hv_domain_list(c, &l));
    for (size_t i = 0; i < hv_domlist_count(l); i++)
        found |= !strcmp(hv_domain_info_get_name(hv_domlist_get(l, i)), name);
    hv_domlist_free(l);
    hv_conn_free(c);
    return found;
}

static void test_silent_one_hides_nobody(void **state)
{
    hv_domain *hung = start("t-silent"), *ok = start("t-after");
    pid_t pid = pid_of(hung);

    (void)state;
    /* The later domid: its reply waits behind the silent one's. */
    assert_true(hv_domain_get_id(ok) > hv_domain_get_id(hung));
    assert_int_equal(kill(pid, SIGSTOP), 0);
    assert_true(listed("t-after"));
    assert_int_equal(kill(pid, SIGCONT), 0);
    OK(hv_domain_destroy(hung, 0));
    OK(hv_domain_destroy(ok, 0));
    hv_domain_free(hung);
    hv_domain_free(ok);
}

static void test_full_backlog_does_not_block(void **state)
{
    hv_domain *hung = start("t-full"), *d = NULL;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    pid_t pid = pid_of(hung);
    int fds[4096], n = 0;
    char path[512];

    (void)state;

    snprintf(path, sizeof(path), "%s/domains/%u/control", H.rundir,
             hv_domain_get_id(hung));
    assert_true(strlen(path) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, path, strlen(path) + 1);
    assert_int_equal(kill(pid, SIGSTOP), 0);
    /* Fill its listen backlog, as clients that gave up would. */
    for (; n < 4096; n++) {
        fds[n] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0);
        assert_true(fds[n] >= 0);
        if (connect(fds[n], (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            assert_int_equal(errno, EAGAIN);
            close(fds[n]);
            break;
        }
    }
    assert_true(n < 4096);
    /* Neither call may block: both come back, saying so. */
    assert_false(listed("t-full"));
    expect_err(hv_domain_lookup_by_id(H.conn, hv_domain_get_id(hung), &d),
               HV_ETIMEDOUT, "domain %u: hvcore did not answer",
               hv_domain_get_id(hung));
    while (n > 0)
        close(fds[--n]);
    assert_int_equal(kill(pid, SIGCONT), 0);
    OK(hv_domain_destroy(hung, 0));
    hv_domain_free(hung);
}

static int teardown(void **state)
{
    (void)state;
    return harness_nothing_left(&H);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_silent_one_hides_nobody, teardown),
        cmocka_unit_test_teardown(test_full_backlog_does_not_block, teardown),
    };
    char why[256];
    int rc;

    if (!harness_can_run(why, sizeof(why))) {
        printf("SKIP: needs real domains: %s\n", why);
        return 77;
    }
    if (harness_open(&H, "hung") != 0) {
        printf("cannot open a runtime directory: %s\n", hv_last_error());
        return 1;
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    harness_close(&H);
    return rc;
}
