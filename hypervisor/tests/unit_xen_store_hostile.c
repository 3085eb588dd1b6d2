/*
 * unit_xen_store_hostile.c - hvcore's xenstore (src/xen_store.h) against
 * a guest that is not Linux (xen_store_client.h plays it): malformed
 * payloads and paths, the caps on nodes, bytes, watches and events, a
 * payload over the limit, indexes running ahead or scribbled on, requests
 * dribbled a byte at a time, a guest that never reads, reconnection, and
 * the store's own life (init, reset, refusals).  All refused or survived,
 * none read or written outside the store page (run under ASan too).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "public/errno.h"
#include "public/xen_store.h"
#include "xen_store.h"
#include "xen_store_client.h"
#include "xen_store_tree.h"

/* ---- hostile guests ---------------------------------------------------------- */

static void malformed_payloads(void **state)
{
    static const uint32_t refused[] = { XEN_XS_CONTROL, XEN_XS_INTRODUCE, XEN_XS_RELEASE,
                                        XEN_XS_IS_DOMAIN_INTRODUCED, XEN_XS_RESUME,
                                        XEN_XS_SET_TARGET };
    static const uint32_t unknown[] = { 20, XEN_XS_WATCH_EVENT, XEN_XS_ERROR,
                                        XEN_XS_TYPE_COUNT, XEN_XS_INVALID, 0xffffffffu };

    (void)state;
    assert_string_equal(xs_raw(XEN_XS_READ, 0, "name", 4), "!EINVAL");   /* no NUL */
    assert_string_equal(xs_raw(XEN_XS_READ, 0, "", 0), "!EINVAL");       /* empty */
    assert_string_equal(xs_raw(XEN_XS_READ, 0, "name\0x", 7), "!EINVAL");
    assert_string_equal(xs_raw(XEN_XS_READ, 0, "name\0x", 6), "!EINVAL");
    assert_string_equal(xs_raw(XEN_XS_WRITE, 0, "name", 4), "!EINVAL");
    assert_string_equal(xs_raw(XEN_XS_WATCH, 0, "a\0b", 3), "!EINVAL");
    assert_string_equal(xs_raw(XEN_XS_MKDIR, 0, "", 1), "!EINVAL");
    assert_string_equal(xs_raw(XEN_XS_TRANSACTION_END, 0, "T", 1), "!ENOENT");
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
        assert_string_equal(xs1(refused[i], 0, "7"), "!EACCES");
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        assert_string_equal(xs1(unknown[i], 0, "x"), "!EINVAL");
    assert_int_equal(store_stats().error, 0);
    assert_string_equal(xs_read("name"), "web-7");
}

