/*
 * front.h - what a connection sends before evhttp sees it.
 *
 * libevent 2.1's evhttp answers what it cannot parse with an HTML page of
 * its own, reads a whole body before anyone may refuse it, and has no
 * hook to change either.  So every connection goes through a bufferevent
 * filter that reads each request itself: the request line, the headers
 * (who is asking is decided there, before any body is kept) and the body
 * framing, within the agent's limits.  Only complete, valid,
 * authenticated requests reach evhttp.  Anything else is answered by
 * rest_dispatch() with the documented JSON error: the filter hands evhttp
 * a stand-in request ("GET / HTTP/1.1" with "Connection: close") and
 * keeps the verdict, which front_take_reject() gives back; what else the
 * client sends is thrown away, and the connection closes after the answer.
 */
#ifndef HVCTLD_FRONT_H
#define HVCTLD_FRONT_H

#include <stdbool.h>
#include <stddef.h>

#include "rest.h"

struct agent;
struct bufferevent;
struct event_base;
struct evhttp_request;

/* Longest request head (request line and headers, and chunk trailers). */
#define FRONT_HEAD_MAX (64 * 1024)

/* One refused request, answered by rest_dispatch(). */
struct front_reject {
    int status;
    char code[32];
    char message[320];
    char header[24];            /* one more response header, or "" */
    char value[128];
};

/*
 * A new connection's bufferevent (for evhttp_set_bevcb): the filter over
 * a socket one (TR_UNIX, TR_TCP) or a TLS one made with ssl_ctx (TR_TLS).
 */
struct bufferevent *front_new_conn(struct agent *a, enum transport tr,
                                   void *ssl_ctx, struct event_base *base);

/*
 * Is req the stand-in for a refused request?  Then true, with the
 * verdict in *rej.  Call once per request, in the order evhttp hands them
 * over.
 */
bool front_take_reject(struct evhttp_request *req, struct front_reject *rej);

/* Close the connections still draining after a refusal (at exit). */
void front_stop(void);

/* The TLS bufferevent under a connection's filter (NULL if none). */
struct bufferevent *front_tls_bev(struct evhttp_request *req);

#endif /* HVCTLD_FRONT_H */
