/*
 * blk.c - the virtio-blk front end.
 */
#include "blk.h"
#include "kernel.h"
#include "lib.h"
#include "printf.h"
#include "time.h"

/* How long a reset may wait for the back end to come back. */
#define BLK_RESTART_NS (60 * NS_PER_S)

long blk_open(struct blk *b, struct vdev *d, uint16_t qsize, uint64_t timeout_ns)
{
    uint64_t wanted = (1ULL << VIRTIO_BLK_F_SIZE_MAX) | (1ULL << VIRTIO_BLK_F_SEG_MAX) |
                      (1ULL << VIRTIO_BLK_F_RO) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
                      (1ULL << VIRTIO_BLK_F_FLUSH) | (1ULL << VIRTIO_BLK_F_DISCARD);
    long rc;

    memset(b, 0, sizeof(*b));
    b->dev = d;
    memcpy(b->id, d->id, sizeof(b->id));
    rc = vdev_start(d, wanted, 1, qsize, timeout_ns);
    if (rc < 0)
        return rc;
    /* Config space (5.2.4): capacity at 0, size_max at 8, seg_max at 12. */
    b->capacity = vdev_config64(d, 0);
    b->size_max = vdev_has(d, VIRTIO_BLK_F_SIZE_MAX) ? vdev_config32(d, 8) : 0;
    b->seg_max = vdev_has(d, VIRTIO_BLK_F_SEG_MAX) ? vdev_config32(d, 12) : 0;
    b->readonly = vdev_has(d, VIRTIO_BLK_F_RO);
    b->can_flush = vdev_has(d, VIRTIO_BLK_F_FLUSH);
    b->can_discard = vdev_has(d, VIRTIO_BLK_F_DISCARD);
    b->queue_size = d->vq[0].size;
    return 0;
}

void blk_close(struct blk *b)
{
    if (b->dev)
        virtio_release(b->dev);
    b->dev = NULL;
}

static void complete(struct blk_req *r, long result)
{
    r->result = result;
    r->done = true;
}

/* Put r on the ring; false if it does not fit now. */
static bool post(struct blk *b, struct blk_req *r)
{
    struct vq_seg segs[VQ_MAX_SEGS];
    unsigned n = 0;
    bool dev_writes = r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_GET_ID;
    long rc;

    r->hdr.type = r->type;
    r->hdr.reserved = 0;
    r->hdr.sector = r->type == VIRTIO_BLK_T_IN || r->type == VIRTIO_BLK_T_OUT ? r->sector : 0;
    r->status = 0xff;
    segs[n++] = (struct vq_seg){ (uint64_t)(uintptr_t)&r->hdr, sizeof(r->hdr), false };
    if (r->type == VIRTIO_BLK_T_DISCARD) {
        r->discard.sector = r->sector;
        r->discard.num_sectors = r->len / BLK_SECTOR;
        r->discard.flags = 0;
        segs[n++] = (struct vq_seg){ (uint64_t)(uintptr_t)&r->discard, sizeof(r->discard), false };
    } else if (r->len) {
        uint64_t addr = (uint64_t)(uintptr_t)r->buf;
        uint32_t left = r->len;

        while (left) {
            uint32_t piece = b->size_max && left > b->size_max ? b->size_max : left;

            if (n + 1 >= VQ_MAX_SEGS || (b->seg_max && n - 1 >= b->seg_max)) {
                complete(r, -HVE_INVAL);
                return true;
            }
            segs[n++] = (struct vq_seg){ addr, piece, dev_writes };
            addr += piece;
            left -= piece;
        }
    }
    segs[n++] = (struct vq_seg){ (uint64_t)(uintptr_t)&r->status, 1, true };
    rc = vq_add(&b->dev->vq[0], segs, n, r);
    if (rc == -HVE_NOSPC)
        return false;
    if (rc < 0) {
        complete(r, rc);
        return true;
    }
    b->in_flight++;
    return true;
}

static void push_pending(struct blk *b, struct blk_req *r, bool front)
{
    r->next = NULL;
    if (!b->pending) {
        b->pending = b->pending_tail = r;
    } else if (front) {
        r->next = b->pending;
        b->pending = r;
    } else {
        b->pending_tail->next = r;
        b->pending_tail = r;
    }
}

static void post_pending(struct blk *b)
{
    while (b->pending && !b->gone) {
        struct blk_req *r = b->pending;

        if (!post(b, r))
            break;
        b->pending = r->next;
        if (!b->pending)
            b->pending_tail = NULL;
    }
}

