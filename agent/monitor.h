/*
 * monitor.h - keeping the domain table true to the runtime directory.
 *
 * Two sources: libhvctl's event fd (in the event loop: every lifecycle
 * change as it happens, logged with its cause), and a periodic
 * hv_domain_list on a worker (domains started or ended in ways no event
 * told of, fresh memory and CPU figures for /metrics).
 */
#ifndef HVCTLD_MONITOR_H
#define HVCTLD_MONITOR_H

#include <stddef.h>

#include "hvctl.h"

struct agent;
struct monitor;

/* Opens the event source; the first refresh runs after refresh_ms. */
int monitor_start(struct agent *a, struct monitor **out);
void monitor_stop(struct monitor *m);
/* Refresh now (coalesced with one already running). */
void monitor_refresh_soon(struct monitor *m);
/*
 * Refresh, and call fn on the event loop once the table reflects it
 * (for /metrics and reconciliation).  0, or -1 when out of memory.
 */
int monitor_refresh(struct monitor *m, void (*fn)(void *arg), void *arg);

/*
 * Apply a list taken at list_ns (monotonic) to the table: adopt domains
 * we did not know, refresh the figures of the others, note the crashes
 * it reports.  (That a domain is missing from a list proves nothing: the
 * periodic refresh asks such a domain itself before calling it gone.)
 * `startup` marks the first reconciliation, logged as re-adoptions.
 */
void monitor_apply_list(struct agent *a, const hv_domlist *list,
                        uint64_t list_ns, int startup);

#endif /* HVCTLD_MONITOR_H */
