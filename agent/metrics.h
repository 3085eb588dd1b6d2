/*
 * metrics.h - request counters and latency histograms per route, and the
 * Prometheus text exposition of them and of every domain's state.
 */
#ifndef HVCTLD_METRICS_H
#define HVCTLD_METRICS_H

#include <stdint.h>

#include "route.h"
#include "util.h"

struct agent;
struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *mt);

/* One answered request; route NULL for those that matched no route. */
void metrics_record(struct metrics *mt, const struct route *r, int status,
                    uint64_t duration_ns);

/* The whole exposition (text format 0.0.4) into out. */
void metrics_format(struct metrics *mt, struct agent *a, struct strbuf *out);

#endif /* HVCTLD_METRICS_H */
