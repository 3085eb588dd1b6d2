/*
 * vu_dev.c - the back end's side of a vhost-user connection: its state
 * and the message handlers, each message's size, descriptors and fields
 * checked before use (vu_dev.h; vu_serve.c runs the loop).
 *
 * A message we cannot accept is answered with a failed REPLY_ACK when the
 * front end asked for one, and otherwise ends the connection: a front end
 * that sends what it cannot get an answer to has lost track of the
 * device either way.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "public/device.h"
#include "vu_dev.h"

#define REFUSALS_LOGGED 16u

void vu_stat_add(uint64_t *counter, uint64_t n)
{
    __atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n, __ATOMIC_RELAXED);
}

bool vu_dev_has(const struct vu_dev *d, unsigned bit)
{
    return (d->acked >> bit) & 1;
}

bool vu_dev_queue_live(const struct vu_dev *d, unsigned q)
{
    return q < d->nr_queues && d->q[q].started && d->q[q].enabled && !d->q[q].vq.broken;
}

static void set_last_error(struct vu_dev *d, const char *line)
{
    snprintf(d->stats->last_error, sizeof(d->stats->last_error), "%s", line);
    vu_stat_add(&d->stats->errors, 1);
}

void vu_dev_refuse(struct vu_dev *d, const char *fmt, ...)
{
    char line[sizeof(d->stats->last_error)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    set_last_error(d, line);
    /* A guest decides how often this happens: the log gets the first few. */
    if (d->refusals_logged < REFUSALS_LOGGED)
        fprintf(stderr, "%s: %s\n", d->prog, line);
    if (++d->refusals_logged == REFUSALS_LOGGED)
        fprintf(stderr, "%s: further refusals are only counted (errors, last_error)\n", d->prog);
}

void vu_dev_queue_broken(struct vu_dev *d, unsigned q)
{
    struct vu_queue *vqs = &d->q[q];
    uint64_t one = 1;

    if (vqs->reported)
        return;
    vqs->reported = true;
    fprintf(stderr, "%s: %s; the queue is stopped until the device is reset\n", d->prog,
            vqs->vq.error);
    set_last_error(d, vqs->vq.error);
    if (vqs->err_fd >= 0 && write(vqs->err_fd, &one, sizeof(one)) < 0)
        fprintf(stderr, "%s: queue %u: error eventfd: %s\n", d->prog, q, strerror(errno));
}

bool vu_dev_complete(struct vu_dev *d, unsigned q)
{
    struct vu_queue *vqs = &d->q[q];
    uint64_t one = 1;

    if (!virtq_flush(&vqs->vq) || vqs->call_fd < 0)
        return false;
    if (write(vqs->call_fd, &one, sizeof(one)) < 0)
        return false;
    vu_stat_add(&d->stats->calls, 1);
    return true;
}

