/*
 * unit_event_classes.c - the event log keeps two classes apart: however
 * many lifecycle events a crash loop makes, the audit trail (who defined,
 * changed, undefined what) stays, each class pruned to its own length;
 * a database from before the classes (schema 1) is migrated with its
 * definition events counted as audit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"

static char dir[64], path[128];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/hvctld-classes.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/hvctl.db", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static struct store_event ev_of(int64_t id, const char *type)
{
    struct store_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.id = id;
    ev.time_ms = 1000 + id;
    snprintf(ev.name, sizeof(ev.name), "loop");
    ev.domid = 1;
    snprintf(ev.type, sizeof(ev.type), "%s", type);
    snprintf(ev.cause, sizeof(ev.cause), "guest");
    return ev;
}

/* "type:id type:id ..." of the whole log. */
static int collect(const struct store_event *ev, void *arg)
{
    char one[48];

    snprintf(one, sizeof(one), "%s:%lld ", ev->type, (long long)ev->id);
    strcat(arg, one);
    return 0;
}

static int collect_audit(const struct store_event *ev, void *arg)
{
    return store_event_is_audit(ev->type) ? collect(ev, arg) : 0;
}

static int count(const struct store_event *ev, void *arg)
{
    (*(int *)arg)++;
    return 0;
}

/* A flood of n lifecycle events after id `from`, in batches. */
static void flood(struct store *st, int64_t from, int n, int64_t keep)
{
    struct store_event evs[100];

    for (int done = 0; done < n;) {
        int k = n - done < 100 ? n - done : 100;
        for (int i = 0; i < k; i++)
            evs[i] = ev_of(from + done + i + 1,
                           (done + i) % 2 ? "rebooted" : "crashed");
        assert_int_equal(store_events_append(st, evs, (size_t)k, keep), 0);
        done += k;
    }
}

static void test_audit_outlives_a_flood(void **state)
{
    struct store_def def = { .uuid = "6f1c1b9e-8d52-4a55-9d3b-2b8f0f5b7a01",
                             .name = "loop", .config = "{}",
                             .created_ms = 1, .updated_ms = 1 };
    struct store_event defined = ev_of(1, "defined");
    struct store *st;
    char err[256], *log = calloc(1, 1 << 16);
    int n = 0;

    assert_non_null(log);
    assert_int_equal(store_open(path, &st, err, sizeof(err)), 0);
    assert_int_equal(store_def_insert(st, &def, &defined), 0);
    /* Twenty times the lifecycle retention. */
    flood(st, 1, 1000, 50);
    assert_int_equal(store_events_since(st, 0, 100000, count, &n), 0);
    assert_int_equal(n, 51);
    assert_int_equal(store_events_since(st, 0, 2, collect, log), 0);
    assert_string_equal(log, "defined:1 crashed:952 ");

    /* The audit class has its own length. */
    store_events_set_audit_keep(st, 2);
    for (int i = 0; i < 3; i++) {
        struct store_event up = ev_of(1002 + i, "updated");
        assert_int_equal(store_events_append(st, &up, 1, 50), 0);
    }
    log[0] = '\0';
    assert_int_equal(store_events_since(st, 0, 100000, collect_audit, log),
                     0);
    assert_string_equal(log, "updated:1003 updated:1004 ");
    store_close(st);
    free(log);
}

/* A schema-1 database: its definition events become audit ones. */
static void test_migrated_log(void **state)
{
    struct store *st;
    sqlite3 *db;
    char err[256], log[256] = "";
    int n = 0;

    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(store_migrate(db, store_migrations, 1, err, sizeof(err)),
                     0);
    assert_int_equal(sqlite3_exec(db,
        "INSERT INTO events (id, time_ms, name, type, cause) VALUES "
        "(1, 1, 'old', 'defined', 'api'), (2, 2, 'old', 'started', 'api'),"
        "(3, 3, 'old', 'autostart_on', 'api')", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    assert_int_equal(store_open(path, &st, err, sizeof(err)), 0);
    flood(st, 3, 300, 10);
    assert_int_equal(store_events_since(st, 0, 3, collect, log), 0);
    assert_string_equal(log, "defined:1 autostart_on:3 crashed:294 ");
    assert_int_equal(store_events_since(st, 0, 100000, count, &n), 0);
    assert_int_equal(n, 12);
    store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_audit_outlives_a_flood, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migrated_log, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
