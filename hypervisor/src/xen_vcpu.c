/*
 * xen_vcpu.c - a Xen-PV vCPU on KVM (xen.h has the design).
 *
 * Two kinds of stub bring the vCPU out to hvcore, each by a port write:
 *
 *   - the syscall stub (LSTAR, user-executable): on this PVM host a
 *     `syscall` at CPL 3 jumps to LSTAR without a privilege change, with
 *     the return address in rcx and the flags in r11.  From kernel mode it
 *     is a hypercall, from user mode a system call to bounce to the guest
 *     kernel.  (Where `syscall` does enter CPL 0, as on VMX, the stub runs
 *     there just the same; hvcore sets CPL 3 back when it returns.)
 *   - one CPL-0 stub per IDT vector: the exception frame is on hvcore's
 *     CPL-0 stack, the guest's other registers are untouched;
 *   and one more stub, entered by hvcore, runs at CPL 0 to apply
 *   page-table writes where KVM's shadow MMU sees them, then irets.
 *
 * hvcore never returns through the stubs: it writes the guest state it
 * wants (registers, CS/SS, CR3) into the sync-regs area, which KVM loads
 * on the next KVM_RUN.  Measured here: an exception through the IDT and
 * back this way costs the same as an emulated iretq (~35 us both), a
 * hypercall ~25 us, the page-table stub ~2.8 us per entry.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "domain.h"
#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_fastcall.h"
#include "xen_fastcall_abi.h"
#include "xen_hypercall.h"
#include "xen_layout.h"
#include "xen_trap.h"
#include "xen_vcpu.h"

#define RFLAGS_TF   (1ULL << 8)
#define RFLAGS_IF   (1ULL << 9)
#define RFLAGS_IOPL (3ULL << 12)
#define RFLAGS_NT   (1ULL << 14)
#define RFLAGS_RF   (1ULL << 16)
#define RFLAGS_VM   (1ULL << 17)
#define RFLAGS_AC   (1ULL << 18)

#define MSR_STAR           0xc0000081
#define MSR_LSTAR          0xc0000082
#define MSR_CSTAR          0xc0000083
#define MSR_SYSCALL_MASK   0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define CR0_GUEST 0x80050033ULL     /* PG AM WP NE ET MP PE            */
#define CR4_GUEST 0x00000620ULL     /* OSXMMEXCPT OSFXSR PAE           */
#define EFER_GUEST 0xd01ULL         /* NXE LMA LME SCE                 */

static struct kvm_regs *regs_of(struct vcpu *v)
{
    return &v->run->s.regs.regs;
}

static struct kvm_sregs *sregs_of(struct vcpu *v)
{
    return &v->run->s.regs.sregs;
}

void xen_regs_dirty(struct vcpu *v, bool sregs)
{
    v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
    if (sregs)
        v->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
}

void xen_crash(struct vcpu *v, const char *fmt, ...)
{
    char why[112];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    domain_end(v->dom, END_CRASH, why);
}

bool xen_vcpu_port(uint16_t port)
{
    return port == XEN_PORT_SYSCALL || port == XEN_PORT_TRAP;
}

/* A flat segment as KVM wants it. */
static void flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type, uint8_t dpl, bool code64)
{
    memset(s, 0, sizeof(*s));
    s->limit = 0xffffffff;
    s->selector = sel;
    s->type = type;
    s->present = 1;
    s->dpl = dpl;
    s->s = 1;
    s->g = 1;
    s->l = code64;
    s->db = !code64;
}

