/*
 * agent_unix.c - HTTP/1.1 over the agent's Unix socket, inside libhvctl.
 *
 * The common local case (hvctl:///system with hvctld running) must not
 * pay for libcurl (docs/client-path.md): an exchange with a known,
 * trusted peer on this host needs only a request, the status line and
 * headers, a Content-Length or chunked body, and for event streams the
 * same body read without blocking.  One keep-alive connection per
 * hv_conn carries the requests (the driver serialises them); a stream
 * has a connection of its own.  No proxies, no TLS, no redirects.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "http_transport.h"

#define RAW_MAX 16384
#define HEAD_MAX 65536
#define BODY_MAX (64u << 20)

/* Buffered input from a socket. */
struct rd {
    int fd;
    char raw[RAW_MAX];
    size_t off, len;
    size_t got;                 /* bytes received since reset (retries) */
    bool eof;
};

/* Where a chunked body is between reads. */
struct chunker {
    enum { CK_SIZE, CK_DATA, CK_DATA_END, CK_TRAILER, CK_END } st;
    size_t left;                /* CK_DATA: bytes of the chunk to come */
    char line[32];              /* CK_SIZE, CK_TRAILER: the line so far */
    size_t linelen;
    size_t trailer;             /* bytes of trailer lines so far */
};

struct ht_conn {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    struct rd *rd;              /* the keep-alive connection, or NULL */
};

struct ht_stream {
    struct rd rd;
    bool head_pending;          /* opened without waiting for the head */
    bool chunked;
    struct chunker ck;
};

static void set_err(char *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(err, HT_ERR_MAX, fmt, ap);
    va_end(ap);
    if (errnum && n >= 0 && n < HT_ERR_MAX)
        snprintf(err + n, HT_ERR_MAX - (size_t)n, ": %s", strerror(errnum));
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(long long deadline)
{
    long long l = deadline - now_ms();

    return l < 0 ? 0 : l > 1000000 ? 1000000 : (int)l;
}

static int connect_unix(const char *path, char *err)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    /* Non-blocking for the connect alone: a hung agent's full backlog
     * fails at once (EAGAIN) instead of blocking for ever. */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        set_err(err, errno, "cannot connect");
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        fcntl(fd, F_SETFL, 0) < 0) {
        if (errno == EAGAIN)
            set_err(err, 0, "cannot connect: the agent accepts no "
                    "connection (its queue is full: is it hung?)");
        else
            set_err(err, errno, "cannot connect");
        close(fd);
        return -1;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t len, long long deadline,
                    char *err)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd pf = { .fd = fd, .events = POLLOUT };
            int r = poll(&pf, 1, left_ms(deadline));
            if (r == 0) {
                set_err(err, 0, "sending the request: timed out");
                return -1;
            }
            continue;
        }
        set_err(err, errno, "sending the request");
        return -1;
    }
    return 0;
}

/*
 * More bytes into rd, waiting until deadline (< 0: do not wait).  1 got
 * some, 0 would block / timed out, -1 end of stream or error (err).
 */
static int fill(struct rd *rd, long long deadline, char *err)
{
    ssize_t n;

    if (rd->off && rd->off == rd->len)
        rd->off = rd->len = 0;
    if (rd->off > RAW_MAX / 2) {
        memmove(rd->raw, rd->raw + rd->off, rd->len - rd->off);
        rd->len -= rd->off;
        rd->off = 0;
    }
    if (rd->len == RAW_MAX)
        return 1;               /* the caller has enough to chew on */
    for (;;) {
        n = recv(rd->fd, rd->raw + rd->len, RAW_MAX - rd->len, MSG_DONTWAIT);
        if (n > 0) {
            rd->len += (size_t)n;
            rd->got += (size_t)n;
            return 1;
        }
        if (n == 0) {
            rd->eof = true;
            set_err(err, 0, "the agent closed the connection");
            return -1;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            set_err(err, errno, "reading the answer");
            return -1;
        }
        if (deadline < 0)
            return 0;
        struct pollfd pf = { .fd = rd->fd, .events = POLLIN };
        int r = poll(&pf, 1, left_ms(deadline));
        if (r == 0) {
            set_err(err, 0, "the agent did not answer in time");
            return 0;
        }
    }
}

