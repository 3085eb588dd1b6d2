/*
 * monitor_int.h - what monitor.c (lifecycle events) and monitor_list.c
 * (the periodic list) share.  Not used outside them.
 */
#ifndef HVCTLD_MONITOR_INT_H
#define HVCTLD_MONITOR_INT_H

#include <stdbool.h>

#include "monitor.h"

struct event;
struct dom;

struct waiter {
    void (*fn)(void *arg);
    void *arg;
    struct waiter *next;
};

struct monitor {
    struct agent *a;
    hv_events *hev;
    struct event *ev_fd;
    struct event *timer;
    bool in_flight, again;
    struct waiter *waiting;     /* for the next refresh to start */
};

/* The incarnation d was running has ended. */
void monitor_stopped(struct agent *a, struct dom *d);
/* Start a refresh (or mark one due after the one in flight). */
void monitor_submit_refresh(struct monitor *m);

#endif /* HVCTLD_MONITOR_INT_H */
