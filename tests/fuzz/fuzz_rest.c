/*
 * fuzz_rest.c - libFuzzer harness for hvctld's REST requests: routing and
 * path decoding, authentication, query parameters, content negotiation,
 * bodies and every handler but the SSE stream, through rest_dispatch()
 * (rest_local.c: no socket).  Reading requests off the wire
 * (agent/front_parse.c, evhttp) is fuzz_http.c's.
 *
 * The agent is fuzz_agent.c's: a real one, with no hvcore, and two
 * tokens whose secrets are in rest.dict.
 *
 * An input is up to 8 requests separated by a line "%%":
 *
 *   POST /v1/domains?start=0 tcp       method, target, transport
 *   Authorization: Bearer hvt_...      (unix, the default, tcp or tls)
 *   Content-Type: application/json     headers up to an empty line
 *
 *   {"type":"pv", ...}                 the body: the rest
 *
 * After each input every job has finished and every definition is removed
 * again (through the API), so that an input means the same whatever ran
 * before.  Checked besides crashes, leaks and sanitizer errors: every
 * request is answered, with a status the API documents; every error is
 * the JSON {"error":{"code":...,"message":...}}; a JSON reply is JSON; a
 * 405 names the allowed methods; the Unix socket never asks for
 * credentials and TCP always does; no request makes a 500; a definition
 * the API took comes back as XML that it would take again.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "fuzz_agent.h"
#include "fuzz_check.h"
#include "rest_local.h"

#define MAX_REQUESTS 8
#define MAX_HEADERS 32
#define SEPARATOR "\n%%\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct agent *agent;

static unsigned method_bit(const char *s, size_t len)
{
    static const struct { const char *name; unsigned bit; } m[] = {
        { "GET", M_GET }, { "POST", M_POST }, { "HEAD", M_HEAD },
        { "PUT", M_PUT }, { "DELETE", M_DELETE }, { "OPTIONS", M_OPTIONS },
        { "TRACE", M_TRACE }, { "CONNECT", M_CONNECT }, { "PATCH", M_PATCH },
    };

    for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
        if (strlen(m[i].name) == len && memcmp(m[i].name, s, len) == 0)
            return m[i].bit;
    return 0;
}

static bool is_json(const char *content_type)
{
    return content_type &&
           strncmp(content_type, "application/json", 16) == 0;
}

/* The checks every reply must pass. */
static void check_reply(const struct rest_local_reply *r, enum transport tr,
                        bool has_auth, const char *what)
{
    static const int documented[] = { 200, 201, 202, 204, 400, 401, 403, 404,
                                      405, 406, 409, 413, 415, 502, 503,
                                      504 };
    json_object *o = NULL, *e = NULL, *code = NULL, *msg = NULL;
    bool known = false;

    for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
        known = known || r->status == documented[i];
    FUZZ_CHECK(known, "%s: status %d\n%s", what, r->status, r->body);
    FUZZ_CHECK(tr != TR_UNIX || r->status != 401, "%s: 401 on the socket",
               what);
    FUZZ_CHECK(tr == TR_UNIX || has_auth || r->status == 401,
               "%s: %d without credentials", what, r->status);
    FUZZ_CHECK(r->status != 405 || (r->allow && *r->allow),
               "%s: 405 without Allow", what);
    /* A HEAD is answered with a GET's headers and no body (rest_send). */
    if (strncmp(what, "HEAD ", 5) == 0) {
        FUZZ_CHECK(r->body_len == 0, "%s: a body:\n%s", what, r->body);
        return;
    }
    if (is_json(r->content_type)) {
        o = json_tokener_parse(r->body);
        FUZZ_CHECK(o != NULL || !strcmp(r->body, "null\n"),
                   "%s: not JSON:\n%s", what, r->body);
    }
    if (r->status >= 400) {
        FUZZ_CHECK(is_json(r->content_type), "%s: %d as %s:\n%s", what,
                   r->status, r->content_type ? r->content_type : "-",
                   r->body);
        FUZZ_CHECK(json_object_object_get_ex(o, "error", &e) &&
                   json_object_object_get_ex(e, "code", &code) &&
                   json_object_object_get_ex(e, "message", &msg) &&
                   json_object_is_type(code, json_type_string) &&
                   json_object_is_type(msg, json_type_string) &&
                   json_object_get_string_len(code) > 0,
                   "%s: %d without the error object:\n%s", what, r->status,
                   r->body);
    }
    json_object_put(o);
}

