/*
 * guest_time.h - the guest's system time and its one-shot timers.
 *
 * System time is nanoseconds since the domain booted: CLOCK_MONOTONIC
 * minus boot_mono_ns, in modular (uint64_t) arithmetic.  A restored or
 * migrated domain continues its system time from where it left (moved
 * forward by the gap, docs/guest-abi.md), so its boot_mono_ns may lie
 * "before" this host's monotonic zero: it wraps, and every difference
 * still comes out right.  Never compare boot_mono_ns with a clock
 * reading; subtract.
 */
#ifndef HVCORE_GUEST_TIME_H
#define HVCORE_GUEST_TIME_H

#include <stdint.h>

struct domain;

/* The guest's system time now. */
uint64_t guest_time_now(const struct domain *d);

struct vcpu;

/*
 * Arm v's one-shot timer to fire when system time reaches deadline_ns (0
 * disarms; a deadline in the past fires at once; one beyond ~30 years is
 * held there), and remember it in v->timer_deadline.  0 or -HVE_INVAL.
 */
int guest_timer_arm(struct vcpu *v, uint64_t deadline_ns);

/*
 * v's timer expired (its timer_fd was read): raise VIRQ_TIMER on v and
 * forget the deadline, together under dom->lock, so that whoever looks
 * under the lock sees either the deadline or the pending event.
 */
void guest_timer_fired(struct vcpu *v);

/*
 * Make system time read system_ns now (a domain arriving from a stream):
 * sets boot_mono_ns and rewrites every vCPU's pvclock record.
 */
void guest_time_set(struct domain *d, uint64_t system_ns);

#endif /* HVCORE_GUEST_TIME_H */
