/*
 * xen_regs.c - the general registers by their instruction-set number, for
 * the decoders of xen_trap.c and xen_ptwr.c (a file of its own so that
 * their unit tests link it without the vCPU code).
 */
#include <linux/kvm.h>
#include <stdint.h>

#include "xen_vcpu.h"

uint64_t *xen_gpr(struct kvm_regs *r, unsigned n)
{
    uint64_t *const map[16] = {
        (uint64_t *)&r->rax, (uint64_t *)&r->rcx, (uint64_t *)&r->rdx, (uint64_t *)&r->rbx,
        (uint64_t *)&r->rsp, (uint64_t *)&r->rbp, (uint64_t *)&r->rsi, (uint64_t *)&r->rdi,
        (uint64_t *)&r->r8,  (uint64_t *)&r->r9,  (uint64_t *)&r->r10, (uint64_t *)&r->r11,
        (uint64_t *)&r->r12, (uint64_t *)&r->r13, (uint64_t *)&r->r14, (uint64_t *)&r->r15,
    };
    return map[n & 15];
}
