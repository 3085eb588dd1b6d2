/*
 * xen_store_req.c - hvcore's xenstore, request side: one whole request
 * from the guest in, its reply (and the watch events it causes) queued
 * out (xen_store.h says what is served and how).
 *
 * The payload is the guest's, copied once by xen_store.c: every string is
 * looked for inside its len bytes, never beyond; a request whose strings
 * are not NUL-terminated as its type requires gets EINVAL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xen_store_conn.h"

struct req {
    struct xen_store *s;
    uint32_t type, req_id, tx_id;
    const char *p;              /* payload, len bytes (a NUL follows)   */
    uint32_t len;
};

/* ---- replies ------------------------------------------------------------ */

static void reply(struct req *r, const void *data, size_t len)
{
    xen_store_queue(r->s, r->type, r->req_id, r->tx_id, data, len, NULL, 0);
}

static void reply_str(struct req *r, const char *str)
{
    reply(r, str, strlen(str) + 1);
}

static void reply_ok(struct req *r)
{
    reply_str(r, XEN_XS_OK);
}

static void reply_err(struct req *r, enum xen_store_err err)
{
    const char *name = xen_store_err_name(err);

    xen_store_queue(r->s, XEN_XS_ERROR, r->req_id, r->tx_id, name, strlen(name) + 1, NULL, 0);
}

/* ---- payload strings ----------------------------------------------------- */

/*
 * The payload as NUL-terminated strings: their number (the first max of
 * them in v), or -1 if the payload is empty or does not end with a NUL.
 */
static int strings(const struct req *r, const char **v, int max)
{
    int n = 0;

    if (!r->len || r->p[r->len - 1] != '\0')
        return -1;
    for (uint32_t off = 0; off < r->len; n++) {
        size_t l = strnlen(r->p + off, r->len - off);
        if (n < max)
            v[n] = r->p + off;
        off += (uint32_t)l + 1;
    }
    return n;
}

/* The payload's one string (xenstored's rule: one NUL, the last byte). */
static const char *one_arg(const struct req *r)
{
    const char *v;

    return strings(r, &v, 1) == 1 ? v : NULL;
}

/* A decimal number of at most max (no sign, no blanks, no leading "+"). */
static bool parse_uint(const char *str, unsigned long max, unsigned long *val)
{
    uint64_t v = 0;

    if (!*str)
        return false;
    for (; *str; str++) {
        if (*str < '0' || *str > '9')
            return false;
        v = v * 10 + (uint64_t)(*str - '0');
        if (v > max)
            return false;
    }
    *val = (unsigned long)v;
    return true;
}

/* ---- paths ------------------------------------------------------------------ */

/* The checked absolute form of a guest's path in s->abs. */
static enum xen_store_err resolve(struct xen_store *s, const char *path, bool *relative)
{
    size_t len = strnlen(path, XEN_XENSTORE_ABS_PATH_MAX + 1);

    *relative = path[0] != '/';
    if (!*relative) {
        if (len > XEN_XENSTORE_ABS_PATH_MAX)
            return XS_EINVAL;
        memcpy(s->abs, path, len + 1);
    } else {
        if (len > XEN_XENSTORE_REL_PATH_MAX ||
            s->home_len + 1 + len > XEN_XENSTORE_ABS_PATH_MAX)
            return XS_EINVAL;
        memcpy(s->abs, s->home, s->home_len);
        s->abs[s->home_len] = '/';
        memcpy(s->abs + s->home_len + 1, path, len + 1);
    }
    return xen_store_path_check(s->abs);
}

/* child is parent or lies below it. */
static bool is_child(const char *child, const char *parent)
{
    size_t plen = strlen(parent);

    if (plen == 1 && parent[0] == '/')
        return true;
    return !strncmp(child, parent, plen) && (child[plen] == '\0' || child[plen] == '/');
}

/* The guest may change what lies strictly below its own directory. */
static bool may_change(const struct xen_store *s, const char *abs)
{
    return !strncmp(abs, s->home, s->home_len) && abs[s->home_len] == '/';
}

/* ---- watches ------------------------------------------------------------ */

static void queue_event(struct xen_store *s, const char *path, const char *token)
{
    if (s->error)
        return;                 /* dropped: the watch may be gone too */
    xen_store_queue(s, XEN_XS_WATCH_EVENT, 0, 0, path, strlen(path) + 1, token,
                    strlen(token) + 1);
}

