/*
 * test_rest_devices.c - the device routes of hvctld, on definitions (no
 * back end needed): an XML interface and a JSON disk added with
 * config=true&live=false come back as attached (the interface with the
 * MAC and id its definition gave it), the stored definition holds them
 * in both formats, each change is an "updated" event, and DELETE takes
 * them out again.  Every answer is checked against openapi.yaml by the
 * harness.  The running side is test_device_attach's (libctl).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static struct agentd ad;

static struct resp send(const char *method, const char *path,
                        const char *ctype, const char *body)
{
    struct req q = { .method = method, .path = path, .ctype = ctype,
                     .body = body };
    struct resp r;

    assert_int_equal(http(&ad, &q, &r), 0);
    return r;
}

static void test_definition_devices(void **state)
{
    struct resp r;
    struct req q = { .method = "GET", .path = "/v1/domains/dv/definition",
                     .accept = "application/xml" };
    char mac[32];
    json_object *ev;
    int fd;

    (void)state;
    define_domain(&ad, "dv", "counter", 32);
    fd = sse_open(&ad, -1);

    r = send("POST", "/v1/domains/dv/devices?config=true&live=false",
             "application/xml", "<interface type='bridge'><source "
             "bridge='br0'/><target dev='hvtap9'/></interface>");
    assert_int_equal(r.status, 201);
    assert_string_equal(jstr(r.json, "interface.alias"), "net0");
    assert_string_equal(jstr(r.json, "interface.target"), "hvtap9");
    snprintf(mac, sizeof(mac), "%s", jstr(r.json, "interface.mac"));
    assert_memory_equal(mac, "52:54:00:", 9);
    resp_free(&r);
    ev = sse_wait(fd, "updated", "dv", 30000);
    assert_non_null(ev);
    json_object_put(ev);

    r = send("POST", "/v1/domains/dv/devices?config=true&live=false",
             "application/json", "{\"disk\": {\"type\": \"file\", \"source\": "
             "\"/srv/dv.img\", \"target\": \"vda\", \"readonly\": true}}");
    assert_int_equal(r.status, 201);
    assert_string_equal(jstr(r.json, "disk.target"), "vda");
    resp_free(&r);

    /* The definition keeps both, the MAC as it was given. */
    r = GET(&ad, "/v1/domains/dv/definition");
    assert_int_equal(r.status, 200);
    assert_string_equal(jstr(r.json, "devices.interfaces.0.mac"), mac);
    assert_string_equal(jstr(r.json, "devices.disks.0.source"),
                        "/srv/dv.img");
    resp_free(&r);
    assert_int_equal(http(&ad, &q, &r), 0);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "<target dev=\"vda\" bus=\"virtio\"/>"));
    assert_non_null(strstr(r.body, "<alias name=\"net0\"/>"));
    resp_free(&r);

    /* The same id twice: the definition says no. */
    r = send("POST", "/v1/domains/dv/devices?config=true&live=false",
             "application/json", "{\"disk\": {\"type\": \"file\", \"source\": "
             "\"/srv/other.img\", \"target\": \"vda\"}}");
    expect_error(&r, 400, "invalid_config", "disk 'vda': id 'vda' is taken "
                 "by the disk 'vda' before it");
    resp_free(&r);

    r = DELETE(&ad, "/v1/domains/dv/devices/net0?config=true&live=false");
    assert_int_equal(r.status, 204);
    resp_free(&r);
    r = DELETE(&ad, "/v1/domains/dv/devices/vda?config=true&live=false");
    assert_int_equal(r.status, 204);
    resp_free(&r);
    r = GET(&ad, "/v1/domains/dv/definition");
    assert_null(jget(r.json, "devices"));
    resp_free(&r);
    sse_close(fd);
}

static int group_setup(void **state)
{
    (void)state;
    agentd_init(&ad, "devices");
    assert_int_equal(agentd_start(&ad, NULL, NULL), 0);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    assert_int_equal(agentd_stop(&ad), 0);
    agentd_cleanup(&ad);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_definition_devices),
    };
    return HARNESS_MAIN(tests, group_setup, group_teardown);
}
