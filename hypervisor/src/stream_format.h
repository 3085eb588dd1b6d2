/*
 * stream_format.h - small rules of the domain stream (public/stream.h)
 * that its reader and its writer share, so that both sides agree on them
 * by construction: record names for messages, which pages travel, and the
 * layout arithmetic of PAGES and MEMORY_IMAGE records.
 */
#ifndef HVCORE_STREAM_FORMAT_H
#define HVCORE_STREAM_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "public/layout.h"
#include "public/stream.h"

/* The only data selector a guest can load besides null (boot_layout.h's
 * SEL_USER_DS). */
#define STREAM_SEL_USER_DS 0x2b

/* "DOMAIN", "PAGES", ...; NULL for a type stream.h does not define. */
const char *stream_rec_name(uint32_t type);

/* Bytes of padding after a record body of `length` bytes (to 8). */
static inline uint64_t stream_rec_pad(uint64_t length)
{
    return (8 - (length & 7)) & 7;
}

/* First page that may travel in a PAGES record: the hypercall page.  Page
 * 0 and the hypervisor-private pages below it never do; the receiver
 * builds its own. */
#define STREAM_FIRST_PFN (HV_PRIVATE_END >> HV_PAGE_SHIFT)

/* Lowest page the guest may balloon (hypercall.h, MEMOP_*). */
#define STREAM_BALLOON_MIN_PFN (HV_KERNEL_MIN_ADDR >> HV_PAGE_SHIFT)

/* Bits 52..59 of a page entry: must be zero. */
#define STREAM_PAGE_ENTRY_RSVD (((1ULL << 60) - 1) & ~((1ULL << 52) - 1))

/*
 * Check one PAGES entry of a domain with nr_pages pages.  true if it is
 * acceptable; else false with why, e.g. "page 0x5 is hypervisor-private
 * (the receiver builds pages 0x1..0x17 itself)".
 */
bool stream_page_entry_ok(uint64_t entry, uint64_t nr_pages, char *why, size_t whylen);

/* Body length of a PAGES record with `count` entries of which `normal`
 * carry data. */
static inline uint64_t stream_pages_length(uint64_t count, uint64_t normal)
{
    return sizeof(struct hv_rec_pages) + count * 8 + normal * HV_PAGE_SIZE;
}

/* Largest body of a PAGES record. */
#define STREAM_PAGES_LENGTH_MAX \
    (sizeof(struct hv_rec_pages) + HV_STREAM_PAGES_MAX * (8 + HV_PAGE_SIZE))

/* MEMORY_IMAGE whose record header is at stream offset rec_off: the
 * stream offset of its page data (the first multiple of 4096 after its
 * structure), and its body length for nr_pages pages. */
static inline uint64_t stream_image_data_offset(uint64_t rec_off)
{
    uint64_t end = rec_off + sizeof(struct hv_stream_rec) + sizeof(struct hv_rec_memory_image);

    return (end + HV_PAGE_SIZE - 1) & ~(HV_PAGE_SIZE - 1);
}

static inline uint64_t stream_image_length(uint64_t rec_off, uint64_t nr_pages)
{
    return stream_image_data_offset(rec_off) - (rec_off + sizeof(struct hv_stream_rec)) +
           nr_pages * HV_PAGE_SIZE;
}

/* xcr0 bits whose state fits the 4096-byte standard-format XSAVE area of
 * a VCPU record: x87, SSE, AVX, MPX (2), AVX-512 (3), PKRU.  AMX's tile
 * data (bits 17-18) does not fit and such a vCPU cannot travel. */
#define STREAM_XCR0_MOVABLE 0x2ffULL

#endif /* HVCORE_STREAM_FORMAT_H */
