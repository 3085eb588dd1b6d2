/*
 * xen_builder.c - building the xen_image and xen_initrd tests' inputs.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "xen_builder.h"
#include "xen_notes.h"

#define SECTOR 512u

static void put(uint8_t *file, size_t at, const void *data, size_t n)
{
    memcpy(file + at, data, n);
}

void xb_note_remove(struct xb_elf *x, uint32_t type)
{
    for (unsigned i = 0; i < x->nnotes; i++)
        if (x->note[i].type == type && strcmp(x->note[i].name, "Xen") == 0) {
            memmove(&x->note[i], &x->note[i + 1], (x->nnotes - i - 1) * sizeof(x->note[0]));
            x->nnotes--;
            return;
        }
}

struct xb_note *xb_note_find(struct xb_elf *x, uint32_t type)
{
    for (unsigned i = 0; i < x->nnotes; i++)
        if (x->note[i].type == type && strcmp(x->note[i].name, "Xen") == 0)
            return &x->note[i];
    return NULL;
}

static struct xb_note *note_slot(struct xb_elf *x, uint32_t type)
{
    struct xb_note *n = xb_note_find(x, type);

    if (!n && x->nnotes < XB_MAX_NOTES)
        n = &x->note[x->nnotes++];
    if (n) {
        memset(n, 0, sizeof(*n));
        n->type = type;
        n->namesz = 4;
        memcpy(n->name, "Xen", 4);
    }
    return n;
}

void xb_note_num(struct xb_elf *x, uint32_t type, uint64_t v, unsigned size)
{
    struct xb_note *n = note_slot(x, type);

    if (!n)
        return;
    n->descsz = size;
    for (unsigned i = 0; i < size && i < 8; i++)
        n->desc[i] = (uint8_t)(v >> (8 * i));
}

void xb_note_str(struct xb_elf *x, uint32_t type, const char *s, bool nul)
{
    struct xb_note *n = note_slot(x, type);
    size_t len = strlen(s);

    if (!n || len >= sizeof(n->desc))
        return;
    memcpy(n->desc, s, len);
    n->descsz = (uint32_t)(len + (nul ? 1 : 0));
}

static void load(Elf64_Phdr *ph, uint64_t off, uint64_t paddr, uint64_t vaddr, uint64_t filesz,
                 uint64_t memsz, uint32_t flags)
{
    memset(ph, 0, sizeof(*ph));
    ph->p_type = PT_LOAD;
    ph->p_offset = off;
    ph->p_paddr = paddr;
    ph->p_vaddr = vaddr;
    ph->p_filesz = filesz;
    ph->p_memsz = memsz;
    ph->p_flags = flags;
    ph->p_align = 0x1000;
}

void xb_elf_linux(struct xb_elf *x)
{
    static const uint8_t l1_mfn_valid[16] = { 1, 0, 0, 0, 0, 0, 0, 0, 1 };
    struct xb_note *gnu;

    memset(x, 0, sizeof(*x));
    memcpy(x->eh.e_ident, ELFMAG, SELFMAG);
    x->eh.e_ident[EI_CLASS] = ELFCLASS64;
    x->eh.e_ident[EI_DATA] = ELFDATA2LSB;
    x->eh.e_ident[EI_VERSION] = EV_CURRENT;
    x->eh.e_type = ET_EXEC;
    x->eh.e_machine = EM_X86_64;
    x->eh.e_version = EV_CURRENT;
    x->eh.e_entry = XB_E_ENTRY;
    x->eh.e_phoff = sizeof(Elf64_Ehdr);
    x->eh.e_ehsize = sizeof(Elf64_Ehdr);
    x->eh.e_phentsize = sizeof(Elf64_Phdr);
    x->eh.e_phnum = 4;
    load(&x->ph[0], 0x1000, 0x1000000, 0xffffffff81000000ull, 0x1000, 0x1000, PF_R | PF_X);
    load(&x->ph[1], 0x2000, 0x1002000, 0, 0x800, 0x1000, PF_R | PF_W);
    load(&x->ph[2], 0x3000, 0x1003000, 0xffffffff81003000ull, 0x1000, 0x3000,
         PF_R | PF_W | PF_X);
    x->ph[3].p_type = PT_NOTE;
    x->ph[3].p_offset = XB_NOTE_OFF;
    x->ph[3].p_align = 4;

    /* Linux 6.1's notes, in its order (readelf -n of Debian's kernel). */
    xb_note_str(x, XEN_NOTE_GUEST_OS, "linux", true);
    xb_note_str(x, XEN_NOTE_GUEST_VERSION, "2.6", true);
    xb_note_str(x, XEN_NOTE_XEN_VERSION, "xen-3.0", true);
    xb_note_num(x, XEN_NOTE_VIRT_BASE, XB_VIRT_BASE, 8);
    xb_note_num(x, XEN_NOTE_INIT_P2M, XB_INIT_P2M, 8);
    xb_note_num(x, XEN_NOTE_ENTRY, XB_ENTRY, 8);
    xb_note_str(x, XEN_NOTE_FEATURES, "!writable_page_tables|pae_pgdir_above_4gb", false);
    xb_note_num(x, XEN_NOTE_SUPPORTED_FEATURES, 0x8801, 4);
    xb_note_str(x, XEN_NOTE_PAE_MODE, "yes", true);
    xb_note_str(x, XEN_NOTE_LOADER, "generic", true);
    xb_note_num(x, XEN_NOTE_L1_MFN_VALID, 0, 16);
    memcpy(xb_note_find(x, XEN_NOTE_L1_MFN_VALID)->desc, l1_mfn_valid, 16);
    xb_note_num(x, XEN_NOTE_SUSPEND_CANCEL, 1, 4);
    xb_note_num(x, XEN_NOTE_MOD_START_PFN, 1, 4);
    xb_note_num(x, XEN_NOTE_HV_START_LOW, XB_HV_START_LOW, 8);
    xb_note_num(x, XEN_NOTE_PADDR_OFFSET, 0, 8);
    gnu = &x->note[x->nnotes++];
    gnu->namesz = 4;
    gnu->descsz = 20;
    gnu->type = 3;                  /* NT_GNU_BUILD_ID: skipped */
    memcpy(gnu->name, "GNU", 4);
    memset(gnu->desc, 0xab, 20);
    xb_note_num(x, XEN_NOTE_PHYS32_ENTRY, XB_PHYS32, 8);
}

