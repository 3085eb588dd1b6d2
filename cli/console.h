/*
 * console.h - joining the terminal to a guest console (console.c).
 */
#ifndef HVCTL_CLI_CONSOLE_H
#define HVCTL_CLI_CONSOLE_H

#include "cli.h"

/* Open ref's console through the backend and run it until detached. */
int console_attach(struct cli *cli, const char *ref);
/*
 * Relay between stdin/stdout and the console fd `con` (closed on return)
 * until Ctrl-], the console's end, or SIGINT/SIGTERM/SIGHUP.  The
 * terminal is restored on every path.  At the console's end, be (which
 * opened it) says whether the domain ended well.  EXIT_OK or EXIT_FAIL.
 */
struct backend;
int console_run(struct cli *cli, struct backend *be, int con,
                const char *name);

#endif /* HVCTL_CLI_CONSOLE_H */
