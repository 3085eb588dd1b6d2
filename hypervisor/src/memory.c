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
#include <sys/stat.h>
#include <unistd.h>

#include "hvcore.h"
#include "dirty_ring.h"
#include "memory.h"
#include "public/errno.h"
#include "public/layout.h"

/* Guest RAM's slot 0, with flags (KVM_MEM_LOG_DIRTY_PAGES or 0). */
static int set_slot(struct domain *d, uint32_t flags)
{
    struct kvm_userspace_memory_region region = {
        .slot = 0,
        .flags = flags,
        .guest_phys_addr = 0,
        .memory_size = d->mem_max_bytes,
        .userspace_addr = (uint64_t)(uintptr_t)d->mem,
    };

    return ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? -errno : 0;
}

/* What hvcore asks of every mapping of guest RAM. */
static void advise(void *addr, size_t len)
{
    /* Guest RAM is not worth a core dump of gigabytes, and must not be
     * inherited by anything hvcore might fork. */
    madvise(addr, len, MADV_DONTDUMP);
    madvise(addr, len, MADV_DONTFORK);
}

/* A memfd of size bytes mapped shared at *mem.  0 or -errno. */
static int make_ram(uint64_t size, int *fd, uint8_t **mem)
{
    int r;

    *fd = memfd_create("hvcore-guest-ram", MFD_CLOEXEC);
    if (*fd < 0)
        return -errno;
    *mem = NULL;
    if (ftruncate(*fd, (off_t)size) < 0)
        goto fail;
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
    if (m == MAP_FAILED)
        goto fail;
    *mem = m;
    advise(m, size);
    return 0;
fail:
    r = -errno;
    close(*fd);
    *fd = -1;
    return r;
}

int mem_reserve(struct domain *d, uint64_t size)
{
    int r = make_ram(size, &d->reserved_fd, &d->reserved_mem);

    if (r < 0)
        return r;
    d->reserved_bytes = size;
    /* Allocate and map every page now, in bulk: on a host where a fresh
     * page is expensive (a VM whose free pages go back to its host) this
     * is most of what receiving a gigabyte costs. */
    if (madvise(d->reserved_mem, size, MADV_POPULATE_WRITE) < 0) {
        r = -errno;
        mem_unreserve(d);
        return r;
    }
    return 0;
}

void mem_unreserve(struct domain *d)
{
    if (d->reserved_mem)
        munmap(d->reserved_mem, d->reserved_bytes);
    if (d->reserved_fd >= 0)
        close(d->reserved_fd);
    d->reserved_mem = NULL;
    d->reserved_fd = -1;
    d->reserved_bytes = 0;
}

int mem_create(struct domain *d)
{
    uint64_t size = d->mem_max_bytes;
    uint64_t pages = size >> HV_PAGE_SHIFT;
    int r;

    if (d->reserved_mem && d->reserved_bytes == size) {
        /* Populated zero pages, as a fresh memfd would read. */
        d->mem_fd = d->reserved_fd;
        d->mem = d->reserved_mem;
        d->reserved_fd = -1;
        d->reserved_mem = NULL;
        d->reserved_bytes = 0;
    } else {
        mem_unreserve(d);
        r = make_ram(size, &d->mem_fd, &d->mem);
        if (r < 0)
            return r;
    }

    d->balloon_map = calloc((pages + 63) / 64, sizeof(uint64_t));
    if (!d->balloon_map)
        return -HVE_NOMEM;
    return set_slot(d, 0);
}

void mem_destroy(struct domain *d)
{
    mem_unreserve(d);
    if (d->mem)
        munmap(d->mem, d->mem_max_bytes);
    d->mem = NULL;
    if (d->mem_fd >= 0)
        close(d->mem_fd);
    d->mem_fd = -1;
    free(d->balloon_map);
    d->balloon_map = NULL;
    free(d->hv_dirty);
    free(d->hv_dirty_old);
    free(d->ring_dirty);
    free(d->ring_dirty_old);
    d->hv_dirty = d->hv_dirty_old = d->ring_dirty = d->ring_dirty_old = NULL;
}

