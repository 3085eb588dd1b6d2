/*
 * auth.h - who may use the API over TCP.
 *
 * The Unix socket needs nothing more: its file mode (0660) is the access
 * control, as with libvirtd's socket.  A TCP client proves itself with a
 * client certificate signed by --tls-ca, or with a bearer token made by
 * `hvctld token create`.  Tokens are random 256-bit secrets; the database
 * keeps only their SHA-256, and a token has a role: "admin" may do
 * anything, "read-only" only GET.
 */
#ifndef HVCTLD_AUTH_H
#define HVCTLD_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

#define TOKEN_PREFIX "hvt_"
#define TOKEN_LEN (4 + 43)      /* prefix + 32 bytes in base64url */

struct auth;

struct event_base;

/*
 * Tokens of the database st, which lives at db_path.  With base, changes
 * are noticed by an inotify event of priority 0 (the base needs two
 * priorities at least); without, the database is asked at every check.
 */
struct auth *auth_new(struct store *st, const char *db_path,
                      struct event_base *base);
void auth_free(struct auth *au);

/* A fresh secret (NUL-terminated, TOKEN_LEN chars) and its hash. */
int auth_token_generate(char secret[TOKEN_LEN + 1], unsigned char hash[32]);
void auth_token_hash(const char *secret, size_t len, unsigned char hash[32]);

/*
 * Check an Authorization header value ("Bearer <secret>").  Returns the
 * role (enum store_role) and the token's name in who, or -1 when the
 * header is missing, malformed, or names no current token.  Tokens made
 * or revoked by another process are seen at the next call.
 */
int auth_check_bearer(struct auth *au, const char *header, char *who,
                      size_t wholen);

#endif /* HVCTLD_AUTH_H */
