/*
 * test_cli_persist.c - what users asked of definitions (issue 9), through
 * a real hvctld found as hvctl:///system finds it (its socket in the
 * runtime directory): define replaces a definition, dumpxml --inactive
 * tells it from the running configuration, edit checks before it saves
 * (and offers to edit again only on a terminal), list filters by
 * persistence, shutdown --all reaches defined and transient domains,
 * `events` carries on across a restart of the agent, and a Linux guest's
 * definition keeps its os type and its initrd (made absolute).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utmp.h>

#include <json-c/json.h>

#include "agent_harness.h"
#include "cli_harness.h"

static struct run r;
static struct agent agent;

static const char *field(const char *json, const char *key)
{
    static char buf[256];

    return json_field(json, key, buf, sizeof(buf));
}

/* An executable script in the scratch directory; its path (static). */
static const char *script(const char *name, const char *body)
{
    char text[2048];
    const char *path;

    snprintf(text, sizeof(text), "#!/bin/sh\n%s", body);
    path = cli_file(name, text);
    assert_int_equal(chmod(path, 0755), 0);
    return path;
}

/* Files hvctl edit left in the scratch directory (TMPDIR). */
static int edit_leftovers(void)
{
    DIR *d = opendir(cli_env.dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)))
        n += strncmp(e->d_name, "hvctl-edit-", 11) == 0;
    closedir(d);
    return n;
}

static void define_replaces(void **state)
{
    const char *cfg = cli_config("web", "counter", false, 64);
    const char *bigger;
    char uuid[64], text[2048];

    (void)state;
    RUN_OK(&r, "define", cfg);
    RUN_OK(&r, "start", "web");
    RUN_OK(&r, "info", "--json", "web");
    snprintf(uuid, sizeof(uuid), "%s", field(r.out, "uuid"));
    /* The same domain (its uuid), 48 MiB now: replaces the definition. */
    snprintf(text, sizeof(text), "<domain type=\"pv\">\n  <name>web</name>\n"
             "  <uuid>%s</uuid>\n  <memory unit=\"MiB\">64</memory>\n"
             "  <currentMemory unit=\"MiB\">48</currentMemory>\n  <os>\n"
             "    <kernel>%s</kernel>\n    <cmdline>counter</cmdline>\n"
             "  </os>\n</domain>\n", uuid, cli_env.pvboot);
    bigger = cli_file("web-48.xml", text);
    RUN_OK(&r, "define", bigger);
    assert_string_equal(r.out, "Domain 'web' defined.\n");
    /* It runs as it was started; the next start uses the new one. */
    RUN_OK(&r, "dumpxml", "web");
    assert_contains(r.out, "<currentMemory unit=\"MiB\">32</currentMemory>");
    RUN_OK(&r, "dumpxml", "--inactive", "web");
    assert_contains(r.out, "<currentMemory unit=\"MiB\">48</currentMemory>");
    RUN_OK(&r, "dumpjson", "--inactive", "web");
    assert_contains(r.out, "\"current_mib\": 48");
    RUN_OK(&r, "destroy", "web");
    RUN_OK(&r, "start", "web");
    RUN_OK(&r, "dumpxml", "web");
    assert_contains(r.out, "<currentMemory unit=\"MiB\">48</currentMemory>");
    RUN_OK(&r, "destroy", "web");
    /* A transient domain has no definition to show. */
    RUN_OK(&r, "create", cli_config("tmp", "counter", false, 0));
    hvctl_runl(&r, "dumpxml", "--inactive", "tmp", NULL);
    assert_int_equal(r.status, 1);
    assert_contains(r.err, "hvctl: error: dumpxml tmp: ");
    RUN_OK(&r, "destroy", "tmp");
    RUN_OK(&r, "undefine", "web");
}

