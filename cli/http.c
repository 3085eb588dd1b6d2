/*
 * http.c - libcurl plumbing for http.h: targets, authentication, one
 * request/response, the words for transport failures, and Server-Sent
 * Events.
 *
 * libcurl itself is loaded only when needed (curl_lazy.h says why).
 *
 * The event stream runs on curl's multi interface only so that it can
 * wait on the signal pipe next to the socket: Ctrl-C then ends `hvctl
 * events` at once and cleanly instead of killing it mid-line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "curl_lazy.h"
#include "http.h"
#include "http_scheme.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

#define CONNECT_TIMEOUT_S 10
#define REQUEST_TIMEOUT_S 60
#define BODY_MAX (64u << 20)     /* far above any answer hvctld gives */

struct http {
    CURL *curl;
    char *url;                  /* as given, for messages               */
    char *base;                 /* what paths are appended to           */
    char *sock;                 /* Unix socket path, or NULL            */
    char *auth;                 /* "Authorization: Bearer ..." or NULL  */
    const char *cacert, *cert;  /* for messages                         */
    bool verbose;
    char err[CURL_ERROR_SIZE];
};

bool http_url_valid(const char *url)
{
    if (strncmp(url, "unix://", 7) == 0)
        return url[7] == '/' && url[8] != '\0';
    if (strncmp(url, "https://", 8) == 0)
        return url[8] != '\0' && url[8] != '/';
    if (strncmp(url, "http://", 7) == 0)
        return url[7] != '\0' && url[7] != '/';
    return false;
}

const char *http_url(const struct http *h)
{
    return h->url;
}

/*
 * --verbose: curl's trace of the exchange (its notes, and the headers
 * both ways) on stderr, with the bearer token blotted out - a trace gets
 * pasted into bug reports.
 */
static int trace(CURL *curl, curl_infotype type, char *data, size_t size,
                 void *opaque)
{
    const char *prefix = type == CURLINFO_TEXT ? "* "
                       : type == CURLINFO_HEADER_OUT ? "> "
                       : type == CURLINFO_HEADER_IN ? "< " : NULL;
    size_t at = 0;

    (void)curl;
    (void)opaque;
    if (!prefix)
        return 0;               /* bodies and TLS records: not shown */
    while (at < size) {
        size_t len = 0;
        while (at + len < size && data[at + len] != '\n')
            len++;
        if (len && data[at + len - 1] == '\r')
            len--;
        if (len && strncasecmp(data + at, "Authorization:", 14) == 0)
            fprintf(stderr, "%sAuthorization: (not shown)\n", prefix);
        else if (len)
            fprintf(stderr, "%s%.*s\n", prefix, (int)len, data + at);
        while (at + len < size && data[at + len] != '\n')
            len++;
        at += len + 1;
    }
    return 0;
}

struct http *http_open(struct cli *cli, const char *url)
{
    static bool global_done;
    struct http *h;
    char why[256];
    size_t n;

    if (!global_done) {
        if (curl_lazy_load(why, sizeof(why)) < 0) {
            cli_fail(cli, "%s", why);
            return NULL;
        }
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            cli_fail(cli, "cannot initialise libcurl");
            return NULL;
        }
        global_done = true;
    }
    if (!http_url_valid(url)) {
        cli_fail(cli, "'%s' is not a hvctld URL (unix:///PATH, "
                 "https://HOST:PORT or http://HOST:PORT)", url);
        return NULL;
    }
    h = calloc(1, sizeof(*h));
    if (!h || !(h->curl = curl_easy_init()) || !(h->url = strdup(url)))
        goto nomem;
    if (strncmp(url, "unix://", 7) == 0) {
        h->sock = strdup(url + 7);
        h->base = strdup("http://localhost");
        if (!h->sock || !h->base)
            goto nomem;
    } else {
        if (!(h->base = strdup(url)))
            goto nomem;
        n = strlen(h->base);
        while (n > 0 && h->base[n - 1] == '/')
            h->base[--n] = '\0';
    }
    if (cli->token) {
        size_t len = strlen(cli->token) + 32;
        if (!(h->auth = malloc(len)))
            goto nomem;
        snprintf(h->auth, len, "Authorization: Bearer %s", cli->token);
    }
    h->cacert = cli->cacert;
    h->cert = cli->cert;
    h->verbose = cli->verbose;

    curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->err);
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
    curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "hvctl/" PACKAGE_VERSION);
    if (h->verbose) {
        curl_easy_setopt(h->curl, CURLOPT_DEBUGFUNCTION, trace);
        curl_easy_setopt(h->curl, CURLOPT_VERBOSE, 1L);
    }
    if (h->sock)
        curl_easy_setopt(h->curl, CURLOPT_UNIX_SOCKET_PATH, h->sock);
    if (cli->cacert)
        curl_easy_setopt(h->curl, CURLOPT_CAINFO, cli->cacert);
    if (cli->cert)
        curl_easy_setopt(h->curl, CURLOPT_SSLCERT, cli->cert);
    if (cli->key)
        curl_easy_setopt(h->curl, CURLOPT_SSLKEY, cli->key);
    return h;
