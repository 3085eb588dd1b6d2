/*
 * hypercall.h - calling hvcore through its hypercall page.
 *
 * The ABI (public/hypercall.h): "call HV_HYPERCALL_PAGE + N * 32" with the
 * arguments in rdi, rsi, rdx, r10, r8 and the result in rax; every other
 * register survives.  So rax is the only output and the argument registers
 * are plain inputs.  "memory" because hvcore reads and writes guest memory
 * (console buffers, the shared pages) during the call.
 *
 * The call pushes a return address below rsp.  The compiler may keep live
 * data in the 128-byte red zone there (we build with the red zone), so the
 * asm steps over it first; lea leaves the flags alone.
 */
#ifndef PVBOOT_HYPERCALL_H
#define PVBOOT_HYPERCALL_H

#include <stdint.h>

#include "public/errno.h"
#include "public/hypercall.h"
#include "public/layout.h"

/* Call the stub at address stub (hostile.c also calls this directly). */
static inline long hypercall_stub(uint64_t stub, uint64_t a1, uint64_t a2,
                                  uint64_t a3, uint64_t a4, uint64_t a5)
{
    register uint64_t r10 __asm__("r10") = a4;
    register uint64_t r8 __asm__("r8") = a5;
    uint64_t ret = stub;

    __asm__ volatile("lea -128(%%rsp), %%rsp\n\t"
                     "call *%%rax\n\t"
                     "lea 128(%%rsp), %%rsp"
                     : "+a"(ret)
                     : "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
                     : "memory", "cc");
    return (long)ret;
}

static inline long hypercall(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3,
                             uint64_t a4, uint64_t a5)
{
    return hypercall_stub(HV_HYPERCALL_PAGE + (uint64_t)nr * HV_HYPERCALL_STUB_SIZE,
                          a1, a2, a3, a4, a5);
}

static inline long hc_console_io(unsigned op, uint64_t len, const void *buf)
{
    return hypercall(HC_console_io, op, len, (uint64_t)(uintptr_t)buf, 0, 0);
}

static inline long hc_set_timer(uint64_t deadline_ns)
{
    return hypercall(HC_set_timer, deadline_ns, 0, 0, 0, 0);
}

static inline long hc_sched_op(unsigned op, uint64_t arg)
{
    return hypercall(HC_sched_op, op, arg, 0, 0, 0);
}

static inline long hc_evtchn_op(unsigned op, uint64_t a0, uint64_t a1)
{
    return hypercall(HC_evtchn_op, op, a0, a1, 0, 0);
}

static inline long hc_vcpu_op(unsigned op, uint64_t vcpu, uint64_t arg)
{
    return hypercall(HC_vcpu_op, op, vcpu, arg, 0, 0);
}

static inline long hc_memory_op(unsigned op, uint64_t first_pfn, uint64_t nr_pages)
{
    return hypercall(HC_memory_op, op, first_pfn, nr_pages, 0, 0);
}

static inline long hc_abi_version(void)
{
    return hypercall(HC_abi_version, 0, 0, 0, 0, 0);
}

#endif /* PVBOOT_HYPERCALL_H */
