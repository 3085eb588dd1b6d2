/*
 * dirty_ring.c - KVM dirty rings (dirty_ring.h).
 *
 * Each vCPU's ring is an array KVM fills with (slot, page) entries as the
 * guest writes protected pages.  Harvesting walks a ring from where the
 * last harvest stopped while entries say DIRTY, marks them RESET, and
 * KVM_RESET_DIRTY_RINGS then re-protects those pages.  Two threads may
 * harvest one ring (the migration job, and the vCPU itself when its ring
 * is full), so each ring has a lock.  Pages harvested go to d->ring_dirty
 * when dirty logging is on (the job's bitmap arrives through collect).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dirty_ring.h"
#include "hvcore.h"
#include "public/errno.h"

int dirty_ring_setup(struct domain *d)
{
    const char *env = getenv("HVCORE_DIRTY_RING");
    struct kvm_enable_cap cap = { .cap = KVM_CAP_DIRTY_LOG_RING_ACQ_REL };
    unsigned long entries;

    d->ring_entries = 0;
    if (!env || !*env)
        return 0;
    entries = strtoul(env, NULL, 10);
    /* A power of two of 16-byte entries, within what KVM allows. */
    if (entries < 64 || (entries & (entries - 1)))
        return -HVE_INVAL;
    cap.args[0] = entries * sizeof(struct kvm_dirty_gfn);
    if (ioctl(d->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
        cap.cap = KVM_CAP_DIRTY_LOG_RING;
        if (ioctl(d->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
            return -errno;
    }
    d->ring_entries = (uint32_t)entries;
    return 0;
}

int dirty_ring_map(struct vcpu *v)
{
    struct domain *d = v->dom;
    size_t len = (size_t)d->ring_entries * sizeof(struct kvm_dirty_gfn);

    if (!d->ring_entries)
        return 0;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd,
                   KVM_DIRTY_LOG_PAGE_OFFSET * sysconf(_SC_PAGESIZE));
    if (m == MAP_FAILED)
        return -errno;
    v->ring = m;
    v->ring_next = 0;
    pthread_mutex_init(&v->ring_lock, NULL);
    return 0;
}

void dirty_ring_unmap(struct vcpu *v)
{
    if (v->ring)
        munmap(v->ring, (size_t)v->dom->ring_entries * sizeof(struct kvm_dirty_gfn));
    v->ring = NULL;
}

/* Harvest v's ring into bitmap (atomically: others may OR in too).
 * Returns the entries taken. */
static unsigned harvest(struct vcpu *v, uint64_t *bitmap, uint64_t pages)
{
    struct kvm_dirty_gfn *ring = v->ring;
    uint32_t mask = v->dom->ring_entries - 1;
    unsigned n = 0;

    pthread_mutex_lock(&v->ring_lock);
    for (;;) {
        struct kvm_dirty_gfn *e = &ring[v->ring_next & mask];
        uint32_t flags = __atomic_load_n(&e->flags, __ATOMIC_ACQUIRE);
        if (!(flags & KVM_DIRTY_GFN_F_DIRTY))
            break;
        if (e->slot == 0 && e->offset < pages && bitmap)
            __atomic_fetch_or(&bitmap[e->offset / 64], 1ULL << (e->offset % 64),
                              __ATOMIC_RELAXED);
        __atomic_store_n(&e->flags, KVM_DIRTY_GFN_F_RESET, __ATOMIC_RELEASE);
        v->ring_next++;
        n++;
    }
    pthread_mutex_unlock(&v->ring_lock);
    return n;
}

int dirty_ring_collect(struct domain *d, uint64_t *bitmap)
{
    uint64_t pages = d->mem_max_bytes >> HV_PAGE_SHIFT;
    uint64_t words = (pages + 63) / 64;
    unsigned n = 0;

    for (unsigned i = 0; i < d->max_vcpus; i++)
        if (d->vcpu[i].ring)
            n += harvest(&d->vcpu[i], bitmap, pages);
    uint64_t *extra = __atomic_load_n(&d->ring_dirty, __ATOMIC_ACQUIRE);
    for (uint64_t w = 0; extra && w < words; w++)
        bitmap[w] |= __atomic_exchange_n(&extra[w], 0, __ATOMIC_RELAXED);
    if (n && ioctl(d->vm_fd, KVM_RESET_DIRTY_RINGS, 0) < 0)
        return -errno;
    return 0;
}

void dirty_ring_full(struct vcpu *v)
{
    struct domain *d = v->dom;

    if (!v->ring)
        return;
    if (harvest(v, __atomic_load_n(&d->ring_dirty, __ATOMIC_ACQUIRE),
                d->mem_max_bytes >> HV_PAGE_SHIFT))
        (void)ioctl(d->vm_fd, KVM_RESET_DIRTY_RINGS, 0);
}
