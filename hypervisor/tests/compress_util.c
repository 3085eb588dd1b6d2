/*
 * compress_util.c - the compressors the xen_image and xen_initrd tests
 * (and their fuzz seeds) build their inputs with.
 */
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_BZLIB
#include <bzlib.h>
#endif
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "compress_util.h"

#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZ4_LEGACY_BLOCK (8u << 20)

struct blob blob_of(const void *data, size_t n)
{
    struct blob b = { 0 };

    blob_add(&b, data, n);
    return b;
}

void blob_add(struct blob *b, const void *data, size_t n)
{
    uint8_t *p = b->failed ? NULL : realloc(b->data, b->size + n + 1);

    if (!p) {
        b->failed = true;
        return;
    }
    memcpy(p + b->size, data, n);
    b->data = p;
    b->size += n;
}

void blob_fill(struct blob *b, uint8_t byte, size_t n)
{
    uint8_t *p = b->failed ? NULL : realloc(b->data, b->size + n + 1);

    if (!p) {
        b->failed = true;
        return;
    }
    memset(p + b->size, byte, n);
    b->data = p;
    b->size += n;
}

void blob_le32(struct blob *b, uint32_t v)
{
    uint8_t le[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

    blob_add(b, le, 4);
}

void blob_free(struct blob *b)
{
    free(b->data);
    b->data = NULL;
    b->size = 0;
    b->failed = false;
}

static struct blob gzip(const void *in, size_t n)
{
    struct blob b = { 0 };
    z_stream zs;

    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return b;
    b.size = deflateBound(&zs, n);
    b.data = malloc(b.size);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)n;
    zs.next_out = b.data;
    zs.avail_out = (uInt)b.size;
    if (!b.data || deflate(&zs, Z_FINISH) != Z_STREAM_END)
        blob_free(&b);
    else
        b.size = zs.total_out;
    deflateEnd(&zs);
    return b;
}

static struct blob lzma_encode(const void *in, size_t n, bool xz)
{
    struct blob b = { 0 };
    lzma_stream ls = LZMA_STREAM_INIT;
    lzma_options_lzma opt;
    lzma_ret r;

    if (xz) {
        r = lzma_easy_encoder(&ls, 6, LZMA_CHECK_CRC32);
    } else {
        lzma_lzma_preset(&opt, 6);
        r = lzma_alone_encoder(&ls, &opt);
    }
    if (r != LZMA_OK)
        return b;
    b.size = n + n / 2 + 4096;
    b.data = malloc(b.size);
    ls.next_in = in;
    ls.avail_in = n;
    ls.next_out = b.data;
    ls.avail_out = b.size;
    if (!b.data || lzma_code(&ls, LZMA_FINISH) != LZMA_STREAM_END)
        blob_free(&b);
    else
        b.size = ls.total_out;
    lzma_end(&ls);
    return b;
}

static struct blob lz4_legacy(const void *in, size_t n)
{
    struct blob b = { 0 };
    int bound = LZ4_compressBound((int)LZ4_LEGACY_BLOCK);
    char *block = malloc((size_t)bound);

    if (!block)
        return b;
    blob_le32(&b, LZ4_LEGACY_MAGIC);
    for (size_t at = 0; at < n; at += LZ4_LEGACY_BLOCK) {
        size_t len = n - at < LZ4_LEGACY_BLOCK ? n - at : LZ4_LEGACY_BLOCK;
        int c = LZ4_compress_default((const char *)in + at, block, (int)len, bound);

        blob_le32(&b, (uint32_t)c);
        blob_add(&b, block, (size_t)c);
    }
    free(block);
    return b;
}

static struct blob zstd(const void *in, size_t n)
{
    struct blob b = { 0 };
    ZSTD_CCtx *cc = ZSTD_createCCtx();

    if (!cc)
        return b;
    b.size = ZSTD_compressBound(n);
    b.data = malloc(b.size);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, 19);
    ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1);
    size_t r = b.data ? ZSTD_compress2(cc, b.data, b.size, in, n) : 0;
    if (!b.data || ZSTD_isError(r))
        blob_free(&b);
    else
        b.size = r;
    ZSTD_freeCCtx(cc);
    return b;
}

#ifdef HAVE_BZLIB
static struct blob bzip2(const void *in, size_t n)
{
    struct blob b = { 0 };
    unsigned len = (unsigned)(n + n / 100 + 600);

    b.data = malloc(len);
    if (b.data && BZ2_bzBuffToBuffCompress((char *)b.data, &len, (char *)(uintptr_t)in,
                                           (unsigned)n, 9, 0, 0) == BZ_OK)
        b.size = len;
    else
        blob_free(&b);
    return b;
}
#endif

struct blob compress_blob(enum xen_unpack_fmt fmt, const void *in, size_t n)
{
    struct blob none = { 0 };

    switch (fmt) {
    case XEN_UNPACK_GZIP:  return gzip(in, n);
    case XEN_UNPACK_XZ:    return lzma_encode(in, n, true);
    case XEN_UNPACK_LZMA:  return lzma_encode(in, n, false);
    case XEN_UNPACK_LZ4:   return lz4_legacy(in, n);
    case XEN_UNPACK_ZSTD:  return zstd(in, n);
#ifdef HAVE_BZLIB
    case XEN_UNPACK_BZIP2: return bzip2(in, n);
#endif
    default:               return none;
    }
}
