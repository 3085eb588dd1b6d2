/*
 * virtq.c - the device side of a split virtqueue, parsing the guest's
 * descriptors as hostile input (virtq.h).
 *
 * Ordering: the guest publishes descriptors before the available index,
 * so the index is read with acquire; we publish used entries before the
 * used index (release), and a full fence separates "used index written"
 * from "read whether the guest wants a call" (and "notifications on"
 * from "check for buffers once more"), as the spec's event-suppression
 * rules need.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "virtq.h"

#define barrier() __asm__ __volatile__("" ::: "memory")

static uint16_t load16(const uint16_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static uint16_t *avail_event(struct virtq *vq)
{
    return (uint16_t *)&vq->used->ring[vq->num];
}

static uint16_t used_event(const struct virtq *vq)
{
    return load16(&vq->avail->ring[vq->num]);
}

__attribute__((format(printf, 2, 3)))
static int broken(struct virtq *vq, const char *fmt, ...)
{
    va_list ap;
    int n;

    n = snprintf(vq->error, sizeof(vq->error), "queue %u: ", vq->index);
    va_start(ap, fmt);
    vsnprintf(vq->error + n, sizeof(vq->error) - (size_t)n, fmt, ap);
    va_end(ap);
    vq->broken = true;
    return -1;
}

int virtq_init(struct virtq *vq, unsigned index, unsigned num, void *desc, void *avail,
               void *used, const struct vu_mem *mem, uint16_t base, bool event_idx,
               bool indirect)
{
    memset(vq, 0, sizeof(*vq));
    vq->index = index;
    if (num == 0 || num > VIRTQ_MAX_SIZE || (num & (num - 1)))
        return broken(vq, "size %u is not a power of two from 1 to %u", num, VIRTQ_MAX_SIZE);
    if (((uintptr_t)desc & 15) || ((uintptr_t)avail & 1) || ((uintptr_t)used & 3))
        return broken(vq, "rings at %p %p %p are not aligned (16, 2, 4)", desc, avail, used);
    vq->num = (uint16_t)num;   /* 32768 fits; num - 1 is what masks use */
    vq->desc = desc;
    vq->avail = avail;
    vq->used = used;
    vq->mem = mem;
    vq->last_avail = base;
    vq->used_idx = base;
    vq->event_idx = event_idx;
    vq->indirect = indirect;
    return 0;
}

static unsigned mask(const struct virtq *vq)
{
    return (vq->num ? vq->num : 1) - 1u;
}

/* One descriptor, copied once out of guest memory. */
static void read_desc(const struct virtq_desc *src, struct virtq_desc *dst)
{
    memcpy(dst, src, sizeof(*dst));
    barrier();
}

static int add_buffer(struct virtq *vq, struct virtq_elem *e, const struct virtq_desc *d)
{
    unsigned n = e->n_out + e->n_in;
    int rc;

    if (!(d->flags & VIRTQ_DESC_F_WRITE) && e->n_in > 0)
        return broken(vq, "head %u: device-readable buffer after a device-writable one",
                      e->head);
    if (d->len && d->addr > UINT64_MAX - (d->len - 1))
        return broken(vq, "head %u: buffer 0x%llx+%u wraps around", e->head,
                      (unsigned long long)d->addr, d->len);
    rc = vu_mem_gpa_iov(vq->mem, d->addr, d->len, e->iov, &n, VIRTQ_MAX_SEGS);
    if (rc == -1)
        return broken(vq, "head %u: buffer 0x%llx+%u is outside guest memory", e->head,
                      (unsigned long long)d->addr, d->len);
    if (rc == -2)
        return broken(vq, "head %u: request of more than %u buffers", e->head, VIRTQ_MAX_SEGS);
    if (d->flags & VIRTQ_DESC_F_WRITE) {
        e->n_in = n - e->n_out;
        e->in_len += d->len;
    } else {
        e->n_out = n;
        e->out_len += d->len;
    }
    return 0;
}

