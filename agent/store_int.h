/*
 * store_int.h - what the store_*.c files share.  Not used outside them.
 */
#ifndef HVCTLD_STORE_INT_H
#define HVCTLD_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

/* Every statement the store runs, prepared once on first use. */
enum stmt_id {
    SQL_BEGIN, SQL_COMMIT, SQL_ROLLBACK,
    SQL_DEF_INSERT, SQL_DEF_UPDATE, SQL_DEF_AUTOSTART, SQL_DEF_DELETE,
    SQL_DEF_ALL,
    SQL_RUN_SET, SQL_RUN_CLEAR, SQL_RUN_ALL,
    SQL_EV_INSERT, SQL_EV_PRUNE, SQL_EV_MAX, SQL_EV_SINCE, SQL_EV_LAST,
    SQL_TOK_INSERT, SQL_TOK_DELETE, SQL_TOK_ALL,
    SQL_DATA_VERSION,
    SQL_COUNT
};

struct store {
    sqlite3 *db;
    sqlite3_stmt *stmt[SQL_COUNT];
    char err[256];
    int64_t audit_keep;         /* audit events kept (store_events.c) */
};

/* The cached statement, reset and with bindings cleared; NULL on error. */
sqlite3_stmt *st_stmt(struct store *st, enum stmt_id id);
/* Record a failure of `what` and map it onto -EEXIST / -ENOENT / -EIO. */
int st_fail(struct store *st, int sqlite_rc, const char *what);
int st_begin(struct store *st);
int st_commit(struct store *st);
void st_rollback(struct store *st);
/* Step a statement that returns no rows. */
int st_exec(struct store *st, sqlite3_stmt *s, const char *what);
/* Insert an event inside the caller's transaction. */
int st_event_insert(struct store *st, const struct store_event *ev);

#endif /* HVCTLD_STORE_INT_H */
