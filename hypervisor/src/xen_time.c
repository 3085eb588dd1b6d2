/*
 * xen_time.c - the pvclock records and the wallclock of a Xen-PV domain
 * (xen_time.h).
 *
 * The record is pvclock.c's scheme in Xen's layout (a flags byte more):
 * the guest scales its TSC delta since tsc_timestamp with (mul, shift)
 * and adds system_time.  Each write is bracketed by an odd version, and
 * the pages are the guest's: every access is volatile.
 */
#include <time.h>

#include "hvcore.h"
#include "pvclock.h"
#include "xen.h"
#include "xen_time.h"

#define NS_PER_SEC 1000000000ULL

static void fill(volatile struct xen_vcpu_time_info *t, const struct domain *d)
{
    uint32_t mul;
    int8_t shift;
    uint32_t version = t->version | 1;  /* odd: update in progress */

    pvclock_scale(d->tsc_khz, &mul, &shift);
    t->version = version;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint64_t tsc = pvclock_rdtsc();
    uint64_t mono = now_ns(CLOCK_MONOTONIC);
    t->tsc_timestamp = tsc + (uint64_t)d->guest_tsc_offset;
    t->system_time = mono - d->boot_mono_ns;    /* modular: guest_time.h */
    t->tsc_to_system_mul = mul;
    t->tsc_shift = shift;
    t->flags = XEN_PVCLOCK_TSC_STABLE;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    t->version = version + 1;                   /* even: stable */
}

void xen_time_update_vcpu(struct vcpu *v)
{
    fill(&xen_vcpu_info(v)->time, v->dom);
}

/* The wall time at system time 0, in seconds (64 bits: wc_sec and
 * wc_sec_hi) and nanoseconds. */
static void fill_wallclock(struct domain *d)
{
    volatile struct xen_shared_info *sh = xen_shared(d);
    uint64_t real = now_ns(CLOCK_REALTIME);
    uint64_t sys = now_ns(CLOCK_MONOTONIC) - d->boot_mono_ns;
    uint64_t wc = real - sys;
    uint32_t version = sh->wc_version | 1;

    sh->wc_version = version;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    sh->wc_sec = (uint32_t)(wc / NS_PER_SEC);
    sh->wc_sec_hi = (uint32_t)((wc / NS_PER_SEC) >> 32);
    sh->wc_nsec = (uint32_t)(wc % NS_PER_SEC);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    sh->wc_version = version + 1;
}

void xen_time_init(struct domain *d)
{
    fill_wallclock(d);
    for (unsigned i = 0; i < d->max_vcpus && i < HV_MAX_VCPUS; i++)
        xen_time_update_vcpu(&d->vcpu[i]);
}
