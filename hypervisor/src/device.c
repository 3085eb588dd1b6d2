/*
 * device.c - the device page, the set-up hypercalls (HC_dev_op) and the
 * notification paths of hvcore's pv devices (device.h).
 *
 * The guest's side of the transport is hostile input: a queue's
 * description is copied out of guest memory once and checked (alignment,
 * extents inside RAM above HV_KERNEL_MIN_ADDR, sizes, vCPU) before any of
 * it reaches a back end.  The page itself is the guest's read-only view of
 * the table, rewritten slot by slot with a generation that is odd while a
 * slot changes, as pvclock's version is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "device.h"
#include "event_loop.h"
#include "evtchn.h"
#include "hvcore.h"
#include "memory.h"
#include "public/errno.h"
#include "public/layout.h"
#include "vcpu.h"

_Static_assert(sizeof(struct hv_dev_info) == 192, "hv_dev_info is 192 bytes");
_Static_assert(sizeof(struct hv_device_page) <= HV_PAGE_SIZE, "device page fits a page");

static struct hv_device_page *dev_page(struct domain *d)
{
    return (struct hv_device_page *)(d->mem + HV_DEVICE_PAGE);
}

void device_init(struct domain *d)
{
    pthread_mutex_init(&d->dev_lock, NULL);
    for (unsigned i = 0; i < DEV_NR_QIDS; i++) {
        d->dev_kick_fd[i] = d->dev_call_fd[i] = -1;
        d->dev_call_port[i] = 0;
    }
}

/* Rewrite slot s as info says (NULL: free), generation odd meanwhile. */
static void publish(struct domain *d, unsigned s, const struct hv_dev_info *info)
{
    struct hv_device_page *pg = dev_page(d);
    struct hv_dev_info *slot = &pg->dev[s];
    uint32_t gen = __atomic_load_n(&slot->generation, __ATOMIC_RELAXED);

    gen += gen & 1;                 /* at rest it is even */
    __atomic_store_n(&slot->generation, gen + 1, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (info) {
        memcpy((char *)slot + 12, (const char *)info + 12, sizeof(*slot) - 12);
        __atomic_store_n(&slot->type, info->type, __ATOMIC_RELAXED);
        __atomic_store_n(&slot->state, info->state, __ATOMIC_RELAXED);
    } else {
        memset((char *)slot + 12, 0, sizeof(*slot) - 12);
        __atomic_store_n(&slot->type, HV_DEV_TYPE_NONE, __ATOMIC_RELAXED);
        __atomic_store_n(&slot->state, HV_DEV_STATE_FREE, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&slot->generation, gen + 2, __ATOMIC_RELEASE);
    __atomic_fetch_add(&pg->generation, 1, __ATOMIC_RELEASE);
    mem_note_write(d, HV_DEVICE_PAGE, HV_PAGE_SIZE);
}

static void info_of(const struct device *dev, struct hv_dev_info *info)
{
    memset(info, 0, sizeof(*info));
    info->type = dev->spec.type;
    info->state = dev->state;
    info->nr_queues = dev->nr_queues;
    info->queue_max = dev->queue_max;
    info->features = dev->features;
    for (unsigned q = 0; q < HV_DEV_MAX_QUEUES; q++)
        info->port[q] = dev->q[q].set_up ? dev->q[q].port : 0;
    memcpy(info->id, dev->spec.id, sizeof(info->id));
    info->config_len = dev->config_len;
    memcpy(info->config, dev->config, sizeof(info->config));
}

void dev_slot_publish(struct domain *d, struct device *dev)
{
    struct hv_dev_info info;

    info_of(dev, &info);
    publish(d, dev->slot, &info);
    evtchn_raise_virq(d, VIRQ_DEVICE, 0);
}

void dev_slot_clear(struct domain *d, unsigned slot)
{
    publish(d, slot, NULL);
    evtchn_raise_virq(d, VIRQ_DEVICE, 0);
}

void device_page_build(struct domain *d)
{
    struct hv_device_page *pg = dev_page(d);

    memset(pg, 0, HV_PAGE_SIZE);
    pg->magic = HV_DEVICE_PAGE_MAGIC;
    pg->nr_slots = HV_DEV_MAX;
    pthread_mutex_lock(&d->dev_lock);
    for (unsigned s = 0; s < HV_DEV_MAX; s++) {
        struct hv_dev_info info;
        if (!d->dev[s])
            continue;
        info_of(d->dev[s], &info);
        publish(d, s, &info);
    }
    pthread_mutex_unlock(&d->dev_lock);
}

unsigned device_count(struct domain *d)
{
    unsigned n = 0;

    pthread_mutex_lock(&d->dev_lock);
    for (unsigned s = 0; s < HV_DEV_MAX; s++)
        n += d->dev[s] != NULL;
    pthread_mutex_unlock(&d->dev_lock);
    return n;
}

static int ioeventfd(struct domain *d, int fd, unsigned qid, bool assign)
{
    struct kvm_ioeventfd io = {
        .datamatch = qid,
        .addr = HV_NOTIFY_PORT,
        .len = 4,
        .fd = fd,
        .flags = KVM_IOEVENTFD_FLAG_PIO | KVM_IOEVENTFD_FLAG_DATAMATCH |
                 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
    };

    return ioctl(d->vm_fd, KVM_IOEVENTFD, &io) < 0 ? -errno : 0;
}

/*
 * A queue's call eventfd is watched by the vCPU its port notifies (in
 * vcpu_block) and by the event loop, both with EPOLLEXCLUSIVE and the
 * vCPU first in the eventfd's wait queue: a completion wakes the vCPU if
 * it waits, and the loop only if it does not (the vCPU runs guest code
 * and needs the loop to raise the port and kick it).  A completion so
 * costs one thread wake-up, not two.
 */
static void vcpu_epoll(struct domain *d, unsigned vcpu, int fd, unsigned qid, bool add)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLEXCLUSIVE, .data.u32 = qid };
    int ep = d->vcpu[vcpu].dev_epoll;

    if (ep < 0)
        return;
    if (!add) {
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        return;
    }
    loop_unwatch_device(d, fd);
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    if (d->epoll_fd >= 0)
        loop_watch_device(d, fd, DEVFD_TAG(DEVFD_CALL, qid / HV_DEV_MAX_QUEUES,
                                           qid % HV_DEV_MAX_QUEUES), WATCH_IN_EXCLUSIVE);
}

