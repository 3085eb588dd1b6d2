/*
 * test_cli_remote.c - every hvctl command through a real hvctld: over its
 * Unix socket, over TLS TCP with a bearer token and with a client
 * certificate (a CA made by the test), and the local commands that need
 * the agent (hvctl:///system), all through libhvctl's agent driver, with
 * unknown domains and wrong states on the way.  How it goes wrong
 * otherwise: test_cli_remote_fail.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "agent_harness.h"
#include "cli_harness.h"
#include "hvctl.h"

static struct run r;
static struct agent agent;

static const char *field(const char *json, const char *key)
{
    static char buf[256];

    return json_field(json, key, buf, sizeof(buf));
}

/* The state `list --all --json` gives name, or "" if it is not listed. */
static const char *state_of(const char *name)
{
    static char state[32];
    json_object *top, *arr;

    state[0] = '\0';
    RUN_OK(&r, "list", "--all", "--json");
    top = json_tokener_parse(r.out);
    assert_non_null(top);
    assert_true(json_object_object_get_ex(top, "domains", &arr));
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *d = json_object_array_get_idx(arr, i), *v;
        json_object_object_get_ex(d, "name", &v);
        if (strcmp(json_object_get_string(v), name) == 0) {
            json_object_object_get_ex(d, "state", &v);
            snprintf(state, sizeof(state), "%s", json_object_get_string(v));
        }
    }
    json_object_put(top);
    return state;
}

/*
 * The table row of name starts with `before` the name and has `after`
 * once the column padding is skipped.
 */
static void assert_row(const char *table, const char *name,
                       const char *before, const char *after)
{
    char head[128];
    const char *line, *p;

    snprintf(head, sizeof(head), "\n%s%s ", before, name);
    line = strstr(table, head);
    if (!line)
        fail_msg("no row '%s%s' in\n%s", before, name, table);
    p = line + strlen(head);
    while (*p == ' ')
        p++;
    if (strncmp(p - 2, after, strlen(after)) != 0)
        fail_msg("row of '%s' lacks '%s' in\n%s", name, after, table);
}

/* Wait (up to 30 s) for name to reach state. */
static void wait_state(const char *name, const char *state)
{
    double end = now_ms() + 30000;

    while (strcmp(state_of(name), state) != 0) {
        if (now_ms() > end)
            fail_msg("domain '%s' is '%s', not '%s'", name, state_of(name),
                     state);
        usleep(20000);
    }
}

/*
 * Every command, through the target whose global options are `prefix`;
 * domains are named after `tag` so that the runs do not meet.
 */
