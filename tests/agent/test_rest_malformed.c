/*
 * test_rest_malformed.c - hostile and broken requests: truncated JSON,
 * deep nesting, 10 MB bodies, bad UTF-8, NUL bytes, path traversal in
 * names, unknown fields, XML entities, garbage on the socket.  Each must
 * get a 4xx with the JSON error body (checked against the spec) and
 * change nothing: the domain list, the stored definitions and the event
 * log are compared before and after every one.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <sqlite3.h>

#include "harness.h"

static struct agentd ad;
static char *snapshot;

/* What must not change: the list, the database's rows, the event log. */
static char *take_snapshot(void)
{
    struct resp r = GET(&ad, "/v1/domains");
    sqlite3 *db;
    sqlite3_stmt *s;
    char *snap = NULL;

    assert_int_equal(r.status, 200);
    assert_int_equal(sqlite3_open_v2(ad.db, &db, SQLITE_OPEN_READONLY, NULL), 0);
    assert_int_equal(sqlite3_prepare_v2(db,
        "SELECT (SELECT group_concat(uuid || name || config || autostart || "
        "updated_ms, ';') FROM domains), (SELECT count(*) FROM events), "
        "(SELECT count(*) FROM tokens)", -1, &s, NULL), 0);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    if (asprintf(&snap, "%s\n%s\n%d\n%d", r.body,
                 (const char *)sqlite3_column_text(s, 0),
                 sqlite3_column_int(s, 1), sqlite3_column_int(s, 2)) < 0)
        fail();
    sqlite3_finalize(s);
    sqlite3_close(db);
    resp_free(&r);
    return snap;
}

static void assert_unchanged(const char *what)
{
    char *now = take_snapshot();

    if (strcmp(now, snapshot))
        fail_msg("%s changed the state:\nbefore: %s\nafter:  %s", what,
                 snapshot, now);
    free(now);
}

static int group_setup(void **state)
{
    char *cfg;
    struct resp r;

    agentd_init(&ad, "malformed");
    assert_int_equal(agentd_start(&ad, NULL, NULL), 0);
    cfg = domain_json("keep", "counter", 32);
    r = POST(&ad, "/v1/domains?start=true", cfg);
    assert_int_equal(r.status, 202);
    assert_string_equal(wait_job(&ad, jint(r.json, "id"), NULL), "succeeded");
    resp_free(&r);
    free(cfg);
    cfg = domain_json("idle", "counter", 32);
    r = POST(&ad, "/v1/domains", cfg);
    assert_int_equal(r.status, 201);
    resp_free(&r);
    free(cfg);
    /* Every event of the set-up is logged, then in the database: a
     * replay writes the agent's queue first, so open a second one. */
    int fd = sse_open(&ad, 0);
    json_object *ev = sse_wait(fd, "started", "keep", 30000);
    assert_non_null(ev);
    json_object_put(ev);
    ev = sse_wait(fd, "defined", "idle", 30000);
    assert_non_null(ev);
    json_object_put(ev);
    sse_close(fd);
    fd = sse_open(&ad, 0);
    ev = sse_next(fd, 30000);       /* replayed, so written */
    assert_non_null(ev);
    json_object_put(ev);
    sse_close(fd);
    snapshot = take_snapshot();
    return 0;
}

static int group_teardown(void **state)
{
    free(snapshot);
    assert_int_equal(agentd_stop(&ad), 0);
    agentd_cleanup(&ad);
    return 0;
}

/* Send, expect status (and code, if not NULL), and no change. */
static void expect(const char *method, const char *path, const char *ctype,
                   const char *body, size_t len, long status,
                   const char *code)
{
    struct req q = { .method = method, .path = path, .ctype = ctype,
                     .body = body, .len = len };
    struct resp r;
    char what[200];

    assert_int_equal(http(&ad, &q, &r), 0);
    if (r.status != status || (code && strcmp(jstr(r.json, "error.code"), code)))
        fail_msg("%s %s: expected %ld %s, got %ld %.300s", method, path,
                 status, code ? code : "", r.status, r.body ? r.body : "");
    resp_free(&r);
    snprintf(what, sizeof(what), "%s %s", method, path);
    assert_unchanged(what);
}

