/*
 * harness.h - booting real hvcore + pvboot domains from tests.
 *
 * A test starts a domain with dom_start(), reads its console with
 * dom_expect(), drives it over domctl with dom_ctl(), and checks how it
 * ended with dom_wait_exit().  Every domain gets a private runtime
 * directory, removed by dom_free().  Paths come from $HVCORE and $PVBOOT
 * (set by `make check`).
 */
#ifndef HV_TEST_HARNESS_H
#define HV_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "public/domctl.h"

struct dom {
    pid_t pid;
    uint32_t domid;
    char rundir[64];
    int console_fd;          /* hvcore's stdout                       */
    int stderr_fd;
    char *out;               /* console text read so far (NUL-ended)  */
    size_t out_len, out_cap;
    size_t mark;             /* dom_expect searches from here         */
    char err[4096];          /* hvcore's stderr, after exit           */
    int status;              /* exit status, -1 while running         */
};

/* Is /dev/kvm usable?  If not, print why (once) and return false. */
bool kvm_usable(void);

/* Start `hvcore --kernel $PVBOOT --memory mem --cmdline cmdline` plus the
 * NULL-terminated extra arguments; wait until it runs (or failed).
 * Returns NULL if hvcore could not even be started; a domain that failed
 * at startup is returned with status set. */
struct dom *dom_start(const char *cmdline, unsigned mem_mib, unsigned vcpus, ...);

/* In a child forked by parent, about to exec a domain or guest: die with
 * the test program.  One that ends (a failed assertion skips its
 * teardown) would otherwise leave it running, weighing on every later
 * test.  Exits at once if parent is already gone.  (A daemon the child
 * forks later, as --detach's, is not tied.) */
void die_with_parent(pid_t parent);

/* hvcore with exactly args (NULL-terminated) plus its own --rundir and
 * --ready-fd: for the command lines without a kernel (--restore,
 * --incoming).  fd_keep, if not -1, is inherited by hvcore. */
struct dom *dom_spawnv(const char *const *args, int fd_keep);

/* Same, with an explicit argv tail (NULL-terminated). */
struct dom *dom_startv(const char *kernel, const char *cmdline, unsigned mem_mib,
                       unsigned vcpus, const char *const *extra);

/* Wait until the console shows text (searching from the mark); move the
 * mark past it.  false on timeout or exit. */
bool dom_expect(struct dom *d, const char *text, int timeout_ms);

/* Read console output for ms milliseconds. */
void dom_drain(struct dom *d, int ms);

/* The last "counter <n>" value seen, or -1. */
long dom_last_counter(struct dom *d);

/* Wait for hvcore to exit; returns its exit status (-1 on timeout). */
int dom_wait_exit(struct dom *d, int timeout_ms);

/* One domctl round trip.  req->interface_version and domid are filled in
 * when zero.  Returns reply.status, or -1000 on a transport error.  If
 * fd is not NULL it receives a passed descriptor (or -1). */
int dom_ctl(struct dom *d, struct hv_domctl *req, struct hv_domctl_reply *rep, int *fd);
int dom_ctl_cmd(struct dom *d, uint32_t cmd, struct hv_domctl_reply *rep);

/* A control connection kept open for many requests (as a long-lived
 * client such as libhvctl would); close it with close(2). */
int dom_ctl_open(struct dom *d);
/* One request on an open connection; like dom_ctl() without fd passing. */
int dom_ctl_on(int fd, struct dom *d, uint32_t cmd, struct hv_domctl_reply *rep);

/* Raw datagram exchange on a fresh control connection (for malformed
 * requests).  Returns bytes received or -1. */
ssize_t dom_ctl_raw(struct dom *d, const void *msg, size_t len, void *reply, size_t cap);

/* Resident set size of a process in KiB, or -1. */
long proc_rss_kib(pid_t pid);

/* Kill (if alive), reap, remove the runtime directory, free. */
void dom_free(struct dom *d);

/* Milliseconds on the monotonic clock. */
uint64_t ms_now(void);

#endif /* HV_TEST_HARNESS_H */
