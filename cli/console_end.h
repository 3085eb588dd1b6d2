/*
 * console_end.h - why a local domain's console closed: the domain ended
 * as a domain should (powered off, destroyed), or it did not (its hvcore
 * died, the guest crashed).  The answer comes from libhvctl's events of
 * the domain, watched from before the console opened.
 */
#ifndef HVCTL_CLI_CONSOLE_END_H
#define HVCTL_CLI_CONSOLE_END_H

#include <stddef.h>

#include "hvctl.h"

struct console_end;

/* Start watching dom; NULL when its events cannot be had here. */
struct console_end *console_end_watch(hv_conn *conn, hv_domain *dom);
/*
 * After the console closed, wait (a bounded time) for how the domain
 * ended: 0 as it should, or when nothing could be learnt; 1 when not,
 * with why in why[len].  Frees w.
 */
int console_end_verdict(struct console_end *w, char *why, size_t len);
void console_end_free(struct console_end *w);

#endif /* HVCTL_CLI_CONSOLE_END_H */
