/*
 * domain.c - hv_domain handles: create, lookups, and the one path every
 * request takes (dom_call), which is where a vanished or dead hvcore is
 * told apart from an error reply.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "domain_int.h"
#include "drv_direct.h"
#include "public/errno.h"

void info_from_wire(struct hv_domain_info *out, const struct hv_domctl_info *in)
{
    memset(out, 0, sizeof(*out));
    out->domid = in->domid;
    out->state = (int)in->state;
    out->pid = in->pid;
    memcpy(out->name, in->name, sizeof(out->name));
    out->name[sizeof(out->name) - 1] = '\0';
    uuid_format(in->uuid, out->uuid);
    out->vcpus_online = in->vcpus_online;
    out->vcpus_max = in->vcpus_max;
    out->boot_count = in->boot_count;
    out->mem_current_kib = in->mem_current_kib;
    out->mem_target_kib = in->mem_target_kib;
    out->mem_max_kib = in->mem_max_kib;
    out->cpu_time_ns = in->cpu_time_ns;
    out->uptime_ns = in->uptime_ns;
    /* 0 from an hvcore older than domctl minor 1: "not known". */
    out->exits = in->exits;
    out->events = in->events;
    out->figures_known = true;
    out->persistent = out->autostart = -1;
    out->reason = in->state == HV_DOMSTATE_paused ? HV_REASON_REQUESTED
                : in->state == HV_DOMSTATE_crashed ? HV_REASON_GUEST_CRASH
                : in->state == HV_DOMSTATE_running
                  ? (in->boot_count > 1 ? HV_REASON_REBOOTED : HV_REASON_BOOTED)
                : HV_REASON_UNKNOWN;
}

int query_info(const hv_conn *conn, uint32_t domid, struct hv_domctl_info *info)
{
    struct hv_domctl req;
    struct hv_domctl_reply reply;
    int fd = ctl_connect(conn, domid), rc;

    if (fd < 0)
        return fd;
    ctl_req_init(&req, HV_DOMCTL_getinfo, domid, 1);
    rc = ctl_call(fd, &req, &reply, NULL);
    close(fd);
    if (rc == 0 && reply.status != 0)
        rc = reply.status == -ENOENT ? -ENOENT : -EPROTO;
    if (rc == 0)
        *info = reply.u.info;
    return rc;
}

int dom_gone(const hv_conn *conn, uint32_t domid, pid_t pid, const char *what)
{
    char name[64];
    pid_t now = 0;
    int alive = rt_domain_alive_after_hangup(conn, domid, &now);

    if (alive == 0 && (pid <= 0 || now == pid)) {
        if (rt_reap(conn, domid, now, name))
            return err_set(HV_EDEAD, "%s: hvcore (pid %d) died; its runtime "
                           "entry was removed", what, (int)now);
    }
    return err_set(HV_ENOENT, "%s: no such domain", what);
}

int dom_from_info(hv_conn *conn, const struct hv_domctl_info *info,
                  hv_domain **out)
{
    char name[64], uuid[37];
    int rc;

    memcpy(name, info->name, sizeof(name));
    name[sizeof(name) - 1] = '\0';
    uuid_format(info->uuid, uuid);
    if ((rc = dom_new(conn, name, uuid, info->domid, out)))
        return rc;
    (*out)->pid = info->pid;
    return 0;
}

void direct_domain_free(hv_domain *dom)
{
    if (dom->ctl_fd >= 0)
        close(dom->ctl_fd);
}

/* Message prefix naming a handle's domain. */
#define DOM_FMT "domain '%s' (id %u)"
#define DOM_ARGS(d) (d)->name, (d)->domid

/* Handle's domain has stopped answering: ended normally, or died? */
static int handle_gone(hv_domain *dom)
{
    char what[100];

    snprintf(what, sizeof(what), DOM_FMT, DOM_ARGS(dom));
    if (rt_read_pid(dom->conn, dom->domid) == dom->pid &&
        rt_domain_alive_after_hangup(dom->conn, dom->domid, NULL) == 0)
        return dom_gone(dom->conn, dom->domid, dom->pid, what);
    return err_set(HV_ENOENT, DOM_FMT ": the domain has ended", DOM_ARGS(dom));
}

