/*
 * xen_store_client.c - the guest's side of hvcore's xenstore for its tests
 * (xen_store_client.h): a fake domain with a store page, the doubles of
 * the event channel and frame-type calls xen_store.c makes, and a xenbus
 * client that reads and writes the rings as a PV Linux's does.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_evtchn.h"
#include "xen_store_client.h"

struct domain xsc_dom;
struct xen_xenstore_domain_interface *xsc_ring;

/* ---- test doubles for the event channel and frame types ------------------ */

unsigned xsc_raises;
bool xsc_mm_refuse;
int xsc_mm_refs;

void xen_evtchn_raise_locked(struct domain *d, unsigned port)
{
    assert_ptr_equal(d, &xsc_dom);
    assert_int_equal(port, STORE_PORT);
    assert_int_equal(pthread_mutex_trylock(&d->lock), EBUSY);  /* held */
    xsc_raises++;
}

int xen_mm_get_writable(struct domain *d, uint64_t mfn)
{
    assert_ptr_equal(d, &xsc_dom);
    assert_int_equal(mfn, STORE_GPA >> 12);
    if (xsc_mm_refuse)
        return -HVE_INVAL;
    xsc_mm_refs++;
    return 0;
}

void xen_mm_put_writable(struct domain *d, uint64_t mfn)
{
    assert_ptr_equal(d, &xsc_dom);
    assert_int_equal(mfn, STORE_GPA >> 12);
    xsc_mm_refs--;
    assert_true(xsc_mm_refs >= 0);
}

/* ---- the guest's xenbus client ------------------------------------------ */

#define INBOX_MAX 512
static struct xsc_msg inbox[INBOX_MAX];    /* replies and events, in order */
static unsigned inbox_len;
static uint8_t rx[HDR + XEN_XENSTORE_PAYLOAD_MAX];
static uint32_t rx_have;
bool xsc_linux_mode;
static uint32_t next_req_id;
static unsigned raises_seen;

void signal_store(void)
{
    xen_store_kick(&xsc_dom);
}

static uint32_t rx_len(void)
{
    struct xen_xsd_sockmsg h;

    memcpy(&h, rx, HDR);
    return h.len;
}

/* Read what the response ring holds, as Linux's xb_read does; whole
 * messages go to the inbox.  True if a byte came. */
bool client_poll(void)
{
    bool any = false;

    for (;;) {
        uint32_t cons = xsc_ring->rsp_cons;
        uint32_t prod = __atomic_load_n(&xsc_ring->rsp_prod, __ATOMIC_ACQUIRE);
        uint32_t want, n;

        assert_true(prod - cons <= RING);
        if (prod == cons)
            return any;
        if (!any && xsc_raises == raises_seen)
            fail_msg("data in the response ring but the store never signalled");
        raises_seen = xsc_raises;
        want = rx_have < HDR ? HDR - rx_have : HDR + rx_len() - rx_have;
        n = prod - cons;
        if (n > want)
            n = want;
        if (n > RING - (cons % RING))
            n = RING - (cons % RING);
        memcpy(rx + rx_have, xsc_ring->rsp + cons % RING, n);
        __atomic_store_n(&xsc_ring->rsp_cons, cons + n, __ATOMIC_RELEASE);
        rx_have += n;
        any = true;
        if (rx_have == HDR)
            assert_true(rx_len() <= XEN_XENSTORE_PAYLOAD_MAX);
        if (rx_have >= HDR && rx_have == HDR + rx_len()) {
            assert_true(inbox_len < INBOX_MAX);
            memcpy(&inbox[inbox_len].h, rx, HDR);
            memcpy(inbox[inbox_len].body, rx + HDR, rx_len());
            inbox[inbox_len].body[rx_len()] = '\0';
            inbox_len++;
            rx_have = 0;
        }
        /* Linux signals a read only if the ring was full before it. */
        if (!xsc_linux_mode || xsc_ring->rsp_prod - cons >= RING)
            signal_store();
    }
}

