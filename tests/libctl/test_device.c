/*
 * test_device.c - hv_device and a config's device list, without hvcore:
 * one device in XML and JSON both ways, the spec hvcore gets for each
 * kind (commas doubled), the MAC and id an interface is given once, and
 * the limits of the list, every message word for word.  The devices
 * inside whole configs are test_config's fixtures (tests/data/config).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "device.h"

#define DISK_XML                                                            \
    "<disk type=\"file\" device=\"disk\">\n"                                \
    "  <driver cache=\"none\" queues=\"2\"/>\n"                             \
    "  <source file=\"/srv/a,b.img\"/>\n"                                   \
    "  <target dev=\"vdb\" bus=\"virtio\"/>\n"                              \
    "  <readonly/>\n"                                                       \
    "  <backend user=\"hvblk\"/>\n"                                         \
    "</disk>\n"

#define DISK_JSON                                                           \
    "{\n"                                                                   \
    "  \"disk\": {\n"                                                       \
    "    \"type\": \"file\",\n"                                             \
    "    \"source\": \"/srv/a,b.img\",\n"                                   \
    "    \"target\": \"vdb\",\n"                                            \
    "    \"readonly\": true,\n"                                             \
    "    \"cache\": \"none\",\n"                                            \
    "    \"queues\": 2,\n"                                                  \
    "    \"backend_user\": \"hvblk\"\n"                                     \
    "  }\n"                                                                 \
    "}\n"

static hv_device *xml_dev(const char *text)
{
    hv_device *d = NULL;

    if (hv_device_from_xml(text, strlen(text), "dev.xml", &d) != 0)
        fail_msg("%s", hv_last_error());
    return d;
}

static char *spec_of(const hv_device *d)
{
    char *s = NULL;

    assert_int_equal(dev_spec(d, &s), 0);
    return s;
}

/* XML -> device -> XML and JSON, and the JSON back: the same device. */
static void test_disk_round_trip(void **state)
{
    hv_device *d = xml_dev(DISK_XML), *d2 = NULL;
    char *x, *j, *x2;

    (void)state;
    assert_int_equal(hv_device_get_type(d), HV_DEVICE_DISK);
    assert_string_equal(hv_device_get_id(d), "vdb");
    assert_string_equal(hv_device_get_source_type(d), "file");
    assert_string_equal(hv_device_get_source(d), "/srv/a,b.img");
    assert_int_equal(hv_device_is_readonly(d), 1);
    assert_null(hv_device_get_mac(d));
    assert_int_equal(hv_device_to_xml(d, &x), 0);
    assert_string_equal(x, DISK_XML);
    assert_int_equal(hv_device_to_json(d, &j), 0);
    assert_string_equal(j, DISK_JSON);
    assert_int_equal(hv_device_from_json(j, strlen(j), "dev.json", &d2), 0);
    assert_int_equal(hv_device_to_xml(d2, &x2), 0);
    assert_string_equal(x2, DISK_XML);
    free(x); free(j); free(x2);
    hv_device_free(d);
    hv_device_free(d2);
}

