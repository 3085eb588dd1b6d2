/*
 * xen_syscall_stub.S - the code at a Xen-PV guest's LSTAR, copied by
 * xen_layout.c to the start of the syscall stub's page in hvcore's private
 * area.  It runs at CPL 3, as guest code: on this PVM host `syscall` does
 * not change privilege.  rcx holds the return address, r11 the flags.
 *
 * Three ways through it:
 *   1. slow: `out` to XEN_PORT_SYSCALL exits to hvcore, which serves a
 *      hypercall (kernel mode) or bounces a system call (user mode), and
 *      resumes the guest itself.  ~30 us an exit on this host.
 *   2. VCPUOP_is_up for an id past the last vCPU: -ENOENT at once.  Linux
 *      asks it of all 8192 possible CPU ids at boot.
 *   3. fast call: a hypercall hvcore's fast-call thread may serve
 *      (xen_fastcall.c; bit set in FASTMASK) is posted in the channel page
 *      while that thread polls (AWAKE), and the stub spins until the
 *      answer is there: a few us instead of an exit.  If no answer comes
 *      within XEN_STUB_SPINS pauses the stub cancels the post and exits;
 *      if the thread had already taken it, the stub waits for the answer.
 *      An answer of XEN_CHAN_PUNT means "take the exit after all".
 *
 * Paths 2 and 3 run in kernel mode only (KMODE).  Everything they do the
 * guest kernel could do itself: they hold no privilege.  The one guest
 * register they change besides rax is none (the spin count lives in rax).
 * When hvcore has an event to deliver while the vCPU is in here (EXIT),
 * the stub exits once the call is done, at xen_syscall_stub_exit_after,
 * with the result in rax; hvcore then returns to rcx as from a hypercall.
 * Past that check (xen_syscall_stub_tail: three instructions) hvcore
 * finishes the return itself and delivers at once.
 */
#include "xen_layout.h"
#include "xen_fastcall_abi.h"

#define PORT 0xe8                       /* XEN_PORT_SYSCALL (xen.h) */
#define VCPUOP_is_up 3

/* A byte of the stub's page, and of the channel page, rip-relative: the
 * code is copied to the page's start, so the distances hold. */
#define STUB(off) .Lbase + (off)(%rip)
#define CHAN(off) .Lbase + (XEN_OFF_CHANNEL - XEN_OFF_SYSCALL_STUB + (off))(%rip)

        .section .rodata
        .globl  xen_syscall_stub, xen_syscall_stub_end, xen_syscall_stub_exit_after
        .globl  xen_syscall_stub_tail
        .code64
xen_syscall_stub:
.Lbase:
        cmpb    $0, STUB(XEN_STUB_KMODE)
        je      .Lslow
        cmp     $63, %rax
        ja      .Lnot_fast
        bt      %rax, STUB(XEN_STUB_FASTMASK)
        jc      .Lfast
.Lnot_fast:
        cmp     $24, %rax                       /* vcpu_op */
        jne     .Lslow
        cmp     $VCPUOP_is_up, %edi
        jne     .Lslow
        cmp     STUB(XEN_STUB_NR_VCPUS), %rsi
        jb      .Lslow
        mov     $-2, %rax                       /* -ENOENT */
.Lreturn:
        cmpb    $0, STUB(XEN_STUB_EXIT)
        jne     xen_syscall_stub_exit_after
xen_syscall_stub_tail:                          /* xen_fastcall_tail_step() */
        push    %r11
        popfq
        jmp     *%rcx

.Lfast:
        cmpb    $0, STUB(XEN_STUB_AWAKE)
        je      .Lslow
        mov     %rax, CHAN(XEN_CHAN_NR)
        mov     %rdi, CHAN(XEN_CHAN_A0)
        mov     %rsi, CHAN(XEN_CHAN_A0 + 8)
        mov     %rdx, CHAN(XEN_CHAN_A0 + 16)
        mov     %r10, CHAN(XEN_CHAN_A0 + 24)
        movl    $XEN_CHAN_POSTED, CHAN(XEN_CHAN_STATE)
        mov     $XEN_STUB_SPINS, %eax
1:      pause
        cmpl    $XEN_CHAN_DONE, CHAN(XEN_CHAN_STATE)
        je      .Ldone
        dec     %eax
        jnz     1b
        mov     $XEN_CHAN_CANCELLED, %eax
        xchg    %eax, CHAN(XEN_CHAN_STATE)
        cmp     $XEN_CHAN_POSTED, %eax
        je      .Lcancelled                     /* hvcore never saw it */
        cmp     $XEN_CHAN_DONE, %eax
        je      .Ldone
2:      pause                                   /* taken: the answer comes */
        cmpl    $XEN_CHAN_DONE, CHAN(XEN_CHAN_STATE)
        jne     2b
.Ldone:
        mov     CHAN(XEN_CHAN_RESULT), %rax
        movl    $XEN_CHAN_IDLE, CHAN(XEN_CHAN_STATE)
        cmp     $XEN_CHAN_PUNT, %rax
        jne     .Lreturn
.Lcancelled:
        mov     CHAN(XEN_CHAN_NR), %rax
.Lslow:
        out     %al, $PORT
        ud2
xen_syscall_stub_exit_after:
        out     %al, $PORT
        ud2
xen_syscall_stub_end:

        .section .note.GNU-stack, "", @progbits
