/*
 * test_rest_kill9.c - kill -9 of hvctld in the middle of a stream of
 * define/undefine requests, 20 times over.  After each kill:
 *   - PRAGMA integrity_check of the database says "ok";
 *   - once restarted, every define the agent acknowledged (201) and did
 *     not acknowledge undefining since (204) is there, and every
 *     acknowledged undefine is gone (requests cut off by the kill may
 *     have landed either way);
 *   - the domains that were running still run, in the same hvcore
 *     processes, and the agent has re-adopted them.
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <sqlite3.h>

#include "harness.h"

#define ROUNDS 20
#define NAMES 64                /* per round: k<round>-<n> */

enum ack { UNKNOWN = 0, DEFINED, UNDEFINED };

static struct agentd ad;
static enum ack acks[ROUNDS][NAMES];
static atomic_int stop;

struct stream {
    int round;
    int sent;
};

/* Define every name, and undefine every third one right after. */
static void *client(void *arg)
{
    struct stream *s = arg;
    char name[32], path[64], *cfg;
    struct req q = { .ctype = "application/json", .no_check = false };
    struct resp r;

    for (int n = 0; n < NAMES && !atomic_load(&stop); n++) {
        snprintf(name, sizeof(name), "k%d-%d", s->round, n);
        cfg = domain_json(name, "counter", 16);
        q.method = "POST";
        q.path = "/v1/domains";
        q.body = cfg;
        s->sent++;
        if (http(&ad, &q, &r)) {
            free(cfg);
            break;                          /* the agent is gone */
        }
        if (r.status == 201)
            acks[s->round][n] = DEFINED;
        resp_free(&r);
        free(cfg);
        if (n % 3)
            continue;
        snprintf(path, sizeof(path), "/v1/domains/%s", name);
        q.method = "DELETE";
        q.path = path;
        q.body = NULL;
        /* While the undefine is in flight either outcome is right. */
        enum ack before = acks[s->round][n];
        acks[s->round][n] = UNKNOWN;
        if (http(&ad, &q, &r))
            break;
        acks[s->round][n] = r.status == 204 ? UNDEFINED : before;
        resp_free(&r);
    }
    return NULL;
}

static void integrity_ok(void)
{
    sqlite3 *db;
    sqlite3_stmt *s;

    assert_int_equal(sqlite3_open_v2(ad.db, &db, SQLITE_OPEN_READWRITE, NULL), 0);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s,
                                        NULL), 0);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
    sqlite3_finalize(s);
    sqlite3_close(db);
}

/* Is name in the list answer? */
static bool listed(json_object *list, const char *name)
{
    json_object *arr = jget(list, "domains");

    for (size_t i = 0; i < json_object_array_length(arr); i++)
        if (!strcmp(jstr(json_object_array_get_idx(arr, i), "name"), name))
            return true;
    return false;
}

static long long pid_of(const char *name)
{
    char path[64];
    struct resp r;
    long long pid;

    snprintf(path, sizeof(path), "/v1/domains/%s", name);
    r = GET(&ad, path);
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "state"), "running");
    pid = jint(r.json, "runtime.pid");
    resp_free(&r);
    return pid;
}

static void test_kill9(void **state)
{
    static const char *const keep[] = { "keep1", "keep2" };
    long long pids[2];
    int checked = 0, cut = 0;

    srand((unsigned)getpid());
    agentd_init(&ad, "kill9");
    assert_int_equal(agentd_start(&ad, NULL, NULL), 0);
    for (int i = 0; i < 2; i++) {
        char *cfg = domain_json(keep[i], "counter", 16);
        struct resp r = POST(&ad, "/v1/domains?start=true", cfg);
        assert_int_equal(r.status, 202);
        assert_string_equal(wait_job(&ad, jint(r.json, "id"), NULL),
                            "succeeded");
        resp_free(&r);
        free(cfg);
        pids[i] = pid_of(keep[i]);
    }

    for (int round = 0; round < ROUNDS; round++) {
        struct stream s = { .round = round };
        pthread_t t;
        struct resp r;

        atomic_store(&stop, 0);
        assert_int_equal(pthread_create(&t, NULL, client, &s), 0);
        /* Somewhere in the middle of the stream. */
        usleep(20000 + (unsigned)(rand() % 60000));
        agentd_kill9(&ad);
        atomic_store(&stop, 1);
        pthread_join(t, NULL);
        if (s.sent < NAMES)
            cut++;

        integrity_ok();
        assert_int_equal(agentd_start(&ad, NULL, NULL), 0);
        r = GET(&ad, "/v1/domains");
        for (int k = 0; k <= round; k++)
            for (int n = 0; n < NAMES; n++) {
                char name[32];
                snprintf(name, sizeof(name), "k%d-%d", k, n);
                if (acks[k][n] == DEFINED && !listed(r.json, name))
                    fail_msg("round %d: acknowledged define of %s lost", round,
                             name);
                if (acks[k][n] == UNDEFINED && listed(r.json, name))
                    fail_msg("round %d: acknowledged undefine of %s undone",
                             round, name);
                checked += acks[k][n] != UNKNOWN;
            }
        resp_free(&r);
        /* No domain process lost, and both re-adopted as they were. */
        for (int i = 0; i < 2; i++) {
            assert_int_equal(kill((pid_t)pids[i], 0), 0);
            assert_int_equal(pid_of(keep[i]), pids[i]);
        }
    }
    printf("# %d rounds, %d cut mid-stream, %d acknowledgements checked\n",
           ROUNDS, cut, checked);
    assert_true(cut >= ROUNDS / 2);     /* the kills did land mid-stream */
    assert_int_equal(agentd_stop(&ad), 0);
    integrity_ok();
    agentd_cleanup(&ad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9),
    };
    char why[256];
    int rc;

    if (!harness_can_run(why, sizeof(why))) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    curl_global_init(CURL_GLOBAL_ALL);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
