/*
 * vu_front.c - the test front end of vu_front.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "public/device.h"
#include "virtq.h"
#include "vu_front.h"
#include "vu_msg.h"

static uint64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void program_path(const char *program, char *path, size_t len)
{
    const char *dir = getenv("HVCORE_BACKEND_DIR");

    snprintf(path, len, "%s/%s", dir ? dir : "backends", program);
}

/* Guest memory and the counters page. */
static int make_memory(struct vf *f)
{
    const char *netns = f->netns;

    memset(f, 0, sizeof(*f));
    f->netns = netns;
    f->next_alloc = VF_MEM_BASE;
    f->err_pipe = -1;
    for (unsigned i = 0; i < VF_MAX_Q; i++)
        f->q[i].kick = f->q[i].call = -1;
    f->memfd = memfd_create("vf-guest", MFD_CLOEXEC);
    f->stats_fd = memfd_create("vf-stats", MFD_CLOEXEC);
    if (f->memfd < 0 || f->stats_fd < 0 || ftruncate(f->memfd, VF_MEM_SIZE) < 0 ||
        ftruncate(f->stats_fd, 4096) < 0)
        return -1;
    f->mem = mmap(NULL, VF_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
    f->stats = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f->stats_fd, 0);
    if (f->mem == MAP_FAILED || f->stats == MAP_FAILED)
        return -1;
    f->stats->magic = HV_BACKEND_STATS_MAGIC;
    return 0;
}

int vf_attach(struct vf *f, int sock)
{
    if (make_memory(f) < 0)
        return -1;
    f->pid = -1;
    f->sock = sock;
    return 0;
}

