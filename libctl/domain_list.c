/*
 * domain_list.c - hv_domain_list and the hv_domain_info snapshot.
 *
 * Listing asks every hvcore at once: send a getinfo to each domain of a
 * batch, then collect the replies, so the hvcores answer in parallel.
 * From the second list on a connection, the control connections stay open
 * in the hv_conn for the next list.  The first list's do not: most first
 * lists are a process's only one (`hvctl list`), and a connection kept
 * open only to be closed at exit costs each hvcore a wake-up for the
 * hang-up, and the lister the cross-CPU wake-up it makes (tens of us on a
 * virtual machine: 1.3-2 ms of the 8-9 ms `hvctl list` of 100 domains
 * took; docs/architecture.md).  So the first list's getinfo says it is
 * the last request on its connection, and hvcore closes it right after
 * the reply (HV_DOMCTL_GETINFO_CLOSE).
 * A domain that does not answer and whose hvcore is dead is listed once
 * as crashed and its runtime entry removed (runtime.c: rt_reap).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "domain_int.h"
#include "drv_direct.h"

#define BATCH 256

static int append(hv_domlist *l, size_t *cap, const struct hv_domain_info *i)
{
    if (l->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 16;
        struct hv_domain_info *v = realloc(l->items, ncap * sizeof(*v));
        if (!v)
            return err_set(HV_ENOMEM, "listing domains: out of memory");
        l->items = v;
        *cap = ncap;
    }
    l->items[l->n++] = *i;
    return 0;
}

/* A domain that did not answer: report it if its hvcore died. */
static int check_silent(hv_conn *conn, uint32_t domid, hv_domlist *l,
                        size_t *cap)
{
    struct hv_domain_info info;
    pid_t pid = 0;
    char name[64];

    if (rt_domain_alive_after_hangup(conn, domid, &pid) != 0)
        return 0;               /* starting, exiting or gone: not listed */
    if (!rt_reap(conn, domid, pid, name))
        return 0;               /* someone else reported it */
    memset(&info, 0, sizeof(info));
    info.domid = domid;
    info.state = HV_STATE_CRASHED;
    info.reason = HV_REASON_HVCORE_DIED;
    info.persistent = info.autostart = -1;
    info.pid = (int)pid;
    snprintf(info.name, sizeof(info.name), "%s", name);
    return append(l, cap, &info);
}

/* Cached control fd of domid, or a new connection (added to the cache).
 * Cache lock held.  Returns an fd or -errno. */
static int cached_fd(hv_conn *conn, uint32_t domid, bool fresh)
{
    struct ctl_cached *c = NULL;
    int fd;

    for (size_t i = 0; i < conn->ncache; i++)
        if (conn->cache[i].domid == domid)
            c = &conn->cache[i];
    if (c && !fresh)
        return c->fd;
    fd = ctl_connect(conn, domid);
    if (fd < 0)
        return fd;
    if (c) {
        close(c->fd);
        c->fd = fd;
        return fd;
    }
    if (conn->ncache == conn->capcache) {
        size_t ncap = conn->capcache ? conn->capcache * 2 : 32;
        struct ctl_cached *v = realloc(conn->cache, ncap * sizeof(*v));
        if (!v)
            return fd;          /* works, just not cached: caller closes */
        conn->cache = v;
        conn->capcache = ncap;
    }
    conn->cache[conn->ncache].domid = domid;
    conn->cache[conn->ncache++].fd = fd;
    return fd;
}

static bool is_cached(const hv_conn *conn, int fd)
{
    for (size_t i = 0; i < conn->ncache; i++)
        if (conn->cache[i].fd == fd)
            return true;
    return false;
}

static void uncache(hv_conn *conn, uint32_t domid)
{
    for (size_t i = 0; i < conn->ncache; i++)
        if (conn->cache[i].domid == domid) {
            close(conn->cache[i].fd);
            conn->cache[i] = conn->cache[--conn->ncache];
            return;
        }
}

/* Forget cached connections of domains that are no longer listed. */
static void prune_cache(hv_conn *conn, const uint32_t *ids, size_t n)
{
    for (size_t i = 0; i < conn->ncache;) {
        bool present = false;
        for (size_t k = 0; k < n && !present; k++)
            present = ids[k] == conn->cache[i].domid;
        if (present) {
            i++;
            continue;
        }
        close(conn->cache[i].fd);
        conn->cache[i] = conn->cache[--conn->ncache];
    }
}

/* Send a getinfo on fds[i]; on a stale cached fd, reconnect once. */
static int send_info(hv_conn *conn, uint32_t domid, int *fdp, uint32_t seq)
{
    struct hv_domctl req;
    int fd = *fdp;

    ctl_req_init(&req, HV_DOMCTL_getinfo, domid, seq);
    if (ctl_send(fd, &req) == 0)
        return 0;
    if (is_cached(conn, fd)) {
        fd = cached_fd(conn, domid, true);
        *fdp = fd;
        if (fd >= 0 && ctl_send(fd, &req) == 0)
            return 0;
        uncache(conn, domid);
    } else {
        close(fd);
    }
    *fdp = -EPIPE;
    return -EPIPE;
}

