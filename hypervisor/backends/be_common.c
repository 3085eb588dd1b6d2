/*
 * be_common.c - options, counters page, user switch and serving loop
 * shared by hvblk and hvnet (be_common.h).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "be_common.h"

void be_common_init(struct be_common *c, const char *prog, unsigned max_queues)
{
    memset(c, 0, sizeof(*c));
    c->prog = prog;
    c->fd = -1;
    c->stats_fd = -1;
    c->queues = 1;
    c->max_queues = max_queues;
    c->poll_us = BE_POLL_US_DEFAULT;
}

/* A decimal number from lo to hi, the whole string. */
static bool number(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!*s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static int fd_number(struct be_common *c, const char *opt, const char *arg, int *out)
{
    unsigned long v;

    if (!number(arg, 0, INT_MAX, &v)) {
        fprintf(stderr, "%s: %s: '%s' is not a file descriptor number\n", c->prog, opt, arg);
        return -1;
    }
    *out = (int)v;
    return 1;
}

int be_common_option(struct be_common *c, int opt, const char *arg)
{
    unsigned long v;

    switch (opt) {
    case BE_OPT_FD:
        return fd_number(c, "--fd", arg, &c->fd);
    case BE_OPT_STATS_FD:
        return fd_number(c, "--stats-fd", arg, &c->stats_fd);
    case BE_OPT_SOCKET:
        if (!*arg || strlen(arg) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
            fprintf(stderr, "%s: --socket: '%s' is not a socket path (1 to %zu bytes)\n",
                    c->prog, arg, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
            return -1;
        }
        c->socket = arg;
        return 1;
    case BE_OPT_QUEUES:
        if (!number(arg, 1, c->max_queues, &v)) {
            fprintf(stderr, "%s: --queues: '%s' is not a number from 1 to %u\n", c->prog, arg,
                    c->max_queues);
            return -1;
        }
        c->queues = (unsigned)v;
        return 1;
    case BE_OPT_POLL_US:
        if (!number(arg, 0, BE_POLL_US_MAX, &v)) {
            fprintf(stderr, "%s: --poll-us: '%s' is not a number from 0 to %u\n", c->prog, arg,
                    BE_POLL_US_MAX);
            return -1;
        }
        c->poll_us = (unsigned)v;
        return 1;
    case BE_OPT_USER:
        if (!*arg) {
            fprintf(stderr, "%s: --user: an empty user name\n", c->prog);
            return -1;
        }
        c->user = arg;
        return 1;
    default:
        return 0;
    }
}

int be_common_check(struct be_common *c)
{
    if ((c->fd >= 0) == (c->socket != NULL)) {
        fprintf(stderr, "%s: exactly one of --fd and --socket is required\n", c->prog);
        return -1;
    }
    return 0;
}

void be_bad_option(const char *prog, int opt, char *const argv[])
{
    const char *arg = argv[optind - 1];

    if (opt == ':')
        fprintf(stderr, "%s: %s needs a value\n", prog, arg);
    else
        fprintf(stderr, "%s: unknown option '%s' (%s --help lists them)\n", prog, arg, prog);
}

struct hv_backend_stats *be_stats_open(const struct be_common *c)
{
    struct hv_backend_stats *s;
    struct stat st;

    if (c->stats_fd < 0) {
        s = calloc(1, sizeof(*s));
        if (s)
            s->magic = HV_BACKEND_STATS_MAGIC;
        return s;
    }
    if (fstat(c->stats_fd, &st) < 0 || st.st_size < (off_t)sizeof(*s)) {
        fprintf(stderr, "%s: --stats-fd %d: not a counters page (%s)\n", c->prog, c->stats_fd,
                errno ? strerror(errno) : "too small");
        return NULL;
    }
    s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED, c->stats_fd, 0);
    if (s == MAP_FAILED) {
        fprintf(stderr, "%s: --stats-fd %d: %s\n", c->prog, c->stats_fd, strerror(errno));
        return NULL;
    }
    if (s->magic != HV_BACKEND_STATS_MAGIC) {
        fprintf(stderr, "%s: --stats-fd %d: not a counters page (bad magic)\n", c->prog,
                c->stats_fd);
        munmap(s, sizeof(*s));
        return NULL;
    }
    close(c->stats_fd);     /* the mapping stays */
    return s;
}

/* A socket file at path that nobody listens at: one a back end killed
 * before it could remove it. */
static bool stale_socket(const struct sockaddr_un *sa)
{
    struct stat st;
    int s, rc;

    if (stat(sa->sun_path, &st) < 0 || !S_ISSOCK(st.st_mode))
        return false;
    s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return false;
    rc = connect(s, (const struct sockaddr *)sa, sizeof(*sa));
    close(s);
    return rc < 0 && errno == ECONNREFUSED;
}

int be_listen(const struct be_common *c)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = -1;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->socket);
    if (fd < 0)
        goto out;
    rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    /* A dead back end's socket is in the way: take its place.  A live
     * one's is not touched. */
    if (rc < 0 && errno == EADDRINUSE && stale_socket(&sa) && unlink(sa.sun_path) == 0)
        rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    if (rc == 0)
        rc = listen(fd, 1);
out:
    if (rc < 0) {
        fprintf(stderr, "%s: cannot listen at %s: %s\n", c->prog, c->socket, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int be_drop_user(const struct be_common *c)
{
    struct passwd *pw;

    if (!c->user)
        return 0;
    errno = 0;
    pw = getpwnam(c->user);
    if (!pw) {
        fprintf(stderr, "%s: --user: no user '%s'\n", c->prog, c->user);
        return -1;
    }
    if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
        fprintf(stderr, "%s: --user %s: %s\n", c->prog, c->user, strerror(errno));
        return -1;
    }
    return 0;
}

int be_serve(struct vu_dev *d, const struct be_common *c, int listen_fd)
{
    /* A front end that goes away mid-reply must not kill us. */
    signal(SIGPIPE, SIG_IGN);
    if (c->fd >= 0) {
        int type = 0;
        socklen_t len = sizeof(type);

        if (getsockopt(c->fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0 || type != SOCK_STREAM) {
            fprintf(stderr, "%s: --fd %d: not a stream socket\n", c->prog, c->fd);
            return BE_EXIT_RUNTIME;
        }
        return vu_dev_serve(d, c->fd) < 0 ? BE_EXIT_RUNTIME : BE_EXIT_OK;
    }
    for (;;) {
        int s = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

        if (s < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            fprintf(stderr, "%s: accept at %s: %s\n", c->prog, c->socket, strerror(errno));
            return BE_EXIT_RUNTIME;
        }
        /* One front end at a time; the next one waits in the backlog. */
        vu_dev_serve(d, s);
        close(s);
    }
}
