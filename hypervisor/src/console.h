/*
 * console.h - the domain console: guest rings <-> stdout, log, clients.
 */
#ifndef HVCORE_CONSOLE_H
#define HVCORE_CONSOLE_H

#include <stddef.h>

struct domain;

/* Open the log (NULL: none).  0 or -errno. */
int console_init(struct domain *d, const char *log_path);
void console_fini(struct domain *d);

/* Bytes the guest wrote: to stdout (foreground), the log and every client. */
void console_output(struct domain *d, const char *buf, size_t len);

/* CONSOLEIO_flush: drain the guest's output ring. */
void console_flush_ring(struct domain *d);

/* CONSOLEIO_read: take up to len bytes from the input ring. */
size_t console_read_input(struct domain *d, char *buf, size_t len);

/* Bytes typed by a client or on stdin: into the input ring, VIRQ_CONSOLE. */
void console_input(struct domain *d, const char *buf, size_t len);

/* New client: returns the fd to hand over (the caller closes it after
 * sending) and registers the other end; *client_fd gets hvcore's end so
 * the event loop can watch it.  -HVE_NOMEM or -errno on failure. */
int console_attach(struct domain *d, int *client_fd);

/* A client hung up: forget and close its fd. */
void console_detach(struct domain *d, int client_fd);

/* Reset the rings after a reboot (the page is rebuilt; pending input
 * that did not fit is dropped). */
void console_reset(struct domain *d);

#endif /* HVCORE_CONSOLE_H */
