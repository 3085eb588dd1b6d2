/*
 * test_cli_usage.c - hvctl's command line itself: help, versions, and
 * every usage error (exit status 2) and argument check, with messages
 * asserted verbatim.  Needs no domain and no agent.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_harness.h"

static struct run r;

static const char *const commands[] = {
    "create", "list", "info", "console", "pause", "unpause", "shutdown",
    "reboot", "destroy", "mem-set", "dumpxml", "dumpjson", "define",
    "edit", "undefine", "start", "autostart", "domstats", "top", "events",
    "version", "help",
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void help_lists_every_command(void **state)
{
    (void)state;
    RUN_OK(&r, "help");
    assert_contains(r.out, "usage: hvctl [GLOBAL OPTIONS] COMMAND [ARGS]");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char line[64];
        snprintf(line, sizeof(line), "\n  %-10s ", commands[i]);
        assert_contains(r.out, line);
    }
    assert_contains(r.out, "Exit status: 0 success, 1 the operation failed, "
                           "2 usage error.");
    /* --help and -h say the same. */
    {
        static struct run r2;
        RUN_OK(&r2, "--help");
        assert_string_equal(r.out, r2.out);
        RUN_OK(&r2, "-h");
        assert_string_equal(r.out, r2.out);
    }
}

static void help_of_each_command(void **state)
{
    static struct run r2;

    (void)state;
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char usage[96];
        RUN_OK(&r, "help", commands[i]);
        snprintf(usage, sizeof(usage), "usage: hvctl [GLOBAL OPTIONS] %s",
                 commands[i]);
        assert_contains(r.out, usage);
        /* `CMD --help` is `help CMD`. */
        RUN_OK(&r2, commands[i], "--help");
        assert_string_equal(r.out, r2.out);
    }
    RUN_FAIL(&r, 2, "hvctl: error: help: unknown command 'frob'\n"
                    "Try 'hvctl help help'.\n", "help", "frob");
}

static void global_usage_errors(void **state)
{
    (void)state;
    RUN_FAIL(&r, 2, "hvctl: error: no command given\nTry 'hvctl help'.\n",
             "--json");
    RUN_FAIL(&r, 2, "hvctl: error: unknown command 'frob'\n"
                    "Try 'hvctl help'.\n", "frob");
    RUN_FAIL(&r, 2, "hvctl: error: unknown option '--frob'\n"
                    "Try 'hvctl help'.\n", "--frob", "list");
    RUN_FAIL(&r, 2, "hvctl: error: unknown option '-x'\n"
                    "Try 'hvctl help'.\n", "-x", "list");
    RUN_FAIL(&r, 2, "hvctl: error: option '--connect' needs a value\n"
                    "Try 'hvctl help'.\n", "--connect");
    RUN_FAIL(&r, 2, "hvctl: error: 'ftp://x' is not an hvctl "
                    "connection URI (hvctl:///system, unix:///PATH, "
                    "https://HOST:PORT, http://HOST:PORT)\n"
                    "Try 'hvctl help'.\n", "-c", "ftp://x", "list");
    RUN_FAIL(&r, 2, "hvctl: error: 'unix://relative.sock' is not an hvctl "
                    "connection URI (hvctl:///system, unix:///PATH, "
                    "https://HOST:PORT, http://HOST:PORT)\n"
                    "Try 'hvctl help'.\n", "-c", "unix://relative.sock",
             "list");
    RUN_FAIL(&r, 2, "hvctl: error: --cacert, --cert and --key need "
                    "-c https://HOST:PORT\nTry 'hvctl help'.\n",
             "--cacert", "ca.pem", "list");
    RUN_FAIL(&r, 2, "hvctl: error: --cacert, --cert and --key need "
                    "-c https://HOST:PORT\nTry 'hvctl help'.\n",
             "-c", "unix:///x.sock", "--cert", "c.pem", "list");
    RUN_FAIL(&r, 2, "hvctl: error: --key needs --cert\nTry 'hvctl help'.\n",
             "-c", "https://localhost:1", "--key", "k.pem", "list");
    RUN_FAIL(&r, 2, "hvctl: error: --token needs -c https://HOST:PORT or "
                    "http://HOST:PORT\nTry 'hvctl help'.\n",
             "--token", "t", "list");
    RUN_FAIL(&r, 2, "hvctl: error: --token needs -c https://HOST:PORT or "
                    "http://HOST:PORT\nTry 'hvctl help'.\n",
             "-c", "unix:///x.sock", "--token", "t", "list");
    RUN_FAIL(&r, 2, "hvctl: error: 'hvctl:///session' is not an hvctl "
                    "connection URI (hvctl:///system, unix:///PATH, "
                    "https://HOST:PORT, http://HOST:PORT)\n"
                    "Try 'hvctl help'.\n", "-c", "hvctl:///session", "list");
    /* What libhvctl refuses of a URI of a known form is its to say. */
    RUN_FAIL(&r, 1, "hvctl: error: list: connection URI "
                    "'hvctl:///system?driver=fast': driver= takes 'direct' "
                    "or 'agent'\n", "-c", "hvctl:///system?driver=fast",
             "list");
    /* HVCTL_URL is checked like -c. */
    setenv("HVCTL_URL", "gopher://x", 1);
    RUN_FAIL(&r, 2, "hvctl: error: 'gopher://x' is not an hvctl "
                    "connection URI (hvctl:///system, unix:///PATH, "
                    "https://HOST:PORT, http://HOST:PORT)\n"
                    "Try 'hvctl help'.\n", "list");
    unsetenv("HVCTL_URL");
}

