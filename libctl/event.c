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

#include "drv_direct.h"
#include "event_int.h"

static const int type_map[] = {
    [HV_EVENT_started] = HV_EVENT_STARTED,
    [HV_EVENT_paused] = HV_EVENT_PAUSED,
    [HV_EVENT_unpaused] = HV_EVENT_UNPAUSED,
    [HV_EVENT_shutdown] = HV_EVENT_SHUTDOWN,
    [HV_EVENT_rebooted] = HV_EVENT_REBOOTED,
    [HV_EVENT_crashed] = HV_EVENT_CRASHED,
    [HV_EVENT_destroyed] = HV_EVENT_DESTROYED,
    [HV_EVENT_preserved] = 0,           /* not told: see ev_on_stream */
    [HV_EVENT_saved] = HV_EVENT_SAVED,
    [HV_EVENT_migrated] = HV_EVENT_MIGRATED,
    [HV_EVENT_restored] = HV_EVENT_RESTORED,
    [HV_EVENT_device_attached] = HV_EVENT_DEVICE_ATTACHED,
    [HV_EVENT_device_detached] = HV_EVENT_DEVICE_DETACHED,
    [HV_EVENT_device_error] = HV_EVENT_DEVICE_ERROR,
    [HV_EVENT_device_ready] = HV_EVENT_DEVICE_READY,
};

int ev_push(hv_events *ev, int type, uint32_t domid, const char *name,
                uint64_t time_ns, const char *detail)
{
    struct hv_event *e = calloc(1, sizeof(*e));

    if (!e)
        return err_set(HV_ENOMEM, "events: out of memory");
    e->type = type;
    e->domid = domid;
    switch (type) {
    case HV_EVENT_STARTED:  e->reason = HV_REASON_BOOTED; break;
    case HV_EVENT_SHUTDOWN: e->reason = HV_REASON_POWEROFF; break;
    case HV_EVENT_REBOOTED: e->reason = HV_REASON_REBOOTED; break;
    case HV_EVENT_CRASHED:  e->reason = HV_REASON_GUEST_CRASH; break;
    case HV_EVENT_RESTORED: e->reason = HV_REASON_BOOTED; break;
    case HV_EVENT_DEVICE_ERROR:
    case HV_EVENT_DEVICE_READY: e->reason = HV_REASON_UNKNOWN; break;
    default:                e->reason = HV_REASON_REQUESTED; break;
    }
    /* Whoever asked for a pause or a destroy is not known here; a back
     * end lost or back is hvcore's finding. */
    e->cause = type == HV_EVENT_DEVICE_ERROR || type == HV_EVENT_DEVICE_READY
               ? HV_CAUSE_HVCORE
             : e->reason == HV_REASON_REQUESTED ? HV_CAUSE_UNKNOWN
             : e->reason == HV_REASON_BOOTED ? HV_CAUSE_UNKNOWN
             : HV_CAUSE_GUEST;
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

struct watched *ev_find_watched(hv_events *ev, uint32_t domid)
{
    for (size_t i = 0; i < ev->nw; i++)
        if (ev->w[i].domid == domid)
            return &ev->w[i];
    return NULL;
}

bool ev_is_pending(hv_events *ev, uint32_t domid)
{
    for (size_t i = 0; i < ev->np; i++)
        if (ev->p[i].domid == domid)
            return true;
    return false;
}

/* Tell w's held last word now. */
static void release_held(hv_events *ev, struct watched *w)
{
    if (!w->held_since)
        return;
    ev_push(ev, type_map[w->held.type], w->domid, w->name,
            w->held.time_ns, w->held.detail);
    w->held_since = 0;
    ev->nheld--;
}

void ev_unwatch(hv_events *ev, struct watched *w)
{
    release_held(ev, w);
    epoll_ctl(ev->epfd, EPOLL_CTL_DEL, w->fd, NULL);
    close(w->fd);
    *w = ev->w[--ev->nw];
}

static void rescan(hv_events *ev, bool announce)
{
    uint32_t *ids;
    size_t n;

    if (rt_list_domids(ev->conn, &ids, &n))
        return;
    for (size_t i = 0; i < n; i++)
        if (!ev_find_watched(ev, ids[i]) && !ev_is_pending(ev, ids[i])) {
            if (announce)
                ev_add_pending(ev, ids[i], true);
            else
                ev_subscribe_now(ev, ids[i], false);
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
                            ev_control_appeared(ev, i);
                        break;
                    }
                continue;
            }
            if (!ie->len)
                continue;
            id = strtoul(ie->name, &end, 10);
            if (*end || id == 0 || id > UINT32_MAX)
                continue;
            ev_add_pending(ev, (uint32_t)id, true);
        }
    }
    ev_retry_pending(ev);
}


