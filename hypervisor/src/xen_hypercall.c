/*
 * xen_hypercall.c - dispatch of Xen-PV hypercalls (xen_hypercall.h) and
 * those that set up the vCPU: trap table, callbacks, kernel stack,
 * segment bases, FPU switch, debug registers, multicall and iret.
 *
 * Every argument is the guest's and checked: addresses must be canonical
 * and reach guest RAM through the kernel's page tables (xen_copy_*),
 * counts are capped, selectors must name the guest's own CPL-3 segments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_hypercall.h"
#include "xen_layout.h"
#include "xen_mm.h"
#include "xen_vcpu.h"

#define RFLAGS_IF   (1ULL << 9)
#define RFLAGS_IOPL (3ULL << 12)
#define RFLAGS_VM   (1ULL << 17)
#define MULTICALL_MAX 256

static bool canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}

static int64_t hc_set_trap_table(struct vcpu *v, const uint64_t a[6])
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct xen_trap_info ti;

    if (a[0] == 0) {
        memset(xv->trap, 0, sizeof(xv->trap));
        return 0;
    }
    for (unsigned i = 0; i < 256; i++) {
        if (xen_copy_from_guest(v, a[0] + i * sizeof(ti), &ti, sizeof(ti)) < 0)
            return -HVE_FAULT;
        if (ti.address == 0)
            return 0;
        if (!canonical(ti.address))
            return -HVE_INVAL;
        xv->trap[ti.vector].address = ti.address;
        xv->trap[ti.vector].cs = ti.cs;
        xv->trap[ti.vector].flags = ti.flags;
    }
    return 0;                               /* a full table needs no end */
}

static int64_t hc_stack_switch(struct vcpu *v, const uint64_t a[6])
{
    struct xen_vcpu *xv = xen_vcpu_of(v);

    if (!canonical(a[1]))
        return -HVE_INVAL;
    xv->kernel_ss = a[0];
    xv->kernel_sp = a[1];
    return 0;
}

static int64_t hc_fpu_taskswitch(struct vcpu *v, const uint64_t a[6])
{
    /* FPU state stays live (eager FPU): TS is only remembered for the
     * guest's reads of CR0. */
    xen_vcpu_of(v)->fpu_ts = a[0] != 0;
    return 0;
}

static int64_t hc_set_segment_base(struct vcpu *v, const uint64_t a[6])
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_sregs *s = &v->run->s.regs.sregs;
    uint64_t base = a[1];

    if (a[0] != XEN_SEGBASE_GS_USER_SEL && !canonical(base))
        return -HVE_INVAL;
    switch (a[0]) {
    case XEN_SEGBASE_FS:
        xv->fs_base = base;
        s->fs.base = base;
        break;
    case XEN_SEGBASE_GS_USER:
        xv->gs_base_user = base;
        if (!xv->kernel_mode)
            s->gs.base = base;
        break;
    case XEN_SEGBASE_GS_KERNEL:
        xv->gs_base_kernel = base;
        if (xv->kernel_mode)
            s->gs.base = base;
        break;
    case XEN_SEGBASE_GS_USER_SEL: {
        /* Load a user %gs selector: its base becomes the user GS base. */
        uint16_t sel = (uint16_t)base;
        struct kvm_segment seg;
        if ((sel & ~3u) == 0) {
            s->gs.selector = 0;
            xv->gs_base_user = 0;
        } else if (xen_load_seg(v, &seg, sel, false) == 0) {
            s->gs.selector = seg.selector;
            xv->gs_base_user = seg.base;
        } else {
            return -HVE_INVAL;
        }
        break;
    }
    default:
        return -HVE_INVAL;
    }
    xv->sregs_dirty = true;
    return 0;
}

