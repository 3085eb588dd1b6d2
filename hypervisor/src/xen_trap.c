/*
 * xen_trap.c - exceptions of a Xen-PV guest (xen_trap.h).
 *
 * The guest kernel runs at CPL 3, so what a native kernel does in ring 0
 * traps: `wrmsr` of GS_BASE in startup_xen, `mov %cr4`, port I/O of
 * drivers probing for hardware, the forced-emulation prefix before
 * cpuid.  hvcore emulates those for kernel mode only, as Xen does, and
 * bounces everything else - page faults above all - to the guest kernel's
 * trap table with Xen's frame.
 */
#include <string.h>
#include <x86intrin.h>

#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_layout.h"
#include "xen_ptwr.h"
#include "xen_trap.h"
#include "xen_vcpu.h"

#define MSR_EFER           0xc0000080
#define MSR_FS_BASE        0xc0000100
#define MSR_GS_BASE        0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC            0x10
#define MSR_PAT            0x277
#define MSR_MISC_ENABLE    0x1a0
#define MSR_PLATFORM_INFO  0xce

#define PFEC_USER (1u << 2)

#define CR0_GUEST 0x80050033ULL
#define CR4_GUEST 0x00000620ULL

/* Instruction length handled, 0: not emulated (bounce #GP), -1: block. */
#define EMUL_BLOCK (-1)

static const char *const vector_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP",
    "#SS", "#GP", "#PF", "15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static bool has_error_code(unsigned vec)
{
    return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 ||
           vec == 30;
}

static bool rdmsr_emul(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);

    switch (msr) {
    case MSR_FS_BASE:        *val = v->run->s.regs.sregs.fs.base; return true;
    case MSR_GS_BASE:        *val = xv->gs_base_kernel; return true;
    case MSR_KERNEL_GS_BASE: *val = xv->gs_base_user; return true;
    case MSR_EFER:           *val = 0xd01; return true;
    case MSR_PAT:            *val = 0x0007040600070406ULL; return true;
    case MSR_MISC_ENABLE:    *val = 1;    return true;     /* fast strings */
    case MSR_TSC:            *val = __rdtsc() + (uint64_t)v->dom->guest_tsc_offset; return true;
    default:                 return false;
    }
}

static void wrmsr_emul(struct vcpu *v, uint32_t msr, uint64_t val)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_sregs *s = &v->run->s.regs.sregs;

    /* Other writes are dropped, as Xen drops what a PV guest may not set. */
    switch (msr) {
    case MSR_FS_BASE:
        s->fs.base = val;
        xv->fs_base = val;
        xv->sregs_dirty = true;
        break;
    case MSR_GS_BASE:
        xv->gs_base_kernel = val;
        s->gs.base = val;
        xv->sregs_dirty = true;
        break;
    case MSR_KERNEL_GS_BASE:
        xv->gs_base_user = val;
        break;
    }
}

/* Emulate a privileged instruction of the guest kernel at rip.  Returns
 * its length, 0 if it is not one hvcore emulates, EMUL_BLOCK for hlt. */
