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

/*
 * A domain arriving as a stream takes its own name and uuid in place of
 * the placeholder runtime_claim() gave it (name "domain-<domid>").  0, or
 * -HVE_EXIST (the name is held by a live domain) / -errno with a reason
 * in err; the placeholder then stays.
 */
int runtime_set_identity(struct domain *d, const char *name, const uint8_t uuid[16], char *err,
                         size_t errlen);

/* Remove everything runtime_claim() and domctl_listen() created. */
void runtime_release(struct domain *d);

#endif /* HVCORE_RUNTIME_H */