static int64_t hc_callback_op(struct vcpu *v, const uint64_t a[6])
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct xen_callback_register cb;

    if (a[0] != XEN_CALLBACKOP_register && a[0] != XEN_CALLBACKOP_unregister)
        return -HVE_NOSYS;
    if (xen_copy_from_guest(v, a[1], &cb, sizeof(cb)) < 0)
        return -HVE_FAULT;
    if (a[0] == XEN_CALLBACKOP_unregister)
        cb.address = 0;
    else if (!canonical(cb.address))
        return -HVE_INVAL;
    switch (cb.type) {
    case XEN_CALLBACKTYPE_event:
        xv->event_cb = cb.address;
        return 0;
    case XEN_CALLBACKTYPE_failsafe:
        xv->failsafe_cb = cb.address;
        return 0;
    case XEN_CALLBACKTYPE_syscall:
        xv->syscall_cb = cb.address;
        xv->syscall_cb_flags = cb.flags;
        return 0;
    case XEN_CALLBACKTYPE_syscall32:
    case XEN_CALLBACKTYPE_sysenter:
    case XEN_CALLBACKTYPE_nmi:
        return 0;                           /* no 32-bit entry, no NMIs */
    default:
        return -HVE_INVAL;
    }
}

static int64_t hc_set_debugreg(struct vcpu *v, const uint64_t a[6])
{
    (void)v;
    /* No debug registers: clearing them is all a guest can do. */
    if (a[0] > 7 || a[0] == 4 || a[0] == 5)
        return -HVE_INVAL;
    return (a[0] == 7 ? (a[1] & 0xff) == 0 : true) ? 0 : -HVE_PERM;
}

static int64_t hc_get_debugreg(struct vcpu *v, const uint64_t a[6])
{
    (void)v;
    if (a[0] > 7 || a[0] == 4 || a[0] == 5)
        return -HVE_INVAL;
    return a[0] == 6 ? 0xffff0ff0 : a[0] == 7 ? 0x400 : 0;
}

/*
 * A descriptor the guest may have in its GDT: code or data at DPL 3
 * (lower DPLs are raised, as Xen raises them to the guest kernel's ring),
 * or null.  System descriptors (TSS, LDT, gates) could lead to CPL 0:
 * they are refused.
 */
static bool descriptor_ok(uint64_t *d)
{
    if (*d == 0)
        return true;
    if (!((*d >> 44) & 1))
        return false;                       /* system descriptor */
    if (((*d >> 43) & 1) && ((*d >> 53) & 1) && ((*d >> 54) & 1))
        return false;                       /* code with both L and D */
    *d |= 3ULL << 45;                       /* DPL 3 */
    return true;
}

void xen_gdt_release(struct vcpu *v)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    unsigned frames = (xv->gdt_ents + 511) / 512;

    for (unsigned i = 0; i < frames; i++)
        xen_mm_put_seg_desc(v->dom, xv->gdt_frames[i]);
    xv->gdt_ents = 0;
    memset(v->dom->xen->priv + XEN_OFF_GDT, 0, XEN_FIRST_RESERVED_GDT_PAGE * 4096);
}

static int64_t hc_set_gdt(struct vcpu *v, const uint64_t a[6])
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct domain *d = v->dom;
    uint64_t frames[XEN_FIRST_RESERVED_GDT_PAGE];
    uint64_t entries = a[1];
    unsigned n = (unsigned)((entries + 511) / 512), got = 0;
    int64_t ret = 0;

    if (entries == 0 || entries > XEN_FIRST_RESERVED_GDT_ENTRY)
        return -HVE_INVAL;
    if (xen_copy_from_guest(v, a[0], frames, n * sizeof(uint64_t)) < 0)
        return -HVE_FAULT;
    for (; got < n; got++) {
        if (frames[got] >= d->xen->nr_pages || xen_mm_get_seg_desc(d, frames[got]) < 0) {
            ret = -HVE_INVAL;
            break;
        }
    }
    if (ret < 0) {
        while (got--)
            xen_mm_put_seg_desc(d, frames[got]);
        return ret;
    }
    xen_gdt_release(v);
    uint64_t *gdt = (uint64_t *)(d->xen->priv + XEN_OFF_GDT);
    for (uint64_t i = 0; i < entries; i++) {
        uint64_t desc = ((const uint64_t *)(d->mem + (frames[i / 512] << 12)))[i % 512];
        gdt[i] = descriptor_ok(&desc) ? desc : 0;
    }
    memcpy(xv->gdt_frames, frames, n * sizeof(uint64_t));
    xv->gdt_ents = (unsigned)entries;
    return 0;
}

