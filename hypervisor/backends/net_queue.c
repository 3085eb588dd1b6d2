/*
 * net_queue.c - hvnet's frames: from the tap into the guest's receive
 * buffers with readv straight into guest memory, from the guest's
 * transmit buffers to the tap with writev straight from it, and the
 * control queue's VIRTIO_NET_CTRL_MQ.
 *
 * Receive without VIRTIO_NET_F_MRG_RXBUF: every frame goes into one
 * buffer chain.  A frame larger than the chain is read past its end into
 * an overflow buffer, dropped and counted, and the chain is used for the
 * next frame.  The guest's transmit header is not used: no offload was
 * negotiated, so the tap gets an all-zero header.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net.h"

static bool is_ctrl(const struct net *n, unsigned q)
{
    return n->opt.queues > 1 && q == 2 * n->opt.queues;
}

/* Watch the tap of pair p for frames again (after it ran dry). */
static void watch_tap(struct net *n, unsigned p, bool on)
{
    vu_dev_watch(&n->dev, n->tapfd[p], on ? EPOLLIN : 0);
}

static int rx(struct net *n, unsigned q)
{
    unsigned p = q / 2;
    struct virtq *vq = &n->dev.q[q].vq;
    struct virtq_elem *e = &n->elem;
    struct iovec iov[VIRTQ_MAX_SEGS + 1];
    int done = 0;

    if (!n->rx_ready[p])
        return 0;
    while (done < NET_BATCH) {
        int rc = virtq_pop(vq, e);
        ssize_t got;

        if (rc < 0)
            break;
        if (rc == 0)                /* no buffers: the guest's kick resumes */
            break;
        if (e->n_out || e->in_len < NET_HDR_LEN) {
            vu_dev_refuse(&n->dev, "queue %u: receive buffer %u: %llu device-readable bytes, "
                          "%llu writable (12 at least)", q, e->head,
                          (unsigned long long)e->out_len, (unsigned long long)e->in_len);
            virtq_push(vq, e->head, 0);
            done++;
            continue;
        }
        memcpy(iov, e->iov, e->n_in * sizeof(iov[0]));
        iov[e->n_in].iov_base = n->overflow;
        iov[e->n_in].iov_len = sizeof(n->overflow);
        got = readv(n->tapfd[p], iov, (int)e->n_in + 1);
        if (got < 0) {
            virtq_unpop(vq);
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                n->rx_ready[p] = false;
                watch_tap(n, p, true);
            } else {
                vu_dev_refuse(&n->dev, "queue %u: tap read: %s", q, strerror(errno));
            }
            break;
        }
        if ((uint64_t)got > e->in_len) {
            vu_dev_refuse(&n->dev, "queue %u: a frame of %zd bytes does not fit in a receive "
                          "buffer of %llu", q, got - (ssize_t)NET_HDR_LEN,
                          (unsigned long long)e->in_len - NET_HDR_LEN);
            virtq_unpop(vq);
            continue;
        }
        /* The tap fills the first 10 bytes of the header; one buffer. */
        iov_from_buf(e->iov, e->n_in, NET_NUM_BUFFERS_OFF, &(uint16_t){ 1 }, 2);
        virtq_push(vq, e->head, (uint32_t)got);
        vu_stat_add(&n->dev.stats->reqs_in, 1);
        vu_stat_add(&n->dev.stats->bytes_in, (uint64_t)got - NET_HDR_LEN);
        done++;
    }
    if (done)
        vu_dev_complete(&n->dev, q);
    return done;
}

