/*
 * agent_events.c - hv_events on an agent connection: the agent's
 * Server-Sent Events (GET /v1/events), parsed into hv_event.
 *
 * hv_events_get_fd() is an epoll fd over three things: the stream's fd
 * (bytes arrived, or the stream ended), an eventfd that is readable while
 * parsed events wait in the queue, and a timerfd for reconnecting.  So
 * hv_event_next never blocks: it reads what is there, parses whole
 * events, and returns one or HV_EAGAIN.
 *
 * When the stream ends (the agent restarted), the source reconnects by
 * itself, first at once and then with a growing pause, sending
 * Last-Event-ID: the agent replays what it logged after the last event
 * this source queued, so nothing is lost.  Reconnecting is done from
 * hv_event_next when the timer fires: the caller's poll loop drives it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent_int.h"
#include "event.h"
#include "event_int.h"

#define RETRY_FIRST_MS 50
#define RETRY_MAX_MS 2000
#define LINE_MAX_BYTES (256 * 1024)
#define EVENT_MAX_BYTES (1024 * 1024)

enum { EV_TAG_STREAM = 1, EV_TAG_READY = 2, EV_TAG_TIMER = 3 };

struct agent_events {
    struct hv_events base;      /* base.conn and base.lock (api_event.c) */
    int epfd, ready_fd, timer_fd;
    bool ready;                 /* ready_fd signalled */
    struct ht_stream *s;
    bool live;                  /* the stream has given bytes */
    unsigned retry_ms;          /* the next pause between attempts */
    char *buf;                  /* stream text not yet parsed */
    size_t len, cap;
    char *data;                 /* the event being read: its data lines */
    size_t dlen;
    bool too_big;               /* ... is over EVENT_MAX_BYTES: skipped */
    char id[32];                /* ... its id */
    char last_id[32];           /* the id of the last event queued */
    struct hv_event *head, *tail;
};

static struct agent_events *AE(const hv_events *ev)
{
    return (struct agent_events *)ev;
}

static void set_ready(struct agent_events *e, bool on)
{
    uint64_t v = 1;

    if (on == e->ready)
        return;
    if (on)
        (void)!write(e->ready_fd, &v, sizeof(v));
    else
        (void)!read(e->ready_fd, &v, sizeof(v));
    e->ready = on;
}

static void arm_timer(struct agent_events *e, unsigned ms)
{
    struct itimerspec its = {
        .it_value = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L },
    };

    timerfd_settime(e->timer_fd, 0, &its, NULL);
}

