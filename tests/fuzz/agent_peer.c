/*
 * agent_peer.c - see agent_peer.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "agent_peer.h"
#include "fuzz_check.h"

#define CONNS_MAX 32
#define REQ_MAX 16384

struct pconn {
    int fd;
    bool shut;                  /* answered and shut: only reads to EOF */
    char buf[REQ_MAX];
    size_t len;
};

struct peer {
    peer_answer_fn fn;
    void *ctx;
    char dir[64], path[108];
    int lfd, stop[2];
    pthread_t thread;
    pthread_mutex_t answering;  /* held while a request is answered */
    struct pconn *c[CONNS_MAX];
    size_t nc;
};

/*
 * What libhvctl sends must be HTTP: CRLF line ends and no other control
 * byte in the head.  A byte from the agent's answers finding its way
 * into a header (an event id in Last-Event-ID) would split it.
 */
static void check_head(const char *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)h[i];
        if (ch == '\r' && i + 1 < n && h[i + 1] == '\n') {
            i++;
            continue;
        }
        FUZZ_CHECK(ch >= 0x20 && ch != 0x7f, "libhvctl sent a control byte "
                   "0x%02x at %zu of its request head:\n%.*s", ch, i,
                   (int)n, h);
    }
}

static void send_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;             /* the client went away: its business */
        p += n;
        len -= (size_t)n;
    }
}

static void drop(struct peer *p, size_t i)
{
    close(p->c[i]->fd);
    free(p->c[i]);
    p->c[i] = p->c[--p->nc];
}

/*
 * Answer the whole requests c holds.  false: the connection is to be
 * closed.
 */
static bool serve_requests(struct peer *p, struct pconn *c)
{
    for (;;) {
        char *end = memmem(c->buf, c->len, "\r\n\r\n", 4), *cl;
        size_t hlen, need;
        long long clen = 0;
        const char *out;
        size_t olen;
        bool keep = false, ok;

        if (!end) {
            FUZZ_CHECK(c->len < REQ_MAX, "a request head of %zu bytes",
                       c->len);
            return true;
        }
        hlen = (size_t)(end - c->buf) + 4;
        check_head(c->buf, hlen);
        end[2] = '\0';
        if ((cl = strcasestr(c->buf, "\r\nContent-Length:")))
            clen = strtoll(cl + 17, NULL, 10);
        FUZZ_CHECK(clen >= 0 && clen < REQ_MAX, "Content-Length %lld", clen);
        need = hlen + (size_t)clen;
        if (c->len < need) {
            end[2] = '\r';
            FUZZ_CHECK(need <= REQ_MAX, "a request of %zu bytes", need);
            return true;
        }
        pthread_mutex_lock(&p->answering);
        ok = p->fn(p->ctx, c->buf, &out, &olen, &keep);
        if (ok)
            send_all(c->fd, out, olen);
        if (ok && !keep) {
            shutdown(c->fd, SHUT_WR);
            c->shut = true;
        }
        pthread_mutex_unlock(&p->answering);
        if (!ok)
            return false;
        memmove(c->buf, c->buf + need, c->len - need);
        c->len -= need;
        if (c->shut)
            return true;
    }
}

static void *serve(void *opaque)
{
    struct peer *p = opaque;

    for (;;) {
        struct pollfd pf[CONNS_MAX + 2];
        size_t n = 0;

        pf[n++] = (struct pollfd){ .fd = p->stop[0], .events = POLLIN };
        pf[n++] = (struct pollfd){ .fd = p->lfd, .events = POLLIN };
        for (size_t i = 0; i < p->nc; i++)
            pf[n++] = (struct pollfd){ .fd = p->c[i]->fd, .events = POLLIN };
        if (poll(pf, n, -1) < 0) {
            FUZZ_CHECK(errno == EINTR, "poll: %s", strerror(errno));
            continue;
        }
        if (pf[0].revents)
            return NULL;
        /* Connections first, from the last: drop() moves the last. */
        for (size_t i = p->nc; i-- > 0;) {
            struct pconn *c = p->c[i];
            ssize_t got;

            if (!pf[2 + i].revents)
                continue;
            if (c->shut) {
                char junk[4096];
                got = recv(c->fd, junk, sizeof(junk), MSG_DONTWAIT);
            } else {
                got = recv(c->fd, c->buf + c->len, REQ_MAX - c->len,
                           MSG_DONTWAIT);
            }
            if (got < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (got <= 0) {
                drop(p, i);
                continue;
            }
            if (c->shut)
                continue;
            c->len += (size_t)got;
            if (!serve_requests(p, c))
                drop(p, i);
        }
        if (pf[1].revents) {
            int fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0 && (errno == EINTR || errno == EAGAIN))
                continue;       /* libFuzzer's timer signal */
            FUZZ_CHECK(fd >= 0, "accept: %s", strerror(errno));
            FUZZ_CHECK(p->nc < CONNS_MAX, "libhvctl holds more than %d "
                       "connections to the agent", CONNS_MAX);
            FUZZ_CHECK((p->c[p->nc] = calloc(1, sizeof(struct pconn))),
                       "out of memory");
            p->c[p->nc++]->fd = fd;
        }
    }
}

