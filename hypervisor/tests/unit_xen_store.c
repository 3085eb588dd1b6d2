/*
 * unit_xen_store.c - hvcore's xenstore (src/xen_store.h) as a PV Linux's
 * xenbus meets it: the test is the guest (xen_store_client.h), writing
 * requests into the store page, signalling, and reading replies and watch
 * events back: every request type, relative paths, listings, watches,
 * the trivial transactions, manage.c's shutdown handshake, the balloon's
 * target, and replies larger than the ring with Linux's signalling.
 * unit_xen_store_hostile.c has what a guest that is not Linux may do.
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

/* ---- the seeded tree, and reading it ------------------------------------- */

static void seeded_directory(void **state)
{
    (void)state;
    assert_int_equal(xsc_ring->req_cons, 0);
    assert_int_equal(xsc_ring->req_prod, 0);
    assert_int_equal(xsc_ring->rsp_cons, 0);
    assert_int_equal(xsc_ring->rsp_prod, 0);
    assert_int_equal(xsc_ring->server_features, XEN_XENSTORE_SERVER_FEATURE_RECONNECTION |
                                                XEN_XENSTORE_SERVER_FEATURE_ERROR);
    assert_int_equal(xsc_ring->connection, XEN_XENSTORE_CONNECTED);
    assert_int_equal(xsc_ring->error, XEN_XENSTORE_ERROR_NONE);
    assert_int_equal(xsc_mm_refs, 1);

    assert_string_equal(xs_read("name"), "web-7");
    assert_string_equal(xs_read("domid"), "7");
    assert_string_equal(xs_read("memory/target"), "524288");
    assert_string_equal(xs_read("memory/static-max"), "1048576");
    assert_string_equal(xs_read("cpu/0/availability"), "online");
    assert_string_equal(xs_read("console/ring-ref"), "2");
    assert_string_equal(xs_read("console/port"), "2");
    assert_string_equal(xs_read(HOME "/name"), "web-7");
    assert_string_equal(xs1(XEN_XS_DIRECTORY, 0, ""), "!EINVAL");
    assert_string_equal(xs1(XEN_XS_DIRECTORY, 0, HOME),
                        "name|domid|memory|control|device|cpu|console|");
    assert_string_equal(xs1(XEN_XS_DIRECTORY, 0, "/"), "local|");
    assert_string_equal(xs1(XEN_XS_DIRECTORY, 0, "/local/domain"), "7|");
    /* No devices: Linux's frontends list an empty device/ and boot on. */
    assert_string_equal(xs1(XEN_XS_DIRECTORY, 0, "device"), "");
    assert_string_equal(xs1(XEN_XS_DIRECTORY, 0, "control"), "");
    assert_string_equal(xs1(XEN_XS_DIRECTORY, 0, "cpu"), "0|");
    assert_string_equal(xs1(XEN_XS_DIRECTORY, 0, "backend"), "!ENOENT");
    assert_string_equal(xs_read("control/shutdown"), "!ENOENT");
    assert_string_equal(xs_read("control"), "");
    assert_string_equal(xs1(XEN_XS_GET_DOMAIN_PATH, 0, "7"), HOME "|");
    assert_string_equal(xs1(XEN_XS_GET_DOMAIN_PATH, 0, "0"), "/local/domain/0|");
    assert_string_equal(xs1(XEN_XS_GET_DOMAIN_PATH, 0, "65536"), "!EINVAL");
    assert_string_equal(xs1(XEN_XS_GET_DOMAIN_PATH, 0, "7x"), "!EINVAL");
    assert_string_equal(xs1(XEN_XS_GET_PERMS, 0, "name"), "n7|");
    assert_string_equal(xs1(XEN_XS_GET_PERMS, 0, "/"), "n7|");
    assert_string_equal(xs1(XEN_XS_GET_PERMS, 0, "nothing"), "!ENOENT");
    assert_true(store_stats().live);
    assert_true(store_stats().requests > 20);
}

/* ---- writing the tree -------------------------------------------------------- */

