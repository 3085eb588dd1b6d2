/*
 * xen_image.h - Xen-PV kernel images: what kind of kernel file a domain
 * was given, a bzImage's payload unpacked, the ELF's Xen notes and PT_LOAD
 * segments checked, and the segments copied into guest memory.
 *
 * Pure: no KVM, no domain.  The kernel file is untrusted; every length,
 * offset, count and note in it is checked before it is used.  Error
 * messages are one line starting "kernel: " and say what is wrong with the
 * file; PT_LOAD and PT_NOTE segments are numbered by their program header's
 * index (as readelf -l lists them).  (Initrds: xen_initrd.h.)
 */
#ifndef HVCORE_XEN_IMAGE_H
#define HVCORE_XEN_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest ELF kernel hvcore unpacks or takes (Debian's are ~60 MiB). */
#define XEN_IMAGE_MAX_ELF   (512u << 20)
/* Most PT_LOAD segments (Linux has 4). */
#define XEN_IMAGE_MAX_SEGS  16
/* Largest pend - pstart: the guest-physical span the segments cover. */
#define XEN_IMAGE_MAX_SPAN  (1ull << 30)
#define XEN_IMAGE_PAGE      4096u

/* Feature bits (XENFEAT_*, Xen's public/features.h) named in FEATURES. */
#define XEN_IMAGE_FEAT_WRITABLE_PAGE_TABLES       (1u << 0)
#define XEN_IMAGE_FEAT_WRITABLE_DESCRIPTOR_TABLES (1u << 1)
#define XEN_IMAGE_FEAT_AUTO_TRANSLATED_PHYSMAP    (1u << 2)
#define XEN_IMAGE_FEAT_SUPERVISOR_MODE_KERNEL     (1u << 3)
#define XEN_IMAGE_FEAT_PAE_PGDIR_ABOVE_4GB        (1u << 4)
#define XEN_IMAGE_FEAT_HVM_CALLBACK_VECTOR        (1u << 8)
#define XEN_IMAGE_FEAT_DOM0                       (1u << 11)

enum xen_kernel_kind {
    XEN_KERNEL_NONE = 0,    /* neither ELF nor bzImage                      */
    XEN_KERNEL_HV_ELF,      /* ELF without Xen notes: hvcore's own pv ABI   */
    XEN_KERNEL_XEN,         /* ELF with Xen notes, or a bzImage             */
};

/* One PT_LOAD segment with memsz > 0. */
struct xen_seg {
    uint64_t paddr;         /* p_paddr, by which it is loaded (Xen's rule):
                             * at guest-physical paddr - paddr_offset      */
    uint64_t vaddr;         /* paddr + virt_base - paddr_offset (not p_vaddr,
                             * which is 0 for Linux's percpu segment)       */
    uint64_t filesz, memsz, offset;
    uint32_t flags;         /* PF_R / PF_W / PF_X                           */
    unsigned phdr;          /* its program header's index, for messages     */
};

