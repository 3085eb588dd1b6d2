/*
 * fuzz_http.c - libFuzzer harness for what hvctld reads off a connection:
 * bytes from a client through the real listeners, agent/front.c and
 * front_parse.c (request line, headers, who is asking, Content-Length and
 * chunked bodies, limits), evhttp, and rest_dispatch() with its handlers.
 *
 * The input is what one client sends on one connection, to the Unix
 * socket; a first line "@tcp" sends it to the loopback TCP listener
 * instead (where credentials are asked for), and "@unix N" / "@tcp N"
 * sends it N bytes at a time, each read by the agent before the next.
 * The client then half-closes and reads until the agent closes.  The
 * agent is fuzz_agent.c's (tokens in http.dict) and is reset after each
 * input.  Checked besides crashes, leaks and sanitizer errors: the agent
 * closes a connection whose client has sent everything; what it sends
 * back is a sequence of HTTP responses, each with a status the API
 * documents (never 500) and, for every error, the JSON
 * {"error":{"code":...,"message":...}}.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "fuzz_agent.h"
#include "fuzz_check.h"

#define REPLY_MAX (4 * 1024 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int connect_to(bool tcp)
{
    int fd;

    if (tcp) {
        struct sockaddr_in sa = { .sin_family = AF_INET };
        sa.sin_port = htons((uint16_t)fuzz_agent_tcp_port());
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        FUZZ_CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa,
                                      sizeof(sa)) == 0,
                   "connect: %s", strerror(errno));
    } else {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fuzz_agent_socket());
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        FUZZ_CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sa,
                                      sizeof(sa)) == 0,
                   "connect: %s", strerror(errno));
    }
    return fd;
}

struct reply {
    char *s;
    size_t len;
    bool eof, stream;
};

/* Take what the agent sent so far, without waiting. */
static void take(int fd, struct reply *r)
{
    char buf[65536];
    ssize_t n;

    while (!r->eof && (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) != 0) {
        if (n < 0) {
            FUZZ_CHECK(errno == EAGAIN || errno == EINTR, "recv: %s",
                       strerror(errno));
            return;
        }
        FUZZ_CHECK(r->len + (size_t)n <= REPLY_MAX, "more than %d bytes "
                   "of answers", REPLY_MAX);
        memcpy(r->s + r->len, buf, (size_t)n);
        r->len += (size_t)n;
        r->s[r->len] = '\0';
    }
    if (n == 0)
        r->eof = true;
    /* An event stream does not end: seeing it answered is enough. */
    r->stream = strcasestr(r->s, "text/event-stream") != NULL;
}

/* What hvctld(8) and schema/openapi.yaml say it answers (500 is a bug). */
static bool documented(int status)
{
    static const int ok[] = { 100, 200, 201, 202, 204, 400, 401, 403, 404,
                              405, 406, 409, 413, 415, 417, 431, 502, 503,
                              504 };

    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (status == ok[i])
            return true;
    return false;
}

static const char *header(const char *head, size_t len, const char *name,
                          size_t *vlen)
{
    size_t n = strlen(name);

    for (const char *p = head; p < head + len;) {
        const char *eol = memchr(p, '\n', (size_t)(head + len - p));
        if (!eol)
            break;
        if ((size_t)(eol - p) > n + 1 && strncasecmp(p, name, n) == 0 &&
            p[n] == ':') {
            const char *v = p + n + 1;
            while (*v == ' ')
                v++;
            *vlen = (size_t)(eol - v);
            if (*vlen && v[*vlen - 1] == '\r')
                (*vlen)--;
            return v;
        }
        p = eol + 1;
    }
    return NULL;
}

static bool at_response(const char *p, const char *end)
{
    return p == end ||
           ((size_t)(end - p) >= 7 && strncmp(p, "HTTP/1.", 7) == 0);
}

