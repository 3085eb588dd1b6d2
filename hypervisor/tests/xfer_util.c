/*
 * xfer_util.c - test helpers for save, restore and migration.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xfer_util.h"

struct dom *dom_start_stream(const char *const *args, int fd_keep)
{
    return dom_spawnv(args, fd_keep);
}

struct dom *dom_incoming(int *send_fd, const char *const *more)
{
    const char *args[16] = { "--incoming" };
    char fdarg[16];
    unsigned n = 2;
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return NULL;
    snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
    args[1] = fdarg;
    for (unsigned i = 0; more && more[i] && n < 15; i++)
        args[n++] = more[i];
    args[n] = NULL;
    struct dom *d = dom_spawnv(args, sv[1]);
    close(sv[1]);
    *send_fd = sv[0];
    return d;
}

static int send_with_fd(int sock, const struct hv_domctl *req, int fd)
{
    struct iovec iov = { .iov_base = (void *)req, .iov_len = sizeof(*req) };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct msghdr mh;

    memset(&mh, 0, sizeof(mh));
    memset(&ctl, 0, sizeof(ctl));
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    if (fd >= 0) {
        mh.msg_control = ctl.buf;
        mh.msg_controllen = sizeof(ctl.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)sizeof(*req) ? 0 : -1;
}

int dom_xfer(struct dom *d, uint32_t cmd, int stream_fd, const struct hv_domctl_xfer *p,
             unsigned cancel_after_progress,
             void (*on_progress)(void *opaque, const struct hv_domctl_progress *p),
             void *opaque, struct xfer_outcome *out)
{
    struct hv_domctl req;
    struct hv_domctl_reply rep;
    int sock = dom_ctl_open(d), ret = -1;
    bool first = true;

    memset(out, 0, sizeof(*out));
    if (sock < 0)
        return -1;
    memset(&req, 0, sizeof(req));
    req.cmd = cmd;
    req.interface_version = HV_DOMCTL_INTERFACE_VERSION;
    req.domid = d->domid;
    req.seq = 7;
    if (p)
        req.u.xfer = *p;
    if (send_with_fd(sock, &req, stream_fd) < 0)
        goto out;
    for (;;) {
        struct pollfd pf = { .fd = sock, .events = POLLIN };
        if (poll(&pf, 1, 300000) <= 0)
            goto out;
        ssize_t n = recv(sock, &rep, sizeof(rep), 0);
        if (n != (ssize_t)sizeof(rep))
            goto out;
        if (first) {
            first = false;
            out->started = rep.status;
            if (rep.status < 0) {
                out->status = rep.status;
                ret = 0;
                goto out;
            }
            continue;
        }
        if (rep.status == HV_DOMCTL_PROGRESS) {
            out->progress++;
            if (rep.u.progress.bytes_sent > out->max_bytes_sent)
                out->max_bytes_sent = rep.u.progress.bytes_sent;
            if (on_progress)
                on_progress(opaque, &rep.u.progress);
            if (cancel_after_progress && out->progress == cancel_after_progress) {
                struct hv_domctl c = req;
                c.cmd = HV_DOMCTL_xfer_cancel;
                (void)send(sock, &c, sizeof(c), MSG_NOSIGNAL);
            }
            continue;
        }
        out->status = rep.status;
        out->result = rep.u.result;
        ret = 0;
        break;
    }
out:
    close(sock);
    return ret;
}

int memcheck_attach(struct dom *d)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_console_attach };
    struct hv_domctl_reply rep;
    int fd = -1;

    if (dom_ctl(d, &req, &rep, &fd) != 0)
        return -1;
    return fd;
}

bool memcheck_verify(struct dom *d, int con, struct memcheck_verdict *v)
{
    char line[256];
    int end = -1;

    memset(v, 0, sizeof(*v));
    if (write(con, "v", 1) != 1 || !dom_expect(d, "memcheck verify ", 60000))
        return false;
    size_t start = d->mark - strlen("memcheck verify ");
    if (!dom_expect(d, "\n", 10000))
        return false;
    size_t len = d->mark - 1 - start;
    if (len >= sizeof(line))
        return false;
    memcpy(line, d->out + start, len);
    line[len] = '\0';
    if (sscanf(line, "memcheck verify ok pages=%llu ticks=%llu gap_max_us=%llu rewrites=%llu "
               "boots=%u backwards=%llu%n", &v->pages, &v->ticks, &v->gap_max_us,
               &v->rewrites, &v->boots, &v->backwards, &end) == 6 &&
        end == (int)strlen(line)) {
        v->ok = true;
        return true;
    }
    fprintf(stderr, "memcheck said: %s\n", line);
    return true;
}

#include <pthread.h>

#include "public/stream.h"

struct xfer_proxy {
    int s_fd, r_fd;
    enum proxy_cut cut;
    uint64_t cut_at;
    uint64_t to_r;              /* bytes sender -> receiver */
    uint64_t to_s;              /* bytes receiver -> sender */
    bool saw_ready;
    int stop[2];
    pthread_t thread;
};

