/*
 * stream_reply.c - the handshake messages of a live stream
 * (stream_reply.h).  The connection may be non-blocking (the reader
 * makes it so): every wait is a poll with a deadline.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "public/errno.h"
#include "stream_reply.h"

int stream_reply_send(int fd, uint32_t type, const char *message, int timeout_ms)
{
    struct hv_stream_reply r;
    size_t done = 0;

    memset(&r, 0, sizeof(r));
    r.magic = HV_STREAM_REPLY_MAGIC;
    r.type = type;
    if (message)
        snprintf(r.message, sizeof(r.message), "%s", message);
    while (done < sizeof(r)) {
        ssize_t n = send(fd, (char *)&r + done, sizeof(r) - done, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            if (poll(&p, 1, timeout_ms) <= 0)
                return -HVE_TIMEDOUT;
            continue;
        }
        if (n <= 0)
            return n < 0 ? -errno : -EPIPE;
        done += (size_t)n;
    }
    return 0;
}

int stream_reply_recv(int fd, int stop_fd, int timeout_ms, struct hv_stream_reply *rep)
{
    size_t got = 0;

    while (got < sizeof(*rep)) {
        struct pollfd p[2] = {
            { .fd = fd, .events = POLLIN },
            { .fd = stop_fd, .events = POLLIN },
        };
        int n = poll(p, stop_fd >= 0 ? 2 : 1, timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return -HVE_TIMEDOUT;
        if (n < 0)
            return -errno;
        if (stop_fd >= 0 && (p[1].revents & POLLIN))
            return -HVE_CANCELED;
        ssize_t k = recv(fd, (char *)rep + got, sizeof(*rep) - got, MSG_DONTWAIT);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (k < 0)
            return -errno;
        if (k == 0)
            return -EPIPE;
        got += (size_t)k;
    }
    if (rep->magic != HV_STREAM_REPLY_MAGIC)
        return -HVE_PROTO;
    rep->message[sizeof(rep->message) - 1] = '\0';
    return 0;
}
