/*
 * unit_xen_initrd.c - the initrd check (src/xen_initrd.h) against cpio
 * archives built here, raw and compressed in every format, one after
 * another as Linux accepts them; and against each way they can be cut
 * short, corrupted or replaced by something else, refused word for word.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "public/errno.h"
#include "xen_builder.h"
#include "xen_initrd.h"

static const enum xen_unpack_fmt formats[] = {
    XEN_UNPACK_GZIP, XEN_UNPACK_XZ, XEN_UNPACK_LZMA, XEN_UNPACK_LZ4, XEN_UNPACK_ZSTD,
#ifdef HAVE_BZLIB
    XEN_UNPACK_BZIP2,
#endif
};
#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

static void pass(const struct blob *b, unsigned long archives, unsigned long entries,
                 unsigned streams)
{
    struct xen_initrd_stats st;
    char err[256] = "";
    int r;

    assert_false(b->failed);
    r = xen_initrd_check_max(b->data, b->size, XEN_INITRD_MAX_UNPACKED, &st, err, sizeof(err));
    if (r != 0)
        print_error("refused: %s\n", err);
    assert_int_equal(r, 0);
    assert_int_equal(st.archives, archives);
    assert_int_equal(st.entries, entries);
    assert_int_equal(st.streams, streams);
    assert_int_equal(xen_initrd_check(b->data, b->size, err, sizeof(err)), 0);
}

static void refuse_n(const uint8_t *data, size_t n, int code, const char *msg)
{
    char err[256] = "";

    assert_int_equal(xen_initrd_check(data, n, err, sizeof(err)), code);
    assert_string_equal(err, msg);
}

static void refuse(const struct blob *b, const char *msg)
{
    assert_false(b->failed);
    refuse_n(b->data, b->size, -HVE_INVAL, msg);
}

static void refusef(const struct blob *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void refusef(const struct blob *b, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    refuse(b, msg);
}

static struct blob packed(enum xen_unpack_fmt fmt, const struct blob *b)
{
    struct blob z = compress_blob(fmt, b->data, b->size);

    assert_non_null(z.data);
    return z;
}

static void good_archives_pass(void **state)
{
    struct xb_cpio c;

    (void)state;
    xb_cpio_sample(&c, false);
    pass(&c.b, 1, 6, 0);
    blob_free(&c.b);
    xb_cpio_sample(&c, true);
    pass(&c.b, 1, 6, 0);
    for (size_t i = 0; i < NFORMATS; i++) {
        struct blob z = packed(formats[i], &c.b);
        struct xen_initrd_stats st;
        char err[256];

        pass(&z, 1, 6, 1);
        assert_int_equal(xen_initrd_check_max(z.data, z.size, XEN_INITRD_MAX_UNPACKED, &st,
                                              err, sizeof(err)), 0);
        assert_int_equal(st.unpacked, c.b.size);
        blob_free(&z);
    }
    blob_free(&c.b);
}

/* As Debian's initramfs-tools writes one (a raw early cpio padded to 512
 * bytes, then the compressed main one), and more. */
static void concatenated_archives_pass(void **state)
{
    struct xb_cpio raw, crc;
    struct blob all = { 0 }, two = { 0 }, z;

    (void)state;
    xb_cpio_sample(&raw, false);
    xb_cpio_sample(&crc, true);
    blob_add(&all, raw.b.data, raw.b.size);
    blob_fill(&all, 0, 512 - raw.b.size % 512);
    z = packed(XEN_UNPACK_GZIP, &crc.b);
    blob_add(&all, z.data, z.size);
    blob_free(&z);
    blob_fill(&all, 0, 4 + (4 - all.size % 4) % 4);   /* NULs to a 4-byte boundary */
    blob_add(&all, raw.b.data, raw.b.size);        /* a raw one after a stream */
    blob_add(&two, raw.b.data, raw.b.size);        /* two in one stream, NULs between */
    blob_fill(&two, 0, 8);
    blob_add(&two, crc.b.data, crc.b.size);
    z = packed(XEN_UNPACK_XZ, &two);
    blob_add(&all, z.data, z.size);
    blob_free(&z);
    z = packed(XEN_UNPACK_ZSTD, &raw.b);
    blob_add(&all, z.data, z.size);
    blob_free(&z);
    z = packed(XEN_UNPACK_LZ4, &raw.b);            /* no end mark: NULs end it */
    blob_add(&all, z.data, z.size);
    blob_free(&z);
    blob_fill(&all, 0, 16);
    pass(&all, 7, 42, 4);
    blob_free(&all);
    blob_free(&two);
    blob_free(&raw.b);
    blob_free(&crc.b);
}

