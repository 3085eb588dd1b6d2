/*
 * event.c - hv_events: one pollable fd for the lifecycle events of every
 * domain of a connection.
 *
 * The fd is an epoll set holding
 *   - an inotify watch on <rundir>/domains, which tells of new domains;
 *   - one HV_DOMCTL_subscribe stream per domain, on which hvcore sends its
 *     events and which it closes when it exits;
 *   - a timerfd that retries subscribing to a new domain whose control
 *     socket is not listening yet (mkdir comes before listen in hvcore).
 * hv_event_next() drains whatever is ready without blocking, so the caller
 * only ever waits in its own loop.  A stream that ends without a final
 * event (shutdown, destroyed, crashed) means hvcore died: that is reported
 * as crashed, and the runtime entry is removed.
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

#include "domain_int.h"
#include "event.h"

/* epoll tags: kind in the high half, domid in the low. */
enum { TAG_INOTIFY = 1, TAG_TIMER = 2, TAG_STREAM = 3, TAG_CTL = 4 };
#define TAG(kind, id) (((uint64_t)(kind) << 32) | (uint32_t)(id))

#define RETRY_NS 2000000ull             /* subscribe retry period     */
#define PENDING_MAX_NS 10000000000ull   /* give up on a new domain    */

struct watched {
    uint32_t domid;
    pid_t pid;
    int fd;                     /* event stream */
    bool final_seen;            /* shutdown/destroyed/crashed received */
    bool started_seen;
    char name[64];
};

struct pending {
    uint32_t domid;
    int wd;                     /* inotify watch on domains/<domid>, or -1 */
    uint64_t since;
    bool announce;              /* report STARTED once subscribed         */
    /*
     * Requests in flight: getinfo (seq 1) and subscribe (seq 2) went out on
     * ctl, whose replies epoll reports (TAG_CTL); nothing here waits for a
     * slow or stopped hvcore, as hv_event_next must never block.
     */
    int ctl;                    /* control connection, or -1              */
    uint32_t next_seq;          /* reply awaited: 1 or 2                  */
    struct hv_domctl_info info; /* from the getinfo reply                 */
};

/* A stream that ended without a last word: dead, or only dropping us? */
struct dying {
    uint32_t domid;
    pid_t pid;
    uint64_t since;
    char name[64];
};

#define DYING_MAX_NS 1000000000ull      /* alive after this: resubscribe */

struct hv_events {
    pthread_mutex_t lock;
    hv_conn *conn;
    int epfd, ino_fd, timer_fd, root_wd;
    bool timer_armed;
    struct watched *w;
    size_t nw, capw;
    struct pending *p;
    size_t np, capp;
    struct dying *dy;
    size_t ndy, capdy;
    struct hv_event *head, *tail;
};

static int push(hv_events *ev, int type, uint32_t domid, const char *name,
                uint64_t time_ns, const char *detail)
{
    struct hv_event *e = calloc(1, sizeof(*e));

    if (!e)
        return err_set(HV_ENOMEM, "events: out of memory");
    e->type = type;
    e->domid = domid;
    e->time_ns = time_ns ? time_ns : now_real_ns();
    snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
    snprintf(e->detail, sizeof(e->detail), "%s", detail ? detail : "");
    if (ev->tail)
        ev->tail->next = e;
    else
        ev->head = e;
    ev->tail = e;
    return 0;
}

static struct watched *find_watched(hv_events *ev, uint32_t domid)
{
    for (size_t i = 0; i < ev->nw; i++)
        if (ev->w[i].domid == domid)
            return &ev->w[i];
    return NULL;
}

static bool is_pending(hv_events *ev, uint32_t domid)
{
    for (size_t i = 0; i < ev->np; i++)
        if (ev->p[i].domid == domid)
            return true;
    return false;
}

