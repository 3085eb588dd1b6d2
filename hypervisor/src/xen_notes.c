/*
 * xen_notes.c - finding and reading the Xen ELF notes of a PV kernel.
 *
 * An ELF note is (namesz, descsz, type), the name and the descriptor, each
 * padded to the area's alignment (4, or 8 where the area says so).  Every
 * size comes from the file and is checked against the note's area before
 * anything is read; the areas are the PT_NOTE segments, and the SHT_NOTE
 * sections only where those segments hold no Xen note (Xen's libelf does
 * the same).  Only notes named "Xen" count; types hvcore does not read are
 * skipped, as Xen skips them.
 *
 * FEATURES ("a|!b|c").  Xen's public/elfnote.h: the entries are feature
 * names (public/features.h without "XENFEAT_") separated by '|'; a name
 * marked '!' is one the kernel needs in order to work, an unmarked one is
 * merely supported.  So '!' means "required", not "not".  Xen's libelf
 * (elf_xen_parse_features) refuses a kernel that requires a name it does
 * not know and ignores unknown unmarked names; the domain builders then
 * check little: libxenguest only that the required set is within the
 * kernel's own supported set (always true for '!' entries), and Xen's dom0
 * builder refuses a kernel requiring supervisor_mode_kernel.  Linux 6.1's
 * note is "!writable_page_tables|pae_pgdir_above_4gb", and Xen boots it
 * as a PV guest although XENVER_get_features reports writable_page_tables
 * only to translated (HVM/PVH) guests: Linux asks for the feature at run
 * time and, without it, keeps its page tables mapped read-only and updates
 * them through mmu_update and update_va_mapping (and Xen emulates a PV
 * guest's direct writes to such pages besides).  hvcore's rule: accept a
 * required name where Xen accepts it for a PV guest - writable_page_tables
 * (which hvcore's XENVER_get_features must then not report, so that Linux
 * keeps to hypercalls) and pae_pgdir_above_4gb (meaningless on 64-bit) -
 * and refuse anything else required: supervisor_mode_kernel (the kernel
 * runs at CPL 3), auto_translated_physmap and hvm_callback_vector
 * (HVM/PVH only), writable_descriptor_tables (never offered to PV guests),
 * dom0, and every name Xen does not know.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "public/errno.h"
#include "xen_notes.h"

#define NOTE_HEADER 12u

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -HVE_INVAL;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static const char *const note_names[XEN_NOTE_COUNT] = {
    [XEN_NOTE_ENTRY] = "ENTRY",
    [XEN_NOTE_HYPERCALL_PAGE] = "HYPERCALL_PAGE",
    [XEN_NOTE_VIRT_BASE] = "VIRT_BASE",
    [XEN_NOTE_PADDR_OFFSET] = "PADDR_OFFSET",
    [XEN_NOTE_XEN_VERSION] = "XEN_VERSION",
    [XEN_NOTE_GUEST_OS] = "GUEST_OS",
    [XEN_NOTE_GUEST_VERSION] = "GUEST_VERSION",
    [XEN_NOTE_LOADER] = "LOADER",
    [XEN_NOTE_PAE_MODE] = "PAE_MODE",
    [XEN_NOTE_FEATURES] = "FEATURES",
    [XEN_NOTE_HV_START_LOW] = "HV_START_LOW",
    [XEN_NOTE_INIT_P2M] = "INIT_P2M",
    [XEN_NOTE_MOD_START_PFN] = "MOD_START_PFN",
    [XEN_NOTE_SUPPORTED_FEATURES] = "SUPPORTED_FEATURES",
    [XEN_NOTE_PHYS32_ENTRY] = "PHYS32_ENTRY",
};

const char *xen_notes_name(unsigned type)
{
    return type < XEN_NOTE_COUNT ? note_names[type] : NULL;
}

/* The feature names of FEATURES that Xen's libelf knows, and whether
 * hvcore grants each one to a kernel that requires it (see above). */
