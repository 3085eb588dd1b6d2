/*
 * xen_store_tree.h - the node tree behind hvcore's xenstore: absolute
 * paths to values, with children, bounded in nodes, bytes and depth.
 *
 * No permissions and no transactions live here (xen_store_req.c decides
 * who may change what); no locking either: the owner (struct xen_store)
 * holds its mutex around every call.  Errors are the xenstore protocol's
 * own (enum xen_store_err), since they go back to the guest by name.
 */
#ifndef HVCORE_XEN_STORE_TREE_H
#define HVCORE_XEN_STORE_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The errors a xenstore reply may carry, by their errno names. */
#define XEN_STORE_ERRORS(X) \
    X(EINVAL) X(EACCES) X(EEXIST) X(EISDIR) X(ENOENT) X(ENOMEM) X(ENOSPC) \
    X(EIO) X(ENOTEMPTY) X(ENOSYS) X(EROFS) X(EBUSY) X(EAGAIN) X(EISCONN) X(E2BIG)

enum xen_store_err {
    XS_OK = 0,
#define XEN_STORE_ERR_ENUM(name) XS_##name,
    XEN_STORE_ERRORS(XEN_STORE_ERR_ENUM)
#undef XEN_STORE_ERR_ENUM
};

/* "EINVAL" for XS_EINVAL, ...; "EIO" for anything unknown. */
const char *xen_store_err_name(enum xen_store_err err);

/* Caps: a guest that would go past them gets ENOSPC (nodes, bytes) or
 * EINVAL (depth).  hvcore's own writes (hv = true) may use a reserve
 * beyond them, so that a shutdown request still lands in a full store. */
#define XEN_STORE_NODES_MAX        1024
#define XEN_STORE_BYTES_MAX        (512u * 1024)  /* names + values + overhead */
#define XEN_STORE_NODE_OVERHEAD    64             /* counted per node */
#define XEN_STORE_DEPTH_MAX        64             /* path components */
#define XEN_STORE_HV_RESERVE_NODES 32
#define XEN_STORE_HV_RESERVE_BYTES (16u * 1024)

struct xen_store_node {
    struct xen_store_node *parent;
    struct xen_store_node *child, *last_child;  /* in creation order */
    struct xen_store_node *next;                /* sibling */
    char *name;                  /* this component; "" for the root */
    size_t name_len;
    uint8_t *value;              /* NULL when empty */
    size_t value_len;
    unsigned nr_children;
    uint64_t gen;                /* changes with the value or the children */
};

struct xen_store_tree {
    struct xen_store_node *root;
    unsigned nr_nodes;           /* root included */
    size_t bytes;
    uint64_t gen;                /* last generation handed out */
};

/* An empty tree (the root "/" alone).  0 or -HVE_NOMEM. */
int xen_store_tree_init(struct xen_store_tree *t);

/* Free every node; the tree is empty (root NULL) afterwards. */
void xen_store_tree_free(struct xen_store_tree *t);

/*
 * Check an absolute path: "/" or "/" followed by components of
 * [A-Za-z0-9_@-], one "/" between them, none empty, at most
 * XEN_XENSTORE_ABS_PATH_MAX bytes and XEN_STORE_DEPTH_MAX components.
 * XS_OK or XS_EINVAL.
 */
enum xen_store_err xen_store_path_check(const char *path);

/* The node at a checked absolute path, or NULL. */
struct xen_store_node *xen_store_tree_find(const struct xen_store_tree *t, const char *path);

/*
 * Store value (len bytes, binary) at a checked absolute path, creating
 * missing parents with empty values.  XS_OK, XS_ENOSPC (a cap) or
 * XS_ENOMEM (host allocation); on an error the value is unchanged (parents
 * made before a failed allocation may remain, empty and counted).
 */
enum xen_store_err xen_store_tree_write(struct xen_store_tree *t, const char *path,
                                        const void *value, size_t len, bool hv);

/* Make the node (and its parents) exist; *created says whether it was
 * new.  Errors as xen_store_tree_write. */
enum xen_store_err xen_store_tree_mkdir(struct xen_store_tree *t, const char *path, bool hv,
                                        bool *created);

/*
 * Remove the node and everything under it.  Removing a node that does not
 * exist is XS_OK (*removed false) if its parent exists, XS_ENOENT if not;
 * the root cannot be removed (XS_EINVAL).
 */
enum xen_store_err xen_store_tree_rm(struct xen_store_tree *t, const char *path, bool *removed);

/* A new generation for node (SET_PERMS: no data changed, but the node
 * did). */
void xen_store_tree_touch(struct xen_store_tree *t, struct xen_store_node *node);

#endif /* HVCORE_XEN_STORE_TREE_H */
