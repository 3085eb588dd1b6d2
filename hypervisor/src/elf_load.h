/*
 * elf_load.h - loading a pv kernel from an ELF64 executable.
 */
#ifndef HVCORE_ELF_LOAD_H
#define HVCORE_ELF_LOAD_H

#include <stddef.h>
#include <stdint.h>

/* Largest kernel file hvcore reads (a pv kernel is far smaller). */
#define ELF_MAX_FILE_SIZE (256u << 20)

struct elf_image {
    uint64_t entry;      /* e_entry                                  */
    uint64_t end;        /* first byte after the highest PT_LOAD     */
};

/*
 * Check the ELF image in buf[0..size) and copy its PT_LOAD segments into
 * guest memory mem[0..mem_size), zeroing the bss parts.  Segments must lie
 * in [HV_KERNEL_MIN_ADDR, mem_size) and the entry point inside an
 * executable segment.  Returns 0, or -HVE_INVAL with a one-line reason in
 * err (e.g. "not an ELF file", "segment 2 outside guest memory").  Nothing
 * is written to mem unless the whole image is valid.
 */
int elf_load(const uint8_t *buf, size_t size, uint8_t *mem, uint64_t mem_size,
             struct elf_image *out, char *err, size_t errlen);

/*
 * Read the file at path (at most ELF_MAX_FILE_SIZE) into a malloc'ed buffer
 * the caller frees.  Returns 0, or with the reason in err -errno (open or
 * read failed), -HVE_INVAL (not a regular file), -HVE_RANGE (too large),
 * -HVE_NOMEM or -HVE_IO (a short read).
 */
int elf_read_file(const char *path, uint8_t **buf, size_t *size,
                  char *err, size_t errlen);

#endif /* HVCORE_ELF_LOAD_H */
