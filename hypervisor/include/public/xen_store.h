/*
 * xen_store.h - the xenstore wire protocol a Xen PV guest's xenbus driver
 * speaks over its store page (start_info.store_mfn, store_evtchn), as
 * hvcore's own small xenstore answers it (src/xen_store.h).
 *
 * Written from Xen's published interface (public/io/xs_wire.h,
 * docs/misc/xenstore.txt, docs/misc/xenstore-ring.txt): the numbers and
 * layouts are the ABI and must match it bit for bit; the names follow
 * Xen's with an XEN_ / xen_ prefix.
 *
 * The store page holds two byte rings, requests (guest to server) and
 * responses (server to guest), each indexed by a free-running 32-bit
 * producer and consumer: byte i of a stream lives at ring[i % 1024].  A
 * message is a struct xen_xsd_sockmsg header followed by len payload
 * bytes, usually NUL-terminated strings.  Either side signals the store
 * event channel after moving an index.
 */
#ifndef HV_PUBLIC_XEN_STORE_H
#define HV_PUBLIC_XEN_STORE_H

#include <stdint.h>

/* ---- message types (xsd_sockmsg.type) --------------------------------- */
#define XEN_XS_CONTROL               0   /* formerly DEBUG */
#define XEN_XS_DIRECTORY             1
#define XEN_XS_READ                  2
#define XEN_XS_GET_PERMS             3
#define XEN_XS_WATCH                 4
#define XEN_XS_UNWATCH               5
#define XEN_XS_TRANSACTION_START     6
#define XEN_XS_TRANSACTION_END       7
#define XEN_XS_INTRODUCE             8
#define XEN_XS_RELEASE               9
#define XEN_XS_GET_DOMAIN_PATH      10
#define XEN_XS_WRITE                11
#define XEN_XS_MKDIR                12
#define XEN_XS_RM                   13
#define XEN_XS_SET_PERMS            14
#define XEN_XS_WATCH_EVENT          15   /* server to guest only */
#define XEN_XS_ERROR                16   /* server to guest only */
#define XEN_XS_IS_DOMAIN_INTRODUCED 17
#define XEN_XS_RESUME               18
#define XEN_XS_SET_TARGET           19
/* 20 was RESTRICT, withdrawn */
#define XEN_XS_RESET_WATCHES        21
#define XEN_XS_DIRECTORY_PART       22
#define XEN_XS_TYPE_COUNT           23
#define XEN_XS_INVALID          0xffff   /* never a valid type */

/* The header of every message, in both directions. */
struct xen_xsd_sockmsg {
    uint32_t type;                 /* XEN_XS_* */
    uint32_t req_id;               /* chosen by the guest, echoed in the reply */
    uint32_t tx_id;                /* transaction, 0 for none */
    uint32_t len;                  /* payload bytes after the header */
};

/* The two strings of a WATCH_EVENT payload: path NUL token NUL. */
#define XEN_XS_WATCH_PATH  0
#define XEN_XS_WATCH_TOKEN 1

/* Payload limit, both directions: a guest that sends more is cut off. */
#define XEN_XENSTORE_PAYLOAD_MAX 4096
/* Longest paths accepted (longer ones get EINVAL). */
#define XEN_XENSTORE_ABS_PATH_MAX 3072
#define XEN_XENSTORE_REL_PATH_MAX 2048

/* ---- the store page --------------------------------------------------- */
#define XEN_XENSTORE_RING_SIZE 1024
#define XEN_XENSTORE_RING_MASK(idx) ((idx) & (XEN_XENSTORE_RING_SIZE - 1))

struct xen_xenstore_domain_interface {
    char req[XEN_XENSTORE_RING_SIZE];   /* offset 0: guest to server */
    char rsp[XEN_XENSTORE_RING_SIZE];   /* 1024: replies, watch events */
    uint32_t req_cons, req_prod;        /* 2048, 2052 */
    uint32_t rsp_cons, rsp_prod;        /* 2056, 2060 */
    uint32_t server_features;           /* 2064: XEN_XENSTORE_SERVER_FEATURE_* */
    uint32_t connection;                /* 2068: XEN_XENSTORE_CONNECTED / _RECONNECT */
    uint32_t error;                     /* 2072: XEN_XENSTORE_ERROR_* */
};

/* server_features bits: the server sets them, never clears them. */
#define XEN_XENSTORE_SERVER_FEATURE_RECONNECTION 1u
#define XEN_XENSTORE_SERVER_FEATURE_ERROR        2u

/* connection: the guest writes RECONNECT (and signals) to ask for an empty
 * ring with no watches or transactions; the server answers CONNECTED. */
#define XEN_XENSTORE_CONNECTED 0u
#define XEN_XENSTORE_RECONNECT 1u

/* error: why the server stopped talking on this ring (0: it did not). */
#define XEN_XENSTORE_ERROR_NONE    0u
#define XEN_XENSTORE_ERROR_COMM    1u   /* communication problem */
#define XEN_XENSTORE_ERROR_RINGIDX 2u   /* inconsistent producer/consumer index */
#define XEN_XENSTORE_ERROR_PROTO   3u   /* protocol violation (payload too long) */

/* ---- payload conventions ------------------------------------------------ */
/* Errors travel as their errno names ("EINVAL", NUL-terminated) in an
 * XEN_XS_ERROR reply; success without data is "OK". */
#define XEN_XS_OK "OK"
/* TRANSACTION_END payload: commit or abort. */
#define XEN_XS_TRANSACTION_COMMIT "T"
#define XEN_XS_TRANSACTION_ABORT  "F"

#endif /* HV_PUBLIC_XEN_STORE_H */