static void every_command(const char *const *prefix, const char *tag)
{
    char name[32], other[32], want[1024], id[16], uuid[64];
    const char *cfg, *cfg2;

    hvctl_prefix(prefix);
    snprintf(name, sizeof(name), "%s-web", tag);
    snprintf(other, sizeof(other), "%s-api", tag);
    cfg = cli_config(name, "counter", false, 64);
    cfg2 = cli_config(other, "counter", true, 0);

    /* The agent names its version (hv_conn_get_agent_version). */
    RUN_OK(&r, "version");
    assert_contains(r.out, "agent:       hvctld " PACKAGE_VERSION "\n");
    snprintf(want, sizeof(want), "connection:  %s (agent driver)\n",
             prefix[1]);
    assert_contains(r.out, want);
    RUN_OK(&r, "version", "--json");
    assert_string_equal(field(r.out, "driver"), "agent");
    assert_string_equal(field(r.out, "connection"), prefix[1]);

    /* define: known, not running; its configuration comes back. */
    RUN_OK(&r, "define", cfg);
    snprintf(want, sizeof(want), "Domain '%s' defined.\n", name);
    assert_string_equal(r.out, want);
    assert_string_equal(state_of(name), "shutoff");
    RUN_OK(&r, "list", "--json");
    snprintf(want, sizeof(want), "\"%s\"", name);
    assert_null(strstr(r.out, want));
    RUN_OK(&r, "list", "--all");
    assert_contains(r.out, "AUTOSTART");
    assert_row(r.out, name, "    -  ", "  shutoff ");
    RUN_OK(&r, "dumpxml", name);
    snprintf(want, sizeof(want), "<name>%s</name>", name);
    assert_contains(r.out, want);
    assert_contains(r.out, "<memory unit=\"MiB\">64</memory>");
    RUN_OK(&r, "dumpjson", name);
    assert_string_equal(field(r.out, "name"), name);
    assert_contains(r.out, "\"max_mib\": 64");
    /* Again: the file has no uuid, so it is the domain of its name, and
     * its definition is replaced (as virsh does). */
    RUN_OK(&r, "define", cfg);
    snprintf(want, sizeof(want), "Domain '%s' defined.\n", name);
    assert_string_equal(r.out, want);
    RUN_OK(&r, "info", "--json", name);
    snprintf(uuid, sizeof(uuid), "%s", field(r.out, "uuid"));
    /* Another uuid under that name is another domain: refused. */
    {
        char text[2048], base[64];
        const char *other_uuid = "01234567-89ab-cdef-0123-456789abcdef";
        snprintf(text, sizeof(text), "<domain type=\"pv\">\n  <name>%s</name>"
                 "\n  <uuid>%s</uuid>\n  <memory unit=\"MiB\">32</memory>\n"
                 "  <os>\n    <kernel>%s</kernel>\n  </os>\n</domain>\n",
                 name, other_uuid, cli_env.pvboot);
        snprintf(base, sizeof(base), "%s-other.xml", tag);
        cfg2 = cli_file(base, text);
        snprintf(want, sizeof(want), "hvctl: error: define %s: domain '%s' is "
                 "already defined with uuid %s, not %s\n", cfg2, name, uuid,
                 other_uuid);
        RUN_FAIL(&r, 1, want, "define", cfg2);
        cfg2 = cli_config(other, "counter", true, 0);
    }

    /* autostart on and off. */
    RUN_OK(&r, "autostart", name, "on");
    snprintf(want, sizeof(want), "Domain '%s': autostart on.\n", name);
    assert_string_equal(r.out, want);
    RUN_OK(&r, "info", "--json", name);
    assert_string_equal(field(r.out, "autostart"), "true");
    RUN_OK(&r, "autostart", name, "off");
    RUN_OK(&r, "info", "--json", name);
    assert_string_equal(field(r.out, "autostart"), "false");
    assert_string_equal(field(r.out, "persistent"), "true");

    /* start, and the domain by name, domid and uuid. */
    RUN_OK(&r, "start", name);
    snprintf(want, sizeof(want), "Domain '%s' started.\n", name);
    assert_string_equal(r.out, want);
    RUN_OK(&r, "info", "--json", name);
    assert_string_equal(field(r.out, "state"), "running");
    assert_string_equal(field(r.out, "memory_max_kib"), "65536");
    snprintf(id, sizeof(id), "%s", field(r.out, "id"));
    snprintf(uuid, sizeof(uuid), "%s", field(r.out, "uuid"));
    assert_true(atol(id) > 0);
    RUN_OK(&r, "info", "--json", id);
    assert_string_equal(field(r.out, "name"), name);
    RUN_OK(&r, "info", "--json", uuid);
    assert_string_equal(field(r.out, "name"), name);
    RUN_OK(&r, "info", name);
    assert_contains(r.out, "Persistent:     yes\n");
    RUN_OK(&r, "list");
    snprintf(want, sizeof(want), "%5s  ", id);
    assert_row(r.out, name, want, "  running ");
    snprintf(want, sizeof(want), "hvctl: error: start %s: domain '%s' is "
             "already running\n", name, name);
    RUN_FAIL(&r, 1, want, "start", name);

    /* pause, unpause, and their wrong states. */
    RUN_OK(&r, "pause", id);
    assert_string_equal(state_of(name), "paused");
    snprintf(want, sizeof(want), "hvctl: error: pause %s: domain '%s' (id %s):"
             " already paused\n", name, name, id);
    RUN_FAIL(&r, 1, want, "pause", name);
    RUN_OK(&r, "unpause", name);
    assert_string_equal(state_of(name), "running");
    snprintf(want, sizeof(want), "hvctl: error: unpause %s: domain '%s' "
             "(id %s): not paused\n", uuid, name, id);
    RUN_FAIL(&r, 1, want, "unpause", uuid);

    /* mem-set, in and out of range. */
    RUN_OK(&r, "mem-set", name, "48");
    RUN_OK(&r, "info", "--json", name);
    assert_string_equal(field(r.out, "memory_target_kib"), "49152");
    snprintf(want, sizeof(want), "hvctl: error: mem-set %s: domain '%s' "
             "(id %s): memory target 65 MiB is out of range (1 to 64 MiB, "
             "the maximum memory)\n", name, name, id);
    RUN_FAIL(&r, 1, want, "mem-set", name, "65");

    /* reboot: the same hvcore boots the guest again. */
    RUN_OK(&r, "reboot", name);
    {
        double end = now_ms() + 30000;
        do {
            RUN_OK(&r, "info", "--json", name);
            if (strcmp(field(r.out, "boot_count"), "2") == 0)
                break;
            usleep(20000);
        } while (now_ms() < end);
        assert_string_equal(field(r.out, "boot_count"), "2");
        assert_string_equal(field(r.out, "state"), "running");
    }
    /* shutdown --wait: still defined, not running. */
    RUN_OK(&r, "shutdown", "--wait", name);
    snprintf(want, sizeof(want), "Domain '%s' has shut down.\n", name);
    assert_string_equal(r.out, want);
    assert_string_equal(state_of(name), "shutoff");
    snprintf(want, sizeof(want), "hvctl: error: pause %s: cannot pause "
             "domain '%s': it is not running\n", name, name);
    RUN_FAIL(&r, 1, want, "pause", name);
    snprintf(want, sizeof(want), "hvctl: error: shutdown %s: cannot shut "
             "down domain '%s': it is not running\n", name, name);
    RUN_FAIL(&r, 1, want, "shutdown", name);
    snprintf(want, sizeof(want), "hvctl: error: mem-set %s: cannot set the "
             "memory of domain '%s': it is not running\n", name, name);
    RUN_FAIL(&r, 1, want, "mem-set", name, "16");

    /* A paused guest could not power off: refused at once. */
    RUN_OK(&r, "start", name);
    RUN_OK(&r, "pause", name);
    snprintf(want, sizeof(want), "hvctl: error: shutdown %s: domain '%s' is "
             "paused: unpause it first, or use destroy\n", name, name);
    RUN_FAIL(&r, 1, want, "shutdown", "--timeout", "0.5", name);
    assert_string_equal(state_of(name), "paused");
    /* destroy: ended, still defined. */
    RUN_OK(&r, "destroy", name);
    snprintf(want, sizeof(want), "Domain '%s' destroyed.\n", name);
    assert_string_equal(r.out, want);
    assert_string_equal(state_of(name), "shutoff");

    /* create: transient, as on this host (JSON file); gone once ended. */
    RUN_OK(&r, "create", "--json", cfg2);
    assert_string_equal(field(r.out, "name"), other);
    assert_string_equal(field(r.out, "state"), "running");
    assert_string_equal(field(r.out, "persistent"), "false");
    assert_true(atol(field(r.out, "id")) > 0);
    RUN_OK(&r, "list", "--transient");
    snprintf(want, sizeof(want), "  %s  running ", other);
    assert_contains(r.out, want);
    RUN_OK(&r, "list", "--persistent", "--json");
    snprintf(want, sizeof(want), "\"%s\"", other);
    assert_null(strstr(r.out, want));
    RUN_OK(&r, "shutdown", other);
    wait_state(other, "");

    /* undefine: gone. */
    RUN_OK(&r, "undefine", name);
    snprintf(want, sizeof(want), "Domain '%s' undefined.\n", name);
    assert_string_equal(r.out, want);
    assert_string_equal(state_of(name), "");
    hvctl_prefix(NULL);
}

