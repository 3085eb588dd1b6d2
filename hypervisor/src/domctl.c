/*
 * domctl.c - the domain-control server.
 *
 * One request, one reply, on SOCK_SEQPACKET: message boundaries come from
 * the kernel, so a short or long message is detected exactly and answered
 * with -HVE_MSGSIZE instead of being misparsed.  Requests are served on
 * the event-loop thread; only pause waits (for the vCPUs to stop), which
 * takes microseconds.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "console.h"
#include "device.h"
#include "domain.h"
#include "domctl.h"
#include "hvcore.h"
#include "public/errno.h"
#include "incoming.h"
#include "vcpu.h"
#include "xfer.h"

/* Minor versions only add: the fields of minor 0 keep their offsets and
 * the messages their sizes. */
_Static_assert(offsetof(struct hv_domctl_info, exits) == 144,
               "hv_domctl_info: minor 1's fields follow minor 0's 144 bytes");
_Static_assert(sizeof(struct hv_domctl_info) <= sizeof(((struct hv_domctl_reply *)0)->u.pad),
               "hv_domctl_info fits the reply union");
_Static_assert(sizeof(struct hv_domctl_reply) == 256, "hv_domctl_reply is 256 bytes");
_Static_assert(sizeof(struct hv_domctl) == 128, "hv_domctl is 128 bytes");

int domctl_listen(struct domain *d, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", d->domdir,
                         HV_DOMCTL_SOCKET) >= sizeof(sa.sun_path)) {
        snprintf(err, errlen, "runtime directory path too long for a socket: %s", d->domdir);
        return -HVE_RANGE;
    }
    fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        chmod(sa.sun_path, 0660) < 0 || listen(fd, 64) < 0) {
        int r = -errno;
        snprintf(err, errlen, "cannot listen on %s: %s", sa.sun_path, strerror(-r));
        if (fd >= 0)
            close(fd);
        return r;
    }
    d->listen_fd = fd;
    return 0;
}

/* Out of file descriptors, a pending connection can be neither accepted
 * nor left (epoll would report it forever): a descriptor kept in reserve
 * is given up to accept it and close it at once, then taken back. */
static int spare_fd = -1;

int domctl_accept(struct domain *d)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    if (spare_fd < 0)
        spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int fd = accept4(d->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE) && spare_fd >= 0) {
        close(spare_fd);
        fd = accept(d->listen_fd, NULL, NULL);
        if (fd >= 0)
            close(fd);
        spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        return -1;
    }
    if (fd < 0)
        return -1;
    if (d->nr_clients >= DOMCTL_MAX_CLIENTS) {
        close(fd);          /* a client leaking connections is not served */
        return -1;
    }
    /* The socket's mode already limits who connects; SO_PEERCRED makes the
     * rule explicit: root, or the user hvcore runs as. */
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
        (cred.uid != 0 && cred.uid != geteuid())) {
        close(fd);
        return -1;
    }
    return fd;
}

/* unpause of a domain left UNDECIDED by a migration whose handshake
 * broke (domctl.h): the toolstack says this copy is the one that runs. */
static int32_t take_over(struct domain *d)
{
    int r = d->incoming ? incoming_take_over(d) : 0;

    if (r < 0)
        return r;
    pthread_mutex_lock(&d->lock);
    d->xfer_state = HV_XFER_STATE_NONE;
    bool paused = d->paused;
    pthread_mutex_unlock(&d->lock);
    if (paused)
        vcpus_unpause(d);
    pthread_mutex_lock(&d->lock);
    d->state = HV_DOMSTATE_running;
    pthread_mutex_unlock(&d->lock);
    domain_emit_event(d, HV_EVENT_unpaused, "taken over after an undecided migration");
    return 0;
}

