/*
 * xen_cli_stub.S - the #GP entry of hvcore's IDT for a Xen-PV guest,
 * copied by xen_layout.c to XEN_TRAP_GP_STUB in the trap stubs' page.  It
 * runs at CPL 0 (emulated by PVM, ~1 us an instruction) on hvcore's stack,
 * under the exception frame: error code, rip, cs, rflags, rsp, ss.
 *
 * Linux runs `cli` at CPL 3 about 6,000 times in a boot, in
 * this_cpu_cmpxchg16b_emu before the alternatives replace it, and each
 * one raises #GP.  Xen's answer is to set the vCPU's event mask; this stub
 * gives it in place, with 12 emulated instructions instead of an exit to
 * hvcore (~30 us), when the #GP came from the guest kernel (the syscall
 * stub's KMODE byte) on a `cli` byte.  (A `cli` faults only with error
 * code 0, and hvcore's own CPL-0 code has none, so neither needs a
 * check.)  The
 * mask's address (hvcore's map of the vcpu_info in use) is in the page's
 * XEN_TRAP_GP_MASKPTR slot, which hvcore keeps current; the guest cannot
 * read or write this page.  Anything else goes on to vector 13's
 * one-instruction stub, which exits, with the frame as it came.
 */
#include "xen_layout.h"
#include "xen_fastcall_abi.h"

#define HERE(off) .Lbase + ((off) - XEN_TRAP_GP_STUB)(%rip)
#define KMODE     .Lbase + (XEN_OFF_SYSCALL_STUB + XEN_STUB_KMODE - \
                            XEN_OFF_TRAP_STUBS - XEN_TRAP_GP_STUB)(%rip)

        .section .rodata
        .globl  xen_cli_stub, xen_cli_stub_end
        .code64
xen_cli_stub:
.Lbase:
        cmpb    $0, KMODE
        je      .Lexit
        push    %rax
        mov     16(%rsp), %rax                  /* rip */
        cmpb    $0xfa, (%rax)                   /* cli */
        jne     .Lexit_pop
        mov     HERE(XEN_TRAP_GP_MASKPTR), %rax
        movb    $1, (%rax)
        pop     %rax
        addq    $1, 8(%rsp)
        add     $8, %rsp
        iretq
.Lexit_pop:
        pop     %rax
.Lexit:
        jmp     .Lbase - XEN_TRAP_GP_STUB + 13 * XEN_TRAP_STUB_SIZE
xen_cli_stub_end:

        .section .note.GNU-stack, "", @progbits
