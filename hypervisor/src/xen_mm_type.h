/*
 * xen_mm_type.h - the page type system of a Xen-PV domain's RAM (xen.h has
 * the design; xen_mm.h the hypercalls built on it).
 *
 * Every RAM frame has a type - none, writable, L1..L4 page table or
 * segment descriptors (GDT) - and a count of the references that hold the
 * type.  A frame changes type only when its count is zero, so a frame is
 * never both mapped writable (a present, writable entry of a validated L1)
 * and a page table or GDT page.  A page-table type is taken by validating
 * the frame's entries, which takes the types its entries need in turn (an
 * L2's entries L1 types, and so on: four levels deep at most); it is
 * dropped, and the entries' references with it, when the last reference
 * goes.  References are pins, vCPU base pointers, GDT pages and the
 * entries of validated tables.
 *
 * What the guest may have in a validated table (anything may be in an
 * entry that is not present):
 *   - L1: RAM frames it has not released, RO or RW as the types allow;
 *     the shared-info frame RO or RW; the M2P frames RO.  PAT, PCD, PWT,
 *     G, NX and the software bits 9-11 and 52-62 as it likes.
 *   - L2, L3: an RAM frame of the next level; no PSE (superpage) bit.
 *   - L4: an L3 frame; no PSE bit or bit 8 (reserved on AMD).  The slots
 *     of the hypervisor hole (XEN_HV_L4_FIRST..LAST) are hvcore's: the
 *     guest's content there is ignored, XEN_SLOT gets d->xen->slot_l4e
 *     and the others 0.
 * Every present entry gets the user bit (the guest kernel runs at CPL 3).
 *
 * Stale TLB entries: a writable mapping the guest removed may still be in
 * a TLB (Xen PV guests change entries without flushing and rely on the
 * hypervisor for this).  When a frame whose writable mapping was dropped
 * after the last full flush becomes a page table or GDT page, a full flush
 * of every vCPU is requested (flush generations below).
 *
 * Everything here runs on the vCPU thread of the hypercall (one vCPU: no
 * lock).  Errors are negative HVE_* codes.
 */
#ifndef HVCORE_XEN_MM_TYPE_H
#define HVCORE_XEN_MM_TYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "public/hvabi.h"

struct domain;
struct vcpu;

/* Page-table entry bits. */
#define XPTE_P      (1ULL << 0)
#define XPTE_RW     (1ULL << 1)
#define XPTE_US     (1ULL << 2)
#define XPTE_A      (1ULL << 5)
#define XPTE_D      (1ULL << 6)
#define XPTE_PS     (1ULL << 7)     /* PAT in an L1 entry                   */
#define XPTE_G      (1ULL << 8)
#define XPTE_NX     (1ULL << 63)
#define XPTE_ADDR   0x000ffffffffff000ULL

#define XEN_MM_ENTRIES 512          /* entries of a table                   */

/* A frame's type.  L1..L4 equal the level. */
enum xen_mm_type {
    XMT_NONE = 0,
    XMT_L1 = 1, XMT_L2 = 2, XMT_L3 = 3, XMT_L4 = 4,
    XMT_WRITABLE,                   /* mapped writable by validated L1s     */
    XMT_SEG_DESC,                   /* a GDT page (set_gdt)                 */
};

/* Frame flags. */
#define XMF_PINNED   0x01           /* holds a reference of its own         */
#define XMF_RELEASED 0x02           /* decrease_reservation: not the guest's */
#define XMF_WAS_PT   0x04           /* has been a page table: hvcore's      */
                                    /* writes to it go to the stub too      */

struct xen_mm_frame {
    uint32_t type_count;            /* references holding the type          */
    uint32_t maps;                  /* present entries of validated L1s     */
                                    /* that map it (RO or RW)               */
    uint32_t wr_drop_gen;           /* flush generation of the last drop    */
                                    /* of a writable mapping (0: never)     */
    uint8_t type;                   /* enum xen_mm_type                     */
    uint8_t flags;                  /* XMF_*                                */
};

