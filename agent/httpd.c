/*
 * httpd.c - see httpd.h.  HTTP parsing is libevent's evhttp, behind the
 * filter of front.c that lets only whole, valid, authenticated requests
 * through; TLS is an OpenSSL bufferevent under the filter
 * (evhttp_set_bevcb).  There is one evhttp per transport so that a
 * request always knows how it arrived.
 */
#include <errno.h>
#include <stdbool.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <openssl/ssl.h>

#include "agent.h"
#include "front.h"
#include "httpd.h"
#include "log.h"
#include "rest.h"
#include "tls.h"

#define BACKLOG 1024

struct front {
    struct httpd *h;
    enum transport tr;
    struct evhttp *http;
};

struct httpd {
    struct agent *a;
    struct front fr[3];         /* by enum transport */
    SSL_CTX *ssl_ctx;
    char *socket_path;
    bool bound;                 /* socket_path is ours to remove */
};

static void on_request(struct evhttp_request *req, void *arg)
{
    struct front *f = arg;

    rest_dispatch(f->h->a, req, f->tr);
}

static struct bufferevent *conn_bev(struct event_base *base, void *arg)
{
    struct front *f = arg;

    return front_new_conn(f->h->a, f->tr, f->h->ssl_ctx, base);
}

static struct evhttp *front_http(struct httpd *h, enum transport tr)
{
    struct front *f = &h->fr[tr];

    if (f->http)
        return f->http;
    f->h = h;
    f->tr = tr;
    f->http = evhttp_new(h->a->base);
    if (!f->http)
        return NULL;
    /* Every method reaches us, so that a wrong one gets our 405. */
    evhttp_set_allowed_methods(f->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
                               EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                               EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                               EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT |
                               EVHTTP_REQ_PATCH);
    /* front.c holds requests to these limits (and stricter) already;
     * evhttp's own are only a second line. */
    evhttp_set_max_headers_size(f->http, FRONT_HEAD_MAX);
    evhttp_set_max_body_size(f->http, REST_BODY_MAX);
    evhttp_set_timeout(f->http, (int)h->a->opts->http_timeout_s);
    evhttp_set_gencb(f->http, on_request, f);
    evhttp_set_bevcb(f->http, conn_bev, f);
    return f->http;
}

static int bind_unix(struct httpd *h, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    const char *path = h->socket_path;
    struct evconnlistener *l;
    struct stat st;
    mode_t old;
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "socket path %s is too long", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto sys;
    /* Someone answering there is another agent; anything else is stale
     * (the rundir lock already keeps a second agent out). */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
        snprintf(err, errlen, "%s: another hvctld is listening there", path);
        close(fd);
        return -1;
    }
    close(fd);
    if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket", path);
        return -1;
    }
    unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto sys;
    /* Born 0660: the file mode is the access control, so it must never
     * exist with a wider one, not even for an instant. */
    old = umask(0117);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        umask(old);
        goto sys_close;
    }
    umask(old);
    h->bound = true;
    if (chmod(path, 0660) < 0)
        goto sys_close;
    if (h->a->opts->socket_group) {
        struct group *g = getgrnam(h->a->opts->socket_group);
        if (!g) {
            snprintf(err, errlen, "--socket-group %s: no such group",
                     h->a->opts->socket_group);
            close(fd);
            return -1;
        }
        if (chown(path, (uid_t)-1, g->gr_gid) < 0)
            goto sys_close;
    }
    if (listen(fd, BACKLOG) < 0)
        goto sys_close;
    l = evconnlistener_new(h->a->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE, -1,
                           fd);
    if (!l || !front_http(h, TR_UNIX) ||
        !evhttp_bind_listener(h->fr[TR_UNIX].http, l)) {
        snprintf(err, errlen, "%s: cannot listen (out of memory)", path);
        if (l)
            evconnlistener_free(l);
        else
            close(fd);
        return -1;
    }
    return 0;
sys_close:
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    close(fd);
    return -1;
sys:
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
}

static int bind_tcp(struct httpd *h, const struct listen_addr *la,
                    char *err, size_t errlen)
{
    enum transport tr = h->a->opts->insecure ? TR_TCP : TR_TLS;
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    struct evconnlistener *l;
    int rc, one = 1;

    rc = getaddrinfo(la->host, la->port, &hints, &res);
    if (rc) {
        snprintf(err, errlen, "--listen %s:%s: %s", la->host, la->port,
                 gai_strerror(rc));
        return -1;
    }
    l = evconnlistener_new_bind(h->a->base, NULL, NULL,
                                LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE |
                                LEV_OPT_CLOSE_ON_EXEC, BACKLOG,
                                res->ai_addr, (int)res->ai_addrlen);
    if (!l) {
        snprintf(err, errlen, "--listen %s:%s: %s", la->host, la->port,
                 strerror(errno));
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);
    /* Accepted sockets inherit it: answers go out at once instead of
     * waiting behind Nagle for the client's (delayed) ACK, which with TLS,
     * whose records are written one by one, costs 40 ms a request. */
    setsockopt(evconnlistener_get_fd(l), IPPROTO_TCP, TCP_NODELAY, &one,
               sizeof(one));
    if (!front_http(h, tr) || !evhttp_bind_listener(h->fr[tr].http, l)) {
        evconnlistener_free(l);
        snprintf(err, errlen, "--listen %s:%s: out of memory", la->host,
                 la->port);
        return -1;
    }
    log_info("listening on %s:%s (%s)", la->host, la->port,
             tr == TR_TLS ? "TLS" : "plain HTTP, loopback only");
    return 0;
}

int httpd_start(struct agent *a, struct httpd **out, char *err,
                size_t errlen)
{
    const struct agent_opts *o = a->opts;
    struct httpd *h = calloc(1, sizeof(*h));

    *out = NULL;
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    h->a = a;
    if (o->socket_path) {
        h->socket_path = strdup(o->socket_path);
    } else if (asprintf(&h->socket_path, "%s/hvctld.sock",
                        hv_conn_get_rundir(a->conn)) < 0) {
        h->socket_path = NULL;
    }
    if (!h->socket_path) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (o->nlisten && !o->insecure) {
        h->ssl_ctx = tls_server_ctx(o->tls_cert, o->tls_key, o->tls_ca, err,
                                    errlen);
        if (!h->ssl_ctx)
            goto fail;
    }
    if (bind_unix(h, err, errlen))
        goto fail;
    for (size_t i = 0; i < o->nlisten; i++)
        if (bind_tcp(h, &o->listen[i], err, errlen))
            goto fail;
    log_info("listening on %s", h->socket_path);
    *out = h;
    return 0;
fail:
    httpd_stop(h);
    return -1;
}

void httpd_stop_accepting(struct httpd *h)
{
    /* evhttp has no "stop accepting": freeing happens in httpd_stop. */
    if (h && h->bound) {
        unlink(h->socket_path);
        h->bound = false;
    }
}

void httpd_stop(struct httpd *h)
{
    if (!h)
        return;
    for (int i = 0; i < 3; i++)
        if (h->fr[i].http)
            evhttp_free(h->fr[i].http);
    front_stop();
    httpd_stop_accepting(h);
    SSL_CTX_free(h->ssl_ctx);
    free(h->socket_path);
    free(h);
}

const char *httpd_socket_path(const struct httpd *h)
{
    return h->socket_path;
}
