/*
 * test_cli_features.c - what users asked hvctl for (issue 9), on this
 * host through the direct driver, against real hvcore and pvboot:
 * memory sizes with units, virsh's aliases, list filters, domstats and
 * top, the reason of a crash in info, shutdown --all, and relative
 * kernel paths resolved when the domain is created.  No verdict here
 * depends on how fast the machine is: counters are checked to be there
 * and not to go down, never for their rates.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli_harness.h"

static struct run r;

static const char *field(const char *json, const char *key)
{
    static char buf[128];

    return json_field(json, key, buf, sizeof(buf));
}

static long create(const char *name, const char *cmdline)
{
    RUN_OK(&r, "create", cli_config(name, cmdline, false, 64));
    return cli_domid(name);
}

/* 512M, 2G, 1048576K: sizes with units; setmem and friends as in virsh. */
static void units_and_aliases(void **state)
{
    char want[256];
    long id;

    (void)state;
    id = create("web", "balloon=8");
    RUN_OK(&r, "setmem", "web", "48M");
    assert_string_equal(r.out, "Domain 'web': memory target set to 48 MiB.\n");
    RUN_OK(&r, "dominfo", "--json", "web");
    assert_string_equal(field(r.out, "memory_target_kib"), "49152");
    RUN_OK(&r, "mem-set", "web", "65536K");
    assert_string_equal(r.out, "Domain 'web': memory target set to 64 MiB.\n");
    RUN_OK(&r, "mem-set", "web", "16mib");
    assert_string_equal(r.out, "Domain 'web': memory target set to 16 MiB.\n");
    snprintf(want, sizeof(want), "hvctl: error: mem-set web: domain 'web' "
             "(id %ld): memory target 1024 MiB is out of range (1 to 64 MiB, "
             "the maximum memory)\n", id);
    RUN_FAIL(&r, 1, want, "setmem", "web", "1G");
    RUN_OK(&r, "suspend", "web");
    assert_string_equal(r.out, "Domain 'web' paused.\n");
    RUN_OK(&r, "dominfo", "web");
    assert_contains(r.out, "State:          paused\n");
    RUN_OK(&r, "resume", "web");
    assert_string_equal(r.out, "Domain 'web' unpaused.\n");
}

/* The rows of a `list` table, by name, in order. */
static void assert_names(const char *table, const char *const *names,
                         size_t n)
{
    const char *line = strchr(table, '\n');
    size_t i = 0;

    for (; line && line[1]; line = strchr(line + 1, '\n'), i++) {
        char name[64];
        if (sscanf(line + 1, "%*s %63s", name) != 1)
            fail_msg("no name in row %zu of\n%s", i, table);
        if (i >= n || strcmp(name, names[i]) != 0)
            fail_msg("row %zu is '%s', not '%s', in\n%s", i, name,
                     i < n ? names[i] : "(none)", table);
    }
    if (i != n)
        fail_msg("%zu rows, not %zu, in\n%s", i, n, table);
}

static void list_filters(void **state)
{
    static const char *const both[] = { "web", "api" };
    static const char *const web[] = { "web" }, *const api[] = { "api" };

    (void)state;
    create("web", "counter");
    create("api", "counter");
    RUN_OK(&r, "pause", "api");
    RUN_OK(&r, "list", "--state", "paused");
    assert_names(r.out, api, 1);
    RUN_OK(&r, "list", "--state", "running,paused");
    assert_names(r.out, both, 2);
    RUN_OK(&r, "list", "-s", "running");
    assert_names(r.out, web, 1);
    RUN_OK(&r, "list", "--name", "w*");
    assert_names(r.out, web, 1);
    RUN_OK(&r, "list", "--name", "*", "--state", "paused", "--json");
    assert_contains(r.out, "\"name\": \"api\"");
    assert_null(strstr(r.out, "\"name\": \"web\""));
    /* No definitions without hvctld: shut off is nothing. */
    RUN_OK(&r, "list", "--state", "shutoff");
    assert_names(r.out, NULL, 0);
    assert_contains(r.out, "AUTOSTART\n");
}

/* "  key=value" of domain `name` in domstats text; -1 if not a number. */
static long long stat_of(const char *text, const char *name, const char *key)
{
    char head[96], line[96];
    const char *p, *end;

    snprintf(head, sizeof(head), "Domain: %s\n", name);
    p = strstr(text, head);
    if (!p)
        fail_msg("no '%s' in\n%s", head, text);
    end = strstr(p + strlen(head), "Domain: ");
    snprintf(line, sizeof(line), "\n  %s=", key);
    p = strstr(p, line);
    if (!p || (end && p > end))
        fail_msg("no %s of %s in\n%s", key, name, text);
    p += strlen(line);
    return *p >= '0' && *p <= '9' ? atoll(p) : -1;
}

