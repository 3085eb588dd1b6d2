/*
 * xen_mm_ext.c - mmuext_op (hypercall 26): pins, base pointers, TLB
 * flushes, the LDT and page clearing and copying, one xen_mmuext_op at a
 * time through xen_mm_batch (xen_mm.h has the argument rules).
 *
 * With one vCPU, the LOCAL, MULTI and ALL variants of a flush are the same
 * (MULTI's vCPU mask is not read).
 */
#include <string.h>

#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_mm.h"
#include "xen_mm_type.h"

#define LDT_MAX_ENTS 8192u          /* descriptors of a full 64 KiB LDT */

static int pin(struct vcpu *v, uint64_t mfn, unsigned level)
{
    struct xen_mm *mm = xen_type_mm(v->dom);
    int rc;

    if (!xen_type_ram(mm, mfn) || (mm->frame[mfn].flags & XMF_PINNED))
        return -HVE_INVAL;
    rc = xen_type_get_table(v, mfn, level);
    if (rc < 0)
        return rc;
    mm->frame[mfn].flags |= XMF_PINNED;
    return 0;
}

static int unpin(struct vcpu *v, uint64_t mfn)
{
    struct xen_mm *mm = xen_type_mm(v->dom);

    if (!xen_type_ram(mm, mfn) || !(mm->frame[mfn].flags & XMF_PINNED))
        return -HVE_INVAL;
    mm->frame[mfn].flags &= (uint8_t)~XMF_PINNED;
    xen_type_put_table(v, mfn, mm->frame[mfn].type);
    return 0;
}

/* NEW_BASEPTR (user false) and NEW_USER_BASEPTR (user true; 0: none). */
static int new_baseptr(struct vcpu *v, uint64_t mfn, bool user)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    uint64_t *slot = user ? &xv->guest_table_user : &xv->guest_table;
    uint64_t old = *slot;

    if (mfn) {
        int rc = xen_type_get_table(v, mfn, 4);
        if (rc < 0)
            return rc;
    } else if (!user) {
        return -HVE_INVAL;          /* the kernel always has tables */
    }
    *slot = mfn;
    if (old)
        xen_type_put_table(v, old, 4);
    xv->cr3_dirty = true;
    return 0;
}

/* The frame as CLEAR_PAGE and COPY_PAGE's destination: guest RAM that no
 * page table or GDT page is. */
static bool writable_frame(const struct xen_mm *mm, uint64_t mfn)
{
    return xen_type_ram(mm, mfn) &&
           (!mm->frame[mfn].type_count || mm->frame[mfn].type == XMT_WRITABLE);
}

/* Fill frame mfn from src (NULL: zeros); only changed words are written,
 * so a former page table sends the stub no more than it must. */
static void fill_frame(struct vcpu *v, uint64_t mfn, const uint64_t *src)
{
    const uint64_t *t = (const uint64_t *)(v->dom->mem + (mfn << 12));

    for (unsigned i = 0; i < XEN_MM_ENTRIES; i++) {
        uint64_t want = src ? __atomic_load_n(&src[i], __ATOMIC_RELAXED) : 0;
        if (__atomic_load_n(&t[i], __ATOMIC_RELAXED) != want)
            xen_type_write(v, mfn, i, want);
    }
}

static int set_ldt(struct vcpu *v, uint64_t base, uint32_t ents)
{
    struct xen_mm *mm = xen_type_mm(v->dom);

    if ((base & 0xfff) || ents > LDT_MAX_ENTS || (ents && !xen_mm_guest_va(base)))
        return -HVE_INVAL;
    /* A real LDT needs its frames typed and mapped into hvcore's GDT
     * copy: not served yet.  Linux sets none (0 entries) unless a
     * program asks modify_ldt for one. */
    if (ents)
        return -HVE_NOSYS;
    mm->ldt[v->id].base = base;
    mm->ldt[v->id].ents = 0;
    return 0;
}

static void flush_all(struct vcpu *v)
{
    xen_flush_request(v, XEN_FLUSH_ALL, 0);
    xen_type_flushed(xen_type_mm(v->dom));
}

static int mmuext_one(struct vcpu *v, const void *p)
{
    struct xen_mmuext_op op;
    struct xen_mm *mm = xen_type_mm(v->dom);

    memcpy(&op, p, sizeof(op));
    switch (op.cmd) {
    case XEN_MMUEXT_PIN_L1_TABLE:
    case XEN_MMUEXT_PIN_L2_TABLE:
    case XEN_MMUEXT_PIN_L3_TABLE:
    case XEN_MMUEXT_PIN_L4_TABLE:
        return pin(v, op.arg1, op.cmd - XEN_MMUEXT_PIN_L1_TABLE + 1);
    case XEN_MMUEXT_UNPIN_TABLE:
        return unpin(v, op.arg1);
    case XEN_MMUEXT_NEW_BASEPTR:
        return new_baseptr(v, op.arg1, false);
    case XEN_MMUEXT_NEW_USER_BASEPTR:
        return new_baseptr(v, op.arg1, true);
    case XEN_MMUEXT_TLB_FLUSH_LOCAL:
    case XEN_MMUEXT_TLB_FLUSH_MULTI:
    case XEN_MMUEXT_TLB_FLUSH_ALL:
        flush_all(v);
        return 0;
    case XEN_MMUEXT_INVLPG_LOCAL:
    case XEN_MMUEXT_INVLPG_MULTI:
    case XEN_MMUEXT_INVLPG_ALL:
        /* As Xen: an address the guest cannot map is no error. */
        if (xen_mm_guest_va(op.arg1))
            xen_flush_request(v, XEN_FLUSH_INVLPG, op.arg1);
        return 0;
    case XEN_MMUEXT_SET_LDT:
        return set_ldt(v, op.arg1, (uint32_t)op.arg2);
    case XEN_MMUEXT_CLEAR_PAGE:
        if (!writable_frame(mm, op.arg1))
            return -HVE_INVAL;
        fill_frame(v, op.arg1, NULL);
        return 0;
    case XEN_MMUEXT_COPY_PAGE:
        if (!writable_frame(mm, op.arg1) || !xen_type_ram(mm, op.arg2))
            return -HVE_INVAL;
        if (op.arg1 != op.arg2)
            fill_frame(v, op.arg1, (const uint64_t *)(v->dom->mem + (op.arg2 << 12)));
        return 0;
    case XEN_MMUEXT_FLUSH_CACHE:
    case XEN_MMUEXT_FLUSH_CACHE_GLOBAL:
        return -HVE_PERM;
    default:
        return -HVE_NOSYS;          /* MARK_SUPER, UNMARK_SUPER, unknown */
    }
}

int64_t xen_hc_mmuext_op(struct vcpu *v, const uint64_t a[6])
{
    return xen_mm_batch(v, a, sizeof(struct xen_mmuext_op), mmuext_one);
}
