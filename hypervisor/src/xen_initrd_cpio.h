/*
 * xen_initrd_cpio.h - walking cpio newc/crc archives as they stream past:
 * the raw parts of an initrd and the output of its compressed streams, fed
 * in pieces of any size.
 */
#ifndef HVCORE_XEN_INITRD_CPIO_H
#define HVCORE_XEN_INITRD_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XEN_CPIO_HEADER_SIZE 110u     /* magic + 13 fields of 8 hex digits */
#define XEN_CPIO_NAME_MAX 4096u     /* Linux's PATH_MAX, NUL included     */

enum xen_cpio_phase {
    XEN_CPIO_START,     /* a unit begins: NULs, then a header              */
    XEN_CPIO_BETWEEN,   /* after a trailer: NULs, then a header (or stop)  */
    XEN_CPIO_HEADER,
    XEN_CPIO_NAME,
    XEN_CPIO_NAME_PAD,
    XEN_CPIO_DATA,
    XEN_CPIO_DATA_PAD,
};

struct xen_cpio {
    /* For the whole initrd. */
    char *err;
    size_t errlen;
    unsigned long entries;          /* entries begun: the next one's number */
    unsigned long archives;         /* archives finished                    */

    /* For one unit (xen_cpio_begin). */
    char where[64];                 /* message prefix: "initrd: ..."        */
    bool top_level;                 /* raw data: stop before what follows
                                     * an archive, leaving it to the caller */
    bool stopped;                   /* top level: stopped at a non-NUL byte */
    uint64_t off;                   /* offset of the next byte (raw: in the
                                     * file; else in the unpacked stream)   */
    unsigned long unit_archives;
    enum xen_cpio_phase phase;

    /* The archive and entry being read. */
    uint64_t archive_off;
    unsigned long archive_entries;
    unsigned long entry;
    uint64_t entry_off;
    uint8_t header[XEN_CPIO_HEADER_SIZE];
    size_t have;                    /* header bytes so far                  */
    uint32_t namesize, filesize, check, sum;
    uint64_t left;                  /* bytes left of the name, data or pad  */
    bool crc, trailer;
    char name[XEN_CPIO_NAME_MAX];
};

/* Start a walk over a whole initrd: messages go to err[0..errlen). */
void xen_cpio_init(struct xen_cpio *c, char *err, size_t errlen);

/* Start a unit: raw data at file offset off (top_level), or a stream's
 * unpacked data (off 0); where prefixes its messages. */
void xen_cpio_begin(struct xen_cpio *c, uint64_t off, bool top_level, const char *where);

/*
 * Walk p[0..n).  Returns 0 with *used = n, or (top level) with c->stopped
 * and *used the bytes before what follows an archive; or -HVE_INVAL with
 * one line in the err given to xen_cpio_init.
 */
int xen_cpio_feed(struct xen_cpio *c, const uint8_t *p, size_t n, size_t *used);

/* The unit ended: 0 if it ended between archives after at least one, else
 * -HVE_INVAL with one line saying where it stopped. */
int xen_cpio_end(struct xen_cpio *c);

#endif /* HVCORE_XEN_INITRD_CPIO_H */
