/*
 * store_domains.c - domain definitions and the `running` bookkeeping.
 * Each change and its event-log entry commit together or not at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define TEXT(s) (s), -1, SQLITE_STATIC

/* BEGIN; run s; log ev; COMMIT; `expect_row`: a change of 0 rows is -ENOENT. */
static int change(struct store *st, sqlite3_stmt *s, bool expect_row,
                  const struct store_event *ev, const char *what)
{
    int rc;

    if (!s)
        return -EIO;
    if ((rc = st_begin(st)))
        return rc;
    rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) {
        rc = st_fail(st, rc, what);
        goto fail;
    }
    if (expect_row && sqlite3_changes(st->db) == 0) {
        snprintf(st->err, sizeof(st->err), "%s: no such domain", what);
        rc = -ENOENT;
        goto fail;
    }
    if (ev && (rc = st_event_insert(st, ev)))
        goto fail;
    return st_commit(st);
fail:
    st_rollback(st);
    return rc;
}

int store_def_insert(struct store *st, const struct store_def *def,
                     const struct store_event *ev)
{
    sqlite3_stmt *s = st_stmt(st, SQL_DEF_INSERT);

    if (s) {
        sqlite3_bind_text(s, 1, TEXT(def->uuid));
        sqlite3_bind_text(s, 2, TEXT(def->name));
        sqlite3_bind_text(s, 3, TEXT(def->config));
        sqlite3_bind_int(s, 4, def->autostart);
        sqlite3_bind_int64(s, 5, def->created_ms);
        sqlite3_bind_int64(s, 6, def->updated_ms);
    }
    return change(st, s, false, ev, "defining a domain");
}

int store_def_update(struct store *st, const struct store_def *def,
                     const struct store_event *ev)
{
    sqlite3_stmt *s = st_stmt(st, SQL_DEF_UPDATE);

    if (s) {
        sqlite3_bind_text(s, 1, TEXT(def->uuid));
        sqlite3_bind_text(s, 2, TEXT(def->config));
        sqlite3_bind_int64(s, 3, def->updated_ms);
    }
    return change(st, s, true, ev, "updating a definition");
}

int store_def_set_autostart(struct store *st, const char *uuid, bool on,
                            int64_t now_ms, const struct store_event *ev)
{
    sqlite3_stmt *s = st_stmt(st, SQL_DEF_AUTOSTART);

    if (s) {
        sqlite3_bind_text(s, 1, TEXT(uuid));
        sqlite3_bind_int(s, 2, on);
        sqlite3_bind_int64(s, 3, now_ms);
    }
    return change(st, s, true, ev, "setting autostart");
}

int store_def_delete(struct store *st, const char *uuid,
                     const struct store_event *ev)
{
    sqlite3_stmt *s = st_stmt(st, SQL_DEF_DELETE);

    if (s)
        sqlite3_bind_text(s, 1, TEXT(uuid));
    return change(st, s, true, ev, "undefining a domain");
}

static void copy_col(char *dst, size_t len, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);

    snprintf(dst, len, "%s", t ? (const char *)t : "");
}

int store_def_foreach(struct store *st,
                      int (*fn)(const struct store_def *def, void *arg),
                      void *arg)
{
    sqlite3_stmt *s = st_stmt(st, SQL_DEF_ALL);
    int rc = 0, step;

    if (!s)
        return -EIO;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_def def;
        const unsigned char *cfg = sqlite3_column_text(s, 2);

        memset(&def, 0, sizeof(def));
        copy_col(def.uuid, sizeof(def.uuid), s, 0);
        copy_col(def.name, sizeof(def.name), s, 1);
        def.config = (char *)(cfg ? cfg : (const unsigned char *)"");
        def.autostart = sqlite3_column_int(s, 3) != 0;
        def.created_ms = sqlite3_column_int64(s, 4);
        def.updated_ms = sqlite3_column_int64(s, 5);
        if ((rc = fn(&def, arg)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = st_fail(st, step, "reading the definitions");
    sqlite3_reset(s);
    return rc;
}

void store_def_clear(struct store_def *def)
{
    free(def->config);
    def->config = NULL;
}

int store_running_set(struct store *st, const char *uuid, int64_t domid,
                      int64_t since_ms)
{
    sqlite3_stmt *s = st_stmt(st, SQL_RUN_SET);

    if (s) {
        sqlite3_bind_text(s, 1, TEXT(uuid));
        sqlite3_bind_int64(s, 2, domid);
        sqlite3_bind_int64(s, 3, since_ms);
    }
    return st_exec(st, s, "recording a running domain");
}

int store_running_clear(struct store *st, const char *uuid)
{
    sqlite3_stmt *s = st_stmt(st, SQL_RUN_CLEAR);

    if (s)
        sqlite3_bind_text(s, 1, TEXT(uuid));
    return st_exec(st, s, "recording a stopped domain");
}

int store_running_foreach(struct store *st,
                          int (*fn)(const char *uuid, const char *name,
                                    int64_t domid, void *arg),
                          void *arg)
{
    sqlite3_stmt *s = st_stmt(st, SQL_RUN_ALL);
    int rc = 0, step;

    if (!s)
        return -EIO;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        char uuid[37], name[64];

        copy_col(uuid, sizeof(uuid), s, 0);
        copy_col(name, sizeof(name), s, 1);
        if ((rc = fn(uuid, name, sqlite3_column_int64(s, 2), arg)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = st_fail(st, step, "reading the running domains");
    sqlite3_reset(s);
    return rc;
}
