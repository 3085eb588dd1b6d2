/*
 * counter.c - a counter in memory, printed every 10 ms.  Pause, save and
 * migration must carry it on from where it was.
 */
#include "kernel.h"
#include "printf.h"
#include "time.h"
#include "workloads/workloads.h"

#define COUNTER_PERIOD_NS (10 * NS_PER_MS)

static unsigned long long counter;

void workload_counter(const char *arg)
{
    uint64_t next = time_now_ns() + COUNTER_PERIOD_NS;

    (void)arg;
    for (;;) {
        sleep_until(next);
        kprintf("counter %llu\n", ++counter);
        /* Absolute deadlines: the time spent printing does not add up.
         * After a stall longer than a period (the domain was paused or
         * saved) carry on from now instead of printing a burst of
         * catch-up ticks. */
        next += COUNTER_PERIOD_NS;
        uint64_t now = time_now_ns();
        if (now >= next)
            next = now + COUNTER_PERIOD_NS;
    }
}