nomem:
    http_close(h);
    cli_fail(cli, "out of memory");
    return NULL;
}

void http_close(struct http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    free(h->url);
    free(h->base);
    free(h->sock);
    free(h->auth);
    free(h);
}

char *http_escape(struct http *h, const char *segment)
{
    char *e = curl_easy_escape(h->curl, segment, 0), *copy;

    if (!e)
        return NULL;
    copy = strdup(e);
    curl_free(e);
    return copy;
}

/* ---- one request ---- */

static size_t collect(char *data, size_t size, size_t nmemb, void *opaque)
{
    struct http_resp *r = opaque;
    size_t n = size * nmemb;
    char *nb;

    if (r->len + n > BODY_MAX)
        return 0;
    nb = realloc(r->body, r->len + n + 1);
    if (!nb)
        return 0;
    memcpy(nb + r->len, data, n);
    r->body = nb;
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

/* Why no response came: the words depend on what curl could not do. */
static int transport_fail(struct http *h, struct cli *cli, CURLcode rc)
{
    const char *why = h->err[0] ? h->err : curl_easy_strerror(rc);
    long oserr = 0;
    int frc;

    if (!h->sock && http_scheme_wrong(cli, h->curl, h->url, rc, &frc))
        return frc;
    curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &oserr);
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
        if (oserr)
            why = strerror((int)oserr);
        return cli_fail(cli, "cannot connect to hvctld at %s: %s%s", h->url,
                        why, h->sock ? " (is hvctld running?)" : "");
    case CURLE_COULDNT_RESOLVE_HOST:
        return cli_fail(cli, "cannot resolve the host of %s: %s", h->url, why);
    case CURLE_PEER_FAILED_VERIFICATION:
        return cli_fail(cli, "the certificate of hvctld at %s is not trusted:"
                        " %s", h->url, why);
    case CURLE_SSL_CACERT_BADFILE:
        return cli_fail(cli, "cannot use the CA certificate %s: %s",
                        h->cacert ? h->cacert : "(default)", why);
    case CURLE_SSL_CERTPROBLEM:
        return cli_fail(cli, "cannot use the client certificate %s: %s",
                        h->cert ? h->cert : "", why);
    case CURLE_OPERATION_TIMEDOUT:
        return cli_fail(cli, "hvctld at %s did not answer in time: %s",
                        h->url, why);
    case CURLE_SSL_CONNECT_ERROR:
        return cli_fail(cli, "TLS handshake with hvctld at %s failed: %s",
                        h->url, why);
    default:
        return cli_fail(cli, "request to hvctld at %s failed: %s", h->url,
                        why);
    }
}

/* Headers for a request; NULL if out of memory. */
static struct curl_slist *headers(const struct http *h, const char *ctype,
                                  const char *accept)
{
    struct curl_slist *l = NULL, *n;
    char line[160];

    /* No "Expect: 100-continue" round trip before large bodies. */
    if (!(n = curl_slist_append(l, "Expect:")))
        return NULL;
    l = n;
    if (ctype) {
        snprintf(line, sizeof(line), "Content-Type: %s", ctype);
        if (!(n = curl_slist_append(l, line)))
            goto fail;
        l = n;
    }
    snprintf(line, sizeof(line), "Accept: %s",
             accept ? accept : "application/json");
    if (!(n = curl_slist_append(l, line)))
        goto fail;
    l = n;
    if (h->auth) {
        if (!(n = curl_slist_append(l, h->auth)))
            goto fail;
        l = n;
    }
    return l;
fail:
    curl_slist_free_all(l);
    return NULL;
}

