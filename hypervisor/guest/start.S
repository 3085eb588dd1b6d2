/*
 * start.S - the few entry points that cannot be C: they run before there is
 * a usable stack or with a register state C does not expect.
 */
#include "smp.h"

/*
 * _start: vCPU 0 enters here at CPL 3 with rdi = start-info page and
 * rsp = 0 (start_info.h), so nothing may touch the stack until we load ours.
 * It is the first thing in .text so that it sits at the load address.
 */
	.section .text.entry, "ax", @progbits
	.globl	_start
	.type	_start, @function
_start:
	mov	%rdi, %rbx			/* keep the start-info address */
	cld
	/* hvcore's ELF loader zero-fills .bss; clearing it again keeps pvboot
	 * correct under any loader that only copies the file image. */
	lea	__bss_start(%rip), %rdi
	lea	__bss_end(%rip), %rcx
	sub	%rdi, %rcx
	xor	%eax, %eax
	rep stosb
	lea	vcpu_stacks + VCPU_STACK_SIZE(%rip), %rsp	/* vCPU 0's stack */
	xor	%ebp, %ebp			/* end of frame chain for debuggers */
	mov	%rbx, %rdi
	call	kmain
	ud2
	.size	_start, . - _start

	.text
/*
 * secondary_entry: a vCPU started by VCPUOP_up with the context built by
 * smp_start_vcpu: rsp = top of its stack, rdi = its id.  Context entry is
 * a jump, not a call, so align the stack as for a call here.
 */
	.globl	secondary_entry
	.type	secondary_entry, @function
secondary_entry:
	cld
	and	$-16, %rsp
	xor	%ebp, %ebp
	call	smp_secondary_main
	ud2
	.size	secondary_entry, . - secondary_entry

/*
 * upcall_entry: hvcore has saved every register in vcpu_info.upcall_frame,
 * set upcall_mask and put rsp below the interrupted red zone, aligned as
 * just after a call.  The direction flag is the only C assumption the
 * interrupted code could have broken.
 *
 * The return does not need EVTCHNOP_upcall_return (an exit, ~30 us): C
 * copies the frame into the 136 bytes just below the interrupted red zone
 * (evtchn_upcall, evtchn.c) and returns their address; we switch to them,
 * pop the registers and rflags, and "ret $128" jumps to the interrupted
 * rip while stepping back over the red zone, which is never touched.  The
 * first 256 bytes below rsp are skipped so that C's own frames cannot
 * overlap that area.
 */
	.globl	upcall_entry
	.type	upcall_entry, @function
upcall_entry:
	cld
	sub	$256, %rsp
	and	$-16, %rsp
	call	evtchn_upcall
	test	%rax, %rax
	jz	1f
	mov	%rax, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	popfq
	ret	$128
1:	call	evtchn_upcall_return		/* does not return */
	ud2
	.size	upcall_entry, . - upcall_entry

	.section .note.GNU-stack, "", @progbits
