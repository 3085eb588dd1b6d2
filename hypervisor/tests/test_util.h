/*
 * test_util.h - cmocka glue shared by the integration tests.
 */
#ifndef HV_TEST_UTIL_H
#define HV_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "harness.h"
#include "public/exit_status.h"

/* Skip the test (with the reason printed once) where KVM is unusable. */
#define REQUIRE_KVM() do { if (!kvm_usable()) skip(); } while (0)

/* Assert the console shows text within ms; on failure print what it did. */
#define EXPECT_CONSOLE(d, text, ms) do {                                   \
        if (!dom_expect((d), (text), (ms))) {                              \
            fprintf(stderr, "console never showed \"%s\"; it shows:\n%s\n" \
                    "stderr: %s\n", (text), (d)->out ? (d)->out : "",       \
                    (d)->err);                                             \
            fail();                                                        \
        }                                                                  \
    } while (0)

#endif /* HV_TEST_UTIL_H */