/* Point the handle at method + path with body; 0 or -1 (no memory). */
static int prepare(struct http *h, const char *method, const char *path,
                   const char *body, size_t len, struct curl_slist *hdr)
{
    size_t ulen = strlen(h->base) + strlen(path) + 1;
    char *url = malloc(ulen);

    if (!url)
        return -1;
    snprintf(url, ulen, "%s%s", h->base, path);
    curl_easy_setopt(h->curl, CURLOPT_URL, url);    /* curl copies it */
    free(url);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdr);
    h->err[0] = '\0';
    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, NULL);
    } else if (body || strcmp(method, "DELETE") != 0) {
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(body ? len : 0));
        curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST,
                         strcmp(method, "POST") ? method : NULL);
    } else {
        curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
    }
    return 0;
}

int http_request(struct http *h, struct cli *cli, const char *method,
                 const char *path, const char *body, size_t len,
                 const char *content_type, const char *accept,
                 struct http_resp *resp)
{
    struct curl_slist *hdr = headers(h, content_type, accept);
    const char *ct = NULL;
    CURLcode rc;

    memset(resp, 0, sizeof(*resp));
    if (!hdr || prepare(h, method, path, body, len, hdr) < 0) {
        curl_slist_free_all(hdr);
        return cli_fail(cli, "out of memory");
    }
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, (long)REQUEST_TIMEOUT_S);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, resp);
    rc = curl_easy_perform(h->curl);
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) {
        http_resp_free(resp);
        return transport_fail(h, cli, rc);
    }
    curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
    curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(resp->content_type, sizeof(resp->content_type), "%s",
             ct ? ct : "");
    return 0;
}

void http_resp_free(struct http_resp *resp)
{
    free(resp->body);
    resp->body = NULL;
    resp->len = 0;
}

/*
 * hvctld asks for credentials in HTTP's words (an Authorization header);
 * the user gives them with hvctl's options, so name those.
 */
static int auth_fail(struct cli *cli)
{
    if (cli->cert)
        return cli_fail(cli, "authentication required: hvctld did not "
                        "accept the client certificate %s; give a token "
                        "with --token or HVCTL_TOKEN", cli->cert);
    return cli_fail(cli, "authentication required: give a token with "
                    "--token or HVCTL_TOKEN, or a client certificate with "
                    "--cert and --key");
}

int http_fail(struct cli *cli, const struct http_resp *r)
{
    json_object *top = r->body ? json_tokener_parse(r->body) : NULL;
    json_object *err = NULL, *msg = NULL;
    int rc;

    if (r->status == 401 && !cli->token) {
        json_object_put(top);
        return auth_fail(cli);
    }
    if (top && json_object_object_get_ex(top, "error", &err) &&
        json_object_object_get_ex(err, "message", &msg) &&
        json_object_is_type(msg, json_type_string))
        rc = cli_fail(cli, "%s", json_object_get_string(msg));
    else
        rc = cli_fail(cli, "hvctld answered HTTP %ld%s%.200s", r->status,
                      r->body && r->len ? ": " : "", r->body ? r->body : "");
    json_object_put(top);
    return rc;
}

/* ---- Server-Sent Events ---- */

struct sse {
    sse_fn fn;
    void *opaque;
    struct http *h;
    bool checked, bad_status, stopped;
    struct http_resp err;       /* the body of an error answer */
    char *line;                 /* the unfinished line */
    size_t line_len;
    char event[64];
    char *data;                 /* data: lines so far, joined by \n */
    size_t data_len;
};

static int sse_append(char **buf, size_t *len, const char *s, size_t n)
{
    char *nb = realloc(*buf, *len + n + 1);

    if (!nb)
        return -1;
    memcpy(nb + *len, s, n);
    *len += n;
    nb[*len] = '\0';
    *buf = nb;
    return 0;
}

