/*
 * xen_layout.h - hvcore's private area of a Xen-PV domain: what lies where.
 *
 * The area is a memfd of its own, mapped as a second KVM memory slot at
 * XEN_PRIV_GPA and, inside the guest, at XEN_PRIV_VA (L4 slot XEN_SLOT of
 * every page table the guest uses).  Offsets from both bases:
 */
#ifndef HVCORE_XEN_LAYOUT_H
#define HVCORE_XEN_LAYOUT_H

#define XEN_OFF_SLOT_L3     0x00000   /* the slot's L3                      */
#define XEN_OFF_PRIV_L2     0x01000   /* maps the private area's first GiB  */
#define XEN_OFF_PRIV_L1     0x02000   /* 4 KiB pages of its first 2 MiB     */
#define XEN_OFF_M2P_L2      0x03000   /* maps the M2P table (+1 GiB)        */
#define XEN_OFF_M2P_L1      0x04000   /* 8 L1s: up to 16 MiB of M2P         */
#define XEN_M2P_L1_PAGES    8
#define XEN_OFF_RAM_L2      0x0c000   /* 8 L2s: a 2 MiB-page map of RAM     */
#define XEN_RAM_L2_PAGES    8
#define XEN_OFF_IDT         0x14000
#define XEN_OFF_GDT         0x15000   /* 15 pages: guest's 14, then ours    */
#define XEN_GDT_PAGES       15
#define XEN_OFF_TSS         0x24000   /* TSS and I/O bitmap, 3 pages        */
#define XEN_TSS_LIMIT       (104 + 8192)
#define XEN_OFF_TRAP_STUBS  0x27000   /* CPL 0: 256 x "out; ud2", 8 bytes   */
#define XEN_TRAP_STUB_SIZE  8
#define XEN_TRAP_GP_STUB    0x800     /* in that page: #GP's entry (cli)    */
#define XEN_TRAP_GP_MASKPTR 0xff8     /*   and its event-mask address       */
#define XEN_OFF_APPLY_STUB  0x28000   /* CPL 0: the page-table stub         */
#define XEN_APPLY_SAVE      0x800     /* in its page: 9 saved registers     */
#define XEN_OFF_SYSCALL_STUB 0x29000  /* CPL 3: LSTAR (xen_syscall_stub.S),
                                         its flags (xen_fastcall_abi.h)     */
#define XEN_OFF_SHARED_INFO 0x2a000   /* the guest maps it by frame         */
#define XEN_OFF_FLUSHVA     0x2b000   /* addresses the stub invlpg's, and
                                         at +0x800 the JIT stub's saved rax */
#define XEN_JIT_SAVE        (XEN_OFF_FLUSHVA + 0x800)
#define XEN_OFF_CHANNEL     0x2c000   /* CPL 3 read/write: the fast-call
                                         channel (xen_fastcall_abi.h)       */
#define XEN_OFF_STACK       0x30000   /* CPL-0 stack, 8 pages (rsp0)        */
#define XEN_OFF_STACK_TOP   0x38000
#define XEN_OFF_IST_TOP     0x40000   /* #DF stack, 8 pages (IST1)          */
#define XEN_OFF_PTW         0x40000   /* page-table write queue, 1 MiB      */
#define XEN_PTW_MAX         (0x100000 / 16)
#define XEN_OFF_JIT         0x140000  /* CPL 0: per-run code of the stub    */
#define XEN_JIT_BYTES       0x40000
#define XEN_OFF_M2P         0x180000  /* the machine-to-phys table          */

/* Guest RAM the layout can map (the RAM map's 8 L2 pages). */
#define XEN_MAX_RAM_BYTES   (8ULL << 30)

#ifndef __ASSEMBLER__               /* xen_syscall_stub.S needs the above */
#include <stdint.h>

struct domain;

/* Make the private area (memfd, mapping, KVM slot 1) for d->xen->nr_pages
 * of RAM and fill what never changes: the slot's tables, IDT, our GDT
 * page, TSS, stubs, M2P.  0 or -errno / -HVE_*. */
int xen_layout_create(struct domain *d);
void xen_layout_destroy(struct domain *d);

/* Before a (re)boot: clear the guest's GDT copy and shared info, and make
 * KVM forget every shadow page table of the last boot (re-registering
 * both memory slots).  0 or -errno. */
int xen_layout_reset(struct domain *d);

/* Make KVM drop every shadow page table (both slots deleted and added
 * again: 0.14-0.24 ms, then the guest's working set faults back in).
 * 0 or -errno. */
int xen_layout_forget_shadows(struct domain *d);

/* The L4 entry that maps hvcore's slot. */
uint64_t xen_layout_slot_l4e(void);

#endif /* __ASSEMBLER__ */

#endif /* HVCORE_XEN_LAYOUT_H */