int vu_dev_watch(struct vu_dev *d, int fd, uint32_t events)
{
    struct epoll_event ev = { .events = events, .data.u64 = VU_TAG(VU_TAG_FD, fd) };

    if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
        return 0;
    return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int vu_dev_unwatch(struct vu_dev *d, int fd)
{
    return epoll_ctl(d->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static void reset_queue(struct vu_queue *vqs)
{
    close_fd(&vqs->kick_fd);
    close_fd(&vqs->call_fd);
    close_fd(&vqs->err_fd);
    memset(vqs, 0, sizeof(*vqs));
    vqs->kick_fd = vqs->call_fd = vqs->err_fd = -1;
}

/* Finish what is in flight on q and stop taking requests from it. */
static void stop_queue(struct vu_dev *d, unsigned q)
{
    struct vu_queue *vqs = &d->q[q];

    if (!vqs->started)
        return;
    d->ops->stop(d, q);
    vu_dev_complete(d, q);
    vqs->base = vqs->vq.last_avail;
    vqs->started = false;
    if (vqs->kick_fd >= 0)
        epoll_ctl(d->epfd, EPOLL_CTL_DEL, vqs->kick_fd, NULL);
    close_fd(&vqs->kick_fd);
}

void vu_dev_reset(struct vu_dev *d)
{
    for (unsigned q = 0; q < d->nr_queues; q++) {
        stop_queue(d, q);
        reset_queue(&d->q[q]);
    }
    vu_mem_unmap(&d->mem);
    d->acked = 0;
    d->protocol_acked = 0;
}

int vu_dev_init(struct vu_dev *d)
{
    d->features |= 1ull << VU_F_PROTOCOL_FEATURES;
    d->protocol = (1ull << VU_PROTOCOL_F_MQ) | (1ull << VU_PROTOCOL_F_REPLY_ACK) |
                  (1ull << VU_PROTOCOL_F_CONFIG);
    d->sock = -1;
    for (unsigned q = 0; q < VU_MAX_QUEUES; q++)
        reset_queue(&d->q[q]);
    d->epfd = epoll_create1(EPOLL_CLOEXEC);
    return d->epfd < 0 ? -1 : 0;
}

/* The rings of q in our address space, or -1 with err. */
static int map_rings(struct vu_dev *d, unsigned q, char *err, size_t errlen)
{
    struct vu_queue *vqs = &d->q[q];
    void *desc = vu_mem_uva(&d->mem, vqs->addr.desc, VIRTQ_DESC_BYTES(vqs->num));
    void *avail = vu_mem_uva(&d->mem, vqs->addr.avail, VIRTQ_AVAIL_BYTES(vqs->num));
    void *used = vu_mem_uva(&d->mem, vqs->addr.used, VIRTQ_USED_BYTES(vqs->num));

    if (!desc || !avail || !used) {
        snprintf(err, errlen, "queue %u: rings at 0x%llx 0x%llx 0x%llx (size %u) are not in the "
                 "memory table", q, (unsigned long long)vqs->addr.desc,
                 (unsigned long long)vqs->addr.avail, (unsigned long long)vqs->addr.used,
                 vqs->num);
        return -1;
    }
    /* Where they land in our mapping counts (a region's mmap_offset may
     * be odd), checked again with every new memory table. */
    if (((uintptr_t)desc & 15) || ((uintptr_t)avail & 1) || ((uintptr_t)used & 3)) {
        snprintf(err, errlen, "queue %u: rings at 0x%llx 0x%llx 0x%llx are not aligned (16, 2, "
                 "4) in the memory table", q, (unsigned long long)vqs->addr.desc,
                 (unsigned long long)vqs->addr.avail, (unsigned long long)vqs->addr.used);
        return -1;
    }
    vqs->vq.desc = desc;
    vqs->vq.avail = avail;
    vqs->vq.used = used;
    return 0;
}

/* SET_VRING_KICK done: start q if everything it needs is there. */
static int start_queue(struct vu_dev *d, unsigned q, char *err, size_t errlen)
{
    struct vu_queue *vqs = &d->q[q];
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = VU_TAG(VU_TAG_KICK, q) };

    if (!vqs->num || !vqs->addr_set || !d->mem.n) {
        snprintf(err, errlen, "queue %u: kick before its size, rings and memory table", q);
        return -1;
    }
    if (map_rings(d, q, err, errlen) < 0)
        return -1;
    if (virtq_init(&vqs->vq, q, vqs->num, vqs->vq.desc, vqs->vq.avail, vqs->vq.used, &d->mem,
                   vqs->base, vu_dev_has(d, HV_VIRTIO_F_RING_EVENT_IDX),
                   vu_dev_has(d, HV_VIRTIO_F_INDIRECT_DESC)) < 0) {
        snprintf(err, errlen, "%s", vqs->vq.error);
        return -1;
    }
    vqs->reported = false;
    if (d->ops->start(d, q) < 0) {
        snprintf(err, errlen, "queue %u: the device cannot start it", q);
        return -1;
    }
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, vqs->kick_fd, &ev) < 0) {
        snprintf(err, errlen, "queue %u: kick fd: %s", q, strerror(errno));
        d->ops->stop(d, q);
        return -1;
    }
    vqs->started = true;
    return 0;
}

