/*
 * bench_linux.c - issue 12's benchmarks (make bench-linux), printed as one
 * markdown table of medians: Debian's cloud kernel with the tests' busybox
 * initramfs (linux_fetch.sh, linux_initramfs.c) booted under QEMU's
 * software emulator (TCG, the way a host without VT-x runs Linux today)
 * and under hvcore, in the same run:
 *   1. boot: from the start of the process to the shell's first prompt on
 *      the host's clock, and the guest's own uptime then (/proc/uptime);
 *   2. fork+exec: a shell loop of 2000 /bin/true (busybox, by its full
 *      path so that each is an exec), timed by the host from the command
 *      to its end marker; for hvcore also the exits per fork+exec
 *      (hv_domctl_info.exits, and KVM's own count, kvm_exits);
 *   3. CPU: a busybox awk loop sized to take ~2 s on the host, timed by
 *      the guest's clock, against the same busybox binary on the host.
 * Each run boots each hypervisor once; the host's loop runs before QEMU's
 * and before each of hvcore's HVCORE_CPU_ROUNDS loops, so that what else
 * the machine does weighs on all alike; BENCH_RUNS runs (3 by default), medians; BENCH_ONLY=tcg,hvcore
 * (either) boots only that one.
 * A hypervisor whose guest does not reach its prompt is reported as not
 * booting (hvcore until it boots Linux) and not tried again; a guest that
 * boots but whose measurement fails is no figure, and the bench exits 1.
 * Exit 77 where the packages cannot be fetched.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_linux.h"
#include "harness.h"
#include "linux_fetch.h"
#include "linux_initramfs.h"

#define CPU_HOST_S        2.0      /* the awk loop's length on the host   */
#define HVCORE_CPU_ROUNDS 7        /* hvcore's loops a run, host's between */
#define CALIBRATE_FIRST_N 1000000L
#define CALIBRATE_MIN_S   0.2

/* The targets of issue 12. */
#define TARGET_BOOT_RATIO 0.5
#define TARGET_CPU_RATIO  1.1

static const enum lg_hv sides[] = { LG_QEMU, LG_HVCORE };
#define NR_SIDES (sizeof(sides) / sizeof(sides[0]))

static struct linux_figs figs[NR_SIDES];
static struct fig cpu_host;
/* Each hvcore CPU figure over the mean of the host figures taken just
 * before and just after it (host_once). */
static struct fig cpu_paired;
static double last_host = -1;       /* the latest host figure, or -1     */
static int hvcore_paired;           /* hvcore CPU figures paired so far   */
static char why_not[NR_SIDES][600];   /* why a side has no figures       */
static bool not_booting[NR_SIDES];
static int failures;

/* The awk program that sums n squares. */
static void awk_prog(char *buf, size_t len, long n)
{
    snprintf(buf, len, "BEGIN{s=0;for(i=0;i<%ld;i++)s+=i*i;print s}", n);
}

/* Run busybox awk prog on the host: its wall time in s (or -1), its
 * output's first word in answer. */
static double host_awk(const char *busybox, const char *prog, char *answer, size_t len)
{
    char cmd[PATH_MAX + 256], out[128] = "";
    uint64_t t0 = ms_now();
    FILE *p;

    snprintf(cmd, sizeof(cmd), "'%s' awk '%s'", busybox, prog);
    p = popen(cmd, "r");
    if (!p)
        return -1;
    if (!fgets(out, sizeof(out), p))
        out[0] = '\0';
    if (pclose(p) != 0 || !out[0])
        return -1;
    snprintf(answer, len, "%.*s", (int)strcspn(out, " \n"), out);
    return (double)(ms_now() - t0) / 1000;
}

/* One host figure for the CPU loop.  This machine's speed drifts by 20%
 * and more within a minute, so host figures are taken in turn with
 * hvcore's (HVCORE_CPU_ROUNDS of each a run, struct linux_bench), whose
 * loop is short, and once before QEMU's 50-s loop: the medians compare
 * figures from the same stretches of time.  Each hvcore figure taken
 * since the last host figure is also divided by the mean of that host
 * figure and this one, the two taken on either side of it: a ratio that
 * slow drift cancels out of (cpu_paired).  0, or -1 (counted as a
 * failure). */