static int tx(struct net *n, unsigned q)
{
    struct virtq *vq = &n->dev.q[q].vq;
    struct virtq_elem *e = &n->elem;
    static const uint8_t zero_hdr[NET_HDR_LEN];
    struct iovec iov[VIRTQ_MAX_SEGS + 1];
    int done = 0;

    while (done < NET_BATCH && virtq_pop(vq, e) == 1) {
        int k;

        done++;
        k = iov_slice(e->iov, e->n_out, NET_HDR_LEN, e->out_len - NET_HDR_LEN, iov + 1,
                      VIRTQ_MAX_SEGS);
        if (e->n_in || e->out_len < NET_HDR_LEN || k < 0) {
            vu_dev_refuse(&n->dev, "queue %u: transmit buffer %u: %llu device-readable bytes "
                          "(12 at least), %llu writable (none)", q, e->head,
                          (unsigned long long)e->out_len, (unsigned long long)e->in_len);
            virtq_push(vq, e->head, 0);
            continue;
        }
        iov[0].iov_base = (void *)zero_hdr;
        iov[0].iov_len = NET_HDR_LEN;
        if (writev(n->tapfd[q / 2], iov, k + 1) < 0) {
            vu_dev_refuse(&n->dev, "queue %u: a frame of %llu bytes was not sent: %s", q,
                          (unsigned long long)e->out_len - NET_HDR_LEN, strerror(errno));
        } else {
            vu_stat_add(&n->dev.stats->reqs_out, 1);
            vu_stat_add(&n->dev.stats->bytes_out, e->out_len - NET_HDR_LEN);
        }
        virtq_push(vq, e->head, 0);
    }
    if (done)
        vu_dev_complete(&n->dev, q);
    return done;
}

static int ctrl(struct net *n, unsigned q)
{
    struct virtq *vq = &n->dev.q[q].vq;
    struct virtq_elem *e = &n->elem;
    int done = 0;

    while (virtq_pop(vq, e) == 1) {
        uint8_t cmd[4] = { 0 }, ack = VIRTIO_NET_ERR;
        uint16_t pairs;

        done++;
        iov_to_buf(e->iov, e->n_out, 0, cmd, sizeof(cmd));
        memcpy(&pairs, cmd + 2, 2);
        if (e->in_len < 1) {
            vu_dev_refuse(&n->dev, "queue %u: control command %u without an ack byte", q,
                          e->head);
            virtq_push(vq, e->head, 0);
            continue;
        }
        if (cmd[0] == VIRTIO_NET_CTRL_MQ && cmd[1] == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET &&
            e->out_len >= 4) {
            if (pairs < 1 || pairs > n->opt.queues)
                vu_dev_refuse(&n->dev, "queue %u: VIRTIO_NET_CTRL_MQ asks for %u queue pairs "
                              "(1 to %u)", q, pairs, n->opt.queues);
            else if (tap_set_pairs(n, pairs) == 0)
                ack = VIRTIO_NET_OK;
        } else {
            vu_dev_refuse(&n->dev, "queue %u: control class %u command %u (%llu bytes) is not "
                          "supported", q, cmd[0], cmd[1], (unsigned long long)e->out_len);
        }
        iov_from_buf(e->iov + e->n_out, e->n_in, (size_t)e->in_len - 1, &ack, 1);
        virtq_push(vq, e->head, 1);
        vu_stat_add(&n->dev.stats->reqs_other, 1);
    }
    if (done)
        vu_dev_complete(&n->dev, q);
    return done;
}

static int net_process(struct vu_dev *d, unsigned q)
{
    struct net *n = d->priv;

    if (is_ctrl(n, q))
        return ctrl(n, q);
    if (q / 2 >= n->active_pairs)
        return 0;
    return q % 2 ? tx(n, q) : rx(n, q);
}

static int net_poll(struct vu_dev *d)
{
    return 0;
}

static void net_fd_ready(struct vu_dev *d, int fd, uint32_t events)
{
    struct net *n = d->priv;

    /* Frames wait: stop watching (level-triggered) until rx ran them dry. */
    for (unsigned p = 0; p < n->opt.queues; p++)
        if (n->tapfd[p] == fd) {
            n->rx_ready[p] = true;
            watch_tap(n, p, false);
        }
}

static void net_stop(struct vu_dev *d, unsigned q)
{
    /* Nothing stays in flight: every frame is done when it is taken. */
}

static int net_start(struct vu_dev *d, unsigned q)
{
    return 0;
}

const struct vu_dev_ops net_ops = {
    .process = net_process,
    .poll = net_poll,
    .fd_ready = net_fd_ready,
    .stop = net_stop,
    .start = net_start,
    .config = NULL,         /* no CONFIG protocol feature (hvnet.c) */
};
