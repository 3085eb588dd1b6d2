/*
 * test_cli_console.c - `hvctl console` driven through a pseudo-terminal,
 * as a person would: type into pvboot's shell, read its answers, detach
 * with Ctrl-], and check that the terminal got its settings back - after
 * a detach, after the guest powered off, after its hvcore was killed, and
 * after a signal.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <utmp.h>

#include "cli_harness.h"

static struct run r;

/* One hvctl on a pty: master for us, slave kept open to read its termios. */
struct session {
    int master, slave;
    pid_t pid;
    struct termios before;
    char seen[65536];
    size_t len;
};

/* hvctl with up to four arguments (the rest NULL) on a fresh pty. */
static void start(struct session *s, const char *a1, const char *a2,
                  const char *a3, const char *a4)
{
    const char *argv[] = { cli_env.hvctl, a1, a2, a3, a4, NULL };
    struct winsize ws = { .ws_row = 24, .ws_col = 80 };

    memset(s, 0, sizeof(*s));
    assert_int_equal(openpty(&s->master, &s->slave, NULL, NULL, &ws), 0);
    /* A terminal as a shell leaves it: canonical, echoing, signals on. */
    assert_int_equal(tcgetattr(s->slave, &s->before), 0);
    assert_true(s->before.c_lflag & ICANON);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        close(s->master);
        if (login_tty(s->slave) < 0)
            _exit(98);
        execv(cli_env.hvctl, (char *const *)argv);
        _exit(99);
    }
    fcntl(s->master, F_SETFL, O_NONBLOCK);
}

/* Read from the terminal until `want` appears (after `from`), or fail. */
static size_t expect(struct session *s, size_t from, const char *want)
{
    double end = now_ms() + 30000;
    char *hit;

    while (!(hit = strstr(s->seen + from, want))) {
        struct pollfd p = { .fd = s->master, .events = POLLIN };
        ssize_t n;
        if (now_ms() > end)
            fail_msg("waited 30 s for \"%s\"; the terminal shows:\n%s", want,
                     s->seen);
        poll(&p, 1, 100);
        n = read(s->master, s->seen + s->len, sizeof(s->seen) - 1 - s->len);
        if (n > 0)
            s->seen[s->len += (size_t)n] = '\0';
    }
    return (size_t)(hit - s->seen) + strlen(want);
}

static void type(struct session *s, const char *keys)
{
    assert_int_equal(write(s->master, keys, strlen(keys)),
                     (ssize_t)strlen(keys));
}

