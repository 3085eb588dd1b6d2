/*
 * rest.h - one REST request in flight, and the ways to answer it.
 *
 * A request is answered exactly once, by one of the rest_reply_* /
 * rest_error* functions, which also count it in the metrics and free the
 * rest_req.  Handlers that wait for a worker keep the rest_req until then.
 *
 * Every error has the body {"error": {"code": "...", "message": "..."}}:
 * `code` is a stable word for programs, `message` says what failed and
 * why for people.
 */
#ifndef HVCTLD_REST_H
#define HVCTLD_REST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "route.h"

struct agent;
struct evhttp_request;

/* Largest request body the API takes (a domain config is far smaller). */
#define REST_BODY_MAX (1024 * 1024)
/* How deep a JSON body may nest. */
#define REST_JSON_DEPTH 16

enum transport { TR_UNIX = 0, TR_TCP = 1, TR_TLS = 2 };

struct rest_req {
    struct evhttp_request *req;
    struct agent *a;
    struct route_match m;       /* route and decoded path parameters */
    const char *query;          /* raw query string, or NULL */
    uint64_t t0;
    enum transport tr;
    int role;                   /* enum store_role */
    char who[96];               /* "unix", "token:NAME", "cert:CN" */
    char *body;                 /* NUL-terminated copy, once read */
    size_t body_len;
};

/* Send what is in the output buffer with this status and content type. */
void rest_send(struct rest_req *rr, int status, const char *content_type);
/* Send a JSON body (takes ownership of o; NULL means out of memory). */
void rest_reply_json(struct rest_req *rr, int status, json_object *o);
void rest_reply_empty(struct rest_req *rr, int status);
void rest_error(struct rest_req *rr, int status, const char *code,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* For a libhvctl failure: status and code from errmap_hv(). */
void rest_error_hv(struct rest_req *rr, int hv_rc, const char *msg);
/* Add a response header (before a reply). */
void rest_header(struct rest_req *rr, const char *key, const char *value);
/* Free without replying: the request was handed to libevent otherwise. */
void rest_req_free(struct rest_req *rr);

/* Media types a body or a reply may have. */
enum media { MEDIA_NONE, MEDIA_JSON, MEDIA_XML, MEDIA_EVENTS, MEDIA_TEXT,
             MEDIA_OTHER };

/* The request's Content-Type (MEDIA_OTHER also for a non-UTF-8 charset). */
enum media rest_content_type(struct rest_req *rr);
/*
 * Which of `offer` (in the server's order of preference) the Accept
 * header prefers; MEDIA_NONE when it takes none of them.
 */
enum media rest_negotiate(struct rest_req *rr, const enum media *offer,
                          size_t n);

/*
 * The body, NUL-terminated (owned by rr).  Replies 413 when it is over
 * REST_BODY_MAX and 400 when it is not UTF-8 (or holds a NUL), and then
 * returns NULL.
 */
const char *rest_body(struct rest_req *rr, size_t *len);

/* Parse body as JSON (any value); 400 bad_json and NULL if it is not. */
json_object *rest_json_parse(struct rest_req *rr, const char *body,
                             size_t len);

/*
 * The body as a text for one of libhvctl's readers (a config, a device):
 * 415 unless it is application/json or application/xml (`what` names it
 * in the message: "a device"), rest_body's replies, and 400 bad_json when
 * a JSON body is not JSON at all, as for every other body (a JSON text
 * that is no device is the library's error).  NULL when replied; *json
 * tells which of the two it is.
 */
const char *rest_body_text(struct rest_req *rr, const char *what,
                           size_t *len, bool *json);

/*
 * A small JSON object body whose keys are all in `keys` (NULL-ended).  An
 * empty body is an empty object when allow_empty.  Replies (415, 413,
 * 400) and returns NULL on any problem.  Caller owns the result.
 */
json_object *rest_json_body(struct rest_req *rr, const char *const *keys,
                            bool allow_empty);

/* Value of query parameter key (decoded, owned by the caller) or NULL. */
char *rest_query(struct rest_req *rr, const char *key);

/* The out-of-memory answer, from static bytes: nothing left to build. */
void rest_send_oom(struct evhttp_request *req);
/* "application/json", ... for m. */
const char *rest_media_name(enum media m);

/* Answer the request: routing, authentication, then the handler. */
void rest_dispatch(struct agent *a, struct evhttp_request *req,
                   enum transport tr);

#endif /* HVCTLD_REST_H */