static void command_usage_errors(void **state)
{
    static const char *const one_domain[] = {
        "info", "console", "pause", "unpause", "shutdown", "reboot",
        "destroy", "dumpxml", "dumpjson", "undefine", "start",
    };
    char want[256];

    (void)state;
    for (size_t i = 0; i < sizeof(one_domain) / sizeof(one_domain[0]); i++) {
        const char *c = one_domain[i];
        const char *syn = strcmp(c, "shutdown") == 0
            ? "[--wait [--timeout S]] DOMAIN|--all"
            : strncmp(c, "dump", 4) == 0 ? "[--inactive] DOMAIN" : "DOMAIN";
        snprintf(want, sizeof(want), "hvctl: error: %s: missing argument "
                 "(usage: hvctl %s %s)\nTry 'hvctl help %s'.\n", c, c, syn, c);
        RUN_FAIL(&r, 2, want, c);
        snprintf(want, sizeof(want), "hvctl: error: %s: too many arguments "
                 "(usage: hvctl %s %s)\nTry 'hvctl help %s'.\n", c, c, syn, c);
        RUN_FAIL(&r, 2, want, c, "a", "b");
        snprintf(want, sizeof(want), "hvctl: error: %s: unknown option "
                 "'--frob'\nTry 'hvctl help %s'.\n", c, c);
        RUN_FAIL(&r, 2, want, c, "--frob", "a");
    }
    RUN_FAIL(&r, 2, "hvctl: error: create: missing argument (usage: hvctl "
                    "create [--console] [--paused] FILE)\nTry 'hvctl help create'.\n",
             "create");
    RUN_FAIL(&r, 2, "hvctl: error: define: missing argument (usage: hvctl "
                    "define FILE)\nTry 'hvctl help define'.\n", "define");
    RUN_FAIL(&r, 2, "hvctl: error: list: too many arguments (usage: hvctl "
                    "list [--all] [--state S[,S...]] [--persistent|"
                    "--transient] [--name GLOB])\nTry 'hvctl help list'.\n",
             "list", "x");
    RUN_FAIL(&r, 2, "hvctl: error: list: unknown option '-z'\n"
                    "Try 'hvctl help list'.\n", "list", "-z");
    RUN_FAIL(&r, 2, "hvctl: error: events: too many arguments (usage: hvctl "
                    "events)\nTry 'hvctl help events'.\n", "events", "x");
    RUN_FAIL(&r, 2, "hvctl: error: mem-set: missing argument (usage: hvctl "
                    "mem-set DOMAIN SIZE)\nTry 'hvctl help mem-set'.\n",
             "mem-set", "web");
    RUN_FAIL(&r, 2, "hvctl: error: mem-set: missing arguments (usage: hvctl "
                    "mem-set DOMAIN SIZE)\nTry 'hvctl help mem-set'.\n",
             "mem-set");
    RUN_FAIL(&r, 2, "hvctl: error: mem-set: '12x': unknown unit 'x' (K, M, "
                    "G or T, or KiB, MiB, GiB, TiB)\n"
                    "Try 'hvctl help mem-set'.\n", "mem-set", "web", "12x");
    RUN_FAIL(&r, 2, "hvctl: error: mem-set: '0': the size must be above 0\n"
                    "Try 'hvctl help mem-set'.\n", "mem-set", "web", "0");
    RUN_FAIL(&r, 2, "hvctl: error: mem-set: '0G': the size must be above 0\n"
                    "Try 'hvctl help mem-set'.\n", "mem-set", "web", "0G");
    RUN_FAIL(&r, 2, "hvctl: error: mem-set: '-5': not a memory size (MiB, "
                    "or a number with a unit: 512M, 2G, 1048576K)\n"
                    "Try 'hvctl help mem-set'.\n",
             "mem-set", "web", "--", "-5");
    RUN_FAIL(&r, 2, "hvctl: error: mem-set: 'M': not a memory size (MiB, "
                    "or a number with a unit: 512M, 2G, 1048576K)\n"
                    "Try 'hvctl help mem-set'.\n", "mem-set", "web", "M");
    RUN_FAIL(&r, 2, "hvctl: error: mem-set: '1000K': not a whole number of "
                    "MiB\nTry 'hvctl help mem-set'.\n",
             "mem-set", "web", "1000K");
    RUN_FAIL(&r, 2, "hvctl: error: mem-set: '99999999999T': too large\n"
                    "Try 'hvctl help mem-set'.\n",
             "mem-set", "web", "99999999999T");
    RUN_FAIL(&r, 2, "hvctl: error: list: --state: unknown state 'runing' "
                    "(running, paused, shutdown, crashed, shutoff)\n"
                    "Try 'hvctl help list'.\n", "list", "--state", "runing");
    RUN_FAIL(&r, 2, "hvctl: error: list: --state: no state given\n"
                    "Try 'hvctl help list'.\n", "list", "--state", ",");
    RUN_FAIL(&r, 2, "hvctl: error: list: --persistent or --transient, not "
                    "both\nTry 'hvctl help list'.\n",
             "list", "--persistent", "--transient");
    RUN_FAIL(&r, 2, "hvctl: error: shutdown: --all or a DOMAIN, not both\n"
                    "Try 'hvctl help shutdown'.\n", "shutdown", "--all", "x");
    RUN_FAIL(&r, 2, "hvctl: error: top: --iterations 'x': not a whole number "
                    "above 0\nTry 'hvctl help top'.\n", "top", "-n", "x");
    RUN_FAIL(&r, 2, "hvctl: error: top: --delay '0': not a number of seconds "
                    "above 0\nTry 'hvctl help top'.\n", "top", "-d", "0");
    RUN_FAIL(&r, 2, "hvctl: error: top: too many arguments (usage: hvctl top "
                    "[-n COUNT] [-d SECONDS])\nTry 'hvctl help top'.\n",
             "top", "x");
    RUN_FAIL(&r, 2, "hvctl: error: edit: missing argument (usage: hvctl edit "
                    "DOMAIN)\nTry 'hvctl help edit'.\n", "edit");
    RUN_FAIL(&r, 2, "hvctl: error: autostart: 'maybe': say on or off\n"
                    "Try 'hvctl help autostart'.\n",
             "autostart", "web", "maybe");
    RUN_FAIL(&r, 2, "hvctl: error: shutdown: --timeout 'soon': not a number "
                    "of seconds above 0\nTry 'hvctl help shutdown'.\n",
             "shutdown", "--timeout", "soon", "web");
    RUN_FAIL(&r, 2, "hvctl: error: shutdown: --timeout '0': not a number "
                    "of seconds above 0\nTry 'hvctl help shutdown'.\n",
             "shutdown", "--timeout", "0", "web");
    RUN_FAIL(&r, 2, "hvctl: error: shutdown: option '--timeout' needs a "
                    "value\nTry 'hvctl help shutdown'.\n",
             "shutdown", "web", "--timeout");
}

