/*
 * unit_xen_image.c - the Xen-PV kernel loader (src/xen_image.c,
 * xen_notes.c) against an ELF kernel built here in Linux 6.1's shape, and
 * against each way its header, segments, notes and addresses can be
 * broken, refused word for word.  (bzImages: unit_xen_bzimage.c.)
 */
#include <elf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

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

/* The kernel x describes is refused with msg. */
static void refuse(const char *msg)
{
    struct blob b = xb_elf_build(&x);

    refuse_blob(&b, -HVE_INVAL, msg);
    blob_free(&b);
}

/* The kernel x describes loads; into *img (freed by the caller). */
static void accept(struct xen_image *img)
{
    struct blob b = xb_elf_build(&x);
    char err[256] = "";
    int r = xen_image_load(b.data, b.size, img, err, sizeof(err));

    if (r != 0)
        print_error("refused: %s\n", err);
    assert_int_equal(r, 0);
    blob_free(&b);
}

static void linux_shaped_kernel_parses(void **state)
{
    struct xen_image img;
    struct blob b;

    (void)state;
    xb_elf_linux(&x);
    b = xb_elf_build(&x);
    assert_int_equal(xen_image_probe(b.data, b.size), XEN_KERNEL_XEN);
    accept(&img);
    assert_int_equal(img.elf_size, XB_FILE_SIZE);
    assert_memory_equal(img.elf, b.data, b.size);
    assert_null(img.compression);
    assert_int_equal(img.entry, XB_ENTRY);
    assert_int_equal(img.virt_base, XB_VIRT_BASE);
    assert_int_equal(img.paddr_offset, 0);
    assert_int_equal(img.hv_start_low, XB_HV_START_LOW);
    assert_int_equal(img.init_p2m, XB_INIT_P2M);
    assert_int_equal(img.hypercall_page, 0);
    assert_int_equal(img.phys32_entry, XB_PHYS32);
    assert_int_equal(img.pstart, XB_PSTART);
    assert_int_equal(img.pend, XB_PEND);
    assert_int_equal(img.kstart, XB_KSTART);
    assert_int_equal(img.kend, XB_KEND);
    assert_true(img.mod_start_pfn);
    assert_string_equal(img.features, "!writable_page_tables|pae_pgdir_above_4gb");
    /* '!' marks only writable_page_tables: pae_pgdir_above_4gb is supported. */
    assert_int_equal(img.required_features, XEN_IMAGE_FEAT_WRITABLE_PAGE_TABLES);
    assert_int_equal(img.supported_features, 0x8801);
    assert_string_equal(img.guest_os, "linux");
    assert_string_equal(img.xen_version, "xen-3.0");
    assert_string_equal(img.loader, "generic");
    assert_int_equal(img.nr_segs, 3);
    /* The percpu-like segment: loaded by paddr, its vaddr computed. */
    assert_int_equal(img.seg[1].paddr, 0x1002000);
    assert_int_equal(img.seg[1].vaddr, 0xffffffff81002000ull);
    assert_int_equal(img.seg[1].filesz, 0x800);
    assert_int_equal(img.seg[1].memsz, 0x1000);
    assert_int_equal(img.seg[1].offset, 0x2000);
    assert_int_equal(img.seg[1].flags, PF_R | PF_W);
    assert_int_equal(img.seg[1].phdr, 1);
    assert_int_equal(img.seg[2].vaddr, 0xffffffff81003000ull);
    assert_int_equal(img.seg[2].memsz, 0x3000);
    xen_image_free(&img);
    assert_null(img.elf);
    blob_free(&b);
}