static int set_mem_table(struct vu_dev *d, struct vu_msg *m, char *err, size_t errlen)
{
    uint32_t n = m->p.mem.nregions;
    struct vu_mem_desc desc[VU_MEM_MAX_REGIONS];

    /* QEMU sends the regions it uses; others the whole table of 8. */
    if (m->size < 8 || n == 0 || n > VU_MEM_MAX_REGIONS ||
        m->size < 8 + n * sizeof(struct vu_mem_desc) || m->size > sizeof(m->p.mem) ||
        m->nfds != n) {
        snprintf(err, errlen, "SET_MEM_TABLE: %u regions in %u bytes with %u fds", n, m->size,
                 m->nfds);
        return -1;
    }
    memcpy(desc, m->p.mem.region, n * sizeof(desc[0]));
    /* Nothing in flight may point into the old mapping. */
    for (unsigned q = 0; q < d->nr_queues; q++)
        if (d->q[q].started) {
            d->ops->stop(d, q);
            vu_dev_complete(d, q);
        }
    vu_mem_unmap(&d->mem);
    if (vu_mem_map(&d->mem, desc, m->fds, n, err, errlen) < 0)
        goto fail;
    for (unsigned q = 0; q < d->nr_queues; q++)
        if (d->q[q].started && map_rings(d, q, err, errlen) < 0)
            goto fail;
    return 0;
fail:
    /* No memory: no queue may run on. */
    for (unsigned q = 0; q < d->nr_queues; q++)
        if (d->q[q].started)
            stop_queue(d, q);
    vu_mem_unmap(&d->mem);
    return -1;
}

/* Expected payload size of each request (-1: variable, checked later). */
static int payload_size(uint32_t request)
{
    switch (request) {
    case VU_GET_FEATURES: case VU_SET_OWNER: case VU_RESET_OWNER:
    case VU_GET_PROTOCOL_FEATURES: case VU_GET_QUEUE_NUM:
        return 0;
    case VU_SET_FEATURES: case VU_SET_PROTOCOL_FEATURES: case VU_SET_VRING_KICK:
    case VU_SET_VRING_CALL: case VU_SET_VRING_ERR:
        return 8;
    case VU_SET_VRING_NUM: case VU_SET_VRING_BASE: case VU_GET_VRING_BASE:
    case VU_SET_VRING_ENABLE:
        return (int)sizeof(struct vu_state);
    case VU_SET_VRING_ADDR:
        return (int)sizeof(struct vu_addr);
    default:
        return -1;
    }
}

/* The fd a VRING_KICK/CALL/ERR message carries (-1: none), or -2: bad. */
static int take_ring_fd(struct vu_msg *m)
{
    int fd;

    if (m->p.u64 & ~(uint64_t)(VU_VRING_INDEX_MASK | VU_VRING_NOFD))
        return -2;
    if (m->p.u64 & VU_VRING_NOFD)
        return m->nfds == 0 ? -1 : -2;
    if (m->nfds != 1)
        return -2;
    fd = m->fds[0];
    m->fds[0] = -1;
    m->nfds = 0;
    return fd;
}

/*
 * Handle one message.  1: answered with a payload; 0: done (acknowledge
 * if asked); -1: refused (err says why).
 */
