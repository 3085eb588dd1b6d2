/*
 * unit_agent_unix.c - libhvctl's HTTP/1.1 client over a Unix socket
 * (libctl/agent_unix.c) against a scripted server: answers written a
 * byte at a time (so heads, chunk sizes and bodies arrive split anywhere),
 * chunked and Content-Length bodies, one kept connection for several
 * requests, a kept connection the server closed in between (reconnect),
 * Connection: close, an event stream read without blocking, a stream
 * refused with an error, and answers that are not HTTP.
 *
 * hvctld's own answers are covered by test_agent_driver; this covers
 * the shapes of HTTP hvctld does not happen to send today.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "http_transport.h"
#include "hvctl.h"

/* What one accepted connection gets: an answer per request, then close. */
struct script {
    const char *answers[4];
    size_t lens[4];             /* an answer's length, if not strlen's */
    size_t step;                /* bytes per send (0: one at a time) */
    bool hold;                  /* keep the connection open at the end */
};

struct server {
    int lfd;
    char path[108];
    const struct script *conns;
    size_t nconns;
    pthread_t thread;
    int accepted;
    char requests[8][512];      /* the request heads, in order */
    int nreq;
    int held;                   /* a connection kept open, or -1 */
};

/* One request: its head (kept) and its Content-Length body (dropped). */
static bool read_request(struct server *s, int fd)
{
    char head[4096];
    size_t len = 0;
    long clen = 0;
    char *p;

    while (len < sizeof(head) - 1) {
        ssize_t n = read(fd, head + len, 1);
        if (n <= 0)
            return false;
        len++;
        head[len] = '\0';
        if (len >= 4 && !strcmp(head + len - 4, "\r\n\r\n"))
            break;
    }
    if ((p = strstr(head, "Content-Length: ")))
        clen = strtol(p + 16, NULL, 10);
    for (char c; clen > 0 && read(fd, &c, 1) == 1; clen--)
        ;
    if (s->nreq < 8) {
        snprintf(s->requests[s->nreq], sizeof(s->requests[0]), "%.511s", head);
        /* Read by a client polling for it (test_agent_text). */
        __atomic_add_fetch(&s->nreq, 1, __ATOMIC_RELEASE);
    }
    return true;
}

static void *serve(void *opaque)
{
    struct server *s = opaque;

    for (size_t i = 0; i < s->nconns; i++) {
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            return NULL;
        s->accepted++;
        for (size_t k = 0; k < 4 && s->conns[i].answers[k]; k++) {
            const char *a = s->conns[i].answers[k];
            size_t len = s->conns[i].lens[k] ? s->conns[i].lens[k]
                                             : strlen(a);
            size_t step = s->conns[i].step ? s->conns[i].step : 1;
            if (!read_request(s, fd))
                break;
            for (size_t j = 0; j < len; j += step) {
                size_t n = len - j < step ? len - j : step;
                if (send(fd, a + j, n, MSG_NOSIGNAL) != (ssize_t)n)
                    break;
            }
        }
        if (s->conns[i].hold)
            s->held = fd;
        else
            close(fd);
    }
    return NULL;
}

static void server_start(struct server *s, const struct script *conns,
                         size_t n)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char dir[] = "/tmp/hvctl-unit-unix-XXXXXX";

    memset(s, 0, sizeof(*s));
    s->held = -1;
    s->conns = conns;
    s->nconns = n;
    assert_non_null(mkdtemp(dir));
    snprintf(s->path, sizeof(s->path), "%s/s", dir);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", s->path);
    s->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(s->lfd >= 0);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(s->lfd, 8), 0);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
    char dir[108];

    pthread_join(s->thread, NULL);
    if (s->held >= 0)
        close(s->held);
    close(s->lfd);
    unlink(s->path);
    snprintf(dir, sizeof(dir), "%s", s->path);
    *strrchr(dir, '/') = '\0';
    rmdir(dir);
}

static struct ht_conn *client(struct server *s)
{
    struct ht_params p = { .socket = s->path };
    struct ht_conn *c = NULL;
    char err[HT_ERR_MAX] = "";

    if (ht_unix.open(&p, &c, err))
        fail_msg("open: %s", err);
    return c;
}

