/*
 * rest_body.c - what a request brings: its body (bounded, UTF-8), the
 * body as JSON (strict, bounded depth, known keys only), and its query
 * parameters (rest.h).
 */
#include <stdlib.h>
#include <string.h>

#include <sys/queue.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "rest.h"
#include "util.h"

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

const char *rest_body_text(struct rest_req *rr, const char *what,
                           size_t *len, bool *json)
{
    enum media ct = rest_content_type(rr);
    json_object *syntax;
    const char *body;

    if (ct != MEDIA_JSON && ct != MEDIA_XML) {
        rest_error(rr, 415, "unsupported_media_type", "%s is "
                   "application/json or application/xml", what);
        return NULL;
    }
    if (!(body = rest_body(rr, len)))
        return NULL;
    *json = ct == MEDIA_JSON;
    if (*json) {
        if (!(syntax = rest_json_parse(rr, body, *len)))
            return NULL;
        json_object_put(syntax);
    }
    return body;
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
