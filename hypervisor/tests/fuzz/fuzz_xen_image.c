/*
 * fuzz_xen_image.c - libFuzzer harness for the Xen-PV kernel loader and
 * the initrd check (src/xen_image.c, xen_bzimage.c, xen_notes.c,
 * xen_unpack.c, xen_initrd.c, xen_initrd_cpio.c): every input is given to
 * both, as a kernel file and as an initrd.
 *
 * Checked besides crashes, leaks and sanitizer errors: a refusal is one
 * line starting "kernel: " or "initrd: " with -HVE_INVAL, -HVE_RANGE or
 * -HVE_NOMEM; a kernel that loads has 1 to 16 segments inside
 * [pstart, pend) and inside the ELF, a span within the limit, virtual
 * addresses paddr + (kstart - pstart), its entry point inside a segment,
 * XEN_VERSION "xen-3.0", only grantable required features, is probed as a
 * Xen kernel, and copies into as many bytes as its highest segment ends
 * at (not one less, and then writing nothing), pend rounding that up;
 * an initrd that passes held a cpio archive.  Limits are lowered to
 * 64 MiB, as 512 MiB of kernel per input is more than a fuzzer can afford.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "public/errno.h"
#include "xen_image.h"
#include "xen_initrd.h"

#define FZ_MAX      (64u << 20)
#define FZ_MAX_COPY (8u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refusal(int r, const char *err, const char *prefix)
{
    CHECK(r == -HVE_INVAL || r == -HVE_RANGE || r == -HVE_NOMEM, "code %d", r);
    CHECK(strncmp(err, prefix, strlen(prefix)) == 0 && err[strlen(prefix)] != '\0',
          "message '%s'", err);
    CHECK(!strchr(err, '\n'), "two lines: '%s'", err);
}

static void check_copy(const struct xen_image *img)
{
    size_t span = (size_t)(img->pend - img->pstart), need = 0;
    uint8_t *mem;
    char err[256] = "";

    if (span > FZ_MAX_COPY || !(mem = malloc(span)))
        return;
    for (unsigned i = 0; i < img->nr_segs; i++)     /* the highest end, unrounded */
        if (img->seg[i].paddr - img->pstart + img->seg[i].memsz > need)
            need = (size_t)(img->seg[i].paddr - img->pstart + img->seg[i].memsz);
    CHECK(need > span - XEN_IMAGE_PAGE && need <= span, "pend 0x%zx for an end at 0x%zx",
          span, need);
    memset(mem, 0xa5, span);
    CHECK(xen_image_copy(img, mem, need - 1, err, sizeof(err)) == -HVE_RANGE, "copy into less");
    check_refusal(-HVE_RANGE, err, "kernel: ");
    for (size_t k = 0; k < span; k++)
        CHECK(mem[k] == 0xa5, "a refused copy wrote byte 0x%zx", k);
    CHECK(xen_image_copy(img, mem, need, err, sizeof(err)) == 0, "copy: %s", err);
    for (unsigned i = 0; i < img->nr_segs; i++) {
        const struct xen_seg *s = &img->seg[i];
        const uint8_t *to = mem + (s->paddr - img->pstart);

        CHECK(memcmp(to, img->elf + s->offset, s->filesz) == 0, "segment %u data", i);
        for (uint64_t k = s->filesz; k < s->memsz; k++)
            CHECK(to[k] == 0, "segment %u bss byte %llu", i, (unsigned long long)k);
    }
    free(mem);
}

static void check_image(const struct xen_image *img, const uint8_t *data, size_t size)
{
    bool entry_in = false;

    CHECK(img->elf && img->elf_size <= FZ_MAX, "elf %zu", img->elf_size);
    CHECK(img->nr_segs >= 1 && img->nr_segs <= XEN_IMAGE_MAX_SEGS, "%u segs", img->nr_segs);
    CHECK(img->pstart < img->pend && img->pend - img->pstart <= XEN_IMAGE_MAX_SPAN &&
          img->pstart % XEN_IMAGE_PAGE == 0 && img->pend % XEN_IMAGE_PAGE == 0, "span");
    CHECK(img->kend - img->kstart == img->pend - img->pstart && img->kstart < img->kend,
          "virtual span");
    for (unsigned i = 0; i < img->nr_segs; i++) {
        const struct xen_seg *s = &img->seg[i];

        CHECK(s->memsz > 0 && s->filesz <= s->memsz, "segment %u sizes", i);
        CHECK(s->offset <= img->elf_size && s->filesz <= img->elf_size - s->offset,
              "segment %u outside the ELF", i);
        CHECK(s->paddr >= img->pstart && s->paddr - img->pstart <= img->pend - img->pstart &&
              s->memsz <= img->pend - s->paddr, "segment %u outside [pstart, pend)", i);
        CHECK(s->vaddr == s->paddr + (img->kstart - img->pstart), "segment %u vaddr", i);
        if (img->entry >= s->vaddr && img->entry - s->vaddr < s->memsz)
            entry_in = true;
    }
    CHECK(entry_in, "entry 0x%llx outside the segments", (unsigned long long)img->entry);
    CHECK(strncmp(img->xen_version, "xen-3.0", 7) == 0, "version '%s'", img->xen_version);
    CHECK(strnlen(img->guest_os, sizeof(img->guest_os)) < sizeof(img->guest_os) &&
          strnlen(img->loader, sizeof(img->loader)) < sizeof(img->loader) &&
          strnlen(img->features, sizeof(img->features)) < sizeof(img->features), "strings");
    CHECK(!(img->required_features & ~(XEN_IMAGE_FEAT_WRITABLE_PAGE_TABLES |
                                       XEN_IMAGE_FEAT_PAE_PGDIR_ABOVE_4GB)),
          "required 0x%x", img->required_features);
    CHECK(xen_image_probe(data, size) == XEN_KERNEL_XEN, "probe");
    check_copy(img);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xen_image img;
    struct xen_initrd_stats st;
    char err[256];
    int r;

    (void)xen_image_probe(data, size);
    err[0] = '\0';
    r = xen_image_load_max(data, size, FZ_MAX, &img, err, sizeof(err));
    if (r == 0)
        check_image(&img, data, size);
    else
        check_refusal(r, err, "kernel: ");
    xen_image_free(&img);

    err[0] = '\0';
    r = xen_initrd_check_max(data, size, FZ_MAX, &st, err, sizeof(err));
    if (r == 0)
        CHECK(st.archives >= 1 && st.entries >= st.archives, "%lu archives, %lu entries",
              st.archives, st.entries);
    else
        check_refusal(r, err, "initrd: ");
    return 0;
}
