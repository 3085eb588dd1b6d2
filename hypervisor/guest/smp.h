/*
 * smp.h - vCPUs: their stacks, per-vCPU data, bring-up and take-down.
 *
 * pvboot has no segment base or per-CPU register it may set from ring 3,
 * so a vCPU finds itself from its stack pointer: every vCPU runs on its own
 * slice of vcpu_stacks[], and upcalls are entered just below the
 * interrupted rsp, still on that slice.
 *
 * Included by start.S: keep the part above __ASSEMBLER__ plain numbers.
 */
#ifndef PVBOOT_SMP_H
#define PVBOOT_SMP_H

#define VCPU_STACK_SIZE 16384

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "public/hvabi.h"
#include "public/hypercall.h"

struct vcpu {
    unsigned id;
    int timer_port;                 /* VIRQ_TIMER port, 0 if not bound  */
    volatile bool timer_fired;      /* set by the timer upcall          */
    void (*entry)(unsigned id);     /* what a secondary runs            */
    struct hv_vcpu_context ctx;     /* handed to VCPUOP_up              */
};

extern struct vcpu vcpus[HV_MAX_VCPUS];
extern unsigned char vcpu_stacks[HV_MAX_VCPUS][VCPU_STACK_SIZE];

static inline unsigned this_vcpu_id(void)
{
    uintptr_t sp;

    __asm__("mov %%rsp, %0" : "=r"(sp));
    uintptr_t off = sp - (uintptr_t)vcpu_stacks;
    /* Off the stacks only before _start loaded one: that is vCPU 0. */
    return off < sizeof(vcpu_stacks) ? (unsigned)(off / VCPU_STACK_SIZE) : 0;
}

static inline struct vcpu *this_vcpu(void)
{
    return &vcpus[this_vcpu_id()];
}

static inline uint64_t vcpu_stack_top(unsigned id)
{
    return (uint64_t)(uintptr_t)vcpu_stacks[id] + VCPU_STACK_SIZE;
}

void smp_init(void);

/* Fill vcpus[id].ctx so that VCPUOP_up runs fn(id) on id's own stack
 * (then VCPUOP_down); returns the context's address. */
uint64_t smp_boot_context(unsigned id, void (*fn)(unsigned id));

/* Start secondary vCPU id running fn(id) on its own stack; when fn returns
 * the vCPU takes itself down.  Returns 0 or the VCPUOP_up error. */
long smp_start_vcpu(unsigned id, void (*fn)(unsigned id));

/* VCPUOP_down on the calling vCPU (not vCPU 0). */
noreturn void smp_down_self(void);

/* Entered from start.S on a secondary vCPU. */
noreturn void smp_secondary_main(unsigned id);

/* Start-of-day entry points in start.S. */
extern char secondary_entry[];
extern char upcall_entry[];

#endif /* __ASSEMBLER__ */
#endif /* PVBOOT_SMP_H */
