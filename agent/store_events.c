/*
 * store_events.c - the event log: lifecycle events with time and cause,
 * and the audit trail of the definitions, each class kept to a bounded
 * length of its own, read back for Server-Sent Events replay.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"

#define TEXT(s) (s), -1, SQLITE_STATIC

bool store_event_is_audit(const char *type)
{
    static const char *const audit[] = {
        "defined", "updated", "undefined", "autostart_on", "autostart_off",
    };

    for (size_t i = 0; i < sizeof(audit) / sizeof(audit[0]); i++)
        if (strcmp(type, audit[i]) == 0)
            return true;
    return false;
}

void store_events_set_audit_keep(struct store *st, int64_t keep)
{
    st->audit_keep = keep;
}

int st_event_insert(struct store *st, const struct store_event *ev)
{
    sqlite3_stmt *s = st_stmt(st, SQL_EV_INSERT);

    if (!s)
        return -EIO;
    sqlite3_bind_int64(s, 1, ev->id);
    sqlite3_bind_int64(s, 2, ev->time_ms);
    sqlite3_bind_text(s, 3, TEXT(ev->uuid));
    sqlite3_bind_text(s, 4, TEXT(ev->name));
    if (ev->domid >= 0)
        sqlite3_bind_int64(s, 5, ev->domid);
    else
        sqlite3_bind_null(s, 5);
    sqlite3_bind_text(s, 6, TEXT(ev->type));
    sqlite3_bind_text(s, 7, TEXT(ev->cause));
    sqlite3_bind_text(s, 8, TEXT(ev->detail));
    sqlite3_bind_text(s, 9, TEXT(store_event_is_audit(ev->type)
                                 ? "audit" : "lifecycle"));
    sqlite3_bind_text(s, 10, TEXT(ev->reason[0] ? ev->reason : "unknown"));
    return st_exec(st, s, "logging an event");
}

/* Keep the newest `keep` events of class (< 1: all of them). */
static int prune(struct store *st, const char *class, int64_t keep)
{
    sqlite3_stmt *s;

    if (keep < 1)
        return 0;
    s = st_stmt(st, SQL_EV_PRUNE);
    if (s) {
        sqlite3_bind_int64(s, 1, keep);
        sqlite3_bind_text(s, 2, TEXT(class));
    }
    return st_exec(st, s, "pruning the event log");
}

int store_events_append(struct store *st, const struct store_event *ev,
                        size_t n, int64_t keep)
{
    int rc;

    if ((rc = st_begin(st)))
        return rc;
    for (size_t i = 0; i < n; i++)
        if ((rc = st_event_insert(st, &ev[i])))
            goto fail;
    if ((rc = prune(st, "lifecycle", keep)) ||
        (rc = prune(st, "audit", st->audit_keep)))
        goto fail;
    return st_commit(st);
fail:
    st_rollback(st);
    return rc;
}

int64_t store_events_max_id(struct store *st)
{
    sqlite3_stmt *s = st_stmt(st, SQL_EV_MAX);
    int64_t v = 0;

    if (s && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    if (s)
        sqlite3_reset(s);
    return v;
}

static void copy_col(char *dst, size_t len, sqlite3_stmt *s, int col)
{
    const unsigned char *t = sqlite3_column_text(s, col);

    snprintf(dst, len, "%s", t ? (const char *)t : "");
}

int store_events_since(struct store *st, int64_t after, size_t limit,
                       int (*fn)(const struct store_event *ev, void *arg),
                       void *arg)
{
    sqlite3_stmt *s = st_stmt(st, SQL_EV_SINCE);
    int rc = 0, step;

    if (!s)
        return -EIO;
    sqlite3_bind_int64(s, 1, after);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_event ev;

        memset(&ev, 0, sizeof(ev));
        ev.id = sqlite3_column_int64(s, 0);
        ev.time_ms = sqlite3_column_int64(s, 1);
        copy_col(ev.uuid, sizeof(ev.uuid), s, 2);
        copy_col(ev.name, sizeof(ev.name), s, 3);
        ev.domid = sqlite3_column_type(s, 4) == SQLITE_NULL
                   ? -1 : sqlite3_column_int64(s, 4);
        copy_col(ev.type, sizeof(ev.type), s, 5);
        copy_col(ev.cause, sizeof(ev.cause), s, 6);
        copy_col(ev.detail, sizeof(ev.detail), s, 7);
        copy_col(ev.reason, sizeof(ev.reason), s, 8);
        if ((rc = fn(&ev, arg)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = st_fail(st, step, "reading the event log");
    sqlite3_reset(s);
    return rc;
}

int store_events_last(struct store *st, const char *uuid, char *type,
                      size_t type_len, char *reason, size_t reason_len)
{
    sqlite3_stmt *s = st_stmt(st, SQL_EV_LAST);
    int rc = -ENOENT, step;

    if (!s)
        return -EIO;
    sqlite3_bind_text(s, 1, TEXT(uuid));
    step = sqlite3_step(s);
    if (step == SQLITE_ROW) {
        copy_col(type, type_len, s, 0);
        copy_col(reason, reason_len, s, 1);
        rc = 0;
    } else if (step != SQLITE_DONE) {
        rc = st_fail(st, step, "reading the event log");
    }
    sqlite3_reset(s);
    return rc;
}