static void truncated_archives_are_refused(void **state)
{
    struct xb_cpio c;
    const struct xb_cpio_entry *sh;
    size_t data_at;

    (void)state;
    xb_cpio_sample(&c, false);
    sh = &c.e[2];
    assert_string_equal(sh->name, "bin/sh");
    data_at = (sh->off + 110 + sh->namesize + 3) & ~(size_t)3;
    refuse_n(c.b.data, sh->off + 50, -HVE_INVAL, "initrd: cpio entry 2 at offset 0xe4: "
             "truncated in its header (50 of 110 bytes)");
    refuse_n(c.b.data, sh->off + 113, -HVE_INVAL, "initrd: cpio entry 2 at offset 0xe4: "
             "truncated in its name (3 of 7 bytes)");
    refuse_n(c.b.data, sh->off + 110 + 7 + 1, -HVE_INVAL, "initrd: cpio entry 2 at offset "
             "0xe4: 'bin/sh' is truncated in its padding");
    refuse_n(c.b.data, data_at + 10, -HVE_INVAL, "initrd: cpio entry 2 at offset 0xe4: "
             "'bin/sh' is truncated (0xa of 0x2d data bytes)");
    refuse_n(c.b.data, c.e[3].off, -HVE_INVAL, "initrd: cpio archive at offset 0x0 ends "
             "without a TRAILER!!! entry (after 3 entries)");
    /* Every other cut, too: always one line about an entry or the archive. */
    for (size_t cut = 1; cut < c.b.size; cut++) {
        char err[256] = "";

        assert_int_equal(xen_initrd_check(c.b.data, cut, err, sizeof(err)), -HVE_INVAL);
        assert_true(strncmp(err, "initrd: cpio entry ", 19) == 0 ||
                    strncmp(err, "initrd: cpio archive at offset 0x0 ends without", 47) == 0);
        assert_null(strchr(err, '\n'));
    }
    blob_free(&c.b);
}

static void truncated_streams_are_refused(void **state)
{
    struct xb_cpio c;

    (void)state;
    xb_cpio_sample(&c, false);
    for (size_t i = 0; i < NFORMATS; i++) {
        const char *name = xen_unpack_name(formats[i]);
        struct blob z = packed(formats[i], &c.b);
        size_t from = formats[i] == XEN_UNPACK_XZ ? 6 : formats[i] == XEN_UNPACK_LZ4 ? 8 : 4;
        char want[256];

        for (size_t cut = from; cut < z.size; cut++) {
            if (formats[i] == XEN_UNPACK_LZ4) {
                unsigned csize = (unsigned)z.data[4] | (unsigned)z.data[5] << 8;
                snprintf(want, sizeof(want), "initrd: lz4 stream at 0x0 is truncated (lz4: "
                         "unexpected end of input (block at 0x4 needs %u bytes, %zu left))",
                         csize, cut - 8);
            } else {
                snprintf(want, sizeof(want), "initrd: %s stream at 0x0 is truncated (%s: "
                         "unexpected end of input)", name, name);
            }
            refuse_n(z.data, cut, -HVE_INVAL, want);
        }
        blob_free(&z);
    }
    blob_free(&c.b);
}

static void corrupt_streams_are_refused(void **state)
{
    struct xb_cpio c;
    struct blob z;

    (void)state;
    xb_cpio_sample(&c, false);
    z = packed(XEN_UNPACK_GZIP, &c.b);
    z.data[z.size - 8] ^= 1;                        /* the CRC32 */
    refuse(&z, "initrd: gzip stream at 0x0 is corrupt (gzip: incorrect data check)");
    z.data[z.size - 8] ^= 1;
    z.data[z.size - 4] ^= 1;                        /* the size */
    refuse(&z, "initrd: gzip stream at 0x0 is corrupt (gzip: incorrect length check)");
    blob_free(&z);
    z = packed(XEN_UNPACK_XZ, &c.b);
    z.data[z.size / 2] ^= 0x55;
    refuse(&z, "initrd: xz stream at 0x0 is corrupt (xz: compressed data is corrupt)");
    blob_free(&z);
    z = packed(XEN_UNPACK_ZSTD, &c.b);
    z.data[z.size - 1] ^= 0xff;                     /* the content checksum */
    refuse(&z, "initrd: zstd stream at 0x0 is corrupt (zstd: Restored data doesn't match "
           "checksum)");
    blob_free(&z);
    blob_free(&c.b);
}

