/*
 * vcpu.h - vCPU threads: KVM_RUN loops, kicks, pause and block.
 */
#ifndef HVCORE_VCPU_H
#define HVCORE_VCPU_H

#include <stdbool.h>
#include <stdint.h>

struct domain;
struct vcpu;
struct hv_vcpu_context;

/* Process-wide: install the kick signal handler.  0 or -errno. */
int vcpu_init_signals(void);

/* The CPUID KVM supports here (asked once, kept in d; NULL if KVM or
 * memory refused). */
struct kvm_cpuid2;
struct kvm_cpuid2 *vcpu_supported_cpuid(struct domain *d);

/* Per domain: KVM limits, vCPU slots, timers.  0 or -errno. */
int vcpu_setup(struct domain *d);
void vcpu_teardown(struct domain *d);

/* Start vCPU id with ctx (boot: vCPU 0 at the kernel entry).  Creates the
 * thread and the KVM vCPU on first use.  0, -HVE_BUSY if up, -HVE_* else. */
int vcpu_up(struct domain *d, unsigned id, const struct hv_vcpu_context *ctx);

/* Ask vCPU id (not the caller) to go down.  0 or -HVE_*. */
int vcpu_down_other(struct domain *d, unsigned id);

/* Make v notice new events or state: wake it from block or kick it out of
 * KVM_RUN.  dom->lock must be held. */
void vcpu_notify_locked(struct vcpu *v);

/* Pause every vCPU and wait until none runs guest code; unpause.
 * 0 or -HVE_ALREADY. */
int vcpus_pause(struct domain *d);
int vcpus_unpause(struct domain *d);

/* After domain_end(): wait for every vCPU thread to finish. */
void vcpus_join(struct domain *d);

/*
 * Is v up, as the guest (VCPUOP_is_up) and getinfo (vcpus_online) both
 * see it: running, blocked or parked, or asked to come up.  One rule for
 * both, so that a domain announced running never counts 0 vCPUs online
 * while its first vCPU thread is still on its way.  d->lock held.
 */
bool vcpu_is_up_locked(const struct vcpu *v);
unsigned vcpus_online(struct domain *d);
uint64_t vcpus_cpu_time_ns(struct domain *d);
/* KVM_RUN returns of every vCPU since hvcore started (any thread). */
uint64_t vcpus_exits(struct domain *d);

/* SCHEDOP_block for the calling vCPU. */
void vcpu_block(struct vcpu *v);

struct hv_rec_vcpu;

/*
 * Streams.  vcpu_capture: the state of vCPU id as a stream record; the
 * domain must be paused (vcpus_pause).  0, or -HVE_BUSY if the vCPU is
 * not standing still, -errno from KVM.
 * vcpu_restore: bring vCPU rec->id up from a checked record (the domain
 * paused: it parks, or blocks, until unpaused).  DOWN records do nothing.
 */
int vcpu_capture(struct domain *d, unsigned id, struct hv_rec_vcpu *rec);
int vcpu_restore(struct domain *d, const struct hv_rec_vcpu *rec);

/* Make every vCPU's KVM vCPU now, in the calling thread (a domain
 * arriving as a stream: while its pages still come, not in its downtime).
 * 0 or -errno. */
int vcpus_precreate(struct domain *d);

/* Wait until every started vCPU thread has parked, blocked or gone down
 * (restored vCPUs have made their KVM vCPUs and loaded their state).
 * 0, or -HVE_BUSY if the domain ended meanwhile. */
int vcpus_wait_settled(struct domain *d);

#endif /* HVCORE_VCPU_H */
