/*
 * device_util.h - the domctl device requests that the device tests
 * (test_devices, test_disk, test_net) all make: attach, detach, info,
 * subscribe to events, and typing on the console; and whether
 * qemu-storage-daemon is here to serve their disks.
 */
#ifndef HV_TEST_DEVICE_UTIL_H
#define HV_TEST_DEVICE_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "harness.h"
#include "public/domctl.h"

#define QSD "/usr/bin/qemu-storage-daemon"
#define QEMU_IMG "/usr/bin/qemu-img"

/* Are qemu-storage-daemon and qemu-img here?  If not, test (the test
 * program's name) says so once on stderr. */
bool have_qsd(const char *test);

/* Does something accept a connection on the unix socket at path? */
bool can_connect(const char *path);

/* device_attach with spec after the request; *rep gets the reply, and
 * its status is returned.  spec is at most HV_DEVICE_SPEC_MAX long (the
 * message has room for 8 bytes more, no test's spec needs them). */
int32_t attach(struct dom *d, const char *spec, struct hv_domctl_reply *rep);

/* device_detach of the device called id: the reply's status. */
int32_t detach(struct dom *d, const char *id);

/* device_info of the device at index (into *out unless it is NULL): the
 * reply's status. */
int32_t info(struct dom *d, uint32_t index, struct hv_domctl_device_info *out);

/* A new event connection (subscribe): its fd. */
int subscribe(struct dom *d);

/* Type text on the domain's console (attached over domctl). */
void type(struct dom *d, const char *text);

#endif