/*
 * A definition the API took must come back, also as XML, and that XML
 * must be one the API takes again.
 */
static void check_served(const struct rest_local_reply *defined)
{
    static const char *const accept_xml[] = { "Accept", "application/xml",
                                              NULL };
    json_object *o = json_tokener_parse(defined->body), *name, *config;
    struct rest_local_reply r;
    hv_config *cfg = NULL;
    char uri[128];

    /* Only replies that are a defined domain. */
    if (!json_object_object_get_ex(o, "config", &config) ||
        !json_object_is_type(config, json_type_object)) {
        json_object_put(o);
        return;
    }
    FUZZ_CHECK(json_object_object_get_ex(o, "name", &name),
               "a definition without its name:\n%s", defined->body);
    snprintf(uri, sizeof(uri), "/v1/domains/%s", json_object_get_string(name));
    json_object_put(o);
    FUZZ_CHECK(rest_local_request(agent, TR_UNIX, M_GET, uri, accept_xml,
                                  NULL, 0, &r) == 0, "GET %s", uri);
    FUZZ_CHECK(r.status == 200, "GET %s as XML: %d\n%s", uri, r.status,
               r.body);
    FUZZ_CHECK(hv_config_from_xml(r.body, r.body_len, uri, &cfg) == 0,
               "GET %s: XML the API would refuse: %s\n%s", uri,
               hv_last_error(), r.body);
    hv_config_free(cfg);
    rest_local_reply_free(&r);
}

/* One request: "METHOD TARGET [TRANSPORT]\nheaders\n\nbody". */
static void one_request(const char *text, size_t len)
{
    const char *hdr[2 * MAX_HEADERS + 1];
    char *copy = malloc(len + 1), *line, *next, *sp, *body = NULL;
    char *method_s, *target, *trs = NULL, what[320];
    enum transport tr = TR_UNIX;
    struct rest_local_reply r;
    size_t nh = 0, body_len = 0;
    bool has_auth = false;
    unsigned method;

    FUZZ_CHECK(copy, "out of memory");
    memcpy(copy, text, len);
    copy[len] = '\0';
    line = copy;
    next = memchr(copy, '\n', len);
    if (next)
        *next++ = '\0';
    method_s = line;
    if (!(sp = strchr(line, ' ')))
        goto out;
    *sp = '\0';
    target = sp + 1;
    if ((sp = strchr(target, ' '))) {
        *sp = '\0';
        trs = sp + 1;
    }
    if (!(method = method_bit(method_s, strlen(method_s))))
        goto out;                       /* libevent answers those itself */
    snprintf(what, sizeof(what), "%s %s", method_s, target);
    if (trs && !strcmp(trs, "tcp"))
        tr = TR_TCP;
    else if (trs && !strcmp(trs, "tls"))
        tr = TR_TLS;
    while (next && next < copy + len) {
        char *colon;

        line = next;
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (!*line) {
            body = next;
            break;
        }
        if (!(colon = strchr(line, ':')) || nh == MAX_HEADERS)
            goto out;                   /* not a header libevent passes */
        *colon++ = '\0';
        while (*colon == ' ' || *colon == '\t')
            colon++;
        hdr[2 * nh] = line;
        hdr[2 * nh + 1] = colon;
        has_auth = has_auth || !strcasecmp(line, "Authorization");
        nh++;
    }
    hdr[2 * nh] = NULL;
    if (body)
        body_len = (size_t)(copy + len - body);
    if (rest_local_request(agent, tr, method, target, hdr, body, body_len,
                           &r) == 0) {
        check_reply(&r, tr, has_auth, what);
        if ((method == M_POST || method == M_PUT) &&
            (r.status == 200 || r.status == 201) && is_json(r.content_type))
            check_served(&r);
        rest_local_reply_free(&r);
    }
out:
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;

    agent = fuzz_agent();
    for (int i = 0; i < MAX_REQUESTS && p < end; i++) {
        const char *sep = memmem(p, (size_t)(end - p), SEPARATOR,
                                 strlen(SEPARATOR));
        const char *stop = sep ? sep : end;

        one_request(p, (size_t)(stop - p));
        p = sep ? sep + strlen(SEPARATOR) : end;
    }
    fuzz_agent_reset();
    return 0;
}
