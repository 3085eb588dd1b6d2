/*
 * xen_notes.h - the Xen ELF notes of a PV kernel (Xen's public/elfnote.h):
 * found in the PT_NOTE segments (or, where those hold none, the SHT_NOTE
 * sections), each checked and stored in struct xen_image.
 */
#ifndef HVCORE_XEN_NOTES_H
#define HVCORE_XEN_NOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xen_image.h"

/* Note types (XEN_ELFNOTE_*), as numbered by Xen's public/elfnote.h. */
enum xen_note_type {
    XEN_NOTE_INFO = 0,
    XEN_NOTE_ENTRY = 1,
    XEN_NOTE_HYPERCALL_PAGE = 2,
    XEN_NOTE_VIRT_BASE = 3,
    XEN_NOTE_PADDR_OFFSET = 4,
    XEN_NOTE_XEN_VERSION = 5,
    XEN_NOTE_GUEST_OS = 6,
    XEN_NOTE_GUEST_VERSION = 7,
    XEN_NOTE_LOADER = 8,
    XEN_NOTE_PAE_MODE = 9,
    XEN_NOTE_FEATURES = 10,
    XEN_NOTE_BSD_SYMTAB = 11,
    XEN_NOTE_HV_START_LOW = 12,
    XEN_NOTE_L1_MFN_VALID = 13,
    XEN_NOTE_SUSPEND_CANCEL = 14,
    XEN_NOTE_INIT_P2M = 15,
    XEN_NOTE_MOD_START_PFN = 16,
    XEN_NOTE_SUPPORTED_FEATURES = 17,
    XEN_NOTE_PHYS32_ENTRY = 18,
    XEN_NOTE_COUNT
};

/* Most notes read from one file, over all its note areas. */
#define XEN_NOTES_MAX 1024

/* Bit (1u << XEN_NOTE_x) for each note type found, and
 * XEN_NOTES_SEEN_OTHER for any type hvcore does not read. */
typedef uint32_t xen_notes_seen;
#define XEN_NOTES_SEEN_OTHER (1u << 31)

/*
 * Find the Xen notes of the ELF64 file elf[0..size) (its header already
 * checked: class, machine, program header table inside the file) and store
 * their values in img (entry, virt_base, paddr_offset, hv_start_low,
 * init_p2m, hypercall_page, phys32_entry, mod_start_pfn, features,
 * required_features, supported_features, guest_os, xen_version, loader),
 * with *seen saying which were present.  Checks each note on its own:
 * inside its area, numbers of 1, 2, 4 or 8 bytes, strings NUL-terminated
 * and printable, FEATURES' requirements ones hvcore grants.  Returns 0, or
 * -HVE_INVAL with one line in err.  Finding no Xen note is not an error
 * here (*seen == 0).
 */
int xen_notes_parse(const uint8_t *elf, size_t size, struct xen_image *img,
                    xen_notes_seen *seen, char *err, size_t errlen);

/* Whether the ELF64 file elf[0..size) has a Xen note (for probing: any
 * malformed area ends the search quietly). */
bool xen_notes_present(const uint8_t *elf, size_t size);

/* The note's name for messages ("ENTRY"), or NULL for a type hvcore does
 * not read. */
const char *xen_notes_name(unsigned type);

#endif /* HVCORE_XEN_NOTES_H */