/* Every byte the agent sent must be responses the API documents. */
static void check_replies(const struct reply *r)
{
    const char *p = r->s, *end = r->s + r->len;

    while (p < end) {
        const char *head = p, *head_end = strstr(p, "\r\n\r\n"), *v;
        size_t head_len, vlen = 0, body_len = 0;
        int status;

        FUZZ_CHECK(head_end, "an answer without a whole head:\n%s", p);
        head_len = (size_t)(head_end - head) + 2;
        FUZZ_CHECK(sscanf(head, "HTTP/1.%*[01] %3d ", &status) == 1,
                   "not an HTTP response:\n%s", head);
        FUZZ_CHECK(status != 500, "500:\n%s", head);
        FUZZ_CHECK(documented(status), "status %d:\n%s", status, head);
        if (header(head, head_len, "Transfer-Encoding", &vlen))
            return;                     /* the event stream: not read */
        p = head_end + 4;
        if ((v = header(head, head_len, "Content-Length", &vlen)))
            body_len = strtoul(v, NULL, 10);
        else if (status >= 200 && status != 204)
            body_len = (size_t)(end - p);   /* HTTP/1.0: up to the close */
        /* The answer to a HEAD says how long the body would be, and has
         * none: what follows is the next answer.  A body never starts
         * like one (JSON, or the metrics' text), so that tells them
         * apart; looking where the claimed body would end does not,
         * since that can fall on an answer too (found by fuzz_http). */
        if (at_response(p, end))
            body_len = 0;
        FUZZ_CHECK(body_len <= (size_t)(end - p), "a body cut short:\n%s",
                   head);
        if (status >= 400) {
            const char *ct = header(head, head_len, "Content-Type", &vlen);
            char *body = strndup(p, body_len);
            json_object *o = body ? json_tokener_parse(body) : NULL, *e, *c;

            FUZZ_CHECK(ct && strncmp(ct, "application/json", 16) == 0,
                       "%d not as JSON:\n%s", status, head);
            FUZZ_CHECK(body_len == 0 ||
                       (json_object_object_get_ex(o, "error", &e) &&
                        json_object_object_get_ex(e, "code", &c) &&
                        json_object_object_get_ex(e, "message", NULL) &&
                        json_object_get_string_len(c) > 0),
                       "%d without the error object:\n%s", status, body);
            json_object_put(o);
            free(body);
        }
        p += body_len;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct agent *a = fuzz_agent();
    const char *p = (const char *)data, *end = p + size;
    struct reply r = { .s = malloc(REPLY_MAX + 1) };
    size_t step = 0;
    bool tcp = false, closed = false;
    int fd;

    FUZZ_CHECK(r.s, "out of memory");
    r.s[0] = '\0';
    if (size && *p == '@') {
        const char *eol = memchr(p, '\n', size);
        char opt[32] = "";

        if (!eol || (size_t)(eol - p) >= sizeof(opt)) {
            free(r.s);
            return 0;
        }
        memcpy(opt, p + 1, (size_t)(eol - p - 1));
        tcp = strncmp(opt, "tcp", 3) == 0;
        step = strtoul(opt + (tcp ? 3 : 4 * (strncmp(opt, "unix", 4) == 0)),
                       NULL, 10);
        p = eol + 1;
    }
    fd = connect_to(tcp);
    while (!r.eof && !r.stream) {
        if (p < end) {
            size_t n = step && step < (size_t)(end - p) ? step
                                                        : (size_t)(end - p);
            ssize_t w = send(fd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (w > 0)
                p += w;
            else
                FUZZ_CHECK(errno == EAGAIN || errno == EPIPE ||
                           errno == ECONNRESET, "send: %s", strerror(errno));
            if (w < 0 && errno != EAGAIN)
                p = end;                /* the agent closed: fine */
        }
        if (p == end && !closed) {
            shutdown(fd, SHUT_WR);
            closed = true;
        }
        take(fd, &r);
        if (r.eof || r.stream)
            break;
        /* The agent runs until something happens: our bytes, a worker's
         * answer, a timer.  A connection left open forever is found by
         * libFuzzer's -timeout. */
        event_base_loop(a->base, EVLOOP_ONCE);
        take(fd, &r);
    }
    close(fd);
    check_replies(&r);
    free(r.s);
    fuzz_agent_reset();
    return 0;
}
