/*
 * metrics.c - see metrics.h.
 *
 * Counting is on the hot path of every request, so it is two array
 * increments and a short loop over the bucket bounds; everything costly
 * happens when /metrics is scraped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "jobs.h"
#include "metrics.h"
#include "worker.h"

static const int codes[] = { 200, 201, 202, 204, 400, 401, 403, 404, 405,
                             406, 409, 413, 415, 500, 502, 503, 504 };
#define NCODES (ARRAY_SIZE(codes) + 1)          /* last: any other */

/* Bucket bounds in microseconds (the exposition says seconds). */
static const uint64_t bounds_us[] = { 100, 250, 500, 1000, 2500, 5000,
                                      10000, 25000, 50000, 100000, 250000,
                                      500000, 1000000, 2500000, 5000000,
                                      10000000 };
#define NBUCKETS ARRAY_SIZE(bounds_us)

struct route_stats {
    uint64_t count[NCODES];
    uint64_t bucket[NBUCKETS];  /* not cumulative: summed at exposition */
    uint64_t total;
    uint64_t sum_ns;
};

struct metrics {
    struct route_stats *r;      /* routes_count + 1 (unmatched) */
};

struct metrics *metrics_new(void)
{
    struct metrics *mt = calloc(1, sizeof(*mt));

    if (!mt)
        return NULL;
    mt->r = calloc(routes_count + 1, sizeof(*mt->r));
    if (!mt->r) {
        free(mt);
        return NULL;
    }
    return mt;
}

void metrics_free(struct metrics *mt)
{
    if (!mt)
        return;
    free(mt->r);
    free(mt);
}

void metrics_record(struct metrics *mt, const struct route *r, int status,
                    uint64_t duration_ns)
{
    struct route_stats *s = &mt->r[r ? (size_t)(r - routes) : routes_count];
    uint64_t us = duration_ns / 1000;
    size_t c = 0, b = 0;

    while (c < ARRAY_SIZE(codes) && codes[c] != status)
        c++;
    s->count[c]++;
    while (b < NBUCKETS && us > bounds_us[b])
        b++;
    if (b < NBUCKETS)
        s->bucket[b]++;
    s->total++;
    s->sum_ns += duration_ns;
}

static void route_labels(size_t i, char *buf, size_t len)
{
    if (i < routes_count)
        snprintf(buf, len, "method=\"%s\",route=\"%s\"",
                 route_method_name(routes[i].method), routes[i].pattern);
    else
        snprintf(buf, len, "method=\"other\",route=\"other\"");
}

static void format_requests(struct metrics *mt, struct strbuf *out)
{
    char labels[160];

    sb_puts(out, "# HELP hvctld_http_requests_total HTTP requests answered, "
                 "by route and status.\n"
                 "# TYPE hvctld_http_requests_total counter\n");
    for (size_t i = 0; i <= routes_count; i++) {
        route_labels(i, labels, sizeof(labels));
        for (size_t c = 0; c < NCODES; c++) {
            if (!mt->r[i].count[c])
                continue;
            if (c < ARRAY_SIZE(codes))
                sb_printf(out, "hvctld_http_requests_total{%s,code=\"%d\"} "
                          "%llu\n", labels, codes[c],
                          (unsigned long long)mt->r[i].count[c]);
            else
                sb_printf(out, "hvctld_http_requests_total{%s,code=\"other\"}"
                          " %llu\n", labels,
                          (unsigned long long)mt->r[i].count[c]);
        }
    }
    sb_puts(out, "# HELP hvctld_http_request_duration_seconds Time from "
                 "request to reply, by route.\n"
                 "# TYPE hvctld_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= routes_count; i++) {
        uint64_t cum = 0;
        if (!mt->r[i].total)
            continue;
        route_labels(i, labels, sizeof(labels));
        for (size_t b = 0; b < NBUCKETS; b++) {
            cum += mt->r[i].bucket[b];
            sb_printf(out, "hvctld_http_request_duration_seconds_bucket{%s,"
                      "le=\"%g\"} %llu\n", labels, (double)bounds_us[b] / 1e6,
                      (unsigned long long)cum);
        }
        sb_printf(out, "hvctld_http_request_duration_seconds_bucket{%s,"
                  "le=\"+Inf\"} %llu\n", labels,
                  (unsigned long long)mt->r[i].total);
        sb_printf(out, "hvctld_http_request_duration_seconds_sum{%s} %.9f\n",
                  labels, (double)mt->r[i].sum_ns / 1e9);
        sb_printf(out, "hvctld_http_request_duration_seconds_count{%s} "
                  "%llu\n", labels, (unsigned long long)mt->r[i].total);
    }
}

