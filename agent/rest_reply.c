/*
 * rest_reply.c - answering a request: statuses, headers, JSON bodies and
 * the error object (rest.h).  Each answer is counted in the metrics and
 * frees its rest_req.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "agent.h"
#include "errmap.h"
#include "metrics.h"
#include "rest.h"
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

void rest_send_oom(struct evhttp_request *req)
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
        rest_send_oom(rr->req);
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