void xen_store_fire(struct xen_store *s, const char *path, bool recursive)
{
    for (unsigned i = 0; i < s->nr_watches && !s->error; i++) {
        const struct xen_store_watch *w = &s->watch[i];
        const char *epath;

        if (w->special)
            continue;
        if (is_child(path, w->abs))
            epath = path;
        else if (recursive && is_child(w->abs, path))
            epath = w->abs;           /* a parent of the watched node went */
        else
            continue;
        /* Below the watch, which lies below home: strip "home/". */
        if (w->relative)
            epath += s->home_len + 1;
        queue_event(s, epath, w->token);
    }
}

static void watch_free(struct xen_store_watch *w)
{
    free(w->path);
    if (w->abs != w->path)
        free(w->abs);
    free(w->token);
    w->path = w->abs = w->token = NULL;
}

void xen_store_forget_watches(struct xen_store *s)
{
    for (unsigned i = 0; i < s->nr_watches; i++)
        watch_free(&s->watch[i]);
    s->nr_watches = 0;
    s->nr_tx = 0;
}

static int find_watch(const struct xen_store *s, const char *abs, const char *token)
{
    for (unsigned i = 0; i < s->nr_watches; i++)
        if (!strcmp(s->watch[i].abs, abs) && !strcmp(s->watch[i].token, token))
            return (int)i;
    return -1;
}

/* The absolute form of a watch path in s->abs ("@..." as it is). */
static enum xen_store_err watch_path(struct xen_store *s, const char *path, bool *relative,
                                     bool *special)
{
    *special = path[0] == '@';
    if (!*special)
        return resolve(s, path, relative);
    *relative = false;
    if (strnlen(path, XEN_XENSTORE_REL_PATH_MAX + 1) > XEN_XENSTORE_REL_PATH_MAX)
        return XS_EINVAL;
    strcpy(s->abs, path);
    return XS_OK;
}

static enum xen_store_err do_watch(struct req *r)
{
    struct xen_store *s = r->s;
    struct xen_store_watch *w;
    const char *v[2];
    bool relative, special;
    enum xen_store_err err;

    if (strings(r, v, 2) < 2)
        return XS_EINVAL;
    err = watch_path(s, v[0], &relative, &special);
    if (err)
        return err;
    if (find_watch(s, s->abs, v[1]) >= 0)
        return XS_EEXIST;
    if (s->nr_watches >= XEN_STORE_WATCHES_MAX)
        return XS_E2BIG;
    w = &s->watch[s->nr_watches];
    w->path = strdup(v[0]);
    w->abs = special ? w->path : strdup(s->abs);
    w->token = strdup(v[1]);
    if (!w->path || !w->abs || !w->token) {
        watch_free(w);
        return XS_ENOMEM;
    }
    w->relative = relative;
    w->special = special;
    s->nr_watches++;
    reply_ok(r);
    /* As xenstored does: fire once, at once, with the path as given. */
    queue_event(s, w->path, w->token);
    return XS_OK;
}

static enum xen_store_err do_unwatch(struct req *r)
{
    struct xen_store *s = r->s;
    const char *v[2];
    bool relative, special;
    enum xen_store_err err;
    int i;

    if (strings(r, v, 2) < 2)
        return XS_EINVAL;
    err = watch_path(s, v[0], &relative, &special);
    if (err)
        return err;
    i = find_watch(s, s->abs, v[1]);
    if (i < 0)
        return XS_ENOENT;
    watch_free(&s->watch[i]);
    memmove(&s->watch[i], &s->watch[i + 1],
            (s->nr_watches - (unsigned)i - 1) * sizeof(s->watch[0]));
    s->nr_watches--;
    reply_ok(r);
    return XS_OK;
}

/* ---- transactions (trivial: xen_store.h) ----------------------------------- */

static int find_tx(const struct xen_store *s, uint32_t id)
{
    for (unsigned i = 0; i < s->nr_tx; i++)
        if (s->tx[i] == id)
            return (int)i;
    return -1;
}

static enum xen_store_err do_transaction_start(struct req *r)
{
    struct xen_store *s = r->s;
    char id[16];

    if (r->tx_id)
        return XS_EBUSY;        /* already in one */
    if (s->nr_tx >= XEN_STORE_TX_MAX)
        return XS_ENOSPC;
    do {
        s->next_tx++;
    } while (!s->next_tx || find_tx(s, s->next_tx) >= 0);
    s->tx[s->nr_tx++] = s->next_tx;
    snprintf(id, sizeof(id), "%u", s->next_tx);
    reply_str(r, id);
    return XS_OK;
}

static enum xen_store_err do_transaction_end(struct req *r)
{
    struct xen_store *s = r->s;
    const char *arg = one_arg(r);
    int i = find_tx(s, r->tx_id);

