/*
 * vu_serve.c - the loop that serves a vhost-user connection (vu_dev.h):
 * take what the queues hold, reap the device's completions, one call per
 * queue and batch; after work, poll for --poll-us with notifications off;
 * then ask the guest for notifications and sleep until a kick, a message
 * or one of the device's fds wakes us.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "vu_dev.h"

#define EVENTS_EVERY 16u           /* polling rounds per look at the fds */

/* A spin-wait hint: let a sibling hyperthread have the core meanwhile. */
static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void on_kick(struct vu_dev *d, unsigned q)
{
    uint64_t n;

    if (q < d->nr_queues && d->q[q].kick_fd >= 0 &&
        read(d->q[q].kick_fd, &n, sizeof(n)) == (ssize_t)sizeof(n))
        vu_stat_add(&d->stats->kicks, n);
}

/* Process every live queue and the device's own events once. */
static int work_once(struct vu_dev *d)
{
    int work = 0;

    for (unsigned q = 0; q < d->nr_queues; q++) {
        if (vu_dev_queue_live(d, q))
            work += d->ops->process(d, q);
        if (d->q[q].started && d->q[q].vq.broken)
            vu_dev_queue_broken(d, q);
    }
    return work + d->ops->poll(d);
}

/* Ask for notifications on every live queue (on), or stop asking. */
static void arm(struct vu_dev *d, bool on)
{
    for (unsigned q = 0; q < d->nr_queues; q++)
        if (vu_dev_queue_live(d, q))
            (void)virtq_notify(&d->q[q].vq, on);
}

int vu_dev_serve(struct vu_dev *d, int sock)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = VU_TAG(VU_TAG_SOCK, 0) };
    uint64_t last_work = now_ns();
    unsigned rounds = 0;
    int rc = -1;

    d->sock = sock;
    d->refusals_logged = 0;
    if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, sock, &ev) < 0) {
        fprintf(stderr, "%s: epoll: %s\n", d->prog, strerror(errno));
        goto out;
    }
    for (;;) {
        struct epoll_event evs[16];
        int timeout = 0, n;
        bool armed = false;

        /* While work comes or we poll for it, the fds (socket, kicks,
         * the device's) are looked at every EVENTS_EVERY rounds only: an
         * epoll_wait per round cost hvblk more than its reads (perf,
         * bench-io at depth 32). */
        if (work_once(d) > 0) {
            last_work = now_ns();
            if (++rounds % EVENTS_EVERY)
                continue;
        } else if (now_ns() - last_work < (uint64_t)d->poll_us * 1000) {
            if (++rounds % EVENTS_EVERY) {
                cpu_relax();
                continue;
            }
        } else {
            /* Requests that came while we armed are taken by this round;
             * buffers merely waiting (a network card's receive buffers)
             * are no reason to stay awake. */
            armed = true;
            arm(d, true);
            if (work_once(d) == 0)
                timeout = -1;
        }
        n = epoll_wait(d->epfd, evs, 16, timeout);
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "%s: epoll: %s\n", d->prog, strerror(errno));
            goto out;
        }
        for (int i = 0; i < n; i++) {
            uint64_t tag = evs[i].data.u64 >> 32;
            uint32_t v = (uint32_t)evs[i].data.u64;

            if (tag == VU_TAG_SOCK) {
                int r = vu_dev_message(d);

                if (r) {
                    rc = r > 0 ? 0 : -1;
                    goto out;
                }
            } else if (tag == VU_TAG_KICK) {
                on_kick(d, v);
            } else {
                d->ops->fd_ready(d, (int)v, evs[i].events);
            }
        }
        if (armed)
            arm(d, false);
        if (n > 0)
            last_work = now_ns();
    }
out:
    epoll_ctl(d->epfd, EPOLL_CTL_DEL, sock, NULL);
    vu_dev_reset(d);
    d->sock = -1;
    return rc;
}