/* Every command on a domain the agent does not know. */
static void unknown_domains(const char *const *prefix)
{
    static const char *const cmds[][3] = {
        { "info" }, { "pause" }, { "unpause" }, { "shutdown" },
        { "reboot" }, { "destroy" }, { "mem-set", "", "8" }, { "dumpxml" },
        { "dumpjson" }, { "undefine" }, { "start" },
        { "autostart", "", "on" }, { "console" }, { "edit" },
        { "domstats" },
    };
    char want[256];

    hvctl_prefix(prefix);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        const char *c = cmds[i][0], *extra = cmds[i][2];
        snprintf(want, sizeof(want), "hvctl: error: %s nosuch: domain "
                 "'nosuch': no such domain\n", c);
        RUN_FAIL(&r, 1, want, c, "nosuch", extra);
        snprintf(want, sizeof(want), "hvctl: error: %s 4242: domain 4242: "
                 "no such domain\n", c);
        RUN_FAIL(&r, 1, want, c, "4242", extra);
    }
    hvctl_prefix(NULL);
}

static void through_unix_socket(void **state)
{
    const char *prefix[] = { "-c", agent.unix_url, NULL };

    (void)state;
    every_command(prefix, "unix");
    unknown_domains(prefix);
}

static void through_tls_with_a_token(void **state)
{
    const char *prefix[] = { "-c", agent.https_url, "--cacert", agent.ca,
                             "--token", agent.token, NULL };

    (void)state;
    every_command(prefix, "tls");
    unknown_domains(prefix);
}

