/*
 * domain.h - a domain's lifecycle: set-up, boot, reboot, end.
 */
#ifndef HVCORE_DOMAIN_H
#define HVCORE_DOMAIN_H

#include <stdint.h>

#include "hvcore.h"

/*
 * Open KVM, create the VM, guest RAM and vCPU slots, and read the kernel.
 * 0, or -HVE_* / -errno with a one-line reason in err.
 */
int domain_setup(struct domain *d, char *err, size_t errlen);
void domain_teardown(struct domain *d);

/* Load the kernel into clean RAM, build the fixed pages, start vCPU 0.
 * 0, or -HVE_* / -errno with a reason in err. */
int domain_boot(struct domain *d, char *err, size_t errlen);

/*
 * Begin ending the domain (any thread): the first reason wins; every vCPU
 * is told to stop and the event loop is woken to finish the job.
 */
void domain_end(struct domain *d, enum end_reason reason, const char *detail);

/* domain_finish_end(): the domain was rebooted or preserved, not ended. */
#define DOMAIN_LIVES_ON (-1)

/*
 * Event loop, after domain_end(): join the vCPUs and apply the lifecycle
 * action.  Returns the process exit status (HVCORE_EXIT_*,
 * public/exit_status.h), or DOMAIN_LIVES_ON.
 */
int domain_finish_end(struct domain *d);

/* Guest TSC - host TSC, read through vCPU fd (KVM_GET_MSRS). */
int64_t domain_measure_tsc_offset(int vcpu_fd);

/* Tell event subscribers (domctl subscribe) about a lifecycle change. */
void domain_emit_event(struct domain *d, uint32_t type, const char *detail);

void domain_get_info(struct domain *d, struct hv_domctl_info *info);

/* domctl shutdown: record the request (it stands until carried out, even
 * across a reboot), set shared_info.shutdown_request, raise VIRQ_SHUTDOWN. */
int domain_request_shutdown(struct domain *d, uint32_t reason);

/* domctl set_mem_target: publish a balloon target, raise VIRQ_BALLOON. */
int domain_set_mem_target(struct domain *d, uint64_t kib);

#endif /* HVCORE_DOMAIN_H */
