/*
 * xen_image_seeds.c - writes fuzz_xen_image's seed corpus (tests/fuzz/
 * corpus/xen_image) with the unit tests' builder (tests/xen_builder.c):
 * the Linux-shaped kernel as an ELF and in bzImages of each compression,
 * cpio archives raw and compressed.  Not built by make; from hypervisor/:
 *   cc -std=c11 -D_GNU_SOURCE -DHAVE_BZLIB -Iinclude -Isrc -Itests \
 *      tests/fuzz/xen_image_seeds.c tests/xen_builder.c tests/compress_util.c \
 *      src/xen_unpack.c \
 *      -llzma -llz4 -lzstd -lz -lbz2 -o /tmp/xen_image_seeds &&
 *   /tmp/xen_image_seeds tests/fuzz/corpus/xen_image
 */
#include <stdio.h>
#include <string.h>

#include "xen_builder.h"

static int save(const char *dir, const char *name, const struct blob *b)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "wb");
    if (!b->data || b->failed || !f || fwrite(b->data, 1, b->size, f) != b->size ||
        fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const enum xen_unpack_fmt fmts[] = {
        XEN_UNPACK_GZIP, XEN_UNPACK_XZ, XEN_UNPACK_LZMA, XEN_UNPACK_LZ4, XEN_UNPACK_ZSTD,
        XEN_UNPACK_BZIP2,
    };
    const char *dir = argc > 1 ? argv[1] : ".";
    struct xb_elf x;
    struct xb_cpio c, crc;
    struct blob elf, mixed = { 0 };
    char name[64];
    int rc = 0;

    xb_elf_linux(&x);
    elf = xb_elf_build(&x);
    rc |= save(dir, "elf-linux", &elf);
    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        struct blob p = xb_payload(fmts[i], &elf);
        struct blob bz = xb_bzimage(p.data, p.size, 1, 0x10);

        snprintf(name, sizeof(name), "bz-%s", xen_unpack_name(fmts[i]));
        rc |= save(dir, name, &bz);
        blob_free(&bz);
        blob_free(&p);
    }
    blob_free(&elf);
    x.ph[3].p_type = PT_NULL;
    x.section_notes = true;
    elf = xb_elf_build(&x);
    rc |= save(dir, "elf-section-notes", &elf);
    blob_free(&elf);

    xb_cpio_sample(&c, false);
    xb_cpio_sample(&crc, true);
    rc |= save(dir, "initrd-newc", &c.b);
    rc |= save(dir, "initrd-crc", &crc.b);
    for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
        struct blob z = compress_blob(fmts[i], c.b.data, c.b.size);

        snprintf(name, sizeof(name), "initrd-%s", xen_unpack_name(fmts[i]));
        rc |= save(dir, name, &z);
        if (fmts[i] == XEN_UNPACK_GZIP) {
            blob_add(&mixed, crc.b.data, crc.b.size);
            blob_fill(&mixed, 0, 8);
            blob_add(&mixed, z.data, z.size);
        }
        blob_free(&z);
    }
    rc |= save(dir, "initrd-mixed", &mixed);
    blob_free(&mixed);
    blob_free(&c.b);
    blob_free(&crc.b);
    return rc ? 1 : 0;
}
