/*
 * console.c - `hvctl console`: the terminal joined to a guest console.
 *
 * The terminal goes into raw mode so that every key (Ctrl-C included)
 * reaches the guest; Ctrl-] (0x1d, telnet's and virsh's escape) detaches.
 * When the console closes, the backend is asked why: a domain that
 * powered off ends the session quietly (exit 0), one whose hvcore died
 * is an error (exit 1).
 * Whatever ends the session - detach, the guest closing its console, a
 * signal, a crash of hvctl itself - the terminal gets its old settings
 * back: the normal paths restore it in console_run, exit() through
 * atexit, and fatal signals in their handler (tcsetattr is
 * async-signal-safe) before the signal is re-raised.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "backend.h"
#include "cmdopts.h"
#include "console.h"

#define ESCAPE_CHAR 0x1d        /* Ctrl-] */
/*
 * Without a terminal, once input has ended: detach when the guest has
 * been quiet this long, or this long after the end at the latest (a
 * guest that never stops talking must not keep a script waiting).
 */
#define DRAIN_QUIET_MS 250
#define DRAIN_MAX_MS 2000

static struct termios saved_tio;
static volatile sig_atomic_t tio_saved;

static void restore_terminal(void)
{
    if (tio_saved) {
        tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
        tio_saved = 0;
    }
}

static void on_fatal(int sig)
{
    restore_terminal();
    /* SA_RESETHAND put the default action back: die of the signal. */
    raise(sig);
}

/* Raw input, but keep output processing so that "\n" still returns. */
static int enter_raw(void)
{
    static const int fatal[] = { SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE,
                                 SIGILL };
    static bool atexit_done;
    struct termios raw;
    struct sigaction sa;

    if (tcgetattr(STDIN_FILENO, &saved_tio) < 0)
        return -errno;
    raw = saved_tio;
    cfmakeraw(&raw);
    raw.c_oflag |= OPOST | ONLCR;
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_fatal;
    sa.sa_flags = (int)SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
        sigaction(fatal[i], &sa, NULL);
    if (!atexit_done && atexit(restore_terminal) == 0)
        atexit_done = true;
    tio_saved = 1;
    if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0) {
        int err = errno;
        tio_saved = 0;
        return -err;
    }
    return 0;
}

/* All of buf to fd; 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            poll(&p, 1, -1);
            continue;
        }
        if (n < 0)
            return -errno;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

enum end { END_DETACH, END_CLOSED, END_SIGNAL, END_ERROR };

/*
 * Relay between the terminal and the console until one of the ends.
 * *err gets errno for END_ERROR, *where what failed.
 */
static enum end relay(int con, bool tty, int *err, const char **where)
{
    uint64_t drain_end = 0;     /* set when input ends (no terminal) */
    bool in_open = true;
    char buf[4096];

    for (;;) {
        struct pollfd p[3] = {
            { .fd = con, .events = POLLIN },
            { .fd = sig_fd(), .events = POLLIN },
            { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN },
        };
        int wait = -1, r;
        ssize_t n;

        if (drain_end) {
            uint64_t now = mono_ns();
            if (now >= drain_end)
                return END_DETACH;
            wait = (int)((drain_end - now) / 1000000) + 1;
            if (wait > DRAIN_QUIET_MS)
                wait = DRAIN_QUIET_MS;
        }
        r = poll(p, 3, wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            *err = errno;
            *where = "poll";
            return END_ERROR;
        }
        if (r == 0)
            return END_DETACH;      /* input ended and output went quiet */
        if (p[1].revents)
            return END_SIGNAL;
        if (p[0].revents) {
            n = read(con, buf, sizeof(buf));
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0)
                return END_CLOSED;
            if ((*err = -write_all(STDOUT_FILENO, buf, (size_t)n))) {
                *where = "writing to the terminal";
                return END_ERROR;
            }
        }
        if (in_open && p[2].revents) {
            char *esc;
            n = read(STDIN_FILENO, buf, sizeof(buf));
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n <= 0) {
                in_open = false;
                if (!tty)
                    drain_end = mono_ns() + DRAIN_MAX_MS * 1000000ull;
                continue;
            }
            esc = memchr(buf, ESCAPE_CHAR, (size_t)n);
            if ((*err = -write_all(con, buf, esc ? (size_t)(esc - buf)
                                                 : (size_t)n))) {
                *where = "writing to the console";
                return END_ERROR;
            }
            if (esc)
                return END_DETACH;
        }
    }
}

int console_run(struct cli *cli, struct backend *be, int con,
                const char *name)
{
    bool tty = isatty(STDIN_FILENO);
    const char *where = "";
    char why[256];
    enum end how;
    int err = 0, rc;

    if (sig_watch() < 0) {
        close(con);
        return cli_fail(cli, "cannot watch signals: %s", strerror(errno));
    }
    if (tty && (rc = enter_raw()) < 0) {
        close(con);
        return cli_fail(cli, "cannot put the terminal in raw mode: %s",
                        strerror(-rc));
    }
    if (tty)
        fprintf(stderr, "Connected to domain '%s'. Escape character is ^] "
                "(Ctrl-]).\n", name);
    how = relay(con, tty, &err, &where);
    close(con);
    restore_terminal();
    switch (how) {
    case END_DETACH:
        if (tty)
            fprintf(stderr, "\nDetached from domain '%s'.\n", name);
        return EXIT_OK;
    case END_CLOSED:
        if (be && be_console_closed(be, cli, why, sizeof(why))) {
            if (tty)
                fputc('\n', stderr);
            return cli_fail(cli, "%s", why);
        }
        if (tty)
            fprintf(stderr, "\nDomain '%s' closed its console.\n", name);
        return EXIT_OK;
    case END_SIGNAL:
        if (tty)
            fprintf(stderr, "\nDetached from domain '%s' (%s).\n", name,
                    strsignal(sig_caught()));
        return EXIT_OK;
    default:
        return cli_fail(cli, "%s: %s", where, strerror(err));
    }
}

int console_attach(struct cli *cli, const char *ref)
{
    struct backend *be = cli_backend(cli);
    char name[64];
    int fd;

    if (!be)
        return EXIT_FAIL;
    if (be_console(be, cli, ref, &fd, name))
        return EXIT_FAIL;
    return console_run(cli, be, fd, name);
}

int cmd_console(struct cli *cli, int argc, char **argv)
{
    struct cmdopts o = { .cmd = "console" };
    int c, rc;

    if ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands("console", argc - optind, 1, 1)))
        return rc;
    cli_what(cli, "console %s", argv[optind]);
    return console_attach(cli, argv[optind]);
}