static void get(struct ht_conn *c, const char *path, long status,
                const char *body)
{
    struct ht_request q = { .method = "GET", .path = path,
                            .timeout_ms = 30000 };
    struct ht_response r;
    char err[HT_ERR_MAX] = "";

    if (ht_unix.request(c, &q, &r, err))
        fail_msg("GET %s: %s", path, err);
    assert_int_equal(r.status, status);
    assert_string_equal(r.body ? r.body : "", body);
    ht_response_free(&r);
}

#define CHUNKED "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"

static void test_bodies_on_one_connection(void **state)
{
    static const struct script conns[] = { { .answers = {
        CHUNKED "5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\n"
        "X-Trailer: 1\r\n\r\n",
        "HTTP/1.1 404 Not Found\r\nContent-Length: 8\r\n\r\n{\"e\":1}\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
        NULL } } };
    struct server s;
    struct ht_conn *c;
    struct ht_request q = { .method = "POST", .path = "/v1/domains",
                            .body = "{}", .len = 2, .timeout_ms = 30000 };
    struct ht_response r;
    char err[HT_ERR_MAX];

    (void)state;
    server_start(&s, conns, 1);
    c = client(&s);
    get(c, "/a", 200, "hello world!");
    get(c, "/b", 404, "{\"e\":1}\n");
    assert_int_equal(ht_unix.request(c, &q, &r, err), 0);
    assert_int_equal(r.status, 204);
    assert_null(r.body);
    ht_unix.close(c);
    server_stop(&s);
    /* Three requests, one connection. */
    assert_int_equal(s.accepted, 1);
    assert_int_equal(s.nreq, 3);
    assert_non_null(strstr(s.requests[0], "GET /a HTTP/1.1\r\n"));
    assert_non_null(strstr(s.requests[2], "POST /v1/domains HTTP/1.1\r\n"));
    assert_non_null(strstr(s.requests[2], "Content-Type: application/json"));
    assert_non_null(strstr(s.requests[2], "Content-Length: 2\r\n"));
}

static void test_reconnects(void **state)
{
    static const struct script conns[] = {
        /* The server drops the kept connection after one answer... */
        { .answers = { "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1", NULL } },
        /* ... and says it will close this one. */
        { .answers = { "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1"
            "\r\n\r\n2", NULL }, .hold = true },
        { .answers = { "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n3", NULL } },
    };
    struct server s;
    struct ht_conn *c;

    (void)state;
    server_start(&s, conns, 3);
    c = client(&s);
    get(c, "/1", 200, "1");
    get(c, "/2", 200, "2");
    get(c, "/3", 200, "3");
    ht_unix.close(c);
    server_stop(&s);
    assert_int_equal(s.accepted, 3);
    assert_int_equal(s.nreq, 3);
}

