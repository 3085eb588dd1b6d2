/*
 * fuzz_agent_http.c - libFuzzer harness for libhvctl's HTTP/1.1 client
 * over the agent's Unix socket (libctl/agent_unix.c): status lines,
 * headers, Content-Length and chunked bodies, a kept connection found
 * closed and replaced, and event streams read without blocking, with and
 * without waiting for their head.  (Reusing a kept connection is
 * fuzz_agent_json's: its answers are framed, so the peer can keep one.)
 *
 * The input is what the agent answers, one part per request, between
 * lines "%%" (agent_peer.h): each is written as it is and the
 * connection then shut for writing, so a short answer ends in
 * end-of-file.  The client makes a fixed round of calls through the
 * transport's table (ht_unix): a GET, a POST with a body, an event
 * stream (head awaited) read to its end, a DELETE, a stream opened
 * without waiting, and a last GET.
 *
 * Checked besides crashes, leaks, sanitizer errors and hangs: a failure
 * has a one-line message; an answer's status is a final one (200-999)
 * and its body is NUL-terminated at its length; a stream gives no more
 * than was asked; what libhvctl sends is well-formed HTTP.
 */
#include <sys/types.h>
#include <stdint.h>
#include <string.h>

#include "agent_peer.h"
#include "fuzz_check.h"
#include "http_transport.h"

#define ANSWERS_MAX 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct script {
    struct section s[ANSWERS_MAX];
    size_t n, next;
};

static bool answer(void *ctx, const char *head, const char **out,
                   size_t *len, bool *keep)
{
    struct script *sc = ctx;

    (void)head;
    if (sc->next == sc->n)
        return false;
    *out = sc->s[sc->next].p;
    *len = sc->s[sc->next++].n;
    *keep = false;
    return true;
}

static void check_response(const struct ht_response *r)
{
    FUZZ_CHECK(r->status >= 200 && r->status <= 999, "status %ld",
               r->status);
    FUZZ_CHECK(!r->body || r->body[r->len] == '\0', "body not terminated");
    FUZZ_CHECK(r->body || r->len == 0, "a length without a body");
}

static void request(struct peer *p, struct ht_conn *c, const char *method,
                    const char *body)
{
    struct ht_request q = {
        .method = method, .path = "/v1/domains", .body = body,
        .len = body ? strlen(body) : 0, .timeout_ms = 30000,
    };
    struct ht_response r;
    char err[HT_ERR_MAX] = "";

    if (ht_unix.request(c, &q, &r, err) == 0)
        check_response(&r);
    else
        peer_check_message("request", err);
    ht_response_free(&r);
    peer_settle(p);
}

/* Read a stream to its end; nothing may keep it going for 30 s. */
static void drain(struct ht_stream *st)
{
    char buf[1024], err[HT_ERR_MAX];

    for (;;) {
        ssize_t n;

        err[0] = '\0';
        n = ht_unix.stream_read(st, buf, sizeof(buf), err);
        FUZZ_CHECK(n <= (ssize_t)sizeof(buf), "read %zd of %zu", n,
                   sizeof(buf));
        if (n < 0) {
            peer_check_message("stream_read", err);
            return;
        }
        if (n == 0)
            peer_wait_readable(ht_unix.stream_fd(st), "a stream that the "
                               "agent ended said nothing for 30 s");
    }
}

static void stream(struct peer *p, struct ht_conn *c, int timeout_ms)
{
    struct ht_request q = {
        .method = "GET", .path = "/v1/events", .last_event_id = "41",
        .timeout_ms = timeout_ms,
    };
    struct ht_stream *st = NULL;
    struct ht_response r = { 0 };
    char err[HT_ERR_MAX] = "";

    if (ht_unix.stream_open(c, &q, &st, &r, err)) {
        FUZZ_CHECK(!st, "a failed stream_open gave a stream");
        peer_check_message("stream_open", err);
    } else if (st) {
        drain(st);
        ht_unix.stream_close(st);
    } else {
        check_response(&r);
        FUZZ_CHECK(r.status != 200, "a 200 without a stream");
    }
    ht_response_free(&r);
    peer_settle(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct script sc = { .n = peer_sections(data, size, sc.s, ANSWERS_MAX) };
    struct peer *p = peer_start(answer, &sc);
    struct ht_params params = { .socket = peer_path(p) };
    struct ht_conn *c = NULL;
    char err[HT_ERR_MAX] = "";

    FUZZ_CHECK(ht_unix.open(&params, &c, err) == 0, "open: %s", err);
    request(p, c, "GET", NULL);
    request(p, c, "POST", "{\"name\": \"web\"}");
    stream(p, c, 30000);
    request(p, c, "DELETE", NULL);
    stream(p, c, 0);
    request(p, c, "GET", NULL);
    ht_unix.close(c);
    peer_stop(p);
    return 0;
}
