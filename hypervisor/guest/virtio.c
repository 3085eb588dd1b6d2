/*
 * virtio.c - the pv device transport (device page, HC_dev_op,
 * HC_dev_notify) and split virtqueues with EVENT_IDX and indirect
 * descriptors.
 *
 * Completions are taken by polling the used ring; an event is asked for
 * (used_event) only when a caller is about to block, so a busy guest is
 * not interrupted and an idle one sleeps.  Queue ports are not given
 * handlers: the event only has to end SCHEDOP_block (vCPU 0 drops
 * pending bits of ports nobody registered).
 */
#include "evtchn.h"
#include "hypercall.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "printf.h"
#include "time.h"
#include "virtio.h"

static const struct hv_device_page *page;
static uint32_t page_generation;
static struct vdev devs[HV_DEV_MAX];
static long virq_port;
struct virtio_stats virtio_stats;

/* What vdev_start needs to do it again after a reset. */
static struct {
    uint64_t wanted;
    unsigned nvq;
    uint16_t qsize;
} params[HV_DEV_MAX];

long hc_dev_op(unsigned op, unsigned dev, uint64_t arg)
{
    return hypercall(HC_dev_op, op, dev, arg, 0, 0);
}

void hc_dev_notify(unsigned qid)
{
    hypercall(HC_dev_notify, qid, 0, 0, 0, 0);
}

/* Stores to the rings must be visible before the load that decides
 * about a notification (x86 reorders a store after a later load). */
static inline void mb(void)
{
    __asm__ volatile("mfence" ::: "memory");
}

static void device_event(unsigned port, void *arg)
{
    (void)port;
    (void)arg;                  /* waking from SCHEDOP_block is enough */
}

/* A consistent copy of slot i (the generation is odd while hvcore
 * writes it, as pvclock's version). */
static void read_slot(unsigned i, struct hv_dev_info *out)
{
    const struct hv_dev_info *s = &page->dev[i];

    for (;;) {
        uint32_t g = __atomic_load_n(&s->generation, __ATOMIC_ACQUIRE);

        if (g & 1) {
            cpu_relax();
            continue;
        }
        memcpy(out, (const void *)s, sizeof(*out));
        barrier();
        if (__atomic_load_n(&s->generation, __ATOMIC_ACQUIRE) == g) {
            out->generation = g;
            return;
        }
    }
}

static void take_info(struct vdev *d, const struct hv_dev_info *s)
{
    d->type = s->type;
    d->offered = s->features;
    d->nr_queues = s->nr_queues;
    d->queue_max = s->queue_max;
    memcpy(d->id, s->id, sizeof(d->id));
    d->id[sizeof(d->id) - 1] = '\0';
    d->config_len = s->config_len < HV_DEV_CONFIG_MAX ? s->config_len : HV_DEV_CONFIG_MAX;
    memcpy(d->config, s->config, sizeof(d->config));
}

static bool same_device(const struct vdev *d, const struct hv_dev_info *s)
{
    return d->type == s->type && strncmp(d->id, s->id, sizeof(d->id) - 1) == 0;
}

/* Follow slot i to what it says now.  Returns true if it changed. */
static bool scan_slot(unsigned i, bool force)
{
    struct vdev *d = &devs[i];
    struct hv_dev_info s;

    if (!force && __atomic_load_n(&page->dev[i].generation, __ATOMIC_ACQUIRE) == d->generation)
        return false;
    read_slot(i, &s);
    if (!force && s.generation == d->generation)
        return false;
    d->generation = s.generation;
    if (s.type == HV_DEV_TYPE_NONE || s.state == HV_DEV_STATE_FREE) {
        if (d->status == VDEV_SEEN)
            d->status = VDEV_ABSENT;
        else if (d->status == VDEV_CLAIMED)
            d->gone = true;
        d->state = HV_DEV_STATE_FREE;
        return true;
    }
    switch (d->status) {
    case VDEV_ABSENT:
        take_info(d, &s);
        d->status = VDEV_SEEN;
        d->gone = false;
        d->needs_reset = false;
        break;
    case VDEV_SEEN:
        take_info(d, &s);
        break;
    case VDEV_CLAIMED:
        if (!same_device(d, &s)) {
            /* Detached and another device attached before we looked:
             * the old one is gone. */
            d->gone = true;
            break;
        }
        /* RUNNING turns READY or CONNECTING only through our own reset,
         * so seeing it there while we run means the device was replaced
         * under the same id: set it up again like a broken one. */
        if (s.state == HV_DEV_STATE_NEEDS_RESET ||
            (d->state == HV_DEV_STATE_RUNNING && s.state != HV_DEV_STATE_RUNNING))
            d->needs_reset = true;
        take_info(d, &s);
        break;
    }
    d->state = s.state;
    return true;
}

