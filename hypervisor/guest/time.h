/*
 * time.h - system time (pvclock) and sleeping on the one-shot timer.
 *
 * System time is nanoseconds since the domain booted, read from the
 * calling vCPU's pvclock record without an exit.  A vCPU must have called
 * time_init_vcpu() before it sleeps: the timer wakes it through its own
 * VIRQ_TIMER port.
 */
#ifndef PVBOOT_TIME_H
#define PVBOOT_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define NS_PER_US 1000ULL
#define NS_PER_MS 1000000ULL
#define NS_PER_S  1000000000ULL

uint64_t time_now_ns(void);

/* Bind VIRQ_TIMER for the calling vCPU. */
void time_init_vcpu(void);

/* Block until system time reaches deadline_ns.  Events keep being handled
 * meanwhile (shutdown requests, the balloon, console input). */
void sleep_until(uint64_t deadline_ns);
void sleep_ns(uint64_t ns);

/*
 * Block until cond(arg) holds.  cond is evaluated with upcalls masked, so
 * an upcall that makes it true cannot slip in between test and sleep.  If
 * poll_ns is nonzero the vCPU also wakes every poll_ns to re-evaluate it
 * (for conditions no event announces).  If timeout_ns is nonzero, give up
 * after that long.  Returns whether cond became true.
 */
bool wait_event(bool (*cond)(void *), void *arg, uint64_t poll_ns, uint64_t timeout_ns);

#endif /* PVBOOT_TIME_H */
