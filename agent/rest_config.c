/*
 * rest_config.c - a domain's configurations: the one it runs with
 * (GET /v1/domains/{name}/config, from hvcore's runtime entry through
 * libhvctl, on a worker) and the stored definition (.../definition, and
 * GET /v1/domains/{name} with Accept: application/xml), each as JSON or
 * XML by Accept.
 *
 * Both are hv_config_to_json text inside the agent: the library
 * guarantees JSON -> model -> XML loses nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "agent.h"
#include "ops.h"
#include "rest_handlers.h"

/* JSON or XML, as the Accept header prefers; else 406 and MEDIA_NONE. */
static enum media config_media(struct rest_req *rr)
{
    static const enum media offer[] = { MEDIA_JSON, MEDIA_XML };
    enum media m = rest_negotiate(rr, offer, 2);

    if (m == MEDIA_NONE)
        rest_error(rr, 406, "not_acceptable", "a configuration is available "
                   "as application/json or application/xml");
    return m;
}

void rest_reply_config(struct rest_req *rr, const char *json, enum media m,
                       const char *source)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(rr->req);
    hv_config *cfg = NULL;
    char *xml = NULL;
    int rc;

    if (m == MEDIA_JSON) {
        json_object *o = json_tokener_parse(json);
        rest_reply_json(rr, 200, o);
        return;
    }
    rc = hv_config_from_json(json, strlen(json), source, &cfg);
    if (rc == 0)
        rc = hv_config_to_xml(cfg, &xml);
    hv_config_free(cfg);
    if (rc) {
        rest_error_hv(rr, rc, hv_last_error());
        return;
    }
    if (evbuffer_add(out, xml, strlen(xml))) {
        free(xml);
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    free(xml);
    rest_send(rr, 200, "application/xml");
}

void h_domain_definition(struct rest_req *rr)
{
    struct dom *d = rest_domain_param(rr);
    enum media m;

    if (!d || (m = config_media(rr)) == MEDIA_NONE)
        return;
    if (!d->defined || !d->config) {
        rest_error(rr, 409, "not_defined", "domain '%s' is transient: no "
                   "definition is stored for it", d->name);
        return;
    }
    rest_reply_config(rr, d->config, m, d->name);
}

struct config_wait {
    struct rest_req *rr;
    enum media m;
};

static void got_config(struct domop *op, void *arg)
{
    struct config_wait *w = arg;

    if (op->rc == HV_ENOENT && !op->d->removed &&
        op->d->state == DOM_SHUTOFF)
        rest_error(w->rr, 409, "wrong_state", "domain '%s' is not running: "
                   "it has no running configuration", op->name);
    else if (op->rc)
        rest_error_hv(w->rr, op->rc, op->msg);
    else
        rest_reply_config(w->rr, op->live_config, w->m, op->name);
    free(w);
}

void h_domain_config(struct rest_req *rr)
{
    struct dom *d = rest_domain_param(rr);
    struct config_wait *w;
    struct domop *op;
    enum media m;

    if (!d || (m = config_media(rr)) == MEDIA_NONE)
        return;
    if (d->state == DOM_SHUTOFF) {
        rest_error(rr, 409, "wrong_state", "domain '%s' is not running: it "
                   "has no running configuration", d->name);
        return;
    }
    w = calloc(1, sizeof(*w));
    op = w ? domop_new(rr->a, DOMOP_CONFIG, d, got_config, w) : NULL;
    if (!op) {
        free(w);
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    w->rr = rr;
    w->m = m;
    domop_submit(op);
}
