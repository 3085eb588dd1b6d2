/*
 * test_device_attach.c - devices through every layer, on real hvcore and
 * pvboot domains with disks served by qemu-storage-daemon (a vhost-user
 * back end nobody here wrote):
 *
 *   - a domain created with a disk has it (hvcore --device), listed with
 *     its state, back end and (unknown) counters;
 *   - attach and detach at run time through the direct driver and the
 *     agent driver (REST), each with its event, the running config kept
 *     in step, and every refusal word for word;
 *   - HV_DEVICE_CONFIG: the definition changes with the running domain,
 *     or alone, and stays so across an hvctld restart; an interface
 *     attached to it gets its MAC and id there, once;
 *   - a back end killed and back: device_error, needs_reset, device_ready
 *     on hvctld's event stream;
 *   - a file disk served by the in-tree hvblk: the guest's I/O in its
 *     counters, attach and detach while the guest runs;
 *   - hvctl attach-disk, devices, detach-device, info.
 *
 * Skips (77) without /dev/kvm, a built hvcore/pvboot/hvctld, or
 * qemu-storage-daemon.
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent_harness.h"
#include "api_assert.h"
#include "cli_harness.h"
#include "device_harness.h"
#include "hvctl.h"

static struct agent A;
static struct run r;
static struct qsd qa, qb;

/*
 * What both drivers do alike: a domain created with disk vdb, vdc
 * attached and detached while it runs, and the refusals.
 */
static void run_time(const char *uri, const char *name)
{
    hv_conn *c;
    hv_config *cfg, *live;
    hv_domain *dom;
    hv_devlist *l;
    hv_events *ev;
    hv_device *vdb = disk("vdb", qa.sock), *vdc = disk("vdc", qb.sock), *bad;
    char desc[400], what[120];
    bool agent = strncmp(uri, "unix://", 7) == 0;
    uint64_t v;

    OK(hv_conn_open_uri(uri, 0, &c));
    OK(hv_config_load_file(cli_config(name, "counter", false, 0), &cfg));
    OK(hv_config_add_device(cfg, vdb));
    OK(hv_domain_create(c, cfg, 0, &dom));
    snprintf(what, sizeof(what), "domain '%s' (id %u)", name,
             hv_domain_get_id(dom));

    /* Created with it: hvcore --device. */
    OK(hv_domain_get_devices(dom, 0, &l));
    assert_int_equal(hv_devlist_count(l), 1);
    assert_string_equal(hv_devlist_get_id(l, 0), "vdb");
    assert_int_equal(hv_devlist_get_type(l, 0), HV_DEVICE_DISK);
    assert_true(hv_devlist_get_state(l, 0) >= HV_DEVICE_CONNECTING &&
                hv_devlist_get_state(l, 0) <= HV_DEVICE_RUNNING);
    snprintf(desc, sizeof(desc), "vhost-user %s", qa.sock);
    assert_string_equal(hv_devlist_get_backend(l, 0), desc);
    assert_int_equal(hv_devlist_get_backend_pid(l, 0), 0);
    expect_err(hv_devlist_get_counter(l, 0, HV_DEVICE_REQS_IN, &v), HV_EAGAIN,
               "device 'vdb': its back end reports no counters");
    OK(hv_devlist_get_counter(l, 0, HV_DEVICE_RECONNECTS, &v));
    hv_devlist_free(l);

    /* Attached at run time, with its event. */
    OK(hv_events_open(c, &ev));
    OK(hv_domain_attach_device(dom, vdc, 0));
    snprintf(desc, sizeof(desc), "vdc: vhost-user %s", qb.sock);
    /* Through hvctld: the API asked (a direct stream cannot know who). */
    assert_int_equal(expect_event(ev, HV_EVENT_DEVICE_ATTACHED, desc),
                     agent ? HV_CAUSE_API : HV_CAUSE_UNKNOWN);
    assert_int_equal(count(dom), 2);
    OK(hv_domain_get_config(dom, &live));
    assert_true(config_has(live, "vdc"));

    /* Refusals. */
    expect_err(hv_domain_attach_device(dom, vdc, HV_DEVICE_LIVE), HV_EEXIST,
               "%s: cannot attach device 'vdc': the id is taken", what);
    bad = disk("vdd", "/nonexistent/vdd.sock");
    expect_err(hv_domain_attach_device(dom, bad, 0), HV_EIO,
               "%s: device 'vdd': cannot connect to /nonexistent/vdd.sock: "
               "No such file or directory", what);
    hv_device_free(bad);
    expect_err(hv_domain_attach_device(dom, vdc, 4), HV_EINVAL,
               "%s: attach a device: unknown flags 0x4", what);
    expect_err(hv_domain_detach_device(dom, "VDC", 0), HV_EINVAL,
               "%s: 'VDC' is not a device id (1-15 of a-z, 0-9, '_', '.' "
               "and '-')", what);

    /* Detached: gone from the domain and its running config. */
    OK(hv_domain_detach_device(dom, "vdc", 0));
    assert_int_equal(expect_event(ev, HV_EVENT_DEVICE_DETACHED,
                                  "vdc: detached"),
                     agent ? HV_CAUSE_API : HV_CAUSE_UNKNOWN);
    assert_int_equal(count(dom), 1);
    OK(hv_domain_get_config(dom, &live));
    assert_false(config_has(live, "vdc"));
    expect_err(hv_domain_detach_device(dom, "vdc", 0), HV_ENOENT,
               "%s: no device 'vdc'", what);

    /* The slot and the socket serve again. */
    OK(hv_domain_attach_device(dom, vdc, 0));
    assert_int_equal(count(dom), 2);
    OK(hv_domain_destroy(dom, 0));

    hv_events_free(ev);
    hv_domain_free(dom);
    hv_config_free(cfg);
    hv_device_free(vdb);
    hv_device_free(vdc);
    hv_conn_free(c);
}

