/*
 * device_backend.c - a device's back end: started (in-tree hvblk, hvnet)
 * or connected to (socket=), spoken to until it answers what the device
 * is, and watched: a back end that dies or stops answering puts its
 * device in NEEDS_RESET and is started again (at once, but not after 5
 * deaths each within 1 s of its start) or reconnected (every 200 ms).
 *
 * Back ends are forked only by the main thread, so that the
 * PR_SET_PDEATHSIG they get (they die with hvcore, even with a kill -9 of
 * it) is tied to a thread that lives as long as the process.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "device.h"
#include "domain.h"
#include "event_loop.h"
#include "hvcore.h"
#include "public/errno.h"

#define RECONNECT_MS     200
#define HANGUP_GRACE_MS  1000
#define QUICK_DEATH_NS   1000000000ULL
#define MAX_QUICK_DEATHS 5

#define NET_F_CTRL_VQ  17
#define NET_S_LINK_UP  1
#define BLK_CONFIG_LEN 60      /* struct virtio_blk_config, virtio 1.2 */
#define BLK_CONFIG_NUM_QUEUES 34

/* Transport bits hvcore passes on: device bits 0-23, the ring features
 * the pv transport supports and VERSION_1 (device.h). */
#define TRANSPORT_FEATURES (((1ULL << 24) - 1) | 1ULL << HV_VIRTIO_F_INDIRECT_DESC | \
                            1ULL << HV_VIRTIO_F_RING_EVENT_IDX | 1ULL << HV_VIRTIO_F_VERSION_1)

/* Set by the build to $(pkglibexecdir). */
#ifndef HVCORE_BACKEND_DIR
#define HVCORE_BACKEND_DIR "/usr/local/libexec/hvcore"
#endif

static const char *backend_dir(void)
{
    const char *e = getenv("HVCORE_BACKEND_DIR");

    return e && *e ? e : HVCORE_BACKEND_DIR;
}

/* The in-tree back end's argv (strings in buf).  false if it does not fit. */
static bool build_argv(const struct device *dev, const char *path, char *buf, size_t cap,
                       char **argv, size_t max)
{
    const struct dev_spec *s = &dev->spec;
    size_t n = 0, used = 0;
    char tmp[32];

#define ARG(str) do {                                                    \
        size_t l_ = strlen(str) + 1;                                     \
        if (n + 1 >= max || used + l_ > cap)                             \
            return false;                                                \
        memcpy(buf + used, (str), l_);                                   \
        argv[n++] = buf + used;                                          \
        used += l_;                                                      \
    } while (0)

    ARG(path);
    ARG("--fd"); ARG("3");
    ARG("--stats-fd"); ARG("4");
    if (s->type == HV_DEV_TYPE_BLOCK) {
        ARG("--file"); ARG(s->file);
        if (s->readonly) ARG("--readonly");
        if (s->direct) ARG("--direct");
        if (!s->discard) ARG("--no-discard");
    } else {
        snprintf(tmp, sizeof(tmp), "%02x:%02x:%02x:%02x:%02x:%02x", s->mac[0], s->mac[1],
                 s->mac[2], s->mac[3], s->mac[4], s->mac[5]);
        ARG("--mac"); ARG(tmp);
        if (s->tap[0]) { ARG("--tap"); ARG(s->tap); }
        if (s->bridge[0]) { ARG("--bridge"); ARG(s->bridge); }
    }
    snprintf(tmp, sizeof(tmp), "%u", s->queues);
    ARG("--queues"); ARG(tmp);
    if (s->user[0]) { ARG("--user"); ARG(s->user); }
#undef ARG
    argv[n] = NULL;
    return true;
}

