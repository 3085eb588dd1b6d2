/*
 * http_scheme.h - telling a user that the URL's scheme does not fit the
 * port: https:// to a plain HTTP server, http:// to a TLS one.
 */
#ifndef HVCTL_CLI_HTTP_SCHEME_H
#define HVCTL_CLI_HTTP_SCHEME_H

#include <stdbool.h>

#include "cli.h"
#include "curl_lazy.h"

/*
 * A request to url (https:// or http://) failed with rc on handle curl.
 * When that is what the wrong scheme causes and the other scheme works
 * on the same HOST:PORT, report so ("the server at HOST:PORT does not
 * speak TLS (try http://HOST:PORT)") and return true with *status the
 * exit status; else return false and report nothing.
 */
bool http_scheme_wrong(struct cli *cli, CURL *curl, const char *url,
                       CURLcode rc, int *status);

#endif /* HVCTL_CLI_HTTP_SCHEME_H */
