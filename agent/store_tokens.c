/*
 * store_tokens.c - API tokens for TCP clients.  Only a SHA-256 of each
 * secret is stored: a copy of the database does not give access.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "util.h"

static const char *role_name(enum store_role r)
{
    return r == STORE_ROLE_READONLY ? "read-only" : "admin";
}

int store_token_add(struct store *st, const char *name,
                    const unsigned char hash[32], enum store_role role)
{
    sqlite3_stmt *s = st_stmt(st, SQL_TOK_INSERT);

    if (s) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_blob(s, 2, hash, 32, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, role_name(role), -1, SQLITE_STATIC);
        sqlite3_bind_int64(s, 4, now_real_ms());
    }
    return st_exec(st, s, "adding a token");
}

int store_token_revoke(struct store *st, const char *name)
{
    sqlite3_stmt *s = st_stmt(st, SQL_TOK_DELETE);
    int rc;

    if (s)
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    rc = st_exec(st, s, "revoking a token");
    if (rc == 0 && sqlite3_changes(st->db) == 0) {
        snprintf(st->err, sizeof(st->err), "token '%s': no such token", name);
        rc = -ENOENT;
    }
    return rc;
}

int store_token_foreach(struct store *st,
                        int (*fn)(const struct store_token *t, void *arg),
                        void *arg)
{
    sqlite3_stmt *s = st_stmt(st, SQL_TOK_ALL);
    int rc = 0, step;

    if (!s)
        return -EIO;
    while ((step = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_token t;
        const unsigned char *name = sqlite3_column_text(s, 1);
        const unsigned char *role = sqlite3_column_text(s, 3);

        memset(&t, 0, sizeof(t));
        t.id = sqlite3_column_int64(s, 0);
        snprintf(t.name, sizeof(t.name), "%s", name ? (const char *)name : "");
        if (sqlite3_column_bytes(s, 2) == 32)
            memcpy(t.hash, sqlite3_column_blob(s, 2), 32);
        t.role = role && strcmp((const char *)role, "read-only") == 0
                 ? STORE_ROLE_READONLY : STORE_ROLE_ADMIN;
        t.created_ms = sqlite3_column_int64(s, 4);
        if ((rc = fn(&t, arg)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = st_fail(st, step, "reading the tokens");
    sqlite3_reset(s);
    return rc;
}
