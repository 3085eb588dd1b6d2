/*
 * xen_unpack.c - decompressing one stream of a kernel payload or an initrd
 * with the Debian libraries.
 *
 * The input is untrusted: the libraries check the data and its checksums,
 * and this file bounds the output (a flat buffer's capacity, or whatever
 * the sink accepts) and tells a truncated stream from a corrupt one.
 * Output goes straight into the flat buffer where one is given (the
 * kernel: no copy on the boot path); once that is full, the decoders write
 * into a small scratch window, and any byte landing there means "too much".
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef HAVE_BZLIB
#include <bzlib.h>
#endif
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "errline.h"
#include "xen_unpack.h"

#define SINK_CHUNK     (1u << 20)     /* sink mode: output handed over per MiB */
#define LZ4_BLOCK      (8u << 20)     /* lz4 legacy: each block unpacks to <= 8 MiB */
#define LZ4_MAGIC      0x184c2102u
#define XZ_MEMLIMIT    (256ull << 20) /* Linux uses dictionaries of <= 64 MiB */
#define LIB_STEP       (1u << 30)     /* zlib and libbz2 count in unsigned int */

/* The window the next decoder call writes to. */
struct win {
    struct xen_unpack_out *out;
    uint8_t *chunk;                 /* sink mode: SINK_CHUNK bytes          */
    uint8_t *ptr;
    size_t avail;
    bool scratch_in_use;            /* flat buffer full: writes mean FULL   */
    uint8_t scratch[64];
};

static size_t min_size(size_t a, size_t b)
{
    return a < b ? a : b;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void win_open(struct win *w)
{
    struct xen_unpack_out *out = w->out;

    w->scratch_in_use = false;
    if (out->buf) {
        if (out->len < out->cap) {
            w->ptr = out->buf + out->len;
            w->avail = out->cap - out->len;
        } else {
            w->ptr = w->scratch;
            w->avail = sizeof(w->scratch);
            w->scratch_in_use = true;
        }
    } else {
        w->ptr = w->chunk;
        w->avail = SINK_CHUNK;
    }
}

/* The decoder wrote n bytes at w->ptr: keep them, or hand them over. */
static int win_commit(struct win *w, size_t n, char *why, size_t whylen)
{
    struct xen_unpack_out *out = w->out;

    if (n == 0)
        return 0;
    if (out->buf) {
        if (w->scratch_in_use)
            return errline(XEN_UNPACK_FULL, why, whylen, "more than %zu bytes of output", out->cap);
        out->len += n;
        return 0;
    }
    out->len += n;
    if (out->sink(out->ctx, w->ptr, n) != 0)
        return errline(XEN_UNPACK_STOPPED, why, whylen, "stopped by its reader");
    return 0;
}

static int unpack_gzip(const uint8_t *in, size_t in_len, size_t *used, struct win *w,
                       char *why, size_t whylen)
{
    z_stream zs;
    size_t fed = 0;
    int rc;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)   /* 16: gzip wrapper only */
        return errline(XEN_UNPACK_NOMEM, why, whylen, "gzip: cannot set up zlib");
    for (;;) {
        if (zs.avail_in == 0 && fed < in_len) {
            size_t n = min_size(in_len - fed, LIB_STEP);
            zs.next_in = (Bytef *)(uintptr_t)(in + fed);
            zs.avail_in = (uInt)n;
            fed += n;
        }
        win_open(w);
        zs.next_out = w->ptr;
        zs.avail_out = (uInt)min_size(w->avail, LIB_STEP);
        uInt room = zs.avail_out;
        int z = inflate(&zs, Z_NO_FLUSH);
        rc = win_commit(w, room - zs.avail_out, why, whylen);
        if (rc < 0)
            break;
        if (z == Z_STREAM_END)
            break;
        if (z == Z_MEM_ERROR) {
            rc = errline(XEN_UNPACK_NOMEM, why, whylen, "gzip: out of memory");
            break;
        }
        if (z != Z_OK && z != Z_BUF_ERROR) {
            rc = errline(XEN_UNPACK_CORRUPT, why, whylen, "gzip: %s",
                     z == Z_NEED_DICT ? "needs a preset dictionary"
                                      : zs.msg ? zs.msg : "invalid data");
            break;
        }
        if (zs.avail_in == 0 && fed == in_len && zs.avail_out != 0) {
            rc = errline(XEN_UNPACK_TRUNCATED, why, whylen, "gzip: unexpected end of input");
            break;
        }
    }
    *used = fed - zs.avail_in;
    inflateEnd(&zs);
    return rc;
}