/* The queue's error eventfd goes: a signal from the back end after this
 * finds no fd (or, read in the loop, an fd of a later start that has
 * none pending). */
static void err_fd_close(struct domain *d, struct dev_queue *dq)
{
    if (dq->err_fd < 0)
        return;
    loop_unwatch_device(d, dq->err_fd);
    close(dq->err_fd);
    dq->err_fd = -1;
}

/* The back end stops serving the queues (asked first when talk: it has
 * stopped touching the rings once GET_VRING_BASE is answered); guest
 * notifications no longer reach it.  The set-up (ports) stays. */
int dev_queues_stop(struct domain *d, struct device *dev, bool talk)
{
    int ret = 0;

    for (unsigned q = 0; q < HV_DEV_MAX_QUEUES; q++) {
        struct dev_queue *dq = &dev->q[q];
        unsigned qid = DEV_QID(dev->slot, q), base;
        uint64_t cnt;

        if (!dq->live)
            continue;
        if (talk && !dev->vu.deadline_ns)
            vu_deadline_begin(&dev->vu, VHOST_USER_TIMEOUT_MS);   /* for all queues */
        if (talk && dev->connected && vu_get_vring_base(&dev->vu, q, &base) < 0) {
            talk = false;
            ret = -HVE_IO;      /* the caller counts the back end lost */
        }
        pthread_mutex_lock(&d->lock);
        d->dev_kick_fd[qid] = -1;
        pthread_mutex_unlock(&d->lock);
        if (dq->ioeventfd)
            ioeventfd(d, dq->kick_fd, qid, false);
        dq->ioeventfd = false;
        dq->live = false;
        err_fd_close(d, dq);
        (void)!read(dq->kick_fd, &cnt, sizeof(cnt));
    }
    vu_deadline_end(&dev->vu);
    return ret;
}

/* Forget the guest's set-up: ports closed, features unset. */
void dev_forget_setup(struct domain *d, struct device *dev)
{
    for (unsigned q = 0; q < HV_DEV_MAX_QUEUES; q++) {
        struct dev_queue *dq = &dev->q[q];
        unsigned qid = DEV_QID(dev->slot, q);

        if (!dq->set_up)
            continue;
        vcpu_epoll(d, dq->vcpu, dq->call_fd, qid, false);
        pthread_mutex_lock(&d->lock);
        evtchn_close_device_locked(d, dq->port);
        d->dev_call_port[qid] = 0;
        pthread_mutex_unlock(&d->lock);
        dq->set_up = false;
        dq->port = 0;
    }
    dev->features_set = false;
    dev->driver_features = 0;
}

/* Is [addr, addr + len) guest RAM a back end may see?  Overflow-safe. */
static bool ring_ok(const struct domain *d, uint64_t addr, uint64_t len, uint64_t align)
{
    return (addr & (align - 1)) == 0 && addr >= HV_KERNEL_MIN_ADDR &&
           addr < d->mem_max_bytes && len <= d->mem_max_bytes - addr;
}

