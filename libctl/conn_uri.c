/*
 * conn_uri.c - parsing connection URIs, and hv_conn_open_uri, which picks
 * the driver a URI names.
 *
 * The forms are few and fixed (hvctl.h), so this is a small hand parser
 * rather than a general RFC 3986 one: scheme, then either "///PATH" or
 * "//HOST[:PORT]", then an optional "?k=v&k=v" query whose values are
 * percent-decoded.  Anything else is refused with the URI in the message.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "conn_uri.h"
#include "domain_int.h"
#include "driver.h"

#define DEFAULT_RUNDIR "/run/hvctl"
#define AGENT_SOCKET "hvctld.sock"

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

/*
 * Percent-decode s[0..len) into *out (malloc'ed).  0, -EINVAL for a
 * malformed escape or an encoded NUL, -ENOMEM.
 */
static int pct_decode(const char *s, size_t len, char **out)
{
    char *o = malloc(len + 1);

    *out = o;
    if (!o)
        return -ENOMEM;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] != '%') {
            *o++ = s[i];
            continue;
        }
        if (len - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
            (lo = hexval(s[i + 2])) < 0 || hi * 16 + lo == 0) {
            free(*out);
            *out = NULL;
            return -EINVAL;
        }
        *o++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *o = '\0';
    return 0;
}

void uri_encode(const char *s, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;

    for (; *s && k + 4 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= ' ' || c >= 0x7f || strchr("%&#?=+", c)) {
            out[k++] = '%';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        } else {
            out[k++] = (char)c;
        }
    }
    out[k] = '\0';
}

/*
 * The URI as a message may show it: the value of a token= parameter is a
 * credential (hvctl puts --token there), so it shows as "***".
 */
static void shown(const char *uri, char *out, size_t size)
{
    if (size == 0)
        return;
    const char *q = strchr(uri, '?');
    size_t k = 0;

    for (const char *p = uri; *p && k + 4 < size;) {
        bool param = q && p > q && (p[-1] == '?' || p[-1] == '&');
        if (param && strncmp(p, "token=", 6) == 0) {
            k += (size_t)snprintf(out + k, size - k, "token=***");
            p += 6;
            while (*p && *p != '&' && *p != '#')
                p++;
            continue;
        }
        out[k++] = *p++;
    }
    out[k] = '\0';
}

HV_EXPORT void hv_uri_redact(const char *uri, char *out, size_t size)
{
    if (!out || size == 0)
        return;
    shown(uri ? uri : "", out, size);
}

static int bad(const char *uri, const char *why)
{
    char safe[PATH_MAX + 16];

    shown(uri, safe, sizeof(safe));
    return err_set(HV_EINVAL, "connection URI '%s': %s", safe, why);
}

/* One query parameter into its slot. */
static int query_param(const char *uri, struct conn_uri *u, const char *k,
                       size_t klen, const char *v, size_t vlen)
{
    static const struct { const char *name; enum uri_kind only; } keys[] = {
        { "driver", URI_SYSTEM }, { "rundir", URI_SYSTEM },
        { "cacert", URI_HTTPS }, { "cert", URI_HTTPS }, { "key", URI_HTTPS },
        { "token", URI_HTTPS },
    };
    char **slot[] = { NULL, &u->rundir, &u->cacert, &u->cert, &u->key,
                      &u->token };
    char *val, msg[160];
    size_t i;
    int rc;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strlen(keys[i].name) == klen && !memcmp(keys[i].name, k, klen))
            break;
    if (i == sizeof(keys) / sizeof(keys[0]) ||
        (keys[i].only != u->kind &&
         !(keys[i].only == URI_HTTPS && u->kind == URI_HTTP &&
           !strcmp(keys[i].name, "token")))) {
        snprintf(msg, sizeof(msg), "unknown parameter '%.*s' for this "
                 "kind of connection", (int)(klen > 40 ? 40 : klen), k);
        return bad(uri, msg);
    }
    if ((rc = pct_decode(v, vlen, &val)) == -ENOMEM)
        return err_set(HV_ENOMEM, "connection URI: out of memory");
    if (rc < 0 || !*val) {
        free(val);
        snprintf(msg, sizeof(msg), "parameter '%s' has %s value",
                 keys[i].name, rc < 0 ? "a malformed" : "an empty");
        return bad(uri, msg);
    }
    if (i == 0) {
        u->driver = !strcmp(val, "direct") ? DRIVER_DIRECT
                  : !strcmp(val, "agent") ? DRIVER_AGENT : DRIVER_AUTO;
        rc = strcmp(val, "direct") && strcmp(val, "agent");
        free(val);
        return rc ? bad(uri, "driver= takes 'direct' or 'agent'") : 0;
    }
    if (*slot[i]) {
        free(val);
        snprintf(msg, sizeof(msg), "parameter '%s' given twice", keys[i].name);
        return bad(uri, msg);
    }
    *slot[i] = val;
    return 0;
}

