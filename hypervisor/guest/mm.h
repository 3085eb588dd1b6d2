/*
 * mm.h - the page allocator and the balloon driver.
 *
 * Memory from start_info.first_free_pfn to start_info.nr_pages is managed
 * in 4 KiB pages, each free, allocated or ballooned (given back to the
 * host with MEMOP_decrease_reservation).  Guest virtual == guest physical,
 * so pfn_to_ptr(pfn) is the page itself.
 */
#ifndef PVBOOT_MM_H
#define PVBOOT_MM_H

#include <stdint.h>

#include "public/hvabi.h"

struct mm_stats {
    uint64_t total_pages;       /* RAM the guest holds: nr_pages - ballooned */
    uint64_t free_pages;
    uint64_t ballooned_pages;
};

static inline void *pfn_to_ptr(uint64_t pfn)
{
    return (void *)(uintptr_t)(pfn << HV_PAGE_SHIFT);
}

void mm_init(void);

/* n contiguous pages, lowest first fit.  Returns the first pfn, or
 * -HVE_NOMEM.  Allocated pages hold whatever was there before. */
long mm_alloc_pages(uint64_t n);
void mm_free_pages(uint64_t pfn, uint64_t n);

/* Give allocated pages [pfn, pfn+n) back to the host in one hypercall.
 * They count as ballooned afterwards, and the balloon driver may take
 * them back when the target rises.  Returns 0 or a negative HVE_* code. */
long mm_release_pages(uint64_t pfn, uint64_t n);

/* Balloon up to n free pages out to the host (highest first) or take up
 * to n ballooned pages back; big contiguous runs, one hypercall each.
 * Return how many pages moved. */
uint64_t mm_balloon_out(uint64_t n);
uint64_t mm_balloon_in(uint64_t n);

void mm_get_stats(struct mm_stats *st);

/* Balloon driver: bind VIRQ_BALLOON and follow shared_info.mem_target_kib. */
void balloon_start(void);

#endif /* PVBOOT_MM_H */