static int64_t setup_queue(struct domain *d, struct device *dev, uint64_t arg)
{
    struct hv_dev_queue q;

    if (mem_copy_from_guest(d, &q, arg, sizeof(q)) < 0)
        return -HVE_FAULT;
    /* From here on only the copy is used. */
    if (q.index >= dev->nr_queues || q.size == 0 || (q.size & (q.size - 1)) ||
        q.size > dev->queue_max || q.vcpu >= d->max_vcpus)
        return -HVE_INVAL;
    if (!ring_ok(d, q.desc, 16ULL * q.size, 16) ||
        !ring_ok(d, q.avail, 6ULL + 2ULL * q.size, 2) ||
        !ring_ok(d, q.used, 6ULL + 8ULL * q.size, 4))
        return -HVE_INVAL;

    struct dev_queue *dq = &dev->q[q.index];
    unsigned qid = DEV_QID(dev->slot, q.index);
    pthread_mutex_lock(&d->lock);
    int port = evtchn_bind_device_locked(d, q.vcpu);
    pthread_mutex_unlock(&d->lock);
    if (port < 0)
        return port;
    if (dq->set_up) {               /* replaces the earlier set-up */
        vcpu_epoll(d, dq->vcpu, dq->call_fd, qid, false);
        pthread_mutex_lock(&d->lock);
        evtchn_close_device_locked(d, dq->port);
        pthread_mutex_unlock(&d->lock);
    }
    dq->set_up = true;
    dq->size = q.size;
    dq->vcpu = q.vcpu;
    dq->port = (uint16_t)port;
    dq->desc = q.desc;
    dq->avail = q.avail;
    dq->used = q.used;
    pthread_mutex_lock(&d->lock);
    d->dev_call_port[qid] = (uint16_t)port;
    pthread_mutex_unlock(&d->lock);
    vcpu_epoll(d, dq->vcpu, dq->call_fd, qid, true);
    dev_slot_publish(d, dev);
    return port;
}

/* DRIVER_OK: features, memory and every set-up ring to the back end.
 * 0, or -HVE_IO with the back end counted lost. */
static int64_t start(struct domain *d, struct device *dev)
{
    struct vu_conn *c = &dev->vu;
    bool enable = c->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES);
    uint64_t feat = dev->driver_features | (c->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES));
    int r;

    vu_deadline_begin(c, VHOST_USER_TIMEOUT_MS);    /* for the whole start */
    r = vu_set_features(c, feat);
    if (r == 0)
        r = vu_set_mem_table(c, HV_KERNEL_MIN_ADDR, d->mem_max_bytes - HV_KERNEL_MIN_ADDR,
                             (uint64_t)(uintptr_t)(d->mem + HV_KERNEL_MIN_ADDR),
                             HV_KERNEL_MIN_ADDR, d->mem_fd);
    for (unsigned q = 0; r == 0 && q < HV_DEV_MAX_QUEUES; q++) {
        struct dev_queue *dq = &dev->q[q];
        unsigned qid = DEV_QID(dev->slot, q);
        if (!dq->set_up)
            continue;
        r = vu_set_vring_state(c, VHOST_USER_SET_VRING_NUM, q, dq->size);
        if (r == 0)
            r = vu_set_vring_state(c, VHOST_USER_SET_VRING_BASE, q, 0);
        if (r == 0)
            r = vu_set_vring_addr(c, q, (uint64_t)(uintptr_t)(d->mem + dq->desc),
                                  (uint64_t)(uintptr_t)(d->mem + dq->used),
                                  (uint64_t)(uintptr_t)(d->mem + dq->avail));
        if (r == 0)
            r = vu_set_vring_fd(c, VHOST_USER_SET_VRING_CALL, q, dq->call_fd);
        /* Before the kick (which starts the ring when there is no
         * SET_VRING_ENABLE): a queue the back end stops reaches the guest
         * as NEEDS_RESET (device_on_fd). */
        if (r == 0) {
            dq->err_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            r = dq->err_fd < 0 ? -HVE_NOMEM
                               : vu_set_vring_fd(c, VHOST_USER_SET_VRING_ERR, q, dq->err_fd);
        }
        if (r == 0)
            r = vu_set_vring_fd(c, VHOST_USER_SET_VRING_KICK, q, dq->kick_fd);
        if (r == 0 && enable)
            r = vu_set_vring_state(c, VHOST_USER_SET_VRING_ENABLE, q, 1);
        if (r < 0) {
            err_fd_close(d, dq);
            break;
        }
        loop_watch_device(d, dq->err_fd, DEVFD_TAG(DEVFD_ERR, dev->slot, q), WATCH_IN);
        dq->live = true;
        /* A notification hvcore sees (no ioeventfd) reaches the same fd. */
        dq->ioeventfd = d->have_ioeventfd && ioeventfd(d, dq->kick_fd, qid, true) == 0;
        pthread_mutex_lock(&d->lock);
        d->dev_kick_fd[qid] = dq->kick_fd;
        pthread_mutex_unlock(&d->lock);
    }
    vu_deadline_end(c);
    if (r < 0) {
        dev_backend_lost(d, dev, r == -HVE_TIMEDOUT ? "no answer to the queue set-up"
                                                     : "the queue set-up failed");
        return -HVE_IO;
    }
    dev->state = HV_DEV_STATE_RUNNING;
    dev_slot_publish(d, dev);
    return 0;
}

