/*
 * xen_image.c - checking a Xen-PV kernel: its ELF header, its PT_LOAD
 * segments and the addresses its Xen notes give; copying it into guest
 * memory.  (The notes themselves: xen_notes.c; a bzImage's payload:
 * xen_bzimage.c.)
 *
 * Xen's rules, which the kernels are built for: segments are loaded by
 * p_paddr (p_vaddr is ignored: Linux's percpu segment has p_vaddr 0), and
 * a physical address p is the kernel's virtual address p + VIRT_BASE -
 * PADDR_OFFSET.  Everything comes from the file and is checked with
 * arithmetic that cannot overflow before it is used.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errline.h"
#include "public/errno.h"
#include "xen_bzimage.h"
#include "xen_image.h"
#include "xen_notes.h"
#include "xen_unpack.h"

/* Most program headers a kernel may have (Linux has 5). */
#define MAX_PHDRS 64

#define fail(err, errlen, ...) errline(-HVE_INVAL, err, errlen, __VA_ARGS__)

typedef unsigned long long ull;

static bool page_aligned(uint64_t v)
{
    return (v & (XEN_IMAGE_PAGE - 1)) == 0;
}

/* x86-64 with 4-level paging: bits 63..47 all equal. */
static bool canonical(uint64_t v)
{
    uint64_t top = v >> 47;

    return top == 0 || top == (UINT64_MAX >> 47);
}

/* The checks of the ELF header that make its program header table safe to
 * read: 0, or -HVE_INVAL with the reason in err. */
static int check_header(const uint8_t *elf, size_t size, Elf64_Ehdr *eh, char *err, size_t errlen)
{
    if (size < sizeof(*eh))
        return fail(err, errlen, "kernel: ELF header is truncated (%zu bytes, need %zu)",
                    size, sizeof(*eh));
    memcpy(eh, elf, sizeof(*eh));
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        return fail(err, errlen, "kernel: not an ELF file");
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return fail(err, errlen, "kernel: not a 64-bit ELF file (class %u)",
                    (unsigned)eh->e_ident[EI_CLASS]);
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, "kernel: not a little-endian ELF file");
    if (eh->e_machine != EM_X86_64)
        return fail(err, errlen, "kernel: not an x86-64 ELF file (e_machine %u)",
                    (unsigned)eh->e_machine);
    if (eh->e_type != ET_EXEC)
        return fail(err, errlen, "kernel: not an executable ELF file (e_type %u)",
                    (unsigned)eh->e_type);
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return fail(err, errlen, "kernel: bad program header size %u",
                    (unsigned)eh->e_phentsize);
    if (eh->e_phnum == 0 || eh->e_phnum > MAX_PHDRS)
        return fail(err, errlen, "kernel: bad program header count %u (1 to %u)",
                    (unsigned)eh->e_phnum, MAX_PHDRS);
    if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
        return fail(err, errlen, "kernel: program headers end beyond the file "
                    "(offset 0x%llx + %u * %zu > 0x%zx)", (ull)eh->e_phoff,
                    (unsigned)eh->e_phnum, sizeof(Elf64_Phdr), size);
    return 0;
}

