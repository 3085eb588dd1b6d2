/*
 * hvcore_bench.c - hvcore's benchmarks (issue 2), printed as a table of
 * medians:
 *   1. spawn hvcore -> pvboot hello -> exit: wall time and peak RSS
 *   2. hypercall round trip vs the bare exit (HV_NULL_PORT), same run
 *   3. domctl pause + unpause round trip
 *   4. event delivery: timer expiry on the host -> guest upcall runs
 * Each figure is the median of >= 20 samples; a sample of 2-4 is itself
 * an average over a batch, so that clock resolution does not matter.
 */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "public/exit_status.h"

#define RUNS 25

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void row(const char *what, double value, const char *unit, const char *note)
{
    printf("| %-44s | %12.2f %-4s | %-40s |\n", what, value, unit, note);
}

/* 1: a whole domain lifetime, measured from outside. */
static void bench_spawn(const char *hvcore, const char *pvboot)
{
    double wall[RUNS], rss[RUNS];
    char rundir[] = "/tmp/hvbench.XXXXXX";

    if (!mkdtemp(rundir))
        return;
    for (int i = 0; i < RUNS; i++) {
        struct rusage ru;
        int st;
        double t0 = now_us();
        pid_t pid = fork();
        if (pid == 0) {
            int null = open("/dev/null", O_RDWR);
            dup2(null, 0);
            dup2(null, 1);
            execl(hvcore, hvcore, "--kernel", pvboot, "--memory", "32", "--cmdline", "hello",
                  "--rundir", rundir, (char *)NULL);
            _exit(127);
        }
        wait4(pid, &st, 0, &ru);
        wall[i] = now_us() - t0;
        rss[i] = ru.ru_maxrss / 1024.0;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != HVCORE_EXIT_OK) {
            fprintf(stderr, "bench: hvcore hello exited with %d\n", st);
            exit(1);
        }
    }
    row("spawn -> pvboot hello -> exit (wall)", median(wall, RUNS) / 1000, "ms", "target <= 5 ms");
    row("  peak RSS (32 MiB guest, pages touched)", median(rss, RUNS), "MiB", "target <= 4 MiB + guest");
    rmdir(rundir);
}

/* Collect "bench: <key> <ns>" lines printed by a pvboot bench workload. */
static int collect(struct dom *d, const char *key, double *out, int max)
{
    int n = 0;
    char pat[64];
    size_t plen = (size_t)snprintf(pat, sizeof(pat), "bench: %s ", key);

    for (const char *p = d->out; p && (p = strstr(p, pat)) && n < max; p += plen)
        out[n++] = strtod(p + plen, NULL);
    return n;
}

/* 2: both loops run inside one guest boot, interleaved batch by batch. */
static void bench_exits(void)
{
    double nul[64], hc[64];
    struct dom *d = dom_start("bench-exits", 32, 1, NULL);

    if (!d || dom_wait_exit(d, 60000) != HVCORE_EXIT_OK) {
        fprintf(stderr, "bench: bench-exits failed: %s\n", d ? d->err : "");
        exit(1);
    }
    int a = collect(d, "null-exit", nul, 64), b = collect(d, "hypercall", hc, 64);
    if (a < 20 || b < 20) {
        fprintf(stderr, "bench: bench-exits printed %d/%d samples:\n%s\n", a, b, d->out);
        exit(1);
    }
    double mn = median(nul, a), mh = median(hc, b);
    row("bare exit round trip (out to null port)", mn / 1000, "us", "same boot as the hypercall row");
    row("hypercall round trip (HC_abi_version)", mh / 1000, "us", "");
    row("  hypercall / bare exit", mh / mn, "x", "target <= 1.2x");
    dom_free(d);
}