static int emulate_privileged(struct vcpu *v)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_regs *r = &v->run->s.regs.regs;
    uint8_t b[16];
    unsigned i = 0, rex = 0;
    bool opsize = false;

    memset(b, 0, sizeof(b));
    /* The bytes may end at a page boundary: try shorter reads. */
    if (xen_copy_from_guest(v, r->rip, b, sizeof(b)) < 0 &&
        xen_copy_from_guest(v, r->rip, b, 4096 - (r->rip & 0xfff) < 16 ?
                            4096 - (r->rip & 0xfff) : 1) < 0)
        return 0;
    for (; i < 4; i++) {
        if (b[i] == 0x66)
            opsize = true;
        else if ((b[i] & 0xf0) == 0x40)
            rex = b[i];
        else
            break;
    }
    uint8_t op = b[i];
    unsigned len = i + 1;
    unsigned size = op & 1 ? (opsize ? 2 : 4) : 1;
    uint64_t ones = size == 1 ? 0xff : size == 2 ? 0xffff : 0xffffffff;
    uint16_t port = (uint16_t)r->rdx;
    uint64_t val;

    switch (op) {
    case 0xe4: case 0xe5:                   /* in imm8: no device answers */
        port = b[i + 1];
        len++;
        /* fall through */
    case 0xec: case 0xed:
        /* The PIT reads 0, so that the kernel's quick PIT calibration
         * gives up at once instead of polling a counter that never moves
         * (3 s of traps); every other port floats high. */
        val = (port >= 0x40 && port <= 0x43) || port == 0x61 ? 0 : ones;
        if (size == 4)
            r->rax = val;
        else
            r->rax = (r->rax & ~ones) | val;
        return (int)len;
    case 0xe6: case 0xe7:                   /* out imm8: dropped */
        len++;
        /* fall through */
    case 0xee: case 0xef:
        return (int)len;
    case 0xfa:                              /* cli / sti: the event mask */
    case 0xfb:
        __atomic_store_n(&xen_vcpu_info(v)->evtchn_upcall_mask, op == 0xfa, __ATOMIC_RELAXED);
        return (int)len;
    case 0xf4:                              /* hlt */
        return EMUL_BLOCK;
    case 0x0f:
        break;
    default:
        return 0;
    }
    uint8_t op2 = b[i + 1];
    uint8_t modrm = b[i + 2];
    unsigned reg = ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0);
    unsigned rm = (modrm & 7) | (rex & 1 ? 8 : 0);

    switch (op2) {
    case 0x30:                              /* wrmsr */
        wrmsr_emul(v, (uint32_t)r->rcx, (r->rdx << 32) | (uint32_t)r->rax);
        return (int)len + 1;
    case 0x32:                              /* rdmsr */
        if (!rdmsr_emul(v, (uint32_t)r->rcx, &val))
            return 0;
        r->rax = (uint32_t)val;
        r->rdx = val >> 32;
        return (int)len + 1;
    case 0x06:                              /* clts */
        xv->fpu_ts = false;
        return (int)len + 1;
    case 0x08: case 0x09:                   /* invd, wbinvd */
        return (int)len + 1;
    case 0x20:                              /* mov %crN, reg */
        if ((modrm >> 6) != 3)
            return 0;
        switch (reg) {
        case 0: val = CR0_GUEST | (xv->fpu_ts ? 8 : 0); break;
        case 2: val = xen_vcpu_info(v)->cr2; break;
        case 3: val = xv->guest_table << 12; break;
        case 4: val = CR4_GUEST; break;
        case 8: val = 0; break;
        default: return 0;
        }
        *xen_gpr(r, rm) = val;
        return (int)len + 2;
    case 0x22:                              /* mov reg, %crN */
        if ((modrm >> 6) != 3)
            return 0;
        if (reg == 0)
            xv->fpu_ts = (*xen_gpr(r, rm) & 8) != 0;
        else if (reg != 4 && reg != 8)
            return 0;                       /* cr3: the guest uses new_baseptr */
        return (int)len + 2;
    case 0x21:                              /* mov %drN, reg: no debug registers */
        if ((modrm >> 6) != 3)
            return 0;
        *xen_gpr(r, rm) = reg == 6 ? 0xffff0ff0 : reg == 7 ? 0x400 : 0;
        return (int)len + 2;
    case 0x23:
        return (modrm >> 6) == 3 ? (int)len + 2 : 0;
    default:
        return 0;
    }
}

/* Xen's forced-emulation prefix: ud2a; .ascii "xen"; cpuid. */
static bool emulate_forced_cpuid(struct vcpu *v)
{
    static const uint8_t sig[7] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
    struct kvm_regs *r = &v->run->s.regs.regs;
    uint8_t b[7];
    uint32_t out[4];

    if (xen_copy_from_guest(v, r->rip, b, sizeof(b)) < 0 || memcmp(b, sig, sizeof(sig)))
        return false;
    xen_cpuid((uint32_t)r->rax, (uint32_t)r->rcx, out);
    r->rax = out[0];
    r->rbx = out[1];
    r->rcx = out[2];
    r->rdx = out[3];
    r->rip += sizeof(sig);
    return true;
}

/* `int $n` through a gate hvcore keeps at DPL 0 arrives as #GP with the
 * IDT bit set: deliver it as the guest's trap table allows. */
static bool soft_interrupt(struct vcpu *v, uint64_t err)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    unsigned n = (unsigned)(err >> 3) & 0xff;
    const struct xen_trap_entry *t = &xv->trap[n];

    if ((err & 3) != 2 || !t->address)
        return false;
    /* From user mode only DPL 3; kernel mode is Xen's ring 1. */
    if (XEN_TI_DPL(t->flags) < (xv->kernel_mode ? 1 : 3))
        return false;
    v->run->s.regs.regs.rip += 2;           /* int imm8 */
    return xen_bounce(v, t->address, -1, t->flags & XEN_TI_MASK_EVENTS) == 0;
}

