/*
 * xen_store.h - hvcore's own small xenstore for a Xen-PV domain.
 *
 * A PV Linux initialises xenbus from start_info.store_mfn / store_evtchn
 * and talks to xenstored over the store page (public/xen_store.h).  hvcore
 * has no dom0 and no xenstored, so it answers that ring itself, from an
 * in-memory tree seeded with what a domU's Linux reads of its own
 * directory /local/domain/<domid>:
 *
 *   name, domid                    the domain's
 *   memory/target, static-max      KiB (the balloon driver's watch)
 *   control/                       empty: control/shutdown is written by
 *                                  xen_store_request_shutdown (manage.c)
 *   device/                        empty: no xenbus devices, so Linux's
 *                                  frontends find none and boot on
 *   cpu/<n>/availability "online"  one per vCPU (cpu_hotplug.c)
 *   console/ring-ref, port         start_info's console page and port
 *
 * What is served, and how (docs/xen-pv.md):
 *   - READ WRITE MKDIR RM DIRECTORY DIRECTORY_PART GET_PERMS SET_PERMS
 *     WATCH UNWATCH TRANSACTION_START/END GET_DOMAIN_PATH RESET_WATCHES;
 *     CONTROL (DEBUG) and the toolstack's INTRODUCE RELEASE
 *     IS_DOMAIN_INTRODUCED RESUME SET_TARGET get EACCES; unknown types
 *     EINVAL.  Errors are XS_ERROR replies naming the errno ("ENOENT").
 *   - Relative paths are relative to /local/domain/<domid>.  The guest
 *     may read everything and change only what lies below its own
 *     directory (elsewhere: EACCES).  No permissions are kept: GET_PERMS
 *     answers "n<domid>" (the domain owns the node), SET_PERMS checks its
 *     arguments and is accepted.
 *   - Watches fire as xenstored's do: once at registration, then for
 *     every change of the watched node or a node below it, and for the
 *     removal of a node above it (the event then names the watch's own
 *     path); a relative watch gets relative event paths.
 *   - Transactions are trivial: ids are handed out and checked, but reads
 *     and writes in a transaction go straight to the tree (watches fire at
 *     once) and TRANSACTION_END, commit or abort, always succeeds: an
 *     abort does not undo.  Linux's uses (manage.c: read control/shutdown,
 *     write "" back, commit) need nothing more, since nothing else writes
 *     concurrently.
 *   - The guest is hostile.  Indexes are copied once per pass and
 *     checked (a producer more than a ring ahead of its consumer drops the
 *     connection); a header with len > XENSTORE_PAYLOAD_MAX drops it;
 *     every string is bounded by its payload; paths, depth, nodes, bytes,
 *     watches and transactions are capped (xen_store_tree.h, below) with
 *     error replies.  Replies and events wait in a bounded backlog while
 *     the response ring is full, and no further request is read until it
 *     drains; a backlog that would overflow (a guest that never reads,
 *     watches fired by hvcore's own writes) drops the connection.
 *   - Dropping the connection forgets its partial request, backlog,
 *     watches and transactions (the tree stays), writes the reason in the
 *     page's error field (server_features advertises it) and ignores the
 *     ring until the guest asks to reconnect (connection = RECONNECT, then
 *     a signal), which empties the ring and answers CONNECTED.
 *
 * Threads: xen_store_kick runs on a vCPU thread, the others on the event
 * loop or the builder.  Each takes the store's own mutex, and raises the
 * store port (xen_evtchn_raise_locked with dom->lock) only after
 * releasing it: call none of them with dom->lock held.
 */
#ifndef HVCORE_XEN_STORE_H
#define HVCORE_XEN_STORE_H

#include <stdbool.h>
#include <stdint.h>

struct domain;

#define XEN_STORE_WATCHES_MAX 128        /* per connection: then E2BIG      */
#define XEN_STORE_TX_MAX      16         /* open transactions: then ENOSPC  */
#define XEN_STORE_BACKLOG_MAX (64u * 1024) /* bytes waiting for ring room  */

/*
 * Serve the store page at page_gpa (a page of guest RAM) on event channel
 * port: take a writable-type reference on the frame (xen_mm_get_writable,
 * so that it cannot become a page table while hvcore writes into it),
 * zero the ring's indexes, advertise the server features, and seed the
 * tree from the domain (d->domid, d->name, d->mem_target_kib,
 * d->mem_max_bytes, d->max_vcpus, d->xen->console_gpa / console_port:
 * bind the console's port first).  Called by the builder at every boot,
 * before the guest runs; a second call starts over as xen_store_reset
 * does.  0, -HVE_INVAL (page not page-aligned guest RAM, frame refused by
 * xen_mm, port 0) or -HVE_NOMEM.  Builder thread, dom->lock not held.
 */
int xen_store_init(struct domain *d, uint64_t page_gpa, uint32_t port);

/*
 * The guest signalled the store port (EVTCHNOP_send): read and answer
 * every whole request in the ring, move what fits of the backlog into the
 * response ring, and raise the port if an index moved.  Does nothing
 * before xen_store_init or once the connection is dropped (unless the
 * guest asks to reconnect).  vCPU thread, dom->lock not held.
 */
void xen_store_kick(struct domain *d);

/*
 * Ask the guest to shut down: write what ("poweroff" or "reboot") to
 * control/shutdown and fire its watches, as the toolstack does (Linux's
 * manage.c reads it in a transaction, writes "" back and acts).  A guest
 * that has not yet set its watch sees the request when it does.  0;
 * -HVE_INVAL (what is neither); -HVE_AGAIN (no store: before
 * xen_store_init or after xen_store_reset); -HVE_IO (written, but the
 * connection is dropped: the guest will not hear of it).  Event loop,
 * dom->lock not held.
 */
int xen_store_request_shutdown(struct domain *d, const char *what);

/* Publish a balloon target: memory/target = kib, watches fired.  Nothing
 * without a store.  Event loop, dom->lock not held. */
void xen_store_set_target(struct domain *d, uint64_t kib);

/*
 * The domain reboots: forget the connection and the tree and release the
 * page's writable reference (call it before xen_mm forgets its frame
 * types).  The store is dormant until the builder's next xen_store_init.
 */
void xen_store_reset(struct domain *d);

/* Free everything (domain teardown; no other thread may call in). */
void xen_store_free(struct domain *d);

/* What the store holds now (tests, fuzzing, diagnostics). */
struct xen_store_stats {
    bool live;                  /* between xen_store_init and reset    */
    uint32_t error;             /* XEN_XENSTORE_ERROR_*, 0: connected  */
    unsigned nodes, watches, transactions;
    uint64_t bytes;             /* the tree's, as counted for the cap  */
    uint32_t backlog;           /* bytes waiting for ring room         */
    uint64_t requests;          /* whole requests answered, ever       */
    uint64_t events;            /* watch events queued, ever           */
    uint64_t dropped_events;    /* too long for one message            */
    uint64_t drops;             /* connections dropped, ever           */
};

/* Fill st (all zero without a store). */
void xen_store_get_stats(struct domain *d, struct xen_store_stats *st);

#endif /* HVCORE_XEN_STORE_H */