int xen_load_seg(struct vcpu *v, struct kvm_segment *seg, uint16_t sel, bool code)
{
    const uint64_t *gdt = (const uint64_t *)(v->dom->xen->priv + XEN_OFF_GDT);
    unsigned idx = sel >> 3;

    if ((sel & 4) || idx == 0 || idx >= XEN_GDT_PAGES * 512)
        return -HVE_INVAL;                  /* no LDT selectors, no null */
    uint64_t d = __atomic_load_n(&gdt[idx], __ATOMIC_RELAXED);
    unsigned type = (unsigned)(d >> 40) & 0xf;
    bool s = (d >> 44) & 1, present = (d >> 47) & 1;
    unsigned dpl = (unsigned)(d >> 45) & 3;
    bool is_code = (type & 8) != 0;
    if (!s || !present || dpl != 3 || is_code != code || (!code && !(type & 2)))
        return -HVE_INVAL;
    memset(seg, 0, sizeof(*seg));
    seg->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
    seg->limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000));
    seg->g = (d >> 55) & 1;
    if (seg->g)
        seg->limit = (seg->limit << 12) | 0xfff;
    seg->selector = sel | 3;
    seg->type = (uint8_t)(type | 1);        /* accessed */
    seg->present = 1;
    seg->dpl = 3;
    seg->s = 1;
    seg->l = (d >> 53) & 1;
    seg->db = (d >> 54) & 1;
    seg->avl = (d >> 52) & 1;
    return 0;
}

/* CR3 of the vCPU's mode. */
static uint64_t mode_cr3(const struct xen_vcpu *xv)
{
    uint64_t t = xv->kernel_mode || !xv->guest_table_user ? xv->guest_table : xv->guest_table_user;
    return t << 12;
}

/* The syscall stub's copy of the mode (its fast path is for the kernel). */
static void set_kmode_byte(struct vcpu *v)
{
    uint8_t *b = v->dom->xen->priv + XEN_OFF_SYSCALL_STUB + XEN_STUB_KMODE;

    __atomic_store_n(b, xen_vcpu_of(v)->kernel_mode, __ATOMIC_RELAXED);
}

void xen_set_mode(struct vcpu *v, bool kernel)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_sregs *s = sregs_of(v);

    if (xv->kernel_mode == kernel)
        return;
    xv->kernel_mode = kernel;
    set_kmode_byte(v);
    if (kernel)
        xen_fastcall_kernel_entry(v);
    s->gs.base = kernel ? xv->gs_base_kernel : xv->gs_base_user;
    xv->cr3_dirty = true;                   /* loaded before the next run */
    xv->sregs_dirty = true;
}

int xen_vcpu_reset(struct vcpu *v, const struct hv_vcpu_context *ctx)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    /* struct kvm_msrs ends in a flexible array: room for five entries */
    union {
        struct kvm_msrs m;
        uint8_t room[sizeof(struct kvm_msrs) + 5 * sizeof(struct kvm_msr_entry)];
    } msrs;

    if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
        return -errno;
    flat_seg(&sregs.cs, XEN_FLAT_KERNEL_CS, 0xb, 3, true);
    flat_seg(&sregs.ss, XEN_FLAT_KERNEL_SS, 0x3, 3, false);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss;
    sregs.ds.selector = sregs.es.selector = sregs.fs.selector = sregs.gs.selector = 0;
    memset(&sregs.tr, 0, sizeof(sregs.tr));
    sregs.tr.base = XEN_PRIV_VA + XEN_OFF_TSS;
    sregs.tr.limit = XEN_TSS_LIMIT;
    sregs.tr.selector = XEN_SEL_TSS;
    sregs.tr.type = 0xb;                        /* busy 64-bit TSS */
    sregs.tr.present = 1;
    memset(&sregs.ldt, 0, sizeof(sregs.ldt));
    sregs.ldt.unusable = 1;
    sregs.gdt.base = XEN_PRIV_VA + XEN_OFF_GDT;
    sregs.gdt.limit = XEN_GDT_PAGES * 4096 - 1;
    sregs.idt.base = XEN_PRIV_VA + XEN_OFF_IDT;
    sregs.idt.limit = 256 * 16 - 1;
    sregs.cr0 = CR0_GUEST;
    sregs.cr3 = xv->guest_table << 12;
    sregs.cr4 = CR4_GUEST;
    sregs.efer = EFER_GUEST;
    sregs.cr2 = 0;
    memset(sregs.interrupt_bitmap, 0, sizeof(sregs.interrupt_bitmap));
    if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
        return -errno;

    memset(&msrs, 0, sizeof(msrs));
    msrs.m.nmsrs = 5;
    msrs.m.entries[0].index = MSR_STAR;
    /* sysret CS/SS base, syscall CS/SS: only used where syscall really
     * enters CPL 0 (not on PVM); ours then, with CPL 3 set back. */
    msrs.m.entries[0].data = ((uint64_t)XEN_FLAT_RING3_CS32 << 48) | ((uint64_t)XEN_SEL_HV_CS << 32);
    msrs.m.entries[1].index = MSR_LSTAR;
    msrs.m.entries[1].data = XEN_PRIV_VA + XEN_OFF_SYSCALL_STUB;
    msrs.m.entries[2].index = MSR_CSTAR;
    msrs.m.entries[2].data = XEN_PRIV_VA + XEN_OFF_SYSCALL_STUB;
    msrs.m.entries[3].index = MSR_SYSCALL_MASK;
    msrs.m.entries[3].data = 0;
    msrs.m.entries[4].index = MSR_KERNEL_GS_BASE;
    msrs.m.entries[4].data = 0;
    if (ioctl(v->fd, KVM_SET_MSRS, &msrs) != 5)
        return -HVE_IO;

    memset(&regs, 0, sizeof(regs));
    regs.rip = ctx->rip;
    regs.rsp = ctx->rsp;
    regs.rsi = ctx->rsi;
    regs.rflags = 0x202;
    if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
        return -errno;
    xv->kernel_mode = true;
    set_kmode_byte(v);
    xen_fastcall_vcpu_reset(v);
    xv->sregs_dirty = false;
    v->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
    v->run->kvm_dirty_regs = 0;
    v->regs_valid = false;
    return 0;
}