static void bad_paths(void **state)
{
    char path[4200];

    (void)state;
    static const char *const bad[] = { "a b", "a//b", "a/", "/a/", "a.b", "a\x01", "//", "x//y" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_string_equal(xs_write(0, bad[i], "1"), "!EINVAL");
    /* Relative: 2048 bytes at most; absolute: 3072. */
    memset(path, 'r', 2049);
    path[2049] = '\0';
    assert_string_equal(xs_read(path), "!EINVAL");
    path[2048] = '\0';
    assert_string_equal(xs_read(path), "!ENOENT");
    strcpy(path, HOME "/");
    memset(path + strlen(path), 'a', 3073 - strlen(path));
    path[3073] = '\0';
    assert_string_equal(xs_read(path), "!EINVAL");
    path[3072] = '\0';
    assert_string_equal(xs_write(0, path, "long"), "OK|");
    assert_string_equal(xs_read(path), "long");
    /* Deep: 64 components at most. */
    path[0] = '\0';
    for (int i = 0; i < XEN_STORE_DEPTH_MAX - 3; i++)
        strcat(path, i ? "/d" : "d");
    assert_string_equal(xs_write(0, path, "deep"), "OK|");   /* home's 3 + 61 */
    strcat(path, "/d");
    assert_string_equal(xs_write(0, path, "deeper"), "!EINVAL");
    assert_string_equal(xs1(XEN_XS_RM, 0, "d"), "OK|");
}

static void node_and_byte_caps(void **state)
{
    char path[32], value[4000];
    int i;

    (void)state;
    for (i = 0; i < 2 * XEN_STORE_NODES_MAX; i++) {
        snprintf(path, sizeof(path), "n/%d", i);
        const char *r = xs_write(0, path, "");
        if (!strcmp(r, "!ENOSPC"))
            break;
        assert_string_equal(r, "OK|");
    }
    assert_true(i < 2 * XEN_STORE_NODES_MAX);
    assert_int_equal(store_stats().nodes, XEN_STORE_NODES_MAX);
    /* hvcore's own writes have a reserve: a shutdown request still lands. */
    assert_int_equal(xen_store_request_shutdown(&xsc_dom, "poweroff"), 0);
    assert_string_equal(xs_read("control/shutdown"), "poweroff");
    assert_string_equal(xs1(XEN_XS_RM, 0, "n"), "OK|");

    memset(value, 'x', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    for (i = 0; i < 1000; i++) {
        snprintf(path, sizeof(path), "b/%d", i);
        const char *r = xs_write(0, path, value);
        if (!strcmp(r, "!ENOSPC"))
            break;
        assert_string_equal(r, "OK|");
    }
    assert_true(i < 1000);
    assert_true(store_stats().bytes <= XEN_STORE_BYTES_MAX);
    /* A bigger value in place of a smaller one counts the difference. */
    assert_string_equal(xs_write(0, "b/0", "small"), "OK|");
    assert_string_equal(xs_write(0, "b/0", value), "OK|");
    assert_string_equal(xs_write(0, "b/1", "small"), "OK|");
    assert_string_equal(xs1(XEN_XS_RM, 0, "b"), "OK|");
    assert_true(store_stats().bytes < 4096);
}

/* The ring dropped: the reason in the page, nothing answered, until the
 * guest asks to reconnect. */
static void expect_dropped(uint32_t why)
{
    assert_int_equal(store_stats().error, why);
    assert_int_equal(xsc_ring->error, why);
    assert_int_equal(store_stats().watches, 0);
    assert_int_equal(store_stats().backlog, 0);
}

static void reconnect(void)
{
    unsigned before = xsc_raises;

    xsc_ring->connection = XEN_XENSTORE_RECONNECT;
    signal_store();
    assert_int_equal(xsc_ring->connection, XEN_XENSTORE_CONNECTED);
    assert_true(xsc_raises > before);
    assert_int_equal(xsc_ring->error, 0);
    assert_int_equal(xsc_ring->req_prod, 0);
    assert_int_equal(xsc_ring->req_cons, 0);
    assert_int_equal(xsc_ring->rsp_prod, 0);
    assert_int_equal(xsc_ring->rsp_cons, 0);
    client_reset();
    assert_string_equal(xs_read("name"), "web-7");
}

static void oversized_payload_drops_the_ring(void **state)
{
    struct xen_xsd_sockmsg h = { .type = XEN_XS_READ, .req_id = 1,
                                 .len = XEN_XENSTORE_PAYLOAD_MAX + 1 };
    uint32_t prod;

    (void)state;
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "w", "t"), "OK|");
    expect_event("w", "t");
    client_write(&h, HDR);
    assert_int_equal(store_stats().drops, 1);
    expect_dropped(XEN_XENSTORE_ERROR_PROTO);
    /* Ignored from now on. */
    prod = xsc_ring->rsp_prod;
    client_send(XEN_XS_READ, 2, 0, "name", 5);
    signal_store();
    assert_int_equal(xsc_ring->rsp_prod, prod);
    assert_int_equal(xen_store_request_shutdown(&xsc_dom, "reboot"), -HVE_IO);
    reconnect();
    assert_string_equal(xs_read("control/shutdown"), "reboot");  /* the tree stays */
    assert_string_equal(xs2(XEN_XS_UNWATCH, 0, "w", "t"), "!ENOENT");
}

static void indexes_running_ahead(void **state)
{
    (void)state;
    xsc_ring->req_prod = xsc_ring->req_cons + RING + 1;
    signal_store();
    expect_dropped(XEN_XENSTORE_ERROR_RINGIDX);
    reconnect();
    /* The guest's consumer ahead of hvcore's producer. */
    xsc_ring->rsp_cons = xsc_ring->rsp_prod + 1;
    signal_store();
    expect_dropped(XEN_XENSTORE_ERROR_RINGIDX);
    reconnect();
    /* hvcore's own indexes, scribbled on: rewritten, never trusted. */
    {
        uint32_t req_cons = xsc_ring->req_cons, rsp_prod = xsc_ring->rsp_prod;
        struct xen_xsd_sockmsg h = { .type = XEN_XS_READ, .req_id = 5, .len = 5 };
        struct xsc_msg m;

        xsc_ring->req_cons = 0x12345678;
        xsc_ring->rsp_prod = 0x9abcdef0;
        raw_put(&h, HDR);
        raw_put("name", 5);
        signal_store();
        assert_int_equal(xsc_ring->req_cons, req_cons + HDR + 5);
        assert_int_equal(xsc_ring->rsp_prod, rsp_prod + HDR + 5);
        assert_true(client_wait(5, &m));
        assert_string_equal(show(&m), "web-7");
    }
    /* The guest's consumer moved back more than a ring. */
    xsc_ring->rsp_cons -= RING + 1;
    signal_store();
    expect_dropped(XEN_XENSTORE_ERROR_RINGIDX);
    reconnect();
}