static int32_t do_pause(struct domain *d, bool pause)
{
    int32_t ret;

    pthread_mutex_lock(&d->lock);
    enum hv_domain_state st = d->state;
    pthread_mutex_unlock(&d->lock);
    if (st == HV_DOMSTATE_crashed || st == HV_DOMSTATE_shutdown)
        return -HVE_BUSY;
    /* While a save or migration runs, pausing is the job's business. */
    if (xfer_busy(d))
        return -HVE_BUSY;
    pthread_mutex_lock(&d->lock);
    bool undecided = d->xfer_state == HV_XFER_STATE_UNDECIDED;
    pthread_mutex_unlock(&d->lock);
    if (undecided)
        return pause ? -HVE_ALREADY : take_over(d);
    ret = pause ? vcpus_pause(d) : vcpus_unpause(d);
    if (ret == 0) {
        pthread_mutex_lock(&d->lock);
        d->state = pause ? HV_DOMSTATE_paused : HV_DOMSTATE_running;
        pthread_mutex_unlock(&d->lock);
        domain_emit_event(d, pause ? HV_EVENT_paused : HV_EVENT_unpaused, NULL);
    }
    return ret;
}

/* Forget subscribers whose reader is gone (an agent that restarted, an
 * `hvctl events` that ended).  Without this their slots were freed only
 * by the next lifecycle event, so 16 departed subscribers locked every new
 * one out with -HVE_NOSPC for as long as the domain ran undisturbed. */
static void prune_subscribers(struct domain *d)
{
    unsigned keep = 0;

    for (unsigned i = 0; i < d->nr_subscribers; i++) {
        struct pollfd p = { .fd = d->subscribers[i], .events = 0 };
        if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL))) {
            if (!(p.revents & POLLNVAL))
                close(p.fd);
            continue;
        }
        d->subscribers[keep++] = d->subscribers[i];
    }
    d->nr_subscribers = keep;
}

/* The client's end of a new event stream, or -HVE_NOSPC / -HVE_NOMEM. */
static int subscribe(struct domain *d)
{
    int sv[2];

    prune_subscribers(d);
    if (d->nr_subscribers >= sizeof(d->subscribers) / sizeof(d->subscribers[0]))
        return -HVE_NOSPC;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -HVE_NOMEM;
    shutdown(sv[0], SHUT_RD);
    d->subscribers[d->nr_subscribers++] = sv[0];
    return sv[1];
}

int domctl_handle(struct domain *d, const void *msg, size_t len, int truncated,
                  struct hv_domctl_reply *reply, int *console_fd)
{
    struct hv_domctl req;
    int pass_fd = -1;

    memset(reply, 0, sizeof(*reply));
    reply->interface_version = HV_DOMCTL_INTERFACE_VERSION;
    *console_fd = -1;
    if (len >= sizeof(uint32_t))
        memcpy(&reply->cmd, msg, sizeof(uint32_t));
    if (truncated || len != sizeof(req)) {
        reply->status = -HVE_MSGSIZE;
        return -1;
    }
    memcpy(&req, msg, sizeof(req));
    reply->seq = req.seq;
    if (HV_DOMCTL_VERSION_MAJOR(req.interface_version) !=
        HV_DOMCTL_VERSION_MAJOR(HV_DOMCTL_INTERFACE_VERSION)) {
        reply->status = -HVE_VERSION;
        return -1;
    }
    if (req.domid != d->domid) {
        reply->status = -HVE_NOENT;
        return -1;
    }

