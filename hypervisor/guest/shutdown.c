/*
 * shutdown.c - ending the domain: on request, on purpose, or in a panic.
 */
#include <stdarg.h>

#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "kernel.h"
#include "printf.h"

noreturn void domain_shutdown(unsigned reason)
{
    console_flush();            /* output waits in the ring until flushed */
    hc_sched_op(SCHEDOP_shutdown, reason);
    /* Only a reason hvcore rejects gets here. */
    hc_sched_op(SCHEDOP_shutdown, SHUTDOWN_crash);
    idle_forever();
}

noreturn void panic(const char *fmt, ...)
{
    static int panicking;
    va_list ap;

    /* A panic inside the panic (say, in the console) must still end. */
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST))
        domain_shutdown(SHUTDOWN_crash);
    irq_save();
    kprintf("pvboot: panic: ");
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
    kprintf("\n");
    domain_shutdown(SHUTDOWN_crash);
}

/* VIRQ_SHUTDOWN, in the upcall.  Obeying right here works whatever the
 * interrupted workload was doing, busy loop or block. */
static void shutdown_event(unsigned port, void *arg)
{
    (void)port;
    (void)arg;
    switch (READ_ONCE(shared_info->shutdown_request)) {
    case SHUTDOWN_REQUEST_poweroff:
        kprintf("pvboot: shutdown requested (poweroff)\n");
        domain_shutdown(SHUTDOWN_poweroff);
    case SHUTDOWN_REQUEST_reboot:
        kprintf("pvboot: shutdown requested (reboot)\n");
        domain_shutdown(SHUTDOWN_reboot);
    default:
        break;                  /* none (a stray send) or unknown: ignore */
    }
}

void shutdown_watch_start(void)
{
    long port = evtchn_bind_virq(VIRQ_SHUTDOWN, 0, shutdown_event, NULL);
    unsigned long flags;

    if (port < 0)
        panic("cannot bind VIRQ_SHUTDOWN: %ld", port);
    /* A request made before we were listening raised no event we saw. */
    flags = irq_save();
    shutdown_event(0, NULL);
    irq_restore(flags);
}
