/*
 * time.c - pvclock reads and timer sleeps.
 */
#include "evtchn.h"
#include "hypercall.h"
#include "kernel.h"
#include "smp.h"
#include "time.h"

uint64_t time_now_ns(void)
{
    const volatile struct hv_pvclock *t = &shared_info->vcpu_info[this_vcpu_id()].time;
    uint32_t version;
    uint64_t ns;

    /* The seqlock of shared_info.h: retry while hvcore is mid-update.
     * x86 keeps loads in order, so compiler barriers are the rmb(). */
    do {
        version = t->version;
        barrier();
        uint64_t delta = rdtsc() - t->tsc_timestamp;
        int8_t shift = t->tsc_shift;
        if (shift < 0)
            delta >>= -shift;
        else
            delta <<= shift;
        ns = t->system_time +
             (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
        barrier();
    } while ((version & 1) || version != t->version);
    return ns;
}

static void timer_event(unsigned port, void *arg)
{
    struct vcpu *v = arg;

    (void)port;
    v->timer_fired = true;
}

void time_init_vcpu(void)
{
    struct vcpu *v = this_vcpu();
    long port;

    if (v->timer_port > 0)
        return;
    port = evtchn_bind_virq(VIRQ_TIMER, v->id, timer_event, v);
    if (port < 0)
        panic("vcpu %u: cannot bind VIRQ_TIMER: %ld", v->id, port);
    v->timer_port = (int)port;
}

void sleep_until(uint64_t deadline_ns)
{
    struct vcpu *v = this_vcpu();

    ASSERT(v->timer_port > 0);
    /* The timer may fire a hair before our own reading of the clock says
     * the deadline is here: re-arm until the clock agrees.  Waking on
     * timer_fired rather than on the clock alone means a fired timer can
     * never leave us blocked with nothing armed. */
    while (time_now_ns() < deadline_ns) {
        v->timer_fired = false;
        hc_set_timer(deadline_ns);
        irq_save();
        while (!v->timer_fired) {
            sched_block();          /* returns with upcalls unmasked */
            irq_save();
        }
        irq_enable();
    }
}

void sleep_ns(uint64_t ns)
{
    sleep_until(time_now_ns() + ns);
}

bool wait_event(bool (*cond)(void *), void *arg, uint64_t poll_ns, uint64_t timeout_ns)
{
    uint64_t start = time_now_ns();

    for (;;) {
        uint64_t now = time_now_ns();
        bool timed_out = timeout_ns && now - start >= timeout_ns;

        irq_save();
        if (cond(arg) || timed_out) {
            bool ok = cond(arg);
            irq_enable();
            return ok;
        }
        uint64_t wake = poll_ns ? now + poll_ns : 0;
        if (timeout_ns && (!wake || wake > start + timeout_ns))
            wake = start + timeout_ns;
        if (wake)
            hc_set_timer(wake);     /* a stray early wake-up only loops */
        sched_block();
    }
}
