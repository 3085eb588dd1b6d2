/*
 * test_cli_local.c - every hvctl command on this host (libhvctl), against
 * real hvcore processes running pvboot; every error path checked for its
 * message and exit status.  No hvctld runs here, so the commands that need
 * one are checked for how they say so.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli_harness.h"

static struct run r;

/* Create name from a fresh config and return its domid. */
static long create(const char *name, const char *cmdline)
{
    char want[128];
    long id;

    RUN_OK(&r, "create", cli_config(name, cmdline, false, 64));
    id = cli_domid(name);
    snprintf(want, sizeof(want), "Domain '%s' created (id %ld).\n", name, id);
    assert_string_equal(r.out, want);
    return id;
}

static const char *field(const char *json, const char *key)
{
    static char buf[128];

    return json_field(json, key, buf, sizeof(buf));
}

static void create_xml_and_json(void **state)
{
    char want[256], uuid[64];
    long id;

    (void)state;
    id = create("web", "counter");
    /* JSON in, JSON out: every documented key of a domain. */
    RUN_OK(&r, "create", "--json", cli_config("api", "counter", true, 0));
    assert_string_equal(field(r.out, "name"), "api");
    assert_string_equal(field(r.out, "state"), "running");
    assert_int_equal(atol(field(r.out, "id")), cli_domid("api"));
    assert_int_equal(strlen(field(r.out, "uuid")), 36);
    /* A taken name. */
    snprintf(want, sizeof(want), "hvctl: error: create %s: domain 'web': "
             "the name is already in use\n", cli_config("web", "x", false, 0));
    RUN_FAIL(&r, 1, want, "create", cli_config("web", "x", false, 0));

    /* info by name, domid and uuid: the same domain. */
    RUN_OK(&r, "info", "--json", "web");
    snprintf(uuid, sizeof(uuid), "%s", field(r.out, "uuid"));
    assert_int_equal(atol(field(r.out, "id")), id);
    assert_string_equal(field(r.out, "state"), "running");
    assert_string_equal(field(r.out, "memory_max_kib"), "65536");
    assert_string_equal(field(r.out, "memory_kib"), "32768");
    assert_string_equal(field(r.out, "vcpus"), "1");
    assert_string_equal(field(r.out, "persistent"), "null");
    snprintf(want, sizeof(want), "%ld", id);
    RUN_OK(&r, "info", "--json", want);
    assert_string_equal(field(r.out, "name"), "web");
    RUN_OK(&r, "info", "--json", uuid);
    assert_string_equal(field(r.out, "name"), "web");
    RUN_OK(&r, "info", "web");
    assert_contains(r.out, "Name:           web\n");
    snprintf(want, sizeof(want), "Id:             %ld\n", id);
    assert_contains(r.out, want);
    snprintf(want, sizeof(want), "UUID:           %s\n", uuid);
    assert_contains(r.out, want);
    assert_contains(r.out, "State:          running\n");
    assert_contains(r.out, "Reason:         booted\n");
    assert_contains(r.out, "Memory:         32 MiB\nMemory target:  32 MiB\n"
                           "Memory max:     64 MiB\n");
    /* The direct driver cannot tell whether hvctld defined it. */
    assert_contains(r.out, "Persistent:     -\nAutostart:      -\n");
    /* Its config names no os type: hvcore recognised pvboot. */
    assert_contains(r.out, "OS type:        auto\n");
    RUN_OK(&r, "info", "--json", "web");
    assert_string_equal(field(r.out, "os_type"), "auto");
}