static void edit(void **state)
{
    const char *to24 = script("to24.sh", "sed -i 's|<currentMemory unit=\""
                              "MiB\">32<|<currentMemory unit=\"MiB\">24<|' "
                              "\"$1\"\n");
    const char *bad = script("bad.sh", "printf '<domain type=\"pv\"><name>web"
                             "</name></domain>\\n' >\"$1\"\n");
    char prefix[600];

    (void)state;
    setenv("TMPDIR", cli_env.dir, 1);
    RUN_OK(&r, "define", cli_config("web", "counter", false, 64));
    /* Untouched: nothing to save. */
    setenv("EDITOR", "true", 1);
    RUN_OK(&r, "edit", "web");
    assert_string_equal(r.out, "Domain 'web': definition unchanged.\n");
    /* A valid change is saved. */
    setenv("EDITOR", to24, 1);
    RUN_OK(&r, "edit", "web");
    assert_string_equal(r.out, "Domain 'web': definition updated.\n");
    RUN_OK(&r, "dumpxml", "--inactive", "web");
    assert_contains(r.out, "<currentMemory unit=\"MiB\">24</currentMemory>");
    /* An invalid one is not, and without a terminal nobody is asked. */
    setenv("EDITOR", bad, 1);
    hvctl_runl(&r, "edit", "web", NULL);
    assert_int_equal(r.status, 1);
    snprintf(prefix, sizeof(prefix), "hvctl: error: edit web: %s/hvctl-edit-",
             cli_env.dir);
    assert_true(strncmp(r.err, prefix, strlen(prefix)) == 0);
    assert_contains(r.err, ".xml:1: element <domain>: missing <memory>; the "
                           "definition is unchanged\n");
    assert_null(strstr(r.err, "Edit again"));
    RUN_OK(&r, "dumpxml", "--inactive", "web");
    assert_contains(r.out, "<currentMemory unit=\"MiB\">24</currentMemory>");
    /* An editor that fails saves nothing either. */
    setenv("EDITOR", "false", 1);
    RUN_FAIL(&r, 1, "hvctl: error: edit web: the editor 'false' failed (exit "
                    "status 1); the definition is unchanged\n", "edit", "web");
    assert_int_equal(edit_leftovers(), 0);
    unsetenv("EDITOR");
    unsetenv("TMPDIR");
    RUN_OK(&r, "undefine", "web");
}

/*
 * On a terminal, a refused text can be edited again: the editor breaks
 * the file the first time and fixes it the second.
 */
static void edit_again_on_a_terminal(void **state)
{
    const char *twice = script("twice.sh",
        "if [ -e \"$0.keep\" ]; then\n"
        "  cp \"$0.keep\" \"$1\"\n"
        "  sed -i 's|<currentMemory unit=\"MiB\">32<|<currentMemory "
        "unit=\"MiB\">16<|' \"$1\"\n"
        "else\n"
        "  cp \"$1\" \"$0.keep\"\n"
        "  printf '<domain/>\\n' >\"$1\"\n"
        "fi\n");
    const char *argv[] = { cli_env.hvctl, "edit", "web", NULL };
    char seen[8192] = "";
    size_t len = 0;
    int master, status;
    bool typed = false;
    double end;
    pid_t pid;

    (void)state;
    RUN_OK(&r, "define", cli_config("web", "counter", false, 64));
    setenv("EDITOR", twice, 1);
    pid = forkpty(&master, NULL, NULL, NULL);
    assert_true(pid >= 0);
    if (pid == 0) {
        execv(cli_env.hvctl, (char *const *)argv);
        _exit(99);
    }
    unsetenv("EDITOR");
    end = now_ms() + 30000;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        struct pollfd p = { .fd = master, .events = POLLIN };
        ssize_t n;
        if (now_ms() > end) {
            kill(pid, SIGKILL);
            fail_msg("hvctl edit did not end; the terminal shows:\n%s", seen);
        }
        poll(&p, 1, 50);
        n = (p.revents & POLLIN) ? read(master, seen + len,
                                        sizeof(seen) - 1 - len) : 0;
        if (n > 0)
            seen[len += (size_t)n] = '\0';
        if (!typed && strstr(seen, "Edit again? [y/N] ")) {
            assert_int_equal(write(master, "y\n", 2), 2);
            typed = true;
        }
    }
    close(master);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_true(typed);
    assert_contains(seen, "; the definition is unchanged");
    assert_contains(seen, "Domain 'web': definition updated.");
    RUN_OK(&r, "dumpxml", "--inactive", "web");
    assert_contains(r.out, "<currentMemory unit=\"MiB\">16</currentMemory>");
    RUN_OK(&r, "undefine", "web");
}

