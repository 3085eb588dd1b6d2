/*
 * blk_req.c - hvblk's requests: a virtio-blk request taken from a queue,
 * checked, turned into an io_uring operation (read, write, flush) or done
 * at once (get-id, discard, write-zeroes, refusals), and completed into
 * the used ring.  Many requests are taken, then submitted together, and
 * their completions pushed together with one call per queue.
 *
 * A request the device cannot honour is answered VIRTIO_BLK_S_IOERR (or
 * UNSUPP for an unknown type) and counted; the queue goes on.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "blk.h"

struct blk_outhdr {
    uint32_t type;
    uint32_t ioprio;
    uint64_t sector;
};

struct blk_dwz {                        /* a discard / write-zeroes segment */
    uint64_t sector;
    uint32_t num_sectors;
    uint32_t flags;
};

static void recycle(struct blk_queue *bq, struct blk_req *r)
{
    free(r->bounce);
    r->bounce = NULL;
    r->next = bq->free;
    bq->free = r;
}

/* Answer r with status st, used_len bytes written into its buffers. */
static void answer(struct blk *b, struct blk_req *r, uint8_t st, uint32_t used_len)
{
    if (r->status)
        *r->status = st;
    virtq_push(&b->dev.q[r->q].vq, r->e.head, used_len);
    recycle(&b->q[r->q], r);
}

static const char *type_name(uint32_t type)
{
    switch (type) {
    case VIRTIO_BLK_T_IN: return "read";
    case VIRTIO_BLK_T_OUT: return "write";
    case VIRTIO_BLK_T_DISCARD: return "discard";
    case VIRTIO_BLK_T_WRITE_ZEROES: return "write-zeroes";
    default: return "request";
    }
}

/* The last byte of the device-writable part: where the status goes. */
static uint8_t *status_byte(const struct virtq_elem *e)
{
    for (unsigned i = e->n_out + e->n_in; i > e->n_out; i--)
        if (e->iov[i - 1].iov_len)
            return (uint8_t *)e->iov[i - 1].iov_base + e->iov[i - 1].iov_len - 1;
    return NULL;
}

/* Sectors [sector, sector + n) lie on the disk. */
static bool on_disk(const struct blk *b, uint64_t sector, uint64_t n)
{
    return sector <= b->sectors && n <= b->sectors - sector;
}

static bool aligned(const struct blk *b, const struct blk_req *r)
{
    if ((r->sector * BLK_SECTOR) % b->blk_size || r->len % b->blk_size)
        return false;
    for (unsigned i = 0; i < r->n_data; i++)
        if ((uintptr_t)r->data[i].iov_base % b->blk_size || r->data[i].iov_len % b->blk_size)
            return false;
    return true;
}

static struct io_uring_sqe *get_sqe(struct blk *b)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);

    if (!sqe) {                         /* the ring is full: send what it has */
        io_uring_submit(&b->ring);
        b->sq_pending = 0;
        sqe = io_uring_get_sqe(&b->ring);
    }
    return sqe;
}

static void finish(struct blk *b, struct blk_req *r, int res);

/*
 * Read or write r's data: through io_uring (0: submitted), or at once on
 * a memory-backed file (1: done and answered), or refused (-1).
 */
static int submit_rw(struct blk *b, struct blk_req *r)
{
    bool rd = r->type == VIRTIO_BLK_T_IN;
    struct io_uring_sqe *sqe;
    const struct iovec *iov = r->data;
    unsigned n = r->n_data;

    if (b->direct && !aligned(b, r)) {
        /* O_DIRECT needs aligned buffers: go through an aligned copy. */
        if (posix_memalign(&r->bounce, b->blk_size, r->len ? r->len : b->blk_size)) {
            vu_dev_refuse(&b->dev, "queue %u: no memory for a bounce buffer of %llu bytes", r->q,
                          (unsigned long long)r->len);
            return -1;
        }
        if (!rd)
            iov_to_buf(r->data, r->n_data, 0, r->bounce, r->len);
        r->bounce_iov.iov_base = r->bounce;
        r->bounce_iov.iov_len = r->len;
        iov = &r->bounce_iov;
        n = 1;
    }
    if (b->in_place) {
        ssize_t got = rd ? preadv(b->fd, iov, (int)n, (off_t)(r->sector * BLK_SECTOR))
                         : pwritev(b->fd, iov, (int)n, (off_t)(r->sector * BLK_SECTOR));

        finish(b, r, got < 0 ? -errno : (int)got);
        return 1;
    }
    sqe = get_sqe(b);
    if (!sqe) {
        vu_dev_refuse(&b->dev, "queue %u: io_uring has no free entry", r->q);
        return -1;
    }
    if (rd)
        io_uring_prep_readv(sqe, b->fd, iov, n, r->sector * BLK_SECTOR);
    else
        io_uring_prep_writev(sqe, b->fd, iov, n, r->sector * BLK_SECTOR);
    io_uring_sqe_set_data(sqe, r);
    b->sq_pending++;
    return 0;
}

