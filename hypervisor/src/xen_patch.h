/*
 * xen_patch.h - the one change hvcore makes to a Xen-PV Linux kernel's
 * code once it is in guest memory: this_cpu_cmpxchg16b_emu, the routine
 * the kernel calls for every SLUB allocation and free until its
 * alternatives replace the calls with the cmpxchg16b instruction (late in
 * start_kernel), made that instruction from the start.
 *
 * Why: the routine is `pushfq; cli; compare; store; popfq`.  A `cli` at
 * CPL 3 traps, and on this PVM host each trap costs ~40 us (delivery to
 * hvcore's #GP entry at CPL 0, ~12 emulated instructions there).  A boot
 * calls the routine ~5,600 times before the alternatives run: ~0.2 s.
 * The instruction does what the routine does (a compare-and-exchange of
 * 16 bytes of this CPU's per-CPU area, atomic against this CPU's
 * interrupts: cmpxchg16b is atomic outright), and what the kernel itself
 * puts in its place once the alternatives run; it is used only where the
 * guest's cpuid reports CX16, as the kernel's own choice is.  KVM patches
 * a guest's hypercall instructions the same way.
 *
 * Pure: bytes in, bytes out; xen_domain.c says where and whether.
 */
#ifndef HVCORE_XEN_PATCH_H
#define HVCORE_XEN_PATCH_H

#include <stddef.h>
#include <stdint.h>

/* Bytes of the routine that are matched (up to its success path's
 * return, which is left as it is) and bytes written over its start. */
#define XEN_PATCH_CX16_MATCH 27
#define XEN_PATCH_CX16_LEN   10

/*
 * How many copies of this_cpu_cmpxchg16b_emu's body code[0..len) holds:
 * the exact instruction sequence of Linux's arch/x86/lib/cmpxchg16b_emu.S
 * (pushfq; cli; cmp %gs:(%rsi),%rax; jne; cmp %gs:8(%rsi),%rdx; jne;
 * mov %rbx,%gs:(%rsi); mov %rcx,%gs:8(%rsi); popfq; mov $1,%al), any
 * branch displacements, wholly inside code[0..len).  The offset of the
 * first in *first when there is one.  Never reads outside code[0..len).
 */
unsigned xen_patch_cx16_scan(const uint8_t *code, size_t len, size_t *first);

/*
 * Rewrite the routine whose body starts at fn (a copy xen_patch_cx16_scan
 * found) as `cmpxchg16b %gs:(%rsi); setz %al; jmp <its success return>`:
 * the first XEN_PATCH_CX16_LEN bytes.  The result is in %al as the
 * routine's is; %rax:%rdx hold the current value after a failure, which
 * the callers allow (they give the instruction the same registers).
 */
void xen_patch_cx16_apply(uint8_t *fn);

#endif /* HVCORE_XEN_PATCH_H */