struct xen_image {
    uint8_t *elf; size_t elf_size;     /* the (decompressed) ELF, owned      */
    const char *compression;           /* bzImage payload: "lz4", "xz", ...;
                                        * NULL for an ELF file               */
    uint64_t entry;                    /* XEN_ELFNOTE_ENTRY, else e_entry    */
    uint64_t virt_base;                /* XEN_ELFNOTE_VIRT_BASE              */
    uint64_t paddr_offset;             /* XEN_ELFNOTE_PADDR_OFFSET, 0 when absent */
    uint64_t hv_start_low;             /* XEN_ELFNOTE_HV_START_LOW, 0 when absent
                                        * (32-bit PV only; recorded)         */
    uint64_t init_p2m;                 /* XEN_ELFNOTE_INIT_P2M, 0 when absent */
    uint64_t hypercall_page;           /* XEN_ELFNOTE_HYPERCALL_PAGE, 0 when absent */
    uint64_t phys32_entry;             /* XEN_ELFNOTE_PHYS32_ENTRY, 0 when absent */
    uint64_t pstart, pend;             /* lowest p_paddr; end of the highest
                                        * PT_LOAD rounded up to a page (the
                                        * kernel's guest-physical range is
                                        * these - paddr_offset, which
                                        * virt_base <= kstart keeps >= 0)   */
    uint64_t kstart, kend;             /* the same as kernel virtual addresses:
                                        * pstart + virt_base - paddr_offset */
    bool mod_start_pfn;                /* XEN_ELFNOTE_MOD_START_PFN == 1: the
                                        * initrd is given by pfn, unmapped   */
    char features[256];                /* XEN_ELFNOTE_FEATURES text          */
    uint32_t required_features;        /* '!' entries of FEATURES
                                        * (XEN_IMAGE_FEAT_*; see xen_notes.c) */
    uint32_t supported_features;       /* XEN_ELFNOTE_SUPPORTED_FEATURES     */
    char guest_os[32], xen_version[32], loader[32];
    unsigned nr_segs; struct xen_seg seg[XEN_IMAGE_MAX_SEGS];  /* PT_LOAD, memsz > 0 */
};

/*
 * What kind of kernel file[0..size) is: XEN_KERNEL_NONE (not ELF, not
 * bzImage), XEN_KERNEL_HV_ELF (an ELF file without a Xen note: hvcore's
 * own ABI, for elf_load()), XEN_KERNEL_XEN (an ELF file with a Xen note, or
 * a bzImage, whose payload is only looked at by xen_image_load).  Cheap:
 * reads headers and note headers only; never fails.
 */
enum xen_kernel_kind xen_image_probe(const uint8_t *file, size_t size);

/*
 * Parse and check the kernel file file[0..size) into *img (which the call
 * fills from zero; the caller frees it with xen_image_free even on
 * failure).  A bzImage's payload is found through its setup header and
 * unpacked (gzip, xz, lzma, lz4 legacy, zstd; bzip2 where libbz2 was
 * found), its size checked against the 4-byte trailer Linux appends; the
 * ELF is then checked: x86-64 ELF64, at most XEN_IMAGE_MAX_SEGS PT_LOADs
 * inside the file, not overlapping and not wrapping, Xen notes with
 * XEN_VERSION "xen-3.0", LOADER "generic" or GUEST_OS "linux", a VIRT_BASE,
 * PAE_MODE absent, "yes" or "bimodal", only grantable required FEATURES,
 * the entry point inside a PT_LOAD's virtual range.  Returns 0, or with one
 * line in err (e.g. "kernel: no Xen ELF notes: not a Xen PV kernel")
 * -HVE_INVAL (malformed or unsupported), -HVE_RANGE (beyond a limit: the
 * ELF's XEN_IMAGE_MAX_ELF) or -HVE_NOMEM.
 */
int xen_image_load(const uint8_t *file, size_t size, struct xen_image *img,
                   char *err, size_t errlen);

/* xen_image_load with max_elf (<= XEN_IMAGE_MAX_ELF) for the ELF's size
 * limit instead: for the fuzz harness, which cannot afford 512 MiB. */
int xen_image_load_max(const uint8_t *file, size_t size, size_t max_elf,
                       struct xen_image *img, char *err, size_t errlen);

/* Free what img owns and clear it (img may be all-zero or freed before). */
void xen_image_free(struct xen_image *img);

/*
 * Copy the PT_LOAD segments of a loaded image into guest memory at
 * dest + (paddr - pstart) and zero their bss (memsz - filesz); bytes
 * between segments are left as they are.  dest_size bounds it: returns
 * -HVE_RANGE with one line in err, writing nothing, when a segment does not
 * fit; -HVE_INVAL for an image that was not loaded; else 0.
 */
int xen_image_copy(const struct xen_image *img, uint8_t *dest, size_t dest_size,
                   char *err, size_t errlen);

#endif /* HVCORE_XEN_IMAGE_H */
