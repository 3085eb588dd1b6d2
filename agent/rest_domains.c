/*
 * rest_domains.c - the domain collection and one domain's definition:
 * list, define, get (JSON or XML), replace, undefine.
 *
 * A definition is stored as the JSON libhvctl formats, whatever format it
 * came in: the library guarantees XML -> model -> JSON loses nothing, so
 * GET can give it back as either.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "agent.h"
#include "evlog.h"
#include "jobs.h"
#include "log.h"
#include "ops.h"
#include "rest_handlers.h"
#include "store.h"
#include "util.h"

struct dom *rest_domain_param(struct rest_req *rr)
{
    const char *name = rr->m.params[0];
    char msg[300];
    struct dom *d;

    if (!agent_name_ok(rr->a, name, msg, sizeof(msg))) {
        rest_error(rr, 400, "invalid_name", "%s", msg);
        return NULL;
    }
    d = dom_find(&rr->a->doms, name);
    if (!d)
        rest_error(rr, 404, "not_found", "domain '%s': no such domain", name);
    return d;
}

static json_object *runtime_json(const struct dom *d)
{
    json_object *o, *mem;

    if (d->state == DOM_SHUTOFF || !d->have_info)
        return NULL;
    o = json_object_new_object();
    mem = json_object_new_object();
    json_object_object_add(o, "pid", json_object_new_int(d->info.pid));
    json_object_object_add(o, "vcpus_online",
                           json_object_new_int64(d->info.vcpus_online));
    json_object_object_add(o, "vcpus_max",
                           json_object_new_int64(d->info.vcpus_max));
    json_object_object_add(mem, "current_kib",
                           json_object_new_int64((int64_t)d->info.mem_current_kib));
    json_object_object_add(mem, "target_kib",
                           json_object_new_int64((int64_t)d->info.mem_target_kib));
    json_object_object_add(mem, "max_kib",
                           json_object_new_int64((int64_t)d->info.mem_max_kib));
    json_object_object_add(o, "memory", mem);
    json_object_object_add(o, "cpu_time_ns",
                           json_object_new_int64((int64_t)d->info.cpu_time_ns));
    json_object_object_add(o, "uptime_ns",
                           json_object_new_int64((int64_t)d->info.uptime_ns));
    json_object_object_add(o, "boot_count",
                           json_object_new_int64(d->info.boot_count));
    return o;
}

json_object *rest_domain_json(const struct dom *d)
{
    json_object *o = dom_summary_json(d);
    char t[TIME_STR_LEN];

    if (!o)
        return NULL;
    json_object_object_add(o, "created", d->defined
                           ? json_object_new_string(time_str(d->created_ms, t))
                           : NULL);
    json_object_object_add(o, "updated", d->defined
                           ? json_object_new_string(time_str(d->updated_ms, t))
                           : NULL);
    json_object_object_add(o, "config", d->defined && d->config
                           ? json_tokener_parse(d->config) : NULL);
    json_object_object_add(o, "runtime", runtime_json(d));
    return o;
}

/* ---- bodies that are configurations ---- */

/*
 * Parse the body as a domain config.  *uuid_given tells whether the text
 * names the uuid itself: a config without one gets a fresh random uuid
 * from libhvctl, which must not replace the one a definition has.
 */
static hv_config *body_config(struct rest_req *rr, bool *uuid_given)
{
    enum media ct = rest_content_type(rr);
    hv_config *cfg = NULL;
    const char *body;
    size_t len;
    int rc;

    if (ct != MEDIA_JSON && ct != MEDIA_XML) {
        rest_error(rr, 415, "unsupported_media_type", "a domain "
                   "configuration is application/json or application/xml");
        return NULL;
    }
    if (!(body = rest_body(rr, &len)))
        return NULL;
    /* Not JSON at all is bad_json, as for every other body; a JSON text
     * that is no configuration is invalid_config, from libhvctl. */
    if (ct == MEDIA_JSON) {
        json_object *syntax = rest_json_parse(rr, body, len);
        if (!syntax)
            return NULL;
        json_object_put(syntax);
    }
    rc = ct == MEDIA_JSON
        ? hv_config_from_json(body, len, "request body", &cfg)
        : hv_config_from_xml(body, len, "request body", &cfg);
    if (rc) {
        rest_error_hv(rr, rc, hv_last_error());
        return NULL;
    }
    *uuid_given = strcasestr(body, hv_config_get_uuid(cfg)) != NULL;
    return cfg;
}

static char *config_text(struct rest_req *rr, hv_config *cfg)
{
    char *json = NULL;
    int rc = hv_config_to_json(cfg, &json);

    if (rc) {
        rest_error_hv(rr, rc, hv_last_error());
        return NULL;
    }
    return json;
}

/*
 * Store a new definition for cfg (its name is free of definitions) and
 * enter it in the table.  Replies on failure and returns NULL.
 */
static struct dom *define(struct rest_req *rr, hv_config *cfg, bool uuid_given)
{
    struct agent *a = rr->a;
    const char *name = hv_config_get_name(cfg);
    struct dom *d = dom_find(&a->doms, name), *other;
    struct store_def def;
    struct store_event ev;
    char *json;
    int rc;