static const struct {
    const char *name;
    uint32_t bit;
    bool granted;
} feature_names[] = {
    { "writable_page_tables",       XEN_IMAGE_FEAT_WRITABLE_PAGE_TABLES,       true },
    { "writable_descriptor_tables", XEN_IMAGE_FEAT_WRITABLE_DESCRIPTOR_TABLES, false },
    { "auto_translated_physmap",    XEN_IMAGE_FEAT_AUTO_TRANSLATED_PHYSMAP,    false },
    { "supervisor_mode_kernel",     XEN_IMAGE_FEAT_SUPERVISOR_MODE_KERNEL,     false },
    { "pae_pgdir_above_4gb",        XEN_IMAGE_FEAT_PAE_PGDIR_ABOVE_4GB,        true },
    { "hvm_callback_vector",        XEN_IMAGE_FEAT_HVM_CALLBACK_VECTOR,        false },
    { "dom0",                       XEN_IMAGE_FEAT_DOM0,                       false },
};

/* FEATURES text -> the required bits, or a refusal. */
static int parse_features(const char *text, uint32_t *required, char *err, size_t errlen)
{
    *required = 0;
    for (const char *p = text; *p; ) {
        size_t len = strcspn(p, "|");

        if (p[0] == '!') {
            const char *name = p + 1;
            size_t nlen = len - 1;
            size_t i, n = sizeof(feature_names) / sizeof(feature_names[0]);

            for (i = 0; i < n; i++)
                if (strlen(feature_names[i].name) == nlen &&
                    memcmp(feature_names[i].name, name, nlen) == 0)
                    break;
            if (i == n || !feature_names[i].granted)
                return fail(err, errlen, "kernel: Xen note FEATURES requires '%.*s', unsupported",
                            (int)nlen, name);
            *required |= feature_names[i].bit;
        }
        p += len;
        if (*p == '|')
            p++;
    }
    return 0;
}

/* Where the notes are read into. */
struct store {
    struct xen_image *img;
    xen_notes_seen seen;
    unsigned xen_notes;
};

static int note_number(unsigned type, const uint8_t *desc, uint32_t descsz, uint64_t *val,
                       char *err, size_t errlen)
{
    if (descsz != 1 && descsz != 2 && descsz != 4 && descsz != 8)
        return fail(err, errlen, "kernel: Xen note %s has %u bytes, want 1, 2, 4 or 8",
                    note_names[type], descsz);
    *val = 0;
    for (uint32_t i = 0; i < descsz; i++)
        *val |= (uint64_t)desc[i] << (8 * i);
    return 0;
}

/* A string note: NUL-terminated inside its descriptor or by the padding
 * byte right after it (Linux's FEATURES is .ascii: its NUL is the
 * padding's), printable, shorter than dest.  room: the descriptor and the
 * padding after it that lies inside the note's area. */
static int note_string(unsigned type, const uint8_t *desc, uint32_t descsz, size_t room,
                       char *dest, size_t destlen, char *err, size_t errlen)
{
    const uint8_t *nul = memchr(desc, 0, descsz);
    size_t len;

    if (nul)
        len = (size_t)(nul - desc);
    else if (descsz < room && desc[descsz] == 0)
        len = descsz;
    else
        return fail(err, errlen, "kernel: Xen note %s is not NUL-terminated", note_names[type]);
    if (len >= destlen)
        return fail(err, errlen, "kernel: Xen note %s is too long (%zu bytes, at most %zu)",
                    note_names[type], len, destlen - 1);
    for (size_t i = 0; i < len; i++)
        if (desc[i] < 0x20 || desc[i] > 0x7e)
            return fail(err, errlen, "kernel: Xen note %s holds a non-printable byte 0x%02x",
                        note_names[type], desc[i]);
    memcpy(dest, desc, len);
    dest[len] = '\0';
    return 0;
}

