/*
 * vu_mem.c - mapping and translating a vhost-user memory table.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "vu_mem.h"

void vu_mem_unmap(struct vu_mem *mem)
{
    for (unsigned i = 0; i < mem->n; i++)
        if (mem->r[i].map)
            munmap(mem->r[i].map, mem->r[i].map_len);
    memset(mem, 0, sizeof(*mem));
}

/* [a, a+len) does not wrap: a + len - 1 stays below 2^64. */
static bool no_wrap(uint64_t a, uint64_t len)
{
    return len == 0 || a <= UINT64_MAX - (len - 1);
}

static int map_one(struct vu_region *r, const struct vu_mem_desc *d, int fd, unsigned i,
                   char *err, size_t errlen)
{
    struct stat st;

    if (d->size == 0 || !no_wrap(d->gpa, d->size) || !no_wrap(d->uva, d->size) ||
        d->mmap_offset > UINT64_MAX - d->size) {
        snprintf(err, errlen, "memory region %u: gpa 0x%llx size 0x%llx uva 0x%llx offset 0x%llx "
                 "is not a valid range", i, (unsigned long long)d->gpa,
                 (unsigned long long)d->size, (unsigned long long)d->uva,
                 (unsigned long long)d->mmap_offset);
        return -1;
    }
    /* Touching a page past the end of a file raises SIGBUS: refuse a
     * region the file does not cover now. */
    if (fstat(fd, &st) < 0 || (S_ISREG(st.st_mode) &&
                               (uint64_t)st.st_size < d->mmap_offset + d->size)) {
        snprintf(err, errlen, "memory region %u: the file is smaller than offset 0x%llx + size "
                 "0x%llx", i, (unsigned long long)d->mmap_offset, (unsigned long long)d->size);
        return -1;
    }
    r->map_len = (size_t)(d->mmap_offset + d->size);
    r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        snprintf(err, errlen, "memory region %u: mmap of 0x%zx bytes: %s", i, r->map_len,
                 strerror(errno));
        return -1;
    }
    r->gpa = d->gpa;
    r->size = d->size;
    r->uva = d->uva;
    r->host = (uint8_t *)r->map + d->mmap_offset;
    return 0;
}

int vu_mem_map(struct vu_mem *mem, const struct vu_mem_desc *d, const int *fds, unsigned n,
               char *err, size_t errlen)
{
    memset(mem, 0, sizeof(*mem));
    if (n == 0 || n > VU_MEM_MAX_REGIONS) {
        snprintf(err, errlen, "memory table of %u regions (1 to %u)", n, VU_MEM_MAX_REGIONS);
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        if (map_one(&mem->r[i], &d[i], fds[i], i, err, errlen) < 0) {
            vu_mem_unmap(mem);
            return -1;
        }
        mem->n = i + 1;
    }
    return 0;
}

int vu_mem_add(struct vu_mem *mem, uint64_t gpa, uint64_t uva, uint64_t size, void *host)
{
    struct vu_region *r;

    if (mem->n >= VU_MEM_MAX_REGIONS || size == 0 || !no_wrap(gpa, size) || !no_wrap(uva, size))
        return -1;
    r = &mem->r[mem->n++];
    memset(r, 0, sizeof(*r));
    r->gpa = gpa;
    r->uva = uva;
    r->size = size;
    r->host = host;
    return 0;
}

/* The region holding byte a of the space (uva or gpa), or NULL. */
static const struct vu_region *find(const struct vu_mem *mem, uint64_t a, bool uva)
{
    for (unsigned i = 0; i < mem->n; i++) {
        const struct vu_region *r = &mem->r[i];
        uint64_t start = uva ? r->uva : r->gpa;

        if (a >= start && a - start < r->size)
            return r;
    }
    return NULL;
}

static void *translate(const struct vu_mem *mem, uint64_t a, uint64_t len, bool uva)
{
    const struct vu_region *r = find(mem, a, uva);
    uint64_t off;

    if (!r || !no_wrap(a, len))
        return NULL;
    off = a - (uva ? r->uva : r->gpa);
    if (len > r->size - off)
        return NULL;
    return r->host + off;
}

void *vu_mem_uva(const struct vu_mem *mem, uint64_t uva, uint64_t len)
{
    return translate(mem, uva, len, true);
}

void *vu_mem_gpa(const struct vu_mem *mem, uint64_t gpa, uint64_t len)
{
    return translate(mem, gpa, len, false);
}

int vu_mem_gpa_iov(const struct vu_mem *mem, uint64_t gpa, uint64_t len, struct iovec *iov,
                   unsigned *n, unsigned max)
{
    if (!no_wrap(gpa, len))
        return -1;
    while (len > 0) {
        const struct vu_region *r = find(mem, gpa, false);
        uint64_t off, chunk;

        if (!r)
            return -1;
        if (*n >= max)
            return -2;
        off = gpa - r->gpa;
        chunk = r->size - off < len ? r->size - off : len;
        iov[*n].iov_base = r->host + off;
        iov[*n].iov_len = (size_t)chunk;
        (*n)++;
        gpa += chunk;
        len -= chunk;
    }
    return 0;
}