static int host_once(const char *busybox, const char *prog, char *answer, size_t len)
{
    const struct fig *hv = &figs[1].cpu_s;
    double t = host_awk(busybox, prog, answer, len);

    if (t < 0) {
        failures++;
        last_host = -1;
        hvcore_paired = hv->n;
        return -1;
    }
    fig_add(&cpu_host, t);
    printf("  host     CPU loop %6.2f s\n", t);
    if (hv->n == hvcore_paired + 1 && last_host > 0)
        fig_add(&cpu_paired, hv->v[hv->n - 1] / ((last_host + t) / 2));
    hvcore_paired = hv->n;
    last_host = t;
    return 0;
}

/* The loop's n for ~CPU_HOST_S on the host, or -1. */
static long calibrate(const char *busybox)
{
    char prog[128], answer[128];
    long n = CALIBRATE_FIRST_N;
    double t;

    for (;;) {
        awk_prog(prog, sizeof(prog), n);
        t = host_awk(busybox, prog, answer, sizeof(answer));
        if (t < 0)
            return -1;
        if (t >= CALIBRATE_MIN_S)
            break;
        n *= 10;
    }
    return (long)((double)n * CPU_HOST_S / t);
}

/* What host_loop needs (struct linux_bench). */
struct host_loop_ctx {
    const char *busybox, *prog;
    char *answer;
    size_t len;
};

static void host_loop(void *ctx)
{
    struct host_loop_ctx *c = ctx;

    (void)host_once(c->busybox, c->prog, c->answer, c->len);
}

static void side_once(size_t k, const struct linux_bench *b)
{
    char why[512];
    int r;

    if (not_booting[k])
        return;
    r = bench_linux_run(sides[k], b, &figs[k], why, sizeof(why));
    if (r == 1) {
        not_booting[k] = true;
        snprintf(why_not[k], sizeof(why_not[k]), "does not boot yet: %s", why);
        printf("  %-8s %s\n", lg_hv_name(sides[k]), why_not[k]);
    } else if (r < 0) {
        failures++;
        snprintf(why_not[k], sizeof(why_not[k]), "a measurement failed: %s", why);
        fprintf(stderr, "bench-linux: FAILED: %s: %s\n", lg_hv_name(sides[k]), why);
    }
}

static void table(int runs, long n, const char *release, const char *load_before)
{
    const struct linux_figs *t = &figs[0], *h = &figs[1];
    char what[128];

    bench_table_head("issue 12: Debian's kernel as a guest (medians)");
    bench_heading("boot to the shell's first prompt");
    bench_row("  QEMU TCG, host clock (s)", &t->boot_s, "s", 2, NULL, AT_MOST, 0);
    bench_row("  QEMU TCG, guest uptime then (s)", &t->uptime_s, "s", 2, NULL, AT_MOST, 0);
    bench_row("  hvcore, host clock (s)", &h->boot_s, "s", 2, NULL, AT_MOST, 0);
    bench_row("  hvcore, guest uptime then (s)", &h->uptime_s, "s", 2, NULL, AT_MOST, 0);
    bench_ratio_row("  hvcore / QEMU TCG (host clock)", &h->boot_s, &t->boot_s, "<= 0.5x TCG",
                    AT_MOST, TARGET_BOOT_RATIO);
    snprintf(what, sizeof(what), "%d fork+exec of /bin/true (busybox sh loop)", BENCH_FORKS);
    bench_heading(what);
    bench_row("  QEMU TCG, per fork+exec (ms)", &t->fork_ms, "ms", 3, NULL, AT_MOST, 0);
    bench_row("  hvcore, per fork+exec (ms)", &h->fork_ms, "ms", 3, NULL, AT_MOST, 0);
    bench_row("  hvcore, exits to hvcore per fork+exec", &h->fork_exits, "", 1, NULL,
              AT_MOST, 0);
    bench_row("  hvcore, KVM exits per fork+exec (all kinds)", &h->fork_kvm_exits, "", 1,
              NULL, AT_MOST, 0);
    bench_ratio_row("  hvcore / QEMU TCG", &h->fork_ms, &t->fork_ms, NULL, AT_MOST, 0);
    snprintf(what, sizeof(what), "CPU: busybox awk, %ld squares summed", n);
    bench_heading(what);
    bench_row("  host, the same busybox (s)", &cpu_host, "s", 2, NULL, AT_MOST, 0);
    bench_row("  QEMU TCG, guest clock (s)", &t->cpu_s, "s", 2, NULL, AT_MOST, 0);
    bench_row("  hvcore, guest clock (s)", &h->cpu_s, "s", 2, NULL, AT_MOST, 0);
    bench_ratio_row("  QEMU TCG / host", &t->cpu_s, &cpu_host, NULL, AT_MOST, 0);
    bench_ratio_row("  hvcore / host", &h->cpu_s, &cpu_host, NULL, AT_MOST, 0);
    bench_row("  hvcore / host, each over the hosts beside it", &cpu_paired, "x", 3,
              "<= 1.1x host", AT_MOST, TARGET_CPU_RATIO);
    printf("\n%d runs; kernel %s, 1 vCPU, 256 MiB, \"console=ttyS0|hvc0 quiet\"; "
           "QEMU -accel tcg -cpu max; load average before %s, after %s\n", runs, release,
           load_before, bench_load_avg());
    for (size_t k = 0; k < NR_SIDES; k++)
        if (why_not[k][0])
            printf("%s: %s\n", lg_hv_name(sides[k]), why_not[k]);
}

