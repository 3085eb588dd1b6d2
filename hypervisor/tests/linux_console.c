/*
 * linux_console.c - a program's console on a pseudo-terminal, driven like
 * expect (linux_console.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "linux_console.h"

#define SEND_DEADLINE_MS 30000   /* a console that takes no input at all */
#define EXIT_DRAIN_MS    200     /* output still in the pty at exit     */

struct text {
    char *p;
    size_t len, cap;
};

struct lc {
    pid_t pid;
    int master;                 /* -1 once the console closed           */
    int errfd;                  /* -1 once stderr closed                */
    int status;                 /* -1 while running                     */
    struct text out, err;
    size_t mark;
};

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Append n bytes, leaving out NULs (a serial line sends some: the
 * transcript is searched as a string) and carriage returns (a guest's tty
 * sends "\r\n", QEMU's stdio can make that "\r\r\n"). */
static void text_add(struct text *t, const char *buf, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 8192;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->p, cap);
        if (!p)
            return;
        t->p = p;
        t->cap = cap;
    }
    for (size_t i = 0; i < n; i++)
        if (buf[i] && buf[i] != '\r')
            t->p[t->len++] = buf[i];
    t->p[t->len] = '\0';
}

/* Read what one descriptor has; close it at end of file or error (a pty's
 * master reads EIO once the last slave is closed). */
static void read_fd(int *fd, struct text *t)
{
    char buf[16384];
    ssize_t n = read(*fd, buf, sizeof(buf));

    if (n > 0) {
        text_add(t, buf, (size_t)n);
    } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close(*fd);
        *fd = -1;
    }
}

/* Wait up to ms for output on the console or stderr and read it. */
static void pump(struct lc *c, int ms)
{
    struct pollfd p[2] = { { .fd = c->master, .events = POLLIN },
                           { .fd = c->errfd, .events = POLLIN } };

    if (c->master < 0 && c->errfd < 0) {
        if (ms > 0)
            usleep((useconds_t)ms * 1000);
        return;
    }
    if (poll(p, 2, ms) <= 0)
        return;
    if (p[0].revents && c->master >= 0)
        read_fd(&c->master, &c->out);
    if (p[1].revents && c->errfd >= 0)
        read_fd(&c->errfd, &c->err);
}

/* The child's side: a session of its own, the pty's slave (raw) as stdin,
 * stdout and controlling terminal, stderr on the pipe.  Reports an exec
 * failure's errno on report_fd. */
static void child(const char *slave, const char *const *argv, int keep_fd, int err_fd,
                  int report_fd, pid_t parent)
{
    struct termios tio;
    int fd, e;

    setsid();
    fd = open(slave, O_RDWR);
    if (fd >= 0 && tcgetattr(fd, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(fd, TCSANOW, &tio);
    }
    if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(err_fd, 2) < 0) {
        e = errno;
        (void)!write(report_fd, &e, sizeof(e));
        _exit(127);
    }
    if (fd > 2)
        close(fd);
    if (keep_fd >= 0)
        fcntl(keep_fd, F_SETFD, 0);
    signal(SIGPIPE, SIG_DFL);
    die_with_parent(parent);
    execvp(argv[0], (char *const *)argv);
    e = errno;
    (void)!write(report_fd, &e, sizeof(e));
    _exit(127);
}

struct lc *lc_start(const char *const *argv, int keep_fd, char *why, size_t why_len)
{
    struct lc *c = calloc(1, sizeof(*c));
    int err[2] = { -1, -1 }, report[2] = { -1, -1 }, e = 0;
    char slave[128];