/* PT_LOADs with memsz > 0 into img->seg; pstart, pend. */
static int check_segments(struct xen_image *img, const Elf64_Ehdr *eh, char *err, size_t errlen)
{
    uint64_t lo = UINT64_MAX, hi = 0;

    for (unsigned i = 0; i < eh->e_phnum; i++) {
        Elf64_Phdr ph;
        struct xen_seg *s;

        memcpy(&ph, img->elf + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD)
            continue;
        if (ph.p_filesz > ph.p_memsz)
            return fail(err, errlen, "kernel: PT_LOAD %u has filesz 0x%llx > memsz 0x%llx",
                        i, (ull)ph.p_filesz, (ull)ph.p_memsz);
        if (ph.p_offset > img->elf_size || ph.p_filesz > img->elf_size - ph.p_offset)
            return fail(err, errlen, "kernel: PT_LOAD %u ends beyond the file "
                        "(offset 0x%llx + 0x%llx > 0x%zx)", i, (ull)ph.p_offset,
                        (ull)ph.p_filesz, img->elf_size);
        if (ph.p_memsz == 0)
            continue;
        if (ph.p_paddr > UINT64_MAX - ph.p_memsz)
            return fail(err, errlen, "kernel: PT_LOAD %u wraps around the address space "
                        "(paddr 0x%llx + memsz 0x%llx)", i, (ull)ph.p_paddr, (ull)ph.p_memsz);
        if (img->nr_segs == XEN_IMAGE_MAX_SEGS)
            return fail(err, errlen, "kernel: more than %u PT_LOAD segments", XEN_IMAGE_MAX_SEGS);
        for (unsigned j = 0; j < img->nr_segs; j++) {
            const struct xen_seg *o = &img->seg[j];

            if (ph.p_paddr < o->paddr + o->memsz && o->paddr < ph.p_paddr + ph.p_memsz)
                return fail(err, errlen, "kernel: PT_LOADs %u and %u overlap (paddr "
                            "[0x%llx, 0x%llx) and [0x%llx, 0x%llx))", o->phdr, i,
                            (ull)o->paddr, (ull)(o->paddr + o->memsz),
                            (ull)ph.p_paddr, (ull)(ph.p_paddr + ph.p_memsz));
        }
        s = &img->seg[img->nr_segs++];
        s->paddr = ph.p_paddr;
        s->filesz = ph.p_filesz;
        s->memsz = ph.p_memsz;
        s->offset = ph.p_offset;
        s->flags = ph.p_flags;
        s->phdr = i;
        if (ph.p_paddr < lo)
            lo = ph.p_paddr;
        if (ph.p_paddr + ph.p_memsz > hi)
            hi = ph.p_paddr + ph.p_memsz;
    }
    if (img->nr_segs == 0)
        return fail(err, errlen, "kernel: no PT_LOAD segment");
    if (!page_aligned(lo))
        return fail(err, errlen, "kernel: the lowest PT_LOAD starts at paddr 0x%llx, "
                    "not on a page boundary", (ull)lo);
    if (hi > UINT64_MAX - (XEN_IMAGE_PAGE - 1) ||
        ((hi + XEN_IMAGE_PAGE - 1) & ~(uint64_t)(XEN_IMAGE_PAGE - 1)) - lo > XEN_IMAGE_MAX_SPAN)
        return errline(-HVE_RANGE, err, errlen, "kernel: PT_LOADs span [0x%llx, 0x%llx), "
                         "more than %llu MiB", (ull)lo, (ull)hi,
                         (ull)(XEN_IMAGE_MAX_SPAN >> 20));
    img->pstart = lo;
    img->pend = (hi + XEN_IMAGE_PAGE - 1) & ~(uint64_t)(XEN_IMAGE_PAGE - 1);
    return 0;
}

/* The notes that must be there, with the values Xen accepts. */
static int check_note_values(const struct xen_image *img, xen_notes_seen seen,
                             char *err, size_t errlen)
{
    if (seen == 0)
        return fail(err, errlen, "kernel: no Xen ELF notes: not a Xen PV kernel");
    if (!(seen & (1u << XEN_NOTE_XEN_VERSION)))
        return fail(err, errlen, "kernel: no Xen note XEN_VERSION (want 'xen-3.0')");
    if (strncmp(img->xen_version, "xen-3.0", 7) != 0)
        return fail(err, errlen, "kernel: Xen note XEN_VERSION is '%s', want 'xen-3.0'",
                    img->xen_version);
    if (strncmp(img->loader, "generic", 7) != 0 && strncmp(img->guest_os, "linux", 5) != 0)
        return fail(err, errlen, "kernel: Xen notes give LOADER '%s' and GUEST_OS '%s', want "
                    "LOADER 'generic' or GUEST_OS 'linux'", img->loader, img->guest_os);
    if (!(seen & (1u << XEN_NOTE_VIRT_BASE)))
        return fail(err, errlen, "kernel: no Xen note VIRT_BASE");
    return 0;
}

