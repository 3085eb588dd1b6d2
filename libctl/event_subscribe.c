/*
 * event_subscribe.c - subscribing an hv_events to a domain's event stream
 * without ever blocking: the getinfo and subscribe requests go out
 * together on a control connection that joins the epoll set, and their
 * replies are taken when they arrive; a domain whose control socket is not
 * listening yet is retried on a timer.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "event_int.h"

/* Register the stream sub of domid (info from its getinfo).  Owns sub. */
static int sub_register(hv_events *ev, uint32_t domid,
                        const struct hv_domctl_info *info, int sub,
                        bool announce)
{
    struct epoll_event ee;
    struct watched *w;
    int rc;

    /* A domain created through this connection is heard on its own
     * stream, which has its first event by now: no second stream. */
    ev_claim_created(ev);
    w = ev_find_watched(ev, domid);
    if (w && w->created && !w->final_seen) {
        close(sub);
        return 0;
    }
    if (ev->nw == ev->capw) {
        size_t ncap = ev->capw ? ev->capw * 2 : 16;
        struct watched *nv = realloc(ev->w, ncap * sizeof(*nv));
        if (!nv) {
            close(sub);
            return -ENOMEM;
        }
        ev->w = nv;
        ev->capw = ncap;
    }
    memset(&ee, 0, sizeof(ee));
    ee.events = EPOLLIN;
    ee.data.u64 = TAG(TAG_STREAM, domid);
    if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, sub, &ee) < 0) {
        rc = -errno;
        close(sub);
        return rc;
    }
    w = &ev->w[ev->nw++];
    memset(w, 0, sizeof(*w));
    w->domid = domid;
    w->pid = info->pid;
    w->fd = sub;
    w->started_seen = true;
    memcpy(w->name, info->name, sizeof(w->name));
    w->name[sizeof(w->name) - 1] = '\0';
    /* One arriving as a migration stream says `restored` when it runs
     * (and nothing if the stream is refused): not started yet. */
    if (announce && info->xfer != HV_XFER_STATE_RECEIVING)
        ev_push(ev, HV_EVENT_STARTED, domid, w->name, 0, "");
    /* Crashed before we could listen (on_crash=preserve keeps it): the
     * crash event went to nobody, so say it now. */
    if (announce && info->state == HV_DOMSTATE_crashed) {
        w->final_seen = true;
        ev_push(ev, HV_EVENT_CRASHED, domid, w->name, 0,
             "crashed before it could be watched");
    }
    return 0;
}

/*
 * Connect to domid and send getinfo (seq 1) and subscribe (seq 2).  The
 * connected fd, -EALREADY if domid is watched already, -EAGAIN to retry
 * later (not listening yet), another -errno to give up on it.
 */
static int sub_start(hv_events *ev, uint32_t domid)
{
    struct hv_domctl req;
    struct watched *w;
    int fd, rc;

    w = ev_find_watched(ev, domid);
    if (w && w->created) {
        /* Heard from the start (event_created.c), unless it has ended. */
        ev_on_stream(ev, domid);
        w = ev_find_watched(ev, domid);
        if (w && !w->final_seen)
            return -EALREADY;
    }
    if (w && rt_read_pid(ev->conn, domid) == w->pid)
        return -EALREADY;
    if (w) {
        /* A new hvcore took the domid of one we watch: finish the old
         * stream (its last events, or its crash) before the new one. */
        ev_on_stream(ev, domid);
        if ((w = ev_find_watched(ev, domid)))
            ev_unwatch(ev, w);
    }
    fd = ctl_connect(ev->conn, domid);
    if (fd == -ECONNREFUSED || fd == -ENOENT)
        return -EAGAIN;
    if (fd < 0)
        return fd;
    ctl_req_init(&req, HV_DOMCTL_getinfo, domid, 1);
    rc = ctl_send(fd, &req);
    if (rc == 0) {
        ctl_req_init(&req, HV_DOMCTL_subscribe, domid, 2);
        rc = ctl_send(fd, &req);
    }
    if (rc < 0) {
        close(fd);
        return rc;
    }
    return fd;
}