static void test_direct(void **state)
{
    hv_conn *c;
    hv_config *cfg;
    hv_domain *dom;
    hv_device *vdc = disk("vdc", qb.sock);
    char want[600];

    (void)state;
    run_time("hvctl:///system?driver=direct", "dd");

    /* Definitions are hvctld's. */
    OK(hv_conn_open_uri("hvctl:///system?driver=direct", 0, &c));
    OK(hv_config_load_file(cli_config("dd2", "counter", false, 0), &cfg));
    OK(hv_domain_create(c, cfg, 0, &dom));
    snprintf(want, sizeof(want), "domain 'dd2' (id %u): attach a device to "
             "the definition: not possible through %s: the direct driver "
             "runs transient domains only; definitions need hvctld "
             "(hvctl:///system with hvctld running, or "
             "unix:///PATH/hvctld.sock)", hv_domain_get_id(dom),
             hv_conn_get_uri(c));
    expect_err(hv_domain_attach_device(dom, vdc, HV_DEVICE_CONFIG),
               HV_ENOTSUP, "%s", want);
    OK(hv_domain_destroy(dom, 0));
    hv_domain_free(dom);
    hv_config_free(cfg);
    hv_device_free(vdc);
    hv_conn_free(c);
}

static void test_agent(void **state)
{
    (void)state;
    run_time(A.unix_url, "ad");
}

static hv_config *definition(hv_domain *dom)
{
    hv_config *cfg;

    OK(hv_domain_get_definition(dom, 0, &cfg));
    return cfg;
}

/*
 * HV_DEVICE_CONFIG through hvctld: with the running domain, or alone;
 * a definition that keeps what it was given across an hvctld restart.
 */
