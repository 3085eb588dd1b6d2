/*
 * http_scheme.h - telling a wrong scheme for what it is (https:// to a
 * plain HTTP port, http:// to a TLS one), inside libhvctl-http.so.
 */
#ifndef HVCTL_HTTP_SCHEME_H
#define HVCTL_HTTP_SCHEME_H

#include <curl/curl.h>

/*
 * After curl failed with rc on a transfer to base ("https://HOST:PORT"
 * or "http://..."): if the failure is one the wrong scheme causes and
 * the server speaks the other one, put that in err[len] ("the server at
 * HOST:PORT does not speak TLS (try http://HOST:PORT)").  Else err is
 * left as it is.
 */
void http_scheme_explain(CURL *curl, const char *base, CURLcode rc,
                         char *err, size_t len);

#endif /* HVCTL_HTTP_SCHEME_H */