/* A typo gets the nearest command; virsh's words work as aliases. */
static void typos_and_aliases(void **state)
{
    static struct run r2;
    static const char *const alias[][2] = {
        { "dominfo", "info" }, { "resume", "unpause" },
        { "suspend", "pause" }, { "setmem", "mem-set" },
    };

    (void)state;
    RUN_FAIL(&r, 2, "hvctl: error: unknown command 'lsit'; did you mean "
                    "'list'?\nTry 'hvctl help'.\n", "lsit");
    RUN_FAIL(&r, 2, "hvctl: error: unknown command 'paus'; did you mean "
                    "'pause'?\nTry 'hvctl help'.\n", "paus");
    RUN_FAIL(&r, 2, "hvctl: error: unknown command 'domifno'; did you mean "
                    "'dominfo'?\nTry 'hvctl help'.\n", "domifno");
    RUN_FAIL(&r, 2, "hvctl: error: help: unknown command 'shutdwn'; did you "
                    "mean 'shutdown'?\nTry 'hvctl help help'.\n",
             "help", "shutdwn");
    /* Too far from anything: no guess. */
    RUN_FAIL(&r, 2, "hvctl: error: unknown command 'xyzzy'\n"
                    "Try 'hvctl help'.\n", "xyzzy");
    RUN_OK(&r, "help");
    assert_contains(r.out, "\nAliases (as in virsh): dominfo=info, "
                           "resume=unpause, suspend=pause, setmem=mem-set\n");
    /* An alias is its command: the same help, the same usage errors. */
    for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++) {
        char want[256];
        RUN_OK(&r, alias[i][0], "--help");
        RUN_OK(&r2, "help", alias[i][1]);
        assert_string_equal(r.out, r2.out);
        hvctl_runl(&r, alias[i][0], NULL);
        assert_int_equal(r.status, 2);
        snprintf(want, sizeof(want), "hvctl: error: %s: missing argument",
                 alias[i][1]);
        assert_contains(r.err, want);
    }
}

