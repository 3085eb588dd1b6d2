/*
 * xen.h - hvcore's Xen PV personality: what its modules share.
 *
 * A domain whose kernel speaks the Xen PV ABI (public/xen_pv.h) runs on the
 * same vCPU threads, timers, console plumbing and lifecycle as a pv domain;
 * only the guest interface differs.  The design (docs/xen-pv.md):
 *
 *   - Guest kernel and guest user both run at CPL 3 on page tables the
 *     guest builds and hvcore validates (direct paging, as Xen does).  The
 *     kernel's `syscall` (a hypercall) and a user's `syscall` both land, at
 *     CPL 3 on this PVM host, on a one-instruction stub page that exits to
 *     hvcore; hvcore tells them apart by the vCPU's mode (kernel_mode).
 *   - Exceptions go through hvcore's IDT to CPL-0 stubs that exit at once;
 *     hvcore emulates what Xen emulates (the cpuid prefix, MSRs, port I/O)
 *     or bounces the exception to the guest kernel's trap table, and
 *     returns to CPL 3 by setting the registers itself.
 *   - PVM's shadow MMU does not see page-table entries hvcore writes from
 *     the host, so every write into a frame that is, or may have been, a
 *     page table is also queued (xen_ptw_queue) and repeated by a CPL-0
 *     stub inside the guest, whose writes KVM traps, before the guest runs
 *     again; the stub then performs the TLB flush that was asked for.
 *   - hvcore's own pages (IDT, GDT, TSS, stubs, the queue, a supervisor map
 *     of guest RAM for the stub, the machine-to-phys table) live outside
 *     guest RAM, in a second memory slot, mapped in L4 slot XEN_SLOT of
 *     every page table the guest uses.  The guest may map none of them but
 *     the shared-info page (read/write) and the M2P frames (read-only).
 */
#ifndef HVCORE_XEN_H
#define HVCORE_XEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "public/hvabi.h"
#include "public/xen_pv.h"

struct domain;
struct vcpu;
struct xen_mm;
struct xen_image;

/* ---- address-space layout --------------------------------------------- */

/* L4 slot of hvcore's pages (Xen's hole; slot 256 faults on PVM). */
#define XEN_SLOT        257
#define XEN_SLOT_VA     0xffff808000000000ULL
/* Inside the slot: the private area 1:1 by offset, the M2P table, and a
 * supervisor-only map of all guest RAM for the page-table stub. */
#define XEN_PRIV_VA     (XEN_SLOT_VA)
#define XEN_M2P_VA      (XEN_SLOT_VA + 0x0040000000ULL)  /* +1 GiB   */
#define XEN_RAMMAP_VA   (XEN_SLOT_VA + 0x4000000000ULL)  /* +256 GiB */
/* Guest-physical base of the private area (its own memory slot), far above
 * any guest RAM hvcore gives (HV_MAX_MEMORY_MIB). */
#define XEN_PRIV_GPA    0x0000004000000000ULL             /* 256 GiB */

/* Ports the stubs exit through (allowed at CPL 3 only for the syscall one). */
#define XEN_PORT_SYSCALL 0xe8   /* syscall stub: hypercall or user syscall  */
#define XEN_PORT_TRAP    0xe9   /* exception stubs: vector from rip         */

/* Hardware selectors of hvcore's reserved GDT page (page 14). */
#define XEN_SEL_HV_CS   0xe008  /* CPL-0 code, stubs                        */
#define XEN_SEL_HV_DS   0xe010
#define XEN_SEL_TSS     0xe040

/* ---- per-domain and per-vCPU state ------------------------------------- */

struct xen_trap_entry {
    uint64_t address;               /* 0: not set                          */
    uint16_t cs;
    uint8_t flags;                  /* XEN_TI_DPL | XEN_TI_MASK_EVENTS      */
};

/* A page-table write the guest's MMU must see (see above). */
struct xen_ptw {
    uint64_t gpa;                   /* of the 8-byte entry, in guest RAM    */
    uint64_t val;
};

enum xen_flush {
    XEN_FLUSH_NONE = 0,
    XEN_FLUSH_INVLPG,               /* flush_va list                        */
    XEN_FLUSH_ALL,                  /* reload CR3                           */
};

#define XEN_FLUSH_VA_MAX 16

