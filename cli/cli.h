/*
 * cli.h - what the files of the hvctl command-line tool share.
 *
 * The tool is split by job: main.c reads the global options and picks a
 * command from commands.c; each cmd_*.c implements a family of commands
 * on top of a backend (backend.h), which is either libhvctl on this host
 * (backend_local.c) or hvctld's REST API (backend_remote.c over http.c).
 * Commands never know which backend they talk to; backends never print
 * anything but errors.
 */
#ifndef HVCTL_CLI_H
#define HVCTL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit statuses (hvctl(1), EXIT STATUS). */
enum {
    EXIT_OK    = 0,
    EXIT_FAIL  = 1,     /* the operation failed           */
    EXIT_USAGE = 2,     /* the command line was wrong     */
};

struct backend;

/* Everything a command may need, filled by main.c. */
struct cli {
    const char *argv0;
    bool json;                  /* --json: machine-readable output        */
    /* Where to go (-c URL) and how to prove who we are. */
    const char *url;            /* NULL: this host, through libhvctl      */
    const char *cacert, *cert, *key, *token;
    bool verbose;               /* --verbose: trace HTTP requests          */
    /*
     * What the current command is doing, for error messages: set by the
     * command ("pause web") before it calls into a backend.
     */
    char what[160];
    /*
     * Set around a call whose failure is not the command's (the local
     * agent's version): cli_fail then only records the message here.
     */
    bool quiet;
    char last_error[256];
    struct backend *be;         /* opened lazily by cli_backend()         */
};

/* One command of the table in commands.c. */
struct command {
    const char *name;
    int (*run)(struct cli *cli, int argc, char **argv);
    const char *synopsis;       /* "NAME MiB": arguments after the name  */
    const char *summary;        /* one line for `hvctl help`             */
    const char *help;           /* the rest of `hvctl help NAME`         */
};

/* commands.c */
const struct command *command_find(const char *name);
const struct command *command_at(size_t i);    /* NULL past the end */

/* ---- errors (util.c) ---- */

/*
 * Print "hvctl: error: <cli->what>: <why>" on stderr.  Returns EXIT_FAIL
 * so that a command can `return cli_fail(...)`.
 */
int cli_fail(struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The same with an explicit what. */
int cli_fail_what(const char *what, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * A usage error for command `cmd` (NULL: the global command line): prints
 * "hvctl: error: <cmd>: <why>" and a hint, returns EXIT_USAGE.
 */
int cli_usage(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Set cli->what. */
void cli_what(struct cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- small helpers (util.c) ---- */

/* Copy src into dst[size], cut short if need be (fixed-size fields). */
void str_copy(char *dst, size_t size, const char *src);
/* Strict decimal in [lo, hi]; 0 or -1. */
int parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);
/* Strict decimal seconds with up to 3 decimals, as milliseconds. */
int parse_seconds_ms(const char *s, int *ms);
/* All of a file (NUL-terminated, *len without the NUL): 0 or -errno. */
int read_file(const char *path, size_t max, char **text, size_t *len);
/* Whether text starts (after blanks) with '<'. */
bool text_is_xml(const char *text, size_t len);
/* "36 hex digits and dashes" shape; no value check beyond that. */
bool looks_like_uuid(const char *s);
/* Only decimal digits, at least one, fits in uint32 (a domid). */
bool looks_like_domid(const char *s, uint32_t *id);
/* Monotonic and real-time clocks in nanoseconds. */
uint64_t mono_ns(void);

/*
 * Signals that end a waiting command (SIGINT, SIGTERM, SIGHUP): after
 * sig_watch(), they no longer kill the process but make sig_fd() readable,
 * so that a poll loop can end cleanly (restore the terminal, exit 0).
 */
int sig_watch(void);
int sig_fd(void);
/* The signal that arrived, or 0. */
int sig_caught(void);

/* The backend for cli (local or remote), opened on first use. */
struct backend *cli_backend(struct cli *cli);

/* Every command's entry point (cmd_*.c). */
int cmd_create(struct cli *cli, int argc, char **argv);
int cmd_list(struct cli *cli, int argc, char **argv);
int cmd_info(struct cli *cli, int argc, char **argv);
int cmd_console(struct cli *cli, int argc, char **argv);
int cmd_pause(struct cli *cli, int argc, char **argv);
int cmd_unpause(struct cli *cli, int argc, char **argv);
int cmd_shutdown(struct cli *cli, int argc, char **argv);
int cmd_reboot(struct cli *cli, int argc, char **argv);
int cmd_destroy(struct cli *cli, int argc, char **argv);
int cmd_mem_set(struct cli *cli, int argc, char **argv);
int cmd_dumpxml(struct cli *cli, int argc, char **argv);
int cmd_dumpjson(struct cli *cli, int argc, char **argv);
int cmd_define(struct cli *cli, int argc, char **argv);
int cmd_undefine(struct cli *cli, int argc, char **argv);
int cmd_start(struct cli *cli, int argc, char **argv);
int cmd_autostart(struct cli *cli, int argc, char **argv);
int cmd_events(struct cli *cli, int argc, char **argv);
int cmd_version(struct cli *cli, int argc, char **argv);
int cmd_help(struct cli *cli, int argc, char **argv);

/* `hvctl help NAME` text for cmd on stdout. */
void print_command_help(const struct command *cmd);
/* The command list on stdout. */
void print_usage(void);

#endif /* HVCTL_CLI_H */