static int64_t hc_update_descriptor(struct vcpu *v, const uint64_t a[6])
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct domain *d = v->dom;
    uint64_t maddr = a[0], desc = a[1], mfn = maddr >> 12;

    if ((maddr & 7) || mfn >= d->xen->nr_pages || xen_mm_frame_is_pt(d, mfn))
        return -HVE_INVAL;
    if (!descriptor_ok(&desc))
        return -HVE_INVAL;
    __atomic_store_n((uint64_t *)(d->mem + maddr), desc, __ATOMIC_RELAXED);
    for (unsigned f = 0; f * 512 < xv->gdt_ents; f++) {
        unsigned idx = f * 512 + (unsigned)((maddr & 0xfff) >> 3);
        if (xv->gdt_frames[f] == mfn && idx < xv->gdt_ents)
            ((uint64_t *)(d->xen->priv + XEN_OFF_GDT))[idx] = desc;
    }
    return 0;
}

/* iret: pop Xen's iret context from the kernel stack (docs/xen-pv.md). */
static int64_t hc_iret(struct vcpu *v, const uint64_t a[6])
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_regs *r = &v->run->s.regs.regs;
    struct kvm_sregs *s = &v->run->s.regs.sregs;
    struct xen_iret_context f;
    struct kvm_segment cs, ss;

    (void)a;
    if (xen_copy_from_guest(v, r->rsp, &f, sizeof(f)) < 0) {
        xen_crash(v, "iret: frame at %#llx unreadable", (unsigned long long)r->rsp);
        xv->next = XEN_NEXT_END;
        return 0;
    }
    bool to_user = (f.cs & 3) == 3;
    if (to_user && !xv->guest_table_user) {
        xen_crash(v, "iret to user mode without user page tables");
        xv->next = XEN_NEXT_END;
        return 0;
    }
    if (!canonical(f.rip) || !canonical(f.rsp) ||
        xen_load_seg(v, &cs, (uint16_t)(f.cs | 3), true) < 0 ||
        xen_load_seg(v, &ss, (uint16_t)(f.ss | 3), false) < 0) {
        xen_crash(v, "iret to an invalid context (rip %#llx cs %#llx ss %#llx)",
                  (unsigned long long)f.rip, (unsigned long long)f.cs,
                  (unsigned long long)f.ss);
        xv->next = XEN_NEXT_END;
        return 0;
    }
    if (to_user)
        xen_set_mode(v, false);
    s->cs = cs;
    s->ss = ss;
    r->rip = f.rip;
    r->rsp = f.rsp;
    r->rflags = (f.rflags & ~(RFLAGS_IOPL | RFLAGS_VM)) | RFLAGS_IF | 2;
    r->rax = f.rax;
    if (!(f.flags & XEN_VGCF_in_syscall)) {
        r->r11 = f.r11;
        r->rcx = f.rcx;
    }
    __atomic_store_n(&xen_vcpu_info(v)->evtchn_upcall_mask, !(f.rflags & RFLAGS_IF),
                     __ATOMIC_RELEASE);
    xv->sregs_dirty = true;
    xv->next = XEN_NEXT_NO_RESULT;
    return 0;
}

static int64_t hc_refuse(struct vcpu *v, const uint64_t a[6])
{
    (void)v;
    (void)a;
    return -HVE_PERM;
}

static int64_t hc_multicall(struct vcpu *v, const uint64_t a[6]);

