/*
 * auth.c - see auth.h.
 *
 * The daemon keeps the token hashes in memory and reloads them when the
 * database changed under it (PRAGMA data_version moves whenever another
 * connection, such as `hvctld token revoke`, commits), so a revocation
 * takes effect at the next request without a restart.
 *
 * Asking SQLite on every request would cost a read transaction (file
 * locks: several system calls) on the hot path.  Instead an inotify watch
 * on the database's directory says when any of its files was written,
 * and only then is data_version consulted.  The watch is an event of the
 * highest priority: a change made before a request was sent is queued
 * before the request's bytes arrive, so within the loop iteration that
 * sees both, the watch is handled first.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth.h"
#include "log.h"

struct auth {
    struct store *st;
    int ino_fd;                 /* -1: no inotify, ask SQLite each time */
    struct event *ino_ev;
    bool touched;               /* the database changed since the load */
    EVP_MD *sha256;             /* fetched once: OpenSSL 3 fetches are slow */
    EVP_MD_CTX *md;
    int64_t data_version;
    struct store_token *tok;
    size_t n, cap;
};

static int collect(const struct store_token *t, void *arg)
{
    struct auth *au = arg;

    if (au->n == au->cap) {
        size_t cap = au->cap ? au->cap * 2 : 8;
        struct store_token *v = realloc(au->tok, cap * sizeof(*v));
        if (!v)
            return -1;
        au->tok = v;
        au->cap = cap;
    }
    au->tok[au->n++] = *t;
    return 0;
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
    struct auth *au = arg;
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

    while (read(fd, buf, sizeof(buf)) > 0)
        au->touched = true;
}

static void reload(struct auth *au)
{
    int64_t v;

    if (au->ino_fd >= 0 && !au->touched && au->data_version >= 0)
        return;
    au->touched = false;
    v = store_data_version(au->st);

    if (v == au->data_version && v >= 0)
        return;
    au->n = 0;
    if (store_token_foreach(au->st, collect, au))
        log_warn("reading the API tokens: %s", store_errmsg(au->st));
    au->data_version = v;
}

struct auth *auth_new(struct store *st, const char *db_path,
                      struct event_base *base)
{
    struct auth *au = calloc(1, sizeof(*au));
    char dir[PATH_MAX], *slash;

    if (!au)
        return NULL;
    au->st = st;
    au->data_version = -2;
    snprintf(dir, sizeof(dir), "%s", db_path);
    slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof(dir), ".");
    au->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    au->md = EVP_MD_CTX_new();
    au->ino_fd = base ? inotify_init1(IN_NONBLOCK | IN_CLOEXEC) : -1;
    if (au->ino_fd >= 0 &&
        (inotify_add_watch(au->ino_fd, dir, IN_MODIFY | IN_CREATE |
                           IN_MOVED_TO | IN_DELETE | IN_CLOSE_WRITE) < 0 ||
         !(au->ino_ev = event_new(base, au->ino_fd, EV_READ | EV_PERSIST,
                                  on_inotify, au)) ||
         event_priority_set(au->ino_ev, 0) < 0 ||
         event_add(au->ino_ev, NULL) < 0)) {
        log_warn("watching %s: %s; tokens are re-read at every request",
                 dir, strerror(errno));
        if (au->ino_ev)
            event_free(au->ino_ev);
        au->ino_ev = NULL;
        close(au->ino_fd);
        au->ino_fd = -1;
    }
    reload(au);
    return au;
}

void auth_free(struct auth *au)
{
    if (!au)
        return;
    OPENSSL_cleanse(au->tok, au->cap * sizeof(*au->tok));
    free(au->tok);
    if (au->ino_ev)
        event_free(au->ino_ev);
    if (au->ino_fd >= 0)
        close(au->ino_fd);
    EVP_MD_CTX_free(au->md);
    EVP_MD_free(au->sha256);
    free(au);
}

void auth_token_hash(const char *secret, size_t len, unsigned char hash[32])
{
    unsigned int outlen = 32;

    EVP_Digest(secret, len, hash, &outlen, EVP_sha256(), NULL);
}

int auth_token_generate(char secret[TOKEN_LEN + 1], unsigned char hash[32])
{
    static const char b64url[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char raw[33];
    char *p = secret;

    if (RAND_bytes(raw, 32) != 1)
        return -1;
    raw[32] = 0;
    memcpy(p, TOKEN_PREFIX, 4);
    p += 4;
    /* 32 bytes = 10 groups of 3 and 2 left: 40 + 3 characters. */
    for (int i = 0; i < 33; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 |
                     (unsigned)(i + 1 < 33 ? raw[i + 1] : 0) << 8 |
                     (unsigned)(i + 2 < 33 ? raw[i + 2] : 0);
        *p++ = b64url[(v >> 18) & 63];
        *p++ = b64url[(v >> 12) & 63];
        if (p - secret < TOKEN_LEN)
            *p++ = b64url[(v >> 6) & 63];
        if (p - secret < TOKEN_LEN)
            *p++ = b64url[v & 63];
    }
    secret[TOKEN_LEN] = '\0';
    auth_token_hash(secret, TOKEN_LEN, hash);
    OPENSSL_cleanse(raw, sizeof(raw));
    return 0;
}

int auth_check_bearer(struct auth *au, const char *header, char *who,
                      size_t wholen)
{
    unsigned char hash[32];
    const char *secret;
    int role = -1;

    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return -1;
    secret = header + 7;
    while (*secret == ' ')
        secret++;
    if (!*secret)
        return -1;
    if (!au->md || !au->sha256 ||
        EVP_DigestInit_ex(au->md, au->sha256, NULL) != 1 ||
        EVP_DigestUpdate(au->md, secret, strlen(secret)) != 1 ||
        EVP_DigestFinal_ex(au->md, hash, NULL) != 1)
        auth_token_hash(secret, strlen(secret), hash);
    reload(au);
    /* Compare every entry in constant time: no timing hint on which. */
    for (size_t i = 0; i < au->n; i++)
        if (CRYPTO_memcmp(hash, au->tok[i].hash, 32) == 0 && role < 0) {
            role = (int)au->tok[i].role;
            if (who)
                snprintf(who, wholen, "token:%s", au->tok[i].name);
        }
    return role;
}