static int parse_query(const char *uri, struct conn_uri *u, const char *q)
{
    while (q && *q) {
        const char *amp = strchr(q, '&'), *end = amp ? amp : q + strlen(q);
        const char *eq = memchr(q, '=', (size_t)(end - q));
        int rc;

        if (!eq)
            return bad(uri, "a query parameter has no '='");
        if ((rc = query_param(uri, u, q, (size_t)(eq - q), eq + 1,
                              (size_t)(end - eq - 1))))
            return rc;
        q = amp ? amp + 1 : NULL;
    }
    return 0;
}

/* "HOST:PORT" of http(s)://; host kept as written, IPv6 in brackets. */
static int parse_authority(const char *uri, struct conn_uri *u,
                           const char *a, size_t len)
{
    const char *colon;
    char port[8], *end;
    unsigned long p;

    if (len && a[0] == '[') {
        const char *rb = memchr(a, ']', len);
        colon = rb && rb + 1 < a + len && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        colon = memchr(a, ':', len);
    }
    if (!colon || colon == a)
        return bad(uri, "expected HOST:PORT after '//'");
    if ((size_t)(a + len - colon - 1) >= sizeof(port) || a + len == colon + 1)
        return bad(uri, "the port is not a number from 1 to 65535");
    memcpy(port, colon + 1, (size_t)(a + len - colon - 1));
    port[a + len - colon - 1] = '\0';
    errno = 0;
    p = strtoul(port, &end, 10);
    if (errno || *end || p == 0 || p > 65535 || port[0] < '0' ||
        port[0] > '9')
        return bad(uri, "the port is not a number from 1 to 65535");
    u->port = (unsigned)p;
    u->host = strndup(a, (size_t)(colon - a));
    return u->host ? 0 : err_set(HV_ENOMEM, "connection URI: out of memory");
}

/*
 * Loopback by its address, not by how its name begins: "127.evil.example"
 * is a DNS name anyone may point anywhere, and a token would go to it in
 * clear.  127.0.0.0/8 as an IPv4 literal, [::1], or localhost.
 */
static bool is_loopback(const char *host)
{
    struct in_addr a;

    if (!strcmp(host, "[::1]") || !strcmp(host, "localhost"))
        return true;
    return inet_pton(AF_INET, host, &a) == 1 &&
           (ntohl(a.s_addr) >> 24) == 127;
}

/* The parts after the scheme: "///PATH" or "//HOST:PORT", then "?...". */
static int parse_rest(const char *uri, struct conn_uri *u, const char *rest)
{
    const char *q = strchr(rest, '?');
    size_t len = q ? (size_t)(q - rest) : strlen(rest);
    int rc;

    if (strchr(rest, '#'))
        return bad(uri, "fragments ('#') are not used");
    if (u->kind == URI_SYSTEM || u->kind == URI_UNIX) {
        if (len < 4 || strncmp(rest, "///", 3) != 0)
            return bad(uri, u->kind == URI_SYSTEM
                            ? "expected hvctl:///system"
                            : "expected unix:///ABSOLUTE/PATH");
        if (u->kind == URI_SYSTEM && (len != 9 || memcmp(rest, "///system", 9)))
            return bad(uri, "expected hvctl:///system");
        if (u->kind == URI_UNIX) {
            if ((rc = pct_decode(rest + 2, len - 2, &u->socket)) == -ENOMEM)
                return err_set(HV_ENOMEM, "connection URI: out of memory");
            if (rc < 0)
                return bad(uri, "malformed %-escape in the path");
            if (strlen(u->socket) >= sizeof(((struct sockaddr_un *)0)->sun_path))
                return bad(uri, "the socket path is too long for a Unix "
                           "socket");
        }
    } else {
        const char *slash;
        if (len < 3 || strncmp(rest, "//", 2) != 0)
            return bad(uri, "expected //HOST:PORT");
        slash = memchr(rest + 2, '/', len - 2);
        if (slash && (size_t)(rest + len - slash) > 1)
            return bad(uri, "an agent URI has no path");
        if ((rc = parse_authority(uri, u, rest + 2,
                                  (size_t)((slash ? slash : rest + len) -
                                           rest - 2))))
            return rc;
        if (u->kind == URI_HTTP && !is_loopback(u->host))
            return bad(uri, "plain http is for loopback only (127.0.0.1, "
                       "[::1], localhost); use https:// for another host");
    }
    return parse_query(uri, u, q ? q + 1 : NULL);
}

