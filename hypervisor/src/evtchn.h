/*
 * evtchn.h - event channels and upcalls (the guest's interrupts).
 */
#ifndef HVCORE_EVTCHN_H
#define HVCORE_EVTCHN_H

#include <stdint.h>

struct domain;
struct vcpu;
struct kvm_regs;

enum { EVT_FREE = 0, EVT_VIRQ, EVT_IPI, EVT_DEVICE };

/* Forget every binding and the upcall entry (boot and reboot). */
void evtchn_reset(struct domain *d);

/* HC_evtchn_op for vCPU v; regs are the live registers (upcall_return
 * replaces them).  Returns the hypercall result. */
int64_t evtchn_op(struct vcpu *v, struct kvm_regs *regs, uint64_t op,
                  uint64_t a0, uint64_t a1);

/* Raise the port bound to virq (for VIRQ_TIMER: on vcpu); no-op if unbound.
 * Any thread. */
void evtchn_raise_virq(struct domain *d, unsigned virq, unsigned vcpu);
/* The same with dom->lock held. */
void evtchn_raise_virq_locked(struct domain *d, unsigned virq, unsigned vcpu);

/* A device queue's port (DEVOP_setup_queue), notifying vcpu: the port,
 * or -HVE_NOSPC.  Close it again (if the guest has not closed it itself).
 * Raise it (the back end completed; a port the guest closed is left
 * alone).  All with dom->lock held. */
int evtchn_bind_device_locked(struct domain *d, unsigned vcpu);
void evtchn_close_device_locked(struct domain *d, unsigned port);
void evtchn_raise_device_locked(struct domain *d, unsigned port);

/*
 * If vCPU v has an upcall due (pending, not masked, entry registered),
 * save regs in its upcall frame and redirect regs to the entry point.
 * Returns 1 if regs were changed.  Called by the vCPU thread itself.
 */
int evtchn_deliver_upcall(struct vcpu *v, struct kvm_regs *regs);

#endif /* HVCORE_EVTCHN_H */