    if (!r->tx_id || i < 0)
        return XS_ENOENT;
    if (!arg || (strcmp(arg, XEN_XS_TRANSACTION_COMMIT) && strcmp(arg, XEN_XS_TRANSACTION_ABORT)))
        return XS_EINVAL;
    s->tx[i] = s->tx[--s->nr_tx];
    reply_ok(r);
    return XS_OK;
}

/* ---- the tree ------------------------------------------------------------ */

/* The request's one path, resolved, and its node (NULL if none). */
static enum xen_store_err path_arg(struct req *r, struct xen_store_node **node)
{
    const char *arg = one_arg(r);
    bool relative;
    enum xen_store_err err;

    if (!arg)
        return XS_EINVAL;
    err = resolve(r->s, arg, &relative);
    if (err)
        return err;
    *node = xen_store_tree_find(&r->s->tree, r->s->abs);
    return XS_OK;
}

static enum xen_store_err do_read(struct req *r)
{
    struct xen_store_node *n;
    enum xen_store_err err = path_arg(r, &n);

    if (err || !n)
        return err ? err : XS_ENOENT;
    reply(r, n->value, n->value_len);
    return XS_OK;
}

static enum xen_store_err do_write(struct req *r)
{
    struct xen_store *s = r->s;
    const char *nul = memchr(r->p, '\0', r->len);
    bool relative;
    enum xen_store_err err;

    if (!nul)
        return XS_EINVAL;
    err = resolve(s, r->p, &relative);
    if (err)
        return err;
    if (!may_change(s, s->abs))
        return XS_EACCES;
    err = xen_store_tree_write(&s->tree, s->abs, nul + 1, r->len - (size_t)(nul + 1 - r->p),
                               false);
    if (err)
        return err;
    reply_ok(r);
    xen_store_fire(s, s->abs, false);
    return XS_OK;
}

static enum xen_store_err do_mkdir(struct req *r)
{
    struct xen_store *s = r->s;
    struct xen_store_node *n;
    enum xen_store_err err = path_arg(r, &n);
    bool created;

    if (err)
        return err;
    if (!may_change(s, s->abs))
        return XS_EACCES;
    err = xen_store_tree_mkdir(&s->tree, s->abs, false, &created);
    if (err)
        return err;
    reply_ok(r);
    if (created)
        xen_store_fire(s, s->abs, false);
    return XS_OK;
}

static enum xen_store_err do_rm(struct req *r)
{
    struct xen_store *s = r->s;
    struct xen_store_node *n;
    enum xen_store_err err = path_arg(r, &n);
    bool removed;

    if (err)
        return err;
    if (!may_change(s, s->abs))
        return XS_EACCES;
    err = xen_store_tree_rm(&s->tree, s->abs, &removed);
    if (err)
        return err;
    reply_ok(r);
    if (removed)
        xen_store_fire(s, s->abs, true);
    return XS_OK;
}

static enum xen_store_err do_directory(struct req *r)
{
    struct xen_store_node *n;
    enum xen_store_err err = path_arg(r, &n);
    size_t len = 0;

    if (err || !n)
        return err ? err : XS_ENOENT;
    for (struct xen_store_node *c = n->child; c; c = c->next) {
        if (c->name_len + 1 > sizeof(r->s->reply) - len)
            return XS_E2BIG;    /* DIRECTORY_PART lists it */
        memcpy(r->s->reply + len, c->name, c->name_len + 1);
        len += c->name_len + 1;
    }
    reply(r, r->s->reply, len);
    return XS_OK;
}

/*
 * DIRECTORY_PART path|offset|: the generation, then the children's
 * NUL-terminated names from byte offset of the whole list on, as many as
 * fit; an empty string after the last says the list ends there.
 */
static enum xen_store_err do_directory_part(struct req *r)
{
    struct xen_store *s = r->s;
    struct xen_store_node *n;
    const char *v[2];
    unsigned long off;
    bool relative, ended = true;
    size_t len, pos = 0;
    enum xen_store_err err;

    if (strings(r, v, 2) != 2 || !parse_uint(v[1], 0xffffffffUL, &off))
        return XS_EINVAL;
    err = resolve(s, v[0], &relative);
    if (err)
        return err;
    n = xen_store_tree_find(&s->tree, s->abs);
    if (!n)
        return XS_ENOENT;
    len = (size_t)snprintf(s->reply, sizeof(s->reply), "%llu", (unsigned long long)n->gen) + 1;
    for (struct xen_store_node *c = n->child; c; c = c->next) {
        size_t clen = c->name_len + 1, skip, piece;

        if (pos + clen <= off) {
            pos += clen;
            continue;
        }
        skip = off > pos ? off - pos : 0;
        piece = clen - skip;
        if (piece + 1 > sizeof(s->reply) - len) {   /* keep room for the end mark */
            ended = false;
            break;
        }
        memcpy(s->reply + len, c->name + skip, piece);
        len += piece;
        pos += clen;
    }
    if (ended)
        s->reply[len++] = '\0';
    reply(r, s->reply, len);
    return XS_OK;
}