static void copies_segments_by_paddr(void **state)
{
    struct xen_image img;
    size_t span = XB_PEND - XB_PSTART;
    uint8_t *mem = malloc(span), *want = malloc(span);
    char err[256] = "";

    (void)state;
    assert_non_null(mem);
    assert_non_null(want);
    xb_elf_linux(&x);
    accept(&img);
    memset(mem, 0xee, span);
    memset(want, 0xee, span);
    memset(want, 0x11, 0x1000);              /* PT_LOAD 0 */
    memset(want + 0x2000, 0x22, 0x800);      /* PT_LOAD 1 and its bss */
    memset(want + 0x2800, 0, 0x800);
    memset(want + 0x3000, 0x33, 0x1000);     /* PT_LOAD 2 and its bss */
    memset(want + 0x4000, 0, 0x2000);        /* the gap at 0x1000 is left alone */

    assert_int_equal(xen_image_copy(&img, mem, span - 1, err, sizeof(err)), -HVE_RANGE);
    assert_string_equal(err, "kernel: PT_LOAD 2 (0x3000 bytes at paddr 0x1003000) does not "
                        "fit in 0x5fff bytes of guest memory from 0x1000000");
    for (size_t i = 0; i < span; i++)
        assert_int_equal(mem[i], 0xee);      /* nothing written */
    assert_int_equal(xen_image_copy(&img, mem, span, err, sizeof(err)), 0);
    assert_memory_equal(mem, want, span);
    xen_image_free(&img);
    assert_int_equal(xen_image_copy(&img, mem, span, err, sizeof(err)), -HVE_INVAL);
    assert_string_equal(err, "kernel: no loaded image to copy");
    free(mem);
    free(want);
}

static void refuses_bad_headers(void **state)
{
    static const uint8_t dos[] = { 'M', 'Z', 0x90, 0, 3, 0, 0, 0 };
    struct blob b;

    (void)state;
    xb_elf_linux(&x);
    b = xb_elf_build(&x);
    b.size = 40;
    refuse_blob(&b, -HVE_INVAL, "kernel: ELF header is truncated (40 bytes, need 64)");
    b.size = 200;
    refuse_blob(&b, -HVE_INVAL, "kernel: program headers end beyond the file "
                "(offset 0x40 + 4 * 56 > 0xc8)");
    blob_free(&b);
    b = blob_of(dos, sizeof(dos));
    refuse_blob(&b, -HVE_INVAL, "kernel: neither an ELF file nor a bzImage "
                "(starts with 4d 5a 90 00)");
    b.size = 0;
    refuse_blob(&b, -HVE_INVAL, "kernel: neither an ELF file nor a bzImage (starts with nothing)");
    blob_free(&b);

    xb_elf_linux(&x);
    x.eh.e_ident[EI_CLASS] = ELFCLASS32;
    refuse("kernel: not a 64-bit ELF file (class 1)");
    xb_elf_linux(&x);
    x.eh.e_ident[EI_DATA] = ELFDATA2MSB;
    refuse("kernel: not a little-endian ELF file");
    xb_elf_linux(&x);
    x.eh.e_machine = EM_386;
    refuse("kernel: not an x86-64 ELF file (e_machine 3)");
    xb_elf_linux(&x);
    x.eh.e_type = ET_DYN;
    refuse("kernel: not an executable ELF file (e_type 3)");
    xb_elf_linux(&x);
    x.eh.e_phentsize = 32;
    refuse("kernel: bad program header size 32");
    xb_elf_linux(&x);
    x.eh.e_phnum = 0;
    refuse("kernel: bad program header count 0 (1 to 64)");
    xb_elf_linux(&x);
    x.eh.e_phoff = XB_FILE_SIZE - 16;
    refuse("kernel: program headers end beyond the file (offset 0x3ff0 + 4 * 56 > 0x4000)");
    xb_elf_linux(&x);
    x.eh.e_phoff = UINT64_MAX - 8;
    refuse("kernel: program headers end beyond the file "
           "(offset 0xfffffffffffffff7 + 4 * 56 > 0x4000)");
}

