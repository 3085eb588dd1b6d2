/*
 * sse_client.c - the tests' reader of GET /v1/events: HTTP/1.0 over the
 * Unix socket (so no chunked encoding to undo), one event at a time, each
 * checked against the spec's Event schema.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "openapi.h"

/* ---- event streams ---- */

#define SSE_MAX 8
static struct { int fd; char buf[65536]; size_t len; } streams[SSE_MAX];

static int sse_open_with(struct agentd *ad, long long since,
                         long long last_id);
static bool want_jobs;

int sse_open(struct agentd *ad, long long since)
{
    return sse_open_with(ad, since, -1);
}

int sse_open_jobs(struct agentd *ad)
{
    int fd;

    want_jobs = true;
    fd = sse_open_with(ad, -1, -1);
    want_jobs = false;
    return fd;
}

int sse_open_last_event_id(struct agentd *ad, long long last_id)
{
    return sse_open_with(ad, -1, last_id);
}

static int sse_open_with(struct agentd *ad, long long since,
                         long long last_id)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    char req[256], head[1024];
    size_t got = 0;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), slot;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", ad->sock);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
        fail_msg("event stream: connect: %s", strerror(errno));
    if (since >= 0)
        snprintf(req, sizeof(req), "GET /v1/events?since=%lld HTTP/1.0\r\n"
                 "Accept: text/event-stream\r\n\r\n", since);
    else if (last_id >= 0)
        snprintf(req, sizeof(req), "GET /v1/events HTTP/1.0\r\n"
                 "Accept: text/event-stream\r\nLast-Event-ID: %lld\r\n\r\n",
                 last_id);
    else
        snprintf(req, sizeof(req), "GET /v1/events%s HTTP/1.0\r\n"
                 "Accept: text/event-stream\r\n\r\n",
                 want_jobs ? "?jobs=true" : "");
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req))
        fail_msg("event stream: write");
    for (slot = 0; slot < SSE_MAX && streams[slot].fd; slot++)
        ;
    if (slot == SSE_MAX)
        fail_msg("too many event streams in one test");
    streams[slot].fd = fd;
    streams[slot].len = 0;
    streams[slot].buf[0] = '\0';
    /* The status line and headers, up to the blank line. */
    while (got < sizeof(head) - 1) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n = 0;
        char *end;
        if (poll(&p, 1, 5000) != 1 || (n = read(fd, head + got, 1)) <= 0)
            fail_msg("event stream: no answer");
        got += (size_t)n;
        head[got] = '\0';
        if ((end = strstr(head, "\r\n\r\n"))) {
            if (strncmp(head, "HTTP/1.0 200", 12) && strncmp(head, "HTTP/1.1 200", 12))
                fail_msg("event stream: %s", head);
            if (!strcasestr(head, "Content-Type: text/event-stream"))
                fail_msg("event stream: wrong content type: %s", head);
            harness_checked++;
            return fd;
        }
    }
    fail_msg("event stream: header too long");
    return -1;
}

void sse_close(int fd)
{
    for (int i = 0; i < SSE_MAX; i++)
        if (streams[i].fd == fd)
            streams[i].fd = 0;
    close(fd);
}

/* The data of every event must be an Event of the spec (a Job for
 * "event: job", on a stream opened with sse_open_jobs). */
static void check_event(json_object *ev, bool job)
{
    json_object *schema;
    char err[512];

    schema = jget(oa_doc(harness_spec()), job ? "components.schemas.Job"
                                              : "components.schemas.Event");
    if (!schema)
        fail_msg("the spec has no Event schema");
    if (!oa_validate(harness_spec(), schema, ev, "event", err, sizeof(err)))
        fail_msg("openapi: %s: %s", err, json_object_to_json_string(ev));
    harness_checked++;
}

json_object *sse_next(int fd, int timeout_ms)
{
    double deadline = now_ms() + timeout_ms;
    int slot;

    for (slot = 0; slot < SSE_MAX && streams[slot].fd != fd; slot++)
        ;
    if (slot == SSE_MAX)
        fail_msg("sse_next: not a stream");
    for (;;) {
        char *b = streams[slot].buf, *end = strstr(b, "\n\n");
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;
        int left = (int)(deadline - now_ms());

        if (end) {
            json_object *ev = NULL;
            bool job = false;
            size_t used = (size_t)(end - b) + 2;
            *end = '\0';
            for (char *line = b; line && *line;) {
                char *nl = strchr(line, '\n');
                if (nl)
                    *nl = '\0';
                if (!strncmp(line, "data: ", 6))
                    ev = json_tokener_parse(line + 6);
                if (!strcmp(line, "event: job"))
                    job = true;
                line = nl ? nl + 1 : NULL;
            }
            memmove(b, b + used, streams[slot].len - used + 1);
            streams[slot].len -= used;
            if (ev) {
                check_event(ev, job);
                return ev;
            }
            continue;           /* a comment or "retry:" */
        }
        if (left <= 0 || poll(&p, 1, left) != 1)
            return NULL;
        n = read(fd, b + streams[slot].len,
                 sizeof(streams[slot].buf) - streams[slot].len - 1);
        if (n <= 0)
            return NULL;
        streams[slot].len += (size_t)n;
        b[streams[slot].len] = '\0';
    }
}

json_object *sse_wait(int fd, const char *type, const char *name,
                      int timeout_ms)
{
    double deadline = now_ms() + timeout_ms;

    for (;;) {
        int left = (int)(deadline - now_ms());
        json_object *ev = left > 0 ? sse_next(fd, left) : NULL;
        if (!ev)
            return NULL;
        if (!strcmp(jstr(ev, "type"), type) &&
            (!name || !strcmp(jstr(ev, "domain"), name)))
            return ev;
        json_object_put(ev);
    }
}
