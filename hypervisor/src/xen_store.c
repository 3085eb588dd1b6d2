/*
 * xen_store.c - hvcore's xenstore, ring side: the store page, its
 * indexes, the backlog of replies waiting for ring room, the connection's
 * life, and the entry points of xen_store.h.  Requests themselves are
 * xen_store_req.c's, the tree xen_store_tree.c's.
 *
 * Each pass reads the guest's two indexes once (acquire), checks them
 * against hvcore's own two (which it keeps itself and only ever writes to
 * the page), then moves bytes between the rings and its private copies:
 * nothing is parsed in the shared page, and every ring offset is masked.
 *
 * Signalling follows what Linux's xenbus expects of xenstored: Linux
 * signals a new request only when the request ring was empty (every byte
 * consumed) and a read only when the response ring was full.  So a pass
 * consumes every request byte it can, and while replies wait in the
 * backlog, the response ring is full and no request is read: the guest's
 * next read signals us and the pass resumes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_evtchn.h"
#include "xen_store.h"
#include "xen_store_conn.h"

#define RING XEN_XENSTORE_RING_SIZE

/* Requests one pass answers at most.  A ring holds no more than 64 whole
 * (empty) requests and a one-vCPU guest cannot add any during the pass,
 * so only a guest streaming from another vCPU meets it: its rest waits
 * for its next signal. */
#define XEN_STORE_PASS_MAX 1024

static struct xen_store *store_of(struct domain *d)
{
    return d->xen ? d->xen->store : NULL;
}

/* ---- the page ------------------------------------------------------------ */

static uint32_t load_idx(const uint32_t *idx)
{
    return __atomic_load_n(idx, __ATOMIC_ACQUIRE);
}

static void store_idx(uint32_t *idx, uint32_t val)
{
    __atomic_store_n(idx, val, __ATOMIC_RELEASE);
}

/* Copy len bytes of a ring from stream position idx (wrapping). */
static void ring_read(const char *ring, uint32_t idx, uint8_t *dst, uint32_t len)
{
    uint32_t off = XEN_XENSTORE_RING_MASK(idx);
    uint32_t first = len < RING - off ? len : RING - off;

    memcpy(dst, ring + off, first);
    memcpy(dst + first, ring, len - first);
}

/* Move len bytes from the head of the backlog into the response ring. */
static void backlog_to_ring(struct xen_store *s, char *ring, uint32_t len)
{
    while (len) {
        uint32_t off = XEN_XENSTORE_RING_MASK(s->rsp_prod);
        uint32_t n = len;

        if (n > RING - off)
            n = RING - off;
        if (n > XEN_STORE_BACKLOG_MAX - s->out_head)
            n = XEN_STORE_BACKLOG_MAX - s->out_head;
        memcpy(ring + off, s->out + s->out_head, n);
        s->out_head = (s->out_head + n) % XEN_STORE_BACKLOG_MAX;
        s->out_len -= n;
        s->rsp_prod += n;
        len -= n;
    }
    if (!s->out_len)
        s->out_head = 0;
}

/* Append to the backlog (the caller made sure it fits). */
static void backlog_put(struct xen_store *s, const void *src, size_t len)
{
    const uint8_t *p = src;

    while (len) {
        uint32_t tail = (s->out_head + s->out_len) % XEN_STORE_BACKLOG_MAX;
        size_t n = XEN_STORE_BACKLOG_MAX - tail;

        if (n > len)
            n = len;
        memcpy(s->out + tail, p, n);
        s->out_len += (uint32_t)n;
        p += n;
        len -= n;
    }
}

void xen_store_queue(struct xen_store *s, uint32_t type, uint32_t req_id, uint32_t tx_id,
                     const void *a, size_t alen, const void *b, size_t blen)
{
    struct xen_xsd_sockmsg hdr;

    if (s->error || !s->ring)
        return;
    if (alen > XEN_XENSTORE_PAYLOAD_MAX || blen > XEN_XENSTORE_PAYLOAD_MAX - alen) {
        if (type == XEN_XS_WATCH_EVENT) {
            s->dropped_events++;
            return;
        }
        type = XEN_XS_ERROR;
        a = xen_store_err_name(XS_E2BIG);
        alen = strlen(a) + 1;
        blen = 0;
    }
    if (XEN_STORE_HDR + alen + blen > XEN_STORE_BACKLOG_MAX - s->out_len) {
        xen_store_drop(s, XEN_XENSTORE_ERROR_COMM);
        return;
    }
    hdr.type = type;
    hdr.req_id = req_id;
    hdr.tx_id = tx_id;
    hdr.len = (uint32_t)(alen + blen);
    backlog_put(s, &hdr, sizeof(hdr));
    if (alen)
        backlog_put(s, a, alen);
    if (blen)
        backlog_put(s, b, blen);
    if (type == XEN_XS_WATCH_EVENT)
        s->events++;
}

