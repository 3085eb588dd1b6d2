/*
 * api_assert.h - the assertions the libhvctl cmocka tests share: a call
 * that must succeed, and an error that must carry its exact code and
 * message.  Include after <cmocka.h>.
 */
#ifndef HVCTL_TEST_API_ASSERT_H
#define HVCTL_TEST_API_ASSERT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hvctl.h"

#define OK(expr)                                                             \
    do {                                                                     \
        int rc_ = (expr);                                                    \
        if (rc_ != 0)                                                        \
            fail_msg("%s: %d: %s", #expr, rc_, hv_last_error());             \
    } while (0)

/* rc is `code` and hv_last_error() is the formatted message, word for word. */
static inline void expect_err(int rc, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline void expect_err(int rc, int code, const char *fmt, ...)
{
    char want[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(want, sizeof(want), fmt, ap);
    va_end(ap);
    if (rc != code || strcmp(hv_last_error(), want) != 0)
        fail_msg("rc %d (want %d)\n  want: %s\n  got:  %s", rc, code, want,
                 hv_last_error());
}

#endif
