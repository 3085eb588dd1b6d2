/*
 * xen_core_fake.c - the fake vCPU of xen_core_fake.h and its doubles of
 * the services xen_hypercall.c and xen_ptwr.c call.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "public/errno.h"
#include "xen_core_fake.h"
#include "xen_layout.h"
#include "xen_mm.h"
#include "xen_mm_type.h"
#include "xen_vcpu.h"

#define CF_PRIV_BYTES (XEN_OFF_GDT + XEN_GDT_PAGES * 4096)

struct cf cf;

int cf_init(void)
{
    struct domain *d;

    memset(&cf, 0, sizeof(cf));
    d = calloc(1, sizeof(*d));
    if (!d)
        return -1;
    cf.d = d;
    d->max_vcpus = 1;
    d->mem = calloc(CF_PAGES, 4096);
    d->xen = calloc(1, sizeof(*d->xen));
    if (!d->mem || !d->xen)
        goto fail;
    d->xen->nr_pages = CF_PAGES;
    d->xen->priv_bytes = CF_PRIV_BYTES;
    d->xen->priv = calloc(1, CF_PRIV_BYTES);
    cf.v = &d->vcpu[0];
    cf.v->dom = d;
    cf.v->run = calloc(1, sizeof(struct kvm_run));
    if (!d->xen->priv || !cf.v->run)
        goto fail;
    cf.xv = &d->xen->vcpu[0];
    cf.xv->kernel_mode = true;
    cf.r = &cf.v->run->s.regs.regs;
    cf.s = &cf.v->run->s.regs.sregs;
    return 0;
fail:
    cf_fini();
    return -1;
}

void cf_fini(void)
{
    struct domain *d = cf.d;

    if (d) {
        if (d->xen)
            free(d->xen->priv);
        free(d->xen);
        free(d->vcpu[0].run);
        free(d->mem);
        free(d);
    }
    memset(&cf, 0, sizeof(cf));
}

void *cf_ram(uint64_t gpa)
{
    return cf.d->mem + gpa;
}

uint64_t *cf_gdt(unsigned idx)
{
    return (uint64_t *)(cf.d->xen->priv + XEN_OFF_GDT) + idx;
}

uint64_t cf_desc(unsigned type, unsigned dpl, bool l, bool db)
{
    return 0xffffULL | (0xfULL << 48) | ((uint64_t)(type & 0xf) << 40) | (1ULL << 44) |
           ((uint64_t)(dpl & 3) << 45) | (1ULL << 47) | ((uint64_t)l << 53) |
           ((uint64_t)db << 54) | (1ULL << 55);
}

/* ---- xen.h --------------------------------------------------------------- */

static bool overlaps(uint64_t va, size_t len, uint64_t lo, uint64_t hi)
{
    return va < hi && va + len > lo;
}

int xen_copy_from_guest(struct vcpu *v, uint64_t va, void *dst, size_t len)
{
    (void)v;
    if (va >= CF_RAM || len > CF_RAM - va || overlaps(va, len, cf.unread_lo, cf.unread_hi))
        return -HVE_FAULT;
    memcpy(dst, cf.d->mem + va, len);
    if (va + len > cf.max_read)
        cf.max_read = va + len;
    return 0;
}

int xen_copy_to_guest(struct vcpu *v, uint64_t va, const void *src, size_t len)
{
    (void)v;
    if (va >= CF_RAM || len > CF_RAM - va || overlaps(va, len, cf.unread_lo, cf.unread_hi) ||
        overlaps(va, len, cf.ro_lo, cf.ro_hi))
        return -HVE_FAULT;
    memcpy(cf.d->mem + va, src, len);
    return 0;
}

int xen_translate(struct vcpu *v, uint64_t va, bool write, uint64_t *gpa)
{
    (void)v;
    if (va >= CF_RAM || (va >= cf.unread_lo && va < cf.unread_hi) ||
        (write && va >= cf.ro_lo && va < cf.ro_hi))
        return -HVE_FAULT;
    *gpa = va;
    return 0;
}

struct xen_vcpu *xen_vcpu_of(struct vcpu *v)
{
    return &v->dom->xen->vcpu[v->id];
}

struct xen_dom *xen_dom_of(struct domain *d)
{
    return d->xen;
}

struct xen_vcpu_info *xen_vcpu_info(struct vcpu *v)
{
    (void)v;
    return &cf.vi;
}

