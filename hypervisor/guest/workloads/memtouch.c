/*
 * memtouch.c - "memtouch=<MiB>[,<rate>]": keep dirtying memory, one word
 * per page, optionally at <rate> pages per 10 ms.  Live migration has to
 * converge (or not) against this.
 */
#include "evtchn.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "printf.h"
#include "time.h"
#include "workloads/workloads.h"

#define MEMTOUCH_PERIOD_NS (10 * NS_PER_MS)

static bool parse(const char *arg, unsigned long *mib, unsigned long *rate)
{
    char *end;

    *mib = strtoul(arg, &end, 10);
    if (end == arg || *mib == 0 || *mib > HV_MAX_MEMORY_MIB)
        return false;
    *rate = 0;
    if (*end == ',') {
        const char *r = end + 1;
        *rate = strtoul(r, &end, 10);
        if (end == r)
            return false;
    }
    return *skip_spaces(end) == '\0';
}

void workload_memtouch(const char *arg)
{
    unsigned long mib, rate;
    unsigned long long pass = 0;
    uint64_t pages, budget, next;
    long pfn;

    if (!parse(arg, &mib, &rate)) {
        kprintf("pvboot: usage: memtouch=<MiB>[,<pages per 10 ms>]\n");
        domain_shutdown(SHUTDOWN_poweroff);
    }
    pages = (uint64_t)mib * PAGES_PER_MIB;
    pfn = mm_alloc_pages(pages);
    if (pfn < 0) {
        struct mm_stats st;
        mm_get_stats(&st);
        kprintf("memtouch: cannot allocate %lu MiB (%llu MiB free)\n",
                mib, (unsigned long long)MIB(st.free_pages));
        idle_forever();
    }

    budget = rate;
    next = time_now_ns() + MEMTOUCH_PERIOD_NS;
    for (;;) {
        pass++;
        for (uint64_t i = 0; i < pages; i++) {
            *(volatile uint64_t *)pfn_to_ptr((uint64_t)pfn + i) = pass;
            if (rate && --budget == 0) {
                /* Rate-limited: sleep to the next 10 ms boundary. */
                sleep_until(next);
                next += MEMTOUCH_PERIOD_NS;
                uint64_t now = time_now_ns();
                if (now >= next)
                    next = now + MEMTOUCH_PERIOD_NS;
                budget = rate;
            }
        }
        kprintf("memtouch: pass %llu\n", pass);
    }
}