static void requests_split_across_signals(void **state)
{
    static const char payload[] = "memory/target";
    struct xen_xsd_sockmsg h = { .type = XEN_XS_READ, .req_id = 77,
                                 .len = sizeof(payload) };
    uint8_t msg[HDR + sizeof(payload)];
    struct xsc_msg m;

    (void)state;
    memcpy(msg, &h, HDR);
    memcpy(msg + HDR, payload, sizeof(payload));
    for (size_t i = 0; i < sizeof(msg); i++)
        client_write(msg + i, 1);                 /* a signal per byte */
    assert_true(client_wait(77, &m));
    assert_string_equal(show(&m), "524288");
    /* And a request longer than the ring: 4 KiB of value. */
    {
        char value[XEN_XENSTORE_PAYLOAD_MAX - 8];
        memset(value, 'q', sizeof(value) - 1);
        value[sizeof(value) - 1] = '\0';
        assert_string_equal(xs_write(0, "q", value), "OK|");
        assert_string_equal(xs_read("q"), value);
    }
}

/* A guest that never reads: the backlog stays bounded, requests stay in
 * the ring, and watch events hvcore itself causes drop the ring at last. */
static void guest_never_reads(void **state)
{
    char token[2001];
    unsigned i;

    (void)state;
    memset(token, 't', sizeof(token) - 1);
    token[sizeof(token) - 1] = '\0';
    for (i = 0; i < 40; i++) {
        token[0] = (char)('A' + i % 26);
        token[1] = (char)('a' + i / 26);
        assert_string_equal(xs2(XEN_XS_WATCH, 0, "memory", token), "OK|");
        expect_event("memory", token);
    }
    /* Requests without reading: the ring fills, then the store waits. */
    for (i = 0; i < 100; i++) {
        struct xen_xsd_sockmsg h = { .type = XEN_XS_READ, .req_id = 5000 + i, .len = 5 };
        if (RING - (xsc_ring->req_prod - xsc_ring->req_cons) < HDR + 5)
            break;
        raw_put(&h, HDR);
        raw_put("name", 5);
        signal_store();
        assert_true(store_stats().backlog <= XEN_STORE_BACKLOG_MAX);
    }
    assert_int_equal(xsc_ring->rsp_prod - xsc_ring->rsp_cons, RING);   /* full */
    assert_true(xsc_ring->req_prod != xsc_ring->req_cons);             /* waiting */
    assert_int_equal(store_stats().error, 0);
    /* 40 watches x 2 KiB per change: two changes overflow 64 KiB. */
    for (i = 0; i < 4 && !store_stats().error; i++)
        xen_store_set_target(&xsc_dom, 1000000 + i);
    assert_int_equal(i, 1);                       /* the first did */
    expect_dropped(XEN_XENSTORE_ERROR_COMM);
    reconnect();
    assert_string_equal(xs_read("memory/target"), "1000000");
}

static void events_too_long_are_dropped(void **state)
{
    char token[XEN_XENSTORE_PAYLOAD_MAX - 10];

    (void)state;
    memset(token, 'k', sizeof(token) - 1);
    token[sizeof(token) - 1] = '\0';
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "a", token), "OK|");
    expect_event("a", token);                    /* fits, just */
    assert_string_equal(xs_write(0, "a/bcdefghijkl", "1"), "OK|");
    expect_no_event();                            /* would not */
    assert_int_equal(store_stats().dropped_events, 1);
    assert_int_equal(store_stats().error, 0);
}

/* ---- the store's life -------------------------------------------------------- */

