/*
 * sse.c - see sse.h.
 *
 * A stream is a chunked reply that never ends.  libevent detaches the
 * request from its connection when the client goes away (the request is
 * then ours to free); we learn of it through the connection's close
 * callback.  A client that reads too slowly is cut off rather than let
 * its buffer grow without bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

#include "agent.h"
#include "evlog.h"
#include "jobs.h"
#include "log.h"
#include "metrics.h"
#include "rest_handlers.h"
#include "sse.h"
#include "util.h"

struct client {
    struct evlog_sub sub;
    bool jobs;                  /* ?jobs=true: also "event: job" */
    struct evhttp_request *req;
    struct evhttp_connection *evcon;
    struct client *prev, *next;
};

static struct {
    struct agent *a;
    struct event *keepalive;
    struct event *jobs_timer;   /* job progress, while someone wants it */
    struct client head;         /* list head */
    size_t n, n_jobs;
} sse;

static void unlink_client(struct client *c)
{
    evlog_unsubscribe(sse.a->evlog, &c->sub);
    c->prev->next = c->next;
    c->next->prev = c->prev;
    sse.n--;
    if (c->jobs && --sse.n_jobs == 0 && sse.jobs_timer)
        event_del(sse.jobs_timer);
}

/* The client went away: the request is detached and ours to free. */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
    struct client *c = arg;

    unlink_client(c);
    if (!evhttp_request_get_connection(c->req))
        evhttp_request_free(c->req);
    free(c);
}

/* End the stream from our side (shutdown, or a client that lags). */
static void end_stream(struct client *c)
{
    unlink_client(c);
    evhttp_connection_set_closecb(c->evcon, NULL, NULL);
    evhttp_send_reply_end(c->req);
    free(c);
}

static bool lagging(struct client *c)
{
    struct bufferevent *bev = evhttp_connection_get_bufferevent(c->evcon);

    return bev && evbuffer_get_length(bufferevent_get_output(bev)) >
                  SSE_MAX_BUFFERED;
}

static void send_chunk(struct client *c, const char *s, size_t len)
{
    struct evbuffer *b = evbuffer_new();

    if (!b)
        return;
    evbuffer_add(b, s, len);
    evhttp_send_reply_chunk(c->req, b);
    evbuffer_free(b);
}

static int send_event(const struct store_event *ev, void *arg)
{
    struct client *c = arg;
    json_object *o = json_object_new_object();
    char t[TIME_STR_LEN];
    struct strbuf sb = { 0 };
    const char *data;

    if (!o)
        return 0;
    json_object_object_add(o, "id", json_object_new_int64(ev->id));
    json_object_object_add(o, "time",
                           json_object_new_string(time_str(ev->time_ms, t)));
    json_object_object_add(o, "type", json_object_new_string(ev->type));
    /* "name" as in the domain object; "domain" for API 0.3 clients. */
    json_object_object_add(o, "name", json_object_new_string(ev->name));
    json_object_object_add(o, "domain", json_object_new_string(ev->name));
    json_object_object_add(o, "uuid", ev->uuid[0]
                           ? json_object_new_string(ev->uuid) : NULL);
    json_object_object_add(o, "domid", ev->domid >= 0
                           ? json_object_new_int64(ev->domid) : NULL);
    json_object_object_add(o, "cause", json_object_new_string(ev->cause));
    json_object_object_add(o, "reason", json_object_new_string(
                               ev->reason[0] ? ev->reason : "unknown"));
    json_object_object_add(o, "detail", json_object_new_string(ev->detail));
    data = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                          JSON_C_TO_STRING_NOSLASHESCAPE);
    sb_printf(&sb, "id: %lld\nevent: domain\ndata: %s\n\n", (long long)ev->id,
              data ? data : "{}");
    json_object_put(o);
    if (sb.s && !sb.oom)
        send_chunk(c, sb.s, sb.len);
    sb_free(&sb);
    return 0;
}

static void on_event(const struct store_event *ev, void *arg)
{
    struct client *c = arg;

    if (lagging(c)) {
        log_warn("event stream: dropping a client that does not read");
        end_stream(c);
        return;
    }
    send_event(ev, c);
}

/*
 * A job whose state, step or progress changed since the last look:
 * "event: job" with the job object (GET /v1/jobs/{id}) to the streams
 * that asked.  Not logged and without an id: progress is not history,
 * and a client that reconnects asks the job itself.
 */
