/*
 * xen_core_fake.h - a Xen-PV vCPU without KVM for the tests of hvcore's
 * Xen core (xen_hypercall.c, xen_ptwr.c): calloc'ed RAM, private area and
 * kvm_run, and doubles of the services those files call (xen.h,
 * xen_vcpu.h, xen_mm.h, xen_mm_type.h), each with a control here.
 *
 * Guest virtual addresses are guest-physical ones (VA == gpa) below
 * CF_RAM; bytes in [unread_lo, unread_hi) cannot be read, and those in
 * [ro_lo, ro_hi) cannot be written through xen_copy_to_guest.
 */
#ifndef HVCORE_XEN_CORE_FAKE_H
#define HVCORE_XEN_CORE_FAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hvcore.h"
#include "xen.h"

#define CF_PAGES 64
#define CF_RAM   ((uint64_t)CF_PAGES << 12)

struct cf {
    struct domain *d;
    struct vcpu *v;
    struct xen_vcpu *xv;
    struct kvm_regs *r;                 /* &v->run->s.regs.regs             */
    struct kvm_sregs *s;
    struct xen_vcpu_info vi;            /* what xen_vcpu_info() returns     */
    uint64_t unread_lo, unread_hi;      /* xen_copy_from_guest faults here  */
    uint64_t ro_lo, ro_hi;              /* xen_copy_to_guest faults here    */
    uint64_t max_read;                  /* highest byte ever read, + 1      */
    unsigned crashes;                   /* xen_crash calls                  */
    char crash[128];                    /* the last reason                  */
    /* xen_mm.h doubles */
    uint32_t seg_refs[CF_PAGES];        /* xen_mm_get_seg_desc references   */
    bool seg_refuse[CF_PAGES];          /* a writable mapping: refused      */
    bool is_pt[CF_PAGES];               /* xen_mm_frame_is_pt               */
    /* xen_mm_type.h doubles (for xen_ptwr.c) */
    bool is_l1[CF_PAGES];               /* xen_type_is_table(.., 1)         */
    bool l1_refuse;                     /* xen_type_mod_entry refuses       */
    unsigned l1_updates;                /* xen_type_mod_entry calls         */
    /* the other hypercall handlers (xen.h): calls and their result */
    uint64_t hc_calls[XEN_NR_HYPERCALLS];
    int64_t hc_result;                  /* what each returns                */
    enum xen_next hc_next;              /* and leaves in xv->next           */
};

extern struct cf cf;

/* A fresh domain and vCPU 0 in kernel mode: 0, or -1 out of memory. */
int cf_init(void);
void cf_fini(void);

/* Host pointer to guest-physical address gpa (RAM). */
void *cf_ram(uint64_t gpa);

/* Entry idx of hvcore's GDT copy (priv + XEN_OFF_GDT). */
uint64_t *cf_gdt(unsigned idx);

/* A descriptor: base 0, limit 4 GiB, granular, present, DPL dpl, type
 * (4 bits, S=1), L and D bits as given. */
uint64_t cf_desc(unsigned type, unsigned dpl, bool l, bool db);

#endif /* HVCORE_XEN_CORE_FAKE_H */
