/*
 * harness.c - see harness.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

/*
 * The deadlines tests give for what must happen are what an idle machine
 * needs with a wide margin; a loaded or slow one gets WAIT_SCALE times
 * that.  They only matter when something is broken, so no verdict depends
 * on how fast the machine is.
 */
#define WAIT_SCALE 6

uint64_t ms_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool kvm_usable(void)
{
    static int state = -1;

    if (state < 0) {
        int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
        state = fd >= 0;
        if (fd >= 0)
            close(fd);
        else
            fprintf(stderr, "SKIP: /dev/kvm is not usable here (%s): "
                    "tests that boot domains are skipped\n", strerror(errno));
    }
    return state == 1;
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

static void append(struct dom *d, const char *buf, size_t n)
{
    if (d->out_len + n + 1 > d->out_cap) {
        size_t cap = d->out_cap ? d->out_cap : 4096;
        while (cap < d->out_len + n + 1)
            cap *= 2;
        d->out = realloc(d->out, cap);
        d->out_cap = cap;
    }
    memcpy(d->out + d->out_len, buf, n);
    d->out_len += n;
    d->out[d->out_len] = '\0';
}

/* Read whatever the console has, waiting at most ms. */
static bool pump(struct dom *d, int ms)
{
    struct pollfd p = { .fd = d->console_fd, .events = POLLIN };
    char buf[8192];

    if (d->console_fd < 0)
        return false;
    if (poll(&p, 1, ms) <= 0)
        return true;
    ssize_t n = read(d->console_fd, buf, sizeof(buf));
    if (n <= 0) {
        close(d->console_fd);
        d->console_fd = -1;
        return false;
    }
    append(d, buf, (size_t)n);
    return true;
}

void die_with_parent(pid_t parent)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
}

struct dom *dom_spawnv(const char *const *args, int fd_keep)
{
    struct dom *d = calloc(1, sizeof(*d));
    int out[2], err[2], ready[2];
    char rfd[16];
    const char *argv[64];
    unsigned n = 0;

    d->status = -1;
    d->console_fd = d->stderr_fd = -1;
    snprintf(d->rundir, sizeof(d->rundir), "/tmp/hvtest.XXXXXX");
    if (!mkdtemp(d->rundir) || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
        pipe(ready) < 0) {
        free(d);
        return NULL;
    }
    fcntl(ready[0], F_SETFD, FD_CLOEXEC);
    snprintf(rfd, sizeof(rfd), "%d", ready[1]);
    /* Ours first: a test may pass its own --rundir, and the last wins. */
    argv[n++] = env_or("HVCORE", "hvcore");
    argv[n++] = "--rundir";
    argv[n++] = d->rundir;
    argv[n++] = "--ready-fd";
    argv[n++] = rfd;
    for (unsigned i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;

    pid_t parent = getpid();
    d->pid = fork();
    if (d->pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        if (fd_keep >= 0)
            fcntl(fd_keep, F_SETFD, 0);
        die_with_parent(parent);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    close(ready[1]);
    d->console_fd = out[0];
    d->stderr_fd = err[0];

    /* Ready: the domid arrives on the pipe; EOF means startup failed. */
    char buf[32] = "";
    struct pollfd p = { .fd = ready[0], .events = POLLIN };
    if (poll(&p, 1, 10000 * WAIT_SCALE) > 0) {
        ssize_t r = read(ready[0], buf, sizeof(buf) - 1);
        if (r > 0) {
            buf[r] = '\0';
            d->domid = (uint32_t)strtoul(buf, NULL, 10);
        }
    }
    close(ready[0]);
    if (!d->domid)
        dom_wait_exit(d, 10000);
    return d;
}

struct dom *dom_startv(const char *kernel, const char *cmdline, unsigned mem_mib,
                       unsigned vcpus, const char *const *extra)
{
    char mem[16], cpus[16];
    const char *args[64];
    unsigned n = 0;

    snprintf(mem, sizeof(mem), "%u", mem_mib);
    snprintf(cpus, sizeof(cpus), "%u", vcpus);
    args[n++] = "--kernel";
    args[n++] = kernel;
    args[n++] = "--memory";
    args[n++] = mem;
    args[n++] = "--vcpus";
    args[n++] = cpus;
    args[n++] = "--cmdline";
    args[n++] = cmdline;
    for (unsigned i = 0; extra && extra[i] && n < 58; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    return dom_spawnv(args, -1);
}

struct dom *dom_start(const char *cmdline, unsigned mem_mib, unsigned vcpus, ...)
{
    const char *extra[32];
    unsigned n = 0;
    va_list ap;

    va_start(ap, vcpus);
    while (n < 31 && (extra[n] = va_arg(ap, const char *)) != NULL)
        n++;
    va_end(ap);
    extra[n] = NULL;
    return dom_startv(env_or("PVBOOT", "pvboot"), cmdline, mem_mib, vcpus, extra);
}

bool dom_expect(struct dom *d, const char *text, int timeout_ms)
{
    uint64_t end = ms_now() + (uint64_t)timeout_ms * WAIT_SCALE;

    for (;;) {
        if (d->out) {
            char *hit = strstr(d->out + d->mark, text);
            if (hit) {
                d->mark = (size_t)(hit - d->out) + strlen(text);
                return true;
            }
        }
        uint64_t now = ms_now();
        if (now >= end)
            return false;
        if (!pump(d, (int)(end - now)) && d->console_fd < 0) {
            /* EOF: one last search happened above */
            if (d->out && strstr(d->out + d->mark, text))
                continue;
            return false;
        }
    }
}

void dom_drain(struct dom *d, int ms)
{
    uint64_t end = ms_now() + (uint64_t)ms;

    while (ms_now() < end && d->console_fd >= 0)
        pump(d, (int)(end - ms_now()));
}

long dom_last_counter(struct dom *d)
{
    long last = -1;
    const char *p = d->out;

    while (p && (p = strstr(p, "counter ")) != NULL) {
        char *end;
        long v = strtol(p + 8, &end, 10);
        if (end != p + 8 && *end == '\n')
            last = v;
        p += 8;
    }
    return last;
}

int dom_wait_exit(struct dom *d, int timeout_ms)
{
    uint64_t end = ms_now() + (uint64_t)timeout_ms * WAIT_SCALE;
    int st;

    if (d->status >= 0)
        return d->status;
    for (;;) {
        pid_t r = waitpid(d->pid, &st, WNOHANG);
        if (r == d->pid)
            break;
        if (ms_now() >= end)
            return -1;
        pump(d, 5);
        if (d->console_fd < 0)
            usleep(2000);
    }
    d->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    while (d->console_fd >= 0 && pump(d, 50))
        ;
    if (d->stderr_fd >= 0) {
        ssize_t n, got = 0;
        while ((n = read(d->stderr_fd, d->err + got, sizeof(d->err) - 1 - (size_t)got)) > 0)
            got += n;
        d->err[got] = '\0';
        close(d->stderr_fd);
        d->stderr_fd = -1;
    }
    return d->status;
}

static int ctl_connect(struct dom *d)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/domains/%u/%s", d->rundir, d->domid,
             HV_DOMCTL_SOCKET);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

int dom_ctl_open(struct dom *d)
{
    return ctl_connect(d);
}

int dom_ctl_on(int fd, struct dom *d, uint32_t cmd, struct hv_domctl_reply *rep)
{
    struct hv_domctl req;

    memset(&req, 0, sizeof(req));
    req.cmd = cmd;
    req.interface_version = HV_DOMCTL_INTERFACE_VERSION;
    req.domid = d->domid;
    if (send(fd, &req, sizeof(req), MSG_NOSIGNAL) != (ssize_t)sizeof(req))
        return -1000;
    /* As libhvctl does: look for the reply for 30 us before sleeping. */
    struct timespec t0, t;
    ssize_t n;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        n = recv(fd, rep, sizeof(*rep), MSG_DONTWAIT);
        if (n >= 0 || (errno != EAGAIN && errno != EINTR))
            break;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) > 30000) {
            n = recv(fd, rep, sizeof(*rep), 0);
            break;
        }
        sched_yield();
    }
    if (n != (ssize_t)sizeof(*rep))
        return -1000;
    return rep->status;
}

