/*
 * front.c - see front.h.  The filter keeps the request it is reading in
 * `held` and moves it to evhttp only once it is whole and valid.  The
 * rules are those of RFC 9112, and never looser than what evhttp 2.1
 * accepts, so evhttp never meets a request it would refuse itself.
 *
 * What a client can make the agent hold: an unauthenticated one at most
 * FRONT_HEAD_MAX (its 401 comes as soon as the headers end; its body is
 * never kept), an authenticated one a body of REST_BODY_MAX; and at most
 * --max-connections connections.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "agent.h"
#include "auth.h"
#include "front.h"
#include "log.h"
#include "options.h"
#include "route.h"
#include "tls.h"

/* After a refusal, what the client still sends is read and dropped for
 * this long before the close, so that the close does not reset the
 * connection under an answer the client has not read yet. */
#define LINGER_S 2
#define LINGER_MAX 64           /* connections lingering at once */
/* The socket's output is cut here so that a slow reader's backlog stays
 * in the filter, where the event streams (sse.c) measure it. */
#define UNDER_WRITE_HIGH (64 * 1024)
#define CHUNK_LINE_MAX 64

enum state { S_HEAD, S_BODY, S_CHUNK_SIZE, S_CHUNK_DATA, S_TRAILER,
             S_REJECTED };

struct conn {
    LIST_ENTRY(conn) link;
    struct agent *a;
    enum transport tr;
    struct bufferevent *under, *bev;
    enum state st;
    struct evbuffer *held;      /* the request being read */
    size_t pos;                 /* bytes of held already parsed */
    size_t head_bytes;          /* of the head (and trailer) */
    uint64_t left;              /* body or chunk bytes still to come */
    uint64_t body;              /* body bytes so far (chunked) */
    unsigned long forwarded;    /* requests given to evhttp */
    unsigned long dispatched;   /* of them, taken by rest_dispatch */
    unsigned long reject_seq;   /* the stand-in's number, 0: none */
    struct front_reject rej;
};

static LIST_HEAD(, conn) conns = LIST_HEAD_INITIALIZER(conns);
static size_t nconns, nlinger;

size_t front_open_connections(void)
{
    return nconns;
}

/* ---- refusing ---- */