static void write_mkdir_rm(void **state)
{
    static const char bin[] = { 'a', 0, 'b', 0, 0 };
    char buf[9 + sizeof(bin)];

    (void)state;
    assert_string_equal(xs_write(0, "data/x", "hello"), "OK|");
    assert_string_equal(xs_read("data/x"), "hello");
    assert_string_equal(xs_read(HOME "/data/x"), "hello");
    assert_string_equal(xs_read("data"), "");              /* a made parent */
    assert_string_equal(xs_write(0, HOME "/data/x", "again"), "OK|");
    assert_string_equal(xs_read("data/x"), "again");
    assert_string_equal(xs_write(0, "data/empty", ""), "OK|");
    assert_string_equal(xs_read("data/empty"), "");
    /* Values are bytes, NULs included. */
    memcpy(buf, "data/bin", 9);
    memcpy(buf + 9, bin, sizeof(bin));
    assert_string_equal(xs_raw(XEN_XS_WRITE, 0, buf, 9 + sizeof(bin)), "OK|");
    xs_read("data/bin");
    assert_int_equal(xsc_reply.h.len, sizeof(bin));
    assert_memory_equal(xsc_reply.body, bin, sizeof(bin));

    assert_string_equal(xs1(XEN_XS_MKDIR, 0, "data/y/z"), "OK|");
    assert_string_equal(xs1(XEN_XS_MKDIR, 0, "data/y"), "OK|");   /* exists */
    assert_string_equal(xs1(XEN_XS_DIRECTORY, 0, "data"), "x|empty|bin|y|");
    assert_string_equal(xs1(XEN_XS_RM, 0, "data/x"), "OK|");
    assert_string_equal(xs_read("data/x"), "!ENOENT");
    assert_string_equal(xs1(XEN_XS_RM, 0, "data/x"), "OK|");      /* gone: fine */
    assert_string_equal(xs1(XEN_XS_RM, 0, "nope/x"), "!ENOENT");  /* no parent */
    assert_string_equal(xs1(XEN_XS_RM, 0, "data"), "OK|");
    assert_string_equal(xs_read("data/y/z"), "!ENOENT");

    /* Only what lies below the domain's own directory may change. */
    assert_string_equal(xs_write(0, "/local/domain/8/x", "1"), "!EACCES");
    assert_string_equal(xs_write(0, "/x", "1"), "!EACCES");
    assert_string_equal(xs_write(0, HOME, "1"), "!EACCES");
    assert_string_equal(xs1(XEN_XS_MKDIR, 0, "/vm"), "!EACCES");
    assert_string_equal(xs1(XEN_XS_RM, 0, HOME), "!EACCES");
    assert_string_equal(xs1(XEN_XS_RM, 0, "/"), "!EACCES");
    assert_string_equal(xs1(XEN_XS_RM, 0, "/local"), "!EACCES");
    assert_string_equal(xs_read("name"), "web-7");
}