static void list_table_and_json(void **state)
{
    json_object *top, *arr, *d;
    char want[256];
    long web, api;

    (void)state;
    RUN_OK(&r, "list");
    assert_string_equal(r.out, "   ID  NAME  STATE     VCPUS  MEM(MiB)      "
                               "CPU(s)      UPTIME\n");
    RUN_OK(&r, "list", "--json");
    assert_string_equal(r.out, "{\n  \"domains\": [\n  ]\n}\n");
    web = create("web", "counter");
    api = create("api", "counter");
    RUN_OK(&r, "list");
    snprintf(want, sizeof(want), "%5ld  web   running       1        32  ",
             web);
    assert_contains(r.out, want);
    snprintf(want, sizeof(want), "%5ld  api   running       1        32  ",
             api);
    assert_contains(r.out, want);
    RUN_OK(&r, "--json", "list");
    top = json_tokener_parse(r.out);
    assert_non_null(top);
    assert_true(json_object_object_get_ex(top, "domains", &arr));
    assert_int_equal(json_object_array_length(arr), 2);
    d = json_object_array_get_idx(arr, 0);
    /* Every key, always present (null when unknown). */
    {
        static const char *const keys[] = {
            "id", "name", "uuid", "state", "reason", "persistent",
            "autostart", "vcpus_online", "vcpus_max", "memory_current_kib",
            "memory_target_kib", "memory_max_kib", "cpu_time_ns",
            "uptime_ns", "boot_count", "pid", "exits", "events",
            "figures_known", "vcpus", "memory_kib",
        };
        assert_int_equal(json_object_object_length(d), 21);
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            assert_true(json_object_object_get_ex(d, keys[i], NULL));
    }
    json_object_put(top);
}

static void pause_unpause_and_wrong_states(void **state)
{
    char want[256], id[16];
    long dom;

    (void)state;
    dom = create("web", "counter");
    snprintf(id, sizeof(id), "%ld", dom);
    RUN_OK(&r, "pause", "web");
    assert_string_equal(r.out, "Domain 'web' paused.\n");
    RUN_OK(&r, "info", "--json", id);
    assert_string_equal(field(r.out, "state"), "paused");
    snprintf(want, sizeof(want), "hvctl: error: pause %s: domain 'web' "
             "(id %ld): already paused\n", id, dom);
    RUN_FAIL(&r, 1, want, "pause", id);
    RUN_OK(&r, "unpause", "--json", "web");
    assert_string_equal(r.out, "");
    snprintf(want, sizeof(want), "hvctl: error: unpause web: domain 'web' "
             "(id %ld): not paused\n", dom);
    RUN_FAIL(&r, 1, want, "unpause", "web");
    RUN_OK(&r, "list", "--json");
    assert_contains(r.out, "\"state\": \"running\"");
}

static void mem_set(void **state)
{
    char want[256];
    long dom;

    (void)state;
    dom = create("web", "balloon=8");
    RUN_OK(&r, "mem-set", "web", "16");
    assert_string_equal(r.out, "Domain 'web': memory target set to 16 MiB.\n");
    RUN_OK(&r, "info", "--json", "web");
    assert_string_equal(field(r.out, "memory_target_kib"), "16384");
    snprintf(want, sizeof(want), "hvctl: error: mem-set web: domain 'web' "
             "(id %ld): memory target 65 MiB is out of range (1 to 64 MiB, "
             "the maximum memory)\n", dom);
    RUN_FAIL(&r, 1, want, "mem-set", "web", "65");
    RUN_OK(&r, "mem-set", "web", "64");
}

static void reboot(void **state)
{
    double end;

    (void)state;
    create("web", "counter");
    RUN_OK(&r, "reboot", "web");
    assert_string_equal(r.out, "Domain 'web' is rebooting.\n");
    /* The guest reboots in the same hvcore: boot count 2, same domid. */
    end = now_ms() + 30000;
    do {
        RUN_OK(&r, "info", "--json", "web");
        if (strcmp(field(r.out, "boot_count"), "2") == 0)
            break;
        usleep(10000);
    } while (now_ms() < end);
    assert_string_equal(field(r.out, "boot_count"), "2");
    assert_string_equal(field(r.out, "state"), "running");
}

