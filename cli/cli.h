/*
 * cli.h - what the files of the hvctl command-line tool share.
 *
 * hvctl is a thin shell over libhvctl: main.c reads the global options,
 * connect.c turns them into a connection URI, and each cmd_*.c parses a
 * family of commands, asks the back end (backend.h: libhvctl's API,
 * backend_lib.c) and prints the result (output.c, made from the field
 * table).  Commands never know which connection they talk to; back ends
 * never print anything but errors.
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
    /* Where to go (-c URI) and how to prove who we are. */
    const char *url;            /* NULL: hvctl:///system                  */
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

/* commands.c: by name or by alias (virsh's words: dominfo, resume...) */
const struct command *command_find(const char *name);
const struct command *command_at(size_t i);    /* NULL past the end */
/* The command name nearest to a mistyped one, or NULL (suggest.c). */
const char *command_suggest(const char *typo);
/* The i-th alias and (in *name) its command; NULL past the end. */
const char *alias_at(size_t i, const char **name);
/* "unknown command 'X'" with a suggestion when there is one (usage). */
int unknown_command(const char *cmd, const char *name);

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
/*
 * A memory size: a whole number of MiB, or one with a unit (K, M, G, T,
 * also KiB, MiB...; case does not matter) that comes to whole MiB.  0,
 * or -1 with why in why[len] (a message for cli_usage).
 */
int parse_mem_mib(const char *s, uint64_t *mib, char *why, size_t len);
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

/* The backend for cli, opened on first use (connect.c). */
struct backend *cli_backend(struct cli *cli);
/* A usage error for a -c URI of no form hvctl knows; 0 when fine. */
int check_connect_options(const struct cli *cli);

/* hvcore's version ("0.1.0 (guest ABI 1, ...)"), "" if unknown. */
void hvcore_version(char *out, size_t len);

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
int cmd_edit(struct cli *cli, int argc, char **argv);
int cmd_domstats(struct cli *cli, int argc, char **argv);
int cmd_top(struct cli *cli, int argc, char **argv);
int cmd_define(struct cli *cli, int argc, char **argv);
int cmd_undefine(struct cli *cli, int argc, char **argv);
int cmd_start(struct cli *cli, int argc, char **argv);
int cmd_autostart(struct cli *cli, int argc, char **argv);
int cmd_events(struct cli *cli, int argc, char **argv);
int cmd_save(struct cli *cli, int argc, char **argv);
int cmd_restore(struct cli *cli, int argc, char **argv);
int cmd_migrate(struct cli *cli, int argc, char **argv);
int cmd_devices(struct cli *cli, int argc, char **argv);
int cmd_attach_disk(struct cli *cli, int argc, char **argv);
int cmd_attach_interface(struct cli *cli, int argc, char **argv);
int cmd_attach_device(struct cli *cli, int argc, char **argv);
int cmd_detach_device(struct cli *cli, int argc, char **argv);
int cmd_version(struct cli *cli, int argc, char **argv);
int cmd_help(struct cli *cli, int argc, char **argv);

/* `hvctl help NAME` text for cmd on stdout. */
void print_command_help(const struct command *cmd);
/* The command list on stdout. */
void print_usage(void);

#endif /* HVCTL_CLI_H */
