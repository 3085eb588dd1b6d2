/*
 * test_balloon.c - memory given back by the guest leaves the host: the
 * hvcore process's RSS drops; a domctl memory target is honoured.
 */
#include <string.h>

#include "public/errno.h"
#include "test_util.h"

static void released_pages_leave_the_host(void **state)
{
    struct hv_domctl_reply rep;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("balloon=64", 128, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "balloon: touched 64 MiB\n", 10000);
    long before = proc_rss_kib(d->pid);
    EXPECT_CONSOLE(d, "balloon: released 64 MiB\n", 10000);
    long after = proc_rss_kib(d->pid);
    fprintf(stderr, "RSS %ld KiB -> %ld KiB\n", before, after);
    assert_true(before >= 64 * 1024);
    assert_true(before - after >= 56 * 1024);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_in_range(rep.u.info.mem_current_kib, 60 * 1024, 64 * 1024);
    assert_int_equal(rep.u.info.mem_max_kib, 128 * 1024);
    dom_free(d);
}

static void memory_target_is_reached(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_set_mem_target };
    struct hv_domctl_reply rep;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("counter", 64, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "counter 2\n", 5000);
    req.u.mem.target_kib = 40 * 1024;
    assert_int_equal(dom_ctl(d, &req, &rep, NULL), 0);
    uint64_t end = ms_now() + 30000;
    do {
        dom_drain(d, 20);
        assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    } while (rep.u.info.mem_current_kib > 40 * 1024 && ms_now() < end);
    assert_true(rep.u.info.mem_current_kib <= 40 * 1024);
    assert_int_equal(rep.u.info.mem_target_kib, 40 * 1024);

    /* and back up */
    req.u.mem.target_kib = 64 * 1024;
    assert_int_equal(dom_ctl(d, &req, &rep, NULL), 0);
    end = ms_now() + 30000;
    do {
        dom_drain(d, 20);
        assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    } while (rep.u.info.mem_current_kib < 60 * 1024 && ms_now() < end);
    assert_true(rep.u.info.mem_current_kib >= 60 * 1024);

    /* out of range targets are refused and change nothing */
    req.u.mem.target_kib = 65 * 1024;
    assert_int_equal(dom_ctl(d, &req, &rep, NULL), -HVE_RANGE);
    req.u.mem.target_kib = 0;
    assert_int_equal(dom_ctl(d, &req, &rep, NULL), -HVE_RANGE);
    EXPECT_CONSOLE(d, "counter", 2000);      /* still alive */
    dom_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(released_pages_leave_the_host),
        cmocka_unit_test(memory_target_is_reached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
