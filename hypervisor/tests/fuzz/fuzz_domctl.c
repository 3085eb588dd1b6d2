/*
 * fuzz_domctl.c - libFuzzer harness for hvcore's domain-control server
 * (src/domctl.c): what it does with the datagrams a client sends.
 *
 * The input is a conversation: datagrams of up to 255 bytes, each after
 * one byte giving its length.  They go through a socketpair into
 * domctl_serve(), exactly as from a connected client, on a domain without
 * KVM or vCPUs (memory is just the shared-info page), rebuilt for every
 * input so that each input means the same whatever ran before.  Checked
 * besides crashes and sanitizer errors: every datagram gets exactly one
 * reply of the reply's size, with the interface version and the request's
 * command; a status of 0 or a negative HVE code; a request of the wrong
 * size gets -HVE_MSGSIZE and never reaches a handler (device_attach, whose
 * spec text follows the struct, is answered by its own checks); fds are
 * passed only with status 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "console.h"
#include "domctl.h"
#include "hvcore.h"
#include "public/errno.h"
#include "public/layout.h"

#define FUZZ_DOMID 3
#define MAX_DATAGRAMS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct domain dom;
static uint8_t *guest_mem;
static int wake_fd = -1;

/* A running 1-vCPU domain with 64 MiB, as far as domctl can tell. */
static void domain_fresh(void)
{
    if (!guest_mem) {
        guest_mem = calloc(1, HV_SHARED_INFO_PAGE + HV_PAGE_SIZE);
        wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        CHECK(guest_mem && wake_fd >= 0, "setup: %s", strerror(errno));
    }
    memset(guest_mem, 0, HV_SHARED_INFO_PAGE + HV_PAGE_SIZE);
    memset(&dom, 0, sizeof(dom));
    snprintf(dom.name, sizeof(dom.name), "fuzz");
    dom.domid = FUZZ_DOMID;
    dom.mem = guest_mem;
    dom.mem_max_bytes = dom.mem_initial_bytes = 64ULL << 20;
    dom.mem_target_kib = 64 << 10;
    dom.max_vcpus = 1;
    dom.state = HV_DOMSTATE_running;
    dom.boot_count = 1;
    dom.kvm_fd = dom.vm_fd = dom.mem_fd = -1;
    /* No shared memory to give a back end: a device_attach that parses is
     * refused there (-HVE_PERM), so the fuzzer never starts a back end
     * process or connects a socket (fuzz_devfront covers the specs). */
    dom.mem_image = true;
    dom.console_log_fd = dom.epoll_fd = dom.listen_fd = -1;
    dom.signal_fd = dom.ready_fd = -1;
    dom.stdout_fd = -1;
    dom.wake_fd = wake_fd;
    pthread_mutex_init(&dom.lock, NULL);
    pthread_cond_init(&dom.cond, NULL);
    pthread_mutex_init(&dom.console_lock, NULL);
    pthread_mutex_init(&dom.stdout_lock, NULL);
}

static void domain_done(void)
{
    uint64_t n;

    while (dom.console_clients)
        console_detach(&dom, dom.console_clients->fd);
    for (unsigned i = 0; i < dom.nr_subscribers; i++)
        close(dom.subscribers[i]);
    (void)!read(wake_fd, &n, sizeof(n));
    pthread_mutex_destroy(&dom.lock);
    pthread_cond_destroy(&dom.cond);
    pthread_mutex_destroy(&dom.console_lock);
    pthread_mutex_destroy(&dom.stdout_lock);
}

