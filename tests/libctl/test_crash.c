/*
 * test_crash.c - libhvctl when hvcore is killed (kill -9) during start-up,
 * hangs in it, or cannot be run at all; and what reading a runtime
 * directory must not do (create it).
 *
 * hvcore's test-only hook HVCORE_TEST_STOP_AT=K (hvcore(8)) kills it at
 * step K of its start-up, so each case is deterministic: the create fails
 * with a message naming the signal, and the name and the domid are usable
 * again at once, whichever operation meets the leftovers first (the next
 * create, or a list).  See docs/architecture.md, "Runtime directory".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "public/startup_step.h"
#include "api_assert.h"
#include "api_harness.h"

static struct harness H;

/* Entries of <rundir>/sub as "a b c" ("" if none). */
static void entries(const char *rundir, const char *sub, char *out, size_t len)
{
    char path[512];
    struct dirent *de;
    DIR *dir;

    out[0] = '\0';
    snprintf(path, sizeof(path), "%s/%s", rundir, sub);
    if (!(dir = opendir(path)))
        return;
    while ((de = readdir(dir)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            snprintf(out + strlen(out), len - strlen(out), "%s%s",
                     out[0] ? " " : "", de->d_name);
    closedir(dir);
}

static void expect_empty_rundir(void)
{
    char left[512];

    entries(H.rundir, "domains", left, sizeof(left));
    if (left[0])
        fail_msg("left in domains/: %s", left);
    entries(H.rundir, "names", left, sizeof(left));
    if (left[0])
        fail_msg("left in names/: %s", left);
}

/*
 * Step 1 kills the --detach foreground process, and the domain process
 * dies of it asynchronously (PR_SET_PDEATHSIG): wait (30 s at most) until
 * nothing in domains/ is locked, i.e. every hvcore there has died.
 */
static void wait_unlocked(void)
{
    double end = harness_now_ms() + 30000;

    for (;;) {
        char left[512], *save = NULL;
        bool locked = false;

        entries(H.rundir, "domains", left, sizeof(left));
        for (char *e = strtok_r(left, " ", &save); e;
             e = strtok_r(NULL, " ", &save)) {
            char path[600];
            snprintf(path, sizeof(path), "%s/domains/%s", H.rundir, e);
            int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0)
                locked = true;
            if (fd >= 0)
                close(fd);
        }
        if (!locked)
            return;
        if (harness_now_ms() > end)
            fail_msg("an hvcore still holds its directory after 30 s");
        usleep(2000);
    }
}

/*
 * Create leaves its caller no child: the foreground hvcore it started is
 * reaped before it returns, whether the domain came up or not (create
 * reaps it last, once it has exited on its own), never a zombie.
 */
static void expect_no_child_left(void)
{
    int status;
    pid_t p = waitpid(-1, &status, WNOHANG);

    if (p > 0)
        fail_msg("create left a zombie child behind: pid %d", (int)p);
    if (p == 0)
        fail_msg("create left a child running");
    assert_int_equal(errno, ECHILD);
}

/* Create `name` with hvcore killed at step k: it must fail, saying how. */
static void create_killed_at(const char *name, int k)
{
    hv_config *c = harness_config(&H, name, "counter");
    hv_domain *d = NULL;
    char at[16], want[200];
    int rc;

    assert_non_null(c);
    snprintf(at, sizeof(at), "%d", k);
    setenv("HVCORE_TEST_STOP_AT", at, 1);
    rc = hv_domain_create(H.conn, c, 0, &d);
    unsetenv("HVCORE_TEST_STOP_AT");
    hv_config_free(c);
    assert_null(d);
    expect_no_child_left();
    if (k < STEP_READY) {
        expect_err(rc, HV_ESPAWN, "domain '%s': hvcore was killed by signal "
                   "9 (Killed) during start-up", name);
    } else {
        /* Killed right after it announced the domain: not running, so
         * not created.  "domain 'x': hvcore (pid N) died right after..." */
        snprintf(want, sizeof(want), "domain '%s': hvcore (pid ", name);
        const char *tail = ") died right after starting the domain; its "
                           "runtime entry was removed";
        const char *e = hv_last_error();
        assert_int_equal(rc, HV_EDEAD);
        if (strncmp(e, want, strlen(want)) != 0 || strlen(e) < strlen(tail) ||
            strcmp(e + strlen(e) - strlen(tail), tail) != 0)
            fail_msg("step %d: %s", k, e);
    }
    wait_unlocked();
}

/* The one domain listed is `name`, running, with domid `id`. */
static void expect_listed(const char *name, uint32_t id)
{
    hv_domlist *l;

    OK(hv_domain_list(H.conn, &l));
    assert_int_equal(hv_domlist_count(l), 1);
    const hv_domain_info *i = hv_domlist_get(l, 0);
    assert_string_equal(hv_domain_info_get_name(i), name);
    assert_int_equal(hv_domain_info_get_id(i), id);
    assert_int_equal(hv_domain_info_get_state(i), HV_STATE_RUNNING);
    hv_domlist_free(l);
}

static void create_runs_as_domid_1(const char *name)
{
    hv_config *c = harness_config(&H, name, "counter");
    hv_domain *d = NULL;

    assert_non_null(c);
    OK(hv_domain_create(H.conn, c, 0, &d));
    hv_config_free(c);
    expect_no_child_left();
    assert_int_equal(hv_domain_get_id(d), 1);
    expect_listed(name, 1);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
    expect_empty_rundir();
}

/* Killed at step k, then created again at once: same name, same domid. */
static void test_killed_then_created_again(void **state)
{
    (void)state;
    for (int k = STEP_FORKED; k <= STEP_COUNT; k++) {
        create_killed_at("t-crash", k);
        create_runs_as_domid_1("t-crash");
    }
}

/* Killed at step k, then listed: the leftovers go, silently unless the
 * domain had been published (its control socket existed). */
static void test_killed_then_listed(void **state)
{
    (void)state;
    for (int k = STEP_FORKED; k <= STEP_COUNT; k++) {
        hv_domlist *l;
        hv_domain *d;

        create_killed_at("t-crash-list", k);
        OK(hv_domain_list(H.conn, &l));
        if (k >= STEP_LISTENING && k < STEP_READY) {
            assert_int_equal(hv_domlist_count(l), 1);
            assert_int_equal(hv_domain_info_get_state(hv_domlist_get(l, 0)),
                             HV_STATE_CRASHED);
        } else {
            assert_int_equal(hv_domlist_count(l), 0);
        }
        hv_domlist_free(l);
        expect_empty_rundir();
        expect_err(hv_domain_lookup_by_name(H.conn, "t-crash-list", &d),
                   HV_ENOENT, "domain 't-crash-list': no such domain");
    }
    create_runs_as_domid_1("t-crash-list");
}

/* The repro: names/kd -> ../domains/1 and no domains/1. */
static void test_dangling_name_link(void **state)
{
    char path[512];

    (void)state;
    snprintf(path, sizeof(path), "%s/domains", H.rundir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/names", H.rundir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/names/kd", H.rundir);
    assert_int_equal(symlink("../domains/1", path), 0);
    create_runs_as_domid_1("kd");

    /* A link to a live domain of another name is stale too. */
    hv_config *c = harness_config(&H, "other", "counter");
    hv_domain *other, *kd;
    OK(hv_domain_create(H.conn, c, 0, &other));
    hv_config_free(c);
    assert_int_equal(hv_domain_get_id(other), 1);
    assert_int_equal(symlink("../domains/1", path), 0);
    c = harness_config(&H, "kd", "counter");
    OK(hv_domain_create(H.conn, c, 0, &kd));
    hv_config_free(c);
    assert_int_equal(hv_domain_get_id(kd), 2);
    OK(hv_domain_destroy(kd, 0));
    OK(hv_domain_destroy(other, 0));
    hv_domain_free(kd);
    hv_domain_free(other);
    expect_empty_rundir();
}

/* A FIFO as kernel (or as a config file) is refused at once. */
static void test_fifo_kernel(void **state)
{
    char fifo[512];
    hv_config *c;
    hv_domain *d = NULL;

    (void)state;
    snprintf(fifo, sizeof(fifo), "%s/fifo", H.rundir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    c = harness_config(&H, "t-fifo", "counter");
    OK(hv_config_set_kernel(c, fifo));
    expect_err(hv_domain_create(H.conn, c, 0, &d), HV_ESPAWN,
               "domain 't-fifo': hvcore: %s is not a regular file", fifo);
    hv_config_free(c);
    assert_null(d);
    expect_empty_rundir();
    expect_err(hv_config_load_file(fifo, &c), HV_ECONFIG,
               "%s: not a regular file", fifo);
    unlink(fifo);
}

/* A create that times out (hvcore hung at step 6, with domid and name
 * taken) kills what it started and leaves nothing behind, wherever it
 * hung.  Takes the 30 s of the spawn timeout for each step. */
/*
 * In a child process: create `name` with hvcore hung at `at`; 0 when the
 * create timed out with the documented message.  (A child, so that the
 * nine hangs wait out their 30 s together, each with its own
 * environment.)
 */
static int hung_create(const char *name, const char *at)
{
    hv_conn *conn = NULL;
    hv_config *c = harness_config(&H, name, "counter");
    hv_domain *d = NULL;
    char want[128];
    int rc;

    setenv("HVCORE_TEST_STOP_AT", at, 1);
    if (!c || hv_conn_open(H.rundir, &conn) != 0)
        return 3;
    rc = hv_domain_create(conn, c, 0, &d);
    snprintf(want, sizeof(want), "domain '%s': hvcore did not start within "
             "30000 ms", name);
    if (d || rc != HV_ETIMEDOUT || strcmp(hv_last_error(), want) != 0) {
        fprintf(stderr, "step %s: rc %d: %s\n", at, rc, hv_last_error());
        return 1;
    }
    hv_config_free(c);
    hv_conn_free(conn);
    return 0;
}

static void test_timeout_leaves_nothing(void **state)
{
    pid_t kids[STEP_READY];
    int failed = 0;

    (void)state;
    /* Hung at every step before the domain is announced (at STEP_READY
     * it has been: create succeeds), all at once. */
    for (int k = STEP_FORKED; k < STEP_READY; k++) {
        char name[32], at[16];

        snprintf(name, sizeof(name), "t-hung-%d", k);
        snprintf(at, sizeof(at), "%d:stop", k);
        fflush(NULL);
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0)
            _exit(hung_create(name, at));
    }
    for (int k = STEP_FORKED; k < STEP_READY; k++) {
        int st;

        while (waitpid(kids[k], &st, 0) < 0)
            assert_int_equal(errno, EINTR);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "create hung at step %d: status %#x\n", k, st);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
    expect_empty_rundir();
    create_runs_as_domid_1("t-hung");
}

/* A caller that ignores SIGCHLD cannot learn how hvcore died (its
 * children are reaped for it): create says what it knows, not a signal
 * read from an uninitialised status. */
static void test_killed_with_sigchld_ignored(void **state)
{
    hv_config *c = harness_config(&H, "t-nochld", "counter");
    hv_domain *d = NULL;
    char at[16];
    int rc;

    (void)state;
    snprintf(at, sizeof(at), "%d", STEP_STAGED);
    setenv("HVCORE_TEST_STOP_AT", at, 1);
    signal(SIGCHLD, SIG_IGN);
    rc = hv_domain_create(H.conn, c, 0, &d);
    signal(SIGCHLD, SIG_DFL);
    unsetenv("HVCORE_TEST_STOP_AT");
    hv_config_free(c);
    assert_null(d);
    expect_err(rc, HV_ESPAWN, "domain 't-nochld': hvcore: exited without "
               "a message");
    wait_unlocked();
    create_runs_as_domid_1("t-nochld");
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "listing blocked on <rundir>/.lock\n";
    ssize_t n = write(2, msg, sizeof(msg) - 1);
    (void)n;
    _exit(1);
}

/* A list that meets a staging directory while someone else (a stopped
 * hvcore) holds <rundir>/.lock returns at once and leaves the sweep to a
 * later call; events do the same.  A blocking flock would hang here
 * (ended by the alarm after 30 s). */
static void test_list_with_rundir_locked(void **state)
{
    char path[600];
    hv_domlist *l;
    hv_events *ev;
    hv_event *e;
    int lock;

    (void)state;
    snprintf(path, sizeof(path), "%s/domains", H.rundir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/domains/.new-999999", H.rundir);
    assert_int_equal(mkdir(path, 0750), 0);
    snprintf(path, sizeof(path), "%s/.lock", H.rundir);
    lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    assert_true(lock >= 0);
    assert_int_equal(flock(lock, LOCK_EX), 0);
    signal(SIGALRM, on_alarm);
    alarm(30);
    OK(hv_domain_list(H.conn, &l));
    assert_int_equal(hv_domlist_count(l), 0);
    hv_domlist_free(l);
    OK(hv_events_open(H.conn, &ev));
    assert_int_equal(hv_event_next(ev, &e), HV_EAGAIN);
    hv_events_free(ev);
    alarm(0);
    close(lock);
    /* Unlocked, the next list sweeps the abandoned directory. */
    OK(hv_domain_list(H.conn, &l));
    hv_domlist_free(l);
    expect_empty_rundir();
}

/* HVCORE_PATH naming nothing runnable says so, and names HVCORE_PATH
 * while it is what named the file. */
static void test_hvcore_path(void **state)
{
    char *saved = strdup(getenv("HVCORE_PATH"));
    hv_config *c = harness_config(&H, "t-path", "counter");
    hv_conn *conn;
    hv_domain *d = NULL;
    char plain[600];
    int fd;

    (void)state;
    setenv("HVCORE_PATH", "/nonexistent", 1);
    OK(hv_conn_open(H.rundir, &conn));
    setenv("HVCORE_PATH", saved, 1);
    expect_err(hv_domain_create(conn, c, 0, &d), HV_ESPAWN,
               "domain 't-path': cannot run hvcore: /nonexistent "
               "(HVCORE_PATH) does not exist");
    hv_conn_free(conn);
    snprintf(plain, sizeof(plain), "%s/hvcore.txt", H.rundir);
    fd = open(plain, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    close(fd);
    setenv("HVCORE_PATH", plain, 1);
    OK(hv_conn_open(H.rundir, &conn));
    setenv("HVCORE_PATH", saved, 1);
    expect_err(hv_domain_create(conn, c, 0, &d), HV_ESPAWN,
               "domain 't-path': cannot run hvcore: %s (HVCORE_PATH) is "
               "not executable: Permission denied", plain);
    hv_conn_free(conn);
    unlink(plain);
    free(saved);
    hv_config_free(c);
    assert_null(d);
    expect_empty_rundir();
}

/* Reading a runtime directory that does not exist creates nothing. */
static void test_missing_rundir(void **state)
{
    char dir[600], file[600];
    hv_conn *conn;
    hv_domlist *l;
    hv_domain *d;
    struct stat st;

    (void)state;
    snprintf(dir, sizeof(dir), "%s/typo/run", H.rundir);
    OK(hv_conn_open(dir, &conn));
    OK(hv_domain_list(conn, &l));
    assert_int_equal(hv_domlist_count(l), 0);
    hv_domlist_free(l);
    expect_err(hv_domain_lookup_by_name(conn, "x", &d), HV_ENOENT,
               "domain 'x': no such domain");
    expect_err(hv_domain_lookup_by_id(conn, 1, &d), HV_ENOENT,
               "domain 1: no such domain");
    snprintf(file, sizeof(file), "%s/typo", H.rundir);
    assert_int_equal(stat(file, &st), -1);
    assert_int_equal(errno, ENOENT);

    /* What starts a domain makes it. */
    hv_config *c = harness_config(&H, "t-rundir", "counter");
    OK(hv_domain_create(conn, c, 0, &d));
    hv_config_free(c);
    OK(hv_domain_list(conn, &l));
    assert_int_equal(hv_domlist_count(l), 1);
    hv_domlist_free(l);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
    hv_conn_free(conn);

    /* One that is not a directory is an error, not an empty list. */
    snprintf(file, sizeof(file), "%s/plain", H.rundir);
    int fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
    assert_true(fd >= 0);
    close(fd);
    expect_err(hv_conn_open(file, &conn), HV_EINVAL,
               "runtime directory %s: Not a directory", file);
    unlink(file);
    snprintf(file, sizeof(file), "rm -rf %s/typo", H.rundir);
    assert_int_equal(system(file), 0);
}

static int teardown(void **state)
{
    (void)state;
    return harness_nothing_left(&H);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_killed_then_created_again, teardown),
        cmocka_unit_test_teardown(test_killed_then_listed, teardown),
        cmocka_unit_test_teardown(test_dangling_name_link, teardown),
        cmocka_unit_test_teardown(test_fifo_kernel, teardown),
        cmocka_unit_test_teardown(test_hvcore_path, teardown),
        cmocka_unit_test_teardown(test_missing_rundir, teardown),
        cmocka_unit_test_teardown(test_timeout_leaves_nothing, teardown),
        cmocka_unit_test_teardown(test_list_with_rundir_locked, teardown),
        cmocka_unit_test_teardown(test_killed_with_sigchld_ignored, teardown),
    };
    char why[256];
    int rc;

    if (!harness_can_run(why, sizeof(why))) {
        printf("SKIP: libhvctl crash tests need real domains: %s\n", why);
        return 77;
    }
    if (harness_open(&H, "crash") != 0) {
        printf("cannot open a runtime directory: %s\n", hv_last_error());
        return 1;
    }
    if (getenv("TEST_FILTER"))
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    rc = cmocka_run_group_tests_name("libctl crash", tests, NULL, NULL);
    harness_close(&H);
    return rc;
}
