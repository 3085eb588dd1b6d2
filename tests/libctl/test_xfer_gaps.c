/*
 * test_xfer_gaps.c - what libhvctl's save and restore promise but cannot
 * keep until hvcore does its part; an expected failure (XFAIL_TESTS in
 * xfer.mk) until then, so that the day hvcore does, make check says so
 * (XPASS) and this moves into test_save_restore.
 *
 *   - the configuration travels in the save file (stream.h: TOOLSTACK
 *     carries <domdir>/config.json; the receiver writes it into its own
 *     domain directory): hvcore 0.1 neither writes nor keeps it;
 *   - a refused save file is HV_ESTREAM: hvcore exits HVCORE_EXIT_STREAM,
 *     but with --detach its foreground exits HVCORE_EXIT_STARTUP whatever
 *     the domain process said (hypervisor/src/main.c), so libhvctl
 *     cannot tell a refused file from a failed start.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_assert.h"
#include "xfer_harness.h"

static struct harness H;
static char dir[300];

static void config_travels(void **state)
{
    char f[400];
    hv_domain *d = xfer_start(&H, "web", 32, 4), *r = NULL;
    hv_config *cfg = NULL;
    char why[512];
    int rc;

    (void)state;
    snprintf(f, sizeof(f), "%s/web.save", dir);
    OK(hv_domain_save(d, f, 0, NULL));
    hv_domain_free(d);
    OK(hv_domain_restore(H.conn, f, 0, &r, NULL));
    rc = hv_domain_get_config(r, &cfg);
    snprintf(why, sizeof(why), "%s", hv_last_error());
    /* Nothing left behind whatever the verdict (LeakSanitizer). */
    hv_domain_destroy(r, 0);
    hv_domain_free(r);
    unlink(f);
    if (rc)
        fail_msg("the configuration did not travel: %s", why);
    assert_string_equal(hv_config_get_name(cfg), "web");
    assert_string_equal(hv_config_get_cmdline(cfg), "memcheck=4");
    hv_config_free(cfg);
}

static void refused_file_is_estream(void **state)
{
    char f[400];
    hv_domain *r = NULL;
    FILE *fp;

    (void)state;
    snprintf(f, sizeof(f), "%s/junk.save", dir);
    fp = fopen(f, "w");
    assert_non_null(fp);
    fputs("not a save file\n", fp);
    fclose(fp);
    expect_err(hv_domain_restore(H.conn, f, 0, &r, NULL), HV_ESTREAM,
               "restore from %s: not a domain stream (bad magic)", f);
    unlink(f);
}

static int teardown(void **state)
{
    (void)state;
    return xfer_nothing_left(&H);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(config_travels, teardown),
        cmocka_unit_test_teardown(refused_file_is_estream, teardown),
    };
    char why[256];
    int rc;

    if (!harness_can_run(why, sizeof(why))) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    if (harness_open(&H, "gaps") != 0)
        return 99;
    snprintf(dir, sizeof(dir), "%s/files", H.rundir);
    if (mkdir(dir, 0700) < 0)
        return 99;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    harness_close(&H);
    return rc;
}