/* Put this process and every thread of pid on CPU 0 (or undo: all CPUs). */
static void pin(pid_t pid, bool one_cpu)
{
    cpu_set_t set;
    char path[64];
    struct dirent *e;

    CPU_ZERO(&set);
    if (one_cpu)
        CPU_SET(0, &set);
    else
        for (int c = 0; c < CPU_SETSIZE; c++)
            CPU_SET(c, &set);
    sched_setaffinity(0, sizeof(set), &set);
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    while (dir && (e = readdir(dir)))
        if (e->d_name[0] != '.')
            sched_setaffinity((pid_t)atoi(e->d_name), sizeof(set), &set);
    if (dir)
        closedir(dir);
}

/* A batch of pause+unpause pairs on one open connection: per pair, us. */
static double pause_pairs(struct dom *d, int fd, int batch)
{
    struct hv_domctl_reply rep;
    double t0 = now_us();

    for (int k = 0; k < batch; k++) {
        if (dom_ctl_on(fd, d, HV_DOMCTL_pause, &rep) != 0 ||
            dom_ctl_on(fd, d, HV_DOMCTL_unpause, &rep) != 0) {
            fprintf(stderr, "bench: pause/unpause failed\n");
            exit(1);
        }
    }
    return (now_us() - t0) / batch;
}

/* 3: from the control socket, as libhvctl does it. */
static void bench_pause(void)
{
    double us[RUNS], us_conn[RUNS], us_pinned[RUNS];
    struct dom *d = dom_start("counter", 32, 1, NULL);

    if (!d || !dom_expect(d, "counter 2\n", 5000)) {
        fprintf(stderr, "bench: counter did not start\n");
        exit(1);
    }
    int fd = dom_ctl_open(d);
    for (int i = 0; i < RUNS; i++) {
        const int batch = 200;
        us[i] = pause_pairs(d, fd, batch);
        pin(d->pid, true);
        us_pinned[i] = pause_pairs(d, fd, batch);
        pin(d->pid, false);
        double t0 = now_us();
        for (int k = 0; k < batch; k++) {
            if (dom_ctl_cmd(d, HV_DOMCTL_pause, NULL) != 0 ||
                dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL) != 0) {
                fprintf(stderr, "bench: pause/unpause failed\n");
                exit(1);
            }
        }
        us_conn[i] = (now_us() - t0) / batch;
        dom_drain(d, 5);
    }
    close(fd);
    row("domctl pause + unpause round trip", median(us, RUNS), "us", "target <= 50 us (QMP stop ~257 us)");
    row("  same, client and hvcore on one CPU", median(us_pinned, RUNS), "us", "no cross-CPU wake-up (IPI)");
    row("  same, new connection per request", median(us_conn, RUNS), "us", "");
    dom_free(d);
}

/* 4: the guest arms a timer and measures deadline -> upcall entry. */
static void bench_event(void)
{
    double ns[256];
    struct dom *d = dom_start("bench-timer", 32, 1, NULL);

    if (!d || dom_wait_exit(d, 60000) != HVCORE_EXIT_OK) {
        fprintf(stderr, "bench: bench-timer failed: %s\n", d ? d->err : "");
        exit(1);
    }
    int n = collect(d, "timer-latency", ns, 256);
    if (n < 20) {
        fprintf(stderr, "bench: bench-timer printed %d samples\n", n);
        exit(1);
    }
    row("event delivery: timer expiry -> guest upcall", median(ns, n) / 1000, "us", "blocked vCPU woken by the host");
    dom_free(d);
}

int main(void)
{
    const char *hvcore = getenv("HVCORE"), *pvboot = getenv("PVBOOT");

    if (!hvcore || !pvboot) {
        fprintf(stderr, "bench: set HVCORE and PVBOOT (make bench does)\n");
        return 2;
    }
    if (!kvm_usable())
        return 77;
    printf("| %-44s | %17s | %-40s |\n", "hvcore benchmark (median)", "value", "note");
    printf("|%.46s|%.19s|%.42s|\n", "----------------------------------------------",
           "-------------------", "------------------------------------------");
    bench_spawn(hvcore, pvboot);
    bench_exits();
    bench_pause();
    bench_event();
    return 0;
}