/* Called with dom->lock held. */
static int dom_connect(hv_domain *dom)
{
    int fd;

    if (dom->ctl_fd >= 0)
        return 0;
    /* The domid may have been reused: only talk to our own hvcore. */
    if (rt_read_pid(dom->conn, dom->domid) != dom->pid)
        return handle_gone(dom);
    fd = ctl_connect(dom->conn, dom->domid);
    if (fd == -ENOENT || fd == -ECONNREFUSED)
        return handle_gone(dom);
    if (fd < 0)
        return err_sys(err_from_errno(-fd), -fd, DOM_FMT ": cannot connect "
                       "to hvcore", DOM_ARGS(dom));
    dom->ctl_fd = fd;
    return 0;
}

static int call(hv_domain *dom, uint32_t cmd, const struct hv_domctl *args,
                const void *tail, size_t len, struct hv_domctl_reply *reply,
                int *passed_fd, bool *sent);

int dom_call(hv_domain *dom, uint32_t cmd, const struct hv_domctl *args,
             struct hv_domctl_reply *reply, int *passed_fd)
{
    return dom_call_sent(dom, cmd, args, reply, passed_fd, NULL);
}

int dom_call_sent(hv_domain *dom, uint32_t cmd, const struct hv_domctl *args,
                  struct hv_domctl_reply *reply, int *passed_fd, bool *sent)
{
    return call(dom, cmd, args, NULL, 0, reply, passed_fd, sent);
}

int dom_call_tail(hv_domain *dom, uint32_t cmd, const struct hv_domctl *args,
                  const void *tail, size_t len,
                  struct hv_domctl_reply *reply)
{
    return call(dom, cmd, args, tail, len, reply, NULL, NULL);
}

static int call(hv_domain *dom, uint32_t cmd, const struct hv_domctl *args,
                const void *tail, size_t len, struct hv_domctl_reply *reply,
                int *passed_fd, bool *sent)
{
    struct hv_domctl req;
    int rc;

    if (passed_fd)
        *passed_fd = -1;
    if (sent)
        *sent = false;
    pthread_mutex_lock(&dom->lock);
    if ((rc = dom_connect(dom)))
        goto out;
    if (args)
        req = *args;
    ctl_req_init(&req, cmd, dom->domid, ++dom->seq);
    if (args)
        req.u = args->u;
    rc = tail ? ctl_send_tail(dom->ctl_fd, &req, tail, len)
              : ctl_send(dom->ctl_fd, &req);
    if (rc == 0) {
        if (sent)
            *sent = true;
        rc = ctl_recv(dom->ctl_fd, req.seq, reply, passed_fd);
    }
    if (rc < 0) {
        close(dom->ctl_fd);
        dom->ctl_fd = -1;
        if (rc == -EPIPE)
            rc = handle_gone(dom);
        else if (rc == -ETIMEDOUT)
            rc = err_set(HV_ETIMEDOUT, DOM_FMT ": hvcore did not answer "
                         "within %d ms", DOM_ARGS(dom), DOMCTL_TIMEOUT_MS);
        else if (rc == -EPROTO)
            rc = err_set(HV_EPROTO, DOM_FMT ": malformed reply from hvcore",
                         DOM_ARGS(dom));
        else
            rc = err_sys(HV_EIO, -rc, DOM_FMT ": domctl", DOM_ARGS(dom));
        goto out;
    }
    if (reply->status == -HVE_VERSION)
        rc = err_set(HV_EPROTO, DOM_FMT ": hvcore speaks domctl version "
                     "%#x, this library %#x", DOM_ARGS(dom),
                     reply->interface_version, HV_DOMCTL_INTERFACE_VERSION);
out:
    pthread_mutex_unlock(&dom->lock);
    return rc;
}

/* ---- lookups ---- */

static int lookup_id(hv_conn *conn, uint32_t domid, const char *what,
                     hv_domain **out)
{
    struct hv_domctl_info info;
    int rc = query_info(conn, domid, &info);

    if (rc == -ENOENT || rc == -ECONNREFUSED || rc == -EPIPE)
        return dom_gone(conn, domid, 0, what);
    if (rc == -ETIMEDOUT)
        return err_set(HV_ETIMEDOUT, "%s: hvcore did not answer", what);
    if (rc < 0)
        return err_sys(HV_EIO, -rc, "%s", what);
    return dom_from_info(conn, &info, out);
}

static int lookup_by_id(hv_conn *conn, uint32_t domid, hv_domain **out)
{
    char what[32];

    snprintf(what, sizeof(what), "domain %u", domid);
    if (domid == 0)
        return err_set(HV_ENOENT, "%s: no such domain", what);
    return lookup_id(conn, domid, what, out);
}