#define JSON "application/json"

static void test_truncated_json(void **state)
{
    char *cfg = domain_json("new", "counter", 32);
    size_t half = strlen(cfg) / 2;

    /* Not JSON is bad_json on every body, configurations included. */
    expect("POST", "/v1/domains", JSON, cfg, half, 400, "bad_json");
    expect("PUT", "/v1/domains/idle", JSON, cfg, half, 400, "bad_json");
    expect("PUT", "/v1/domains/keep/memory", JSON, "{\"target_mib\": ", 0,
           400, "bad_json");
    expect("PUT", "/v1/domains/idle/autostart", JSON, "{\"autostart\": true} x",
           0, 400, "bad_json");
    expect("POST", "/v1/domains", JSON, "", 0, 400, "bad_json");
    expect("POST", "/v1/domains", JSON, "{\"type\": \"pv\"}", 0, 400,
           "invalid_config");
    free(cfg);
}

static void test_deep_nesting(void **state)
{
    size_t n = 100000;
    char *deep = malloc(2 * n + 32);

    memset(deep, '[', n);
    memset(deep + n, ']', n);
    expect("POST", "/v1/domains", JSON, deep, 2 * n, 400, "bad_json");
    memcpy(deep, "{\"autostart\":", 13);
    expect("PUT", "/v1/domains/idle/autostart", JSON, deep, 2 * n, 400,
           "bad_json");
    free(deep);
}

static void test_huge_bodies(void **state)
{
    size_t n = 10 * 1024 * 1024;
    char *big = malloc(n);
    struct req q = { .method = "POST", .path = "/v1/domains", .ctype = JSON,
                     .body = big, .len = 20 * 1024 * 1024, .no_check = true };
    struct resp r;

    memset(big, ' ', n);
    big[0] = '{';
    big[n - 1] = '}';
    expect("POST", "/v1/domains", JSON, big, n, 413, "body_too_large");
    expect("PUT", "/v1/domains/keep/memory", JSON, big, n, 413,
           "body_too_large");
    expect("POST", "/v1/domains/keep/shutdown", JSON, big, n, 413,
           "body_too_large");
    free(big);
    /* Refused from its Content-Length, before the body is read; the
     * client may see the close before it has sent it all. */
    big = calloc(1, q.len);
    q.body = big;
    if (http(&ad, &q, &r) == 0)
        assert_int_equal(r.status, 413);
    resp_free(&r);
    free(big);
    assert_unchanged("a 20 MB body");
}

static void test_bad_encoding(void **state)
{
    char body[600];
    int n;

    n = snprintf(body, sizeof(body), "{\"type\": \"pv\", \"name\": \"bad\xff\xfe\","
                 " \"memory\": {\"max_mib\": 16}, \"os\": {\"kernel\": \"%s\"}}",
                 harness_pvboot());
    expect("POST", "/v1/domains", JSON, body, (size_t)n, 400, "bad_encoding");
    expect("POST", "/v1/domains", "application/xml",
           "<domain type=\"pv\"><name>\xc0\xaf</name></domain>", 0, 400,
           "bad_encoding");
    expect("PUT", "/v1/domains/idle/autostart", JSON,
           "{\"autostart\": true}\0{}", 21, 400, "bad_encoding");
    expect("PUT", "/v1/domains/keep/memory", JSON,
           "{\"target_mib\": \"\xed\xa0\x80\"}", 0, 400, "bad_encoding");
}