/* The segment whose virtual range holds [va, va + len), or NULL. */
static const struct xen_seg *seg_holding(const struct xen_image *img, uint64_t va, uint64_t len)
{
    for (unsigned i = 0; i < img->nr_segs; i++) {
        const struct xen_seg *s = &img->seg[i];

        if (va >= s->vaddr && va - s->vaddr <= s->memsz && len <= s->memsz - (va - s->vaddr) &&
            (len > 0 || va - s->vaddr < s->memsz))
            return s;
    }
    return NULL;
}

/* Virtual addresses: kstart/kend, each segment's vaddr, the entry point,
 * the hypercall page and the initial P2M's place. */
static int check_addresses(struct xen_image *img, xen_notes_seen seen, uint64_t e_entry,
                           char *err, size_t errlen)
{
    uint64_t off = img->virt_base - img->paddr_offset;     /* modulo 2^64, as Xen */
    uint64_t span = img->pend - img->pstart;
    bool from_note = seen & (1u << XEN_NOTE_ENTRY);

    if (!page_aligned(img->virt_base) || !page_aligned(img->paddr_offset))
        return fail(err, errlen, "kernel: Xen notes VIRT_BASE 0x%llx and PADDR_OFFSET 0x%llx "
                    "must be page-aligned", (ull)img->virt_base, (ull)img->paddr_offset);
    img->kstart = img->pstart + off;
    if (img->kstart > UINT64_MAX - span)
        return fail(err, errlen, "kernel: virtual range wraps around (0x%llx + 0x%llx)",
                    (ull)img->kstart, (ull)span);
    img->kend = img->kstart + span;
    if (!canonical(img->kstart) || !canonical(img->kend - 1) ||
        (img->kstart >> 63) != ((img->kend - 1) >> 63))
        return fail(err, errlen, "kernel: virtual range [0x%llx, 0x%llx) is not canonical",
                    (ull)img->kstart, (ull)img->kend);
    if (img->virt_base > img->kstart)
        return fail(err, errlen, "kernel: VIRT_BASE 0x%llx is above the kernel's start 0x%llx",
                    (ull)img->virt_base, (ull)img->kstart);
    for (unsigned i = 0; i < img->nr_segs; i++)
        img->seg[i].vaddr = img->seg[i].paddr + off;

    img->entry = from_note ? img->entry : e_entry;
    if (!seg_holding(img, img->entry, 0))
        return fail(err, errlen, "kernel: entry point 0x%llx is outside the kernel's segments "
                    "[0x%llx, 0x%llx)%s", (ull)img->entry, (ull)img->kstart, (ull)img->kend,
                    from_note ? "" : " (no Xen note ENTRY: e_entry used)");
    if ((seen & (1u << XEN_NOTE_HYPERCALL_PAGE)) &&
        (!page_aligned(img->hypercall_page) ||
         !seg_holding(img, img->hypercall_page, XEN_IMAGE_PAGE)))
        return fail(err, errlen, "kernel: Xen note HYPERCALL_PAGE 0x%llx is not a page inside "
                    "the kernel's segments", (ull)img->hypercall_page);
    if (seen & (1u << XEN_NOTE_INIT_P2M)) {
        if (!page_aligned(img->init_p2m) || !canonical(img->init_p2m))
            return fail(err, errlen, "kernel: Xen note INIT_P2M 0x%llx is not a canonical "
                        "page address", (ull)img->init_p2m);
        if (img->init_p2m >= img->kstart && img->init_p2m < img->kend)
            return fail(err, errlen, "kernel: Xen note INIT_P2M 0x%llx lies inside the kernel "
                        "[0x%llx, 0x%llx)", (ull)img->init_p2m, (ull)img->kstart,
                        (ull)img->kend);
    }
    return 0;
}

static int check_elf(struct xen_image *img, char *err, size_t errlen)
{
    Elf64_Ehdr eh;
    xen_notes_seen seen = 0;
    int r;

    if ((r = check_header(img->elf, img->elf_size, &eh, err, errlen)) < 0 ||
        (r = check_segments(img, &eh, err, errlen)) < 0 ||
        (r = xen_notes_parse(img->elf, img->elf_size, img, &seen, err, errlen)) < 0 ||
        (r = check_note_values(img, seen, err, errlen)) < 0)
        return r;
    return check_addresses(img, seen, eh.e_entry, err, errlen);
}

