/*
 * test_device_net.c - network interfaces through libhvctl on real
 * domains, in a network namespace of the test's own (root): the MAC and
 * id libhvctl gives an interface are the ones hvcore and hvnet use, the
 * tap device exists while the interface does, and hvctl attach-interface
 * adds one to a running domain.
 *
 * Skips (77) without /dev/kvm, a built hvcore/pvboot, or the right to
 * make a network namespace.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* unshare */
#endif
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_assert.h"
#include "cli_harness.h"
#include "hvctl.h"

#define WAIT_MS 30000

static struct run r;

/* Wait until the interface `name` exists (or, with gone, does not). */
static void wait_tap(const char *name, bool gone)
{
    double end = now_ms() + WAIT_MS;

    while ((if_nametoindex(name) == 0) != gone) {
        if (now_ms() > end)
            fail_msg("tap %s %s within %d ms", name,
                     gone ? "still there" : "not made", WAIT_MS);
        usleep(10000);
    }
}

/* An ethernet interface without MAC or alias: libhvctl gives both, and
 * hvnet serves the guest with that MAC on the tap device named. */
static void test_generated_mac_reaches_hvnet(void **state)
{
    const char *xml = "<interface type='ethernet'><target dev='hvt0'/>"
                      "</interface>";
    const char *xml2 = "<interface type='ethernet'><target dev='hvt1'/>"
                       "<mac address='52:54:00:00:00:42'/></interface>";
    hv_conn *c;
    hv_config *cfg, *live;
    hv_device *eth;
    hv_domain *dom;
    hv_devlist *l;
    const hv_device *got;
    char want[200];

    (void)state;
    OK(hv_conn_open_uri("hvctl:///system?driver=direct", 0, &c));
    OK(hv_config_load_file(cli_config("nd", "counter", false, 0), &cfg));
    OK(hv_device_from_xml(xml, strlen(xml), "test", &eth));
    OK(hv_config_add_device(cfg, eth));
    got = hv_config_find_device(cfg, "net0");
    assert_non_null(got);
    OK(hv_domain_create(c, cfg, 0, &dom));
    wait_tap("hvt0", false);

    OK(hv_domain_get_devices(dom, 0, &l));
    assert_int_equal(hv_devlist_count(l), 1);
    assert_string_equal(hv_devlist_get_id(l, 0), "net0");
    assert_int_equal(hv_devlist_get_type(l, 0), HV_DEVICE_INTERFACE);
    snprintf(want, sizeof(want), "hvnet %s tap hvt0", hv_device_get_mac(got));
    assert_string_equal(hv_devlist_get_backend(l, 0), want);
    assert_true(hv_devlist_get_backend_pid(l, 0) > 0);
    hv_devlist_free(l);

    /* The running config holds the same MAC. */
    OK(hv_domain_get_config(dom, &live));
    assert_string_equal(hv_device_get_mac(hv_config_find_device(live, "net0")),
                        hv_device_get_mac(got));
    hv_config_free(live);

    /* Attached at run time: the next free id; detached: its tap goes. */
    hv_device_free(eth);
    OK(hv_device_from_xml(xml2, strlen(xml2), "test", &eth));
    assert_null(hv_device_get_id(eth));
    OK(hv_domain_attach_device(dom, eth, 0));
    assert_string_equal(hv_device_get_id(eth), "net1");   /* told back */
    wait_tap("hvt1", false);
    OK(hv_domain_get_devices(dom, 0, &l));
    assert_int_equal(hv_devlist_count(l), 2);
    assert_string_equal(hv_devlist_get_id(l, 1), "net1");
    assert_string_equal(hv_devlist_get_backend(l, 1),
                        "hvnet 52:54:00:00:00:42 tap hvt1");
    hv_devlist_free(l);
    OK(hv_domain_detach_device(dom, "net1", 0));
    wait_tap("hvt1", true);
    OK(hv_domain_destroy(dom, 0));
    wait_tap("hvt0", true);

    hv_device_free(eth);
    hv_domain_free(dom);
    hv_config_free(cfg);
    hv_conn_free(c);
}

/* hvctl attach-interface and detach-device on a running domain. */
static void test_cli_interface(void **state)
{
    (void)state;
    RUN_OK(&r, "create", cli_config("nc", "counter", false, 0));
    RUN_OK(&r, "attach-interface", "--tap", "hvt2", "--mac",
           "52:54:00:00:00:43", "--alias", "up", "nc");
    assert_string_equal(r.out, "Device 'up' attached to domain 'nc'.\n");
    wait_tap("hvt2", false);
    RUN_OK(&r, "devices", "nc");
    assert_contains(r.out, "hvnet 52:54:00:00:00:43 tap hvt2\n");
    /* Without --alias and --mac: the id it was given is said. */
    RUN_OK(&r, "attach-interface", "--tap", "hvt3", "nc");
    assert_string_equal(r.out, "Device 'net0' attached to domain 'nc'.\n");
    wait_tap("hvt3", false);
    RUN_OK(&r, "detach-device", "nc", "up");
    wait_tap("hvt2", true);
    RUN_OK(&r, "detach-device", "nc", "net0");
    wait_tap("hvt3", true);
    RUN_OK(&r, "destroy", "nc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_mac_reaches_hvnet),
        cmocka_unit_test(test_cli_interface),
    };
    char why[256];
    int rc;

    if (!cli_can_run_domains(why, sizeof(why))) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    /* Tap devices of our own, gone with the namespace. */
    if (unshare(CLONE_NEWNET) < 0) {
        printf("SKIP: cannot make a network namespace (root needed)\n");
        return 77;
    }
    cli_env_open("device-net");
    /* The direct driver: no agent runs in this namespace. */
    {
        static char uri[400];
        static const char *pre[3];
        snprintf(uri, sizeof(uri), "hvctl:///system?driver=direct");
        pre[0] = "-c";
        pre[1] = uri;
        pre[2] = NULL;
        hvctl_prefix(pre);
    }
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    cli_env_close();
    return rc;
}