static int handle(struct vu_dev *d, struct vu_msg *m, char *err, size_t errlen)
{
    int want = payload_size(m->request), fd;
    unsigned q = 0;
    struct vu_queue *vqs = NULL;

    if (want >= 0 && m->size != (uint32_t)want) {
        snprintf(err, errlen, "vhost-user message %u has %u payload bytes, not %d", m->request,
                 m->size, want);
        return -1;
    }
    if (m->nfds && m->request != VU_SET_MEM_TABLE && m->request != VU_SET_VRING_KICK &&
        m->request != VU_SET_VRING_CALL && m->request != VU_SET_VRING_ERR) {
        snprintf(err, errlen, "vhost-user message %u carries %u unexpected fds", m->request,
                 m->nfds);
        return -1;
    }
    switch (m->request) {
    case VU_SET_VRING_NUM: case VU_SET_VRING_BASE: case VU_GET_VRING_BASE:
    case VU_SET_VRING_ENABLE: case VU_SET_VRING_ADDR:
        q = m->p.state.index;    /* index is first in vu_addr too */
        break;
    case VU_SET_VRING_KICK: case VU_SET_VRING_CALL: case VU_SET_VRING_ERR:
        q = (unsigned)(m->p.u64 & VU_VRING_INDEX_MASK);
        break;
    }
    if (q >= d->nr_queues) {
        snprintf(err, errlen, "vhost-user message %u names queue %u (the device has %u)",
                 m->request, q, d->nr_queues);
        return -1;
    }
    vqs = &d->q[q];

    switch (m->request) {
    case VU_GET_FEATURES:
        m->p.u64 = d->features;
        return vu_msg_reply(d->sock, m, 8) < 0 ? -1 : 1;
    case VU_SET_FEATURES:
        if (m->p.u64 & ~d->features) {
            snprintf(err, errlen, "SET_FEATURES 0x%llx: not offered: 0x%llx",
                     (unsigned long long)m->p.u64,
                     (unsigned long long)(m->p.u64 & ~d->features));
            return -1;
        }
        d->acked = m->p.u64;
        /* Without protocol features a ring is enabled as it starts. */
        if (!vu_dev_has(d, VU_F_PROTOCOL_FEATURES))
            for (unsigned i = 0; i < d->nr_queues; i++)
                d->q[i].enabled = true;
        return 0;
    case VU_GET_PROTOCOL_FEATURES:
        m->p.u64 = d->protocol;
        return vu_msg_reply(d->sock, m, 8) < 0 ? -1 : 1;
    case VU_SET_PROTOCOL_FEATURES:
        if (m->p.u64 & ~d->protocol) {
            snprintf(err, errlen, "SET_PROTOCOL_FEATURES 0x%llx: not offered: 0x%llx",
                     (unsigned long long)m->p.u64,
                     (unsigned long long)(m->p.u64 & ~d->protocol));
            return -1;
        }
        d->protocol_acked = m->p.u64;
        return 0;
    case VU_GET_QUEUE_NUM:
        m->p.u64 = d->queue_num;
        return vu_msg_reply(d->sock, m, 8) < 0 ? -1 : 1;
    case VU_SET_OWNER:
        return 0;
    case VU_RESET_OWNER:
        vu_dev_reset(d);
        return 0;
    case VU_SET_MEM_TABLE:
        return set_mem_table(d, m, err, errlen);
    case VU_SET_VRING_NUM:
        if (vqs->started || m->p.state.num == 0 || m->p.state.num > VIRTQ_MAX_SIZE ||
            (m->p.state.num & (m->p.state.num - 1))) {
            snprintf(err, errlen, "queue %u: size %u %s", q, m->p.state.num,
                     vqs->started ? "while the queue runs"
                                  : "is not a power of two from 1 to 32768");
            return -1;
        }
        vqs->num = m->p.state.num;
        return 0;
    case VU_SET_VRING_ADDR:
        if (vqs->started) {
            snprintf(err, errlen, "queue %u: ring addresses while the queue runs", q);
            return -1;
        }
        vqs->addr = m->p.addr;
        vqs->addr_set = true;
        return 0;
    case VU_SET_VRING_BASE:
        if (vqs->started || m->p.state.num > UINT16_MAX) {
            snprintf(err, errlen, "queue %u: base %u %s", q, m->p.state.num,
                     vqs->started ? "while the queue runs" : "is above 65535");
            return -1;
        }
        vqs->base = (uint16_t)m->p.state.num;
        return 0;
    case VU_GET_VRING_BASE:
        stop_queue(d, q);       /* nothing of it is in flight when we answer */
        m->p.state.num = vqs->base;
        return vu_msg_reply(d->sock, m, sizeof(m->p.state)) < 0 ? -1 : 1;
    case VU_SET_VRING_KICK:
        if ((fd = take_ring_fd(m)) < 0) {
            snprintf(err, errlen, "queue %u: SET_VRING_KICK 0x%llx with %u fds (a kick eventfd "
                     "is required)", q, (unsigned long long)m->p.u64, m->nfds);
            return -1;
        }
        stop_queue(d, q);
        vqs->kick_fd = fd;
        if (start_queue(d, q, err, errlen) < 0) {
            close_fd(&vqs->kick_fd);
            return -1;
        }
        return 0;
    case VU_SET_VRING_CALL:
    case VU_SET_VRING_ERR:
        if ((fd = take_ring_fd(m)) == -2) {
            snprintf(err, errlen, "queue %u: %s 0x%llx with %u fds", q,
                     m->request == VU_SET_VRING_CALL ? "SET_VRING_CALL" : "SET_VRING_ERR",
                     (unsigned long long)m->p.u64, m->nfds);
            return -1;
        }
        if (m->request == VU_SET_VRING_CALL) {
            close_fd(&vqs->call_fd);
            vqs->call_fd = fd;
        } else {
            close_fd(&vqs->err_fd);
            vqs->err_fd = fd;
        }
        return 0;
    case VU_SET_VRING_ENABLE:
        if (m->p.state.num > 1) {
            snprintf(err, errlen, "queue %u: SET_VRING_ENABLE %u", q, m->p.state.num);
            return -1;
        }
        vqs->enabled = m->p.state.num;
        return 0;
    case VU_GET_CONFIG:
        if (!d->ops->config || !(d->protocol_acked & (1ull << VU_PROTOCOL_F_CONFIG))) {
            snprintf(err, errlen, "GET_CONFIG without VHOST_USER_PROTOCOL_F_CONFIG");
            return -1;
        }
        if (m->size < 12 || m->p.config.size > VU_CONFIG_MAX ||
            m->p.config.offset > VU_CONFIG_MAX - m->p.config.size ||
            m->size != 12 + m->p.config.size) {
            snprintf(err, errlen, "GET_CONFIG of %u bytes at %u in a %u-byte message",
                     m->p.config.size, m->p.config.offset, m->size);
            return -1;
        }
        memset(m->p.config.data, 0, m->p.config.size);
        d->ops->config(d, m->p.config.data, m->p.config.offset, m->p.config.size);
        return vu_msg_reply(d->sock, m, m->size) < 0 ? -1 : 1;
    case VU_SET_CONFIG:
        snprintf(err, errlen, "SET_CONFIG: the config space is read-only");
        return -1;
    default:
        snprintf(err, errlen, "vhost-user message %u is not supported", m->request);
        return -1;
    }
}

int vu_dev_message(struct vu_dev *d)
{
    char err[256] = "";
    struct vu_msg m;
    bool ack;
    int rc = vu_msg_read(d->sock, &m, err, sizeof(err));

    if (rc == 0)
        return 1;
    if (rc < 0)
        goto fatal;
    ack = (m.flags & VU_FLAG_NEED_REPLY) &&
          (d->protocol_acked & (1ull << VU_PROTOCOL_F_REPLY_ACK));
    rc = handle(d, &m, err, sizeof(err));
    vu_msg_close_fds(&m);
    if (rc == 1)
        return 0;
    if (rc < 0 && !ack)
        goto fatal;
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", d->prog, err);
    if (ack) {
        m.p.u64 = rc < 0;
        if (vu_msg_reply(d->sock, &m, 8) < 0) {
            snprintf(err, sizeof(err), "vhost-user reply: %s", strerror(errno));
            goto fatal;
        }
    }
    return 0;
fatal:
    fprintf(stderr, "%s: %s\n", d->prog, err);
    return -1;
}
