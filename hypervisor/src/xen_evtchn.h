/*
 * xen_evtchn.h - a Xen-PV domain's event channels (2-level ABI).
 *
 * Ports live in a table hvcore keeps (struct xen_evtchn, d->xen->evtchn);
 * their pending and mask bits live in the shared-info page and the
 * selector and upcall flag in each vCPU's vcpu_info, where the guest reads
 * and acknowledges them without an exit.  Port 0 is never used.  The
 * table, like every other event-channel state, is guarded by dom->lock.
 */
#ifndef HVCORE_XEN_EVTCHN_H
#define HVCORE_XEN_EVTCHN_H

#include <stdint.h>

#include "public/xen_pv.h"          /* XEN_VIRQ_* */

struct domain;

/* Make (or, at a reboot, clear) d->xen->evtchn: every port free.  The
 * shared-info bitmaps are the builder's to clear.  0 or -HVE_NOMEM.
 * dom->lock not held. */
int xen_evtchn_init(struct domain *d);

/* Free d->xen->evtchn (domain teardown). */
void xen_evtchn_free(struct domain *d);

/* Bind the console's port (the back end's end is hvcore's console, shown
 * to the guest as an interdomain channel to domain 0) and record it in
 * d->xen->console_port: the port for start_info.console_evtchn, or
 * -HVE_NOSPC.  Called by the builder after xen_evtchn_init; dom->lock not
 * held. */
int xen_evtchn_alloc_console(struct domain *d);

/* Bind xenstore's port as xen_evtchn_alloc_console binds the console's
 * (the server end is xen_store.c): the port for start_info.store_evtchn
 * and xen_store_init (the builder records it), or -HVE_NOSPC.  The guest's
 * EVTCHNOP_send on it calls xen_store_kick(d) after dom->lock is released
 * dom->lock not held. */
int xen_evtchn_alloc_store(struct domain *d);

/*
 * Make port pending: set its bit in evtchn_pending and, if it is not
 * masked, its word's bit in the target vCPU's evtchn_pending_sel and
 * evtchn_upcall_pending, then notify that vCPU (vcpu_notify_locked: a
 * running vCPU leaves KVM_RUN, a blocked one wakes).  A port newly pending
 * counts one event in d->events.  A free or out-of-range port is ignored.
 * Any thread, dom->lock held.
 */
void xen_evtchn_raise_locked(struct domain *d, unsigned port);

/* Raise the port bound to virq on vCPU vcpu (global VIRQs: bound on vCPU
 * 0, raised whatever vcpu says); nothing if none is bound.  dom->lock
 * held. */
void xen_evtchn_raise_virq_locked(struct domain *d, unsigned virq, unsigned vcpu);

/* Raise the console's port, if the guest has not closed it.  Takes
 * dom->lock. */
void xen_evtchn_raise_console(struct domain *d);

#endif /* HVCORE_XEN_EVTCHN_H */