static void refuses_bad_segments(void **state)
{
    struct xen_image img;
    struct blob b;

    (void)state;
    xb_elf_linux(&x);
    x.ph[2].p_filesz = 0x2000;
    refuse("kernel: PT_LOAD 2 ends beyond the file (offset 0x3000 + 0x2000 > 0x4000)");
    xb_elf_linux(&x);
    x.ph[2].p_offset = UINT64_MAX;
    refuse("kernel: PT_LOAD 2 ends beyond the file (offset 0xffffffffffffffff + 0x1000 > 0x4000)");
    xb_elf_linux(&x);
    x.ph[1].p_memsz = 0x400;
    refuse("kernel: PT_LOAD 1 has filesz 0x800 > memsz 0x400");
    xb_elf_linux(&x);
    x.ph[1].p_paddr = 0x1000800;
    refuse("kernel: PT_LOADs 0 and 1 overlap (paddr [0x1000000, 0x1001000) and "
           "[0x1000800, 0x1001800))");
    xb_elf_linux(&x);
    x.ph[2].p_paddr = 0xfffffffffffff000ull;
    refuse("kernel: PT_LOAD 2 wraps around the address space "
           "(paddr 0xfffffffffffff000 + memsz 0x3000)");
    xb_elf_linux(&x);
    x.ph[0].p_paddr = 0x1000010;
    refuse("kernel: the lowest PT_LOAD starts at paddr 0x1000010, not on a page boundary");
    xb_elf_linux(&x);
    x.ph[0].p_type = x.ph[1].p_type = x.ph[2].p_type = PT_NULL;
    refuse("kernel: no PT_LOAD segment");
    xb_elf_linux(&x);
    x.ph[2].p_paddr = 0x50000000;
    b = xb_elf_build(&x);
    refuse_blob(&b, -HVE_RANGE, "kernel: PT_LOADs span [0x1000000, 0x50003000), "
                "more than 1024 MiB");
    blob_free(&b);

    /* Seventeen loadable segments (bss only) where at most 16 may be. */
    xb_elf_linux(&x);
    x.eh.e_phnum = 20;
    for (unsigned i = 4; i < 20; i++) {
        x.ph[i] = x.ph[0];
        x.ph[i].p_paddr = 0x1100000 + 0x1000 * i;
        x.ph[i].p_filesz = 0;
    }
    refuse("kernel: more than 16 PT_LOAD segments");

    /* An empty PT_LOAD is no segment. */
    xb_elf_linux(&x);
    x.ph[1].p_filesz = x.ph[1].p_memsz = 0;
    accept(&img);
    assert_int_equal(img.nr_segs, 2);
    assert_int_equal(img.seg[1].phdr, 2);
    xen_image_free(&img);
}

static void refuses_missing_or_wrong_notes(void **state)
{
    struct xen_image img;
    struct blob b;

    (void)state;
    xb_elf_linux(&x);
    x.nnotes = 0;
    b = xb_elf_build(&x);
    assert_int_equal(xen_image_probe(b.data, b.size), XEN_KERNEL_HV_ELF);
    blob_free(&b);
    refuse("kernel: no Xen ELF notes: not a Xen PV kernel");
    xb_elf_linux(&x);
    x.note[0] = x.note[15];                 /* the GNU note alone */
    x.nnotes = 1;
    refuse("kernel: no Xen ELF notes: not a Xen PV kernel");
    xb_elf_linux(&x);
    xb_note_remove(&x, XEN_NOTE_XEN_VERSION);
    refuse("kernel: no Xen note XEN_VERSION (want 'xen-3.0')");
    xb_elf_linux(&x);
    xb_note_str(&x, XEN_NOTE_XEN_VERSION, "xen-4.0", true);
    refuse("kernel: Xen note XEN_VERSION is 'xen-4.0', want 'xen-3.0'");
    xb_elf_linux(&x);
    xb_note_str(&x, XEN_NOTE_LOADER, "other", true);
    xb_note_str(&x, XEN_NOTE_GUEST_OS, "netbsd", true);
    refuse("kernel: Xen notes give LOADER 'other' and GUEST_OS 'netbsd', "
           "want LOADER 'generic' or GUEST_OS 'linux'");
    xb_elf_linux(&x);
    xb_note_remove(&x, XEN_NOTE_VIRT_BASE);
    refuse("kernel: no Xen note VIRT_BASE");
    xb_elf_linux(&x);
    xb_note_str(&x, XEN_NOTE_PAE_MODE, "no", true);
    refuse("kernel: Xen note PAE_MODE is 'no', want 'yes' or 'bimodal'");

    /* What may be missing, or say something else. */
    xb_elf_linux(&x);
    xb_note_remove(&x, XEN_NOTE_LOADER);
    xb_note_remove(&x, XEN_NOTE_PAE_MODE);
    xb_note_remove(&x, XEN_NOTE_INIT_P2M);
    xb_note_remove(&x, XEN_NOTE_HV_START_LOW);
    xb_note_remove(&x, XEN_NOTE_MOD_START_PFN);
    accept(&img);
    assert_int_equal(img.init_p2m, 0);
    assert_int_equal(img.hv_start_low, 0);
    assert_false(img.mod_start_pfn);
    assert_string_equal(img.loader, "");
    xen_image_free(&img);
    xb_elf_linux(&x);
    xb_note_str(&x, XEN_NOTE_PAE_MODE, "yes,bimodal", true);
    xb_note_str(&x, XEN_NOTE_GUEST_OS, "Mini-OS", true);
    accept(&img);
    xen_image_free(&img);
}

