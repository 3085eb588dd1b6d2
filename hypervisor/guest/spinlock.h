/*
 * spinlock.h - a test-and-test-and-set lock between vCPUs.
 *
 * Take it with upcalls masked (irq_save) whenever an upcall handler could
 * want the same lock, or the handler would spin on the vCPU that holds it.
 * vCPUs are host threads that the host may preempt, so a long wait yields
 * the physical CPU now and then instead of burning it.
 */
#ifndef PVBOOT_SPINLOCK_H
#define PVBOOT_SPINLOCK_H

#include "hypercall.h"
#include "kernel.h"

typedef struct {
    int locked;
} spinlock_t;

#define SPIN_YIELD_EVERY 4096

static inline void spin_lock(spinlock_t *l)
{
    unsigned spins = 0;

    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED)) {
            cpu_relax();
            if (++spins % SPIN_YIELD_EVERY == 0)
                hc_sched_op(SCHEDOP_yield, 0);
        }
    }
}

static inline void spin_unlock(spinlock_t *l)
{
    __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

#endif /* PVBOOT_SPINLOCK_H */
