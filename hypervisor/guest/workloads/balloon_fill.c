/*
 * balloon_fill.c - "balloon=<MiB>": take memory, use it, give it back to
 * the host.  hvcore's mem_current must drop by <MiB> afterwards.
 */
#include "evtchn.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "printf.h"
#include "time.h"
#include "workloads/workloads.h"

#define BALLOON_HOLD_NS (500 * NS_PER_MS)

void workload_balloon(const char *arg)
{
    char *end;
    unsigned long mib = strtoul(arg, &end, 10);
    uint64_t pages = (uint64_t)mib * PAGES_PER_MIB;
    long pfn, rc;

    if (end == arg || *skip_spaces(end) || mib == 0 || pages / PAGES_PER_MIB != mib) {
        kprintf("pvboot: usage: balloon=<MiB> (MiB > 0)\n");
        domain_shutdown(SHUTDOWN_poweroff);
    }
    pfn = mm_alloc_pages(pages);
    if (pfn < 0) {
        struct mm_stats st;
        mm_get_stats(&st);
        kprintf("balloon: cannot allocate %lu MiB (%llu MiB free)\n",
                mib, (unsigned long long)MIB(st.free_pages));
        idle_forever();
    }
    /* A write makes the host back each page with real memory. */
    for (uint64_t i = 0; i < pages; i++)
        *(volatile uint64_t *)pfn_to_ptr((uint64_t)pfn + i) = (uint64_t)pfn + i;
    kprintf("balloon: touched %lu MiB\n", mib);

    sleep_ns(BALLOON_HOLD_NS);

    rc = mm_release_pages((uint64_t)pfn, pages);   /* one hypercall */
    if (rc < 0)
        panic("balloon: MEMOP_decrease_reservation of %lu MiB failed: %ld", mib, rc);
    kprintf("balloon: released %lu MiB\n", mib);
    idle_forever();
}