/* Guest CS/SS for the vCPU's mode after a hypercall or an emulated
 * instruction: unchanged on PVM; where `syscall` entered CPL 0 (STAR's
 * selectors), back to the kernel's flat CPL-3 ones. */
static void keep_cpl3(struct vcpu *v)
{
    struct kvm_sregs *s = sregs_of(v);

    if (s->cs.dpl == 3 && s->ss.dpl == 3)
        return;
    flat_seg(&s->cs, XEN_FLAT_KERNEL_CS, 0xb, 3, true);
    flat_seg(&s->ss, XEN_FLAT_KERNEL_SS, 0x3, 3, false);
    xen_vcpu_of(v)->sregs_dirty = true;
}

int xen_bounce(struct vcpu *v, uint64_t entry, int64_t err, bool mask_events)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_regs *r = regs_of(v);
    struct kvm_sregs *s = sregs_of(v);
    struct xen_vcpu_info *vi = xen_vcpu_info(v);
    bool from_kernel = xv->kernel_mode;
    uint8_t old_mask = __atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_RELAXED);
    uint64_t frame[8];
    unsigned n = 0;

    if (!entry)
        return -HVE_INVAL;
    frame[n++] = r->rcx;
    frame[n++] = r->r11;
    if (err >= 0)
        frame[n++] = (uint64_t)err;
    frame[n++] = r->rip;
    /* Kernel mode is reported as RPL 0, as Xen does; the old event mask
     * rides in bits 32-39 of the CS slot. */
    frame[n++] = (from_kernel ? (s->cs.selector & ~3u) : s->cs.selector) |
                 ((uint64_t)old_mask << 32);
    frame[n++] = (r->rflags & ~(RFLAGS_IF | RFLAGS_IOPL)) | (old_mask ? 0 : RFLAGS_IF) |
                 ((uint64_t)(xv->iopl & 3) << 12);
    frame[n++] = r->rsp;
    frame[n++] = from_kernel ? (s->ss.selector & ~3u) : s->ss.selector;

    uint64_t sp = (from_kernel ? r->rsp : xv->kernel_sp) & ~0xfULL;
    sp -= n * 8;
    if (!from_kernel)
        xen_set_mode(v, true);
    if (xen_copy_to_guest(v, sp, frame, n * 8) < 0)
        return -HVE_FAULT;
    if (mask_events)
        __atomic_store_n(&vi->evtchn_upcall_mask, 1, __ATOMIC_RELAXED);
    r->rsp = sp;
    r->rip = entry;
    r->rflags = (r->rflags & ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_AC | RFLAGS_VM |
                               RFLAGS_IOPL)) | RFLAGS_IF | 2;
    if (s->cs.selector != XEN_FLAT_KERNEL_CS || s->ss.selector != XEN_FLAT_KERNEL_SS) {
        flat_seg(&s->cs, XEN_FLAT_KERNEL_CS, 0xb, 3, true);
        flat_seg(&s->ss, XEN_FLAT_KERNEL_SS, 0x3, 3, false);
        xv->sregs_dirty = true;
    }
    return 0;
}

