/*
 * reconcile.c - see reconcile.h.
 *
 * "Once per boot" is a marker file in the runtime directory, which lives
 * on a tmpfs (/run) that a reboot empties.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"
#include "evlog.h"
#include "jobs.h"
#include "log.h"
#include "monitor.h"
#include "reconcile.h"
#include "rest_handlers.h"
#include "store.h"
#include "util.h"

#define AUTOSTART_MARKER "hvctld-autostart.done"

/*
 * Why a defined domain is shut off, from its last lifecycle event: how
 * it ended (poweroff, destroy, crash, a failed start, ...); never started
 * when it has none; unknown when the last one is not an end (it ended
 * while hvctld was not running, which the reconciliation tells).
 */
static int last_reason(struct agent *a, const char *uuid)
{
    static const char *const ends[] = {
        "shutdown", "destroyed", "crashed", "start_failed", "start_limit",
        "vanished",
    };
    char type[24], reason[24];
    int rc = store_events_last(a->store, uuid, type, sizeof(type), reason,
                               sizeof(reason));

    if (rc == -ENOENT)
        return HV_REASON_NEVER_STARTED;
    if (rc)
        return HV_REASON_UNKNOWN;
    for (size_t i = 0; i < ARRAY_SIZE(ends); i++)
        if (!strcmp(type, ends[i]))
            for (int r = 0; r < 64; r++)
                if (!strcmp(hv_reason_name(r), reason))
                    return r;
    return HV_REASON_UNKNOWN;
}

static int load_one(const struct store_def *def, void *arg)
{
    struct agent *a = arg;
    struct dom *d = dom_add(&a->doms, def->name);
    char *cfg = strdup(def->config);

    if (!d || !cfg) {
        free(cfg);
        log_err("loading definition '%s': out of memory or a duplicate",
                def->name);
        return -ENOMEM;
    }
    d->defined = true;
    d->reason = last_reason(a, def->uuid);  /* until the list says more */
    snprintf(d->uuid, sizeof(d->uuid), "%s", def->uuid);
    d->autostart = def->autostart;
    d->created_ms = def->created_ms;
    d->updated_ms = def->updated_ms;
    dom_set_config(d, cfg);
    return 0;
}

int reconcile_load(struct agent *a)
{
    int rc = store_def_foreach(a->store, load_one, a);

    if (rc)
        log_err("reading the definitions: %s", store_errmsg(a->store));
    else
        log_info("%zu domain definitions loaded", a->doms.n);
    return rc;
}

/* A defined domain the database had as running, and that is not now. */
static int check_running(const char *uuid, const char *name, int64_t domid,
                         void *arg)
{
    struct agent *a = arg;
    struct dom *d = dom_find_uuid(&a->doms, uuid);
    char detail[128];

    hv_domain *h = NULL;
    int rc;

    if (d && d->domid == (uint32_t)domid)
        return 0;
    /* Not listed is not gone (an hvcore too busy to answer in time):
     * only "no such domain" is.  A live one is adopted by the next list. */
    rc = hv_domain_lookup_by_id(a->conn, (uint32_t)domid, &h);
    if (rc == 0 && strcmp(hv_domain_get_name(h), name) == 0) {
        hv_domain_free(h);
        return 0;
    }
    hv_domain_free(h);
    if (rc != 0 && rc != HV_ENOENT && rc != HV_EDEAD)
        return 0;
    snprintf(detail, sizeof(detail), "was running as id %lld; not found "
             "when hvctld started", (long long)domid);
    log_warn("domain '%s' vanished: %s", name, detail);
    evlog_emit(a->evlog, name, uuid, domid, "vanished", HV_CAUSE_AGENT,
               HV_REASON_UNKNOWN, detail);
    if (!d || !d->domid)
        store_running_clear(a->store, uuid);
    return 0;
}

int reconcile_runtime(struct agent *a)
{
    uint64_t t0 = now_mono_ns();
    hv_domlist *list = NULL;
    int rc;

    rc = hv_domain_list(a->conn, &list);
    if (rc) {
        log_err("listing the running domains: %s", hv_last_error());
        return rc;
    }
    monitor_apply_list(a, list, t0, 1);
    log_info("%zu domains running", hv_domlist_count(list));
    hv_domlist_free(list);
    rc = store_running_foreach(a->store, check_running, a);
    if (rc)
        log_err("reading the running domains: %s", store_errmsg(a->store));
    return rc;
}

void reconcile_autostart(struct agent *a)
{
    char path[4200];
    size_t started = 0;
    int fd;

    if (!a->opts->autostart)
        return;
    snprintf(path, sizeof(path), "%s/" AUTOSTART_MARKER,
             hv_conn_get_rundir(a->conn));
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        if (errno == EEXIST)
            log_info("autostart: already done since the host booted");
        else
            log_warn("autostart: %s: %s", path, strerror(errno));
        return;
    }
    close(fd);
    for (size_t i = 0; i < a->doms.n; i++) {
        struct dom *d = a->doms.v[i];
        int rc;

        if (!d->defined || !d->autostart || d->state != DOM_SHUTOFF ||
            d->busy)
            continue;
        if (!rest_start_job(a, d, HV_CAUSE_AGENT, &rc))
            log_warn("autostart of '%s': %s", d->name, hv_strerror(rc));
        else
            started++;
    }
    if (started)
        log_info("autostart: starting %zu domains", started);
}
