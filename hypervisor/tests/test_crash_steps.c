/*
 * test_crash_steps.c - hvcore killed (kill -9) at every step of its
 * start-up, then started again with the same name in the same runtime
 * directory: the new hvcore must reclaim whatever the dead one left, take
 * the same domid at once, and leave nothing behind when it ends.  Also the
 * leftovers older hvcores could leave (a dangling names/ link, an empty
 * domid directory, a 0-byte pid file).  See docs/architecture.md,
 * "Runtime directory".
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "startup_step.h"
#include "test_util.h"

/* Entries of rundir/sub, "" if none, as "a b c". */
static void entries(const char *rundir, const char *sub, char *out, size_t len)
{
    char path[256];
    struct dirent *de;
    DIR *dir;

    out[0] = '\0';
    snprintf(path, sizeof(path), "%s/%s", rundir, sub);
    if (!(dir = opendir(path)))
        return;
    while ((de = readdir(dir)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            snprintf(out + strlen(out), len - strlen(out), "%s%s", out[0] ? " " : "",
                     de->d_name);
    closedir(dir);
}

/* Start "web" in rundir: it must get domid 1, run, and leave nothing. */
static void web_runs_as_domid_1_and_cleans_up(const char *rundir)
{
    const char *extra[] = { "--name", "web", "--rundir", rundir, NULL };
    char left[512];
    struct dom *d = dom_startv(getenv("PVBOOT"), "counter", 32, 1, extra);

    assert_non_null(d);
    /* Talk to it where it runs (dom_startv made a directory of its own). */
    rmdir(d->rundir);
    snprintf(d->rundir, sizeof(d->rundir), "%s", rundir);
    if (d->domid != 1)
        fail_msg("domid %u (status %d, stderr: %s)", d->domid, d->status, d->err);
    EXPECT_CONSOLE(d, "counter 1\n", 5000);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_destroy, NULL), 0);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_DESTROYED);
    d->rundir[0] = '\0';        /* the caller's */
    dom_free(d);
    entries(rundir, "domains", left, sizeof(left));
    assert_string_equal(left, "");
    entries(rundir, "names", left, sizeof(left));
    assert_string_equal(left, "");
}

static void killed_at_every_step_of_startup(void **state)
{
    (void)state;
    REQUIRE_KVM();
    /* STEP_FORKED is the --detach foreground process: libhvctl's test. */
    for (int k = STEP_STAGED; k <= STEP_COUNT; k++) {
        char at[16];

        snprintf(at, sizeof(at), "%d", k);
        setenv("HVCORE_TEST_STOP_AT", at, 1);
        struct dom *a = dom_start("counter", 32, 1, "--name", "web", NULL);
        unsetenv("HVCORE_TEST_STOP_AT");
        assert_non_null(a);
        if (dom_wait_exit(a, 10000) != 128 + SIGKILL)
            fail_msg("step %d: status %d, stderr: %s", k, a->status, a->err);
        print_message("step %d: killed; domains/: ", k);
        char left[512];
        entries(a->rundir, "domains", left, sizeof(left));
        print_message("%s; names/: ", left);
        entries(a->rundir, "names", left, sizeof(left));
        print_message("%s\n", left);
        web_runs_as_domid_1_and_cleans_up(a->rundir);
        dom_free(a);
    }
}

/* What hvcores before the staging directory could leave, and the issue's
 * repro: a link to a domid directory that is gone. */
static void leftovers_of_older_hvcores_are_reclaimed(void **state)
{
    char rundir[] = "/tmp/hvtest-left.XXXXXX", path[300];

    (void)state;
    REQUIRE_KVM();
    assert_non_null(mkdtemp(rundir));
    snprintf(path, sizeof(path), "%s/domains", rundir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/names", rundir);
    assert_int_equal(mkdir(path, 0755), 0);

    /* names/web -> ../domains/1, and no domains/1 */
    snprintf(path, sizeof(path), "%s/names/web", rundir);
    assert_int_equal(symlink("../domains/1", path), 0);
    web_runs_as_domid_1_and_cleans_up(rundir);

    /* an empty domains/1 (killed between mkdir and the pid file) */
    snprintf(path, sizeof(path), "%s/domains/1", rundir);
    assert_int_equal(mkdir(path, 0750), 0);
    web_runs_as_domid_1_and_cleans_up(rundir);

    /* domains/1 with a 0-byte pid file, linked from names/web */
    assert_int_equal(mkdir(path, 0750), 0);
    snprintf(path, sizeof(path), "%s/domains/1/pid", rundir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/names/web", rundir);
    assert_int_equal(symlink("../domains/1", path), 0);
    web_runs_as_domid_1_and_cleans_up(rundir);

    /* an abandoned staging directory */
    snprintf(path, sizeof(path), "%s/domains/.new-99999999", rundir);
    assert_int_equal(mkdir(path, 0750), 0);
    web_runs_as_domid_1_and_cleans_up(rundir);

    snprintf(path, sizeof(path), "rm -rf %s", rundir);
    assert_int_equal(system(path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(killed_at_every_step_of_startup),
        cmocka_unit_test(leftovers_of_older_hvcores_are_reclaimed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