/*
 * Take the reply awaited on p->ctl (ctl_recv: blocks up to the domctl
 * timeout if none is there).  0 with *sub >= 0 once subscribed, 0 with
 * *sub == -1 after the getinfo reply, or -errno.
 */
static int sub_reply(struct pending *p, int *sub)
{
    struct hv_domctl_reply reply;
    int rc;

    *sub = -1;
    rc = ctl_recv(p->ctl, p->next_seq, &reply,
                  p->next_seq == 2 ? sub : NULL);
    if (rc == 0 && reply.status)
        rc = -EPROTO;
    if (rc == 0 && p->next_seq == 2 && *sub < 0)
        rc = -EPROTO;
    if (rc < 0) {
        if (*sub >= 0)
            close(*sub);
        *sub = -1;
        return rc;
    }
    if (p->next_seq == 1)
        p->info = reply.u.info;
    p->next_seq++;
    return 0;
}

/*
 * Subscribe to domid at once, waiting for hvcore (hv_events_open only:
 * the domains running when it is opened are watched when it returns).
 * 0, or -EAGAIN / -errno as sub_start.
 */
int ev_subscribe_now(hv_events *ev, uint32_t domid, bool announce)
{
    struct pending p = { .domid = domid, .next_seq = 1 };
    int sub = -1, rc;

    p.ctl = sub_start(ev, domid);
    if (p.ctl == -EALREADY)
        return 0;
    if (p.ctl < 0)
        return p.ctl;
    rc = sub_reply(&p, &sub);
    if (rc == 0)
        rc = sub_reply(&p, &sub);
    close(p.ctl);
    if (rc < 0)
        return rc;
    return sub_register(ev, domid, &p.info, sub, announce);
}

void ev_arm_timer(hv_events *ev, bool on)
{
    struct itimerspec its;

    if (on == ev->timer_armed)
        return;
    memset(&its, 0, sizeof(its));
    if (on) {
        its.it_value.tv_nsec = (long)RETRY_NS;
        its.it_interval.tv_nsec = (long)RETRY_NS;
    }
    if (timerfd_settime(ev->timer_fd, 0, &its, NULL) == 0)
        ev->timer_armed = on;
}

void ev_add_pending(hv_events *ev, uint32_t domid, bool announce)
{
    char dir[4200];

    if (ev_is_pending(ev, domid) || (announce && ev_find_watched(ev, domid)))
        return;
    if (ev->np == ev->capp) {
        size_t ncap = ev->capp ? ev->capp * 2 : 8;
        struct pending *nv = realloc(ev->p, ncap * sizeof(*nv));
        if (!nv)
            return;
        ev->p = nv;
        ev->capp = ncap;
    }
    snprintf(dir, sizeof(dir), "%s/domains/%u", ev->conn->rundir, domid);
    ev->p[ev->np].domid = domid;
    /* Watch the new directory for its control socket, to subscribe the
     * moment hvcore listens: a guest that crashes at boot is gone within
     * milliseconds, faster than any polling period. */
    ev->p[ev->np].wd = inotify_add_watch(ev->ino_fd, dir,
                                         IN_CREATE | IN_ATTRIB);
    ev->p[ev->np].announce = announce;
    ev->p[ev->np].ctl = -1;
    ev->p[ev->np].next_seq = 1;
    ev->p[ev->np++].since = now_mono_ns();
}

static void drop_pending(hv_events *ev, size_t i)
{
    if (ev->p[i].wd >= 0)
        inotify_rm_watch(ev->ino_fd, ev->p[i].wd);
    if (ev->p[i].ctl >= 0) {
        epoll_ctl(ev->epfd, EPOLL_CTL_DEL, ev->p[i].ctl, NULL);
        close(ev->p[i].ctl);
    }
    ev->p[i] = ev->p[--ev->np];
}

