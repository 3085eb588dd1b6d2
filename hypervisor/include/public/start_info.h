/*
 * start_info.h - the start-info page hvcore fills before entering a guest.
 *
 * Entry state of vCPU 0: 64-bit mode, CPL 3, paging on with guest RAM
 * identity-mapped (layout.h), rip = the ELF entry point, rdi = the address
 * of this page (HV_START_INFO_PAGE), rsp = 0 (the kernel loads its own
 * stack), rflags = IF only, every other general register zero.  No FPU/SSE
 * state is guaranteed; pv kernels are built general-registers-only.
 */
#ifndef HV_PUBLIC_START_INFO_H
#define HV_PUBLIC_START_INFO_H

#include "hvabi.h"

#define HV_START_INFO_MAGIC   0x6876636f72650001ULL  /* "hvcore" + v1 */
#define HV_CMDLINE_MAX        1024

struct hv_start_info {
    uint64_t magic;             /* HV_START_INFO_MAGIC                       */
    uint32_t abi_version;       /* HV_GUEST_ABI_VERSION                      */
    uint32_t domid;             /* this domain's id                          */
    uint64_t nr_pages;          /* guest RAM in pages: [0, nr_pages*4096)    */
    uint64_t first_free_pfn;    /* first page after the kernel image         */
    uint64_t hypercall_page;    /* HV_HYPERCALL_PAGE                         */
    uint64_t shared_info;       /* HV_SHARED_INFO_PAGE                       */
    uint64_t console_page;      /* HV_CONSOLE_PAGE                           */
    uint32_t max_vcpus;         /* vCPUs 0 .. max_vcpus-1 may be brought up  */
    uint32_t boot_count;        /* 1 on first boot, +1 after each reboot     */
    uint64_t tsc_khz;           /* TSC frequency, for information            */
    char     name[64];          /* domain name, NUL-terminated               */
    char     cmdline[HV_CMDLINE_MAX]; /* NUL-terminated command line         */
    uint64_t device_page;       /* HV_DEVICE_PAGE (device.h); 0 from an
                                 * hvcore without devices                  */
};

#endif /* HV_PUBLIC_START_INFO_H */