struct xen_vcpu {
    bool kernel_mode;               /* Xen's TF_kernel_mode                 */
    uint64_t kernel_ss, kernel_sp;  /* stack_switch                          */
    uint64_t fs_base, gs_base_kernel, gs_base_user;
    uint64_t guest_table;           /* kernel L4 frame (mfn), 0 none        */
    uint64_t guest_table_user;      /* user L4 frame, 0 none                */
    struct xen_trap_entry trap[256];
    uint64_t event_cb, failsafe_cb, syscall_cb;
    uint16_t syscall_cb_flags;
    uint64_t vcpu_info_gpa;         /* where this vCPU's vcpu_info lives    */
    uint64_t runstate_va;           /* VCPUOP_register_runstate_memory_area */
    uint64_t gdt_frames[XEN_FIRST_RESERVED_GDT_PAGE];
    unsigned gdt_ents;
    bool fpu_ts;                    /* fpu_taskswitch: CR0.TS for the guest */
    unsigned iopl;                  /* physdev set_iopl (virtual)           */

    /* page-table writes and flushes to apply before the guest runs */
    struct xen_ptw *ptw;
    size_t nr_ptw, cap_ptw;
    enum xen_flush flush;
    uint64_t flush_va[XEN_FLUSH_VA_MAX];
    unsigned nr_flush_va;
    bool cr3_dirty;                 /* guest_table(_user) or mode changed   */

    /* what the vCPU loop does once the current hypercall returns */
    enum xen_next {
        XEN_NEXT_RESUME = 0,        /* store the result in rax, run on      */
        XEN_NEXT_NO_RESULT,         /* registers already set (iret, bounce) */
        XEN_NEXT_BLOCK,             /* SCHEDOP_block: sleep until an event  */
        XEN_NEXT_END,               /* the domain is ending (domain_end)     */
        XEN_NEXT_DOWN,              /* this vCPU went down                   */
    } next;
    uint64_t block_deadline_ns;     /* SCHEDOP_poll timeout (0: none)        */

    /* exits by cause, for HVCORE_XEN_TRACE's summary (xen_vcpu.c) */
    uint64_t n_hypercall[XEN_NR_HYPERCALLS], n_trap[32], n_syscall, n_upcall, n_apply,
        n_ptw;
    uint64_t ns_hypercall[XEN_NR_HYPERCALLS];   /* host time in the handler */

    /* xen_vcpu.c: segment registers changed, to be given to KVM */
    bool sregs_dirty;
    /* the stub's queue overflowed: KVM must drop every shadow instead */
    bool forget_shadows;

    /* ---- added by X3 (xen_sched.c) ---- */
    /* hvcore's runstate record (VCPUOP_get_runstate_info); copied to the
     * guest's runstate_va on every change (xen_runstate_set) */
    struct xen_vcpu_runstate_info runstate;
    /* ---- end of X3's additions ---- */
};

struct xen_evtchn;                  /* xen_evtchn.c */
struct xen_store;                   /* xen_store.c (added by X4) */
struct xen_fastcall;                /* xen_fastcall.c */

struct xen_dom {
    uint64_t nr_pages;              /* guest RAM frames; pfn == mfn          */
    uint8_t *priv;                  /* host mapping of the private area     */
    uint64_t priv_bytes;
    int priv_fd;
    struct xen_mm *mm;              /* xen_mm.c                              */
    struct xen_evtchn *evtchn;      /* xen_evtchn.c                          */
    uint64_t shared_info_gpa;       /* in the private area                   */
    uint64_t m2p_gpa, m2p_frames;   /* machine-to-phys table                 */
    uint64_t console_gpa;           /* guest RAM page with the console ring  */
    uint32_t console_port;          /* its event channel                     */
    uint64_t start_info_va;
    uint32_t vm_assist;             /* enabled XEN_VMASST_TYPE_* bits        */
    struct xen_image *img;          /* the kernel, parsed once (xen_domain.c) */
    uint8_t *initrd;                /* --initrd, read and checked once       */
    size_t initrd_size;
    uint64_t store_gpa;             /* xenstore ring page (guest RAM)        */
    uint32_t store_port;
    struct xen_vcpu vcpu[HV_MAX_VCPUS];

    /* ---- added by xen_mm.c (x2) ---- */
    /* hvcore's entry for L4 slot XEN_SLOT, as the domain builder made it:
     * xen_mm.c installs it in every L4 it validates (and 0 in the other
     * hypervisor slots XEN_HV_L4_FIRST..XEN_HV_L4_LAST). */
    uint64_t slot_l4e;
    /* ---- end of xen_mm.c's additions ---- */

