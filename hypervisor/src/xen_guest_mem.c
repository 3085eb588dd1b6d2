/*
 * xen_guest_mem.c - a Xen-PV guest's memory as hvcore reaches it: frames,
 * the guest kernel's virtual addresses, and the page-table writes the
 * in-guest stub must repeat (xen.h).
 *
 * Hypercall arguments are virtual addresses in the guest kernel's address
 * space.  hvcore walks the kernel page tables (guest_table) itself: they
 * were validated (xen_mm.c), so every frame they reach is guest RAM or one
 * of the few private frames the guest may map; a copy still refuses
 * anything but RAM and user-accessible (guest) mappings, so no argument can
 * point hvcore at its own pages.
 */
#include <string.h>

#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_layout.h"

#define PTE_P   (1ULL << 0)
#define PTE_RW  (1ULL << 1)
#define PTE_US  (1ULL << 2)
#define PTE_PS  (1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL

struct xen_dom *xen_dom_of(struct domain *d)
{
    return d->xen;
}

struct xen_vcpu *xen_vcpu_of(struct vcpu *v)
{
    return &v->dom->xen->vcpu[v->id];
}

struct xen_shared_info *xen_shared(struct domain *d)
{
    return (struct xen_shared_info *)(d->xen->priv + XEN_OFF_SHARED_INFO);
}

struct xen_vcpu_info *xen_vcpu_info(struct vcpu *v)
{
    uint64_t gpa = xen_vcpu_of(v)->vcpu_info_gpa;

    if (gpa) {
        uint8_t *f = xen_frame(v->dom, gpa >> 12);
        if (f)
            return (struct xen_vcpu_info *)(f + (gpa & 0xfff));
    }
    return &xen_shared(v->dom)->vcpu_info[v->id];
}

uint8_t *xen_frame(struct domain *d, uint64_t mfn)
{
    struct xen_dom *x = d->xen;
    uint64_t first_priv = XEN_PRIV_GPA >> 12;

    if (mfn < x->nr_pages)
        return d->mem + (mfn << 12);
    if (mfn >= first_priv && mfn - first_priv < (x->priv_bytes >> 12))
        return x->priv + ((mfn - first_priv) << 12);
    return NULL;
}

int xen_translate(struct vcpu *v, uint64_t va, bool write, uint64_t *gpa)
{
    struct domain *d = v->dom;
    struct xen_vcpu *xv = xen_vcpu_of(v);
    /* The tables of the mode the vCPU is in: hypercalls come from kernel
     * mode; instruction bytes of a trap may be a user's. */
    uint64_t table = xv->kernel_mode || !xv->guest_table_user ? xv->guest_table
                                                               : xv->guest_table_user;

    /* Canonical addresses only: bits 63..47 all equal. */
    if ((uint64_t)((int64_t)(va << 16) >> 16) != va || !table)
        return -HVE_FAULT;
    for (int level = 4; level >= 1; level--) {
        const uint64_t *t = (const uint64_t *)xen_frame(d, table);
        if (!t)
            return -HVE_FAULT;
        unsigned idx = (unsigned)(va >> (12 + 9 * (level - 1))) & 511;
        uint64_t e = __atomic_load_n(&t[idx], __ATOMIC_RELAXED);
        if (!(e & PTE_P) || !(e & PTE_US) || (write && !(e & PTE_RW)))
            return -HVE_FAULT;
        if (level > 1 && (e & PTE_PS)) {
            if (level == 4)
                return -HVE_FAULT;
            uint64_t size = 1ULL << (12 + 9 * (level - 1));
            *gpa = ((e & PTE_ADDR) & ~(size - 1)) + (va & (size - 1));
            return (*gpa >> 12) < d->xen->nr_pages ? 0 : -HVE_FAULT;
        }
        table = (e & PTE_ADDR) >> 12;
    }
    if (table >= d->xen->nr_pages)
        return -HVE_FAULT;
    *gpa = (table << 12) | (va & 0xfff);
    return 0;
}

/* One copy, page by page, through the kernel's page tables. */
static int copy_guest(struct vcpu *v, uint64_t va, void *buf, size_t len, bool to_guest)
{
    uint8_t *p = buf;

    if (len > (64ULL << 20) || va + len < va)
        return -HVE_FAULT;
    while (len) {
        uint64_t gpa;
        size_t chunk = 4096 - (va & 0xfff);
        if (chunk > len)
            chunk = len;
        int r = xen_translate(v, va, to_guest, &gpa);
        if (r < 0)
            return r;
        uint8_t *g = v->dom->mem + gpa;
        if (to_guest)
            memcpy(g, p, chunk);
        else
            memcpy(p, g, chunk);
        va += chunk;
        p += chunk;
        len -= chunk;
    }
    return 0;
}

int xen_copy_from_guest(struct vcpu *v, uint64_t va, void *dst, size_t len)
{
    return copy_guest(v, va, dst, len, false);
}

int xen_copy_to_guest(struct vcpu *v, uint64_t va, const void *src, size_t len)
{
    return copy_guest(v, va, (void *)src, len, true);
}

int xen_ptw_queue(struct vcpu *v, uint64_t gpa, uint64_t val)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);

    if ((gpa & 7) || (gpa >> 12) >= v->dom->xen->nr_pages)
        return -HVE_INVAL;
    if (xv->nr_ptw == XEN_PTW_MAX) {
        /* More than the stub takes in one run (a hostile guest can ask for
         * that): KVM forgets all its shadows before the guest runs again,
         * which makes every write so far visible (xen_vcpu_before_run). */
        xv->forget_shadows = true;
        return -HVE_NOMEM;
    }
    struct xen_ptw *q = (struct xen_ptw *)(v->dom->xen->priv + XEN_OFF_PTW);
    q[xv->nr_ptw].gpa = gpa;
    q[xv->nr_ptw].val = val;
    xv->nr_ptw++;
    return 0;
}

void xen_flush_request(struct vcpu *v, enum xen_flush kind, uint64_t va)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);

    if (kind == XEN_FLUSH_ALL || xv->flush == XEN_FLUSH_ALL) {
        xv->flush = XEN_FLUSH_ALL;
        return;
    }
    if (kind != XEN_FLUSH_INVLPG)
        return;
    /* Past a handful of pages a full flush is cheaper in the stub. */
    if (xv->nr_flush_va == XEN_FLUSH_VA_MAX) {
        xv->flush = XEN_FLUSH_ALL;
        return;
    }
    xv->flush = XEN_FLUSH_INVLPG;
    xv->flush_va[xv->nr_flush_va++] = va;
}
