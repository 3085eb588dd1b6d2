/*
 * xfer_harness.h - what the save, restore and migration tests share: a
 * memcheck guest (pvboot's memory pattern, hypervisor/guest/README.md),
 * its console, and a progress callback that records what hvcore
 * reported.
 */
#ifndef HVCTL_TEST_XFER_HARNESS_H
#define HVCTL_TEST_XFER_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "api_harness.h"
#include "hvctl.h"

/* Start `name` on h: memcheck filling fill_mib MiB of mem_mib, and
 * wait (30 s at most) for its "memcheck filled" line.  Asserts. */
hv_domain *xfer_start(struct harness *h, const char *name, unsigned mem_mib,
                      unsigned fill_mib);
/*
 * Ask d's memcheck to verify every page ('v' on the console) and return
 * the tick count of a "memcheck verify ok" line with more ticks than
 * after_ticks (XFER_ANY: any; a domain that moved must have ticked on,
 * and older lines in the console history have not); fails the test on
 * "memcheck verify FAILED" or after 30 s.
 */
#define XFER_ANY (-1LL)
long long xfer_verify(hv_domain *d, long long after_ticks);
/* Whether d's console (its history included) shows text within 30 s. */
bool xfer_console_shows(hv_domain *d, const char *text);

/* What a progress callback saw (opaque of hv_op_new: the recorder). */
struct xfer_rec {
    hv_op *op;
    unsigned calls;             /* reports with figures                  */
    uint64_t first_sent, last_sent;
    bool went_down;             /* bytes_sent ever decreased             */
    int last_phase;
    /* When set, done once at the first PRECOPY/FINAL report with bytes
     * sent: cancel the op, or SIGKILL the hvcore of kill_in's runtime
     * directory (a migration's destination), whose pid goes to killed. */
    bool cancel_at_first;
    const struct harness *kill_in;
    pid_t killed;
    /* SIGKILLed at the HANDSHAKE report: the final round is over. */
    pid_t kill_at_handshake;
    /* SIGKILLed at the first PRECOPY report with bytes sent (the source
     * while it copies); kill_in's hvcore pid is noted in `killed`. */
    pid_t kill_at_precopy;
    bool acted;
};
void xfer_on_progress(const char *step, double fraction, void *opaque);
/* A fresh recorder and its op. */
void xfer_rec_init(struct xfer_rec *r);
void xfer_rec_free(struct xfer_rec *r);

/* The pid of the one hvcore whose entry is in h's runtime directory
 * (read from domains/ N/pid, which works while it only receives), or
 * 0 when there is none. */
pid_t xfer_only_pid(const struct harness *h);
/* A teardown's verdict: -1 after naming (and destroying) every domain
 * left on h, so that one failed test does not fail the next ones. */
int xfer_nothing_left(struct harness *h);
/* Number of entries in domains/ of h's runtime directory. */
int xfer_entries(const struct harness *h);

#endif