/* Replies are 128 bytes each: the n-th reply ends at n * 128. */
#define REPLY_SIZE sizeof(struct hv_stream_reply)

static void *proxy_main(void *arg)
{
    struct xfer_proxy *p = arg;
    char buf[65536];

    for (;;) {
        struct pollfd f[3] = {
            { .fd = p->s_fd, .events = POLLIN },
            { .fd = p->r_fd, .events = POLLIN },
            { .fd = p->stop[0], .events = POLLIN },
        };
        if (poll(f, 3, -1) < 0)
            break;
        if (f[2].revents)
            break;
        if (f[0].revents) {             /* sender -> receiver */
            size_t want = sizeof(buf);
            if (p->cut == CUT_AT_BYTE) {
                if (p->to_r >= p->cut_at)
                    break;
                if (p->cut_at - p->to_r < want)
                    want = (size_t)(p->cut_at - p->to_r);
            }
            ssize_t n = read(p->s_fd, buf, want);
            if (n <= 0)
                break;
            /* After READY went back, what the sender writes is GO. */
            if (p->cut == CUT_BEFORE_GO && p->to_s >= REPLY_SIZE)
                break;
            if (write(p->r_fd, buf, (size_t)n) != n)
                break;
            p->to_r += (uint64_t)n;
        }
        if (f[1].revents) {             /* receiver -> sender */
            ssize_t n = read(p->r_fd, buf, REPLY_SIZE);
            if (n <= 0)
                break;
            uint64_t after = p->to_s + (uint64_t)n;
            if (p->cut == CUT_BEFORE_READY && after >= REPLY_SIZE)
                break;
            if (p->cut == CUT_BEFORE_RUNNING && after >= 2 * REPLY_SIZE)
                break;
            if (after >= REPLY_SIZE)
                __atomic_store_n(&p->saw_ready, true, __ATOMIC_RELEASE);
            if (p->cut == HOLD_READY && after <= REPLY_SIZE) {
                p->to_s = after;
                continue;
            }
            if (write(p->s_fd, buf, (size_t)n) != n)
                break;
            p->to_s = after;
        }
    }
    shutdown(p->s_fd, SHUT_RDWR);
    shutdown(p->r_fd, SHUT_RDWR);
    return NULL;
}

struct xfer_proxy *proxy_start(int s_fd, int r_fd, enum proxy_cut cut, uint64_t cut_at)
{
    struct xfer_proxy *p = calloc(1, sizeof(*p));

    if (!p)
        return NULL;
    p->s_fd = s_fd;
    p->r_fd = r_fd;
    p->cut = cut;
    p->cut_at = cut_at;
    if (pipe2(p->stop, O_CLOEXEC) < 0 || pthread_create(&p->thread, NULL, proxy_main, p)) {
        free(p);
        return NULL;
    }
    return p;
}

bool proxy_saw_ready(struct xfer_proxy *p)
{
    return __atomic_load_n(&p->saw_ready, __ATOMIC_ACQUIRE);
}

uint64_t proxy_forwarded(struct xfer_proxy *p)
{
    return __atomic_load_n(&p->to_r, __ATOMIC_RELAXED);
}

void proxy_stop(struct xfer_proxy *p)
{
    if (!p)
        return;
    (void)!write(p->stop[1], "x", 1);
    pthread_join(p->thread, NULL);
    close(p->stop[0]);
    close(p->stop[1]);
    close(p->s_fd);
    close(p->r_fd);
    free(p);
}
