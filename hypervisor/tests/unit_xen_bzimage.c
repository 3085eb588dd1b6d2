/*
 * unit_xen_bzimage.c - Xen-PV kernels inside bzImages (src/xen_bzimage.c
 * through xen_image_load): the Linux-shaped test kernel in a bzImage of
 * every compression, and each way the setup header, the payload or its
 * size trailer can be wrong; then (where one is at hand) Debian's real
 * kernel, its notes checked against readelf's and its unpacking timed.
 */
#include <elf.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "elf_load.h"
#include "public/errno.h"
#include "xen_builder.h"
#include "xen_image.h"
#include "xen_notes.h"

static struct xb_elf x;

static void refuse_blob(const struct blob *b, int code, const char *msg)
{
    struct xen_image img;
    char err[256] = "";

    assert_false(b->failed);
    assert_int_equal(xen_image_load(b->data, b->size, &img, err, sizeof(err)), code);
    assert_string_equal(err, msg);
    xen_image_free(&img);
}

static const enum xen_unpack_fmt kernel_formats[] = {
    XEN_UNPACK_GZIP, XEN_UNPACK_XZ, XEN_UNPACK_LZMA, XEN_UNPACK_LZ4, XEN_UNPACK_ZSTD,
#ifdef HAVE_BZLIB
    XEN_UNPACK_BZIP2,
#endif
};

#define SETUP_SECTS 3
#define PAYLOAD_OFF 0x123

static void set_le32(struct blob *b, size_t at, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        b->data[at + i] = (uint8_t)(v >> (8 * i));
}

/* A bzImage around payload + (trailer != 0) its size trailer. */
static struct blob bz_of(const struct blob *stream, uint32_t trailer)
{
    struct blob p = blob_of(stream->data, stream->size), bz;

    if (trailer)
        blob_le32(&p, trailer);
    bz = xb_bzimage(p.data, p.size, SETUP_SECTS, PAYLOAD_OFF);
    blob_free(&p);
    return bz;
}

static void bzimages_of_every_compression_load(void **state)
{
    struct xen_image img;
    char err[256] = "";
    struct blob elf;

    (void)state;
    xb_elf_linux(&x);
    elf = xb_elf_build(&x);
    for (size_t i = 0; i < sizeof(kernel_formats) / sizeof(kernel_formats[0]); i++) {
        struct blob p = xb_payload(kernel_formats[i], &elf);
        struct blob bz = xb_bzimage(p.data, p.size, SETUP_SECTS, PAYLOAD_OFF);

        assert_non_null(p.data);
        assert_int_equal(xen_image_probe(bz.data, bz.size), XEN_KERNEL_XEN);
        assert_int_equal(xen_image_load(bz.data, bz.size, &img, err, sizeof(err)), 0);
        assert_string_equal(img.compression, xen_unpack_name(kernel_formats[i]));
        assert_int_equal(img.elf_size, elf.size);
        assert_memory_equal(img.elf, elf.data, elf.size);
        assert_int_equal(img.entry, XB_ENTRY);
        xen_image_free(&img);
        blob_free(&p);
        blob_free(&bz);
    }
    blob_free(&elf);
}

