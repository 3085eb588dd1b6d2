/*
 * pvclock.h - the guest's time base: TSC scaling and system time.
 */
#ifndef HVCORE_PVCLOCK_H
#define HVCORE_PVCLOCK_H

#include <stdint.h>

struct hv_pvclock;

/*
 * Compute (mul, shift) so that ns = ((tsc_delta << shift) * mul) >> 32
 * (or >> -shift for a negative shift) for a TSC of tsc_khz.
 */
void pvclock_scale(uint64_t tsc_khz, uint32_t *mul, int8_t *shift);

/* Convert a TSC delta with (mul, shift), as a guest does. */
uint64_t pvclock_delta_ns(uint64_t delta, uint32_t mul, int8_t shift);

/*
 * Write a record: system time (ns since boot_mono_ns on CLOCK_MONOTONIC)
 * at the current guest TSC.  Version is bumped odd, then even.
 */
void pvclock_fill(struct hv_pvclock *t, uint64_t tsc_khz, int64_t guest_tsc_offset,
                  uint64_t boot_mono_ns);

uint64_t pvclock_rdtsc(void);

#endif /* HVCORE_PVCLOCK_H */