size_t peer_sections(const unsigned char *data, size_t size,
                     struct section *s, size_t max)
{
    const char *p = (const char *)data, *end = p + size;
    size_t n = 0;

    while (n < max) {
        const char *q = p, *sep = NULL;
        /* A "%%" line: at the start, or after a newline. */
        if (end - p >= 3 && !memcmp(p, "%%\n", 3)) {
            sep = p;
        } else {
            while ((q = memmem(q, (size_t)(end - q), "\n%%\n", 4))) {
                sep = q;
                break;
            }
        }
        if (!sep) {
            s[n++] = (struct section){ p, (size_t)(end - p) };
            break;
        }
        s[n++] = (struct section){ p, (size_t)(sep - p) };
        p = sep + (*sep == '\n' ? 4 : 3);
    }
    return n;
}

void peer_check_message(const char *what, const char *msg)
{
    FUZZ_CHECK(msg && *msg, "%s: a failure without a message", what);
    for (const char *c = msg; *c; c++)
        FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f, "%s: a control "
                   "byte 0x%02x in the message '%s'", what,
                   (unsigned char)*c, msg);
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void peer_wait_readable(int fd, const char *what)
{
    long long deadline = now_ms() + 30000;

    for (;;) {
        struct pollfd pf = { .fd = fd, .events = POLLIN };
        long long left = deadline - now_ms();
        int r = poll(&pf, 1, left > 0 ? (int)left : 0);

        if (r > 0)
            return;
        FUZZ_CHECK(r < 0 ? errno == EINTR : 0, "%s", what);
    }
}

struct peer *peer_start(peer_answer_fn fn, void *ctx)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct peer *p = calloc(1, sizeof(*p));
    /* tmpfs when there is one. */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

    FUZZ_CHECK(p, "out of memory");
    p->fn = fn;
    p->ctx = ctx;
    snprintf(p->dir, sizeof(p->dir), "%s/hvctl-fuzz-peer.XXXXXX", base);
    FUZZ_CHECK(mkdtemp(p->dir), "mkdtemp %s: %s", p->dir, strerror(errno));
    snprintf(p->path, sizeof(p->path), "%s/hvctld.sock", p->dir);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p->path);
    p->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    FUZZ_CHECK(p->lfd >= 0 &&
               bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
               listen(p->lfd, 16) == 0, "%s: %s", p->path, strerror(errno));
    FUZZ_CHECK(pipe2(p->stop, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    pthread_mutex_init(&p->answering, NULL);
    FUZZ_CHECK(pthread_create(&p->thread, NULL, serve, p) == 0,
               "pthread_create");
    return p;
}

const char *peer_path(const struct peer *p)
{
    return p->path;
}

void peer_settle(struct peer *p)
{
    pthread_mutex_lock(&p->answering);
    pthread_mutex_unlock(&p->answering);
}

void peer_stop(struct peer *p)
{
    FUZZ_CHECK(write(p->stop[1], "", 1) == 1, "write: %s", strerror(errno));
    pthread_join(p->thread, NULL);
    while (p->nc)
        drop(p, 0);
    close(p->lfd);
    close(p->stop[0]);
    close(p->stop[1]);
    pthread_mutex_destroy(&p->answering);
    unlink(p->path);
    rmdir(p->dir);
    free(p);
}
