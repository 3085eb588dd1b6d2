/*
 * event_loop.h - hvcore's main thread: everything that is not a vCPU.
 */
#ifndef HVCORE_EVENT_LOOP_H
#define HVCORE_EVENT_LOOP_H

#include <stdbool.h>

struct domain;

/* Set up epoll with the fixed sources.  0, or -errno with a reason in err. */
int loop_init(struct domain *d, int signal_fd, int watch_stdin, char *err, size_t errlen);

/* Run until the domain is gone; returns hvcore's exit status
 * (HVCORE_EXIT_*, public/exit_status.h). */
int loop_run(struct domain *d);

void loop_fini(struct domain *d);

/* Devices (device*.c): watch fd for input (or, hangup_only, for the peer
 * hanging up) and hand tag to device_on_fd().  0 or -errno.  Any thread. */
int loop_watch_device(struct domain *d, int fd, unsigned tag, bool hangup_only);
void loop_unwatch_device(struct domain *d, int fd);

#endif /* HVCORE_EVENT_LOOP_H */