static size_t pad4(size_t n)
{
    return (n + 3) & ~(size_t)3;
}

/* The notes at file + XB_NOTE_OFF; their size. */
static size_t write_notes(const struct xb_elf *x, uint8_t *file)
{
    size_t at = XB_NOTE_OFF;

    for (unsigned i = 0; i < x->nnotes; i++) {
        const struct xb_note *n = &x->note[i];
        uint32_t hdr[3] = { n->namesz, n->descsz, n->type };
        size_t name = n->namesz < sizeof(n->name) ? n->namesz : sizeof(n->name);
        size_t desc = n->descsz < sizeof(n->desc) ? n->descsz : sizeof(n->desc);

        put(file, at, hdr, sizeof(hdr));
        at += sizeof(hdr);
        put(file, at, n->name, name);
        at += pad4(name);
        put(file, at, n->desc, desc);
        at += pad4(desc);
    }
    return at - XB_NOTE_OFF;
}

struct blob xb_elf_build(const struct xb_elf *x)
{
    struct blob b = { 0 };
    Elf64_Ehdr eh = x->eh;
    size_t notes;

    blob_fill(&b, 0, XB_FILE_SIZE);
    if (b.failed)
        return b;
    memset(b.data + 0x1000, 0x11, 0x1000);
    memset(b.data + 0x2000, 0x22, 0x1000);
    memset(b.data + 0x3000, 0x33, 0x1000);
    notes = write_notes(x, b.data);
    if (x->section_notes) {
        Elf64_Shdr sh[3];

        memset(sh, 0, sizeof(sh));
        sh[1].sh_type = SHT_PROGBITS;
        sh[1].sh_offset = 0x1000;
        sh[1].sh_size = 0x1000;
        sh[2].sh_type = SHT_NOTE;
        sh[2].sh_offset = XB_NOTE_OFF;
        sh[2].sh_size = notes;
        sh[2].sh_addralign = 4;
        put(b.data, XB_SHDR_OFF, sh, sizeof(sh));
        eh.e_shoff = XB_SHDR_OFF;
        eh.e_shnum = 3;
        eh.e_shentsize = sizeof(Elf64_Shdr);
    }
    put(b.data, 0, &eh, sizeof(eh));
    for (unsigned i = 0; i < eh.e_phnum && i < XB_MAX_PHDRS; i++) {
        Elf64_Phdr ph = x->ph[i];

        if (ph.p_type == PT_NOTE && ph.p_offset == XB_NOTE_OFF && ph.p_filesz == 0)
            ph.p_filesz = ph.p_memsz = notes;
        put(b.data, sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
    }
    return b;
}

struct blob xb_bzimage(const void *payload, size_t len, unsigned setup_sects,
                       uint32_t payload_offset)
{
    struct blob b = { 0 };
    uint8_t *h;

    blob_fill(&b, 0, (setup_sects + 1) * SECTOR);
    blob_fill(&b, 0xcc, payload_offset);
    blob_add(&b, payload, len);
    blob_fill(&b, 0xcc, 16);
    if (b.failed)
        return b;
    h = b.data;
    h[0x1f1] = (uint8_t)setup_sects;
    h[0x1fe] = 0x55;
    h[0x1ff] = 0xaa;
    memcpy(h + 0x202, "HdrS", 4);
    h[XB_BZ_VERSION] = 0x0f;
    h[XB_BZ_VERSION + 1] = 0x02;
    for (unsigned i = 0; i < 4; i++) {
        h[XB_BZ_PAYLOAD_OFFSET + i] = (uint8_t)(payload_offset >> (8 * i));
        h[XB_BZ_PAYLOAD_LENGTH + i] = (uint8_t)(len >> (8 * i));
    }
    return b;
}

struct blob xb_payload(enum xen_unpack_fmt fmt, const struct blob *elf)
{
    struct blob p = compress_blob(fmt, elf->data, elf->size);