int vf_start(struct vf *f, const char *program, const char *const *args)
{
    int sv[2], ep[2];
    char path[4096];
    const char *argv[32];
    unsigned n = 0;

    if (make_memory(f) < 0)
        return -1;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
        pipe2(ep, O_CLOEXEC) < 0)
        return -1;
    program_path(program, path, sizeof(path));
    argv[n++] = path;
    argv[n++] = "--fd";
    argv[n++] = "3";
    argv[n++] = "--stats-fd";
    argv[n++] = "4";
    for (unsigned i = 0; args && args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    f->pid = fork();
    if (f->pid < 0)
        return -1;
    if (f->pid == 0) {
        if (f->netns) {
            char nspath[256];
            int nsfd;

            snprintf(nspath, sizeof(nspath), "/run/netns/%s", f->netns);
            nsfd = open(nspath, O_RDONLY | O_CLOEXEC);
            if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
                _exit(126);
        }
        /* Out of the way first: either may be 3 or 4 itself. */
        int s = fcntl(sv[1], F_DUPFD_CLOEXEC, 10);
        int st = fcntl(f->stats_fd, F_DUPFD_CLOEXEC, 10);

        if (s < 0 || st < 0 || dup2(s, 3) < 0 || dup2(st, 4) < 0 || dup2(ep[1], 2) < 0)
            _exit(126);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    close(sv[1]);
    close(ep[1]);
    f->sock = sv[0];
    f->err_pipe = ep[0];
    fcntl(f->err_pipe, F_SETFL, O_NONBLOCK);
    return 0;
}

int vf_run(const char *program, const char *const *args, char *line, size_t len)
{
    char path[4096];
    const char *argv[32];
    unsigned n = 0;
    int ep[2], st;
    pid_t pid;
    ssize_t got;
    char *nl;

    program_path(program, path, sizeof(path));
    argv[n++] = path;
    for (unsigned i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    if (pipe2(ep, O_CLOEXEC) < 0)
        return -1;
    pid = fork();
    if (pid == 0) {
        dup2(ep[1], 2);
        dup2(ep[1], 1);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    close(ep[1]);
    got = read(ep[0], line, len - 1);
    line[got > 0 ? got : 0] = 0;
    close(ep[0]);
    nl = strchr(line, '\n');
    if (nl)
        *nl = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

const char *vf_stderr(struct vf *f)
{
    size_t have = strlen(f->err);
    ssize_t n;

    if (f->err_pipe < 0)
        return f->err;
    while (have < sizeof(f->err) - 1 &&
           (n = read(f->err_pipe, f->err + have, sizeof(f->err) - 1 - have)) > 0) {
        have += (size_t)n;
        f->err[have] = 0;
    }
    return f->err;
}

bool vf_alive(struct vf *f)
{
    if (f->pid <= 0)
        return false;
    return waitpid(f->pid, NULL, WNOHANG) == 0;
}

int vf_stop(struct vf *f)
{
    int st = 0;
    uint64_t end = now_ms() + VF_DEADLINE_MS;
    pid_t r;

    if (f->sock >= 0)
        close(f->sock);
    f->sock = -1;
    r = f->pid > 0 ? 0 : 1;     /* 1: no process of ours to wait for */
    while (f->pid > 0 && (r = waitpid(f->pid, &st, WNOHANG)) == 0 && now_ms() < end)
        usleep(1000);
    if (r == 0) {
        kill(f->pid, SIGKILL);
        waitpid(f->pid, &st, 0);
    }
    vf_stderr(f);
    for (unsigned i = 0; i < VF_MAX_Q; i++) {
        if (f->q[i].kick >= 0)
            close(f->q[i].kick);
        if (f->q[i].call >= 0)
            close(f->q[i].call);
    }
    if (f->err_pipe >= 0)
        close(f->err_pipe);
    close(f->memfd);
    close(f->stats_fd);
    munmap(f->mem, VF_MEM_SIZE);
    /* f->stats stays mapped: the test may still read the counters. */
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int vf_raw(struct vf *f, uint32_t req, uint32_t flags, const void *p, uint32_t size,
           const int *fds, unsigned nfds)
{
    uint8_t buf[VU_HDR_SIZE + 512];
    union {
        char c[CMSG_SPACE(8 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = buf, .iov_len = VU_HDR_SIZE + size };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    uint32_t hdr[3] = { req, flags ? flags : VU_VERSION, size };

    if (size > 512)
        return -1;
    memcpy(buf, hdr, sizeof(hdr));
    if (size)
        memcpy(buf + VU_HDR_SIZE, p, size);
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
    return sendmsg(f->sock, &mh, MSG_NOSIGNAL) == (ssize_t)iov.iov_len ? 0 : -1;
}

int vf_reply(struct vf *f, uint32_t req, void *p, uint32_t size)
{
    uint32_t hdr[3];
    struct pollfd pfd = { .fd = f->sock, .events = POLLIN };

    if (poll(&pfd, 1, VF_DEADLINE_MS) != 1 ||
        recv(f->sock, hdr, sizeof(hdr), MSG_WAITALL) != (ssize_t)sizeof(hdr))
        return -1;
    if (hdr[0] != req || hdr[1] != (VU_VERSION | VU_FLAG_REPLY) || hdr[2] != size) {
        fprintf(stderr, "vu_front: reply %u flags %#x size %u to request %u (%u expected)\n",
                hdr[0], hdr[1], hdr[2], req, size);
        return -1;
    }
    return recv(f->sock, p, size, MSG_WAITALL) == (ssize_t)size ? 0 : -1;
}

int vf_get_u64(struct vf *f, uint32_t req, uint64_t *out)
{
    if (vf_raw(f, req, 0, NULL, 0, NULL, 0) < 0)
        return -1;
    return vf_reply(f, req, out, 8);
}

/* Send with NEED_REPLY and take the REPLY_ACK: its value (0 success). */
static int acked(struct vf *f, uint32_t req, const void *p, uint32_t size, const int *fds,
                 unsigned nfds)
{
    uint64_t r;

    if (vf_raw(f, req, VU_VERSION | VU_FLAG_NEED_REPLY, p, size, fds, nfds) < 0 ||
        vf_reply(f, req, &r, 8) < 0)
        return -1;
    return r ? -1 : 0;
}

int vf_set_u64(struct vf *f, uint32_t req, uint64_t v)
{
    return acked(f, req, &v, 8, NULL, 0);
}

int vf_get_config(struct vf *f, void *buf, uint32_t len)
{
    struct vu_config c = { .offset = 0, .size = len };

    if (vf_raw(f, VU_GET_CONFIG, 0, &c, 12 + len, NULL, 0) < 0 ||
        vf_reply(f, VU_GET_CONFIG, &c, 12 + len) < 0)
        return -1;
    memcpy(buf, c.data, len);
    return 0;
}

int vf_handshake(struct vf *f, uint64_t features)
{
    struct vu_memtable mt = { .nregions = 1 };

    if (vf_get_u64(f, VU_GET_FEATURES, &f->features) < 0 ||
        vf_get_u64(f, VU_GET_PROTOCOL_FEATURES, &f->protocol) < 0)
        return -1;
    /* REPLY_ACK first, so that every later set-up step is acknowledged. */
    if (vf_raw(f, VU_SET_PROTOCOL_FEATURES, 0, &(uint64_t){ f->protocol }, 8, NULL, 0) < 0)
        return -1;
    if (acked(f, VU_SET_OWNER, NULL, 0, NULL, 0) < 0)
        return -1;
    features &= f->features;
    features |= 1ull << VU_F_PROTOCOL_FEATURES;
    if (vf_set_u64(f, VU_SET_FEATURES, features) < 0)
        return -1;
    f->features = features;
    mt.region[0].gpa = VF_MEM_BASE;
    mt.region[0].size = VF_MEM_SIZE - VF_MEM_BASE;
    mt.region[0].uva = (uint64_t)(uintptr_t)(f->mem + VF_MEM_BASE);
    mt.region[0].mmap_offset = VF_MEM_BASE;
    return acked(f, VU_SET_MEM_TABLE, &mt, 8 + sizeof(mt.region[0]), &f->memfd, 1);
}

uint64_t vf_alloc(struct vf *f, uint64_t len, uint64_t align)
{
    uint64_t a = (f->next_alloc + align - 1) & ~(align - 1);

    f->next_alloc = a + len;
    memset(f->mem + a, 0, len);
    return a;
}

void *vf_ptr(struct vf *f, uint64_t gpa)
{
    return f->mem + gpa;
}

static uint64_t uva(struct vf *f, uint64_t gpa)
{
    return (uint64_t)(uintptr_t)(f->mem + gpa);
}

int vf_queue(struct vf *f, unsigned qi, unsigned num)
{
    struct vf_queue *q = &f->q[qi];
    struct vu_state st = { qi, num };
    struct vu_addr a = { .index = qi };
    uint64_t idx = qi;

    q->num = num;
    q->desc_gpa = vf_alloc(f, VIRTQ_DESC_BYTES(num), 4096);
    q->avail_gpa = vf_alloc(f, VIRTQ_AVAIL_BYTES(num), 4096);
    q->used_gpa = vf_alloc(f, VIRTQ_USED_BYTES(num), 4096);
    q->avail_idx = q->used_seen = 0;
    if (q->kick < 0)
        q->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (q->call < 0)
        q->call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    a.desc = uva(f, q->desc_gpa);
    a.avail = uva(f, q->avail_gpa);
    a.used = uva(f, q->used_gpa);
    if (acked(f, VU_SET_VRING_NUM, &st, sizeof(st), NULL, 0) < 0 ||
        acked(f, VU_SET_VRING_ADDR, &a, sizeof(a), NULL, 0) < 0)
        return -1;
    st.num = 0;
    if (acked(f, VU_SET_VRING_BASE, &st, sizeof(st), NULL, 0) < 0 ||
        acked(f, VU_SET_VRING_CALL, &idx, 8, &q->call, 1) < 0 ||
        acked(f, VU_SET_VRING_KICK, &idx, 8, &q->kick, 1) < 0)
        return -1;
    st.num = 1;
    return acked(f, VU_SET_VRING_ENABLE, &st, sizeof(st), NULL, 0);
}

int vf_get_base(struct vf *f, unsigned qi, uint32_t *base)
{
    struct vu_state st = { qi, 0 };

    if (vf_raw(f, VU_GET_VRING_BASE, 0, &st, sizeof(st), NULL, 0) < 0 ||
        vf_reply(f, VU_GET_VRING_BASE, &st, sizeof(st)) < 0)
        return -1;
    *base = st.num;
    return 0;
}

void vf_desc(struct vf *f, unsigned qi, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
             uint16_t next)
{
    struct virtq_desc *d = vf_ptr(f, f->q[qi].desc_gpa);

    d[i] = (struct virtq_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

void vf_avail_idx(struct vf *f, unsigned qi, uint16_t idx)
{
    struct virtq_avail *a = vf_ptr(f, f->q[qi].avail_gpa);

    __atomic_store_n(&a->idx, idx, __ATOMIC_RELEASE);
    f->q[qi].avail_idx = idx;
}

void vf_avail(struct vf *f, unsigned qi, uint16_t head)
{
    struct vf_queue *q = &f->q[qi];
    struct virtq_avail *a = vf_ptr(f, q->avail_gpa);

    a->ring[q->avail_idx & (q->num - 1)] = head;
    vf_avail_idx(f, qi, (uint16_t)(q->avail_idx + 1));
}

void vf_kick(struct vf *f, unsigned qi)
{
    uint64_t one = 1;

    if (write(f->q[qi].kick, &one, 8) != 8)
        fprintf(stderr, "vu_front: kick: %s\n", strerror(errno));
}

void vf_set_used_event(struct vf *f, unsigned qi, uint16_t v)
{
    struct virtq_avail *a = vf_ptr(f, f->q[qi].avail_gpa);

    __atomic_store_n(&a->ring[f->q[qi].num], v, __ATOMIC_SEQ_CST);
}

uint16_t vf_used_idx(struct vf *f, unsigned qi)
{
    struct virtq_used *u = vf_ptr(f, f->q[qi].used_gpa);

    return __atomic_load_n(&u->idx, __ATOMIC_ACQUIRE);
}

uint16_t vf_avail_event(struct vf *f, unsigned qi)
{
    struct virtq_used *u = vf_ptr(f, f->q[qi].used_gpa);

    return __atomic_load_n((uint16_t *)&u->ring[f->q[qi].num], __ATOMIC_ACQUIRE);
}

bool vf_wait_used(struct vf *f, unsigned qi, uint16_t idx)
{
    uint64_t end = now_ms() + VF_DEADLINE_MS;

    while ((uint16_t)(vf_used_idx(f, qi) - idx) > 0x8000u) {
        if (now_ms() > end)
            return false;
        usleep(200);
    }
    return true;
}

void vf_used_elem(struct vf *f, unsigned qi, uint16_t n, uint32_t *id, uint32_t *len)
{
    struct virtq_used *u = vf_ptr(f, f->q[qi].used_gpa);

    *id = u->ring[n & (f->q[qi].num - 1)].id;
    *len = u->ring[n & (f->q[qi].num - 1)].len;
}

uint64_t vf_calls(struct vf *f, unsigned qi)
{
    uint64_t n = 0;

    if (read(f->q[qi].call, &n, 8) != 8)
        return 0;
    return n;
}

bool vf_wait_errors(struct vf *f, uint64_t n)
{
    uint64_t end = now_ms() + VF_DEADLINE_MS;

    while (__atomic_load_n(&f->stats->errors, __ATOMIC_RELAXED) < n) {
        if (now_ms() > end)
            return false;
        usleep(200);
    }
    return true;
}