static void shutdown_and_destroy(void **state)
{
    char want[256], id[16];
    long dom;

    (void)state;
    /* --wait returns once the domain is gone. */
    create("web", "counter");
    RUN_OK(&r, "shutdown", "--wait", "web");
    assert_string_equal(r.out, "Domain 'web' has shut down.\n");
    RUN_FAIL(&r, 1, "hvctl: error: info web: domain 'web': no such domain\n",
             "info", "web");

    /* A paused guest could not act on the request: refused at once, by
     * any name, with what would work instead; the domain stays paused. */
    dom = create("web", "counter");
    RUN_OK(&r, "pause", "web");
    RUN_FAIL(&r, 1, "hvctl: error: shutdown web: domain 'web' is paused: "
                    "unpause it first, or use destroy\n",
             "shutdown", "--timeout", "0.2", "web");
    snprintf(want, sizeof(want), "hvctl: error: shutdown %ld: domain 'web' "
             "is paused: unpause it first, or use destroy\n", dom);
    snprintf(id, sizeof(id), "%ld", dom);
    RUN_FAIL(&r, 1, want, "shutdown", id);
    RUN_OK(&r, "info", "--json", "web");
    assert_string_equal(field(r.out, "state"), "paused");
    RUN_OK(&r, "destroy", "web");
    assert_string_equal(r.out, "Domain 'web' destroyed.\n");
    RUN_OK(&r, "list", "--json");
    assert_string_equal(r.out, "{\n  \"domains\": [\n  ]\n}\n");

    /* Without --wait: asked, and gone soon after. */
    create("web", "counter");
    RUN_OK(&r, "shutdown", "web");
    assert_string_equal(r.out, "Domain 'web' is shutting down.\n");
}

/* kill -9 the hvcore of name (a running domain). */
static void kill_hvcore(const char *name)
{
    RUN_OK(&r, "info", "--json", name);
    assert_true(atoi(field(r.out, "pid")) > 0);
    assert_int_equal(kill(atoi(field(r.out, "pid")), SIGKILL), 0);
}

/* `list` (args) until it shows the dead domain, which it does once. */
static void list_until_crashed(const char *const *args)
{
    double end = now_ms() + 30000;

    do {
        hvctl_run(&r, NULL, args);
        assert_int_equal(r.status, 0);
        if (strstr(r.out, "crashed"))
            return;
        usleep(10000);
    } while (now_ms() < end);
    fail_msg("no crashed domain listed within 30 s:\n%s", r.out);
}

/*
 * When hvcore is killed nobody can tell the dead domain's figures: the
 * table says "-" and JSON null, as for any unknown, never 0.
 */
static void dead_hvcore_figures_unknown(void **state)
{
    static const char *const table[] = { "list", NULL };
    static const char *const json[] = { "list", "--json", NULL };
    static const char *const unknown[] = {
        "vcpus", "vcpus_online", "vcpus_max", "memory_kib",
        "memory_current_kib", "memory_target_kib", "memory_max_kib",
        "cpu_time_ns", "uptime_ns", "boot_count", "pid", "exits", "events",
    };
    json_object *top, *arr;
    const char *dom;
    char want[256];
    long id;

    (void)state;
    id = create("web", "counter");
    kill_hvcore("web");
    list_until_crashed(table);
    snprintf(want, sizeof(want), "%5ld  web   crashed       -         -    "
             "       -           -\n", id);
    assert_contains(r.out, want);

    id = create("web", "counter");
    kill_hvcore("web");
    list_until_crashed(json);
    top = json_tokener_parse(r.out);
    assert_non_null(top);
    assert_true(json_object_object_get_ex(top, "domains", &arr));
    assert_int_equal(json_object_array_length(arr), 1);
    dom = json_object_to_json_string(json_object_array_get_idx(arr, 0));
    assert_int_equal(atol(field(dom, "id")), id);
    assert_string_equal(field(dom, "state"), "crashed");
    /* ... and why, as an enum libhvctl set, not text to parse. */
    assert_string_equal(field(dom, "reason"), "hvcore_died");
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++)
        if (strcmp(field(dom, unknown[i]), "null") != 0)
            fail_msg("\"%s\" of a dead hvcore is %s, not null",
                     unknown[i], field(dom, unknown[i]));
    json_object_put(top);
}