    if (p.data && fmt != XEN_UNPACK_GZIP)
        blob_le32(&p, (uint32_t)elf->size);
    return p;
}

void xb_cpio_add(struct xb_cpio *c, const char *name, uint32_t mode, const void *data,
                 uint32_t size)
{
    char hdr[111];
    uint32_t namesize = (uint32_t)strlen(name) + 1, check = 0;
    const uint8_t *d = data;

    if (c->crc && S_ISREG(mode))
        for (uint32_t i = 0; i < size; i++)
            check += d[i];
    if (c->n < sizeof(c->e) / sizeof(c->e[0])) {
        struct xb_cpio_entry *e = &c->e[c->n++];

        e->off = c->b.size;
        e->namesize = namesize;
        e->filesize = size;
        snprintf(e->name, sizeof(e->name), "%s", name);
    }
    snprintf(hdr, sizeof(hdr), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
             c->crc ? "070702" : "070701", c->n, mode, 0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u,
             size, 0u, 0u, 0u, 0u, namesize, check);
    blob_add(&c->b, hdr, 110);
    blob_add(&c->b, name, namesize);
    blob_fill(&c->b, 0, pad4(c->b.size) - c->b.size);
    blob_add(&c->b, data, size);
    blob_fill(&c->b, 0, pad4(c->b.size) - c->b.size);
}

void xb_cpio_trailer(struct xb_cpio *c)
{
    xb_cpio_add(c, "TRAILER!!!", 0, "", 0);
}

void xb_cpio_sample(struct xb_cpio *c, bool crc)
{
    static const char sh[] = "#!/bin/sh\necho hello from the test initramfs\n";
    static const char init[] = "#!/bin/sh\nexec /bin/sh\n";

    memset(c, 0, sizeof(*c));
    c->crc = crc;
    xb_cpio_add(c, ".", S_IFDIR | 0755, "", 0);
    xb_cpio_add(c, "bin", S_IFDIR | 0755, "", 0);
    xb_cpio_add(c, "bin/sh", S_IFREG | 0755, sh, sizeof(sh) - 1);
    xb_cpio_add(c, "init", S_IFREG | 0755, init, sizeof(init) - 1);
    xb_cpio_add(c, "bin/true", S_IFLNK | 0777, "sh", 2);
    xb_cpio_trailer(c);
}
