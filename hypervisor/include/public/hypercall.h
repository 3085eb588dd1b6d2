/*
 * hypercall.h - hypercall numbers and calling convention of the pv guest ABI.
 *
 * Calling convention
 * ------------------
 * The guest never traps by itself: hvcore writes a hypercall page at
 * HV_HYPERCALL_PAGE (see layout.h) holding one 32-byte stub per hypercall,
 * like Xen's hypercall page, so the trap instruction is the hypervisor's
 * choice.  A guest calls hypercall N with
 *
 *       call HV_HYPERCALL_PAGE + N * HV_HYPERCALL_STUB_SIZE
 *
 * Arguments go in rdi, rsi, rdx, r10, r8 (the Linux syscall registers with
 * r10 in place of rcx); the result comes back in rax: >= 0 on success, a
 * negated HVE_* code (errno.h) on failure.  Every other register is
 * preserved.  Pointer arguments are guest addresses (== guest physical) and
 * are validated by hvcore: a bad pointer or length returns -HVE_FAULT, an
 * unknown hypercall or sub-operation -HVE_NOSYS, a bad value -HVE_INVAL.
 *
 * Every one of the page's 128 slots holds a stub, so a number hvcore does
 * not implement returns -HVE_NOSYS.
 *
 * HC_dev_notify's stub is different: "mov %edi,%eax; out %eax,$HV_NOTIFY_PORT;
 * xor %eax,%eax; ret" (device.h), a port write that KVM completes in the
 * host kernel when it is a live queue's notification.
 *
 * The current stubs are "mov $N,%eax; out %al,$HV_HYPERCALL_PORT; ret": a
 * port-I/O exit is the cheapest exit a CPL-3 guest has on KVM, including
 * software back ends such as PVM, where hvcore grants the guest exactly one
 * port through the TSS I/O bitmap.
 */
#ifndef HV_PUBLIC_HYPERCALL_H
#define HV_PUBLIC_HYPERCALL_H

#include "hvabi.h"

#define HV_HYPERCALL_STUB_SIZE 32
#define HV_HYPERCALL_PORT      0xe1   /* I/O port the stubs use */

/*
 * A write to HV_NULL_PORT exits to hvcore, which resumes the guest at once
 * without looking at any register: the cheapest possible exit.  It exists
 * to calibrate (the hypercall benchmark compares against it) and is the
 * only other port the guest's I/O bitmap grants.
 */
#define HV_NULL_PORT           0xe0

/* Hypercall numbers (index into the hypercall page). */
#define HC_console_io   0  /* (op, len, buf)                       */
#define HC_set_timer    1  /* (deadline_ns)                        */
#define HC_sched_op     2  /* (op, arg)                            */
#define HC_evtchn_op    3  /* (op, arg0, arg1)                     */
#define HC_vcpu_op      4  /* (op, vcpu, arg)                      */
#define HC_memory_op    5  /* (op, first_pfn, nr_pages)            */
#define HC_abi_version  6  /* () -> HV_GUEST_ABI_VERSION           */
#define HC_dev_op       7  /* (op, dev, arg): device.h             */
#define HC_dev_notify   8  /* (qid): device.h, no exit to hvcore    */
#define HC_NR           9  /* number of hypercalls                 */

/*
 * HC_console_io(op, len, buf)
 *   CONSOLEIO_write: write len bytes at buf to the console, unbuffered.
 *                    Returns len; len above HV_CONSOLEIO_MAX is -HVE_INVAL.
 *   CONSOLEIO_read:  move up to len bytes of pending console input into buf
 *                    (consuming the console page's input ring); returns the
 *                    number of bytes moved, 0 if none is pending.
 *   CONSOLEIO_flush: hvcore drains the output ring of the console page
 *                    (console.h) and tops up the input ring from input that
 *                    did not fit; len and buf are ignored.  Returns 0.
 */
#define CONSOLEIO_write 0
#define CONSOLEIO_read  1
#define CONSOLEIO_flush 2
#define HV_CONSOLEIO_MAX 4096

/*
 * HC_set_timer(deadline_ns)
 *   Arms the calling vCPU's one-shot timer to fire when system time (the
 *   pvclock of shared_info.h, nanoseconds since the domain booted) reaches
 *   deadline_ns; VIRQ_TIMER is then raised on that vCPU.  A deadline in the
 *   past fires at once; 0 cancels the timer.
 */

/*
 * HC_sched_op(op, arg)
 *   SCHEDOP_yield:    give up the physical CPU; returns 0.
 *   SCHEDOP_block:    enable event delivery (clears upcall_mask) and sleep
 *                     until an event is pending for this vCPU; returns 0.
 *                     Pending events are delivered as the call returns.
 *   SCHEDOP_shutdown: end the domain; arg is a SHUTDOWN_* reason.  Does not
 *                     return on success; -HVE_INVAL for a bad reason.
 */
