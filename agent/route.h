/*
 * route.h - the REST API's paths: one table from (method, path pattern)
 * to handler.  schema/openapi.yaml describes exactly this table, and the
 * tests hold the two together.
 *
 * Matching works on the raw path, one segment at a time, and decodes
 * percent escapes per segment: "%2F" in a name stays inside the name (and
 * is then refused as a name), it never becomes a separator.
 */
#ifndef HVCTLD_ROUTE_H
#define HVCTLD_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#define ROUTE_PARAM_MAX 256      /* bytes of one decoded path parameter */
#define ROUTE_MAX_PARAMS 2

/* Methods, as a bit mask (the same bits as libevent's EVHTTP_REQ_*). */
enum {
    M_GET = 1 << 0, M_POST = 1 << 1, M_HEAD = 1 << 2, M_PUT = 1 << 3,
    M_DELETE = 1 << 4, M_OPTIONS = 1 << 5, M_TRACE = 1 << 6,
    M_CONNECT = 1 << 7, M_PATCH = 1 << 8,
};

struct rest_req;
typedef void (*route_fn)(struct rest_req *rr);

/* What a route answers with, for the Accept header (406 when it takes
 * none of it); errors are always JSON. */
enum route_media {
    ROUTE_JSON = 0,             /* application/json */
    ROUTE_TEXT,                 /* text/plain */
    ROUTE_NEGOTIATES,           /* the handler looks at Accept itself */
};

struct route {
    unsigned method;            /* one M_* bit */
    const char *pattern;        /* "/v1/domains/{name}/start" */
    route_fn fn;
    const char *const *query;   /* query parameters it takes, NULL-ended */
    bool write;                 /* changes something: not for read-only */
    enum route_media media;
};

extern const struct route routes[];
extern const size_t routes_count;

struct route_match {
    const struct route *route;  /* NULL: no match                        */
    unsigned allowed;           /* methods the path takes (for 405)      */
    int status;                 /* 0 matched, 404, 405, or 400 (bad %xx) */
    size_t nparams;
    char params[ROUTE_MAX_PARAMS][ROUTE_PARAM_MAX];
};

/* Match method (one M_* bit) and raw path (no query) against the table. */
void route_match(unsigned method, const char *path, struct route_match *m);

/* "GET", ... for one M_* bit; "Allow" header value for a mask. */
const char *route_method_name(unsigned method);
void route_allow_header(unsigned allowed, char *buf, size_t len);

/*
 * Percent-decode one path segment of len bytes into out (size outlen).
 * false when it holds a bad escape, a NUL, or does not fit.
 */
bool route_decode_segment(const char *seg, size_t len, char *out,
                          size_t outlen);

#endif /* HVCTLD_ROUTE_H */
