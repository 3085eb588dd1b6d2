/*
 * test_cli_linux.c - issue 12 end to end, as a user runs it: Debian's stock
 * cloud kernel with the busybox initramfs of hvcore's Linux-guest kit
 * (fetched by linux_fetch.sh into $HVCTL_KERNEL_CACHE, built here), in a
 * domain of <os><type>linux</type>, through hvctl, hvctld and hvcore.
 *
 * Without the agent (the direct driver): `create --console` shows the
 * guest's init and shell from its first byte, a typed command answers,
 * `list` and `info` show a running linux domain, `save` is refused with
 * hvcore's one line, and `destroy` ends it.  Through a real hvctld on its
 * Unix socket: define, start, console, the same refusal, and `shutdown
 * --wait`, which the guest sees (its init says so on the console) before
 * the domain goes away.  Two boots in all; every wait is for a condition,
 * with a deadline far beyond a boot's few seconds.  Skips, saying why,
 * where the Debian packages cannot be fetched.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utmp.h>

#include "agent_harness.h"
#include "cli_harness.h"
#include "linux_fetch.h"
#include "linux_initramfs.h"

/* A boot takes 3-4 s here; this only catches a guest that never comes. */
#define BOOT_MS       180000
/* How often Enter is pressed while waiting for a shell that may have
 * printed its prompt before the console was attached. */
#define NUDGE_MS      1000
#define GUEST_MIB     "256"
#define CMDLINE       "console=hvc0 quiet"
#define DIRECT_URI    "hvctl:///system?driver=direct"
#define DETACH        "\x1d"        /* Ctrl-] */
/* What hvcore says of a save of a Xen PV domain (docs/xen-pv.md). */
#define SAVE_REFUSED  "Xen PV domain: save and migration are not " \
                      "implemented for it yet"

static struct run r;
static struct agent agent;
static struct linux_kit kit;
static struct linux_initrd initrd;

/* One hvctl on a pseudo-terminal: the master is ours. */
struct session {
    int master;
    pid_t pid;
    bool hung_up;               /* hvctl closed the terminal            */
    char seen[128 * 1024];
    size_t len;
};

/* The console session of the running test (pid 0: none), killed by the
 * teardown should the test fail with it open. */
static struct session con;

/* hvctl with the NULL-terminated args (at most 8) on a fresh terminal. */
static void start(struct session *s, const char *const *args)
{
    const char *argv[10] = { cli_env.hvctl };
    struct winsize ws = { .ws_row = 24, .ws_col = 80 };
    int slave;

    memset(s, 0, sizeof(*s));
    for (int i = 0; args[i] && i < 8; i++)
        argv[i + 1] = args[i];
    assert_int_equal(openpty(&s->master, &slave, NULL, NULL, &ws), 0);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        close(s->master);
        if (login_tty(slave) < 0)
            _exit(98);
        execv(cli_env.hvctl, (char *const *)argv);
        _exit(99);
    }
    close(slave);
    fcntl(s->master, F_SETFL, O_NONBLOCK);
}

/* Whatever the terminal has shown since the last read. */
static void pump(struct session *s, int wait_ms)
{
    struct pollfd p = { .fd = s->master, .events = POLLIN };
    ssize_t n;

    poll(&p, 1, wait_ms);
    n = read(s->master, s->seen + s->len, sizeof(s->seen) - 1 - s->len);
    if (n > 0)
        s->seen[s->len += (size_t)n] = '\0';
    else if (n < 0 && errno == EIO)
        s->hung_up = true;
}

static void type(struct session *s, const char *keys)
{
    assert_int_equal(write(s->master, keys, strlen(keys)),
                     (ssize_t)strlen(keys));
}

