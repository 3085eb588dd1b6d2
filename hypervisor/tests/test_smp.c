/*
 * test_smp.c - secondary vCPUs: every vCPU of 1, 2 and 4 reports in.
 */
#include <string.h>

#include "test_util.h"

static void boot_smp(unsigned n)
{
    char line[64];

    struct dom *d = dom_start("smp", 32, n, NULL);
    assert_non_null(d);
    assert_int_equal(dom_wait_exit(d, 15000), HVCORE_EXIT_OK);
    for (unsigned k = 0; k < n; k++) {
        snprintf(line, sizeof(line), "smp: vcpu %u of %u online\n", k, n);
        if (!strstr(d->out, line)) {
            fprintf(stderr, "missing \"%s\" in:\n%s\n", line, d->out);
            fail();
        }
    }
    snprintf(line, sizeof(line), "smp: all %u vcpus reported\n", n);
    assert_non_null(strstr(d->out, line));
    dom_free(d);
}

static void one_vcpu(void **state) { (void)state; REQUIRE_KVM(); boot_smp(1); }
static void two_vcpus(void **state) { (void)state; REQUIRE_KVM(); boot_smp(2); }
static void four_vcpus(void **state) { (void)state; REQUIRE_KVM(); boot_smp(4); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_vcpu),
        cmocka_unit_test(two_vcpus),
        cmocka_unit_test(four_vcpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
