/*
 * xen_domain.h - set-up and start of day of a domain whose kernel speaks
 * the Xen PV ABI (docs/xen-pv.md).
 */
#ifndef HVCORE_XEN_DOMAIN_H
#define HVCORE_XEN_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct domain;

/* Is d's kernel a Xen PV one (by --abi, else by its file)? */
bool xen_domain_wanted(const struct domain *d);

/* Before KVM: parse and check the kernel and initrd, the limits.  One
 * line in err on failure ("kernel: ...", "initrd: ..."). */
int xen_domain_setup(struct domain *d, char *err, size_t errlen);

/* After the VM and RAM exist: hvcore's private area, page types, event
 * channels. */
int xen_domain_create(struct domain *d, char *err, size_t errlen);

/* Lay out memory as Xen's builder does and start vCPU 0 (every boot). */
int xen_domain_boot(struct domain *d, char *err, size_t errlen);

/* domctl shutdown: ask the guest through xenstore's control/shutdown, as
 * Xen's toolstack does (SHUTDOWN_REQUEST_poweroff or _reboot).  0 or
 * -HVE_*. */
int xen_domain_request_shutdown(struct domain *d, uint32_t reason);

void xen_domain_teardown(struct domain *d);

#endif /* HVCORE_XEN_DOMAIN_H */
