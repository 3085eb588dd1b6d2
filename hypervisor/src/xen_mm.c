/*
 * xen_mm.c - a Xen-PV domain's page tables as its hypercalls change them:
 * mmu_update and update_va_mapping on the type system of xen_mm_type.c,
 * the boot tables' adoption, GDT pages, and the batch loop mmuext_op
 * (xen_mm_ext.c) shares (xen_mm.h has the argument rules).
 */
#include <stdlib.h>
#include <string.h>

#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_mm.h"
#include "xen_mm_type.h"

#define CMD_MASK 7ULL               /* mmu_update: command in ptr's low bits */

int xen_mm_init(struct domain *d)
{
    struct xen_dom *x = d->xen;
    struct xen_mm *mm;

    if (!x->nr_pages || x->nr_pages > (XEN_PRIV_GPA >> 12))
        return -HVE_INVAL;
    mm = calloc(1, sizeof(*mm));
    if (!mm)
        return -HVE_NOMEM;
    mm->frame = calloc(x->nr_pages, sizeof(*mm->frame));
    if (!mm->frame) {
        free(mm);
        return -HVE_NOMEM;
    }
    mm->nr_pages = x->nr_pages;
    mm->flush_gen = 1;
    mm->reclaim_hint = x->nr_pages;
    x->mm = mm;
    return 0;
}

void xen_mm_free(struct domain *d)
{
    if (!d->xen || !d->xen->mm)
        return;
    free(d->xen->mm->frame);
    free(d->xen->mm);
    d->xen->mm = NULL;
}

int xen_mm_adopt_boot(struct vcpu *v, uint64_t l4_mfn)
{
    struct xen_mm *mm = xen_type_mm(v->dom);
    struct xen_vcpu *xv = xen_vcpu_of(v);
    int rc;

    /* guest_table 0 means none: frame 0 cannot be a base pointer. */
    if (!l4_mfn)
        return -HVE_INVAL;
    rc = xen_type_get_table(v, l4_mfn, 4);
    if (rc < 0)
        return rc;
    if (mm->frame[l4_mfn].type_count == UINT32_MAX) {
        xen_type_put_table(v, l4_mfn, 4);
        return -HVE_INVAL;
    }
    mm->frame[l4_mfn].type_count++;         /* the pin's, then the base's */
    mm->frame[l4_mfn].flags |= XMF_PINNED;
    xv->guest_table = l4_mfn;
    xv->cr3_dirty = true;
    return 0;
}

/* The frame references others take work before xen_mm_init and after
 * xen_mm_free too (a reboot's order): refused, or nothing to drop. */
int xen_mm_get_seg_desc(struct domain *d, uint64_t mfn)
{
    return d->xen->mm ? xen_type_get_seg(d, mfn) : -HVE_INVAL;
}

void xen_mm_put_seg_desc(struct domain *d, uint64_t mfn)
{
    if (d->xen->mm)
        xen_type_put_seg(d, mfn);
}

/* Declared in xen.h (X3's block). */
int xen_mm_get_writable(struct domain *d, uint64_t mfn)
{
    return d->xen->mm ? xen_type_get_host_writable(d, mfn) : -HVE_INVAL;
}

void xen_mm_put_writable(struct domain *d, uint64_t mfn)
{
    if (d->xen->mm)
        xen_type_put_host_writable(d, mfn);
}

bool xen_mm_frame_is_pt(struct domain *d, uint64_t mfn)
{
    const struct xen_mm *mm = xen_type_mm(d);

    return mm && mfn < mm->nr_pages && mm->frame[mfn].type >= XMT_L1 &&
           mm->frame[mfn].type <= XMT_L4 && mm->frame[mfn].type_count;
}

bool xen_mm_frame_was_pt(struct domain *d, uint64_t mfn)
{
    const struct xen_mm *mm = xen_type_mm(d);

    return mm && mfn < mm->nr_pages && (mm->frame[mfn].flags & XMF_WAS_PT);
}

void xen_mm_ldt(struct vcpu *v, uint64_t *base, uint32_t *ents)
{
    const struct xen_mm *mm = xen_type_mm(v->dom);

    *base = mm->ldt[v->id].base;
    *ents = mm->ldt[v->id].ents;
}

int xen_mm_check_domid(uint64_t domid)
{
    return domid == XEN_DOMID_SELF ? 0 : -HVE_PERM;
}

