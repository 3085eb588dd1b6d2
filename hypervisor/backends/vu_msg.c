/*
 * vu_msg.c - reading and answering vhost-user messages.
 *
 * The header arrives with the message's file descriptors; the payload
 * follows.  Sizes come from the peer, so a payload longer than any
 * message we know, more descriptors than we accept, or a version we do
 * not speak ends the connection before anything is used.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vu_msg.h"

void vu_msg_close_fds(struct vu_msg *m)
{
    for (unsigned i = 0; i < m->nfds; i++)
        if (m->fds[i] >= 0)
            close(m->fds[i]);
    m->nfds = 0;
}

static ssize_t read_full(int sock, void *buf, size_t len)
{
    size_t done = 0;

    while (done < len) {
        ssize_t n = recv(sock, (uint8_t *)buf + done, len - done, 0);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n;
        done += (size_t)n;
    }
    return (ssize_t)done;
}

int vu_msg_read(int sock, struct vu_msg *m, char *err, size_t errlen)
{
    union {
        char buf[CMSG_SPACE(VU_MAX_FDS * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = m, .iov_len = VU_HDR_SIZE };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                         .msg_controllen = sizeof(ctl.buf) };
    ssize_t n;

    memset(m, 0, offsetof(struct vu_msg, fds));
    m->nfds = 0;
    do
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
    while (n < 0 && errno == EINTR);
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        size_t k;

        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; i++) {
            int fd;

            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            if (m->nfds < VU_MAX_FDS)
                m->fds[m->nfds++] = fd;
            else
                close(fd);
        }
    }
    if (n == 0 && m->nfds == 0)
        return 0;
    if (n < 0) {
        snprintf(err, errlen, "vhost-user read: %s", strerror(errno));
        goto bad;
    }
    if ((size_t)n < VU_HDR_SIZE) {
        snprintf(err, errlen, "vhost-user message header cut short (%zd of %u bytes)", n,
                 VU_HDR_SIZE);
        goto bad;
    }
    if (mh.msg_flags & MSG_CTRUNC) {
        snprintf(err, errlen, "vhost-user message %u carries more than %u file descriptors",
                 m->request, VU_MAX_FDS);
        goto bad;
    }
    if ((m->flags & VU_FLAG_VERSION_MASK) != VU_VERSION) {
        snprintf(err, errlen, "vhost-user message %u has version %u, not %u", m->request,
                 m->flags & VU_FLAG_VERSION_MASK, VU_VERSION);
        goto bad;
    }
    if (m->size > sizeof(m->p)) {
        snprintf(err, errlen, "vhost-user message %u has a payload of %u bytes (at most %zu)",
                 m->request, m->size, sizeof(m->p));
        goto bad;
    }
    if (m->size && read_full(sock, &m->p, m->size) != (ssize_t)m->size) {
        snprintf(err, errlen, "vhost-user message %u: payload of %u bytes cut short",
                 m->request, m->size);
        goto bad;
    }
    return 1;
bad:
    vu_msg_close_fds(m);
    return -1;
}

int vu_msg_reply(int sock, struct vu_msg *m, uint32_t size)
{
    struct {
        uint32_t request, flags, size;
        uint8_t p[sizeof(m->p)];
    } __attribute__((packed)) out;
    size_t len = VU_HDR_SIZE + size;
    const uint8_t *b = (const uint8_t *)&out;

    out.request = m->request;
    out.flags = VU_VERSION | VU_FLAG_REPLY;
    out.size = size;
    memcpy(out.p, &m->p, size);
    while (len > 0) {
        ssize_t n = send(sock, b, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        b += n;
        len -= (size_t)n;
    }
    return 0;
}