static int submit_flush(struct blk *b, struct blk_req *r)
{
    struct io_uring_sqe *sqe = get_sqe(b);

    if (!sqe) {
        vu_dev_refuse(&b->dev, "queue %u: io_uring has no free entry", r->q);
        return -1;
    }
    io_uring_prep_fsync(sqe, b->fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data(sqe, r);
    b->sq_pending++;
    return 0;
}

/* Discard or zero one range now.  0, or -errno. */
static int zero_range(struct blk *b, uint32_t type, uint64_t sector, uint32_t n)
{
    uint64_t range[2] = { sector * BLK_SECTOR, (uint64_t)n * BLK_SECTOR };

    if (b->is_bdev) {
        unsigned long op = type == VIRTIO_BLK_T_DISCARD ? BLKDISCARD : BLKZEROOUT;

        return ioctl(b->fd, op, range) < 0 ? -errno : 0;
    }
    if (type == VIRTIO_BLK_T_WRITE_ZEROES &&
        fallocate(b->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)range[0],
                  (off_t)range[1]) == 0)
        return 0;
    /* A hole reads as zeroes too: the fallback for file systems (tmpfs)
     * without ZERO_RANGE, and what a discard is. */
    return fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)range[0],
                     (off_t)range[1]) < 0 ? -errno : 0;
}

/* Discard / write-zeroes: the segments in r's data, done at once. */
static uint8_t do_zero(struct blk *b, struct blk_req *r)
{
    struct blk_dwz seg[BLK_MAX_DISCARD_SEG];
    uint64_t nseg = r->len / sizeof(seg[0]);
    const char *what = type_name(r->type);

    if (r->len % sizeof(seg[0]) || nseg == 0 || nseg > BLK_MAX_DISCARD_SEG) {
        vu_dev_refuse(&b->dev, "queue %u: %s of %llu bytes: not 1 to %u segments of 16 bytes",
                      r->q, what, (unsigned long long)r->len, BLK_MAX_DISCARD_SEG);
        return VIRTIO_BLK_S_IOERR;
    }
    iov_to_buf(r->data, r->n_data, 0, seg, r->len);
    for (uint64_t i = 0; i < nseg; i++) {
        int rc;

        if (seg[i].flags & ~VIRTIO_BLK_WZ_F_UNMAP) {
            vu_dev_refuse(&b->dev, "queue %u: %s flags 0x%x are not supported", r->q, what,
                          seg[i].flags);
            return VIRTIO_BLK_S_UNSUPP;
        }
        if (seg[i].num_sectors > BLK_MAX_DISCARD_SECTORS ||
            !on_disk(b, seg[i].sector, seg[i].num_sectors)) {
            vu_dev_refuse(&b->dev, "queue %u: %s of %u sectors at sector %llu is past the end "
                          "of the disk (%llu sectors) or too long", r->q, what,
                          seg[i].num_sectors, (unsigned long long)seg[i].sector,
                          (unsigned long long)b->sectors);
            return VIRTIO_BLK_S_IOERR;
        }
        rc = zero_range(b, r->type, seg[i].sector, seg[i].num_sectors);
        if (rc < 0) {
            vu_dev_refuse(&b->dev, "queue %u: %s of %u sectors at sector %llu: %s", r->q, what,
                          seg[i].num_sectors, (unsigned long long)seg[i].sector,
                          strerror(-rc));
            return VIRTIO_BLK_S_IOERR;
        }
    }
    vu_stat_add(&b->dev.stats->reqs_other, 1);
    return VIRTIO_BLK_S_OK;
}

/*
 * Start request r: 1 if it went to io_uring, 0 if it was answered (and
 * recycled) at once.
 */
