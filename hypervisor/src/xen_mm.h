/*
 * xen_mm.h - a Xen-PV domain's memory management: the page tables the
 * guest builds, checked and typed as Xen's direct paging does
 * (xen_mm_type.h has the rules), behind hypercalls mmu_update (1),
 * update_va_mapping (14) and mmuext_op (26), declared in xen.h with
 * memory_op (12, xen_memory.c).
 *
 * Hypercall arguments are hostile.  Counts of mmu_update and mmuext_op
 * above XEN_MM_MAX_OPS are refused whole with -HVE_2BIG (no preemption:
 * Linux batches a few dozen); XEN_MMU_UPDATE_PREEMPTED in a count is
 * accepted as Xen's continuation (the done count is read back from the
 * guest's success_count).  Errors, as Xen's where it has one:
 *   -HVE_INVAL  a frame outside guest RAM where a page table is needed, a
 *               type conflict (a page table mapped writable, a writable
 *               frame pinned, a table used at two levels), a refused entry
 *               (PSE, reserved bits, hvcore's L4 slots), pin of a pinned
 *               frame, unpin of one that is not, an M2P update that is
 *               not the identity, a va with no L1 for update_va_mapping,
 *               flush type 3, a misaligned or too long LDT;
 *   -HVE_PERM   an L1 entry that maps a frame the guest may not (hvcore's
 *               pages, released frames, the M2P writable, no RAM); a domid
 *               other than XEN_DOMID_SELF (Xen: -ESRCH for domains that do
 *               not exist; none do for this guest); MMUEXT_FLUSH_CACHE*
 *               (Xen: -EACCES for a guest without devices);
 *   -HVE_FAULT  an argument hvcore cannot read or write;
 *   -HVE_2BIG   a count above XEN_MM_MAX_OPS;
 *   -HVE_NOSYS  an operation hvcore does not serve: mmu_update commands
 *               other than NORMAL_PT_UPDATE, PRESERVE_AD and
 *               MACHPHYS_UPDATE, SET_LDT with entries, MARK_SUPER, ...
 * The success count, when the guest passes one, is always written; if it
 * cannot be, a call with no other error returns -HVE_FAULT.
 *
 * Writes hvcore makes into frames that are or were page tables are queued
 * with xen_ptw_queue; when the queue refuses one (full), the model stays
 * consistent in host memory and the core must make KVM forget its shadows
 * before the guest runs again.  All functions run on the vCPU thread, or
 * on the fast-call thread while the vCPU thread waits in KVM_RUN
 * (xen_fastcall.h), never on both at once.
 */
#ifndef HVCORE_XEN_MM_H
#define HVCORE_XEN_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xen.h"

struct domain;
struct vcpu;

/* Entries of one mmu_update or operations of one mmuext_op call. */
#define XEN_MM_MAX_OPS 4096

/* The type system of d's RAM (d->xen->nr_pages frames, none typed): 0,
 * -HVE_INVAL (no RAM) or -HVE_NOMEM.  Sets d->xen->mm. */
int xen_mm_init(struct domain *d);
/* Free it (NULL-safe, idempotent).  A reboot frees and inits again. */
void xen_mm_free(struct domain *d);

/* Validate and pin the boot page tables the domain builder made under the
 * L4 frame l4_mfn (not 0), and make them the kernel tables of v: sets
 * guest_table (whatever it held: the type system is fresh, xen_mm_init)
 * and cr3_dirty.  0 or an -HVE_* of xen_mm_type.h (the builder reports). */
int xen_mm_adopt_boot(struct vcpu *v, uint64_t l4_mfn);

/* set_gdt: take / drop the GDT-page type on RAM frame mfn.  0, or
 * -HVE_INVAL when mfn is not guest RAM, is a page table or is mapped
 * writable (or there is no type system: before xen_mm_init, after
 * xen_mm_free).  Every successful get needs one put.  The same rules hold
 * for xen_mm_get_writable / xen_mm_put_writable (xen.h), which also refuse
 * a frame that has ever been a page table (hvcore's host writes into it
 * would bypass KVM's shadow of it). */
int xen_mm_get_seg_desc(struct domain *d, uint64_t mfn);
void xen_mm_put_seg_desc(struct domain *d, uint64_t mfn);

/* Is mfn a guest RAM frame in use as a page table (update_descriptor and
 * the like must not write it)? */
bool xen_mm_frame_is_pt(struct domain *d, uint64_t mfn);

/* Has mfn (guest RAM) ever been a page table?  KVM may still shadow it:
 * whatever hvcore writes into it from the host must reach the in-guest
 * stub too (xen_ptw_queue, per changed 8-byte word), as xen_mm's own
 * writes do; xen_copy_to_guest and the core's other writes into guest RAM
 * included. */
bool xen_mm_frame_was_pt(struct domain *d, uint64_t mfn);

/* Entries of an mmu_update the fast-call thread may serve. */
#define XEN_MM_FAST_OPS 16

/*
 * mmu_update (a[] as for the hypercall) as the fast-call thread serves it
 * while the guest runs (xen_fastcall.c): at most XEN_MM_FAST_OPS entries,
 * NORMAL_PT_UPDATE or PRESERVE_AD, no preemption flag, each a write into
 * an L1 table, or one alone into an L2-L4 table that links a frame which
 * is a table of the level below already and unlinks one that stays a
 * table.  Such writes validate nothing and make no frame a page table or
 * stop one being one, so nothing needs the flush or stub run that an exit
 * gives before the guest goes on.  (Writes over present entries are
 * queued for the next one: until the guest's next flush, which is an
 * exit, KVM may use the old translation, as x86 lets a TLB.)  The
 * requests are read once.  Returns false, having changed nothing, when
 * the call must take the exit; true with the hypercall's result in *ret
 * otherwise.
 */
bool xen_mm_update_fast(struct vcpu *v, const uint64_t a[6], int64_t *ret);

/* The LDT MMUEXT_SET_LDT recorded for vCPU v (base 0, ents 0: none). */
void xen_mm_ldt(struct vcpu *v, uint64_t *base, uint32_t *ents);

/* ---- for xen_mm*.c and xen_memory.c ---------------------------------- */

/* The domid argument of a memory hypercall: 0 for XEN_DOMID_SELF, else
 * -HVE_PERM. */
int xen_mm_check_domid(uint64_t domid);

/* Is va canonical and outside the hypervisor hole, an address the guest's
 * own page tables map? */
bool xen_mm_guest_va(uint64_t va);

/* One request of a batch, copied from the guest: 0 or -HVE_*. */
typedef int xen_mm_one_fn(struct vcpu *v, const void *req);

/* The batch hypercalls (mmu_update, mmuext_op): a[0] the guest array of
 * `size`-byte requests, a[1] the count (32 bits, with the preemption flag),
 * a[2] the success count (NULL: none), a[3] the domid.  Runs one() on a
 * copy of each request until one fails. */
int64_t xen_mm_batch(struct vcpu *v, const uint64_t a[6], size_t size, xen_mm_one_fn *one);

#endif /* HVCORE_XEN_MM_H */