/* The environment names the agent and the token as well as options do. */
static void through_tls_from_the_environment(void **state)
{
    const char *prefix[] = { "--cacert", agent.ca, NULL };
    static struct run r2;

    (void)state;
    setenv("HVCTL_URL", agent.https_url, 1);
    setenv("HVCTL_TOKEN", agent.token, 1);
    hvctl_prefix(prefix);
    hvctl_runl(&r2, "list", "--all", NULL);
    /* --verbose shows the exchange, but not the secret. */
    hvctl_runl(&r, "--verbose", "list", NULL);
    unsetenv("HVCTL_URL");
    unsetenv("HVCTL_TOKEN");
    hvctl_prefix(NULL);
    assert_int_equal(r2.status, 0);
    assert_contains(r2.out, "AUTOSTART");
    assert_int_equal(r.status, 0);
    /* --verbose names the connection in libhvctl's words: no secret. */
    {
        char want[256];
        snprintf(want, sizeof(want), "hvctl: connected to %s (agent "
                 "driver)\n", agent.https_url);
        assert_string_equal(r.err, want);
    }
    assert_null(strstr(r.err, agent.token));
}

static void through_tls_with_a_client_certificate(void **state)
{
    const char *prefix[] = { "-c", agent.https_url, "--cacert", agent.ca,
                             "--cert", agent.cli_cert, "--key", agent.cli_key,
                             NULL };
    const char *cfg = cli_config("cert-web", "counter", false, 0);

    (void)state;
    hvctl_prefix(prefix);
    RUN_OK(&r, "create", cfg);
    RUN_OK(&r, "pause", "cert-web");
    RUN_OK(&r, "info", "--json", "cert-web");
    assert_string_equal(field(r.out, "state"), "paused");
    RUN_OK(&r, "destroy", "cert-web");
    hvctl_prefix(NULL);
}

/* What the local commands that need persistence do with the agent up. */
static void local_commands_use_the_local_agent(void **state)
{
    const char *cfg = cli_config("loc", "counter", false, 0);
    char want[256];
    long id;

    (void)state;
    hvctl_prefix(NULL);
    /* hvctl finds the agent's socket in the runtime directory. */
    setenv("HVCTL_RUNDIR", cli_env.rundir, 1);
    RUN_OK(&r, "version");
    assert_contains(r.out, "agent:       hvctld " PACKAGE_VERSION "\n");
    assert_contains(r.out, " (agent driver)\n");
    RUN_OK(&r, "define", cfg);
    RUN_OK(&r, "list", "--all");
    assert_row(r.out, "loc", "    -  ", "  shutoff ");
    RUN_OK(&r, "autostart", "loc", "on");
    RUN_OK(&r, "start", "loc");
    /* Running: libhvctl sees it, the agent knows it is defined. */
    id = cli_domid("loc");
    RUN_OK(&r, "info", "loc");
    assert_contains(r.out, "Persistent:     yes\nAutostart:      yes\n");
    RUN_OK(&r, "list", "--all", "--json");
    assert_contains(r.out, "\"autostart\": true");
    RUN_OK(&r, "dumpxml", "loc");
    assert_contains(r.out, "<name>loc</name>");
    RUN_OK(&r, "dumpjson", "loc");
    assert_string_equal(field(r.out, "name"), "loc");
    RUN_OK(&r, "pause", "loc");
    RUN_OK(&r, "destroy", "loc");
    RUN_OK(&r, "undefine", "loc");
    snprintf(want, sizeof(want), "hvctl: error: start loc: domain 'loc': no "
             "such domain\n");
    RUN_FAIL(&r, 1, want, "start", "loc");
    /* A domain created locally is transient, yet libhvctl kept its
     * configuration. */
    RUN_OK(&r, "create", cfg);
    RUN_OK(&r, "dumpxml", "loc");
    assert_contains(r.out, "<name>loc</name>");
    RUN_OK(&r, "destroy", "loc");
    (void)id;
}