/* A bad file is the operation failing (1), not a usage error. */
static void bad_files(void **state)
{
    const char *bad = cli_file("bad.xml", "<domain type=\"pv\">\n"
                               "  <name>x</name>\n  <memory>1</memory>\n"
                               "</domain>\n");
    char want[1024];

    (void)state;
    snprintf(want, sizeof(want), "hvctl: error: create %s/nosuch.xml: ",
             cli_env.dir);
    {
        char path[512];
        snprintf(path, sizeof(path), "%s/nosuch.xml", cli_env.dir);
        hvctl_runl(&r, "create", path, NULL);
        assert_int_equal(r.status, 1);
        assert_contains(r.err, want);
        assert_contains(r.err, "No such file or directory\n");
    }
    hvctl_runl(&r, "create", bad, NULL);
    assert_int_equal(r.status, 1);
    snprintf(want, sizeof(want), "hvctl: error: create %s: %s", bad, bad);
    assert_contains(r.err, want);
    /* define checks the file before it asks hvctld. */
    hvctl_runl(&r, "define", bad, NULL);
    assert_int_equal(r.status, 1);
    snprintf(want, sizeof(want), "hvctl: error: define %s: %s", bad, bad);
    assert_contains(r.err, want);
}

/* save, restore and migrate: operands and option values, word for word. */
static void xfer_usage_errors(void **state)
{
#define MIGRATE_SYN "[--live] [--paused] [--max-downtime MS] [--bandwidth " \
                    "MiB/s] [--max-iterations N] [--persistent] " \
                    "[--undefine-source] DOMAIN DEST_URL"
    (void)state;
    RUN_FAIL(&r, 2, "hvctl: error: save: missing argument (usage: hvctl "
                    "save [--keep] DOMAIN FILE)\nTry 'hvctl help save'.\n",
             "save", "web");
    RUN_FAIL(&r, 2, "hvctl: error: save: missing arguments (usage: hvctl "
                    "save [--keep] DOMAIN FILE)\nTry 'hvctl help save'.\n",
             "save");
    RUN_FAIL(&r, 2, "hvctl: error: save: too many arguments (usage: hvctl "
                    "save [--keep] DOMAIN FILE)\nTry 'hvctl help save'.\n",
             "save", "--keep", "web", "f", "g");
    RUN_FAIL(&r, 2, "hvctl: error: save: unknown option '--live'\n"
                    "Try 'hvctl help save'.\n", "save", "--live", "web", "f");
    RUN_FAIL(&r, 2, "hvctl: error: restore: missing argument (usage: hvctl "
                    "restore [--paused] [--verify] FILE)\nTry 'hvctl help "
                    "restore'.\n", "restore", "--paused");
    RUN_FAIL(&r, 2, "hvctl: error: restore: too many arguments (usage: hvctl "
                    "restore [--paused] [--verify] FILE)\nTry 'hvctl help "
                    "restore'.\n", "restore", "a", "b");
    RUN_FAIL(&r, 2, "hvctl: error: migrate: missing argument (usage: hvctl "
                    "migrate " MIGRATE_SYN ")\nTry 'hvctl help migrate'.\n",
             "migrate", "--live", "web");
    RUN_FAIL(&r, 2, "hvctl: error: migrate: too many arguments (usage: hvctl "
                    "migrate " MIGRATE_SYN ")\nTry 'hvctl help migrate'.\n",
             "migrate", "web", "hvctl:///system", "x");
    RUN_FAIL(&r, 2, "hvctl: error: migrate: --max-downtime '0': not a number "
                    "of milliseconds (1 to 3600000)\nTry 'hvctl help "
                    "migrate'.\n", "migrate", "--max-downtime", "0", "web",
             "hvctl:///system");
    RUN_FAIL(&r, 2, "hvctl: error: migrate: --bandwidth '1.5': not a number "
                    "of MiB/s (1 to 1099511627776)\nTry 'hvctl help "
                    "migrate'.\n", "migrate", "--bandwidth", "1.5", "web",
             "hvctl:///system");
    RUN_FAIL(&r, 2, "hvctl: error: migrate: --max-iterations 'many': not a "
                    "number of rounds (1 to 1000000)\nTry 'hvctl help "
                    "migrate'.\n", "migrate", "--max-iterations", "many",
             "web", "hvctl:///system");
    RUN_FAIL(&r, 2, "hvctl: error: migrate: option '--bandwidth' needs a "
                    "value\nTry 'hvctl help migrate'.\n", "migrate", "web",
             "hvctl:///system", "--bandwidth");
#undef MIGRATE_SYN
}

