/*
 * rest_local.c - see rest_local.h.
 *
 * The request is an ordinary evhttp_request (fields from
 * event2/http_struct.h, as libevent's parser would set them) that has no
 * connection: libevent then frees a request once it is answered, and
 * EVHTTP_REQ_DEFER_FREE turns that into a flag (EVHTTP_REQ_NEEDS_FREE),
 * which is how we see the reply is made and read it before freeing.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/http_struct.h>
#include <event2/keyvalq_struct.h>

#include "agent.h"
#include "rest_handlers.h"
#include "rest_local.h"

static char *header_dup(struct evhttp_request *req, const char *name)
{
    const char *v = evhttp_find_header(req->output_headers, name);

    return v ? strdup(v) : NULL;
}

int rest_local_request(struct agent *a, enum transport tr, unsigned method,
                       const char *uri, const char *const *headers,
                       const void *body, size_t len,
                       struct rest_local_reply *out)
{
    struct evhttp_request *req = NULL;
    struct route_match m;
    size_t n;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    req = evhttp_request_new(NULL, NULL);
    if (!req)
        return -1;
    req->kind = EVHTTP_REQUEST;
    req->type = (enum evhttp_cmd_type)method;
    req->major = req->minor = 1;
    req->uri = strdup(uri);
    /* The flags libevent's own request-line parser uses. */
    req->uri_elems = evhttp_uri_parse_with_flags(uri,
                                                 EVHTTP_URI_NONCONFORMANT);
    if (!req->uri || !req->uri_elems)
        goto out;
    route_match(method, evhttp_uri_get_path(req->uri_elems), &m);
    if (m.route && m.route->fn == h_events)
        goto out;
    for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
        if (evhttp_add_header(req->input_headers, headers[i],
                              headers[i + 1]))
            goto out;
    if (len && evbuffer_add(req->input_buffer, body, len))
        goto out;

    req->flags |= EVHTTP_REQ_DEFER_FREE;
    rest_dispatch(a, req, tr);
    while (!(req->flags & EVHTTP_REQ_NEEDS_FREE))
        event_base_loop(a->base, EVLOOP_ONCE);

    out->status = req->response_code;
    out->content_type = header_dup(req, "Content-Type");
    out->allow = header_dup(req, "Allow");
    n = evbuffer_get_length(req->output_buffer);
    out->body = malloc(n + 1);
    if (out->body) {
        evbuffer_copyout(req->output_buffer, out->body, n);
        out->body[n] = '\0';
        out->body_len = n;
    }
    req->flags &= ~(EVHTTP_REQ_DEFER_FREE | EVHTTP_REQ_NEEDS_FREE);
    rc = out->body ? 0 : -1;
out:
    evhttp_request_free(req);
    if (rc)
        rest_local_reply_free(out);
    return rc;
}

void rest_local_reply_free(struct rest_local_reply *r)
{
    free(r->content_type);
    free(r->allow);
    free(r->body);
    memset(r, 0, sizeof(*r));
}
