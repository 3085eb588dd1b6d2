/*
 * domctl.h - hvcore's side of the domain-control socket.
 */
#ifndef HVCORE_DOMCTL_H
#define HVCORE_DOMCTL_H

#include <stddef.h>

struct domain;

/* Concurrent control connections served; more are refused. */
#define DOMCTL_MAX_CLIENTS 256

/* Listen on <domdir>/control.  0, or -HVE_RANGE (path too long for a
 * socket) or -errno with a reason in err. */
int domctl_listen(struct domain *d, char *err, size_t errlen);

/* Accept a client if its credentials pass.  Returns its fd or -1. */
int domctl_accept(struct domain *d);

/* Serve one request from client fd.  Returns DOMCTL_SERVED after serving
 * one, DOMCTL_SERVED_LAST after serving one that was the client's last
 * (HV_DOMCTL_GETINFO_CLOSE: drop the client now), 0 if none was waiting,
 * -1 to drop the client (hang-up or transport error).  *console_fd is set
 * when a console client was created (the event loop watches it), else -1. */
#define DOMCTL_SERVED      1
#define DOMCTL_SERVED_LAST 2
/* A save or migration job took the connection (xfer.c): stop watching it
 * but do not close it. */
#define DOMCTL_HANDED_OFF  3
int domctl_serve(struct domain *d, int fd, int *console_fd);

/* Answer one request held in msg[0..len) (testable without sockets).
 * Fills reply; returns an fd to pass with it or -1. */
struct hv_domctl_reply;
int domctl_handle(struct domain *d, const void *msg, size_t len, int truncated,
                  struct hv_domctl_reply *reply, int *console_fd);

#endif /* HVCORE_DOMCTL_H */
