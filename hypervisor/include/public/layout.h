/*
 * layout.h - the guest-physical memory map of a pv domain.
 *
 * hvcore identity-maps guest RAM (guest virtual == guest physical) with page
 * tables it owns, and enters the kernel at CPL 3.  The guest never runs in
 * ring 0 and never changes its page tables: the tables, GDT and TSS live in
 * a hypervisor-private range that is mapped supervisor-only, so the guest
 * cannot read or write them.  Page 0 is not mapped at all (NULL faults).
 *
 *   0x00000000  page 0                      not mapped
 *   0x00001000  hypervisor-private          supervisor-only (page tables,
 *                                           GDT, TSS and I/O bitmap)
 *   0x00018000  hypercall page              user, read/execute only
 *   0x00019000  start-info page             user, read-only
 *   0x0001a000  shared-info page            user, read/write
 *   0x0001b000  console page                user, read/write
 *   0x0001c000  device page                 user, read-only (device.h)
 *   0x0001d000  reserved (up to 0x100000)   user, read/write, unused
 *   0x00100000  kernel image (ELF PT_LOAD)  user, read/write/execute
 *   ...         free memory up to nr_pages  user, read/write/execute
 *
 * The addresses are also passed in struct hv_start_info so that a guest
 * need not hard-code them.
 */
#ifndef HV_PUBLIC_LAYOUT_H
#define HV_PUBLIC_LAYOUT_H

#define HV_PRIVATE_START     0x00001000ULL
#define HV_PRIVATE_END       0x00018000ULL
#define HV_HYPERCALL_PAGE    0x00018000ULL
#define HV_START_INFO_PAGE   0x00019000ULL
#define HV_SHARED_INFO_PAGE  0x0001a000ULL
#define HV_CONSOLE_PAGE      0x0001b000ULL
#define HV_DEVICE_PAGE       0x0001c000ULL
#define HV_KERNEL_MIN_ADDR   0x00100000ULL

/* Largest guest memory the page-table area can map (8 page directories). */
#define HV_MAX_MEMORY_MIB    (8ULL * 1024)
/* Smallest guest memory: the fixed pages above plus a kernel. */
#define HV_MIN_MEMORY_MIB    2ULL

#endif /* HV_PUBLIC_LAYOUT_H */