    switch (req.cmd) {
    case HV_DOMCTL_getinfo:
        domain_get_info(d, &reply->u.info);
        break;
    case HV_DOMCTL_pause:
        reply->status = do_pause(d, true);
        break;
    case HV_DOMCTL_unpause:
        reply->status = do_pause(d, false);
        break;
    case HV_DOMCTL_shutdown:
        reply->status = domain_request_shutdown(d, req.u.shutdown.reason);
        break;
    case HV_DOMCTL_destroy:
        domain_end(d, END_DESTROY, "destroyed by request");
        break;
    case HV_DOMCTL_set_mem_target:
        reply->status = domain_set_mem_target(d, req.u.mem.target_kib);
        break;
    case HV_DOMCTL_console_attach:
        /* Out of descriptors or memory, to the client alike. */
        pass_fd = console_attach(d, console_fd);
        if (pass_fd < 0) {
            reply->status = -HVE_NOMEM;
            pass_fd = -1;
        }
        break;
    case HV_DOMCTL_save:
    case HV_DOMCTL_migrate_send:
        reply->status = -HVE_INVAL;     /* reached only without a descriptor */
        break;
    case HV_DOMCTL_xfer_cancel:
        reply->status = -HVE_NOENT;     /* no job on this connection */
        break;
    case HV_DOMCTL_device_attach:
        reply->status = -HVE_MSGSIZE;   /* the spec text must follow */
        break;
    case HV_DOMCTL_device_detach:
        device_ctl_detach(d, &req, reply);
        break;
    case HV_DOMCTL_device_info:
        device_ctl_info(d, &req, reply);
        break;
    case HV_DOMCTL_subscribe:
        pass_fd = subscribe(d);
        if (pass_fd < 0) {
            reply->status = pass_fd;
            pass_fd = -1;
        }
        break;
    default:
        reply->status = -HVE_NOSYS;
        break;
    }
    return pass_fd;
}

static int send_reply(int fd, const struct hv_domctl_reply *reply, int pass_fd)
{
    struct iovec iov = { .iov_base = (void *)reply, .iov_len = sizeof(*reply) };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr mh;

    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (pass_fd >= 0) {
        memset(&ctl, 0, sizeof(ctl));
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
    }
    return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)sizeof(*reply) ? 0 : -1;
}

/* The descriptor that came with a request, or -1 (more than one: all
 * closed, -2). */
static int received_fd(struct msghdr *mh)
{
    int got = -1;

    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (got == -1) {
                got = fd;
            } else {
                close(fd);
                if (got >= 0)
                    close(got);
                got = -2;
            }
        }
    }
    return got;
}

/* device_attach: the request and its spec text in one message. */
static bool is_attach_request(const void *msg, ssize_t n)
{
    uint32_t cmd;

    if (n <= (ssize_t)sizeof(struct hv_domctl))
        return false;
    memcpy(&cmd, msg, sizeof(cmd));
    return cmd == HV_DOMCTL_device_attach;
}

static void handle_attach(struct domain *d, const void *msg, size_t len,
                          struct hv_domctl_reply *reply)
{
    struct hv_domctl req;

    memcpy(&req, msg, sizeof(req));
    memset(reply, 0, sizeof(*reply));
    reply->interface_version = HV_DOMCTL_INTERFACE_VERSION;
    reply->cmd = req.cmd;
    reply->seq = req.seq;
    if (HV_DOMCTL_VERSION_MAJOR(req.interface_version) !=
        HV_DOMCTL_VERSION_MAJOR(HV_DOMCTL_INTERFACE_VERSION))
        reply->status = -HVE_VERSION;
    else if (req.domid != d->domid)
        reply->status = -HVE_NOENT;
    else
        device_ctl_attach(d, &req, (const char *)msg + sizeof(req), len - sizeof(req), reply);
}

/* save and migrate_send: a job takes the connection (xfer.c). */
static bool is_xfer_request(const struct domain *d, const void *msg, ssize_t n)
{
    struct hv_domctl req;

    if (n != (ssize_t)sizeof(req))
        return false;
    memcpy(&req, msg, sizeof(req));
    return (req.cmd == HV_DOMCTL_save || req.cmd == HV_DOMCTL_migrate_send) &&
           HV_DOMCTL_VERSION_MAJOR(req.interface_version) ==
               HV_DOMCTL_VERSION_MAJOR(HV_DOMCTL_INTERFACE_VERSION) &&
           req.domid == d->domid;
}

