/*
 * xen_mm_type.c - the page type system of a Xen-PV domain's RAM: types
 * and their counts, validation of page tables (xen_mm_type.h has the
 * rules).
 *
 * Validation recurses at most four levels deep: an entry of an L<n> table
 * references a frame of level n-1 only (no linear page tables), so a table
 * never waits for its own validation.  A table takes its type before its
 * entries are looked at, so an entry that would map the table itself
 * writable, or use it at another level, finds the type taken and fails.
 * A validation that fails drops every reference it had taken.
 */
#include <stddef.h>
#include <stdint.h>

#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_mm_type.h"

/* Bits an entry of each level may not have when present (index: level). */
static const uint64_t reserved_bits[5] = {
    [1] = 0,
    [2] = XPTE_PS,
    [3] = XPTE_PS,
    [4] = XPTE_PS | XPTE_G,
};

static bool hv_slot(unsigned level, unsigned idx)
{
    return level == 4 && idx >= XEN_HV_L4_FIRST && idx <= XEN_HV_L4_LAST;
}

static uint64_t *table_of(struct domain *d, uint64_t mfn)
{
    return (uint64_t *)(d->mem + (mfn << 12));
}

static uint64_t load(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

struct xen_mm *xen_type_mm(struct domain *d)
{
    return d->xen->mm;
}

bool xen_type_ram(const struct xen_mm *mm, uint64_t mfn)
{
    return mfn < mm->nr_pages && !(mm->frame[mfn].flags & XMF_RELEASED);
}

bool xen_type_is_table(const struct xen_mm *mm, uint64_t mfn, unsigned level)
{
    return mfn < mm->nr_pages && mm->frame[mfn].type == level && mm->frame[mfn].type_count;
}

void xen_type_write(struct vcpu *v, uint64_t mfn, unsigned idx, uint64_t val)
{
    struct xen_mm *mm = xen_type_mm(v->dom);

    uint64_t *e = &table_of(v->dom, mfn)[idx];
    /* An entry that was not present gave KVM nothing to shadow: a fault
     * through it makes KVM walk the guest's table afresh, so the host's
     * write is enough (the common case: a new mapping, ~7 us of stub
     * saved per set_pte).  Any entry that was present may be shadowed. */
    bool was_present = __atomic_load_n(e, __ATOMIC_RELAXED) & XPTE_P;
    __atomic_store_n(e, val, __ATOMIC_RELAXED);
    if ((mm->frame[mfn].flags & XMF_WAS_PT) && was_present &&
        xen_ptw_queue(v, (mfn << 12) | ((uint64_t)idx << 3), val) < 0)
        mm->ptw_lost++;
}

void xen_type_flushed(struct xen_mm *mm)
{
    if (++mm->flush_gen)
        return;
    /* Wrapped (after 2^32 flushes): every drop so far is flushed. */
    for (uint64_t i = 0; i < mm->nr_pages; i++)
        mm->frame[i].wr_drop_gen = 0;
    mm->flush_gen = 1;
}

/* A frame that just became a page table or GDT page may still have a
 * writable TLB entry: flush every vCPU before the guest runs again. */
static void flush_if_stale(struct domain *d, struct xen_mm_frame *f)
{
    struct xen_mm *mm = xen_type_mm(d);
    unsigned n = d->max_vcpus ? d->max_vcpus : 1;

    if (f->wr_drop_gen != mm->flush_gen)
        return;
    for (unsigned i = 0; i < n && i < HV_MAX_VCPUS; i++)
        xen_flush_request(&d->vcpu[i], XEN_FLUSH_ALL, 0);
    xen_type_flushed(mm);
}

/* ---- leaf (L1) entries ----------------------------------------------- */

static int get_writable(struct xen_mm_frame *f)
{
    if (f->type == XMT_WRITABLE) {
        if (f->type_count == UINT32_MAX)
            return -HVE_INVAL;
        f->type_count++;
        return 0;
    }
    if (f->type_count)
        return -HVE_INVAL;          /* a page table or GDT page */
    f->type = XMT_WRITABLE;
    f->type_count = 1;
    return 0;
}

static void put_writable(struct xen_mm *mm, struct xen_mm_frame *f)
{
    if (f->type != XMT_WRITABLE || !f->type_count) {
        mm->broken++;
        return;
    }
    f->wr_drop_gen = mm->flush_gen;
    if (!--f->type_count)
        f->type = XMT_NONE;
}

/* References of a present L1 entry e. */
static int get_leaf(struct domain *d, uint64_t e)
{
    struct xen_mm *mm = xen_type_mm(d);
    struct xen_dom *x = d->xen;
    uint64_t mfn = (e & XPTE_ADDR) >> 12;

    if (mfn < mm->nr_pages) {
        struct xen_mm_frame *f = &mm->frame[mfn];
        if ((f->flags & XMF_RELEASED) || f->maps == UINT32_MAX)
            return -HVE_PERM;
        if (e & XPTE_RW) {
            int rc = get_writable(f);
            if (rc < 0)
                return rc;
        }
        f->maps++;
        return 0;
    }
    if (mfn == x->shared_info_gpa >> 12)
        return 0;
    if (mfn - (x->m2p_gpa >> 12) < x->m2p_frames)
        return e & XPTE_RW ? -HVE_PERM : 0;
    return -HVE_PERM;               /* not the guest's: hvcore's or nobody's */
}

static void put_leaf(struct domain *d, uint64_t e)
{
    struct xen_mm *mm = xen_type_mm(d);
    uint64_t mfn = (e & XPTE_ADDR) >> 12;

    if (mfn >= mm->nr_pages)
        return;                     /* shared info or M2P: not counted */
    struct xen_mm_frame *f = &mm->frame[mfn];
    if (!f->maps) {
        mm->broken++;
        return;
    }
    f->maps--;
    if (e & XPTE_RW)
        put_writable(mm, f);
}

/* ---- tables ------------------------------------------------------------ */

/* References of present entry e of an L<level> table. */
static int get_entry(struct vcpu *v, unsigned level, uint64_t e)
{
    if (e & reserved_bits[level])
        return -HVE_INVAL;
    if (level == 1)
        return get_leaf(v->dom, e);
    return xen_type_get_table(v, (e & XPTE_ADDR) >> 12, level - 1);
}

static void put_entry(struct vcpu *v, unsigned level, uint64_t e)
{
    if (level == 1)
        put_leaf(v->dom, e);
    else
        xen_type_put_table(v, (e & XPTE_ADDR) >> 12, level - 1);
}

/* hvcore's entries in the hypervisor hole of L4 table mfn. */
static void install_slots(struct vcpu *v, uint64_t mfn)
{
    const uint64_t *t = table_of(v->dom, mfn);

    for (unsigned i = XEN_HV_L4_FIRST; i <= XEN_HV_L4_LAST; i++) {
        uint64_t want = i == XEN_SLOT ? v->dom->xen->slot_l4e : 0;
        if (load(&t[i]) != want)
            xen_type_write(v, mfn, i, want);
    }
}

/* Drop the references of entries [0, end) of table mfn. */
static void put_entries(struct vcpu *v, uint64_t mfn, unsigned level, unsigned end)
{
    const uint64_t *t = table_of(v->dom, mfn);

    for (unsigned i = 0; i < end; i++) {
        uint64_t e = load(&t[i]);
        if (!hv_slot(level, i) && (e & XPTE_P))
            put_entry(v, level, e);
    }
}

/* Check the entries of table mfn (its type already taken) and take their
 * references; add the user bit where it is missing. */
static int validate(struct vcpu *v, uint64_t mfn, unsigned level)
{
    const uint64_t *t = table_of(v->dom, mfn);

    for (unsigned i = 0; i < XEN_MM_ENTRIES; i++) {
        uint64_t e = load(&t[i]);
        if (hv_slot(level, i) || !(e & XPTE_P))
            continue;
        int rc = get_entry(v, level, e);
        if (rc < 0) {
            put_entries(v, mfn, level, i);
            return rc;
        }
        if (!(e & XPTE_US))
            xen_type_write(v, mfn, i, e | XPTE_US);
    }
    if (level == 4)
        install_slots(v, mfn);
    return 0;
}

int xen_type_get_table(struct vcpu *v, uint64_t mfn, unsigned level)
{
    struct xen_mm *mm = xen_type_mm(v->dom);

    if (!xen_type_ram(mm, mfn) || level < 1 || level > 4)
        return -HVE_INVAL;
    struct xen_mm_frame *f = &mm->frame[mfn];
    if (f->type_count) {
        if (f->type != level || f->type_count == UINT32_MAX)
            return -HVE_INVAL;
        f->type_count++;
        return 0;
    }
    f->type = (uint8_t)level;
    f->type_count = 1;
    /* A frame that has never been a table cannot be in KVM's shadows (it
     * becomes reachable only once an entry or a base pointer names it,
     * after this): the user bits its first check adds need no stub. */
    int rc = validate(v, mfn, level);
    f->flags |= XMF_WAS_PT;
    if (rc < 0) {
        f->type = XMT_NONE;
        f->type_count = 0;
        return rc;
    }
    flush_if_stale(v->dom, f);
    return 0;
}

void xen_type_put_table(struct vcpu *v, uint64_t mfn, unsigned level)
{
    struct xen_mm *mm = xen_type_mm(v->dom);

    if (!xen_type_is_table(mm, mfn, level)) {
        mm->broken++;
        return;
    }
    struct xen_mm_frame *f = &mm->frame[mfn];
    if (--f->type_count)
        return;
    put_entries(v, mfn, level, XEN_MM_ENTRIES);
    f->type = XMT_NONE;
    f->flags &= (uint8_t)~XMF_PINNED;
}

int xen_type_mod_entry(struct vcpu *v, uint64_t mfn, unsigned idx, uint64_t val,
                       bool preserve_ad)
{
    struct xen_mm *mm = xen_type_mm(v->dom);

    if (mfn >= mm->nr_pages || idx >= XEN_MM_ENTRIES)
        return -HVE_INVAL;
    unsigned level = mm->frame[mfn].type;
    if (!xen_type_is_table(mm, mfn, level) || hv_slot(level, idx))
        return -HVE_INVAL;
    uint64_t old = load(&table_of(v->dom, mfn)[idx]);
    if (val & XPTE_P) {
        if (preserve_ad && (old & XPTE_P))
            val |= old & (XPTE_A | XPTE_D);
        val |= XPTE_US;
    }
    if (val == old)
        return 0;
    if (val & XPTE_P) {
        int rc = get_entry(v, level, val);
        if (rc < 0)
            return rc;
    }
    xen_type_write(v, mfn, idx, val);
    if (old & XPTE_P)
        put_entry(v, level, old);
    return 0;
}

/* ---- GDT pages ---------------------------------------------------------- */

int xen_type_get_seg(struct domain *d, uint64_t mfn)
{
    struct xen_mm *mm = xen_type_mm(d);

    if (!xen_type_ram(mm, mfn))
        return -HVE_INVAL;
    struct xen_mm_frame *f = &mm->frame[mfn];
    if (f->type_count) {
        if (f->type != XMT_SEG_DESC || f->type_count == UINT32_MAX)
            return -HVE_INVAL;
        f->type_count++;
        return 0;
    }
    f->type = XMT_SEG_DESC;
    f->type_count = 1;
    flush_if_stale(d, f);
    return 0;
}

void xen_type_put_seg(struct domain *d, uint64_t mfn)
{
    struct xen_mm *mm = xen_type_mm(d);

    if (mfn >= mm->nr_pages || mm->frame[mfn].type != XMT_SEG_DESC ||
        !mm->frame[mfn].type_count) {
        mm->broken++;
        return;
    }
    if (!--mm->frame[mfn].type_count)
        mm->frame[mfn].type = XMT_NONE;
}

/* ---- hvcore's own writable references -------------------------------- */

int xen_type_get_host_writable(struct domain *d, uint64_t mfn)
{
    struct xen_mm *mm = xen_type_mm(d);

    if (!xen_type_ram(mm, mfn) || (mm->frame[mfn].flags & XMF_WAS_PT))
        return -HVE_INVAL;
    return get_writable(&mm->frame[mfn]);
}

void xen_type_put_host_writable(struct domain *d, uint64_t mfn)
{
    struct xen_mm *mm = xen_type_mm(d);

    if (mfn >= mm->nr_pages || mm->frame[mfn].type != XMT_WRITABLE ||
        !mm->frame[mfn].type_count) {
        mm->broken++;
        return;
    }
    /* No TLB holds what the host wrote through its own mapping. */
    if (!--mm->frame[mfn].type_count)
        mm->frame[mfn].type = XMT_NONE;
}

/* ---- reservations ------------------------------------------------------- */

int xen_type_release(struct xen_mm *mm, uint64_t mfn)
{
    if (!xen_type_ram(mm, mfn))
        return -HVE_BUSY;
    struct xen_mm_frame *f = &mm->frame[mfn];
    if (f->type_count || f->maps || (f->flags & XMF_PINNED))
        return -HVE_BUSY;
    f->flags |= XMF_RELEASED;
    mm->released++;
    if (mfn < mm->reclaim_hint)
        mm->reclaim_hint = mfn;
    return 0;
}

uint64_t xen_type_reclaim(struct xen_mm *mm, uint64_t mfn)
{
    if (mfn == UINT64_MAX) {
        if (!mm->released)
            return UINT64_MAX;
        for (mfn = mm->reclaim_hint; mfn < mm->nr_pages; mfn++)
            if (mm->frame[mfn].flags & XMF_RELEASED)
                break;
        mm->reclaim_hint = mfn;
    }
    if (mfn >= mm->nr_pages || !(mm->frame[mfn].flags & XMF_RELEASED))
        return UINT64_MAX;
    mm->frame[mfn].flags &= (uint8_t)~XMF_RELEASED;
    mm->released--;
    return mfn;
}
