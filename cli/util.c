/*
 * util.c - error reporting, number and file parsing, and the signal pipe
 * that lets a waiting command end cleanly.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static void vreport(struct cli *cli, const char *what, const char *fmt,
                    va_list ap) __attribute__((format(printf, 3, 0)));
static void vreport(struct cli *cli, const char *what, const char *fmt,
                    va_list ap)
{
    char why[1024];

    vsnprintf(why, sizeof(why), fmt, ap);
    /* One line, whatever the cause carried (a library message may end in \n). */
    for (char *p = why; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    for (size_t n = strlen(why); n && why[n - 1] == ' '; n--)
        why[n - 1] = '\0';
    if (cli) {
        /* Cut to fit, said with a precision so gcc -O1 sees it is meant. */
        snprintf(cli->last_error, sizeof(cli->last_error), "%.*s",
                 (int)sizeof(cli->last_error) - 1, why);
        if (cli->quiet)
            return;
    }
    fflush(stdout);
    if (what && *what)
        fprintf(stderr, "hvctl: error: %s: %s\n", what, why);
    else
        fprintf(stderr, "hvctl: error: %s\n", why);
}

int cli_fail(struct cli *cli, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(cli, cli->what, fmt, ap);
    va_end(ap);
    return EXIT_FAIL;
}

int cli_fail_what(const char *what, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(NULL, what, fmt, ap);
    va_end(ap);
    return EXIT_FAIL;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport(NULL, cmd, fmt, ap);
    va_end(ap);
    if (cmd)
        fprintf(stderr, "Try 'hvctl help %s'.\n", cmd);
    else
        fprintf(stderr, "Try 'hvctl help'.\n");
    return EXIT_USAGE;
}

void cli_what(struct cli *cli, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cli->what, sizeof(cli->what), fmt, ap);
    va_end(ap);
}

void str_copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (size == 0)
        return;
    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    unsigned long long v;
    char *end;

    if (!s || !isdigit((unsigned char)s[0]))
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int parse_mem_mib(const char *s, uint64_t *mib, char *why, size_t len)
{
    static const struct { const char *unit; unsigned shift; } units[] = {
        { "", 20 }, { "k", 10 }, { "kib", 10 }, { "m", 20 }, { "mib", 20 },
        { "g", 30 }, { "gib", 30 }, { "t", 40 }, { "tib", 40 },
    };
    unsigned long long v;
    char *end;
    size_t i;

    errno = 0;
    v = isdigit((unsigned char)s[0]) ? strtoull(s, &end, 10) : 0;
    if (!isdigit((unsigned char)s[0]) || errno) {
        snprintf(why, len, "'%s': not a memory size (MiB, or a number with "
                 "a unit: 512M, 2G, 1048576K)", s);
        return -1;
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcasecmp(end, units[i].unit) == 0)
            break;
    if (i == sizeof(units) / sizeof(units[0])) {
        snprintf(why, len, "'%s': unknown unit '%s' (K, M, G or T, or KiB, "
                 "MiB, GiB, TiB)", s, end);
        return -1;
    }
    if (v == 0) {
        snprintf(why, len, "'%s': the size must be above 0", s);
        return -1;
    }
    /* In bytes, the largest unit still fits 2^64 for any sane size. */
    if (v > (UINT64_MAX >> units[i].shift)) {
        snprintf(why, len, "'%s': too large", s);
        return -1;
    }
    v <<= units[i].shift;
    if (v & ((1ull << 20) - 1)) {
        snprintf(why, len, "'%s': not a whole number of MiB", s);
        return -1;
    }
    *mib = v >> 20;
    return 0;
}

int parse_seconds_ms(const char *s, int *ms)
{
    uint64_t whole = 0, frac = 0;
    const char *p = s;
    int digits = 0;

    if (!isdigit((unsigned char)*p))
        return -1;
    while (isdigit((unsigned char)*p)) {
        whole = whole * 10 + (uint64_t)(*p++ - '0');
        if (whole > 86400 * 365)
            return -1;
    }
    if (*p == '.') {
        p++;
        while (isdigit((unsigned char)*p) && digits < 3) {
            frac = frac * 10 + (uint64_t)(*p++ - '0');
            digits++;
        }
        if (digits == 0)
            return -1;
        while (digits++ < 3)
            frac *= 10;
    }
    if (*p)
        return -1;
    *ms = (int)(whole * 1000 + frac);
    return 0;
}

int read_file(const char *path, size_t max, char **text, size_t *len)
{
    struct stat st;
    size_t cap, n = 0;
    char *buf;
    int fd, err;

    *text = NULL;
    *len = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0 || S_ISDIR(st.st_mode)) {
        err = S_ISDIR(st.st_mode) ? EISDIR : errno;
        close(fd);
        return -err;
    }
    /* Not st_size alone: /dev/stdin and pipes report 0. */
    cap = st.st_size > 0 && (size_t)st.st_size < max ? (size_t)st.st_size + 1
                                                      : 4096;
    buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return -ENOMEM;
    }
    for (;;) {
        ssize_t r;
        if (n == cap) {
            char *nb;
            if (cap > max) {
                free(buf);
                close(fd);
                return -EFBIG;
            }
            nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                close(fd);
                return -ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            err = errno;
            free(buf);
            close(fd);
            return -err;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        free(buf);
        return -EFBIG;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

bool text_is_xml(const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)text[i]))
            return text[i] == '<';
    return false;
}

bool looks_like_uuid(const char *s)
{
    if (strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return true;
}

bool looks_like_domid(const char *s, uint32_t *id)
{
    uint64_t v;

    if (parse_u64(s, 1, UINT32_MAX, &v) < 0)
        return false;
    if (id)
        *id = (uint32_t)v;
    return true;
}

uint64_t mono_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- signals ---- */

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t sig_last;

static void on_signal(int sig)
{
    int saved = errno;
    char c = (char)sig;

    sig_last = sig;
    (void)!write(sig_pipe[1], &c, 1);
    errno = saved;
}

int sig_watch(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    struct sigaction sa;

    if (sig_pipe[0] < 0) {
        if (pipe(sig_pipe) < 0)
            return -errno;
        for (int i = 0; i < 2; i++) {
            fcntl(sig_pipe[i], F_SETFD, FD_CLOEXEC);
            fcntl(sig_pipe[i], F_SETFL, O_NONBLOCK);
        }
    }
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    return 0;
}

int sig_fd(void)
{
    return sig_pipe[0];
}

int sig_caught(void)
{
    return sig_last;
}
