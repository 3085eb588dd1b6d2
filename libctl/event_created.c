/*
 * event_created.c - the hv_events of a connection hear every event of the
 * domains created through that connection, from the very first.
 *
 * Subscribing after the fact (inotify, then domctl subscribe) cannot see
 * a domain that is over within a millisecond: a guest that powers off or
 * crashes at boot is gone, directory and all, before the subscription
 * reaches it, and its start and end would go unreported.  So
 * hv_domain_create asks for a stream first (ev_created_stream) and hands
 * its other end to hvcore as --event-fd: hvcore writes `started` on it
 * before it serves any domctl request, and everything after.
 *
 * The stream joins the epoll set before hvcore exists, tagged by a serial
 * number: its domid comes with its first event.  A subscription by the
 * inotify path to the same domain always completes after that event is
 * in the stream (hvcore answers requests only once it has sent it), so
 * sub_register claims the created streams first and the domain is
 * watched once, through its creator's stream.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event_int.h"

void ev_conn_attach(hv_events *ev)
{
    hv_events **pp;

    pthread_mutex_lock(&ev->conn->events_lock);
    for (pp = &ev->conn->events; *pp; pp = &(*pp)->conn_next)
        ;
    *pp = ev;
    pthread_mutex_unlock(&ev->conn->events_lock);
}

void ev_conn_detach(hv_events *ev)
{
    pthread_mutex_lock(&ev->conn->events_lock);
    for (hv_events **pp = &ev->conn->events; *pp; pp = &(*pp)->conn_next)
        if (*pp == ev) {
            *pp = ev->conn_next;
            break;
        }
    pthread_mutex_unlock(&ev->conn->events_lock);
}

void ev_created_free(hv_events *ev)
{
    for (size_t i = 0; i < ev->ncr; i++)
        close(ev->cr[i].fd);
    free(ev->cr);
}

/* Add our end of a new stream to ev.  Lock held.  0 or -errno. */
static int add_created(hv_events *ev, int fd, const char *name)
{
    struct epoll_event ee;
    struct created *c;

    if (ev->ncr == ev->capcr) {
        size_t ncap = ev->capcr ? ev->capcr * 2 : 4;
        struct created *nv = realloc(ev->cr, ncap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        ev->cr = nv;
        ev->capcr = ncap;
    }
    c = &ev->cr[ev->ncr];
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->serial = ++ev->cr_serial;
    snprintf(c->name, sizeof(c->name), "%s", name);
    memset(&ee, 0, sizeof(ee));
    ee.events = EPOLLIN;
    ee.data.u64 = TAG(TAG_CREATED, c->serial);
    if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &ee) < 0)
        return -errno;
    ev->ncr++;
    return 0;
}

int ev_created_stream(hv_conn *conn, const char *name)
{
    hv_events *ev;
    int sv[2] = { -1, -1 }, rc = -1;

    pthread_mutex_lock(&conn->events_lock);
    ev = conn->events;          /* the first one opened hears it */
    if (ev && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0) {
        pthread_mutex_lock(&ev->lock);
        if (add_created(ev, sv[0], name) == 0) {
            shutdown(sv[1], SHUT_RD);   /* hvcore only writes */
            rc = sv[1];
        } else {
            close(sv[0]);
            close(sv[1]);
        }
        pthread_mutex_unlock(&ev->lock);
    }
    pthread_mutex_unlock(&conn->events_lock);
    return rc;
}

static void drop_created(hv_events *ev, size_t i)
{
    epoll_ctl(ev->epfd, EPOLL_CTL_DEL, ev->cr[i].fd, NULL);
    close(ev->cr[i].fd);
    ev->cr[i] = ev->cr[--ev->ncr];
}

/*
 * Created stream i has something to say: its first event names the
 * domid, and it becomes that domain's watched stream.  A stream that
 * ends without a word belongs to an hvcore that never ran its domain
 * (its creator has the error).  Lock held.
 */
static void promote(hv_events *ev, size_t i)
{
    struct hv_domctl_event e;
    struct epoll_event ee;
    struct created c = ev->cr[i];
    struct watched *w;
    ssize_t n;
    pid_t pid;

    n = recv(c.fd, &e, sizeof(e), MSG_PEEK | MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n != (ssize_t)sizeof(e) || e.domid == 0) {
        drop_created(ev, i);
        return;
    }
    /* Whatever still watches this domid is an earlier incarnation, which
     * said its last word before our hvcore could take the domid: finish
     * it first, so that events come in order. */
    if (ev_find_watched(ev, e.domid)) {
        ev_on_stream(ev, e.domid);
        if ((w = ev_find_watched(ev, e.domid)))
            ev_unwatch(ev, w);
    }
    ev_drop_pending_domid(ev, e.domid);
    if (ev->nw == ev->capw) {
        size_t ncap = ev->capw ? ev->capw * 2 : 16;
        struct watched *nv = realloc(ev->w, ncap * sizeof(*nv));
        if (!nv)
            return;             /* try again on the next readiness */
        ev->w = nv;
        ev->capw = ncap;
    }
    memset(&ee, 0, sizeof(ee));
    ee.events = EPOLLIN;
    ee.data.u64 = TAG(TAG_STREAM, e.domid);
    if (epoll_ctl(ev->epfd, EPOLL_CTL_MOD, c.fd, &ee) < 0) {
        drop_created(ev, i);
        return;
    }
    ev->cr[i] = ev->cr[--ev->ncr];
    w = &ev->w[ev->nw++];
    memset(w, 0, sizeof(*w));
    w->domid = e.domid;
    /* For telling a killed hvcore from a live one if the stream ends
     * without a last word; read again then if it is gone already. */
    pid = rt_read_pid(ev->conn, e.domid);
    w->pid = pid > 0 ? pid : 0;
    w->fd = c.fd;
    w->created = true;
    memcpy(w->name, c.name, sizeof(w->name));
    ev_on_stream(ev, e.domid);
}

void ev_on_created(hv_events *ev, uint32_t serial)
{
    for (size_t i = 0; i < ev->ncr; i++)
        if (ev->cr[i].serial == serial) {
            promote(ev, i);
            return;
        }
}

void ev_claim_created(hv_events *ev)
{
    for (size_t i = ev->ncr; i-- > 0;)
        promote(ev, i);
}