static int unpack_lzma(bool xz, const uint8_t *in, size_t in_len, size_t *used, struct win *w,
                       char *why, size_t whylen)
{
    lzma_stream ls = LZMA_STREAM_INIT;
    const char *name = xz ? "xz" : "lzma";
    lzma_ret r;
    int rc = 0;

    /* One stream: not LZMA_CONCATENATED, so decoding stops at its end. */
    r = xz ? lzma_stream_decoder(&ls, XZ_MEMLIMIT, 0) : lzma_alone_decoder(&ls, XZ_MEMLIMIT);
    if (r != LZMA_OK)
        return errline(XEN_UNPACK_NOMEM, why, whylen, "%s: cannot set up liblzma", name);
    ls.next_in = in;
    ls.avail_in = in_len;
    for (;;) {
        win_open(w);
        ls.next_out = w->ptr;
        ls.avail_out = w->avail;
        r = lzma_code(&ls, LZMA_FINISH);
        rc = win_commit(w, w->avail - ls.avail_out, why, whylen);
        if (rc < 0 || r == LZMA_STREAM_END)
            break;
        if (r == LZMA_OK)
            continue;
        switch (r) {
        case LZMA_BUF_ERROR:        /* no progress with room to write: input ended */
            rc = errline(XEN_UNPACK_TRUNCATED, why, whylen, "%s: unexpected end of input", name);
            break;
        case LZMA_MEM_ERROR:
            rc = errline(XEN_UNPACK_NOMEM, why, whylen, "%s: out of memory", name);
            break;
        case LZMA_MEMLIMIT_ERROR:
            rc = errline(XEN_UNPACK_CORRUPT, why, whylen,
                     "%s: needs more than %llu MiB of memory to decompress", name,
                     (unsigned long long)(XZ_MEMLIMIT >> 20));
            break;
        case LZMA_FORMAT_ERROR:
            rc = errline(XEN_UNPACK_CORRUPT, why, whylen, "%s: not in the %s format", name, name);
            break;
        case LZMA_OPTIONS_ERROR:
            rc = errline(XEN_UNPACK_CORRUPT, why, whylen, "%s: unsupported options", name);
            break;
        default:
            rc = errline(XEN_UNPACK_CORRUPT, why, whylen, "%s: compressed data is corrupt", name);
            break;
        }
        break;
    }
    *used = in_len - ls.avail_in;
    lzma_end(&ls);
    return rc;
}

static int unpack_zstd(const uint8_t *in, size_t in_len, size_t *used, struct win *w,
                       char *why, size_t whylen)
{
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    ZSTD_inBuffer ib = { in, in_len, 0 };
    int rc = 0;

    if (!dctx)
        return errline(XEN_UNPACK_NOMEM, why, whylen, "zstd: cannot set up libzstd");
    for (;;) {
        win_open(w);
        ZSTD_outBuffer ob = { w->ptr, w->avail, 0 };
        size_t r = ZSTD_decompressStream(dctx, &ob, &ib);
        rc = win_commit(w, ob.pos, why, whylen);
        if (rc < 0)
            break;
        if (ZSTD_isError(r)) {
            rc = errline(XEN_UNPACK_CORRUPT, why, whylen, "zstd: %s", ZSTD_getErrorName(r));
            break;
        }
        if (r == 0)                 /* the frame is complete and flushed */
            break;
        if (ib.pos == ib.size && ob.pos < ob.size) {
            rc = errline(XEN_UNPACK_TRUNCATED, why, whylen, "zstd: unexpected end of input");
            break;
        }
    }
    *used = ib.pos;
    ZSTD_freeDCtx(dctx);
    return rc;
}

/*
 * lz4 legacy frame: the magic, then blocks of (le32 size, data), each
 * unpacking to at most 8 MiB; another magic may follow (concatenated
 * frames).  There is no end mark: as Linux's unlz4, stop at the end of
 * the input, with fewer than 4 bytes left, or at a zero block size.
 */
