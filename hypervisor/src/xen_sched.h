/*
 * xen_sched.h - a Xen-PV domain's vCPUs as the guest sees them:
 * scheduling, timers, vcpu_info placement, runstate (xen_sched.c; the
 * hypercall handlers are declared in xen.h).
 *
 * SCHEDOP_block and SCHEDOP_poll do not sleep themselves: they set
 * xen_vcpu_of(v)->next = XEN_NEXT_BLOCK (poll also block_deadline_ns, an
 * absolute system time, 0: none) unless an event is already there, and the
 * core puts the vCPU to sleep.  Shutdown calls domain_end and sets
 * XEN_NEXT_END.
 */
#ifndef HVCORE_XEN_SCHED_H
#define HVCORE_XEN_SCHED_H

struct domain;
struct vcpu;

/* vCPUs the guest may name: min(d->max_vcpus, XEN_PV_MAX_VCPUS). */
unsigned xen_nr_vcpus(const struct domain *d);

/*
 * v enters runstate state (XEN_RUNSTATE_*) now: account the time spent in
 * the last one and copy the record to the guest's registered area, if
 * any, bracketed by XEN_RUNSTATE_UPDATE when the guest enabled
 * runstate_update_flag.  SCHEDOP_block/poll set blocked; the core calls
 * this with XEN_RUNSTATE_running once the vCPU runs again.  v's own
 * thread only (the copy goes through v's page tables).
 */
void xen_runstate_set(struct vcpu *v, int state);

#endif /* HVCORE_XEN_SCHED_H */