static void entry_comes_from_the_note_or_e_entry(void **state)
{
    struct xen_image img;

    (void)state;
    xb_elf_linux(&x);
    xb_note_remove(&x, XEN_NOTE_ENTRY);     /* e_entry is physical, as Linux's */
    refuse("kernel: entry point 0x1003100 is outside the kernel's segments "
           "[0xffffffff81000000, 0xffffffff81006000) (no Xen note ENTRY: e_entry used)");
    x.eh.e_entry = XB_ENTRY;
    accept(&img);
    assert_int_equal(img.entry, XB_ENTRY);
    xen_image_free(&img);
    xb_elf_linux(&x);
    xb_note_num(&x, XEN_NOTE_ENTRY, XB_KEND, 8);
    refuse("kernel: entry point 0xffffffff81006000 is outside the kernel's segments "
           "[0xffffffff81000000, 0xffffffff81006000)");
    xb_elf_linux(&x);
    xb_note_num(&x, XEN_NOTE_ENTRY, XB_KSTART + 0x1800, 8);   /* the gap after PT_LOAD 0 */
    refuse("kernel: entry point 0xffffffff81001800 is outside the kernel's segments "
           "[0xffffffff81000000, 0xffffffff81006000)");
    xb_elf_linux(&x);
    xb_note_num(&x, XEN_NOTE_ENTRY, XB_KSTART + 0x2fff, 8);   /* percpu's last byte */
    accept(&img);
    xen_image_free(&img);
}

static void refuses_bad_addresses(void **state)
{
    struct xen_image img;

    (void)state;
    xb_elf_linux(&x);
    xb_note_num(&x, XEN_NOTE_VIRT_BASE, XB_VIRT_BASE + 0x800, 8);
    refuse("kernel: Xen notes VIRT_BASE 0xffffffff80000800 and PADDR_OFFSET 0x0 "
           "must be page-aligned");
    xb_elf_linux(&x);
    xb_note_num(&x, XEN_NOTE_VIRT_BASE, 0x7ffffff00000ull, 8);
    refuse("kernel: virtual range [0x800000f00000, 0x800000f06000) is not canonical");
    xb_elf_linux(&x);
    xb_note_num(&x, XEN_NOTE_VIRT_BASE, 0xfffffffffefff000ull, 8);
    refuse("kernel: virtual range wraps around (0xfffffffffffff000 + 0x6000)");
    xb_elf_linux(&x);
    xb_note_num(&x, XEN_NOTE_PADDR_OFFSET, 0x2000000, 8);
    refuse("kernel: VIRT_BASE 0xffffffff80000000 is above the kernel's start "
           "0xffffffff7f000000");
    xb_elf_linux(&x);
    xb_note_num(&x, XEN_NOTE_PADDR_OFFSET, 0x1000000, 8);    /* the kernel at VIRT_BASE */
    refuse("kernel: entry point 0xffffffff81003100 is outside the kernel's segments "
           "[0xffffffff80000000, 0xffffffff80006000)");
    xb_note_num(&x, XEN_NOTE_ENTRY, XB_VIRT_BASE + 0x3100, 8);
    accept(&img);
    assert_int_equal(img.kstart, XB_VIRT_BASE);
    assert_int_equal(img.seg[2].vaddr, XB_VIRT_BASE + 0x3000);
    assert_int_equal(img.paddr_offset, 0x1000000);
    xen_image_free(&img);

    xb_elf_linux(&x);
    xb_note_num(&x, XEN_NOTE_HYPERCALL_PAGE, XB_KSTART + 0x5000, 8);
    accept(&img);
    assert_int_equal(img.hypercall_page, XB_KSTART + 0x5000);
    xen_image_free(&img);
    xb_note_num(&x, XEN_NOTE_HYPERCALL_PAGE, XB_KSTART + 0x800, 8);
    refuse("kernel: Xen note HYPERCALL_PAGE 0xffffffff81000800 is not a page inside the "
           "kernel's segments");
    xb_note_num(&x, XEN_NOTE_HYPERCALL_PAGE, XB_KEND, 8);
    refuse("kernel: Xen note HYPERCALL_PAGE 0xffffffff81006000 is not a page inside the "
           "kernel's segments");
    xb_elf_linux(&x);
    xb_note_num(&x, XEN_NOTE_INIT_P2M, XB_KSTART + 0x1000, 8);
    refuse("kernel: Xen note INIT_P2M 0xffffffff81001000 lies inside the kernel "
           "[0xffffffff81000000, 0xffffffff81006000)");
    xb_note_num(&x, XEN_NOTE_INIT_P2M, 0x800000000000ull, 8);
    refuse("kernel: Xen note INIT_P2M 0x800000000000 is not a canonical page address");
}