/* Receive the one reply to a datagram; returns the fd passed, or -1. */
static int get_reply(int fd, struct hv_domctl_reply *rep)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    char raw[sizeof(*rep) + 1];
    struct iovec iov = { .iov_base = raw, .iov_len = sizeof(raw) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl.buf,
                         .msg_controllen = sizeof(ctl.buf) };
    struct cmsghdr *c;
    int passed = -1;
    ssize_t n;

    n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    CHECK(n == (ssize_t)sizeof(*rep), "reply of %zd bytes (%s)", n,
          n < 0 ? strerror(errno) : "size");
    memcpy(rep, raw, sizeof(*rep));
    for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            CHECK(passed < 0, "two fds passed");
            memcpy(&passed, CMSG_DATA(c), sizeof(int));
        }
    n = recv(fd, raw, sizeof(raw), MSG_DONTWAIT);
    CHECK(n < 0 && errno == EAGAIN, "a second reply (%zd bytes)", n);
    return passed;
}

static void one_datagram(int *sv, const uint8_t *msg, size_t len)
{
    struct hv_domctl_reply rep;
    uint32_t cmd = 0;
    int console_fd = -1, passed, r;

    if (len == 0) {
        /* An empty datagram reads as a hang-up: hvcore drops the client,
         * which then has to connect again. */
        CHECK(send(sv[0], msg, 0, 0) == 0, "send: %s", strerror(errno));
        CHECK(domctl_serve(&dom, sv[1], &console_fd) == -1,
              "an empty datagram was served");
        close(sv[0]);
        close(sv[1]);
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0,
              "socketpair: %s", strerror(errno));
        return;
    }
    CHECK(send(sv[0], msg, len, 0) == (ssize_t)len, "send: %s",
          strerror(errno));
    r = domctl_serve(&dom, sv[1], &console_fd);
    CHECK(r == DOMCTL_SERVED || r == DOMCTL_SERVED_LAST,
          "domctl_serve returned %d for %zu bytes", r, len);
    passed = get_reply(sv[0], &rep);
    if (len >= sizeof(cmd))
        memcpy(&cmd, msg, sizeof(cmd));
    CHECK(rep.interface_version == HV_DOMCTL_INTERFACE_VERSION,
          "reply version %#x", rep.interface_version);
    CHECK(rep.cmd == cmd, "reply to command %u says %u", cmd, rep.cmd);
    CHECK(rep.status <= 0 && rep.status > -1000, "status %d",
          (int)rep.status);
    /* Only device_attach is longer than the struct: its spec text follows
     * (minor 4); its own checks answer it (any status, nothing passed). */
    if (len > sizeof(struct hv_domctl) && cmd == HV_DOMCTL_device_attach)
        CHECK(passed < 0 && console_fd < 0, "device_attach of %zu bytes passed an fd", len);
    else if (len != sizeof(struct hv_domctl))
        CHECK(rep.status == -HVE_MSGSIZE && passed < 0 && console_fd < 0,
              "%zu bytes answered with status %d", len, (int)rep.status);
    if (passed >= 0) {
        CHECK(rep.status == 0, "fd passed with status %d", (int)rep.status);
        close(passed);
    }
    if (console_fd >= 0) {
        CHECK(cmd == HV_DOMCTL_console_attach, "console for command %u",
              cmd);
        console_detach(&dom, console_fd);
    }
    if (r == DOMCTL_SERVED_LAST) {
        /* A getinfo that said it was the client's last (minor 2): hvcore
         * drops the client, which then has to connect again. */
        CHECK(cmd == HV_DOMCTL_getinfo && len == sizeof(struct hv_domctl),
              "command %u of %zu bytes ended its connection", cmd, len);
        close(sv[0]);
        close(sv[1]);
        CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0,
              "socketpair: %s", strerror(errno));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int sv[2];

    domain_fresh();
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0,
          "socketpair: %s", strerror(errno));
    for (int i = 0; i < MAX_DATAGRAMS && size > 0; i++) {
        size_t len = data[0];

        data++;
        size--;
        if (len > size)
            len = size;
        one_datagram(sv, data, len);
        data += len;
        size -= len;
    }
    close(sv[0]);
    close(sv[1]);
    domain_done();
    return 0;
}
