/*
 * unit_store.c - the database: settings, migrations, definitions with
 * their events in one transaction, the running bookkeeping, the event
 * log, tokens.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "store.h"

static char dir[64], path[128];

static int setup(void **state)
{
    struct store *st;
    char err[256];

    snprintf(dir, sizeof(dir), "/tmp/hvctld-store.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/sub/hvctl.db", dir);
    assert_int_equal(store_open(path, &st, err, sizeof(err)), 0);
    *state = st;
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];

    store_close(*state);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static const char *pragma(struct store *st, const char *sql)
{
    static char buf[64];
    sqlite3_stmt *s;

    assert_int_equal(sqlite3_prepare_v2(store_db(st), sql, -1, &s, NULL), 0);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    snprintf(buf, sizeof(buf), "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    return buf;
}

static void test_settings(void **state)
{
    struct store *st = *state;
    char *ok = store_integrity_check(st), latest[8];
    struct stat sb;

    snprintf(latest, sizeof(latest), "%d",
             store_migrations[store_migrations_count - 1].to);
    assert_string_equal(pragma(st, "PRAGMA journal_mode"), "wal");
    assert_string_equal(pragma(st, "PRAGMA foreign_keys"), "1");
    assert_string_equal(pragma(st, "PRAGMA synchronous"), "2");   /* FULL */
    assert_string_equal(pragma(st, "PRAGMA user_version"), latest);
    assert_string_equal(ok, "ok");
    free(ok);
    /* Tokens live there: only the owner reads it. */
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

static void test_newer_schema_refused(void **state)
{
    const int latest = store_migrations[store_migrations_count - 1].to;
    struct store *st;
    char err[256], want[128], back[48], *msg = NULL;

    assert_int_equal(sqlite3_exec(store_db(*state), "PRAGMA user_version = 99",
                                  NULL, NULL, &msg), 0);
    assert_int_equal(store_open(path, &st, err, sizeof(err)), -EIO);
    assert_null(st);
    snprintf(want, sizeof(want), "the schema is version 99, newer than the "
             "%d this hvctld knows; use a newer hvctld", latest);
    assert_string_equal(err, want);
    snprintf(back, sizeof(back), "PRAGMA user_version = %d", latest);
    sqlite3_exec(store_db(*state), back, NULL, NULL, NULL);
}

static void test_migrations(void **state)
{
    static const struct store_migration good[] = {
        { 1, "CREATE TABLE a (x INTEGER)" },
        { 2, "CREATE TABLE b (x INTEGER); INSERT INTO b VALUES (1)" },
    };
    static const struct store_migration bad[] = {
        { 1, "CREATE TABLE a (x INTEGER)" },
        { 2, "CREATE TABLE b (x INTEGER)" },
        { 3, "CREATE TABLE c (x INTEGER); INSERT INTO nowhere VALUES (1)" },
    };
    static const struct store_migration unordered[] = {
        { 2, "SELECT 1" }, { 1, "SELECT 1" },
    };
    char file[160], err[256];
    sqlite3 *db;
    sqlite3_stmt *s;

    snprintf(file, sizeof(file), "%s/m.db", dir);
    assert_int_equal(sqlite3_open(file, &db), 0);
    assert_int_equal(store_user_version(db), 0);
    assert_int_equal(store_migrate(db, good, 1, err, sizeof(err)), 0);
    assert_int_equal(store_user_version(db), 1);
    /* Forward from 1: only the new step runs. */
    assert_int_equal(store_migrate(db, good, 2, err, sizeof(err)), 0);
    assert_int_equal(store_user_version(db), 2);
    assert_int_equal(store_migrate(db, good, 2, err, sizeof(err)), 0);
    /* A failing step leaves the database as it was. */
    assert_int_equal(store_migrate(db, bad, 3, err, sizeof(err)), -EIO);
    assert_string_equal(err, "migrating the schema to version 3: no such "
                        "table: nowhere");
    assert_int_equal(store_user_version(db), 2);
    assert_int_not_equal(sqlite3_prepare_v2(db, "SELECT * FROM c", -1, &s,
                                            NULL), SQLITE_OK);
    assert_int_equal(store_migrate(db, unordered, 2, err, sizeof(err)), -EIO);
    assert_string_equal(err, "migration 1 goes to version 1, not above 2");
    sqlite3_close(db);
}

static struct store_event ev_of(int64_t id, const char *type)
{
    struct store_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.id = id;
    ev.time_ms = 1000 + id;
    snprintf(ev.name, sizeof(ev.name), "web");
    ev.domid = -1;
    snprintf(ev.type, sizeof(ev.type), "%s", type);
    snprintf(ev.cause, sizeof(ev.cause), "api");
    return ev;
}

static int count_defs(const struct store_def *d, void *arg)
{
    (*(int *)arg)++;
    return 0;
}

static int last_def_autostart(const struct store_def *d, void *arg)
{
    *(int *)arg = d->autostart;
    return 0;
}

static int collect_types(const struct store_event *ev, void *arg)
{
    strcat(arg, ev->type);
    strcat(arg, " ");
    return 0;
}