/* The other modules' handlers: counted, cf.hc_result, cf.hc_next. */
#define CF_HC(name)                                                     \
    int64_t xen_hc_##name(struct vcpu *v, const uint64_t a[6])          \
    {                                                                   \
        (void)a;                                                        \
        cf.hc_calls[XEN_HC_##name]++;                                   \
        xen_vcpu_of(v)->next = cf.hc_next;                              \
        return cf.hc_result;                                            \
    }
CF_HC(mmu_update)
CF_HC(mmuext_op)
CF_HC(update_va_mapping)
CF_HC(memory_op)
CF_HC(event_channel_op)
CF_HC(sched_op)
CF_HC(set_timer_op)
CF_HC(vcpu_op)
CF_HC(xen_version)
CF_HC(console_io)
CF_HC(physdev_op)
CF_HC(vm_assist)
CF_HC(sched_op_compat)
#undef CF_HC

/* ---- xen_vcpu.h ---------------------------------------------------------- */

void xen_crash(struct vcpu *v, const char *fmt, ...)
{
    va_list ap;

    (void)v;
    va_start(ap, fmt);
    vsnprintf(cf.crash, sizeof(cf.crash), fmt, ap);
    va_end(ap);
    cf.crashes++;
}

void xen_set_mode(struct vcpu *v, bool kernel)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);

    if (xv->kernel_mode != kernel) {
        xv->kernel_mode = kernel;
        xv->cr3_dirty = true;
    }
}

/* The rules of xen_vcpu.c's: a present CPL-3 code or writable data
 * segment of hvcore's GDT copy, no LDT, no null. */
int xen_load_seg(struct vcpu *v, struct kvm_segment *seg, uint16_t sel, bool code)
{
    unsigned idx = sel >> 3;

    (void)v;
    if ((sel & 4) || idx == 0 || idx >= XEN_GDT_PAGES * 512)
        return -HVE_INVAL;
    uint64_t d = *cf_gdt(idx);
    unsigned type = (unsigned)(d >> 40) & 0xf;
    bool is_code = (type & 8) != 0;
    if (!((d >> 44) & 1) || !((d >> 47) & 1) || ((d >> 45) & 3) != 3 || is_code != code ||
        (!code && !(type & 2)))
        return -HVE_INVAL;
    memset(seg, 0, sizeof(*seg));
    seg->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
    seg->selector = sel | 3;
    seg->type = (uint8_t)(type | 1);
    seg->present = 1;
    seg->dpl = 3;
    seg->s = 1;
    seg->l = (d >> 53) & 1;
    seg->db = (d >> 54) & 1;
    return 0;
}

/* ---- xen_mm.h ------------------------------------------------------------ */

int xen_mm_get_seg_desc(struct domain *d, uint64_t mfn)
{
    if (mfn >= d->xen->nr_pages || cf.seg_refuse[mfn])
        return -HVE_INVAL;
    cf.seg_refs[mfn]++;
    return 0;
}

void xen_mm_put_seg_desc(struct domain *d, uint64_t mfn)
{
    if (mfn < d->xen->nr_pages && cf.seg_refs[mfn])
        cf.seg_refs[mfn]--;
}

bool xen_mm_frame_is_pt(struct domain *d, uint64_t mfn)
{
    return mfn < d->xen->nr_pages && cf.is_pt[mfn];
}

/* ---- xen_mm_type.h (what xen_ptwr.c's xen_mm_* use) -------------------- */

struct xen_mm *xen_type_mm(struct domain *d)
{
    (void)d;
    return (struct xen_mm *)&cf;            /* never looked into here */
}

bool xen_type_is_table(const struct xen_mm *mm, uint64_t mfn, unsigned level)
{
    (void)mm;
    return level == 1 && mfn < CF_PAGES && cf.is_l1[mfn];
}

int xen_type_mod_entry(struct vcpu *v, uint64_t mfn, unsigned idx, uint64_t val,
                       bool preserve_ad)
{
    (void)preserve_ad;
    if (cf.l1_refuse || mfn >= CF_PAGES || !cf.is_l1[mfn] || idx >= 512)
        return -HVE_INVAL;
    ((uint64_t *)(v->dom->mem + (mfn << 12)))[idx] = val;
    cf.l1_updates++;
    return 0;
}
