/*
 * options.c - see options.h.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "restart.h"
#include "util.h"

void opts_usage(FILE *f)
{
    fputs(
"Usage: hvctld [OPTION]...\n"
"       hvctld token create NAME [--read-only] [--db PATH]\n"
"       hvctld token list [--db PATH]\n"
"       hvctld token revoke NAME [--db PATH]\n"
"\n"
"The hvctl agent: keeps domain definitions in SQLite and serves the REST\n"
"API (/v1) on a Unix socket and, optionally, on TCP with TLS.\n"
"\n"
"Options:\n"
"  -d, --db PATH             database file (default $HVCTL_DB, else\n"
"                            " DEFAULT_DB_PATH ")\n"
"  -r, --rundir DIR          runtime directory of the domains (default\n"
"                            $HVCTL_RUNDIR, else /run/hvctl)\n"
"  -s, --socket PATH         Unix socket (default RUNDIR/hvctld.sock)\n"
"      --socket-group GROUP  group that owns the socket (mode 0660)\n"
"  -l, --listen HOST:PORT    also serve on TCP (repeatable); needs TLS\n"
"      --tls-cert FILE       server certificate chain (PEM)\n"
"      --tls-key FILE        server private key (PEM)\n"
"      --tls-ca FILE         accept client certificates signed by this CA\n"
"      --insecure            plain HTTP on --listen: loopback addresses only\n"
"      --no-autostart        do not start the autostart domains\n"
"      --workers N           threads for hypervisor operations (default 16)\n"
"      --refresh-interval MS re-list the domains every MS ms (default 2000)\n"
"      --http-timeout S      close idle connections after S s (default 60)\n"
"      --max-connections N   TCP connections open at once (default 512)\n"
"      --event-log-max N     lifecycle events kept in the event log\n"
"                            (default 10000)\n"
"      --audit-log-max N     definition events (defined, updated, ...) kept\n"
"                            in the event log, apart (default 100000)\n"
"      --restart-backoff MS  wait before restarting a crashed domain, doubled\n"
"                            for each recent restart (default 100)\n"
"      --restart-backoff-max MS  at most this long (default 30000)\n"
"      --start-limit-burst N restarts allowed within the interval (default 5)\n"
"      --start-limit-interval S  the interval (default 60)\n"
"  -v, --verbose             also log debug messages\n"
"  -q, --quiet               log warnings and errors only\n"
"  -h, --help                show this help and exit\n"
"  -V, --version             show the version and exit\n"
"\n"
"TCP clients authenticate with a client certificate (--tls-ca) or with\n"
"'Authorization: Bearer TOKEN', a token made by `hvctld token create`.\n"
"See hvctld(8).\n", f);
}

const char *opts_default_db(void)
{
    const char *env = getenv("HVCTL_DB");

    return env && *env ? env : DEFAULT_DB_PATH;
}

static bool is_loopback(const char *host)
{
    struct in6_addr a6;
    struct in_addr a4;

    if (strcmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6) ||
               (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
    return false;
}

bool opts_parse_listen(const char *arg, struct listen_addr *a, char *err,
                       size_t errlen)
{
    const char *colon, *host = arg;
    size_t hlen;
    int64_t port;
    struct in6_addr a6;
    struct in_addr a4;

    memset(a, 0, sizeof(*a));
    if (arg[0] == '[') {
        const char *close = strchr(arg, ']');
        if (!close || close[1] != ':')
            goto bad;
        host = arg + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
    } else {
        colon = strrchr(arg, ':');
        if (!colon || strchr(arg, ':') != colon)
            goto bad;
        hlen = (size_t)(colon - arg);
    }
    if (hlen == 0 || hlen >= sizeof(a->host))
        goto bad;
    memcpy(a->host, host, hlen);
    a->host[hlen] = '\0';
    if (!parse_int64(colon + 1, 1, 65535, &port))
        goto bad;
    snprintf(a->port, sizeof(a->port), "%d", (int)port);
    if (strcmp(a->host, "localhost") && inet_pton(AF_INET, a->host, &a4) != 1 &&
        inet_pton(AF_INET6, a->host, &a6) != 1) {
        snprintf(err, errlen, "--listen %s: the host must be a numeric "
                 "address (or localhost)", arg);
        return false;
    }
    a->loopback = is_loopback(a->host);
    return true;
bad:
    snprintf(err, errlen, "--listen %s: expected HOST:PORT or [IPV6]:PORT",
             arg);
    return false;
}

enum {
    O_SOCKET_GROUP = 256, O_TLS_CERT, O_TLS_KEY, O_TLS_CA, O_INSECURE,
    O_NO_AUTOSTART, O_WORKERS, O_REFRESH, O_HTTP_TIMEOUT, O_EVLOG_MAX,
    O_AUDIT_MAX, O_RESTART_BACKOFF, O_RESTART_BACKOFF_MAX, O_START_BURST,
    O_START_INTERVAL,
    O_MAX_CONNECTIONS,
};

static const struct option longopts[] = {
    { "db", required_argument, NULL, 'd' },
    { "rundir", required_argument, NULL, 'r' },
    { "socket", required_argument, NULL, 's' },
    { "socket-group", required_argument, NULL, O_SOCKET_GROUP },
    { "listen", required_argument, NULL, 'l' },
    { "tls-cert", required_argument, NULL, O_TLS_CERT },
    { "tls-key", required_argument, NULL, O_TLS_KEY },
    { "tls-ca", required_argument, NULL, O_TLS_CA },
    { "insecure", no_argument, NULL, O_INSECURE },
    { "no-autostart", no_argument, NULL, O_NO_AUTOSTART },
    { "workers", required_argument, NULL, O_WORKERS },
    { "refresh-interval", required_argument, NULL, O_REFRESH },
    { "http-timeout", required_argument, NULL, O_HTTP_TIMEOUT },
    { "event-log-max", required_argument, NULL, O_EVLOG_MAX },
    { "audit-log-max", required_argument, NULL, O_AUDIT_MAX },
    { "restart-backoff", required_argument, NULL, O_RESTART_BACKOFF },
    { "restart-backoff-max", required_argument, NULL, O_RESTART_BACKOFF_MAX },
    { "start-limit-burst", required_argument, NULL, O_START_BURST },
    { "start-limit-interval", required_argument, NULL, O_START_INTERVAL },
    { "max-connections", required_argument, NULL, O_MAX_CONNECTIONS },
    { "verbose", no_argument, NULL, 'v' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

static bool number(const char *opt, const char *arg, int64_t min, int64_t max,
                   int64_t *out, char *err, size_t errlen)
{
    if (parse_int64(arg, min, max, out))
        return true;
    snprintf(err, errlen, "%s %s: expected a number from %lld to %lld", opt,
             arg, (long long)min, (long long)max);
    return false;
}

/* The combinations that make no sense, or are unsafe. */
static enum opts_result check(struct agent_opts *o, char *err, size_t errlen)
{
    if (o->insecure && !o->nlisten) {
        snprintf(err, errlen, "--insecure only applies to --listen");
        return OPTS_USAGE;
    }
    if (o->insecure && (o->tls_cert || o->tls_key || o->tls_ca)) {
        snprintf(err, errlen, "--insecure serves plain HTTP: it does not "
                 "go with --tls-cert, --tls-key or --tls-ca");
        return OPTS_USAGE;
    }
    for (size_t i = 0; o->insecure && i < o->nlisten; i++)
        if (!o->listen[i].loopback) {
            bool v6 = strchr(o->listen[i].host, ':') != NULL;
            snprintf(err, errlen, "--listen %s%s%s:%s: plain HTTP "
                     "(--insecure) is only allowed on a loopback address",
                     v6 ? "[" : "", o->listen[i].host, v6 ? "]" : "",
                     o->listen[i].port);
            return OPTS_USAGE;
        }
    if (o->nlisten && !o->insecure && (!o->tls_cert || !o->tls_key)) {
        snprintf(err, errlen, "--listen needs TLS: give --tls-cert and "
                 "--tls-key (plain HTTP is only allowed on loopback, with "
                 "--insecure)");
        return OPTS_USAGE;
    }
    if (!o->nlisten && (o->tls_cert || o->tls_key || o->tls_ca)) {
        snprintf(err, errlen, "--tls-cert, --tls-key and --tls-ca only "
                 "apply to --listen");
        return OPTS_USAGE;
    }
    return OPTS_RUN;
}

