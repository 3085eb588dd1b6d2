/*
 * rest_media.c - media types: the request's Content-Type, and which of
 * the types a resource has its Accept header prefers (rest.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <event2/http.h>

#include "rest.h"
#include "util.h"

static enum media media_of(const char *s, size_t len)
{
    static const struct { const char *name; enum media m; } types[] = {
        { "application/json", MEDIA_JSON }, { "application/xml", MEDIA_XML },
        { "text/xml", MEDIA_XML }, { "text/event-stream", MEDIA_EVENTS },
        { "text/plain", MEDIA_TEXT },
    };

    for (size_t i = 0; i < ARRAY_SIZE(types); i++)
        if (strlen(types[i].name) == len &&
            strncasecmp(s, types[i].name, len) == 0)
            return types[i].m;
    return MEDIA_OTHER;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

enum media rest_content_type(struct rest_req *rr)
{
    const char *ct = evhttp_find_header(evhttp_request_get_input_headers(rr->req),
                                        "Content-Type");
    const char *semi, *p;
    size_t len;
    enum media m;

    if (!ct)
        return MEDIA_NONE;
    ct = skip_ws(ct);
    semi = strchr(ct, ';');
    len = semi ? (size_t)(semi - ct) : strlen(ct);
    while (len && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
        len--;
    m = media_of(ct, len);
    /* Parameters: only a UTF-8 charset is understood. */
    for (p = semi; p; p = strchr(p + 1, ';')) {
        const char *param = skip_ws(p + 1);
        if (strncasecmp(param, "charset=", 8) == 0) {
            const char *cs = param + 8;
            if (*cs == '"')
                cs++;
            if (strncasecmp(cs, "utf-8", 5) && strncasecmp(cs, "utf8", 4))
                return MEDIA_OTHER;
        }
    }
    return m;
}

/*
 * The q of one Accept element ("type/sub;q=0.5") for media m (named
 * mname), or -1 when the element does not take m.  text/xml counts as
 * application/xml: the same document.
 */
static double accept_q(const char *el, size_t len, enum media m,
                       const char *mname)
{
    const char *semi = memchr(el, ';', len);
    size_t tlen = semi ? (size_t)(semi - el) : len;
    size_t major = (size_t)(strchr(mname, '/') - mname) + 1;  /* "text/" */
    double q = 1.0;

    while (tlen && (el[tlen - 1] == ' ' || el[tlen - 1] == '\t'))
        tlen--;
    for (const char *p = semi; p;) {
        const char *param = skip_ws(p + 1);
        if (strncasecmp(param, "q=", 2) == 0)
            q = strtod(param + 2, NULL);
        p = memchr(p + 1, ';', (size_t)(el + len - (p + 1)));
    }
    if (tlen == 3 && strncmp(el, "*/*", 3) == 0)
        return q;
    if (tlen == major + 1 && el[major] == '*' &&
        strncasecmp(el, mname, major) == 0)
        return q;
    return media_of(el, tlen) == m ? q : -1;
}

const char *rest_media_name(enum media m)
{
    switch (m) {
    case MEDIA_JSON:   return "application/json";
    case MEDIA_XML:    return "application/xml";
    case MEDIA_EVENTS: return "text/event-stream";
    case MEDIA_TEXT:   return "text/plain";
    default:           return "application/octet-stream";
    }
}

enum media rest_negotiate(struct rest_req *rr, const enum media *offer,
                          size_t n)
{
    const char *acc = evhttp_find_header(
        evhttp_request_get_input_headers(rr->req), "Accept");
    enum media best = MEDIA_NONE;
    double best_q = 0;

    if (!acc || !*skip_ws(acc))
        return n ? offer[0] : MEDIA_NONE;
    for (size_t i = 0; i < n; i++) {
        double q = -1;
        for (const char *el = acc; el && *el;) {
            const char *comma = strchr(el, ',');
            size_t len;
            double eq;

            el = skip_ws(el);
            len = comma ? (size_t)(comma - el) : strlen(el);
            eq = accept_q(el, len, offer[i], rest_media_name(offer[i]));
            if (eq > q)
                q = eq;
            el = comma ? comma + 1 : NULL;
        }
        if (q > best_q) {
            best_q = q;
            best = offer[i];
        }
    }
    return best;
}