    if (d && !uuid_given && d->uuid[0]) {
        /* Defining a running transient domain makes it persistent. */
        hv_config_set_uuid(cfg, d->uuid);
    } else if (d && d->uuid[0] &&
               strcasecmp(d->uuid, hv_config_get_uuid(cfg)) != 0) {
        rest_error(rr, 409, "name_taken", "domain '%s' is running with uuid "
                   "%s, not %s", name, d->uuid, hv_config_get_uuid(cfg));
        return NULL;
    }
    other = dom_find_uuid(&a->doms, hv_config_get_uuid(cfg));
    if (other && other != d) {
        rest_error(rr, 409, "uuid_taken", "uuid %s already belongs to "
                   "domain '%s'", hv_config_get_uuid(cfg), other->name);
        return NULL;
    }
    if (!(json = config_text(rr, cfg)))
        return NULL;
    memset(&def, 0, sizeof(def));
    snprintf(def.uuid, sizeof(def.uuid), "%s", hv_config_get_uuid(cfg));
    snprintf(def.name, sizeof(def.name), "%s", name);
    def.config = json;
    def.created_ms = def.updated_ms = now_real_ms();
    evlog_prepare(a->evlog, &ev, name, def.uuid, d ? d->domid : 0, "defined",
                  "api", rr->who);
    rc = store_def_insert(a->store, &def, &ev);
    if (rc) {
        free(json);
        if (rc == -EEXIST)
            rest_error(rr, 409, "name_taken", "domain '%s' is already "
                       "defined", name);
        else
            rest_error(rr, 500, "database", "%s", store_errmsg(a->store));
        return NULL;
    }
    if (!d && !(d = dom_add(&a->doms, name))) {
        free(json);
        rest_error(rr, 500, "out_of_memory", "out of memory (the definition "
                   "is stored; restart hvctld to see it)");
        return NULL;
    }
    if (d->state == DOM_SHUTOFF)
        d->reason = HV_REASON_NEVER_STARTED;
    d->defined = true;
    snprintf(d->uuid, sizeof(d->uuid), "%s", def.uuid);
    d->autostart = false;
    d->created_ms = def.created_ms;
    d->updated_ms = def.updated_ms;
    dom_set_config(d, json);
    if (d->domid)
        store_running_set(a->store, d->uuid, d->domid, now_real_ms());
    domtable_changed(&a->doms);
    evlog_publish(a->evlog, &ev);
    log_info("domain '%s' defined by %s", name, rr->who);
    return d;
}

static void reply_created(struct rest_req *rr, struct dom *d)
{
    char loc[128];

    snprintf(loc, sizeof(loc), "/v1/domains/%s", d->name);
    rest_header(rr, "Location", loc);
    rest_reply_json(rr, 201, rest_domain_json(d));
}

void h_domains_define(struct rest_req *rr)
{
    struct agent *a = rr->a;
    bool uuid_given, start = false;
    char *arg = rest_query(rr, "start");
    hv_config *cfg;
    struct dom *d;
    struct job *j;
    int rc;

    if (arg) {
        if (!strcmp(arg, "true") || !strcmp(arg, "1")) {
            start = true;
        } else if (strcmp(arg, "false") && strcmp(arg, "0")) {
            rest_error(rr, 400, "bad_query", "start=%s: expected true or "
                       "false", arg);
            free(arg);
            return;
        }
        free(arg);
    }
    if (!(cfg = body_config(rr, &uuid_given)))
        return;
    d = dom_find(&a->doms, hv_config_get_name(cfg));
    if (d && d->defined) {
        rest_error(rr, 409, "name_taken", "domain '%s' is already defined",
                   d->name);
        hv_config_free(cfg);
        return;
    }
    if (start && d && d->state != DOM_SHUTOFF) {
        rest_error(rr, 409, "wrong_state", "domain '%s' is already running",
                   d->name);
        hv_config_free(cfg);
        return;
    }
    d = define(rr, cfg, uuid_given);
    hv_config_free(cfg);
    if (!d)
        return;
    if (!start) {
        reply_created(rr, d);
        return;
    }
    j = rest_start_job(a, d, "api", &rc);
    if (!j)
        rest_error_hv(rr, rc, hv_last_error());
    else
        rest_reply_job(rr, j);
}

/* ---- one domain ---- */

static void reply_xml(struct rest_req *rr, struct dom *d)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(rr->req);
    hv_config *cfg = NULL;
    char *xml = NULL;
    int rc;

    if (!d->defined || !d->config) {
        rest_error(rr, 404, "not_defined", "domain '%s' is transient: no "
                   "configuration is stored for it", d->name);
        return;
    }
    rc = hv_config_from_json(d->config, strlen(d->config), d->name, &cfg);
    if (rc == 0)
        rc = hv_config_to_xml(cfg, &xml);
    hv_config_free(cfg);
    if (rc) {
        rest_error_hv(rr, rc, hv_last_error());
        return;
    }
    evbuffer_add(out, xml, strlen(xml));
    free(xml);
    rest_send(rr, 200, "application/xml");
}

