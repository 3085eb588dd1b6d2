/*
 * http.h - requests to hvctld's REST API through libcurl.
 *
 * One struct http per target URL, reused for every request of the
 * command so that polling loops ride one kept-alive connection.  Targets:
 *     unix:///path/to/hvctld.sock     the agent's Unix socket
 *     https://host:port               TLS (--cacert, --cert/--key, --token)
 *     http://host:port                plain, for an agent started with
 *                                     --insecure on loopback (benchmarks)
 */
#ifndef HVCTL_CLI_HTTP_H
#define HVCTL_CLI_HTTP_H

#include <stddef.h>

#include "cli.h"

struct http;

struct http_resp {
    long status;                /* HTTP status                          */
    char *body;                 /* NUL-terminated (malloc'ed), or NULL  */
    size_t len;
    char content_type[96];
};

/* Is url one of the forms above?  (Checked before anything opens.) */
bool http_url_valid(const char *url);

/* NULL after reporting the failure (cli_fail). */
struct http *http_open(struct cli *cli, const char *url);
void http_close(struct http *h);
/* The URL as the user gave it, for messages.  Borrowed. */
const char *http_url(const struct http *h);

/*
 * One request.  path starts with "/v1/..." (already escaped); body may be
 * NULL.  Returns 0 when a response arrived, whatever its status, else
 * reports why none did (cannot connect, TLS, timeout) and returns
 * EXIT_FAIL.  Free the response with http_resp_free.
 */
int http_request(struct http *h, struct cli *cli, const char *method,
                 const char *path, const char *body, size_t len,
                 const char *content_type, const char *accept,
                 struct http_resp *resp);
void http_resp_free(struct http_resp *resp);

/*
 * Report an error response: the agent's {"error": {"code", "message"}}
 * message when there is one, else the status line.  Returns EXIT_FAIL.
 */
int http_fail(struct cli *cli, const struct http_resp *resp);

/*
 * Follow a Server-Sent Events stream at path: fn gets each event's name
 * ("message" when unnamed) and data, until fn returns non-zero (EXIT_OK),
 * SIGINT/SIGTERM/SIGHUP (EXIT_OK), the stream fails or ends (EXIT_FAIL,
 * reported), or the agent answers with an error status (reported).
 */
typedef int (*sse_fn)(const char *event, const char *data, void *opaque);
int http_stream(struct http *h, struct cli *cli, const char *path, sse_fn fn,
                void *opaque);

/* A path segment escaped for a URL (malloc'ed), NULL if out of memory. */
char *http_escape(struct http *h, const char *segment);

#endif /* HVCTL_CLI_HTTP_H */