/* Write bytes into the request ring, as Linux's xb_write does. */
void client_write(const void *data, uint32_t len)
{
    const uint8_t *p = data;

    for (unsigned spins = 0; len; spins++) {
        uint32_t cons = __atomic_load_n(&xsc_ring->req_cons, __ATOMIC_ACQUIRE);
        uint32_t prod = xsc_ring->req_prod;
        uint32_t n = RING - (prod - cons);

        assert_true(prod - cons <= RING);
        if (n > len)
            n = len;
        if (n > RING - (prod % RING))
            n = RING - (prod % RING);
        if (!n) {
            /* Full: the store reads on once we read (Linux's thread does
             * both); never a reason to spin for ever. */
            assert_true(spins < 100);
            if (!client_poll() && !xsc_linux_mode)
                signal_store();
            continue;
        }
        memcpy(xsc_ring->req + prod % RING, p, n);
        __atomic_store_n(&xsc_ring->req_prod, prod + n, __ATOMIC_RELEASE);
        p += n;
        len -= n;
        /* Linux signals only if the store had read everything before. */
        if (!xsc_linux_mode || prod == xsc_ring->req_cons)
            signal_store();
    }
}

void client_send(uint32_t type, uint32_t req_id, uint32_t tx, const void *payload,
                        uint32_t len)
{
    struct xen_xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx, .len = len };

    client_write(&h, HDR);
    client_write(payload, len);
}

/* Put bytes in the request ring behind the client's back (no signal, no
 * check for room). */
void raw_put(const void *data, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        xsc_ring->req[(xsc_ring->req_prod + i) % RING] = ((const char *)data)[i];
    xsc_ring->req_prod += len;
}

/* Take the first inbox message that is a reply to req_id (or, for 0,
 * the first event). */
static bool inbox_take(uint32_t req_id, struct xsc_msg *out)
{
    for (unsigned i = 0; i < inbox_len; i++) {
        bool event = inbox[i].h.type == XEN_XS_WATCH_EVENT;
        if (req_id ? event || inbox[i].h.req_id != req_id : !event)
            continue;
        *out = inbox[i];
        memmove(&inbox[i], &inbox[i + 1], (inbox_len - i - 1) * sizeof(inbox[0]));
        inbox_len--;
        return true;
    }
    return false;
}

/* Wait for a message as Linux's thread does: read while data comes. */
bool client_wait(uint32_t req_id, struct xsc_msg *out)
{
    for (unsigned spins = 0; spins < 100; spins++) {
        if (inbox_take(req_id, out))
            return true;
        if (!client_poll()) {
            if (xsc_linux_mode)
                return false;             /* nothing more will come */
            signal_store();
            if (!client_poll())
                return false;
        }
    }
    return false;
}

struct xsc_msg xsc_reply;
static char shown[2 * XEN_XENSTORE_PAYLOAD_MAX];

/* A reply as text: "!ENOENT" for an error, else the payload with each NUL
 * shown as "|". */
const char *show(const struct xsc_msg *m)
{
    if (m->h.type == XEN_XS_ERROR) {
        snprintf(shown, sizeof(shown), "!%s", m->body);
        return shown;
    }
    for (uint32_t i = 0; i < m->h.len; i++)
        shown[i] = m->body[i] ? m->body[i] : '|';
    shown[m->h.len] = '\0';
    return shown;
}

const char *xs_raw(uint32_t type, uint32_t tx, const void *payload, uint32_t len)
{
    uint32_t id = ++next_req_id;

    client_send(type, id, tx, payload, len);
    if (!client_wait(id, &xsc_reply))
        fail_msg("no reply to request %u (type %u): a lost wakeup or a dropped ring", id, type);
    assert_int_equal(xsc_reply.h.req_id, id);
    assert_int_equal(xsc_reply.h.tx_id, tx);
    assert_true(xsc_reply.h.type == type || xsc_reply.h.type == XEN_XS_ERROR);
    return show(&xsc_reply);
}

static char req_buf[2 * XEN_XENSTORE_PAYLOAD_MAX];

