/*
 * domain_stream.h - a domain's state as stream records and back.
 *
 * The sender's side fills records from a live (paused, for the final
 * ones) domain; the receiver's side applies the records stream_read()
 * checked to a domain that is being set up and has not run yet.
 */
#ifndef HVCORE_DOMAIN_STREAM_H
#define HVCORE_DOMAIN_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "public/stream.h"

struct domain;
struct stream_out;
struct stream_state;

/* DOMAIN, from the domain's configuration.  Any time. */
void ds_fill_domain(struct domain *d, struct hv_rec_domain *rec);

/*
 * The final part of a stream, the domain paused: the guest-writable fixed
 * pages (shared info, console), BALLOON, VCPU x max_vcpus, RUNSTATE,
 * EVTCHN, TIME, CONSOLE, then END.  The small pages and hvcore's own
 * state are snapshotted together under the domain's locks, so the record
 * set is one instant of the domain.  0 or -errno/-HVE_* (out->err says
 * why; a vCPU that cannot be captured says so in err).  was_paused: the
 * domain was paused before the save or migration paused it (RUNSTATE).
 */
int ds_write_final(struct domain *d, struct stream_out *out, bool was_paused, char *err,
                   size_t errlen);

/*
 * Receiver: before reading pages, make d the domain rec describes
 * (name, uuid, limits, actions); its memory is created by the caller.
 */
void ds_apply_domain(struct domain *d, const struct hv_rec_domain *rec);

/*
 * Receiver, after stream_read() succeeded: rebuild hvcore's private pages
 * and the read-only fixed pages, apply balloon, event channels, console
 * and run state, start every vCPU that was up (they park: the domain is
 * paused), and wait until they stand still.  Does not set time or
 * unpause (ds_resume).  Takes the kernel image from st.  0 or
 * -errno/-HVE_* with err.
 */
int ds_apply_final(struct domain *d, struct stream_state *st, char *err, size_t errlen);

/*
 * Receiver, at the moment the domain takes over: move system time on by
 * the wall-clock gap since the sender paused (never back), re-arm the
 * vCPUs' timers, and unpause unless the stream said paused or
 * keep_paused.  Returns whether it runs.
 */
bool ds_resume(struct domain *d, const struct stream_state *st, bool keep_paused);

#endif /* HVCORE_DOMAIN_STREAM_H */