/*
 * A name is one domain: a create may not run another domain (a new
 * uuid) under the name of one defined in the local agent, shut off as it
 * is, nor run the defined one from another configuration; hvctl says
 * what would work, in its own words.
 */
static void local_create_of_a_defined_name(void **state)
{
    const char *cfg = cli_config("clash", "counter", false, 0);
    char want[512], uuid[64], text[2048];
    const char *same;

    (void)state;
    hvctl_prefix(NULL);
    setenv("HVCTL_RUNDIR", cli_env.rundir, 1);
    RUN_OK(&r, "define", cfg);
    RUN_OK(&r, "-c", agent.unix_url, "info", "--json", "clash");
    snprintf(uuid, sizeof(uuid), "%s", field(r.out, "uuid"));
    assert_int_equal(strlen(uuid), 36);
    snprintf(want, sizeof(want), "hvctl: error: create %s: domain 'clash': "
             "the name belongs to a defined domain with another uuid (%s): "
             "start that one with `hvctl start clash`, or give this "
             "configuration another name\n", cfg, uuid);
    RUN_FAIL(&r, 1, want, "create", cfg);
    /* Nothing ran; the definition is as it was. */
    assert_string_equal(state_of("clash"), "shutoff");
    RUN_OK(&r, "list", "--json");
    assert_null(strstr(r.out, "\"clash\""));

    /*
     * With the definition's uuid it is the defined domain: hvctld runs a
     * defined domain from its definition only, and hvctl says how.
     */
    snprintf(text, sizeof(text), "<domain type=\"pv\">\n  <name>clash</name>"
             "\n  <uuid>%s</uuid>\n  <memory unit=\"MiB\">32</memory>\n"
             "  <os>\n    <kernel>%s</kernel>\n    <cmdline>counter</cmdline>"
             "\n  </os>\n</domain>\n", uuid, cli_env.pvboot);
    same = cli_file("clash-same.xml", text);
    snprintf(want, sizeof(want), "hvctl: error: create %s: domain 'clash' is "
             "defined: start it with `hvctl start clash`, after `hvctl "
             "define` of this configuration if it is to run with it\n", same);
    RUN_FAIL(&r, 1, want, "create", same);
    assert_string_equal(state_of("clash"), "shutoff");
    RUN_OK(&r, "undefine", "clash");
}

/*
 * The same clash made behind the agent's back (libhvctl's direct driver,
 * as a plain hvcore or an older hvctl could): the agent does not show
 * the other domain as the definition, and says why, once; the direct
 * driver shows the running one.
 */
