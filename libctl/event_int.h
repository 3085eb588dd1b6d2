/*
 * event_int.h - what event.c (the hv_events object, its streams and
 * inotify watch) and event_subscribe.c (subscribing to new domains without
 * blocking) share.
 */
#ifndef HVCTL_EVENT_INT_H
#define HVCTL_EVENT_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "domain_int.h"
#include "event.h"

/* epoll tags: kind in the high half, domid in the low. */
enum { TAG_INOTIFY = 1, TAG_TIMER = 2, TAG_STREAM = 3, TAG_CTL = 4,
       TAG_CREATED = 5 };
#define TAG(kind, id) (((uint64_t)(kind) << 32) | (uint32_t)(id))

#define RETRY_NS 2000000ull             /* subscribe retry period     */
#define PENDING_MAX_NS 10000000000ull   /* give up on a new domain    */

struct watched {
    uint32_t domid;
    pid_t pid;
    int fd;                     /* event stream */
    bool final_seen;            /* shutdown/destroyed/crashed received */
    bool started_seen;
    bool created;               /* hvcore's --event-fd (event_created.c) */
    struct hv_domctl_event held; /* its last word, told at the end      */
    uint64_t held_since;        /* 0: none held                         */
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
/* A last word held this long is told anyway: only a hung hvcore that
 * neither exits nor says more gets here. */
#define HELD_MAX_NS 30000000000ull

/*
 * The event stream of a domain being created through this connection
 * (event_created.c): hvcore writes on it from before its domain runs, so
 * nothing it says can be missed.  Its domid comes with the first event.
 */
struct created {
    int fd;
    uint32_t serial;            /* epoll tag, until the domid is known */
    char name[64];
};

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
    size_t nheld;               /* watched with a last word held */
    struct created *cr;
    size_t ncr, capcr;
    uint32_t cr_serial;
    struct hv_events *conn_next;        /* conn->events; event_created.c */
    struct hv_event *head, *tail;
};

/* event.c */
int ev_push(hv_events *ev, int type, uint32_t domid, const char *name,
            uint64_t time_ns, const char *detail);
struct watched *ev_find_watched(hv_events *ev, uint32_t domid);
bool ev_is_pending(hv_events *ev, uint32_t domid);
void ev_unwatch(hv_events *ev, struct watched *w);
void ev_on_stream(hv_events *ev, uint32_t domid);

/* event_subscribe.c */
int ev_subscribe_now(hv_events *ev, uint32_t domid, bool announce);
void ev_arm_timer(hv_events *ev, bool on);
void ev_add_pending(hv_events *ev, uint32_t domid, bool announce);
void ev_on_ctl(hv_events *ev, uint32_t domid);
void ev_control_appeared(hv_events *ev, size_t i);
bool ev_waiting_pending(const hv_events *ev);
void ev_retry_pending(hv_events *ev);
void ev_drop_pending_domid(hv_events *ev, uint32_t domid);

/* event_created.c */
void ev_conn_attach(hv_events *ev);
void ev_conn_detach(hv_events *ev);
void ev_on_created(hv_events *ev, uint32_t serial);
void ev_claim_created(hv_events *ev);
void ev_created_free(hv_events *ev);

#endif /* HVCTL_EVENT_INT_H */
