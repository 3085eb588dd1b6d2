/*
 * cmdopts.h - parsing a command's options: its own, plus --json and
 * -h/--help which every command takes.  Messages follow hvctl's format
 * ("hvctl: error: list: unknown option '--x'"), not getopt's.
 *
 *     struct cmdopts o = { .cmd = "list", .own = opts, .shorts = "a" };
 *     while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
 *         switch (c) { case 'a': ...; case OPT_HELP: return EXIT_OK;
 *                      default: return EXIT_USAGE; }
 *     operands: argv[optind] .. argv[argc - 1]
 */
#ifndef HVCTL_CLI_CMDOPTS_H
#define HVCTL_CLI_CMDOPTS_H

#include <getopt.h>

#include "cli.h"

enum {
    OPT_END  = -1,      /* no more options; operands start at optind */
    OPT_HELP = -2,      /* help was printed: exit 0                  */
    OPT_BAD  = -3,      /* a usage error was printed: exit 2         */
    OPT_JSON = 1000,    /* internal                                  */
};

struct cmdopts {
    const char *cmd;
    const struct option *own;   /* NULL, or ending with a NULL name     */
    const char *shorts;         /* the own short options, as getopt     */
    bool started;
};

int cmdopt_next(struct cli *cli, struct cmdopts *o, int argc, char **argv);
/* 0 when n operands fit [min, max]; else a usage error (EXIT_USAGE). */
int cmd_operands(const char *cmd, int n, int min, int max);
/*
 * `cmd [--json] DOMAIN` with `own` options (NULL: none), each handed to
 * on_opt (which returns 0, or an exit status).  *ref gets the DOMAIN and
 * cli->what "cmd DOMAIN".  Returns -1 to go on, or the exit status.
 */
int cmd_one_domain(struct cli *cli, const char *cmd,
                   const struct option *own, const char *shorts,
                   int (*on_opt)(int c, void *opaque), void *opaque,
                   int argc, char **argv, const char **ref);

#define NARGS (argc - optind)

#endif /* HVCTL_CLI_CMDOPTS_H */
