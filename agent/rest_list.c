/*
 * rest_list.c - GET /v1/domains: the list, whole or filtered.
 *
 * The whole list with the figures of the agent's last look is the hot
 * path (hvctl list): one cached, shared buffer (domtable.h).  A filtered
 * list (state, persistent, name, id, uuid: what hv_domain_list_filtered
 * and the lookups of libhvctl's agent driver ask) is built per request
 * from the table, and ?fresh=true (domstats, top) first has one
 * hv_domain_list run on a worker, which asks every hvcore at once, so
 * that the event loop never waits on a hung one.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "agent.h"
#include "monitor.h"
#include "rest_handlers.h"
#include "util.h"

/* What the query asks for; unset parts match everything. */
struct list_filter {
    unsigned states;            /* HV_LIST_STATE bits; 0: any */
    int persistent;             /* 1, 0, or -1: any */
    char *name_glob;
    uint32_t domid;             /* 0: any */
    char uuid[37];              /* "": any */
    bool fresh;
};

struct list_wait {
    struct rest_req *rr;
    struct list_filter f;
};

static void filter_free(struct list_filter *f)
{
    free(f->name_glob);
}

static int parse_bool(const char *s, bool *out)
{
    if (!strcmp(s, "true") || !strcmp(s, "1"))
        *out = true;
    else if (!strcmp(s, "false") || !strcmp(s, "0"))
        *out = false;
    else
        return -1;
    return 0;
}

static int state_bit(const char *s, size_t len, unsigned *bits)
{
    for (int st = HV_STATE_RUNNING; st <= HV_STATE_SHUTOFF; st++)
        if (strlen(hv_state_name(st)) == len &&
            !strncmp(hv_state_name(st), s, len)) {
            *bits |= HV_LIST_STATE(st);
            return 0;
        }
    return -1;
}

static bool uuid_ok(const char *s)
{
    static const char shape[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

    if (strlen(s) != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; shape[i]; i++)
        if (shape[i] == '-' ? s[i] != '-'
                            : !strchr("0123456789abcdefABCDEF", s[i]))
            return false;
    return true;
}

/* Read the filters of the query; reply 400 and -1 on a bad value. */
static int parse_filter(struct rest_req *rr, struct list_filter *f)
{
    char *v;
    bool b = false;
    int64_t id;
    int rc = 0;

    memset(f, 0, sizeof(*f));
    f->persistent = -1;
    if ((v = rest_query(rr, "state"))) {
        for (const char *p = v;; p++) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            if (state_bit(p, len, &f->states)) {
                rest_error(rr, 400, "bad_query", "state=%s: '%.*s' is not a "
                           "domain state (running, paused, shutdown, "
                           "crashed, shutoff)", v, (int)len, p);
                rc = -1;
                break;
            }
            if (!comma)
                break;
            p = comma;
        }
        free(v);
        if (rc)
            return rc;
    }
    if ((v = rest_query(rr, "persistent"))) {
        if (parse_bool(v, &b)) {
            rest_error(rr, 400, "bad_query", "persistent=%s: expected true "
                       "or false", v);
            rc = -1;
        }
        f->persistent = b;
        free(v);
        if (rc)
            return rc;
    }
    if ((v = rest_query(rr, "fresh"))) {
        if (parse_bool(v, &f->fresh)) {
            rest_error(rr, 400, "bad_query", "fresh=%s: expected true or "
                       "false", v);
            rc = -1;
        }
        free(v);
        if (rc)
            return rc;
    }
    if ((v = rest_query(rr, "id"))) {
        if (!parse_int64(v, 1, (int64_t)UINT32_MAX - 1, &id)) {
            rest_error(rr, 400, "bad_query", "id=%s: expected a domain id "
                       "(a positive integer)", v);
            rc = -1;
        }
        f->domid = rc ? 0 : (uint32_t)id;
        free(v);
        if (rc)
            return rc;
    }
    if ((v = rest_query(rr, "uuid"))) {
        if (!uuid_ok(v)) {
            rest_error(rr, 400, "bad_query", "uuid=%s: not a uuid "
                       "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", v);
            rc = -1;
        } else {
            snprintf(f->uuid, sizeof(f->uuid), "%s", v);
        }
        free(v);
        if (rc)
            return rc;
    }
    f->name_glob = rest_query(rr, "name");
    return 0;
}

static bool matches(const struct dom *d, const struct list_filter *f)
{
    if (f->states && !(f->states & HV_LIST_STATE(dom_shown_state(d))))
        return false;
    if (f->persistent >= 0 && d->defined != (f->persistent == 1))
        return false;
    if (f->name_glob && fnmatch(f->name_glob, d->name, 0) != 0)
        return false;
    if (f->domid && (d->state == DOM_SHUTOFF || d->domid != f->domid))
        return false;
    if (f->uuid[0] && strcasecmp(d->uuid, f->uuid) != 0)
        return false;
    return true;
}

static void reply_filtered(struct rest_req *rr, const struct list_filter *f)
{
    const struct domtable *t = &rr->a->doms;
    json_object *root = json_object_new_object();
    json_object *arr = json_object_new_array();

    if (!root || !arr) {
        json_object_put(root);
        json_object_put(arr);
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    for (size_t i = 0; i < t->n; i++)
        if (matches(t->v[i], f))
            json_object_array_add(arr, dom_summary_json(t->v[i]));
    json_object_object_add(root, "domains", arr);
    rest_reply_json(rr, 200, root);
}

/* The table holds hvcore's latest figures now. */
static void refreshed(void *arg)
{
    struct list_wait *w = arg;

    reply_filtered(w->rr, &w->f);
    filter_free(&w->f);
    free(w);
}

static void release_cache(const void *data, size_t len, void *arg)
{
    list_cache_put(arg);
}

/* The whole list, as of the last look: a shared buffer. */
static void reply_cached(struct rest_req *rr)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(rr->req);
    struct list_cache *c;
    const char *data;
    size_t len;

    c = domtable_list_json(&rr->a->doms, &data, &len);
    if (!c) {
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    /* By reference: the bytes are shared with every other reply. */
    if (evbuffer_add_reference(out, data, len, release_cache, c)) {
        list_cache_put(c);
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    rest_send(rr, 200, "application/json");
}

void h_domains_list(struct rest_req *rr)
{
    struct list_filter f;
    struct list_wait *w;

    if (!rr->query) {
        reply_cached(rr);
        return;
    }
    if (parse_filter(rr, &f))
        return;
    if (!f.fresh) {
        reply_filtered(rr, &f);
        filter_free(&f);
        return;
    }
    w = calloc(1, sizeof(*w));
    if (!w) {
        filter_free(&f);
        rest_error(rr, 500, "out_of_memory", "out of memory");
        return;
    }
    w->rr = rr;
    w->f = f;
    if (monitor_refresh(rr->a->mon, refreshed, w)) {
        filter_free(&w->f);
        free(w);
        rest_error(rr, 500, "out_of_memory", "out of memory");
    }
}