/*
 * Wait until fd is readable or the batch's deadline passes: 0, -ETIMEDOUT
 * or -errno.  The requests went out together, so their replies share one
 * timeout; each ctl_recv on its own would wait DOMCTL_TIMEOUT_MS per
 * silent hvcore, one after the other.
 */
static int wait_reply(int fd, uint64_t deadline)
{
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        uint64_t now = now_mono_ns();
        int r;

        /* Past the deadline, a reply already there still counts: one
         * silent hvcore must not hide the answers of those after it. */
        r = poll(&p, 1, now >= deadline ? 0
                        : (int)((deadline - now + 999999) / 1000000));
        if (r > 0)
            return 0;
        if (r == 0)
            return -ETIMEDOUT;
        if (errno != EINTR)
            return -errno;
    }
}

/* A connection to domid that asks for its figures once (hvcore closes it
 * after the reply; so does an hvcore of minor 0 or 1 when we do): the fd,
 * or -errno as ctl_connect and ctl_send give it. */
static int oneshot_info(hv_conn *conn, uint32_t domid, uint32_t seq)
{
    struct hv_domctl req;
    int fd = ctl_connect(conn, domid), r;

    if (fd < 0)
        return fd;
    ctl_req_init(&req, HV_DOMCTL_getinfo, domid, seq);
    req.u.getinfo.flags = HV_DOMCTL_GETINFO_CLOSE;
    if ((r = ctl_send(fd, &req)) < 0) {
        close(fd);
        return r;
    }
    return fd;
}

static int list_batch(hv_conn *conn, const uint32_t *ids, size_t n,
                      hv_domlist *l, size_t *cap, uint32_t seq, bool keep)
{
    uint64_t deadline;
    int fds[BATCH];
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        if (!keep) {
            fds[i] = oneshot_info(conn, ids[i], seq);
            continue;
        }
        fds[i] = cached_fd(conn, ids[i], false);
        if (fds[i] >= 0)
            send_info(conn, ids[i], &fds[i], seq);
    }
    deadline = now_mono_ns() + (uint64_t)DOMCTL_TIMEOUT_MS * 1000000;
    for (size_t i = 0; i < n; i++) {
        struct hv_domctl_reply reply;
        struct hv_domain_info info;
        int r = fds[i];

        if (fds[i] >= 0) {
            r = wait_reply(fds[i], deadline);
            if (r == 0)
                r = ctl_recv(fds[i], seq, &reply, NULL);
            if (r < 0 && is_cached(conn, fds[i]))
                uncache(conn, ids[i]);
            else if (!is_cached(conn, fds[i]))
                close(fds[i]);
        }
        if (rc)
            continue;           /* keep collecting the rest */
        if (r == 0 && reply.status == 0) {
            info_from_wire(&info, &reply.u.info);
            rc = append(l, cap, &info);
        } else if (r == -ENOENT || r == -ECONNREFUSED || r == -EPIPE) {
            rc = check_silent(conn, ids[i], l, cap);
        }
        /* Timeouts and odd replies: a domain we cannot vouch for is not
         * listed rather than listed wrong. */
    }
    return rc;
}

int direct_list(hv_conn *conn, unsigned flags, const char *name_glob,
                hv_domlist **out)
{
    hv_domlist *l;
    uint32_t *ids;
    size_t n, cap = 0;
    bool keep;
    int rc;

    if ((rc = rt_list_domids(conn, &ids, &n)))
        return rc;
    l = calloc(1, sizeof(*l));
    if (!l) {
        free(ids);
        return err_set(HV_ENOMEM, "listing domains: out of memory");
    }
    pthread_mutex_lock(&conn->cache_lock);
    prune_cache(conn, ids, n);
    keep = conn->cache_seq != 0;        /* not this connection's first list */
    for (size_t i = 0; i < n && rc == 0; i += BATCH)
        rc = list_batch(conn, ids + i, n - i < BATCH ? n - i : BATCH, l, &cap,
                        ++conn->cache_seq, keep);
    pthread_mutex_unlock(&conn->cache_lock);
    free(ids);
    if (rc) {
        hv_domlist_free(l);
        return rc;
    }
    domlist_filter(l, flags, name_glob);
    *out = l;
    return 0;
}

HV_EXPORT size_t hv_domlist_count(const hv_domlist *list)
{
    return list ? list->n : 0;
}

HV_EXPORT const hv_domain_info *hv_domlist_get(const hv_domlist *list,
                                               size_t i)
{
    return list && i < list->n ? &list->items[i] : NULL;
}

HV_EXPORT void hv_domlist_free(hv_domlist *list)
{
    if (!list)
        return;
    free(list->items);
    free(list);
}

HV_EXPORT const char *hv_state_name(int state)
{
    switch (state) {
    case HV_STATE_RUNNING:  return "running";
    case HV_STATE_PAUSED:   return "paused";
    case HV_STATE_SHUTDOWN: return "shutdown";
    case HV_STATE_CRASHED:  return "crashed";
    case HV_STATE_SHUTOFF:  return "shutoff";
    default:                return "unknown";
    }
}

/* ---- hv_domain_info accessors ---- */

HV_EXPORT void hv_domain_info_free(hv_domain_info *info)
{
    free(info);
}

