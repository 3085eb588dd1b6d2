/*
 * elf_load.c - ELF64 kernel loader.
 *
 * The kernel file is untrusted input: every header field is range-checked
 * against the file and against guest memory before anything is copied,
 * and all arithmetic is done so that it cannot overflow.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errline.h"
#include "elf_load.h"
#include "public/errno.h"
#include "public/layout.h"

/* What is wrong with the image itself. */
#define fail(err, errlen, ...) errline(-HVE_INVAL, err, errlen, __VA_ARGS__)

/* a + b <= limit, without overflow */
static bool fits(uint64_t a, uint64_t b, uint64_t limit)
{
    return a <= limit && b <= limit - a;
}

static int check_header(const Elf64_Ehdr *eh, size_t size, char *err, size_t errlen)
{
    if (size < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
        return fail(err, errlen, "not an ELF file");
    if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        return fail(err, errlen, "not a 64-bit ELF file");
    if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, "not a little-endian ELF file");
    if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
        return fail(err, errlen, "unsupported ELF version");
    if (eh->e_machine != EM_X86_64)
        return fail(err, errlen, "not an x86-64 ELF file (e_machine %u)",
                    (unsigned)eh->e_machine);
    if (eh->e_type != ET_EXEC)
        return fail(err, errlen, "not an executable ELF file (e_type %u)",
                    (unsigned)eh->e_type);
    if (eh->e_phentsize != sizeof(Elf64_Phdr))
        return fail(err, errlen, "bad program header size %u",
                    (unsigned)eh->e_phentsize);
    if (eh->e_phnum == 0 || eh->e_phnum > 64)
        return fail(err, errlen, "bad program header count %u",
                    (unsigned)eh->e_phnum);
    if (!fits(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), size))
        return fail(err, errlen, "program headers outside the file");
    return 0;
}

int elf_load(const uint8_t *buf, size_t size, uint8_t *mem, uint64_t mem_size,
             struct elf_image *out, char *err, size_t errlen)
{
    Elf64_Ehdr eh;
    unsigned nload = 0;
    bool entry_ok = false;
    uint64_t end = 0;

    if (size < sizeof(eh))
        return fail(err, errlen, "not an ELF file");
    memcpy(&eh, buf, sizeof(eh));
    int r = check_header(&eh, size, err, errlen);
    if (r < 0)
        return r;

    /* First pass: validate every segment; nothing is written yet. */
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, buf + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD)
            continue;
        nload++;
        if (ph.p_filesz > ph.p_memsz)
            return fail(err, errlen, "segment %u: file size exceeds memory size", i);
        if (!fits(ph.p_offset, ph.p_filesz, size))
            return fail(err, errlen, "segment %u: data outside the file", i);
        if (ph.p_vaddr < HV_KERNEL_MIN_ADDR || !fits(ph.p_vaddr, ph.p_memsz, mem_size))
            return fail(err, errlen,
                        "segment %u: [%#llx, +%#llx) outside guest memory [%#llx, %#llx)",
                        i, (unsigned long long)ph.p_vaddr,
                        (unsigned long long)ph.p_memsz,
                        (unsigned long long)HV_KERNEL_MIN_ADDR,
                        (unsigned long long)mem_size);
        if ((ph.p_flags & PF_X) && eh.e_entry >= ph.p_vaddr &&
            eh.e_entry - ph.p_vaddr < ph.p_memsz)
            entry_ok = true;
        if (ph.p_vaddr + ph.p_memsz > end)
            end = ph.p_vaddr + ph.p_memsz;
    }
    if (nload == 0)
        return fail(err, errlen, "no loadable segment");
    if (!entry_ok)
        return fail(err, errlen, "entry point %#llx is not in an executable segment",
                    (unsigned long long)eh.e_entry);

    /* Second pass: copy. */
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;

        memcpy(&ph, buf + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
        if (ph.p_type != PT_LOAD)
            continue;
        memcpy(mem + ph.p_vaddr, buf + ph.p_offset, ph.p_filesz);
        memset(mem + ph.p_vaddr + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
    }
    out->entry = eh.e_entry;
    out->end = end;
    return 0;
}

int elf_read_file(const char *path, uint8_t **bufp, size_t *sizep,
                  char *err, size_t errlen)
{
    struct stat st;
    uint8_t *buf = NULL;
    size_t done = 0;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (forever, and
     * deaf to SIGTERM); it is refused below like any non-regular file. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0)
        return errline(-errno, err, errlen, "cannot open %s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, errlen, "%s is not a regular file", path);
    }
    if ((uint64_t)st.st_size > ELF_MAX_FILE_SIZE) {
        close(fd);
        return errline(-HVE_RANGE, err, errlen, "%s is too large (%lld bytes, limit %u MiB)",
                         path, (long long)st.st_size, ELF_MAX_FILE_SIZE >> 20);
    }
    buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!buf) {
        close(fd);
        return errline(-HVE_NOMEM, err, errlen, "out of memory reading %s", path);
    }
    while (done < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + done, (size_t)st.st_size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int code = n < 0 ? -errno : -HVE_IO;
            free(buf);
            close(fd);
            return errline(code, err, errlen, "cannot read %s: %s", path,
                             n < 0 ? strerror(-code) : "short read");
        }
        done += (size_t)n;
    }
    close(fd);
    *bufp = buf;
    *sizep = done;
    return 0;
}