#define GAUGE(name, help) \
    sb_puts(out, "# HELP " name " " help "\n# TYPE " name " gauge\n")
#define COUNTER(name, help) \
    sb_puts(out, "# HELP " name " " help "\n# TYPE " name " counter\n")

static void format_domains(struct agent *a, struct strbuf *out)
{
    static const int states[] = { HV_STATE_SHUTOFF, HV_STATE_RUNNING,
                                  HV_STATE_PAUSED, HV_STATE_SHUTDOWN,
                                  HV_STATE_CRASHED };
    const struct domtable *t = &a->doms;

    GAUGE("hvctl_domain_state", "1 for the state the domain is in.");
    for (size_t i = 0; i < t->n; i++)
        for (size_t s = 0; s < ARRAY_SIZE(states); s++)
            sb_printf(out, "hvctl_domain_state{domain=\"%s\",uuid=\"%s\","
                      "state=\"%s\"} %d\n", t->v[i]->name, t->v[i]->uuid,
                      dom_state_name(states[s]),
                      dom_shown_state(t->v[i]) == states[s]);
    GAUGE("hvctl_domain_autostart", "1 if the domain starts with the host.");
    for (size_t i = 0; i < t->n; i++)
        sb_printf(out, "hvctl_domain_autostart{domain=\"%s\"} %d\n",
                  t->v[i]->name, t->v[i]->autostart);

#define PER_RUNNING(expr, fmt)                                               \
    for (size_t i = 0; i < t->n; i++) {                                      \
        const struct dom *d = t->v[i];                                       \
        if (d->state == DOM_SHUTOFF || !d->have_info)                        \
            continue;                                                        \
        sb_printf(out, "%s{domain=\"%s\"} " fmt "\n", metric, d->name, expr); \
    }
    const char *metric;

    GAUGE("hvctl_domain_memory_current_bytes", "Memory the guest has now.");
    metric = "hvctl_domain_memory_current_bytes";
    PER_RUNNING((unsigned long long)d->info.mem_current_kib * 1024, "%llu");
    GAUGE("hvctl_domain_memory_target_bytes", "Balloon target.");
    metric = "hvctl_domain_memory_target_bytes";
    PER_RUNNING((unsigned long long)d->info.mem_target_kib * 1024, "%llu");
    GAUGE("hvctl_domain_memory_max_bytes", "Most memory the guest may have.");
    metric = "hvctl_domain_memory_max_bytes";
    PER_RUNNING((unsigned long long)d->info.mem_max_kib * 1024, "%llu");
    GAUGE("hvctl_domain_vcpus_online", "vCPUs online.");
    metric = "hvctl_domain_vcpus_online";
    PER_RUNNING(d->info.vcpus_online, "%u");
    COUNTER("hvctl_domain_cpu_seconds_total", "vCPU time used, all vCPUs.");
    metric = "hvctl_domain_cpu_seconds_total";
    PER_RUNNING((double)d->info.cpu_time_ns / 1e9, "%.6f");
    GAUGE("hvctl_domain_uptime_seconds", "Time since the domain started.");
    metric = "hvctl_domain_uptime_seconds";
    PER_RUNNING((double)d->info.uptime_ns / 1e9, "%.3f");
    COUNTER("hvctl_domain_boots_total", "Boots, the first one included.");
    metric = "hvctl_domain_boots_total";
    PER_RUNNING(d->info.boot_count, "%u");
#undef PER_RUNNING
}

void metrics_format(struct metrics *mt, struct agent *a, struct strbuf *out)
{
    format_domains(a, out);
    GAUGE("hvctl_domains_defined", "Domains with a stored definition.");
    sb_printf(out, "hvctl_domains_defined %zu\n",
              domtable_count_defined(&a->doms));
    GAUGE("hvctl_domains_running", "Domains with a running hvcore.");
    sb_printf(out, "hvctl_domains_running %zu\n",
              domtable_count_running(&a->doms));
    GAUGE("hvctld_jobs_running", "Long operations in progress.");
    sb_printf(out, "hvctld_jobs_running %zu\n", jobs_running(a->jobs));
    GAUGE("hvctld_worker_queue", "Operations queued or running on workers.");
    sb_printf(out, "hvctld_worker_queue %zu\n", workers_pending(a->workers));
    GAUGE("hvctld_start_time_seconds", "When this hvctld started.");
    sb_printf(out, "hvctld_start_time_seconds %.3f\n",
              (double)a->started_ms / 1e3);
    format_requests(mt, out);
}
