/*
 * smp_report.c - every vCPU reports once: bring-up, per-vCPU stacks and
 * cross-vCPU console output all have to work for the last line to print.
 */
#include "evtchn.h"
#include "kernel.h"
#include "printf.h"
#include "smp.h"
#include "time.h"
#include "workloads/workloads.h"

#define SMP_POLL_NS    NS_PER_MS
#define SMP_TIMEOUT_NS (10 * NS_PER_S)

static unsigned nr_vcpus;
static unsigned reported;
static long wake_port;          /* IPI to vCPU 0; <= 0 if unavailable */

static void report(unsigned id)
{
    kprintf("smp: vcpu %u of %u online\n", id, nr_vcpus);
    __atomic_fetch_add(&reported, 1, __ATOMIC_SEQ_CST);
}

/* On each secondary; it takes itself down when this returns. */
static void secondary(unsigned id)
{
    report(id);
    if (wake_port > 0)
        evtchn_send((unsigned)wake_port);
}

static void wake_event(unsigned port, void *arg)
{
    (void)port;
    (void)arg;                  /* waking vCPU 0 from its block is the point */
}

static bool all_reported(void *arg)
{
    (void)arg;
    return __atomic_load_n(&reported, __ATOMIC_SEQ_CST) >= nr_vcpus;
}

void workload_smp(const char *arg)
{
    (void)arg;
    nr_vcpus = start_info->max_vcpus;
    if (nr_vcpus == 0 || nr_vcpus > HV_MAX_VCPUS)
        panic("smp: start info says %u vCPUs", start_info->max_vcpus);

    /* Secondaries poke vCPU 0 when they have reported; the timer poll is
     * the safety net should an IPI port not be available. */
    wake_port = evtchn_bind_ipi(0, wake_event, NULL);
    report(0);
    for (unsigned id = 1; id < nr_vcpus; id++) {
        long rc = smp_start_vcpu(id, secondary);
        if (rc < 0)
            panic("smp: cannot start vcpu %u: %ld", id, rc);
    }
    if (!wait_event(all_reported, NULL, SMP_POLL_NS, SMP_TIMEOUT_NS))
        panic("smp: only %u of %u vcpus reported",
              __atomic_load_n(&reported, __ATOMIC_SEQ_CST), nr_vcpus);
    kprintf("smp: all %u vcpus reported\n", nr_vcpus);
    domain_shutdown(SHUTDOWN_poweroff);
}