int virtq_pop(struct virtq *vq, struct virtq_elem *e)
{
    const struct virtq_desc *table = vq->desc;
    unsigned tsize = vq->num, i, count = 0;
    bool in_indirect = false;
    uint16_t idx, head;

    if (vq->broken)
        return -1;
    idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
    if (idx == vq->last_avail)
        return 0;
    if ((uint16_t)(idx - vq->last_avail) > vq->num)
        return broken(vq, "available index %u is %u ahead of %u, more than the queue size %u",
                      idx, (uint16_t)(idx - vq->last_avail), vq->last_avail, vq->num);
    head = load16(&vq->avail->ring[vq->last_avail & mask(vq)]);
    if (head >= vq->num)
        return broken(vq, "head %u is not below the queue size %u", head, vq->num);

    e->head = head;
    e->n_out = e->n_in = 0;
    e->out_len = e->in_len = 0;
    i = head;
    for (;;) {
        struct virtq_desc d;

        if (++count > tsize)
            return in_indirect
                ? broken(vq, "head %u: indirect chain loops or is longer than its table of %u",
                         head, tsize)
                : broken(vq, "head %u: chain loops or is longer than the queue size %u", head,
                         tsize);
        read_desc(&table[i], &d);
        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if (!vq->indirect)
                return broken(vq, "head %u: indirect descriptor without VIRTIO_F_INDIRECT_DESC",
                              head);
            if (in_indirect)
                return broken(vq, "head %u: indirect descriptor inside an indirect table", head);
            if (d.flags & VIRTQ_DESC_F_NEXT)
                return broken(vq, "head %u: indirect descriptor with NEXT set", head);
            if (d.len == 0 || d.len % sizeof(struct virtq_desc) ||
                d.len / sizeof(struct virtq_desc) > VIRTQ_MAX_INDIRECT)
                return broken(vq, "head %u: indirect table length %u is not a multiple of 16 "
                              "from 16 to %u", head, d.len,
                              VIRTQ_MAX_INDIRECT * (unsigned)sizeof(struct virtq_desc));
            table = vu_mem_gpa(vq->mem, d.addr, d.len);
            if (!table)
                return broken(vq, "head %u: indirect table 0x%llx+%u is outside guest memory",
                              head, (unsigned long long)d.addr, d.len);
            if ((uintptr_t)table % _Alignof(struct virtq_desc))
                return broken(vq, "head %u: indirect table 0x%llx is not 8-byte aligned", head,
                              (unsigned long long)d.addr);
            tsize = d.len / sizeof(struct virtq_desc);
            in_indirect = true;
            count = 0;
            i = 0;
            continue;
        }
        if (add_buffer(vq, e, &d) < 0)
            return -1;
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            break;
        if (d.next >= tsize)
            return broken(vq, "head %u: next descriptor %u is not below %u", head, d.next, tsize);
        i = d.next;
    }
    vq->last_avail++;
    return 1;
}

void virtq_unpop(struct virtq *vq)
{
    vq->last_avail--;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
    struct virtq_used_elem *u = &vq->used->ring[vq->used_idx & mask(vq)];

    __atomic_store_n(&u->id, (uint32_t)head, __ATOMIC_RELAXED);
    __atomic_store_n(&u->len, len, __ATOMIC_RELAXED);
    vq->used_idx++;
}

bool virtq_flush(struct virtq *vq)
{
    uint16_t old = vq->signalled_used, new = vq->used_idx;
    bool valid = vq->signalled_valid;

    if (valid && old == new)
        return false;               /* nothing since the last decision */
    __atomic_store_n(&vq->used->idx, new, __ATOMIC_RELEASE);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    vq->signalled_used = new;
    vq->signalled_valid = true;
    if (!vq->event_idx)
        return !(load16(&vq->avail->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    if (!valid)
        return true;
    /* The guest wants a call once used idx passes used_event. */
    return (uint16_t)(new - used_event(vq) - 1) < (uint16_t)(new - old);
}

bool virtq_has_avail(const struct virtq *vq)
{
    return !vq->broken &&
           __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

bool virtq_notify(struct virtq *vq, bool on)
{
    if (vq->broken)
        return false;
    if (vq->event_idx) {
        /* Off: leave avail_event behind; the guest kicks only on crossing it. */
        if (on)
            __atomic_store_n(avail_event(vq), vq->last_avail, __ATOMIC_RELAXED);
    } else {
        __atomic_store_n(&vq->used->flags, on ? 0 : VIRTQ_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
    }
    if (!on)
        return false;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return virtq_has_avail(vq);
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len)
{
    size_t done = 0;

    for (unsigned i = 0; i < n && done < len; i++) {
        size_t l = iov[i].iov_len;

        if (off >= l) {
            off -= l;
            continue;
        }
        l -= off;
        if (l > len - done)
            l = len - done;
        memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + off, l);
        done += l;
        off = 0;
    }
    return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf, size_t len)
{
    size_t done = 0;

    for (unsigned i = 0; i < n && done < len; i++) {
        size_t l = iov[i].iov_len;

        if (off >= l) {
            off -= l;
            continue;
        }
        l -= off;
        if (l > len - done)
            l = len - done;
        memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, l);
        done += l;
        off = 0;
    }
    return done;
}

int iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len, struct iovec *out,
              unsigned max)
{
    unsigned k = 0;

    for (unsigned i = 0; i < n && len > 0; i++) {
        size_t l = iov[i].iov_len;

        if (off >= l) {
            off -= l;
            continue;
        }
        l -= off;
        if (l > len)
            l = len;
        if (k >= max)
            return -1;
        out[k].iov_base = (uint8_t *)iov[i].iov_base + off;
        out[k].iov_len = l;
        k++;
        len -= l;
        off = 0;
    }
    return len ? -1 : (int)k;
}
