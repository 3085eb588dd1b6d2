/*
 * fuzz_xen_store.c - libFuzzer harness for hvcore's xenstore
 * (src/xen_store*.c): a hostile guest's store page, as the store serves
 * it.  Guest RAM is the store page alone (4096 bytes, malloc'ed), so that
 * a byte read or written outside it is an ASan report.
 *
 * Input: a sequence of operations, each a selector byte and its operands:
 *   request    type, tx (0, an id handed out, or any), 1-byte length,
 *              payload: a whole message into the request ring, as far as
 *              it has room, then a signal
 *   raw bytes  1-byte length and bytes, put at req_prod whatever the
 *              room, req_prod moved by that much (no signal)
 *   signal     xen_store_kick
 *   read       up to a 2-byte count of response bytes consumed (and
 *              checked, below), then a signal as Linux gives one
 *   index      one of the page's words (indexes, features, connection,
 *              error) set to any value
 *   scribble   a byte anywhere in the page
 *   hvcore     request_shutdown (poweroff, reboot, bad), set_target,
 *              reset, init again
 *   reconnect  connection = RECONNECT, then a signal
 *   bulk       up to 255 well-formed requests of one type (WRITE, WATCH,
 *              UNWATCH, MKDIR, RM, TRANSACTION_START/END, READ) on
 *              numbered paths under one base (watches: numbered tokens on
 *              the base), with values or tokens of up to 4 KiB, each
 *              answered and read: the caps and the backlog's limit are a
 *              few operations away
 *   long path  a READ, WRITE or WATCH of a path up to 3200 bytes, made of
 *              components of a chosen length
 *
 * Checked besides crashes, leaks and sanitizer reports: the caps hold
 * (nodes, bytes, watches, transactions, backlog); the store never lets its
 * producer run more than a ring ahead of a consumer it has seen; while
 * the guest leaves the response side alone, the bytes it reads parse as
 * whole messages of at most XENSTORE_PAYLOAD_MAX, of a reply's type, an
 * ERROR naming an errno, or a WATCH_EVENT of two strings; the port is
 * raised only with dom->lock held; frame references balance.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "hvcore.h"
#include "public/errno.h"
#include "public/xen_store.h"
#include "xen.h"
#include "xen_evtchn.h"
#include "xen_store.h"
#include "xen_store_tree.h"

#define RING XEN_XENSTORE_RING_SIZE
#define HDR ((uint32_t)sizeof(struct xen_xsd_sockmsg))
#define PORT 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct domain dom;
static struct xen_dom xdom;
static struct xen_xenstore_domain_interface *ring;
static int mm_refs;

void xen_evtchn_raise_locked(struct domain *d, unsigned port)
{
    CHECK(d == &dom && port == PORT, "raise of port %u", port);
    CHECK(pthread_mutex_trylock(&d->lock) == EBUSY, "port raised without dom->lock");
}

int xen_mm_get_writable(struct domain *d, uint64_t mfn)
{
    CHECK(d == &dom && mfn == 0, "writable reference on frame %llu", (unsigned long long)mfn);
    mm_refs++;
    return 0;
}

void xen_mm_put_writable(struct domain *d, uint64_t mfn)
{
    CHECK(d == &dom && mfn == 0, "put of frame %llu", (unsigned long long)mfn);
    CHECK(--mm_refs >= 0, "more puts than gets");
}

struct input {
    const uint8_t *p;
    size_t n;
};

static uint8_t next(struct input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static uint32_t next32(struct input *in)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++)
        v |= (uint32_t)next(in) << (8 * i);
    return v;
}

/* ---- the response stream, parsed as a guest would ------------------------ */

static struct {
    bool trusted;               /* the guest left the response side alone */
    uint8_t buf[HDR + XEN_XENSTORE_PAYLOAD_MAX];
    uint32_t have;
    uint32_t tx[8];             /* ids TRANSACTION_START handed out */
} rs;

static bool errno_name(const char *s, uint32_t len)
{
    static const char *const names[] = {
        "EINVAL", "EACCES", "EEXIST", "EISDIR", "ENOENT", "ENOMEM", "ENOSPC", "EIO",
        "ENOTEMPTY", "ENOSYS", "EROFS", "EBUSY", "EAGAIN", "EISCONN", "E2BIG",
    };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (len == strlen(names[i]) + 1 && !memcmp(s, names[i], len))
            return true;
    return false;
}

