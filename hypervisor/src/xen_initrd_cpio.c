/*
 * xen_initrd_cpio.c - a cpio newc/crc walker fed in pieces.
 *
 * An entry is a 110-byte header ("070701" or "070702" and 13 fields of 8
 * hex digits), the name (namesize bytes, NUL included), padding to 4
 * bytes, filesize bytes of data, padding to 4 bytes.  An archive ends with
 * the entry named TRAILER!!!; NUL bytes may follow before the next one,
 * whose header must start on a 4-byte boundary.  These are the rules
 * Linux's initramfs unpacker applies; sizes come from the untrusted data
 * and are bounded before use.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "public/errno.h"
#include "xen_initrd_cpio.h"

/* The header's fields after the 6-byte magic, in order. */
static const char *const fields[13] = {
    "ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
    "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check",
};
enum { F_MODE = 1, F_FILESIZE = 6, F_NAMESIZE = 11, F_CHECK = 12 };
#define MODE_TYPE    0170000u
#define MODE_REGULAR 0100000u

static int fail(struct xen_cpio *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct xen_cpio *c, const char *fmt, ...)
{
    size_t at = (size_t)snprintf(c->err, c->errlen, "%s", c->where);
    va_list ap;

    if (at < c->errlen) {
        va_start(ap, fmt);
        vsnprintf(c->err + at, c->errlen - at, fmt, ap);
        va_end(ap);
    }
    return -HVE_INVAL;
}

