/*
 * bench.c - guest halves of hvcore's benchmarks (tests/bench/).
 *
 * bench-exits: batches of bare exits (a write to HV_NULL_PORT, which hvcore
 * resumes without looking at the registers) interleaved with batches of
 * the cheapest real hypercall, so both are measured under the same
 * conditions.  Prints one average per batch:
 *     bench: null-exit <ns>
 *     bench: hypercall <ns>
 * bench-timer: arms the one-shot timer 1 ms ahead and blocks, many times;
 * prints how late the vCPU ran again after each deadline:
 *     bench: timer-latency <ns>
 */
#include "hypercall.h"
#include "kernel.h"
#include "printf.h"
#include "time.h"
#include "workloads/workloads.h"

#define BATCHES 30
#define PER_BATCH 500
#define TIMER_SAMPLES 100

static inline void null_exit(void)
{
    __asm__ volatile("outb %%al, %0" : : "i"(HV_NULL_PORT), "a"(0) : "memory");
}

void workload_bench_exits(const char *arg)
{
    (void)arg;
    for (unsigned b = 0; b < BATCHES; b++) {
        uint64_t t0 = time_now_ns();
        for (unsigned i = 0; i < PER_BATCH; i++)
            null_exit();
        uint64_t t1 = time_now_ns();
        for (unsigned i = 0; i < PER_BATCH; i++)
            (void)hc_abi_version();
        uint64_t t2 = time_now_ns();
        kprintf("bench: null-exit %llu\n", (unsigned long long)((t1 - t0) / PER_BATCH));
        kprintf("bench: hypercall %llu\n", (unsigned long long)((t2 - t1) / PER_BATCH));
    }
    domain_shutdown(SHUTDOWN_poweroff);
}

void workload_bench_timer(const char *arg)
{
    (void)arg;
    for (unsigned i = 0; i < TIMER_SAMPLES; i++) {
        uint64_t deadline = time_now_ns() + NS_PER_MS;
        sleep_until(deadline);
        uint64_t late = time_now_ns() - deadline;
        kprintf("bench: timer-latency %llu\n", (unsigned long long)late);
    }
    domain_shutdown(SHUTDOWN_poweroff);
}
