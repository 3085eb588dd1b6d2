/*
 * vhost_user.c - vhost-user messages, front-end side (vhost_user.h).
 *
 * Wire format (little-endian, as the host): a 12-byte header (request,
 * flags with the version in bits 0-1, REPLY bit 2, NEED_REPLY bit 3,
 * payload size) and the payload; file descriptors travel as SCM_RIGHTS
 * with the message.  The socket is non-blocking and every wait is a
 * poll() against the exchange's deadline, so nothing a back end does can
 * hold the calling thread (a vCPU, the event loop) longer than that.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hvcore.h"
#include "public/errno.h"
#include "vhost_user.h"

#define VU_VERSION     0x1u
#define VU_FLAG_REPLY  (1u << 2)
#define VU_FLAG_NEED_REPLY (1u << 3)
#define VU_CONFIG_HDR  12u
#define VU_MAX_PAYLOAD 512u

struct vu_hdr {
    uint32_t request;
    uint32_t flags;
    uint32_t size;
};

struct vu_vring_state { uint32_t index, num; };
struct vu_vring_addr {
    uint32_t index, flags;
    uint64_t desc, used, avail, log;
};
struct vu_mem_region { uint64_t gpa, size, uaddr, offset; };
struct vu_mem_table {
    uint32_t nregions, pad;
    struct vu_mem_region r[1];
};

struct vu_msg {
    struct vu_hdr h;
    uint8_t payload[VU_MAX_PAYLOAD];
};

static int remaining_ms(uint64_t deadline)
{
    uint64_t now = now_ns(CLOCK_MONOTONIC);

    return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

/* Wait for events on c->fd until deadline.  0 or -HVE_TIMEDOUT/-HVE_IO. */
static int wait_fd(struct vu_conn *c, short events, uint64_t deadline)
{
    for (;;) {
        struct pollfd p = { .fd = c->fd, .events = events };
        int ms = remaining_ms(deadline);
        if (ms == 0)
            return -HVE_TIMEDOUT;
        int n = poll(&p, 1, ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -HVE_IO;
        if (n == 0)
            return -HVE_TIMEDOUT;
        if (p.revents & events)
            return 0;
        return -HVE_IO;     /* hang-up or error without data */
    }
}

static int send_msg(struct vu_conn *c, const struct vu_msg *m, const int *fds, unsigned nfds,
                    uint64_t deadline)
{
    size_t len = sizeof(m->h) + m->h.size;
    struct iovec iov = { .iov_base = (void *)m, .iov_len = len };
    union {
        char buf[CMSG_SPACE(sizeof(int) * 2)];
        struct cmsghdr align;
    } ctl;
    struct msghdr mh;

    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (nfds) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
    }
    for (;;) {
        ssize_t n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n == (ssize_t)len)
            return 0;
        if (n >= 0)
            return -HVE_IO;     /* a torn message: the stream is lost */
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -HVE_IO;
        int r = wait_fd(c, POLLOUT, deadline);
        if (r < 0)
            return r;
    }
}

static int recv_all(struct vu_conn *c, void *buf, size_t len, uint64_t deadline)
{
    size_t got = 0;

    while (got < len) {
        ssize_t n = recv(c->fd, (char *)buf + got, len - got, MSG_DONTWAIT);
        if (n > 0) {
            got += (size_t)n;
            continue;
        }
        if (n == 0)
            return -HVE_IO;     /* the back end hung up */
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -HVE_IO;
        int r = wait_fd(c, POLLIN, deadline);
        if (r < 0)
            return r;
    }
    return 0;
}

/* The reply to request req: its payload, exactly size bytes. */
static int recv_reply(struct vu_conn *c, uint32_t req, void *payload, uint32_t size,
                      uint64_t deadline)
{
    struct vu_hdr h;
    uint8_t sink[VU_MAX_PAYLOAD];
    int r = recv_all(c, &h, sizeof(h), deadline);

    if (r < 0)
        return r;
    if (h.request != req || (h.flags & 3u) != VU_VERSION || !(h.flags & VU_FLAG_REPLY) ||
        h.size > VU_MAX_PAYLOAD)
        return -HVE_PROTO;
    r = recv_all(c, sink, h.size, deadline);
    if (r < 0)
        return r;
    if (h.size != size)
        return -HVE_PROTO;
    memcpy(payload, sink, size);
    return 0;
}

/*
 * Send request req with size bytes of payload (and fds); then read a
 * reply of reply_size bytes into reply, or, without one, wait for the
 * REPLY_ACK acknowledgement where negotiated.
 */
static int exchange(struct vu_conn *c, uint32_t req, const void *payload, uint32_t size,
                    const int *fds, unsigned nfds, void *reply, uint32_t reply_size)
{
    uint64_t deadline = now_ns(CLOCK_MONOTONIC) + (uint64_t)c->timeout_ms * 1000000ULL;
    struct vu_msg m;

    if (c->deadline_ns && c->deadline_ns < deadline)
        deadline = c->deadline_ns;
    int r;

    if (c->fd < 0)
        return -HVE_IO;
    memset(&m.h, 0, sizeof(m.h));
    m.h.request = req;
    m.h.flags = VU_VERSION;
    m.h.size = size;
    if (size)
        memcpy(m.payload, payload, size);
    bool ack = !reply && (c->protocol & (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK));
    if (ack)
        m.h.flags |= VU_FLAG_NEED_REPLY;
    r = send_msg(c, &m, fds, nfds, deadline);
    if (r < 0)
        return r;
    if (reply)
        return recv_reply(c, req, reply, reply_size, deadline);
    if (ack) {
        uint64_t status;
        r = recv_reply(c, req, &status, sizeof(status), deadline);
        if (r == 0 && status != 0)
            r = -HVE_IO;        /* the back end refused it */
        return r;
    }
    return 0;
}