static void lifecycle(void **state)
{
    (void)state;
    assert_int_equal(xen_store_init(&xsc_dom, STORE_GPA + 8, STORE_PORT), -HVE_INVAL);
    assert_int_equal(xen_store_init(&xsc_dom, RAM_PAGES * 4096ull, STORE_PORT), -HVE_INVAL);
    assert_int_equal(xen_store_init(&xsc_dom, STORE_GPA, 0), -HVE_INVAL);
    assert_true(store_stats().live);                    /* refusals change nothing */
    assert_string_equal(xs_write(0, "data", "1"), "OK|");

    /* Reboot: dormant, the reference released, then a fresh store. */
    xen_store_reset(&xsc_dom);
    assert_false(store_stats().live);
    assert_int_equal(xsc_mm_refs, 0);
    assert_int_equal(xen_store_request_shutdown(&xsc_dom, "poweroff"), -HVE_AGAIN);
    xen_store_set_target(&xsc_dom, 1);
    {
        uint64_t served = store_stats().requests;
        memset(xsc_ring, 0x33, 4096);
        xen_store_kick(&xsc_dom);                     /* nothing to serve */
        assert_int_equal(store_stats().requests, served);
        assert_int_equal(xsc_ring->rsp_prod, 0x33333333);
    }

    assert_int_equal(xen_store_init(&xsc_dom, STORE_GPA, STORE_PORT), 0);
    assert_int_equal(xsc_mm_refs, 1);
    client_reset();
    assert_string_equal(xs_read("data"), "!ENOENT");
    assert_string_equal(xs_read("name"), "web-7");
    /* A second init without a reset starts over too. */
    assert_string_equal(xs_write(0, "data", "1"), "OK|");
    assert_int_equal(xen_store_init(&xsc_dom, STORE_GPA, STORE_PORT), 0);
    assert_int_equal(xsc_mm_refs, 1);
    client_reset();
    assert_string_equal(xs_read("data"), "!ENOENT");

    /* A frame xen_mm will not let hvcore write: refused, dormant. */
    xsc_mm_refuse = true;
    assert_int_equal(xen_store_init(&xsc_dom, STORE_GPA, STORE_PORT), -HVE_INVAL);
    assert_int_equal(xsc_mm_refs, 0);
    assert_false(store_stats().live);
    xsc_mm_refuse = false;
}

static void no_store_at_all(void **state)
{
    struct xen_store_stats st;

    (void)state;
    xen_store_free(&xsc_dom);
    assert_int_equal(xsc_mm_refs, 0);
    xen_store_kick(&xsc_dom);
    xen_store_set_target(&xsc_dom, 1);
    xen_store_reset(&xsc_dom);
    assert_int_equal(xen_store_request_shutdown(&xsc_dom, "poweroff"), -HVE_AGAIN);
    xen_store_get_stats(&xsc_dom, &st);
    assert_false(st.live);
    assert_int_equal(st.nodes, 0);
}

/* The tree alone: removal of deep trees, root rules, caps accounting. */
static void tree_alone(void **state)
{
    struct xen_store_tree t;
    char path[512] = "";
    bool flag;

    (void)state;
    assert_int_equal(xen_store_tree_init(&t), 0);
    for (int i = 0; i < XEN_STORE_DEPTH_MAX; i++)
        strcat(path, "/z");
    assert_int_equal(xen_store_path_check(path), XS_OK);
    assert_int_equal(xen_store_tree_write(&t, path, "v", 1, false), XS_OK);
    assert_int_equal(t.nr_nodes, XEN_STORE_DEPTH_MAX + 1);
    assert_int_equal(xen_store_tree_rm(&t, "/z", &flag), XS_OK);
    assert_true(flag);
    assert_int_equal(t.nr_nodes, 1);
    assert_int_equal(t.bytes, XEN_STORE_NODE_OVERHEAD);
    assert_int_equal(xen_store_tree_rm(&t, "/", &flag), XS_EINVAL);
    assert_int_equal(xen_store_tree_mkdir(&t, "/", false, &flag), XS_OK);
    assert_false(flag);
    assert_int_equal(xen_store_path_check("/"), XS_OK);
    assert_int_equal(xen_store_path_check(""), XS_EINVAL);
    assert_int_equal(xen_store_path_check("x"), XS_EINVAL);
    assert_string_equal(xen_store_err_name(XS_ENOTEMPTY), "ENOTEMPTY");
    assert_string_equal(xen_store_err_name(XS_E2BIG), "E2BIG");
    assert_string_equal(xen_store_err_name((enum xen_store_err)999), "EIO");
    xen_store_tree_free(&t);
    assert_null(t.root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(malformed_payloads, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(bad_paths, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(node_and_byte_caps, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(oversized_payload_drops_the_ring, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(indexes_running_ahead, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(requests_split_across_signals, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(guest_never_reads, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(events_too_long_are_dropped, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(lifecycle, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(no_store_at_all, xsc_setup, xsc_teardown),
        cmocka_unit_test(tree_alone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