static void test_agent_config(void **state)
{
    hv_conn *c;
    hv_config *cfg, *def;
    hv_domain *dom, *tr;
    hv_device *vdc = disk("vdc", qb.sock), *vde, *net, *bad;
    const hv_device *got;
    char mac[32];
    const char *vde_xml = "<disk type='file'><source file='/srv/pd-e.img'/>"
                          "<target dev='vde'/></disk>";
    const char *net_xml = "<interface type='bridge'><source bridge='br0'/>"
                          "</interface>";

    (void)state;
    OK(hv_device_from_xml(vde_xml, strlen(vde_xml), "test", &vde));
    OK(hv_device_from_xml(net_xml, strlen(net_xml), "test", &net));
    OK(hv_conn_open_uri(A.unix_url, 0, &c));
    OK(hv_config_load_file(cli_config("pd", "counter", false, 0), &cfg));
    OK(hv_domain_define(c, cfg, 0, &dom));

    /* Shut off: only the definition can change. */
    expect_err(hv_domain_attach_device(dom, vdc, 0), HV_ESTATE,
               "cannot attach a device to domain 'pd': it is not running "
               "(config=true&live=false changes its definition)");
    OK(hv_domain_attach_device(dom, vdc, HV_DEVICE_CONFIG));
    assert_true(config_has(definition(dom), "vdc"));
    OK(hv_domain_start(dom, 0));
    assert_int_equal(count(dom), 1);        /* started with it */

    /* Running domain and definition together, then the definition alone. */
    OK(hv_domain_detach_device(dom, "vdc", HV_DEVICE_LIVE |
                               HV_DEVICE_CONFIG));
    assert_int_equal(count(dom), 0);
    assert_false(config_has(definition(dom), "vdc"));
    OK(hv_domain_attach_device(dom, vdc, HV_DEVICE_LIVE | HV_DEVICE_CONFIG));
    assert_int_equal(count(dom), 1);
    OK(hv_domain_detach_device(dom, "vdc", HV_DEVICE_CONFIG));
    assert_int_equal(count(dom), 1);        /* still running with it */
    assert_false(config_has(definition(dom), "vdc"));
    OK(hv_domain_attach_device(dom, vde, HV_DEVICE_CONFIG));
    assert_int_equal(count(dom), 1);

    /* An interface gets its MAC and id in the definition, once. */
    OK(hv_domain_attach_device(dom, net, HV_DEVICE_CONFIG));
    assert_string_equal(hv_device_get_id(net), "net0");   /* told back */
    def = definition(dom);
    got = hv_config_find_device(def, "net0");
    assert_non_null(got);
    assert_memory_equal(hv_device_get_mac(got), "52:54:00:", 9);
    assert_string_equal(hv_device_get_mac(net), hv_device_get_mac(got));
    snprintf(mac, sizeof(mac), "%s", hv_device_get_mac(got));
    hv_config_free(def);

    /* A failed live attach leaves the definition alone. */
    bad = disk("vdf", "/nonexistent/f");
    expect_err(hv_domain_attach_device(dom, bad,
                                       HV_DEVICE_LIVE | HV_DEVICE_CONFIG),
               HV_EIO, "domain 'pd' (id %u): device 'vdf': cannot connect to "
               "/nonexistent/f: No such file or directory",
               hv_domain_get_id(dom));
    assert_false(config_has(definition(dom), "vdf"));
    hv_device_free(bad);

    /* Across an hvctld restart: the definition as it was left. */
    agent_stop(&A);
    agent_start(&A);
    hv_domain_free(dom);
    OK(hv_domain_lookup_by_name(c, "pd", &dom));
    def = definition(dom);
    assert_non_null(hv_config_find_device(def, "vde"));
    assert_null(hv_config_find_device(def, "vdc"));
    assert_string_equal(hv_device_get_mac(hv_config_find_device(def, "net0")),
                        mac);
    hv_config_free(def);
    OK(hv_domain_detach_device(dom, "vde", HV_DEVICE_CONFIG));
    OK(hv_domain_detach_device(dom, "net0", HV_DEVICE_CONFIG));
    expect_err(hv_domain_detach_device(dom, "vde", HV_DEVICE_CONFIG),
               HV_ENOENT, "domain 'pd': its definition has no device 'vde'");
    OK(hv_domain_destroy(dom, 0));
    OK(hv_domain_undefine(dom, 0));

    /* A transient domain has no definition to change. */
    hv_config_free(cfg);
    OK(hv_config_load_file(cli_config("tr", "counter", false, 0), &cfg));
    OK(hv_domain_create(c, cfg, 0, &tr));
    expect_err(hv_domain_attach_device(tr, vdc, HV_DEVICE_CONFIG), HV_ESTATE,
               "cannot attach a device to domain 'tr' in its definition: it "
               "is transient");
    OK(hv_domain_destroy(tr, 0));
    hv_domain_free(tr);
    hv_config_free(cfg);

    hv_domain_free(dom);
    hv_device_free(vdc);
    hv_device_free(vde);
    hv_device_free(net);
    hv_conn_free(c);
}

