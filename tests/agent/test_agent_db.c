/*
 * test_agent_db.c - which database an agent uses, and that it is the only
 * agent using it: $HVCTL_DB names it when --db does not (--db wins), and
 * a second agent on a database in use exits at once with one line saying
 * so, touching nothing, while a kill -9 of the first never blocks the
 * next.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"

static struct agentd ad, ad2;

static char *slurp(const char *path)
{
    static char buf[8192];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

    buf[n > 0 ? n : 0] = '\0';
    if (fd >= 0)
        close(fd);
    return buf;
}

/*
 * A second agent with its own runtime directory on the first one's
 * database: refused before it creates anything, in one line.  After a
 * kill -9 of the first, the next one starts at once.
 */
static void test_one_agent_per_database(void **state)
{
    char want[512];
    int status = -1;

    agentd_init(&ad, "db1");
    agentd_init(&ad2, "db2");
    assert_int_equal(agentd_start(&ad, NULL, NULL), 0);
    snprintf(ad2.db, sizeof(ad2.db), "%s", ad.db);

    assert_int_equal(agentd_start(&ad2, NULL, &status), -1);
    assert_int_equal(status, 1);
    snprintf(want, sizeof(want), "hvctld: database %s is in use by another "
             "hvctld (pid %d)\n", ad.db, (int)ad.pid);
    assert_string_equal(slurp(ad2.log), want);
    /* It touched nothing: not even its own runtime directory exists. */
    assert_int_equal(access(ad2.rundir, F_OK), -1);
    /* And the first agent is unharmed. */
    struct resp r = GET(&ad, "/v1/host");
    assert_int_equal(r.status, 200);
    resp_free(&r);

    /* The kernel dropped the lock with the process: no stale lock file
     * (it still holds the dead agent's pid) stops the next agent. */
    agentd_kill9(&ad);
    assert_int_equal(agentd_start(&ad2, NULL, NULL), 0);
    r = GET(&ad2, "/v1/host");
    assert_int_equal(r.status, 200);
    resp_free(&r);
    agentd_cleanup(&ad2);
    agentd_cleanup(&ad);
}

/* hvctld with these arguments and $HVCTL_DB = env; until it answers. */
static void start_with_env(struct agentd *a, const char *env,
                           const char *db_arg)
{
    const char *argv[8];
    double deadline = now_ms() + 15000;
    int n = 0;

    argv[n++] = harness_hvctld();
    argv[n++] = "--rundir";
    argv[n++] = a->rundir;
    if (db_arg) {
        argv[n++] = "--db";
        argv[n++] = db_arg;
    }
    argv[n] = NULL;
    a->pid = fork();
    assert_true(a->pid >= 0);
    if (a->pid == 0) {
        int fd = open(a->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        setenv("HVCTL_DB", env, 1);
        setenv("HVCORE_PATH", getenv("HVCORE"), 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    for (;;) {
        struct req q = { .method = "GET", .path = "/v1/host" };
        struct resp r;
        int st;

        if (http(a, &q, &r) == 0) {
            resp_free(&r);
            return;
        }
        if (waitpid(a->pid, &st, WNOHANG) == a->pid) {
            a->pid = 0;
            fail_msg("hvctld exited: see %s", a->log);
        }
        if (now_ms() > deadline)
            fail_msg("hvctld did not answer within 15 s: see %s", a->log);
        usleep(5000);
    }
}

/* $HVCTL_DB is the database unless --db says otherwise; the token
 * commands read it too. */
static void test_hvctl_db_environment(void **state)
{
    char env_db[256], out[4096];
    struct stat sb;

    agentd_init(&ad, "dbenv");
    snprintf(env_db, sizeof(env_db), "%s/env/hvctl.db", ad.dir);

    /* No --db: the environment's database, created. */
    start_with_env(&ad, env_db, NULL);
    assert_int_equal(stat(env_db, &sb), 0);
    assert_int_equal(access(ad.db, F_OK), -1);
    assert_int_equal(agentd_stop(&ad), 0);

    /* --db wins over the environment. */
    unlink(env_db);
    start_with_env(&ad, env_db, ad.db);
    assert_int_equal(stat(ad.db, &sb), 0);
    assert_int_equal(access(env_db, F_OK), -1);
    assert_int_equal(agentd_stop(&ad), 0);

    /* `hvctld token` without --db: the environment's database. */
    setenv("HVCTL_DB", env_db, 1);
    assert_int_equal(run_hvctld(out, sizeof(out), (const char *[]){
                                    "token", "create", "envtok", NULL }), 0);
    unsetenv("HVCTL_DB");
    assert_int_equal(run_hvctld(out, sizeof(out), (const char *[]){
                                    "token", "list", "--db", env_db, NULL }),
                     0);
    assert_non_null(strstr(out, "envtok"));
    agentd_cleanup(&ad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_agent_per_database),
        cmocka_unit_test(test_hvctl_db_environment),
    };
    return HARNESS_MAIN(tests, NULL, NULL);
}
