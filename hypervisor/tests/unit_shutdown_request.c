/*
 * unit_shutdown_request.c - the rule for shutdown requests that meet each
 * other or the end of a boot (shutdown_request.h), case by case; the
 * cases a real guest can be held in are in test_shutdown_requests.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "public/shared_info.h"
#include "shutdown_request.h"

#define NONE     SHUTDOWN_REQUEST_none
#define POWEROFF SHUTDOWN_REQUEST_poweroff
#define REBOOT   SHUTDOWN_REQUEST_reboot

static void a_later_request_replaces_all_but_a_poweroff(void **state)
{
    (void)state;
    assert_int_equal(shutdown_request_merge(NONE, POWEROFF), POWEROFF);
    assert_int_equal(shutdown_request_merge(NONE, REBOOT), REBOOT);
    assert_int_equal(shutdown_request_merge(REBOOT, REBOOT), REBOOT);
    assert_int_equal(shutdown_request_merge(REBOOT, POWEROFF), POWEROFF);
    assert_int_equal(shutdown_request_merge(POWEROFF, POWEROFF), POWEROFF);
    assert_int_equal(shutdown_request_merge(POWEROFF, REBOOT), POWEROFF);
}

static void a_poweroff_pending_at_a_reboot_replaces_it(void **state)
{
    enum end_reason end = END_REBOOT;

    (void)state;
    assert_int_equal(shutdown_request_settle(&end, POWEROFF), NONE);
    assert_int_equal(end, END_POWEROFF);
}

static void a_clean_end_carries_the_request_out(void **state)
{
    static const struct {
        enum end_reason end;
        uint32_t pending;
    } cases[] = {
        { END_REBOOT, NONE }, { END_REBOOT, REBOOT },
        { END_POWEROFF, NONE }, { END_POWEROFF, REBOOT }, { END_POWEROFF, POWEROFF },
        { END_DESTROY, REBOOT }, { END_DESTROY, POWEROFF },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum end_reason end = cases[i].end;
        assert_int_equal(shutdown_request_settle(&end, cases[i].pending), NONE);
        assert_int_equal(end, cases[i].end);
    }
}

/* A crash restarts the guest (on_crash=restart): that is the reboot, but
 * a poweroff the crashed boot never acted on is the next boot's. */
static void a_crash_leaves_a_poweroff_standing(void **state)
{
    enum end_reason end = END_CRASH;

    (void)state;
    assert_int_equal(shutdown_request_settle(&end, POWEROFF), POWEROFF);
    assert_int_equal(end, END_CRASH);
    assert_int_equal(shutdown_request_settle(&end, REBOOT), NONE);
    assert_int_equal(shutdown_request_settle(&end, NONE), NONE);
    assert_int_equal(end, END_CRASH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_later_request_replaces_all_but_a_poweroff),
        cmocka_unit_test(a_poweroff_pending_at_a_reboot_replaces_it),
        cmocka_unit_test(a_clean_end_carries_the_request_out),
        cmocka_unit_test(a_crash_leaves_a_poweroff_standing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