bool virtio_scan(bool force)
{
    bool changed = false;
    uint32_t g;

    if (!page)
        return false;
    g = __atomic_load_n(&page->generation, __ATOMIC_ACQUIRE);
    if (!force && g == page_generation)
        return false;
    page_generation = g;
    for (unsigned i = 0; i < HV_DEV_MAX; i++)
        changed |= scan_slot(i, force);
    return changed;
}

bool virtio_init(void)
{
    if (page)
        return true;
    if (!start_info->device_page)
        return false;
    page = (const struct hv_device_page *)(uintptr_t)start_info->device_page;
    if (page->magic != HV_DEVICE_PAGE_MAGIC)
        panic("device page magic %#llx", (unsigned long long)page->magic);
    for (unsigned i = 0; i < HV_DEV_MAX; i++)
        devs[i].slot = i;
    virq_port = evtchn_bind_virq(VIRQ_DEVICE, 0, device_event, NULL);
    if (virq_port < 0)
        panic("cannot bind VIRQ_DEVICE: %ld", virq_port);
    virtio_scan(true);
    return true;
}

struct vdev *virtio_slot(unsigned i)
{
    return i < HV_DEV_MAX ? &devs[i] : NULL;
}

struct vdev *virtio_claim(uint32_t type)
{
    virtio_scan(false);
    for (unsigned i = 0; i < HV_DEV_MAX; i++) {
        struct vdev *d = &devs[i];

        if (d->status == VDEV_SEEN && d->type == type) {
            d->status = VDEV_CLAIMED;
            return d;
        }
    }
    return NULL;
}

static void free_rings(struct vq *q)
{
    if (q->ring_pages)
        mm_free_pages(q->ring_pfn, q->ring_pages);
    q->ring_pages = 0;
    q->size = 0;
}

void virtio_release(struct vdev *d)
{
    for (unsigned i = 0; i < HV_DEV_MAX_QUEUES; i++)
        free_rings(&d->vq[i]);
    d->status = VDEV_ABSENT;
    d->gone = false;
    d->needs_reset = false;
    d->nvq = 0;
    virtio_scan(true);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) & ~(a - 1);
}

/*
 * One run of pages per queue: descriptor table, available ring (with
 * used_event), used ring (with avail_event) on its own page, then the
 * per-head bookkeeping and indirect tables.
 */
static long alloc_rings(struct vq *q, uint16_t size)
{
    uint64_t desc_b = 16ULL * size;
    uint64_t avail_off = desc_b;
    uint64_t used_off = align_up(avail_off + 6 + 2ULL * size, HV_PAGE_SIZE);
    uint64_t cookie_off = align_up(used_off + 6 + 8ULL * size, 64);
    uint64_t flags_off = cookie_off + 8ULL * size;
    uint64_t ind_off = align_up(flags_off + size, 16);
    uint64_t total = ind_off + 16ULL * VQ_MAX_SEGS * size;
    uint64_t pages = align_up(total, HV_PAGE_SIZE) >> HV_PAGE_SHIFT;
    long pfn;

    if (q->ring_pages && q->size == size) {
        memset(pfn_to_ptr(q->ring_pfn), 0, q->ring_pages << HV_PAGE_SHIFT);
        return 0;
    }
    free_rings(q);
    pfn = mm_alloc_pages(pages);
    if (pfn < 0)
        return pfn;
    uint8_t *base = pfn_to_ptr((uint64_t)pfn);
    memset(base, 0, pages << HV_PAGE_SHIFT);
    q->ring_pfn = (uint64_t)pfn;
    q->ring_pages = pages;
    q->size = size;
    q->desc = (struct vring_desc *)base;
    q->avail = (struct vring_avail *)(base + avail_off);
    q->used = (struct vring_used *)(base + used_off);
    q->cookie = (void **)(base + cookie_off);
    q->is_indirect = base + flags_off;
    q->indirect = (struct vring_desc *)(base + ind_off);
    q->used_event = &q->avail->ring[size];
    q->avail_event = (uint16_t *)&q->used->ring[size];
    return 0;
}