static enum xen_store_err do_get_perms(struct req *r)
{
    struct xen_store_node *n;
    enum xen_store_err err = path_arg(r, &n);
    char perms[16];

    if (err || !n)
        return err ? err : XS_ENOENT;
    snprintf(perms, sizeof(perms), "n%u", r->s->domid);
    reply_str(r, perms);
    return XS_OK;
}

/* A permission string: w, r, b or n, then a domid. */
static bool perm_ok(const char *perm)
{
    unsigned long domid;

    return perm[0] && strchr("wrbn", perm[0]) && parse_uint(perm + 1, 0xffff, &domid);
}

static enum xen_store_err do_set_perms(struct req *r)
{
    struct xen_store *s = r->s;
    const char *path;
    int n = strings(r, &path, 1);
    bool relative;
    enum xen_store_err err;
    struct xen_store_node *node;

    if (n < 2)
        return XS_EINVAL;
    for (uint32_t off = (uint32_t)strlen(path) + 1; off < r->len;
         off += (uint32_t)strlen(r->p + off) + 1)
        if (!perm_ok(r->p + off))
            return XS_EINVAL;
    err = resolve(s, path, &relative);
    if (err)
        return err;
    if (!may_change(s, s->abs))
        return XS_EACCES;
    node = xen_store_tree_find(&s->tree, s->abs);
    if (!node)
        return XS_ENOENT;
    xen_store_tree_touch(&s->tree, node);       /* accepted, not kept */
    reply_ok(r);
    xen_store_fire(s, s->abs, false);
    return XS_OK;
}

static enum xen_store_err do_get_domain_path(struct req *r)
{
    const char *arg = one_arg(r);
    unsigned long domid;
    char path[32];

    if (!arg || !parse_uint(arg, 0xffff, &domid))
        return XS_EINVAL;
    snprintf(path, sizeof(path), "/local/domain/%lu", domid);
    reply_str(r, path);
    return XS_OK;
}

static enum xen_store_err do_reset_watches(struct req *r)
{
    xen_store_forget_watches(r->s);
    reply_ok(r);
    return XS_OK;
}

/* Answer r (a reply queued), or say what to answer it with. */
static enum xen_store_err serve(struct req *r)
{
    switch (r->type) {
    case XEN_XS_READ:               return do_read(r);
    case XEN_XS_WRITE:              return do_write(r);
    case XEN_XS_MKDIR:              return do_mkdir(r);
    case XEN_XS_RM:                 return do_rm(r);
    case XEN_XS_DIRECTORY:          return do_directory(r);
    case XEN_XS_DIRECTORY_PART:     return do_directory_part(r);
    case XEN_XS_GET_PERMS:          return do_get_perms(r);
    case XEN_XS_SET_PERMS:          return do_set_perms(r);
    case XEN_XS_WATCH:              return do_watch(r);
    case XEN_XS_UNWATCH:            return do_unwatch(r);
    case XEN_XS_TRANSACTION_START:  return do_transaction_start(r);
    case XEN_XS_TRANSACTION_END:    return do_transaction_end(r);
    case XEN_XS_GET_DOMAIN_PATH:    return do_get_domain_path(r);
    case XEN_XS_RESET_WATCHES:      return do_reset_watches(r);
    /* xenstored's own business, or the toolstack's: not a guest's. */
    case XEN_XS_CONTROL:
    case XEN_XS_INTRODUCE:
    case XEN_XS_RELEASE:
    case XEN_XS_IS_DOMAIN_INTRODUCED:
    case XEN_XS_RESUME:
    case XEN_XS_SET_TARGET:         return XS_EACCES;
    default:                        return XS_EINVAL;  /* unknown, or a server's type */
    }
}

void xen_store_handle(struct xen_store *s, const struct xen_xsd_sockmsg *hdr, const char *payload)
{
    struct req r = {
        .s = s, .type = hdr->type, .req_id = hdr->req_id, .tx_id = hdr->tx_id,
        .p = payload, .len = hdr->len,
    };
    enum xen_store_err err;

    s->requests++;
    /* A transaction id must name an open transaction (WATCH and UNWATCH
     * ignore theirs). */
    if (r.tx_id && r.type != XEN_XS_WATCH && r.type != XEN_XS_UNWATCH && find_tx(s, r.tx_id) < 0)
        err = XS_ENOENT;
    else
        err = serve(&r);
    if (err)
        reply_err(&r, err);
}
