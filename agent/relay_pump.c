/*
 * relay_pump.c - hvmigrate-relay's copy loop: one thread, both
 * directions, non-blocking, so that a TLS record that needs the other
 * direction (a key update, a close_notify) never deadlocks it.  OpenSSL
 * may not be entered from two threads on one SSL at once, which rules
 * out a thread per direction.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>

#include "relay.h"

#define BUF_CAP (1024 * 1024)

enum io { IO_DONE, IO_AGAIN, IO_EOF, IO_BROKEN };

void relay_pump_init(struct relay_pump *p, int local, int net, SSL *ssl)
{
    memset(p, 0, sizeof(*p));
    p->local = local;
    p->net = net;
    p->ssl = ssl;
    p->cut_in = -1;
    p->out.data = malloc(BUF_CAP);
    p->in.data = malloc(BUF_CAP);
    fcntl(local, F_SETFL, fcntl(local, F_GETFL) | O_NONBLOCK);
    fcntl(net, F_SETFL, fcntl(net, F_GETFL) | O_NONBLOCK);
}

void relay_pump_free(struct relay_pump *p)
{
    free(p->out.data);
    free(p->in.data);
}

static size_t room(const struct relay_buf *b)
{
    return BUF_CAP - b->off - b->len;
}

static void consumed(struct relay_buf *b, size_t n)
{
    b->off += n;
    b->len -= n;
    if (b->len == 0)
        b->off = 0;
}

static enum io fd_read(int fd, struct relay_buf *b)
{
    ssize_t k = read(fd, b->data + b->off + b->len, room(b));

    if (k > 0) {
        b->len += (size_t)k;
        return IO_DONE;
    }
    if (k == 0)
        return IO_EOF;
    return errno == EAGAIN || errno == EINTR ? IO_AGAIN : IO_BROKEN;
}

static enum io fd_write(int fd, struct relay_buf *b, uint64_t *count)
{
    ssize_t k = send(fd, b->data + b->off, b->len, MSG_NOSIGNAL);

    if (k > 0) {
        consumed(b, (size_t)k);
        *count += (uint64_t)k;
        return IO_DONE;
    }
    return k < 0 && (errno == EAGAIN || errno == EINTR) ? IO_AGAIN
                                                        : IO_BROKEN;
}

static enum io net_read(struct relay_pump *p)
{
    int k, e;

    if (!p->ssl)
        return fd_read(p->net, &p->in);
    p->read_wants_write = false;
    k = SSL_read(p->ssl, p->in.data + p->in.off + p->in.len,
                 (int)room(&p->in));
    if (k > 0) {
        p->in.len += (size_t)k;
        return IO_DONE;
    }
    e = SSL_get_error(p->ssl, k);
    if (e == SSL_ERROR_WANT_READ)
        return IO_AGAIN;
    if (e == SSL_ERROR_WANT_WRITE) {
        p->read_wants_write = true;
        return IO_AGAIN;
    }
    return e == SSL_ERROR_ZERO_RETURN ? IO_EOF : IO_BROKEN;
}

static enum io net_write(struct relay_pump *p)
{
    int k, e;

    if (!p->ssl)
        return fd_write(p->net, &p->out, &p->bytes_out);
    p->write_wants_read = false;
    k = SSL_write(p->ssl, p->out.data + p->out.off, (int)p->out.len);
    if (k > 0) {
        consumed(&p->out, (size_t)k);
        p->bytes_out += (uint64_t)k;
        return IO_DONE;
    }
    e = SSL_get_error(p->ssl, k);
    if (e == SSL_ERROR_WANT_WRITE)
        return IO_AGAIN;
    if (e == SSL_ERROR_WANT_READ) {
        p->write_wants_read = true;
        return IO_AGAIN;
    }
    return IO_BROKEN;
}

/* The local side ended and all of it went: say so to the peer. */
static enum io net_shut(struct relay_pump *p)
{
    int k;

    if (!p->ssl)
        return shutdown(p->net, SHUT_WR) == 0 ? IO_DONE : IO_BROKEN;
    /* 0: our close_notify is out (TLS 1.3 lets us go on reading). */
    k = SSL_shutdown(p->ssl);
    if (k >= 0)
        return IO_DONE;
    return SSL_get_error(p->ssl, k) == SSL_ERROR_WANT_WRITE ? IO_AGAIN
                                                            : IO_BROKEN;
}