bool xen_mm_guest_va(uint64_t va)
{
    unsigned slot = (unsigned)(va >> 39) & 511;

    return (uint64_t)((int64_t)(va << 16) >> 16) == va &&
           (slot < XEN_HV_L4_FIRST || slot > XEN_HV_L4_LAST);
}

int64_t xen_mm_batch(struct vcpu *v, const uint64_t a[6], size_t size, xen_mm_one_fn *one)
{
    uint64_t reqs = a[0], pdone = a[2];
    uint32_t count = (uint32_t)a[1], done = 0, i;
    uint8_t req[32];
    int rc = xen_mm_check_domid((uint32_t)a[3]);

    if (rc < 0)
        return rc;
    if (size > sizeof(req))
        return -HVE_INVAL;
    if (count & XEN_MMU_UPDATE_PREEMPTED) {
        count &= ~XEN_MMU_UPDATE_PREEMPTED;
        if (pdone && xen_copy_from_guest(v, pdone, &done, sizeof(done)) < 0)
            return -HVE_FAULT;
    }
    if (count > XEN_MM_MAX_OPS)
        return -HVE_2BIG;
    for (i = 0; i < count; i++) {
        if (xen_copy_from_guest(v, reqs + (uint64_t)i * size, req, size) < 0) {
            rc = -HVE_FAULT;
            break;
        }
        rc = one(v, req);
        if (rc < 0)
            break;
    }
    done += i;
    if (pdone && xen_copy_to_guest(v, pdone, &done, sizeof(done)) < 0 && !rc)
        rc = -HVE_FAULT;
    return rc;
}

/* ---- mmu_update ---------------------------------------------------------- */

/* A write into a frame that is no page table (Xen allows it on any frame
 * the guest could map writable): the value as it is. */
static int plain_write(struct vcpu *v, uint64_t mfn, unsigned idx, uint64_t val)
{
    const struct xen_mm *mm = xen_type_mm(v->dom);
    const struct xen_mm_frame *f = &mm->frame[mfn];

    if (f->type_count && f->type != XMT_WRITABLE)
        return -HVE_INVAL;                  /* a GDT page */
    xen_type_write(v, mfn, idx, val);
    return 0;
}

static int mmu_update_one(struct vcpu *v, const void *p)
{
    struct xen_mmu_update req;
    const struct xen_mm *mm = xen_type_mm(v->dom);

    memcpy(&req, p, sizeof(req));
    uint64_t mfn = req.ptr >> 12;
    unsigned idx = (unsigned)(req.ptr & 0xfff) >> 3;

    switch (req.ptr & CMD_MASK) {
    case XEN_MMU_NORMAL_PT_UPDATE:
    case XEN_MMU_PT_UPDATE_PRESERVE_AD:
        if (!xen_type_ram(mm, mfn))
            return -HVE_INVAL;
        if (!xen_mm_frame_is_pt(v->dom, mfn))
            return plain_write(v, mfn, idx, req.val);
        return xen_type_mod_entry(v, mfn, idx, req.val,
                                  (req.ptr & CMD_MASK) == XEN_MMU_PT_UPDATE_PRESERVE_AD);
    case XEN_MMU_MACHPHYS_UPDATE:
        /* The P2M is the identity: the only M2P entry a frame can have is
         * its own number. */
        return xen_type_ram(mm, mfn) && req.val == mfn ? 0 : -HVE_INVAL;
    default:
        return -HVE_NOSYS;
    }
}

int64_t xen_hc_mmu_update(struct vcpu *v, const uint64_t a[6])
{
    return xen_mm_batch(v, a, sizeof(struct xen_mmu_update), mmu_update_one);
}

/* A table of level `level` with a reference to spare, as an entry that
 * drops one must leave it: it stays a table, with nothing to undo. */
static bool table_refs(const struct xen_mm *mm, uint64_t mfn, unsigned level, uint32_t refs)
{
    return xen_type_is_table(mm, mfn, level) && mm->frame[mfn].type_count >= refs;
}

/* May the fast-call thread make this mmu_update entry (xen_mm.h)?  An L1
 * entry always (its references are to data frames); an entry of a higher
 * table, only alone in its call, and only if it takes a reference to a
 * frame that is a table already and drops one from a frame that stays a
 * table: no validation, no frame changes type. */