static void test_not_http(void **state)
{
    static const struct script conns[] = {
        { .answers = { "SSH-2.0-OpenSSH\r\n\r\n", NULL } },
        { .answers = { "HTTP/1.1 200 OK\r\n\r\nno length", NULL } },
        { .answers = { "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            NULL } },
        /* Bytes from the agent are quoted: one line, no escapes. */
        { .answers = { "\x1b[2J\aHTTP/2\r\n\r\n", NULL } },
    };
    static const char *const want[] = {
        "not an HTTP answer: 'SSH-2.0-OpenSSH'",
        "the agent's answer has no length",
        "the agent's answer has malformed chunks",
        "not an HTTP answer: '\\x1b[2J\\x07HTTP/2'",
    };
    struct ht_request q = { .method = "GET", .path = "/", .timeout_ms = 30000 };
    struct server s;
    struct ht_conn *c;
    struct ht_response r;
    char err[HT_ERR_MAX];

    (void)state;
    server_start(&s, conns, 4);
    c = client(&s);
    for (int i = 0; i < 4; i++) {
        err[0] = '\0';
        assert_int_equal(ht_unix.request(c, &q, &r, err), -1);
        assert_string_equal(err, want[i]);
    }
    ht_unix.close(c);
    server_stop(&s);
}

static char last_err[HT_ERR_MAX];

/* Read a stream until `want` bytes came (polling its fd) or it ended. */
static ssize_t stream_collect(struct ht_stream *st, char *buf, size_t want)
{
    size_t len = 0;
    char err[HT_ERR_MAX];

    while (len < want) {
        struct pollfd pf = { .fd = ht_unix.stream_fd(st), .events = POLLIN };
        ssize_t n = ht_unix.stream_read(st, buf + len, want - len, err);
        if (n < 0) {
            snprintf(last_err, sizeof(last_err), "%s", err);
            return len ? (ssize_t)len : -1;
        }
        len += (size_t)n;
        if (n == 0 && poll(&pf, 1, 30000) != 1)
            fail_msg("the stream said nothing for 30 s");
    }
    return (ssize_t)len;
}

static void test_streams(void **state)
{
    static const struct script conns[] = {
        { .answers = { NULL } },           /* what open connected: not used */
        { .answers = { CHUNKED "e\r\n: keep-alive\n\n\r\n"
            "15\r\nid: 7\ndata: {\"a\":1}\n\n\r\n", NULL }, .hold = true },
        { .answers = { "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 2\r\n\r\n{}",
            NULL } },
        { .answers = { CHUNKED "3\r\nend\r\n0\r\n\r\n", NULL } },
        /* Opened without waiting: the head comes through stream_read. */
        { .answers = { CHUNKED "2\r\nok\r\n", NULL }, .hold = true },
        { .answers = { "HTTP/1.1 503 Service Unavailable\r\n"
                       "Content-Length: 2\r\n\r\n{}", NULL } },
    };
    struct ht_request q = { .method = "GET", .path = "/v1/events",
                            .last_event_id = "6", .timeout_ms = 30000 };
    const char *want = ": keep-alive\n\nid: 7\ndata: {\"a\":1}\n\n";
    struct server s;
    struct ht_conn *c;
    struct ht_stream *st = NULL;
    struct ht_response r;
    char err[HT_ERR_MAX], buf[256] = "";

    (void)state;
    server_start(&s, conns, 6);
    c = client(&s);
    assert_int_equal(ht_unix.stream_open(c, &q, &st, &r, err), 0);
    assert_non_null(st);
    assert_int_equal(stream_collect(st, buf, strlen(want)),
                     (ssize_t)strlen(want));
    assert_string_equal(buf, want);
    /* Nothing more for now, and reading does not block. */
    assert_int_equal(ht_unix.stream_read(st, buf, sizeof(buf), err), 0);
    ht_unix.stream_close(st);
    assert_non_null(strstr(s.requests[0], "GET /v1/events HTTP/1.1\r\n"));
    assert_non_null(strstr(s.requests[0], "Accept: text/event-stream\r\n"));
    assert_non_null(strstr(s.requests[0], "Last-Event-ID: 6\r\n"));

    /* Refused: no stream, the answer instead. */
    st = NULL;
    assert_int_equal(ht_unix.stream_open(c, &q, &st, &r, err), 0);
    assert_null(st);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body, "{}");
    ht_response_free(&r);

    /* A stream the server ends. */
    assert_int_equal(ht_unix.stream_open(c, &q, &st, &r, err), 0);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(stream_collect(st, buf, 100), 3);
    assert_string_equal(buf, "end");
    err[0] = '\0';
    assert_int_equal(ht_unix.stream_read(st, buf, sizeof(buf), err), -1);
    assert_string_equal(err, "the agent ended the event stream");
    ht_unix.stream_close(st);

    q.timeout_ms = 0;
    assert_int_equal(ht_unix.stream_open(c, &q, &st, &r, err), 0);
    assert_non_null(st);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(stream_collect(st, buf, 2), 2);
    assert_string_equal(buf, "ok");
    ht_unix.stream_close(st);
    assert_int_equal(ht_unix.stream_open(c, &q, &st, &r, err), 0);
    assert_non_null(st);
    assert_int_equal(stream_collect(st, buf, 2), -1);
    assert_string_equal(last_err, "the agent answered HTTP 503");
    ht_unix.stream_close(st);

    ht_unix.close(c);
    server_stop(&s);
    assert_int_equal(s.accepted, 6);
}

/* n copies of unit after head and before tail, in a new string (*len). */
static char *repeat(const char *head, const char *unit, size_t ulen,
                    size_t n, const char *tail, size_t *len)
{
    size_t hl = strlen(head), tl = strlen(tail);
    char *b = malloc(hl + ulen * n + tl + 1);

    assert_non_null(b);
    memcpy(b, head, hl);
    for (size_t i = 0; i < n; i++)
        memcpy(b + hl + i * ulen, unit, ulen);
    memcpy(b + hl + ulen * n, tail, tl + 1);
    *len = hl + ulen * n + tl;
    return b;
}

/*
 * What an agent sends is bounded however it sends it: a head of lines
 * holding NULs (strlen() counted one byte of each) and endless chunk
 * trailers
 * are refused once past 64 KiB, where they were read for as long as the
 * agent went on; a body larger than what a Content-Length allocates at
 * first arrives whole.
 */
static void test_limits(void **state)
{
    struct script conns[3] = { { .step = 4096 }, { .step = 4096 },
                               { .step = 4096 } };
    struct ht_request q = { .method = "GET", .path = "/", .timeout_ms = 30000 };
    struct server s;
    struct ht_conn *c;
    struct ht_response r;
    char err[HT_ERR_MAX], *nuls, *trailers, *big;

    (void)state;
    nuls = repeat("HTTP/1.1 200 OK\r\n", "X\0\r\n", 4, 17000,
                  "Content-Length: 0\r\n\r\n", &conns[0].lens[0]);
    trailers = repeat(CHUNKED "0\r\n", "X: 1\r\n", 6, 11000, "\r\n",
                      &conns[1].lens[0]);
    big = repeat("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n", "x", 1,
                 100000, "", &conns[2].lens[0]);
    conns[0].answers[0] = nuls;
    conns[1].answers[0] = trailers;
    conns[2].answers[0] = big;
    server_start(&s, conns, 3);
    c = client(&s);
    err[0] = '\0';
    assert_int_equal(ht_unix.request(c, &q, &r, err), -1);
    assert_string_equal(err, "the agent's answer has an overlong head");
    err[0] = '\0';
    assert_int_equal(ht_unix.request(c, &q, &r, err), -1);
    assert_string_equal(err, "the agent's answer has malformed chunks");
    assert_int_equal(ht_unix.request(c, &q, &r, err), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, 100000);
    assert_int_equal(strspn(r.body, "x"), 100000);
    ht_response_free(&r);
    ht_unix.close(c);
    server_stop(&s);
    free(nuls);
    free(trailers);
    free(big);
}

static uint64_t real_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The next event, waiting for it up to 30 s. */
static hv_event *next_event(hv_events *ev)
{
    for (int i = 0; i < 3000; i++) {
        struct pollfd pf = { .fd = hv_events_get_fd(ev), .events = POLLIN };
        hv_event *e = NULL;
        if (hv_event_next(ev, &e) == 0)
            return e;
        poll(&pf, 1, 10);
    }
    fail_msg("no event in 30 s");
    return NULL;
}

#define HOST_OK "HTTP/1.1 200 OK\r\nContent-Length: 22\r\n\r\n" \
    "{\"rundir\": \"/nowhere\"}"
#define SSE_HEAD "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"

/*
 * Through the agent driver, what the agent says is text to quote, never
 * to pass on as it is: its error message, control bytes and all, is one
 * line; an event id with a CR (which would end the Last-Event-ID header
 * and start another in the next request) is no id; a time that overflows
 * (year -2147483648) reads as no time, and the event is stamped on
 * arrival.
 */
static void test_agent_text(void **state)
{
    static const struct script conns[] = {
        { .answers = { "HTTP/1.1 404 Not Found\r\nContent-Length: 70\r\n\r\n"
            "{\"error\": {\"code\": \"not_found\", \"message\": "
            "\"no\\nsuch \\u001b[2Jagent\"}}", NULL } },
        { .answers = { HOST_OK, NULL } },
        { .answers = { SSE_HEAD "id: 7\rX-Injected: 1\ndata: {\"type\": "
            "\"started\", \"name\": \"web\", \"time\": "
            "\"-2147483648-01-01T00:00:00Z\"}\n\n", NULL } },
        { .answers = { "HTTP/1.1 503 Service Unavailable\r\n"
                       "Content-Length: 2\r\n\r\n{}", NULL } },
    };
    struct server s;
    char uri[200];
    hv_conn *conn = NULL;
    hv_events *ev = NULL;
    hv_event *e;
    uint64_t t0;

    (void)state;
    server_start(&s, conns, 4);
    snprintf(uri, sizeof(uri), "unix://%s", s.path);
    assert_int_equal(hv_conn_open_uri(uri, 0, &conn), HV_ENOENT);
    assert_string_equal(hv_last_error(), "no\\x0asuch \\x1b[2Jagent");
    assert_int_equal(hv_conn_open_uri(uri, 0, &conn), 0);
    t0 = real_ns();
    assert_int_equal(hv_events_open(conn, &ev), 0);
    e = next_event(ev);
    assert_string_equal(hv_event_get_name(e), "web");
    assert_true(hv_event_get_time_ns(e) >= t0 &&
                hv_event_get_time_ns(e) <= real_ns());
    hv_event_free(e);
    /* The stream ended: the source asks again, without an id. */
    for (int i = 0; i < 3000 &&
                    __atomic_load_n(&s.nreq, __ATOMIC_ACQUIRE) < 4; i++) {
        struct pollfd pf = { .fd = hv_events_get_fd(ev), .events = POLLIN };
        e = NULL;
        if (hv_event_next(ev, &e) == 0)
            fail_msg("an event nobody sent: %s", hv_event_get_name(e));
        poll(&pf, 1, 10);
    }
    hv_events_free(ev);
    hv_conn_free(conn);
    server_stop(&s);
    assert_int_equal(s.nreq, 4);
    assert_non_null(strstr(s.requests[3], "GET /v1/events HTTP/1.1\r\n"));
    assert_null(strstr(s.requests[3], "Last-Event-ID"));
    assert_null(strstr(s.requests[3], "X-Injected"));
}

/*
 * An event's data lines without the empty line that ends it grew in
 * memory for as long as the agent sent them: one over 1 MiB is skipped,
 * and the next event is read.
 */
static void test_event_too_big(void **state)
{
    char line[1008];
    struct script conns[] = {
        { .answers = { HOST_OK, NULL } },
        { .step = 65536 },
    };
    struct server s;
    char uri[200], *stream;
    hv_conn *conn = NULL;
    hv_events *ev = NULL;
    hv_event *e;

    (void)state;
    /* JSON, whitespace and all: without the limit it was an event. */
    memset(line, ' ', sizeof(line));
    memcpy(line, "data: ", 6);
    line[sizeof(line) - 1] = '\n';
    stream = repeat(SSE_HEAD "data: {\"type\": \"started\", \"name\": \"big\"\n",
                    line, sizeof(line), 1100,
                    "data: }\n\ndata: {\"type\": \"started\", \"name\": "
                    "\"small\"}\n\n", &conns[1].lens[0]);
    conns[1].answers[0] = stream;
    conns[1].hold = true;
    server_start(&s, conns, 2);
    snprintf(uri, sizeof(uri), "unix://%s", s.path);
    assert_int_equal(hv_conn_open_uri(uri, 0, &conn), 0);
    assert_int_equal(hv_events_open(conn, &ev), 0);
    e = next_event(ev);
    assert_string_equal(hv_event_get_name(e), "small");
    hv_event_free(e);
    hv_events_free(ev);
    hv_conn_free(conn);
    server_stop(&s);
    free(stream);
}

#define BAD_UUID "\\u007f\\u007f2b8e-5d4a-4e0b-9a7c-1d2e3f405162"

/*
 * A domain's uuid from the agent goes into requests (?uuid=) and onto
 * terminals: one that is not a uuid (here with DEL bytes) is a bad
 * domain object, and a start job's result that names one gives no
 * handle.
 */
static void test_agent_uuid(void **state)
{
    static const struct script conns[] = {
        { .answers = { HOST_OK,
            "HTTP/1.1 200 OK\r\nContent-Length: 86\r\n\r\n"
            "{\"domains\": [{\"name\": \"web\", \"uuid\": \"" BAD_UUID
            "\"}]}",
            "HTTP/1.1 202 Accepted\r\nContent-Length: 48\r\n\r\n"
            "{\"id\": 5, \"domain\": \"web\", \"state\": \"succeeded\"}",
            "HTTP/1.1 200 OK\r\nContent-Length: 143\r\n\r\n"
            "{\"id\": 5, \"domain\": \"web\", \"state\": \"succeeded\", "
            "\"result\": {\"name\": \"web\", \"uuid\": \"" BAD_UUID "\", "
            "\"domid\": 3}}", } },
    };
    static const char cfg_json[] = "{\"type\": \"pv\", \"name\": \"web\", "
        "\"memory\": {\"max_mib\": 64}, \"os\": {\"kernel\": \"/boot/pvboot\"}}";
    struct server s;
    char uri[200], want[400];
    hv_conn *conn = NULL;
    hv_domlist *l = NULL;
    hv_config *cfg = NULL;
    hv_domain *d = NULL;

    (void)state;
    server_start(&s, conns, 1);
    snprintf(uri, sizeof(uri), "unix://%s", s.path);
    assert_int_equal(hv_conn_open_uri(uri, 0, &conn), 0);
    assert_int_equal(hv_domain_list(conn, &l), HV_EPROTO);
    assert_null(l);
    snprintf(want, sizeof(want), "connection '%s': the agent's domain "
             "object: \"uuid\": not a uuid", hv_conn_get_uri(conn));
    assert_string_equal(hv_last_error(), want);
    assert_int_equal(hv_config_from_json(cfg_json, strlen(cfg_json), "web",
                                         &cfg), 0);
    assert_int_equal(hv_domain_create(conn, cfg, 0, &d), HV_EPROTO);
    assert_null(d);
    assert_string_equal(hv_last_error(), "domain 'web': '\\x7f\\x7f2b8e-"
                        "5d4a-4e0b-9a7c-1d2e3f405162' is not a uuid");
    hv_config_free(cfg);
    hv_conn_free(conn);
    server_stop(&s);
}

/*
 * A start job's domid beyond 32 bits (or 0) is "not said": the handle's
 * id is HV_DOMID_NONE, never the number truncated to another domain's.
 */
static void test_agent_domid(void **state)
{
    static const struct script conns[] = {
        { .answers = { HOST_OK,
            "HTTP/1.1 202 Accepted\r\nContent-Length: 48\r\n\r\n"
            "{\"id\": 5, \"domain\": \"web\", \"state\": \"succeeded\"}",
            "HTTP/1.1 200 OK\r\nContent-Length: 144\r\n\r\n"
            "{\"id\": 5, \"domain\": \"web\", \"state\": \"succeeded\", "
            "\"result\": {\"name\": \"web\", \"uuid\": "
            "\"6d9c3c2e-8a3f-4c1e-9b7a-1f2e3d4c5b6a\", "
            "\"domid\": 4294967296}}", } },
    };
    static const char cfg_json[] = "{\"type\": \"pv\", \"name\": \"web\", "
        "\"memory\": {\"max_mib\": 64}, \"os\": {\"kernel\": \"/boot/pvboot\"}}";
    struct server s;
    char uri[200];
    hv_conn *conn = NULL;
    hv_config *cfg = NULL;
    hv_domain *d = NULL;

    (void)state;
    server_start(&s, conns, 1);
    snprintf(uri, sizeof(uri), "unix://%s", s.path);
    assert_int_equal(hv_conn_open_uri(uri, 0, &conn), 0);
    assert_int_equal(hv_config_from_json(cfg_json, strlen(cfg_json), "web",
                                         &cfg), 0);
    assert_int_equal(hv_domain_create(conn, cfg, 0, &d), 0);
    assert_int_equal(hv_domain_get_id(d), HV_DOMID_NONE);
    hv_domain_free(d);
    hv_config_free(cfg);
    hv_conn_free(conn);
    server_stop(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_domid),
        cmocka_unit_test(test_bodies_on_one_connection),
        cmocka_unit_test(test_reconnects),
        cmocka_unit_test(test_not_http),
        cmocka_unit_test(test_streams),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_agent_text),
        cmocka_unit_test(test_event_too_big),
        cmocka_unit_test(test_agent_uuid),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
