/*
 * evtchn.h - event channels, upcalls and the upcall mask.
 *
 * An event arrives as an upcall: hvcore redirects the vCPU to upcall_entry
 * (start.S), which calls evtchn_do_upcall and leaves with
 * EVTCHNOP_upcall_return.  Handlers therefore run on the interrupted
 * stack with upcalls masked; they must be short and must not block.
 *
 * vcpu_info.upcall_mask is pvboot's "interrupt flag": irq_save() is cli,
 * irq_restore() is the matching sti.  Code that takes a lock an upcall
 * handler may also want masks first, or the handler would spin forever on
 * the vCPU that holds the lock.
 */
#ifndef PVBOOT_EVTCHN_H
#define PVBOOT_EVTCHN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

typedef void (*evtchn_handler_t)(unsigned port, void *arg);

/* Register upcall_entry with hvcore (EVTCHNOP_set_upcall). */
void evtchn_init(void);

/* Bind virq (or an IPI) to a new port notifying vcpu and route it to
 * fn(port, arg).  Returns the port (> 0) or a negative HVE_* code. */
long evtchn_bind_virq(unsigned virq, unsigned vcpu, evtchn_handler_t fn, void *arg);
long evtchn_bind_ipi(unsigned vcpu, evtchn_handler_t fn, void *arg);
long evtchn_send(unsigned port);

/* True if pvboot itself bound port (hostile.c leaves those alone). */
bool evtchn_port_in_use(unsigned port);

/* Called only from start.S. */
void evtchn_do_upcall(void);
noreturn void evtchn_upcall_return(void);
uint64_t *evtchn_upcall(void);

/* Leave upcalls through EVTCHNOP_upcall_return (boot option). */
extern bool upcall_return_by_hypercall;

/* Upcall mask of the calling vCPU. */
unsigned long irq_save(void);
void irq_restore(unsigned long flags);
void irq_enable(void);

/* With upcalls masked by the caller: unmask and sleep until an event is
 * pending (SCHEDOP_block); pending upcalls run before this returns, and
 * upcalls are unmasked afterwards.  Checking a condition with upcalls
 * masked and then calling sched_block() cannot miss a wake-up. */
void sched_block(void);

/* Block forever; upcalls (shutdown, balloon, console) still run. */
noreturn void idle_forever(void);

#endif /* PVBOOT_EVTCHN_H */