static int store_note(struct store *st, uint32_t type, const uint8_t *desc, uint32_t descsz,
                      size_t room, char *err, size_t errlen)
{
    struct xen_image *img = st->img;
    uint64_t v = 0;
    char pae[16];
    int r = 0;

    st->xen_notes++;
    switch (type) {
    case XEN_NOTE_ENTRY:          r = note_number(type, desc, descsz, &img->entry, err, errlen); break;
    case XEN_NOTE_HYPERCALL_PAGE: r = note_number(type, desc, descsz, &img->hypercall_page, err, errlen); break;
    case XEN_NOTE_VIRT_BASE:      r = note_number(type, desc, descsz, &img->virt_base, err, errlen); break;
    case XEN_NOTE_PADDR_OFFSET:   r = note_number(type, desc, descsz, &img->paddr_offset, err, errlen); break;
    case XEN_NOTE_HV_START_LOW:   r = note_number(type, desc, descsz, &img->hv_start_low, err, errlen); break;
    case XEN_NOTE_INIT_P2M:       r = note_number(type, desc, descsz, &img->init_p2m, err, errlen); break;
    case XEN_NOTE_PHYS32_ENTRY:   r = note_number(type, desc, descsz, &img->phys32_entry, err, errlen); break;
    case XEN_NOTE_MOD_START_PFN:
        r = note_number(type, desc, descsz, &v, err, errlen);
        img->mod_start_pfn = v == 1;
        break;
    case XEN_NOTE_SUPPORTED_FEATURES:
        /* One 32-bit word per XENFEAT submap; hvcore reads submap 0. */
        if (descsz < 4 || descsz % 4)
            return fail(err, errlen, "kernel: Xen note SUPPORTED_FEATURES has %u bytes, "
                        "want a multiple of 4", descsz);
        img->supported_features = le32(desc);
        break;
    case XEN_NOTE_XEN_VERSION:
        r = note_string(type, desc, descsz, room, img->xen_version, sizeof(img->xen_version),
                        err, errlen);
        break;
    case XEN_NOTE_GUEST_OS:
        r = note_string(type, desc, descsz, room, img->guest_os, sizeof(img->guest_os), err, errlen);
        break;
    case XEN_NOTE_LOADER:
        r = note_string(type, desc, descsz, room, img->loader, sizeof(img->loader), err, errlen);
        break;
    case XEN_NOTE_FEATURES:
        r = note_string(type, desc, descsz, room, img->features, sizeof(img->features), err, errlen);
        if (r == 0)
            r = parse_features(img->features, &img->required_features, err, errlen);
        break;
    case XEN_NOTE_PAE_MODE:
        /* Only 32-bit guests use it; on 64-bit "yes" or a "bimodal"
         * kernel (Xen's strstr) is consistent, anything else is not. */
        r = note_string(type, desc, descsz, room, pae, sizeof(pae), err, errlen);
        if (r == 0 && strcmp(pae, "yes") != 0 && !strstr(pae, "bimodal"))
            return fail(err, errlen, "kernel: Xen note PAE_MODE is '%s', want 'yes' or 'bimodal'",
                        pae);
        break;
    default:                        /* a type hvcore does not read */
        st->seen |= XEN_NOTES_SEEN_OTHER;
        return 0;
    }
    if (r == 0)
        st->seen |= 1u << type;
    return r;
}

/* One note area: [off, off + len) of the file, inside it. */
struct area {
    uint64_t off, len;
    unsigned align;
    const char *what;               /* "PT_NOTE segment", "note section" */
    unsigned index;
};

static uint64_t align_up(uint64_t v, unsigned a)
{
    return (v + a - 1) & ~(uint64_t)(a - 1);
}

/* Read the notes of one area; store the Xen ones (st may be NULL: count). */
static int walk_area(const uint8_t *elf, const struct area *a, unsigned *total,
                     struct store *st, char *err, size_t errlen)
{
    uint64_t pos = 0;
    unsigned n = 0;