/* Back to the guest's context from the hardware frame on hvcore's stack. */
static int unwind(struct vcpu *v, unsigned vec, int64_t *err)
{
    struct kvm_regs *r = &v->run->s.regs.regs;
    struct kvm_sregs *s = &v->run->s.regs.sregs;
    struct xen_dom *x = v->dom->xen;
    bool code = has_error_code(vec);
    uint64_t top = XEN_PRIV_VA + (vec == 8 ? XEN_OFF_IST_TOP : XEN_OFF_STACK_TOP);
    uint64_t want = top - (code ? 6 : 5) * 8;

    if (r->rsp != want)
        return -HVE_INVAL;                  /* nested: a fault in a stub */
    const uint64_t *f = (const uint64_t *)(x->priv + (r->rsp - XEN_PRIV_VA));
    *err = code ? (int64_t)f[0] : -1;
    f += code;
    if ((f[1] & 3) != 3 || (f[4] & 3) != 3)
        return -HVE_INVAL;                  /* from CPL 0: hvcore's stub */
    r->rip = f[0];
    r->rflags = f[2];
    r->rsp = f[3];
    if (xen_load_seg(v, &s->cs, (uint16_t)f[1], true) < 0 ||
        xen_load_seg(v, &s->ss, (uint16_t)f[4], false) < 0)
        return -HVE_INVAL;
    xen_vcpu_of(v)->sregs_dirty = true;
    return 0;
}

enum xen_next xen_trap(struct vcpu *v)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_regs *r = &v->run->s.regs.regs;
    uint64_t base = XEN_PRIV_VA + XEN_OFF_TRAP_STUBS;
    uint64_t cr2 = v->run->s.regs.sregs.cr2;
    int64_t err;

    if (r->rip < base || r->rip >= base + 256 * XEN_TRAP_STUB_SIZE) {
        xen_crash(v, "trap exit from rip=%#llx, outside the stubs", (unsigned long long)r->rip);
        return XEN_NEXT_END;
    }
    unsigned vec = (unsigned)((r->rip - base) / XEN_TRAP_STUB_SIZE);
    if (vec < 32)
        xv->n_trap[vec]++;
    const char *name = vec < 32 && vector_names[vec] ? vector_names[vec] : "int";
    if (unwind(v, vec, &err) < 0) {
        xen_crash(v, "exception %u (%s) inside hvcore's stub (cr2 %#llx)", vec, name,
                  (unsigned long long)cr2);
        return XEN_NEXT_END;
    }
    switch (vec) {
    case 6:
        if (xv->kernel_mode && emulate_forced_cpuid(v))
            return XEN_NEXT_RESUME;
        break;
    case 8:
        xen_crash(v, "double fault at rip=%#llx", (unsigned long long)r->rip);
        return XEN_NEXT_END;
    case 13:
        if (err == 0 && xv->kernel_mode) {
            int n = emulate_privileged(v);
            if (n == EMUL_BLOCK) {
                r->rip += 1;
                return XEN_NEXT_BLOCK;
            }
            if (n > 0) {
                r->rip += (uint64_t)n;
                return XEN_NEXT_RESUME;
            }
        }
        if (err > 0 && soft_interrupt(v, (uint64_t)err))
            return XEN_NEXT_RESUME;
        break;
    case 14:
        if (xen_ptwr_fault(v, cr2, (uint64_t)err))
            return XEN_NEXT_RESUME;
        xen_vcpu_info(v)->cr2 = cr2;
        if (xv->kernel_mode)
            err &= ~(int64_t)PFEC_USER;     /* the guest kernel's own fault */
        break;
    }
    const struct xen_trap_entry *t = &xv->trap[vec];
    if (!t->address) {
        xen_crash(v, "unhandled %s at rip=%#llx err=%#llx cr2=%#llx (no trap handler)", name,
                  (unsigned long long)r->rip, (unsigned long long)err, (unsigned long long)cr2);
        return XEN_NEXT_END;
    }
    if (xen_bounce(v, t->address, err, t->flags & XEN_TI_MASK_EVENTS) < 0) {
        xen_crash(v, "cannot deliver %s at rip=%#llx: kernel stack unusable", name,
                  (unsigned long long)r->rip);
        return XEN_NEXT_END;
    }
    return XEN_NEXT_RESUME;
}
