/*
 * connect.c - which connection a command talks to: the -c URI (default
 * hvctl:///system: the local agent when it answers, else the direct
 * driver), with --cacert, --cert, --key and --token turned into the
 * URI's query parameters, opened through libhvctl (hv_conn_open_uri).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

#define URI_FORMS "hvctl:///system, unix:///PATH, https://HOST:PORT, " \
                  "http://HOST:PORT"

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "//HOST:PORT" with a port of digits; nothing else but a query. */
static bool host_port(const char *p)
{
    const char *colon, *end;

    if (!starts(p, "//"))
        return false;
    p += 2;
    end = p + strcspn(p, "/?");
    colon = p[0] == '[' ? strstr(p, "]:") : strchr(p, ':');
    if (!colon || colon >= end || colon == p)
        return false;
    colon += p[0] == '[' ? 2 : 1;
    if (colon == end || strspn(colon, "0123456789") != (size_t)(end - colon))
        return false;
    return *end != '/' || end[1] == '\0' || end[1] == '?';
}

/* The forms of hvctl.h; libhvctl checks the rest when it opens one. */
static bool uri_form_ok(const char *u)
{
    if (starts(u, "hvctl:"))
        return starts(u, "hvctl:///system") &&
               (u[15] == '\0' || u[15] == '?');
    if (starts(u, "unix:"))
        return starts(u, "unix:///") && u[8] != '\0';
    if (starts(u, "https:"))
        return host_port(u + 6);
    if (starts(u, "http:"))
        return host_port(u + 5);
    return false;
}

int check_connect_options(const struct cli *cli)
{
    bool https = cli->url && starts(cli->url, "https:");
    bool http = https || (cli->url && starts(cli->url, "http:"));

    if (cli->url && !uri_form_ok(cli->url))
        return cli_usage(NULL, "'%s' is not an hvctl connection URI (%s)",
                         cli->url, URI_FORMS);
    if ((cli->cacert || cli->cert || cli->key) && !https)
        return cli_usage(NULL, "--cacert, --cert and --key need "
                         "-c https://HOST:PORT");
    if (cli->key && !cli->cert)
        return cli_usage(NULL, "--key needs --cert");
    if (cli->token && !http)
        return cli_usage(NULL, "--token needs -c https://HOST:PORT or "
                         "http://HOST:PORT");
    return 0;
}

/* Append "&key=VALUE" (or "?key=...") with VALUE percent-encoded. */
static void add_param(char *uri, size_t size, const char *key,
                      const char *value)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = strlen(uri);

    if (!value)
        return;
    k += (size_t)snprintf(uri + k, size - k, "%s%s=",
                          strchr(uri, '?') ? "&" : "?", key);
    for (; *value && k + 4 < size; value++) {
        unsigned char c = (unsigned char)*value;
        if (c <= ' ' || c >= 0x7f || strchr("%&#?=+", c)) {
            uri[k++] = '%';
            uri[k++] = hex[c >> 4];
            uri[k++] = hex[c & 15];
        } else {
            uri[k++] = (char)c;
        }
    }
    uri[k < size ? k : size - 1] = '\0';
}

struct backend *cli_backend(struct cli *cli)
{
    const char *url = cli->url;
    char uri[8192];

    if (cli->be)
        return cli->be;
    snprintf(uri, sizeof(uri), "%s", url ? url : "hvctl:///system");
    add_param(uri, sizeof(uri), "cacert", cli->cacert);
    add_param(uri, sizeof(uri), "cert", cli->cert);
    add_param(uri, sizeof(uri), "key", cli->key);
    add_param(uri, sizeof(uri), "token", cli->token);
    cli->be = backend_open(cli, uri);
    /* The token was in uri: no copy of it outlives the open. */
    memset(uri, 0, sizeof(uri));
    /* Which connection, in libhvctl's words: never with credentials. */
    if (cli->be && cli->verbose)
        fprintf(stderr, "hvctl: connected to %s (%s driver)\n",
                be_uri(cli->be), be_driver(cli->be));
    return cli->be;
}