ssize_t dom_ctl_raw(struct dom *d, const void *msg, size_t len, void *reply, size_t cap)
{
    int fd = ctl_connect(d);
    ssize_t n;

    if (fd < 0)
        return -1;
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (send(fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len) {
        close(fd);
        return -1;
    }
    n = recv(fd, reply, cap, 0);
    close(fd);
    return n;
}

int dom_ctl(struct dom *d, struct hv_domctl *req, struct hv_domctl_reply *rep, int *pfd)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = rep, .iov_len = sizeof(*rep) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
    int fd = ctl_connect(d);

    if (pfd)
        *pfd = -1;
    if (fd < 0)
        return -1000;
    if (!req->interface_version)
        req->interface_version = HV_DOMCTL_INTERFACE_VERSION;
    if (!req->domid)
        req->domid = d->domid;
    struct timeval tv = { .tv_sec = 10 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (send(fd, req, sizeof(*req), MSG_NOSIGNAL) != (ssize_t)sizeof(*req) ||
        recvmsg(fd, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(*rep)) {
        close(fd);
        return -1000;
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int got;
            memcpy(&got, CMSG_DATA(c), sizeof(int));
            if (pfd)
                *pfd = got;
            else
                close(got);
        }
    }
    close(fd);
    return rep->status;
}

int dom_ctl_cmd(struct dom *d, uint32_t cmd, struct hv_domctl_reply *rep)
{
    struct hv_domctl req;
    struct hv_domctl_reply tmp;

    memset(&req, 0, sizeof(req));
    req.cmd = cmd;
    return dom_ctl(d, &req, rep ? rep : &tmp, NULL);
}

long proc_rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

static void rm_rf(const char *dir)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    (void)!system(cmd);
}

void dom_free(struct dom *d)
{
    if (!d)
        return;
    if (d->status < 0) {
        kill(d->pid, SIGKILL);
        dom_wait_exit(d, 5000);
    }
    if (d->console_fd >= 0)
        close(d->console_fd);
    if (d->stderr_fd >= 0)
        close(d->stderr_fd);
    rm_rf(d->rundir);
    free(d->out);
    free(d);
}
