/*
 * xen_trap.h - exceptions of a Xen-PV guest: emulate what Xen emulates for
 * a guest kernel at CPL 3 (the forced-cpuid prefix, MSRs, control
 * registers, port I/O, cli/sti/hlt), bounce the rest to the guest
 * kernel's trap table.
 */
#ifndef HVCORE_XEN_TRAP_H
#define HVCORE_XEN_TRAP_H

#include <stdint.h>

#include "xen.h"

struct vcpu;

/* An exit of an IDT stub: the exception frame is on hvcore's CPL-0
 * stack.  Restores the interrupted guest context, then emulates or
 * bounces.  Says what the vCPU loop does next. */
enum xen_next xen_trap(struct vcpu *v);

/* cpuid as a Xen-PV guest sees it: the host's, minus what a PV kernel at
 * CPL 3 cannot use, plus Xen's leaves at 0x40000000. */
void xen_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif /* HVCORE_XEN_TRAP_H */