/* Defaults from the environment, and the canonical form. */
static int finish(struct conn_uri *u)
{
    char buf[PATH_MAX * 3 + 64], enc[PATH_MAX * 3];
    const char *env;

    if (u->kind == URI_SYSTEM) {
        env = getenv("HVCTL_RUNDIR");
        if (!u->rundir)
            u->rundir = strdup(env && *env ? env : DEFAULT_RUNDIR);
        if (!u->rundir)
            return err_set(HV_ENOMEM, "connection URI: out of memory");
        if (strlen(u->rundir) + sizeof(AGENT_SOCKET) + 1 >
            sizeof(((struct sockaddr_un *)0)->sun_path))
            return err_set(HV_EINVAL, "runtime directory %s: too long a "
                           "path for the agent's socket in it", u->rundir);
        if (!(u->socket = malloc(strlen(u->rundir) + sizeof(AGENT_SOCKET) + 1)))
            return err_set(HV_ENOMEM, "connection URI: out of memory");
        sprintf(u->socket, "%s/" AGENT_SOCKET, u->rundir);
        uri_encode(u->rundir, enc, sizeof(enc));
        snprintf(buf, sizeof(buf), "hvctl:///system%s%s%s",
                 u->driver == DRIVER_DIRECT ? "?driver=direct&rundir="
                 : u->driver == DRIVER_AGENT ? "?driver=agent&rundir="
                                             : "?rundir=", enc, "");
    } else if (u->kind == URI_UNIX) {
        snprintf(buf, sizeof(buf), "unix://%s", u->socket);
    } else {
        env = getenv("HVCTL_TOKEN");
        if (!u->token && env && *env && !(u->token = strdup(env)))
            return err_set(HV_ENOMEM, "connection URI: out of memory");
        /* Credentials stay out of the canonical form: it gets printed. */
        snprintf(buf, sizeof(buf), "%s://%s:%u",
                 u->kind == URI_HTTPS ? "https" : "http", u->host, u->port);
    }
    u->canonical = strdup(buf);
    return u->canonical ? 0
                        : err_set(HV_ENOMEM, "connection URI: out of memory");
}

int uri_parse(const char *uri, struct conn_uri *u)
{
    static const struct { const char *scheme; enum uri_kind kind; } schemes[] = {
        { "hvctl:", URI_SYSTEM }, { "unix:", URI_UNIX },
        { "https:", URI_HTTPS }, { "http:", URI_HTTP },
    };
    int rc;

    memset(u, 0, sizeof(*u));
    if (!uri || !*uri)
        uri = "hvctl:///system";
    if (strlen(uri) > PATH_MAX)
        return err_set(HV_EINVAL, "connection URI: longer than %d bytes",
                       PATH_MAX);
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i].scheme);
        if (strncmp(uri, schemes[i].scheme, n) == 0) {
            u->kind = schemes[i].kind;
            if ((rc = parse_rest(uri, u, uri + n)) || (rc = finish(u)))
                uri_free(u);
            return rc;
        }
    }
    return bad(uri, "unknown scheme (hvctl:///system, unix:///PATH, "
               "https://HOST:PORT or http://127.0.0.1:PORT)");
}

void uri_free(struct conn_uri *u)
{
    free(u->rundir);
    free(u->socket);
    free(u->host);
    free(u->cacert);
    free(u->cert);
    free(u->key);
    if (u->token)
        memset(u->token, 0, strlen(u->token));
    free(u->token);
    free(u->canonical);
    memset(u, 0, sizeof(*u));
}

bool uri_agent_answers(const char *socket_path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, rc;

    if (strlen(socket_path) >= sizeof(sa.sun_path))
        return false;
    strcpy(sa.sun_path, socket_path);
    /* A hung agent with a full backlog does not answer: never block. */
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return false;
    rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    close(fd);
    return rc == 0;
}

HV_EXPORT int hv_conn_open_uri(const char *uri, unsigned flags, hv_conn **out)
{
    struct conn_uri u;
    int rc;

    if (!out)
        return err_set(HV_EINVAL, "connection: no place for the result");
    *out = NULL;
    if (flags)
        return err_set(HV_EINVAL, "connection: unknown flags %#x", flags);
    if ((rc = uri_parse(uri, &u)))
        return rc;
    if (u.kind == URI_SYSTEM &&
        (u.driver == DRIVER_DIRECT ||
         (u.driver == DRIVER_AUTO && !uri_agent_answers(u.socket)))) {
        rc = conn_open_direct(u.rundir, out);
        if (rc == 0) {
            free((*out)->uri);
            (*out)->uri = u.canonical;
            u.canonical = NULL;
        }
    } else {
        rc = agent_open(&u, out);
    }
    uri_free(&u);
    return rc;
}