int domctl_serve(struct domain *d, int fd, int *console_fd)
{
    /* One byte more than the longest request (device_attach with its
     * spec), to see an oversized one. */
    static union {
        struct hv_domctl req;
        char raw[sizeof(struct hv_domctl) + HV_DEVICE_SPEC_MAX + 1];
    } buf;
    union {
        char buf[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct hv_domctl_reply reply;
    struct iovec iov = { .iov_base = &buf, .iov_len = sizeof(buf) };
    struct msghdr mh;
    ssize_t n;

    *console_fd = -1;
    memset(&mh, 0, sizeof(mh));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof(ctl.buf);
    n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    int in_fd = received_fd(&mh);
    if (n == 0 || (mh.msg_flags & MSG_CTRUNC) || in_fd == -2) {
        if (in_fd >= 0)
            close(in_fd);
        return -1;    /* more descriptors than any request carries */
    }
    if (!(mh.msg_flags & MSG_TRUNC) && is_attach_request(&buf, n)) {
        if (in_fd >= 0)
            close(in_fd);
        if (d->xen) {
            domctl_handle(d, &buf, (size_t)n, 0, &reply, console_fd);
            reply.status = -HVE_NOSYS;
            snprintf(reply.u.result.message, sizeof(reply.u.result.message),
                     "Xen PV domain: devices (blkfront, netfront) are not implemented yet");
            return send_reply(fd, &reply, -1) < 0 ? -1 : DOMCTL_SERVED;
        }
        handle_attach(d, &buf, (size_t)n, &reply);
        return send_reply(fd, &reply, -1) < 0 ? -1 : DOMCTL_SERVED;
    }
    if (!(mh.msg_flags & MSG_TRUNC) && is_xfer_request(d, &buf, n) && d->xen) {
        if (in_fd >= 0)
            close(in_fd);
        domctl_handle(d, &buf, (size_t)n, 0, &reply, console_fd);
        reply.status = -HVE_NOSYS;
        snprintf(reply.u.result.message, sizeof(reply.u.result.message),
                 "Xen PV domain: save and migration are not implemented for it yet");
        return send_reply(fd, &reply, -1) < 0 ? -1 : DOMCTL_SERVED;
    }
    if (!(mh.msg_flags & MSG_TRUNC) && is_xfer_request(d, &buf, n) && device_count(d)) {
        /* Device state is not part of the stream yet (docs/devices.md). */
        if (in_fd >= 0)
            close(in_fd);
        domctl_handle(d, &buf, (size_t)n, 0, &reply, console_fd);
        reply.status = -HVE_BUSY;
        snprintf(reply.u.result.message, sizeof(reply.u.result.message),
                 "domain has devices: save and migration of devices are not supported yet");
        return send_reply(fd, &reply, -1) < 0 ? -1 : DOMCTL_SERVED;
    }
    if (!(mh.msg_flags & MSG_TRUNC) && is_xfer_request(d, &buf, n)) {
        int r = xfer_start(d, fd, in_fd, &buf.req);
        if (r == 0)
            return DOMCTL_HANDED_OFF;
        if (in_fd >= 0)
            close(in_fd);
        domctl_handle(d, &buf, (size_t)n, 0, &reply, console_fd);
        reply.status = r;
        return send_reply(fd, &reply, -1) < 0 ? -1 : DOMCTL_SERVED;
    }
    if (in_fd >= 0)
        close(in_fd);           /* only save and migrate_send take one */
    int pass_fd = domctl_handle(d, &buf, (size_t)n, (mh.msg_flags & MSG_TRUNC) != 0,
                                &reply, console_fd);
    int ret = send_reply(fd, &reply, pass_fd);
    if (pass_fd >= 0)
        close(pass_fd);
    if (ret < 0)
        return -1;
    /* Only a request read as this major's (its size, its version) says
     * anything in its flags. */
    if (n == (ssize_t)sizeof(buf.req) && !(mh.msg_flags & MSG_TRUNC) &&
        reply.status != -HVE_VERSION && buf.req.cmd == HV_DOMCTL_getinfo &&
        (buf.req.u.getinfo.flags & HV_DOMCTL_GETINFO_CLOSE))
        return DOMCTL_SERVED_LAST;
    return DOMCTL_SERVED;
}