/* attach-disk, attach-interface, attach-device, detach-device, devices:
 * what is wrong with the command line, before any domain is asked. */
static void device_usage_errors(void **state)
{
    (void)state;
    RUN_FAIL(&r, 2, "hvctl: error: attach-disk: missing argument (usage: "
                    "hvctl attach-disk [--readonly] [--direct] [--type T] "
                    "[--live] [--config] DOMAIN SOURCE TARGET)\nTry 'hvctl "
                    "help attach-disk'.\n", "attach-disk", "web", "x");
    RUN_FAIL(&r, 2, "hvctl: error: attach-disk: --type 'nbd': use file, "
                    "block or vhostuser\nTry 'hvctl help attach-disk'.\n",
             "attach-disk", "--type", "nbd", "web", "/x", "vda");
    RUN_FAIL(&r, 2, "hvctl: error: attach-disk: target dev 'VDA' is not a "
                    "device id (1-15 of a-z, 0-9, '_', '.' and '-')\nTry "
                    "'hvctl help attach-disk'.\n",
             "attach-disk", "web", "/x", "VDA");
    RUN_FAIL(&r, 2, "hvctl: error: attach-interface: say where it goes: "
                    "--bridge BR, --tap NAME or --socket PATH\nTry 'hvctl "
                    "help attach-interface'.\n", "attach-interface", "web");
    RUN_FAIL(&r, 2, "hvctl: error: attach-interface: --socket is a "
                    "vhost-user back end: not with --bridge or --tap\nTry "
                    "'hvctl help attach-interface'.\n", "attach-interface",
             "--socket", "/s", "--bridge", "br0", "web");
    RUN_FAIL(&r, 2, "hvctl: error: attach-interface: --queues '9': a number "
                    "from 1 to 7\nTry 'hvctl help attach-interface'.\n",
             "attach-interface", "--queues", "9", "--bridge", "br0", "web");
    RUN_FAIL(&r, 2, "hvctl: error: attach-interface: mac address "
                    "'01:00:00:00:00:01' is a multicast address (a guest's "
                    "must be unicast)\nTry 'hvctl help attach-interface'.\n",
             "attach-interface", "--bridge", "br0", "--mac",
             "01:00:00:00:00:01", "web");
    RUN_FAIL(&r, 2, "hvctl: error: detach-device: missing argument (usage: "
                    "hvctl detach-device [--live] [--config] DOMAIN ID)\n"
                    "Try 'hvctl help detach-device'.\n", "detach-device",
             "web");
    RUN_FAIL(&r, 1, "hvctl: error: attach-device web: /nonexistent/d.xml: No "
                    "such file or directory\n", "attach-device", "web",
             "/nonexistent/d.xml");
    RUN_FAIL(&r, 2, "hvctl: error: devices: missing argument (usage: hvctl "
                    "devices DOMAIN)\nTry 'hvctl help devices'.\n",
             "devices");
}