/* Device i's state as the running domain has it now. */
static int state_of(hv_domain *dom, size_t i)
{
    hv_devlist *l;
    int st;

    OK(hv_domain_get_devices(dom, 0, &l));
    st = hv_devlist_get_state(l, i);
    hv_devlist_free(l);
    return st;
}

/*
 * kill -9 of a disk's back end, told on hvctld's event stream: the
 * device needs a reset, the domain lives on, and the device is ready
 * again once the back end is back (hvcore reconnects).
 */
static void test_backend_lost(void **state)
{
    hv_conn *c;
    hv_config *cfg;
    hv_domain *dom;
    hv_events *ev;
    hv_devlist *l;
    hv_device *vdb;
    struct qsd qc;
    uint64_t v;
    double end;

    (void)state;
    qsd_start(&qc, "qc");
    vdb = disk("vdb", qc.sock);
    OK(hv_conn_open_uri(A.unix_url, 0, &c));
    OK(hv_config_load_file(cli_config("lost", "counter", false, 0), &cfg));
    OK(hv_config_add_device(cfg, vdb));
    OK(hv_domain_create(c, cfg, 0, &dom));
    OK(hv_events_open(c, &ev));

    qsd_stop(&qc);
    assert_int_equal(expect_event(ev, HV_EVENT_DEVICE_ERROR, "vdb: back end "
                                  "lost (it hung up): reconnecting"),
                     HV_CAUSE_HVCORE);
    end = now_ms() + WAIT_MS;
    while (state_of(dom, 0) != HV_DEVICE_NEEDS_RESET) {
        if (now_ms() > end)
            fail_msg("vdb not needs_reset within %d ms", WAIT_MS);
        usleep(20000);
    }
    qsd_run(&qc);
    expect_event(ev, HV_EVENT_DEVICE_READY,
                 "vdb: back end is back: the guest resets the device");
    OK(hv_domain_get_devices(dom, 0, &l));
    OK(hv_devlist_get_counter(l, 0, HV_DEVICE_RECONNECTS, &v));
    assert_int_equal(v, 1);
    hv_devlist_free(l);
    OK(hv_domain_destroy(dom, 0));

    qsd_stop(&qc);
    hv_events_free(ev);
    hv_domain_free(dom);
    hv_config_free(cfg);
    hv_device_free(vdb);
    hv_conn_free(c);
}

/* The counter `which` of device i, or -1 when not known. */
static long long counter_of(hv_domain *dom, size_t i, int which)
{
    hv_devlist *l;
    uint64_t v;
    long long out = -1;

    OK(hv_domain_get_devices(dom, 0, &l));
    if (i < hv_devlist_count(l) &&
        hv_devlist_get_counter(l, i, which, &v) == 0)
        out = (long long)v;
    hv_devlist_free(l);
    return out;
}

/*
 * A file disk served by the in-tree hvblk: the guest's I/O shows in its
 * counters, hvcore runs hvblk as a process of its own, a read-only disk
 * says so, and one is attached and detached while the guest runs.
 */
