/*
 * bench_table.c - figures and the benchmark table (bench_table.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_table.h"

void fig_add(struct fig *f, double v)
{
    if (f->n < MAX_FIGS)
        f->v[f->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

double fig_median(const struct fig *f)
{
    double v[MAX_FIGS];

    if (!f->n)
        return -1;
    memcpy(v, f->v, sizeof(double) * (size_t)f->n);
    qsort(v, (size_t)f->n, sizeof(double), cmp_double);
    return f->n % 2 ? v[f->n / 2] : (v[f->n / 2 - 1] + v[f->n / 2]) / 2;
}

const char *bench_load_avg(void)
{
    static char buf[32];
    FILE *f = fopen("/proc/loadavg", "r");

    snprintf(buf, sizeof(buf), "unknown");
    if (f) {
        if (fscanf(f, "%31s", buf) != 1)
            snprintf(buf, sizeof(buf), "unknown");
        fclose(f);
    }
    return buf;
}

bool bench_wanted(const char *name)
{
    const char *only = getenv("BENCH_ONLY");
    size_t len = strlen(name);

    if (!only || !*only)
        return true;
    for (const char *p = only; *p; p += strcspn(p, ","), p += *p == ',')
        if (strncmp(p, name, len) == 0 && (p[len] == ',' || !p[len]))
            return true;
    return false;
}

/* v with prec decimals, or "-" where there is no figure. */
static void cell(char *buf, size_t len, double v, int prec)
{
    if (v < 0)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%.*f", prec, v);
}

static const char *verdict(const char *target, double m, enum fig_sense sense, double limit)
{
    if (!target)
        return "";
    if (m < 0 || limit < 0)
        return "n/a";
    return (sense == AT_MOST ? m <= limit : m >= limit) ? "PASS" : "MISS";
}

void bench_table_head(const char *title)
{
    printf("\n| %-48s | %14s | %-22s | %-24s | %-4s |\n", title, "value", "min-max (runs)",
           "target", "");
    printf("|%.50s|%.16s|%.24s|%.26s|%.6s|\n",
           "--------------------------------------------------", "----------------",
           "------------------------", "--------------------------", "------");
}

void bench_heading(const char *what)
{
    printf("| %-48s | %14s | %-22s | %-24s | %-4s |\n", what, "", "", "", "");
}

void bench_row(const char *what, const struct fig *f, const char *unit, int prec,
               const char *target, enum fig_sense sense, double limit)
{
    char med[32], lo[32], hi[32], spread[80];
    double m = fig_median(f), min = -1, max = -1;

    for (int i = 0; i < f->n; i++) {
        if (min < 0 || f->v[i] < min)
            min = f->v[i];
        if (f->v[i] > max)
            max = f->v[i];
    }
    cell(med, sizeof(med), m, prec);
    cell(lo, sizeof(lo), min, prec);
    cell(hi, sizeof(hi), max, prec);
    snprintf(spread, sizeof(spread), "%s-%s (%d)", lo, hi, f->n);
    printf("| %-48s | %10s %-3s | %-22s | %-24s | %-4s |\n", what, med, unit,
           f->n ? spread : "-", target ? target : "", verdict(target, m, sense, limit));
}

void bench_ratio_row(const char *what, const struct fig *a, const struct fig *b,
                     const char *target, enum fig_sense sense, double limit)
{
    double ma = fig_median(a), mb = fig_median(b);
    double r = ma >= 0 && mb > 0 ? ma / mb : -1;
    char med[32];

    cell(med, sizeof(med), r, 3);
    printf("| %-48s | %10s %-3s | %-22s | %-24s | %-4s |\n", what, med, "x",
           "ratio of the medians", target ? target : "", verdict(target, r, sense, limit));
}
