/*
 * memory.h - guest RAM: a memfd mapped into hvcore and registered with KVM,
 * checked accessors for guest addresses, and ballooning.
 */
#ifndef HVCORE_MEMORY_H
#define HVCORE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct domain;

/* Create the memfd, map it and register it as KVM slot 0.  0 or -errno. */
int mem_create(struct domain *d);
/* Unmap and close; safe on a partly created domain. */
void mem_destroy(struct domain *d);
/* Give every page back to the host and forget ballooning (reboot). */
int mem_reset(struct domain *d);

/*
 * Is [gpa, gpa + len) guest memory the guest may pass to a hypercall?
 * Reads may name the hypercall, start-info and later pages; writes only the
 * guest-writable pages from the shared-info page on.  Page 0 and the
 * hypervisor-private range are never accepted.  Overflow-safe.
 */
bool mem_range_ok(const struct domain *d, uint64_t gpa, uint64_t len, bool write);

/* Copy between guest and host after mem_range_ok; -HVE_FAULT if refused. */
int mem_copy_from_guest(struct domain *d, void *dst, uint64_t gpa, uint64_t len);
int mem_copy_to_guest(struct domain *d, uint64_t gpa, const void *src, uint64_t len);

/*
 * Balloon: release (decrease) or take back (increase) nr pages from
 * first_pfn.  Returns nr or -HVE_INVAL for pages outside the balloonable
 * range [HV_KERNEL_MIN_ADDR, RAM end), -HVE_IO if the host refused.
 */
int64_t mem_balloon(struct domain *d, uint64_t op, uint64_t first_pfn, uint64_t nr);

/* Pages currently released to the host. */
uint64_t mem_ballooned_pages(struct domain *d);

#endif /* HVCORE_MEMORY_H */