static void filters_and_shutdown_all(void **state)
{
    (void)state;
    RUN_OK(&r, "define", cli_config("pers", "counter", false, 0));
    RUN_OK(&r, "start", "pers");
    RUN_OK(&r, "define", cli_config("off", "counter", false, 0));
    RUN_OK(&r, "create", cli_config("trans", "counter", false, 0));
    /* Running ones unless --all or --state say otherwise, as in virsh. */
    RUN_OK(&r, "list", "--persistent", "--json");
    assert_contains(r.out, "\"name\": \"pers\"");
    assert_null(strstr(r.out, "\"name\": \"off\""));
    RUN_OK(&r, "list", "--all", "--persistent", "--json");
    assert_contains(r.out, "\"name\": \"pers\"");
    assert_contains(r.out, "\"name\": \"off\"");
    assert_null(strstr(r.out, "\"name\": \"trans\""));
    RUN_OK(&r, "list", "--transient", "--json");
    assert_contains(r.out, "\"name\": \"trans\"");
    assert_null(strstr(r.out, "\"name\": \"pers\""));
    RUN_OK(&r, "list", "--state", "shutoff", "--json");
    assert_contains(r.out, "\"name\": \"off\"");
    assert_null(strstr(r.out, "\"name\": \"pers\""));
    RUN_OK(&r, "list", "--persistent", "--state", "running", "--name", "p*",
           "--json");
    assert_contains(r.out, "\"name\": \"pers\"");
    assert_null(strstr(r.out, "\"name\": \"off\""));
    /* Every running domain, defined or not; the defined one stays. */
    RUN_OK(&r, "shutdown", "--all", "--wait");
    assert_string_equal(r.out, "Domain 'pers' has shut down.\n"
                               "Domain 'trans' has shut down.\n");
    RUN_OK(&r, "list", "--all", "--json");
    assert_contains(r.out, "\"name\": \"pers\"");
    assert_null(strstr(r.out, "\"name\": \"trans\""));
    assert_null(strstr(r.out, "\"state\": \"running\""));
    RUN_OK(&r, "undefine", "pers");
    RUN_OK(&r, "undefine", "off");
}

/* `events` through the agent keeps reading across an agent restart. */
static void events_across_a_restart(void **state)
{
    static const char *const args[] = { "events", "--json", NULL };
    static struct watcher w;
    double end = now_ms() + 30000;

    (void)state;
    watch_start(&w, args);
    RUN_OK(&r, "define", cli_config("ev", "counter", false, 0));
    do {
        RUN_OK(&r, "autostart", "ev", "on");
        RUN_OK(&r, "autostart", "ev", "off");
    } while (!watch_until(&w, "\"autostart_off\"", 100) && now_ms() < end);
    agent_stop(&agent);
    agent_start(&agent);
    /* What happens after the restart still reaches the same hvctl. */
    RUN_OK(&r, "start", "ev");
    assert_true(watch_until(&w, "\"started\"", 30000));
    RUN_OK(&r, "destroy", "ev");
    assert_true(watch_until(&w, "\"destroyed\"", 30000));
    assert_int_equal(watch_stop(&w), 0);
    RUN_OK(&r, "undefine", "ev");
}

/*
 * top through the agent: each frame's figures are hvcore's at that
 * moment (HV_LIST_FRESH), not the agent's last look, so two frames
 * 50 ms apart always give rates.  From its cache the agent would give
 * the same figures twice, and the rates would be null.
 */