static void check_message(const struct xen_xsd_sockmsg *h, const char *body)
{
    switch (h->type) {
    case XEN_XS_ERROR:
        CHECK(errno_name(body, h->len), "ERROR payload of %u bytes", h->len);
        break;
    case XEN_XS_WATCH_EVENT: {
        size_t l1 = strnlen(body, h->len);
        CHECK(h->req_id == 0 && h->tx_id == 0, "event with ids %u/%u", h->req_id, h->tx_id);
        CHECK(l1 < h->len && h->len - l1 - 1 > 0 &&
              strnlen(body + l1 + 1, h->len - l1 - 1) == h->len - l1 - 2,
              "event payload not two strings");
        break;
    }
    case XEN_XS_TRANSACTION_START: {
        unsigned long id = strtoul(body, NULL, 10);
        CHECK(h->len > 1 && body[h->len - 1] == '\0' && id, "transaction id '%.*s'",
              (int)h->len, body);
        rs.tx[id % 8] = (uint32_t)id;
        break;
    }
    default:
        CHECK(h->type < XEN_XS_TYPE_COUNT && h->type != 20 && h->type != XEN_XS_CONTROL,
              "reply of type %u", h->type);
    }
}

/* Consume up to n response bytes; parse them while trusted. */
static void consume(uint32_t n)
{
    uint32_t cons = ring->rsp_cons, prod = __atomic_load_n(&ring->rsp_prod, __ATOMIC_ACQUIRE);
    uint32_t avail = prod - cons;

    if (avail > RING)
        return;                 /* the guest broke its own side */
    if (n > avail)
        n = avail;
    for (uint32_t i = 0; i < n && rs.trusted;) {
        struct xen_xsd_sockmsg h;
        uint32_t want = HDR - rs.have, off = (cons + i) % RING;

        if (rs.have >= HDR) {
            memcpy(&h, rs.buf, HDR);
            want = HDR + h.len - rs.have;
        }
        if (want > n - i)
            want = n - i;
        if (want > RING - off)
            want = RING - off;
        memcpy(rs.buf + rs.have, ring->rsp + off, want);
        rs.have += want;
        i += want;
        if (rs.have < HDR)
            continue;
        memcpy(&h, rs.buf, HDR);
        CHECK(h.len <= XEN_XENSTORE_PAYLOAD_MAX, "message of %u bytes", h.len);
        if (rs.have == HDR + h.len) {
            char body[XEN_XENSTORE_PAYLOAD_MAX + 1];
            memcpy(body, rs.buf + HDR, h.len);
            body[h.len] = '\0';
            check_message(&h, body);
            rs.have = 0;
        }
    }
    __atomic_store_n(&ring->rsp_cons, cons + n, __ATOMIC_RELEASE);
    /* Linux's signal: only if the ring was full. */
    if (ring->rsp_prod - cons >= RING)
        xen_store_kick(&dom);
}

static void fresh_stream(void)
{
    rs.trusted = true;
    rs.have = 0;
}

/* ---- the guest's writes ---------------------------------------------------- */

static void check_caps(void);

static void put(const void *data, uint32_t len)
{
    uint32_t prod = ring->req_prod;

    for (uint32_t done = 0; done < len;) {
        uint32_t off = (prod + done) % RING, n = len - done;
        if (n > RING - off)
            n = RING - off;
        memcpy(ring->req + off, (const char *)data + done, n);
        done += n;
    }
    __atomic_store_n(&ring->req_prod, prod + len, __ATOMIC_RELEASE);
}

static const char *const paths[] = {
    "control/shutdown", "memory/target", "device", "cpu", "name", "/", "/local/domain/3",
    "data/x", "@releaseDomain", "a//b", "",
};
#define NR_PATHS (sizeof(paths) / sizeof(paths[0]))

static void request(struct input *in)
{
    uint8_t payload[256 + 64];
    uint8_t type = next(in), txsel = next(in), len = next(in);
    struct xen_xsd_sockmsg h = { .type = type % 24, .req_id = next(in) };
    uint32_t plen = 0;

    /* Often a known path first, so that requests reach the tree. */
    if (txsel & 0x80) {
        const char *p = paths[(txsel >> 4) % NR_PATHS];
        plen = (uint32_t)strlen(p) + 1;
        memcpy(payload, p, plen);
    }
    for (uint8_t i = 0; i < len; i++)
        payload[plen++] = next(in);
    h.tx_id = (txsel & 3) == 0 ? 0 : (txsel & 3) == 1 ? rs.tx[(txsel >> 2) % 8] : next32(in);
    if ((type & 0xc0) == 0xc0)
        h.type = next32(in);    /* any type at all, now and then */
    h.len = plen;
    if (RING - (ring->req_prod - ring->req_cons) < HDR + plen)
        return;                 /* a polite guest waits for room */
    put(&h, HDR);
    put(payload, plen);
    xen_store_kick(&dom);
}