int mem_reset(struct domain *d)
{
    uint64_t pages = d->mem_max_bytes >> HV_PAGE_SHIFT;

    /* A domain restored from a file reboots into fresh memfd pages: the
     * file's private mapping goes. */
    if (d->mem_image) {
        void *m = mmap(d->mem, d->mem_max_bytes, PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_FIXED, d->mem_fd, 0);
        if (m == MAP_FAILED)
            return -errno;
        advise(d->mem, d->mem_max_bytes);
        d->mem_image = false;
    }
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
    mem_note_write(d, gpa, len);
    return 0;
}

void mem_note_write(struct domain *d, uint64_t gpa, uint64_t len)
{
    uint64_t *map = __atomic_load_n(&d->hv_dirty, __ATOMIC_ACQUIRE);

    if (!map || len == 0)
        return;
    for (uint64_t p = gpa >> HV_PAGE_SHIFT; p <= (gpa + len - 1) >> HV_PAGE_SHIFT; p++)
        __atomic_fetch_or(&map[p / 64], 1ULL << (p % 64), __ATOMIC_RELAXED);
}

int mem_discard(struct domain *d, uint64_t pfn, uint64_t n)
{
    off_t off = (off_t)(pfn << HV_PAGE_SHIFT), len = (off_t)(n << HV_PAGE_SHIFT);

    if (d->mem_image) {
        /* Private file pages: anonymous zero pages take their place (a
         * hole punched in the memfd would not show through). */
        void *at = d->mem + off;
        if (mmap(at, (size_t)len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
            return -errno;
        advise(at, (size_t)len);
        return 0;
    }
    if (fallocate(d->mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) < 0)
        return -errno;
    return 0;
}

int mem_map_image(struct domain *d, int fd, uint64_t offset)
{
    void *m = mmap(d->mem, d->mem_max_bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_FIXED, fd, (off_t)offset);

    if (m == MAP_FAILED)
        return -errno;
    advise(d->mem, d->mem_max_bytes);
    d->mem_image = true;
    /* The memfd's pages are not guest memory any more. */
    (void)fallocate(d->mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                    (off_t)d->mem_max_bytes);
    return 0;
}

bool mem_mostly_data(struct domain *d)
{
    struct stat st;

    if (d->mem_image)
        return true;
    /* Blocks of 512 bytes the memfd holds: 7/8 of its size or more. */
    return fstat(d->mem_fd, &st) == 0 &&
           (uint64_t)st.st_blocks * 512 >= d->mem_max_bytes / 8 * 7;
}

uint64_t mem_next_data(struct domain *d, uint64_t pfn, uint64_t *end)
{
    uint64_t pages = d->mem_max_bytes >> HV_PAGE_SHIFT;
    off_t at, hole;

    *end = pages;
    if (pfn >= pages)
        return pages;
    if (d->mem_image)
        return pfn;             /* no cheap way to tell: callers check */
    at = lseek(d->mem_fd, (off_t)(pfn << HV_PAGE_SHIFT), SEEK_DATA);
    if (at < 0)
        return errno == ENXIO ? pages : pfn;
    hole = lseek(d->mem_fd, at, SEEK_HOLE);
    if (hole > at)
        *end = ((uint64_t)hole + HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT;
    if (*end > pages)
        *end = pages;
    return (uint64_t)at >> HV_PAGE_SHIFT;
}

bool mem_page_is_zero(const struct domain *d, uint64_t pfn)
{
    const uint64_t *w = (const uint64_t *)(d->mem + (pfn << HV_PAGE_SHIFT));
    uint64_t acc = 0;

    /* Most pages that are not zero say so in their first word. */
    if (w[0])
        return false;
    for (size_t i = 0; i < HV_PAGE_SIZE / 8; i += 8)
        acc |= w[i] | w[i + 1] | w[i + 2] | w[i + 3] | w[i + 4] | w[i + 5] | w[i + 6] |
               w[i + 7];
    return acc == 0;
}

/* Dirty logging ---------------------------------------------------------- */

/* With dirty rings: logging on, the rings fill as the guest writes. */
static int ring_start(struct domain *d)
{
    uint64_t words = ((d->mem_max_bytes >> HV_PAGE_SHIFT) + 63) / 64;
    uint64_t *map = calloc(words, sizeof(uint64_t));
    uint64_t *ring = calloc(words, sizeof(uint64_t));
    int ret;

    if (!map || !ring) {
        free(map);
        free(ring);
        return -HVE_NOMEM;
    }
    __atomic_store_n(&d->hv_dirty, map, __ATOMIC_RELEASE);
    __atomic_store_n(&d->ring_dirty, ring, __ATOMIC_RELEASE);
    ret = set_slot(d, KVM_MEM_LOG_DIRTY_PAGES);
    if (ret < 0)
        mem_dirty_stop(d);
    return ret;
}

int mem_dirty_start(struct domain *d)
{
    if (d->ring_entries)
        return ring_start(d);
    uint64_t words = ((d->mem_max_bytes >> HV_PAGE_SHIFT) + 63) / 64;
    struct kvm_enable_cap cap = {
        .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
        /* Manual protect: re-protecting is a separate step (CLEAR), done
         * just before a page is sent.  Initially set: turning logging on
         * costs nothing; the first fetch sees every page dirty. */
        .args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE | KVM_DIRTY_LOG_INITIALLY_SET },
    };
    uint64_t *map = calloc(words, sizeof(uint64_t));
    int ret;

    if (!map)
        return -HVE_NOMEM;
    if (ioctl(d->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
        ret = -errno;
        free(map);
        return ret;
    }
    __atomic_store_n(&d->hv_dirty, map, __ATOMIC_RELEASE);
    ret = set_slot(d, KVM_MEM_LOG_DIRTY_PAGES);
    if (ret < 0)
        mem_dirty_stop(d);
    return ret;
}

int mem_dirty_fetch(struct domain *d, uint64_t *bitmap)
{
    uint64_t pages = d->mem_max_bytes >> HV_PAGE_SHIFT;
    uint64_t words = (pages + 63) / 64;

    if (d->ring_entries) {
        memset(bitmap, 0, words * sizeof(uint64_t));
        int r = dirty_ring_collect(d, bitmap);
        for (uint64_t i = 0; r == 0 && i < words; i++)
            bitmap[i] |= __atomic_exchange_n(&d->hv_dirty[i], 0, __ATOMIC_RELAXED);
        return r;
    }
    struct kvm_dirty_log log = { .slot = 0, .dirty_bitmap = bitmap };

    if (ioctl(d->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
        return -errno;
    /* Re-protect exactly the pages about to be sent: a write from here on
     * marks them again for the next round. */
    struct kvm_clear_dirty_log clear = {
        .slot = 0, .first_page = 0, .num_pages = (uint32_t)pages, .dirty_bitmap = bitmap,
    };
    if (ioctl(d->vm_fd, KVM_CLEAR_DIRTY_LOG, &clear) < 0)
        return -errno;
    for (uint64_t i = 0; i < words; i++)
        bitmap[i] |= __atomic_exchange_n(&d->hv_dirty[i], 0, __ATOMIC_RELAXED);
    return 0;
}

void mem_dirty_stop(struct domain *d)
{
    uint64_t *map = __atomic_exchange_n(&d->hv_dirty, NULL, __ATOMIC_ACQ_REL);
    uint64_t *ring = __atomic_exchange_n(&d->ring_dirty, NULL, __ATOMIC_ACQ_REL);

    if (ring) {
        free(d->ring_dirty_old);
        d->ring_dirty_old = ring;
    }

    (void)set_slot(d, 0);
    /* A vCPU thread may be in mem_note_write with the old pointer: the
     * map is freed with the domain (mem_destroy), not here. */
    if (map) {
        free(d->hv_dirty_old);
        d->hv_dirty_old = map;
    }
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
        if (mem_discard(d, first_pfn, nr) < 0) {
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