/* syscall from guest user: to the kernel's syscall callback, with the
 * frame Linux's xen_entry_SYSCALL_64 pops (rcx, r11, then the user's rip,
 * cs, rflags, rsp, ss). */
static enum xen_next user_syscall(struct vcpu *v)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_regs *r = regs_of(v);

    r->rip = r->rcx;
    r->rflags = r->r11;
    if (xen_bounce(v, xv->syscall_cb, -1, xv->syscall_cb_flags & XEN_CALLBACKF_mask_events) < 0) {
        xen_crash(v, "cannot deliver a system call: kernel stack %#llx unusable",
                  (unsigned long long)xv->kernel_sp);
        return XEN_NEXT_END;
    }
    return XEN_NEXT_RESUME;
}

/* The flags a return to the kernel after a hypercall gets: the caller's
 * (r11), with events left to the mask, no IOPL, no VM86. */
static uint64_t return_flags(uint64_t r11)
{
    return (r11 & ~(RFLAGS_IOPL | RFLAGS_VM)) | RFLAGS_IF | 2;
}

static enum xen_next on_syscall(struct vcpu *v)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_regs *r = regs_of(v);

    if (!xv->kernel_mode) {
        xv->n_syscall++;
        return user_syscall(v);
    }
    if (xen_fastcall_is_exit_after(r->rip)) {
        /* The stub has the result of a call served without an exit in
         * rax; it came out so that an event can be delivered. */
        xen_fastcall_want_exit(v, false);
        r->rip = r->rcx;
        r->rflags = return_flags(r->r11);
        keep_cpl3(v);
        return XEN_NEXT_RESUME;
    }
    if (r->rax < XEN_NR_HYPERCALLS)
        xv->n_hypercall[r->rax]++;
    xen_fastcall_slow_call(v, r->rax);
    xv->next = XEN_NEXT_RESUME;
    uint64_t ret_rip = r->rcx, ret_flags = r->r11, nr = r->rax;
    uint64_t t0 = now_ns(CLOCK_MONOTONIC);
    int64_t ret = xen_hypercall(v, nr);
    if (nr < XEN_NR_HYPERCALLS)
        xv->ns_hypercall[nr] += now_ns(CLOCK_MONOTONIC) - t0;
    if (xv->next == XEN_NEXT_NO_RESULT)
        return XEN_NEXT_RESUME;
    r->rax = (uint64_t)ret;
    r->rip = ret_rip;
    r->rflags = return_flags(ret_flags);
    keep_cpl3(v);
    return xv->next;
}

enum xen_next xen_vcpu_exit_io(struct vcpu *v)
{
    struct kvm_run *run = v->run;
    enum xen_next next;

    if (run->io.direction != KVM_EXIT_IO_OUT) {
        xen_crash(v, "port read from %#x at rip=%#llx", run->io.port,
                  (unsigned long long)regs_of(v)->rip);
        return XEN_NEXT_END;
    }
    switch (run->io.port) {
    case XEN_PORT_SYSCALL:
        next = on_syscall(v);
        break;
    default:
        next = xen_trap(v);
        break;
    }
    xen_regs_dirty(v, xen_vcpu_of(v)->sregs_dirty);
    xen_vcpu_of(v)->sregs_dirty = false;
    return next;
}