/* ---- the connection -------------------------------------------------------- */

static void forget_connection(struct xen_store *s)
{
    s->in_len = 0;
    s->out_len = 0;
    s->out_head = 0;
    xen_store_forget_watches(s);
}

void xen_store_drop(struct xen_store *s, uint32_t why)
{
    forget_connection(s);
    s->error = why;
    s->drops++;
    if (s->ring)
        store_idx(&s->ring->error, why);
}

/* The guest asked for a fresh ring: empty it, forget the rest, answer. */
static void reconnect(struct xen_store *s)
{
    struct xen_xenstore_domain_interface *ring = s->ring;

    forget_connection(s);
    s->error = XEN_XENSTORE_ERROR_NONE;
    s->req_cons = 0;
    s->rsp_prod = 0;
    store_idx(&ring->req_cons, 0);
    store_idx(&ring->req_prod, 0);
    store_idx(&ring->rsp_cons, 0);
    store_idx(&ring->rsp_prod, 0);
    store_idx(&ring->error, XEN_XENSTORE_ERROR_NONE);
    store_idx(&ring->connection, XEN_XENSTORE_CONNECTED);
}

/* The header of the request being read (complete, and checked). */
static uint32_t in_payload_len(const struct xen_store *s)
{
    struct xen_xsd_sockmsg hdr;

    memcpy(&hdr, s->in, sizeof(hdr));
    return hdr.len;
}

/*
 * One pass over the ring (the file's opening comment): true if an index
 * moved or the connection changed, so that the guest must be signalled.
 */
static bool pump(struct xen_store *s)
{
    struct xen_xenstore_domain_interface *ring = s->ring;
    unsigned budget = XEN_STORE_PASS_MAX;
    bool moved = false;

    if (!ring)
        return false;
    if (load_idx(&ring->connection) == XEN_XENSTORE_RECONNECT) {
        reconnect(s);
        return true;
    }
    if (s->error)
        return false;
    for (;;) {
        uint32_t req_prod = load_idx(&ring->req_prod);
        uint32_t rsp_cons = load_idx(&ring->rsp_cons);
        bool progress = false;
        uint32_t n;

        if (req_prod - s->req_cons > RING || s->rsp_prod - rsp_cons > RING) {
            xen_store_drop(s, XEN_XENSTORE_ERROR_RINGIDX);
            return true;
        }
        /* What waits goes first, as far as the ring has room. */
        n = RING - (s->rsp_prod - rsp_cons);
        if (n > s->out_len)
            n = s->out_len;
        if (n) {
            backlog_to_ring(s, ring->rsp, n);
            store_idx(&ring->rsp_prod, s->rsp_prod);
            progress = true;
        }
        /* Requests only while nothing waits. */
        if (!s->out_len && budget) {
            uint32_t want = s->in_len < XEN_STORE_HDR
                                ? XEN_STORE_HDR - s->in_len
                                : XEN_STORE_HDR + in_payload_len(s) - s->in_len;

            n = req_prod - s->req_cons;
            if (n > want)
                n = want;
            if (n) {
                ring_read(ring->req, s->req_cons, s->in + s->in_len, n);
                s->req_cons += n;
                store_idx(&ring->req_cons, s->req_cons);
                s->in_len += n;
                progress = true;
                if (s->in_len == XEN_STORE_HDR &&
                    in_payload_len(s) > XEN_XENSTORE_PAYLOAD_MAX) {
                    xen_store_drop(s, XEN_XENSTORE_ERROR_PROTO);
                    return true;
                }
            }
            if (s->in_len >= XEN_STORE_HDR &&
                s->in_len == XEN_STORE_HDR + in_payload_len(s)) {
                struct xen_xsd_sockmsg hdr;

                memcpy(&hdr, s->in, sizeof(hdr));
                s->in[s->in_len] = '\0';
                s->in_len = 0;
                budget--;
                progress = true;
                xen_store_handle(s, &hdr, (const char *)s->in + XEN_STORE_HDR);
                if (s->error)
                    return true;
            }
        }
        if (!progress)
            break;
        moved = true;
    }
    return moved;
}

