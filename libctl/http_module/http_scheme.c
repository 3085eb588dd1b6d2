/*
 * http_scheme.c - see http_scheme.h.
 *
 * https:// to a plain HTTP port makes OpenSSL report "wrong version
 * number", or the server waits for the rest of a "request" that is a
 * ClientHello and the handshake times out; http:// to a TLS port gets an
 * empty reply.  None of those says what to change.  After such a
 * failure, and only then, a second connection tries the other scheme.
 * (hvctl's own HTTP client did this before it moved into libhvctl.)
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "http_scheme.h"

/* A probe is made only after a failure; a loaded server that is slow to
 * answer must not be taken for one that speaks the other scheme. */
#define PROBE_TIMEOUT_S 10L

static size_t discard(char *data, size_t size, size_t nmemb, void *opaque)
{
    (void)data;
    (void)opaque;
    return size * nmemb;
}

/*
 * Does the server at scheme://hostport speak it: complete a TLS
 * handshake (nothing verified: only the protocol is in question), or
 * answer an HTTP request with a status line?
 */
static bool speaks(bool tls, const char *hostport)
{
    CURL *c = curl_easy_init();
    char url[512];
    long status = 0;
    bool yes;

    if (!c)
        return false;
    snprintf(url, sizeof(url), "%s://%s/", tls ? "https" : "http", hostport);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, PROBE_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, PROBE_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    if (tls) {
        curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    yes = curl_easy_perform(c) == CURLE_OK;
    if (yes && !tls) {
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        yes = status >= 100;
    }
    curl_easy_cleanup(c);
    return yes;
}

/* Failures the wrong scheme causes (and a probe may explain). */
static bool suspect(CURL *curl, bool tls, CURLcode rc)
{
    long port = 0;

    if (!tls)
        return rc == CURLE_GOT_NOTHING || rc == CURLE_WEIRD_SERVER_REPLY ||
               rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_RECV_ERROR;
    /* A handshake that timed out on a connection that was made (curl
     * knows the peer's port): a plain server waiting for more. */
    curl_easy_getinfo(curl, CURLINFO_PRIMARY_PORT, &port);
    return rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_RECV_ERROR ||
           (rc == CURLE_OPERATION_TIMEDOUT && port > 0);
}

void http_scheme_explain(CURL *curl, const char *base, CURLcode rc,
                         char *err, size_t len)
{
    bool tls = strncmp(base, "https://", 8) == 0;
    const char *hostport;
    char hp[400];

    if (!tls && strncmp(base, "http://", 7) != 0)
        return;
    if (!suspect(curl, tls, rc))
        return;
    hostport = base + (tls ? 8 : 7);
    snprintf(hp, sizeof(hp), "%.*s", (int)strcspn(hostport, "/"), hostport);
    if (!speaks(!tls, hp))
        return;
    if (tls)
        snprintf(err, len, "the server at %s does not speak TLS (try "
                 "http://%s)", hp, hp);
    else
        snprintf(err, len, "the server at %s speaks TLS (try https://%s)",
                 hp, hp);
}