static void version(void **state)
{
    char buf[64];

    (void)state;
    RUN_OK(&r, "version");
    assert_contains(r.out, "client:      hvctl " PACKAGE_VERSION "\n");
    assert_contains(r.out, "library:     libhvctl 0.7.0\n");
    assert_contains(r.out, "hypervisor:  hvcore ");
    assert_contains(r.out, "agent:       not running\n");
    RUN_OK(&r, "-V");
    assert_contains(r.out, "client:      hvctl " PACKAGE_VERSION "\n");
    RUN_OK(&r, "version", "--json");
    assert_string_equal(json_field(r.out, "client", buf, sizeof(buf)),
                        PACKAGE_VERSION);
    assert_string_equal(json_field(r.out, "library", buf, sizeof(buf)),
                        "0.7.0");
    assert_string_equal(json_field(r.out, "agent", buf, sizeof(buf)), "null");
    /* --json is global too. */
    RUN_OK(&r, "--json", "version");
    assert_string_equal(json_field(r.out, "client", buf, sizeof(buf)),
                        PACKAGE_VERSION);
}

static int setup(void **state)
{
    (void)state;
    cli_env_open("usage");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cli_env_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(help_lists_every_command),
        cmocka_unit_test(help_of_each_command),
        cmocka_unit_test(global_usage_errors),
        cmocka_unit_test(command_usage_errors),
        cmocka_unit_test(typos_and_aliases),
        cmocka_unit_test(bad_files),
        cmocka_unit_test(xfer_usage_errors),
        cmocka_unit_test(device_usage_errors),
        cmocka_unit_test(version),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
