/*
 * virtq.h - the device side of a virtio 1.x split virtqueue, with
 * VIRTIO_F_RING_EVENT_IDX and VIRTIO_F_INDIRECT_DESC.
 *
 * The rings live in guest memory and the guest may change them at any
 * moment: every index and descriptor is read once into a local copy,
 * checked, and only the copy is used.  A chain that cannot be trusted (a
 * loop, a chain longer than the queue, an indirect table inside an
 * indirect table or of a bad length, a buffer that wraps or lies outside
 * guest memory, an available index running more than the queue size
 * ahead) breaks the queue: virtq_pop() returns -1, the queue stays broken
 * until it is set up again, and vq->error says why in one line.
 */
#ifndef HV_BACKENDS_VIRTQ_H
#define HV_BACKENDS_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vu_mem.h"

#define VIRTQ_DESC_F_NEXT      1
#define VIRTQ_DESC_F_WRITE     2
#define VIRTQ_DESC_F_INDIRECT  4
#define VIRTQ_USED_F_NO_NOTIFY 1
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

#define VIRTQ_MAX_SIZE 32768u      /* the spec's largest queue               */
#define VIRTQ_MAX_SEGS 256u        /* buffers (iovecs) one request may have  */
#define VIRTQ_MAX_INDIRECT 1024u   /* descriptors in one indirect table      */

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[];            /* num entries, then used_event           */
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[]; /* num entries, then avail_event       */
};

/* Ring sizes in bytes for a queue of num entries (with the event words). */
#define VIRTQ_DESC_BYTES(num)  (16ull * (num))
#define VIRTQ_AVAIL_BYTES(num) (6ull + 2ull * (num))
#define VIRTQ_USED_BYTES(num)  (6ull + 8ull * (num))

struct virtq {
    unsigned index;             /* queue number, for messages              */
    uint16_t num;               /* power of two, 1..VIRTQ_MAX_SIZE          */
    struct virtq_desc *desc;    /* host addresses of the three rings       */
    struct virtq_avail *avail;
    struct virtq_used *used;
    const struct vu_mem *mem;
    bool event_idx;             /* VIRTIO_F_RING_EVENT_IDX negotiated      */
    bool indirect;              /* VIRTIO_F_INDIRECT_DESC negotiated       */
    bool broken;
    uint16_t last_avail;        /* next available entry to take            */
    uint16_t used_idx;          /* next used entry to fill                 */
    uint16_t signalled_used;    /* used_idx when we last decided on a call */
    bool signalled_valid;
    char error[128];            /* why the queue broke                     */
};

/* A request: n_out device-readable buffers, then n_in device-writable. */
struct virtq_elem {
    uint16_t head;
    unsigned n_out, n_in;
    uint64_t out_len, in_len;
    struct iovec iov[VIRTQ_MAX_SEGS];
};

/*
 * Set vq up on rings the caller translated (host addresses covering
 * VIRTQ_*_BYTES(num)); indices start at base.  0, or -1 (error set) if
 * num is not a power of two or a ring is misaligned.
 */
int virtq_init(struct virtq *vq, unsigned index, unsigned num, void *desc, void *avail,
               void *used, const struct vu_mem *mem, uint16_t base, bool event_idx,
               bool indirect);

/* 1: *e holds the next request; 0: none available; -1: the queue broke. */
int virtq_pop(struct virtq *vq, struct virtq_elem *e);

/* Give the last popped request back (it is taken again by the next pop). */
void virtq_unpop(struct virtq *vq);

/* Return request head, len bytes written into it (not yet visible). */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/*
 * Make the pushed entries visible to the guest; true if the guest wants
 * to be told (its used_event, or no NO_INTERRUPT flag without EVENT_IDX).
 */
bool virtq_flush(struct virtq *vq);

/* Whether the guest has made buffers available that we have not taken. */
bool virtq_has_avail(const struct virtq *vq);

/*
 * Ask the guest for notifications (on) or not (off).  Turning them on
 * returns true if buffers arrived meanwhile (check again before sleeping).
 */
bool virtq_notify(struct virtq *vq, bool on);

/* Copy len bytes at offset off of iov[0..n) to/from buf; bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len);
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf, size_t len);

/*
 * The part [off, off+len) of iov[0..n) as new entries in out (at most
 * max); the number of entries, or -1 if iov is shorter or max too small.
 */
int iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len, struct iovec *out,
              unsigned max);

#endif
