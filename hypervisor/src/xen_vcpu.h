/*
 * xen_vcpu.h - a Xen-PV vCPU on KVM: its start, the exits of its stubs,
 * and how hvcore moves it between guest kernel, guest user and the
 * page-table stub (xen.h has the design).
 */
#ifndef HVCORE_XEN_VCPU_H
#define HVCORE_XEN_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "xen.h"

struct vcpu;
struct hv_vcpu_context;
struct kvm_segment;

/* Put v in the state a Xen-PV kernel starts in: kernel mode at ctx->rip
 * with ctx->rsp and rsi = ctx->rsi (start info), hvcore's IDT, GDT, TSS and
 * syscall MSRs.  0 or -errno. */
int xen_vcpu_reset(struct vcpu *v, const struct hv_vcpu_context *ctx);

/* Is port one of the stubs' (an exit xen_vcpu_exit_io handles)? */
bool xen_vcpu_port(uint16_t port);

/* An I/O exit on a stub port: a hypercall, a user's syscall, an exception
 * or the page-table stub's end.  Says what the vCPU loop does next. */
enum xen_next xen_vcpu_exit_io(struct vcpu *v);

/* Right before KVM_RUN: deliver a pending event upcall, load the page
 * tables of the vCPU's mode, and run the page-table stub if writes or a
 * flush are queued. */
void xen_vcpu_before_run(struct vcpu *v);

/* ---- for xen_trap.c and xen_hypercall.c ---------------------------------- */

/* Enter the guest kernel at entry as Xen's bounce frames do: switch to the
 * kernel stack and page tables if the vCPU was in user mode, push
 * { rcx, r11, [err,] rip, cs, rflags, rsp, ss } of the interrupted context
 * (the vCPU's registers now), mask events if asked.  err < 0: none.
 * 0, or -HVE_FAULT when the kernel stack cannot take the frame (the domain
 * is then crashed by the caller). */
int xen_bounce(struct vcpu *v, uint64_t entry, int64_t err, bool mask_events);

/* Switch between kernel and user mode: page tables, GS base, flag. */
void xen_set_mode(struct vcpu *v, bool kernel);

/* Set seg from selector sel of the guest's GDT (hvcore's copy) as a CPL-3
 * segment.  0, or -HVE_INVAL if sel names no usable code (code) or data
 * segment. */
int xen_load_seg(struct vcpu *v, struct kvm_segment *seg, uint16_t sel, bool code);

/* End the domain as crashed with a one-line reason. */
void xen_crash(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* HVCORE_XEN_TRACE: v's exits by cause, on stderr. */
void xen_vcpu_trace_summary(struct vcpu *v);
void xen_trace_kvm_stats(int fd, const char *what);

/* General register n (0-15 in the instruction set's order: rax, rcx, rdx,
 * rbx, rsp, rbp, rsi, rdi, r8-r15) of r: for decoding ModRM and REX. */
struct kvm_regs;
uint64_t *xen_gpr(struct kvm_regs *r, unsigned n);

/* Registers changed by a handler must reach KVM. */
void xen_regs_dirty(struct vcpu *v, bool sregs);

#endif /* HVCORE_XEN_VCPU_H */