void vu_deadline_begin(struct vu_conn *c, unsigned ms)
{
    c->deadline_ns = now_ns(CLOCK_MONOTONIC) + (uint64_t)ms * 1000000ULL;
}

void vu_deadline_end(struct vu_conn *c)
{
    c->deadline_ns = 0;
}

static int get_u64(struct vu_conn *c, uint32_t req, uint64_t *v)
{
    return exchange(c, req, NULL, 0, NULL, 0, v, sizeof(*v));
}

static int set_u64(struct vu_conn *c, uint32_t req, uint64_t v)
{
    return exchange(c, req, &v, sizeof(v), NULL, 0, NULL, 0);
}

int vu_handshake(struct vu_conn *c)
{
    const uint64_t want = (1ULL << VHOST_USER_PROTOCOL_F_MQ) |
                          (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) |
                          (1ULL << VHOST_USER_PROTOCOL_F_CONFIG);
    uint64_t v;
    int r;

    if (!c->timeout_ms)
        c->timeout_ms = VHOST_USER_TIMEOUT_MS;
    c->protocol = 0;
    c->queue_num = 0;
    r = get_u64(c, VHOST_USER_GET_FEATURES, &c->features);
    if (r < 0)
        return r;
    if (c->features & (1ULL << VHOST_USER_F_PROTOCOL_FEATURES)) {
        r = get_u64(c, VHOST_USER_GET_PROTOCOL_FEATURES, &v);
        if (r < 0)
            return r;
        /* Sent before REPLY_ACK is in force: no acknowledgement yet. */
        r = set_u64(c, VHOST_USER_SET_PROTOCOL_FEATURES, v & want);
        if (r < 0)
            return r;
        c->protocol = v & want;
        if (c->protocol & (1ULL << VHOST_USER_PROTOCOL_F_MQ)) {
            r = get_u64(c, VHOST_USER_GET_QUEUE_NUM, &v);
            if (r < 0)
                return r;
            c->queue_num = v > 0xffff ? 0xffff : (unsigned)v;
        }
    }
    return exchange(c, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, NULL, 0);
}

int vu_set_features(struct vu_conn *c, uint64_t features)
{
    return set_u64(c, VHOST_USER_SET_FEATURES, features);
}

int vu_set_mem_table(struct vu_conn *c, uint64_t gpa, uint64_t size, uint64_t uaddr,
                     uint64_t offset, int fd)
{
    struct vu_mem_table t;

    memset(&t, 0, sizeof(t));
    t.nregions = 1;
    t.r[0] = (struct vu_mem_region){ .gpa = gpa, .size = size, .uaddr = uaddr,
                                     .offset = offset };
    return exchange(c, VHOST_USER_SET_MEM_TABLE, &t, sizeof(t), &fd, 1, NULL, 0);
}

int vu_set_vring_state(struct vu_conn *c, uint32_t req, unsigned index, unsigned num)
{
    struct vu_vring_state s = { .index = index, .num = num };

    return exchange(c, req, &s, sizeof(s), NULL, 0, NULL, 0);
}

int vu_set_vring_addr(struct vu_conn *c, unsigned index, uint64_t desc, uint64_t used,
                      uint64_t avail)
{
    struct vu_vring_addr a = { .index = index, .desc = desc, .used = used, .avail = avail };

    return exchange(c, VHOST_USER_SET_VRING_ADDR, &a, sizeof(a), NULL, 0, NULL, 0);
}

int vu_set_vring_fd(struct vu_conn *c, uint32_t req, unsigned index, int fd)
{
    uint64_t v = index & 0xffu;

    return exchange(c, req, &v, sizeof(v), &fd, 1, NULL, 0);
}

int vu_get_vring_base(struct vu_conn *c, unsigned index, unsigned *base)
{
    struct vu_vring_state s = { .index = index, .num = 0 }, rep;
    int r = exchange(c, VHOST_USER_GET_VRING_BASE, &s, sizeof(s), NULL, 0, &rep, sizeof(rep));

    if (r == 0 && rep.index != index)
        r = -HVE_PROTO;
    if (r == 0)
        *base = rep.num;
    return r;
}

int vu_get_config(struct vu_conn *c, void *buf, uint32_t len)
{
    uint8_t req[VU_CONFIG_HDR + 256], rep[VU_CONFIG_HDR + 256];
    uint32_t hdr[3] = { 0, len, 0 };       /* offset, size, flags */

    if (len > 256)
        return -HVE_INVAL;
    memset(req, 0, sizeof(req));
    memcpy(req, hdr, sizeof(hdr));
    int r = exchange(c, VHOST_USER_GET_CONFIG, req, VU_CONFIG_HDR + len, NULL, 0, rep,
                     VU_CONFIG_HDR + len);
    if (r == 0)
        memcpy(buf, rep + VU_CONFIG_HDR, len);
    return r;
}
