/*
 * xen_initrd.h - checking an initrd completely before a guest is given it.
 *
 * What Linux accepts as an initramfs (init/initramfs.c): cpio "newc" or
 * "crc" archives (magic 070701 / 070702), each ending in a TRAILER!!!
 * entry, one after another with NUL padding between them, some of them
 * compressed (gzip, xz, lzma, lz4 legacy, zstd; bzip2 where libbz2 was
 * found).  Every stream is decompressed completely, with its checksums
 * verified, and every archive walked entry by entry; the data is untrusted.
 * Error messages are one line starting "initrd: "; cpio entries are
 * numbered from 0 over the whole initrd, and after a "<format> stream at
 * <offset>:" prefix offsets count in that stream's unpacked data.
 */
#ifndef HVCORE_XEN_INITRD_H
#define HVCORE_XEN_INITRD_H

#include <stddef.h>
#include <stdint.h>

/* Most unpacked bytes xen_initrd_check reads (a guest's initramfs must fit
 * in its memory; Debian's unpack to ~200 MiB). */
#define XEN_INITRD_MAX_UNPACKED (2ull << 30)

/* What a good initrd held. */
struct xen_initrd_stats {
    unsigned long archives;     /* complete cpio archives              */
    unsigned long entries;      /* cpio entries, their trailers included */
    unsigned streams;           /* compressed streams                  */
    uint64_t unpacked;          /* bytes those streams unpacked to     */
};

/*
 * Check the initrd data[0..size): its parts recognised ("070701" /
 * "070702" cpio at a 4-byte boundary, a compression's magic, NUL padding),
 * every compressed stream unpacked completely, every cpio archive walked to
 * its TRAILER!!! entry (headers, names, sizes, padding; a crc archive's
 * data checksums).  Returns 0, or with one line in err (e.g. "initrd: gzip
 * stream at 0x0 is truncated (gzip: unexpected end of input)", "initrd:
 * cpio entry 12 at offset 0x5c4: bad magic", "initrd: not a cpio archive
 * or a compressed one (starts with 7f 45 4c 46)") -HVE_INVAL, -HVE_RANGE
 * (more than XEN_INITRD_MAX_UNPACKED unpacked) or -HVE_NOMEM.
 */
int xen_initrd_check(const uint8_t *data, size_t size, char *err, size_t errlen);

/* xen_initrd_check with max_unpacked instead of XEN_INITRD_MAX_UNPACKED,
 * and what the initrd held in *stats (when not NULL, and the check passed). */
int xen_initrd_check_max(const uint8_t *data, size_t size, uint64_t max_unpacked,
                         struct xen_initrd_stats *stats, char *err, size_t errlen);

#endif /* HVCORE_XEN_INITRD_H */
