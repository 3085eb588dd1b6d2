/*
 * hvabi.h - common definitions of the hvcore public ABIs.
 *
 * Everything under include/public/ is shared, byte for byte, between hvcore,
 * the guests it runs and (for domctl.h) libhvctl.  The layouts are fixed:
 * only fixed-width types, explicit padding, no pointers (guest addresses are
 * uint64_t).  A change that alters a layout must bump the version of the
 * header it lives in.
 */
#ifndef HV_PUBLIC_HVABI_H
#define HV_PUBLIC_HVABI_H

#include <stdint.h>

/* Version of the guest ABI (hypercalls, start info, shared info, console). */
#define HV_GUEST_ABI_VERSION 1

/* Guest page size: the pv ABI speaks in 4 KiB pages everywhere. */
#define HV_PAGE_SHIFT 12
#define HV_PAGE_SIZE  (1ULL << HV_PAGE_SHIFT)

/* Limits the ABI is sized for. */
#define HV_MAX_VCPUS   16  /* vcpu_info slots in the shared-info page */
#define HV_NR_EVTCHN   64  /* event-channel ports (one bitmap word)   */

#endif /* HV_PUBLIC_HVABI_H */
