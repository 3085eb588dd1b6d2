/*
 * rest_devices.c - a domain's disks and interfaces (docs/devices.md):
 *
 *   GET    /v1/domains/{name}/devices        the running domain's, with
 *                                            state and counters
 *   POST   /v1/domains/{name}/devices        attach; the body is one
 *                                            device, JSON or XML
 *   DELETE /v1/domains/{name}/devices/{id}   detach
 *
 * ?live=false and ?config=true as hv_domain_attach_device's flags: the
 * running domain (the default), the stored definition, or both.  With
 * both, the definition gives an interface its MAC and id first, the
 * running domain is changed, and only then is the definition stored:
 * a failure changes neither, and a definition is never lost.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "ops.h"
#include "rest_handlers.h"

/* What the request asks of: HV_DEVICE_LIVE and/or _CONFIG; 0 replied. */
static unsigned request_flags(struct rest_req *rr, struct dom *d,
                              const char *verb)
{
    int live = rest_query_bool(rr, "live"), config;
    unsigned flags = 0;

    if (live == -2 || (config = rest_query_bool(rr, "config")) == -2)
        return 0;
    if (live != 0)
        flags |= HV_DEVICE_LIVE;
    if (config == 1)
        flags |= HV_DEVICE_CONFIG;
    if (!flags) {
        rest_error(rr, 400, "bad_query", "live=false without config=true "
                   "changes nothing");
        return 0;
    }
    if ((flags & HV_DEVICE_CONFIG) && !d->defined) {
        rest_error(rr, 409, "not_defined", "cannot %s domain '%s' in its "
                   "definition: it is transient", verb, d->name);
        return 0;
    }
    if ((flags & HV_DEVICE_LIVE) && d->state == DOM_SHUTOFF) {
        rest_error(rr, 409, "wrong_state", "cannot %s domain '%s': it is not "
                   "running%s", verb, d->name,
                   d->defined ? " (config=true&live=false changes its "
                                "definition)" : "");
        return 0;
    }
    return flags;
}

/* The body as one device: JSON {"disk": ...} or XML <disk>.  NULL replied. */
static hv_device *body_device(struct rest_req *rr)
{
    hv_device *dev = NULL;
    const char *body;
    size_t len;
    bool json;
    int rc;

    if (!(body = rest_body_text(rr, "a device", &len, &json)))
        return NULL;
    rc = json
        ? hv_device_from_json(body, len, "request body", &dev)
        : hv_device_from_xml(body, len, "request body", &dev);
    if (rc) {
        rest_error_hv(rr, rc, hv_last_error());
        return NULL;
    }
    return dev;
}

/* d's definition as a config; NULL replied. */
static hv_config *definition(struct rest_req *rr, struct dom *d)
{
    hv_config *cfg = NULL;
    int rc;

    rc = hv_config_from_json(d->config, strlen(d->config), "definition",
                             &cfg);
    if (rc) {
        rest_error_hv(rr, rc, hv_last_error());
        return NULL;
    }
    return cfg;
}

/* The device as the reply: {"disk": {...}} or {"interface": {...}}. */
static void reply_device(struct rest_req *rr, int status, const hv_device *dev)
{
    char *json = NULL;
    json_object *o;

    if (hv_device_to_json(dev, &json)) {
        rest_error_hv(rr, hv_last_error_code(), hv_last_error());
        return;
    }
    o = json_tokener_parse(json);
    free(json);
    rest_reply_json(rr, status, o);
}

/* A live change's outcome: the error, or the definition too, then 2xx. */
struct devreq {
    struct rest_req *rr;
    hv_config *cfg;             /* the changed definition, or NULL */
    hv_device *dev;             /* attach: what was attached */
};

static void devreq_free(struct devreq *q)
{
    hv_config_free(q->cfg);
    hv_device_free(q->dev);
    free(q);
}

static void finish(struct rest_req *rr, struct dom *d, hv_config *cfg,
                   const hv_device *dev)
{
    if (cfg && rest_replace_definition(rr, d, cfg))
        return;
    if (dev)
        reply_device(rr, 201, dev);
    else
        rest_reply_empty(rr, 204);
}