static void domstats_counters(void **state)
{
    static const char *const counters[] = {
        "cpu_time_ns", "uptime_ns", "exits", "events", "boot_count",
    };
    long long before[5];
    json_object *top, *arr;

    (void)state;
    create("web", "counter");
    create("api", "counter");
    RUN_OK(&r, "domstats", "web");
    assert_true(strncmp(r.out, "Domain: web\n  id=", 17) == 0);
    assert_contains(r.out, "\n  state=running\n");
    assert_contains(r.out, "\n  memory_max_kib=65536\n");
    assert_contains(r.out, "\n  persistent=-\n");
    for (size_t i = 0; i < 5; i++) {
        before[i] = stat_of(r.out, "web", counters[i]);
        if (before[i] < 0)
            fail_msg("%s of web is not a number:\n%s", counters[i], r.out);
    }
    assert_true(before[1] > 0);
    /* Counters since hvcore started never go down. */
    RUN_OK(&r, "domstats", "web", "api");
    for (size_t i = 0; i < 5; i++)
        if (stat_of(r.out, "web", counters[i]) < before[i])
            fail_msg("%s of web went down: %lld, then %lld", counters[i],
                     before[i], stat_of(r.out, "web", counters[i]));
    assert_true(stat_of(r.out, "api", "exits") >= 0);
    /* Without a name: every running domain; --json: the domain objects. */
    RUN_OK(&r, "domstats", "--json");
    top = json_tokener_parse(r.out);
    assert_non_null(top);
    assert_true(json_object_object_get_ex(top, "domains", &arr));
    assert_int_equal(json_object_array_length(arr), 2);
    for (size_t i = 0; i < 2; i++) {
        json_object *d = json_object_array_get_idx(arr, i), *v;
        for (size_t k = 0; k < 4; k++) {
            assert_true(json_object_object_get_ex(d, counters[k], &v));
            assert_true(json_object_is_type(v, json_type_int));
        }
    }
    json_object_put(top);
    RUN_FAIL(&r, 1, "hvctl: error: domstats nosuch: domain 'nosuch': no such "
                    "domain\n", "domstats", "web", "nosuch");
}

static void top_frames(void **state)
{
    static const char *const rates[] = { "cpu_percent", "exits_per_s",
                                         "events_per_s" };
    const char *p;
    int frames = 0;
    json_object *o, *arr, *d, *v;

    (void)state;
    create("web", "counter");
    RUN_OK(&r, "top", "-n", "2", "-d", "0.1");
    for (p = r.out; (p = strstr(p, "   ID  NAME  ")); p++)
        frames++;
    assert_int_equal(frames, 2);
    assert_contains(r.out, "CPU%  MEM(MiB)     EXITS/s    EVENTS/s\n");
    assert_contains(r.out, "  web               running ");
    /* Two looks at a running domain: every rate is a number. */
    RUN_OK(&r, "top", "--json", "--iterations", "1", "--delay", "0.1");
    assert_int_equal(strchr(r.out, '\n') - r.out + 1, (long)strlen(r.out));
    o = json_tokener_parse(r.out);
    assert_non_null(o);
    assert_true(json_object_object_get_ex(o, "domains", &arr));
    assert_int_equal(json_object_array_length(arr), 1);
    d = json_object_array_get_idx(arr, 0);
    assert_true(json_object_object_get_ex(d, "name", &v));
    assert_string_equal(json_object_get_string(v), "web");
    for (size_t i = 0; i < 3; i++) {
        assert_true(json_object_object_get_ex(d, rates[i], &v));
        assert_true(json_object_is_type(v, json_type_double));
        assert_true(json_object_get_double(v) >= 0);
    }
    json_object_put(o);
}

/* A guest that crashes, kept for a look: info says why. */
static void crash_reason(void **state)
{
    char text[2048];
    const char *cfg;
    double end;

    (void)state;
    snprintf(text, sizeof(text), "<domain type=\"pv\">\n  <name>oops</name>\n"
             "  <memory unit=\"MiB\">32</memory>\n  <on_crash>preserve"
             "</on_crash>\n  <os>\n    <kernel>%s</kernel>\n    <cmdline>"
             "crash</cmdline>\n  </os>\n</domain>\n", cli_env.pvboot);
    cfg = cli_file("oops.xml", text);
    RUN_OK(&r, "create", cfg);
    end = now_ms() + 30000;
    do {
        RUN_OK(&r, "info", "--json", "oops");
        if (strcmp(field(r.out, "state"), "crashed") == 0)
            break;
        usleep(10000);
    } while (now_ms() < end);
    assert_string_equal(field(r.out, "state"), "crashed");
    assert_string_equal(field(r.out, "reason"), "guest_crash");
    RUN_OK(&r, "info", "oops");
    assert_contains(r.out, "State:          crashed\nReason:         "
                           "guest_crash\n");
    RUN_OK(&r, "destroy", "oops");
}

