/*
 * progress.h - one status line on a terminal's stderr for long operations
 * ("shutdown web: waiting for the guest to power off [====    ] 50%").
 * Nothing is drawn when stderr is not a terminal or --json is given, so
 * scripts and logs see only results and errors.
 */
#ifndef HVCTL_CLI_PROGRESS_H
#define HVCTL_CLI_PROGRESS_H

#include "cli.h"

struct progress;

/* NULL when there is nothing to draw on; every call accepts NULL. */
struct progress *progress_new(const struct cli *cli, const char *title);
/* fraction in [0, 1], or < 0 when unknown (a spinner instead of a bar). */
void progress_show(struct progress *pg, const char *step, double fraction);
/* Clear the line and free. */
void progress_done(struct progress *pg);

#endif /* HVCTL_CLI_PROGRESS_H */
