/*
 * xen_initrd.c - checking an initrd: its parts one after another, as
 * Linux's initramfs unpacker takes them (NUL padding skipped; "0" at a
 * 4-byte boundary starts a raw cpio archive; anything else must be a
 * compressed stream), each compressed stream unpacked completely into the
 * cpio walker (xen_initrd_cpio.c), which must then stand between archives.
 */
#include <stdio.h>

#include "errline.h"
#include "public/errno.h"
#include "xen_initrd.h"
#include "xen_initrd_cpio.h"
#include "xen_unpack.h"

/* What a compressed stream's output passes through. */
struct unpacking {
    struct xen_cpio *cpio;
    uint64_t unpacked, max;
    int rc;                         /* why the sink stopped */
};

static int to_cpio(void *ctx, const uint8_t *data, size_t n)
{
    struct unpacking *u = ctx;
    size_t used;

    u->unpacked += n;
    if (u->unpacked > u->max) {
        u->rc = errline(-HVE_RANGE, u->cpio->err, u->cpio->errlen, "%sunpacks to more "
                          "than the %llu MiB limit", u->cpio->where,
                          (unsigned long long)(u->max >> 20));
        return -1;
    }
    u->rc = xen_cpio_feed(u->cpio, data, n, &used);
    return u->rc;
}

/* The compressed stream at data[pos..size): unpacked through the walker. */
static int check_stream(struct xen_cpio *c, enum xen_unpack_fmt fmt, const uint8_t *data,
                        size_t size, size_t pos, struct unpacking *u, size_t *used)
{
    const char *name = xen_unpack_name(fmt);
    struct xen_unpack_out out = { .sink = to_cpio, .ctx = u };
    char where[64], why[160];
    int r;

    snprintf(where, sizeof(where), "initrd: %s stream at 0x%zx: ", name, pos);
    xen_cpio_begin(c, 0, false, where);
    u->rc = 0;
    r = xen_unpack_stream(fmt, data + pos, size - pos, used, &out, why, sizeof(why));
    switch (r) {
    case 0:
        break;
    case XEN_UNPACK_STOPPED:
        return u->rc;
    case XEN_UNPACK_TRUNCATED:
        return errline(-HVE_INVAL, c->err, c->errlen, "initrd: %s stream at 0x%zx is "
                         "truncated (%s)", name, pos, why);
    case XEN_UNPACK_NOMEM:
        return errline(-HVE_NOMEM, c->err, c->errlen, "initrd: out of memory unpacking the "
                         "%s stream at 0x%zx (%s)", name, pos, why);
    default:
        return errline(-HVE_INVAL, c->err, c->errlen, "initrd: %s stream at 0x%zx is "
                         "corrupt (%s)", name, pos, why);
    }
    if (*used == 0)                 /* cannot happen: every format has a magic */
        return errline(-HVE_INVAL, c->err, c->errlen, "initrd: %s stream at 0x%zx is "
                         "empty", name, pos);
    return xen_cpio_end(c);
}

int xen_initrd_check_max(const uint8_t *data, size_t size, uint64_t max_unpacked,
                         struct xen_initrd_stats *stats, char *err, size_t errlen)
{
    struct xen_cpio c;
    struct unpacking u = { .cpio = &c, .max = max_unpacked };
    unsigned streams = 0;
    size_t pos = 0;

    if (size == 0)
        return errline(-HVE_INVAL, err, errlen, "initrd: the file is empty");
    xen_cpio_init(&c, err, errlen);
    while (pos < size) {
        enum xen_unpack_fmt fmt;
        char start[XEN_UNPACK_HEX_START];
        size_t used = 0;
        int r;

        if (data[pos] == 0) {
            pos++;
            continue;
        }
        if (data[pos] == '0' && (pos & 3) == 0) {
            xen_cpio_begin(&c, pos, true, "initrd: ");
            r = xen_cpio_feed(&c, data + pos, size - pos, &used);
            if (r == 0 && !c.stopped)
                r = xen_cpio_end(&c);
            if (r < 0)
                return r;
            pos += used;
            continue;
        }
        fmt = xen_unpack_detect(data + pos, size - pos);
        if (fmt == XEN_UNPACK_UNKNOWN) {
            xen_unpack_hex_start(data + pos, size - pos, start);
            if (pos == 0)
                return errline(-HVE_INVAL, err, errlen, "initrd: not a cpio archive or a "
                                 "compressed one (starts with %s)", start);
            return errline(-HVE_INVAL, err, errlen, "initrd: data at offset 0x%zx is not a "
                             "cpio archive or a compressed one (starts with %s)", pos, start);
        }
        if (!xen_unpack_supported(fmt))
            return errline(-HVE_INVAL, err, errlen, "initrd: %s-compressed data at 0x%zx, "
                             "which this hvcore cannot unpack", xen_unpack_name(fmt), pos);
        r = check_stream(&c, fmt, data, size, pos, &u, &used);
        if (r < 0)
            return r;
        streams++;
        pos += used;
    }
    if (c.archives == 0)
        return errline(-HVE_INVAL, err, errlen, "initrd: holds no cpio archive "
                         "(only NUL bytes)");
    if (stats) {
        stats->archives = c.archives;
        stats->entries = c.entries;
        stats->streams = streams;
        stats->unpacked = u.unpacked;
    }
    return 0;
}

int xen_initrd_check(const uint8_t *data, size_t size, char *err, size_t errlen)
{
    return xen_initrd_check_max(data, size, XEN_INITRD_MAX_UNPACKED, NULL, err, errlen);
}
