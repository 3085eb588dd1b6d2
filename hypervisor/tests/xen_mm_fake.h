/*
 * xen_mm_fake.h - a Xen-PV domain without KVM for the tests of xen_mm*.c
 * and xen_memory.c (unit_xen_mm, fuzz_xen_mm): calloc'ed RAM and private
 * area, and the core services of xen.h over them.
 *
 * Guest virtual addresses of hypercall arguments are guest-physical ones
 * (VA == gpa, RAM), or in an argument area of the fake's own at
 * FAKE_ARG_VA.  Writes to RAM go where the core's would: not into page
 * tables or GDT pages (no writable mapping of them can exist), and into
 * frames that were page tables through the stub too.  Queued page-table
 * writes land in the vCPU's ptw array and, when `shadow` is set, in that
 * copy of RAM: the memory as the in-guest stub (and so KVM's shadow MMU)
 * sees it.  fake_check() holds the type system to what the frames say.
 */
#ifndef HVCORE_XEN_MM_FAKE_H
#define HVCORE_XEN_MM_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvcore.h"
#include "xen.h"

#define FAKE_PRIV_FRAMES 16
#define FAKE_PRIV_MFN    (XEN_PRIV_GPA >> 12)
#define FAKE_SHARED_MFN  (FAKE_PRIV_MFN + 2)     /* the shared-info frame  */
#define FAKE_M2P_MFN     (FAKE_PRIV_MFN + 4)     /* two M2P frames         */
#define FAKE_M2P_FRAMES  2
#define FAKE_SLOT_L4E    (XEN_PRIV_GPA | 0x63)   /* P RW A D, supervisor   */
#define FAKE_ARG_VA      0x00007f0000000000ULL
#define FAKE_ARG_SIZE    0x4000

struct fake {
    struct domain *d;
    struct vcpu *v;                 /* vCPU 0                               */
    struct xen_vcpu *xv;
    size_t ptw_max;                 /* xen_ptw_queue refuses past this      */
    uint8_t *shadow;                /* NULL, or the stub's view of RAM      */
    uint8_t *ever_pt;               /* per frame: synced into shadow        */
    uint32_t *seg_refs;             /* GDT references the caller holds      */
    uint32_t *host_refs;            /* xen_mm_get_writable references, too  */
    uint64_t ro_start, ro_end;      /* xen_copy_to_guest faults in here     */
    uint8_t args[FAKE_ARG_SIZE];    /* at FAKE_ARG_VA                       */
};

extern struct fake fake;

/* A fresh domain of nr_pages frames with an empty type system (and a
 * shadow when with_shadow).  0, or -1 when out of memory. */
int fake_init(uint64_t nr_pages, bool with_shadow);
void fake_fini(void);

/* Forget queued writes and flushes (as the stub would after applying). */
void fake_ran(void);

/* A write the guest makes itself, through a writable mapping. */
void fake_guest_write(uint64_t mfn, unsigned idx, uint64_t val);

/* Every invariant of the type system, recounted from the tables: NULL, or
 * a line saying what is broken. */
const char *fake_check(void);

/* ---- the guest's side ------------------------------------------------------ */

/* The domain builder's tables: L4 1 -> L3 2 -> L2 3 -> L1 4, which maps
 * every frame f at FAKE_KVA(f), the four tables read-only, with the user
 * bit user (0 or XPTE_US) and hvcore's slot entry. */
#define FAKE_KBASE       0xffffffff80000000ULL  /* L4 511, L3 510, L2 0  */
#define FAKE_KVA(f)      (FAKE_KBASE + ((uint64_t)(f) << 12))
void fake_build_boot(uint64_t user);
/* fake_init, the builder's tables adopted, nothing queued: 0 or -1. */
int fake_boot(uint64_t nr_pages);

/* Hypercalls as the guest makes them, with their arguments in the
 * argument area: requests at FAKE_REQ_VA, the success count at
 * FAKE_DONE_VA (fake_done()). */
#define FAKE_REQ_VA      FAKE_ARG_VA
#define FAKE_DONE_VA     (FAKE_ARG_VA + FAKE_ARG_SIZE - 8)
/* n requests of mmu_update. */
int64_t fake_mmu_n(unsigned n, const struct xen_mmu_update *r);
/* One request: entry idx of frame mfn, command cmd. */
int64_t fake_mmu(uint64_t mfn, unsigned idx, uint64_t val, unsigned cmd);
/* One mmuext_op. */
int64_t fake_ext(uint32_t cmd, uint64_t arg1, uint64_t arg2);
int64_t fake_uvm(uint64_t va, uint64_t val, uint64_t flags);
uint32_t fake_done(void);

/* Frame mfn of RAM as a table. */
uint64_t *fake_table(uint64_t mfn);
/* Was the write of val into entry idx of frame mfn queued for the stub? */
bool fake_queued(uint64_t mfn, unsigned idx, uint64_t val);

#endif /* HVCORE_XEN_MM_FAKE_H */