    if (!c) {
        snprintf(why, why_len, "console: out of memory");
        return NULL;
    }
    c->status = -1;
    c->errfd = -1;
    c->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (c->master < 0 || grantpt(c->master) < 0 || unlockpt(c->master) < 0 ||
        ptsname_r(c->master, slave, sizeof(slave)) != 0) {
        snprintf(why, why_len, "console: cannot make a pseudo-terminal: %s", strerror(errno));
        goto fail;
    }
    if (pipe2(err, O_CLOEXEC) < 0 || pipe2(report, O_CLOEXEC) < 0) {
        snprintf(why, why_len, "console: pipe: %s", strerror(errno));
        goto fail;
    }
    pid_t parent = getpid();
    c->pid = fork();
    if (c->pid < 0) {
        snprintf(why, why_len, "console: fork: %s", strerror(errno));
        goto fail;
    }
    if (c->pid == 0)
        child(slave, argv, keep_fd, err[1], report[1], parent);
    close(err[1]);
    close(report[1]);
    c->errfd = err[0];
    /* The report pipe closes on a successful exec; an errno means none. */
    if (read(report[0], &e, sizeof(e)) == (ssize_t)sizeof(e)) {
        snprintf(why, why_len, "console: cannot run %s: %s", argv[0], strerror(e));
        close(report[0]);
        lc_close(c);
        return NULL;
    }
    close(report[0]);
    fcntl(c->master, F_SETFL, fcntl(c->master, F_GETFL) | O_NONBLOCK);
    fcntl(c->errfd, F_SETFL, fcntl(c->errfd, F_GETFL) | O_NONBLOCK);
    text_add(&c->out, "", 0);
    text_add(&c->err, "", 0);
    return c;

fail:
    for (int i = 0; i < 2; i++) {
        if (err[i] >= 0)
            close(err[i]);
        if (report[i] >= 0)
            close(report[i]);
    }
    if (c->master >= 0)
        close(c->master);
    free(c);
    return NULL;
}

int lc_wait_for(struct lc *c, const char *text, int timeout_ms)
{
    uint64_t end = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

    for (;;) {
        char *hit = c->out.p ? strstr(c->out.p + c->mark, text) : NULL;
        if (hit) {
            c->mark = (size_t)(hit - c->out.p) + strlen(text);
            return 0;
        }
        if (c->master < 0)
            return -EPIPE;
        uint64_t t = now_ms();
        if (t >= end)
            return -ETIMEDOUT;
        pump(c, (int)(end - t));
    }
}

int lc_send(struct lc *c, const char *text)
{
    size_t len = strlen(text), done = 0;
    uint64_t end = now_ms() + SEND_DEADLINE_MS;

    while (done < len) {
        if (c->master < 0)
            return -EPIPE;
        ssize_t n = write(c->master, text + done, len - done);
        if (n > 0) {
            done += (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return -errno;
        } else {
            if (now_ms() >= end)
                return -ETIMEDOUT;
            pump(c, 10);        /* the program may wait for us to read */
        }
    }
    return 0;
}

void lc_drain(struct lc *c, int ms)
{
    uint64_t end = now_ms() + (uint64_t)(ms > 0 ? ms : 0);

    for (uint64_t t = now_ms(); t < end && c->master >= 0; t = now_ms())
        pump(c, (int)(end - t));
}

int lc_running(struct lc *c)
{
    int st;

    if (c->status >= 0)
        return 0;
    if (waitpid(c->pid, &st, WNOHANG) != c->pid)
        return 1;
    c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

int lc_wait_exit(struct lc *c, int timeout_ms, int *status)
{
    uint64_t end = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);

    while (lc_running(c)) {
        if (now_ms() >= end)
            return -ETIMEDOUT;
        pump(c, 5);
    }
    /* What it printed last may still be in the pty or the pipe. */
    uint64_t drain_end = now_ms() + EXIT_DRAIN_MS;
    while ((c->master >= 0 || c->errfd >= 0) && now_ms() < drain_end)
        pump(c, 20);
    *status = c->status;
    return 0;
}

void lc_close(struct lc *c)
{
    if (!c)
        return;
    if (c->pid > 0 && lc_running(c)) {
        kill(-c->pid, SIGKILL);
        kill(c->pid, SIGKILL);
        while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    if (c->master >= 0)
        close(c->master);
    if (c->errfd >= 0)
        close(c->errfd);
    free(c->out.p);
    free(c->err.p);
    free(c);
}

const char *lc_transcript(const struct lc *c)
{
    return c->out.p ? c->out.p : "";
}

size_t lc_len(const struct lc *c)
{
    return c->out.len;
}

size_t lc_mark(const struct lc *c)
{
    return c->mark;
}

const char *lc_tail(const struct lc *c, size_t n)
{
    return lc_transcript(c) + (c->out.len > n ? c->out.len - n : 0);
}

const char *lc_stderr(const struct lc *c)
{
    return c->err.p ? c->err.p : "";
}

pid_t lc_pid(const struct lc *c)
{
    return c->pid;
}
