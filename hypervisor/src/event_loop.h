/*
 * event_loop.h - hvcore's main thread: everything that is not a vCPU.
 */
#ifndef HVCORE_EVENT_LOOP_H
#define HVCORE_EVENT_LOOP_H


struct domain;

/* Set up epoll with the fixed sources.  0, or -errno with a reason in err. */
int loop_init(struct domain *d, int signal_fd, int watch_stdin, char *err, size_t errlen);

/* Run until the domain is gone; returns hvcore's exit status
 * (HVCORE_EXIT_*, public/exit_status.h). */
int loop_run(struct domain *d);

void loop_fini(struct domain *d);

/* Devices (device*.c): watch fd for input, for the peer hanging up, or
 * for input as one of several exclusive watchers (a queue's call eventfd,
 * which the vCPU it is bound to waits on too, device.c), and hand tag to
 * device_on_fd().  0 or -errno.  Any thread. */
enum loop_watch { WATCH_IN, WATCH_HANGUP, WATCH_IN_EXCLUSIVE };
int loop_watch_device(struct domain *d, int fd, unsigned tag, enum loop_watch how);
void loop_unwatch_device(struct domain *d, int fd);

#endif /* HVCORE_EVENT_LOOP_H */
