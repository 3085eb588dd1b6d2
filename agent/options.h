/*
 * options.h - hvctld's command line.  Parsing is separate from main() so
 * that the tests can check every option and every refusal.
 */
#ifndef HVCTLD_OPTIONS_H
#define HVCTLD_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OPTS_MAX_LISTEN 8
#define DEFAULT_DB_PATH "/var/lib/hvctl/hvctl.db"

struct listen_addr {
    char host[64];              /* numeric address, brackets stripped */
    char port[8];
    bool loopback;
};

struct agent_opts {
    const char *db_path;
    const char *rundir;         /* NULL: $HVCTL_RUNDIR, else /run/hvctl   */
    const char *socket_path;    /* NULL: <rundir>/hvctld.sock             */
    const char *socket_group;   /* group that gets the socket (0660)      */
    struct listen_addr listen[OPTS_MAX_LISTEN];
    size_t nlisten;
    const char *tls_cert, *tls_key, *tls_ca;
    bool insecure;
    bool autostart;             /* --no-autostart clears it */
    unsigned workers;
    unsigned refresh_ms;
    unsigned http_timeout_s;    /* idle connections are closed after it */
    unsigned max_connections;   /* TCP: more get 503 and are closed */
    int64_t event_log_max;      /* lifecycle events kept   */
    int64_t audit_log_max;      /* definition events kept  */
    unsigned restart_backoff_ms, restart_backoff_max_ms;   /* restart.h */
    unsigned start_limit_burst, start_limit_interval_s;
    int log_level;              /* enum log_level */
};

enum opts_result { OPTS_RUN = 0, OPTS_EXIT_OK = 1, OPTS_USAGE = 2 };

/*
 * Parse argv (after any subcommand) into o.  OPTS_RUN: go on;
 * OPTS_EXIT_OK: --help or --version was printed on out; OPTS_USAGE: err
 * says what is wrong (exit status 2).
 */
enum opts_result opts_parse(int argc, char **argv, struct agent_opts *o,
                            FILE *out, char *err, size_t errlen);
void opts_usage(FILE *f);
/* The database when no --db is given: $HVCTL_DB, else DEFAULT_DB_PATH. */
const char *opts_default_db(void);

/*
 * "HOST:PORT" or "[V6]:PORT" into a; the host must be a numeric address
 * or "localhost".  false with err on a malformed address.
 */
bool opts_parse_listen(const char *arg, struct listen_addr *a, char *err,
                       size_t errlen);

#endif /* HVCTLD_OPTIONS_H */