/* Send a whole request, reading replies while the ring has no room (as
 * Linux's thread does); gives up if the guest broke its response side. */
static void send_whole(uint32_t type, uint32_t tx, const uint8_t *payload, uint32_t len)
{
    struct xen_xsd_sockmsg h = { .type = type, .req_id = 0x4000, .tx_id = tx, .len = len };
    uint8_t msg[HDR + XEN_XENSTORE_PAYLOAD_MAX];
    uint32_t done = 0, total = HDR + len;

    memcpy(msg, &h, HDR);
    memcpy(msg + HDR, payload, len);
    for (unsigned spins = 0; done < total && spins < 64; spins++) {
        uint32_t room = RING - (ring->req_prod - ring->req_cons), n = total - done;

        if (room > RING)
            return;
        if (n > room)
            n = room;
        put(msg + done, n);
        done += n;
        xen_store_kick(&dom);
        consume(0xffff);
    }
}

static void bulk(struct input *in)
{
    static const uint32_t types[] = {
        XEN_XS_WRITE, XEN_XS_WATCH, XEN_XS_UNWATCH, XEN_XS_MKDIR, XEN_XS_RM,
        XEN_XS_TRANSACTION_START, XEN_XS_TRANSACTION_END, XEN_XS_READ,
    };
    uint32_t type = types[next(in) % 8];
    unsigned count = next(in);
    const char *base = paths[next(in) % NR_PATHS];
    unsigned extra = next(in) * 16u;
    uint8_t payload[XEN_XENSTORE_PAYLOAD_MAX];

    for (unsigned k = 0; k < count && ring; k++) {
        uint32_t len, tx = 0;

        /* Numbered paths; watches share the base path, numbered tokens. */
        if (type == XEN_XS_WATCH || type == XEN_XS_UNWATCH)
            len = (uint32_t)snprintf((char *)payload, 64, "%s", base) + 1;
        else
            len = (uint32_t)snprintf((char *)payload, 64, "%s/%u", base, k) + 1;

        if (extra > XEN_XENSTORE_PAYLOAD_MAX - 80)
            extra = XEN_XENSTORE_PAYLOAD_MAX - 80;
        if (type == XEN_XS_WRITE) {
            memset(payload + len, 'v', extra);
            len += extra;
        } else if (type == XEN_XS_WATCH || type == XEN_XS_UNWATCH) {
            len += (uint32_t)snprintf((char *)payload + len, 16, "t%u", k % 200);
            memset(payload + len, 'x', extra);
            len += extra;
            payload[len++] = '\0';
        } else if (type == XEN_XS_TRANSACTION_START) {
            payload[0] = '\0';
            len = 1;
        } else if (type == XEN_XS_TRANSACTION_END) {
            memcpy(payload, k & 1 ? "F" : "T", 2);
            len = 2;
            tx = rs.tx[k % 8];
        }
        send_whole(type, tx, payload, len);
    }
}

static void long_path(struct input *in)
{
    static const uint32_t types[] = { XEN_XS_READ, XEN_XS_WRITE, XEN_XS_WATCH, XEN_XS_RM };
    uint32_t type = types[next(in) % 4];
    uint32_t want = (next(in) | (uint32_t)next(in) << 8) % 3200;
    unsigned comp = 1 + next(in) % 8;
    bool absolute = next(in) & 1;
    uint8_t payload[XEN_XENSTORE_PAYLOAD_MAX];
    uint32_t len = 0;

    if (absolute)
        len = (uint32_t)sprintf((char *)payload, "/local/domain/3");
    while (len < want) {
        if (len)
            payload[len++] = '/';
        for (unsigned i = 0; i < comp && len < want; i++)
            payload[len++] = 'd';
    }
    payload[len++] = '\0';
    if (type == XEN_XS_WATCH)
        payload[len++] = '\0';          /* an empty token */
    send_whole(type, 0, payload, len);
}

