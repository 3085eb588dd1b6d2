/*
 * boot_layout.h - building the guest's fixed pages before it boots.
 */
#ifndef HVCORE_BOOT_LAYOUT_H
#define HVCORE_BOOT_LAYOUT_H

#include <stdint.h>

struct domain;

/* Segment selectors the guest runs with (the x86-64 Linux user layout,
 * which software KVM back ends such as PVM require). */
#define SEL_USER_CS   0x33
#define SEL_USER_DS   0x2b
#define SEL_TSS       0x40

/* Private-range addresses (layout.h gives the range). */
#define BOOT_PML4     0x1000ULL
#define BOOT_PDPT     0x2000ULL
#define BOOT_PT0      0x3000ULL   /* 4 KiB pages for the first 2 MiB    */
#define BOOT_GDT      0x4000ULL
#define BOOT_TSS      0x5000ULL   /* TSS + I/O bitmap: 0x5000-0x7fff    */
#define BOOT_PD       0x8000ULL   /* one page directory per GiB (8)     */
#define BOOT_PT_TAIL  0x10000ULL  /* 4 KiB pages for a last partial 2 MiB */
#define BOOT_GDT_ENTRIES 10
#define BOOT_TSS_LIMIT   (104 + 8192)   /* header + I/O bitmap, inclusive */

/*
 * Write page tables, GDT, TSS (with an I/O bitmap that grants only the
 * hypercall, notify and null ports), the hypercall page, the start-info
 * page, a clean shared-info page (pvclock records for every vCPU) and an
 * empty console page; domain_boot has device.c write the device page.  Guest RAM must be zero (new or reset).  Kernel already loaded.
 */
void boot_layout_build(struct domain *d);

/*
 * A domain that arrived as a stream: write hvcore's own pages again (page
 * tables, GDT, TSS, hypercall page, start-info page for this host's domid
 * and TSC) and leave the guest-writable pages (shared info, console, RAM)
 * as the stream left them.  The private range may hold anything before.
 */
void boot_layout_rebuild(struct domain *d);

/* (Re)write vCPU v's pvclock record from the domain's boot time. */
void boot_layout_pvclock(struct domain *d, unsigned v);

#endif /* HVCORE_BOOT_LAYOUT_H */
