/*
 * domtable.h - the agent's view of every domain it knows: defined ones
 * (from the database) and running ones (from the runtime directory),
 * merged by name.  Owned by the event-loop thread; workers never touch it.
 *
 * The table also keeps the JSON body of GET /v1/domains, built on first
 * use after a change, so that the hot read path costs one lookup and a
 * reference-counted buffer.
 */
#ifndef HVCTLD_DOMTABLE_H
#define HVCTLD_DOMTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "domain_fields.h"
#include "hvctl.h"
#include "restart.h"

/* A shared hv_domain handle: one per running incarnation. */
struct handle {
    hv_domain *dom;
    uint32_t domid;
    int refs;
};
struct handle *handle_new(hv_domain *dom);      /* takes over dom */
struct handle *handle_get(struct handle *h);
void handle_put(struct handle *h);

/*
 * Not running.  0, not HV_STATE_SHUTOFF, so that a new (zeroed) entry is
 * shut off; dom_shown_state() gives the API's HV_STATE_SHUTOFF.
 */
#define DOM_SHUTOFF 0
/* hv_state_name(), with DOM_SHUTOFF as "shutoff". */
const char *dom_state_name(int state);
struct dom;
/* The state shown for d (an HV_STATE_*): a domain stopped by its start
 * limit is not running, and shows as crashed. */
int dom_shown_state(const struct dom *d);

struct dom {
    char name[64];
    char uuid[37];

    /* The definition (defined == false: a transient domain). */
    bool defined;
    char *config;               /* JSON text, as stored */
    bool autostart;
    int64_t created_ms, updated_ms;
    unsigned cfg_vcpus;         /* from config, for a stopped domain */
    bool crash_restart;         /* config: on_crash=restart (restart.h) */
    uint64_t cfg_mem_mib;       /* its maximum ...                     */
    uint64_t cfg_mem_cur_mib;   /* ... and its current (the target)    */

    /* The running incarnation, if any. */
    int state;                  /* DOM_SHUTOFF or HV_STATE_*          */
    uint32_t domid;             /* 0 when not running                 */
    int reason;                 /* enum hv_reason: why in this state  */
    /* What the last hv_domain_get_info / hv_domain_list said (only its
     * hvcore figures are used: the rest is the entry's own). */
    struct hv_fields info;
    bool have_info;
    struct handle *h;           /* NULL until someone needs one       */

    const char *busy;           /* "start" while a start job runs     */
    uint64_t expect_ns[24];     /* per HV_EVENT_*: an API call asked  */
                                /* for it, until this monotonic time  */
    int expect_cause[24];       /* and who: HV_CAUSE_API or _AGENT    */
    uint64_t run_changed_ns;    /* last start or stop, as we saw it   */
    uint32_t ended_domid;       /* the incarnation that ended last    */
    bool crash_pending;         /* a crash told, its in-place restart
                                   (REBOOTED) not yet: monitor.c      */
    struct restart_state rs;    /* its restarts: restart.c            */
    uint32_t missing_domid;     /* found gone, with no end told ...   */
    uint64_t missing_ns;        /* ... since then (monitor.c)         */
    uint64_t state_ns;          /* last state an event told (monotonic) */
    uint32_t conflict_domid;    /* another uuid ran under this name
                                   (told once: monitor.c)             */
    struct stop_wait *stop_waits; /* shutdown jobs waiting for the end */
    struct domop *opq_head, *opq_tail;  /* ops waiting for their turn   */
    bool op_busy;               /* an op of this domain is on a worker */
    int refs;                   /* work items holding this entry      */
    bool removed;               /* out of the table; freed at refs 0  */
};

/*
 * A transient domain taken out of the table when it ended: a list begun
 * before that end (a slow one: a hung hvcore costs it the domctl
 * timeout) still shows it running, and must not bring it back.
 */
struct dom_gone {
    char name[64];
    uint32_t domid;
    uint64_t ns;                /* when it went (monotonic) */
};
#define DOMTABLE_GONE 32

struct domtable {
    struct dom **v;             /* sorted by name */
    size_t n, cap;
    struct dom_gone gone[DOMTABLE_GONE];    /* the last ones out, a ring */
    size_t gone_next;
    uint64_t gen;               /* bumped on every change */
    struct list_cache *cache;
    /* Called by dom_stopped while d still names the incarnation that
     * ended (shutdown jobs wait for it: shutdown.c). */
    void (*on_stopped)(struct domtable *t, struct dom *d, void *arg);
    void *on_stopped_arg;
};

void domtable_init(struct domtable *t);
void domtable_free(struct domtable *t);

struct dom *dom_find(const struct domtable *t, const char *name);
struct dom *dom_find_domid(const struct domtable *t, uint32_t domid);
struct dom *dom_find_uuid(const struct domtable *t, const char *uuid);

/* A new empty entry under name, inserted; NULL when out of memory. */
struct dom *dom_add(struct domtable *t, const char *name);
/* Take out of the table; freed now, or when the last reference goes. */
void dom_remove(struct domtable *t, struct dom *d);
/* Did the incarnation domid of name go out of the table after since_ns? */
bool dom_gone_since(const struct domtable *t, const char *name,
                    uint32_t domid, uint64_t since_ns);
struct dom *dom_ref(struct dom *d);
void dom_unref(struct dom *d);

/* Something changed: drop the cached list. */
void domtable_changed(struct domtable *t);

/* The running incarnation ended: back to shutoff (or out, if transient). */
void dom_stopped(struct domtable *t, struct dom *d);
/* Replace the definition's config text (takes ownership) and its summary. */
int dom_set_config(struct dom *d, char *config_json);

/*
 * The body of GET /v1/domains.  *data stays valid until list_cache_put
 * (the cache is reference counted so a reply in flight keeps its copy).
 */
struct list_cache;
struct list_cache *domtable_list_json(struct domtable *t, const char **data,
                                      size_t *len);
void list_cache_put(struct list_cache *c);

/*
 * The domain object of d (an item of GET /v1/domains): every key of the
 * field table (domain_fields.h) and the older keys (vcpus, memory_mib,
 * job).  Caller owns it; NULL when out of memory.
 */
json_object *dom_summary_json(const struct dom *d);
/* The field table's values for d. */
void dom_fields(const struct dom *d, struct hv_fields *f);

size_t domtable_count_defined(const struct domtable *t);
size_t domtable_count_running(const struct domtable *t);

#endif /* HVCTLD_DOMTABLE_H */