static int lookup_by_name(hv_conn *conn, const char *name, hv_domain **out)
{
    char what[96];
    long id;
    int rc;

    if (!name || !*name || strchr(name, '/') || strlen(name) > HV_NAME_MAX ||
        name[0] == '.')
        return err_set(HV_ENOENT, "domain '%s': no such domain",
                       name ? name : "(null)");
    snprintf(what, sizeof(what), "domain '%s'", name);
    id = rt_lookup_name(conn, name);
    if (id < 0)
        return err_set(HV_ENOENT, "%s: no such domain", what);
    rc = lookup_id(conn, (uint32_t)id, what, out);
    /* The link may have been reclaimed between readlink and getinfo. */
    if (rc == 0 && strcmp((*out)->name, name) != 0) {
        hv_domain_free(*out);
        *out = NULL;
        return err_set(HV_ENOENT, "%s: no such domain", what);
    }
    return rc;
}

static int lookup_by_uuid(hv_conn *conn, const char *uuid, hv_domain **out)
{
    uint8_t want[16];
    uint32_t *ids;
    size_t n;
    int rc;

    if (!uuid_parse(uuid, want))
        return err_set(HV_EINVAL, "domain uuid '%s': not a uuid",
                       uuid ? uuid : "(null)");
    if ((rc = rt_list_domids(conn, &ids, &n)))
        return rc;
    for (size_t i = 0; i < n; i++) {
        struct hv_domctl_info info;
        if (query_info(conn, ids[i], &info) == 0 &&
            memcmp(info.uuid, want, 16) == 0) {
            free(ids);
            return dom_from_info(conn, &info, out);
        }
    }
    free(ids);
    return err_set(HV_ENOENT, "domain uuid '%s': no such domain", uuid);
}

int direct_lookup(hv_conn *conn, enum drv_key kind, const char *key,
                  uint32_t id, hv_domain **out)
{
    switch (kind) {
    case KEY_ID:   return lookup_by_id(conn, id, out);
    case KEY_UUID: return lookup_by_uuid(conn, key, out);
    default:       return lookup_by_name(conn, key, out);
    }
}

/* ---- create ---- */

static void store_config(const hv_conn *conn, const struct hv_domctl_info *info,
                         const hv_config *cfg);

/*
 * hvcore said the domain runs, but does not answer.  If it ended on its
 * own (a guest that powers off at once) its entry is gone: created all the
 * same, and every call on the handle will say it ended.  If it died (kill
 * -9), its entry is left: nobody may be told of a domain that is not
 * running, so the create fails (and the entry is removed).  A hung hvcore
 * is alive and keeps its domain: the handle is returned.
 */
static int gone_after_start(hv_conn *conn, uint32_t domid, const hv_config *cfg,
                            struct hv_domctl_info *info, int query_rc)
{
    char name[64];
    pid_t pid = rt_read_pid(conn, domid);

    memset(info, 0, sizeof(*info));
    info->domid = domid;
    info->pid = -1;
    snprintf(info->name, sizeof(info->name), "%s", cfg->name);
    memcpy(info->uuid, cfg->uuid, sizeof(info->uuid));
    if (pid <= 0 || rt_read_name(conn, domid, name) < 0 ||
        strcmp(name, cfg->name) != 0)
        return 0;               /* ended, and cleaned up after itself */
    /* Exiting normally removes the pid file before hvcore exits: once
     * hvcore is gone, a pid file still there means it was killed. */
    if (query_rc == -ETIMEDOUT || rt_wait_exit(pid, DOMCTL_TIMEOUT_MS) < 0) {
        info->pid = pid;
        return 0;               /* alive, hung: its domain is there */
    }
    if (rt_read_pid(conn, domid) != pid)
        return 0;
    rt_reap(conn, domid, pid, name);
    return err_set(HV_EDEAD, "domain '%s': hvcore (pid %d) died right "
                   "after starting the domain; its runtime entry was removed",
                   cfg->name, (int)pid);
}

