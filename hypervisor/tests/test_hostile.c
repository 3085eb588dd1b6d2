/*
 * test_hostile.c - a guest issuing 100000 random hypercalls with random
 * arguments: hvcore survives, keeps answering domctl, and the guest ends
 * normally.
 */
#include <string.h>

#include "test_util.h"

static void random_hypercalls_do_no_harm(void **state)
{
    struct hv_domctl_reply rep;
    unsigned answered = 0;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("hostile", 64, 2, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "pvboot: booting hostile", 5000);
    /* hvcore answers while the storm is on */
    while (d->status < 0 && !strstr(d->out, "hostile: 100000 hypercalls")) {
        if (dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep) == 0) {
            assert_int_equal(rep.u.info.domid, d->domid);
            answered++;
        }
        dom_drain(d, 100);
        if (dom_wait_exit(d, 1) >= 0)
            break;
    }
    int status = dom_wait_exit(d, 60000);
    if (status != HVCORE_EXIT_OK)
        fprintf(stderr, "exit %d\nconsole:\n%s\nstderr:\n%s\n", status, d->out, d->err);
    assert_int_equal(status, HVCORE_EXIT_OK);
    assert_non_null(strstr(d->out, "hostile: 100000 hypercalls, "));
    assert_true(answered > 0);
    fprintf(stderr, "getinfo answered %u times during the run\n", answered);
    dom_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_hypercalls_do_no_harm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