static int unpack_lz4(const uint8_t *in, size_t in_len, size_t *used, struct win *w,
                      char *why, size_t whylen)
{
    struct xen_unpack_out *out = w->out;
    uint8_t *block = NULL;          /* where a block goes when not straight to out */
    size_t pos = 4;
    int rc = 0;

    while (in_len - pos >= 4) {
        uint32_t csize = le32(in + pos);
        uint8_t *dst;
        int n;

        if (csize == LZ4_MAGIC) {
            pos += 4;
            continue;
        }
        if (csize == 0)
            break;
        if (csize > (uint32_t)LZ4_compressBound(LZ4_BLOCK)) {
            rc = errline(XEN_UNPACK_CORRUPT, why, whylen,
                     "lz4: block at 0x%zx claims %u bytes, more than any 8 MiB block needs",
                     pos, csize);
            break;
        }
        if (csize > in_len - pos - 4) {
            rc = errline(XEN_UNPACK_TRUNCATED, why, whylen,
                     "lz4: unexpected end of input (block at 0x%zx needs %u bytes, %zu left)",
                     pos, csize, in_len - pos - 4);
            break;
        }
        if (out->buf && out->cap - out->len >= LZ4_BLOCK) {
            dst = out->buf + out->len;
        } else {
            if (!block && !(block = malloc(LZ4_BLOCK))) {
                rc = errline(XEN_UNPACK_NOMEM, why, whylen, "lz4: out of memory");
                break;
            }
            dst = block;
        }
        n = LZ4_decompress_safe((const char *)in + pos + 4, (char *)dst, (int)csize,
                                (int)LZ4_BLOCK);
        if (n < 0) {
            rc = errline(XEN_UNPACK_CORRUPT, why, whylen, "lz4: block at 0x%zx is corrupt", pos);
            break;
        }
        pos += 4 + (size_t)csize;
        if (dst != block) {
            out->len += (size_t)n;
        } else if (out->buf) {
            if ((size_t)n > out->cap - out->len) {
                rc = errline(XEN_UNPACK_FULL, why, whylen, "more than %zu bytes of output", out->cap);
                break;
            }
            memcpy(out->buf + out->len, block, (size_t)n);
            out->len += (size_t)n;
        } else if (n > 0) {
            out->len += (size_t)n;
            if (out->sink(out->ctx, block, (size_t)n) != 0) {
                rc = errline(XEN_UNPACK_STOPPED, why, whylen, "stopped by its reader");
                break;
            }
        }
    }
    *used = pos;
    free(block);
    return rc;
}

#ifdef HAVE_BZLIB
static int unpack_bzip2(const uint8_t *in, size_t in_len, size_t *used, struct win *w,
                        char *why, size_t whylen)
{
    bz_stream bs;
    size_t fed = 0;
    int rc;

    memset(&bs, 0, sizeof(bs));
    if (BZ2_bzDecompressInit(&bs, 0, 0) != BZ_OK)
        return errline(XEN_UNPACK_NOMEM, why, whylen, "bzip2: cannot set up libbz2");
    for (;;) {
        if (bs.avail_in == 0 && fed < in_len) {
            size_t n = min_size(in_len - fed, LIB_STEP);
            bs.next_in = (char *)(uintptr_t)(in + fed);
            bs.avail_in = (unsigned)n;
            fed += n;
        }
        win_open(w);
        bs.next_out = (char *)w->ptr;
        bs.avail_out = (unsigned)min_size(w->avail, LIB_STEP);
        unsigned room = bs.avail_out;
        int b = BZ2_bzDecompress(&bs);
        rc = win_commit(w, room - bs.avail_out, why, whylen);
        if (rc < 0 || b == BZ_STREAM_END)
            break;
        if (b == BZ_MEM_ERROR) {
            rc = errline(XEN_UNPACK_NOMEM, why, whylen, "bzip2: out of memory");
            break;
        }
        if (b != BZ_OK) {
            rc = errline(XEN_UNPACK_CORRUPT, why, whylen, "bzip2: %s",
                     b == BZ_DATA_ERROR_MAGIC ? "not in the bzip2 format"
                                              : "compressed data is corrupt");
            break;
        }
        if (bs.avail_in == 0 && fed == in_len && bs.avail_out != 0) {
            rc = errline(XEN_UNPACK_TRUNCATED, why, whylen, "bzip2: unexpected end of input");
            break;
        }
    }
    *used = fed - bs.avail_in;
    BZ2_bzDecompressEnd(&bs);
    return rc;
}
#endif

/* Below this, malloc (where the sanitizers see every byte). */
#define MAPPED_MIN (4u << 20)

