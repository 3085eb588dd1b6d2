/*
 * xen_fastcall.h - hypercalls of a Xen-PV guest served without an exit.
 *
 * An exit to hvcore costs ~30 us on a PVM host, nearly all of it KVM
 * leaving the guest for user space and entering it again, and a Linux
 * boot makes ~30,000 mmu_updates of one entry each.  So a host thread of
 * hvcore, the fast-call thread, polls a channel page on the other CPU
 * while such calls come in bursts; the syscall stub posts a call there and
 * spins until the answer comes (xen_syscall_stub.S, xen_fastcall_abi.h):
 * a few microseconds, and the guest never leaves KVM_RUN.
 *
 * Served this way:
 *   - mmu_update whose entries only change references to data frames, or
 *     to frames that are and stay page tables (xen_mm_update_fast),
 *   - update_va_mapping without a flush,
 *   - stack_switch.
 * None of these makes a frame a page table, asks for a TLB flush, or
 * changes the vCPU's registers; a call that would takes the exit as
 * before (the thread answers XEN_CHAN_PUNT).  A write over a present
 * entry is queued for the in-guest page-table stub as on the exit path:
 * KVM may use the old translation until the guest's next flush, which is
 * an exit, and x86 allows exactly that.
 *
 * One thread at a time: the fast-call thread serves a call only while the
 * vCPU thread is inside KVM_RUN, and the vCPU thread, coming out of it,
 * waits until a call in service is done (xen_fastcall_leave).  The xen
 * state is never touched by both.  Only kernel-mode posts are served: the
 * thread checks the vCPU's mode, and a switch to kernel mode drops any
 * post left in the channel by guest user code (which can write it).
 *
 * The thread starts at the first burst (XEN_FAST_WAKE_FIRST such calls
 * through exits), polls until XEN_FAST_IDLE_NS pass without a call, then
 * sleeps until the next burst.  A burst that served nothing (the thread
 * got no CPU while the guest ran: the host is busy, or the scheduler put
 * both threads on one CPU) doubles the calls the next one waits for, up
 * to XEN_FAST_WAKE_MAX, so that a loaded host loses little to polling;
 * one that served resets it.  Counts, not times: what the thread does
 * depends on the guest's calls, not on the host's speed.  When it is slow to answer (the
 * host is busy) the stub gives up after XEN_STUB_SPINS pauses and exits;
 * the vCPU thread then stops posts until the next burst.  HVCORE_XEN_FASTCALL=0
 * in the environment turns it all off (every call exits).
 *
 * One vCPU: the channel serves vCPU 0.  With more, each would need its
 * own channel page and a check that the poster is that vCPU.
 */
#ifndef HVCORE_XEN_FASTCALL_H
#define HVCORE_XEN_FASTCALL_H

#include <stdbool.h>
#include <stdint.h>

struct domain;
struct vcpu;

#define XEN_FAST_WAKE_FIRST 2
#define XEN_FAST_WAKE_MAX   1024
#define XEN_FAST_IDLE_NS  1000000ULL

/* Domain d (Xen PV) may use fast calls: sets d->xen->fast.  0, or
 * -HVE_NOMEM.  Does nothing (0) under HVCORE_XEN_FASTCALL=0. */
int xen_fastcall_init(struct domain *d);
/* Stop and join the thread, free the state (NULL-safe, idempotent). */
void xen_fastcall_free(struct domain *d);

/* vCPU thread, at every (re)boot of vCPU v: an empty channel, and the
 * stub's mask of calls it may post. */
void xen_fastcall_vcpu_reset(struct vcpu *v);

/* Before a reboot rewrites hvcore's pages: end the thread's polling
 * (until xen_fastcall_vcpu_reset). */
void xen_fastcall_quiesce(struct domain *d);

/* vCPU thread: right before KVM_RUN, and right after it returns (waits
 * for a call the fast-call thread is serving). */
void xen_fastcall_enter(struct vcpu *v);
void xen_fastcall_leave(struct vcpu *v);

/* vCPU thread: hypercall nr came through an exit, in kernel mode (maybe a
 * burst starts; maybe the stub gave up on a post). */
void xen_fastcall_slow_call(struct vcpu *v, uint64_t nr);

/* vCPU thread: the vCPU went to kernel mode: clear whatever user code
 * left in the channel (a post, a cancel). */
void xen_fastcall_kernel_entry(struct vcpu *v);

/* vCPU thread: have the stub exit once its call is done (an event waits
 * and the vCPU is in the stub), or not. */
void xen_fastcall_want_exit(struct vcpu *v, bool on);
/* Is rip where the stub exits for that? */
bool xen_fastcall_is_exit_after(uint64_t rip);
/* Past its check of that flag the stub has three instructions left:
 * `push %r11` (0), `popfq` (1), `jmp *%rcx` (2).  Which one is at rip, or
 * -1 (elsewhere): the vCPU thread finishes those itself. */
int xen_fastcall_tail_step(uint64_t rip);

/* Whether a burst of polling is on (woken, or polling), and how many
 * have ended (0 and 0 without the thread).  A burst that ends after a
 * read of the count made while none was on began after that read: what
 * a test uses to know the thread has looked at something, whatever CPU
 * the thread gets. */
bool xen_fastcall_burst_on(const struct domain *d);
unsigned xen_fastcall_bursts_ended(const struct domain *d);

/* HVCORE_XEN_TRACE: what was served, punted, cancelled. */
void xen_fastcall_trace_summary(struct domain *d);

#endif /* HVCORE_XEN_FASTCALL_H */
