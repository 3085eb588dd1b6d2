/*
 * store.c - opening the database, its settings, migrations, and the
 * statement cache the other store_*.c files use.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_int.h"

static const char *const sql_text[SQL_COUNT] = {
    [SQL_BEGIN] = "BEGIN IMMEDIATE",
    [SQL_COMMIT] = "COMMIT",
    [SQL_ROLLBACK] = "ROLLBACK",
    [SQL_DEF_INSERT] =
        "INSERT INTO domains (uuid, name, config, autostart, created_ms, "
        "updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [SQL_DEF_UPDATE] =
        "UPDATE domains SET config = ?2, updated_ms = ?3 WHERE uuid = ?1",
    [SQL_DEF_AUTOSTART] =
        "UPDATE domains SET autostart = ?2, updated_ms = ?3 WHERE uuid = ?1",
    [SQL_DEF_DELETE] = "DELETE FROM domains WHERE uuid = ?1",
    [SQL_DEF_ALL] =
        "SELECT uuid, name, config, autostart, created_ms, updated_ms "
        "FROM domains ORDER BY name",
    [SQL_RUN_SET] =
        "INSERT OR REPLACE INTO running (uuid, domid, since_ms) "
        "VALUES (?1, ?2, ?3)",
    [SQL_RUN_CLEAR] = "DELETE FROM running WHERE uuid = ?1",
    [SQL_RUN_ALL] =
        "SELECT r.uuid, d.name, r.domid FROM running r "
        "JOIN domains d ON d.uuid = r.uuid ORDER BY r.domid",
    [SQL_EV_INSERT] =
        "INSERT INTO events (id, time_ms, uuid, name, domid, type, cause, "
        "detail, class, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, "
        "?10)",
    /* The newest ?1 of class ?2 stay: one index walk, whatever the
     * other class holds. */
    [SQL_EV_PRUNE] =
        "DELETE FROM events WHERE class = ?2 AND id <= (SELECT id FROM "
        "events WHERE class = ?2 ORDER BY id DESC LIMIT 1 OFFSET ?1)",
    [SQL_EV_MAX] = "SELECT coalesce(max(id), 0) FROM events",
    [SQL_EV_SINCE] =
        "SELECT id, time_ms, uuid, name, domid, type, cause, detail, reason "
        "FROM events WHERE id > ?1 ORDER BY id LIMIT ?2",
    [SQL_EV_LAST] =
        "SELECT type, reason FROM events WHERE uuid = ?1 AND "
        "class = 'lifecycle' ORDER BY id DESC LIMIT 1",
    [SQL_TOK_INSERT] =
        "INSERT INTO tokens (name, hash, role, created_ms) "
        "VALUES (?1, ?2, ?3, ?4)",
    [SQL_TOK_DELETE] = "DELETE FROM tokens WHERE name = ?1",
    [SQL_TOK_ALL] =
        "SELECT id, name, hash, role, created_ms FROM tokens ORDER BY id",
    [SQL_DATA_VERSION] = "PRAGMA data_version",
};

int st_fail(struct store *st, int rc, const char *what)
{
    snprintf(st->err, sizeof(st->err), "%s: %s", what, sqlite3_errmsg(st->db));
    /* Extended result codes are on: rc itself says which constraint. */
    if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
        return -EEXIST;
    return -EIO;
}

sqlite3_stmt *st_stmt(struct store *st, enum stmt_id id)
{
    sqlite3_stmt *s = st->stmt[id];
    int rc;

    if (s) {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
        return s;
    }
    rc = sqlite3_prepare_v3(st->db, sql_text[id], -1, SQLITE_PREPARE_PERSISTENT,
                            &s, NULL);
    if (rc != SQLITE_OK) {
        st_fail(st, rc, "preparing a statement");
        return NULL;
    }
    st->stmt[id] = s;
    return s;
}

int st_exec(struct store *st, sqlite3_stmt *s, const char *what)
{
    int rc;

    if (!s)
        return -EIO;
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return st_fail(st, rc, what);
    return 0;
}

int st_begin(struct store *st)
{
    return st_exec(st, st_stmt(st, SQL_BEGIN), "begin");
}

int st_commit(struct store *st)
{
    int rc = st_exec(st, st_stmt(st, SQL_COMMIT), "commit");

    if (rc)
        st_rollback(st);
    return rc;
}

void st_rollback(struct store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        st_exec(st, st_stmt(st, SQL_ROLLBACK), "rollback");
}

int store_user_version(sqlite3 *db)
{
    sqlite3_stmt *s;
    int v = -1;

    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL))
        return -1;
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* Run SQL text (several statements); on error, errbuf says why. */
static int exec_sql(sqlite3 *db, const char *sql, char *errbuf, size_t errlen,
                    const char *what)
{
    char *msg = NULL;

    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return 0;
    snprintf(errbuf, errlen, "%s: %s", what, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return -EIO;
}

int store_migrate(sqlite3 *db, const struct store_migration *m, size_t n,
                  char *errbuf, size_t errlen)
{
    char what[64], pragma[48];
    int have;

    for (size_t i = 0; i < n; i++) {
        if (i > 0 && m[i].to <= m[i - 1].to) {
            snprintf(errbuf, errlen, "migration %zu goes to version %d, not "
                     "above %d", i, m[i].to, m[i - 1].to);
            return -EIO;
        }
        /* IMMEDIATE, and the version read inside: two processes opening
         * the same fresh database migrate it once. */
        if (exec_sql(db, "BEGIN IMMEDIATE", errbuf, errlen, "migration"))
            return -EIO;
        have = store_user_version(db);
        if (have < 0) {
            snprintf(errbuf, errlen, "reading user_version: %s",
                     sqlite3_errmsg(db));
            goto fail;
        }
        if (have >= m[i].to) {
            exec_sql(db, "COMMIT", errbuf, errlen, "migration");
            continue;
        }
        snprintf(what, sizeof(what), "migrating the schema to version %d",
                 m[i].to);
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m[i].to);
        if (exec_sql(db, m[i].sql, errbuf, errlen, what) ||
            exec_sql(db, pragma, errbuf, errlen, what) ||
            exec_sql(db, "COMMIT", errbuf, errlen, what))
            goto fail;
    }
    return 0;
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -EIO;
}