/* Report the dead among the dying; give up on those still alive. */
static void check_dying(hv_events *ev)
{
    uint64_t now = now_mono_ns();

    /* A last word held for a stream that does not end: tell it anyway. */
    for (size_t i = 0; i < ev->nw;)
        if (ev->w[i].held_since && now - ev->w[i].held_since >= HELD_MAX_NS)
            ev_unwatch(ev, &ev->w[i]);  /* moves the last entry to i */
        else
            i++;

    for (size_t i = 0; i < ev->ndy;) {
        struct dying d = ev->dy[i];
        char detail[112], name[64];

        if (rt_pid_alive(d.pid, NULL)) {
            if (now - d.since < DYING_MAX_NS) {
                i++;
                continue;
            }
            ev->dy[i] = ev->dy[--ev->ndy];
            ev_add_pending(ev, d.domid, false);    /* it lives on */
            continue;
        }
        snprintf(detail, sizeof(detail), "hvcore (pid %d) died", (int)d.pid);
        if (ev_push(ev, HV_EVENT_CRASHED, d.domid, d.name, 0, detail) == 0) {
            ev->tail->reason = HV_REASON_HVCORE_DIED;
            ev->tail->cause = HV_CAUSE_HVCORE;
        }
        if (rt_read_pid(ev->conn, d.domid) == d.pid)
            rt_reap(ev->conn, d.domid, d.pid, name);
        ev->dy[i] = ev->dy[--ev->ndy];
    }
    ev_arm_timer(ev, ev_waiting_pending(ev) || ev->ndy > 0 || ev->nheld);
}

void ev_on_stream(hv_events *ev, uint32_t domid)
{
    struct watched *w = ev_find_watched(ev, domid);
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
        /* Something followed the held word: hvcore lives on (a crash
         * then a reboot, or a crash preserved). */
        release_held(ev, w);
        if (e.type == HV_EVENT_preserved)
            continue;
        /* saved and migrated: the domain left as a stream, and its
         * hvcore exits as after a shutdown. */
        w->final_seen = e.type == HV_EVENT_shutdown ||
                        e.type == HV_EVENT_destroyed ||
                        e.type == HV_EVENT_crashed ||
                        e.type == HV_EVENT_saved ||
                        e.type == HV_EVENT_migrated;
        if (w->final_seen) {
            /*
             * hvcore may be exiting.  Told when its stream ends, which is
             * once it has let go of the name and the domid (hvcore
             * releases them before it closes its streams, and the kernel
             * closes them when it dies), so that whoever hears it may
             * reuse them at once; or when another event shows hvcore
             * lives on.  ev_unwatch tells it, also when a new domain
             * takes the domid first; HELD_MAX_NS bounds a hung hvcore.
             */
            w->held = e;
            w->held_since = now_mono_ns();
            ev->nheld++;
            ev_arm_timer(ev, true);
            continue;
        }
        ev_push(ev, type_map[e.type], domid, w->name, e.time_ns, e.detail);
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
        /* A created stream may not have learnt its hvcore's pid. */
        d->pid = w->pid > 0 ? w->pid : rt_read_pid(ev->conn, domid);
        d->since = now_mono_ns();
        memcpy(d->name, w->name, sizeof(d->name));
    }
    ev_unwatch(ev, w);
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
                ev_retry_pending(ev);
                check_dying(ev);
            } else if (kind == TAG_STREAM) {
                ev_on_stream(ev, id);
            } else if (kind == TAG_CTL) {
                ev_on_ctl(ev, id);
            } else if (kind == TAG_CREATED) {
                ev_on_created(ev, id);
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

int direct_events_open(hv_conn *conn, hv_events **out)
{
    char path[4200];
    hv_events *ev;
    int rc;

    /* Waiting for domains to start: the directory they appear in must be. */
    if ((rc = conn_make_rundir(conn)))
        return rc;
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
        direct_events_free(ev);
        return rc;
    }
    /* Domains already running: watched, but not announced as started. */
    rescan(ev, false);
    ev_conn_attach(ev);
    *out = ev;
    return 0;
}

void direct_events_free(hv_events *ev)
{
    ev_conn_detach(ev);
    ev_created_free(ev);
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

int direct_events_fd(const hv_events *ev)
{
    return ev->epfd;
}

int direct_event_next(hv_events *ev, hv_event **out)
{
    struct hv_event *e;

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
