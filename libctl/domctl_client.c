/*
 * domctl_client.c - the client side of the domctl wire (domctl.h):
 * fixed-size requests and replies on a SOCK_SEQPACKET socket, fds in
 * SCM_RIGHTS.  Nothing here knows about handles or error messages.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <sys/time.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "domain_int.h"
#include "public/errno.h"

/* How long to look for a reply before sleeping on the socket. */
#define CTL_SPIN_NS 30000L

_Static_assert(sizeof(struct hv_domctl) == 128, "domctl request size");
_Static_assert(sizeof(struct hv_domctl_reply) == 256, "domctl reply size");
_Static_assert(sizeof(struct hv_domctl_event) == 128, "domctl event size");

int ctl_connect(const hv_conn *conn, uint32_t domid)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/domains/%u/%s",
                         conn->rundir, domid, HV_DOMCTL_SOCKET) >=
        sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    /*
     * Non-blocking for the connect alone: a hung hvcore accepts nothing,
     * and once its backlog is full a blocking connect would wait for ever.
     * On a Unix socket it then fails at once with EAGAIN, told as the
     * timeout it is; it never answers EINPROGRESS.
     */
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -errno;
    /* A receive timeout on the socket instead of a poll per request: one
     * system call less on every round trip. */
    {
        struct timeval tv = { .tv_sec = DOMCTL_TIMEOUT_MS / 1000,
                              .tv_usec = (DOMCTL_TIMEOUT_MS % 1000) * 1000 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        if (e == EINTR)
            continue;
        close(fd);
        return e == EAGAIN ? -ETIMEDOUT : -e;
    }
    if (fcntl(fd, F_SETFL, 0) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    return fd;
}

void ctl_req_init(struct hv_domctl *req, uint32_t cmd, uint32_t domid,
                  uint32_t seq)
{
    memset(req, 0, sizeof(*req));
    req->cmd = cmd;
    req->interface_version = HV_DOMCTL_INTERFACE_VERSION;
    req->domid = domid;
    req->seq = seq;
}

int ctl_send(int fd, const struct hv_domctl *req)
{
    ssize_t n;

    do
        n = send(fd, req, sizeof(*req), MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == ECONNRESET ? -EPIPE : -errno;
    return n == (ssize_t)sizeof(*req) ? 0 : -EPROTO;
}

int ctl_send_tail(int fd, const struct hv_domctl *req, const void *tail,
                  size_t len)
{
    struct iovec iov[2] = {
        { .iov_base = (void *)req, .iov_len = sizeof(*req) },
        { .iov_base = (void *)tail, .iov_len = len },
    };
    struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
    ssize_t n;

    do
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == ECONNRESET ? -EPIPE : -errno;
    return n == (ssize_t)(sizeof(*req) + len) ? 0 : -EPROTO;
}

int ctl_send_fd(int fd, const struct hv_domctl *req, int pass)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = (void *)req, .iov_len = sizeof(*req) };
    struct msghdr mh;
    struct cmsghdr *c;
    ssize_t n;

    memset(&mh, 0, sizeof(mh));
    memset(&ctl, 0, sizeof(ctl));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof(ctl.buf);
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &pass, sizeof(int));
    do
        n = sendmsg(fd, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno == ECONNRESET ? -EPIPE : -errno;
    return n == (ssize_t)sizeof(*req) ? 0 : -EPROTO;
}

int ctl_recv(int fd, uint32_t seq, struct hv_domctl_reply *reply,
             int *passed_fd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = reply, .iov_len = sizeof(*reply) };
    struct msghdr mh;
    int got_fd = -1;
    ssize_t n;

    if (passed_fd)
        *passed_fd = -1;

    /*
     * hvcore answers most requests in a few microseconds, while putting
     * this thread to sleep and waking it from another CPU costs ~50 us on
     * a virtual machine: look for the reply briefly (yielding the CPU, in
     * case hvcore runs on this one) before blocking.
     */
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        memset(&mh, 0, sizeof(mh));
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            break;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) >
            CTL_SPIN_NS) {
            do
                n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
            while (n < 0 && errno == EINTR);
            break;
        }
        sched_yield();
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return -ETIMEDOUT;      /* SO_RCVTIMEO expired */
    if (n < 0)
        return errno == ECONNRESET ? -EPIPE : -errno;
    if (n == 0)
        return -EPIPE;

    /* Take ownership of any fd first, so no path below leaks it. */
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
            c->cmsg_len == CMSG_LEN(sizeof(int))) {
            if (got_fd >= 0)
                close(got_fd);
            memcpy(&got_fd, CMSG_DATA(c), sizeof(int));
        }
    if (n != (ssize_t)sizeof(*reply) || (mh.msg_flags & MSG_TRUNC) ||
        reply->seq != seq) {
        if (got_fd >= 0)
            close(got_fd);
        return -EPROTO;
    }
    if (passed_fd)
        *passed_fd = got_fd;
    else if (got_fd >= 0)
        close(got_fd);
    return 0;
}

int ctl_call(int fd, const struct hv_domctl *req,
             struct hv_domctl_reply *reply, int *passed_fd)
{
    int rc = ctl_send(fd, req);

    if (rc < 0)
        return rc;
    return ctl_recv(fd, req->seq, reply, passed_fd);
}

int ctl_status_to_hv(int32_t status)
{
    switch (-status) {
    case 0:
        return 0;
    case HVE_PERM:
        return HV_EPERM;
    case HVE_NOENT:
        return HV_ENOENT;
    case HVE_NOMEM:
        return HV_ENOMEM;
    case HVE_ALREADY:
    case HVE_BUSY:
        return HV_ESTATE;
    case HVE_INVAL:
    case HVE_RANGE:
        return HV_EINVAL;
    case HVE_NOSYS:
        return HV_ENOTSUP;
    case HVE_VERSION:
    case HVE_MSGSIZE:
    case HVE_PROTO:
        return HV_EPROTO;
    case HVE_TIMEDOUT:
        return HV_ETIMEDOUT;
    default:
        return HV_EIO;
    }
}