/*
 * One line (without CRLF) into line[size]: the bytes it took (> 0), 0
 * need more, -1 too long.
 */
static int take_line(struct rd *rd, char *line, size_t size)
{
    char *p = memchr(rd->raw + rd->off, '\n', rd->len - rd->off);
    size_t n, took;

    if (!p)
        return rd->len - rd->off >= size ? -1 : 0;
    n = took = (size_t)(p - (rd->raw + rd->off));
    if (n >= size)
        return -1;
    memcpy(line, rd->raw + rd->off, n);
    if (n && line[n - 1] == '\r')
        n--;
    line[n] = '\0';
    rd->off += took + 1;
    return (int)took + 1;
}

/*
 * Decode what rd holds of a chunked body into out[outlen]: bytes
 * produced in *got.  1 at the end of the body, 0 more input needed (or
 * out full), -1 malformed.
 */
static int dechunk(struct chunker *ck, struct rd *rd, char *out,
                   size_t outlen, size_t *got)
{
    *got = 0;
    while (rd->off < rd->len || ck->st == CK_END) {
        char c;
        switch (ck->st) {
        case CK_END:
            return 1;
        case CK_DATA: {
            size_t n = rd->len - rd->off;
            if (n > ck->left)
                n = ck->left;
            if (n > outlen - *got)
                n = outlen - *got;
            if (n == 0)
                return 0;       /* out is full */
            memcpy(out + *got, rd->raw + rd->off, n);
            *got += n;
            rd->off += n;
            if (!(ck->left -= n))
                ck->st = CK_DATA_END;
            break;
        }
        case CK_SIZE:
        case CK_DATA_END:
        case CK_TRAILER:
            c = rd->raw[rd->off++];
            /* Trailers are skipped, but not without end. */
            if (ck->st == CK_TRAILER && ++ck->trailer > HEAD_MAX)
                return -1;
            if (c != '\n') {
                if (ck->linelen + 1 >= sizeof(ck->line)) {
                    if (ck->st != CK_TRAILER)
                        return -1;
                    continue;   /* a long trailer line: skip it */
                }
                ck->line[ck->linelen++] = c;
                continue;
            }
            if (ck->linelen && ck->line[ck->linelen - 1] == '\r')
                ck->linelen--;
            ck->line[ck->linelen] = '\0';
            ck->linelen = 0;
            if (ck->st == CK_DATA_END) {
                if (ck->line[0])
                    return -1;
                ck->st = CK_SIZE;
            } else if (ck->st == CK_TRAILER) {
                if (!ck->line[0])
                    ck->st = CK_END;
            } else {
                char *end;
                unsigned long long n = strtoull(ck->line, &end, 16);
                if (end == ck->line || (*end && *end != ';' && *end != ' ') ||
                    n > BODY_MAX)
                    return -1;
                ck->left = (size_t)n;
                ck->st = n ? CK_DATA : CK_TRAILER;
            }
            break;
        }
    }
    return ck->st == CK_END ? 1 : 0;
}

struct head {
    long status;
    bool chunked, close, has_len;
    size_t clen;
};