int main(void)
{
    const char *env = getenv("BENCH_RUNS");
    int runs = env && *env ? atoi(env) : 3;
    char why[1024], workdir[64] = "/tmp/hvbench-linux.XXXXXX", prog[128], answer[128];
    char load_before[32], rm[128];
    struct linux_kit kit;
    struct linux_initrd initrd;
    struct linux_bench b;
    long n;
    int r;

    if (!getenv("HVCORE")) {
        fprintf(stderr, "bench-linux: set HVCORE (make bench-linux does)\n");
        return 2;
    }
    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "bench-linux: BENCH_RUNS must be 1..%d\n", MAX_RUNS);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    r = linux_fetch(&kit, why, sizeof(why));
    if (r) {
        fprintf(stderr, "bench-linux: %s%s\n", r == LINUX_FETCH_SKIP ? "SKIP: " : "", why);
        return r == LINUX_FETCH_SKIP ? 77 : 1;
    }
    if (!mkdtemp(workdir)) {
        fprintf(stderr, "bench-linux: mkdtemp %s: %s\n", workdir, strerror(errno));
        return 1;
    }
    if (linux_initramfs(kit.busybox, workdir, &initrd, why, sizeof(why)) < 0) {
        fprintf(stderr, "bench-linux: %s\n", why);
        failures++;
        goto out;
    }
    n = calibrate(kit.busybox);
    if (n < 0) {
        fprintf(stderr, "bench-linux: %s awk does not run on the host\n", kit.busybox);
        failures++;
        goto out;
    }
    awk_prog(prog, sizeof(prog), n);
    b = (struct linux_bench){ .vmlinuz = kit.vmlinuz, .initrd = initrd.gz, .awk_prog = prog,
                              .awk_answer = answer };
    if (!kvm_usable()) {
        not_booting[1] = true;
        snprintf(why_not[1], sizeof(why_not[1]), "/dev/kvm is not usable here");
    }
    snprintf(load_before, sizeof(load_before), "%s", bench_load_avg());
    struct host_loop_ctx hctx = { kit.busybox, prog, answer, sizeof(answer) };
    for (int i = 0; i < runs; i++) {
        printf("run %d/%d\n", i + 1, runs);
        for (size_t k = 0; k < NR_SIDES; k++) {
            if (!bench_wanted(sides[k] == LG_QEMU ? "tcg" : "hvcore"))
                continue;
            struct linux_bench side = b;
            if (sides[k] == LG_QEMU) {
                host_loop(&hctx);
            } else {
                side.cpu_rounds = HVCORE_CPU_ROUNDS;
                side.host_loop = host_loop;
                side.host_ctx = &hctx;
            }
            side_once(k, &side);
        }
        host_loop(&hctx);
    }
    table(runs, n, kit.release, load_before);
out:
    snprintf(rm, sizeof(rm), "rm -rf '%s'", workdir);
    (void)!system(rm);
    if (failures)
        fprintf(stderr, "bench-linux: %d measurements failed\n", failures);
    return failures ? 1 : 0;
}