/* Every command that names a domain, on one that does not exist. */
static void unknown_domains(void **state)
{
    static const char *const cmds[][3] = {
        { "info" }, { "console" }, { "pause" }, { "unpause" },
        { "shutdown" }, { "reboot" }, { "destroy" }, { "mem-set", "", "8" },
    };
    char want[256];

    (void)state;
    create("web", "counter");
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const char *c = cmds[i][0], *extra = cmds[i][2];
        snprintf(want, sizeof(want), "hvctl: error: %s nosuch: domain "
                 "'nosuch': no such domain\n", c);
        RUN_FAIL(&r, 1, want, c, "nosuch", extra);
        snprintf(want, sizeof(want), "hvctl: error: %s 4242: domain 4242: "
                 "no such domain\n", c);
        RUN_FAIL(&r, 1, want, c, "4242", extra);
        snprintf(want, sizeof(want), "hvctl: error: %s 01234567-89ab-cdef-"
                 "0123-456789abcdef: domain uuid '01234567-89ab-cdef-0123-"
                 "456789abcdef': no such domain\n", c);
        RUN_FAIL(&r, 1, want, c, "01234567-89ab-cdef-0123-456789abcdef",
                 extra);
    }
}

/* A domain whose name is all digits is still found by its name. */
static void numeric_names(void **state)
{
    (void)state;
    create("4242", "counter");
    RUN_OK(&r, "info", "--json", "4242");
    assert_string_equal(field(r.out, "name"), "4242");
    RUN_OK(&r, "pause", "4242");
}

/*
 * A running domain created here keeps its configuration: dumpxml and
 * dumpjson need no hvctld for it (agent_down: they do for the rest).
 */
static void dump_running(void **state)
{
    char want[1200];
    long id;

    (void)state;
    id = create("web", "counter");
    RUN_OK(&r, "dumpxml", "web");
    assert_contains(r.out, "  <name>web</name>\n");
    assert_contains(r.out, "  <memory unit=\"MiB\">64</memory>\n");
    assert_contains(r.out, "  <currentMemory unit=\"MiB\">32</currentMemory>\n");
    snprintf(want, sizeof(want), "    <kernel>%s</kernel>\n", cli_env.pvboot);
    assert_contains(r.out, want);
    assert_contains(r.out, "    <cmdline>counter</cmdline>\n");
    snprintf(want, sizeof(want), "%ld", id);
    RUN_OK(&r, "dumpjson", want);
    assert_string_equal(field(r.out, "name"), "web");
    assert_contains(r.out, "\"cmdline\": \"counter\"");
}

/*
 * Without hvctld, hvctl:///system is the direct driver: what needs a
 * definition says which connection could, and a name it does not see
 * may be defined in an hvctld that is not running.
 */
