/*
 * xen_hypercall.h - dispatch of Xen-PV hypercalls, and the ones that are
 * about the vCPU itself: traps, callbacks, stacks, segments, the GDT,
 * iret, multicall.
 */
#ifndef HVCORE_XEN_HYPERCALL_H
#define HVCORE_XEN_HYPERCALL_H

#include <stdint.h>

struct vcpu;

/* Hypercall nr from the guest kernel, arguments in the vCPU's registers.
 * Returns the result for rax; xen_vcpu_of(v)->next says what follows. */
int64_t xen_hypercall(struct vcpu *v, uint64_t nr);

/* The same with the arguments given (rdi rsi rdx r10 r8 r9): the
 * fast-call thread's way in (xen_fastcall.c). */
int64_t xen_hypercall_args(struct vcpu *v, uint64_t nr, const uint64_t a[6]);

/* Drop the vCPU's GDT frames (a reboot, or VCPUOP_down). */
void xen_gdt_release(struct vcpu *v);

#endif /* HVCORE_XEN_HYPERCALL_H */
