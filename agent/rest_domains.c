/*
 * rest_domains.c - one domain: its representation (GET, JSON or XML)
 * and its undefinition (DELETE).  Definitions are written in
 * rest_define.c, the list is rest_list.c's.
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

bool rest_uuid_mismatch(struct rest_req *rr, const char *name,
                        const struct dom *d)
{
    char *uuid = rest_query(rr, "uuid");
    bool other;

    if (!uuid)
        return false;
    /*
     * A client's handle names the domain it was made for by uuid: a
     * domain that took the name since (the one it meant ended and another
     * was created) is not that one.  An entry whose uuid is not known yet
     * cannot be told apart, and is taken.
     */
    other = !d || (d->uuid[0] && strcasecmp(d->uuid, uuid) != 0);
    if (!d)
        rest_error(rr, 404, "not_found", "domain '%s' (uuid %s): no such "
                   "domain", name, uuid);
    else if (other)
        rest_error(rr, 404, "not_found", "domain '%s' (uuid %s): no such "
                   "domain; a domain of that name now has uuid %s", name,
                   uuid, d->uuid);
    free(uuid);
    return other;
}

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
    if (rest_uuid_mismatch(rr, name, d))
        return NULL;
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

/* ---- one domain ---- */

static void reply_xml(struct rest_req *rr, struct dom *d)
{
    if (!d->defined || !d->config) {
        rest_error(rr, 404, "not_defined", "domain '%s' is transient: no "
                   "configuration is stored for it", d->name);
        return;
    }
    rest_reply_config(rr, d->config, MEDIA_XML, d->name);
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
                  HV_CAUSE_API, HV_REASON_REQUESTED, rr->who);
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
