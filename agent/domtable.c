/*
 * domtable.c - see domtable.h.
 *
 * A sorted array of pointers: lookups by name are a binary search, and
 * the list comes out in name order for free.  Lookups by domid or uuid
 * are linear; they happen once per lifecycle event, not per request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "domtable.h"
#include "util.h"

struct list_cache {
    int refs;
    size_t len;
    char *data;
};

struct handle *handle_new(hv_domain *dom)
{
    struct handle *h = calloc(1, sizeof(*h));

    if (!h) {
        hv_domain_free(dom);
        return NULL;
    }
    h->dom = dom;
    h->domid = hv_domain_get_id(dom);
    h->refs = 1;
    return h;
}

struct handle *handle_get(struct handle *h)
{
    if (h)
        h->refs++;
    return h;
}

void handle_put(struct handle *h)
{
    if (h && --h->refs == 0) {
        hv_domain_free(h->dom);
        free(h);
    }
}

const char *dom_state_name(int state)
{
    return hv_state_name(state == DOM_SHUTOFF ? HV_STATE_SHUTOFF : state);
}

int dom_shown_state(const struct dom *d)
{
    if (d->state != DOM_SHUTOFF)
        return d->state;
    return d->rs.limited ? HV_STATE_CRASHED : HV_STATE_SHUTOFF;
}

void domtable_init(struct domtable *t)
{
    memset(t, 0, sizeof(*t));
}

static void dom_free(struct dom *d)
{
    handle_put(d->h);
    free(d->config);
    free(d);
}

void domtable_free(struct domtable *t)
{
    for (size_t i = 0; i < t->n; i++) {
        t->v[i]->removed = true;
        if (t->v[i]->refs == 0)
            dom_free(t->v[i]);
    }
    free(t->v);
    list_cache_put(t->cache);
    memset(t, 0, sizeof(*t));
}

/* Index of name, or where it would go (with *found false). */
static size_t find_slot(const struct domtable *t, const char *name,
                        bool *found)
{
    size_t lo = 0, hi = t->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->v[mid]->name, name);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

struct dom *dom_find(const struct domtable *t, const char *name)
{
    bool found;
    size_t i = find_slot(t, name, &found);

    return found ? t->v[i] : NULL;
}

struct dom *dom_find_domid(const struct domtable *t, uint32_t domid)
{
    if (domid == 0)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i]->domid == domid)
            return t->v[i];
    return NULL;
}

struct dom *dom_find_uuid(const struct domtable *t, const char *uuid)
{
    if (!uuid || !*uuid)
        return NULL;
    for (size_t i = 0; i < t->n; i++)
        if (strcasecmp(t->v[i]->uuid, uuid) == 0)
            return t->v[i];
    return NULL;
}

struct dom *dom_add(struct domtable *t, const char *name)
{
    bool found;
    size_t i = find_slot(t, name, &found);
    struct dom *d;

    if (found)
        return NULL;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 32;
        struct dom **v = realloc(t->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        t->v = v;
        t->cap = cap;
    }
    d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    snprintf(d->name, sizeof(d->name), "%s", name);
    memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(*t->v));
    t->v[i] = d;
    t->n++;
    domtable_changed(t);
    return d;
}

void dom_remove(struct domtable *t, struct dom *d)
{
    bool found;
    size_t i = find_slot(t, d->name, &found);

    uint32_t domid = d->domid ? d->domid : d->ended_domid;

    if (found && t->v[i] == d) {
        memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(*t->v));
        t->n--;
    }
    if (domid) {
        struct dom_gone *g = &t->gone[t->gone_next++ % DOMTABLE_GONE];
        snprintf(g->name, sizeof(g->name), "%s", d->name);
        g->domid = domid;
        g->ns = now_mono_ns();
    }
    d->removed = true;
    domtable_changed(t);
    if (d->refs == 0)
        dom_free(d);
}

bool dom_gone_since(const struct domtable *t, const char *name,
                    uint32_t domid, uint64_t since_ns)
{
    for (size_t i = 0; i < DOMTABLE_GONE; i++) {
        const struct dom_gone *g = &t->gone[i];
        if (g->domid == domid && g->ns > since_ns && !strcmp(g->name, name))
            return true;
    }
    return false;
}

struct dom *dom_ref(struct dom *d)
{
    d->refs++;
    return d;
}

void dom_unref(struct dom *d)
{
    if (--d->refs == 0 && d->removed)
        dom_free(d);
}

void domtable_changed(struct domtable *t)
{
    t->gen++;
    list_cache_put(t->cache);
    t->cache = NULL;
}

