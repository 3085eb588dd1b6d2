/*
 * shared_info.h - the shared-info page: time, event channels, upcalls.
 *
 * Time (pvclock)
 * --------------
 * System time is nanoseconds since the domain booted.  Each vCPU reads it
 * from its vcpu_info.time record without a hypercall:
 *
 *     do {
 *         v = time->version;            (odd: an update is in progress)
 *         rmb();
 *         delta = rdtsc() - time->tsc_timestamp;
 *         if (time->tsc_shift < 0) delta >>= -time->tsc_shift;
 *         else                     delta <<=  time->tsc_shift;
 *         ns = time->system_time + (delta * time->tsc_to_system_mul) >> 32;
 *         rmb();
 *     } while ((v & 1) || v != time->version);
 *
 * (the multiplication is 64x32 -> 96 bits; keep the top 64).
 *
 * Event channels and upcalls
 * --------------------------
 * A port is raised by setting its bit in evtchn_pending.  If its bit in
 * evtchn_mask is clear, hvcore also sets upcall_pending in the vcpu_info of
 * the vCPU the port is bound to and interrupts that vCPU.  When the vCPU
 * next leaves the hypervisor with upcall_pending set and upcall_mask clear,
 * hvcore saves the interrupted register state in vcpu_info.upcall_frame,
 * sets upcall_mask, and enters the registered upcall entry point with
 * rsp = ((interrupted rsp - 128) & ~15) - 8 (the red zone is preserved and
 * the stack is aligned as after a call).  The handler clears upcall_pending,
 * atomically takes and clears pending & ~mask bits, handles them and leaves
 * with EVTCHNOP_upcall_return, which restores the frame and clears
 * upcall_mask.  Leaving is the guest's business, so a guest may instead
 * restore the frame itself without an exit (pvboot does: it copies the
 * frame below the interrupted red zone, clears upcall_mask, re-checks
 * upcall_pending, then pops the registers and returns with "ret $128").  At boot every upcall_mask is 1 and every port unmasked: a
 * guest registers its entry point, then clears upcall_mask (SCHEDOP_block
 * clears it too).  The guest may also set upcall_mask itself to hold off
 * upcalls (like cli), and must check upcall_pending after clearing it.
 */
#ifndef HV_PUBLIC_SHARED_INFO_H
#define HV_PUBLIC_SHARED_INFO_H

#include "hvabi.h"

struct hv_pvclock {
    uint32_t version;
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time;
    uint32_t tsc_to_system_mul;
    int8_t   tsc_shift;
    uint8_t  pad1[3];
};

/* Register state saved by an upcall, restored by EVTCHNOP_upcall_return. */
struct hv_upcall_frame {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
};

struct hv_vcpu_info {
    uint8_t  upcall_pending;    /* set by hvcore, cleared by the guest       */
    uint8_t  upcall_mask;       /* 1: upcalls held off                       */
    uint8_t  pad0[6];
    struct hv_pvclock time;     /* 32 bytes                                  */
    struct hv_upcall_frame upcall_frame;
};                              /* 184 bytes */

/* Values of shutdown_request. */
#define SHUTDOWN_REQUEST_none     0
#define SHUTDOWN_REQUEST_poweroff 1
#define SHUTDOWN_REQUEST_reboot   2

struct hv_shared_info {
    struct hv_vcpu_info vcpu_info[HV_MAX_VCPUS];
    uint64_t evtchn_pending[HV_NR_EVTCHN / 64];
    uint64_t evtchn_mask[HV_NR_EVTCHN / 64];
    uint32_t shutdown_request;  /* SHUTDOWN_REQUEST_*, with VIRQ_SHUTDOWN    */
    uint32_t pad0;
    uint64_t mem_target_kib;    /* balloon target (set at boot: --memory),
                                   changes come with VIRQ_BALLOON           */
};                              /* fits one page: checked by hvcore */

#endif /* HV_PUBLIC_SHARED_INFO_H */