static void top_through_the_agent(void **state)
{
    static const char *const rates[] = { "cpu_percent", "exits_per_s",
                                         "events_per_s" };

    (void)state;
    RUN_OK(&r, "create", cli_config("busy", "counter", false, 0));
    for (int round = 0; round < 3; round++) {
        json_object *o, *arr, *d, *v;
        RUN_OK(&r, "top", "--json", "--iterations", "1", "--delay", "0.05");
        o = json_tokener_parse(r.out);
        assert_non_null(o);
        assert_true(json_object_object_get_ex(o, "domains", &arr));
        assert_int_equal(json_object_array_length(arr), 1);
        d = json_object_array_get_idx(arr, 0);
        for (size_t i = 0; i < 3; i++) {
            assert_true(json_object_object_get_ex(d, rates[i], &v));
            if (!json_object_is_type(v, json_type_double))
                fail_msg("round %d: %s is not a number: %s", round,
                         rates[i], r.out);
        }
        json_object_put(o);
    }
    RUN_OK(&r, "destroy", "busy");
}

/*
 * A Linux guest, defined (issue 12): define makes its relative initrd
 * absolute from the current directory, as it does a kernel, and refuses
 * one that is not there; dumpxml and info show the os type.  Nothing is
 * started: booting Linux is hvcore's tests' business.
 */
static void linux_definition(void **state)
{
    char cwd[PATH_MAX], path[1300], want[3000];
    const char *cfg;

    (void)state;
    cfg = cli_file("deb.xml", "<domain type=\"pv\">\n  <name>deb</name>\n"
                   "  <memory unit=\"MiB\">256</memory>\n  <os>\n"
                   "    <type>linux</type>\n    <kernel>/boot/vmlinuz</kernel>"
                   "\n    <initrd>boot/initrd.img</initrd>\n  </os>\n"
                   "</domain>\n");
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(cli_env.dir), 0);
    snprintf(want, sizeof(want), "hvctl: error: define %s: initrd "
             "'boot/initrd.img' (%s/boot/initrd.img): No such file or "
             "directory\n", cfg, cli_env.dir);
    RUN_FAIL(&r, 1, want, "define", cfg);
    snprintf(path, sizeof(path), "%s/boot", cli_env.dir);
    assert_true(mkdir(path, 0755) == 0 || errno == EEXIST);
    cli_file("boot/initrd.img", "");
    RUN_OK(&r, "define", cfg);
    assert_int_equal(chdir(cwd), 0);

    RUN_OK(&r, "dumpxml", "--inactive", "deb");
    snprintf(want, sizeof(want), "  <os>\n    <type>linux</type>\n"
             "    <kernel>/boot/vmlinuz</kernel>\n    <initrd>%s/boot/"
             "initrd.img</initrd>\n  </os>\n", cli_env.dir);
    assert_contains(r.out, want);
    RUN_OK(&r, "info", "deb");
    assert_contains(r.out, "State:          shutoff\n");
    assert_contains(r.out, "OS type:        linux\n");
    RUN_OK(&r, "info", "--json", "deb");
    assert_string_equal(field(r.out, "os_type"), "linux");
    RUN_OK(&r, "undefine", "deb");

    /* A domain that leaves it to hvcore says so. */
    RUN_OK(&r, "define", cli_config("auto", "counter", false, 0));
    RUN_OK(&r, "info", "auto");
    assert_contains(r.out, "OS type:        auto\n");
    RUN_OK(&r, "undefine", "auto");
}

static int setup(void **state)
{
    (void)state;
    cli_env_open("persist");
    agent_prepare(&agent);
    agent_start(&agent);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    agent_stop(&agent);
    cli_env_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(define_replaces),
        cmocka_unit_test(edit),
        cmocka_unit_test(edit_again_on_a_terminal),
        cmocka_unit_test(filters_and_shutdown_all),
        cmocka_unit_test(events_across_a_restart),
        cmocka_unit_test(top_through_the_agent),
        cmocka_unit_test(linux_definition),
    };

    if (!agent_domains_can_run())
        return 77;
    return cmocka_run_group_tests(tests, setup, teardown);
}
