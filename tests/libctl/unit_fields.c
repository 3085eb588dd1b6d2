/*
 * unit_fields.c - the domain field table's JSON (libctl/domain_fields.c),
 * which libhvctl's agent driver reads from an agent that may be on
 * another host: a round trip keeps every field, an older agent's reply
 * (keys missing) keeps the defaults, a newer one's unknown state or
 * reason reads as unknown, and a hostile value is refused in one line
 * naming its key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "domain_fields.h"

static struct hv_fields sample(void)
{
    struct hv_fields f;

    fields_init(&f);
    f.domid = 7;
    strcpy(f.name, "web");
    strcpy(f.uuid, "6d9c3c2e-8a3f-4c1e-9b7a-1f2e3d4c5b6a");
    f.state = HV_STATE_PAUSED;
    f.reason = HV_REASON_REQUESTED;
    f.persistent = 1;
    f.autostart = 0;
    f.vcpus_online = f.vcpus_max = 2;
    f.mem_current_kib = f.mem_target_kib = 65536;
    f.mem_max_kib = 131072;
    f.cpu_time_ns = 123456789;
    f.uptime_ns = 987654321012ull;
    f.boot_count = 3;
    f.pid = 4242;
    f.exits = 1ull << 40;
    f.events = 99;
    f.figures_known = true;
    return f;
}

static void round_trip(void **state)
{
    struct hv_fields f = sample(), g;
    json_object *o = fields_to_json(&f);
    char err[128] = "";

    (void)state;
    fields_init(&g);
    assert_int_equal(fields_from_json(&g, o, err, sizeof(err)), 0);
    assert_memory_equal(&f, &g, sizeof(f));
    json_object_put(o);
}

static void older_and_newer_agents(void **state)
{
    json_object *o = json_tokener_parse(
        "{\"name\": \"web\", \"state\": \"migrating\", "
        "\"reason\": \"live_migration\", \"id\": null}");
    struct hv_fields f;
    char err[128] = "";

    (void)state;
    fields_init(&f);
    assert_int_equal(fields_from_json(&f, o, err, sizeof(err)), 0);
    assert_int_equal(f.state, 0);
    assert_int_equal(f.reason, HV_REASON_UNKNOWN);
    assert_int_equal(f.domid, HV_DOMID_NONE);
    assert_int_equal(f.persistent, -1);     /* not said: unknown */
    assert_false(f.figures_known);
    json_object_put(o);
}

static void hostile(void **state)
{
    static const struct { const char *json, *err; } cases[] = {
        { "[]", "\"domain\": not an object" },
        { "{\"id\": 0}", "\"id\": not a domain id" },
        { "{\"id\": -1}", "\"id\": not a domain id" },
        { "{\"id\": 4294967295}", "\"id\": not a domain id" },
        { "{\"id\": \"7\"}", "\"id\": not a domain id" },
        { "{\"name\": 7}", "\"name\": not a string that fits" },
        { "{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}",
          "\"name\": not a string that fits" },
        { "{\"state\": 1}", "\"state\": not a domain state" },
        { "{\"state\": null}", "\"state\": not a domain state" },
        { "{\"reason\": []}", "\"reason\": not a reason" },
        { "{\"persistent\": \"yes\"}", "\"persistent\": not true, false or null" },
        { "{\"figures_known\": null}", "\"figures_known\": not true or false" },
        { "{\"vcpus_max\": -2}", "\"vcpus_max\": not a count" },
        { "{\"vcpus_max\": 4294967296}", "\"vcpus_max\": not a count" },
        { "{\"pid\": 2147483648}", "\"pid\": not a count" },
        { "{\"exits\": 1.5}", "\"exits\": not a count" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_object *o = json_tokener_parse(cases[i].json);
        struct hv_fields f;
        char err[128] = "";
        assert_non_null(o);
        fields_init(&f);
        assert_int_equal(fields_from_json(&f, o, err, sizeof(err)), -1);
        assert_string_equal(err, cases[i].err);
        json_object_put(o);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(round_trip),
        cmocka_unit_test(older_and_newer_agents),
        cmocka_unit_test(hostile),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
