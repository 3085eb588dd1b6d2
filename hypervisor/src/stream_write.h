/*
 * stream_write.h - writing a domain stream (public/stream.h).
 *
 * The writer frames records, pads them, keeps the running XXH3 that END
 * carries, sends page batches straight from guest memory with writev (no
 * copy in hvcore), honours a bandwidth cap and gives up at once when the
 * caller's cancel descriptor becomes readable.
 */
#ifndef HVCORE_STREAM_WRITE_H
#define HVCORE_STREAM_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "public/stream.h"

struct domain;

struct stream_out {
    int fd;
    int cancel_fd;              /* readable: stop with -HVE_CANCELED     */
    uint64_t offset;            /* bytes written                         */
    uint64_t bandwidth_bps;     /* 0: unlimited                          */
    uint64_t start_ns;          /* for the cap and the measured rate     */
    uint64_t capped_bytes;      /* bytes counted against the cap         */
    void *hash;                 /* XXH3_state_t                          */
    char err[160];              /* why the last call failed              */
};

/* Start a stream on fd (made non-blocking): writes the header.
 * 0 or -HVE_* / -errno with out->err set. */
int sw_open(struct stream_out *out, int fd, int cancel_fd, uint32_t flags);
void sw_close(struct stream_out *out);

/* One record with a body in memory.  0 or -errno/-HVE_*. */
int sw_record(struct stream_out *out, uint32_t type, const void *body, size_t len);

/*
 * One PAGES record: the pages pfn[0..n) (n <= HV_STREAM_PAGES_MAX) of
 * guest memory mem; all-zero pages travel as numbers only.  unhashed:
 * HV_REC_F_DATA_UNHASHED (the guest runs).  *data_pages gets the pages
 * that carried data.
 */
int sw_pages(struct stream_out *out, const uint8_t *mem, const uint64_t *pfn, unsigned n,
             bool unhashed, unsigned *data_pages);

/* The same with each page's data at page[i] (a snapshot, say). */
int sw_page_list(struct stream_out *out, const uint64_t *pfn, const uint8_t *const *page,
                 unsigned n, bool unhashed, unsigned *data_pages);

/*
 * MEMORY_IMAGE of a save file: every page of mem (nr_pages), at a page
 * aligned offset; runs that mem_next_data() says are holes are left as
 * holes (the file is sparse).  out->fd must be a regular file.
 */
int sw_memory_image(struct stream_out *out, struct domain *d);

/* END with the checksum.  0 or -errno. */
int sw_end(struct stream_out *out);

/* Bytes per second since sw_open (0 before any time passed). */
uint64_t sw_rate(const struct stream_out *out);

#endif /* HVCORE_STREAM_WRITE_H */
