/*
 * xfer_show.h - how a save or a migration shows its progress: on a
 * terminal, one status line on stderr redrawn in place (percent, rate,
 * round, what is left, expected downtime); with --json, one JSON object
 * per progress report on stdout (hvctl(1), JSON OUTPUT); otherwise
 * nothing until the result.
 */
#ifndef HVCTL_CLI_XFER_SHOW_H
#define HVCTL_CLI_XFER_SHOW_H

#include "backend.h"

struct xfer_show;

/* NULL when nothing is to be shown as it goes; every call takes NULL. */
struct xfer_show *xfer_show_new(const struct cli *cli, const char *title);
/* An xfer_fn: opaque is the xfer_show. */
void xfer_show_update(void *opaque, const struct xfer_figures *f);
/* Clear the status line and free. */
void xfer_show_done(struct xfer_show *xs);

/* "1.02 GiB", "12.3 MiB", "512 B". */
void format_bytes(uint64_t bytes, char *buf, size_t len);

#endif /* HVCTL_CLI_XFER_SHOW_H */