static xen_hc_fn *const table[XEN_NR_HYPERCALLS] = {
    [XEN_HC_set_trap_table] = hc_set_trap_table,
    [XEN_HC_mmu_update] = xen_hc_mmu_update,
    [XEN_HC_set_gdt] = hc_set_gdt,
    [XEN_HC_stack_switch] = hc_stack_switch,
    [XEN_HC_fpu_taskswitch] = hc_fpu_taskswitch,
    [XEN_HC_sched_op_compat] = xen_hc_sched_op_compat,
    [XEN_HC_platform_op] = hc_refuse,
    [XEN_HC_set_debugreg] = hc_set_debugreg,
    [XEN_HC_get_debugreg] = hc_get_debugreg,
    [XEN_HC_update_descriptor] = hc_update_descriptor,
    [XEN_HC_memory_op] = xen_hc_memory_op,
    [XEN_HC_multicall] = hc_multicall,
    [XEN_HC_update_va_mapping] = xen_hc_update_va_mapping,
    [XEN_HC_set_timer_op] = xen_hc_set_timer_op,
    [XEN_HC_xen_version] = xen_hc_xen_version,
    [XEN_HC_console_io] = xen_hc_console_io,
    [XEN_HC_vm_assist] = xen_hc_vm_assist,
    [XEN_HC_update_va_mapping_otherdomain] = hc_refuse,
    [XEN_HC_iret] = hc_iret,
    [XEN_HC_vcpu_op] = xen_hc_vcpu_op,
    [XEN_HC_set_segment_base] = hc_set_segment_base,
    [XEN_HC_mmuext_op] = xen_hc_mmuext_op,
    [XEN_HC_sched_op] = xen_hc_sched_op,
    [XEN_HC_callback_op] = hc_callback_op,
    [XEN_HC_event_channel_op] = xen_hc_event_channel_op,
    [XEN_HC_physdev_op] = xen_hc_physdev_op,
    [XEN_HC_sysctl] = hc_refuse,
    [XEN_HC_domctl] = hc_refuse,
    [XEN_HC_kexec_op] = hc_refuse,
};

static int64_t call(struct vcpu *v, uint64_t nr, const uint64_t a[6])
{
    /* Read by two threads (the vCPU's, the fast-call one): same answer. */
    static int trace = -1;

    int t = __atomic_load_n(&trace, __ATOMIC_RELAXED);
    if (t < 0) {
        t = getenv("HVCORE_XEN_TRACE") != NULL;
        __atomic_store_n(&trace, t, __ATOMIC_RELAXED);
    }
    int64_t r = nr < XEN_NR_HYPERCALLS && table[nr] ? table[nr](v, a) : -HVE_NOSYS;
    /* HVCORE_XEN_TRACE: every failed hypercall on stderr (debugging). */
    if (t && r < 0) {
        uint64_t m[2] = { 0, 0 };
        if (nr == XEN_HC_mmu_update)
            (void)xen_copy_from_guest(v, a[0], m, sizeof(m));
        fprintf(stderr, "hvcore: xen: hypercall %llu (%#llx, %#llx, %#llx) = %lld [%#llx %#llx]\n",
                (unsigned long long)nr, (unsigned long long)a[0], (unsigned long long)a[1],
                (unsigned long long)a[2], (long long)r, (unsigned long long)m[0],
                (unsigned long long)m[1]);
    }
    return r;
}

/* A batch of hypercalls; results are written back into each entry. */
static int64_t hc_multicall(struct vcpu *v, const uint64_t a[6])
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct xen_multicall_entry e;
    uint64_t list = a[0], n = a[1];

    if (n > MULTICALL_MAX)
        return -HVE_INVAL;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t at = list + i * sizeof(e);
        if (xen_copy_from_guest(v, at, &e, sizeof(e)) < 0)
            return -HVE_FAULT;
        if (e.op == XEN_HC_multicall || e.op == XEN_HC_iret)
            e.result = -HVE_INVAL;
        else
            e.result = call(v, e.op, e.args);
        if (xen_copy_to_guest(v, at + offsetof(struct xen_multicall_entry, result), &e.result,
                              sizeof(e.result)) < 0)
            return -HVE_FAULT;
        if (xv->next != XEN_NEXT_RESUME)
            break;                          /* blocked or ending */
    }
    return 0;
}

int64_t xen_hypercall(struct vcpu *v, uint64_t nr)
{
    const struct kvm_regs *r = &v->run->s.regs.regs;
    const uint64_t a[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 };

    return call(v, nr, a);
}

int64_t xen_hypercall_args(struct vcpu *v, uint64_t nr, const uint64_t a[6])
{
    return call(v, nr, a);
}
