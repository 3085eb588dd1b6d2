/*
 * xen_unpack.h - one compressed stream of a bzImage payload or an initrd,
 * decompressed with the Debian libraries (zlib, liblzma, liblz4, libzstd,
 * libbz2 where configure found it), with every checksum the format carries
 * verified by the library.
 */
#ifndef HVCORE_XEN_UNPACK_H
#define HVCORE_XEN_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The compressions Linux uses for kernels and initramfs images. */
enum xen_unpack_fmt {
    XEN_UNPACK_UNKNOWN = 0,
    XEN_UNPACK_GZIP,        /* 1f 8b: one gzip member (CRC32 and size checked) */
    XEN_UNPACK_XZ,          /* fd 37 7a 58 5a 00: one xz stream                */
    XEN_UNPACK_LZMA,        /* 5d 00 00: one legacy .lzma stream               */
    XEN_UNPACK_LZ4,         /* 02 21 4c 18: lz4 legacy frame (8 MiB blocks)    */
    XEN_UNPACK_ZSTD,        /* 28 b5 2f fd: one zstd frame                     */
    XEN_UNPACK_BZIP2,       /* 42 5a 68: one bzip2 stream (needs libbz2)       */
    XEN_UNPACK_LZO,         /* 89 4c 5a 4f: recognised, never unpacked         */
};

/* What xen_unpack_stream returns besides 0. */
#define XEN_UNPACK_TRUNCATED   (-1)   /* the input ends inside the stream     */
#define XEN_UNPACK_CORRUPT     (-2)   /* bad data or a checksum mismatch      */
#define XEN_UNPACK_FULL        (-3)   /* more output than the flat buffer     */
#define XEN_UNPACK_STOPPED     (-4)   /* the sink returned non-zero           */
#define XEN_UNPACK_NOMEM       (-5)
#define XEN_UNPACK_UNSUPPORTED (-6)   /* lzo, bzip2 without libbz2, unknown   */

/*
 * Where the output goes: into buf[0..cap) (flat: buf != NULL), or in
 * chunks to sink (sink != NULL), which returns 0 to go on.  len counts the
 * bytes produced so far, in both modes.
 */
struct xen_unpack_out {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int (*sink)(void *ctx, const uint8_t *data, size_t n);
    void *ctx;
};

/*
 * A buffer of n bytes for an unpacked kernel, released with
 * xen_unpack_release(p, n): from malloc when small, else anonymous memory
 * with transparent huge pages asked for (first touch of a 50 MiB kernel:
 * 8 ms instead of 30 ms of 4 KiB page faults here).  NULL if none.
 */
uint8_t *xen_unpack_alloc(size_t n);
void xen_unpack_release(uint8_t *p, size_t n);

/* The format whose magic starts p[0..n), or XEN_UNPACK_UNKNOWN. */
enum xen_unpack_fmt xen_unpack_detect(const uint8_t *p, size_t n);

/* "gzip", "xz", ...: the format's name for messages. */
const char *xen_unpack_name(enum xen_unpack_fmt fmt);

/* "7f 45 4c 46": the first (up to 4) bytes of p[0..n) in hex, for the
 * messages that say what unrecognised data starts with. */
#define XEN_UNPACK_HEX_START 12
void xen_unpack_hex_start(const uint8_t *p, size_t n, char out[XEN_UNPACK_HEX_START]);

/* Whether this build decompresses fmt. */
bool xen_unpack_supported(enum xen_unpack_fmt fmt);

/*
 * Decompress the one stream of format fmt that starts at in[0] (in_len
 * bytes are available; the stream may end before them), into out.  *used
 * is set to the input bytes the stream took (an lz4 legacy frame, which has
 * no end mark, takes blocks up to the end of the input, to fewer than 4
 * bytes, or to a zero block size, which it leaves).  Returns 0 or a
 * XEN_UNPACK_* code, with the library's reason in why ("xz: unexpected end
 * of input", "gzip: incorrect data check").
 */
int xen_unpack_stream(enum xen_unpack_fmt fmt, const uint8_t *in, size_t in_len,
                      size_t *used, struct xen_unpack_out *out,
                      char *why, size_t whylen);

#endif /* HVCORE_XEN_UNPACK_H */