static void signal_guest(struct domain *d, uint32_t port)
{
    pthread_mutex_lock(&d->lock);
    xen_evtchn_raise_locked(d, port);
    pthread_mutex_unlock(&d->lock);
}

/* ---- the store's life ---------------------------------------------------- */

/* Back to dormant: no page, no tree, no connection. */
static void go_dormant(struct xen_store *s)
{
    if (s->mm_ref) {
        xen_mm_put_writable(s->d, s->page_gpa >> 12);
        s->mm_ref = false;
    }
    s->ring = NULL;
    forget_connection(s);
    s->error = XEN_XENSTORE_ERROR_NONE;
    s->req_cons = 0;
    s->rsp_prod = 0;
    s->next_tx = 0;
    xen_store_tree_free(&s->tree);
}

/* hvcore writes home/rel = value and fires its watches. */
static enum xen_store_err hv_write(struct xen_store *s, const char *rel, const char *value)
{
    enum xen_store_err err;

    snprintf(s->abs, sizeof(s->abs), "%s/%s", s->home, rel);
    err = xen_store_tree_write(&s->tree, s->abs, value, strlen(value), true);
    if (!err)
        xen_store_fire(s, s->abs, false);
    return err;
}

static enum xen_store_err hv_mkdir(struct xen_store *s, const char *rel)
{
    bool created;

    snprintf(s->abs, sizeof(s->abs), "%s/%s", s->home, rel);
    return xen_store_tree_mkdir(&s->tree, s->abs, true, &created);
}

/* What a domU's Linux reads of its own directory (xen_store.h). */
static enum xen_store_err seed(struct xen_store *s, struct domain *d, uint64_t target_kib)
{
    unsigned vcpus = d->max_vcpus ? d->max_vcpus : 1;
    char name[sizeof(d->name) + 1], val[32], rel[48];
    enum xen_store_err err;

    memcpy(name, d->name, sizeof(d->name));
    name[sizeof(d->name)] = '\0';
    if (vcpus > HV_MAX_VCPUS)
        vcpus = HV_MAX_VCPUS;
    err = hv_write(s, "name", name);
    snprintf(val, sizeof(val), "%u", d->domid);
    err = err ? err : hv_write(s, "domid", val);
    snprintf(val, sizeof(val), "%llu", (unsigned long long)target_kib);
    err = err ? err : hv_write(s, "memory/target", val);
    snprintf(val, sizeof(val), "%llu", (unsigned long long)(d->mem_max_bytes >> 10));
    err = err ? err : hv_write(s, "memory/static-max", val);
    err = err ? err : hv_mkdir(s, "control");
    err = err ? err : hv_mkdir(s, "device");
    for (unsigned i = 0; i < vcpus && !err; i++) {
        snprintf(rel, sizeof(rel), "cpu/%u/availability", i);
        err = hv_write(s, rel, "online");
    }
    if (d->xen->console_gpa) {
        snprintf(val, sizeof(val), "%llu", (unsigned long long)(d->xen->console_gpa >> 12));
        err = err ? err : hv_write(s, "console/ring-ref", val);
        snprintf(val, sizeof(val), "%u", d->xen->console_port);
        err = err ? err : hv_write(s, "console/port", val);
    }
    return err;
}

static struct xen_store *store_new(struct domain *d)
{
    struct xen_store *s = calloc(1, sizeof(*s));

    if (!s)
        return NULL;
    s->out = malloc(XEN_STORE_BACKLOG_MAX);
    if (!s->out || pthread_mutex_init(&s->lock, NULL)) {
        free(s->out);
        free(s);
        return NULL;
    }
    s->d = d;
    return s;
}

