/*
 * virtio.h - pvboot's side of the pv device transport (public/device.h):
 * the device page, the set-up hypercalls, and virtio 1.x split virtqueues
 * with VIRTIO_F_RING_EVENT_IDX and VIRTIO_F_INDIRECT_DESC.
 *
 * Everything here runs on vCPU 0 (queues are bound to it); upcall handlers
 * only set flags, so no locks are needed.  A front end (blk.c, net.c)
 * owns a struct vdev it got from virtio_claim(), adds buffers with
 * vq_add(), tells the device with vq_kick() and takes completions with
 * vq_get_used().  Waiting is vdev_wait(): it asks for a completion event
 * (used_event), re-checks, and blocks the vCPU.
 */
#ifndef PVBOOT_VIRTIO_H
#define PVBOOT_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "public/device.h"

/* The split ring (virtio 1.x, 2.7). */
#define VRING_DESC_F_NEXT     1
#define VRING_DESC_F_WRITE    2
#define VRING_DESC_F_INDIRECT 4

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct vring_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];            /* then uint16_t used_event */
};

struct vring_used_elem {
    uint32_t id;
    uint32_t len;
};

struct vring_used {
    uint16_t flags;
    uint16_t idx;
    struct vring_used_elem ring[]; /* then uint16_t avail_event */
};

/* The EVENT_IDX rule: a notification is due if new_idx moved past
 * event_idx since old_idx (all modulo 2^16). */
static inline bool vring_need_event(uint16_t event_idx, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old_idx);
}

/* Most segments one request may have (header, data pieces, status). */
#define VQ_MAX_SEGS 64

struct vq_seg {
    uint64_t addr;
    uint32_t len;
    bool device_writes;         /* VRING_DESC_F_WRITE */
};

struct vdev;

struct vq {
    struct vdev *dev;
    uint16_t index;             /* queue number in the device            */
    uint16_t size;              /* 0: not set up                         */
    uint16_t qid;               /* HC_dev_notify argument                */
    int port;                   /* event-channel port, 0 if none         */
    struct vring_desc *desc;
    struct vring_avail *avail;
    struct vring_used *used;
    uint16_t *used_event;       /* &avail->ring[size]                    */
    uint16_t *avail_event;      /* &used->ring[size]                     */
    uint16_t avail_idx;         /* our copy of avail->idx                */
    uint16_t kicked_idx;        /* avail_idx at the last kick decision   */
    uint16_t last_used;         /* next used entry to take               */
    uint16_t free_head, num_free;
    void **cookie;              /* per head: what vq_add was given       */
    struct vring_desc *indirect;/* per head: VQ_MAX_SEGS descriptors     */
    uint8_t *is_indirect;       /* per head                              */
    uint64_t ring_pfn, ring_pages; /* what the rings were allocated from */
    volatile bool event;        /* the port fired (set by the upcall)    */
};

enum vdev_status {
    VDEV_ABSENT,                /* no device in the slot (as far as we know) */
    VDEV_SEEN,                  /* there, not claimed by a front end     */
    VDEV_CLAIMED,               /* a front end owns it                   */
};

struct vdev {
    unsigned slot;
    enum vdev_status status;
    uint32_t type;
    uint32_t generation;        /* slot generation we last read          */
    uint32_t state;             /* hv_dev_state we last read             */
    uint64_t offered;           /* device features                       */
    uint64_t features;          /* negotiated                            */
    uint16_t nr_queues, queue_max;
    char id[HV_DEV_ID_MAX];
    uint8_t config[HV_DEV_CONFIG_MAX];
    uint32_t config_len;
    bool gone;                  /* its slot went FREE or was reused      */
    bool needs_reset;           /* NEEDS_RESET seen (or a replacement)   */
    unsigned nvq;
    struct vq vq[HV_DEV_MAX_QUEUES];
    /* Counters for the benchmarks: what the transport cost. */
    uint64_t kicks, blocks, wakeups, resets;
    uint64_t bad_completions;   /* used entries we could not accept      */
};

/* Requests added as a chain of ring descriptors or as one indirect
 * descriptor, over every queue since boot. */
struct virtio_stats {
    uint64_t direct, indirect;
};
extern struct virtio_stats virtio_stats;