static void test_names(void **state)
{
    char *cfg = domain_json("../evil", "counter", 32), long_path[400];

    expect("GET", "/v1/domains/..%2F..%2Fetc%2Fpasswd", NULL, NULL, 0, 400,
           "invalid_name");
    expect("GET", "/v1/domains/..", NULL, NULL, 0, 400, "invalid_name");
    expect("GET", "/v1/domains/../host", NULL, NULL, 0, 404, "not_found");
    expect("DELETE", "/v1/domains/.hidden", NULL, NULL, 0, 400, "invalid_name");
    expect("POST", "/v1/domains/%2Fetc/start", NULL, NULL, 0, 400,
           "invalid_name");
    expect("PUT", "/v1/domains/..%2Fevil", JSON, cfg, 0, 400, "invalid_name");
    expect("POST", "/v1/domains", JSON, cfg, 0, 400, "invalid_config");
    expect("GET", "/v1/domains/a%00b", NULL, NULL, 0, 400, "bad_path");
    memset(long_path, 'a', sizeof(long_path));
    memcpy(long_path, "/v1/domains/", 12);
    long_path[sizeof(long_path) - 1] = '\0';
    expect("GET", long_path, NULL, NULL, 0, 400, "bad_path");
    long_path[12 + 64] = '\0';
    expect("GET", long_path, NULL, NULL, 0, 400, "invalid_name");
    free(cfg);
}

static void test_unknown_fields(void **state)
{
    char *cfg = domain_json("new", "counter", 32), *bad = NULL;

    if (asprintf(&bad, "{\"bogus\": 1, %s", cfg + 1) < 0)
        fail();
    expect("POST", "/v1/domains", JSON, bad, 0, 400, "invalid_config");
    free(bad);
    if (asprintf(&bad, "{\"name\": \"new2\", %s", cfg + 1) < 0)
        fail();
    expect("POST", "/v1/domains", JSON, bad, 0, 400, "invalid_config");
    free(bad);
    expect("PUT", "/v1/domains/keep/memory", JSON,
           "{\"target_mib\": 16, \"now\": true}", 0, 400, "unknown_field");
    expect("POST", "/v1/domains/keep/shutdown", JSON, "{\"force\": true}", 0,
           400, "unknown_field");
    expect("PUT", "/v1/domains/keep/memory", JSON, "{\"target_mib\": \"16\"}",
           0, 400, "invalid_argument");
    expect("PUT", "/v1/domains/keep/memory", JSON,
           "{\"target_mib\": 99999999999999999999999}", 0, 400,
           "invalid_argument");
    expect("PUT", "/v1/domains/keep/memory", JSON, "[16]", 0, 400, "bad_json");
    expect("GET", "/v1/domains?all=1", NULL, NULL, 0, 400, "unknown_parameter");
    expect("POST", "/v1/domains?start=%ZZ", JSON, cfg, 0, 400, NULL);
    free(cfg);
}

static void test_xml(void **state)
{
    char xxe[1024], laughs[2048];

    expect("POST", "/v1/domains", "application/xml", "<domain><name>x</name>",
           0, 400, "invalid_config");
    /* An external entity must never pull a file into a definition. */
    snprintf(xxe, sizeof(xxe), "<?xml version=\"1.0\"?>\n"
             "<!DOCTYPE domain [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
             "<domain type=\"pv\"><name>xxe</name><memory unit=\"MiB\">16"
             "</memory><os><kernel>%s</kernel><cmdline>&x;</cmdline></os>"
             "</domain>", harness_pvboot());
    expect("POST", "/v1/domains", "application/xml", xxe, 0, 400,
           "invalid_config");
    snprintf(laughs, sizeof(laughs), "<?xml version=\"1.0\"?>\n"
             "<!DOCTYPE d [<!ENTITY a \"aaaaaaaaaa\">"
             "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
             "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
             "<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
             "<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">]>\n"
             "<domain type=\"pv\"><name>&e;</name></domain>");
    expect("POST", "/v1/domains", "application/xml", laughs, 0, 400,
           "invalid_config");
}

static void test_media_types(void **state)
{
    char *cfg = domain_json("new", "counter", 32);

    expect("POST", "/v1/domains", NULL, cfg, 0, 415, "unsupported_media_type");
    expect("POST", "/v1/domains", "application/x-www-form-urlencoded", cfg, 0,
           415, "unsupported_media_type");
    expect("POST", "/v1/domains", "application/json; charset=utf-16", cfg, 0,
           415, "unsupported_media_type");
    expect("PUT", "/v1/domains/idle/autostart", "text/plain",
           "{\"autostart\": true}", 0, 415, "unsupported_media_type");
    free(cfg);
}

