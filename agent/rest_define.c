/*
 * rest_define.c - writing definitions: POST /v1/domains (define, replace
 * the definition with the same uuid, and start; or, with transient=true,
 * start without defining) and PUT /v1/domains/{name}.
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

#include "agent.h"
#include "evlog.h"
#include "jobs.h"
#include "log.h"
#include "rest_handlers.h"
#include "store.h"
#include "util.h"
/* ---- bodies that are configurations ---- */

/*
 * hvctld has no working directory of the client's to resolve a relative
 * path against: the kernel's and the initrd's are refused here, not at
 * start.  A name without a slash is hvcore's to look up in its guest
 * directory (an installed guest kernel, hvctl.xml(5)).  true after
 * replying.
 */
static bool refuse_relative(struct rest_req *rr, const hv_config *cfg)
{
    const struct { const char *what, *path, *or_name; } p[] = {
        { "kernel", hv_config_get_kernel(cfg),
          "the name of an installed guest kernel" },
        { "initrd", hv_config_get_initrd(cfg),
          "a file name in hvcore's guest directory" },
    };

    for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
        if (!p[i].path || p[i].path[0] == '/' || !strchr(p[i].path, '/'))
            continue;
        rest_error(rr, 400, "invalid_config", "domain '%s': %s '%s' is a "
                   "relative path; hvctld needs an absolute one (or %s, "
                   "without a slash)", hv_config_get_name(cfg), p[i].what,
                   p[i].path, p[i].or_name);
        return true;
    }
    return false;
}

/*
 * Parse the body as a domain config.  *uuid_given tells whether the text
 * names the uuid itself: a config without one gets a fresh random uuid
 * from libhvctl, which must not replace the one a definition has.
 */