static void directory_part_lists_long_directories(void **state)
{
    char name[64], list[32 * 1024], got[32 * 1024], off[16], gen[32] = "";
    size_t list_len = 0, got_len = 0;

    (void)state;
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof(name), "many/child-%03d-with-a-long-name-of-forty-b", i);
        assert_string_equal(xs_write(0, name, "v"), "OK|");
        list_len += (size_t)snprintf(list + list_len, sizeof(list) - list_len, "%s",
                                     strchr(name, '/') + 1) + 1;
    }
    assert_true(list_len > XEN_XENSTORE_PAYLOAD_MAX);
    assert_string_equal(xs1(XEN_XS_DIRECTORY, 0, "many"), "!E2BIG");
    for (int parts = 0;; parts++) {
        size_t glen;

        assert_true(parts < 10);
        snprintf(off, sizeof(off), "%zu", got_len);
        xs2(XEN_XS_DIRECTORY_PART, 0, "many", off);
        assert_int_equal(xsc_reply.h.type, XEN_XS_DIRECTORY_PART);
        glen = strlen(xsc_reply.body) + 1;
        if (parts)
            assert_string_equal(xsc_reply.body, gen);   /* unchanged between parts */
        strcpy(gen, xsc_reply.body);
        memcpy(got + got_len, xsc_reply.body + glen, xsc_reply.h.len - glen);
        got_len += xsc_reply.h.len - glen;
        /* An empty string after the last name: the end. */
        if (got_len >= 2 && !got[got_len - 1] && !got[got_len - 2]) {
            got_len--;
            break;
        }
    }
    assert_int_equal(got_len, list_len);
    assert_memory_equal(got, list, list_len);
    /* Past the end: the generation and the end mark alone. */
    snprintf(off, sizeof(off), "%zu", list_len + 5);
    xs2(XEN_XS_DIRECTORY_PART, 0, "many", off);
    assert_int_equal(xsc_reply.h.len, strlen(gen) + 2);
    /* A change makes a new generation. */
    assert_string_equal(xs_write(0, "many/one-more", ""), "OK|");
    xs2(XEN_XS_DIRECTORY_PART, 0, "many", "0");
    assert_string_not_equal(xsc_reply.body, gen);
    assert_string_equal(xs2(XEN_XS_DIRECTORY_PART, 0, "many", "x"), "!EINVAL");
    assert_string_equal(xs2(XEN_XS_DIRECTORY_PART, 0, "many", ""), "!EINVAL");
    assert_string_equal(xs2(XEN_XS_DIRECTORY_PART, 0, "none", "0"), "!ENOENT");
    assert_string_equal(xs1(XEN_XS_DIRECTORY_PART, 0, "many"), "!EINVAL");
    xs2(XEN_XS_DIRECTORY_PART, 0, "device", "0");             /* empty */
    assert_int_equal(xsc_reply.h.len, strlen(xsc_reply.body) + 2);
}

static void permissions_are_answered_not_kept(void **state)
{
    static const char perms[] = "data\0n7\0r0\0b3";

    (void)state;
    assert_string_equal(xs_write(0, "data", "1"), "OK|");
    assert_string_equal(xs_raw(XEN_XS_SET_PERMS, 0, perms, sizeof(perms)), "OK|");
    assert_string_equal(xs1(XEN_XS_GET_PERMS, 0, "data"), "n7|");
    assert_string_equal(xs2(XEN_XS_SET_PERMS, 0, "data", "x7"), "!EINVAL");
    assert_string_equal(xs2(XEN_XS_SET_PERMS, 0, "data", "n"), "!EINVAL");
    assert_string_equal(xs2(XEN_XS_SET_PERMS, 0, "data", "r70000"), "!EINVAL");
    assert_string_equal(xs1(XEN_XS_SET_PERMS, 0, "data"), "!EINVAL");
    assert_string_equal(xs2(XEN_XS_SET_PERMS, 0, "nothing", "n7"), "!ENOENT");
    assert_string_equal(xs2(XEN_XS_SET_PERMS, 0, "/local", "n7"), "!EACCES");
}

/* ---- watches ------------------------------------------------------------------ */

