/*
 * dirty_ring.h - KVM's per-vCPU dirty rings, the other way to learn which
 * guest pages were written (docs/migration-stream.md, "Dirty bitmap or
 * dirty ring").
 *
 * hvcore logs dirty pages with the per-slot bitmap.  With
 * HVCORE_DIRTY_RING=<entries> in its environment it uses rings instead,
 * so the two can be measured against each other on the same host
 * (make bench-migrate).  A ring must exist before the vCPUs do, so the
 * choice is made when the VM is created.
 */
#ifndef HVCORE_DIRTY_RING_H
#define HVCORE_DIRTY_RING_H

#include <stdint.h>

struct domain;
struct vcpu;

/* At VM creation, before any vCPU: enable rings if the environment asks.
 * 0 (on or off), or -errno if asked for and KVM refuses. */
int dirty_ring_setup(struct domain *d);

/* After creating v's KVM vCPU: map its ring.  0 or -errno; a no-op
 * without rings. */
int dirty_ring_map(struct vcpu *v);
void dirty_ring_unmap(struct vcpu *v);

/* OR every page in every vCPU's ring (and what vCPUs harvested on a full
 * ring) into bitmap, and give the entries back to KVM, which protects
 * those pages again.  0 or -errno. */
int dirty_ring_collect(struct domain *d, uint64_t *bitmap);

/* KVM_EXIT_DIRTY_RING_FULL on v: harvest its own ring so it can go on. */
void dirty_ring_full(struct vcpu *v);

#endif /* HVCORE_DIRTY_RING_H */
