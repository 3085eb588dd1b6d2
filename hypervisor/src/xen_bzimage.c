/*
 * xen_bzimage.c - finding and unpacking a bzImage's payload.
 *
 * The setup header's fields come from the file: the payload's place is
 * checked against the file, its announced size against the limit, before
 * anything is allocated or unpacked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errline.h"
#include "public/errno.h"
#include "xen_bzimage.h"
#include "xen_unpack.h"

/* Linux's x86 boot protocol: the setup header's fields we read. */
#define BZ_SETUP_SECTS     0x1f1   /* u8: 512-byte setup sectors (0 means 4) */
#define BZ_HEADER          0x202   /* "HdrS"                                 */
#define BZ_VERSION         0x206   /* u16: protocol version, 0x0208 = 2.08   */
#define BZ_PAYLOAD_OFFSET  0x248   /* u32: from the protected-mode code      */
#define BZ_PAYLOAD_LENGTH  0x24c   /* u32                                    */
#define BZ_HEADER_END      0x250
#define BZ_MIN_VERSION     0x0208  /* the first with payload_offset/length   */
#define BZ_SECTOR          512u
#define BZ_TRAILER         4u      /* le32 unpacked size after the stream    */
#define ELF64_HEADER       64u

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool xen_bzimage_is(const uint8_t *file, size_t size)
{
    return size >= BZ_HEADER + 4 && memcmp(file + BZ_HEADER, "HdrS", 4) == 0;
}

/* Where the payload is: [*at, *at + *len) of the file. */
static int find_payload(const uint8_t *file, size_t size, size_t *at, size_t *len,
                        char *err, size_t errlen)
{
    unsigned sects, version;
    uint64_t pm, off, length;

    if (size < BZ_HEADER_END)
        return errline(-HVE_INVAL, err, errlen,
                    "kernel: bzImage setup header is truncated (%zu bytes, need %u)",
                    size, BZ_HEADER_END);
    version = (unsigned)file[BZ_VERSION] | (unsigned)file[BZ_VERSION + 1] << 8;
    if (version < BZ_MIN_VERSION)
        return errline(-HVE_INVAL, err, errlen, "kernel: bzImage boot protocol %u.%02u has no "
                    "payload fields (2.08 or later needed)", version >> 8, version & 0xff);
    sects = file[BZ_SETUP_SECTS] ? file[BZ_SETUP_SECTS] : 4;
    pm = (uint64_t)(sects + 1) * BZ_SECTOR;
    off = le32(file + BZ_PAYLOAD_OFFSET);
    length = le32(file + BZ_PAYLOAD_LENGTH);
    if (pm > size)
        return errline(-HVE_INVAL, err, errlen, "kernel: bzImage setup (%u sectors) ends beyond "
                    "the file (0x%zx bytes)", sects, size);
    if (off > size - pm || length > size - pm - off)
        return errline(-HVE_INVAL, err, errlen, "kernel: bzImage payload (offset 0x%llx + length "
                    "0x%llx) ends beyond the file (0x%llx bytes after the setup)",
                    (unsigned long long)off, (unsigned long long)length,
                    (unsigned long long)(size - pm));
    if (length < 2 * BZ_TRAILER)
        return errline(-HVE_INVAL, err, errlen, "kernel: bzImage payload is too short (%llu bytes)",
                    (unsigned long long)length);
    *at = (size_t)(pm + off);
    *len = (size_t)length;
    return 0;
}

int xen_bzimage_unpack(const uint8_t *file, size_t size, size_t max_elf,
                       uint8_t **elf, size_t *elf_size, const char **compression,
                       char *err, size_t errlen)
{
    struct xen_unpack_out out = { 0 };
    enum xen_unpack_fmt fmt;
    const uint8_t *payload;
    size_t at = 0, len = 0, in_len, used = 0;
    uint32_t want;
    char why[160], start[XEN_UNPACK_HEX_START];
    const char *name;
    int r = find_payload(file, size, &at, &len, err, errlen);

    if (r < 0)
        return r;
    payload = file + at;
    fmt = xen_unpack_detect(payload, len);
    name = xen_unpack_name(fmt);
    if (fmt == XEN_UNPACK_UNKNOWN) {
        xen_unpack_hex_start(payload, len, start);
        return errline(-HVE_INVAL, err, errlen, "kernel: bzImage payload has an unknown "
                    "compression (starts with %s)", start);
    }
    if (!xen_unpack_supported(fmt))
        return errline(-HVE_INVAL, err, errlen, "kernel: bzImage payload is %s-compressed, which "
                    "this hvcore cannot unpack", name);
    want = le32(payload + len - BZ_TRAILER);
    if (want > max_elf)
        return errline(-HVE_RANGE, err, errlen, "kernel: bzImage payload decompresses to 0x%x "
                    "bytes, more than the %zu MiB limit", want, max_elf >> 20);
    if (want < ELF64_HEADER)
        return errline(-HVE_INVAL, err, errlen, "kernel: bzImage payload's size trailer says %u "
                    "bytes, too few for an ELF kernel", want);
    /* gzip's trailer is its own ISIZE; the others have Linux's after them. */
    in_len = fmt == XEN_UNPACK_GZIP ? len : len - BZ_TRAILER;
    out.buf = xen_unpack_alloc(want);
    out.cap = want;
    if (!out.buf)
        return errline(-HVE_NOMEM, err, errlen, "kernel: out of memory for the %u-byte ELF", want);
    r = xen_unpack_stream(fmt, payload, in_len, &used, &out, why, sizeof(why));
    if (r == XEN_UNPACK_TRUNCATED)
        r = errline(-HVE_INVAL, err, errlen, "kernel: bzImage payload is truncated (%s)", why);
    else if (r == XEN_UNPACK_FULL)
        r = errline(-HVE_INVAL, err, errlen, "kernel: bzImage payload decompresses to more than "
                 "the 0x%x bytes its size trailer says", want);
    else if (r == XEN_UNPACK_NOMEM)
        r = errline(-HVE_NOMEM, err, errlen, "kernel: out of memory unpacking the payload (%s)", why);
    else if (r < 0)
        r = errline(-HVE_INVAL, err, errlen, "kernel: bzImage payload is corrupt (%s)", why);
    else if (out.len != want)
        r = errline(-HVE_INVAL, err, errlen, "kernel: bzImage payload decompresses to 0x%zx "
                 "bytes, its size trailer says 0x%x", out.len, want);
    else if (used != in_len)
        r = errline(-HVE_INVAL, err, errlen, "kernel: bzImage payload has 0x%zx bytes after its "
                 "%s stream", in_len - used, name);
    if (r < 0) {
        xen_unpack_release(out.buf, want);
        return r;
    }
    *elf = out.buf;
    *elf_size = want;
    *compression = name;
    return 0;
}
