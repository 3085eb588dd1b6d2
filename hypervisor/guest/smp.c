/*
 * smp.c - per-vCPU data and secondary vCPU bring-up.
 */
#include "evtchn.h"
#include "hypercall.h"
#include "kernel.h"
#include "smp.h"

struct vcpu vcpus[HV_MAX_VCPUS];

/* 16-byte aligned as the SysV ABI wants a stack top to be. */
_Alignas(16) unsigned char vcpu_stacks[HV_MAX_VCPUS][VCPU_STACK_SIZE];

void smp_init(void)
{
    for (unsigned i = 0; i < HV_MAX_VCPUS; i++)
        vcpus[i].id = i;
}

uint64_t smp_boot_context(unsigned id, void (*fn)(unsigned id))
{
    struct vcpu *v = &vcpus[id];

    ASSERT(id > 0 && id < HV_MAX_VCPUS);
    v->entry = fn;
    v->ctx.rip = (uint64_t)(uintptr_t)secondary_entry;
    v->ctx.rsp = vcpu_stack_top(id);
    v->ctx.rdi = id;
    v->ctx.rsi = 0;
    /* hvcore copies the context during VCPUOP_up; static storage keeps
     * it valid at least that long. */
    return (uint64_t)(uintptr_t)&v->ctx;
}

long smp_start_vcpu(unsigned id, void (*fn)(unsigned id))
{
    if (id == 0 || id >= HV_MAX_VCPUS || id >= start_info->max_vcpus)
        return -HVE_INVAL;
    return hc_vcpu_op(VCPUOP_up, id, smp_boot_context(id, fn));
}

noreturn void smp_down_self(void)
{
    unsigned id = this_vcpu_id();
    long rc = hc_vcpu_op(VCPUOP_down, id, 0);

    panic("vcpu %u: VCPUOP_down on self returned %ld", id, rc);
}

noreturn void smp_secondary_main(unsigned id)
{
    struct vcpu *v = &vcpus[id];

    /* Upcalls masked, whatever an earlier life of this vCPU left in its
     * vcpu_info: an entry function that wants events calls
     * time_init_vcpu() and irq_enable() itself. */
    irq_save();
    ASSERT(this_vcpu_id() == id);
    if (v->entry)
        v->entry(id);
    smp_down_self();
}
