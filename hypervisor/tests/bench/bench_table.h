/*
 * bench_table.h - figures of repeated runs and the markdown table the
 * hvcore benchmarks print (bench_migrate, bench_io): medians, spread,
 * target and verdict per row.
 */
#ifndef HVCORE_BENCH_TABLE_H
#define HVCORE_BENCH_TABLE_H

#include <stdbool.h>

#define MAX_RUNS 32
/* Samples a figure holds: one a run, or several (bench_linux's CPU loop
 * takes nine host figures a run). */
#define MAX_FIGS (MAX_RUNS * 16)

/* A figure: its samples. */
struct fig {
    double v[MAX_FIGS];
    int n;
};

/* Which side of the limit a target wants the median on. */
enum fig_sense { AT_MOST, AT_LEAST };

void fig_add(struct fig *f, double v);
/* Median of a figure, or -1 if it has no sample. */
double fig_median(const struct fig *f);

/* The 1-minute load average as text: figures mean little on a busy machine. */
const char *bench_load_avg(void);
/* Is this measurement in $BENCH_ONLY (a comma-separated list), or is
 * BENCH_ONLY unset? */
bool bench_wanted(const char *name);

/* The table's header line with its title, and the separator. */
void bench_table_head(const char *title);
/* A line that only names what follows. */
void bench_heading(const char *what);
/* One row: the median and its spread, the target, the verdict (PASS when
 * the median is on the `sense` side of limit; no verdict without a
 * target; n/a without a median or with limit < 0). */
void bench_row(const char *what, const struct fig *f, const char *unit, int prec,
               const char *target, enum fig_sense sense, double limit);
/* The ratio a/b of two medians as a row of its own. */
void bench_ratio_row(const char *what, const struct fig *a, const struct fig *b,
                     const char *target, enum fig_sense sense, double limit);

#endif /* HVCORE_BENCH_TABLE_H */