/* Bind VIRQ_DEVICE and read the device page.  false if hvcore has no
 * device page (start_info.device_page == 0). */
bool virtio_init(void);

/* Re-read the device page if VIRQ_DEVICE fired (or force): updates every
 * vdev's status, gone and needs_reset.  Returns true if anything changed. */
bool virtio_scan(bool force);

/* The device in slot i as last scanned. */
struct vdev *virtio_slot(unsigned i);

/* A device of this type that no front end owns yet (lowest slot), marked
 * claimed; NULL if none. */
struct vdev *virtio_claim(uint32_t type);
/* Give a gone device's slot back (its next device is a new one). */
void virtio_release(struct vdev *d);

/* Negotiate (wanted & offered, plus VERSION_1, EVENT_IDX and
 * INDIRECT_DESC where offered), set up queues 0..nvq-1 of up to qsize
 * entries each and start.  Waits up to timeout_ns for READY.  0 or a
 * negative HVE_* code; -HVE_NODEV if the device went away. */
long vdev_start(struct vdev *d, uint64_t wanted, unsigned nvq, uint16_t qsize,
                uint64_t timeout_ns);
/* DEVOP_reset, hand every request that was in flight to requeue (the
 * device no longer owns it), wait for READY and vdev_start again with the
 * same features and queues.  The rings come back empty: the caller
 * resubmits what requeue collected. */
long vdev_restart(struct vdev *d, void (*requeue)(void *cookie, void *arg), void *arg,
                  uint64_t timeout_ns);
/* DEVOP_reset only (the device stops touching the rings). */
long vdev_reset(struct vdev *d);

static inline bool vdev_has(const struct vdev *d, unsigned bit)
{
    return (d->features >> bit) & 1;
}

/* Add a request of n segments; cookie comes back from vq_get_used.
 * Uses a chain of ring descriptors if n fits in the free ones, else one
 * indirect descriptor (if negotiated).  -HVE_NOSPC if the ring is full,
 * -HVE_INVAL if n is too big. */
long vq_add(struct vq *q, const struct vq_seg *segs, unsigned n, void *cookie);
/* Publish what vq_add added and notify the device if EVENT_IDX says so
 * (or always without EVENT_IDX). */
void vq_kick(struct vq *q);
/* One completed request's cookie (and the bytes the device wrote), or
 * NULL if none is there.  A used entry for a descriptor that is not in
 * flight, or a used index more than the requests in flight ahead, marks
 * the device needs_reset (and is not taken). */
void *vq_get_used(struct vq *q, uint32_t *len);
/* Requests added but not completed. */
static inline unsigned vq_in_flight(const struct vq *q)
{
    return q->size ? (unsigned)(q->size - q->num_free) : 0;
}
/* Detach every outstanding request from the ring (after a reset: the
 * device no longer owns them); fn(cookie) for each, in ring order. */
void vq_drain_all(struct vq *q, void (*fn)(void *cookie, void *arg), void *arg);

/*
 * Block until a queue of d has a completion, the device page changed, or
 * deadline_ns (system time; 0: none) passed.  Asks for completion events
 * first (used_event = last_used) and re-checks, so nothing is missed.
 * Upcalls keep running (shutdown, console).
 */
void vdev_wait(struct vdev *d, uint64_t deadline_ns);
/* Block for any device's completion or change (several devices at once). */
void virtio_wait_any(uint64_t deadline_ns);

/* The raw hypercalls, for hostile-virtq. */
long hc_dev_op(unsigned op, unsigned dev, uint64_t arg);
void hc_dev_notify(unsigned qid);

/* Config space reads (little-endian, as x86). */
static inline uint64_t vdev_config64(const struct vdev *d, unsigned off)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < 8 && off + i < HV_DEV_CONFIG_MAX; i++)
        v |= (uint64_t)d->config[off + i] << (8 * i);
    return v;
}

static inline uint32_t vdev_config32(const struct vdev *d, unsigned off)
{
    return (uint32_t)vdev_config64(d, off);
}

static inline uint16_t vdev_config16(const struct vdev *d, unsigned off)
{
    return (uint16_t)vdev_config64(d, off);
}

#endif /* PVBOOT_VIRTIO_H */
