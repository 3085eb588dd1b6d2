/*
 * blk.h - the virtio-blk front end (virtio 1.x, 5.2) on virtio.c.
 *
 * Requests are asynchronous: blk_submit() queues one (on the ring, or on
 * a pending list while the ring is full), blk_kick() tells the device,
 * blk_poll() takes completions, and blk_wait() blocks until a request is
 * done.  A device that needs a reset (its back end died) is reset and set
 * up again inside blk_poll(), and what was in flight is submitted again:
 * block requests are idempotent.  A device that went away fails its
 * requests with -HVE_NOENT.
 */
#ifndef PVBOOT_BLK_H
#define PVBOOT_BLK_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

#define BLK_SECTOR 512u

/* Request types (virtio 1.x, 5.2.6). */
#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

/* Feature bits. */
#define VIRTIO_BLK_F_SIZE_MAX  1
#define VIRTIO_BLK_F_SEG_MAX   2
#define VIRTIO_BLK_F_RO        5
#define VIRTIO_BLK_F_BLK_SIZE  6
#define VIRTIO_BLK_F_FLUSH     9
#define VIRTIO_BLK_F_DISCARD   13

#define VIRTIO_BLK_ID_BYTES 20

struct virtio_blk_outhdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct virtio_blk_discard {
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
};

struct blk;

struct blk_req {
    /* Filled by the caller. */
    uint32_t type;
    uint64_t sector;
    void *buf;                  /* contiguous guest memory (>= 1 MiB)   */
    uint32_t len;               /* bytes (sectors * 512 for IN/OUT)     */
    /* Owned by blk.c while the request runs. */
    struct virtio_blk_outhdr hdr;
    struct virtio_blk_discard discard;
    volatile uint8_t status;    /* written by the device                */
    bool done;
    long result;                /* 0, -HVE_IO (IOERR), -HVE_NOSYS
                                 * (UNSUPP), -HVE_NOENT (device gone)   */
    unsigned submits;           /* 1 + times it was resubmitted          */
    struct blk_req *next;       /* pending list                          */
};

struct blk {
    struct vdev *dev;
    char id[HV_DEV_ID_MAX];
    uint64_t capacity;          /* sectors of 512 bytes                  */
    bool readonly, can_flush, can_discard;
    uint32_t size_max;          /* largest data segment, 0: no limit     */
    uint32_t seg_max;           /* most data segments, 0: no limit       */
    uint16_t queue_size;
    bool gone;                  /* the device went away                  */
    struct blk_req *pending, *pending_tail;
    unsigned in_flight;
    uint64_t resubmitted, resets;
    long restart_error;         /* last failed restart, 0 if none        */
};

/* Set up claimed device d with queues of up to qsize entries (waits up
 * to timeout_ns for its back end).  0 or a negative HVE_* code. */
long blk_open(struct blk *b, struct vdev *d, uint16_t qsize, uint64_t timeout_ns);
/* Stop using a gone device and give its slot back. */
void blk_close(struct blk *b);

void blk_submit(struct blk *b, struct blk_req *r);
void blk_kick(struct blk *b);
/* Take completions, follow resets and removal.  Returns how many
 * requests completed. */
unsigned blk_poll(struct blk *b);
/* Block until r is done (or deadline_ns passes: 0 waits for ever);
 * returns r->result, or -HVE_TIMEDOUT. */
long blk_wait(struct blk *b, struct blk_req *r, uint64_t deadline_ns);
/* Block until at least one request completed or something changed. */
void blk_wait_any(struct blk *b);

/* One synchronous request. */
long blk_io(struct blk *b, uint32_t type, uint64_t sector, void *buf, uint32_t len);

const char *blk_strerror(long result);

#endif /* PVBOOT_BLK_H */