static void send_job(struct job *j, void *arg)
{
    struct strbuf sb = { 0 };
    json_object *o;
    const char *data;
    unsigned gen;

    (void)arg;
    pthread_mutex_lock(&j->lock);
    gen = j->gen;
    pthread_mutex_unlock(&j->lock);
    if (gen == j->sent_gen)
        return;
    j->sent_gen = gen;
    if (!(o = job_json(j)))
        return;
    data = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                          JSON_C_TO_STRING_NOSLASHESCAPE);
    sb_printf(&sb, "event: job\ndata: %s\n\n", data ? data : "{}");
    json_object_put(o);
    for (struct client *c = sse.head.next; sb.s && !sb.oom &&
         c != &sse.head; c = c->next)
        if (c->jobs && !lagging(c))
            send_chunk(c, sb.s, sb.len);
    sb_free(&sb);
}

static void on_jobs_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    jobs_foreach(sse.a->jobs, send_job, NULL);
}

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
    for (struct client *c = sse.head.next, *next; c != &sse.head; c = next) {
        next = c->next;
        if (lagging(c))
            end_stream(c);
        else
            send_chunk(c, ": keep-alive\n\n", 14);
    }
}

int sse_init(struct agent *a)
{
    struct timeval tv = { SSE_KEEPALIVE_S, 0 };

    sse.a = a;
    sse.head.next = sse.head.prev = &sse.head;
    sse.keepalive = event_new(a->base, -1, EV_PERSIST, on_keepalive, NULL);
    sse.jobs_timer = event_new(a->base, -1, EV_PERSIST, on_jobs_timer, NULL);
    if (!sse.keepalive || !sse.jobs_timer ||
        event_add(sse.keepalive, &tv) < 0)
        return -1;
    return 0;
}

void sse_shutdown(void)
{
    while (sse.head.next && sse.head.next != &sse.head)
        end_stream(sse.head.next);
    if (sse.keepalive)
        event_free(sse.keepalive);
    sse.keepalive = NULL;
    if (sse.jobs_timer)
        event_free(sse.jobs_timer);
    sse.jobs_timer = NULL;
}

void h_events(struct rest_req *rr)
{
    static const enum media offer[] = { MEDIA_EVENTS };
    const char *last = evhttp_find_header(
        evhttp_request_get_input_headers(rr->req), "Last-Event-ID");
    char *since = rest_query(rr, "since");
    char *jobs = rest_query(rr, "jobs");
    bool want_jobs = jobs && !strcmp(jobs, "true");
    int64_t after = -1;
    struct bufferevent *bev;
    struct client *c;

    if (jobs && !want_jobs && strcmp(jobs, "false")) {
        rest_error(rr, 400, "bad_query", "jobs=%s: expected true or false",
                   jobs);
        free(jobs);
        free(since);
        return;
    }
    free(jobs);
    if (rest_negotiate(rr, offer, 1) != MEDIA_EVENTS) {
        free(since);
        rest_error(rr, 406, "not_acceptable", "events are served as "
                   "text/event-stream");
        return;
    }
    if ((since && !parse_int64(since, 0, INT64_MAX, &after)) ||
        (!since && last && !parse_int64(last, 0, INT64_MAX, &after))) {
        rest_error(rr, 400, "invalid_argument", "the event id to resume "
                   "after must be a non-negative integer, not '%s'",
                   since ? since : last);
        free(since);
        return;
    }
    free(since);
    if (sse.n >= SSE_MAX_CLIENTS) {
        rest_error(rr, 503, "too_many_streams", "%d event streams are open "
                   "already", SSE_MAX_CLIENTS);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (!c) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    c->req = rr->req;
    c->evcon = evhttp_request_get_connection(rr->req);
    c->sub.fn = on_event;
    c->sub.arg = c;
    c->jobs = want_jobs;
    rest_header(rr, "Content-Type", "text/event-stream");
    rest_header(rr, "Cache-Control", "no-cache");
    evhttp_send_reply_start(rr->req, 200, "OK");
    /* A stream client never writes again: evhttp's read timeout would
     * cut it off after --http-timeout of silence.  Only writes may time
     * out (a client that stopped reading). */
    bev = evhttp_connection_get_bufferevent(c->evcon);
    if (bev) {
        struct timeval wt = { (time_t)sse.a->opts->http_timeout_s, 0 };
        bufferevent_set_timeouts(bev, NULL, &wt);
    }
    metrics_record(rr->a->metrics, rr->m.route, 200, now_mono_ns() - rr->t0);
    rest_req_free(rr);

    send_chunk(c, "retry: 2000\n\n", 13);
    if (after >= 0)
        evlog_replay(sse.a->evlog, after, SSE_REPLAY_MAX, send_event, c);
    c->next = &sse.head;
    c->prev = sse.head.prev;
    sse.head.prev->next = c;
    sse.head.prev = c;
    sse.n++;
    if (c->jobs && sse.n_jobs++ == 0) {
        struct timeval jt = { 0, SSE_JOBS_MS * 1000 };
        event_add(sse.jobs_timer, &jt);
    }
    evlog_subscribe(sse.a->evlog, &c->sub);
    evhttp_connection_set_closecb(c->evcon, on_close, c);
}
