/*
 * stale_module.c - a libhvctl-http.so from another build: its table has
 * a version this libhvctl does not speak.  test_agent_driver points
 * $HVCTL_DRIVER_DIR here and expects a refusal with a message, not a
 * call through a table of another shape.
 */
#include "http_transport.h"

__attribute__((visibility("default")))
const struct hv_http_transport hv_http_transport_v1 = {
    .version = HV_HTTP_TRANSPORT_VERSION + 41,
    .size = sizeof(struct hv_http_transport),
};