uint8_t *xen_unpack_alloc(size_t n)
{
    void *p;

    if (n < MAPPED_MIN)
        return malloc(n ? n : 1);
    p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)madvise(p, n, MADV_HUGEPAGE);     /* a hint: fine if refused */
    return p;
}

void xen_unpack_release(uint8_t *p, size_t n)
{
    if (!p)
        return;
    if (n < MAPPED_MIN)
        free(p);
    else
        munmap(p, n);
}

static const struct {
    enum xen_unpack_fmt fmt;
    const char *name;
    uint8_t len;
    uint8_t magic[6];
} formats[] = {
    { XEN_UNPACK_GZIP,  "gzip",  2, { 0x1f, 0x8b } },
    { XEN_UNPACK_XZ,    "xz",    6, { 0xfd, '7', 'z', 'X', 'Z', 0x00 } },
    { XEN_UNPACK_LZMA,  "lzma",  3, { 0x5d, 0x00, 0x00 } },
    { XEN_UNPACK_LZ4,   "lz4",   4, { 0x02, 0x21, 0x4c, 0x18 } },
    { XEN_UNPACK_ZSTD,  "zstd",  4, { 0x28, 0xb5, 0x2f, 0xfd } },
    { XEN_UNPACK_BZIP2, "bzip2", 3, { 'B', 'Z', 'h' } },
    { XEN_UNPACK_LZO,   "lzo",   4, { 0x89, 'L', 'Z', 'O' } },
};

enum xen_unpack_fmt xen_unpack_detect(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (n >= formats[i].len && memcmp(p, formats[i].magic, formats[i].len) == 0)
            return formats[i].fmt;
    return XEN_UNPACK_UNKNOWN;
}

const char *xen_unpack_name(enum xen_unpack_fmt fmt)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i].fmt == fmt)
            return formats[i].name;
    return "unknown";
}

void xen_unpack_hex_start(const uint8_t *p, size_t n, char out[XEN_UNPACK_HEX_START])
{
    size_t k = n < 4 ? n : 4, at = 0;

    snprintf(out, XEN_UNPACK_HEX_START, "nothing");
    for (size_t i = 0; i < k; i++)
        at += (size_t)snprintf(out + at, XEN_UNPACK_HEX_START - at, i ? " %02x" : "%02x", p[i]);
}

bool xen_unpack_supported(enum xen_unpack_fmt fmt)
{
    switch (fmt) {
    case XEN_UNPACK_GZIP:
    case XEN_UNPACK_XZ:
    case XEN_UNPACK_LZMA:
    case XEN_UNPACK_LZ4:
    case XEN_UNPACK_ZSTD:
        return true;
    case XEN_UNPACK_BZIP2:
#ifdef HAVE_BZLIB
        return true;
#else
        return false;
#endif
    default:
        return false;
    }
}

int xen_unpack_stream(enum xen_unpack_fmt fmt, const uint8_t *in, size_t in_len,
                      size_t *used, struct xen_unpack_out *out,
                      char *why, size_t whylen)
{
    struct win w = { .out = out };
    int rc;

    *used = 0;
    if (!xen_unpack_supported(fmt) || xen_unpack_detect(in, in_len) != fmt)
        return errline(XEN_UNPACK_UNSUPPORTED, why, whylen, "%s: not supported by this hvcore",
                   xen_unpack_name(fmt));
    if (!out->buf && fmt != XEN_UNPACK_LZ4 && !(w.chunk = malloc(SINK_CHUNK)))
        return errline(XEN_UNPACK_NOMEM, why, whylen, "%s: out of memory", xen_unpack_name(fmt));
    switch (fmt) {
    case XEN_UNPACK_GZIP:
        rc = unpack_gzip(in, in_len, used, &w, why, whylen);
        break;
    case XEN_UNPACK_XZ:
    case XEN_UNPACK_LZMA:
        rc = unpack_lzma(fmt == XEN_UNPACK_XZ, in, in_len, used, &w, why, whylen);
        break;
    case XEN_UNPACK_LZ4:
        rc = unpack_lz4(in, in_len, used, &w, why, whylen);
        break;
#ifdef HAVE_BZLIB
    case XEN_UNPACK_BZIP2:
        rc = unpack_bzip2(in, in_len, used, &w, why, whylen);
        break;
#endif
    default:
        rc = unpack_zstd(in, in_len, used, &w, why, whylen);
        break;
    }
    free(w.chunk);
    return rc;
}