/* Bytes that are not HTTP at all, straight to the socket. */
static void raw(const char *bytes, size_t len)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char buf[256];
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { 2, 0 };

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", ad.sock);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)!write(fd, bytes, len);
    shutdown(fd, SHUT_WR);
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
    close(fd);
}

static void test_garbage(void **state)
{
    size_t n = 200 * 1024;
    char *hdr = malloc(n + 64);
    struct resp r;

    raw("BLAH\r\n\r\n", 8);
    raw("GET /v1/domains HTTP/9.9\r\n\r\n", 28);
    raw("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);  /* TLS hello */
    raw("POST /v1/domains HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 50);
    raw("POST /v1/domains HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
        "zz\r\n", 62);
    snprintf(hdr, n, "GET /v1/domains HTTP/1.1\r\nX-Big: ");
    memset(hdr + strlen(hdr), 'x', n - strlen(hdr));
    raw(hdr, n);
    free(hdr);
    /* Still serving, and nothing changed. */
    r = GET(&ad, "/v1/host");
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_unchanged("garbage on the socket");
}

/*
 * Send bytes over a fresh connection and read until the agent closes it
 * (30 s at most): the whole answer, NUL-terminated.
 */
static char *exchange(const char *bytes, size_t len)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { 30, 0 };
    size_t n = 0, cap = 65536, off = 0;
    char *buf = malloc(cap);
    ssize_t r;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", ad.sock);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    while (off < len && (r = write(fd, bytes + off, len - off)) > 0)
        off += (size_t)r;
    while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
        n += (size_t)r;
        if (n + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    close(fd);
    buf[n] = '\0';
    return buf;
}

/*
 * The answer to bytes is exactly status (the status line), has header
 * (if not NULL) and JSON, and its body is exactly body plus a newline.
 */
static void expect_raw(const char *bytes, size_t len, const char *status,
                       const char *header, const char *body)
{
    char *ans = exchange(bytes, len ? len : strlen(bytes));
    char *end = strstr(ans, "\r\n\r\n");

    if (!end || strncmp(ans, status, strlen(status)) ||
        strncmp(ans + strlen(status), "\r\n", 2) ||
        !strstr(ans, "\r\nContent-Type: application/json\r\n") ||
        (header && !strstr(ans, header)) ||
        strncmp(end + 4, body, strlen(body)) ||
        strcmp(end + 4 + strlen(body), "\n"))
        fail_msg("for %.60s\nexpected: %s [%s] %s\ngot: %.600s", bytes,
                 status, header ? header : "", body, ans);
    free(ans);
    assert_unchanged(bytes);
}

#define BAD(msg) "{\"error\":{\"code\":\"bad_request\",\"message\":" \
                 "\"malformed request: " msg "\"}}"

/* What evhttp used to answer with an HTML page, or not at all. */
static void test_http_errors(void **state)
{
    size_t n = 200 * 1024, off;
    char *big = malloc(n + 1024);

    expect_raw("BLAH\r\n\r\n", 0, "HTTP/1.1 400 Bad Request", NULL,
               BAD("the request line is not 'METHOD /path HTTP/1.1'"));
    expect_raw("GET /v1/domains HTTP/9.9\r\n\r\n", 0,
               "HTTP/1.1 400 Bad Request", NULL,
               BAD("only HTTP/1.0 and HTTP/1.1 are spoken here"));
    expect_raw("GET v1/domains HTTP/1.1\r\n\r\n", 0,
               "HTTP/1.1 400 Bad Request", NULL,
               BAD("the request target must be a path (origin form, "
                   "'/...')"));
    expect_raw("GET /v1/host HTTP/1.1\r\nNo colon here\r\n\r\n", 0,
               "HTTP/1.1 400 Bad Request", NULL,
               BAD("a header line is not 'Name: value'"));
    expect_raw("POST /v1/domains HTTP/1.1\r\nContent-Length: -5\r\n\r\n", 0,
               "HTTP/1.1 400 Bad Request", NULL,
               BAD("Content-Length is not a number of bytes"));
    expect_raw("POST /v1/domains HTTP/1.1\r\nContent-Length: 5\r\n"
               "Content-Length: 6\r\n\r\n", 0, "HTTP/1.1 400 Bad Request",
               NULL, BAD("Content-Length is given twice"));
    /* Found by fuzz_http: evhttp acted on the first, the check on the
     * last, and evhttp's 417 was an HTML page. */
    expect_raw("POST /v1/domains HTTP/1.1\r\nExpect: 100-cont\r\n"
               "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{}", 0,
               "HTTP/1.1 400 Bad Request", NULL,
               BAD("Expect is given twice"));
    expect_raw("POST /v1/domains HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
               "\r\nzz\r\n", 0, "HTTP/1.1 400 Bad Request", NULL,
               BAD("'zz' is not a chunk size"));
    expect_raw("POST /v1/domains HTTP/1.1\r\nTransfer-Encoding: gzip\r\n"
               "\r\n", 0, "HTTP/1.1 400 Bad Request", NULL,
               BAD("the only Transfer-Encoding taken is 'chunked'"));
    expect_raw("POST /v1/domains HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
               "Content-Length: 5\r\n\r\n", 0, "HTTP/1.1 400 Bad Request",
               NULL, BAD("both Content-Length and Transfer-Encoding"));
    snprintf(big, n, "GET /v1/domains HTTP/1.1\r\nX-Big: ");
    memset(big + strlen(big), 'x', n - strlen(big));
    memcpy(big + n - 4, "\r\n\r\n", 4);
    expect_raw(big, n, "HTTP/1.1 431 Request Header Fields Too Large", NULL,
               "{\"error\":{\"code\":\"headers_too_large\",\"message\":"
               "\"the request head is over the limit of 65536 bytes\"}}");
    /* An unknown method is a 405 with Allow, as a known one. */
    expect_raw("FOO /v1/domains HTTP/1.1\r\n\r\n", 0,
               "HTTP/1.1 405 Method Not Allowed", "\r\nAllow: GET, POST\r\n",
               "{\"error\":{\"code\":\"method_not_allowed\",\"message\":"
               "\"FOO is not allowed on /v1/domains (allowed: GET, POST)\"}}");
    expect_raw("FOO /nowhere HTTP/1.1\r\n\r\n", 0, "HTTP/1.1 404 Not Found",
               NULL, "{\"error\":{\"code\":\"not_found\",\"message\":"
               "\"no such resource: /nowhere\"}}");
    expect_raw("GET /v1/host HTTP/1.1\r\nAccept: text/html\r\n"
               "Connection: close\r\n\r\n", 0, "HTTP/1.1 406 Not Acceptable",
               NULL, "{\"error\":{\"code\":\"not_acceptable\",\"message\":"
               "\"/v1/host is served as application/json only\"}}");
    expect_raw("PUT /v1/domains/keep/memory HTTP/1.1\r\nExpect: magic\r\n"
               "Content-Length: 2\r\n\r\n{}", 0,
               "HTTP/1.1 417 Expectation Failed", NULL,
               "{\"error\":{\"code\":\"expectation_failed\",\"message\":"
               "\"Expect: only 100-continue is understood\"}}");
    /* Over the body limit: answered from the headers, no body sent. */
    expect_raw("POST /v1/domains HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n",
               0, "HTTP/1.1 413 Payload Too Large", NULL,
               "{\"error\":{\"code\":\"body_too_large\",\"message\":"
               "\"the request body is 2000000 bytes, more than the limit of "
               "1048576\"}}");
    /* Chunks are added up against the same limit. */
    off = (size_t)sprintf(big, "POST /v1/domains HTTP/1.1\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n1e000\r\n");
    memset(big + off, ' ', 0x1e000);
    off += 0x1e000;
    off += (size_t)sprintf(big + off, "\r\nf0000\r\n");
    expect_raw(big, off, "HTTP/1.1 413 Payload Too Large", NULL,
               "{\"error\":{\"code\":\"body_too_large\",\"message\":"
               "\"the request body is more than the limit of 1048576 "
               "bytes\"}}");
    free(big);
}

/* A refused HEAD is answered as a HEAD: the status, no body. */
static void test_head_refused(void **state)
{
    const char *req = "HEAD /v1/host HTTP/1.1\r\nContent-Length: 5\r\n"
                      "\r\nhello";
    char *ans = exchange(req, strlen(req));
    char *end = strstr(ans, "\r\n\r\n");

    if (strncmp(ans, "HTTP/1.1 400 Bad Request\r\n", 26) || !end || end[4])
        fail_msg("a HEAD with a body got: %s", ans);
    free(ans);
}

/* A chunked body with a trailer reaches the handler whole. */
static void test_chunked(void **state)
{
    expect_raw("PUT /v1/domains/keep/memory HTTP/1.1\r\n"
               "Content-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
               "f\r\n{\"target_mib\": \r\n10\r\n16, \"now\": true}\r\n"
               "0\r\nX-Trailer: yes\r\n\r\n", 0, "HTTP/1.1 400 Bad Request",
               NULL, "{\"error\":{\"code\":\"unknown_field\",\"message\":"
               "\"unknown field \\\"now\\\"\"}}");
}

/* After a good request, a bad one on the same connection: both answered,
 * in order, then the connection closes. */
static void test_pipelined(void **state)
{
    const char *two = "GET /v1/domains HTTP/1.1\r\n\r\nBLAH\r\n\r\n";
    char *ans = exchange(two, strlen(two));
    char *second = strstr(ans + 1, "HTTP/1.1 400 Bad Request\r\n");

    assert_true(strncmp(ans, "HTTP/1.1 200 OK\r\n", 17) == 0);
    assert_non_null(second);
    assert_non_null(strstr(second, "\r\n\r\n" BAD("the request line is not "
                           "'METHOD /path HTTP/1.1'") "\n"));
    free(ans);
}

/* \u0000 in a JSON string would cut it short: refused, never cut. */
static void test_nul_escapes(void **state)
{
    char body[1024];
    struct req q = { .method = "POST", .path = "/v1/domains", .ctype = JSON,
                     .body = body };
    struct resp r;

    snprintf(body, sizeof(body), "{\"type\":\"pv\","
             "\"name\":\"ok\\u0000../../x\",\"memory\":{\"max_mib\":32},"
             "\"os\":{\"kernel\":\"%s\"}}", harness_pvboot());
    assert_int_equal(http(&ad, &q, &r), 0);
    assert_int_equal(r.status, 400);
    assert_string_equal(jstr(r.json, "error.code"), "invalid_config");
    assert_string_equal(jstr(r.json, "error.message"), "request body:1: "
                        "\"name\": \\u0000 (a NUL character) is not allowed "
                        "in a string");
    resp_free(&r);
    snprintf(body, sizeof(body), "{\"type\":\"pv\",\"name\":\"nul\","
             "\"memory\":{\"max_mib\":32},\"os\":{\"kernel\":\"%s\","
             "\"cmdline\":\"counter\\u0000hidden\"}}", harness_pvboot());
    assert_int_equal(http(&ad, &q, &r), 0);
    assert_int_equal(r.status, 400);
    assert_string_equal(jstr(r.json, "error.message"), "request body:1: "
                        "\"os.cmdline\": \\u0000 (a NUL character) is not "
                        "allowed in a string");
    resp_free(&r);
    q.method = "PUT";
    q.path = "/v1/domains/idle/autostart";
    snprintf(body, sizeof(body), "{\"autostart\\u0000x\": true}");
    assert_int_equal(http(&ad, &q, &r), 0);
    assert_int_equal(r.status, 400);
    assert_string_equal(jstr(r.json, "error.code"), "invalid_argument");
    assert_string_equal(jstr(r.json, "error.message"), "\\u0000 (a NUL "
                        "character) is not allowed in a string");
    resp_free(&r);
    assert_unchanged("\\u0000 in strings");
}

/* Send, expect status, code and message word for word, and no change. */
static void expect_msg(const char *method, const char *path,
                       const char *ctype, const char *body, long status,
                       const char *code, const char *msg)
{
    struct req q = { .method = method, .path = path, .ctype = ctype,
                     .body = body };
    struct resp r;
    char what[200];

    assert_int_equal(http(&ad, &q, &r), 0);
    if (r.status != status || strcmp(jstr(r.json, "error.code"), code) ||
        (msg && strcmp(jstr(r.json, "error.message"), msg)))
        fail_msg("%s %s: expected %ld %s '%s', got %ld %.300s", method, path,
                 status, code, msg ? msg : "", r.status,
                 r.body ? r.body : "");
    resp_free(&r);
    snprintf(what, sizeof(what), "%s %s", method, path);
    assert_unchanged(what);
}

/* Devices: bodies that are no device, queries that ask nothing. */
static void test_devices(void **state)
{
    expect_msg("POST", "/v1/domains/keep/devices", JSON,
               "{\"disk\": {\"type\": \"file\"}}", 400, "invalid_config",
               "request body:1: \"disk\": missing key \"source\"");
    expect_msg("POST", "/v1/domains/keep/devices", JSON, "[1]", 400,
               "invalid_config", "request body: a device is an object with "
               "one key, \"disk\" or \"interface\"");
    expect_msg("POST", "/v1/domains/keep/devices", JSON, "{\"disk\": {", 400,
               "bad_json", NULL);
    expect_msg("POST", "/v1/domains/keep/devices", "application/xml",
               "<disk type='file'><source file='rel.img'/>"
               "<target dev='vda'/></disk>", 400, "invalid_config",
               "request body:1: element <disk>: source path 'rel.img' is not "
               "an absolute path");
    expect_msg("POST", "/v1/domains/keep/devices", "application/xml",
               "<disk type='file'><source file='/x'/><target dev='vda'/>"
               "<boot/></disk>", 400, "invalid_config",
               "request body:1: element <boot>: unknown element in <disk>");
    expect_msg("POST", "/v1/domains/keep/devices", "text/plain", "vda", 415,
               "unsupported_media_type", "a device is application/json or "
               "application/xml");
    expect_msg("POST", "/v1/domains/keep/devices?live=maybe", JSON,
               "{\"disk\": {}}", 400, "bad_query",
               "live=maybe: expected true or false");
    expect_msg("POST", "/v1/domains/keep/devices?live=false", JSON,
               "{\"disk\": {}}", 400, "bad_query",
               "live=false without config=true changes nothing");
    expect_msg("POST", "/v1/domains/keep/devices?now=1", JSON,
               "{\"disk\": {}}", 400, "unknown_parameter", NULL);
    expect_msg("POST", "/v1/domains/idle/devices", JSON,
               "{\"disk\": {\"type\": \"file\", \"source\": \"/x\", "
               "\"target\": \"vda\"}}", 409, "wrong_state",
               "cannot attach a device to domain 'idle': it is not running "
               "(config=true&live=false changes its definition)");
    expect_msg("POST", "/v1/domains/idle/devices?config=true&live=false",
               JSON, "{\"interface\": {\"type\": \"bridge\", "
               "\"source\": \"br0\", \"mac\": \"01:00:00:00:00:01\"}}",
               400, "invalid_config", "request body:1: \"interface\": mac "
               "address '01:00:00:00:00:01' is a multicast address (a "
               "guest's must be unicast)");
    expect_msg("DELETE", "/v1/domains/idle/devices/vdz?config=true&live=false",
               NULL, NULL, 404, "not_found",
               "domain 'idle': its definition has no device 'vdz'");
    expect_msg("DELETE", "/v1/domains/keep/devices/VDZ", NULL, NULL, 400,
               "invalid_argument", NULL);
    expect_msg("GET", "/v1/domains/idle/devices", NULL, NULL, 409,
               "wrong_state", "cannot list the devices of domain 'idle': it "
               "is not running (its definition has them: GET "
               "/v1/domains/idle/definition)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated_json),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_huge_bodies),
        cmocka_unit_test(test_bad_encoding),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_unknown_fields),
        cmocka_unit_test(test_xml),
        cmocka_unit_test(test_media_types),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_http_errors),
        cmocka_unit_test(test_head_refused),
        cmocka_unit_test(test_chunked),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_nul_escapes),
        cmocka_unit_test(test_devices),
    };
    return HARNESS_MAIN(tests, group_setup, group_teardown);
}
