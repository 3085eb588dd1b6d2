/*
 * device_spec.h - the text of a device: hvcore --device SPEC and domctl
 * device_attach (docs/devices.md, "Device specs").
 *
 * The text comes from the command line or from a domctl client, so it is
 * parsed as hostile input: every malformed spec gets one line saying what
 * is wrong, and nothing past the parsed struct depends on the text.
 */
#ifndef HVCORE_DEVICE_SPEC_H
#define HVCORE_DEVICE_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "public/device.h"
#include "public/domctl.h"

#define DEV_SPEC_PATH_MAX   4096   /* file= */
#define DEV_SPEC_SOCKET_MAX 108    /* socket=: sun_path, with its NUL */
#define DEV_SPEC_IFNAME_MAX 16     /* tap=, bridge=: IFNAMSIZ */
#define DEV_SPEC_USER_MAX   33     /* user=: 32 bytes and a NUL */

struct dev_spec {
    uint32_t type;                 /* HV_DEV_TYPE_BLOCK or _NET */
    char id[HV_DEV_ID_MAX];
    char socket[DEV_SPEC_SOCKET_MAX];  /* "" : in-tree back end */
    char file[DEV_SPEC_PATH_MAX];      /* blk */
    bool readonly, direct, discard;    /* blk; discard defaults to on */
    bool have_mac;
    uint8_t mac[6];                    /* net */
    char tap[DEV_SPEC_IFNAME_MAX];
    char bridge[DEV_SPEC_IFNAME_MAX];
    unsigned queues;                   /* 1 unless given */
    char user[DEV_SPEC_USER_MAX];
};

/*
 * Parse len bytes of text (not NUL-terminated; a NUL inside is an error)
 * into *out.  0, or -HVE_INVAL with one line in err saying why.
 */
int dev_spec_parse(const char *text, size_t len, struct dev_spec *out,
                   char *err, size_t errlen);

/* One line for device_info's backend_desc: "hvblk /srv/disk.img
 * (read-only)", "vhost-user /run/qsd.sock". */
void dev_spec_describe(const struct dev_spec *s, char *buf, size_t len);

#endif /* HVCORE_DEVICE_SPEC_H */
