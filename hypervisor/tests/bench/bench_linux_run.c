/*
 * bench_linux_run.c - one run of the Linux benchmarks under QEMU TCG or
 * hvcore (bench_linux.h): boot to the prompt, fork+exec, the CPU loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_linux.h"
#include "harness.h"
#include "linux_initramfs.h"

/* The fork+exec loop runs ~15 s under TCG; a guest 20x slower still ends. */
#define LOOP_MS      600000

/* hvcore's two exit counters, or false. */
static bool exits_now(struct lg *g, double *exits, double *kvm_exits)
{
    struct hv_domctl_info info;

    if (g->hv != LG_HVCORE || lg_info(g, &info) != 0)
        return false;
    *exits = (double)info.exits;
    *kvm_exits = info.kvm_exits ? (double)info.kvm_exits : -1;
    return true;
}

static int boot_to_prompt(struct lg *g, struct linux_figs *f, char *why, size_t why_len)
{
    char out[256];
    double up;
    int r;

    if ((r = lc_wait_for(g->con, LINUX_PROMPT, LG_BOOT_MS)) < 0) {
        const char *t = lc_tail(g->con, 200);
        snprintf(why, why_len, "no shell prompt (%s); console ends \"%.*s\"", strerror(-r),
                 (int)strcspn(t, "\n"), t);
        return 1;
    }
    double boot_s = (double)(ms_now() - g->started_ms) / 1000;
    if (lg_run(g, "cat /proc/uptime", out, sizeof(out), LG_CMD_MS) != 0 ||
        sscanf(out, "%lf", &up) != 1) {
        snprintf(why, why_len, "cat /proc/uptime printed \"%.60s\"", out);
        return -1;
    }
    fig_add(&f->boot_s, boot_s);
    fig_add(&f->uptime_s, up);
    printf("  %-8s boot to the prompt %6.2f s (guest uptime %.2f s)\n", lg_hv_name(g->hv),
           boot_s, up);
    return 0;
}

static int fork_exec(struct lg *g, struct linux_figs *f, char *why, size_t why_len)
{
    double e0 = -1, k0 = -1, e1 = -1, k1 = -1;
    bool have = exits_now(g, &e0, &k0);
    char cmd[128];
    uint64_t t0;
    int r;

    /* The full path: ash finds no builtin or applet by that name, so
     * every iteration is a fork and an exec of busybox. */
    snprintf(cmd, sizeof(cmd), "i=0; while [ $i -lt %d ]; do /bin/true; i=$((i+1)); done",
             BENCH_FORKS);
    t0 = ms_now();
    r = lg_run(g, cmd, NULL, 0, LOOP_MS);
    double ms = (double)(ms_now() - t0) / BENCH_FORKS;
    if (r != 0) {
        snprintf(why, why_len, "the fork+exec loop ended with %d", r);
        return -1;
    }
    have = have && exits_now(g, &e1, &k1);
    fig_add(&f->fork_ms, ms);
    if (have) {
        fig_add(&f->fork_exits, (e1 - e0) / BENCH_FORKS);
        if (k0 >= 0 && k1 >= 0)
            fig_add(&f->fork_kvm_exits, (k1 - k0) / BENCH_FORKS);
    }
    printf("  %-8s fork+exec of /bin/true %8.3f ms", lg_hv_name(g->hv), ms);
    if (have)
        printf(", %.1f exits to hvcore and %.1f KVM exits each", (e1 - e0) / BENCH_FORKS,
               k0 >= 0 && k1 >= 0 ? (k1 - k0) / BENCH_FORKS : -1.0);
    printf("\n");
    return 0;
}

static int cpu_loop(struct lg *g, const struct linux_bench *b, struct linux_figs *f,
                    char *why, size_t why_len)
{
    char cmd[512], out[256], sum[128];
    double a, z;

    /* Timed by the guest's own clock, around the program alone. */
    snprintf(cmd, sizeof(cmd), "read a x </proc/uptime; awk '%s'; read b x </proc/uptime; "
             "echo $a $b", b->awk_prog);
    if (lg_run(g, cmd, out, sizeof(out), LOOP_MS) != 0 ||
        sscanf(out, "%127s %lf %lf", sum, &a, &z) != 3) {
        snprintf(why, why_len, "the CPU loop printed \"%.80s\"", out);
        return -1;
    }
    if (strcmp(sum, b->awk_answer)) {
        snprintf(why, why_len, "the CPU loop computed %s, the host %s", sum, b->awk_answer);
        return -1;
    }
    fig_add(&f->cpu_s, z - a);
    printf("  %-8s CPU loop %6.2f s (guest clock)\n", lg_hv_name(g->hv), z - a);
    return 0;
}

int bench_linux_run(enum lg_hv hv, const struct linux_bench *b, struct linux_figs *f,
                    char *why, size_t why_len)
{
    struct lg_opts o = { .hv = hv, .vmlinuz = b->vmlinuz, .initrd = b->initrd };
    struct lg *g = lg_boot(&o, why, why_len);
    int r, status = -1;

    if (!g)
        return 1;
    r = boot_to_prompt(g, f, why, why_len);
    if (r == 0)
        r = fork_exec(g, f, why, why_len);
    for (unsigned i = 0; r == 0 && i < (b->cpu_rounds ? b->cpu_rounds : 1); i++) {
        if (b->host_loop)
            b->host_loop(b->host_ctx);
        r = cpu_loop(g, b, f, why, why_len);
    }
    if (r == 0 && (lc_send(g->con, "poweroff -f\n") < 0 ||
                   lc_wait_exit(g->con, LG_CMD_MS, &status) < 0 || status)) {
        snprintf(why, why_len, "the guest did not power off");
        r = -1;
    }
    if (r < 0)
        fprintf(stderr, "%s\n", lg_story(g));
    lg_free(g);
    return r;
}
