/*
 * vu_mem.h - the guest memory a vhost-user front end shares with a back
 * end: up to VU_MEM_MAX_REGIONS regions, each an fd mapped MAP_SHARED.
 *
 * Two address spaces name the same bytes: the front end's virtual
 * addresses (rings, SET_VRING_ADDR) and guest-physical addresses
 * (descriptors).  Every translation is bounds-checked against one region
 * and refuses ranges that wrap; nothing outside a mapped region is ever
 * handed out.
 */
#ifndef HV_BACKENDS_VU_MEM_H
#define HV_BACKENDS_VU_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define VU_MEM_MAX_REGIONS 8

struct vu_region {
    uint64_t gpa;           /* guest-physical start                  */
    uint64_t size;          /* bytes                                 */
    uint64_t uva;           /* the front end's virtual address       */
    uint8_t *host;          /* our mapping of gpa                    */
    void *map;              /* what munmap gets (map, map_len)       */
    size_t map_len;
};

struct vu_mem {
    unsigned n;
    struct vu_region r[VU_MEM_MAX_REGIONS];
};

/* The front end's description of one region (vhost-user wire format). */
struct vu_mem_desc {
    uint64_t gpa;
    uint64_t size;
    uint64_t uva;
    uint64_t mmap_offset;
};

/*
 * Map n regions from fds (not consumed).  0, or -1 with a one-line
 * reason in err (and mem left empty).
 */
int vu_mem_map(struct vu_mem *mem, const struct vu_mem_desc *d, const int *fds, unsigned n,
               char *err, size_t errlen);
void vu_mem_unmap(struct vu_mem *mem);

/*
 * Add a region the caller mapped itself (tests, the fuzzer): host holds
 * size bytes.  0, or -1 if the table is full or the range wraps.
 */
int vu_mem_add(struct vu_mem *mem, uint64_t gpa, uint64_t uva, uint64_t size, void *host);

/* The host address of [uva, uva+len) if it lies in one region, else NULL. */
void *vu_mem_uva(const struct vu_mem *mem, uint64_t uva, uint64_t len);

/* The host address of [gpa, gpa+len) if it lies in one region, else NULL. */
void *vu_mem_gpa(const struct vu_mem *mem, uint64_t gpa, uint64_t len);

/*
 * Append [gpa, gpa+len) to iov (at most max entries in all, *n used so
 * far), split where it crosses from one region into an adjacent one.
 * 0; -1 if a byte of it is in no region or it wraps; -2 if it needs more
 * than max entries.  A zero length adds nothing.
 */
int vu_mem_gpa_iov(const struct vu_mem *mem, uint64_t gpa, uint64_t len, struct iovec *iov,
                   unsigned *n, unsigned max);

#endif