    /* ---- added by X3 (xen_sched.c, xen_misc.c) ---- */
    bool has_shutdown_code;         /* SCHEDOP_shutdown_code was called     */
    uint8_t shutdown_code;          /* its XEN_SHUTDOWN_* reason            */
    bool m2p_strict;                /* vm_assist type 32: beyond vm_assist  */
    /* ---- end of X3's additions ---- */

    /* ---- added by X4 (xen_store.c) ---- */
    struct xen_store *store;        /* hvcore's xenstore (xen_store.h)     */
    /* ---- end of X4's additions ---- */

    struct xen_fastcall *fast;      /* xen_fastcall.h; NULL: every call exits */
};

/* ---- services the core (xen_vcpu.c, xen_guest_mem.c) gives the modules --- */

/* Copy between hvcore and the guest kernel's virtual address space (the
 * page tables the vCPU's kernel mode uses), checking presence, and
 * writability for copy_to.  0 or -HVE_FAULT. */
int xen_copy_from_guest(struct vcpu *v, uint64_t va, void *dst, size_t len);
int xen_copy_to_guest(struct vcpu *v, uint64_t va, const void *src, size_t len);

/* The guest-physical address va maps to in the vCPU's kernel page tables,
 * with the rights it is mapped with.  0 or -HVE_FAULT. */
int xen_translate(struct vcpu *v, uint64_t va, bool write, uint64_t *gpa);

/* Host pointer to guest frame mfn (RAM or private), NULL if outside both. */
uint8_t *xen_frame(struct domain *d, uint64_t mfn);

/* Queue an entry write for the in-guest stub (hvcore has already written
 * val at gpa in host memory).  0 or -HVE_NOMEM. */
int xen_ptw_queue(struct vcpu *v, uint64_t gpa, uint64_t val);
/* Ask for a TLB flush before the guest runs again. */
void xen_flush_request(struct vcpu *v, enum xen_flush kind, uint64_t va);

/* The vCPU's xen state / the domain's. */
struct xen_vcpu *xen_vcpu_of(struct vcpu *v);
struct xen_dom *xen_dom_of(struct domain *d);

/* The vcpu_info this vCPU uses (shared info slot or registered). */
struct xen_vcpu_info *xen_vcpu_info(struct vcpu *v);
struct xen_shared_info *xen_shared(struct domain *d);

/* ---- hypercall handlers (arguments: rdi rsi rdx r10 r8 r9) -------------- */

typedef int64_t xen_hc_fn(struct vcpu *v, const uint64_t a[6]);

/* xen_mm.c */
xen_hc_fn xen_hc_mmu_update, xen_hc_mmuext_op, xen_hc_update_va_mapping;
/* xen_memory.c */
xen_hc_fn xen_hc_memory_op;
/* xen_evtchn.c */
xen_hc_fn xen_hc_event_channel_op;
/* xen_sched.c */
xen_hc_fn xen_hc_sched_op, xen_hc_set_timer_op, xen_hc_vcpu_op;
/* xen_misc.c */
xen_hc_fn xen_hc_xen_version, xen_hc_console_io, xen_hc_physdev_op, xen_hc_vm_assist;

/* ---- added by X3 (events, time, scheduling, console, misc) ------------- */

/* vCPUs a Xen-PV domain runs for now: vCPU ids at or above
 * min(max_vcpus, XEN_PV_MAX_VCPUS) get -HVE_NOENT from every vcpu_op and
 * event-channel call (Linux then sees one possible CPU). */
#define XEN_PV_MAX_VCPUS 1

/* Xen's and Linux's ETIME (public/errno.h has no name for it):
 * VCPUOP_set_singleshot_timer with XEN_VCPU_SSHOTTMR_future in the past. */
#define XEN_ETIME 62

/* xen_sched.c: sched_op_compat (6): yield, block, shutdown with the
 * reason as an immediate argument; everything else -HVE_NOSYS. */
xen_hc_fn xen_hc_sched_op_compat;

/*
 * xen_mm.c (X2's frame table): take / drop a writable-type reference on
 * guest RAM frame mfn, so that it cannot become a page table or descriptor
 * page while hvcore writes into it from the host (a registered vcpu_info,
 * the console ring).  0, or -HVE_INVAL if the frame is not plain RAM or
 * has another type now.
 */
int xen_mm_get_writable(struct domain *d, uint64_t mfn);
void xen_mm_put_writable(struct domain *d, uint64_t mfn);

/* ---- end of X3's additions ---------------------------------------------- */

#endif /* HVCORE_XEN_H */