void blk_submit(struct blk *b, struct blk_req *r)
{
    r->done = false;
    r->result = 0;
    r->submits = 1;
    if (b->gone || !b->dev) {
        complete(r, -HVE_NOENT);
        return;
    }
    if (b->pending || !post(b, r))
        push_pending(b, r, false);
}

void blk_kick(struct blk *b)
{
    if (b->dev && !b->gone)
        vq_kick(&b->dev->vq[0]);
}

static void requeue(void *cookie, void *arg)
{
    struct blk *b = arg;
    struct blk_req *r = cookie;

    r->submits++;
    b->resubmitted++;
    push_pending(b, r, false);
}

/* Fail everything: what the ring still holds (the device no longer
 * touches it: reset or gone) and what waits. */
static void fail_all(struct blk *b, long result)
{
    struct blk_req *r;

    vq_drain_all(&b->dev->vq[0], requeue, b);
    while ((r = b->pending)) {
        b->pending = r->next;
        complete(r, result);
    }
    b->pending_tail = NULL;
    b->in_flight = 0;
}

static void gone(struct blk *b)
{
    b->gone = true;
    fail_all(b, -HVE_NOENT);
}

/* The device needs a reset: reset it, collect what was in flight (in
 * front of what was still waiting), set it up again, resubmit. */
static void restart(struct blk *b)
{
    struct blk_req *waiting = b->pending, *waiting_tail = b->pending_tail;
    long rc;

    b->pending = b->pending_tail = NULL;
    rc = vdev_restart(b->dev, requeue, b, BLK_RESTART_NS);
    b->in_flight = 0;
    b->resets++;
    if (waiting) {
        if (b->pending_tail)
            b->pending_tail->next = waiting;
        else
            b->pending = waiting;
        b->pending_tail = waiting_tail;
    }
    if (rc == -HVE_NOENT || b->dev->gone) {
        b->gone = true;
        fail_all(b, -HVE_NOENT);
        return;
    }
    if (rc < 0) {
        b->restart_error = rc;
        fail_all(b, rc);
        return;
    }
    b->restart_error = 0;
    post_pending(b);
    blk_kick(b);
}

unsigned blk_poll(struct blk *b)
{
    struct blk_req *r;
    unsigned n = 0;

    if (!b->dev || b->gone)
        return 0;
    virtio_scan(false);
    if (b->dev->gone) {
        gone(b);
        return 0;
    }
    while ((r = vq_get_used(&b->dev->vq[0], NULL))) {
        b->in_flight--;
        switch (r->status) {
        case VIRTIO_BLK_S_OK:
            complete(r, 0);
            break;
        case VIRTIO_BLK_S_UNSUPP:
            complete(r, -HVE_NOSYS);
            break;
        default:
            complete(r, -HVE_IO);
            break;
        }
        n++;
    }
    if (b->dev->needs_reset) {
        restart(b);
        return n;
    }
    if (b->pending) {
        post_pending(b);
        blk_kick(b);
    }
    return n;
}

void blk_wait_any(struct blk *b)
{
    if (!b->dev || b->gone)
        return;
    /* No timer: it would cost a hypercall per wait, and the completion
     * event (used_event), VIRQ_DEVICE or a shutdown request wakes us. */
    vdev_wait(b->dev, 0);
}

long blk_wait(struct blk *b, struct blk_req *r, uint64_t deadline_ns)
{
    for (;;) {
        blk_poll(b);
        if (r->done)
            return r->result;
        if (b->gone || !b->dev) {
            complete(r, -HVE_NOENT);
            return r->result;
        }
        if (deadline_ns && time_now_ns() >= deadline_ns)
            return -HVE_TIMEDOUT;
        blk_wait_any(b);
    }
}

long blk_io(struct blk *b, uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
    struct blk_req r;

    memset(&r, 0, sizeof(r));
    r.type = type;
    r.sector = sector;
    r.buf = buf;
    r.len = len;
    blk_submit(b, &r);
    blk_kick(b);
    return blk_wait(b, &r, 0);
}

const char *blk_strerror(long result)
{
    switch (result) {
    case 0:
        return "ok";
    case -HVE_IO:
        return "IOERR";
    case -HVE_NOSYS:
        return "UNSUPP";
    case -HVE_NOENT:
        return "device gone";
    case -HVE_TIMEDOUT:
        return "timed out";
    case -HVE_INVAL:
        return "request too big";
    default:
        return "error";
    }
}
