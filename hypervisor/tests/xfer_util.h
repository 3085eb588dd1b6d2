/*
 * xfer_util.h - test helpers for save, restore and migration: starting
 * hvcore from a stream, driving a save or migrate-send job over domctl,
 * and asking a memcheck guest whether every page survived.
 */
#ifndef HV_TEST_XFER_UTIL_H
#define HV_TEST_XFER_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "harness.h"
#include "public/domctl.h"

/* hvcore args (e.g. "--restore", path) with its own runtime directory:
 * dom_spawnv. */
struct dom *dom_start_stream(const char *const *args, int fd_keep);

/* hvcore --incoming on one end of a new socketpair (plus more args);
 * *send_fd gets the other end, for migrate_send. */
struct dom *dom_incoming(int *send_fd, const char *const *more);

/* What a save or migrate-send job said. */
struct xfer_outcome {
    int started;                    /* status of the first reply        */
    int status;                     /* of the final reply               */
    unsigned progress;              /* progress replies seen            */
    uint64_t max_bytes_sent;        /* largest bytes_sent in progress   */
    struct hv_domctl_result result;
};

/*
 * Run a save (cmd HV_DOMCTL_save) or migrate_send on d with stream_fd
 * (passed with SCM_RIGHTS; the caller keeps and closes its copy).  If
 * cancel_after_progress is set, send xfer_cancel after that many
 * progress replies.  on_progress, if set, is called at each progress
 * reply (for kills mid-stream).  Returns 0 when a final reply came, -1 if
 * the connection broke first.
 */
int dom_xfer(struct dom *d, uint32_t cmd, int stream_fd, const struct hv_domctl_xfer *p,
             unsigned cancel_after_progress,
             void (*on_progress)(void *opaque, const struct hv_domctl_progress *p),
             void *opaque, struct xfer_outcome *out);

/* A memcheck guest's verdict (guest/README.md). */
struct memcheck_verdict {
    bool ok;
    unsigned long long pages, ticks, gap_max_us, rewrites, backwards;
    unsigned boots;
};

/* Attach a console (to type into; output is read from d's stdout). */
int memcheck_attach(struct dom *d);
/* Type 'v' and parse the one line that answers; false if none came. */
bool memcheck_verify(struct dom *d, int con, struct memcheck_verdict *v);

#endif /* HV_TEST_XFER_UTIL_H */

/*
 * A man in the middle of a migration: relays a stream between the sender
 * (s_fd) and the receiver (r_fd) on a thread and cuts both connections
 * at a chosen point.  cut_at counts bytes sender -> receiver (the
 * stream, then GO); replies_passed counts whole handshake replies
 * receiver -> sender (READY, RUNNING) let through before the cut.
 */
struct xfer_proxy;
enum proxy_cut {
    CUT_NEVER,
    CUT_AT_BYTE,          /* after cut_at bytes towards the receiver     */
    CUT_BEFORE_READY,     /* the stream passes, READY does not           */
    CUT_BEFORE_GO,        /* READY passes, GO does not                   */
    CUT_BEFORE_RUNNING,   /* GO passes, RUNNING does not                 */
    HOLD_READY,           /* READY is kept back; nothing is cut (until
                             one side goes)                             */
};
/* Has the receiver's READY reached the proxy? */
bool proxy_saw_ready(struct xfer_proxy *p);
struct xfer_proxy *proxy_start(int s_fd, int r_fd, enum proxy_cut cut, uint64_t cut_at);
/* Bytes passed sender -> receiver so far. */
uint64_t proxy_forwarded(struct xfer_proxy *p);
void proxy_stop(struct xfer_proxy *p);