/* The status line and headers. */
static int read_head(struct rd *rd, struct head *h, long long deadline,
                     char *err)
{
    char line[8192];
    size_t total = 0;
    bool first = true;
    int r;

    memset(h, 0, sizeof(*h));
    for (;;) {
        while ((r = take_line(rd, line, sizeof(line))) == 0) {
            if (fill(rd, deadline, err) <= 0)
                return -1;
        }
        /* Every byte counts, NULs too (strlen() stopped at the first). */
        if (r < 0 || (total += (size_t)r) > HEAD_MAX) {
            set_err(err, 0, "the agent's answer has an overlong head");
            return -1;
        }
        if (first) {
            int minor;
            if (sscanf(line, "HTTP/1.%d %ld", &minor, &h->status) != 2 ||
                h->status < 100 || h->status > 999) {
                char q[256];
                ht_printable(line, 60, q, sizeof(q));
                set_err(err, 0, "not an HTTP answer: '%s'", q);
                return -1;
            }
            h->close = minor == 0;
            first = false;
            continue;
        }
        if (!line[0]) {
            if (h->status >= 100 && h->status < 200) {
                first = true;   /* 100 Continue and the like: skip */
                continue;
            }
            return 0;
        }
        char *colon = strchr(line, ':'), *v;
        if (!colon)
            continue;
        *colon = '\0';
        for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
            ;
        if (!strcasecmp(line, "Content-Length")) {
            char *end;
            unsigned long long n = strtoull(v, &end, 10);
            if (end == v || n > BODY_MAX) {
                set_err(err, 0, "the agent's answer has a bad Content-Length");
                return -1;
            }
            h->clen = (size_t)n;
            h->has_len = true;
        } else if (!strcasecmp(line, "Transfer-Encoding")) {
            h->chunked = strcasestr(v, "chunked") != NULL;
        } else if (!strcasecmp(line, "Connection")) {
            if (strcasestr(v, "close"))
                h->close = true;
        }
    }
}

/* The whole body of an answer. */
static int read_body(struct rd *rd, const struct head *h, const char *method,
                     struct ht_response *r, long long deadline, char *err)
{
    /*
     * What a Content-Length says is room to grow to, not to take at once:
     * an answer that claims 64 MiB and sends ten bytes costs ten.
     */
    size_t cap = h->has_len && h->clen < 65536 ? h->clen + 1 : 65536, len = 0;
    char *buf;

    if (!strcmp(method, "HEAD") || h->status == 204 || h->status == 304)
        return 0;
    if (!(buf = malloc(cap))) {
        set_err(err, 0, "out of memory");
        return -1;
    }
    if (h->chunked) {
        struct chunker ck = { .st = CK_SIZE };
        for (;;) {
            size_t got;
            int d;
            if (cap - len < 4096) {
                char *nb = cap * 2 <= BODY_MAX ? realloc(buf, cap * 2) : NULL;
                if (!nb) {
                    set_err(err, 0, "the agent's answer is too large");
                    goto fail;
                }
                buf = nb;
                cap *= 2;
            }
            d = dechunk(&ck, rd, buf + len, cap - len - 1, &got);
            len += got;
            if (d < 0) {
                set_err(err, 0, "the agent's answer has malformed chunks");
                goto fail;
            }
            if (d > 0)
                break;
            if (rd->off == rd->len && fill(rd, deadline, err) <= 0)
                goto fail;
        }
    } else if (h->has_len) {
        while (len < h->clen) {
            size_t n = rd->len - rd->off;
            if (n == 0) {
                if (fill(rd, deadline, err) <= 0)
                    goto fail;
                continue;
            }
            if (n > h->clen - len)
                n = h->clen - len;
            if (len + n + 1 > cap) {
                size_t ncap = cap * 2 > h->clen + 1 ? h->clen + 1 : cap * 2;
                char *nb = realloc(buf, ncap);
                if (!nb) {
                    set_err(err, 0, "out of memory");
                    goto fail;
                }
                buf = nb;
                cap = ncap;
            }
            memcpy(buf + len, rd->raw + rd->off, n);
            rd->off += n;
            len += n;
        }
    } else {
        set_err(err, 0, "the agent's answer has no length");
        goto fail;
    }
    buf[len] = '\0';
    r->body = buf;
    r->len = len;
    return 0;
fail:
    free(buf);
    return -1;
}

static int format_request(const struct ht_request *q, bool stream,
                          char *out, size_t size)
{
    int n = snprintf(out, size,
                     "%s %s HTTP/1.1\r\nHost: localhost\r\n"
                     "User-Agent: libhvctl\r\nAccept: %s\r\n",
                     q->method, q->path,
                     stream ? "text/event-stream"
                            : q->accept ? q->accept : "application/json");
    if (n < 0 || (size_t)n >= size)
        return -1;
    if (q->last_event_id)
        n += snprintf(out + n, size - (size_t)n, "Last-Event-ID: %s\r\n",
                      q->last_event_id);
    if (q->body)
        n += snprintf(out + n, size - (size_t)n,
                      "Content-Type: %s\r\nContent-Length: %zu\r\n",
                      q->ctype ? q->ctype : "application/json", q->len);
    else if (strcmp(q->method, "GET") && strcmp(q->method, "HEAD"))
        n += snprintf(out + n, size - (size_t)n, "Content-Length: 0\r\n");
    n += snprintf(out + n, size - (size_t)n, "\r\n");
    return (size_t)n >= size ? -1 : n;
}

