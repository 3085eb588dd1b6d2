/*
 * bench_linux.h - one run of issue 12's Linux benchmarks under one
 * hypervisor (bench_linux_run.c), for bench_linux.c's table.
 */
#ifndef HVCORE_BENCH_LINUX_H
#define HVCORE_BENCH_LINUX_H

#include <stddef.h>

#include "bench_table.h"
#include "linux_guest.h"

#define BENCH_FORKS 2000          /* fork+exec of /bin/true per run       */

/* The figures of one hypervisor, one sample a run. */
struct linux_figs {
    struct fig boot_s;            /* start to the first prompt, host clock */
    struct fig uptime_s;          /* the guest's /proc/uptime just after   */
    struct fig fork_ms;           /* per fork+exec, host clock             */
    struct fig fork_exits;        /* hvcore: exits to hvcore per fork+exec */
    struct fig fork_kvm_exits;    /* hvcore: KVM's exits per fork+exec     */
    struct fig cpu_s;             /* the awk loop, guest clock             */
};

/* What every run boots and runs. */
struct linux_bench {
    const char *vmlinuz, *initrd;
    const char *awk_prog;         /* the CPU-bound program, for awk      */
    const char *awk_answer;       /* what it prints on the host          */
    /* The CPU loop runs cpu_rounds times (0 counts as 1), each round
     * after one host_loop(host_ctx) where that is set: guest and host
     * figures taken in turn, as this machine's speed drifts. */
    unsigned cpu_rounds;
    void (*host_loop)(void *host_ctx);
    void *host_ctx;
};

/* Boot the kit under hv, measure, power it off; the figures go into f.
 * 0; 1 if the guest did not boot to its prompt; -1 if a measurement
 * failed.  Unless 0, one line in why. */
int bench_linux_run(enum lg_hv hv, const struct linux_bench *b, struct linux_figs *f,
                    char *why, size_t why_len);

#endif /* HVCORE_BENCH_LINUX_H */