int direct_create(hv_conn *conn, const hv_config *cfg, unsigned flags,
                  hv_domain **out)
{
    struct hv_domctl_info info;
    uint32_t domid;
    char what[96];
    pid_t fg = -1;
    long id;
    int rc;

    if ((rc = cfg_validate(cfg)))
        return rc;
    if (cfg->vcpus_cur != cfg->vcpus_max)
        return err_set(HV_ENOTSUP, "domain '%s': hvcore starts every vCPU "
                       "the guest may use (current %u, max %u)", cfg->name,
                       cfg->vcpus_cur, cfg->vcpus_max);
    snprintf(what, sizeof(what), "domain '%s'", cfg->name);

    /*
     * Fast answer for a name held by a live domain; a dead holder is
     * cleaned up first, since hvcore would take a zombie for alive.
     * hvcore's own symlink(2) still decides any race.
     */
    id = rt_lookup_name(conn, cfg->name);
    if (id > 0) {
        pid_t pid = 0;
        char name[64] = "";
        int alive = rt_domain_alive(conn, (uint32_t)id, &pid);
        int q = 0;
        /* Connecting is enough to tell a dying holder (refused) from a
         * live one, and the kernel completes it even for a hung or
         * stopped hvcore: no request, so nothing to wait for. */
        if (alive == 1) {
            int fd = ctl_connect(conn, (uint32_t)id);
            if (fd >= 0)
                close(fd);
            else
                q = fd;
            /* The kernel may take a connection for a process that is
             * exiting (its lock and socket outlive its first thread). */
            if (q == 0 && pid > 0 && !rt_pid_alive(pid, NULL))
                q = -EPIPE;
        }
        /* Refused or hung up: dying, or dead by now. */
        if (q == -ECONNREFUSED || q == -EPIPE || q == -ECONNRESET)
            alive = rt_domain_alive_after_hangup(conn, (uint32_t)id, &pid);
        /* A link to a domid that another domain took since is stale. */
        if (alive == 1 && rt_read_name(conn, (uint32_t)id, name) == 0 &&
            strcmp(name, cfg->name) == 0)
            return err_set(HV_EEXIST, "%s: the name is already in use",
                           what);
        if (alive == 0)
            rt_reap(conn, (uint32_t)id, pid, name);
    }

    if ((rc = conn_make_rundir(conn)) ||
        (rc = spawn_hvcore(conn, cfg, flags, &domid, &fg)))
        return rc;
    rc = query_info(conn, domid, &info);
    if (rc < 0 && (rc = gone_after_start(conn, domid, cfg, &info, rc)))
        goto out;
    if ((rc = dom_from_info(conn, &info, out)))
        goto out;
    if (info.pid > 0)
        store_config(conn, &info, cfg);
    err_clear();
out:
    /* Gone by now: not a wait on create's path (spawn_reap). */
    spawn_reap(fg);
    return rc;
}

/* ---- the stored configuration ---- */

/*
 * Best effort: the domain runs whether or not its config could be kept,
 * and a create that failed here would leave the caller a running domain
 * and an error.  hv_domain_get_config then says no config is stored.
 */
static void store_config(const hv_conn *conn, const struct hv_domctl_info *info,
                         const hv_config *cfg)
{
    char *json = NULL;

    if (hv_config_to_json(cfg, &json) == 0)
        rt_write_config(conn, info->domid, info->pid, json);
    free(json);
}

int direct_get_config(hv_domain *dom, hv_config **out)
{
    char *json = NULL, source[100];
    int rc;

    rc = rt_read_config(dom->conn, dom->domid, dom->pid, &json);
    if (rc == -ESRCH) {
        pthread_mutex_lock(&dom->lock);
        rc = handle_gone(dom);
        pthread_mutex_unlock(&dom->lock);
        return rc;
    }
    if (rc == -ENOENT)
        return err_set(HV_ENOENT, DOM_FMT ": no configuration is stored "
                       "(it was not started through libhvctl)",
                       DOM_ARGS(dom));
    if (rc < 0)
        return err_sys(err_from_errno(-rc), -rc, DOM_FMT ": reading %s/"
                       "domains/%u/" RT_CONFIG, DOM_ARGS(dom),
                       dom->conn->rundir, dom->domid);
    snprintf(source, sizeof(source), "domain '%s' " RT_CONFIG, dom->name);
    rc = hv_config_from_json(json, strlen(json), source, out);
    free(json);
    return rc;
}

/* ---- accessors ---- */

HV_EXPORT uint32_t hv_domain_get_id(const hv_domain *dom)
{
    return dom ? dom->domid : 0;
}

HV_EXPORT const char *hv_domain_get_name(const hv_domain *dom)
{
    return dom ? dom->name : NULL;
}

HV_EXPORT const char *hv_domain_get_uuid(const hv_domain *dom)
{
    return dom ? dom->uuid : NULL;
}

