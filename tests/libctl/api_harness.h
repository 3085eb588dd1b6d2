/*
 * api_harness.h - what the libhvctl API tests and benchmarks share: a
 * private runtime directory, the built hvcore and pvboot, and a cleanup
 * that destroys every domain left behind.
 */
#ifndef HVCTL_TEST_API_HARNESS_H
#define HVCTL_TEST_API_HARNESS_H

#include <stdbool.h>

#include "hvctl.h"

struct harness {
    char rundir[256];
    char pvboot[1024];
    hv_conn *conn;
};

/*
 * Check that domains can run here (/dev/kvm, $HVCORE, $PVBOOT); if not,
 * write why into `why` and return false (the caller exits 77: SKIP).
 */
bool harness_can_run(char *why, size_t len);
/* Make a fresh runtime directory and open it.  0 or an HV_E* code. */
int harness_open(struct harness *h, const char *tag);
/* The same in directory dir rather than /tmp (the benchmarks' tmpfs). */
int harness_open_in(struct harness *h, const char *dir, const char *tag);
/* Destroy every domain of the runtime directory and remove it. */
void harness_close(struct harness *h);
/* A valid config for pvboot with `cmdline`, 32 MiB, 1 vCPU.  Caller frees. */
hv_config *harness_config(const struct harness *h, const char *name,
                          const char *cmdline);
/*
 * 0 when no domain is left in h's runtime directory, else -1 after naming
 * each one on stderr: a cmocka teardown's verdict.
 */
int harness_nothing_left(struct harness *h);
/* Monotonic milliseconds / nanoseconds. */
double harness_now_ms(void);

#endif