static int u_open(const struct ht_params *p, struct ht_conn **out, char *err)
{
    struct ht_conn *c = calloc(1, sizeof(*c));

    *out = NULL;
    if (!c || !p->socket || strlen(p->socket) >= sizeof(c->path)) {
        free(c);
        set_err(err, 0, c ? "the socket path is too long" : "out of memory");
        return -1;
    }
    strcpy(c->path, p->socket);
    /* Connect now, so that a wrong path is told at open. */
    if (!(c->rd = calloc(1, sizeof(*c->rd))) ||
        (c->rd->fd = connect_unix(c->path, err)) < 0) {
        if (!c->rd)
            set_err(err, 0, "out of memory");
        free(c->rd);
        free(c);
        return -1;
    }
    *out = c;
    return 0;
}

static void drop_conn(struct ht_conn *c)
{
    if (c->rd) {
        close(c->rd->fd);
        free(c->rd);
        c->rd = NULL;
    }
}

/* Is the kept connection still usable (not closed by the agent)? */
static bool still_open(struct ht_conn *c)
{
    struct pollfd pf = { .fd = c->rd->fd, .events = POLLIN };

    return c->rd->off == c->rd->len && poll(&pf, 1, 0) == 0;
}

static int exchange(struct ht_conn *c, const struct ht_request *q,
                    const char *head, size_t hlen, struct ht_response *r,
                    bool *answered, char *err)
{
    long long deadline = now_ms() + (q->timeout_ms > 0 ? q->timeout_ms
                                                       : 120000);
    struct head h;

    c->rd->got = 0;
    if (send_all(c->rd->fd, head, hlen, deadline, err) ||
        (q->body && send_all(c->rd->fd, q->body, q->len, deadline, err)) ||
        read_head(c->rd, &h, deadline, err)) {
        *answered = c->rd->got > 0;
        return -1;
    }
    *answered = true;
    r->status = h.status;
    if (read_body(c->rd, &h, q->method, r, deadline, err))
        return -1;
    if (h.close)
        drop_conn(c);
    return 0;
}

static int u_request(struct ht_conn *c, const struct ht_request *q,
                     struct ht_response *r, char *err)
{
    char head[4096];
    int hlen = format_request(q, false, head, sizeof(head));
    bool reused, answered;

    memset(r, 0, sizeof(*r));
    if (hlen < 0) {
        set_err(err, 0, "request too long");
        return -1;
    }
    if (c->rd && !still_open(c))
        drop_conn(c);
    reused = c->rd != NULL;
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!c->rd) {
            if (!(c->rd = calloc(1, sizeof(*c->rd)))) {
                set_err(err, 0, "out of memory");
                return -1;
            }
            if ((c->rd->fd = connect_unix(c->path, err)) < 0) {
                free(c->rd);
                c->rd = NULL;
                return -1;
            }
        }
        if (exchange(c, q, head, (size_t)hlen, r, &answered, err) == 0)
            return 0;
        drop_conn(c);
        ht_response_free(r);
        /*
         * A kept connection the agent closed as we sent (it restarted, or
         * timed the idle connection out) never saw the request: once more
         * on a fresh one.  Not when any answer came.
         */
        if (!reused || answered)
            return -1;
        reused = false;
    }
    return -1;
}

