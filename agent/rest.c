/*
 * rest.c - dispatching a request (see rest.h): who asks, which route,
 * may they, with which parameters, then the handler.  Answers are
 * rest_reply.c's, media types rest_media.c's, bodies rest_body.c's.
 *
 * Order of checks: who is asking (401), then where (404/405), then
 * whether this caller may (403), then the query parameters (400); only
 * then does a handler run.  An unauthenticated TCP client learns nothing
 * about which paths exist.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "agent.h"
#include "auth.h"
#include "front.h"
#include "rest.h"
#include "tls.h"
#include "util.h"

static int authenticate(struct rest_req *rr)
{
    struct evhttp_request *req = rr->req;
    const char *hdr;
    int role;

    if (rr->tr == TR_UNIX) {
        snprintf(rr->who, sizeof(rr->who), "unix");
        return STORE_ROLE_ADMIN;
    }
    if (rr->tr == TR_TLS) {
        struct bufferevent *bev = front_tls_bev(req);
        if (bev && tls_peer_verified(bufferevent_openssl_get_ssl(bev),
                                     rr->who, sizeof(rr->who)))
            return STORE_ROLE_ADMIN;
    }
    hdr = evhttp_find_header(evhttp_request_get_input_headers(req),
                             "Authorization");
    role = auth_check_bearer(rr->a->auth, hdr, rr->who, sizeof(rr->who));
    if (role < 0) {
        rest_header(rr, "WWW-Authenticate", "Bearer realm=\"hvctld\"");
        rest_error(rr, 401, "unauthorized", hdr
                   ? "the bearer token is not valid (unknown or revoked)"
                   : "authentication required: a client certificate or "
                     "'Authorization: Bearer <token>'");
    }
    return role;
}

/* Every query parameter must be one the route takes. */
static bool check_query(struct rest_req *rr)
{
    const struct route *r = rr->m.route;
    struct evkeyvalq q;
    struct evkeyval *kv;
    bool ok = true;

    if (!rr->query)
        return true;
    TAILQ_INIT(&q);
    if (evhttp_parse_query_str(rr->query, &q)) {
        rest_error(rr, 400, "bad_query", "malformed query string");
        return false;
    }
    TAILQ_FOREACH(kv, &q, next) {
        size_t i;
        for (i = 0; r->query[i]; i++)
            if (strcmp(r->query[i], kv->key) == 0)
                break;
        if (!r->query[i]) {
            rest_error(rr, 400, "unknown_parameter", "unknown query "
                       "parameter \"%s\"", kv->key);
            ok = false;
            break;
        }
    }
    evhttp_clear_headers(&q);
    return ok;
}

/* Does the Accept header take what the route answers?  Else 406. */
static bool acceptable(struct rest_req *rr)
{
    enum route_media rm = rr->m.route->media;
    enum media m = rm == ROUTE_TEXT ? MEDIA_TEXT : MEDIA_JSON;

    if (rm == ROUTE_NEGOTIATES || rest_negotiate(rr, &m, 1) == m)
        return true;
    rest_error(rr, 406, "not_acceptable", "%s is served as %s only",
               rr->m.route->pattern, rest_media_name(m));
    return false;
}

void rest_dispatch(struct agent *a, struct evhttp_request *req,
                   enum transport tr)
{
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    unsigned method = (unsigned)evhttp_request_get_command(req);
    struct rest_req *rr;
    struct front_reject rej;
    bool rejected;
    const char *path;
    char allow[96];
    int role;

    /* First, whatever else fails: every request evhttp hands over must be
     * counted, or the refusals that follow are matched to the wrong
     * requests. */
    rejected = front_take_reject(req, &rej);
    rr = calloc(1, sizeof(*rr));
    if (!rr) {
        rest_send_oom(req);
        return;
    }
    rr->t0 = now_mono_ns();
    rr->req = req;
    rr->a = a;
    rr->tr = tr;
    if (rejected) {
        if (rej.header[0])
            rest_header(rr, rej.header, rej.value);
        rest_error(rr, rej.status, rej.code, "%s", rej.message);
        return;
    }
    role = authenticate(rr);
    if (role < 0)
        return;                 /* answered (401), rr is gone */
    rr->role = role;
    path = uri ? evhttp_uri_get_path(uri) : NULL;
    rr->query = uri ? evhttp_uri_get_query(uri) : NULL;
    if (rr->query && !*rr->query)
        rr->query = NULL;
    route_match(method, path, &rr->m);
    switch (rr->m.status) {
    case 0:
        break;
    case 405:
        route_allow_header(rr->m.allowed, allow, sizeof(allow));
        rest_header(rr, "Allow", allow);
        rest_error(rr, 405, "method_not_allowed", "%s is not allowed on %s "
                   "(allowed: %s)", route_method_name(method), path, allow);
        return;
    case 400:
        rest_error(rr, 400, "bad_path", "malformed escape in the path");
        return;
    default:
        rest_error(rr, 404, "not_found", "no such resource: %s",
                   path ? path : "");
        return;
    }
    if (rr->m.route->write && rr->role == STORE_ROLE_READONLY) {
        rest_error(rr, 403, "forbidden", "%s: this token is read-only",
                   rr->who);
        return;
    }
    if (!check_query(rr) || !acceptable(rr))
        return;
    rr->m.route->fn(rr);
}