static void refuses_malformed_notes(void **state)
{
    struct xen_image img;
    struct blob b;

    (void)state;
    /* The last note (PHYS32_ENTRY, 16) with sizes that run past the area. */
    xb_elf_linux(&x);
    x.note[16].namesz = 0xfffffff0;
    refuse("kernel: ELF note 16 of PT_NOTE segment 3 runs past its end "
           "(namesz 0xfffffff0, descsz 0x8, 0x10 bytes left)");
    xb_elf_linux(&x);
    x.note[16].descsz = 0xffffff00;
    refuse("kernel: ELF note 16 of PT_NOTE segment 3 runs past its end "
           "(namesz 0x4, descsz 0xffffff00, 0x44 bytes left)");
    xb_elf_linux(&x);
    x.note[0].namesz = 0xffffffff;
    x.note[0].descsz = 0xffffffff;
    assert_int_equal(x.note[0].type, XEN_NOTE_GUEST_OS);
    b = xb_elf_build(&x);
    assert_int_equal(xen_image_probe(b.data, b.size), XEN_KERNEL_HV_ELF);
    blob_free(&b);
    xb_elf_linux(&x);
    x.ph[3].p_filesz = XB_FILE_SIZE;
    refuse("kernel: PT_NOTE segment 3 ends beyond the file (offset 0x800 + 0x4000 > 0x4000)");

    /* Strings: terminated inside the descriptor or its padding, short,
     * printable. */
    xb_elf_linux(&x);
    xb_note_str(&x, XEN_NOTE_XEN_VERSION, "xen-3.0!", false);
    refuse("kernel: Xen note XEN_VERSION is not NUL-terminated");
    xb_elf_linux(&x);
    xb_note_str(&x, XEN_NOTE_GUEST_OS, "linuxabc", false);
    refuse("kernel: Xen note GUEST_OS is not NUL-terminated");
    xb_elf_linux(&x);
    xb_note_str(&x, XEN_NOTE_GUEST_OS, "linux", false);     /* the padding's NUL ends it */
    assert_int_equal(x.note[0].type, XEN_NOTE_GUEST_OS);
    accept(&img);
    assert_string_equal(img.guest_os, "linux");
    xen_image_free(&img);
    b = xb_elf_build(&x);
    b.data[XB_NOTE_OFF + 12 + 4 + 5] = 'x';                /* padding that is no NUL */
    refuse_blob(&b, -HVE_INVAL, "kernel: Xen note GUEST_OS is not NUL-terminated");
    blob_free(&b);
    xb_elf_linux(&x);
    xb_note_str(&x, XEN_NOTE_GUEST_OS, "a-guest-os-name-longer-than-31-bytes", true);
    refuse("kernel: Xen note GUEST_OS is too long (36 bytes, at most 31)");
    xb_elf_linux(&x);
    xb_note_str(&x, XEN_NOTE_LOADER, "gen\001ric", true);
    refuse("kernel: Xen note LOADER holds a non-printable byte 0x01");

    /* Numbers of the sizes Xen reads. */
    xb_elf_linux(&x);
    xb_note_num(&x, XEN_NOTE_VIRT_BASE, XB_VIRT_BASE, 3);
    refuse("kernel: Xen note VIRT_BASE has 3 bytes, want 1, 2, 4 or 8");
    xb_elf_linux(&x);
    xb_note_num(&x, XEN_NOTE_SUPPORTED_FEATURES, 0x8801, 2);
    refuse("kernel: Xen note SUPPORTED_FEATURES has 2 bytes, want a multiple of 4");

    /* More notes than any kernel has: 1194 empty ones. */
    xb_elf_linux(&x);
    x.ph[3].p_filesz = XB_FILE_SIZE - XB_NOTE_OFF;
    b = xb_elf_build(&x);
    memset(b.data + XB_NOTE_OFF, 0, XB_FILE_SIZE - XB_NOTE_OFF);
    refuse_blob(&b, -HVE_INVAL, "kernel: more than 1024 ELF notes");
    blob_free(&b);
}