enum xen_kernel_kind xen_image_probe(const uint8_t *file, size_t size)
{
    Elf64_Ehdr eh;
    char err[160];

    if (size >= SELFMAG && memcmp(file, ELFMAG, SELFMAG) == 0)
        return check_header(file, size, &eh, err, sizeof(err)) == 0 &&
               xen_notes_present(file, size) ? XEN_KERNEL_XEN : XEN_KERNEL_HV_ELF;
    if (xen_bzimage_is(file, size))
        return XEN_KERNEL_XEN;
    return XEN_KERNEL_NONE;
}

int xen_image_load_max(const uint8_t *file, size_t size, size_t max_elf,
                       struct xen_image *img, char *err, size_t errlen)
{
    char start[XEN_UNPACK_HEX_START];

    memset(img, 0, sizeof(*img));
    if (max_elf > XEN_IMAGE_MAX_ELF)
        max_elf = XEN_IMAGE_MAX_ELF;
    if (size >= SELFMAG && memcmp(file, ELFMAG, SELFMAG) == 0) {
        if (size > max_elf)
            return errline(-HVE_RANGE, err, errlen, "kernel: ELF file is 0x%zx bytes, more "
                             "than the %zu MiB limit", size, max_elf >> 20);
        img->elf = xen_unpack_alloc(size);
        if (!img->elf)
            return errline(-HVE_NOMEM, err, errlen, "kernel: out of memory for the "
                             "%zu-byte ELF", size);
        memcpy(img->elf, file, size);
        img->elf_size = size;
    } else if (xen_bzimage_is(file, size)) {
        int r = xen_bzimage_unpack(file, size, max_elf, &img->elf, &img->elf_size,
                                   &img->compression, err, errlen);
        if (r < 0)
            return r;
    } else {
        xen_unpack_hex_start(file, size, start);
        return fail(err, errlen, "kernel: neither an ELF file nor a bzImage (starts with %s)",
                    start);
    }
    return check_elf(img, err, errlen);
}

int xen_image_load(const uint8_t *file, size_t size, struct xen_image *img,
                   char *err, size_t errlen)
{
    return xen_image_load_max(file, size, XEN_IMAGE_MAX_ELF, img, err, errlen);
}

void xen_image_free(struct xen_image *img)
{
    xen_unpack_release(img->elf, img->elf_size);
    memset(img, 0, sizeof(*img));
}

int xen_image_copy(const struct xen_image *img, uint8_t *dest, size_t dest_size,
                   char *err, size_t errlen)
{
    if (!img->elf || img->nr_segs == 0 || img->nr_segs > XEN_IMAGE_MAX_SEGS)
        return fail(err, errlen, "kernel: no loaded image to copy");
    for (unsigned i = 0; i < img->nr_segs; i++) {
        const struct xen_seg *s = &img->seg[i];
        uint64_t at = s->paddr - img->pstart;

        if (s->paddr < img->pstart || s->offset > img->elf_size ||
            s->filesz > img->elf_size - s->offset || s->filesz > s->memsz)
            return fail(err, errlen, "kernel: PT_LOAD %u is not part of the loaded image",
                        s->phdr);
        if (at > dest_size || s->memsz > dest_size - at)
            return errline(-HVE_RANGE, err, errlen, "kernel: PT_LOAD %u (0x%llx bytes at "
                             "paddr 0x%llx) does not fit in 0x%zx bytes of guest memory from "
                             "0x%llx", s->phdr, (ull)s->memsz, (ull)s->paddr, dest_size,
                             (ull)img->pstart);
    }
    for (unsigned i = 0; i < img->nr_segs; i++) {
        const struct xen_seg *s = &img->seg[i];
        uint8_t *to = dest + (s->paddr - img->pstart);

        memcpy(to, img->elf + s->offset, s->filesz);
        memset(to + s->filesz, 0, s->memsz - s->filesz);
    }
    return 0;
}