static void watches_fire_on_changes(void **state)
{
    (void)state;
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "data", "tok1"), "OK|");
    expect_event("data", "tok1");                 /* at registration */
    assert_string_equal(xs_write(0, "data/a", "1"), "OK|");
    expect_event("data/a", "tok1");               /* a child, relative */
    assert_string_equal(xs_write(0, "other", "1"), "OK|");
    expect_no_event();
    assert_string_equal(xs2(XEN_XS_WATCH, 0, HOME "/data/a", "tokA"), "OK|");
    expect_event(HOME "/data/a", "tokA");         /* absolute stays absolute */
    assert_string_equal(xs_write(0, "data/a", "2"), "OK|");
    expect_event("data/a", "tok1");
    expect_event(HOME "/data/a", "tokA");
    assert_string_equal(xs1(XEN_XS_MKDIR, 0, "data/a"), "OK|");  /* exists: no change */
    expect_no_event();
    assert_string_equal(xs1(XEN_XS_MKDIR, 0, "data/b"), "OK|");
    expect_event("data/b", "tok1");
    /* Removing a parent of a watched node fires that watch with its own
     * path. */
    assert_string_equal(xs1(XEN_XS_RM, 0, "data"), "OK|");
    expect_event("data", "tok1");
    expect_event(HOME "/data/a", "tokA");
    assert_string_equal(xs1(XEN_XS_RM, 0, "data"), "OK|");      /* nothing left */
    expect_no_event();
    assert_string_equal(xs2(XEN_XS_SET_PERMS, 0, "other", "n7"), "OK|");
    expect_no_event();

    /* Same watch twice: refused; same path, other token: a second one. */
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "data", "tok1"), "!EEXIST");
    assert_string_equal(xs2(XEN_XS_WATCH, 0, HOME "/data", "tok1"), "!EEXIST");
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "data", "tok2"), "OK|");
    expect_event("data", "tok2");
    assert_string_equal(xs_write(0, "data", "x"), "OK|");
    expect_event("data", "tok1");
    expect_event("data", "tok2");
    assert_string_equal(xs2(XEN_XS_UNWATCH, 0, "data", "tok1"), "OK|");
    assert_string_equal(xs2(XEN_XS_UNWATCH, 0, "data", "tok1"), "!ENOENT");
    assert_string_equal(xs2(XEN_XS_UNWATCH, 0, HOME "/data/a", "tokA"), "OK|");
    assert_string_equal(xs_write(0, "data", "y"), "OK|");
    expect_event("data", "tok2");
    expect_no_event();

    /* "/" sees everything; "@..." fires once, at registration. */
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "/", "root"), "OK|");
    expect_event("/", "root");
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "@releaseDomain", "rel"), "OK|");
    expect_event("@releaseDomain", "rel");
    assert_string_equal(xs_write(0, "other", "2"), "OK|");
    expect_event(HOME "/other", "root");
    expect_no_event();
    assert_string_equal(xs2(XEN_XS_UNWATCH, 0, "@releaseDomain", "rel"), "OK|");
    assert_int_equal(store_stats().watches, 2);
    /* A watch's transaction id is ignored. */
    assert_string_equal(xs2(XEN_XS_WATCH, 99, "w", "t"), "OK|");
    expect_event("w", "t");
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "bad path", "t"), "!EINVAL");
    assert_string_equal(xs1(XEN_XS_WATCH, 0, "data"), "!EINVAL");
    assert_string_equal(xs2(XEN_XS_UNWATCH, 0, "a//b", "t"), "!EINVAL");
}

static void watch_and_transaction_caps(void **state)
{
    char tok[16], id[16];

    (void)state;
    for (int i = 0; i < XEN_STORE_WATCHES_MAX; i++) {
        snprintf(tok, sizeof(tok), "t%d", i);
        assert_string_equal(xs2(XEN_XS_WATCH, 0, "w", tok), "OK|");
        expect_event("w", tok);
    }
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "w", "one-too-many"), "!E2BIG");
    assert_int_equal(store_stats().watches, XEN_STORE_WATCHES_MAX);
    for (int i = 0; i < XEN_STORE_TX_MAX; i++)
        assert_string_not_equal(xs_raw(XEN_XS_TRANSACTION_START, 0, "", 1), "!ENOSPC");
    assert_string_equal(xs_raw(XEN_XS_TRANSACTION_START, 0, "", 1), "!ENOSPC");
    assert_int_equal(store_stats().transactions, XEN_STORE_TX_MAX);
    assert_string_equal(xs_raw(XEN_XS_RESET_WATCHES, 0, "", 1), "OK|");
    assert_int_equal(store_stats().watches, 0);
    assert_int_equal(store_stats().transactions, 0);
    assert_string_equal(xs_write(0, "w", "1"), "OK|");
    expect_no_event();
    strcpy(id, xs_raw(XEN_XS_TRANSACTION_START, 0, "", 1));
    assert_true(id[0] >= '1' && id[0] <= '9');
}

/* ---- transactions ---------------------------------------------------------- */

static uint32_t tx_start(void)
{
    const char *r = xs_raw(XEN_XS_TRANSACTION_START, 0, "", 1);
    unsigned long id = strtoul(r, NULL, 10);

    assert_int_equal(xsc_reply.h.type, XEN_XS_TRANSACTION_START);
    assert_true(id > 0 && id <= UINT32_MAX);
    assert_int_equal(r[strlen(r) - 1], '|');
    return (uint32_t)id;
}