    while (a->len - pos >= NOTE_HEADER) {
        const uint8_t *h = elf + a->off + pos;
        uint32_t namesz = le32(h), descsz = le32(h + 4), type = le32(h + 8);
        uint64_t desc_at = pos + NOTE_HEADER + align_up(namesz, a->align);
        uint64_t next;

        if (++*total > XEN_NOTES_MAX)
            return fail(err, errlen, "kernel: more than %u ELF notes", XEN_NOTES_MAX);
        if (desc_at > a->len || descsz > a->len - desc_at)
            return fail(err, errlen, "kernel: ELF note %u of %s %u runs past its end "
                        "(namesz 0x%x, descsz 0x%x, 0x%llx bytes left)", n, a->what, a->index,
                        namesz, descsz, (unsigned long long)(a->len - pos - NOTE_HEADER));
        next = desc_at + align_up(descsz, a->align);
        if (next > a->len)
            next = a->len;          /* the last descriptor's padding may be cut */
        if (namesz == 4 && memcmp(h + NOTE_HEADER, "Xen", 4) == 0) {
            if (!st)
                return 1;           /* probing: one is enough */
            int r = store_note(st, type, elf + a->off + desc_at, descsz,
                               (size_t)(next - desc_at), err, errlen);
            if (r < 0)
                return r;
        }
        pos = next;
        n++;
    }
    return 0;
}

/* The PT_NOTE segments, then (if they hold no Xen note) the SHT_NOTE
 * sections.  Returns 1 when probing found a Xen note, 0, or -HVE_INVAL. */
static int walk_all(const uint8_t *elf, size_t size, struct store *st, char *err, size_t errlen)
{
    Elf64_Ehdr eh;
    unsigned total = 0;
    int r;

    memcpy(&eh, elf, sizeof(eh));
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        struct area a = { .what = "PT_NOTE segment", .index = i };

        memcpy(&ph, elf + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_NOTE || ph.p_offset == 0 || ph.p_filesz == 0)
            continue;               /* offset 0: a known binutils slip; Xen skips it too */
        if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
            return fail(err, errlen, "kernel: PT_NOTE segment %u ends beyond the file "
                        "(offset 0x%llx + 0x%llx > 0x%zx)", i, (unsigned long long)ph.p_offset,
                        (unsigned long long)ph.p_filesz, size);
        a.off = ph.p_offset;
        a.len = ph.p_filesz;
        a.align = ph.p_align == 8 ? 8 : 4;
        r = walk_area(elf, &a, &total, st, err, errlen);
        if (r != 0)
            return r;
    }
    if (st && st->xen_notes > 0)
        return 0;
    if (eh.e_shoff == 0 || eh.e_shnum == 0)
        return 0;
    if (eh.e_shentsize != sizeof(Elf64_Shdr))
        return fail(err, errlen, "kernel: bad section header size %u", (unsigned)eh.e_shentsize);
    if (eh.e_shoff > size || (uint64_t)eh.e_shnum * sizeof(Elf64_Shdr) > size - eh.e_shoff)
        return fail(err, errlen, "kernel: section headers end beyond the file "
                    "(offset 0x%llx + %u * %zu > 0x%zx)", (unsigned long long)eh.e_shoff,
                    (unsigned)eh.e_shnum, sizeof(Elf64_Shdr), size);
    for (unsigned i = 1; i < eh.e_shnum; i++) {
        Elf64_Shdr sh;
        struct area a = { .what = "note section", .index = i };

        memcpy(&sh, elf + eh.e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
        if (sh.sh_type != SHT_NOTE || sh.sh_size == 0)
            continue;
        if (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset)
            return fail(err, errlen, "kernel: note section %u ends beyond the file "
                        "(offset 0x%llx + 0x%llx > 0x%zx)", i, (unsigned long long)sh.sh_offset,
                        (unsigned long long)sh.sh_size, size);
        a.off = sh.sh_offset;
        a.len = sh.sh_size;
        a.align = sh.sh_addralign == 8 ? 8 : 4;
        r = walk_area(elf, &a, &total, st, err, errlen);
        if (r != 0)
            return r;
    }
    return 0;
}

int xen_notes_parse(const uint8_t *elf, size_t size, struct xen_image *img,
                    xen_notes_seen *seen, char *err, size_t errlen)
{
    struct store st = { .img = img };
    int r = walk_all(elf, size, &st, err, errlen);

    *seen = st.seen;
    return r < 0 ? r : 0;
}

bool xen_notes_present(const uint8_t *elf, size_t size)
{
    char err[160];

    return walk_all(elf, size, NULL, err, sizeof(err)) == 1;
}