static void missing_trailer_is_refused(void **state)
{
    struct xb_cpio c;
    struct blob z;

    (void)state;
    xb_cpio_sample(&c, false);
    c.b.size = c.e[5].off;                          /* up to the trailer */
    refuse(&c.b, "initrd: cpio archive at offset 0x0 ends without a TRAILER!!! entry "
           "(after 5 entries)");
    z = packed(XEN_UNPACK_GZIP, &c.b);
    refuse(&z, "initrd: gzip stream at 0x0: cpio archive at offset 0x0 ends without a "
           "TRAILER!!! entry (after 5 entries)");
    blob_free(&z);
    blob_free(&c.b);
}

static void garbage_is_refused(void **state)
{
    static const uint8_t elf[] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 };
    static const uint8_t lzo[] = { 0x89, 'L', 'Z', 'O', 0, 0xd, 0xa, 0x1a };
    uint8_t zeros[512] = { 0 };
    struct xb_cpio c;
    struct blob b = { 0 }, z;
    size_t end;

    (void)state;
    refuse_n(elf, sizeof(elf), -HVE_INVAL, "initrd: not a cpio archive or a compressed one "
             "(starts with 7f 45 4c 46)");
    refuse_n(elf, 2, -HVE_INVAL, "initrd: not a cpio archive or a compressed one "
             "(starts with 7f 45)");
    refuse_n(elf, 0, -HVE_INVAL, "initrd: the file is empty");
    refuse_n(zeros, sizeof(zeros), -HVE_INVAL, "initrd: holds no cpio archive (only NUL bytes)");
    refuse_n(lzo, sizeof(lzo), -HVE_INVAL, "initrd: lzo-compressed data at 0x0, which this "
             "hvcore cannot unpack");

    xb_cpio_sample(&c, false);
    end = c.b.size;
    blob_add(&b, c.b.data, end);
    blob_add(&b, "XYZ!", 4);
    refusef(&b, "initrd: data at offset %#zx is not a cpio archive or a compressed one "
            "(starts with 58 59 5a 21)", end);
    b.data[end] = 0;                                /* something off the 4-byte grid */
    refusef(&b, "initrd: data at offset %#zx after a cpio archive is not on a 4-byte "
            "boundary", end + 1);
    blob_free(&b);

    /* Inside a stream: what follows an archive must be another one. */
    blob_add(&b, c.b.data, end);
    blob_fill(&b, 'j', 112);
    z = packed(XEN_UNPACK_GZIP, &b);
    refusef(&z, "initrd: gzip stream at 0x0: cpio entry 6 at offset %#zx: bad magic", end);
    blob_free(&z);
    b.size = end + 4;
    z = packed(XEN_UNPACK_GZIP, &b);
    refusef(&z, "initrd: gzip stream at 0x0: cpio entry 6 at offset %#zx: truncated in its "
            "header (4 of 110 bytes)", end);
    blob_free(&z);
    b.size = end + 1;
    b.data[end] = '0';
    z = packed(XEN_UNPACK_GZIP, &b);
    refusef(&z, "initrd: gzip stream at 0x0: cpio entry 6 at offset %#zx: truncated in its "
            "header (1 of 110 bytes)", end);
    blob_free(&z);
    z = packed(XEN_UNPACK_GZIP, &(struct blob){ zeros, sizeof(zeros), false });
    refuse(&z, "initrd: gzip stream at 0x0: holds no cpio archive");
    blob_free(&z);
    blob_free(&b);
    blob_fill(&b, 0, 1);
    blob_add(&b, c.b.data, end);
    z = packed(XEN_UNPACK_GZIP, &b);
    refuse(&z, "initrd: gzip stream at 0x0: data at offset 0x1 after NUL bytes is not on a "
           "4-byte boundary");
    blob_free(&z);
    blob_free(&b);
    blob_free(&c.b);
}