void dom_stopped(struct domtable *t, struct dom *d)
{
    if (t->on_stopped && d->domid)
        t->on_stopped(t, d, t->on_stopped_arg);
    handle_put(d->h);
    d->h = NULL;
    if (d->domid)
        d->ended_domid = d->domid;
    d->domid = 0;
    d->state = DOM_SHUTOFF;
    d->crash_pending = false;
    d->have_info = false;
    fields_init(&d->info);
    if (!d->defined && !d->busy)
        dom_remove(t, d);
    else
        domtable_changed(t);
}

int dom_set_config(struct dom *d, char *config_json)
{
    hv_config *cfg = NULL;
    uint64_t cur, max;
    unsigned vcur, vmax;

    if (hv_config_from_json(config_json, strlen(config_json), "stored "
                            "definition", &cfg) == 0) {
        if (hv_config_get_memory(cfg, &cur, &max) == 0) {
            d->cfg_mem_mib = max;
            d->cfg_mem_cur_mib = cur;
        }
        if (hv_config_get_vcpus(cfg, &vcur, &vmax) == 0)
            d->cfg_vcpus = vmax;
        d->crash_restart = hv_config_get_action(cfg, HV_ON_CRASH) ==
                           HV_ACTION_RESTART;
        hv_config_free(cfg);
    }
    free(d->config);
    d->config = config_json;
    return 0;
}

void dom_fields(const struct dom *d, struct hv_fields *f)
{
    bool running = d->state != DOM_SHUTOFF;

    /* hvcore's figures when it gave them; the rest is the entry's. */
    if (running && d->have_info) {
        *f = d->info;
    } else {
        fields_init(f);
        if (!running) {
            /* Shut off: what the definition says it will have. */
            f->vcpus_max = d->cfg_vcpus;
            f->mem_max_kib = d->cfg_mem_mib * 1024;
            f->mem_target_kib = d->cfg_mem_cur_mib * 1024;
        }
        f->figures_known = false;
    }
    snprintf(f->name, sizeof(f->name), "%s", d->name);
    snprintf(f->uuid, sizeof(f->uuid), "%s", d->uuid);
    f->domid = running && d->domid ? d->domid : HV_DOMID_NONE;
    f->state = dom_shown_state(d);
    f->reason = d->reason;
    f->persistent = d->defined;
    f->autostart = d->autostart;
}

json_object *dom_summary_json(const struct dom *d)
{
    struct hv_fields f;
    json_object *o;
    bool running = d->state != DOM_SHUTOFF;
    uint64_t mem_mib = d->cfg_mem_mib;
    unsigned vcpus = d->cfg_vcpus;

    dom_fields(d, &f);
    if (!(o = fields_to_json(&f)))
        return NULL;
    /* The keys of API 0.3 and before, for older clients. */
    if (running && d->have_info) {
        mem_mib = d->info.mem_max_kib >> 10;
        vcpus = d->info.vcpus_max;
    }
    /* 0 is not known (a domain seen started, not yet asked): null. */
    json_object_object_add(o, "vcpus", vcpus ? json_object_new_int64(vcpus)
                                             : NULL);
    json_object_object_add(o, "memory_mib", mem_mib
                           ? json_object_new_int64((int64_t)mem_mib) : NULL);
    json_object_object_add(o, "job", d->busy ? json_object_new_string(d->busy)
                                             : NULL);
    return o;
}

struct list_cache *domtable_list_json(struct domtable *t, const char **data,
                                      size_t *len)
{
    json_object *root, *arr;
    struct list_cache *c;
    const char *s;

    if (!t->cache) {
        root = json_object_new_object();
        arr = json_object_new_array_ext((int)t->n);
        c = calloc(1, sizeof(*c));
        if (!root || !arr || !c) {
            json_object_put(root);
            json_object_put(arr);
            free(c);
            return NULL;
        }
        for (size_t i = 0; i < t->n; i++)
            json_object_array_add(arr, dom_summary_json(t->v[i]));
        json_object_object_add(root, "domains", arr);
        s = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                           JSON_C_TO_STRING_NOSLASHESCAPE);
        /* With the newline every other JSON reply ends with. */
        c->data = s ? malloc(strlen(s) + 2) : NULL;
        if (c->data)
            c->len = (size_t)sprintf(c->data, "%s\n", s);
        json_object_put(root);
        if (!c->data) {
            free(c);
            return NULL;
        }
        c->refs = 1;
        t->cache = c;
    }
    t->cache->refs++;
    *data = t->cache->data;
    *len = t->cache->len;
    return t->cache;
}

void list_cache_put(struct list_cache *c)
{
    if (c && --c->refs == 0) {
        free(c->data);
        free(c);
    }
}

size_t domtable_count_defined(const struct domtable *t)
{
    size_t n = 0;

    for (size_t i = 0; i < t->n; i++)
        n += t->v[i]->defined;
    return n;
}

size_t domtable_count_running(const struct domtable *t)
{
    size_t n = 0;

    for (size_t i = 0; i < t->n; i++)
        n += t->v[i]->state != DOM_SHUTOFF;
    return n;
}
