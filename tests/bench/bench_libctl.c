/*
 * bench_libctl.c - libhvctl benchmarks for `make bench` (issue 3).
 * Each figure is the median of at least 20 runs, printed as a table with
 * the target next to it.  The runtime directory is on a tmpfs
 * where there is one, as /run/hvctl is (bench_dir.h).
 *
 *   create       hv_domain_create until the guest runs     <= 10 ms
 *   pause+unpause  one round trip of each                   <= 50 us
 *   list/100     hv_domain_list with 100 running domains    <= 5 ms
 *   create rate  domains created per second by 2 threads    >= 50 /s
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_harness.h"
#include "bench_dir.h"

static struct harness H;

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* `shell` waits for console input: an idle guest, as most domains of a
 * host are; 100 busy `counter` guests would saturate a small machine and
 * measure its scheduler instead of libhvctl. */
static hv_domain *create(const char *name)
{
    hv_config *c = harness_config(&H, name, "shell");
    hv_domain *d = NULL;

    if (!c || hv_domain_create(H.conn, c, 0, &d)) {
        fprintf(stderr, "bench: create %s: %s\n", name, hv_last_error());
        exit(1);
    }
    hv_config_free(c);
    return d;
}

static void destroy(hv_domain *d)
{
    if (hv_domain_destroy(d, 0)) {
        fprintf(stderr, "bench: destroy: %s\n", hv_last_error());
        exit(1);
    }
    hv_domain_free(d);
}

#define RUNS 30

static double bench_create(void)
{
    double t[RUNS];

    for (int i = 0; i < RUNS; i++) {
        double t0 = harness_now_ms();
        hv_domain *d = create("bench-create");
        t[i] = harness_now_ms() - t0;
        destroy(d);
    }
    return median(t, RUNS);
}

static double bench_pause(void)
{
    enum { N = 500 };
    static double t[N];
    hv_domain *d = create("bench-pause");

    for (int i = 0; i < N; i++) {
        double t0 = harness_now_ms();
        if (hv_domain_pause(d, 0) || hv_domain_unpause(d, 0)) {
            fprintf(stderr, "bench: pause: %s\n", hv_last_error());
            exit(1);
        }
        t[i] = (harness_now_ms() - t0) * 1000.0;
    }
    destroy(d);
    return median(t, N);
}

static double bench_list(void)
{
    enum { DOMS = 100 };
    static hv_domain *d[DOMS];
    double t[RUNS];
    char name[32];

    for (int i = 0; i < DOMS; i++) {
        snprintf(name, sizeof(name), "bench-list-%d", i);
        d[i] = create(name);
    }
    for (int i = 0; i < RUNS; i++) {
        hv_domlist *l;
        double t0 = harness_now_ms();
        if (hv_domain_list(H.conn, &l)) {
            fprintf(stderr, "bench: list: %s\n", hv_last_error());
            exit(1);
        }
        t[i] = harness_now_ms() - t0;
        if (hv_domlist_count(l) != DOMS) {
            fprintf(stderr, "bench: list saw %zu domains, not %d\n",
                    hv_domlist_count(l), DOMS);
            exit(1);
        }
        hv_domlist_free(l);
    }
    for (int i = 0; i < DOMS; i++)
        destroy(d[i]);
    return median(t, RUNS);
}

enum { PER_THREAD = 10 };

struct rate_arg {
    int thread, run;
    hv_domain *d[PER_THREAD];
};

static void *rate_worker(void *p)
{
    struct rate_arg *a = p;
    char name[48];

    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(name, sizeof(name), "bench-rate-%d-%d-%d", a->run, a->thread,
                 i);
        a->d[i] = create(name);
    }
    return NULL;
}

static double bench_rate(void)
{
    enum { RATE_RUNS = 20 };
    double r[RATE_RUNS];

    for (int run = 0; run < RATE_RUNS; run++) {
        struct rate_arg a[2];
        pthread_t t[2];
        double t0 = harness_now_ms(), ms;

        for (int k = 0; k < 2; k++) {
            a[k].thread = k;
            a[k].run = run;
            pthread_create(&t[k], NULL, rate_worker, &a[k]);
        }
        for (int k = 0; k < 2; k++)
            pthread_join(t[k], NULL);
        ms = harness_now_ms() - t0;
        r[run] = 2.0 * PER_THREAD / (ms / 1000.0);
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < PER_THREAD; i++)
                destroy(a[k].d[i]);
    }
    return median(r, RATE_RUNS);
}

int main(void)
{
    char why[256];
    double create_ms, pause_us, list_ms, rate;

    if (!harness_can_run(why, sizeof(why))) {
        printf("bench_libctl: skipped: %s\n", why);
        return 0;
    }
    if (harness_open_in(&H, bench_dir(), "bench")) {
        fprintf(stderr, "bench: %s\n", hv_last_error());
        return 1;
    }
    create_ms = bench_create();
    pause_us = bench_pause();
    list_ms = bench_list();
    rate = bench_rate();
    harness_close(&H);

    printf("libhvctl benchmarks (medians; runtime directory in %s, %s)\n",
           bench_dir(), bench_dir_kind(bench_dir()));
    printf("%-34s %12s %12s %6s\n", "benchmark", "median", "target", "");
    printf("%-34s %9.2f ms %9s ms %6s\n", "hv_domain_create -> running",
           create_ms, "<= 10", create_ms <= 10 ? "ok" : "MISS");
    printf("%-34s %9.1f us %9s us %6s\n", "hv_domain_pause + unpause",
           pause_us, "<= 50", pause_us <= 50 ? "ok" : "MISS");
    printf("%-34s %9.2f ms %9s ms %6s\n", "hv_domain_list, 100 domains",
           list_ms, "<= 5", list_ms <= 5 ? "ok" : "MISS");
    printf("%-34s %9.1f /s %9s /s %6s\n", "create rate, 2 threads", rate,
           ">= 50", rate >= 50 ? "ok" : "MISS");
    return 0;
}
