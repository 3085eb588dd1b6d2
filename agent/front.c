/*
 * front.c - see front.h: the connections and their filter.  The filter
 * keeps the request it is reading in `held` and moves it to evhttp only
 * once front_parse.c has found it whole and valid.
 *
 * What a client can make the agent hold: an unauthenticated one at most
 * FRONT_HEAD_MAX (its 401 comes as soon as the headers end; its body is
 * never kept), an authenticated one a body of REST_BODY_MAX; and at most
 * --max-connections TCP connections.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <openssl/ssl.h>

#include "agent.h"
#include "front_int.h"
#include "log.h"
#include "options.h"

/* After a refusal, what the client still sends is read and dropped for
 * this long before the close, so that the close does not reset the
 * connection under an answer the client has not read yet. */
#define LINGER_S 2
#define LINGER_MAX 64           /* connections lingering at once */
/* The socket's output is cut here so that a slow reader's backlog stays
 * in the filter, where the event streams (sse.c) measure it. */
#define UNDER_WRITE_HIGH (64 * 1024)

static LIST_HEAD(, conn) conns = LIST_HEAD_INITIALIZER(conns);
/* TCP connections (the cap's count; the Unix socket's clients are trusted
 * by its file mode, and always get in) and refused ones draining. */
static size_t ntcp, nlinger;

/* ---- refusing ---- */

void front_reject(struct conn *c, struct evbuffer *dst, int status,
                  const char *code, const char *fmt, ...)
{
    /* A HEAD's answer has no body, and evhttp knows it from the method. */
    static const char get[] = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
    static const char head[] = "HEAD / HTTP/1.1\r\nConnection: close\r\n"
                               "\r\n";
    va_list ap;

    c->rej.status = status;
    snprintf(c->rej.code, sizeof(c->rej.code), "%s", code);
    va_start(ap, fmt);
    vsnprintf(c->rej.message, sizeof(c->rej.message), fmt, ap);
    va_end(ap);
    c->st = S_REJECTED;
    evbuffer_drain(c->held, evbuffer_get_length(c->held));
    c->reject_seq = ++c->forwarded;
    if (c->head)
        evbuffer_add(dst, head, sizeof(head) - 1);
    else
        evbuffer_add(dst, get, sizeof(get) - 1);
}

void front_reject_header(struct conn *c, const char *name, const char *value)
{
    snprintf(c->rej.header, sizeof(c->rej.header), "%s", name);
    snprintf(c->rej.value, sizeof(c->rej.value), "%s", value);
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
    front_parse(c, dst);
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
    LIST_ENTRY(lingerer) link;
    int fd;
    struct event *ev;
    struct timespec until;      /* however much the client still sends */
};

static LIST_HEAD(, lingerer) lingerers = LIST_HEAD_INITIALIZER(lingerers);

static void linger_end(struct lingerer *l)
{
    LIST_REMOVE(l, link);
    event_free(l->ev);
    close(l->fd);
    free(l);
    nlinger--;
}

void front_stop(void)
{
    while (!LIST_EMPTY(&lingerers))
        linger_end(LIST_FIRST(&lingerers));
}

static bool past(const struct timespec *t)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > t->tv_sec ||
           (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

static void on_linger(evutil_socket_t fd, short what, void *arg)
{
    struct lingerer *l = arg;
    char buf[16384];
    ssize_t n = 0;

    if ((what & EV_READ) && !past(&l->until)) {
        n = read(fd, buf, sizeof(buf));
        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
            return;
    }
    linger_end(l);
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
    clock_gettime(CLOCK_MONOTONIC, &l->until);
    l->until.tv_sec += LINGER_S;
    LIST_INSERT_HEAD(&lingerers, l, link);
    nlinger++;
}

static void conn_free(void *arg)
{
    struct conn *c = arg;

    /* Not while stopping: libevent may free a connection in the loop's
     * last turn, after front_stop(), and a lingerer made then would
     * outlive the event base (a leak). */
    if (c->reject_seq && !c->a->stopping)
        linger_start(c->a->base, bufferevent_getfd(c->under));
    LIST_REMOVE(c, link);
    if (c->tr != TR_UNIX)
        ntcp--;
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
    if (tr != TR_UNIX)
        ntcp++;
    if (!evbuffer_add_cb(bufferevent_get_output(c->under), on_sent, c) ||
        !evbuffer_add_cb(bufferevent_get_output(c->bev), on_queued, c)) {
        bufferevent_free(c->bev);       /* conn_free() frees c */
        return NULL;
    }
    if (tr != TR_UNIX && ntcp > a->opts->max_connections) {
        /* evhttp reads the stand-in as soon as it takes the connection. */
        front_reject(c, bufferevent_get_input(c->bev), 503,
                     "too_many_connections", "%u TCP connections are open "
                     "already (--max-connections)", a->opts->max_connections);
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