static bool fast_entry(struct vcpu *v, const struct xen_mmu_update *req, bool alone)
{
    const struct xen_mm *mm = xen_type_mm(v->dom);
    uint64_t cmd = req->ptr & CMD_MASK, mfn = req->ptr >> 12;

    if (cmd != XEN_MMU_NORMAL_PT_UPDATE && cmd != XEN_MMU_PT_UPDATE_PRESERVE_AD)
        return false;
    if (xen_type_is_table(mm, mfn, 1))
        return true;
    if (!alone || mfn >= mm->nr_pages || mm->frame[mfn].type < XMT_L2 ||
        mm->frame[mfn].type > XMT_L4 || !mm->frame[mfn].type_count)
        return false;
    unsigned level = mm->frame[mfn].type;
    uint64_t old = __atomic_load_n((const uint64_t *)(v->dom->mem + (req->ptr & ~7ULL)),
                                   __ATOMIC_RELAXED);
    uint64_t new_mfn = (req->val & XPTE_ADDR) >> 12, old_mfn = (old & XPTE_ADDR) >> 12;
    bool new_p = req->val & XPTE_P, old_p = old & XPTE_P;

    if (new_p && !table_refs(mm, new_mfn, level - 1, 1))
        return false;
    if (old_p && !table_refs(mm, old_mfn, level - 1, new_p && new_mfn == old_mfn ? 1 : 2))
        return false;
    return true;
}

bool xen_mm_update_fast(struct vcpu *v, const uint64_t a[6], int64_t *ret)
{
    struct xen_mmu_update req[XEN_MM_FAST_OPS];
    uint64_t pdone = a[2];
    uint32_t count, done;

    /* The count's upper 32 bits are ignored, as by xen_mm_batch. */
    count = (uint32_t)a[1];
    if (xen_mm_check_domid((uint32_t)a[3]) < 0 || count == 0 || count > XEN_MM_FAST_OPS ||
        xen_copy_from_guest(v, a[0], req, count * sizeof(req[0])) < 0)
        return false;
    for (uint32_t i = 0; i < count; i++)
        if (!fast_entry(v, &req[i], count == 1))
            return false;
    int rc = 0;
    for (done = 0; done < count && rc == 0; done++)
        rc = mmu_update_one(v, &req[done]);
    if (rc < 0)
        done--;
    if (pdone && xen_copy_to_guest(v, pdone, &done, sizeof(done)) < 0 && !rc)
        rc = -HVE_FAULT;
    *ret = rc;
    return true;
}

/* ---- update_va_mapping --------------------------------------------------- */

/* The L1 frame that maps va in the vCPU's kernel tables, and va's index in
 * it.  0 or -HVE_INVAL (no L1 there). */
static int l1_of(struct vcpu *v, uint64_t va, uint64_t *l1, unsigned *idx)
{
    const struct xen_mm *mm = xen_type_mm(v->dom);
    uint64_t table = xen_vcpu_of(v)->guest_table;

    if (!xen_mm_guest_va(va) || !table)
        return -HVE_INVAL;
    for (unsigned level = 4; level > 1; level--) {
        if (!xen_type_is_table(mm, table, level))
            return -HVE_INVAL;
        const uint64_t *t = (const uint64_t *)(v->dom->mem + (table << 12));
        uint64_t e = __atomic_load_n(&t[(va >> (12 + 9 * (level - 1))) & 511], __ATOMIC_RELAXED);
        if (!(e & XPTE_P))
            return -HVE_INVAL;
        table = (e & XPTE_ADDR) >> 12;
    }
    if (!xen_type_is_table(mm, table, 1))
        return -HVE_INVAL;
    *l1 = table;
    *idx = (unsigned)(va >> 12) & 511;
    return 0;
}

int64_t xen_hc_update_va_mapping(struct vcpu *v, const uint64_t a[6])
{
    uint64_t va = a[0], val = a[1], flags = a[2], l1;
    unsigned idx;
    int rc;

    /* Flush type 3 (both) does not exist.  The bits above the type say
     * which vCPUs: with one, all are the same. */
    if ((flags & XEN_UVMF_FLUSHTYPE_MASK) == XEN_UVMF_FLUSHTYPE_MASK)
        return -HVE_INVAL;
    rc = l1_of(v, va, &l1, &idx);
    if (rc < 0)
        return rc;
    rc = xen_type_mod_entry(v, l1, idx, val, false);
    if (rc < 0)
        return rc;
    switch (flags & XEN_UVMF_FLUSHTYPE_MASK) {
    case XEN_UVMF_TLB_FLUSH:
        xen_flush_request(v, XEN_FLUSH_ALL, 0);
        xen_type_flushed(xen_type_mm(v->dom));
        break;
    case XEN_UVMF_INVLPG:
        xen_flush_request(v, XEN_FLUSH_INVLPG, va);
        break;
    }
    return 0;
}