static void test_hvblk(void **state)
{
    char img[400], img2[400], xml[900], want[600];
    hv_conn *c;
    hv_config *cfg;
    hv_domain *dom;
    hv_devlist *l;
    hv_device *vdb;
    hv_events *ev;
    double end;
    int fd;

    (void)state;
    snprintf(img, sizeof(img), "%s/hvblk-a.img", cli_env.dir);
    snprintf(img2, sizeof(img2), "%s/hvblk-b.img", cli_env.dir);
    for (int k = 0; k < 2; k++) {
        fd = open(k ? img2 : img, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC,
                  0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, 8 << 20), 0);
        close(fd);
    }
    OK(hv_conn_open_uri("hvctl:///system?driver=direct", 0, &c));
    OK(hv_config_load_file(cli_config("blk", "diskio=1", false, 0), &cfg));
    snprintf(xml, sizeof(xml), "<disk type='file'><source file='%s'/>"
             "<target dev='vda'/></disk>", img);
    OK(hv_device_from_xml(xml, strlen(xml), "test", &vdb));
    OK(hv_config_add_device(cfg, vdb));
    hv_device_free(vdb);
    OK(hv_domain_create(c, cfg, 0, &dom));

    /* The guest's passes read and write: the counters grow. */
    end = now_ms() + WAIT_MS;
    while (counter_of(dom, 0, HV_DEVICE_REQS_OUT) <= 0 ||
           counter_of(dom, 0, HV_DEVICE_REQS_IN) <= 0) {
        if (now_ms() > end)
            fail_msg("no guest I/O on vda within %d ms", WAIT_MS);
        usleep(20000);
    }
    assert_true(counter_of(dom, 0, HV_DEVICE_BYTES_OUT) > 0);
    assert_int_equal(counter_of(dom, 0, HV_DEVICE_ERRORS), 0);
    OK(hv_domain_get_devices(dom, 0, &l));
    snprintf(want, sizeof(want), "hvblk %s", img);
    assert_string_equal(hv_devlist_get_backend(l, 0), want);
    assert_true(hv_devlist_get_backend_pid(l, 0) > 0);
    assert_int_equal(hv_devlist_get_state(l, 0), HV_DEVICE_RUNNING);
    hv_devlist_free(l);

    /* Another, read-only, while it runs; then both go. */
    OK(hv_events_open(c, &ev));
    snprintf(xml, sizeof(xml), "<disk type='file'><source file='%s'/>"
             "<target dev='vdb'/><readonly/></disk>", img2);
    OK(hv_device_from_xml(xml, strlen(xml), "test", &vdb));
    OK(hv_domain_attach_device(dom, vdb, 0));
    snprintf(want, sizeof(want), "vdb: hvblk %s (read-only)", img2);
    expect_event(ev, HV_EVENT_DEVICE_ATTACHED, want);
    OK(hv_domain_get_devices(dom, 0, &l));
    assert_int_equal(hv_devlist_count(l), 2);
    assert_string_equal(hv_devlist_get_backend(l, 1), want + 5);
    hv_devlist_free(l);
    OK(hv_domain_detach_device(dom, "vdb", 0));
    expect_event(ev, HV_EVENT_DEVICE_DETACHED, "vdb: detached");
    OK(hv_domain_detach_device(dom, "vda", 0));
    expect_event(ev, HV_EVENT_DEVICE_DETACHED, "vda: detached");
    assert_int_equal(count(dom), 0);
    OK(hv_domain_destroy(dom, 0));

    hv_events_free(ev);
    hv_device_free(vdb);
    hv_domain_free(dom);
    hv_config_free(cfg);
    hv_conn_free(c);
}

