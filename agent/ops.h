/*
 * ops.h - one libhvctl operation on one domain, run on a worker thread,
 * its result applied to the domain table on the event-loop thread, and
 * then handed to whoever asked (a REST reply or a job).
 *
 * A domop holds a reference to its table entry and to the entry's
 * hv_domain handle, so neither goes away while a worker uses them.
 */
#ifndef HVCTLD_OPS_H
#define HVCTLD_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "domtable.h"
#include "worker.h"

struct agent;
struct job;

/*
 * SHUTDOWN only asks; waiting for the end is shutdown.c's.  CONFIG reads
 * the running configuration into live_config (its failure is the op's).
 */
enum domop_kind {
    DOMOP_START, DOMOP_PAUSE, DOMOP_RESUME, DOMOP_SHUTDOWN, DOMOP_REBOOT,
    DOMOP_DESTROY, DOMOP_MEMORY, DOMOP_INFO, DOMOP_CONFIG,
    DOMOP_ATTACH, DOMOP_DETACH, DOMOP_DEVICES,
};

struct domop;
typedef void (*domop_cb)(struct domop *op, void *arg);

struct domop {
    struct work w;              /* first: a work item is a domop */
    struct agent *a;
    enum domop_kind kind;
    struct dom *d;              /* referenced */
    struct handle *h;           /* referenced, or NULL: look it up */
    uint32_t domid;
    char name[64];

    /* Arguments. */
    char *config;               /* START: the definition's JSON */
    bool transient;             /* START: not defined: on_crash as given */
    unsigned create_flags;      /* START: hv_domain_create's flags        */
    uint64_t mem_mib;           /* MEMORY */
    struct job *job;            /* START: where its progress goes */
    bool want_config;           /* INFO: also read the running config     */
    hv_device *device;          /* ATTACH: owned                          */
    char device_id[16];         /* DETACH                                 */

    /* Results, filled by the worker. */
    uint64_t t0;                /* monotonic, when the worker began */
    int rc;                     /* 0 or HV_E* */
    char msg[512];
    hv_domain *newdom;          /* from create or lookup */
    uint32_t started_domid;     /* START: what it started (the job's */
    char started_uuid[37];      /* result), even if it ended since   */
    struct hv_fields info;
    int state;
    bool have_info;
    char *live_config;          /* CONFIG, or INFO + want_config: JSON,
                                   or NULL                                */
    char *devices_json;         /* DEVICES: hv_devlist_to_json            */

    int cause;                  /* enum hv_cause for the event log;
                                   0 (unknown) is HV_CAUSE_API          */

    domop_cb cb;
    void *cb_arg;
    struct domop *qnext;        /* in its domain's queue */
};

/*
 * A new operation on d, which is referenced.  cb runs on the event loop
 * once the result has been applied; the domop is freed after cb returns.
 * NULL when out of memory.
 */
struct domop *domop_new(struct agent *a, enum domop_kind kind, struct dom *d,
                        domop_cb cb, void *cb_arg);
/* Run it now, or after the operations of its domain already submitted. */
void domop_submit(struct domop *op);

#endif /* HVCTLD_OPS_H */