/* After fork, in the child: only async-signal-safe calls. */
static void exec_child(pid_t parent, int sock, int stats, char *const *argv)
{
    sigset_t all;

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
        _exit(127);
    int a = fcntl(sock, F_DUPFD, 10), b = fcntl(stats, F_DUPFD, 10);
    int null = open("/dev/null", O_RDONLY);
    if (a < 0 || b < 0 || null < 0 || dup2(null, 0) < 0 || dup2(2, 1) < 0 ||
        dup2(a, 3) < 0 || dup2(b, 4) < 0)
        _exit(127);
    syscall(SYS_close_range, 5U, ~0U, 0U);
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    signal(SIGPIPE, SIG_DFL);
    execv(argv[0], argv);
    _exit(127);
}

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#include <stdarg.h>
static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return code;
}

/* The counters page, made once per device (it outlives back ends). */
static int stats_page(struct device *dev)
{
    if (dev->stats)
        return 0;
    dev->stats_fd = memfd_create("hvcore-backend-stats", MFD_CLOEXEC);
    if (dev->stats_fd < 0 || ftruncate(dev->stats_fd, 4096) < 0)
        return -errno;
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, dev->stats_fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    dev->stats = p;
    dev->stats->magic = HV_BACKEND_STATS_MAGIC;
    return 0;
}

static bool exit_reason(struct device *dev, int ms, char *why, size_t len);

static int spawn(struct domain *d, struct device *dev, char *err, size_t errlen)
{
    const char *name = dev->spec.type == HV_DEV_TYPE_BLOCK ? "hvblk" : "hvnet";
    char path[4096], buf[8192], *argv[32];
    int sv[2];

    (void)d;
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", backend_dir(), name) >= sizeof(path))
        return fail(err, errlen, -HVE_RANGE, "%s: back-end path too long", name);
    if (access(path, X_OK) < 0)
        return fail(err, errlen, -HVE_IO, "%s: cannot run %s: %s", dev->spec.id, path,
                    strerror(errno));
    if (!build_argv(dev, path, buf, sizeof(buf), argv, sizeof(argv) / sizeof(argv[0])))
        return fail(err, errlen, -HVE_RANGE, "%s: back-end arguments too long", dev->spec.id);
    int r = stats_page(dev);
    if (r < 0)
        return fail(err, errlen, r, "%s: counters page: %s", dev->spec.id, strerror(-r));
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return fail(err, errlen, -errno, "%s: socketpair: %s", dev->spec.id, strerror(errno));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0)
        exec_child(parent, sv[1], dev->stats_fd, argv);
    close(sv[1]);
    if (pid < 0) {
        close(sv[0]);
        return fail(err, errlen, -errno, "%s: fork: %s", dev->spec.id, strerror(errno));
    }
    dev->pid = pid;
    dev->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    dev->vu.fd = sv[0];
    return 0;
}

static int connect_socket(struct device *dev, char *err, size_t errlen)
{
    struct sockaddr_un sa;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return fail(err, errlen, -errno, "%s: socket: %s", dev->spec.id, strerror(errno));
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, dev->spec.socket, strlen(dev->spec.socket) + 1);
    /* A Unix connect completes or fails at once (a full backlog: EAGAIN,
     * a retry later like any other failure). */
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        int e = errno;
        close(fd);
        return fail(err, errlen, -HVE_IO, "%s: cannot connect to %s: %s", dev->spec.id,
                    dev->spec.socket, strerror(e));
    }
    dev->vu.fd = fd;
    return 0;
}