/* One PRAGMA whose single result must be `want` (NULL: anything). */
static int pragma(sqlite3 *db, const char *sql, const char *want,
                  char *errbuf, size_t errlen)
{
    sqlite3_stmt *s;
    int rc, ok = 1;

    rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW && want)
            ok = sqlite3_stricmp((const char *)sqlite3_column_text(s, 0),
                                 want) == 0;
        if (rc == SQLITE_ROW || rc == SQLITE_DONE)
            rc = SQLITE_OK;
        sqlite3_finalize(s);
    }
    if (rc != SQLITE_OK || !ok) {
        snprintf(errbuf, errlen, "%s: %s", sql,
                 rc != SQLITE_OK ? sqlite3_errmsg(db) : "not supported here");
        return -EIO;
    }
    return 0;
}

/* mkdir -p for the directory holding the database. */
static void make_parent(const char *path)
{
    char dir[PATH_MAX];
    char *slash;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0755);
            *p = '/';
        }
    mkdir(dir, 0700);
}

int store_lock(const char *path, int *fd, char *errbuf, size_t errlen)
{
    char lock[PATH_MAX], pid[24];
    int n;

    *fd = -1;
    if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock)) {
        snprintf(errbuf, errlen, "database %s: path too long", path);
        return -1;
    }
    make_parent(path);
    *fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0) {
        snprintf(errbuf, errlen, "%s: %s", lock, strerror(errno));
        return -1;
    }
    if (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;
        n = (int)pread(*fd, pid, sizeof(pid) - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (e == EWOULDBLOCK)
            snprintf(errbuf, errlen, "database %s is in use by another "
                     "hvctld (pid %s)", path, *pid ? pid : "unknown");
        else
            snprintf(errbuf, errlen, "%s: %s", lock, strerror(e));
        close(*fd);
        *fd = -1;
        return -1;
    }
    n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    if (ftruncate(*fd, 0) == 0)
        (void)!pwrite(*fd, pid, (size_t)n, 0);
    return 0;
}

int store_open(const char *path, struct store **out, char *errbuf,
               size_t errlen)
{
    const int latest = store_migrations[store_migrations_count - 1].to;
    struct store *st;
    struct stat sb;
    bool fresh;
    int rc, have;

    *out = NULL;
    st = calloc(1, sizeof(*st));
    if (!st) {
        snprintf(errbuf, errlen, "out of memory");
        return -ENOMEM;
    }
    make_parent(path);
    fresh = stat(path, &sb) < 0;
    rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
                         SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc != SQLITE_OK) {
        snprintf(errbuf, errlen, "%s", st->db ? sqlite3_errmsg(st->db)
                                              : "out of memory");
        goto fail;
    }
    /* Tokens live here (hashed): nobody else needs to read it. */
    if (fresh)
        chmod(path, 0600);
    sqlite3_busy_timeout(st->db, 5000);
    sqlite3_extended_result_codes(st->db, 1);
    if (pragma(st->db, "PRAGMA journal_mode = WAL", "wal", errbuf, errlen) ||
        pragma(st->db, "PRAGMA synchronous = FULL", NULL, errbuf, errlen) ||
        pragma(st->db, "PRAGMA foreign_keys = ON", NULL, errbuf, errlen))
        goto fail;
    have = store_user_version(st->db);
    if (have < 0) {
        snprintf(errbuf, errlen, "not a database: %s", sqlite3_errmsg(st->db));
        goto fail;
    }
    if (have > latest) {
        snprintf(errbuf, errlen, "the schema is version %d, newer than the "
                 "%d this hvctld knows; use a newer hvctld", have, latest);
        goto fail;
    }
    if (store_migrate(st->db, store_migrations, store_migrations_count,
                      errbuf, errlen))
        goto fail;
    st->audit_keep = STORE_AUDIT_KEEP_DEFAULT;
    *out = st;
    return 0;
fail:
    store_close(st);
    return -EIO;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    for (int i = 0; i < SQL_COUNT; i++)
        sqlite3_finalize(st->stmt[i]);
    sqlite3_close(st->db);
    free(st);
}

const char *store_errmsg(const struct store *st)
{
    return st->err;
}

sqlite3 *store_db(struct store *st)
{
    return st->db;
}

char *store_integrity_check(struct store *st)
{
    sqlite3_stmt *s;
    char *res = NULL;

    if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL))
        return strdup(sqlite3_errmsg(st->db));
    if (sqlite3_step(s) == SQLITE_ROW)
        res = strdup((const char *)sqlite3_column_text(s, 0));
    else
        res = strdup(sqlite3_errmsg(st->db));
    sqlite3_finalize(s);
    return res;
}

int64_t store_data_version(struct store *st)
{
    sqlite3_stmt *s = st_stmt(st, SQL_DATA_VERSION);
    int64_t v = -1;

    if (s && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    if (s)
        sqlite3_reset(s);
    return v;
}
