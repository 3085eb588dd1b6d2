/*
 * xen_time.h - a Xen-PV domain's time: each vCPU's vcpu_time_info
 * (pvclock, in its vcpu_info) and the shared-info wallclock.
 *
 * System time is hvcore's (guest_time_now: nanoseconds since boot); the
 * TSC here is invariant, so one record per vCPU and boot is enough, marked
 * XEN_PVCLOCK_TSC_STABLE.
 */
#ifndef HVCORE_XEN_TIME_H
#define HVCORE_XEN_TIME_H

struct domain;
struct vcpu;

/* At boot (the builder, after boot_mono_ns and guest_tsc_offset are set):
 * write the wallclock (the wall time at system time 0) and every vCPU's
 * time record.  Versions go odd while a record is written, even after. */
void xen_time_init(struct domain *d);

/* Write v's time record where its vcpu_info is now (after
 * VCPUOP_register_vcpu_info moved it). */
void xen_time_update_vcpu(struct vcpu *v);

#endif /* HVCORE_XEN_TIME_H */