static void put_field(struct xb_cpio *c, unsigned entry, unsigned field, const char *hex8)
{
    memcpy(c->b.data + c->e[entry].off + 6 + 8 * field, hex8, 8);
}

static void bad_entries_are_refused(void **state)
{
    struct xb_cpio c, first;
    struct blob b = { 0 }, z;
    uint32_t sum = 0;
    size_t data_at;
    char hex[9];

    (void)state;
    xb_cpio_sample(&c, false);
    c.b.data[c.e[2].off + 5] = '3';
    refuse(&c.b, "initrd: cpio entry 2 at offset 0xe4: bad magic");
    c.b.data[c.e[2].off + 5] = '1';
    put_field(&c, 2, 6, "0000002g");
    refuse(&c.b, "initrd: cpio entry 2 at offset 0xe4: bad hex digit in its filesize field");
    snprintf(hex, sizeof(hex), "%08x", c.e[2].filesize);
    put_field(&c, 2, 6, hex);                       /* lower case is hex too */
    pass(&c.b, 1, 6, 0);
    put_field(&c, 2, 11, "00000000");
    refuse(&c.b, "initrd: cpio entry 2 at offset 0xe4: name size 0 is out of range "
           "(1 to 4096)");
    put_field(&c, 2, 11, "00001001");
    refuse(&c.b, "initrd: cpio entry 2 at offset 0xe4: name size 4097 is out of range "
           "(1 to 4096)");
    put_field(&c, 2, 11, "00000007");
    c.b.data[c.e[2].off + 110 + 6] = 'x';
    refuse(&c.b, "initrd: cpio entry 2 at offset 0xe4: its name is not NUL-terminated");
    blob_free(&c.b);

    /* A crc archive's file data that does not add up to its check. */
    xb_cpio_sample(&c, true);
    data_at = (c.e[2].off + 110 + c.e[2].namesize + 3) & ~(size_t)3;
    for (uint32_t i = 0; i < c.e[2].filesize; i++)
        sum += c.b.data[data_at + i];
    c.b.data[data_at] += 1;
    refusef(&c.b, "initrd: cpio entry 2 at offset 0xe4: 'bin/sh': data checksum 0x%08x does "
            "not match its header's 0x%08x", sum + 1, sum);

    /* Entries are numbered over the whole initrd. */
    xb_cpio_sample(&first, false);
    blob_add(&b, first.b.data, first.b.size);
    z = packed(XEN_UNPACK_GZIP, &c.b);
    blob_add(&b, z.data, z.size);
    refusef(&b, "initrd: gzip stream at %#zx: cpio entry 8 at offset 0xe4: 'bin/sh': data "
            "checksum 0x%08x does not match its header's 0x%08x", first.b.size, sum + 1, sum);
    blob_free(&z);
    blob_free(&b);
    blob_free(&first.b);
    blob_free(&c.b);
}

static void unpacking_is_bounded(void **state)
{
    struct xb_cpio c = { 0 };
    struct xen_initrd_stats st;
    char err[256] = "";
    uint8_t *big = calloc(1, 2u << 20);
    struct blob z;

    (void)state;
    assert_non_null(big);
    xb_cpio_add(&c, "big", S_IFREG | 0644, big, 2u << 20);
    xb_cpio_trailer(&c);
    z = packed(XEN_UNPACK_GZIP, &c.b);
    assert_int_equal(xen_initrd_check_max(z.data, z.size, 1u << 20, &st, err, sizeof(err)),
                     -HVE_RANGE);
    assert_string_equal(err, "initrd: gzip stream at 0x0: unpacks to more than the 1 MiB limit");
    assert_int_equal(xen_initrd_check_max(z.data, z.size, 4u << 20, &st, err, sizeof(err)), 0);
    assert_int_equal(st.unpacked, c.b.size);
    blob_free(&z);
    blob_free(&c.b);
    free(big);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_archives_pass),
        cmocka_unit_test(concatenated_archives_pass),
        cmocka_unit_test(truncated_archives_are_refused),
        cmocka_unit_test(truncated_streams_are_refused),
        cmocka_unit_test(corrupt_streams_are_refused),
        cmocka_unit_test(missing_trailer_is_refused),
        cmocka_unit_test(garbage_is_refused),
        cmocka_unit_test(bad_entries_are_refused),
        cmocka_unit_test(unpacking_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