/* "cpio entry 12 at offset 0x5c4: " + why. */
static int fail_entry(struct xen_cpio *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail_entry(struct xen_cpio *c, const char *fmt, ...)
{
    char why[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return fail(c, "cpio entry %lu at offset 0x%llx: %s", c->entry,
                (unsigned long long)c->entry_off, why);
}

/* The entry's name, printable and short, for a message. */
static const char *shown_name(const struct xen_cpio *c, char *buf, size_t len)
{
    size_t i, n = strnlen(c->name, sizeof(c->name));

    for (i = 0; i < n && i + 4 < len; i++) {
        unsigned char ch = (unsigned char)c->name[i];
        buf[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    if (i < n && len >= 4) {
        i = len - 4;
        memcpy(buf + i, "...", 3);
        i += 3;
    }
    buf[i] = '\0';
    return buf;
}

void xen_cpio_init(struct xen_cpio *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    c->err = err;
    c->errlen = errlen;
}

void xen_cpio_begin(struct xen_cpio *c, uint64_t off, bool top_level, const char *where)
{
    snprintf(c->where, sizeof(c->where), "%s", where);
    c->top_level = top_level;
    c->stopped = false;
    c->off = off;
    c->unit_archives = 0;
    c->phase = XEN_CPIO_START;
}

static int hex_field(struct xen_cpio *c, unsigned i, uint32_t *val)
{
    const uint8_t *p = c->header + 6 + 8 * i;

    *val = 0;
    for (unsigned k = 0; k < 8; k++) {
        uint8_t ch = p[k];
        unsigned d;

        if (ch >= '0' && ch <= '9')
            d = ch - '0';
        else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
            d = (ch | 0x20) - 'a' + 10;
        else
            return fail_entry(c, "bad hex digit in its %s field", fields[i]);
        *val = *val << 4 | d;
    }
    return 0;
}

static int parse_header(struct xen_cpio *c)
{
    uint32_t v[13];
    bool crc_format;

    if (memcmp(c->header, "070701", 6) == 0)
        crc_format = false;
    else if (memcmp(c->header, "070702", 6) == 0)
        crc_format = true;
    else
        return fail_entry(c, "bad magic");
    for (unsigned i = 0; i < 13; i++)
        if (hex_field(c, i, &v[i]) < 0)
            return -HVE_INVAL;
    /* The crc format sums a regular file's data; writers (GNU cpio) leave
     * 0 for other entries, such as a symlink's target. */
    c->crc = crc_format && (v[F_MODE] & MODE_TYPE) == MODE_REGULAR;
    if (v[F_NAMESIZE] == 0 || v[F_NAMESIZE] > XEN_CPIO_NAME_MAX)
        return fail_entry(c, "name size %u is out of range (1 to %u)", v[F_NAMESIZE],
                          XEN_CPIO_NAME_MAX);
    c->namesize = v[F_NAMESIZE];
    c->filesize = v[F_FILESIZE];
    c->check = v[F_CHECK];
    c->sum = 0;
    c->left = c->namesize;
    memset(c->name, 0, sizeof(c->name));
    c->phase = XEN_CPIO_NAME;
    return 0;
}

/* Bytes from off to the next 4-byte boundary. */
static uint64_t pad4(uint64_t off)
{
    return (4 - (off & 3)) & 3;
}

/* Move past phases that have nothing left to read. */
static int settle(struct xen_cpio *c)
{
    char shown[72];

    for (;;) {
        if (c->left != 0)
            return 0;
        switch (c->phase) {
        case XEN_CPIO_NAME:
            if (c->name[c->namesize - 1] != '\0')
                return fail_entry(c, "its name is not NUL-terminated");
            c->trailer = strcmp(c->name, "TRAILER!!!") == 0;
            c->phase = XEN_CPIO_NAME_PAD;
            c->left = pad4(c->off);
            break;
        case XEN_CPIO_NAME_PAD:
            c->phase = XEN_CPIO_DATA;
            c->left = c->filesize;
            break;
        case XEN_CPIO_DATA:
            if (c->crc && c->sum != c->check)
                return fail_entry(c, "'%s': data checksum 0x%08x does not match its "
                                  "header's 0x%08x", shown_name(c, shown, sizeof(shown)),
                                  c->sum, c->check);
            c->phase = XEN_CPIO_DATA_PAD;
            c->left = pad4(c->off);
            break;
        case XEN_CPIO_DATA_PAD:
            if (c->trailer) {
                c->archives++;
                c->unit_archives++;
                c->phase = XEN_CPIO_BETWEEN;
            } else {
                c->phase = XEN_CPIO_HEADER;
                c->have = 0;
                c->entry = c->entries++;
                c->archive_entries++;
                c->entry_off = c->off;
            }
            return 0;
        default:
            return 0;
        }
    }
}

int xen_cpio_feed(struct xen_cpio *c, const uint8_t *p, size_t n, size_t *used)
{
    size_t i = 0;

    while (i < n) {
        size_t take;

        switch (c->phase) {
        case XEN_CPIO_START:
        case XEN_CPIO_BETWEEN:
            while (i < n && p[i] == 0) {
                i++;
                c->off++;
            }
            if (i == n)
                break;
            if (c->off & 3)
                return fail(c, "data at offset 0x%llx %s is not on a 4-byte boundary",
                            (unsigned long long)c->off,
                            c->phase == XEN_CPIO_START ? "after NUL bytes"
                                                       : "after a cpio archive");
            if (c->top_level && c->phase == XEN_CPIO_BETWEEN) {
                c->stopped = true;
                *used = i;
                return 0;
            }
            c->phase = XEN_CPIO_HEADER;
            c->have = 0;
            c->entry = c->entries++;
            c->entry_off = c->off;
            c->archive_off = c->off;
            c->archive_entries = 1;
            break;
        case XEN_CPIO_HEADER:
            take = XEN_CPIO_HEADER_SIZE - c->have < n - i ? XEN_CPIO_HEADER_SIZE - c->have : n - i;
            memcpy(c->header + c->have, p + i, take);
            c->have += take;
            i += take;
            c->off += take;
            if (c->have == XEN_CPIO_HEADER_SIZE && parse_header(c) < 0)
                return -HVE_INVAL;
            break;
        case XEN_CPIO_NAME:
            take = c->left < n - i ? (size_t)c->left : n - i;
            memcpy(c->name + (c->namesize - c->left), p + i, take);
            goto consumed;
        case XEN_CPIO_DATA:
            take = c->left < n - i ? (size_t)c->left : n - i;
            if (c->crc)
                for (size_t k = 0; k < take; k++)
                    c->sum += p[i + k];
            goto consumed;
        default:                    /* padding: any bytes, as Linux */
            take = c->left < n - i ? (size_t)c->left : n - i;
        consumed:
            c->left -= take;
            i += take;
            c->off += take;
            break;
        }
        if (settle(c) < 0)
            return -HVE_INVAL;
    }
    *used = n;
    return 0;
}

int xen_cpio_end(struct xen_cpio *c)
{
    char shown[72];

    switch (c->phase) {
    case XEN_CPIO_BETWEEN:
        return 0;
    case XEN_CPIO_START:
        return fail(c, "holds no cpio archive");
    case XEN_CPIO_HEADER:
        if (c->have == 0)
            return fail(c, "cpio archive at offset 0x%llx ends without a TRAILER!!! entry "
                        "(after %lu entries)", (unsigned long long)c->archive_off,
                        c->archive_entries - 1);
        return fail_entry(c, "truncated in its header (%zu of %u bytes)", c->have,
                          XEN_CPIO_HEADER_SIZE);
    case XEN_CPIO_NAME:
        return fail_entry(c, "truncated in its name (%llu of %u bytes)",
                          (unsigned long long)(c->namesize - c->left), c->namesize);
    case XEN_CPIO_DATA:
        return fail_entry(c, "'%s' is truncated (0x%llx of 0x%x data bytes)",
                          shown_name(c, shown, sizeof(shown)),
                          (unsigned long long)(c->filesize - c->left), c->filesize);
    default:
        return fail_entry(c, "'%s' is truncated in its padding",
                          shown_name(c, shown, sizeof(shown)));
    }
}
