/*
 * be_common.h - what hvblk and hvnet share outside the protocol: the
 * options every back end takes (--fd, --socket, --stats-fd, --queues,
 * --user, --poll-us), the counters page, dropping to another user, and
 * serving one connection or a listening socket.
 */
#ifndef HV_BACKENDS_BE_COMMON_H
#define HV_BACKENDS_BE_COMMON_H

#include <getopt.h>
#include <stdbool.h>

#include "vu_dev.h"

#define BE_EXIT_OK      0
#define BE_EXIT_RUNTIME 1
#define BE_EXIT_USAGE   2

#define BE_POLL_US_DEFAULT 50u
#define BE_POLL_US_MAX     1000000u

/* Long option values of the common options (above any short option). */
enum {
    BE_OPT_FD = 256,
    BE_OPT_SOCKET,
    BE_OPT_STATS_FD,
    BE_OPT_QUEUES,
    BE_OPT_USER,
    BE_OPT_POLL_US,
    BE_OPT_HELP,
    BE_OPT_DEVICE          /* the first value a device's own options use */
};

#define BE_COMMON_OPTIONS                                          \
    { "fd", required_argument, NULL, BE_OPT_FD },                  \
    { "socket", required_argument, NULL, BE_OPT_SOCKET },          \
    { "stats-fd", required_argument, NULL, BE_OPT_STATS_FD },      \
    { "queues", required_argument, NULL, BE_OPT_QUEUES },          \
    { "user", required_argument, NULL, BE_OPT_USER },              \
    { "poll-us", required_argument, NULL, BE_OPT_POLL_US },        \
    { "help", no_argument, NULL, BE_OPT_HELP }

struct be_common {
    const char *prog;
    int fd;                 /* --fd, or -1                           */
    const char *socket;     /* --socket, or NULL                     */
    int stats_fd;           /* --stats-fd, or -1                     */
    unsigned queues;        /* --queues (default 1)                  */
    unsigned max_queues;    /* what --queues may be at most          */
    const char *user;       /* --user, or NULL                       */
    unsigned poll_us;       /* --poll-us                             */
};

void be_common_init(struct be_common *c, const char *prog, unsigned max_queues);

/*
 * One option of getopt_long's: 1 if it was a common one (taken), 0 if
 * not, -1 if its value is bad (the line printed).
 */
int be_common_option(struct be_common *c, int opt, const char *arg);

/* After the options: -1 (line printed) if --fd/--socket are wrong. */
int be_common_check(struct be_common *c);

/* The line for getopt's '?' and ':' returns (opterr = 0, ":" first). */
void be_bad_option(const char *prog, int opt, char *const argv[]);

/* The counters page: --stats-fd mapped, or a private one.  NULL: printed. */
struct hv_backend_stats *be_stats_open(const struct be_common *c);

/* Listen at --socket (before dropping privileges).  fd or -1 (printed). */
int be_listen(const struct be_common *c);

/* --user: become that user.  0, or -1 (printed). */
int be_drop_user(const struct be_common *c);

/* Serve --fd until it closes, or every connection at listen_fd. */
int be_serve(struct vu_dev *d, const struct be_common *c, int listen_fd);

#endif
