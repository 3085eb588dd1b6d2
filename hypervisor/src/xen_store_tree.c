/*
 * xen_store_tree.c - the node tree behind hvcore's xenstore
 * (xen_store_tree.h).
 *
 * Nodes hang from their parent in a singly linked list kept in creation
 * order (DIRECTORY lists them that way).  Paths are walked component by
 * component without copies; nothing here recurses, so a deep tree costs no
 * stack.  Every node and every byte is counted against the caps before
 * anything is allocated.
 */
#include <stdlib.h>
#include <string.h>

#include "public/errno.h"
#include "public/xen_store.h"
#include "xen_store_tree.h"

static const char *const err_names[] = {
    [XS_OK] = "OK",
#define XEN_STORE_ERR_NAME(name) [XS_##name] = #name,
    XEN_STORE_ERRORS(XEN_STORE_ERR_NAME)
#undef XEN_STORE_ERR_NAME
};

const char *xen_store_err_name(enum xen_store_err err)
{
    if ((unsigned)err >= sizeof(err_names) / sizeof(err_names[0]) || err == XS_OK)
        return "EIO";
    return err_names[err];
}

static struct xen_store_node *node_new(struct xen_store_tree *t, const char *name, size_t len)
{
    struct xen_store_node *n = calloc(1, sizeof(*n));

    if (!n)
        return NULL;
    n->name = malloc(len + 1);
    if (!n->name) {
        free(n);
        return NULL;
    }
    memcpy(n->name, name, len);
    n->name[len] = '\0';
    n->name_len = len;
    n->gen = ++t->gen;
    t->nr_nodes++;
    t->bytes += len + XEN_STORE_NODE_OVERHEAD;
    return n;
}

static void node_free(struct xen_store_tree *t, struct xen_store_node *n)
{
    t->nr_nodes--;
    t->bytes -= n->name_len + n->value_len + XEN_STORE_NODE_OVERHEAD;
    free(n->value);
    free(n->name);
    free(n);
}

static void link_child(struct xen_store_tree *t, struct xen_store_node *parent,
                       struct xen_store_node *n)
{
    n->parent = parent;
    if (parent->last_child)
        parent->last_child->next = n;
    else
        parent->child = n;
    parent->last_child = n;
    parent->nr_children++;
    parent->gen = ++t->gen;
}

static void unlink_child(struct xen_store_tree *t, struct xen_store_node *n)
{
    struct xen_store_node *parent = n->parent, *prev = NULL;

    for (struct xen_store_node *c = parent->child; c != n; c = c->next)
        prev = c;
    if (prev)
        prev->next = n->next;
    else
        parent->child = n->next;
    if (parent->last_child == n)
        parent->last_child = prev;
    parent->nr_children--;
    parent->gen = ++t->gen;
    n->parent = NULL;
    n->next = NULL;
}

/* Free n and everything under it, deepest first, without recursion. */
static void free_subtree(struct xen_store_tree *t, struct xen_store_node *n)
{
    struct xen_store_node *cur = n;

    for (;;) {
        while (cur->child)
            cur = cur->child;
        if (cur == n) {
            node_free(t, cur);
            return;
        }
        struct xen_store_node *parent = cur->parent;
        parent->child = cur->next;
        if (!parent->child)
            parent->last_child = NULL;
        parent->nr_children--;
        node_free(t, cur);
        cur = parent;
    }
}

int xen_store_tree_init(struct xen_store_tree *t)
{
    memset(t, 0, sizeof(*t));
    t->root = node_new(t, "", 0);
    return t->root ? 0 : -HVE_NOMEM;
}

void xen_store_tree_free(struct xen_store_tree *t)
{
    if (t->root)
        free_subtree(t, t->root);
    t->root = NULL;
}

static bool path_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '@';
}

enum xen_store_err xen_store_path_check(const char *path)
{
    size_t len;
    unsigned depth = 0;
    char prev = '/';

    if (!path || path[0] != '/')
        return XS_EINVAL;
    len = strnlen(path, XEN_XENSTORE_ABS_PATH_MAX + 1);
    if (len > XEN_XENSTORE_ABS_PATH_MAX)
        return XS_EINVAL;
    if (len == 1)
        return XS_OK;
    for (size_t i = 1; i < len; i++) {
        char c = path[i];
        if (c == '/') {
            if (prev == '/')
                return XS_EINVAL;           /* "//" */
        } else if (!path_char(c)) {
            return XS_EINVAL;
        } else if (prev == '/' && ++depth > XEN_STORE_DEPTH_MAX) {
            return XS_EINVAL;
        }
        prev = c;
    }
    return prev == '/' ? XS_EINVAL : XS_OK;  /* trailing "/" */
}