/* Deliver the event upcall if one is due and the vCPU is in guest code. */
static void maybe_upcall(struct vcpu *v)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct xen_vcpu_info *vi = xen_vcpu_info(v);
    struct kvm_regs *r = regs_of(v);
    uint64_t stub = XEN_PRIV_VA + XEN_OFF_SYSCALL_STUB;

    if (!xv->event_cb || !__atomic_load_n(&vi->evtchn_upcall_pending, __ATOMIC_ACQUIRE) ||
        __atomic_load_n(&vi->evtchn_upcall_mask, __ATOMIC_ACQUIRE)) {
        xen_fastcall_want_exit(v, false);
        return;
    }
    /* Not in the middle of a stub: an exit is on its way there (the
     * syscall stub's fast paths are told to exit when done). */
    if (sregs_of(v)->cs.dpl != 3)
        return;
    if (r->rip >= stub && r->rip < stub + 4096) {
        int step = xen_fastcall_tail_step(r->rip);
        if (step < 0) {
            /* Every way on from here checks the flag or exits. */
            xen_fastcall_want_exit(v, true);
            return;
        }
        /* Past the check: the return to rcx is done here instead. */
        if (step == 1)
            r->rsp += 8;
        if (step < 2)
            r->rflags = return_flags(r->r11);
        r->rip = r->rcx;
        xen_regs_dirty(v, false);
    }
    xen_fastcall_want_exit(v, false);
    /* Nor with an exception KVM has yet to deliver (a kick can end
     * KVM_RUN between a fault and its delivery): moving rip now would
     * have the fault reported at the upcall's entry.  The exception's
     * exit comes first; the upcall follows it. */
    struct kvm_vcpu_events ev;
    if (ioctl(v->fd, KVM_GET_VCPU_EVENTS, &ev) < 0 || ev.exception.injected ||
        ev.exception.pending || ev.nmi.injected || ev.interrupt.injected)
        return;
    xv->n_upcall++;
    if (xen_bounce(v, xv->event_cb, -1, true) < 0)
        xen_crash(v, "cannot deliver an event: kernel stack unusable at rip=%#llx",
                  (unsigned long long)r->rip);
    xen_regs_dirty(v, false);
}

/* Write code for this run of the stub into the JIT area: per queued entry
 * "movabs $val,%rax; movabs %rax,(RAM map + gpa)", per address to flush
 * "movabs $va,%rax; invlpg (%rax)", then rax back and iretq.  Two emulated
 * instructions an entry (~1.5 us) and four more a run.  Returns false if
 * the run does not fit (the loop stub takes it). */
static bool jit_stub(struct vcpu *v)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    uint8_t *priv = v->dom->xen->priv;
    const struct xen_ptw *q = (const struct xen_ptw *)(priv + XEN_OFF_PTW);
    uint8_t *c = priv + XEN_OFF_JIT;
    size_t need = xv->nr_ptw * 20 + xv->nr_flush_va * 13 + 6 + 10 + 2;

    if (need > XEN_JIT_BYTES)
        return false;
    for (size_t i = 0; i < xv->nr_ptw; i++) {
        uint64_t va = XEN_RAMMAP_VA + q[i].gpa;
        *c++ = 0x48; *c++ = 0xb8; memcpy(c, &q[i].val, 8); c += 8;
        *c++ = 0x48; *c++ = 0xa3; memcpy(c, &va, 8); c += 8;
    }
    if (xv->flush == XEN_FLUSH_INVLPG) {
        for (unsigned i = 0; i < xv->nr_flush_va; i++) {
            *c++ = 0x48; *c++ = 0xb8; memcpy(c, &xv->flush_va[i], 8); c += 8;
            *c++ = 0x0f; *c++ = 0x01; *c++ = 0x38;
        }
    } else if (xv->flush == XEN_FLUSH_ALL) {
        static const uint8_t reload[] = { 0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8 };
        memcpy(c, reload, sizeof(reload));
        c += sizeof(reload);
    }
    uint64_t save = XEN_PRIV_VA + XEN_JIT_SAVE;
    *c++ = 0x48; *c++ = 0xa1; memcpy(c, &save, 8); c += 8;     /* movabs save, %rax */
    *c++ = 0x48; *c++ = 0xcf;                                  /* iretq */
    *(uint64_t *)(priv + XEN_JIT_SAVE) = regs_of(v)->rax;
    regs_of(v)->rip = XEN_PRIV_VA + XEN_OFF_JIT;
    return true;
}