static void reject(struct conn *c, struct evbuffer *dst, int status,
                   const char *code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void reject(struct conn *c, struct evbuffer *dst, int status,
                   const char *code, const char *fmt, ...)
{
    static const char standin[] = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
    va_list ap;

    c->rej.status = status;
    snprintf(c->rej.code, sizeof(c->rej.code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(c->rej.message, sizeof(c->rej.message), fmt, ap);
    va_end(ap);
    c->st = S_REJECTED;
    evbuffer_drain(c->held, evbuffer_get_length(c->held));
    c->reject_seq = ++c->forwarded;
    evbuffer_add(dst, standin, sizeof(standin) - 1);
}

static void reject_header(struct conn *c, const char *name, const char *value)
{
    snprintf(c->rej.header, sizeof(c->rej.header), "%s", name);
    snprintf(c->rej.value, sizeof(c->rej.value), "%s", value);
}

/* ---- the head ---- */

static bool is_tchar(int ch)
{
    return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

struct head {
    char method[16];
    unsigned m;                 /* M_* bit, 0 for one evhttp cannot take */
    char target[2048];
    bool http11;
    const char *auth;           /* value, NUL-terminated in place */
    const char *expect;
    bool has_length, chunked;
    uint64_t length;
};

static unsigned method_bit(const char *s)
{
    static const unsigned ms[] = { M_GET, M_POST, M_HEAD, M_PUT, M_DELETE,
                                   M_OPTIONS, M_TRACE, M_PATCH };

    for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
        if (strcmp(s, route_method_name(ms[i])) == 0)
            return ms[i];
    return 0;                   /* CONNECT too: evhttp wants host:port */
}

/* Next line of the head at *p (NUL-terminated in place); its length. */
static char *next_line(char **p, char *end, size_t *len)
{
    char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));

    *p = nl + 1;
    if (nl > line && nl[-1] == '\r')
        nl--;
    *nl = '\0';
    *len = (size_t)(nl - line);
    return line;
}

/* Header lines (up to the empty one) of a head or a trailer: fields named
 * in h are noted, the others only checked.  NULL, or what is wrong. */
static const char *header_lines(char *p, char *end, struct head *h)
{
    for (;;) {
        size_t len, nlen;
        char *line = next_line(&p, end, &len), *v, *ve;

        if (len == 0)
            return NULL;
        if (memchr(line, '\0', len) || memchr(line, '\r', len))
            return "a header line holds a NUL or CR byte";
        if (*line == ' ' || *line == '\t')
            return "a header line is folded (starts with a blank)";
        for (nlen = 0; is_tchar((unsigned char)line[nlen]); nlen++)
            ;
        if (nlen == 0 || line[nlen] != ':')
            return "a header line is not 'Name: value'";
        line[nlen] = '\0';
        v = line + nlen + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        ve = v + strlen(v);
        while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
            *--ve = '\0';
        for (const char *q = v; *q; q++)
            if ((unsigned char)*q < 0x20 && *q != '\t')
                return "a header value holds a control character";
        if (!h)
            continue;
        if (strcasecmp(line, "Content-Length") == 0) {
            char *e;
            if (h->has_length)
                return "Content-Length is given twice";
            if (!isdigit((unsigned char)*v) || strlen(v) > 18)
                return "Content-Length is not a number of bytes";
            h->length = strtoull(v, &e, 10);
            if (*e)
                return "Content-Length is not a number of bytes";
            h->has_length = true;
        } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
            if (h->chunked || strcasecmp(v, "chunked") != 0)
                return "the only Transfer-Encoding taken is 'chunked'";
            h->chunked = true;
        } else if (strcasecmp(line, "Authorization") == 0) {
            if (!h->auth)
                h->auth = v;
        } else if (strcasecmp(line, "Expect") == 0) {
            h->expect = v;
        }
    }
}

/* The request line.  NULL, or what is wrong. */
static const char *request_line(char *line, size_t len, struct head *h)
{
    char *sp1 = memchr(line, ' ', len), *sp2, *ver;
    struct evhttp_uri *u;

    if (!sp1 || memchr(line, '\0', len))
        return "the request line is not 'METHOD /path HTTP/1.1'";
    sp2 = memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line));
    if (!sp2 || sp1 == line || sp2 == sp1 + 1 ||
        (size_t)(sp1 - line) >= sizeof(h->method) ||
        (size_t)(sp2 - sp1 - 1) >= sizeof(h->target))
        return "the request line is not 'METHOD /path HTTP/1.1'";
    for (char *q = line; q < sp1; q++)
        if (!is_tchar((unsigned char)*q))
            return "the request line is not 'METHOD /path HTTP/1.1'";
    for (char *q = sp1 + 1; q < sp2; q++)
        if (*q <= ' ' || *q >= 0x7f)
            return "the request target holds a blank, control or non-ASCII "
                   "byte";
    ver = sp2 + 1;
    if (strcmp(ver, "HTTP/1.1") == 0)
        h->http11 = true;
    else if (strcmp(ver, "HTTP/1.0") != 0)
        return "only HTTP/1.0 and HTTP/1.1 are spoken here";
    memcpy(h->method, line, (size_t)(sp1 - line));
    h->method[sp1 - line] = '\0';
    memcpy(h->target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    h->target[sp2 - sp1 - 1] = '\0';
    if (h->target[0] != '/')
        return "the request target must be a path (origin form, '/...')";
    u = evhttp_uri_parse_with_flags(h->target, EVHTTP_URI_NONCONFORMANT);
    if (!u)
        return "the request target is not a valid URI path";
    evhttp_uri_free(u);
    h->m = method_bit(h->method);
    return NULL;
}

/* Is the caller allowed in at all?  (TCP only; see rest.c.) */
static bool authenticated(struct conn *c, const char *auth)
{
    if (c->tr == TR_UNIX)
        return true;
    if (c->tr == TR_TLS &&
        tls_peer_verified(bufferevent_openssl_get_ssl(c->under), NULL, 0))
        return true;
    return auth_check_bearer(c->a->auth, auth, NULL, 0) >= 0;
}

