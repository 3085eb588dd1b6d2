/*
 * incoming.h - a domain that starts from a stream: hvcore --restore FILE
 * (a save file) and hvcore --incoming FD (a migration).
 */
#ifndef HVCORE_INCOMING_H
#define HVCORE_INCOMING_H

#include <stdbool.h>
#include <stddef.h>

struct domain;
struct options;

/* How incoming_start() left the domain. */
enum incoming_outcome {
    INCOMING_RUNS,          /* running, or paused as asked: taken over */
    INCOMING_UNDECIDED,     /* handshake broke after READY: paused,
                               waiting for the toolstack (domctl.h)     */
};

/*
 * Claim a runtime entry, read the whole stream and check it, build the
 * domain, and (--incoming) do the READY / GO / RUNNING handshake.  On
 * return the control socket listens and the event loop is set up; the
 * caller runs it.  *announced: --ready-fd and the detach pipe were
 * already written (--incoming writes them as soon as it listens, so the
 * toolstack can start the sender).  0 with *outcome set, or -HVE_* /
 * -errno with one line in err; *stream_error says the stream was at
 * fault (exit HVCORE_EXIT_STREAM) rather than the host.
 */
int incoming_start(struct domain *d, const struct options *o, int sig_fd, int *notify_fd,
                   bool *announced, enum incoming_outcome *outcome, bool *stream_error,
                   char *err, size_t errlen);

/* domctl unpause of an UNDECIDED arrival: take the domain over (time,
 * timers, run).  Event loop thread.  0 or -HVE_*. */
int incoming_take_over(struct domain *d);

#endif /* HVCORE_INCOMING_H */