static void got_info(struct domop *op, void *arg)
{
    struct rest_req *rr = arg;

    /* Whatever the outcome, the table now says the latest. */
    json_object *o;

    if (op->d->removed) {
        rest_error(rr, 404, "not_found", "domain '%s': no such domain",
                   op->name);
        return;
    }
    o = rest_domain_json(op->d);
    /* Transient: no definition, but the config it was started with. */
    if (o && !op->d->defined && op->live_config)
        json_object_object_add(o, "config",
                               json_tokener_parse(op->live_config));
    rest_reply_json(rr, 200, o);
}

void h_domain_get(struct rest_req *rr)
{
    static const enum media offer[] = { MEDIA_JSON, MEDIA_XML };
    struct dom *d = rest_domain_param(rr);
    struct domop *op;

    if (!d)
        return;
    switch (rest_negotiate(rr, offer, 2)) {
    case MEDIA_JSON:
        break;
    case MEDIA_XML:
        reply_xml(rr, d);
        return;
    default:
        rest_error(rr, 406, "not_acceptable", "a domain is available as "
                   "application/json or application/xml");
        return;
    }
    if (d->state == DOM_SHUTOFF) {
        rest_reply_json(rr, 200, rest_domain_json(d));
        return;
    }
    /* Running: ask hvcore for fresh figures first. */
    op = domop_new(rr->a, DOMOP_INFO, d, got_info, rr);
    if (!op) {
        rest_reply_json(rr, 200, rest_domain_json(d));
        return;
    }
    op->want_config = !d->defined;
    domop_submit(op);
}

void h_domain_put(struct rest_req *rr)
{
    struct agent *a = rr->a;
    const char *name = rr->m.params[0];
    struct store_event ev;
    struct store_def def;
    bool uuid_given;
    hv_config *cfg;
    struct dom *d;
    char msg[300], *json;
    int rc;

    if (!agent_name_ok(a, name, msg, sizeof(msg))) {
        rest_error(rr, 400, "invalid_name", "%s", msg);
        return;
    }
    if (!(cfg = body_config(rr, &uuid_given)))
        return;
    if (strcmp(hv_config_get_name(cfg), name) != 0) {
        rest_error(rr, 400, "name_mismatch", "the body defines domain '%s' "
                   "but the path names '%s' (renaming is not supported)",
                   hv_config_get_name(cfg), name);
        goto out;
    }
    d = dom_find(&a->doms, name);
    if (!d || !d->defined) {
        /* PUT of a new name creates the definition. */
        if ((d = define(rr, cfg, uuid_given)))
            reply_created(rr, d);
        goto out;
    }
    if (uuid_given && strcasecmp(hv_config_get_uuid(cfg), d->uuid) != 0) {
        rest_error(rr, 409, "uuid_mismatch", "domain '%s' has uuid %s; a "
                   "definition cannot change it", name, d->uuid);
        goto out;
    }
    hv_config_set_uuid(cfg, d->uuid);
    if (!(json = config_text(rr, cfg)))
        goto out;
    memset(&def, 0, sizeof(def));
    snprintf(def.uuid, sizeof(def.uuid), "%s", d->uuid);
    snprintf(def.name, sizeof(def.name), "%s", d->name);
    def.config = json;
    def.updated_ms = now_real_ms();
    evlog_prepare(a->evlog, &ev, name, d->uuid, d->domid, "updated", "api",
                  rr->who);
    rc = store_def_update(a->store, &def, &ev);
    if (rc) {
        free(json);
        rest_error(rr, 500, "database", "%s", store_errmsg(a->store));
        goto out;
    }
    d->updated_ms = def.updated_ms;
    dom_set_config(d, json);
    domtable_changed(&a->doms);
    evlog_publish(a->evlog, &ev);
    rest_reply_json(rr, 200, rest_domain_json(d));
out:
    hv_config_free(cfg);
}

void h_domain_delete(struct rest_req *rr)
{
    struct agent *a = rr->a;
    struct dom *d = rest_domain_param(rr);
    struct store_event ev;
    int rc;

    if (!d)
        return;
    if (!d->defined) {
        rest_error(rr, 409, "not_defined", "domain '%s' is transient: there "
                   "is no definition to remove", d->name);
        return;
    }
    if (d->busy) {
        rest_error(rr, 409, "busy", "domain '%s': a %s job is running",
                   d->name, d->busy);
        return;
    }
    evlog_prepare(a->evlog, &ev, d->name, d->uuid, d->domid, "undefined",
                  "api", rr->who);
    rc = store_def_delete(a->store, d->uuid, &ev);
    if (rc) {
        rest_error(rr, 500, "database", "%s", store_errmsg(a->store));
        return;
    }
    log_info("domain '%s' undefined by %s", d->name, rr->who);
    evlog_publish(a->evlog, &ev);
    d->defined = false;
    d->autostart = false;
    free(d->config);
    d->config = NULL;
    if (d->state == DOM_SHUTOFF)
        dom_remove(&a->doms, d);
    else
        domtable_changed(&a->doms);     /* still running, now transient */
    rest_reply_empty(rr, 204);
}
