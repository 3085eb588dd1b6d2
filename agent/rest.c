/*
 * rest.c - dispatching a request and answering it (see rest.h).
 *
 * Order of checks: who is asking (401), then where (404/405), then
 * whether this caller may (403), then the query parameters (400); only
 * then does a handler run.  An unauthenticated TCP client learns nothing
 * about which paths exist.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "agent.h"
#include "auth.h"
#include "errmap.h"
#include "front.h"
#include "metrics.h"
#include "rest.h"
#include "tls.h"
#include "util.h"

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default:  return "Unknown";
    }
}

/* The out-of-memory answer, from static bytes: nothing left to build. */
static void send_oom(struct evhttp_request *req)
{
    static const char body[] = "{\"error\":{\"code\":\"out_of_memory\","
                               "\"message\":\"out of memory\"}}\n";
    struct evbuffer *out = evhttp_request_get_output_buffer(req);

    evbuffer_drain(out, evbuffer_get_length(out));
    evbuffer_add_reference(out, body, sizeof(body) - 1, NULL, NULL);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "application/json");
    evhttp_send_reply(req, 500, reason(500), NULL);
}

void rest_req_free(struct rest_req *rr)
{
    free(rr->body);
    free(rr);
}

void rest_header(struct rest_req *rr, const char *key, const char *value)
{
    evhttp_add_header(evhttp_request_get_output_headers(rr->req), key, value);
}

void rest_send(struct rest_req *rr, int status, const char *content_type)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(rr->req);

    if (content_type)
        rest_header(rr, "Content-Type", content_type);
    /* A HEAD is answered with the headers a GET would get, and no body:
     * libevent 2.1 would send the body. */
    if (evhttp_request_get_command(rr->req) == EVHTTP_REQ_HEAD) {
        char len[24];
        snprintf(len, sizeof(len), "%zu", evbuffer_get_length(out));
        rest_header(rr, "Content-Length", len);
        evbuffer_drain(out, evbuffer_get_length(out));
    }
    evhttp_send_reply(rr->req, status, reason(status), NULL);
    metrics_record(rr->a->metrics, rr->m.route, status,
                   now_mono_ns() - rr->t0);
    rest_req_free(rr);
}

void rest_reply_json(struct rest_req *rr, int status, json_object *o)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(rr->req);
    const char *s;
    size_t len;

    if (!o) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    s = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
                                          JSON_C_TO_STRING_NOSLASHESCAPE,
                                          &len);
    if (!s || evbuffer_add(out, s, len) || evbuffer_add(out, "\n", 1)) {
        json_object_put(o);
        evbuffer_drain(out, evbuffer_get_length(out));
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    json_object_put(o);
    rest_send(rr, status, "application/json");
}

void rest_reply_empty(struct rest_req *rr, int status)
{
    rest_send(rr, status, NULL);
}

void rest_error(struct rest_req *rr, int status, const char *code,
                const char *fmt, ...)
{
    json_object *o = json_object_new_object(), *e = json_object_new_object();
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* A message must be valid UTF-8 for JSON: names and paths in it came
     * from the client, so cut at the first byte that is not. */
    for (size_t i = strlen(msg); i > 0 && !utf8_valid(msg, strlen(msg)); i--)
        msg[i - 1] = '\0';
    if (!o || !e) {
        json_object_put(o);
        json_object_put(e);
        send_oom(rr->req);
        rest_req_free(rr);
        return;
    }
    json_object_object_add(e, "code", json_object_new_string(code));
    json_object_object_add(e, "message", json_object_new_string(msg));
    json_object_object_add(o, "error", e);
    rest_reply_json(rr, status, o);
}

void rest_error_hv(struct rest_req *rr, int hv_rc, const char *msg)
{
    const char *code;
    int status;

    errmap_hv(hv_rc, &status, &code);
    rest_error(rr, status, code, "%s", msg && *msg ? msg : hv_strerror(hv_rc));
}

/* ---- media types ---- */

