/*
 * fuzz_vu.c - libFuzzer harness for the back ends' vhost-user server side
 * (backends/vu_msg.c, vu_dev.c, with vu_mem.c and virtq.c behind them):
 * the input is what a front end sends, messages with their file
 * descriptors, served by vu_dev_serve() on a socketpair as hvblk and
 * hvnet serve theirs.
 *
 * Input: records of [u8 fds][u32 request][u32 flags][u32 size][payload];
 * fds: bits 0-3 how many descriptors go with the message (0-8), bit 4
 * a 1 MiB memfd (guest memory) rather than eventfds.  The payload is
 * what the input has, whatever size says.  The device behind the server
 * takes every request its queues offer and completes it at once.
 *
 * Checked besides crashes, leaks and sanitizer errors: the server always
 * ends (the connection closes after the input), leaves no mapping and no
 * queue behind, and closes every descriptor it was given.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "../../backends/vu_dev.h"

#define FZ_QUEUES 4
#define FZ_MEMFD_SIZE (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct virtq_elem elem;

static int f_process(struct vu_dev *d, unsigned q)
{
    int n = 0;

    while (n < 64 && virtq_pop(&d->q[q].vq, &elem) == 1) {
        for (unsigned i = elem.n_out; i < elem.n_out + elem.n_in; i++)
            memset(elem.iov[i].iov_base, 0x5a, elem.iov[i].iov_len);
        virtq_push(&d->q[q].vq, elem.head, (uint32_t)elem.in_len);
        n++;
    }
    if (n)
        vu_dev_complete(d, q);
    return n;
}

static int f_poll(struct vu_dev *d) { return 0; }
static void f_fd_ready(struct vu_dev *d, int fd, uint32_t events) { }
static void f_stop(struct vu_dev *d, unsigned q) { }
static int f_start(struct vu_dev *d, unsigned q) { return 0; }

static void f_config(struct vu_dev *d, uint8_t *buf, uint32_t off, uint32_t len)
{
    CHECK(len <= VU_CONFIG_MAX && off <= VU_CONFIG_MAX - len, "config %u+%u", off, len);
    memset(buf, 0xc0, len);
}

static const struct vu_dev_ops ops = {
    .process = f_process, .poll = f_poll, .fd_ready = f_fd_ready,
    .stop = f_stop, .start = f_start, .config = f_config,
};

static struct vu_dev dev;
static struct hv_backend_stats stats;

static int lowest_free_fd(void)
{
    int fd = dup(0);

    if (fd >= 0)
        close(fd);
    return fd;
}

/* Send one record's message; false once the socket will take no more. */
static bool send_one(int s, uint8_t spec, const uint8_t *msg, size_t len, int memfd)
{
    union {
        char c[CMSG_SPACE(8 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    unsigned nfds = spec & 15;
    int fds[8];
    ssize_t n;

    if (nfds > 8)
        nfds = 8;
    for (unsigned i = 0; i < nfds; i++)
        fds[i] = (spec & 16) ? memfd : eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (nfds) {
        struct cmsghdr *c;

        mh.msg_control = ctl.c;
        mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    n = sendmsg(s, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    for (unsigned i = 0; i < nfds; i++)
        if (fds[i] != memfd)
            close(fds[i]);
    return n == (ssize_t)len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    int sv[2], memfd, before;
    size_t off = 0;

    if (!ready) {
        dev.prog = "fuzz_vu";
        dev.ops = &ops;
        dev.nr_queues = FZ_QUEUES;
        dev.queue_num = FZ_QUEUES;
        dev.features = (1ull << 32) | (1ull << 29) | (1ull << 28);
        dev.stats = &stats;
        CHECK(vu_dev_init(&dev) == 0, "init");
        ready = true;
    }
    before = lowest_free_fd();
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
    memfd = memfd_create("fuzz-guest", MFD_CLOEXEC);
    CHECK(memfd >= 0 && ftruncate(memfd, FZ_MEMFD_SIZE) == 0, "memfd");

    while (off + 13 <= size) {
        uint8_t spec = data[off];
        uint32_t hdr[3];
        size_t len;

        memcpy(hdr, data + off + 1, 12);
        len = size - off - 1 < 12 + (size_t)hdr[2] ? size - off - 1 : 12 + (size_t)hdr[2];
        if (!send_one(sv[0], spec, data + off + 1, len, memfd))
            break;
        off += 1 + len;
    }
    shutdown(sv[0], SHUT_WR);
    (void)vu_dev_serve(&dev, sv[1]);

    /* Nothing of the connection is left. */
    CHECK(dev.mem.n == 0, "%u regions still mapped", dev.mem.n);
    for (unsigned q = 0; q < FZ_QUEUES; q++)
        CHECK(!dev.q[q].started && dev.q[q].kick_fd < 0 && dev.q[q].call_fd < 0 &&
              dev.q[q].err_fd < 0, "queue %u left set up", q);
    CHECK(dev.sock == -1 && dev.acked == 0, "connection state left");
    close(sv[0]);
    close(sv[1]);
    close(memfd);
    CHECK(lowest_free_fd() == before, "a descriptor leaked (lowest free %d, was %d)",
          lowest_free_fd(), before);
    return 0;
}