/* The next component of a checked path at *p ("/a/b": "a", then "b"):
 * false at the end. */
static bool next_component(const char **p, const char **name, size_t *len)
{
    const char *s = *p;

    while (*s == '/')
        s++;
    if (!*s)
        return false;
    *name = s;
    while (*s && *s != '/')
        s++;
    *len = (size_t)(s - *name);
    *p = s;
    return true;
}

static struct xen_store_node *child_named(const struct xen_store_node *n, const char *name,
                                          size_t len)
{
    for (struct xen_store_node *c = n->child; c; c = c->next)
        if (c->name_len == len && !memcmp(c->name, name, len))
            return c;
    return NULL;
}

struct xen_store_node *xen_store_tree_find(const struct xen_store_tree *t, const char *path)
{
    struct xen_store_node *n = t->root;
    const char *p = path, *name;
    size_t len;

    while (n && next_component(&p, &name, &len))
        n = child_named(n, name, len);
    return n;
}

static bool fits(const struct xen_store_tree *t, unsigned nodes, size_t bytes, bool hv)
{
    unsigned nodes_max = XEN_STORE_NODES_MAX + (hv ? XEN_STORE_HV_RESERVE_NODES : 0);
    size_t bytes_max = XEN_STORE_BYTES_MAX + (hv ? XEN_STORE_HV_RESERVE_BYTES : 0);

    return nodes <= nodes_max && t->nr_nodes <= nodes_max - nodes && bytes <= bytes_max &&
           t->bytes <= bytes_max - bytes;
}

/*
 * The node at path, made (with its parents) if missing, provided the new
 * nodes and extra more bytes (a value to come) fit the caps.
 */
static enum xen_store_err make_path(struct xen_store_tree *t, const char *path, size_t extra,
                                    bool hv, struct xen_store_node **out, bool *created)
{
    struct xen_store_node *n = t->root, *c;
    const char *p = path, *name, *rest;
    size_t len, bytes = extra;
    unsigned missing = 0;

    *created = false;
    /* Walk down what exists, then count what does not. */
    for (;;) {
        rest = p;
        if (!next_component(&p, &name, &len)) {
            *out = n;                       /* exists already */
            return XS_OK;
        }
        c = child_named(n, name, len);
        if (!c)
            break;
        n = c;
    }
    p = rest;
    while (next_component(&p, &name, &len)) {
        missing++;
        bytes += len + XEN_STORE_NODE_OVERHEAD;
    }
    if (!fits(t, missing, bytes, hv))
        return XS_ENOSPC;
    p = rest;
    while (next_component(&p, &name, &len)) {
        c = node_new(t, name, len);
        if (!c)
            return XS_ENOMEM;
        link_child(t, n, c);
        n = c;
    }
    *out = n;
    *created = true;
    return XS_OK;
}

enum xen_store_err xen_store_tree_write(struct xen_store_tree *t, const char *path,
                                        const void *value, size_t len, bool hv)
{
    struct xen_store_node *n = xen_store_tree_find(t, path);
    enum xen_store_err err;
    uint8_t *copy = NULL;
    bool created;

    if (n && len > n->value_len && !fits(t, 0, len - n->value_len, hv))
        return XS_ENOSPC;
    if (len) {
        copy = malloc(len);
        if (!copy)
            return XS_ENOMEM;
        memcpy(copy, value, len);
    }
    if (!n) {
        err = make_path(t, path, len, hv, &n, &created);
        if (err) {
            free(copy);
            return err;
        }
    }
    t->bytes = t->bytes - n->value_len + len;
    free(n->value);
    n->value = copy;
    n->value_len = len;
    n->gen = ++t->gen;
    return XS_OK;
}

enum xen_store_err xen_store_tree_mkdir(struct xen_store_tree *t, const char *path, bool hv,
                                        bool *created)
{
    struct xen_store_node *n;

    return make_path(t, path, 0, hv, &n, created);
}

enum xen_store_err xen_store_tree_rm(struct xen_store_tree *t, const char *path, bool *removed)
{
    struct xen_store_node *n = xen_store_tree_find(t, path);

    *removed = false;
    if (n == t->root)
        return XS_EINVAL;
    if (!n) {
        /* Fine if the parent exists: the node is already gone. */
        const char *slash = strrchr(path, '/');
        struct xen_store_node *parent = t->root;
        const char *p = path, *name;
        size_t len;

        while (parent && next_component(&p, &name, &len) && name < slash)
            parent = child_named(parent, name, len);
        return parent ? XS_OK : XS_ENOENT;
    }
    unlink_child(t, n);
    free_subtree(t, n);
    *removed = true;
    return XS_OK;
}

void xen_store_tree_touch(struct xen_store_tree *t, struct xen_store_node *node)
{
    node->gen = ++t->gen;
}
