/*
 * xen_ptwr.h - the guest kernel's direct writes into its page tables
 * (Xen's writable page-table assist; xen_ptwr.c).
 */
#ifndef HVCORE_XEN_PTWR_H
#define HVCORE_XEN_PTWR_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct domain;

/* A kernel-mode write fault at cr2 (error code err): if it is a write of
 * one supported instruction into a validated L1 table, check and apply it
 * and step past the instruction.  True if handled; false leaves the fault
 * to the guest. */
bool xen_ptwr_fault(struct vcpu *v, uint64_t cr2, uint64_t err);

/* xen_mm.c: is mfn a validated L1 table?  Update the L1 entry at
 * entry_gpa to val as mmu_update does (checks, type references, the user
 * bit, the in-guest stub's queue): 0 or -HVE_*. */
bool xen_mm_frame_is_l1(struct domain *d, uint64_t mfn);
int xen_mm_update_l1(struct vcpu *v, uint64_t entry_gpa, uint64_t val);

#endif /* HVCORE_XEN_PTWR_H */
