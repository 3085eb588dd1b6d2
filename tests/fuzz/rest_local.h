/*
 * rest_local.h - answering a request that was built in memory: the same
 * rest_dispatch(), routing, authentication and handlers as a request
 * from a socket, with the reply kept for the caller.  For the fuzzer
 * (tests/fuzz/fuzz_rest.c); the daemon itself does not use it.
 */
#ifndef HVCTLD_REST_LOCAL_H
#define HVCTLD_REST_LOCAL_H

#include <stddef.h>

#include "rest.h"

struct agent;

struct rest_local_reply {
    int status;
    char *content_type;         /* NULL when the reply has none */
    char *allow;                /* the Allow header, or NULL */
    char *body;                 /* NUL-terminated (body_len bytes before) */
    size_t body_len;
};

/*
 * Answer `method` (one M_* bit) on `uri` ("/v1/domains?start=1") with the
 * headers (name, value, name, value, ..., NULL) and body, as if it came
 * in over transport tr: runs a->base until the reply is made (handlers
 * that wait for a worker included).  0 with *out filled (free it with
 * rest_local_reply_free), or -1 when the request would never reach
 * rest_dispatch (libevent refuses the URI or a header itself) or is one
 * it cannot answer in memory (the SSE stream, GET /v1/events).
 */
int rest_local_request(struct agent *a, enum transport tr, unsigned method,
                       const char *uri, const char *const *headers,
                       const void *body, size_t len,
                       struct rest_local_reply *out);
void rest_local_reply_free(struct rest_local_reply *r);

#endif /* HVCTLD_REST_LOCAL_H */
