/*
 * balloon.c - the balloon driver: hold as much RAM as the toolstack's
 * target says (shared_info.mem_target_kib, announced by VIRQ_BALLOON).
 *
 * It only ever gives back free pages, so a target below what the running
 * workload needs is followed as far as possible and no further.
 */
#include "evtchn.h"
#include "hypercall.h"
#include "kernel.h"
#include "mm.h"
#include "printf.h"

#define KIB_PER_PAGE (HV_PAGE_SIZE / 1024)

/* Move toward the target; with upcalls masked, so that one update runs at
 * a time.  At boot (announce == false) stay quiet if nothing changes. */
static void balloon_follow(bool announce)
{
    uint64_t target_kib = READ_ONCE(shared_info->mem_target_kib);
    uint64_t target;
    struct mm_stats st;

    if (target_kib == 0)
        return;                 /* no target published */
    target = (target_kib + KIB_PER_PAGE - 1) / KIB_PER_PAGE;
    if (target > start_info->nr_pages)
        target = start_info->nr_pages;

    mm_get_stats(&st);
    if (target < st.total_pages)
        mm_balloon_out(st.total_pages - target);
    else if (target > st.total_pages)
        mm_balloon_in(target - st.total_pages);
    else if (!announce)
        return;
    mm_get_stats(&st);
    kprintf("balloon: target %llu KiB, current %llu KiB\n",
            (unsigned long long)target_kib,
            (unsigned long long)(st.total_pages * KIB_PER_PAGE));
}

static void balloon_event(unsigned port, void *arg)
{
    (void)port;
    (void)arg;
    balloon_follow(true);
}

void balloon_start(void)
{
    long port = evtchn_bind_virq(VIRQ_BALLOON, 0, balloon_event, NULL);
    unsigned long flags;

    if (port < 0)
        panic("cannot bind VIRQ_BALLOON: %ld", port);
    /* A target set before we listened raised no event we could see. */
    flags = irq_save();
    balloon_follow(false);
    irq_restore(flags);
}