static void refuses_broken_bzimages(void **state)
{
    static const uint8_t unknown[] = "ABCDEFGHIJKL", lzo[] = { 0x89, 'L', 'Z', 'O', 0, 1, 2, 3 };
    struct blob elf, s, bz;
    size_t after_setup;
    uint32_t csize;
    char msg[256];

    (void)state;
    xb_elf_linux(&x);
    elf = xb_elf_build(&x);

    /* Truncated streams (the size trailer after what is left). */
    s = compress_blob(XEN_UNPACK_XZ, elf.data, elf.size);
    s.size /= 2;
    bz = bz_of(&s, XB_FILE_SIZE);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload is truncated "
                "(xz: unexpected end of input)");
    blob_free(&bz);
    blob_free(&s);
    s = compress_blob(XEN_UNPACK_LZMA, elf.data, elf.size);
    s.size /= 2;
    bz = bz_of(&s, XB_FILE_SIZE);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload is truncated "
                "(lzma: unexpected end of input)");
    blob_free(&bz);
    blob_free(&s);
    s = compress_blob(XEN_UNPACK_ZSTD, elf.data, elf.size);
    s.size -= 5;
    bz = bz_of(&s, XB_FILE_SIZE);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload is truncated "
                "(zstd: unexpected end of input)");
    blob_free(&bz);
    blob_free(&s);
    s = compress_blob(XEN_UNPACK_LZ4, elf.data, elf.size);
    csize = (uint32_t)s.data[4] | (uint32_t)s.data[5] << 8;
    s.size = 8 + csize / 2;
    bz = bz_of(&s, XB_FILE_SIZE);
    snprintf(msg, sizeof(msg), "kernel: bzImage payload is truncated (lz4: unexpected end of "
             "input (block at 0x4 needs %u bytes, %u left))", csize, csize / 2);
    refuse_blob(&bz, -HVE_INVAL, msg);
    blob_free(&bz);
    blob_free(&s);

    /* Corrupt streams: checksums that do not match. */
    s = compress_blob(XEN_UNPACK_GZIP, elf.data, elf.size);
    s.data[s.size - 8] ^= 0xff;              /* the CRC32 */
    bz = bz_of(&s, 0);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload is corrupt "
                "(gzip: incorrect data check)");
    blob_free(&bz);
    blob_free(&s);
    s = compress_blob(XEN_UNPACK_ZSTD, elf.data, elf.size);
    s.data[s.size - 1] ^= 0xff;              /* the content checksum */
    bz = bz_of(&s, XB_FILE_SIZE);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload is corrupt "
                "(zstd: Restored data doesn't match checksum)");
    blob_free(&bz);
    blob_free(&s);
    s = compress_blob(XEN_UNPACK_XZ, elf.data, elf.size);
    s.data[s.size / 2] ^= 0x55;
    bz = bz_of(&s, XB_FILE_SIZE);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload is corrupt "
                "(xz: compressed data is corrupt)");
    blob_free(&bz);

    /* The size trailer against what the stream unpacks to. */
    s.data[s.size / 2] ^= 0x55;
    bz = bz_of(&s, XB_FILE_SIZE + 0x1000);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload decompresses to 0x4000 bytes, "
                "its size trailer says 0x5000");
    blob_free(&bz);
    bz = bz_of(&s, XB_FILE_SIZE - 0x1000);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload decompresses to more than the "
                "0x3000 bytes its size trailer says");
    blob_free(&bz);
    bz = bz_of(&s, 0x20000001);
    refuse_blob(&bz, -HVE_RANGE, "kernel: bzImage payload decompresses to 0x20000001 bytes, "
                "more than the 512 MiB limit");
    blob_free(&bz);
    bz = bz_of(&s, 16);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload's size trailer says 16 bytes, "
                "too few for an ELF kernel");
    blob_free(&bz);
    blob_add(&s, "JUNK", 4);
    bz = bz_of(&s, XB_FILE_SIZE);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload has 0x4 bytes after its xz stream");
    blob_free(&bz);
    blob_free(&s);
    s = compress_blob(XEN_UNPACK_LZ4, elf.data, elf.size);
    bz = bz_of(&s, XB_FILE_SIZE - 0x1000);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload decompresses to more than the "
                "0x3000 bytes its size trailer says");
    blob_free(&bz);

    /* The setup header's fields. */
    bz = bz_of(&s, XB_FILE_SIZE);
    after_setup = bz.size - (SETUP_SECTS + 1) * 512;
    set_le32(&bz, XB_BZ_PAYLOAD_LENGTH, 0x7fffffff);
    snprintf(msg, sizeof(msg), "kernel: bzImage payload (offset 0x123 + length 0x7fffffff) "
             "ends beyond the file (%#zx bytes after the setup)", after_setup);
    refuse_blob(&bz, -HVE_INVAL, msg);
    set_le32(&bz, XB_BZ_PAYLOAD_LENGTH, 6);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload is too short (6 bytes)");
    set_le32(&bz, XB_BZ_PAYLOAD_LENGTH, (uint32_t)s.size + 4);
    set_le32(&bz, XB_BZ_PAYLOAD_OFFSET, 0xffffffff);
    snprintf(msg, sizeof(msg), "kernel: bzImage payload (offset 0xffffffff + length %#zx) "
             "ends beyond the file (%#zx bytes after the setup)", s.size + 4, after_setup);
    refuse_blob(&bz, -HVE_INVAL, msg);
    set_le32(&bz, XB_BZ_PAYLOAD_OFFSET, PAYLOAD_OFF);
    bz.data[XB_BZ_VERSION] = 0x06;
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage boot protocol 2.06 has no payload fields "
                "(2.08 or later needed)");
    bz.data[XB_BZ_VERSION] = 0x0f;
    bz.data[0x1f1] = 200;
    snprintf(msg, sizeof(msg), "kernel: bzImage setup (200 sectors) ends beyond the file "
             "(%#zx bytes)", bz.size);
    refuse_blob(&bz, -HVE_INVAL, msg);
    bz.size = 0x220;
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage setup header is truncated "
                "(544 bytes, need 592)");
    blob_free(&bz);
    blob_free(&s);

    /* Payloads that are not a stream hvcore unpacks. */
    s = blob_of(unknown, 12);
    bz = bz_of(&s, XB_FILE_SIZE);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload has an unknown compression "
                "(starts with 41 42 43 44)");
    blob_free(&bz);
    blob_free(&s);
    s = blob_of(lzo, sizeof(lzo));
    bz = bz_of(&s, XB_FILE_SIZE);
    refuse_blob(&bz, -HVE_INVAL, "kernel: bzImage payload is lzo-compressed, which this "
                "hvcore cannot unpack");
    blob_free(&bz);
    blob_free(&s);

    /* A good stream of an ELF that is no Xen kernel. */
    x.nnotes = 0;
    blob_free(&elf);
    elf = xb_elf_build(&x);
    s = xb_payload(XEN_UNPACK_GZIP, &elf);
    bz = bz_of(&s, 0);
    refuse_blob(&bz, -HVE_INVAL, "kernel: no Xen ELF notes: not a Xen PV kernel");
    blob_free(&bz);
    blob_free(&s);
    blob_free(&elf);
}