static int u_stream_open(struct ht_conn *c, const struct ht_request *q,
                         struct ht_stream **out, struct ht_response *r,
                         char *err)
{
    long long deadline = now_ms() + (q->timeout_ms > 0 ? q->timeout_ms
                                                       : 10000);
    struct ht_stream *s = calloc(1, sizeof(*s));
    char head[4096];
    int hlen = format_request(q, true, head, sizeof(head));
    struct head h;

    *out = NULL;
    memset(r, 0, sizeof(*r));
    if (!s || hlen < 0) {
        free(s);
        set_err(err, 0, s ? "request too long" : "out of memory");
        return -1;
    }
    if ((s->rd.fd = connect_unix(c->path, err)) < 0) {
        free(s);
        return -1;
    }
    if (send_all(s->rd.fd, head, (size_t)hlen, deadline, err))
        goto fail;
    if (q->timeout_ms == 0) {
        s->head_pending = true;
        *out = s;
        return 0;
    }
    if (read_head(&s->rd, &h, deadline, err))
        goto fail;
    if (h.status != 200) {
        r->status = h.status;
        if (read_body(&s->rd, &h, q->method, r, deadline, err))
            goto fail;
        close(s->rd.fd);
        free(s);
        return 0;
    }
    s->chunked = h.chunked;
    s->ck.st = CK_SIZE;
    *out = s;
    return 0;
fail:
    close(s->rd.fd);
    free(s);
    return -1;
}

static int u_stream_fd(const struct ht_stream *s)
{
    return s->rd.fd;
}

/*
 * The head of a stream opened without waiting for it, once all of it has
 * come: 1 read (200), 0 not all there yet, -1 not 200 or broken (err).
 */
static int pending_head(struct ht_stream *s, char *err)
{
    struct head h;
    int f;

    while (!memmem(s->rd.raw + s->rd.off, s->rd.len - s->rd.off, "\r\n\r\n",
                   4) &&
           !memmem(s->rd.raw + s->rd.off, s->rd.len - s->rd.off, "\n\n", 2)) {
        if (s->rd.len - s->rd.off == RAW_MAX) {
            set_err(err, 0, "the agent's answer has an overlong head");
            return -1;
        }
        if ((f = fill(&s->rd, -1, err)) <= 0)
            return f;
    }
    /* All there: reading it cannot wait. */
    if (read_head(&s->rd, &h, now_ms(), err))
        return -1;
    if (h.status != 200) {
        set_err(err, 0, "the agent answered HTTP %ld", h.status);
        return -1;
    }
    s->head_pending = false;
    s->chunked = h.chunked;
    s->ck.st = CK_SIZE;
    return 1;
}

static ssize_t u_stream_read(struct ht_stream *s, char *buf, size_t len,
                             char *err)
{
    int hp;

    if (s->head_pending && (hp = pending_head(s, err)) <= 0)
        return hp;
    for (;;) {
        size_t got = 0;
        if (s->chunked) {
            int d = dechunk(&s->ck, &s->rd, buf, len, &got);
            if (d < 0) {
                set_err(err, 0, "the event stream has malformed chunks");
                return -1;
            }
            if (got)
                return (ssize_t)got;
            if (d > 0) {
                set_err(err, 0, "the agent ended the event stream");
                return -1;
            }
        } else if (s->rd.off < s->rd.len) {
            got = s->rd.len - s->rd.off < len ? s->rd.len - s->rd.off : len;
            memcpy(buf, s->rd.raw + s->rd.off, got);
            s->rd.off += got;
            return (ssize_t)got;
        }
        int f = fill(&s->rd, -1, err);
        if (f <= 0)
            return f;
    }
}

static void u_stream_close(struct ht_stream *s)
{
    if (!s)
        return;
    close(s->rd.fd);
    free(s);
}

static void u_close(struct ht_conn *c)
{
    if (!c)
        return;
    drop_conn(c);
    free(c);
}

void ht_response_free(struct ht_response *r)
{
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

const struct hv_http_transport ht_unix = {
    .version = HV_HTTP_TRANSPORT_VERSION,
    .size = sizeof(struct hv_http_transport),
    .open = u_open,
    .request = u_request,
    .stream_open = u_stream_open,
    .stream_fd = u_stream_fd,
    .stream_read = u_stream_read,
    .stream_close = u_stream_close,
    .close = u_close,
};