/* A request of one string. */
const char *xs1(uint32_t type, uint32_t tx, const char *a)
{
    return xs_raw(type, tx, a, (uint32_t)strlen(a) + 1);
}

/* A request of two strings. */
const char *xs2(uint32_t type, uint32_t tx, const char *a, const char *b)
{
    size_t la = strlen(a) + 1, lb = strlen(b) + 1;

    memcpy(req_buf, a, la);
    memcpy(req_buf + la, b, lb);
    return xs_raw(type, tx, req_buf, (uint32_t)(la + lb));
}

/* WRITE path|value (the value without a NUL, as xenbus_write sends it). */
const char *xs_write(uint32_t tx, const char *path, const char *value)
{
    size_t lp = strlen(path) + 1, lv = strlen(value);

    memcpy(req_buf, path, lp);
    memcpy(req_buf + lp, value, lv);
    return xs_raw(XEN_XS_WRITE, tx, req_buf, (uint32_t)(lp + lv));
}

void expect_event(const char *path, const char *token)
{
    struct xsc_msg m;
    size_t lp;

    if (!client_wait(0, &m))
        fail_msg("no watch event %s %s", path, token);
    assert_int_equal(m.h.req_id, 0);
    assert_int_equal(m.h.tx_id, 0);
    lp = strlen(m.body);
    assert_true(lp + 1 < m.h.len);
    assert_int_equal(m.h.len, lp + 1 + strlen(m.body + lp + 1) + 1);  /* two strings */
    assert_string_equal(m.body, path);
    assert_string_equal(m.body + lp + 1, token);
}

void expect_no_event(void)
{
    struct xsc_msg m;

    client_poll();
    if (inbox_take(0, &m))
        fail_msg("unexpected watch event %s", m.body);
}

struct xen_store_stats store_stats(void)
{
    struct xen_store_stats st;

    xen_store_get_stats(&xsc_dom, &st);
    return st;
}

/* ---- fixture --------------------------------------------------------------- */

void client_reset(void)
{
    inbox_len = 0;
    rx_have = 0;
    xsc_linux_mode = false;
    raises_seen = xsc_raises;
}

int xsc_setup(void **state)
{
    (void)state;
    memset(&xsc_dom, 0, sizeof(xsc_dom));
    xsc_dom.xen = calloc(1, sizeof(*xsc_dom.xen));
    xsc_dom.mem = aligned_alloc(4096, RAM_PAGES * 4096);
    if (!xsc_dom.xen || !xsc_dom.mem)
        return -1;
    /* Whatever was there before: the store must not trust it. */
    memset(xsc_dom.mem, 0x5a, RAM_PAGES * 4096);
    xsc_dom.xen->nr_pages = RAM_PAGES;
    xsc_dom.xen->console_gpa = CONSOLE_GPA;
    xsc_dom.xen->console_port = CONSOLE_PORT;
    xsc_dom.domid = DOMID;
    strcpy(xsc_dom.name, "web-7");
    xsc_dom.mem_max_bytes = 1ull << 30;
    xsc_dom.mem_target_kib = 512 * 1024;
    xsc_dom.max_vcpus = 1;
    pthread_mutex_init(&xsc_dom.lock, NULL);
    xsc_raises = 0;
    xsc_mm_refs = 0;
    xsc_mm_refuse = false;
    next_req_id = 0x100;
    client_reset();
    if (xen_store_init(&xsc_dom, STORE_GPA, STORE_PORT))
        return -1;
    xsc_ring = (struct xen_xenstore_domain_interface *)(xsc_dom.mem + STORE_GPA);
    return 0;
}

int xsc_teardown(void **state)
{
    (void)state;
    xen_store_free(&xsc_dom);
    assert_null(xsc_dom.xen->store);
    assert_int_equal(xsc_mm_refs, 0);
    pthread_mutex_destroy(&xsc_dom.lock);
    free(xsc_dom.mem);
    free(xsc_dom.xen);
    return 0;
}