static void features_marked_required_must_be_granted(void **state)
{
    struct xen_image img;

    (void)state;
    /* '!' marks what the kernel requires (Xen's public/elfnote.h). */
    xb_elf_linux(&x);
    xb_note_str(&x, XEN_NOTE_FEATURES, "!writable_page_tables|!foo", false);
    refuse("kernel: Xen note FEATURES requires 'foo', unsupported");
    xb_note_str(&x, XEN_NOTE_FEATURES, "!supervisor_mode_kernel", true);
    refuse("kernel: Xen note FEATURES requires 'supervisor_mode_kernel', unsupported");
    xb_note_str(&x, XEN_NOTE_FEATURES, "pae_pgdir_above_4gb|!auto_translated_physmap", true);
    refuse("kernel: Xen note FEATURES requires 'auto_translated_physmap', unsupported");
    xb_note_str(&x, XEN_NOTE_FEATURES, "!", true);
    refuse("kernel: Xen note FEATURES requires '', unsupported");
    /* Unmarked names, known or not, are only what the kernel supports. */
    xb_note_str(&x, XEN_NOTE_FEATURES, "bar|supervisor_mode_kernel||!pae_pgdir_above_4gb|", true);
    accept(&img);
    assert_int_equal(img.required_features, XEN_IMAGE_FEAT_PAE_PGDIR_ABOVE_4GB);
    assert_string_equal(img.features, "bar|supervisor_mode_kernel||!pae_pgdir_above_4gb|");
    xen_image_free(&img);
    xb_note_remove(&x, XEN_NOTE_FEATURES);
    accept(&img);
    assert_int_equal(img.required_features, 0);
    xen_image_free(&img);
}

static void notes_from_sections_without_pt_note(void **state)
{
    struct xen_image img;

    (void)state;
    xb_elf_linux(&x);
    x.ph[3].p_type = PT_NULL;
    refuse("kernel: no Xen ELF notes: not a Xen PV kernel");
    x.section_notes = true;
    accept(&img);
    assert_int_equal(img.entry, XB_ENTRY);
    assert_int_equal(img.virt_base, XB_VIRT_BASE);
    xen_image_free(&img);
    xb_elf_linux(&x);
    x.ph[3].p_type = PT_NULL;
    x.eh.e_shoff = XB_FILE_SIZE - 16;
    x.eh.e_shnum = 3;
    x.eh.e_shentsize = sizeof(Elf64_Shdr);
    refuse("kernel: section headers end beyond the file (offset 0x3ff0 + 3 * 64 > 0x4000)");
    x.eh.e_shentsize = 40;
    refuse("kernel: bad section header size 40");
}

static void probes_kinds(void **state)
{
    static const uint8_t text[] = "#!/bin/sh\n";

    (void)state;
    assert_int_equal(xen_image_probe(text, sizeof(text)), XEN_KERNEL_NONE);
    assert_int_equal(xen_image_probe(text, 0), XEN_KERNEL_NONE);
    assert_int_equal(xen_image_probe((const uint8_t *)ELFMAG, SELFMAG), XEN_KERNEL_HV_ELF);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linux_shaped_kernel_parses),
        cmocka_unit_test(copies_segments_by_paddr),
        cmocka_unit_test(refuses_bad_headers),
        cmocka_unit_test(refuses_bad_segments),
        cmocka_unit_test(refuses_missing_or_wrong_notes),
        cmocka_unit_test(entry_comes_from_the_note_or_e_entry),
        cmocka_unit_test(refuses_bad_addresses),
        cmocka_unit_test(refuses_malformed_notes),
        cmocka_unit_test(features_marked_required_must_be_granted),
        cmocka_unit_test(notes_from_sections_without_pt_note),
        cmocka_unit_test(probes_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