void ev_drop_pending_domid(hv_events *ev, uint32_t domid)
{
    for (size_t i = 0; i < ev->np; i++)
        if (ev->p[i].domid == domid) {
            drop_pending(ev, i);
            return;
        }
}

/*
 * Send the requests of pending entry i, never waiting for hvcore: the
 * replies come through epoll (on_ctl).  -EAGAIN: not listening yet, keep
 * the entry; 0: in flight, or done (dropped) when domid is watched
 * already; another -errno: give up (the caller drops it).
 */
static int pending_start(hv_events *ev, size_t i)
{
    struct epoll_event ee;
    int fd = sub_start(ev, ev->p[i].domid);

    if (fd == -EALREADY) {
        drop_pending(ev, i);
        return 0;
    }
    if (fd < 0)
        return fd;
    memset(&ee, 0, sizeof(ee));
    ee.events = EPOLLIN;
    ee.data.u64 = TAG(TAG_CTL, ev->p[i].domid);
    if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &ee) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    ev->p[i].ctl = fd;
    ev->p[i].next_seq = 1;
    return 0;
}

/* A reply (or the end) arrived on a pending subscription of domid. */
void ev_on_ctl(hv_events *ev, uint32_t domid)
{
    for (size_t i = 0; i < ev->np; i++) {
        struct pending *p = &ev->p[i];
        if (p->domid != domid || p->ctl < 0)
            continue;
        for (;;) {
            struct pollfd pf = { .fd = p->ctl, .events = POLLIN };
            int sub, rc;

            if (poll(&pf, 1, 0) != 1)
                return;         /* the other reply is still to come */
            rc = sub_reply(p, &sub);
            if (rc < 0) {
                drop_pending(ev, i);    /* ended, or hvcore spoke oddly */
                return;
            }
            if (sub >= 0) {
                struct hv_domctl_info info = p->info;
                bool announce = p->announce;
                drop_pending(ev, i);
                sub_register(ev, domid, &info, sub, announce);
                return;
            }
        }
    }
}

/*
 * The control socket of a pending domain appeared: hvcore binds, then
 * listens a few microseconds later, so a refused connect is retried for a
 * moment before falling back to the timer.
 */
void ev_control_appeared(hv_events *ev, size_t i)
{
    uint64_t until = now_mono_ns() + 2000000;
    uint32_t domid = ev->p[i].domid;
    int rc;

    if (ev->p[i].ctl >= 0)
        return;                 /* requests in flight already */
    do
        rc = pending_start(ev, i);
    while (rc == -EAGAIN && now_mono_ns() < until);
    if (rc < 0 && rc != -EAGAIN && i < ev->np && ev->p[i].domid == domid)
        drop_pending(ev, i);
}

/* Pending domains not listening yet, which only the timer retries. */
bool ev_waiting_pending(const hv_events *ev)
{
    for (size_t i = 0; i < ev->np; i++)
        if (ev->p[i].ctl < 0)
            return true;
    return false;
}

/* Try every pending domain once; keep those that are not ready yet. */
void ev_retry_pending(hv_events *ev)
{
    uint64_t now = now_mono_ns();


    for (size_t i = 0; i < ev->np;) {
        struct pending p = ev->p[i];
        char dir[16];
        struct stat st;
        size_t np = ev->np;
        int rc;

        if (p.ctl >= 0) {       /* in flight: epoll tells of the reply */
            i++;
            continue;
        }
        rc = pending_start(ev, i);
        if (ev->np < np)
            continue;           /* done: dropped by pending_start */
        snprintf(dir, sizeof(dir), "%u", p.domid);
        if (rc == 0 ||
            (rc == -EAGAIN && now - p.since < PENDING_MAX_NS &&
             fstatat(ev->conn->domains_fd, dir, &st, 0) == 0))
            i++;
        else
            drop_pending(ev, i);
    }
    ev_arm_timer(ev, ev_waiting_pending(ev) || ev->ndy > 0 || ev->nheld);
}

