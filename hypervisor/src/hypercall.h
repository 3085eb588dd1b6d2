/*
 * hypercall.h - dispatch of guest hypercalls (the guest ABI's entry).
 */
#ifndef HVCORE_HYPERCALL_H
#define HVCORE_HYPERCALL_H

struct vcpu;

/* What the vCPU loop does after a hypercall. */
enum hc_next {
    HC_CONTINUE,      /* result stored, re-enter the guest        */
    HC_VCPU_DOWN,     /* the vCPU took itself down                */
    HC_DOMAIN_END,    /* the domain is ending (shutdown, crash)   */
};

/* Handle the hypercall vCPU v just trapped with (registers in
 * v->run->s.regs).  Stores the result in rax. */
enum hc_next hypercall_dispatch(struct vcpu *v);

#endif /* HVCORE_HYPERCALL_H */