/* Wait for hvctl to exit; its status. */
static int finish(struct session *s)
{
    int status;
    double end = now_ms() + 30000;
    pid_t w;

    while ((w = waitpid(s->pid, &status, WNOHANG)) == 0) {
        char sink[4096];
        ssize_t n = read(s->master, sink, sizeof(sink) - 1);
        if (n > 0 && s->len + (size_t)n < sizeof(s->seen) - 1) {
            memcpy(s->seen + s->len, sink, (size_t)n);
            s->seen[s->len += (size_t)n] = '\0';
        }
        if (now_ms() > end) {
            kill(s->pid, SIGKILL);
            fail_msg("hvctl did not exit; the terminal shows:\n%s", s->seen);
        }
        usleep(5000);
    }
    assert_int_equal(w, s->pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* The terminal has exactly the settings it had before hvctl. */
static void assert_restored(struct session *s)
{
    struct termios now;

    assert_int_equal(tcgetattr(s->slave, &now), 0);
    assert_int_equal(now.c_iflag, s->before.c_iflag);
    assert_int_equal(now.c_oflag, s->before.c_oflag);
    assert_int_equal(now.c_cflag, s->before.c_cflag);
    assert_int_equal(now.c_lflag, s->before.c_lflag);
    assert_memory_equal(now.c_cc, s->before.c_cc, sizeof(now.c_cc));
    close(s->master);
    close(s->slave);
}

static void assert_raw(struct session *s)
{
    struct termios now;

    assert_int_equal(tcgetattr(s->slave, &now), 0);
    assert_false(now.c_lflag & (ICANON | ECHO | ISIG));
}

static void create_shell(const char *name)
{
    RUN_OK(&r, "create", cli_config(name, "shell", false, 0));
}

static void type_detach_restore(void **state)
{
    struct session s;
    size_t at;

    (void)state;
    create_shell("sh");
    start(&s, "console", "sh", NULL, NULL);
    at = expect(&s, 0, "Connected to domain 'sh'. Escape character is ^] "
                       "(Ctrl-]).\r\n");
    assert_raw(&s);
    /* Enter on a terminal sends CR; the shell answers each line. */
    type(&s, "echo hello from the pty\r");
    at = expect(&s, at, "\r\nhello from the pty\r\n");
    at = expect(&s, at, "pvboot> ");
    type(&s, "help\r");
    at = expect(&s, at, "poweroff");
    /* Ctrl-C is the guest's: hvctl stays attached. */
    type(&s, "\x03");
    type(&s, "echo still here\r");
    at = expect(&s, at, "\r\nstill here\r\n");
    type(&s, "\x1d");
    assert_int_equal(finish(&s), 0);
    expect(&s, at, "Detached from domain 'sh'.");
    assert_restored(&s);
    /* Detaching left the domain running. */
    RUN_OK(&r, "info", "--json", "sh");
    assert_contains(r.out, "\"state\": \"running\"");
}

static void guest_powers_off(void **state)
{
    struct session s;
    size_t at;

    (void)state;
    create_shell("sh");
    start(&s, "console", "sh", NULL, NULL);
    at = expect(&s, 0, "Escape character is ^]");
    type(&s, "poweroff\r");
    at = expect(&s, at, "pvboot: powering off");
    assert_int_equal(finish(&s), 0);
    expect(&s, at, "Domain 'sh' closed its console.");
    assert_restored(&s);
}

/* The pid of name's hvcore. */
static int hvcore_pid(const char *name)
{
    char buf[32];
    int pid;

    RUN_OK(&r, "info", "--json", name);
    pid = atoi(json_field(r.out, "pid", buf, sizeof(buf)));
    assert_true(pid > 0);
    return pid;
}

/*
 * hvcore killed under an attached console: not a guest that closed its
 * console, but an error that says hvcore died and of what (exit 1).
 * hvcore is not hvctl's child, so what killed it can only be read while
 * it is an unreaped zombie; this test makes itself the subreaper of the
 * detached hvcore to hold it so, then reaps it.
 */
static void hvcore_killed(void **state)
{
    struct session s;
    char want[256];
    size_t at;
    int pid;

    (void)state;
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    create_shell("sh");
    pid = hvcore_pid("sh");
    start(&s, "console", "sh", NULL, NULL);
    at = expect(&s, 0, "Escape character is ^]");
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(finish(&s), 1);
    snprintf(want, sizeof(want), "\r\nhvctl: error: console sh: hvcore "
             "(pid %d) was killed by signal 9 (%s) without shutting the "
             "domain down\r\n", pid, strsignal(SIGKILL));
    expect(&s, at, want);
    assert_null(strstr(s.seen, "closed its console"));
    assert_restored(&s);
    assert_int_equal(waitpid(pid, NULL, 0), pid);

    /* Reaped before hvctl looks (hvctl stopped meanwhile): the signal
     * is gone with the zombie, the death is not. */
    create_shell("sh");
    pid = hvcore_pid("sh");
    start(&s, "console", "sh", NULL, NULL);
    at = expect(&s, 0, "Escape character is ^]");
    assert_int_equal(kill(s.pid, SIGSTOP), 0);
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    assert_int_equal(kill(s.pid, SIGCONT), 0);
    assert_int_equal(finish(&s), 1);
    snprintf(want, sizeof(want), "\r\nhvctl: error: console sh: hvcore "
             "(pid %d) died without shutting the domain down\r\n", pid);
    expect(&s, at, want);
    assert_restored(&s);
    assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}

static void signals_restore_the_terminal(void **state)
{
    static const int sigs[] = { SIGTERM, SIGHUP };

    (void)state;
    create_shell("sh");
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        struct session s;
        size_t at;
        start(&s, "console", "sh", NULL, NULL);
        at = expect(&s, 0, "Escape character is ^]");
        assert_raw(&s);
        kill(s.pid, sigs[i]);
        assert_int_equal(finish(&s), 0);
        expect(&s, at, "Detached from domain 'sh'");
        assert_restored(&s);
    }
}

static void create_with_console(void **state)
{
    struct session s;
    size_t at;

    (void)state;
    start(&s, "create", "--console", cli_config("sh2", "shell", false, 0),
          NULL);
    at = expect(&s, 0, "Domain 'sh2' created (id ");
    at = expect(&s, at, "Connected to domain 'sh2'.");
    type(&s, "echo created and attached\r");
    at = expect(&s, at, "\r\ncreated and attached\r\n");
    type(&s, "\x1d");
    assert_int_equal(finish(&s), 0);
    assert_restored(&s);
}

/* Without a terminal: input from a pipe, output until it goes quiet. */
static void console_from_a_pipe(void **state)
{
    const char *args[] = { "console", "sh", NULL };

    (void)state;
    create_shell("sh");
    hvctl_run(&r, "echo piped input\n", args);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    assert_contains(r.out, "piped input\n");

    /* A guest that never goes quiet does not keep the script waiting. */
    {
        const char *cargs[] = { "console", "chatty", NULL };
        double t0;
        RUN_OK(&r, "create", cli_config("chatty", "counter", false, 0));
        t0 = now_ms();
        hvctl_run(&r, "\n", cargs);
        assert_int_equal(r.status, 0);
        assert_contains(r.out, "counter ");
        /* Waiting for quiet would be for ever; 60 s tells them apart
         * however loaded the machine is. */
        assert_true(now_ms() - t0 < 60000);
    }
}

/* On a terminal, a long wait shows what it waits for, then clears it. */
static void progress_on_a_terminal(void **state)
{
    struct session s;
    size_t at;

    (void)state;
    RUN_OK(&r, "create", cli_config("slow", "counter", false, 0));
    start(&s, "shutdown", "--wait", "slow", NULL);
    at = expect(&s, 0, "\r\033[Kshutdown slow: waiting for the guest to "
                       "power off");
    at = expect(&s, at, "\r\033[KDomain 'slow' has shut down.\r\n");
    assert_int_equal(finish(&s), 0);
    assert_restored(&s);
    /* With --json, no status line: the exit status is the result. */
    RUN_OK(&r, "create", cli_config("slow", "counter", false, 0));
    start(&s, "shutdown", "--json", "--wait", "slow");
    assert_int_equal(finish(&s), 0);
    assert_null(strstr(s.seen, "waiting"));
    assert_string_equal(s.seen, "");
    assert_restored(&s);
}

static void console_errors(void **state)
{
    struct session s;

    (void)state;
    RUN_FAIL(&r, 1, "hvctl: error: console nosuch: domain 'nosuch': no such "
                    "domain\n", "console", "nosuch");
    /* A failure before raw mode leaves the terminal alone too. */
    start(&s, "console", "nosuch", NULL, NULL);
    assert_int_equal(finish(&s), 1);
    assert_restored(&s);
}

static int setup(void **state)
{
    (void)state;
    cli_env_open("console");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cli_env_close();
    return 0;
}

/*
 * `hvctl top` on a terminal: the screen is redrawn, q (without Enter)
 * ends it, and the terminal is as it was.
 */
static void top_on_a_terminal(void **state)
{
    struct session s;
    size_t at;

    (void)state;
    create_shell("web");
    start(&s, "top", "-d", "0.1", NULL);
    at = expect(&s, 0, "\033[H\033[2J");
    at = expect(&s, at, "EVENTS/s");
    expect(&s, at, "  web  ");
    type(&s, "q");
    assert_int_equal(finish(&s), 0);
    assert_restored(&s);
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
        cmocka_unit_test_teardown(type_detach_restore, each),
        cmocka_unit_test_teardown(guest_powers_off, each),
        cmocka_unit_test_teardown(hvcore_killed, each),
        cmocka_unit_test_teardown(signals_restore_the_terminal, each),
        cmocka_unit_test_teardown(create_with_console, each),
        cmocka_unit_test_teardown(console_from_a_pipe, each),
        cmocka_unit_test_teardown(progress_on_a_terminal, each),
        cmocka_unit_test_teardown(console_errors, each),
        cmocka_unit_test_teardown(top_on_a_terminal, each),
    };
    char why[256];

    if (!cli_can_run_domains(why, sizeof(why))) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