static hv_config *body_config(struct rest_req *rr, bool *uuid_given)
{
    hv_config *cfg = NULL;
    const char *body;
    size_t len;
    bool json;
    int rc;

    /* Not JSON at all is bad_json, as for every other body; a JSON text
     * that is no configuration is invalid_config, from libhvctl. */
    if (!(body = rest_body_text(rr, "a domain configuration", &len, &json)))
        return NULL;
    rc = json
        ? hv_config_from_json(body, len, "request body", &cfg)
        : hv_config_from_xml(body, len, "request body", &cfg);
    if (rc) {
        rest_error_hv(rr, rc, hv_last_error());
        return NULL;
    }
    if (refuse_relative(rr, cfg)) {
        hv_config_free(cfg);
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
                  HV_CAUSE_API, HV_REASON_REQUESTED, rr->who);
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

/*
 * Replace d's definition by cfg (the same uuid, checked by the caller).
 * A running domain keeps its configuration until its next start.  0, or
 * replies and -1.
 */
int rest_replace_definition(struct rest_req *rr, struct dom *d,
                            hv_config *cfg)
{
    struct agent *a = rr->a;
    struct store_event ev;
    struct store_def def;
    char *json;

    hv_config_set_uuid(cfg, d->uuid);
    if (!(json = config_text(rr, cfg)))
        return -1;
    memset(&def, 0, sizeof(def));
    snprintf(def.uuid, sizeof(def.uuid), "%s", d->uuid);
    snprintf(def.name, sizeof(def.name), "%s", d->name);
    def.config = json;
    def.updated_ms = now_real_ms();
    evlog_prepare(a->evlog, &ev, d->name, d->uuid, d->domid, "updated",
                  HV_CAUSE_API, HV_REASON_REQUESTED, rr->who);
    if (store_def_update(a->store, &def, &ev)) {
        free(json);
        rest_error(rr, 500, "database", "%s", store_errmsg(a->store));
        return -1;
    }
    d->updated_ms = def.updated_ms;
    dom_set_config(d, json);
    domtable_changed(&a->doms);
    evlog_publish(a->evlog, &ev);
    log_info("domain '%s' redefined by %s", d->name, rr->who);
    return 0;
}

int rest_query_bool(struct rest_req *rr, const char *key)
{
    char *arg = rest_query(rr, key);
    int v;

    if (!arg)
        return -1;
    if (!strcmp(arg, "true") || !strcmp(arg, "1")) {
        v = 1;
    } else if (!strcmp(arg, "false") || !strcmp(arg, "0")) {
        v = 0;
    } else {
        rest_error(rr, 400, "bad_query", "%s=%s: expected true or false",
                   key, arg);
        v = -2;
    }
    free(arg);
    return v;
}

/*
 * POST /v1/domains?transient=true: start cfg without defining it, as
 * hv_domain_create does directly.  The entry is in the table from now
 * on (shut off, with its start job), and goes if the start fails.
 */
static void create_transient(struct rest_req *rr, hv_config *cfg,
                             unsigned flags)
{
    struct agent *a = rr->a;
    const char *name = hv_config_get_name(cfg);
    struct dom *d = dom_find(&a->doms, name), *other;
    struct job *j;
    char *json;
    int rc;

    if (d) {
        if (d->defined)
            rest_error(rr, 409, "name_taken", "domain '%s' is already "
                       "defined (start it with POST /v1/domains/%s/start)",
                       name, name);
        else
            rest_error(rr, 409, "name_taken", "domain '%s' is already "
                       "running", name);
        return;
    }
    other = dom_find_uuid(&a->doms, hv_config_get_uuid(cfg));
    if (other) {
        rest_error(rr, 409, "uuid_taken", "uuid %s already belongs to "
                   "domain '%s'", hv_config_get_uuid(cfg), other->name);
        return;
    }
    if (!(json = config_text(rr, cfg)))
        return;
    if (!(d = dom_add(&a->doms, name))) {
        free(json);
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    snprintf(d->uuid, sizeof(d->uuid), "%s", hv_config_get_uuid(cfg));
    j = rest_start_config(a, d, json, HV_CAUSE_API, flags, &rc);
    free(json);
    if (!j) {
        dom_remove(&a->doms, d);
        rest_error_hv(rr, rc, hv_last_error());
        return;
    }
    log_info("domain '%s' (transient) started by %s", name, rr->who);
    rest_reply_job(rr, j);
}

void h_domains_define(struct rest_req *rr)
{
    struct agent *a = rr->a;
    int start, transient, paused;
    bool uuid_given;
    hv_config *cfg;
    struct dom *d;
    struct job *j;
    int rc;

    if ((start = rest_query_bool(rr, "start")) == -2 ||
        (transient = rest_query_bool(rr, "transient")) == -2 ||
        (paused = rest_query_bool(rr, "paused")) == -2)
        return;
    if (paused == 1 && transient != 1) {
        rest_error(rr, 400, "bad_query", "paused=true is for transient=true "
                   "(a defined domain starts through /start)");
        return;
    }
    if (transient == 1 && start == 0) {
        rest_error(rr, 400, "bad_query", "transient=true starts the domain: "
                   "start=false contradicts it");
        return;
    }
    if (!(cfg = body_config(rr, &uuid_given)))
        return;
    if (transient == 1) {
        create_transient(rr, cfg, paused == 1 ? HV_CREATE_PAUSED : 0);
        goto out;
    }
    d = dom_find(&a->doms, hv_config_get_name(cfg));
    if (start == 1 && d && d->state != DOM_SHUTOFF) {
        rest_error(rr, 409, "wrong_state", "domain '%s' is already running",
                   d->name);
        goto out;
    }
    if (d && d->defined) {
        /* The same uuid replaces the definition; none or another is a
         * clash of names. */
        if (!uuid_given) {
            rest_error(rr, 409, "name_taken", "domain '%s' is already "
                       "defined", d->name);
            goto out;
        }
        if (strcasecmp(hv_config_get_uuid(cfg), d->uuid) != 0) {
            rest_error(rr, 409, "name_taken", "domain '%s' is already "
                       "defined with uuid %s, not %s", d->name, d->uuid,
                       hv_config_get_uuid(cfg));
            goto out;
        }
        if (rest_replace_definition(rr, d, cfg))
            goto out;
        if (start != 1) {
            rest_reply_json(rr, 200, rest_domain_json(d));
            goto out;
        }
    } else {
        if (!(d = define(rr, cfg, uuid_given)))
            goto out;
        if (start != 1) {
            reply_created(rr, d);
            goto out;
        }
    }
    if (d->busy) {
        rest_error(rr, 409, "busy", "domain '%s': a %s job is running",
                   d->name, d->busy);
        goto out;
    }
    j = rest_start_job(a, d, HV_CAUSE_API, &rc);
    if (!j)
        rest_error_hv(rr, rc, hv_last_error());
    else
        rest_reply_job(rr, j);
out:
    hv_config_free(cfg);
}

void h_domain_put(struct rest_req *rr)
{
    struct agent *a = rr->a;
    const char *name = rr->m.params[0];
    bool uuid_given;
    hv_config *cfg;
    struct dom *d;
    char msg[300];

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
    if (rest_uuid_mismatch(rr, name, d))
        goto out;
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
    if (rest_replace_definition(rr, d, cfg) == 0)
        rest_reply_json(rr, 200, rest_domain_json(d));
out:
    hv_config_free(cfg);
}