static void check_caps(void)
{
    struct xen_store_stats st;

    xen_store_get_stats(&dom, &st);
    CHECK(st.nodes <= XEN_STORE_NODES_MAX + XEN_STORE_HV_RESERVE_NODES, "%u nodes", st.nodes);
    CHECK(st.bytes <= XEN_STORE_BYTES_MAX + XEN_STORE_HV_RESERVE_BYTES, "%llu bytes",
          (unsigned long long)st.bytes);
    CHECK(st.watches <= XEN_STORE_WATCHES_MAX, "%u watches", st.watches);
    CHECK(st.transactions <= XEN_STORE_TX_MAX, "%u transactions", st.transactions);
    CHECK(st.backlog <= XEN_STORE_BACKLOG_MAX, "backlog %u", st.backlog);
    CHECK(!st.error || (!st.watches && !st.backlog), "dropped, yet %u watches, %u backlog",
          st.watches, st.backlog);
    CHECK(st.live == (ring != NULL), "live %d", st.live);
    if (st.live && rs.trusted)
        CHECK(ring->rsp_prod - ring->rsp_cons <= RING, "response producer %u ahead of %u",
              ring->rsp_prod, ring->rsp_cons);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    static uint8_t *page;
    int rc;

    memset(&dom, 0, sizeof(dom));
    memset(&xdom, 0, sizeof(xdom));
    page = malloc(4096);
    CHECK(page, "no memory");
    memset(page, 0, 4096);
    dom.mem = page;
    dom.xen = &xdom;
    xdom.nr_pages = 1;
    xdom.console_gpa = 0;
    dom.domid = 3;
    strcpy(dom.name, "fuzz");
    dom.mem_max_bytes = 1ull << 28;
    dom.mem_target_kib = 1u << 18;
    dom.max_vcpus = 2;
    pthread_mutex_init(&dom.lock, NULL);
    memset(&rs, 0, sizeof(rs));
    fresh_stream();
    CHECK(xen_store_init(&dom, 0, PORT) == 0, "init");
    ring = (struct xen_xenstore_domain_interface *)page;

    while (in.n) {
        uint8_t op = next(&in);

        switch (op % 14) {
        case 0: case 1: case 2: case 3:
            request(&in);
            break;
        case 4: {
            uint8_t len = next(&in), bytes[256];
            for (unsigned i = 0; i < len; i++)
                bytes[i] = next(&in);
            put(bytes, len);
            break;
        }
        case 5:
            xen_store_kick(&dom);
            break;
        case 6: {
            uint32_t n = next(&in);
            consume(n | (uint32_t)next(&in) << 8);
            break;
        }
        case 7: {
            uint32_t *words = &ring->req_cons, which = next(&in) % 7, val = next32(&in);
            if (which >= 2)                 /* rsp_cons on: the guest's reading */
                rs.trusted = false;
            words[which] = val;
            break;
        }
        case 8: {
            uint32_t off = next(&in) | (uint32_t)next(&in) << 8;
            off %= 4096;
            if (off >= RING)
                rs.trusted = false;
            page[off] = next(&in);
            break;
        }
        case 9:
            switch (next(&in) % 4) {
            case 0: rc = xen_store_request_shutdown(&dom, "poweroff"); break;
            case 1: rc = xen_store_request_shutdown(&dom, "reboot"); break;
            case 2: rc = xen_store_request_shutdown(&dom, "suspend"); break;
            default: xen_store_set_target(&dom, next32(&in)); rc = 0; break;
            }
            CHECK(rc == 0 || rc == -HVE_INVAL || rc == -HVE_IO || rc == -HVE_NOMEM ||
                  rc == -HVE_AGAIN, "request_shutdown: %d", rc);
            break;
        case 10:
            if (next(&in) & 1) {
                xen_store_reset(&dom);
                ring = NULL;
                CHECK(xen_store_request_shutdown(&dom, "poweroff") == -HVE_AGAIN, "dormant");
                xen_store_kick(&dom);
            }
            CHECK(xen_store_init(&dom, 0, PORT) == 0, "init again");
            ring = (struct xen_xenstore_domain_interface *)page;
            memset(rs.tx, 0, sizeof(rs.tx));
            fresh_stream();
            break;
        case 12:
            bulk(&in);
            break;
        case 13:
            long_path(&in);
            break;
        default:
            ring->connection = XEN_XENSTORE_RECONNECT;
            xen_store_kick(&dom);
            CHECK(ring->connection == XEN_XENSTORE_CONNECTED && ring->error == 0 &&
                  !ring->req_prod && !ring->rsp_cons, "reconnect left %u/%u",
                  ring->connection, ring->error);
            fresh_stream();
            break;
        }
        if (ring)
            check_caps();
    }
    xen_store_free(&dom);
    CHECK(mm_refs == 0, "%d writable references left", mm_refs);
    CHECK(!xdom.store, "store not freed");
    pthread_mutex_destroy(&dom.lock);
    free(page);
    return 0;
}