static void agent_down(void **state)
{
    char real[PATH_MAX], want[PATH_MAX + 512], uri[PATH_MAX + 64];
    const char *cfg = cli_config("web", "counter", false, 0);
    long id;

    (void)state;
    assert_non_null(realpath(cli_env.rundir, real));
    snprintf(uri, sizeof(uri), "hvctl:///system?rundir=%s", real);
    snprintf(want, sizeof(want), "hvctl: error: start web: domain 'web': no "
             "such domain (%s sees running domains only: definitions need "
             "hvctld)\n", uri);
    RUN_FAIL(&r, 1, want, "start", "web");
    snprintf(want, sizeof(want), "hvctl: error: dumpxml web: domain 'web': "
             "no such domain (%s sees running domains only: definitions need "
             "hvctld)\n", uri);
    RUN_FAIL(&r, 1, want, "dumpxml", "--inactive", "web");
    snprintf(want, sizeof(want), "hvctl: error: define %s: domain 'web': "
             "define: not possible through %s: the direct driver runs "
             "transient domains only; definitions need hvctld (hvctl:///system "
             "with hvctld running, or unix:///PATH/hvctld.sock)\n", cfg, uri);
    RUN_FAIL(&r, 1, want, "define", cfg);
    /* A running transient domain: the call itself is refused. */
    id = create("web", "counter");
    snprintf(want, sizeof(want), "hvctl: error: start web: domain 'web' (id "
             "%ld): start: not possible through %s: the direct driver runs "
             "transient domains only; definitions need hvctld (hvctl:///system "
             "with hvctld running, or unix:///PATH/hvctld.sock)\n", id, uri);
    RUN_FAIL(&r, 1, want, "start", "web");
    snprintf(want, sizeof(want), "hvctl: error: autostart web: domain 'web' "
             "(id %ld): autostart: not possible through %s: the direct "
             "driver runs transient domains only; definitions need hvctld "
             "(hvctl:///system with hvctld running, or "
             "unix:///PATH/hvctld.sock)\n", id, uri);
    RUN_FAIL(&r, 1, want, "autostart", "web", "on");
    snprintf(want, sizeof(want), "hvctl: error: list: listing domains by "
             "persistence: not possible through %s: the direct driver runs "
             "transient domains only; definitions need hvctld (hvctl:///system "
             "with hvctld running, or unix:///PATH/hvctld.sock)\n", uri);
    RUN_FAIL(&r, 1, want, "list", "--persistent");
    /* No definitions here: --all is the running domains. */
    RUN_OK(&r, "list", "--all");
    assert_contains(r.out, "AUTOSTART\n");
    snprintf(want, sizeof(want), "%5ld  web   running ", id);
    assert_contains(r.out, want);
}

/* `hvctl events` in the background while another hvctl acts. */
static void events(void **state)
{
    static const char *const args[] = { "events", "--json", NULL };
    static const char *const order[] = { "started", "paused", "unpaused",
                                         "destroyed" };
    static struct watcher w;
    double end = now_ms() + 30000;

    (void)state;
    watch_start(&w, args);
    /* Until it has subscribed, events pass it by: wait for one. */
    create("ev0", "counter");
    do {
        RUN_OK(&r, "pause", "ev0");
        RUN_OK(&r, "unpause", "ev0");
    } while (!watch_until(&w, "\"ev0\"", 100) && now_ms() < end);
    create("ev", "counter");
    RUN_OK(&r, "pause", "ev");
    RUN_OK(&r, "unpause", "ev");
    RUN_OK(&r, "destroy", "ev");
    watch_until(&w, "\"destroyed\"", 30000);
    /* Interrupted: a clean end, exit status 0. */
    assert_int_equal(watch_stop(&w), 0);
    /* One JSON object per line, in order. */
    assert_event_order(w.buf, "ev", order, 4);
}

static int setup(void **state)
{
    (void)state;
    cli_env_open("local");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cli_env_close();
    return 0;
}

static int each(void **state)
{
    (void)state;
    cli_destroy_all();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(create_xml_and_json, each),
        cmocka_unit_test_teardown(list_table_and_json, each),
        cmocka_unit_test_teardown(pause_unpause_and_wrong_states, each),
        cmocka_unit_test_teardown(mem_set, each),
        cmocka_unit_test_teardown(reboot, each),
        cmocka_unit_test_teardown(shutdown_and_destroy, each),
        cmocka_unit_test_teardown(dead_hvcore_figures_unknown, each),
        cmocka_unit_test_teardown(unknown_domains, each),
        cmocka_unit_test_teardown(numeric_names, each),
        cmocka_unit_test_teardown(dump_running, each),
        cmocka_unit_test_teardown(agent_down, each),
        cmocka_unit_test_teardown(events, each),
    };
    char why[256];

    if (!cli_can_run_domains(why, sizeof(why))) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
