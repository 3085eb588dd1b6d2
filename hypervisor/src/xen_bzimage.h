/*
 * xen_bzimage.h - the compressed ELF inside a Linux bzImage, found through
 * its setup header (Linux's boot protocol 2.08 or later: payload_offset,
 * payload_length) and unpacked.
 */
#ifndef HVCORE_XEN_BZIMAGE_H
#define HVCORE_XEN_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Whether file[0..size) has a bzImage setup header ("HdrS" at 0x202). */
bool xen_bzimage_is(const uint8_t *file, size_t size);

/*
 * Unpack the payload of the bzImage file[0..size) into a new buffer (*elf,
 * *elf_size; the caller releases it with xen_unpack_release(*elf,
 * *elf_size)), at most max_elf bytes, and name
 * its compression in *compression ("lz4").  The payload must lie inside
 * the file, be one stream of a known compression followed by Linux's
 * 4-byte size trailer (gzip's own ISIZE for gzip), and unpack to exactly
 * that size.  Returns 0, or with one line in err ("kernel: bzImage payload
 * is truncated (xz: unexpected end of input)") -HVE_INVAL, -HVE_RANGE (more
 * than max_elf) or -HVE_NOMEM.
 */
int xen_bzimage_unpack(const uint8_t *file, size_t size, size_t max_elf,
                       uint8_t **elf, size_t *elf_size, const char **compression,
                       char *err, size_t errlen);

#endif /* HVCORE_XEN_BZIMAGE_H */