static void name_clash_behind_the_agents_back(void **state)
{
    const char *cfg = cli_config("clash2", "counter", false, 0);
    const char *args[] = { "-c", agent.unix_url, "events", "--json", NULL };
    static struct watcher w;
    double end = now_ms() + 30000;
    hv_config *c;
    hv_conn *conn;
    hv_domain *dom;
    char want[512], uuid[64], id[16];

    (void)state;
    hvctl_prefix(NULL);
    setenv("HVCTL_RUNDIR", cli_env.rundir, 1);
    RUN_OK(&r, "define", cfg);
    RUN_OK(&r, "-c", agent.unix_url, "info", "--json", "clash2");
    snprintf(uuid, sizeof(uuid), "%s", field(r.out, "uuid"));
    watch_start(&w, args);
    /* Until it has subscribed, events pass it by: wait for one. */
    do {
        RUN_OK(&r, "autostart", "clash2", "on");
        RUN_OK(&r, "autostart", "clash2", "off");
    } while (!watch_until(&w, "\"clash2\"", 100) && now_ms() < end);

    assert_int_equal(hv_conn_open(cli_env.rundir, &conn), 0);
    assert_int_equal(hv_config_load_file(cfg, &c), 0);
    assert_int_equal(hv_domain_create(conn, c, 0, &dom), 0);
    hv_config_free(c);
    snprintf(id, sizeof(id), "%u", hv_domain_get_id(dom));
    assert_true(watch_until(&w, "\"name_conflict\"", 30000));
    assert_int_equal(watch_stop(&w), 0);
    snprintf(want, sizeof(want), "\"type\":\"name_conflict\",\"id\":%s,"
             "\"name\":\"clash2\",\"detail\":\"uuid %s, not the "
             "definition's %s\"", id, hv_domain_get_uuid(dom), uuid);
    assert_contains(w.buf, want);
    /* The agent's definition: shut off, its own uuid, no figures. */
    RUN_OK(&r, "-c", agent.unix_url, "info", "--json", "clash2");
    assert_string_equal(field(r.out, "state"), "shutoff");
    assert_string_equal(field(r.out, "uuid"), uuid);
    assert_string_equal(field(r.out, "id"), "null");
    /* Here, through the agent as well, the name is the definition; the
     * direct driver sees the running one, which the agent keeps apart. */
    RUN_OK(&r, "list", "--all");
    assert_row(r.out, "clash2", "    -  ", "  shutoff ");
    RUN_OK(&r, "-c", "hvctl:///system?driver=direct", "list");
    snprintf(want, sizeof(want), "%5s  ", id);
    assert_row(r.out, "clash2", want, "  running ");
    RUN_OK(&r, "-c", "hvctl:///system?driver=direct", "info", "--json",
           "clash2");
    assert_string_equal(field(r.out, "uuid"), hv_domain_get_uuid(dom));
    assert_string_equal(field(r.out, "persistent"), "null");

    assert_int_equal(hv_domain_destroy(dom, 0), 0);
    hv_domain_free(dom);
    hv_conn_free(conn);
    RUN_OK(&r, "undefine", "clash2");
}

/* `hvctl events` through the agent while another hvctl acts. */
static void events(void **state)
{
    static const char *const args[] = { "events", "--json", NULL };
    static const char *const order[] = { "defined", "started", "paused",
                                         "unpaused", "destroyed",
                                         "undefined" };
    const char *prefix[] = { "-c", agent.unix_url, NULL };
    static struct watcher w;
    double end = now_ms() + 30000;

    (void)state;
    hvctl_prefix(prefix);
    watch_start(&w, args);
    RUN_OK(&r, "create", cli_config("ev0", "counter", false, 0));
    do {
        RUN_OK(&r, "pause", "ev0");
        RUN_OK(&r, "unpause", "ev0");
    } while (!watch_until(&w, "\"ev0\"", 100) && now_ms() < end);
    RUN_OK(&r, "define", cli_config("ev", "counter", false, 0));
    RUN_OK(&r, "start", "ev");
    RUN_OK(&r, "pause", "ev");
    RUN_OK(&r, "unpause", "ev");
    RUN_OK(&r, "destroy", "ev");
    RUN_OK(&r, "undefine", "ev");
    RUN_OK(&r, "destroy", "ev0");
    hvctl_prefix(NULL);
    watch_until(&w, "\"undefined\"", 30000);
    assert_int_equal(watch_stop(&w), 0);
    assert_event_order(w.buf, "ev", order, 6);
    /* The agent says who caused each event. */
    assert_contains(w.buf, "\"cause\":\"api\"");
}

static int setup(void **state)
{
    (void)state;
    cli_env_open("remote");
    agent_prepare(&agent);
    agent_start(&agent);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hvctl_prefix(NULL);
    agent_stop(&agent);
    cli_env_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(through_unix_socket),
        cmocka_unit_test(through_tls_with_a_token),
        cmocka_unit_test(through_tls_from_the_environment),
        cmocka_unit_test(through_tls_with_a_client_certificate),
        cmocka_unit_test(local_commands_use_the_local_agent),
        cmocka_unit_test(local_create_of_a_defined_name),
        cmocka_unit_test(name_clash_behind_the_agents_back),
        cmocka_unit_test(events),
    };

    if (!agent_domains_can_run())
        return 77;
    return cmocka_run_group_tests(tests, setup, teardown);
}
