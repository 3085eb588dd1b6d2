/*
 * event_loop.c - the main thread's epoll loop.
 *
 * Sources: the domctl listening socket and its clients, console clients
 * and stdin (console input), the vCPUs' one-shot timers, a signalfd
 * (SIGINT/SIGTERM/SIGHUP destroy the domain cleanly) and the wake eventfd
 * through which a vCPU says the domain is ending.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "console.h"
#include "device.h"
#include "domain.h"
#include "domctl.h"
#include "event_loop.h"
#include "evtchn.h"
#include "guest_time.h"
#include "hvcore.h"

enum source { SRC_WAKE = 1, SRC_LISTEN, SRC_DOMCTL, SRC_CONSOLE, SRC_STDIN, SRC_TIMER, SRC_SIGNAL,
              SRC_DEVICE };

static uint64_t tag(enum source s, int fd, unsigned extra)
{
    return ((uint64_t)s << 56) | ((uint64_t)extra << 32) | (uint32_t)fd;
}

/* 0 or -errno. */
static int watch(struct domain *d, enum source s, int fd, unsigned extra)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag(s, fd, extra) };

    return epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void unwatch(struct domain *d, int fd)
{
    epoll_ctl(d->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}

int loop_watch_device(struct domain *d, int fd, unsigned dtag, enum loop_watch how)
{
    static const uint32_t events[] = {
        [WATCH_IN] = EPOLLIN,
        [WATCH_HANGUP] = EPOLLRDHUP,
        [WATCH_IN_EXCLUSIVE] = EPOLLIN | EPOLLEXCLUSIVE,
    };
    struct epoll_event ev = { .events = events[how], .data.u64 = tag(SRC_DEVICE, fd, dtag) };

    return epoll_ctl(d->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void loop_unwatch_device(struct domain *d, int fd)
{
    if (d->epoll_fd >= 0)
        unwatch(d, fd);
}

int loop_init(struct domain *d, int sig_fd, int watch_stdin, char *err, size_t errlen)
{
    d->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (d->epoll_fd < 0) {
        int r = -errno;
        snprintf(err, errlen, "epoll: %s", strerror(-r));
        return r;
    }
    d->signal_fd = sig_fd;
    int r = watch(d, SRC_WAKE, d->wake_fd, 0);
    if (r == 0)
        r = watch(d, SRC_LISTEN, d->listen_fd, 0);
    if (r == 0)
        r = watch(d, SRC_SIGNAL, sig_fd, 0);
    for (unsigned i = 0; r == 0 && i < d->max_vcpus; i++)
        r = watch(d, SRC_TIMER, d->vcpu[i].timer_fd, i);
    if (r < 0) {
        snprintf(err, errlen, "epoll_ctl: %s", strerror(-r));
        return r;
    }
    /* stdin that is a file or /dev/null cannot be watched by epoll (EPERM):
     * then there is simply no console input from it. */
    if (watch_stdin)
        (void)watch(d, SRC_STDIN, STDIN_FILENO, 0);
    return 0;
}

void loop_fini(struct domain *d)
{
    if (d->epoll_fd >= 0)
        close(d->epoll_fd);
    d->epoll_fd = -1;
}

static void on_input(struct domain *d, int fd, enum source s)
{
    char buf[512];
    ssize_t n = read(fd, buf, sizeof(buf));

    if (n > 0) {
        console_input(d, buf, (size_t)n);
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return;
    unwatch(d, fd);
    if (s == SRC_CONSOLE)
        console_detach(d, fd);
}

/*
 * After a request, look for the next one on the same connection for a
 * few microseconds before going back to epoll: control requests come in
 * bursts (pause then unpause, a list that asks every domain), and on a
 * virtual machine the cross-CPU wake-up of a sleeping thread costs more
 * than the whole request (tests/bench: ~25 us for pause+unpause when no
 * wake-up is needed, ~115 us when both ends sleep).
 */
#define DOMCTL_SPIN_NS 30000

static void on_domctl(struct domain *d, int fd)
{
    uint64_t until = 0;

    for (;;) {
        int console_fd;
        int r = domctl_serve(d, fd, &console_fd);

        if (console_fd >= 0)
            watch(d, SRC_CONSOLE, console_fd, 0);
        if (r == DOMCTL_HANDED_OFF) {
            unwatch(d, fd);
            d->nr_clients--;
            return;
        }
        if (r < 0 || r == DOMCTL_SERVED_LAST) {
            unwatch(d, fd);
            close(fd);
            d->nr_clients--;
            return;
        }
        uint64_t now = now_ns(CLOCK_MONOTONIC);
        if (r > 0)
            until = now + DOMCTL_SPIN_NS;
        else if (now >= until)
            return;
        else
            sched_yield();      /* a client on this CPU must get to run */
    }
}

static void on_signal(struct domain *d)
{
    struct signalfd_siginfo si;

    if (read(d->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
        domain_end(d, END_DESTROY, "terminated by signal");
}

int loop_run(struct domain *d)
{
    struct epoll_event evs[16];

    for (;;) {
        int n = epoll_wait(d->epoll_fd, evs, 16, -1);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "hvcore: epoll_wait: %s\n", strerror(errno));
            domain_end(d, END_DESTROY, "internal error");
            return domain_finish_end(d);
        }
        for (int i = 0; i < n; i++) {
            uint64_t t = evs[i].data.u64;
            enum source s = (enum source)(t >> 56);
            int fd = (int)(uint32_t)t;
            unsigned extra = (unsigned)((t >> 32) & 0xffffff);
            uint64_t cnt;

            switch (s) {
            case SRC_WAKE: {
                (void)!read(fd, &cnt, sizeof(cnt));
                pthread_mutex_lock(&d->lock);
                bool ending = d->stopping && d->end_reason != END_NONE;
                pthread_mutex_unlock(&d->lock);
                if (ending) {
                    int status = domain_finish_end(d);
                    if (status != DOMAIN_LIVES_ON)
                        return status;
                }
                break;
            }
            case SRC_LISTEN: {
                int c = domctl_accept(d);
                if (c >= 0 && watch(d, SRC_DOMCTL, c, 0) < 0) {
                    close(c);
                } else if (c >= 0) {
                    d->nr_clients++;
                    /* A client sends its request right after connecting,
                     * and an AF_UNIX connect completes without waiting
                     * for the accept: the request is often here already.
                     * Serve it now rather than in another trip through
                     * epoll (and, if the client has gone to sleep by
                     * then, another wake-up). */
                    on_domctl(d, c);
                }
                break;
            }
            case SRC_DOMCTL:
                on_domctl(d, fd);
                break;
            case SRC_CONSOLE:
            case SRC_STDIN:
                on_input(d, fd, s);
                break;
            case SRC_TIMER:
                if (read(fd, &cnt, sizeof(cnt)) == (ssize_t)sizeof(cnt))
                    guest_timer_fired(&d->vcpu[extra]);
                break;
            case SRC_SIGNAL:
                on_signal(d);
                break;
            case SRC_DEVICE:
                device_on_fd(d, extra);
                break;
            }
        }
    }
}
