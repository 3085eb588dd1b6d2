/*
 * kvm_stats.h - KVM's own counters of a vCPU (KVM_GET_STATS_FD).
 *
 * hvcore counts the exits that reach it (KVM_RUN returns); KVM also
 * counts the ones it handles in the kernel, such as a queue notification
 * turned into an eventfd signal (device.h).  Both are reported, so a
 * figure of "exits per request" can include every exit.
 */
#ifndef HVCORE_KVM_STATS_H
#define HVCORE_KVM_STATS_H

#include <stdint.h>

/*
 * The cumulative counter `name` (e.g. "exits") of the vCPU whose fd is
 * vcpu_fd, read through a fresh binary-stats fd.  -1 if KVM has no stats
 * fd (before Linux 5.14) or no such counter.
 */
int64_t kvm_vcpu_stat(int vcpu_fd, const char *name);

struct domain;
/* KVM's "exits" summed over the domain's created vCPUs (0 where KVM has
 * no binary statistics): hv_domctl_info.kvm_exits. */
uint64_t domain_kvm_exits(struct domain *d);

#endif /* HVCORE_KVM_STATS_H */
