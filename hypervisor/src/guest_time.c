/*
 * guest_time.c - system time and one-shot timers (guest_time.h).
 */
#include <poll.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>

#include "boot_layout.h"
#include "guest_time.h"
#include "hvcore.h"
#include "public/errno.h"

/* Deadlines further ahead are held here: far enough for any guest, and
 * CLOCK_MONOTONIC + this never overflows a time_t. */
#define FAR_AHEAD_NS (30ULL * 365 * 24 * 3600 * 1000000000ULL)

uint64_t guest_time_now(const struct domain *d)
{
    return now_ns(CLOCK_MONOTONIC) - d->boot_mono_ns;
}

int guest_timer_arm(const struct domain *d, int timer_fd, uint64_t deadline_ns)
{
    struct itimerspec its;

    memset(&its, 0, sizeof(its));
    if (deadline_ns != 0) {
        uint64_t mono = now_ns(CLOCK_MONOTONIC);
        uint64_t sys = mono - d->boot_mono_ns;
        uint64_t ahead = deadline_ns > sys ? deadline_ns - sys : 0;
        uint64_t abs;

        if (ahead > FAR_AHEAD_NS)
            ahead = FAR_AHEAD_NS;
        abs = mono + ahead;
        if (abs == 0)
            abs = 1;            /* an all-zero it_value would disarm */
        its.it_value.tv_sec = (time_t)(abs / 1000000000ULL);
        its.it_value.tv_nsec = (long)(abs % 1000000000ULL);
    }
    if (timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
        return -HVE_INVAL;
    return 0;
}

uint64_t guest_timer_deadline(const struct domain *d, int timer_fd)
{
    struct itimerspec its;
    struct pollfd p = { .fd = timer_fd, .events = POLLIN };
    uint64_t sys = guest_time_now(d);

    if (timer_fd < 0)
        return 0;
    if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN))
        return sys ? sys : 1;          /* expired, not yet read */
    if (timerfd_gettime(timer_fd, &its) < 0)
        return 0;
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        return 0;                      /* disarmed */
    uint64_t left = (uint64_t)its.it_value.tv_sec * 1000000000ULL +
                    (uint64_t)its.it_value.tv_nsec;
    return sys + left;
}

void guest_time_set(struct domain *d, uint64_t system_ns)
{
    d->boot_mono_ns = now_ns(CLOCK_MONOTONIC) - system_ns;
    for (unsigned i = 0; i < HV_MAX_VCPUS; i++)
        boot_layout_pvclock(d, i);
}