/*
 * shutdown --all: every running domain (hv_conn_shutdown_all).  A paused
 * one could not act on it: refused up front, nothing asked, as for one
 * domain.
 */
static void shutdown_all(void **state)
{
    (void)state;
    RUN_OK(&r, "shutdown", "--all");
    assert_string_equal(r.out, "");
    create("web", "counter");
    create("api", "counter");
    create("db", "counter");
    RUN_OK(&r, "pause", "db");
    RUN_FAIL(&r, 1, "hvctl: error: shutdown --all: domain 'db' is paused: "
             "unpause it first, or use destroy\n", "shutdown", "--all",
             "--wait");
    RUN_OK(&r, "list");
    assert_names(r.out, (const char *const[]){ "web", "api", "db" }, 3);
    RUN_OK(&r, "unpause", "db");
    RUN_OK(&r, "shutdown", "--all", "--wait");
    assert_string_equal(r.out, "Domain 'web' has shut down.\n"
                               "Domain 'api' has shut down.\n"
                               "Domain 'db' has shut down.\n");
    RUN_OK(&r, "list");
    assert_names(r.out, NULL, 0);
    create("db", "counter");
    RUN_OK(&r, "shutdown", "--all");
    assert_string_equal(r.out, "Domain 'db' is shutting down.\n");
    /* Asked only: it goes on its own (30 s at most: only on failure). */
    for (double end = now_ms() + 30000;; usleep(10000)) {
        RUN_OK(&r, "list", "--name", "db", "--json");
        if (!strstr(r.out, "\"db\""))
            break;
        assert_true(now_ms() < end);
    }
}

/*
 * create --console of a guest that prints one line and powers off at
 * once: created paused, attached, unpaused, so its line is never lost
 * (attached after the start, it raced with the guest).  --paused leaves
 * it paused.
 */
static void create_console_and_paused(void **state)
{
    const char *once = cli_config("once", "hello", false, 0);

    (void)state;
    for (int k = 0; k < 5; k++) {
        RUN_OK(&r, "create", "--console", once);
        assert_contains(r.out, "Domain 'once' created (id ");
        assert_contains(r.out, "pvboot: hello from domain ");
    }
    RUN_OK(&r, "create", "--paused", cli_config("held", "counter", false, 0));
    assert_contains(r.out, "Domain 'held' created paused (id ");
    RUN_OK(&r, "info", "held");
    assert_contains(r.out, "State:          paused\n");
    RUN_OK(&r, "unpause", "held");
    RUN_OK(&r, "destroy", "held");
}

/* A relative kernel path is the current directory's, at create time. */
static void relative_kernel(void **state)
{
    char cwd[PATH_MAX], path[1300], want[3000];
    const char *cfg;

    (void)state;
    cfg = cli_file("rel.xml", "<domain type=\"pv\">\n  <name>rel</name>\n"
                   "  <memory unit=\"MiB\">32</memory>\n  <os>\n    <kernel>"
                   "boot/pvboot</kernel>\n    <cmdline>counter</cmdline>\n"
                   "  </os>\n</domain>\n");
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(cli_env.dir), 0);
    snprintf(want, sizeof(want), "hvctl: error: create %s: kernel "
             "'boot/pvboot' (%s/boot/pvboot): No such file or directory\n",
             cfg, cli_env.dir);
    RUN_FAIL(&r, 1, want, "create", cfg);
    snprintf(path, sizeof(path), "%s/boot", cli_env.dir);
    assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
    snprintf(path, sizeof(path), "%s/boot/pvboot", cli_env.dir);
    assert_true(symlink(cli_env.pvboot, path) == 0 || errno == EEXIST);
    RUN_OK(&r, "create", cfg);
    assert_int_equal(chdir(cwd), 0);
    RUN_OK(&r, "dumpxml", "rel");
    snprintf(want, sizeof(want), "<kernel>%s/boot/pvboot</kernel>",
             cli_env.dir);
    assert_contains(r.out, want);
}

static int setup(void **state)
{
    (void)state;
    cli_env_open("features");
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
        cmocka_unit_test_teardown(units_and_aliases, each),
        cmocka_unit_test_teardown(list_filters, each),
        cmocka_unit_test_teardown(domstats_counters, each),
        cmocka_unit_test_teardown(top_frames, each),
        cmocka_unit_test_teardown(crash_reason, each),
        cmocka_unit_test_teardown(shutdown_all, each),
        cmocka_unit_test_teardown(create_console_and_paused, each),
        cmocka_unit_test_teardown(relative_kernel, each),
    };
    char why[256];

    if (!cli_can_run_domains(why, sizeof(why))) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