/* A method evhttp does not take: 405 (with Allow) or 404, as rest.c. */
static void reject_method(struct conn *c, struct evbuffer *dst,
                          const struct head *h)
{
    char path[sizeof(h->target)], allow[96];
    struct route_match m;

    snprintf(path, sizeof(path), "%.*s", (int)strcspn(h->target, "?#"),
             h->target);
    route_match(0, path, &m);
    if (m.allowed) {
        route_allow_header(m.allowed, allow, sizeof(allow));
        reject(c, dst, 405, "method_not_allowed", "%s is not allowed on %s "
               "(allowed: %s)", h->method, path, allow);
        reject_header(c, "Allow", allow);
    } else if (m.status == 400) {
        reject(c, dst, 400, "bad_path", "malformed escape in the path");
    } else {
        reject(c, dst, 404, "not_found", "no such resource: %s", path);
    }
}

/*
 * A whole head is the first `end` bytes of held: check it, decide who is
 * asking, and set up reading the body.  false when refused.
 */
static bool head_done(struct conn *c, struct evbuffer *dst, size_t end)
{
    char *buf = malloc(end + 1), *p, *line;
    struct head h = { .m = 0 };
    const char *why;
    size_t len;
    bool ok = false;

    if (!buf) {
        reject(c, dst, 500, "out_of_memory", "out of memory");
        return false;
    }
    evbuffer_copyout(c->held, buf, end);
    buf[end] = '\0';
    p = buf;
    line = next_line(&p, buf + end, &len);
    if ((why = request_line(line, len, &h)) ||
        (why = header_lines(p, buf + end, &h))) {
        reject(c, dst, 400, "bad_request", "malformed request: %s", why);
        goto out;
    }
    if (h.has_length && h.chunked) {
        reject(c, dst, 400, "bad_request", "malformed request: both "
               "Content-Length and Transfer-Encoding");
        goto out;
    }
    if (!authenticated(c, h.auth)) {
        reject(c, dst, 401, "unauthorized", h.auth
               ? "the bearer token is not valid (unknown or revoked)"
               : "authentication required: a client certificate or "
                 "'Authorization: Bearer <token>'");
        reject_header(c, "WWW-Authenticate", "Bearer realm=\"hvctld\"");
        goto out;
    }
    if (!h.m) {
        reject_method(c, dst, &h);
        goto out;
    }
    if ((h.m == M_HEAD || h.m == M_TRACE) &&
        (h.chunked || (h.has_length && h.length))) {
        reject(c, dst, 400, "bad_request", "malformed request: a %s request "
               "has no body", h.method);
        goto out;
    }
    if (h.has_length && h.length > REST_BODY_MAX) {
        reject(c, dst, 413, "body_too_large", "the request body is %" PRIu64
               " bytes, more than the limit of %d", h.length, REST_BODY_MAX);
        goto out;
    }
    if (h.http11 && h.expect && strcasecmp(h.expect, "100-continue") != 0) {
        reject(c, dst, 417, "expectation_failed", "Expect: only "
               "100-continue is understood");
        goto out;
    }
    c->head_bytes = end;
    c->pos = end;
    c->body = 0;
    c->left = h.has_length ? h.length : 0;
    c->st = h.chunked ? S_CHUNK_SIZE : S_BODY;
    /* The client waits for this before its body; evhttp would send it
     * only once it has the headers, which it gets with the body. */
    if (h.expect && h.http11 && (h.chunked || c->left) &&
        evbuffer_get_length(bufferevent_get_output(c->bev)) == 0 &&
        evbuffer_get_length(bufferevent_get_output(c->under)) == 0)
        bufferevent_write(c->under, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    ok = true;
out:
    free(buf);
    return ok;
}

/* ---- reading requests ---- */

/* Offset just past the next line at or after from, or -1 if none yet. */
static ssize_t line_end(struct evbuffer *b, size_t from)
{
    struct evbuffer_ptr at;

    if (evbuffer_ptr_set(b, &at, from, EVBUFFER_PTR_SET) < 0)
        return -1;
    at = evbuffer_search(b, "\n", 1, &at);
    return at.pos < 0 ? -1 : (ssize_t)at.pos + 1;
}

/* Is [start, end) of b an empty line ("\n" or "\r\n")? */
static bool is_blank_line(struct evbuffer *b, size_t start, size_t end)
{
    struct evbuffer_ptr sp;
    char two[2];

    if (end - start > 2 || evbuffer_ptr_set(b, &sp, start, EVBUFFER_PTR_SET))
        return false;
    evbuffer_copyout_from(b, &sp, two, end - start);
    return end - start == 1 || two[0] == '\r';
}

/*
 * Parse what held has; move each whole request to dst.  Returns when more
 * bytes are needed or the connection was refused.
 */
static void parse(struct conn *c, struct evbuffer *dst)
{
    for (;;) {
        size_t have = evbuffer_get_length(c->held);
        ssize_t e;

        switch (c->st) {
        case S_REJECTED:
            return;
        case S_HEAD: {
            /* Blank lines before a request are allowed (RFC 9112 2.2). */
            unsigned char ch;
            while (c->pos == 0 && have &&
                   evbuffer_copyout(c->held, &ch, 1) == 1 &&
                   (ch == '\r' || ch == '\n')) {
                evbuffer_drain(c->held, 1);
                have--;
            }
            while ((e = line_end(c->held, c->pos)) >= 0) {
                bool blank = is_blank_line(c->held, c->pos, (size_t)e);
                c->pos = (size_t)e;
                if (blank || c->pos > FRONT_HEAD_MAX)
                    break;
            }
            if (c->pos > FRONT_HEAD_MAX ||
                (e < 0 && have > FRONT_HEAD_MAX)) {
                reject(c, dst, 431, "headers_too_large", "the request "
                       "head is over the limit of %d bytes", FRONT_HEAD_MAX);
                return;
            }
            if (e < 0)
                return;
            if (!head_done(c, dst, c->pos))
                return;
            break;
        }
        case S_BODY:
            if (have - c->pos < c->left)
                return;
            c->pos += c->left;
            goto whole;
        case S_CHUNK_SIZE: {
            char line[CHUNK_LINE_MAX + 1];
            struct evbuffer_ptr sp;
            size_t n, digits;
            uint64_t size = 0;

            e = line_end(c->held, c->pos);
            if (e < 0 ? have - c->pos > CHUNK_LINE_MAX
                      : (size_t)e - c->pos > CHUNK_LINE_MAX) {
                reject(c, dst, 400, "bad_request", "malformed request: a "
                       "chunk size line is too long");
                return;
            }
            if (e < 0)
                return;
            n = (size_t)e - c->pos;
            evbuffer_ptr_set(c->held, &sp, c->pos, EVBUFFER_PTR_SET);
            evbuffer_copyout_from(c->held, &sp, line, n);
            n--;                                /* the \n */
            if (n && line[n - 1] == '\r')
                n--;
            line[n] = '\0';
            for (digits = 0; isxdigit((unsigned char)line[digits]); digits++)
                size = size << 4 | (uint64_t)(isdigit((unsigned char)
                    line[digits]) ? line[digits] - '0'
                    : (tolower((unsigned char)line[digits]) - 'a' + 10));
            if (digits == 0 || digits > 15 || digits != n) {
                reject(c, dst, 400, "bad_request", "malformed request: "
                       "'%.32s' is not a chunk size", line);
                return;
            }
            if (c->body + size > REST_BODY_MAX) {
                reject(c, dst, 413, "body_too_large", "the request body is "
                       "more than the limit of %d bytes", REST_BODY_MAX);
                return;
            }
            c->pos = (size_t)e;
            c->body += size;
            c->left = size;
            c->st = size ? S_CHUNK_DATA : S_TRAILER;
            break;
        }
        case S_CHUNK_DATA: {
            char crlf[2];
            struct evbuffer_ptr sp;
            size_t need = c->left + 2;

            if (have - c->pos < c->left + 1)
                return;
            evbuffer_ptr_set(c->held, &sp, c->pos + c->left,
                             EVBUFFER_PTR_SET);
            evbuffer_copyout_from(c->held, &sp, crlf,
                                  have - c->pos >= need ? 2 : 1);
            if (crlf[0] == '\n') {
                need = c->left + 1;
            } else if (crlf[0] != '\r') {
                reject(c, dst, 400, "bad_request", "malformed request: chunk "
                       "data does not end where its size says");
                return;
            } else if (have - c->pos < need) {
                return;
            } else if (crlf[1] != '\n') {
                reject(c, dst, 400, "bad_request", "malformed request: chunk "
                       "data does not end where its size says");
                return;
            }
            c->pos += need;
            c->st = S_CHUNK_SIZE;
            break;
        }
        case S_TRAILER: {
            /* Trailer fields: checked like headers, within the head limit. */
            size_t start = c->pos, tend;
            char *buf;
            const char *why;

            while ((e = line_end(c->held, c->pos)) >= 0) {
                bool blank = is_blank_line(c->held, c->pos, (size_t)e);
                c->pos = (size_t)e;
                if (blank || c->head_bytes + c->pos - start > FRONT_HEAD_MAX)
                    break;
            }
            if (c->head_bytes + c->pos - start > FRONT_HEAD_MAX ||
                (e < 0 && c->head_bytes + have - start > FRONT_HEAD_MAX)) {
                reject(c, dst, 431, "headers_too_large", "the request "
                       "head is over the limit of %d bytes", FRONT_HEAD_MAX);
                return;
            }
            if (e < 0) {
                c->pos = start;
                return;
            }
            tend = c->pos;
            buf = malloc(tend - start + 1);
            if (!buf) {
                reject(c, dst, 500, "out_of_memory", "out of memory");
                return;
            }
            {
                struct evbuffer_ptr sp;
                evbuffer_ptr_set(c->held, &sp, start, EVBUFFER_PTR_SET);
                evbuffer_copyout_from(c->held, &sp, buf, tend - start);
            }
            buf[tend - start] = '\0';
            why = header_lines(buf, buf + (tend - start), NULL);
            free(buf);
            if (why) {
                reject(c, dst, 400, "bad_request", "malformed request: %s",
                       why);
                return;
            }
            goto whole;
        }
        }
        continue;
whole:
        evbuffer_remove_buffer(c->held, dst, c->pos);
        c->forwarded++;
        c->pos = 0;
        c->st = S_HEAD;
    }
}

static enum bufferevent_filter_result
on_input(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim,
         enum bufferevent_flush_mode mode, void *arg)
{
    struct conn *c = arg;
    size_t before = evbuffer_get_length(dst);

    (void)lim;
    (void)mode;
    if (c->st == S_REJECTED) {
        evbuffer_drain(src, evbuffer_get_length(src));
        return BEV_NEED_MORE;
    }
    evbuffer_remove_buffer(src, c->held, evbuffer_get_length(src));
    parse(c, dst);
    if (c->st == S_REJECTED)
        evbuffer_drain(src, evbuffer_get_length(src));
    /* Only a whole request counts as progress: a head or a body sent a
     * byte at a time still meets --http-timeout. */
    return evbuffer_get_length(dst) > before ? BEV_OK : BEV_NEED_MORE;
}

/* ---- answers ---- */

/*
 * evhttp closes a connection as soon as its writecb says the answer is
 * out; a filter would say so once the bytes reach the socket's buffer,
 * and the close would drop them.  So the filter moves answers without
 * telling (BEV_NEED_MORE), and on_sent() tells evhttp when the socket's
 * buffer is empty: the answer is with the kernel.
 */
static enum bufferevent_filter_result
on_output(struct evbuffer *src, struct evbuffer *dst, ev_ssize_t lim,
          enum bufferevent_flush_mode mode, void *arg)
{
    size_t n = evbuffer_get_length(src);

    (void)mode;
    (void)arg;
    if (lim >= 0 && (size_t)lim < n)
        n = (size_t)lim;
    evbuffer_remove_buffer(src, dst, n);
    return BEV_NEED_MORE;
}

static void on_sent(struct evbuffer *buf, const struct evbuffer_cb_info *info,
                    void *arg)
{
    struct conn *c = arg;

    if (!info->n_deleted || !(bufferevent_get_enabled(c->bev) & EV_WRITE))
        return;
    if (evbuffer_get_length(buf) == 0 &&
        evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
        /* All out: the write timeout stops, as a socket's would (an
         * event stream waits between events), and evhttp hears of it. */
        bufferevent_disable(c->bev, EV_WRITE);
        bufferevent_trigger(c->bev, EV_WRITE, BEV_TRIG_DEFER_CALLBACKS);
    } else {
        bufferevent_enable(c->bev, EV_WRITE);   /* progress: timeout anew */
    }
}

/*
 * evhttp queues an answer and only then enables writing, and enabling a
 * filter moves nothing: so each answer queued asks, for the next turn of
 * the loop, the socket to say it may take more (be_filter_writecb).
 */
static void on_queued(struct evbuffer *buf,
                      const struct evbuffer_cb_info *info, void *arg)
{
    struct conn *c = arg;

    (void)buf;
    if (info->n_added)
        bufferevent_trigger(c->under, EV_WRITE, BEV_TRIG_IGNORE_WATERMARKS |
                            BEV_TRIG_DEFER_CALLBACKS);
}

/* ---- after a refusal: drain, then close ---- */

struct lingerer {
    int fd;
    struct event *ev;
};

static void on_linger(evutil_socket_t fd, short what, void *arg)
{
    struct lingerer *l = arg;
    char buf[16384];
    ssize_t n = 0;

    if (what & EV_READ) {
        n = read(fd, buf, sizeof(buf));
        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
            return;
    }
    event_free(l->ev);
    close(l->fd);
    free(l);
    nlinger--;
}

static void linger_start(struct event_base *base, int fd)
{
    struct timeval tv = { LINGER_S, 0 };
    struct lingerer *l;
    int lfd;

    if (fd < 0 || nlinger >= LINGER_MAX)
        return;
    lfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (lfd < 0)
        return;
    l = calloc(1, sizeof(*l));
    if (!l || !(l->ev = event_new(base, lfd, EV_READ | EV_PERSIST, on_linger,
                                  l)) || event_add(l->ev, &tv) < 0) {
        if (l && l->ev)
            event_free(l->ev);
        free(l);
        close(lfd);
        return;
    }
    shutdown(lfd, SHUT_WR);
    l->fd = lfd;
    nlinger++;
}

static void conn_free(void *arg)
{
    struct conn *c = arg;

    if (c->reject_seq)
        linger_start(c->a->base, bufferevent_getfd(c->under));
    LIST_REMOVE(c, link);
    nconns--;
    evbuffer_free(c->held);
    free(c);
}

/* ---- connections ---- */

struct bufferevent *front_new_conn(struct agent *a, enum transport tr,
                                   void *ssl_ctx, struct event_base *base)
{
    struct conn *c = calloc(1, sizeof(*c));
    SSL *ssl = NULL;

    if (!c)
        return NULL;
    c->a = a;
    c->tr = tr;
    c->held = evbuffer_new();
    if (!c->held)
        goto fail;
    if (tr == TR_TLS) {
        if (!(ssl = SSL_new(ssl_ctx)))
            goto fail;
        c->under = bufferevent_openssl_socket_new(base, -1, ssl,
                                                  BUFFEREVENT_SSL_ACCEPTING,
                                                  BEV_OPT_CLOSE_ON_FREE);
    } else {
        c->under = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    }
    if (!c->under)
        goto fail;
    ssl = NULL;
    bufferevent_setwatermark(c->under, EV_WRITE, 0, UNDER_WRITE_HIGH);
    c->bev = bufferevent_filter_new(c->under, on_input, on_output,
                                    BEV_OPT_CLOSE_ON_FREE, conn_free, c);
    if (!c->bev)
        goto fail;
    LIST_INSERT_HEAD(&conns, c, link);
    nconns++;
    if (!evbuffer_add_cb(bufferevent_get_output(c->under), on_sent, c) ||
        !evbuffer_add_cb(bufferevent_get_output(c->bev), on_queued, c)) {
        bufferevent_free(c->bev);       /* conn_free() frees c */
        return NULL;
    }
    if (nconns > a->opts->max_connections) {
        /* evhttp reads the stand-in as soon as it takes the connection. */
        reject(c, bufferevent_get_input(c->bev), 503, "too_many_connections",
               "%u connections are open already (--max-connections)",
               a->opts->max_connections);
    }
    return c->bev;
fail:
    if (c->under)
        bufferevent_free(c->under);
    SSL_free(ssl);
    evbuffer_free(c->held);
    free(c);
    return NULL;
}

static struct conn *conn_of(struct evhttp_request *req)
{
    struct evhttp_connection *ec = evhttp_request_get_connection(req);
    struct bufferevent *bev = ec ? evhttp_connection_get_bufferevent(ec)
                                 : NULL;
    struct conn *c;

    LIST_FOREACH(c, &conns, link)
        if (c->bev == bev)
            return c;
    return NULL;
}

bool front_take_reject(struct evhttp_request *req, struct front_reject *rej)
{
    struct conn *c = conn_of(req);

    if (!c)
        return false;
    if (++c->dispatched != c->reject_seq)
        return false;
    *rej = c->rej;
    return true;
}

struct bufferevent *front_tls_bev(struct evhttp_request *req)
{
    struct conn *c = conn_of(req);

    return c && c->tr == TR_TLS ? c->under : NULL;
}