/* The kernel to try: $HVCTL_TEST_KERNEL, else the cached cloud kernel. */
static const char *real_kernel(char *path, size_t len)
{
    const char *env = getenv("HVCTL_TEST_KERNEL");
    glob_t g;

    if (env && *env) {
        snprintf(path, len, "%s", env);
        return path;
    }
    if (glob("/var/cache/hvctl-kernel/k/boot/vmlinuz-*", 0, NULL, &g) != 0)
        return NULL;
    snprintf(path, len, "%s", g.gl_pathv[0]);
    globfree(&g);
    return path;
}

/* The Xen note of that type in readelf -n's listing of file (type names
 * vary with binutils: "(0x0000000c)", or a generic name for types 1-4). */
static bool readelf_note(const char *file, unsigned type, uint64_t *val)
{
    char cmd[600], line[512];
    bool want = false, found = false;
    FILE *f;

    snprintf(cmd, sizeof(cmd), "readelf -n -W '%s' 2>/dev/null", file);
    f = popen(cmd, "r");
    if (!f)
        return false;
    while (fgets(line, sizeof(line), f)) {
        char *p = line + strspn(line, " ");
        char *desc = strstr(p, "description data:");   /* same line with -W */

        if (strncmp(p, "Xen ", 4) == 0) {
            char *hex = strstr(p, "(0x");
            unsigned t = hex ? (unsigned)strtoul(hex + 3, NULL, 16)
                       : strstr(p, "NT_VERSION") ? 1 : ~0u;
            want = t == type;
        } else if (!desc) {
            want = false;           /* another owner's note, or a heading */
        }
        if (want && desc) {
            char *q = desc + 17;
            unsigned shift = 0;

            *val = 0;
            for (;;) {
                char *end;
                unsigned long b = strtoul(q, &end, 16);
                if (end == q || shift >= 64)
                    break;
                *val |= (uint64_t)b << shift;
                shift += 8;
                q = end;
            }
            found = true;
            want = false;
        }
    }
    pclose(f);
    return found;
}