static void unwatch(hv_events *ev, struct watched *w)
{
    epoll_ctl(ev->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    close(w->fd);
    *w = ev->w[--ev->nw];
}

static void on_stream(hv_events *ev, uint32_t domid);

/* Register the stream sub of domid (info from its getinfo).  Owns sub. */
static int sub_register(hv_events *ev, uint32_t domid,
                        const struct hv_domctl_info *info, int sub,
                        bool announce)
{
    struct epoll_event ee;
    struct watched *w;
    int rc;

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
    if (announce)
        push(ev, HV_EVENT_STARTED, domid, w->name, 0, "");
    /* Crashed before we could listen (on_crash=preserve keeps it): the
     * crash event went to nobody, so say it now. */
    if (announce && info->state == HV_DOMSTATE_crashed) {
        w->final_seen = true;
        push(ev, HV_EVENT_CRASHED, domid, w->name, 0,
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

    w = find_watched(ev, domid);
    if (w && rt_read_pid(ev->conn, domid) == w->pid)
        return -EALREADY;
    if (w) {
        /* A new hvcore took the domid of one we watch: finish the old
         * stream (its last events, or its crash) before the new one. */
        on_stream(ev, domid);
        if ((w = find_watched(ev, domid)))
            unwatch(ev, w);
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
static int subscribe_now(hv_events *ev, uint32_t domid, bool announce)
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

static void arm_timer(hv_events *ev, bool on)
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

static void add_pending(hv_events *ev, uint32_t domid, bool announce)
{
    char dir[4200];

    if (is_pending(ev, domid) || (announce && find_watched(ev, domid)))
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
static void on_ctl(hv_events *ev, uint32_t domid)
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
static void control_appeared(hv_events *ev, size_t i)
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
static bool waiting_pending(const hv_events *ev)
{
    for (size_t i = 0; i < ev->np; i++)
        if (ev->p[i].ctl < 0)
            return true;
    return false;
}

/* Try every pending domain once; keep those that are not ready yet. */
static void retry_pending(hv_events *ev)
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
    arm_timer(ev, waiting_pending(ev) || ev->ndy > 0);
}

static void rescan(hv_events *ev, bool announce)
{
    uint32_t *ids;
    size_t n;

    if (rt_list_domids(ev->conn, &ids, &n))
        return;
    for (size_t i = 0; i < n; i++)
        if (!find_watched(ev, ids[i]) && !is_pending(ev, ids[i])) {
            if (announce)
                add_pending(ev, ids[i], true);
            else
                subscribe_now(ev, ids[i], false);
        }
    free(ids);
}

static void on_inotify(hv_events *ev)
{
    char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;

    while ((n = read(ev->ino_fd, buf, sizeof(buf))) > 0) {
        for (char *p = buf; p < buf + n;) {
            struct inotify_event *ie = (struct inotify_event *)p;
            char *end;
            unsigned long id;

            p += sizeof(*ie) + ie->len;
            if (ie->mask & IN_Q_OVERFLOW) {
                rescan(ev, true);
                continue;
            }
            if (ie->wd != ev->root_wd) {
                /* In a new domain's directory. */
                for (size_t i = 0; i < ev->np; i++)
                    if (ev->p[i].wd == ie->wd) {
                        if (ie->mask & IN_IGNORED)
                            ev->p[i].wd = -1;   /* directory removed */
                        else if (ie->len &&
                                 strcmp(ie->name, HV_DOMCTL_SOCKET) == 0)
                            control_appeared(ev, i);
                        break;
                    }
                continue;
            }
            if (!ie->len)
                continue;
            id = strtoul(ie->name, &end, 10);
            if (*end || id == 0 || id > UINT32_MAX)
                continue;
            add_pending(ev, (uint32_t)id, true);
        }
    }
    retry_pending(ev);
}

static const int type_map[] = {
    [HV_EVENT_started] = HV_EVENT_STARTED,
    [HV_EVENT_paused] = HV_EVENT_PAUSED,
    [HV_EVENT_unpaused] = HV_EVENT_UNPAUSED,
    [HV_EVENT_shutdown] = HV_EVENT_SHUTDOWN,
    [HV_EVENT_rebooted] = HV_EVENT_REBOOTED,
    [HV_EVENT_crashed] = HV_EVENT_CRASHED,
    [HV_EVENT_destroyed] = HV_EVENT_DESTROYED,
};

/* Report the dead among the dying; give up on those still alive. */
static void check_dying(hv_events *ev)
{
    uint64_t now = now_mono_ns();

    for (size_t i = 0; i < ev->ndy;) {
        struct dying d = ev->dy[i];
        char detail[112], name[64];

        if (rt_pid_alive(d.pid, NULL)) {
            if (now - d.since < DYING_MAX_NS) {
                i++;
                continue;
            }
            ev->dy[i] = ev->dy[--ev->ndy];
            add_pending(ev, d.domid, false);    /* it lives on */
            continue;
        }
        snprintf(detail, sizeof(detail), "hvcore (pid %d) died", (int)d.pid);
        push(ev, HV_EVENT_CRASHED, d.domid, d.name, 0, detail);
        if (rt_read_pid(ev->conn, d.domid) == d.pid)
            rt_reap(ev->conn, d.domid, d.pid, name);
        ev->dy[i] = ev->dy[--ev->ndy];
    }
    arm_timer(ev, waiting_pending(ev) || ev->ndy > 0);
}

static void on_stream(hv_events *ev, uint32_t domid)
{
    struct watched *w = find_watched(ev, domid);
    struct hv_domctl_event e;
    ssize_t n;

    if (!w)
        return;
    while ((n = recv(w->fd, &e, sizeof(e), MSG_DONTWAIT)) > 0) {
        if (n != (ssize_t)sizeof(e) || e.type == 0 ||
            e.type >= sizeof(type_map) / sizeof(type_map[0]))
            continue;
        e.detail[sizeof(e.detail) - 1] = '\0';
        if (e.type == HV_EVENT_started && w->started_seen)
            continue;           /* already announced on discovery */
        w->final_seen = e.type == HV_EVENT_shutdown ||
                        e.type == HV_EVENT_destroyed ||
                        e.type == HV_EVENT_crashed;
        push(ev, type_map[e.type], domid, w->name, e.time_ns, e.detail);
        if (e.type == HV_EVENT_shutdown || e.type == HV_EVENT_destroyed) {
            /* Nothing follows these: hvcore is exiting, and the domid may
             * be taken by a new domain before its stream closes. */
            unwatch(ev, w);
            return;
        }
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    /*
     * End of stream without a last word.  hvcore is dying (its fds close
     * a moment before /proc shows it dead) or, rarely, dropped us as a
     * slow reader.  Decide on the timer, never by blocking here.
     */
    if (!w->final_seen && ev->ndy == ev->capdy) {
        size_t ncap = ev->capdy ? ev->capdy * 2 : 4;
        struct dying *nv = realloc(ev->dy, ncap * sizeof(*nv));
        if (nv) {
            ev->dy = nv;
            ev->capdy = ncap;
        }
    }
    if (!w->final_seen && ev->ndy < ev->capdy) {
        struct dying *d = &ev->dy[ev->ndy++];
        d->domid = domid;
        d->pid = w->pid;
        d->since = now_mono_ns();
        memcpy(d->name, w->name, sizeof(d->name));
    }
    unwatch(ev, w);
    check_dying(ev);
}

/* Handle everything epoll has ready now.  Lock held. */
static void pump(hv_events *ev)
{
    struct epoll_event evs[32];
    int n;

    do {
        n = epoll_wait(ev->epfd, evs, 32, 0);
        for (int i = 0; i < n; i++) {
            uint32_t kind = (uint32_t)(evs[i].data.u64 >> 32);
            uint32_t id = (uint32_t)evs[i].data.u64;
            uint64_t ticks;

            if (kind == TAG_INOTIFY) {
                on_inotify(ev);
            } else if (kind == TAG_TIMER) {
                if (read(ev->timer_fd, &ticks, sizeof(ticks)) < 0)
                    ticks = 0;
                retry_pending(ev);
                check_dying(ev);
            } else if (kind == TAG_STREAM) {
                on_stream(ev, id);
            } else if (kind == TAG_CTL) {
                on_ctl(ev, id);
            }
        }
    } while (n == 32);
}

static int add_fd(hv_events *ev, int fd, uint64_t tag)
{
    struct epoll_event ee;

    memset(&ee, 0, sizeof(ee));
    ee.events = EPOLLIN;
    ee.data.u64 = tag;
    return epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &ee);
}

HV_EXPORT int hv_events_open(hv_conn *conn, hv_events **out)
{
    char path[4200];
    hv_events *ev;
    int rc;

    if (!out)
        return err_set(HV_EINVAL, "events: no place for the result");
    *out = NULL;
    if (!conn)
        return err_set(HV_EINVAL, "events: no connection");
    ev = calloc(1, sizeof(*ev));
    if (!ev)
        return err_set(HV_ENOMEM, "events: out of memory");
    pthread_mutex_init(&ev->lock, NULL);
    ev->conn = conn;
    ev->epfd = epoll_create1(EPOLL_CLOEXEC);
    ev->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    ev->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    snprintf(path, sizeof(path), "%s/domains", conn->rundir);
    if (ev->epfd < 0 || ev->ino_fd < 0 || ev->timer_fd < 0 ||
        (ev->root_wd = inotify_add_watch(ev->ino_fd, path, IN_CREATE |
                                         IN_MOVED_TO | IN_ONLYDIR)) < 0 ||
        add_fd(ev, ev->ino_fd, TAG(TAG_INOTIFY, 0)) < 0 ||
        add_fd(ev, ev->timer_fd, TAG(TAG_TIMER, 0)) < 0) {
        rc = err_sys(err_from_errno(errno), errno, "events on %s", path);
        hv_events_free(ev);
        return rc;
    }
    /* Domains already running: watched, but not announced as started. */
    rescan(ev, false);
    *out = ev;
    return 0;
}

HV_EXPORT void hv_events_free(hv_events *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->nw; i++)
        close(ev->w[i].fd);
    for (size_t i = 0; i < ev->np; i++)
        if (ev->p[i].ctl >= 0)
            close(ev->p[i].ctl);
    free(ev->w);
    free(ev->p);
    free(ev->dy);
    while (ev->head) {
        struct hv_event *e = ev->head;
        ev->head = e->next;
        free(e);
    }
    if (ev->epfd >= 0)
        close(ev->epfd);
    if (ev->ino_fd >= 0)
        close(ev->ino_fd);
    if (ev->timer_fd >= 0)
        close(ev->timer_fd);
    pthread_mutex_destroy(&ev->lock);
    free(ev);
}

HV_EXPORT int hv_events_get_fd(const hv_events *ev)
{
    return ev ? ev->epfd : -1;
}

HV_EXPORT int hv_event_next(hv_events *ev, hv_event **out)
{
    struct hv_event *e;

    if (!out)
        return err_set(HV_EINVAL, "events: no place for the result");
    *out = NULL;
    if (!ev)
        return err_set(HV_EINVAL, "events: NULL");
    pthread_mutex_lock(&ev->lock);
    if (!ev->head)
        pump(ev);
    e = ev->head;
    if (e) {
        ev->head = e->next;
        if (!ev->head)
            ev->tail = NULL;
        e->next = NULL;
    }
    pthread_mutex_unlock(&ev->lock);
    if (!e)
        return err_set(HV_EAGAIN, "events: nothing pending");
    *out = e;
    return 0;
}