static int broke(struct relay_pump *p, const char *where)
{
    unsigned long e = ERR_get_error();

    fprintf(stderr, "hvmigrate-relay: the %s connection broke (%s)\n", where,
            e ? ERR_reason_error_string(e) : errno ? strerror(errno)
                                                   : "closed");
    return -1;
}

/* One pass over everything that can move now; *moved if anything did. */
static int step(struct relay_pump *p, bool *moved)
{
    enum io r;

    *moved = false;
    if (!p->local_eof && room(&p->out)) {
        r = fd_read(p->local, &p->out);
        if (r == IO_BROKEN)
            return broke(p, "local");
        p->local_eof = r == IO_EOF;
        *moved |= r == IO_DONE || r == IO_EOF;
    }
    /* A TLS write takes one record (16 KiB): drain the buffer before
     * looking at the other direction again, which costs a read(2). */
    while (p->out.len) {
        if ((r = net_write(p)) == IO_BROKEN)
            return broke(p, "network");
        if (r != IO_DONE)
            break;
        *moved = true;
    }
    if (p->local_eof && !p->out.len && !p->out_shut) {
        if ((r = net_shut(p)) == IO_BROKEN)
            return broke(p, "network");
        p->out_shut = r == IO_DONE;
        *moved |= p->out_shut;
    }
    /* A TLS read gives one record: fill the buffer while records are
     * there. */
    while (!p->net_eof && room(&p->in)) {
        r = net_read(p);
        if (r == IO_BROKEN)
            return broke(p, "network");
        p->net_eof = r == IO_EOF;
        if (r == IO_AGAIN)
            break;
        *moved = true;
    }
    if (p->cut_in >= 0 && p->in.len &&
        p->bytes_in + p->in.len > (uint64_t)p->cut_in) {
        /* What came before the cut is delivered; the rest never is. */
        p->in.len = (size_t)((uint64_t)p->cut_in - p->bytes_in);
        while (p->in.len &&
               fd_write(p->local, &p->in, &p->bytes_in) == IO_DONE)
            ;
        fprintf(stderr, "hvmigrate-relay: cut after %lld bytes from the "
                "network (HVMIGRATE_RELAY_TEST_CUT_IN)\n",
                (long long)p->cut_in);
        return -1;
    }
    while (p->in.len) {
        if ((r = fd_write(p->local, &p->in, &p->bytes_in)) == IO_BROKEN)
            return broke(p, "local");
        if (r != IO_DONE)
            break;
        *moved = true;
    }
    if (p->net_eof && !p->in.len && !p->in_shut) {
        shutdown(p->local, SHUT_WR);
        p->in_shut = true;
        *moved = true;
    }
    return 0;
}

int relay_pump_run(struct relay_pump *p)
{
    if (!p->out.data || !p->in.data) {
        fprintf(stderr, "hvmigrate-relay: out of memory\n");
        return -1;
    }
    while (!(p->out_shut && p->in_shut)) {
        struct pollfd f[2] = { { .fd = p->local }, { .fd = p->net } };
        bool moved;

        errno = 0;
        if (step(p, &moved) < 0)
            return -1;
        if (moved || (p->ssl && SSL_pending(p->ssl) > 0 && room(&p->in)))
            continue;
        if (!p->local_eof && room(&p->out))
            f[0].events |= POLLIN;
        if (p->in.len)
            f[0].events |= POLLOUT;
        if ((!p->net_eof && room(&p->in)) || p->write_wants_read)
            f[1].events |= POLLIN;
        if ((p->out.len && !p->write_wants_read) || p->read_wants_write ||
            (p->local_eof && !p->out.len && !p->out_shut))
            f[1].events |= POLLOUT;
        /* An fd we wait nothing of stays out: its hang-up alone would
         * wake us again and again. */
        for (int i = 0; i < 2; i++)
            if (!f[i].events)
                f[i].fd = -1;
        if (poll(f, 2, -1) < 0 && errno != EINTR)
            return broke(p, "local");
        /* A hang-up with nothing to read is seen by the next read. */
    }
    return 0;
}