static void test_definitions(void **state)
{
    struct store *st = *state;
    struct store_def def = { .uuid = "00000000-0000-4000-8000-000000000001",
                             .name = "web", .config = "{}",
                             .created_ms = 1, .updated_ms = 1 };
    struct store_event ev = ev_of(1, "defined");
    char types[256] = "";
    int n = 0, autostart = -1;

    assert_int_equal(store_def_insert(st, &def, &ev), 0);
    /* The same name, or the same uuid, again: nothing changes. */
    ev = ev_of(2, "defined");
    def.uuid[35] = '2';
    assert_int_equal(store_def_insert(st, &def, &ev), -EEXIST);
    snprintf(def.name, sizeof(def.name), "db");
    def.uuid[35] = '1';
    assert_int_equal(store_def_insert(st, &def, &ev), -EEXIST);
    assert_int_equal(store_def_foreach(st, count_defs, &n), 0);
    assert_int_equal(n, 1);
    /* The failed defines logged nothing: event and row go together. */
    assert_int_equal(store_events_since(st, 0, 100, collect_types, types), 0);
    assert_string_equal(types, "defined ");

    def.config = "{\"x\": 1}";
    ev = ev_of(3, "updated");
    assert_int_equal(store_def_update(st, &def, &ev), 0);
    ev = ev_of(4, "autostart_on");
    assert_int_equal(store_def_set_autostart(st, def.uuid, true, 5, &ev), 0);
    assert_int_equal(store_def_foreach(st, last_def_autostart, &autostart), 0);
    assert_int_equal(autostart, 1);
    ev = ev_of(5, "undefined");
    assert_int_equal(store_def_delete(st, def.uuid, &ev), 0);
    assert_int_equal(store_def_delete(st, def.uuid, &ev), -ENOENT);
    assert_string_equal(store_errmsg(st), "undefining a domain: no such "
                        "domain");
    n = 0;
    assert_int_equal(store_def_foreach(st, count_defs, &n), 0);
    assert_int_equal(n, 0);
    types[0] = '\0';
    assert_int_equal(store_events_since(st, 0, 100, collect_types, types), 0);
    assert_string_equal(types, "defined updated autostart_on undefined ");
}

static int count_running(const char *uuid, const char *name, int64_t domid,
                         void *arg)
{
    assert_string_equal(name, "web");
    *(int64_t *)arg = domid;
    return 0;
}

static void test_running_cascade(void **state)
{
    struct store *st = *state;
    struct store_def def = { .uuid = "00000000-0000-4000-8000-000000000009",
                             .name = "web", .config = "{}" };
    int64_t domid = 0;

    assert_int_equal(store_def_insert(st, &def, NULL), 0);
    assert_int_equal(store_running_set(st, def.uuid, 7, 100), 0);
    assert_int_equal(store_running_foreach(st, count_running, &domid), 0);
    assert_int_equal(domid, 7);
    /* Only a defined domain can be recorded as running. */
    assert_int_equal(store_running_set(st, "no-such-uuid", 8, 100), -EIO);
    /* Undefining removes the record with the definition. */
    assert_int_equal(store_def_delete(st, def.uuid, NULL), 0);
    domid = 0;
    assert_int_equal(store_running_foreach(st, count_running, &domid), 0);
    assert_int_equal(domid, 0);
}

static void test_event_log(void **state)
{
    struct store *st = *state;
    struct store_event evs[10];
    char types[512] = "";

    for (int i = 0; i < 10; i++)
        evs[i] = ev_of(i + 1, i % 2 ? "paused" : "unpaused");
    assert_int_equal(store_events_append(st, evs, 10, 4), 0);
    assert_int_equal(store_events_max_id(st), 10);
    assert_int_equal(store_events_since(st, 0, 100, collect_types, types), 0);
    assert_string_equal(types, "unpaused paused unpaused paused ");
    types[0] = '\0';
    assert_int_equal(store_events_since(st, 8, 1, collect_types, types), 0);
    assert_string_equal(types, "unpaused ");
}

static int count_tokens(const struct store_token *t, void *arg)
{
    (*(int *)arg)++;
    assert_int_equal(t->hash[0], 0xab);
    return 0;
}

static void test_tokens(void **state)
{
    struct store *st = *state, *other;
    unsigned char hash[32];
    char err[256];
    int64_t v;
    int n = 0;

    memset(hash, 0xab, sizeof(hash));
    assert_int_equal(store_token_add(st, "ci", hash, STORE_ROLE_ADMIN), 0);
    assert_int_equal(store_token_add(st, "ci", hash, STORE_ROLE_READONLY),
                     -EEXIST);
    hash[31] = 1;
    assert_int_equal(store_token_add(st, "mon", hash, STORE_ROLE_READONLY), 0);
    assert_int_equal(store_token_foreach(st, count_tokens, &n), 0);
    assert_int_equal(n, 2);
    /* Another process's change shows in data_version. */
    v = store_data_version(st);
    assert_int_equal(store_open(path, &other, err, sizeof(err)), 0);
    assert_int_equal(store_token_revoke(other, "mon"), 0);
    assert_int_equal(store_token_revoke(other, "mon"), -ENOENT);
    assert_string_equal(store_errmsg(other), "token 'mon': no such token");
    store_close(other);
    assert_int_not_equal(store_data_version(st), v);
    n = 0;
    assert_int_equal(store_token_foreach(st, count_tokens, &n), 0);
    assert_int_equal(n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_definitions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_running_cascade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