static void reset_ring_state(struct vq *q)
{
    for (uint16_t i = 0; i < q->size; i++)
        q->desc[i].next = (uint16_t)(i + 1);
    q->free_head = 0;
    q->num_free = q->size;
    q->avail_idx = q->kicked_idx = q->last_used = 0;
}

static uint16_t pow2_floor(uint16_t v)
{
    uint16_t p = 1;

    while ((uint32_t)p * 2 <= v)
        p = (uint16_t)(p * 2);
    return p;
}

static long setup_queue(struct vdev *d, unsigned index, uint16_t want)
{
    struct vq *q = &d->vq[index];
    uint16_t size = pow2_floor(want < d->queue_max ? want : d->queue_max);
    struct hv_dev_queue hq;
    long rc = alloc_rings(q, size);

    if (rc < 0)
        return rc;
    q->dev = d;
    q->index = (uint16_t)index;
    q->qid = (uint16_t)(d->slot * HV_DEV_MAX_QUEUES + index);
    reset_ring_state(q);
    /* No completion events until someone waits (vdev_wait sets it). */
    WRITE_ONCE(*q->used_event, (uint16_t)0x8000);
    memset(&hq, 0, sizeof(hq));
    hq.index = (uint16_t)index;
    hq.size = size;
    hq.vcpu = 0;
    hq.desc = (uint64_t)(uintptr_t)q->desc;
    hq.avail = (uint64_t)(uintptr_t)q->avail;
    hq.used = (uint64_t)(uintptr_t)q->used;
    rc = hc_dev_op(DEVOP_setup_queue, d->slot, (uint64_t)(uintptr_t)&hq);
    if (rc <= 0)
        return rc < 0 ? rc : -HVE_IO;
    q->port = (int)rc;
    return 0;
}

/* Wait until the device is READY (resetting it if it needs it). */
static long wait_ready(struct vdev *d, uint64_t deadline)
{
    for (;;) {
        virtio_scan(false);
        if (d->gone)
            return -HVE_NOENT;
        if (d->state == HV_DEV_STATE_READY)
            return 0;
        if (d->state == HV_DEV_STATE_NEEDS_RESET || d->state == HV_DEV_STATE_RUNNING) {
            long rc = hc_dev_op(DEVOP_reset, d->slot, 0);
            d->resets++;
            if (rc < 0 && rc != -HVE_AGAIN)
                return rc;
            virtio_scan(true);
            continue;
        }
        if (time_now_ns() >= deadline)
            return -HVE_TIMEDOUT;
        /* CONNECTING: VIRQ_DEVICE says when it changes; poll too. */
        virtio_wait_any(time_now_ns() + 50 * NS_PER_MS < deadline
                            ? time_now_ns() + 50 * NS_PER_MS : deadline);
    }
}

long vdev_start(struct vdev *d, uint64_t wanted, unsigned nvq, uint16_t qsize,
                uint64_t timeout_ns)
{
    uint64_t deadline = time_now_ns() + timeout_ns;
    long rc;

    if (nvq == 0 || nvq > HV_DEV_MAX_QUEUES)
        return -HVE_INVAL;
    params[d->slot].wanted = wanted;
    params[d->slot].nvq = nvq;
    params[d->slot].qsize = qsize;
    for (;;) {
        rc = wait_ready(d, deadline);
        if (rc < 0)
            return rc;
        if (nvq > d->nr_queues)
            return -HVE_INVAL;
        if (!(d->offered & (1ULL << HV_VIRTIO_F_VERSION_1)))
            return -HVE_INVAL;
        d->features = d->offered & (wanted | (1ULL << HV_VIRTIO_F_VERSION_1) |
                                    (1ULL << HV_VIRTIO_F_RING_EVENT_IDX) |
                                    (1ULL << HV_VIRTIO_F_INDIRECT_DESC));
        rc = hc_dev_op(DEVOP_set_features, d->slot, d->features);
        for (unsigned i = 0; rc >= 0 && i < nvq; i++)
            rc = setup_queue(d, i, qsize);
        if (rc >= 0)
            rc = hc_dev_op(DEVOP_start, d->slot, 0);
        if (rc >= 0)
            break;
        /* The back end went away in between (or is not back yet): start
         * over from the reset; anything else is final. */
        virtio_scan(true);
        if (d->gone)
            return -HVE_NOENT;
        if (rc != -HVE_AGAIN && d->state != HV_DEV_STATE_NEEDS_RESET &&
            d->state != HV_DEV_STATE_CONNECTING)
            return rc;
        if (time_now_ns() >= deadline)
            return -HVE_TIMEDOUT;
    }
    d->nvq = nvq;
    d->needs_reset = false;
    d->state = HV_DEV_STATE_RUNNING;
    /* Our own transition: do not take it for a replacement. */
    virtio_scan(true);
    if (d->state == HV_DEV_STATE_RUNNING)
        d->needs_reset = false;
    return 0;
}