#define SCHEDOP_yield    0
#define SCHEDOP_block    1
#define SCHEDOP_shutdown 2

#define SHUTDOWN_poweroff 0
#define SHUTDOWN_reboot   1
#define SHUTDOWN_crash    2

/*
 * HC_evtchn_op(op, arg0, arg1) - event channels (shared_info.h)
 * Ports are 1..HV_NR_EVTCHN-1 (port 0 is never valid) and start unmasked.
 * The guest may set and clear evtchn_mask bits itself; EVTCHNOP_unmask is
 * only needed to have an event that arrived while masked delivered now.
 * Closing a port leaves its pending bit as it was.
 *
 *   EVTCHNOP_bind_virq(virq, vcpu):  bind a virtual IRQ to a new port that
 *                                    notifies vcpu; returns the port.  One
 *                                    binding per VIRQ (per vCPU for
 *                                    VIRQ_TIMER), else -HVE_EXIST.
 *   EVTCHNOP_bind_ipi(vcpu, 0):      a new port that, when sent, notifies
 *                                    vcpu; returns the port.
 *   EVTCHNOP_send(port, 0):          raise port (an IPI port, or any bound
 *                                    port for a self-notification).
 *   EVTCHNOP_unmask(port, 0):        clear the port's mask bit; a pending
 *                                    event is then delivered.
 *   EVTCHNOP_close(port, 0):         unbind port.
 *   EVTCHNOP_set_upcall(rip, 0):     register the calling domain's upcall
 *                                    entry point (same for every vCPU).
 *   EVTCHNOP_upcall_return(0, 0):    return from an upcall: restore the
 *                                    frame saved in vcpu_info.upcall_frame
 *                                    and re-enable delivery.  Does not
 *                                    return to the caller, unless the
 *                                    frame's rip or rsp is not a lower-half
 *                                    canonical address (-HVE_INVAL).
 */
#define EVTCHNOP_bind_virq      0
#define EVTCHNOP_bind_ipi       1
#define EVTCHNOP_send           2
#define EVTCHNOP_unmask         3
#define EVTCHNOP_close          4
#define EVTCHNOP_set_upcall     5
#define EVTCHNOP_upcall_return  6

/* Virtual IRQs a guest can bind. */
#define VIRQ_TIMER     0  /* per vCPU: the one-shot timer fired           */
#define VIRQ_CONSOLE   1  /* console input is pending                     */
#define VIRQ_SHUTDOWN  2  /* shared_info.shutdown_request was set         */
#define VIRQ_BALLOON   3  /* shared_info.mem_target_kib changed           */
#define VIRQ_DEVICE    4  /* a slot of the device page changed (device.h) */
#define VIRQ_NR        5

/*
 * HC_vcpu_op(op, vcpu, arg)
 *   VCPUOP_up(vcpu, ctx):   start secondary vCPU vcpu (< start_info.max_vcpus)
 *                           with the initial context struct hv_vcpu_context
 *                           at guest address ctx.  -HVE_BUSY if it is up,
 *                           -HVE_INVAL if rip or rsp is not below 2^47.
 *                           Its vcpu_info.upcall_mask keeps its value (1 at
 *                           boot): the new vCPU unmasks when it is ready.
 *   VCPUOP_down(vcpu, 0):   take vcpu down.  A vCPU may take itself down
 *                           (the call then does not return); vCPU 0 cannot
 *                           be taken down (-HVE_INVAL).
 *   VCPUOP_is_up(vcpu, 0):  1 if vcpu is up, 0 if not.
 */
#define VCPUOP_up     0
#define VCPUOP_down   1
#define VCPUOP_is_up  2

struct hv_vcpu_context {
    uint64_t rip;
    uint64_t rsp;
    uint64_t rdi;   /* first argument for the entry function */
    uint64_t rsi;   /* second argument */
};

/*
 * HC_memory_op(op, first_pfn, nr_pages) - ballooning
 *   MEMOP_decrease_reservation: give pages [first_pfn, first_pfn+nr_pages)
 *       back to the host.  hvcore discards them; their contents are lost
 *       and they read as zero if touched again.  Returns nr_pages.
 *   MEMOP_increase_reservation: take pages back from the host (they come
 *       back zeroed).  Returns nr_pages.
 *   Pages must lie in guest RAM at or above HV_KERNEL_MIN_ADDR and below
 *   start_info.nr_pages, and nr_pages must be > 0; anything else is
 *   -HVE_INVAL.
 */
#define MEMOP_decrease_reservation 0
#define MEMOP_increase_reservation 1

#endif /* HV_PUBLIC_HYPERCALL_H */
