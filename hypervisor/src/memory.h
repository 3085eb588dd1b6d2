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
/*
 * hvcore --incoming --reserve: make and populate size bytes of guest
 * memory before the stream says how much the domain has; mem_create()
 * takes it if the size matches, else drops it.  0 or -errno.
 */
int mem_reserve(struct domain *d, uint64_t size);
void mem_unreserve(struct domain *d);

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

/* Make pages [pfn, pfn + n) zero and give their memory back.  0 or -errno. */
int mem_discard(struct domain *d, uint64_t pfn, uint64_t n);

/*
 * Restore from a save file: guest RAM becomes a private (copy-on-write)
 * mapping of fd's pages at offset, so nothing is read until the guest
 * touches it and the file is never written.  Ballooning and reboots then
 * work on anonymous or memfd pages (mem_discard, mem_reset).  0 or -errno.
 */
int mem_map_image(struct domain *d, int fd, uint64_t offset);

/*
 * The first page at or after pfn that may hold data, with *end the end of
 * that run: pages outside such runs are known to be zero (holes in the
 * memfd).  Returns the number of pages when there is no more data.
 */
uint64_t mem_next_data(struct domain *d, uint64_t pfn, uint64_t *end);

/*
 * Does guest RAM hold data nearly everywhere (7/8 or more of it)?  Then
 * walking its holes (mem_next_data: SEEK_DATA/SEEK_HOLE go page by page,
 * ~18 ms a GiB) costs more than the few zero pages it would skip.
 */
bool mem_mostly_data(struct domain *d);

/* Is guest page pfn all zero? */
bool mem_page_is_zero(const struct domain *d, uint64_t pfn);

/*
 * Dirty logging (live migration).  start: KVM logs writes to guest RAM
 * (manual protect; every page starts dirty) and hvcore notes its own
 * writes (mem_note_write).  fetch: into bitmap (a bit per page), the
 * pages written since the last fetch, each protected again so later
 * writes show in the next one.  stop: back to normal.  0 or -errno.
 */
int mem_dirty_start(struct domain *d);
int mem_dirty_fetch(struct domain *d, uint64_t *bitmap);
void mem_dirty_stop(struct domain *d);

/* hvcore wrote [gpa, gpa + len) of guest memory itself (KVM does not log
 * those writes).  Any thread; a no-op unless logging. */
void mem_note_write(struct domain *d, uint64_t gpa, uint64_t len);

#endif /* HVCORE_MEMORY_H */