long vdev_reset(struct vdev *d)
{
    long rc = hc_dev_op(DEVOP_reset, d->slot, 0);

    d->resets++;
    for (unsigned i = 0; i < d->nvq; i++)
        d->vq[i].port = 0;
    virtio_scan(true);
    return rc;
}

long vdev_restart(struct vdev *d, void (*requeue)(void *cookie, void *arg), void *arg,
                  uint64_t timeout_ns)
{
    vdev_reset(d);
    /* The device stopped touching the rings: what it had is ours again. */
    for (unsigned i = 0; i < d->nvq; i++)
        vq_drain_all(&d->vq[i], requeue, arg);
    if (d->gone)
        return -HVE_NOENT;
    return vdev_start(d, params[d->slot].wanted, params[d->slot].nvq,
                      params[d->slot].qsize, timeout_ns);
}

long vq_add(struct vq *q, const struct vq_seg *segs, unsigned n, void *cookie)
{
    bool indirect;
    uint16_t head, i, prev = 0;

    if (n == 0 || n > VQ_MAX_SEGS || !q->size)
        return -HVE_INVAL;
    if (q->num_free == 0)
        return -HVE_NOSPC;
    indirect = n > q->num_free;
    if (indirect && (n == 1 || !vdev_has(q->dev, HV_VIRTIO_F_INDIRECT_DESC)))
        return -HVE_NOSPC;
    head = q->free_head;
    if (indirect) {
        struct vring_desc *t = &q->indirect[(uint32_t)head * VQ_MAX_SEGS];

        for (unsigned k = 0; k < n; k++) {
            t[k].addr = segs[k].addr;
            t[k].len = segs[k].len;
            t[k].flags = (uint16_t)((segs[k].device_writes ? VRING_DESC_F_WRITE : 0) |
                                    (k + 1 < n ? VRING_DESC_F_NEXT : 0));
            t[k].next = (uint16_t)(k + 1 < n ? k + 1 : 0);
        }
        q->desc[head].addr = (uint64_t)(uintptr_t)t;
        q->desc[head].len = (uint32_t)(16 * n);
        q->desc[head].flags = VRING_DESC_F_INDIRECT;
        q->free_head = q->desc[head].next;
        q->num_free--;
        virtio_stats.indirect++;
    } else {
        i = head;
        for (unsigned k = 0; k < n; k++) {
            q->desc[i].addr = segs[k].addr;
            q->desc[i].len = segs[k].len;
            q->desc[i].flags = (uint16_t)((segs[k].device_writes ? VRING_DESC_F_WRITE : 0) |
                                          VRING_DESC_F_NEXT);
            prev = i;
            i = q->desc[i].next;
        }
        q->desc[prev].flags &= (uint16_t)~VRING_DESC_F_NEXT;
        q->free_head = i;
        q->num_free = (uint16_t)(q->num_free - n);
        virtio_stats.direct++;
    }
    q->cookie[head] = cookie;
    q->is_indirect[head] = indirect;
    q->avail->ring[q->avail_idx & (q->size - 1)] = head;
    barrier();                  /* x86: stores stay in order */
    q->avail_idx++;
    WRITE_ONCE(q->avail->idx, q->avail_idx);
    return 0;
}