/* What the back end says the device is: features, queues, config. */
static int describe(struct domain *d, struct device *dev, char *err, size_t errlen)
{
    struct vu_conn *c = &dev->vu;
    const struct dev_spec *s = &dev->spec;

    if (!(c->features & (1ULL << HV_VIRTIO_F_VERSION_1)))
        return fail(err, errlen, -HVE_IO, "%s: the back end does not offer VIRTIO_F_VERSION_1",
                    s->id);
    dev->features = c->features & TRANSPORT_FEATURES;
    dev->queue_max = HV_DEV_QUEUE_MAX;
    memset(dev->config, 0, sizeof(dev->config));
    if (s->type == HV_DEV_TYPE_BLOCK) {
        unsigned nq = s->queues;
        if (c->queue_num && nq > c->queue_num)
            nq = c->queue_num;
        dev->nr_queues = (uint16_t)nq;
        if (!(c->protocol & (1ULL << VHOST_USER_PROTOCOL_F_CONFIG)))
            return fail(err, errlen, -HVE_IO, "%s: the back end does not give its config "
                        "space (VHOST_USER_PROTOCOL_F_CONFIG)", s->id);
        int r = vu_get_config(c, dev->config, BLK_CONFIG_LEN);
        if (r < 0)
            return fail(err, errlen, r, "%s: GET_CONFIG: %s", s->id, strerror(-r));
        uint16_t n16 = (uint16_t)nq;
        memcpy(dev->config + BLK_CONFIG_NUM_QUEUES, &n16, sizeof(n16));
        dev->config_len = BLK_CONFIG_LEN;
    } else {
        unsigned nq = 2 * s->queues + ((dev->features >> NET_F_CTRL_VQ) & 1);
        dev->nr_queues = (uint16_t)(nq > HV_DEV_MAX_QUEUES ? HV_DEV_MAX_QUEUES : nq);
        if (s->have_mac) {
            memcpy(dev->config, s->mac, 6);
        } else {            /* locally administered, unique per domain and slot */
            uint8_t mac[6] = { 0x02, 0x68, (uint8_t)(d->domid >> 8), (uint8_t)d->domid,
                               (uint8_t)dev->slot, 0 };
            memcpy(dev->config, mac, 6);
        }
        uint16_t status = NET_S_LINK_UP, pairs = (uint16_t)s->queues;
        memcpy(dev->config + 6, &status, 2);
        memcpy(dev->config + 8, &pairs, 2);
        dev->config_len = 10;
    }
    return 0;
}

int dev_backend_start(struct domain *d, struct device *dev, char *err, size_t errlen)
{
    int r;

    dev->vu.fd = -1;
    dev->vu.timeout_ms = VHOST_USER_TIMEOUT_MS;
    r = dev->spec.socket[0] ? connect_socket(dev, err, errlen) : spawn(d, dev, err, errlen);
    if (r < 0)
        return r;
    dev->started_ns = now_ns(CLOCK_MONOTONIC);
    vu_deadline_begin(&dev->vu, VHOST_USER_TIMEOUT_MS);
    r = vu_handshake(&dev->vu);
    if (r < 0) {
        char how[64];
        /* An in-tree back end that gave up (it says why on stderr) has
         * ended or is ending: say how. */
        if (dev->pid > 0 && r != -HVE_TIMEDOUT && exit_reason(dev, HANGUP_GRACE_MS, how,
                                                              sizeof(how)))
            fail(err, errlen, r, "%s: the back end ended (%s) before it answered",
                 dev->spec.id, how);
        else
            fail(err, errlen, r, "%s: the back end %s", dev->spec.id,
                 r == -HVE_TIMEDOUT ? "did not answer in time" : "broke off the handshake");
        goto bad;
    }
    r = describe(d, dev, err, errlen);
    vu_deadline_end(&dev->vu);
    if (r < 0)
        goto bad;
    dev->connected = true;
    loop_watch_device(d, dev->vu.fd, DEVFD_TAG(DEVFD_SOCK, dev->slot, 0), WATCH_HANGUP);
    if (dev->pidfd >= 0)
        loop_watch_device(d, dev->pidfd, DEVFD_TAG(DEVFD_PID, dev->slot, 0), WATCH_IN);
    return 0;
bad:
    vu_deadline_end(&dev->vu);
    dev_backend_stop(d, dev);
    return r;
}

