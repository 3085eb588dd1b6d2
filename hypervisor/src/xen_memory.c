/*
 * xen_memory.c - memory_op (hypercall 12): the guest's memory map and
 * sizes, the M2P's place, and the balloon's reservations.
 *
 * The P2M is the identity and RAM is one block [0, nr_pages).  A frame
 * given back with decrease_reservation stays in hvcore's memory but is no
 * longer the guest's (xen_mm_type.h: released) until increase_reservation
 * or populate_physmap returns it; since frame numbers are the guest's own,
 * populate_physmap can only return the frame asked for.  Extents of order
 * 0 only (Linux's balloon uses no other); other orders do nothing, as Xen
 * does with orders it does not allow.  mem_flags are not looked at.
 */
#include <string.h>

#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_mm.h"
#include "xen_mm_type.h"

#define MEMOP_CMD_MASK     0x3fULL  /* cmd's op; above: a continuation's start */
#define MEMOP_EXTENT_SHIFT 6
#define E820_RAM           1

static int64_t memory_map(struct vcpu *v, uint64_t arg)
{
    struct xen_memory_map map;
    struct xen_e820_entry ram = {
        .addr = 0,
        .size = xen_dom_of(v->dom)->nr_pages << 12,
        .type = E820_RAM,
    };

    if (xen_copy_from_guest(v, arg, &map, sizeof(map)) < 0)
        return -HVE_FAULT;
    /* As Xen: as many entries as both the buffer and the map hold. */
    if (map.nr_entries > 1)
        map.nr_entries = 1;
    if ((map.nr_entries && xen_copy_to_guest(v, map.buffer, &ram, sizeof(ram)) < 0) ||
        xen_copy_to_guest(v, arg, &map, sizeof(map)) < 0)
        return -HVE_FAULT;
    return 0;
}

static int64_t machphys_mapping(struct vcpu *v, uint64_t arg)
{
    const struct xen_dom *x = xen_dom_of(v->dom);
    struct xen_machphys_mapping m = {
        .v_start = XEN_M2P_VA,
        .v_end = XEN_M2P_VA + (x->m2p_frames << 12),
        .max_mfn = x->nr_pages - 1,
    };

    return xen_copy_to_guest(v, arg, &m, sizeof(m)) < 0 ? -HVE_FAULT : 0;
}

/* The ops whose argument is a domid: its value for this guest. */
static int64_t domid_op(struct vcpu *v, uint64_t arg, uint64_t value)
{
    uint16_t domid;

    if (xen_copy_from_guest(v, arg, &domid, sizeof(domid)) < 0)
        return -HVE_FAULT;
    if (xen_mm_check_domid(domid) < 0)
        return -HVE_PERM;
    return (int64_t)value;
}

/* The three reservation ops, extent by extent from start: how many are
 * done (start included), or -HVE_* when the reservation cannot be read. */
static int64_t reservation(struct vcpu *v, uint64_t op, uint64_t arg, uint64_t start)
{
    struct xen_mm *mm = xen_type_mm(v->dom);
    struct xen_memory_reservation r;
    uint64_t i;

    if (xen_copy_from_guest(v, arg, &r, sizeof(r)) < 0)
        return -HVE_FAULT;
    if (xen_mm_check_domid(r.domid) < 0)
        return -HVE_PERM;
    if (start >= r.nr_extents || r.extent_order)
        return (int64_t)start;
    for (i = start; i < r.nr_extents; i++) {
        uint64_t slot = r.extent_start + i * sizeof(uint64_t), mfn = UINT64_MAX;
        if (op != XEN_MEM_increase_reservation &&
            xen_copy_from_guest(v, slot, &mfn, sizeof(mfn)) < 0)
            break;
        if (op == XEN_MEM_decrease_reservation) {
            if (xen_type_release(mm, mfn) < 0)
                break;
            continue;
        }
        /* increase: any released frame; populate: the one asked for. */
        if (op == XEN_MEM_populate_physmap && mfn >= mm->nr_pages)
            break;
        mfn = xen_type_reclaim(mm, mfn);
        if (mfn == UINT64_MAX)
            break;
        /* As Xen for PV guests: the frame goes back into the list (for
         * increase_reservation only when there is a list). */
        if ((op == XEN_MEM_populate_physmap || r.extent_start) &&
            xen_copy_to_guest(v, slot, &mfn, sizeof(mfn)) < 0) {
            xen_type_release(mm, mfn);
            break;
        }
    }
    return (int64_t)i;
}

int64_t xen_hc_memory_op(struct vcpu *v, const uint64_t a[6])
{
    const struct xen_mm *mm = xen_type_mm(v->dom);
    uint64_t op = a[0] & MEMOP_CMD_MASK, start = a[0] >> MEMOP_EXTENT_SHIFT;
    uint64_t nr_pages = xen_dom_of(v->dom)->nr_pages;

    switch (op) {
    case XEN_MEM_increase_reservation:
    case XEN_MEM_decrease_reservation:
    case XEN_MEM_populate_physmap:
        return reservation(v, op, a[1], start);
    }
    if (start)
        return -HVE_NOSYS;          /* no continuation for the others */
    switch (op) {
    case XEN_MEM_memory_map:
        return memory_map(v, a[1]);
    case XEN_MEM_machphys_mapping:
        return machphys_mapping(v, a[1]);
    case XEN_MEM_maximum_ram_page:
        return (int64_t)(nr_pages - 1);
    case XEN_MEM_maximum_gpfn:
        return domid_op(v, a[1], nr_pages - 1);
    case XEN_MEM_current_reservation:
        return domid_op(v, a[1], nr_pages - mm->released);
    case XEN_MEM_maximum_reservation:
        return domid_op(v, a[1], nr_pages);
    default:
        return -HVE_NOSYS;
    }
}
