/*
 * pvclock.c - system time for guests without a hypercall.
 *
 * The guest reads its TSC and scales it with the record in its vcpu_info
 * (the pvclock scheme KVM and Xen use).  The TSC here is invariant
 * (constant and nonstop), so one record per boot is enough; a save/restore
 * or migration writes a new one.
 */
#include <time.h>

#include "hvcore.h"
#include "pvclock.h"

uint64_t now_ns(int clock)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t pvclock_rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

void pvclock_scale(uint64_t tsc_khz, uint32_t *mul, int8_t *shift)
{
    /* mul / 2^32 = ns per (shifted) tick = 1e6 / (tsc_khz * 2^shift) */
    int s = 0;
    unsigned __int128 m;

    if (tsc_khz == 0)
        tsc_khz = 1;
    for (;;) {
        if (s >= 0)
            m = ((unsigned __int128)1000000 << 32) / ((unsigned __int128)tsc_khz << s);
        else
            m = ((unsigned __int128)1000000 << (32 - s)) / tsc_khz;
        if (m >= (1ULL << 32) && s < 31)
            s++;                /* mul too big: pre-scale the delta up   */
        else if (m < (1ULL << 31) && s > -31)
            s--;                /* keep precision: use the top bit of mul */
        else
            break;
    }
    *mul = (uint32_t)m;
    *shift = (int8_t)s;
}

uint64_t pvclock_delta_ns(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

void pvclock_fill(struct hv_pvclock *t, uint64_t tsc_khz, int64_t guest_tsc_offset,
                  uint64_t boot_mono_ns)
{
    volatile struct hv_pvclock *vt = t;
    uint32_t mul;
    int8_t shift;
    uint64_t tsc = pvclock_rdtsc();
    uint64_t mono = now_ns(CLOCK_MONOTONIC);

    pvclock_scale(tsc_khz, &mul, &shift);
    vt->version |= 1;                           /* odd: update in progress */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    vt->tsc_timestamp = tsc + (uint64_t)guest_tsc_offset;
    vt->system_time = mono - boot_mono_ns;      /* modular: guest_time.h */
    vt->tsc_to_system_mul = mul;
    vt->tsc_shift = shift;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    vt->version = vt->version + 1;              /* even: stable */
}