/* The terminal's text with its control characters made visible. */
static const char *shown(const struct session *s)
{
    static char out[4 * sizeof(s->seen)];
    size_t o = 0;

    for (size_t i = 0; i < s->len && o < sizeof(out) - 8; i++) {
        unsigned char c = (unsigned char)s->seen[i];
        if (c == '\n')
            o += (size_t)sprintf(out + o, "\\n\n");
        else if (c == '\r')
            o += (size_t)sprintf(out + o, "\\r");
        else if (c < 0x20 || c == 0x7f)
            o += (size_t)sprintf(out + o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o] = '\0';
    return out;
}

/*
 * Read until `want` appears after offset `from`; the offset just past it.
 * With `nudge`, press Enter every NUDGE_MS meanwhile.
 */
static size_t expect_nudged(struct session *s, size_t from, const char *want,
                            bool nudge)
{
    double end = now_ms() + BOOT_MS, next = now_ms() + NUDGE_MS;
    char *hit;

    while (!(hit = strstr(s->seen + from, want))) {
        if (s->hung_up)
            fail_msg("hvctl ended before \"%s\"; the terminal shows:\n%s",
                     want, shown(s));
        if (now_ms() > end)
            fail_msg("waited %d s for \"%s\"; the terminal shows:\n%s",
                     BOOT_MS / 1000, want, shown(s));
        if (nudge && now_ms() > next) {
            type(s, "\r");
            next = now_ms() + NUDGE_MS;
        }
        pump(s, 100);
    }
    return (size_t)(hit - s->seen) + strlen(want);
}

static size_t expect(struct session *s, size_t from, const char *want)
{
    return expect_nudged(s, from, want, false);
}

/* Wait for hvctl to exit; its status.  The session is over. */
static int finish(struct session *s)
{
    double end = now_ms() + BOOT_MS;
    int status;
    pid_t w;

    while ((w = waitpid(s->pid, &status, WNOHANG)) == 0) {
        if (now_ms() > end)
            fail_msg("hvctl did not exit; the terminal shows:\n%s",
                     shown(s));
        pump(s, 20);
        if (s->hung_up)
            usleep(5000);
    }
    assert_int_equal(w, s->pid);
    /* What it wrote last, up to the terminal's hang-up. */
    for (int i = 0; i < 100 && s->len < sizeof(s->seen) - 1; i++) {
        ssize_t n = read(s->master, s->seen + s->len,
                         sizeof(s->seen) - 1 - s->len);
        if (n <= 0)
            break;
        s->seen[s->len += (size_t)n] = '\0';
    }
    close(s->master);
    s->pid = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The shell answers arithmetic typed on the console. */
static size_t shell_answers(struct session *s, size_t at)
{
    type(s, "echo $((6*7))\r");
    /* The guest ends its lines with CR LF, which the terminal's output
     * processing makes CR CR LF: the answer is a line of its own. */
    at = expect(s, at, "\n42\r");
    return expect(s, at, LINUX_PROMPT);
}

/*
 * A linux domain's configuration: the kit's kernel, the initramfs, and
 * the console's log in the scratch directory (<name>.log).
 */
static const char *linux_config(const char *name)
{
    char text[sizeof(kit.vmlinuz) + sizeof(initrd.gz) + 1024], base[128];

    snprintf(text, sizeof(text),
             "<domain type=\"pv\">\n  <name>%s</name>\n"
             "  <memory unit=\"MiB\">" GUEST_MIB "</memory>\n"
             "  <vcpus>1</vcpus>\n"
             "  <os>\n    <type>linux</type>\n"
             "    <kernel>%s</kernel>\n    <initrd>%s</initrd>\n"
             "    <cmdline>" CMDLINE "</cmdline>\n  </os>\n"
             "  <devices>\n    <console>\n"
             "      <log file=\"%s/%s.log\"/>\n"
             "    </console>\n  </devices>\n</domain>\n",
             name, kit.vmlinuz, initrd.gz, cli_env.dir, name);
    snprintf(base, sizeof(base), "%s.xml", name);
    return cli_file(base, text);
}

/* Wait for name's console log to hold `want`. */
static void expect_in_log(const char *name, const char *want)
{
    static char text[256 * 1024];
    double end = now_ms() + BOOT_MS;
    char path[512];

    snprintf(path, sizeof(path), "%s/%s.log", cli_env.dir, name);
    for (;;) {
        FILE *f = fopen(path, "r");
        size_t n = 0;

        if (f) {
            n = fread(text, 1, sizeof(text) - 1, f);
            fclose(f);
        }
        text[n] = '\0';
        if (strstr(text, want))
            return;
        if (now_ms() > end)
            fail_msg("waited %d s for \"%s\" in %s, which holds:\n%s",
                     BOOT_MS / 1000, want, path, text);
        usleep(20000);
    }
}

/*
 * `list` (with the arguments, NULL-terminated) has a row for name with
 * the state, vCPUs online and memory in MiB given.
 */
static void assert_listed(const char *name, const char *state,
                          const char *vcpus, const char *mib,
                          const char *const *args)
{
    const char *line;

    hvctl_run(&r, NULL, args);
    if (r.status != 0)
        fail_msg("`%s`: status %d: %s", args[0], r.status, r.err);
    for (line = r.out; *line; line = strchr(line, '\n') + 1) {
        char id[16], nm[64], st[16], vc[16], mem[16];
        if (sscanf(line, "%15s %63s %15s %15s %15s", id, nm, st, vc,
                   mem) == 5 && strcmp(nm, name) == 0) {
            if (strcmp(st, state) || strcmp(vc, vcpus) || strcmp(mem, mib))
                fail_msg("`list` shows '%s' %s with %s vCPUs and %s MiB, "
                         "not %s, %s, %s:\n%s", name, st, vc, mem, state,
                         vcpus, mib, r.out);
            return;
        }
        if (!strchr(line, '\n'))
            break;
    }
    fail_msg("`list` shows no domain '%s':\n%s", name, r.out);
}

/* `info` says what the domain is: running, linux, 256 MiB. */
static void assert_info_linux(const char *name)
{
    char buf[64];

    RUN_OK(&r, "info", name);
    assert_contains(r.out, "State:          running\n");
    assert_contains(r.out, "OS type:        linux\n");
    assert_contains(r.out, "Memory:         " GUEST_MIB " MiB\n");
    RUN_OK(&r, "info", "--json", name);
    assert_string_equal(json_field(r.out, "os_type", buf, sizeof(buf)),
                        "linux");
    assert_string_equal(json_field(r.out, "vcpus", buf, sizeof(buf)), "1");
}

/* `save` is refused in one line with hvcore's reason; the domain runs on. */
static void assert_save_refused(const char *name)
{
    char file[512], want[1024];

    snprintf(file, sizeof(file), "%s/%s.save", cli_env.dir, name);
    snprintf(want, sizeof(want), "hvctl: error: save %s: domain '%s' "
             "(id %ld): save to %s failed: " SAVE_REFUSED "; it runs on\n",
             name, name, cli_domid(name), file);
    RUN_FAIL(&r, 1, want, "save", name, file);
    assert_string_equal(r.out, "");
    /* No file, not even a half one. */
    assert_int_not_equal(access(file, F_OK), 0);
    snprintf(file + strlen(file), sizeof(file) - strlen(file), ".tmp");
    assert_int_not_equal(access(file, F_OK), 0);
    RUN_OK(&r, "info", "--json", name);
    assert_contains(r.out, "\"state\": \"running\"");
}

/*
 * Through the direct driver (libhvctl to hvcore, no agent in the way):
 * create with the console attached from the first byte, use the shell,
 * look at the domain, try to save it, attach again, destroy it.
 */
static void direct_create_console_destroy(void **state)
{
    static const char *const direct[] = { "-c", DIRECT_URI, NULL };
    const char *cfg = linux_config("lxd");
    struct session *s = &con;
    char want[128];
    size_t at;

    (void)state;
    start(s, (const char *const[]){ "-c", DIRECT_URI, "create", "--console",
                                     cfg, NULL });
    at = expect(s, 0, "Domain 'lxd' created (id ");
    at = expect(s, at, "Connected to domain 'lxd'.");
    at = expect(s, at, LINUX_INIT_MARKER);
    at = expect(s, at, LINUX_PROMPT);
    at = shell_answers(s, at);
    type(s, DETACH);
    assert_int_equal(finish(s), 0);
    expect(s, at, "Detached from domain 'lxd'.");
    expect_in_log("lxd", LINUX_INIT_MARKER);

    hvctl_prefix(direct);
    assert_listed("lxd", "running", "1", GUEST_MIB,
                  (const char *const[]){ "list", NULL });
    assert_info_linux("lxd");
    assert_save_refused("lxd");
    /* Attached again: the same shell, still answering. */
    start(s, (const char *const[]){ "-c", DIRECT_URI, "console", "lxd",
                                     NULL });
    at = expect(s, 0, "Connected to domain 'lxd'.");
    at = expect_nudged(s, at, LINUX_PROMPT, true);
    at = shell_answers(s, at);
    type(s, DETACH);
    assert_int_equal(finish(s), 0);

    RUN_OK(&r, "destroy", "lxd");
    assert_string_equal(r.out, "Domain 'lxd' destroyed.\n");
    RUN_OK(&r, "list", "--all");
    assert_null(strstr(r.out, " lxd "));
    snprintf(want, sizeof(want), "hvctl: error: info lxd: domain 'lxd': "
             "no such domain\n");
    RUN_FAIL(&r, 1, want, "info", "lxd");
    hvctl_prefix(NULL);
}

/*
 * Through hvctld: define and start, attach, use the shell, try to save,
 * and shut it down with the console attached: the guest's init says it
 * powers off, the console closes, and the domain is defined and off.
 */
static void agent_define_start_console_shutdown(void **state)
{
    const char *const via_agent[] = { "-c", agent.unix_url, NULL };
    const char *cfg = linux_config("lxa");
    struct session *s = &con;
    size_t at;

    (void)state;
    hvctl_prefix(via_agent);
    RUN_OK(&r, "define", cfg);
    assert_string_equal(r.out, "Domain 'lxa' defined.\n");
    RUN_OK(&r, "info", "lxa");
    assert_contains(r.out, "State:          shutoff\n");
    assert_contains(r.out, "OS type:        linux\n");
    RUN_OK(&r, "start", "lxa");
    assert_string_equal(r.out, "Domain 'lxa' started.\n");
    assert_listed("lxa", "running", "1", GUEST_MIB,
                  (const char *const[]){ "list", NULL });
    assert_info_linux("lxa");

    /* Its init's line in the console log; the prompt may have come
     * before the console attaches: Enter until it shows. */
    expect_in_log("lxa", LINUX_INIT_MARKER);
    start(s, (const char *const[]){ "-c", agent.unix_url, "console", "lxa",
                                     NULL });
    at = expect(s, 0, "Connected to domain 'lxa'.");
    at = expect_nudged(s, at, LINUX_PROMPT, true);
    at = shell_answers(s, at);

    assert_save_refused("lxa");

    RUN_OK(&r, "shutdown", "--wait", "lxa");
    assert_string_equal(r.out, "Domain 'lxa' has shut down.\n");
    at = expect(s, at, LINUX_POWEROFF_MARKER);
    assert_int_equal(finish(s), 0);
    expect(s, at, "Domain 'lxa' closed its console.");
    expect_in_log("lxa", LINUX_POWEROFF_MARKER);

    assert_listed("lxa", "shutoff", "-", "-",
                  (const char *const[]){ "list", "--all", NULL });
    RUN_OK(&r, "list");
    assert_null(strstr(r.out, " lxa "));
    RUN_OK(&r, "undefine", "lxa");
    hvctl_prefix(NULL);
}

static int setup(void **state)
{
    char why[1024];

    (void)state;
    cli_env_open("linux");
    if (linux_initramfs(kit.busybox, cli_env.dir, &initrd, why,
                        sizeof(why)) < 0) {
        fprintf(stderr, "%s\n", why);
        cli_env_close();
        return -1;
    }
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

/* After each test: its console session and its domains, if it failed. */
static int each(void **state)
{
    (void)state;
    if (con.pid > 0) {
        kill(con.pid, SIGKILL);
        waitpid(con.pid, NULL, 0);
        close(con.master);
        con.pid = 0;
    }
    hvctl_prefix(NULL);
    cli_destroy_all();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(direct_create_console_destroy, each),
        cmocka_unit_test_teardown(agent_define_start_console_shutdown, each),
    };
    char why[1024];
    int rc;

    if (!agent_domains_can_run())
        return 77;
    rc = linux_fetch(&kit, why, sizeof(why));
    if (rc == LINUX_FETCH_SKIP) {
        printf("SKIP: the Debian packages cannot be fetched here: %s\n", why);
        return 77;
    }
    if (rc) {
        fprintf(stderr, "the Linux kit could not be made: %s\n", why);
        return 99;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
