/*
 * blk.h - hvblk's device: a raw file or block device behind virtio-blk
 * queues, its I/O submitted through io_uring (blk_req.c does requests,
 * hvblk.c the options, the file and the config space).
 */
#ifndef HV_BACKENDS_BLK_H
#define HV_BACKENDS_BLK_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

#include "be_common.h"
#include "virtq.h"
#include "vu_dev.h"

/* virtio-blk (virtio 1.x, 5.2) */
#define VIRTIO_BLK_F_SIZE_MAX     1
#define VIRTIO_BLK_F_SEG_MAX      2
#define VIRTIO_BLK_F_RO           5
#define VIRTIO_BLK_F_BLK_SIZE     6
#define VIRTIO_BLK_F_FLUSH        9
#define VIRTIO_BLK_F_MQ           12
#define VIRTIO_BLK_F_DISCARD      13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_T_IN           0
#define VIRTIO_BLK_T_OUT          1
#define VIRTIO_BLK_T_FLUSH        4
#define VIRTIO_BLK_T_GET_ID       8
#define VIRTIO_BLK_T_DISCARD      11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_ID_BYTES 20
#define VIRTIO_BLK_WZ_F_UNMAP 1u

#define BLK_SECTOR 512u
#define BLK_MAX_QUEUES 8u
#define BLK_SIZE_MAX (1u << 20)           /* advertised largest segment     */
#define BLK_SEG_MAX (VIRTQ_MAX_SEGS - 2)  /* data segments: header, status  */
#define BLK_MAX_DISCARD_SEG 16u
#define BLK_MAX_DISCARD_SECTORS (1u << 22)
#define BLK_REQS_PER_QUEUE 256u           /* in flight at most, per queue   */
#define BLK_CONFIG_BYTES 60u

struct blk;

struct blk_req {
    struct virtq_elem e;
    struct blk *b;
    unsigned q;
    uint32_t type;
    uint64_t sector, len;
    uint8_t *status;                /* the status byte, in guest memory  */
    void *bounce;                   /* O_DIRECT with unaligned buffers   */
    struct iovec bounce_iov;        /* io_uring reads it at submission   */
    unsigned n_data;
    struct iovec data[VIRTQ_MAX_SEGS];
    struct blk_req *next;           /* free list                         */
};

struct blk_queue {
    struct blk_req *reqs;
    struct blk_req *free;
    unsigned inflight;
};

struct blk {
    struct vu_dev dev;
    struct be_common opt;
    const char *path;
    bool readonly, direct, discard, is_bdev;
    bool in_place;                  /* memory-backed file: no io_uring   */
    int fd;
    uint64_t sectors;               /* capacity in 512-byte sectors      */
    uint32_t blk_size;              /* logical block size                */
    char id[VIRTIO_BLK_ID_BYTES];
    struct io_uring ring;
    unsigned sq_pending;            /* prepared, not yet submitted       */
    struct blk_queue q[BLK_MAX_QUEUES];
};

extern const struct vu_dev_ops blk_ops;

#endif