/* Run the queued page-table writes and flush in the guest, at CPL 0; the
 * stub returns to the state now in the registers with an iretq. */
static void start_apply(struct vcpu *v)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_regs *r = regs_of(v);
    struct kvm_sregs *s = sregs_of(v);
    uint8_t *priv = v->dom->xen->priv;
    uint64_t *frame = (uint64_t *)(priv + XEN_OFF_STACK_TOP - 5 * 8);

    xv->n_apply++;
    xv->n_ptw += xv->nr_ptw;
    frame[0] = r->rip;
    frame[1] = s->cs.selector;
    frame[2] = r->rflags;
    frame[3] = r->rsp;
    frame[4] = s->ss.selector;
    if (!jit_stub(v)) {
        uint64_t *save = (uint64_t *)(priv + XEN_OFF_APPLY_STUB + XEN_APPLY_SAVE);
        save[0] = r->rax; save[1] = r->rbx; save[2] = r->rcx; save[3] = r->rdx;
        save[4] = r->rsi; save[5] = r->rdi; save[6] = r->r8;  save[7] = r->r9;
        save[8] = r->r10;
        memcpy(priv + XEN_OFF_FLUSHVA, xv->flush_va, xv->nr_flush_va * sizeof(uint64_t));
        r->rsi = XEN_PRIV_VA + XEN_OFF_PTW;
        r->rcx = xv->nr_ptw;
        r->r9 = XEN_RAMMAP_VA;
        r->rdx = xv->flush;
        r->rdi = XEN_PRIV_VA + XEN_OFF_FLUSHVA;
        r->r8 = xv->flush == XEN_FLUSH_INVLPG ? xv->nr_flush_va : 0;
        r->r10 = s->cr3;
        r->rip = XEN_PRIV_VA + XEN_OFF_APPLY_STUB;
    }
    r->rsp = XEN_PRIV_VA + XEN_OFF_STACK_TOP - 5 * 8;
    r->rflags = 2;
    flat_seg(&s->cs, XEN_SEL_HV_CS, 0xb, 0, true);
    flat_seg(&s->ss, XEN_SEL_HV_DS, 0x3, 0, false);
    xv->nr_ptw = 0;
    xv->flush = XEN_FLUSH_NONE;
    xv->nr_flush_va = 0;
    xen_regs_dirty(v, true);
}

/* Where the #GP stub finds the event mask a cli sets (xen_cli_stub.S):
 * the vcpu_info in use, through hvcore's supervisor maps. */
static void set_cli_mask_ptr(struct vcpu *v)
{
    uint64_t gpa = xen_vcpu_of(v)->vcpu_info_gpa;

    if (!gpa)
        gpa = v->dom->xen->shared_info_gpa + offsetof(struct xen_shared_info, vcpu_info) +
              v->id * sizeof(struct xen_vcpu_info);
    uint64_t va = (gpa >= XEN_PRIV_GPA ? XEN_PRIV_VA + (gpa - XEN_PRIV_GPA) : XEN_RAMMAP_VA + gpa) +
                  offsetof(struct xen_vcpu_info, evtchn_upcall_mask);
    uint64_t *slot = (uint64_t *)(v->dom->xen->priv + XEN_OFF_TRAP_STUBS + XEN_TRAP_GP_MASKPTR);
    if (*slot != va)
        *slot = va;
}

