/*
 * httpd.h - the listeners: the Unix socket (always), and TCP ones from
 * --listen, each either TLS or (loopback only, with --insecure) plain.
 * All of them feed rest_dispatch(); they differ in how callers prove who
 * they are (rest.c: authenticate).
 */
#ifndef HVCTLD_HTTPD_H
#define HVCTLD_HTTPD_H

#include <stddef.h>

struct agent;
struct httpd;

/* Bind everything the options ask for.  0, or -1 with err. */
int httpd_start(struct agent *a, struct httpd **out, char *err,
                size_t errlen);
/* Close the listeners and every connection; removes the socket file. */
void httpd_stop(struct httpd *h);
/* Stop accepting new connections (first step of a shutdown). */
void httpd_stop_accepting(struct httpd *h);
/* Path of the Unix socket (borrowed). */
const char *httpd_socket_path(const struct httpd *h);

#endif /* HVCTLD_HTTPD_H */