void vq_kick(struct vq *q)
{
    uint16_t old = q->kicked_idx, now = q->avail_idx;
    bool need;

    if (old == now)
        return;
    mb();
    if (vdev_has(q->dev, HV_VIRTIO_F_RING_EVENT_IDX))
        need = vring_need_event(READ_ONCE(*q->avail_event), now, old);
    else
        need = !(READ_ONCE(q->used->flags) & 1);  /* VRING_USED_F_NO_NOTIFY */
    q->kicked_idx = now;
    if (need) {
        q->dev->kicks++;
        hc_dev_notify(q->qid);
    }
}

/* Put the descriptors of head back on the free list. */
static void free_chain(struct vq *q, uint16_t head)
{
    uint16_t i = head, n = 1;

    if (!q->is_indirect[head]) {
        while (q->desc[i].flags & VRING_DESC_F_NEXT) {
            i = q->desc[i].next;
            n++;
        }
    }
    q->desc[i].next = q->free_head;
    q->free_head = head;
    q->num_free = (uint16_t)(q->num_free + n);
    q->cookie[head] = NULL;
}

void *vq_get_used(struct vq *q, uint32_t *len)
{
    struct vring_used_elem e;
    void *cookie;

    uint16_t used_idx;

    if (!q->size || q->dev->needs_reset || q->last_used == (used_idx = READ_ONCE(q->used->idx)))
        return NULL;
    barrier();                  /* x86: loads stay in order */
    e = q->used->ring[q->last_used & (q->size - 1)];
    /* A device that completes more than was in flight, or a descriptor
     * that is not, cannot be trusted with the ring any more: treat it as
     * one that needs a reset (the front end resets it and submits again
     * what was in flight), as virtio's DEVICE_NEEDS_RESET would. */
    if ((uint16_t)(used_idx - q->last_used) > vq_in_flight(q) || e.id >= q->size ||
        !q->cookie[e.id]) {
        q->dev->needs_reset = true;
        q->dev->bad_completions++;
        return NULL;
    }
    q->last_used++;
    cookie = q->cookie[e.id];
    free_chain(q, (uint16_t)e.id);
    if (len)
        *len = e.len;
    return cookie;
}

void vq_drain_all(struct vq *q, void (*fn)(void *cookie, void *arg), void *arg)
{
    /* Only heads carry a cookie (free_chain clears it), so every request
     * still in flight is found by its head. */
    for (uint16_t head = 0; head < q->size; head++) {
        void *c = q->cookie[head];

        if (!c)
            continue;
        q->cookie[head] = NULL;
        if (fn)
            fn(c, arg);
    }
    if (q->size)
        reset_ring_state(q);
}

static bool queue_has_used(const struct vq *q)
{
    return q->size && q->last_used != READ_ONCE(q->used->idx);
}

/* With upcalls masked: ask for an event from each live queue of d and
 * tell whether something is already there to take. */
static bool arm_and_check(struct vdev *d)
{
    bool ready = false;

    if (d->status != VDEV_CLAIMED)
        return false;
    for (unsigned i = 0; i < d->nvq; i++) {
        struct vq *q = &d->vq[i];

        if (!q->size)
            continue;
        WRITE_ONCE(*q->used_event, q->last_used);
    }
    mb();
    for (unsigned i = 0; i < d->nvq; i++)
        ready |= queue_has_used(&d->vq[i]);
    return ready;
}

static void block_until(bool ready, uint64_t deadline_ns, struct vdev *d)
{
    if (ready || __atomic_load_n(&page->generation, __ATOMIC_ACQUIRE) != page_generation ||
        (deadline_ns && time_now_ns() >= deadline_ns)) {
        irq_enable();
        return;
    }
    if (deadline_ns)
        hc_set_timer(deadline_ns);
    if (d)
        d->blocks++;
    sched_block();              /* returns unmasked, upcalls run */
    if (d)
        d->wakeups++;
}

void vdev_wait(struct vdev *d, uint64_t deadline_ns)
{
    irq_save();
    block_until(arm_and_check(d), deadline_ns, d);
}

void virtio_wait_any(uint64_t deadline_ns)
{
    bool ready = false;

    irq_save();
    for (unsigned i = 0; page && i < HV_DEV_MAX; i++)
        ready |= arm_and_check(&devs[i]);
    block_until(ready, deadline_ns, NULL);
}