struct xen_mm {
    uint64_t nr_pages;              /* frames [0, nr_pages): pfn == mfn     */
    struct xen_mm_frame *frame;     /* nr_pages of them                     */
    /* Full flushes requested so far + 1.  A frame with wr_drop_gen ==
     * flush_gen may have a stale writable TLB entry. */
    uint32_t flush_gen;
    uint64_t released;              /* frames with XMF_RELEASED             */
    uint64_t reclaim_hint;          /* no released frame below this one     */
    uint64_t ptw_lost;              /* stub writes xen_ptw_queue refused    */
    uint64_t broken;                /* references found missing (a bug)     */
    struct {                        /* MMUEXT_SET_LDT, recorded             */
        uint64_t base;
        uint32_t ents;
    } ldt[HV_MAX_VCPUS];
};

/* The domain's type system (d->xen->mm). */
struct xen_mm *xen_type_mm(struct domain *d);

/* Is mfn a RAM frame the guest has (in range, not released)? */
bool xen_type_ram(const struct xen_mm *mm, uint64_t mfn);

/* Is mfn a validated page table of level 1..4 (type and count > 0)? */
bool xen_type_is_table(const struct xen_mm *mm, uint64_t mfn, unsigned level);

/* Take a reference of type L<level> on mfn, validating the table (and
 * the tables it references) if it has no such type yet.  0, or -HVE_INVAL
 * (not guest RAM, a conflicting type, an entry the rules refuse) or
 * -HVE_PERM (an L1 entry maps a frame the guest may not map so). */
int xen_type_get_table(struct vcpu *v, uint64_t mfn, unsigned level);
/* Drop one such reference; the last one devalidates the table. */
void xen_type_put_table(struct vcpu *v, uint64_t mfn, unsigned level);

/* Set entry idx of the validated table mfn to val, as mmu_update does:
 * the user bit added to a present val, the accessed and dirty bits of a
 * present old entry kept if preserve_ad, references of the new entry
 * taken before those of the old one are dropped.  0 or -HVE_*. */
int xen_type_mod_entry(struct vcpu *v, uint64_t mfn, unsigned idx, uint64_t val,
                       bool preserve_ad);

/* Write val into entry idx of RAM frame mfn: host memory, and the stub's
 * queue if the frame is or was a page table. */
void xen_type_write(struct vcpu *v, uint64_t mfn, unsigned idx, uint64_t val);

/* Take / drop a segment-descriptor (GDT) type reference on mfn.  0 or
 * -HVE_INVAL (not guest RAM, a conflicting type). */
int xen_type_get_seg(struct domain *d, uint64_t mfn);
void xen_type_put_seg(struct domain *d, uint64_t mfn);

/* Take / drop a writable-type reference for hvcore's own writes into RAM
 * frame mfn from the host (a registered vcpu_info, a ring).  Refused
 * (-HVE_INVAL) for frames that are or were page tables: KVM may still
 * shadow those, and host writes would bypass it. */
int xen_type_get_host_writable(struct domain *d, uint64_t mfn);
void xen_type_put_host_writable(struct domain *d, uint64_t mfn);

/* A full flush of every vCPU was requested: no writable TLB entry older
 * than now survives it. */
void xen_type_flushed(struct xen_mm *mm);

/* decrease_reservation: release a frame with no type and no mappings.
 * 0 or -HVE_BUSY. */
int xen_type_release(struct xen_mm *mm, uint64_t mfn);
/* increase_reservation / populate_physmap: give a released frame back:
 * mfn, or the lowest released frame when mfn is UINT64_MAX.  The frame,
 * or UINT64_MAX when there is none. */
uint64_t xen_type_reclaim(struct xen_mm *mm, uint64_t mfn);

#endif /* HVCORE_XEN_MM_TYPE_H */