static void live_done(struct domop *op, void *arg)
{
    struct devreq *q = arg;

    if (op->rc)
        rest_error_hv(q->rr, op->rc, op->msg);
    else if (q->cfg && op->d->removed)
        rest_error(q->rr, 409, "not_defined", "domain '%s' was undefined "
                   "meanwhile", op->name);
    else            /* attach: the device as attached, its id and MAC */
        finish(q->rr, op->d, q->cfg, q->dev ? op->device : NULL);
    devreq_free(q);
}

static void submit_live(struct rest_req *rr, struct dom *d,
                        enum domop_kind kind, struct devreq *q,
                        const char *id)
{
    struct domop *op = domop_new(rr->a, kind, d, live_done, q);

    if (!op || (kind == DOMOP_ATTACH &&
                !(op->device = hv_device_copy(q->dev)))) {
        free(op);
        devreq_free(q);
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    if (id)     /* an id the config had: at most DEV_ID_MAX (15) bytes */
        snprintf(op->device_id, sizeof(op->device_id), "%.*s",
                 (int)sizeof(op->device_id) - 1, id);
    domop_submit(op);
}

void h_device_attach(struct rest_req *rr)
{
    struct dom *d = rest_domain_param(rr);
    hv_config *cfg = NULL;
    hv_device *dev;
    struct devreq *q;
    unsigned flags;

    if (!d || !(flags = request_flags(rr, d, "attach a device to")))
        return;
    if (!(dev = body_device(rr)))
        return;
    if (flags & HV_DEVICE_CONFIG) {
        int n;
        if (!(cfg = definition(rr, d)))
            goto fail;
        if (hv_config_add_device(cfg, dev)) {
            rest_error_hv(rr, hv_last_error_code(), hv_last_error());
            goto fail;
        }
        /* Attach what the definition holds: its MAC and id. */
        n = hv_config_device_count(cfg);
        hv_device_free(dev);
        dev = hv_device_copy(hv_config_get_device(cfg, (unsigned)n - 1));
        if (!dev) {
            rest_error(rr, 500, "out_of_memory", "out of memory");
            goto fail;
        }
    }
    if (!(flags & HV_DEVICE_LIVE)) {
        finish(rr, d, cfg, dev);
        goto fail;              /* done: free both */
    }
    if (!(q = calloc(1, sizeof(*q)))) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        goto fail;
    }
    q->rr = rr;
    q->cfg = cfg;
    q->dev = dev;
    submit_live(rr, d, DOMOP_ATTACH, q, NULL);
    return;
fail:
    hv_config_free(cfg);
    hv_device_free(dev);
}

void h_device_detach(struct rest_req *rr)
{
    struct dom *d = rest_domain_param(rr);
    const char *id = rr->m.params[1];
    hv_config *cfg = NULL;
    struct devreq *q;
    unsigned flags;

    if (!d || !(flags = request_flags(rr, d, "detach a device from")))
        return;
    if (flags & HV_DEVICE_CONFIG) {
        if (!(cfg = definition(rr, d)))
            return;
        if (hv_config_remove_device(cfg, id)) {
            rest_error(rr, 404, "not_found", "domain '%s': its definition "
                       "has no device '%s'", d->name, id);
            hv_config_free(cfg);
            return;
        }
    }
    if (!(flags & HV_DEVICE_LIVE)) {
        finish(rr, d, cfg, NULL);
        hv_config_free(cfg);
        return;
    }
    if (!(q = calloc(1, sizeof(*q)))) {
        hv_config_free(cfg);
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    q->rr = rr;
    q->cfg = cfg;
    submit_live(rr, d, DOMOP_DETACH, q, id);
}

static void list_done(struct domop *op, void *arg)
{
    struct rest_req *rr = arg;
    json_object *o;

    if (op->rc) {
        rest_error_hv(rr, op->rc, op->msg);
        return;
    }
    o = json_tokener_parse(op->devices_json);
    rest_reply_json(rr, 200, o);
}

void h_devices_list(struct rest_req *rr)
{
    struct dom *d = rest_domain_param(rr);
    struct domop *op;

    if (!d)
        return;
    if (d->state == DOM_SHUTOFF) {
        rest_error(rr, 409, "wrong_state", "cannot list the devices of "
                   "domain '%s': it is not running (its definition has "
                   "them: GET /v1/domains/%s/definition)", d->name, d->name);
        return;
    }
    op = domop_new(rr->a, DOMOP_DEVICES, d, list_done, rr);
    if (!op) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    domop_submit(op);
}