enum opts_result opts_parse(int argc, char **argv, struct agent_opts *o,
                            FILE *out, char *err, size_t errlen)
{
    int64_t v;
    int c;

    memset(o, 0, sizeof(*o));
    o->db_path = opts_default_db();      /* --db, below, wins */
    o->autostart = true;
    o->workers = 16;
    o->refresh_ms = 2000;
    o->http_timeout_s = 60;
    o->max_connections = 512;
    o->event_log_max = 10000;
    o->audit_log_max = 100000;
    o->restart_backoff_ms = 100;
    o->restart_backoff_max_ms = 30000;
    o->start_limit_burst = 5;
    o->start_limit_interval_s = 60;
    o->log_level = LOG_INFO;
    optind = 0;                 /* reset getopt: the tests call us often */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":d:r:s:l:vqhV", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->db_path = optarg; break;
        case 'r': o->rundir = optarg; break;
        case 's': o->socket_path = optarg; break;
        case O_SOCKET_GROUP: o->socket_group = optarg; break;
        case 'l':
            if (o->nlisten == OPTS_MAX_LISTEN) {
                snprintf(err, errlen, "at most %d --listen addresses",
                         OPTS_MAX_LISTEN);
                return OPTS_USAGE;
            }
            if (!opts_parse_listen(optarg, &o->listen[o->nlisten], err,
                                   errlen))
                return OPTS_USAGE;
            o->nlisten++;
            break;
        case O_TLS_CERT: o->tls_cert = optarg; break;
        case O_TLS_KEY: o->tls_key = optarg; break;
        case O_TLS_CA: o->tls_ca = optarg; break;
        case O_INSECURE: o->insecure = true; break;
        case O_NO_AUTOSTART: o->autostart = false; break;
        case O_WORKERS:
            if (!number("--workers", optarg, 1, 256, &v, err, errlen))
                return OPTS_USAGE;
            o->workers = (unsigned)v;
            break;
        case O_REFRESH:
            if (!number("--refresh-interval", optarg, 100, 3600000, &v, err,
                        errlen))
                return OPTS_USAGE;
            o->refresh_ms = (unsigned)v;
            break;
        case O_HTTP_TIMEOUT:
            if (!number("--http-timeout", optarg, 1, 86400, &v, err, errlen))
                return OPTS_USAGE;
            o->http_timeout_s = (unsigned)v;
            break;
        case O_MAX_CONNECTIONS:
            if (!number("--max-connections", optarg, 1, 65536, &v, err,
                        errlen))
                return OPTS_USAGE;
            o->max_connections = (unsigned)v;
            break;
        case O_EVLOG_MAX:
            if (!number("--event-log-max", optarg, 1, INT64_MAX / 2, &v, err,
                        errlen))
                return OPTS_USAGE;
            o->event_log_max = v;
            break;
        case O_AUDIT_MAX:
            if (!number("--audit-log-max", optarg, 1, INT64_MAX / 2, &v, err,
                        errlen))
                return OPTS_USAGE;
            o->audit_log_max = v;
            break;
        case O_RESTART_BACKOFF:
            if (!number("--restart-backoff", optarg, 1, 3600000, &v, err,
                        errlen))
                return OPTS_USAGE;
            o->restart_backoff_ms = (unsigned)v;
            break;
        case O_RESTART_BACKOFF_MAX:
            if (!number("--restart-backoff-max", optarg, 1, 3600000, &v, err,
                        errlen))
                return OPTS_USAGE;
            o->restart_backoff_max_ms = (unsigned)v;
            break;
        case O_START_BURST:
            if (!number("--start-limit-burst", optarg, 1,
                        START_LIMIT_BURST_MAX, &v, err, errlen))
                return OPTS_USAGE;
            o->start_limit_burst = (unsigned)v;
            break;
        case O_START_INTERVAL:
            if (!number("--start-limit-interval", optarg, 1, 86400, &v, err,
                        errlen))
                return OPTS_USAGE;
            o->start_limit_interval_s = (unsigned)v;
            break;
        case 'v': o->log_level = LOG_DEBUG; break;
        case 'q': o->log_level = LOG_WARN; break;
        case 'h':
            opts_usage(out);
            return OPTS_EXIT_OK;
        case 'V':
            fprintf(out, "hvctld %s\n", PACKAGE_VERSION);
            return OPTS_EXIT_OK;
        case ':':
            snprintf(err, errlen, "option %s needs an argument",
                     argv[optind - 1]);
            return OPTS_USAGE;
        default:
            snprintf(err, errlen, "unknown option %s", argv[optind - 1]);
            return OPTS_USAGE;
        }
    }
    if (optind < argc) {
        snprintf(err, errlen, "unexpected argument '%s'", argv[optind]);
        return OPTS_USAGE;
    }
    return check(o, err, errlen);
}
