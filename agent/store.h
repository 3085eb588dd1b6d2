/*
 * store.h - hvctld's SQLite database: domain definitions, the event log,
 * API tokens, and which defined domains were running (to tell, after a
 * restart, which of them vanished meanwhile).
 *
 * The database runs in WAL mode with foreign keys on and synchronous=FULL:
 * a change is durable once its function returns, which is when the REST
 * API acknowledges it.  Every change is one transaction.  The schema is
 * versioned by PRAGMA user_version and brought forward by the migrations
 * in store_schema.c, each in its own transaction.
 *
 * Functions return 0 or a negative errno: -EEXIST for a uniqueness
 * violation, -ENOENT for a missing row, -EIO for anything else; the
 * message of the last failure is store_errmsg().  A store is used by one
 * thread at a time.
 */
#ifndef HVCTLD_STORE_H
#define HVCTLD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
typedef struct sqlite3 sqlite3;

/* A persistent domain definition. */
struct store_def {
    char uuid[37];
    char name[64];
    char *config;               /* JSON text (hv_config_to_json) */
    bool autostart;
    int64_t created_ms, updated_ms;
};

/* One entry of the event log. */
struct store_event {
    int64_t id;                 /* also the SSE event id            */
    int64_t time_ms;
    char uuid[37];              /* "" when unknown                   */
    char name[64];
    int64_t domid;              /* -1 when none                      */
    char type[24];              /* "started", "defined", ...         */
    char cause[24];             /* hv_cause_name(): "api", "guest", ... */
    char reason[24];            /* hv_reason_name(): "booted", ...   */
    char detail[160];
};

enum store_role { STORE_ROLE_ADMIN = 0, STORE_ROLE_READONLY = 1 };

struct store_token {
    int64_t id;
    char name[64];
    unsigned char hash[32];     /* SHA-256 of the secret */
    enum store_role role;
    int64_t created_ms;
};

/* A migration: SQL run in one transaction that ends at user_version `to`. */
struct store_migration {
    int to;
    const char *sql;
};
extern const struct store_migration store_migrations[];
extern const size_t store_migrations_count;

/*
 * Open (creating if needed) the database at path and migrate it to the
 * latest schema.  Refuses a database newer than this program.  On failure
 * *out is NULL and errbuf says why.
 */
int store_open(const char *path, struct store **out, char *errbuf,
               size_t errlen);
void store_close(struct store *st);
/*
 * One agent per database: an exclusive flock(2) on PATH.lock (made, with
 * the database's directory, if missing), which then holds our pid.  The
 * kernel drops it when the process ends, however it ends.  *fd is the
 * lock (close-on-exec, so no hvcore inherits it); -1 with errbuf when
 * another process holds it or the file cannot be made.
 */
int store_lock(const char *path, int *fd, char *errbuf, size_t errlen);
const char *store_errmsg(const struct store *st);
sqlite3 *store_db(struct store *st);

/*
 * Run the migrations above the database's user_version, in order, each in
 * its own transaction together with the new user_version.  Exposed so that
 * the tests can run their own lists.  0, or -EIO with a message in errbuf.
 */
int store_migrate(sqlite3 *db, const struct store_migration *m, size_t n,
                  char *errbuf, size_t errlen);
int store_user_version(sqlite3 *db);

/* "ok", or the first problem PRAGMA integrity_check reports (caller frees). */
char *store_integrity_check(struct store *st);

/* ---- definitions (store_domains.c) ----
 * `ev`, if not NULL, is appended to the event log in the same transaction.
 */
int store_def_insert(struct store *st, const struct store_def *def,
                     const struct store_event *ev);
/* Replace config (and updated_ms) of the definition with def->uuid. */
int store_def_update(struct store *st, const struct store_def *def,
                     const struct store_event *ev);
int store_def_set_autostart(struct store *st, const char *uuid, bool on,
                            int64_t now_ms, const struct store_event *ev);
int store_def_delete(struct store *st, const char *uuid,
                     const struct store_event *ev);
/* Call fn for every definition (def is borrowed for the call). */
int store_def_foreach(struct store *st,
                      int (*fn)(const struct store_def *def, void *arg),
                      void *arg);
void store_def_clear(struct store_def *def);

/* Which incarnation of a defined domain is running (for re-adoption). */
int store_running_set(struct store *st, const char *uuid, int64_t domid,
                      int64_t since_ms);
int store_running_clear(struct store *st, const char *uuid);
int store_running_foreach(struct store *st,
                          int (*fn)(const char *uuid, const char *name,
                                    int64_t domid, void *arg),
                          void *arg);

/* ---- event log (store_events.c) ----
 * Two classes of events, each kept to its own length: the audit trail
 * (definitions: defined, updated, undefined, autostart_on/_off) and the
 * lifecycle of the domains (everything else).
 */
#define STORE_AUDIT_KEEP_DEFAULT 100000
bool store_event_is_audit(const char *type);
/* Audit events kept (default STORE_AUDIT_KEEP_DEFAULT; < 1: all). */
void store_events_set_audit_keep(struct store *st, int64_t keep);
/* Append n events in one transaction, then keep only the newest `keep`
 * lifecycle events (< 1: all) and the newest audit ones. */
int store_events_append(struct store *st, const struct store_event *ev,
                        size_t n, int64_t keep);
/* Highest id in the log (0 when empty). */
int64_t store_events_max_id(struct store *st);
/*
 * The type and reason of the last lifecycle event of uuid: 0, -ENOENT
 * when there is none, or -EIO.
 */
int store_events_last(struct store *st, const char *uuid, char *type,
                      size_t type_len, char *reason, size_t reason_len);
/* Events with id > after, oldest first, at most limit of them. */
int store_events_since(struct store *st, int64_t after, size_t limit,
                       int (*fn)(const struct store_event *ev, void *arg),
                       void *arg);

/* ---- tokens (store_tokens.c) ---- */
int store_token_add(struct store *st, const char *name,
                    const unsigned char hash[32], enum store_role role);
int store_token_revoke(struct store *st, const char *name);
int store_token_foreach(struct store *st,
                        int (*fn)(const struct store_token *t, void *arg),
                        void *arg);
/* Changes whenever another connection commits (PRAGMA data_version). */
int64_t store_data_version(struct store *st);

#endif /* HVCTLD_STORE_H */