void xen_vcpu_before_run(struct vcpu *v)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_sregs *s = sregs_of(v);

    set_cli_mask_ptr(v);

    /* At CPL 0 the vCPU is in the page-table stub, which returns to the
     * guest by itself; a kick there just lets it go on. */
    if (!v->regs_valid || s->cs.dpl != 3)
        return;
    maybe_upcall(v);
    if (xv->forget_shadows) {
        xv->forget_shadows = false;
        xv->nr_ptw = 0;
        if (xen_layout_forget_shadows(v->dom) < 0)
            xen_crash(v, "cannot make KVM drop its shadow page tables");
    }
    /* A new CR3 goes in through KVM_SET_SREGS: a full flush, as on x86,
     * and cheaper than a CR3 load by the stub (measured: 1.5 s against
     * 2.0 s of a boot's page-table switches). */
    if (xv->cr3_dirty || s->cr3 != mode_cr3(xv)) {
        s->cr3 = mode_cr3(xv);
        xv->cr3_dirty = false;
        if (xv->flush == XEN_FLUSH_ALL || xv->flush == XEN_FLUSH_INVLPG) {
            xv->flush = XEN_FLUSH_NONE;
            xv->nr_flush_va = 0;
        }
        xen_regs_dirty(v, true);
    }
    /* A flush without writes: a changed CR4 bit (DE, which nothing here
     * uses) makes KVM reload and sync its roots, with no emulated code. */
    if (!xv->nr_ptw && xv->flush != XEN_FLUSH_NONE) {
        s->cr4 ^= 1ULL << 3;
        xv->flush = XEN_FLUSH_NONE;
        xv->nr_flush_va = 0;
        xen_regs_dirty(v, true);
    }
    if (xv->nr_ptw)
        start_apply(v);
}

void xen_vcpu_trace_summary(struct vcpu *v)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);

    fprintf(stderr, "hvcore: xen: vcpu %u: %llu user syscalls, %llu upcalls, %llu stub runs "
            "(%llu entries)\n", v->id, (unsigned long long)xv->n_syscall,
            (unsigned long long)xv->n_upcall, (unsigned long long)xv->n_apply,
            (unsigned long long)xv->n_ptw);
    for (unsigned i = 0; i < XEN_NR_HYPERCALLS; i++)
        if (xv->n_hypercall[i])
            fprintf(stderr, "hvcore: xen:   hypercall %2u: %llu (%llu us in hvcore)\n", i,
                    (unsigned long long)xv->n_hypercall[i],
                    (unsigned long long)xv->ns_hypercall[i] / 1000);
    xen_trace_kvm_stats(v->fd, "vcpu");
    xen_trace_kvm_stats(v->dom->vm_fd, "vm");
    for (unsigned i = 0; i < 32; i++)
        if (xv->n_trap[i])
            fprintf(stderr, "hvcore: xen:   exception %2u: %llu\n", i,
                    (unsigned long long)xv->n_trap[i]);
}

/* HVCORE_XEN_TRACE: every non-zero cumulative KVM counter of fd. */
void xen_trace_kvm_stats(int fd, const char *what)
{
    struct kvm_stats_header h;
    int sfd = ioctl(fd, KVM_GET_STATS_FD, NULL);

    if (sfd < 0)
        return;
    if (pread(sfd, &h, sizeof(h), 0) == (ssize_t)sizeof(h) && h.num_desc && h.num_desc < 4096 &&
        h.name_size && h.name_size <= 256) {
        size_t ds = sizeof(struct kvm_stats_desc) + h.name_size;
        char *descs = malloc(ds * h.num_desc);
        if (descs && pread(sfd, descs, ds * h.num_desc, h.desc_offset) == (ssize_t)(ds * h.num_desc)) {
            for (uint32_t i = 0; i < h.num_desc; i++) {
                const struct kvm_stats_desc *d = (const void *)(descs + i * ds);
                uint64_t val;
                if (d->size != 1 || pread(sfd, &val, 8, (off_t)h.data_offset + d->offset) != 8 || !val)
                    continue;
                fprintf(stderr, "hvcore: xen:   kvm %s %s: %llu\n", what, d->name,
                        (unsigned long long)val);
            }
        }
        free(descs);
    }
    close(sfd);
}