/* "2026-11-25T16:30:00.123Z" as ns since the epoch, or 0. */
static uint64_t parse_time(const char *s)
{
    struct tm tm = { 0 };
    unsigned frac = 0;
    int n = 0;
    char digits[10] = "";

    if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d%n", &tm.tm_year, &tm.tm_mon,
                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
                     &n) < 6)
        return 0;
    /* A time hvctld could have written, or none (and no overflow below). */
    if (tm.tm_year < 1970 || tm.tm_year > 9999 || tm.tm_mon < 1 ||
        tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
        tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
        return 0;
    if (s[n] == '.' && sscanf(s + n + 1, "%9[0-9]", digits) == 1) {
        size_t k = strlen(digits);
        frac = (unsigned)strtoul(digits, NULL, 10);
        while (k++ < 9)
            frac *= 10;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (uint64_t)timegm(&tm) * 1000000000ull + frac;
}

static int by_name(const char *(*name_of)(int), int hi, const char *s)
{
    for (int i = 1; s && i <= hi; i++)
        if (!strcmp(name_of(i), s))
            return i;
    return 0;
}

static const char *str_of(json_object *o, const char *key)
{
    json_object *v;

    return json_object_object_get_ex(o, key, &v) &&
           json_object_is_type(v, json_type_string)
           ? json_object_get_string(v) : NULL;
}

/* One event's data (a JSON object) onto the queue. */
static void queue_event(struct agent_events *e, const char *data)
{
    json_object *o = json_tokener_parse(data), *v;
    struct hv_event *ev;
    const char *s;

    if (!o || !json_object_is_type(o, json_type_object) ||
        !(ev = calloc(1, sizeof(*ev)))) {
        json_object_put(o);
        return;                 /* not an event we can read: skipped */
    }
    ev->type = by_name(hv_event_type_name, 64, str_of(o, "type"));
    ev->domid = HV_DOMID_NONE;
    if (json_object_object_get_ex(o, "domid", &v) &&
        json_object_is_type(v, json_type_int) &&
        json_object_get_int64(v) > 0 &&
        json_object_get_int64(v) < (int64_t)HV_DOMID_NONE)
        ev->domid = (uint32_t)json_object_get_int64(v);
    s = str_of(o, "name");
    snprintf(ev->name, sizeof(ev->name), "%s", s ? s : str_of(o, "domain")
                                                       ? str_of(o, "domain")
                                                       : "");
    s = str_of(o, "uuid");
    snprintf(ev->uuid, sizeof(ev->uuid), "%s", s ? s : "");
    s = str_of(o, "detail");
    snprintf(ev->detail, sizeof(ev->detail), "%s", s ? s : "");
    ev->reason = by_name(hv_reason_name, 64, str_of(o, "reason"));
    ev->cause = by_name(hv_cause_name, 64, str_of(o, "cause"));
    if (json_object_object_get_ex(o, "time_ns", &v) &&
        json_object_is_type(v, json_type_int) &&
        json_object_get_int64(v) > 0)
        ev->time_ns = (uint64_t)json_object_get_int64(v);
    else
        ev->time_ns = parse_time(str_of(o, "time"));
    if (!ev->time_ns)
        ev->time_ns = now_real_ns();
    json_object_put(o);
    if (e->tail)
        e->tail->next = ev;
    else
        e->head = ev;
    e->tail = ev;
}

/*
 * An id goes back to the agent in a Last-Event-ID header: one with a
 * control byte (a CR would end the header and start another) is not an
 * id, and the event is read without it.
 */
static bool printable(const char *v, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return false;
    return true;
}

/* One line of the stream (without its end). */
static void sse_line(struct agent_events *e, char *line, size_t len)
{
    char *v;
    size_t vlen;

    if (len == 0) {             /* the end of an event */
        if (e->id[0])
            snprintf(e->last_id, sizeof(e->last_id), "%s", e->id);
        if (e->dlen && !e->too_big)
            queue_event(e, e->data);
        e->dlen = 0;
        e->too_big = false;
        e->id[0] = '\0';
        return;
    }
    if (line[0] == ':')
        return;                 /* a comment: keep-alive */
    v = memchr(line, ':', len);
    vlen = v ? len - (size_t)(v - line) - 1 : 0;
    if (v) {
        *v++ = '\0';
        if (vlen && *v == ' ') {
            v++;
            vlen--;
        }
    } else {
        line[len] = '\0';
        v = line + len;
    }
    if (!strcmp(line, "data")) {
        char *nd;
        /*
         * Data lines without the empty line that ends an event would
         * otherwise grow without end: an event this large is no event
         * hvctld sends, and is skipped.
         */
        if (e->too_big || e->dlen + vlen + 2 > EVENT_MAX_BYTES) {
            e->too_big = true;
            e->dlen = 0;
            return;
        }
        nd = realloc(e->data, e->dlen + vlen + 2);
        if (!nd)
            return;
        e->data = nd;
        if (e->dlen)
            e->data[e->dlen++] = '\n';
        memcpy(e->data + e->dlen, v, vlen);
        e->dlen += vlen;
        e->data[e->dlen] = '\0';
    } else if (!strcmp(line, "id") && vlen < sizeof(e->id) &&
               printable(v, vlen)) {
        memcpy(e->id, v, vlen);
        e->id[vlen] = '\0';
    }
}

/* Parse the whole lines in buf. */
static void sse_parse(struct agent_events *e)
{
    size_t off = 0;
    char *nl;

    while ((nl = memchr(e->buf + off, '\n', e->len - off))) {
        size_t len = (size_t)(nl - (e->buf + off));
        if (len && e->buf[off + len - 1] == '\r')
            len--;
        sse_line(e, e->buf + off, len);
        off = (size_t)(nl - e->buf) + 1;
    }
    memmove(e->buf, e->buf + off, e->len - off);
    e->len -= off;
    if (e->len > LINE_MAX_BYTES)
        e->len = 0;             /* no line is that long: drop the junk */
}

static void stream_drop(struct agent_events *e)
{
    struct agent *a = AG(e->base.conn);

    if (!e->s)
        return;
    epoll_ctl(e->epfd, EPOLL_CTL_DEL, a->t->stream_fd(e->s), NULL);
    a->t->stream_close(e->s);
    e->s = NULL;
    /* A partial event is lost with its stream: the replay repeats it. */
    e->len = e->dlen = 0;
    e->too_big = false;
    e->id[0] = '\0';
}

/*
 * Open the stream, resuming after last_id.  0, or an HV_E* code with the
 * reason recorded.  `wait`: for the agent's answer (hv_events_open tells
 * a refusal); else not, so that reconnecting from hv_event_next never
 * waits on an agent that is still starting: a refusal then just ends the
 * new stream, and the timer tries again.
 */
static int stream_open(struct agent_events *e, bool wait)
{
    hv_conn *conn = e->base.conn;
    struct agent *a = AG(conn);
    struct ht_request q = {
        .method = "GET", .path = "/v1/events",
        .last_event_id = e->last_id[0] ? e->last_id : NULL,
        .timeout_ms = wait ? 30000 : 0,
    };
    struct epoll_event ee = { .events = EPOLLIN, .data.u32 = EV_TAG_STREAM };
    struct ht_response r;
    char err[HT_ERR_MAX] = "";
    int rc;

    /*
     * A stream has a connection of its own and only reads the
     * connection's settings: no need to wait for a request another
     * thread has in flight (a->lock).
     */
    rc = a->t->stream_open(a->hc, &q, &e->s, &r, err);
    if (rc)
        return err_set(HV_EIO, "connection '%s': events: %s", conn->uri, err);
    if (!e->s) {
        rc = agent_fail(conn, &r);
        ht_response_free(&r);
        return rc;
    }
    ee.data.u32 = EV_TAG_STREAM;
    if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, a->t->stream_fd(e->s), &ee) < 0) {
        rc = err_sys(HV_EIO, errno, "connection '%s': events", conn->uri);
        a->t->stream_close(e->s);
        e->s = NULL;
        return rc;
    }
    e->live = false;
    /* Bytes that came with the head are buffered: look at once. */
    set_ready(e, true);
    return 0;
}