static int start(struct blk *b, struct blk_req *r)
{
    struct virtq_elem *e = &r->e;
    struct blk_outhdr hdr;
    uint8_t st = VIRTIO_BLK_S_IOERR;
    int n;

    r->status = status_byte(e);
    if (!r->status) {
        vu_dev_refuse(&b->dev, "queue %u: request %u has no status byte", r->q, e->head);
        answer(b, r, 0, 0);
        return 0;
    }
    if (iov_to_buf(e->iov, e->n_out, 0, &hdr, sizeof(hdr)) < sizeof(hdr)) {
        vu_dev_refuse(&b->dev, "queue %u: request header of %llu bytes (16 needed)", r->q,
                      (unsigned long long)e->out_len);
        answer(b, r, VIRTIO_BLK_S_IOERR, 1);
        return 0;
    }
    r->type = hdr.type;
    r->sector = hdr.sector;
    if (r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_GET_ID) {
        /* Data: the writable part but its status byte. */
        r->len = e->in_len - 1;
        n = iov_slice(e->iov + e->n_out, e->n_in, 0, r->len, r->data, VIRTQ_MAX_SEGS);
    } else {
        r->len = e->out_len - sizeof(hdr);
        n = iov_slice(e->iov, e->n_out, sizeof(hdr), r->len, r->data, VIRTQ_MAX_SEGS);
    }
    r->n_data = n < 0 ? 0 : (unsigned)n;

    switch (r->type) {
    case VIRTIO_BLK_T_IN:
    case VIRTIO_BLK_T_OUT:
        if (r->type == VIRTIO_BLK_T_OUT && b->readonly) {
            vu_dev_refuse(&b->dev, "queue %u: write to a read-only disk", r->q);
            break;
        }
        if (r->len % BLK_SECTOR) {
            vu_dev_refuse(&b->dev, "queue %u: %s of %llu bytes is not a multiple of 512",
                          r->q, type_name(r->type), (unsigned long long)r->len);
            break;
        }
        if (!on_disk(b, r->sector, r->len / BLK_SECTOR)) {
            vu_dev_refuse(&b->dev, "queue %u: %s of %llu bytes at sector %llu is past the end "
                          "of the disk (%llu sectors)", r->q, type_name(r->type),
                          (unsigned long long)r->len, (unsigned long long)r->sector,
                          (unsigned long long)b->sectors);
            break;
        }
        if (r->len == 0) {
            st = VIRTIO_BLK_S_OK;
            break;
        }
        switch (submit_rw(b, r)) {
        case 0:
            return 1;
        case 1:
            return 0;               /* done in place and answered */
        }
        break;
    case VIRTIO_BLK_T_FLUSH:
        if (submit_flush(b, r) < 0)
            break;
        return 1;
    case VIRTIO_BLK_T_GET_ID: {
        uint32_t len = r->len < VIRTIO_BLK_ID_BYTES ? (uint32_t)r->len : VIRTIO_BLK_ID_BYTES;

        iov_from_buf(r->data, r->n_data, 0, b->id, len);
        vu_stat_add(&b->dev.stats->reqs_other, 1);
        answer(b, r, VIRTIO_BLK_S_OK, len + 1);
        return 0;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        if (!vu_dev_has(&b->dev, r->type == VIRTIO_BLK_T_DISCARD ? VIRTIO_BLK_F_DISCARD
                                                                 : VIRTIO_BLK_F_WRITE_ZEROES)) {
            vu_dev_refuse(&b->dev, "queue %u: %s was not negotiated", r->q, type_name(r->type));
            st = VIRTIO_BLK_S_UNSUPP;
            break;
        }
        if (b->readonly) {
            vu_dev_refuse(&b->dev, "queue %u: %s on a read-only disk", r->q, type_name(r->type));
            break;
        }
        st = do_zero(b, r);
        break;
    default:
        vu_dev_refuse(&b->dev, "queue %u: request type %u is not supported", r->q, r->type);
        st = VIRTIO_BLK_S_UNSUPP;
        break;
    }
    answer(b, r, st, 1);
    return 0;
}

/* An io_uring completion for r with result res. */
static void finish(struct blk *b, struct blk_req *r, int res)
{
    struct hv_backend_stats *s = b->dev.stats;
    bool rw = r->type != VIRTIO_BLK_T_FLUSH;

    if (res < 0 || (rw && (uint64_t)res != r->len)) {
        if (rw)
            vu_dev_refuse(&b->dev, "queue %u: %s of %llu bytes at sector %llu: %s", r->q,
                          type_name(r->type), (unsigned long long)r->len,
                          (unsigned long long)r->sector,
                          res < 0 ? strerror(-res) : "cut short");
        else
            vu_dev_refuse(&b->dev, "queue %u: flush: %s", r->q, strerror(-res));
        answer(b, r, VIRTIO_BLK_S_IOERR, 1);
        return;
    }
    if (r->type == VIRTIO_BLK_T_IN) {
        if (r->bounce)
            iov_from_buf(r->data, r->n_data, 0, r->bounce, r->len);
        vu_stat_add(&s->reqs_in, 1);
        vu_stat_add(&s->bytes_in, r->len);
        answer(b, r, VIRTIO_BLK_S_OK, (uint32_t)r->len + 1);
    } else if (r->type == VIRTIO_BLK_T_OUT) {
        vu_stat_add(&s->reqs_out, 1);
        vu_stat_add(&s->bytes_out, r->len);
        answer(b, r, VIRTIO_BLK_S_OK, 1);
    } else {
        vu_stat_add(&s->reqs_other, 1);
        answer(b, r, VIRTIO_BLK_S_OK, 1);
    }
}

static int blk_poll(struct vu_dev *d)
{
    struct blk *b = d->priv;
    struct io_uring_cqe *cqe;
    bool touched[BLK_MAX_QUEUES] = { false };
    unsigned head, n = 0;

    io_uring_for_each_cqe(&b->ring, head, cqe) {
        struct blk_req *r = io_uring_cqe_get_data(cqe);

        b->q[r->q].inflight--;
        touched[r->q] = true;
        finish(b, r, cqe->res);
        n++;
    }
    io_uring_cq_advance(&b->ring, n);
    /* Entries a full completion queue (-EBUSY) left unsubmitted go now. */
    if (io_uring_sq_ready(&b->ring))
        io_uring_submit(&b->ring);
    for (unsigned q = 0; q < BLK_MAX_QUEUES; q++)
        if (touched[q])
            vu_dev_complete(d, q);
    return (int)n;
}

static int blk_process(struct vu_dev *d, unsigned q)
{
    struct blk *b = d->priv;
    struct blk_queue *bq = &b->q[q];
    int work = 0, rc;
    bool answered = false;

    while (bq->free) {
        struct blk_req *r = bq->free;

        rc = virtq_pop(&d->q[q].vq, &r->e);
        if (rc <= 0)
            break;
        bq->free = r->next;
        r->q = q;
        work++;
        if (start(b, r))
            bq->inflight++;
        else
            answered = true;
    }
    if (b->sq_pending) {
        io_uring_submit(&b->ring);
        b->sq_pending = 0;
    }
    if (answered)
        vu_dev_complete(d, q);
    return work;
}

static void blk_stop(struct vu_dev *d, unsigned q)
{
    struct blk *b = d->priv;
    struct io_uring_cqe *cqe;

    if (io_uring_sq_ready(&b->ring))
        io_uring_submit(&b->ring);
    b->sq_pending = 0;
    /* The requests stay allocated: a new memory table lets the queue
     * run on; blk_start makes them anew when it starts again. */
    while (b->q[q].inflight > 0) {
        int rc = io_uring_wait_cqe(&b->ring, &cqe);

        if (rc < 0 && rc != -EINTR)
            break;
        blk_poll(d);
    }
}

static int blk_start(struct vu_dev *d, unsigned q)
{
    struct blk *b = d->priv;
    struct blk_queue *bq = &b->q[q];
    unsigned n = d->q[q].num < BLK_REQS_PER_QUEUE ? d->q[q].num : BLK_REQS_PER_QUEUE;

    if (q >= BLK_MAX_QUEUES)
        return -1;
    free(bq->reqs);
    bq->reqs = calloc(n, sizeof(*bq->reqs));
    if (!bq->reqs)
        return -1;
    bq->free = NULL;
    bq->inflight = 0;
    for (unsigned i = 0; i < n; i++) {
        bq->reqs[i].b = b;
        bq->reqs[i].next = bq->free;
        bq->free = &bq->reqs[i];
    }
    return 0;
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void blk_config(struct vu_dev *d, uint8_t *buf, uint32_t off, uint32_t len)
{
    struct blk *b = d->priv;
    uint8_t c[BLK_CONFIG_BYTES] = { 0 };
    uint16_t nq = (uint16_t)b->opt.queues;
    bool zero = !b->readonly;

    memcpy(c + 0, &b->sectors, 8);                      /* capacity           */
    put32(c + 8, BLK_SIZE_MAX);                         /* size_max           */
    put32(c + 12, BLK_SEG_MAX);                         /* seg_max            */
    put32(c + 20, b->blk_size);                         /* blk_size           */
    memcpy(c + 34, &nq, 2);                             /* num_queues         */
    if (b->discard && zero) {
        put32(c + 36, BLK_MAX_DISCARD_SECTORS);         /* max_discard_sectors */
        put32(c + 40, BLK_MAX_DISCARD_SEG);             /* max_discard_seg    */
        put32(c + 44, b->blk_size / BLK_SECTOR);        /* discard alignment  */
    }
    if (zero) {
        put32(c + 48, BLK_MAX_DISCARD_SECTORS);         /* max_write_zeroes_sectors */
        put32(c + 52, BLK_MAX_DISCARD_SEG);             /* max_write_zeroes_seg */
        c[56] = 1;                                      /* may unmap          */
    }
    if (off < sizeof(c))
        memcpy(buf, c + off, len < sizeof(c) - off ? len : sizeof(c) - off);
}

static void blk_fd_ready(struct vu_dev *d, int fd, uint32_t events)
{
    /* The io_uring fd: blk_poll reaps its completions next round. */
}

const struct vu_dev_ops blk_ops = {
    .process = blk_process,
    .poll = blk_poll,
    .fd_ready = blk_fd_ready,
    .stop = blk_stop,
    .start = blk_start,
    .config = blk_config,
};