/* hvctl: attach-disk, devices, info, detach-device. */
static void test_cli(void **state)
{
    char want[600], bad[400];

    (void)state;
    RUN_OK(&r, "create", cli_config("cd", "counter", false, 0));
    RUN_OK(&r, "devices", "cd");
    assert_string_equal(r.out, "Domain 'cd' has no devices.\n");
    RUN_OK(&r, "attach-disk", "cd", qa.sock, "vdb");
    assert_string_equal(r.out, "Device 'vdb' attached to domain 'cd'.\n");
    RUN_OK(&r, "devices", "cd");
    snprintf(want, sizeof(want), "vdb      disk      ready               -"
             "         -            -            -      -  vhost-user %s\n",
             qa.sock);
    assert_contains(r.out, want);
    RUN_OK(&r, "info", "cd");
    assert_contains(r.out, "Devices:\n  ID ");
    RUN_OK(&r, "info", "--json", "cd");
    assert_contains(r.out, "\"devices\": [\n    {\n      \"id\": \"vdb\",");
    RUN_OK(&r, "devices", "--json", "cd");
    assert_contains(r.out, "\"id\": \"vdb\"");
    assert_contains(r.out, "\"counters_known\": false");
    snprintf(want, sizeof(want), "hvctl: error: attach vdb to cd: domain "
             "'cd' (id %ld): cannot attach device 'vdb': the id is taken\n",
             cli_domid("cd"));
    RUN_FAIL(&r, 1, want, "attach-disk", "cd", qa.sock, "vdb");
    RUN_OK(&r, "detach-device", "cd", "vdb");
    assert_string_equal(r.out, "Device 'vdb' detached from domain 'cd'.\n");

    /* attach-device: the element, or its JSON, from a file. */
    snprintf(want, sizeof(want), "<disk type='vhostuser'><source type='unix' "
             "path='%s'/><target dev='vdc'/></disk>\n", qb.sock);
    RUN_OK(&r, "attach-device", "cd", cli_file("vdc.xml", want));
    assert_string_equal(r.out, "Device 'vdc' attached to domain 'cd'.\n");
    RUN_OK(&r, "detach-device", "cd", "vdc");
    snprintf(want, sizeof(want), "{\"disk\": {\"type\": \"vhostuser\", "
             "\"source\": \"%s\", \"target\": \"vdd\"}}\n", qb.sock);
    RUN_OK(&r, "attach-device", "cd", cli_file("vdd.json", want));
    assert_string_equal(r.out, "Device 'vdd' attached to domain 'cd'.\n");
    RUN_OK(&r, "devices", "cd");
    assert_contains(r.out, "\nvdd ");
    snprintf(bad, sizeof(bad), "%s", cli_file("bad.xml", "<disk type='file'>"
                                              "<source file='/x'/></disk>"));
    snprintf(want, sizeof(want), "hvctl: error: attach-device cd: %s:1: "
             "element <disk>: missing <target>\n", bad);
    RUN_FAIL(&r, 1, want, "attach-device", "cd", bad);
    RUN_OK(&r, "destroy", "cd");

    /* --config alone: a defined domain's definition, shut off. */
    RUN_OK(&r, "define", cli_config("cdef", "counter", false, 0));
    RUN_OK(&r, "attach-disk", "--config", "--readonly", "cdef",
           "/srv/cdef.img", "vde");
    assert_string_equal(r.out, "Device 'vde' attached to the definition of "
                        "domain 'cdef'.\n");
    RUN_OK(&r, "dumpxml", "--inactive", "cdef");
    assert_contains(r.out, "<source file=\"/srv/cdef.img\"/>\n"
                           "      <target dev=\"vde\" bus=\"virtio\"/>\n"
                           "      <readonly/>\n");
    RUN_OK(&r, "detach-device", "--config", "cdef", "vde");
    assert_string_equal(r.out, "Device 'vde' detached from the definition of "
                        "domain 'cdef'.\n");
    RUN_OK(&r, "undefine", "cdef");
}

static int setup(void **state)
{
    (void)state;
    qsd_start(&qa, "qa");
    qsd_start(&qb, "qb");
    agent_prepare(&A);
    agent_start(&A);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    agent_stop(&A);
    qsd_stop(&qa);
    qsd_stop(&qb);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_direct),
        cmocka_unit_test(test_agent),
        cmocka_unit_test(test_agent_config),
        cmocka_unit_test(test_backend_lost),
        cmocka_unit_test(test_hvblk),
        cmocka_unit_test(test_cli),
    };
    int rc;

    if (!agent_domains_can_run())
        return 77;
    if (access(QSD, X_OK) != 0) {
        printf("SKIP: %s missing (scripts/install-deps.sh)\n", QSD);
        return 77;
    }
    cli_env_open("devices");
    rc = cmocka_run_group_tests(tests, setup, teardown);
    cli_env_close();
    return rc;
}
