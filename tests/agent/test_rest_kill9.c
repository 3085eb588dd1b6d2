/*
 * test_rest_kill9.c - kill -9 of hvctld in the middle of a stream of
 * define/undefine requests, 20 times over.  The kill point is chosen from
 * the stream itself, not from a clock: in each round the client sends
 * requests until the agent has answered a chosen number of them, writes the
 * next request (a define or an undefine) in full and only then lets the
 * test kill the agent, so every round cuts the stream with a request in
 * flight on any machine, however fast or loaded.  After each kill:
 *   - PRAGMA integrity_check of the database says "ok";
 *   - once restarted, every define the agent acknowledged (201) and did
 *     not acknowledge undefining since (204) is there, and every
 *     acknowledged undefine is gone (the request in flight may have
 *     landed either way);
 *   - the domains that were running still run, in the same hvcore
 *     processes, and the agent has re-adopted them.
 */
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
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

/* One round's stream, and the hand-over of the kill to the test. */
struct stream {
    int round;
    int kill_after;             /* answers to wait for before the cut */
    int answered;               /* requests the agent answered */
    bool in_flight;             /* the last request is written, unanswered */
    bool failed;                /* the stream ended before the cut: why */
    char why[128];
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

/*
 * Write a whole HTTP request on a fresh connection to the agent's socket
 * and return the connection (the answer is never read: the agent is about
 * to die), or -1.
 */
static int send_raw(const char *method, const char *path, const char *body)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char head[256];
    size_t blen = body ? strlen(body) : 0;
    int fd, n;

    if (strlen(ad.sock) >= sizeof(sa.sun_path))
        return -1;
    memcpy(sa.sun_path, ad.sock, strlen(ad.sock) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    n = snprintf(head, sizeof(head),
                 "%s %s HTTP/1.1\r\nHost: localhost\r\n"
                 "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                 "Connection: close\r\n\r\n", method, path, blen);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        write(fd, head, (size_t)n) != n ||
        (blen && write(fd, body, blen) != (ssize_t)blen)) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * Once `kill_after` requests are answered, write the next one in full and
 * tell the test it may kill the agent; the stream ends there.  Returns
 * true when the stream is to go on with an ordinary request.
 */
static bool go_on(struct stream *s, const char *method, const char *path,
                  const char *body)
{
    int fd;

    if (s->answered < s->kill_after)
        return true;
    fd = send_raw(method, path, body);
    pthread_mutex_lock(&s->lock);
    s->in_flight = fd >= 0;
    s->failed = fd < 0;
    snprintf(s->why, sizeof(s->why), "could not write the %s in flight",
             method);
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    if (fd >= 0) {
        char sink[256];
        /* Until the kill closes the connection. */
        while (read(fd, sink, sizeof(sink)) > 0)
            ;
        close(fd);
    }
    return false;
}

/* The stream broke before its cut (cmocka asserts only in its thread). */
static void *broken(struct stream *s, const char *what, const char *name)
{
    pthread_mutex_lock(&s->lock);
    s->failed = true;
    snprintf(s->why, sizeof(s->why), "%s of %s unanswered before the kill",
             what, name);
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Define every name, and undefine every third one right after. */
static void *client(void *arg)
{
    struct stream *s = arg;
    char name[32], path[64], *cfg;
    /* No spec check here: a mismatch would assert (longjmp) outside
     * cmocka's thread.  The main thread's GETs are checked. */
    struct req q = { .ctype = "application/json", .no_check = true };
    struct resp r;

    for (int n = 0; n < NAMES; n++) {
        snprintf(name, sizeof(name), "k%d-%d", s->round, n);
        cfg = domain_json(name, "counter", 16);
        if (!go_on(s, "POST", "/v1/domains", cfg)) {
            free(cfg);
            return NULL;
        }
        q.method = "POST";
        q.path = "/v1/domains";
        q.body = cfg;
        if (http(&ad, &q, &r)) {
            free(cfg);
            return broken(s, "define", name);
        }
        s->answered++;
        if (r.status == 201)
            acks[s->round][n] = DEFINED;
        resp_free(&r);
        free(cfg);
        if (n % 3)
            continue;
        snprintf(path, sizeof(path), "/v1/domains/%s", name);
        /* While the undefine is in flight either outcome is right. */
        enum ack before = acks[s->round][n];
        acks[s->round][n] = UNKNOWN;
        if (!go_on(s, "DELETE", path, NULL))
            return NULL;
        q.method = "DELETE";
        q.path = path;
        q.body = NULL;
        if (http(&ad, &q, &r))
            return broken(s, "undefine", name);
        s->answered++;
        acks[s->round][n] = r.status == 204 ? UNDEFINED : before;
        resp_free(&r);
    }
    /* kill_after is below the stream's length: never reached. */
    return broken(s, "the cut", "the stream");
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
        /* The stream has NAMES defines and NAMES / 3 + 1 undefines. */
        struct stream s = {
            .round = round,
            .kill_after = 1 + rand() % (NAMES + NAMES / 3 - 1),
            .lock = PTHREAD_MUTEX_INITIALIZER,
            .cond = PTHREAD_COND_INITIALIZER,
        };
        struct timespec deadline;
        pthread_t t;
        struct resp r;
        int rc = 0;

        assert_int_equal(pthread_create(&t, NULL, client, &s), 0);
        /* The deadline only matters when something is broken. */
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += 120;
        pthread_mutex_lock(&s.lock);
        while (!s.in_flight && !s.failed && rc == 0)
            rc = pthread_cond_timedwait(&s.cond, &s.lock, &deadline);
        pthread_mutex_unlock(&s.lock);
        if (!s.in_flight) {
            agentd_kill9(&ad);
            pthread_join(t, NULL);
            fail_msg("round %d: no request in flight after %d answers: %s",
                     round, s.answered, s.failed ? s.why : "timed out");
        }
        /* Sometimes at once, sometimes while the agent works on it. */
        if (rand() % 2)
            usleep((unsigned)(rand() % 2000));
        agentd_kill9(&ad);
        pthread_join(t, NULL);
        assert_int_equal(s.answered, s.kill_after);
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
    assert_int_equal(cut, ROUNDS);      /* every kill cut a request */
    assert_int_equal(agentd_stop(&ad), 0);
    integrity_ok();
    agentd_cleanup(&ad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9),
    };
    return HARNESS_MAIN(tests, NULL, NULL);
}
