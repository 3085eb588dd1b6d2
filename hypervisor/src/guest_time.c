/*
 * guest_time.c - system time and one-shot timers (guest_time.h).
 */
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>

#include "boot_layout.h"
#include "evtchn.h"
#include "guest_time.h"
#include "hvcore.h"
#include "public/errno.h"
#include "xen_evtchn.h"

/* Deadlines further ahead are held here: far enough for any guest, and
 * CLOCK_MONOTONIC + this never overflows a time_t. */
#define FAR_AHEAD_NS (30ULL * 365 * 24 * 3600 * 1000000000ULL)

uint64_t guest_time_now(const struct domain *d)
{
    return now_ns(CLOCK_MONOTONIC) - d->boot_mono_ns;
}

int guest_timer_arm(struct vcpu *v, uint64_t deadline_ns)
{
    struct domain *d = v->dom;
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
    pthread_mutex_lock(&d->lock);
    v->timer_deadline = deadline_ns;
    int r = timerfd_settime(v->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
    pthread_mutex_unlock(&d->lock);
    return r < 0 ? -HVE_INVAL : 0;
}

void guest_timer_fired(struct vcpu *v)
{
    struct domain *d = v->dom;

    pthread_mutex_lock(&d->lock);
    /* A deadline armed again meanwhile (a later one) stays. */
    if (v->timer_deadline && v->timer_deadline <= guest_time_now(d))
        v->timer_deadline = 0;
    if (d->xen)
        xen_evtchn_raise_virq_locked(d, XEN_VIRQ_TIMER, v->id);
    else
        evtchn_raise_virq_locked(d, VIRQ_TIMER, v->id);
    pthread_mutex_unlock(&d->lock);
}

void guest_time_set(struct domain *d, uint64_t system_ns)
{
    d->boot_mono_ns = now_ns(CLOCK_MONOTONIC) - system_ns;
    for (unsigned i = 0; i < HV_MAX_VCPUS; i++)
        boot_layout_pvclock(d, i);
}
