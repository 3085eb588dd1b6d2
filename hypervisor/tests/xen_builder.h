/*
 * xen_builder.h - the inputs of the xen_image and xen_initrd tests (and of
 * fuzz_xen_image's seeds): a small Xen PV kernel shaped like Linux 6.1's
 * (the same notes, a percpu-like segment with p_vaddr 0), a bzImage around
 * a payload, cpio newc/crc archives.
 */
#ifndef HVCORE_TEST_XEN_BUILDER_H
#define HVCORE_TEST_XEN_BUILDER_H

#include <elf.h>
#include <stdbool.h>
#include <stdint.h>

#include "compress_util.h"

/* The kernel's file layout. */
#define XB_FILE_SIZE  0x4000u
#define XB_SHDR_OFF   0x600u        /* section headers, when asked for  */
#define XB_NOTE_OFF   0x800u        /* the PT_NOTE segment              */
#define XB_MAX_PHDRS  20
#define XB_MAX_NOTES  24

/* Its addresses. */
#define XB_VIRT_BASE  0xffffffff80000000ull
#define XB_PSTART     0x1000000ull
#define XB_PEND       0x1006000ull
#define XB_KSTART     0xffffffff81000000ull
#define XB_KEND       0xffffffff81006000ull
#define XB_ENTRY      0xffffffff81003100ull   /* in PT_LOAD 2                */
#define XB_E_ENTRY    0x1003100ull            /* e_entry: physical, as Linux */
#define XB_INIT_P2M   0x8000000000ull
#define XB_HV_START_LOW 0xffff800000000000ull
#define XB_PHYS32     0x1003050ull

/* One note: sizes as written in its header (the bytes that follow are
 * name[0..min(namesz, 8)) and desc[0..min(descsz, 64)), padded to 4). */
struct xb_note {
    uint32_t namesz, descsz, type;
    char name[8];
    uint8_t desc[64];
};

struct xb_elf {
    Elf64_Ehdr eh;
    Elf64_Phdr ph[XB_MAX_PHDRS];    /* eh.e_phnum of them are written;
                                     * a PT_NOTE with p_filesz 0 at
                                     * XB_NOTE_OFF gets the notes' size */
    struct xb_note note[XB_MAX_NOTES];
    unsigned nnotes;
    bool section_notes;             /* also section headers: null,
                                     * .text, a SHT_NOTE over the notes */
};

/* The Linux-like kernel: PT_LOADs 0 (text), 1 (percpu: p_vaddr 0, bss),
 * 2 (init + bss, the entry point), PT_NOTE 3; 16 Xen notes and a GNU one. */
void xb_elf_linux(struct xb_elf *x);

/* The note of that type named "Xen" (NULL if none). */
struct xb_note *xb_note_find(struct xb_elf *x, uint32_t type);

/* Remove the "Xen" note of that type. */
void xb_note_remove(struct xb_elf *x, uint32_t type);

/* Set (or add) a numeric note of size bytes. */
void xb_note_num(struct xb_elf *x, uint32_t type, uint64_t v, unsigned size);

/* Set (or add) a string note, with its NUL in descsz or (nul false) not. */
void xb_note_str(struct xb_elf *x, uint32_t type, const char *s, bool nul);

/* The file.  Segments hold 0x11, 0x22, 0x33 bytes (PT_LOAD 0, 1, 2). */
struct blob xb_elf_build(const struct xb_elf *x);

/* A bzImage around payload[0..len): a boot sector and setup_sects sectors
 * of setup, "HdrS" protocol 2.15, the payload payload_offset bytes into
 * the protected-mode code, 16 bytes after it. */
struct blob xb_bzimage(const void *payload, size_t len, unsigned setup_sects,
                       uint32_t payload_offset);

/* elf compressed as Linux puts it in a bzImage: the stream, then (all but
 * gzip) the unpacked size as 4 little-endian bytes. */
struct blob xb_payload(enum xen_unpack_fmt fmt, const struct blob *elf);

/* Where the setup header's payload fields are in a bzImage. */
#define XB_BZ_PAYLOAD_OFFSET 0x248u
#define XB_BZ_PAYLOAD_LENGTH 0x24cu
#define XB_BZ_VERSION        0x206u

/* A cpio archive being built, and where each entry went. */
struct xb_cpio_entry {
    size_t off;
    uint32_t namesize, filesize;
    char name[64];
};

struct xb_cpio {
    struct blob b;
    bool crc;                       /* "070702" with data checksums */
    unsigned n;
    struct xb_cpio_entry e[32];
};

/* Append an entry (a regular file's check is its data's byte sum). */
void xb_cpio_add(struct xb_cpio *c, const char *name, uint32_t mode, const void *data,
                 uint32_t size);

/* Append the TRAILER!!! entry. */
void xb_cpio_trailer(struct xb_cpio *c);

/* A small root: ".", "bin", "bin/sh", "init", "bin/true" -> "sh", the
 * trailer (6 entries). */
void xb_cpio_sample(struct xb_cpio *c, bool crc);

#endif /* HVCORE_TEST_XEN_BUILDER_H */