int xen_store_init(struct domain *d, uint64_t page_gpa, uint32_t port)
{
    struct xen_dom *x = d->xen;
    struct xen_store *s;
    struct xen_xenstore_domain_interface *ring;
    uint64_t target_kib;
    int rc = 0;

    if (!x || !d->mem || !port || (page_gpa & (HV_PAGE_SIZE - 1)) ||
        (page_gpa >> 12) >= x->nr_pages)
        return -HVE_INVAL;
    if (!x->store) {
        x->store = store_new(d);
        if (!x->store)
            return -HVE_NOMEM;
    }
    s = x->store;
    pthread_mutex_lock(&d->lock);
    target_kib = d->mem_target_kib;
    pthread_mutex_unlock(&d->lock);

    pthread_mutex_lock(&s->lock);
    go_dormant(s);
    if (xen_mm_get_writable(d, page_gpa >> 12) < 0) {
        rc = -HVE_INVAL;
        goto out;
    }
    s->mm_ref = true;
    s->page_gpa = page_gpa;
    s->port = port;
    s->domid = d->domid;
    s->home_len = (size_t)snprintf(s->home, sizeof(s->home), "/local/domain/%u", d->domid);
    if (xen_store_tree_init(&s->tree) < 0 || seed(s, d, target_kib)) {
        go_dormant(s);
        rc = -HVE_NOMEM;
        goto out;
    }
    ring = (struct xen_xenstore_domain_interface *)(d->mem + page_gpa);
    store_idx(&ring->req_cons, 0);
    store_idx(&ring->req_prod, 0);
    store_idx(&ring->rsp_cons, 0);
    store_idx(&ring->rsp_prod, 0);
    store_idx(&ring->server_features,
              XEN_XENSTORE_SERVER_FEATURE_RECONNECTION | XEN_XENSTORE_SERVER_FEATURE_ERROR);
    store_idx(&ring->connection, XEN_XENSTORE_CONNECTED);
    store_idx(&ring->error, XEN_XENSTORE_ERROR_NONE);
    s->ring = ring;
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void xen_store_kick(struct domain *d)
{
    struct xen_store *s = store_of(d);
    uint32_t port;
    bool moved;

    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    moved = pump(s);
    port = s->port;
    pthread_mutex_unlock(&s->lock);
    if (moved)
        signal_guest(d, port);
}

/* hvcore changes home/rel: the tree, the watches, then the ring.
 * 0, -HVE_AGAIN (no store), -HVE_NOMEM (no room) or -HVE_IO (dropped). */
static int hv_change(struct domain *d, const char *rel, const char *value)
{
    struct xen_store *s = store_of(d);
    uint32_t port;
    bool moved = false;
    int rc = 0;

    if (!s)
        return -HVE_AGAIN;
    pthread_mutex_lock(&s->lock);
    if (!s->ring) {
        rc = -HVE_AGAIN;
    } else if (hv_write(s, rel, value)) {
        rc = -HVE_NOMEM;
    } else {
        moved = pump(s);
        if (s->error)
            rc = -HVE_IO;
    }
    port = s->port;
    pthread_mutex_unlock(&s->lock);
    if (moved)
        signal_guest(d, port);
    return rc;
}

int xen_store_request_shutdown(struct domain *d, const char *what)
{
    if (!what || (strcmp(what, "poweroff") && strcmp(what, "reboot")))
        return -HVE_INVAL;
    return hv_change(d, "control/shutdown", what);
}

void xen_store_set_target(struct domain *d, uint64_t kib)
{
    char val[32];

    snprintf(val, sizeof(val), "%llu", (unsigned long long)kib);
    (void)hv_change(d, "memory/target", val);
}

void xen_store_reset(struct domain *d)
{
    struct xen_store *s = store_of(d);

    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    go_dormant(s);
    pthread_mutex_unlock(&s->lock);
}

void xen_store_free(struct domain *d)
{
    struct xen_store *s = store_of(d);

    if (!s)
        return;
    go_dormant(s);
    pthread_mutex_destroy(&s->lock);
    free(s->out);
    free(s);
    d->xen->store = NULL;
}

void xen_store_get_stats(struct domain *d, struct xen_store_stats *st)
{
    struct xen_store *s = store_of(d);

    memset(st, 0, sizeof(*st));
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    st->live = s->ring != NULL;
    st->error = s->error;
    st->nodes = s->tree.root ? s->tree.nr_nodes : 0;
    st->bytes = s->tree.root ? s->tree.bytes : 0;
    st->watches = s->nr_watches;
    st->transactions = s->nr_tx;
    st->backlog = s->out_len;
    st->requests = s->requests;
    st->events = s->events;
    st->dropped_events = s->dropped_events;
    st->drops = s->drops;
    pthread_mutex_unlock(&s->lock);
}