/* Each kind's spec, in the grammar of docs/devices.md. */
static void test_specs(void **state)
{
    static const struct { const char *xml, *spec; } cases[] = {
        { DISK_XML,
          "blk,id=vdb,file=/srv/a,,b.img,readonly,direct,queues=2,user=hvblk" },
        { "<disk type='block'><driver discard='ignore'/>"
          "<source dev='/dev/vg/x'/><target dev='vdc'/></disk>",
          "blk,id=vdc,file=/dev/vg/x,discard=off" },
        { "<disk type='file'><driver discard='unmap'/>"
          "<source file='/x'/><target dev='vda'/></disk>",
          "blk,id=vda,file=/x,discard=on" },
        { "<disk type='vhostuser'><source type='unix' path='/run/q,,d.sock'/>"
          "<target dev='vdd'/></disk>",
          "blk,id=vdd,socket=/run/q,,,,d.sock" },
        { "<interface type='bridge'><source bridge='br0'/>"
          "<mac address='52:54:00:AA:BB:CC'/><target dev='hvtap0'/>"
          "<driver queues='2'/><alias name='net3'/>"
          "<backend user='hvnet'/></interface>",
          "net,id=net3,mac=52:54:00:aa:bb:cc,bridge=br0,tap=hvtap0,queues=2,"
          "user=hvnet" },
        { "<interface type='ethernet'><target dev='tap,1'/>"
          "<mac address='52:54:00:00:00:01'/><alias name='up'/></interface>",
          "net,id=up,mac=52:54:00:00:00:01,tap=tap,,1" },
        { "<interface type='vhostuser'><source type='unix' path='/s.sock'/>"
          "<mac address='52:54:00:00:00:02'/><alias name='net0'/>"
          "</interface>",
          "net,id=net0,socket=/s.sock,mac=52:54:00:00:00:02" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hv_device *d = xml_dev(cases[i].xml);
        char *s = spec_of(d);
        assert_string_equal(s, cases[i].spec);
        free(s);
        hv_device_free(d);
    }
}

/* A device on its own: its messages name the text it came from. */
static void test_errors(void **state)
{
    static const struct { const char *text, *err; bool json; } cases[] = {
        { "<domain type='pv'/>",
          "dev.xml:1: element <domain>: not a device (use <disk> or "
          "<interface>)", false },
        { "<disk type='file'><source file='x'/><target dev='vda'/></disk>",
          "dev.xml:1: element <disk>: source path 'x' is not an absolute path",
          false },
        { "<interface type='bridge'><source bridge='br0'/>"
          "<mac address='ff:ff:ff:ff:ff:ff'/></interface>",
          "dev.xml:1: element <interface>: mac address 'ff:ff:ff:ff:ff:ff' "
          "is a multicast address (a guest's must be unicast)", false },
        { "<disk", "dev.xml:1: Couldn't find end of Start Tag disk line 1",
          false },
        { "{\"type\": \"file\"}",
          "dev.json: a device is an object with one key, \"disk\" or "
          "\"interface\"", true },
        { "{\"disk\": {\"type\": \"file\", \"source\": \"/x\"}}",
          "dev.json:1: \"disk\": missing key \"target\"", true },
        { "{\"interface\": {\"type\": \"file\", \"source\": \"/x\"}}",
          "dev.json:1: \"interface.type\": 'file' is not supported (use "
          "bridge, ethernet or vhostuser)", true },
        { "{\"disk\": {\"type\": \"file\", \"source\": \"/x\",\n"
          " \"target\": \"vda\", \"queues\": 9}}",
          "dev.json:1: \"disk\": queues 9 is out of range (1-8 for a disk)",
          true },
        { "{\"disk\": {}} x", "dev.json: unexpected character",
          true },
        /* Read as a config's text is (xml_util.c, json_read.c), but a
         * device's JSON messages name no line. */
        { "<!DOCTYPE disk><disk type='file'/>",
          "dev.xml: a DOCTYPE is not allowed", false },
        { "<?xml version='1.0'?>", "dev.xml:1: Start tag expected, '<' not "
          "found", false },
        { "{\"disk\": {\"type\":\n", "dev.json: JSON ends too early", true },
        { "{\"disk\": {\"x\": [[[[[[[1]]]]]]]}}", "dev.json: nesting too deep",
          true },
        { "{\"disk\": {\"type\": \"file\",\n\"type\": \"file\"}}",
          "dev.json:2: \"disk.type\": duplicate key", true },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hv_device *d = (hv_device *)1;
        const char *src = cases[i].json ? "dev.json" : "dev.xml";
        int rc = cases[i].json
                 ? hv_device_from_json(cases[i].text, strlen(cases[i].text),
                                       src, &d)
                 : hv_device_from_xml(cases[i].text, strlen(cases[i].text),
                                      src, &d);
        assert_int_equal(rc, HV_ECONFIG);
        assert_null(d);
        assert_string_equal(hv_last_error(), cases[i].err);
    }
}

/* What only a length can say: a NUL byte inside, more than the limit. */
static void test_text_limits(void **state)
{
    static const char nul[] = "{\"disk\":\n\0}";
    size_t big = HV_CONFIG_SIZE_MAX + 1;
    char *text = malloc(big);
    hv_device *d = (hv_device *)1;

    (void)state;
    assert_non_null(text);
    memset(text, ' ', big);
    assert_int_equal(hv_device_from_json(nul, sizeof(nul) - 1, "dev.json",
                                         &d), HV_ECONFIG);
    assert_null(d);
    assert_string_equal(hv_last_error(), "dev.json: a NUL byte in the text");
    assert_int_equal(hv_device_from_json(text, big, "dev.json", &d),
                     HV_ECONFIG);
    assert_string_equal(hv_last_error(), "dev.json: 1048577 bytes is more "
                        "than the limit of 1048576 bytes");
    assert_int_equal(hv_device_from_xml(text, big, "dev.xml", &d),
                     HV_ECONFIG);
    assert_string_equal(hv_last_error(), "dev.xml: 1048577 bytes is more "
                        "than the limit of 1048576 bytes");
    assert_int_equal(hv_device_from_xml(NULL, 0, "dev.xml", &d), HV_EINVAL);
    assert_string_equal(hv_last_error(), "dev.xml: no text");
    free(text);
}

static const char *const domain_xml =
    "<domain type='pv'><name>web</name><memory unit='MiB'>64</memory>"
    "<os><kernel>/k</kernel></os><devices>"
    "<interface type='bridge'><source bridge='br0'/></interface>"
    "<interface type='bridge'><source bridge='br0'/>"
    "<alias name='net1'/></interface>"
    "<interface type='ethernet'><target dev='tap9'/></interface>"
    "<interface type='bridge'><source bridge='br0'/>"
    "<alias name='net0'/></interface>"
    "</devices></domain>";

/*
 * An interface without MAC or alias is given them when it joins a config:
 * 52:54:00 and three random bytes, and the lowest free net<N>.  Written
 * out, they are part of the config and read back the same.
 */
static void test_generated_mac_and_id(void **state)
{
    hv_config *c, *c2;
    char *x, *x2;

    (void)state;
    assert_int_equal(hv_config_from_xml(domain_xml, strlen(domain_xml),
                                        "web.xml", &c), 0);
    /* The alias written last is not taken from the first: it has none. */
    assert_int_equal(hv_config_device_count(c), 4);
    assert_string_equal(hv_device_get_id(hv_config_get_device(c, 0)), "net2");
    assert_string_equal(hv_device_get_id(hv_config_get_device(c, 1)), "net1");
    assert_string_equal(hv_device_get_id(hv_config_get_device(c, 2)), "net3");
    assert_string_equal(hv_device_get_id(hv_config_get_device(c, 3)), "net0");
    for (unsigned i = 0; i < 4; i++) {
        const char *mac = hv_device_get_mac(hv_config_get_device(c, i));
        assert_non_null(mac);
        assert_int_equal(strlen(mac), 17);
        assert_memory_equal(mac, "52:54:00:", 9);
    }
    assert_string_not_equal(hv_device_get_mac(hv_config_get_device(c, 0)),
                            hv_device_get_mac(hv_config_get_device(c, 1)));
    assert_int_equal(hv_config_to_xml(c, &x), 0);
    assert_int_equal(hv_config_from_xml(x, strlen(x), "out.xml", &c2), 0);
    assert_int_equal(hv_config_to_xml(c2, &x2), 0);
    assert_string_equal(x, x2);
    free(x); free(x2);
    hv_config_free(c);
    hv_config_free(c2);
}

/* The device in xml refused by hv_config_add_device, word for word. */
static void add_refused(hv_config *c, const char *xml, const char *err)
{
    hv_device *d = xml_dev(xml);

    assert_int_equal(hv_config_add_device(c, d), HV_ECONFIG);
    assert_string_equal(hv_last_error(), err);
    hv_device_free(d);
}

/* hv_config_add_device / find / remove, and the limits of the list. */
static void test_config_list(void **state)
{
    hv_config *c;
    hv_device *d;
    const hv_device *got;
    char xml[256];

    (void)state;
    assert_int_equal(hv_config_from_xml(domain_xml, strlen(domain_xml),
                                        "web.xml", &c), 0);
    assert_int_equal(hv_config_set_name(c, "web"), 0);

    /* An interface added without alias takes the lowest free id. */
    assert_int_equal(hv_config_remove_device(c, "net0"), 0);
    d = xml_dev("<interface type='bridge'><source bridge='br1'/></interface>");
    assert_null(hv_device_get_id(d));
    assert_int_equal(hv_config_add_device(c, d), 0);
    hv_device_free(d);
    got = hv_config_find_device(c, "net0");
    assert_non_null(got);
    assert_string_equal(hv_device_get_source(got), "br1");
    assert_non_null(hv_device_get_mac(got));

    /* A tap name or an id twice: refused, the config unchanged. */
    add_refused(c, "<interface type='ethernet'><target dev='tap9'/>"
                "<alias name='x'/></interface>",
                "interface 'x': target dev 'tap9' is taken by interface "
                "'net3'");
    add_refused(c, "<disk type='file'><source file='/x'/><target dev='net1'/>"
                "</disk>",
                "disk 'net1': id 'net1' is taken by the interface 'net1' "
                "before it");
    assert_int_equal(hv_config_device_count(c), 4);

    /* Up to 16. */
    for (int i = 4; i < HV_DEVICES_MAX; i++) {
        snprintf(xml, sizeof(xml), "<disk type='file'><source file='/d%d'/>"
                 "<target dev='vd%c'/></disk>", i, 'a' + i);
        d = xml_dev(xml);
        assert_int_equal(hv_config_add_device(c, d), 0);
        hv_device_free(d);
    }
    add_refused(c, "<disk type='file'><source file='/x'/><target dev='vdz'/>"
                "</disk>",
                "config 'web': devices: 17 disks and interfaces, more than "
                "the limit of 16");
    assert_int_equal(hv_config_device_count(c), HV_DEVICES_MAX);

    assert_int_equal(hv_config_remove_device(c, "vdz"), HV_ENOENT);
    assert_string_equal(hv_last_error(), "config 'web': no device 'vdz'");
    hv_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_round_trip),
        cmocka_unit_test(test_specs),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_text_limits),
        cmocka_unit_test(test_generated_mac_and_id),
        cmocka_unit_test(test_config_list),
    };

    return cmocka_run_group_tests_name("libctl devices", tests, NULL, NULL);
}