static void transactions_are_trivial(void **state)
{
    uint32_t t1, t2;

    (void)state;
    t1 = tx_start();
    t2 = tx_start();
    assert_int_not_equal(t1, t2);
    assert_string_equal(xs_write(t1, "data", "in-t1"), "OK|");
    /* No isolation: the write is visible at once, outside too. */
    assert_string_equal(xs1(XEN_XS_READ, t2, "data"), "in-t1");
    assert_string_equal(xs_read("data"), "in-t1");
    assert_string_equal(xs1(XEN_XS_TRANSACTION_END, t1, "T"), "OK|");
    assert_string_equal(xs1(XEN_XS_TRANSACTION_END, t1, "T"), "!ENOENT");
    assert_string_equal(xs1(XEN_XS_READ, t1, "data"), "!ENOENT");   /* closed */
    assert_string_equal(xs1(XEN_XS_READ, 12345, "data"), "!ENOENT");
    assert_string_equal(xs1(XEN_XS_TRANSACTION_END, 0, "T"), "!ENOENT");
    assert_string_equal(xs1(XEN_XS_TRANSACTION_END, t2, "X"), "!EINVAL");
    assert_string_equal(xs_raw(XEN_XS_TRANSACTION_START, t2, "", 1), "!EBUSY");
    /* An abort does not undo (documented): END always succeeds. */
    assert_string_equal(xs_write(t2, "data", "in-t2"), "OK|");
    assert_string_equal(xs1(XEN_XS_TRANSACTION_END, t2, "F"), "OK|");
    assert_string_equal(xs_read("data"), "in-t2");
    assert_int_equal(store_stats().transactions, 0);
}

/* ---- what Linux 6.1 does ------------------------------------------------------ */

/* manage.c's shutdown_handler, on a control/shutdown event: in a
 * transaction, read the request, acknowledge one it knows by writing ""
 * back, commit.  Returns what it read ("" for nothing). */
static const char *linux_shutdown_handler(char *buf, size_t len)
{
    uint32_t t = tx_start();
    const char *r = xs1(XEN_XS_READ, t, "control/shutdown");

    snprintf(buf, len, "%s", r);
    if (r[0] == '!' || !r[0]) {                 /* XENBUS_IS_ERR_READ */
        assert_string_equal(xs1(XEN_XS_TRANSACTION_END, t, "F"), "OK|");
        return "";
    }
    if (!strcmp(buf, "poweroff") || !strcmp(buf, "reboot"))
        assert_string_equal(xs_write(t, "control/shutdown", ""), "OK|");
    assert_string_equal(xs1(XEN_XS_TRANSACTION_END, t, "T"), "OK|");
    return buf;
}

static void linux_shutdown_sequence(void **state)
{
    const char *shutdown_tok = "FFFFFFFF82A0D0C0", *sysrq_tok = "FFFFFFFF82A0D100";
    char buf[64];
    unsigned before;

    (void)state;
    xsc_linux_mode = true;
    /* setup_shutdown_watcher(): both watches, then the feature flags. */
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "control/shutdown", shutdown_tok), "OK|");
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "control/sysrq", sysrq_tok), "OK|");
    assert_string_equal(xs_write(0, "control/feature-poweroff", "1"), "OK|");
    assert_string_equal(xs_write(0, "control/feature-reboot", "1"), "OK|");
    assert_string_equal(xs_write(0, "control/feature-suspend", "1"), "OK|");
    /* The registration events: nothing to do yet (sysrq: ENOENT, quietly). */
    expect_event("control/shutdown", shutdown_tok);
    assert_string_equal(linux_shutdown_handler(buf, sizeof(buf)), "");
    expect_event("control/sysrq", sysrq_tok);
    {
        uint32_t t = tx_start();
        assert_string_equal(xs1(XEN_XS_READ, t, "control/sysrq"), "!ENOENT");
        assert_string_equal(xs1(XEN_XS_TRANSACTION_END, t, "F"), "OK|");
    }
    expect_no_event();

    /* hvctl shutdown: the toolstack's write, the guest's signal. */
    before = xsc_raises;
    assert_int_equal(xen_store_request_shutdown(&xsc_dom, "poweroff"), 0);
    assert_true(xsc_raises > before);
    expect_event("control/shutdown", shutdown_tok);
    assert_string_equal(linux_shutdown_handler(buf, sizeof(buf)), "poweroff");
    /* Its own acknowledgement fires the watch again: an empty read. */
    expect_event("control/shutdown", shutdown_tok);
    assert_string_equal(linux_shutdown_handler(buf, sizeof(buf)), "");
    expect_no_event();
    assert_string_equal(xs_read("control/shutdown"), "");
    assert_int_equal(xen_store_request_shutdown(&xsc_dom, "halt"), -HVE_INVAL);
    assert_int_equal(xen_store_request_shutdown(&xsc_dom, NULL), -HVE_INVAL);
}

