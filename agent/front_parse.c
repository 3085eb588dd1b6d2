/*
 * front_parse.c - reading requests for front.c: the request line, the
 * headers (and from them who is asking), the body by Content-Length or
 * chunks.  The rules are RFC 9112's, and never looser than what evhttp
 * 2.1 accepts, so that evhttp never meets a request it would refuse
 * itself.  A whole, valid request is moved to evhttp in one piece.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>

#include "agent.h"
#include "auth.h"
#include "front_int.h"
#include "route.h"
#include "tls.h"

#define CHUNK_LINE_MAX 64

/* ---- the head ---- */

static bool is_tchar(int ch)
{
    return isalnum(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

struct head {
    char method[16];
    unsigned m;                 /* M_* bit, 0 for one evhttp cannot take */
    char target[2048];          /* the message below says 2047 */
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
            /* evhttp would act on the first, we would judge the last. */
            if (h->expect)
                return "Expect is given twice";
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
        (size_t)(sp1 - line) >= sizeof(h->method))
        return "the request line is not 'METHOD /path HTTP/1.1'";
    if ((size_t)(sp2 - sp1 - 1) >= sizeof(h->target))
        return "the request target is longer than 2047 bytes";
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
        front_reject(c, dst, 405, "method_not_allowed", "%s is not allowed "
                     "on %s (allowed: %s)", h->method, path, allow);
        front_reject_header(c, "Allow", allow);
    } else if (m.status == 400) {
        front_reject(c, dst, 400, "bad_path", "malformed escape in the path");
    } else {
        front_reject(c, dst, 404, "not_found", "no such resource: %s", path);
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
        front_reject(c, dst, 500, "out_of_memory", "out of memory");
        return false;
    }
    evbuffer_copyout(c->held, buf, end);
    buf[end] = '\0';
    p = buf;
    line = next_line(&p, buf + end, &len);
    why = request_line(line, len, &h);
    c->head = h.m == M_HEAD;
    if (why || (why = header_lines(p, buf + end, &h))) {
        front_reject(c, dst, 400, "bad_request", "malformed request: %s", why);
        goto out;
    }
    if (h.has_length && h.chunked) {
        front_reject(c, dst, 400, "bad_request", "malformed request: both "
                     "Content-Length and Transfer-Encoding");
        goto out;
    }
    if (!authenticated(c, h.auth)) {
        front_reject(c, dst, 401, "unauthorized", h.auth
                     ? "the bearer token is not valid (unknown or revoked)"
                     : "authentication required: a client certificate or "
                     "'Authorization: Bearer <token>'");
        front_reject_header(c, "WWW-Authenticate", "Bearer realm=\"hvctld\"");
        goto out;
    }
    if (!h.m) {
        reject_method(c, dst, &h);
        goto out;
    }
    if ((h.m == M_HEAD || h.m == M_TRACE) &&
        (h.chunked || (h.has_length && h.length))) {
        front_reject(c, dst, 400, "bad_request", "malformed request: a %s "
                     "request has no body", h.method);
        goto out;
    }
    if (h.has_length && h.length > REST_BODY_MAX) {
        front_reject(c, dst, 413, "body_too_large", "the request body is "
                     "%" PRIu64 " bytes, more than the limit of %d", h.length,
                     REST_BODY_MAX);
        goto out;
    }
    if (h.http11 && h.expect && strcasecmp(h.expect, "100-continue") != 0) {
        front_reject(c, dst, 417, "expectation_failed", "Expect: only "
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

static void bad(struct conn *c, struct evbuffer *dst, const char *why)
{
    front_reject(c, dst, 400, "bad_request", "malformed request: %s", why);
}

static void head_too_large(struct conn *c, struct evbuffer *dst)
{
    front_reject(c, dst, 431, "headers_too_large", "the request head is "
                 "over the limit of %d bytes", FRONT_HEAD_MAX);
}

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
 * End of the next line from c->pos, or -1.  Bytes already searched in
 * vain are not searched again, so a head sent a byte at a time costs
 * linear time, not quadratic.
 */
static ssize_t next_line_end(struct conn *c)
{
    ssize_t e = line_end(c->held, c->scan > c->pos ? c->scan : c->pos);

    if (e < 0)
        c->scan = evbuffer_get_length(c->held);
    return e;
}

void front_parse(struct conn *c, struct evbuffer *dst)
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
                c->scan = 0;
            }
            while ((e = next_line_end(c)) >= 0) {
                bool blank = is_blank_line(c->held, c->pos, (size_t)e);
                c->pos = (size_t)e;
                if (blank || c->pos > FRONT_HEAD_MAX)
                    break;
            }
            if (c->pos > FRONT_HEAD_MAX ||
                (e < 0 && have > FRONT_HEAD_MAX)) {
                head_too_large(c, dst);
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
                bad(c, dst, "a chunk size line is too long");
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
                front_reject(c, dst, 400, "bad_request", "malformed request: "
                             "'%.32s' is not a chunk size", line);
                return;
            }
            if (c->body + size > REST_BODY_MAX) {
                front_reject(c, dst, 413, "body_too_large", "the request body "
                             "is more than the limit of %d bytes",
                             REST_BODY_MAX);
                return;
            }
            c->pos = (size_t)e;
            c->body += size;
            c->left = size;
            c->tstart = c->pos;
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
                bad(c, dst, "chunk data does not end where its size says");
                return;
            } else if (have - c->pos < need) {
                return;
            } else if (crlf[1] != '\n') {
                bad(c, dst, "chunk data does not end where its size says");
                return;
            }
            c->pos += need;
            c->st = S_CHUNK_SIZE;
            break;
        }
        case S_TRAILER: {
            /* Trailer fields: checked like headers, within the head limit. */
            size_t start = c->tstart, tend;
            char *buf;
            const char *why;

            while ((e = next_line_end(c)) >= 0) {
                bool blank = is_blank_line(c->held, c->pos, (size_t)e);
                c->pos = (size_t)e;
                if (blank || c->head_bytes + c->pos - start > FRONT_HEAD_MAX)
                    break;
            }
            if (c->head_bytes + c->pos - start > FRONT_HEAD_MAX ||
                (e < 0 && c->head_bytes + have - start > FRONT_HEAD_MAX)) {
                head_too_large(c, dst);
                return;
            }
            if (e < 0)
                return;
            tend = c->pos;
            buf = malloc(tend - start + 1);
            if (!buf) {
                front_reject(c, dst, 500, "out_of_memory", "out of memory");
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
                bad(c, dst, why);
                return;
            }
            goto whole;
        }
        }
        continue;
whole:
        evbuffer_remove_buffer(c->held, dst, c->pos);
        c->forwarded++;
        c->pos = c->scan = 0;
        c->st = S_HEAD;
    }
}