static int64_t reset(struct domain *d, struct device *dev)
{
    if (dev_queues_stop(d, dev, true) < 0)
        dev_backend_lost(d, dev, "no answer to GET_VRING_BASE");
    dev_forget_setup(d, dev);
    dev->state = dev->connected ? HV_DEV_STATE_READY : HV_DEV_STATE_CONNECTING;
    dev_slot_publish(d, dev);
    return 0;
}

/* HVCORE_DEVICE_TRACE: one line per HC_dev_op on standard error. */
static int trace = -1;

int64_t device_op(struct vcpu *v, uint64_t op, uint64_t slot, uint64_t arg)
{
    struct domain *d = v->dom;
    struct device *dev = NULL;
    int64_t ret;

    if (op > DEVOP_reset)
        return -HVE_NOSYS;
    if (slot >= HV_DEV_MAX)
        return -HVE_INVAL;
    pthread_mutex_lock(&d->dev_lock);
    dev = d->dev[slot];
    if (!dev) {
        ret = -HVE_NOENT;
        goto out;
    }
    if (op == DEVOP_reset) {
        ret = reset(d, dev);
        goto out;
    }
    if (dev->state == HV_DEV_STATE_CONNECTING || dev->state == HV_DEV_STATE_NEEDS_RESET) {
        ret = -HVE_AGAIN;
        goto out;
    }
    if (dev->state != HV_DEV_STATE_READY) {
        ret = -HVE_BUSY;            /* running: DEVOP_reset first */
        goto out;
    }
    switch (op) {
    case DEVOP_set_features:
        if ((arg & ~dev->features) || !(arg & (1ULL << HV_VIRTIO_F_VERSION_1))) {
            ret = -HVE_INVAL;
            break;
        }
        dev->driver_features = arg;
        dev->features_set = true;
        ret = 0;
        break;
    case DEVOP_setup_queue:
        ret = setup_queue(d, dev, arg);
        break;
    default:                        /* DEVOP_start */
        ret = arg != 0 || !dev->features_set ? -HVE_INVAL : start(d, dev);
        break;
    }
out:
    if (trace < 0)
        trace = getenv("HVCORE_DEVICE_TRACE") != NULL;
    if (trace)
        fprintf(stderr, "hvcore: vcpu %u: dev_op %llu slot %llu arg %#llx = %lld (state %u)\n",
                v->id, (unsigned long long)op, (unsigned long long)slot,
                (unsigned long long)arg, (long long)ret, dev ? dev->state : 0);
    pthread_mutex_unlock(&d->dev_lock);
    return ret;
}

void device_notify(struct domain *d, uint64_t qid)
{
    static const uint64_t one = 1;

    if (qid >= DEV_NR_QIDS)
        return;
    pthread_mutex_lock(&d->lock);
    int fd = d->dev_kick_fd[qid];
    if (fd >= 0)
        (void)!write(fd, &one, sizeof(one));
    pthread_mutex_unlock(&d->lock);
}

void device_call(struct domain *d, unsigned qid)
{
    uint64_t cnt;

    if (qid >= DEV_NR_QIDS)
        return;
    pthread_mutex_lock(&d->lock);
    int fd = d->dev_call_fd[qid];
    if (fd >= 0 && read(fd, &cnt, sizeof(cnt)) == (ssize_t)sizeof(cnt) &&
        d->dev_call_port[qid])
        evtchn_raise_device_locked(d, d->dev_call_port[qid]);
    pthread_mutex_unlock(&d->lock);
}

void device_boot(struct domain *d)
{
    pthread_mutex_lock(&d->dev_lock);
    for (unsigned s = 0; s < HV_DEV_MAX; s++) {
        struct device *dev = d->dev[s];
        if (!dev)
            continue;
        if (dev_queues_stop(d, dev, true) < 0)
            dev_backend_lost(d, dev, "no answer to GET_VRING_BASE");
        dev_forget_setup(d, dev);
        dev->state = dev->connected ? HV_DEV_STATE_READY : HV_DEV_STATE_CONNECTING;
    }
    pthread_mutex_unlock(&d->dev_lock);
}
