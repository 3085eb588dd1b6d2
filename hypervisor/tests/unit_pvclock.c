/*
 * unit_pvclock.c - TSC scaling: guests must convert ticks to nanoseconds
 * accurately for every plausible TSC frequency.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pvclock.h"

static void converts_within_a_ppm(void **state)
{
    static const uint64_t khz[] = { 100000, 999999, 1000000, 1000001, 2596136,
                                    3000000, 4999999, 10000000 };
    (void)state;
    for (unsigned i = 0; i < sizeof(khz) / sizeof(khz[0]); i++) {
        uint32_t mul;
        int8_t shift;

        pvclock_scale(khz[i], &mul, &shift);
        assert_true(mul >= (1u << 31));           /* full precision used */
        /* one second of ticks, and one hour */
        uint64_t sec = pvclock_delta_ns(khz[i] * 1000, mul, shift);
        assert_in_range(sec, 1000000000ULL - 1000, 1000000000ULL + 1000);
        uint64_t hour = pvclock_delta_ns(khz[i] * 1000 * 3600, mul, shift);
        assert_in_range(hour, 3600000000000ULL - 3600000, 3600000000000ULL + 3600000);
    }
}

static void zero_frequency_does_not_divide_by_zero(void **state)
{
    uint32_t mul;
    int8_t shift;

    (void)state;
    pvclock_scale(0, &mul, &shift);
    assert_true(mul != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(converts_within_a_ppm),
        cmocka_unit_test(zero_frequency_does_not_divide_by_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
