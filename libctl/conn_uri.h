/*
 * conn_uri.h - connection URIs (hv_conn_open_uri), parsed once into what
 * the drivers need.  Not part of the API.
 */
#ifndef HVCTL_CONN_URI_H
#define HVCTL_CONN_URI_H

#include <stdbool.h>
#include <stddef.h>

enum uri_kind {
    URI_SYSTEM,                 /* hvctl:///system                       */
    URI_UNIX,                   /* unix:///PATH                          */
    URI_HTTPS,                  /* https://HOST:PORT                     */
    URI_HTTP,                   /* http://LOOPBACK:PORT                  */
};

enum uri_driver { DRIVER_AUTO, DRIVER_DIRECT, DRIVER_AGENT };

struct conn_uri {
    enum uri_kind kind;
    enum uri_driver driver;     /* URI_SYSTEM: driver=                   */
    char *rundir;               /* URI_SYSTEM: the runtime directory     */
    char *socket;               /* URI_UNIX, URI_SYSTEM: the agent's     */
    char *host;                 /* URI_HTTP(S), as written ("[::1]")     */
    unsigned port;
    /* URI_HTTPS credentials: query parameters, token also $HVCTL_TOKEN. */
    char *cacert, *cert, *key, *token;
    char *canonical;            /* for hv_conn_get_uri                   */
};

/* 0, or HV_EINVAL / HV_ENOMEM with the reason recorded (err_set). */
int uri_parse(const char *uri, struct conn_uri *out);
void uri_free(struct conn_uri *u);

/* Percent-encode what a query value cannot hold as is (out[size]). */
void uri_encode(const char *s, char *out, size_t size);

/* Is the agent socket there and accepting?  (connect(2) and close.) */
bool uri_agent_answers(const char *socket_path);

#endif /* HVCTL_CONN_URI_H */