static void shutdown_requested_before_the_watch(void **state)
{
    char buf[64];

    (void)state;
    xsc_linux_mode = true;
    assert_int_equal(xen_store_request_shutdown(&xsc_dom, "reboot"), 0);
    expect_no_event();
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "control/shutdown", "tok"), "OK|");
    expect_event("control/shutdown", "tok");
    assert_string_equal(linux_shutdown_handler(buf, sizeof(buf)), "reboot");
    expect_event("control/shutdown", "tok");
}

static void balloon_target(void **state)
{
    (void)state;
    xsc_linux_mode = true;
    /* xen-balloon.c: watch memory/target; on the first event read it and
     * static-max. */
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "memory/target", "B"), "OK|");
    expect_event("memory/target", "B");
    assert_string_equal(xs_read("memory/target"), "524288");
    assert_string_equal(xs_read("memory/static-max"), "1048576");
    xen_store_set_target(&xsc_dom, 262144);
    expect_event("memory/target", "B");
    assert_string_equal(xs_read("memory/target"), "262144");
    /* cpu_hotplug.c's watch on cpu: the registration event names "cpu". */
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "cpu", "C"), "OK|");
    expect_event("cpu", "C");
    assert_string_equal(xs_read("cpu/0/availability"), "online");
    /* The frontends' and backends' watches on device and backend. */
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "device", "D"), "OK|");
    expect_event("device", "D");
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "backend", "E"), "OK|");
    expect_event("backend", "E");
    assert_string_equal(xs1(XEN_XS_DIRECTORY, 0, "backend"), "!ENOENT");
}

/* Replies bigger than the ring, and many of them, in Linux mode: nothing
 * may wait for a signal that never comes. */
static void big_replies_with_linux_signals(void **state)
{
    char value[3001], path[32];

    (void)state;
    xsc_linux_mode = true;
    memset(value, 'v', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof(path), "big/%d", i);
        assert_string_equal(xs_write(0, path, value), "OK|");
    }
    assert_string_equal(xs2(XEN_XS_WATCH, 0, "big", "tok"), "OK|");
    expect_event("big", "tok");
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 8; i++) {
            snprintf(path, sizeof(path), "big/%d", i);
            assert_string_equal(xs_read(path), value);
        }
        /* Several requests in flight, their replies queued behind a full
         * ring. */
        for (int i = 0; i < 8; i++) {
            snprintf(path, sizeof(path), "big/%d", i);
            client_send(XEN_XS_READ, 1000 + (uint32_t)i, 0, path, (uint32_t)strlen(path) + 1);
        }
        for (int i = 0; i < 8; i++) {
            struct xsc_msg m;
            if (!client_wait(1000 + (uint32_t)i, &m))
                fail_msg("reply %d of 8 never came", i);
            assert_int_equal(m.h.len, sizeof(value) - 1);
        }
        assert_int_equal(store_stats().backlog, 0);
    }
    assert_int_equal(store_stats().error, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(seeded_directory, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(write_mkdir_rm, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(directory_part_lists_long_directories, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(permissions_are_answered_not_kept, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(watches_fire_on_changes, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(watch_and_transaction_caps, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(transactions_are_trivial, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(linux_shutdown_sequence, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(shutdown_requested_before_the_watch, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(balloon_target, xsc_setup, xsc_teardown),
        cmocka_unit_test_setup_teardown(big_replies_with_linux_signals, xsc_setup, xsc_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