static enum media media_of(const char *s, size_t len)
{
    static const struct { const char *name; enum media m; } types[] = {
        { "application/json", MEDIA_JSON }, { "application/xml", MEDIA_XML },
        { "text/xml", MEDIA_XML }, { "text/event-stream", MEDIA_EVENTS },
        { "text/plain", MEDIA_TEXT },
    };

    for (size_t i = 0; i < ARRAY_SIZE(types); i++)
        if (strlen(types[i].name) == len &&
            strncasecmp(s, types[i].name, len) == 0)
            return types[i].m;
    return MEDIA_OTHER;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

enum media rest_content_type(struct rest_req *rr)
{
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(rr->req),
                                        "Content-Type");
    const char *semi, *p;
    size_t len;
    enum media m;

    if (!ct)
        return MEDIA_NONE;
    ct = skip_ws(ct);
    semi = strchr(ct, ';');
    len = semi ? (size_t)(semi - ct) : strlen(ct);
    while (len && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
        len--;
    m = media_of(ct, len);
    /* Parameters: only a UTF-8 charset is understood. */
    for (p = semi; p; p = strchr(p + 1, ';')) {
        const char *param = skip_ws(p + 1);
        if (strncasecmp(param, "charset=", 8) == 0) {
            const char *cs = param + 8;
            if (*cs == '"')
                cs++;
            if (strncasecmp(cs, "utf-8", 5) && strncasecmp(cs, "utf8", 4))
                return MEDIA_OTHER;
        }
    }
    return m;
}

/*
 * The q of one Accept element ("type/sub;q=0.5") for media m (named
 * mname), or -1 when the element does not take m.  text/xml counts as
 * application/xml: the same document.
 */
static double accept_q(const char *el, size_t len, enum media m,
                       const char *mname)
{
    const char *semi = memchr(el, ';', len);
    size_t tlen = semi ? (size_t)(semi - el) : len;
    size_t major = (size_t)(strchr(mname, '/') - mname) + 1;  /* "text/" */
    double q = 1.0;

    while (tlen && (el[tlen - 1] == ' ' || el[tlen - 1] == '\t'))
        tlen--;
    for (const char *p = semi; p;) {
        const char *param = skip_ws(p + 1);
        if (strncasecmp(param, "q=", 2) == 0)
            q = strtod(param + 2, NULL);
        p = memchr(p + 1, ';', (size_t)(el + len - (p + 1)));
    }
    if (tlen == 3 && strncmp(el, "*/*", 3) == 0)
        return q;
    if (tlen == major + 1 && el[major] == '*' &&
        strncasecmp(el, mname, major) == 0)
        return q;
    return media_of(el, tlen) == m ? q : -1;
}

static const char *media_name(enum media m)
{
    switch (m) {
    case MEDIA_JSON:   return "application/json";
    case MEDIA_XML:    return "application/xml";
    case MEDIA_EVENTS: return "text/event-stream";
    case MEDIA_TEXT:   return "text/plain";
    default:           return "application/octet-stream";
    }
}

enum media rest_negotiate(struct rest_req *rr, const enum media *offer,
                          size_t n)
{
    const char *acc = evhttp_find_header(
        evhttp_request_get_input_headers(rr->req), "Accept");
    enum media best = MEDIA_NONE;
    double best_q = 0;

    if (!acc || !*skip_ws(acc))
        return n ? offer[0] : MEDIA_NONE;
    for (size_t i = 0; i < n; i++) {
        double q = -1;
        for (const char *el = acc; el && *el;) {
            const char *comma = strchr(el, ',');
            size_t len;
            double eq;

            el = skip_ws(el);
            len = comma ? (size_t)(comma - el) : strlen(el);
            eq = accept_q(el, len, offer[i], media_name(offer[i]));
            if (eq > q)
                q = eq;
            el = comma ? comma + 1 : NULL;
        }
        if (q > best_q) {
            best_q = q;
            best = offer[i];
        }
    }
    return best;
}

/* ---- bodies and queries ---- */

const char *rest_body(struct rest_req *rr, size_t *len)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(rr->req);
    size_t n = evbuffer_get_length(in);