static double now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void debian_kernel_matches_readelf(void **state)
{
    char path[512], tmp[] = "/tmp/unit-xen-image.XXXXXX", err[256] = "";
    struct xen_image img;
    uint8_t *file, *mem, *vmlinux;
    size_t size, vsize;
    uint64_t entry = 0, virt_base = 0, hv_start_low = 0, init_p2m = 0;
    bool found;
    double t;
    int fd;

    (void)state;
    if (!real_kernel(path, sizeof(path)) || access(path, R_OK) != 0) {
        print_message("SKIP: no Debian kernel here (set HVCTL_TEST_KERNEL, or fetch "
                      "linux-image-*-cloud-amd64 into /var/cache/hvctl-kernel/k)\n");
        skip();
    }
    if (system("readelf --version >/dev/null 2>&1") != 0) {
        print_message("SKIP: readelf not found (Debian: binutils)\n");
        skip();
    }
    assert_int_equal(elf_read_file(path, &file, &size, err, sizeof(err)), 0);
    t = now_ms();
    assert_int_equal(xen_image_load(file, size, &img, err, sizeof(err)), 0);
    t = now_ms() - t;
    print_message("xen_image_load: %s (%s payload, %zu bytes of ELF) in %.1f ms\n", path,
                  img.compression ? img.compression : "no", img.elf_size, t);
    assert_int_equal(xen_image_probe(file, size), XEN_KERNEL_XEN);

    fd = mkstemp(tmp);
    assert_true(fd >= 0);
    found = write(fd, img.elf, img.elf_size) == (ssize_t)img.elf_size;
    close(fd);
    if (!found)
        unlink(tmp);
    assert_true(found);
    found = readelf_note(tmp, XEN_NOTE_ENTRY, &entry) &&
            readelf_note(tmp, XEN_NOTE_VIRT_BASE, &virt_base) &&
            readelf_note(tmp, XEN_NOTE_HV_START_LOW, &hv_start_low) &&
            readelf_note(tmp, XEN_NOTE_INIT_P2M, &init_p2m);
    unlink(tmp);                    /* before any assertion can end the test */
    assert_true(found);
    assert_int_equal(img.entry, entry);
    assert_int_equal(img.virt_base, virt_base);
    assert_int_equal(img.hv_start_low, hv_start_low);
    assert_int_equal(img.init_p2m, init_p2m);
    assert_string_equal(img.xen_version, "xen-3.0");
    assert_true(img.required_features & XEN_IMAGE_FEAT_WRITABLE_PAGE_TABLES);

    /* The unpacked ELF is Debian's vmlinux, where that is cached too. */
    if (elf_read_file("/var/cache/hvctl-kernel/vmlinux", &vmlinux, &vsize, err,
                      sizeof(err)) == 0) {
        if (vsize == img.elf_size)
            assert_memory_equal(vmlinux, img.elf, vsize);
        free(vmlinux);
    }

    mem = malloc(img.pend - img.pstart);
    assert_non_null(mem);
    assert_int_equal(xen_image_copy(&img, mem, img.pend - img.pstart, err, sizeof(err)), 0);
    assert_memory_equal(mem, img.elf + img.seg[0].offset, 4096);
    free(mem);
    xen_image_free(&img);
    free(file);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bzimages_of_every_compression_load),
        cmocka_unit_test(refuses_broken_bzimages),
        cmocka_unit_test(debian_kernel_matches_readelf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
