/*
 * xen_store_conn.h - what the two halves of hvcore's xenstore share: the
 * state of one store (tree, ring, connection), the ring side
 * (xen_store.c: pages, indexes, the backlog) and the request side
 * (xen_store_req.c: requests, watches, transactions).  Everything here
 * runs under struct xen_store's mutex.
 */
#ifndef HVCORE_XEN_STORE_CONN_H
#define HVCORE_XEN_STORE_CONN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "public/xen_store.h"
#include "xen_store.h"
#include "xen_store_tree.h"

struct domain;

#define XEN_STORE_HDR ((uint32_t)sizeof(struct xen_xsd_sockmsg))

struct xen_store_watch {
    char *path;                 /* as the guest gave it                 */
    char *abs;                  /* absolute; == path for "@..." ones    */
    char *token;
    bool relative;              /* events name paths relative to home   */
    bool special;               /* "@introduceDomain" etc.: never fires again */
};

struct xen_store {
    pthread_mutex_t lock;
    struct domain *d;

    /* the page (NULL while dormant) and its event channel */
    struct xen_xenstore_domain_interface *ring;
    uint64_t page_gpa;
    uint32_t port;
    bool mm_ref;                /* holds xen_mm's writable reference    */

    uint32_t domid;
    char home[32];              /* "/local/domain/<domid>"              */
    size_t home_len;
    struct xen_store_tree tree;

    /* the connection: hvcore's own indexes (the page's copies are
     * rewritten from these, never read back) */
    uint32_t req_cons, rsp_prod;
    uint32_t error;             /* XEN_XENSTORE_ERROR_*: dropped        */
    uint8_t in[XEN_STORE_HDR + XEN_XENSTORE_PAYLOAD_MAX + 1]; /* request so far */
    uint32_t in_len;
    uint8_t *out;               /* backlog: XEN_STORE_BACKLOG_MAX bytes, circular */
    uint32_t out_head, out_len;
    struct xen_store_watch watch[XEN_STORE_WATCHES_MAX];
    unsigned nr_watches;
    uint32_t tx[XEN_STORE_TX_MAX];
    unsigned nr_tx;
    uint32_t next_tx;

    /* scratch for one request (under the lock) */
    char abs[XEN_XENSTORE_ABS_PATH_MAX + 1];
    char reply[XEN_XENSTORE_PAYLOAD_MAX];

    uint64_t requests, events, dropped_events, drops;
};

/* xen_store.c: queue one message (header built here; payload a then b)
 * in the backlog.  A payload over XENSTORE_PAYLOAD_MAX becomes an E2BIG
 * error (a reply) or is dropped and counted (an event); a backlog that
 * would overflow drops the connection.  Nothing once it is dropped. */
void xen_store_queue(struct xen_store *s, uint32_t type, uint32_t req_id, uint32_t tx_id,
                     const void *a, size_t alen, const void *b, size_t blen);

/* xen_store.c: drop the connection for reason why (XEN_XENSTORE_ERROR_*). */
void xen_store_drop(struct xen_store *s, uint32_t why);

/* xen_store_req.c: answer one whole request; payload has hdr->len bytes
 * and a NUL after them. */
void xen_store_handle(struct xen_store *s, const struct xen_xsd_sockmsg *hdr, const char *payload);

/* xen_store_req.c: queue the watch events of a change at absolute path
 * (recursive: the node was removed with everything under it). */
void xen_store_fire(struct xen_store *s, const char *path, bool recursive);

/* xen_store_req.c: forget every watch and transaction. */
void xen_store_forget_watches(struct xen_store *s);

#endif /* HVCORE_XEN_STORE_CONN_H */
