/*
 * xen_fastcall_abi.h - where the syscall stub (xen_syscall_stub.S) and
 * hvcore's fast-call thread (xen_fastcall.c) meet: offsets and values
 * only, so that the assembler can include it too.
 *
 * Two pages of hvcore's private area are involved:
 *   - the syscall stub's own page (user read+execute: the guest can read
 *     but not change it), where hvcore keeps the flags the stub obeys;
 *   - the channel page (user read+write: the guest kernel and its users
 *     can write it), which carries one request and its answer.  Nothing
 *     hvcore reads there is trusted: it is a hypercall's arguments.
 */
#ifndef HVCORE_XEN_FASTCALL_ABI_H
#define HVCORE_XEN_FASTCALL_ABI_H

/* In the stub's page, written by hvcore only. */
#define XEN_STUB_KMODE      0x800   /* u8: 1 while the vCPU is in kernel mode */
#define XEN_STUB_AWAKE      0x801   /* u8: 1 while the fast-call thread polls */
#define XEN_STUB_EXIT       0x802   /* u8: 1: exit after the call (an event
                                       waits for delivery)                  */
#define XEN_STUB_FASTMASK   0x808   /* u64: bit n: hypercall n may be posted */
#define XEN_STUB_NR_VCPUS   0x810   /* u8: vCPUs (VCPUOP_is_up in the stub) */

/* In the channel page. */
#define XEN_CHAN_STATE      0x00    /* u32, XEN_CHAN_* below                */
#define XEN_CHAN_NR         0x08    /* u64: the hypercall number (rax)      */
#define XEN_CHAN_A0         0x10    /* u64 x 4: rdi rsi rdx r10             */
#define XEN_CHAN_RESULT     0x40    /* u64: what the call returns in rax    */

#define XEN_CHAN_IDLE       0
#define XEN_CHAN_POSTED     1       /* the stub posted; hvcore may take it  */
#define XEN_CHAN_TAKEN      2       /* hvcore is serving it                 */
#define XEN_CHAN_DONE       3       /* RESULT holds the answer              */
#define XEN_CHAN_CANCELLED  4       /* the stub gave up waiting: it exits   */

/* RESULT when hvcore would rather take the call through an exit (it might
 * change what only an exit can change): no hypercall returns it. */
#define XEN_CHAN_PUNT       (-4096 - 0x55)

/* pause instructions the stub spins before it gives up on a posted call
 * (~115 us at 28 ns each here; the answer takes a few). */
#define XEN_STUB_SPINS      4096

#endif /* HVCORE_XEN_FASTCALL_ABI_H */