    if (rr->body) {
        *len = rr->body_len;
        return rr->body;
    }
    if (n > REST_BODY_MAX) {
        rest_error(rr, 413, "body_too_large", "the request body is %zu "
                   "bytes, more than the limit of %d", n, REST_BODY_MAX);
        return NULL;
    }
    rr->body = malloc(n + 1);
    if (!rr->body) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return NULL;
    }
    evbuffer_copyout(in, rr->body, n);
    rr->body[n] = '\0';
    rr->body_len = n;
    if (!utf8_valid(rr->body, n)) {
        rest_error(rr, 400, "bad_encoding", "the request body is not valid "
                   "UTF-8 text");
        return NULL;
    }
    *len = n;
    return rr->body;
}

json_object *rest_json_parse(struct rest_req *rr, const char *body,
                             size_t len)
{
    struct json_tokener *tok = json_tokener_new_ex(REST_JSON_DEPTH);
    json_object *o;

    if (!tok) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return NULL;
    }
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
                           JSON_TOKENER_VALIDATE_UTF8);
    o = json_tokener_parse_ex(tok, body, (int)len);
    if (!o || json_tokener_get_error(tok) != json_tokener_success ||
        (size_t)json_tokener_get_parse_end(tok) != len) {
        enum json_tokener_error err = json_tokener_get_error(tok);
        rest_error(rr, 400, "bad_json", "the body is not valid JSON: %s "
                   "(at byte %zu)", err == json_tokener_success
                   ? "unexpected data after the value"
                   : err == json_tokener_continue ? "it ends too early"
                   : json_tokener_error_desc(err),
                   json_tokener_get_parse_end(tok));
        json_object_put(o);
        json_tokener_free(tok);
        return NULL;
    }
    json_tokener_free(tok);
    return o;
}

/*
 * Does valid JSON text hold the escape \u0000?  json-c decodes it into a
 * NUL that C strings stop at, so "ok\u0000x" would act as "ok".  Outside
 * strings there is no backslash, so stepping over escapes two bytes at a
 * time is enough.
 */
static bool has_nul_escape(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (s[i] == '\\') {
            if (len - i >= 6 && memcmp(s + i + 1, "u0000", 5) == 0)
                return true;
            i++;
        }
    return false;
}

json_object *rest_json_body(struct rest_req *rr, const char *const *keys,
                            bool allow_empty)
{
    enum media ct = rest_content_type(rr);
    json_object *o;
    const char *body;
    size_t len;

    if (!(body = rest_body(rr, &len)))
        return NULL;
    if (len == 0 && allow_empty)
        return json_object_new_object();
    if (ct != MEDIA_JSON) {
        rest_error(rr, 415, "unsupported_media_type", "the body must be "
                   "application/json");
        return NULL;
    }
    if (!(o = rest_json_parse(rr, body, len)))
        return NULL;
    if (!json_object_is_type(o, json_type_object)) {
        rest_error(rr, 400, "bad_json", "the body must be a JSON object");
        json_object_put(o);
        return NULL;
    }
    if (has_nul_escape(body, len)) {
        rest_error(rr, 400, "invalid_argument", "\\u0000 (a NUL character) "
                   "is not allowed in a string");
        json_object_put(o);
        return NULL;
    }
    json_object_object_foreach(o, key, val) {
        size_t i;
        (void)val;
        for (i = 0; keys[i]; i++)
            if (strcmp(keys[i], key) == 0)
                break;
        if (!keys[i]) {
            rest_error(rr, 400, "unknown_field", "unknown field \"%s\"", key);
            json_object_put(o);
            return NULL;
        }
    }
    return o;
}

char *rest_query(struct rest_req *rr, const char *key)
{
    struct evkeyvalq q;
    const char *v;
    char *res = NULL;

    if (!rr->query)
        return NULL;
    TAILQ_INIT(&q);
    if (evhttp_parse_query_str(rr->query, &q) == 0 &&
        (v = evhttp_find_header(&q, key)))
        res = strdup(v);
    evhttp_clear_headers(&q);
    return res;
}

/* ---- dispatch ---- */

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
               rr->m.route->pattern, media_name(m));
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
        send_oom(req);
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