void dev_backend_stop(struct domain *d, struct device *dev)
{
    if (dev->vu.fd >= 0) {
        loop_unwatch_device(d, dev->vu.fd);
        close(dev->vu.fd);
    }
    dev->vu.fd = -1;
    dev->connected = false;
    if (dev->pid > 0) {
        kill(dev->pid, SIGKILL);
        while (waitpid(dev->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    dev->pid = 0;
    if (dev->pidfd >= 0) {
        loop_unwatch_device(d, dev->pidfd);
        close(dev->pidfd);
    }
    dev->pidfd = -1;
}

static void arm_retry(struct device *dev, unsigned ms)
{
    struct itimerspec it = { .it_value = { .tv_sec = ms / 1000,
                                           .tv_nsec = (long)(ms % 1000) * 1000000L + 1 } };

    timerfd_settime(dev->retry_fd, 0, &it, NULL);
}

/* Say (in the loop, soon) what was lost, and try again: an in-tree back
 * end at once unless it keeps dying as it starts, a socket in 200 ms. */
static void count_loss(struct device *dev, const char *why)
{
    if (dev->spec.socket[0]) {
        snprintf(dev->pending_error, sizeof(dev->pending_error),
                 "%s: back end lost (%s): reconnecting", dev->spec.id, why);
        arm_retry(dev, 0);      /* says so now; tries every 200 ms after */
        return;
    }
    bool quick = now_ns(CLOCK_MONOTONIC) - dev->started_ns < QUICK_DEATH_NS;
    dev->quick_deaths = quick ? dev->quick_deaths + 1 : 1;
    if (dev->quick_deaths >= MAX_QUICK_DEATHS) {
        dev->gave_up = true;
        snprintf(dev->pending_error, sizeof(dev->pending_error),
                 "%s: back end died %u times within 1 s of its start: given up",
                 dev->spec.id, dev->quick_deaths);
    } else {
        snprintf(dev->pending_error, sizeof(dev->pending_error),
                 "%s: back end died (%s): restarting it", dev->spec.id, why);
    }
    arm_retry(dev, 0);
}

/*
 * Any thread: the back end is gone (died, hung up, did not answer).  The
 * guest sees NEEDS_RESET now; the event and the restart come from the
 * event loop (dev_backend_retry), which alone forks and emits events.
 */
void dev_backend_lost(struct domain *d, struct device *dev, const char *why)
{
    if (!dev->connected && dev->vu.fd < 0 && dev->pid == 0)
        return;                 /* already counted */
    dev_backend_stop(d, dev);
    dev_queues_stop(d, dev, false);
    if (dev->state == HV_DEV_STATE_READY || dev->state == HV_DEV_STATE_RUNNING) {
        dev->state = HV_DEV_STATE_NEEDS_RESET;
        dev_slot_publish(d, dev);
    }
    count_loss(dev, why);
}

/* Event loop: the retry timer fired. */
void dev_backend_retry(struct domain *d, struct device *dev)
{
    char err[160];
    bool process = !dev->spec.socket[0];

    if (dev->pending_error[0]) {
        domain_emit_event(d, HV_EVENT_device_error, dev->pending_error);
        dev->pending_error[0] = '\0';
    }
    if (dev->gave_up || dev->connected)
        return;
    if (dev_backend_start(d, dev, err, sizeof(err)) < 0) {
        if (process) {
            /* err names the device already: the event says it once */
            size_t n = strlen(dev->spec.id);
            bool named = strncmp(err, dev->spec.id, n) == 0 && strncmp(err + n, ": ", 2) == 0;
            count_loss(dev, named ? err + n + 2 : err);     /* towards giving up */
        } else {
            arm_retry(dev, RECONNECT_MS);   /* quietly: it was said once */
        }
        return;
    }
    dev->reconnects++;
    if (dev->state == HV_DEV_STATE_CONNECTING)
        dev->state = HV_DEV_STATE_READY;
    dev_slot_publish(d, dev);
    char msg[112];
    snprintf(msg, sizeof(msg), "%s: back end is back%s", dev->spec.id,
             dev->state == HV_DEV_STATE_READY ? "" : ": the guest resets the device");
    domain_emit_event(d, HV_EVENT_device_ready, msg);
}

/* Has the in-tree back end ended (waiting up to ms)?  Then how, in why;
 * it stays a zombie for dev_backend_stop to reap. */
static bool exit_reason(struct device *dev, int ms, char *why, size_t len)
{
    struct pollfd p = { .fd = dev->pidfd, .events = POLLIN };
    siginfo_t si;

    if (dev->pidfd >= 0 && ms > 0)
        (void)poll(&p, 1, ms);
    memset(&si, 0, sizeof(si));
    if (waitid(P_PID, (id_t)dev->pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0 ||
        si.si_pid != dev->pid)
        return false;
    if (si.si_code == CLD_EXITED)
        snprintf(why, len, "exit status %d", si.si_status);
    else
        snprintf(why, len, "killed by signal %d", si.si_status);
    return true;
}

/*
 * The back end signalled q's error eventfd: it stopped the queue (a
 * descriptor loop, an index far ahead...) and serves it no more.  The
 * guest sees NEEDS_RESET; its DEVOP_reset stops the rings and its next
 * start sets them up again, with the same back end (it is alive).  The
 * event says which queue and, from an in-tree back end's counters page,
 * why.
 */
static void queue_broken(struct domain *d, struct device *dev, unsigned q)
{
    struct dev_queue *dq = &dev->q[q];
    /* msg has room for all of it (id, queue, why): the event's detail
     * cuts it, not this snprintf, which gcc -O1 would warn about. */
    char why[sizeof(dev->stats->last_error)], msg[192], pfx[16];
    uint64_t cnt;

    if (dq->err_fd < 0 || read(dq->err_fd, &cnt, sizeof(cnt)) != (ssize_t)sizeof(cnt))
        return;                 /* stale: that start is over */
    if (!dq->live || dev->state != HV_DEV_STATE_RUNNING)
        return;
    dev->state = HV_DEV_STATE_NEEDS_RESET;
    dev_slot_publish(d, dev);
    why[0] = '\0';
    if (dev->stats && !dev->spec.socket[0]) {
        memcpy(why, dev->stats->last_error, sizeof(why));
        why[sizeof(why) - 1] = '\0';
        why[strcspn(why, "\r\n")] = '\0';     /* one line */
    }
    /* hvblk and hvnet say "queue <q>: <what>": the queue is said once. */
    size_t n = (size_t)snprintf(pfx, sizeof(pfx), "queue %u: ", q);
    const char *rest = strncmp(why, pfx, n) == 0 ? why + n : why;
    snprintf(msg, sizeof(msg), "%s: queue %u stopped by the back end%s%s", dev->spec.id, q,
             *rest ? ": " : "", rest);
    domain_emit_event(d, HV_EVENT_device_error, msg);
}

void device_on_fd(struct domain *d, unsigned tag)
{
    unsigned kind = tag >> 8, slot = (tag >> 4) & 15, q = tag & 15;
    char why[64];
    uint64_t cnt;

    if (kind == DEVFD_CALL) {
        device_call(d, DEV_QID(slot, q));
        return;
    }
    pthread_mutex_lock(&d->dev_lock);
    struct device *dev = d->dev[slot];
    if (!dev)
        goto out;
    switch (kind) {
    case DEVFD_SOCK: {
        /* Only a hang-up is watched; make sure it is one (a stale event
         * of a socket closed meanwhile finds none). */
        struct pollfd p = { .fd = dev->vu.fd, .events = POLLRDHUP };
        if (dev->vu.fd < 0 || poll(&p, 1, 0) != 1 ||
            !(p.revents & (POLLRDHUP | POLLHUP | POLLERR)))
            break;
        /* A dying process closes its socket before it is a zombie: give
         * it a moment, so that the event says how it ended. */
        if (dev->pid <= 0 || !exit_reason(dev, HANGUP_GRACE_MS, why, sizeof(why)))
            snprintf(why, sizeof(why), "it hung up");
        dev_backend_lost(d, dev, why);
        break;
    }
    case DEVFD_PID:
        if (dev->pid > 0 && exit_reason(dev, 0, why, sizeof(why)))
            dev_backend_lost(d, dev, why);
        break;
    case DEVFD_ERR:
        queue_broken(d, dev, q);
        break;
    case DEVFD_RETRY:
        if (read(dev->retry_fd, &cnt, sizeof(cnt)) == (ssize_t)sizeof(cnt))
            dev_backend_retry(d, dev);
        break;
    }
out:
    pthread_mutex_unlock(&d->dev_lock);
}
