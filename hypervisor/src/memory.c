/*
 * memory.c - guest RAM.
 *
 * Guest RAM is one memfd, MAP_SHARED into hvcore and given to KVM as memory
 * slot 0 at guest physical address 0.  A memfd (rather than anonymous
 * memory) lets save, restore and migration stream or map the same pages,
 * and lets the balloon return pages with FALLOC_FL_PUNCH_HOLE: the host
 * frees them at once and KVM's MMU notifier drops the guest mapping.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvcore.h"
#include "memory.h"
#include "public/errno.h"
#include "public/layout.h"

int mem_create(struct domain *d)
{
    uint64_t size = d->mem_max_bytes;
    uint64_t pages = size >> HV_PAGE_SHIFT;

    d->mem_fd = memfd_create("hvcore-guest-ram", MFD_CLOEXEC);
    if (d->mem_fd < 0)
        return -errno;
    if (ftruncate(d->mem_fd, (off_t)size) < 0)
        return -errno;
    d->mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, d->mem_fd, 0);
    if (d->mem == MAP_FAILED) {
        d->mem = NULL;
        return -errno;
    }
    /* Guest RAM is not worth a core dump of gigabytes, and must not be
     * inherited by anything hvcore might fork. */
    madvise(d->mem, size, MADV_DONTDUMP);
    madvise(d->mem, size, MADV_DONTFORK);

    d->balloon_map = calloc((pages + 63) / 64, sizeof(uint64_t));
    if (!d->balloon_map)
        return -HVE_NOMEM;

    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .guest_phys_addr = 0,
        .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)d->mem,
    };
    if (ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return -errno;
    return 0;
}

void mem_destroy(struct domain *d)
{
    if (d->mem)
        munmap(d->mem, d->mem_max_bytes);
    d->mem = NULL;
    if (d->mem_fd >= 0)
        close(d->mem_fd);
    d->mem_fd = -1;
    free(d->balloon_map);
    d->balloon_map = NULL;
}

int mem_reset(struct domain *d)
{
    uint64_t pages = d->mem_max_bytes >> HV_PAGE_SHIFT;

    if (fallocate(d->mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  0, (off_t)d->mem_max_bytes) < 0)
        return -errno;
    memset(d->balloon_map, 0, (pages + 63) / 64 * sizeof(uint64_t));
    d->ballooned_pages = 0;
    return 0;
}

bool mem_range_ok(const struct domain *d, uint64_t gpa, uint64_t len, bool write)
{
    uint64_t lo = write ? HV_SHARED_INFO_PAGE : HV_HYPERCALL_PAGE;

    if (gpa < lo || gpa >= d->mem_max_bytes)
        return false;
    return len <= d->mem_max_bytes - gpa;
}

int mem_copy_from_guest(struct domain *d, void *dst, uint64_t gpa, uint64_t len)
{
    if (!mem_range_ok(d, gpa, len, false))
        return -HVE_FAULT;
    memcpy(dst, d->mem + gpa, len);
    return 0;
}

int mem_copy_to_guest(struct domain *d, uint64_t gpa, const void *src, uint64_t len)
{
    if (!mem_range_ok(d, gpa, len, true))
        return -HVE_FAULT;
    memcpy(d->mem + gpa, src, len);
    return 0;
}

static bool page_ballooned(const struct domain *d, uint64_t pfn)
{
    return d->balloon_map[pfn / 64] & (1ULL << (pfn % 64));
}

int64_t mem_balloon(struct domain *d, uint64_t op, uint64_t first_pfn, uint64_t nr)
{
    uint64_t nr_pages = d->mem_max_bytes >> HV_PAGE_SHIFT;
    uint64_t min_pfn = HV_KERNEL_MIN_ADDR >> HV_PAGE_SHIFT;

    if (op != MEMOP_decrease_reservation && op != MEMOP_increase_reservation)
        return -HVE_NOSYS;
    if (nr == 0 || first_pfn < min_pfn || first_pfn >= nr_pages ||
        nr > nr_pages - first_pfn)
        return -HVE_INVAL;

    pthread_mutex_lock(&d->lock);
    if (op == MEMOP_decrease_reservation) {
        if (fallocate(d->mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                      (off_t)(first_pfn << HV_PAGE_SHIFT),
                      (off_t)(nr << HV_PAGE_SHIFT)) < 0) {
            pthread_mutex_unlock(&d->lock);
            return -HVE_IO;
        }
        for (uint64_t p = first_pfn; p < first_pfn + nr; p++) {
            if (!page_ballooned(d, p)) {
                d->balloon_map[p / 64] |= 1ULL << (p % 64);
                d->ballooned_pages++;
            }
        }
    } else {
        /* Nothing to allocate: a released page faults back in, zeroed,
         * when the guest touches it.  Only the accounting changes. */
        for (uint64_t p = first_pfn; p < first_pfn + nr; p++) {
            if (page_ballooned(d, p)) {
                d->balloon_map[p / 64] &= ~(1ULL << (p % 64));
                d->ballooned_pages--;
            }
        }
    }
    pthread_mutex_unlock(&d->lock);
    return (int64_t)nr;
}

uint64_t mem_ballooned_pages(struct domain *d)
{
    pthread_mutex_lock(&d->lock);
    uint64_t n = d->ballooned_pages;
    pthread_mutex_unlock(&d->lock);
    return n;
}
