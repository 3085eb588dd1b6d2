/*
 * unit_xen_time.c - a Xen-PV guest's time (xen_time.c): the shared-info
 * wallclock is the wall time at system time 0, every vCPU's pvclock
 * record reads as system time the way the guest computes it, versions end
 * even, the TSC is marked stable, and a moved vcpu_info gets its record.
 * Tolerances are generous (30 s): no verdict depends on the machine's speed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "pvclock.h"
#include "xen_fake.h"
#include "xen_time.h"

#define SEC        1000000000ULL
#define SLACK      (30 * SEC)
#define BOOTED_AGO (5 * SEC)

static int setup(void **state)
{
    (void)state;
    if (fake_setup(2) < 0)
        return -1;
    fake.d.boot_mono_ns = now_ns(CLOCK_MONOTONIC) - BOOTED_AGO;
    fake.d.guest_tsc_offset = -12345;
    return 0;
}

/* System time as a guest computes it from record t. */
static uint64_t guest_reads(const struct xen_vcpu_time_info *t)
{
    uint64_t tsc = pvclock_rdtsc() + (uint64_t)fake.d.guest_tsc_offset;

    return t->system_time + pvclock_delta_ns(tsc - t->tsc_timestamp, t->tsc_to_system_mul,
                                             t->tsc_shift);
}

static void records_and_wallclock(void **state)
{
    uint32_t mul;
    int8_t shift;

    (void)state;
    fake.shared->vcpu_info[0].time.version = 7;     /* whatever it was */
    fake.shared->vcpu_info[1].time.version = 4;
    fake.shared->wc_version = 3;
    xen_time_init(&fake.d);

    pvclock_scale(fake.d.tsc_khz, &mul, &shift);
    for (unsigned i = 0; i < 2; i++) {
        struct xen_vcpu_time_info *t = &fake.shared->vcpu_info[i].time;
        assert_int_equal(t->flags, XEN_PVCLOCK_TSC_STABLE);
        assert_int_equal(t->tsc_to_system_mul, mul);
        assert_int_equal(t->tsc_shift, shift);
        assert_in_range(t->system_time, BOOTED_AGO, BOOTED_AGO + SLACK);
        uint64_t sys = now_ns(CLOCK_MONOTONIC) - fake.d.boot_mono_ns;
        uint64_t read = guest_reads(t);
        assert_in_range(read, sys > SLACK ? sys - SLACK : 0, sys + SLACK);
    }
    assert_int_equal(fake.shared->vcpu_info[0].time.version, 8);
    assert_int_equal(fake.shared->vcpu_info[1].time.version, 6);
    assert_int_equal(fake.shared->vcpu_info[2].time.version, 0);     /* no vCPU 2 */

    /* wall time at system time 0 + system time now = wall time now */
    assert_int_equal(fake.shared->wc_version, 4);
    assert_true(fake.shared->wc_nsec < SEC);
    uint64_t wc = ((uint64_t)fake.shared->wc_sec_hi << 32 | fake.shared->wc_sec) * SEC +
                  fake.shared->wc_nsec;
    uint64_t real = now_ns(CLOCK_REALTIME);
    uint64_t sys = now_ns(CLOCK_MONOTONIC) - fake.d.boot_mono_ns;
    assert_in_range(wc + sys, real - SLACK, real + SLACK);
    assert_int_equal(fake.shared->wc_sec_hi, (wc / SEC) >> 32);
}

static void a_moved_vcpu_info_gets_its_record(void **state)
{
    struct xen_vcpu_info *moved = fake_ram(0x5000);

    (void)state;
    fake.x.vcpu[0].vcpu_info_gpa = 0x5000;
    xen_time_update_vcpu(fake_vcpu(0));
    assert_int_equal(moved->time.version, 2);
    assert_int_equal(moved->time.flags, XEN_PVCLOCK_TSC_STABLE);
    assert_in_range(moved->time.system_time, BOOTED_AGO, BOOTED_AGO + SLACK);
    assert_int_equal(fake.shared->vcpu_info[0].time.version, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(records_and_wallclock, setup, fake_teardown1),
        cmocka_unit_test_setup_teardown(a_moved_vcpu_info_gets_its_record, setup, fake_teardown1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
