/*
 * runtime.h - a domain's entry in the runtime directory (see domctl.h).
 */
#ifndef HVCORE_RUNTIME_H
#define HVCORE_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

struct domain;

/* Is name acceptable (1..63 bytes, [A-Za-z0-9._-], not starting with '.'
 * or '-')?  Returns NULL or the reason. */
const char *runtime_check_name(const char *name);

/*
 * Create <rundir>/domains/<domid> (the lowest free id >= 1, or want_domid
 * if non-zero), claim <rundir>/names/<name> and write pid and name files.
 * A name held by a dead hvcore is reclaimed.  0, or with a reason in err
 * -HVE_EXIST (name or want_domid in use), -HVE_NOSPC (no free domid) or
 * -errno.
 */
int runtime_claim(struct domain *d, uint32_t want_domid, char *err, size_t errlen);

/* Remove everything runtime_claim() and domctl_listen() created. */
void runtime_release(struct domain *d);

#endif /* HVCORE_RUNTIME_H */
