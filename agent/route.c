/*
 * route.c - see route.h.  The table is short, so matching walks all of
 * it: a path that matches some entry but not with this method is a 405
 * (with Allow), one that matches none is a 404.
 */
#include <stdio.h>
#include <string.h>

#include "migrate.h"
#include "rest_handlers.h"
#include "route.h"
#include "util.h"

static const char *const q_none[] = { NULL };
static const char *const q_list[] = { "state", "persistent", "name", "id",
                                     "uuid", "fresh", NULL };
static const char *const q_define[] = { "start", "transient", "paused",
                                        NULL };
static const char *const q_events[] = { "since", "jobs", NULL };
/* Every route on one domain: ?uuid=U, the domain the client means. */
static const char *const q_dom[] = { "uuid", NULL };
/* Attach and detach: the running domain, its definition, or both. */
static const char *const q_device[] = { "uuid", "live", "config", NULL };

#define R(m, p, f, q, w) { m, p, f, q, w, ROUTE_JSON }
#define RM(m, p, f, q, w, media) { m, p, f, q, w, media }

const struct route routes[] = {
    R(M_GET,    "/v1/host", h_host, q_none, false),
    R(M_POST,   "/v1/host/shutdown", h_host_shutdown, q_none, true),
    R(M_GET,    "/v1/domains", h_domains_list, q_list, false),
    R(M_POST,   "/v1/domains", h_domains_define, q_define, true),
    RM(M_GET,   "/v1/domains/{name}", h_domain_get, q_dom, false,
       ROUTE_NEGOTIATES),
    R(M_PUT,    "/v1/domains/{name}", h_domain_put, q_dom, true),
    R(M_DELETE, "/v1/domains/{name}", h_domain_delete, q_dom, true),
    RM(M_GET,   "/v1/domains/{name}/config", h_domain_config, q_dom, false,
       ROUTE_NEGOTIATES),
    RM(M_GET,   "/v1/domains/{name}/definition", h_domain_definition, q_dom,
       false, ROUTE_NEGOTIATES),
    R(M_POST,   "/v1/domains/{name}/start", h_action_start, q_dom, true),
    R(M_POST,   "/v1/domains/{name}/pause", h_action_pause, q_dom, true),
    R(M_POST,   "/v1/domains/{name}/resume", h_action_resume, q_dom, true),
    R(M_POST,   "/v1/domains/{name}/shutdown", h_action_shutdown, q_dom,
      true),
    R(M_POST,   "/v1/domains/{name}/reboot", h_action_reboot, q_dom, true),
    R(M_POST,   "/v1/domains/{name}/destroy", h_action_destroy, q_dom, true),
    R(M_POST,   "/v1/domains/{name}/save", h_domain_save, q_dom, true),
    R(M_POST,   "/v1/domains/{name}/migrate", h_domain_migrate, q_dom, true),
    R(M_POST,   "/v1/domains/restore", h_domains_restore, q_none, true),
    R(M_POST,   "/v1/migrations/incoming", h_migrations_incoming, q_none,
      true),
    R(M_GET,    "/v1/migrations/incoming/{id}", h_migration_get, q_none,
      false),
    R(M_POST,   "/v1/migrations/incoming/{id}/finish", h_migration_finish,
      q_none, true),
    R(M_PUT,    "/v1/domains/{name}/autostart", h_autostart, q_dom, true),
    R(M_PUT,    "/v1/domains/{name}/memory", h_memory, q_dom, true),
    R(M_GET,    "/v1/domains/{name}/devices", h_devices_list, q_dom, false),
    R(M_POST,   "/v1/domains/{name}/devices", h_device_attach, q_device,
      true),
    R(M_DELETE, "/v1/domains/{name}/devices/{id}", h_device_detach,
      q_device, true),
    RM(M_GET,   "/v1/events", h_events, q_events, false, ROUTE_NEGOTIATES),
    R(M_GET,    "/v1/jobs", h_jobs_list, q_none, false),
    R(M_GET,    "/v1/jobs/{id}", h_job_get, q_none, false),
    R(M_DELETE, "/v1/jobs/{id}", h_job_cancel, q_none, true),
    RM(M_GET,   "/metrics", h_metrics, q_none, false, ROUTE_TEXT),
};

const size_t routes_count = ARRAY_SIZE(routes);

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool route_decode_segment(const char *seg, size_t len, char *out,
                          size_t outlen)
{
    size_t o = 0;

    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)seg[i];
        if (c == '%') {
            int hi, lo;
            if (i + 2 >= len)
                return false;
            hi = hexval(seg[i + 1]);
            lo = hexval(seg[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = hi << 4 | lo;
            i += 2;
        }
        if (c == 0 || o + 1 >= outlen)
            return false;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return true;
}

/*
 * Does path match pattern?  Literal segments compare raw; "{x}" takes any
 * non-empty segment, decoded into m->params.  -1: no; 0: yes; 1: the
 * shape matches but a parameter does not decode.
 */
static int match_one(const char *pattern, const char *path,
                     struct route_match *m)
{
    const char *p = pattern, *s = path;
    size_t np = 0;

    while (*p && *s) {
        const char *pe, *se;
        size_t plen, slen;

        if (*p != '/' || *s != '/')
            return -1;
        p++;
        s++;
        pe = strchr(p, '/');
        se = strchr(s, '/');
        plen = pe ? (size_t)(pe - p) : strlen(p);
        slen = se ? (size_t)(se - s) : strlen(s);
        if (slen == 0)
            return -1;          /* "//" or a trailing "/" */
        if (*p == '{') {
            if (np >= ROUTE_MAX_PARAMS ||
                !route_decode_segment(s, slen, m->params[np],
                                      sizeof(m->params[np])))
                return 1;
            np++;
        } else if (plen != slen || memcmp(p, s, plen) != 0) {
            return -1;
        }
        p += plen;
        s += slen;
    }
    if (*p || *s)
        return -1;
    m->nparams = np;
    return 0;
}

void route_match(unsigned method, const char *path, struct route_match *m)
{
    bool bad_param = false;

    memset(m, 0, sizeof(*m));
    m->status = 404;
    if (!path || path[0] != '/')
        return;
    for (size_t i = 0; i < routes_count; i++) {
        struct route_match tmp;
        int r;

        tmp.nparams = 0;
        r = match_one(routes[i].pattern, path, &tmp);
        if (r < 0)
            continue;
        if (r > 0) {
            bad_param = true;
            continue;
        }
        m->allowed |= routes[i].method;
        if (routes[i].method == method && !m->route) {
            m->route = &routes[i];
            m->nparams = tmp.nparams;
            memcpy(m->params, tmp.params, sizeof(m->params));
        }
    }
    if (m->route)
        m->status = 0;
    else if (m->allowed)
        m->status = 405;
    else if (bad_param)
        m->status = 400;
}

const char *route_method_name(unsigned method)
{
    switch (method) {
    case M_GET:     return "GET";
    case M_POST:    return "POST";
    case M_HEAD:    return "HEAD";
    case M_PUT:     return "PUT";
    case M_DELETE:  return "DELETE";
    case M_OPTIONS: return "OPTIONS";
    case M_TRACE:   return "TRACE";
    case M_CONNECT: return "CONNECT";
    case M_PATCH:   return "PATCH";
    default:        return "UNKNOWN";
    }
}

void route_allow_header(unsigned allowed, char *buf, size_t len)
{
    size_t o = 0;

    buf[0] = '\0';
    for (unsigned bit = 1; bit <= M_PATCH && o < len; bit <<= 1) {
        if (!(allowed & bit))
            continue;
        o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
                              route_method_name(bit));
    }
}
