/*
 * compress_util.h - compressing test data with the libraries hvcore
 * unpacks with (zlib, liblzma, liblz4, libzstd, libbz2), in the forms
 * Linux writes kernels and initramfs images in.
 */
#ifndef HVCORE_TEST_COMPRESS_UTIL_H
#define HVCORE_TEST_COMPRESS_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "xen_unpack.h"

#include <stdbool.h>

/* A malloc'ed byte string; failed once an append ran out of memory (the
 * tests assert it is not). */
struct blob {
    uint8_t *data;
    size_t size;
    bool failed;
};

/*
 * in[0..n) compressed as fmt: gzip (one member), xz (CRC32 check, as
 * Linux's), lzma (legacy .lzma), lz4 (legacy frame, 8 MiB blocks), zstd
 * (with its content checksum), bzip2 (only with HAVE_BZLIB).  data is NULL
 * if the format is not available.  Free with blob_free.
 */
struct blob compress_blob(enum xen_unpack_fmt fmt, const void *in, size_t n);

/* A copy of data[0..n). */
struct blob blob_of(const void *data, size_t n);

/* Append data[0..n) to b. */
void blob_add(struct blob *b, const void *data, size_t n);

/* Append n copies of byte. */
void blob_fill(struct blob *b, uint8_t byte, size_t n);

/* Append v as 4 little-endian bytes. */
void blob_le32(struct blob *b, uint32_t v);

void blob_free(struct blob *b);

#endif /* HVCORE_TEST_COMPRESS_UTIL_H */
