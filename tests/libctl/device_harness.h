/*
 * device_harness.h - what the device tests share: qemu-storage-daemon
 * serving a raw image on a vhost-user socket (a back end nobody here
 * wrote), and small assertions on a domain's devices and events.
 */
#ifndef HVCTL_TEST_DEVICE_HARNESS_H
#define HVCTL_TEST_DEVICE_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hvctl.h"

#define QSD "/usr/bin/qemu-storage-daemon"
#define WAIT_MS 30000           /* only matters when something is wrong */

struct qsd {
    char sock[300], img[300];
    pid_t pid;
};

/* A 16 MiB image <tag>.img in the scratch directory, served on
 * <tag>.sock; returns once it listens. */
void qsd_start(struct qsd *q, const char *tag);
/* Serve q's image again on its socket (after qsd_stop). */
void qsd_run(struct qsd *q);
/* kill -9, and reap it. */
void qsd_stop(struct qsd *q);

/* <disk type='vhostuser'> with this id on this socket; caller frees. */
hv_device *disk(const char *id, const char *sock);
/* How many devices the running domain has. */
size_t count(hv_domain *dom);
/* The next event of `type` on ev (others skipped) has this detail;
 * returns its cause (enum hv_cause). */
int expect_event(hv_events *ev, int type, const char *detail);
/* Whether cfg has a device of that id; frees cfg. */
bool config_has(hv_config *cfg, const char *id);

#endif