/* One complete line (without its end); non-zero to stop. */
static int sse_line(struct sse *s, char *line, size_t n)
{
    const char *value;
    char *colon;
    int rc = 0;

    if (n == 0) {               /* blank line: dispatch */
        if (s->data)
            rc = s->fn(s->event[0] ? s->event : "message", s->data,
                       s->opaque);
        free(s->data);
        s->data = NULL;
        s->data_len = 0;
        s->event[0] = '\0';
        return rc;
    }
    if (line[0] == ':')         /* a comment: the agent's keep-alive */
        return 0;
    colon = memchr(line, ':', n);
    value = colon ? colon + 1 : "";
    if (colon)
        *colon = '\0';
    if (*value == ' ')
        value++;
    if (strcmp(line, "event") == 0) {
        snprintf(s->event, sizeof(s->event), "%s", value);
    } else if (strcmp(line, "data") == 0) {
        if ((s->data && sse_append(&s->data, &s->data_len, "\n", 1) < 0) ||
            sse_append(&s->data, &s->data_len, value, strlen(value)) < 0)
            return -1;
    }
    return 0;
}

static size_t sse_write(char *data, size_t size, size_t nmemb, void *opaque)
{
    struct sse *s = opaque;
    size_t n = size * nmemb;

    if (!s->checked) {
        long status = 0;
        curl_easy_getinfo(s->h->curl, CURLINFO_RESPONSE_CODE, &status);
        s->checked = true;
        s->bad_status = status != 200;
        s->err.status = status;
    }
    if (s->bad_status)
        return collect(data, size, nmemb, &s->err);
    for (size_t i = 0; i < n; i++) {
        char c = data[i];
        if (c != '\n') {
            if (sse_append(&s->line, &s->line_len, &c, 1) < 0)
                return 0;
            continue;
        }
        if (s->line_len && s->line[s->line_len - 1] == '\r')
            s->line[--s->line_len] = '\0';
        if (sse_line(s, s->line ? s->line : (char *)"", s->line_len)) {
            s->stopped = true;
            return 0;           /* curl ends the transfer */
        }
        s->line_len = 0;
        if (s->line)
            s->line[0] = '\0';
    }
    return n;
}

int http_stream(struct http *h, struct cli *cli, const char *path, sse_fn fn,
                void *opaque)
{
    struct sse s = { .fn = fn, .opaque = opaque, .h = h };
    struct curl_slist *hdr = headers(h, NULL, "text/event-stream");
    CURLcode result = CURLE_OK;
    bool done = false, signalled = false;
    CURLM *m = curl_multi_init();
    int rc = EXIT_OK;

    if (!hdr || !m || prepare(h, "GET", path, NULL, 0, hdr) < 0) {
        rc = cli_fail(cli, "out of memory");
        goto out;
    }
    if (sig_watch() < 0) {
        rc = cli_fail(cli, "cannot watch signals: %s", strerror(errno));
        goto out;
    }
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, 0L);   /* a stream is long */
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, sse_write);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &s);
    curl_multi_add_handle(m, h->curl);
    while (!done) {
        struct curl_waitfd w = { .fd = sig_fd(), .events = CURL_WAIT_POLLIN };
        CURLMsg *msg;
        int running = 0, left;

        curl_multi_perform(m, &running);
        while ((msg = curl_multi_info_read(m, &left)))
            if (msg->msg == CURLMSG_DONE) {
                result = msg->data.result;
                done = true;
            }
        if (done)
            break;
        curl_multi_poll(m, &w, 1, 1000, NULL);
        if (w.revents || sig_caught()) {
            signalled = true;
            break;
        }
    }
    curl_multi_remove_handle(m, h->curl);
    if (signalled || s.stopped)
        rc = EXIT_OK;
    else if (s.bad_status)
        rc = http_fail(cli, &s.err);
    else if (result != CURLE_OK)
        rc = transport_fail(h, cli, result);
    else
        rc = cli_fail(cli, "hvctld at %s ended the event stream", h->url);
out:
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdr);
    if (m)
        curl_multi_cleanup(m);
    free(s.line);
    free(s.data);
    http_resp_free(&s.err);
    return rc;
}