/* Read what the stream has; at its end, plan the reconnection. */
static void stream_drain(struct agent_events *e)
{
    struct agent *a = AG(e->base.conn);
    char err[HT_ERR_MAX];

    while (e->s) {
        ssize_t n;
        if (e->cap - e->len < 4096) {
            size_t ncap = e->cap ? e->cap * 2 : 16384;
            char *nb = realloc(e->buf, ncap);
            if (!nb)
                return;
            e->buf = nb;
            e->cap = ncap;
        }
        n = a->t->stream_read(e->s, e->buf + e->len, e->cap - e->len, err);
        if (n == 0)
            return;
        if (n < 0) {
            /*
             * A stream that was live ended (the agent restarted): again
             * at once, from the poll loop.  One that never got going (a
             * refusal, an agent still starting): after a growing pause.
             */
            bool was_live = e->live;
            stream_drop(e);
            if (was_live)
                e->retry_ms = RETRY_FIRST_MS;
            arm_timer(e, was_live ? 1 : e->retry_ms);
            if (!was_live)
                e->retry_ms = e->retry_ms * 2 > RETRY_MAX_MS
                              ? RETRY_MAX_MS : e->retry_ms * 2;
            return;
        }
        e->live = true;
        e->len += (size_t)n;
        sse_parse(e);
    }
}

/* The timer fired: try again, or wait longer. */
static void reconnect(struct agent_events *e)
{
    uint64_t ticks;

    if (read(e->timer_fd, &ticks, sizeof(ticks)) != sizeof(ticks) || e->s)
        return;
    if (stream_open(e, false) == 0)
        return;
    arm_timer(e, e->retry_ms);
    e->retry_ms = e->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS
                                                 : e->retry_ms * 2;
}

int agent_events_open(hv_conn *conn, hv_events **out)
{
    struct agent_events *e = calloc(1, sizeof(*e));
    struct epoll_event ee = { .events = EPOLLIN };
    int rc;

    if (!e)
        return err_set(HV_ENOMEM, "events: out of memory");
    pthread_mutex_init(&e->base.lock, NULL);
    e->base.conn = conn;
    e->retry_ms = RETRY_FIRST_MS;
    e->epfd = epoll_create1(EPOLL_CLOEXEC);
    e->ready_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    e->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (e->epfd < 0 || e->ready_fd < 0 || e->timer_fd < 0) {
        rc = err_sys(HV_EIO, errno, "events");
        goto fail;
    }
    ee.data.u32 = EV_TAG_READY;
    epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->ready_fd, &ee);
    ee.data.u32 = EV_TAG_TIMER;
    epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->timer_fd, &ee);
    if ((rc = stream_open(e, true)))
        goto fail;
    *out = &e->base;
    return 0;
fail:
    agent_events_free(&e->base);
    return rc;
}

void agent_events_free(hv_events *ev)
{
    struct agent_events *e = AE(ev);

    if (!e)
        return;
    stream_drop(e);
    while (e->head) {
        struct hv_event *n = e->head->next;
        free(e->head);
        e->head = n;
    }
    if (e->epfd >= 0)
        close(e->epfd);
    if (e->ready_fd >= 0)
        close(e->ready_fd);
    if (e->timer_fd >= 0)
        close(e->timer_fd);
    free(e->buf);
    free(e->data);
    pthread_mutex_destroy(&e->base.lock);
    free(e);
}

int agent_events_fd(const hv_events *ev)
{
    return AE(ev)->epfd;
}

int agent_event_next(hv_events *ev, hv_event **out)
{
    struct agent_events *e = AE(ev);

    /* The epoll fd is level-triggered: reading each source below is
     * what makes it quiet again. */
    pthread_mutex_lock(&e->base.lock);
    if (!e->s)
        reconnect(e);
    stream_drain(e);
    if (e->head) {
        *out = e->head;
        e->head = e->head->next;
        if (!e->head)
            e->tail = NULL;
        (*out)->next = NULL;
    }
    set_ready(e, e->head != NULL);
    pthread_mutex_unlock(&e->base.lock);
    return *out ? 0 : HV_EAGAIN;
}
