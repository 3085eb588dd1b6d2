/*
 * device_model.c - the hv_device object: construction, accessors, and the
 * checks every disk and interface passes, whatever syntax it came in
 * (docs/devices.md; hvctl.xml(5) lists the messages' limits).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device.h"

static const char *const source_names[SRC_COUNT] = {
    [SRC_FILE] = "file",         [SRC_BLOCK] = "block",
    [SRC_SOCKET] = "vhostuser",  [SRC_BRIDGE] = "bridge",
    [SRC_ETHERNET] = "ethernet",
};

const char *dev_source_name(int source)
{
    return source >= 0 && source < SRC_COUNT ? source_names[source]
                                             : "unknown";
}

const char *dev_id(const hv_device *dev)
{
    return dev->type == HV_DEVICE_DISK ? dev->target : dev->alias;
}

void dev_describe(const hv_device *dev, char *buf, size_t size)
{
    const char *kind = dev->type == HV_DEVICE_DISK ? "disk" : "interface";

    if (dev_id(dev))
        snprintf(buf, size, "%s '%s'", kind, dev_id(dev));
    else
        snprintf(buf, size, "%s", kind);
}

hv_device *dev_new(int type)
{
    hv_device *dev = calloc(1, sizeof(*dev));

    if (!dev) {
        err_set(HV_ENOMEM, "device: out of memory");
        return NULL;
    }
    dev->type = type;
    dev->source = type == HV_DEVICE_DISK ? SRC_FILE : SRC_BRIDGE;
    return dev;
}

int dev_err(const hv_device *dev, const char *fmt, ...)
{
    char cause[320], what[64];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cause, sizeof(cause), fmt, ap);
    va_end(ap);
    if (dev->origin)
        return err_set(HV_ECONFIG, "%s: %s", dev->origin, cause);
    dev_describe(dev, what, sizeof(what));
    return err_set(HV_ECONFIG, "%s: %s", what, cause);
}

int dev_set_origin(hv_device *dev, const char *fmt, ...)
{
    char *s = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        return err_set(HV_ENOMEM, "device: out of memory");
    free(dev->origin);
    dev->origin = s;
    return 0;
}

/* ---- checks ---- */

static int check_path(const hv_device *dev, const char *what, const char *p)
{
    if (!p)
        return dev_err(dev, "no %s", what);
    if (!*p)
        return dev_err(dev, "%s is empty", what);
    for (const unsigned char *c = (const unsigned char *)p; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return dev_err(dev, "%s holds a control character (byte 0x%02x)",
                           what, *c);
    if (p[0] != '/')
        return dev_err(dev, "%s '%s' is not an absolute path", what, p);
    if (strlen(p) > 1024)
        return dev_err(dev, "%s is %zu bytes, more than 1024", what,
                       strlen(p));
    return 0;
}

/* What fits a Unix socket's address (sun_path, with its NUL). */
#define DEV_SOCKET_PATH_MAX 107

static int check_socket_path(const hv_device *dev)
{
    if (strlen(dev->path) > DEV_SOCKET_PATH_MAX)
        return dev_err(dev, "socket path is %zu bytes, more than %d (what "
                       "a Unix socket's address holds)", strlen(dev->path),
                       DEV_SOCKET_PATH_MAX);
    return 0;
}

/* hvcore's id rule: [a-z0-9_.-], 1-15 bytes. */
static int check_id(const hv_device *dev, const char *what, const char *id)
{
    size_t len = strlen(id);

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
              c == '.' || c == '-'))
            goto bad;
    }
    if (len >= 1 && len <= DEV_ID_MAX)
        return 0;
bad:
    return dev_err(dev, "%s '%s' is not a device id (1-%d of a-z, 0-9, '_', "
                   "'.' and '-')", what, id, DEV_ID_MAX);
}

/* What Linux takes as an interface name (dev_valid_name). */
static int check_ifname(const hv_device *dev, const char *what,
                        const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len > DEV_IFNAME_MAX || strcmp(name, ".") == 0 ||
        strcmp(name, "..") == 0)
        goto bad;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c >= 0x7f || c == '/' || c == ':')
            goto bad;
    }
    return 0;
bad:
    return dev_err(dev, "%s '%s' is not an interface name (1-%d printable "
                   "bytes, no '/', ':' or blank)", what, name,
                   DEV_IFNAME_MAX);
}

static int hexdigit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int check_mac(const hv_device *dev, const char *mac)
{
    unsigned char b[6];
    int i;

    for (i = 0; i < 6; i++) {
        const char *p = mac + 3 * i;
        int hi, lo;
        if (strnlen(mac, 18) < (size_t)(3 * i + 2))
            goto bad;
        hi = hexdigit(p[0]);
        lo = hexdigit(p[1]);
        if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
            goto bad;
        b[i] = (unsigned char)(hi << 4 | lo);
    }
    if (mac[17] != '\0')
        goto bad;
    if (b[0] & 1)
        return dev_err(dev, "mac address '%s' is a multicast address (a "
                       "guest's must be unicast)", mac);
    if (!(b[0] | b[1] | b[2] | b[3] | b[4] | b[5]))
        return dev_err(dev, "mac address '%s' is all zeros", mac);
    return 0;
bad:
    return dev_err(dev, "mac address '%s' is not of the form "
                   "xx:xx:xx:xx:xx:xx", mac);
}

/* A portable user name (POSIX 3.437, as useradd takes it). */
static int check_user(const hv_device *dev, const char *user)
{
    size_t len = strlen(user);

    if (len == 0 || len > 32 || user[0] == '-')
        goto bad;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)user[i];
        if (!(isalnum(c) && c < 0x80) && c != '_' && c != '-' && c != '.')
            goto bad;
    }
    return 0;
bad:
    return dev_err(dev, "backend user '%s' is not a user name (1-32 of "
                   "letters, digits, '_', '.' and '-')", user);
}

int dev_check_queues(const hv_device *dev, long long n)
{
    if (dev->type == HV_DEVICE_DISK && (n < 1 || n > DEV_BLK_QUEUES_MAX))
        return dev_err(dev, "queues %lld is out of range (1-%d for a disk)",
                       n, DEV_BLK_QUEUES_MAX);
    if (dev->type == HV_DEVICE_INTERFACE && (n < 1 || n > DEV_NET_QUEUES_MAX))
        return dev_err(dev, "queues %lld is out of range (1-%d for an "
                       "interface)", n, DEV_NET_QUEUES_MAX);
    return 0;
}

/* What only the in-tree back ends (hvblk, hvnet) do. */
static int check_socket_only(const hv_device *dev)
{
    const char *what = NULL;

    if (dev->readonly)
        what = "readonly";
    else if (dev->direct)
        what = "cache 'none'";
    else if (dev->discard != DISCARD_DEFAULT)
        what = "discard";
    else if (dev->user)
        what = "backend user";
    else if (dev->bridge)
        what = "bridge";
    else if (dev->type == HV_DEVICE_INTERFACE && dev->target)
        what = "target dev";
    if (what)
        return dev_err(dev, "type 'vhostuser' takes no %s (the back end "
                       "behind the socket decides)", what);
    return 0;
}

static int check_disk(const hv_device *dev)
{
    int rc;

    if (!dev->target)
        return dev_err(dev, "no target dev (the disk's id, e.g. 'vda')");
    if ((rc = check_id(dev, "target dev", dev->target)))
        return rc;
    if (dev->source != SRC_FILE && dev->source != SRC_BLOCK &&
        dev->source != SRC_SOCKET)
        return dev_err(dev, "type '%s' is not a disk type (use file, block "
                       "or vhostuser)", dev_source_name(dev->source));
    if ((rc = check_path(dev, dev->source == SRC_SOCKET ? "socket path"
                                                         : "source path",
                         dev->path)))
        return rc;
    return dev->source == SRC_SOCKET ? check_socket_path(dev) : 0;
}

static int check_interface(const hv_device *dev)
{
    int rc;

    if (dev->source != SRC_BRIDGE && dev->source != SRC_ETHERNET &&
        dev->source != SRC_SOCKET)
        return dev_err(dev, "type '%s' is not an interface type (use "
                       "bridge, ethernet or vhostuser)",
                       dev_source_name(dev->source));
    if (dev->alias && (rc = check_id(dev, "alias name", dev->alias)))
        return rc;
    if (dev->mac && (rc = check_mac(dev, dev->mac)))
        return rc;
    if (dev->readonly || dev->direct || dev->discard != DISCARD_DEFAULT)
        return dev_err(dev, "%s is for disks",
                       dev->readonly ? "readonly" : dev->direct ? "cache"
                                                               : "discard");
    switch (dev->source) {
    case SRC_BRIDGE:
        if (!dev->bridge)
            return dev_err(dev, "type 'bridge' needs a source bridge");
        if ((rc = check_ifname(dev, "bridge", dev->bridge)))
            return rc;
        break;
    case SRC_ETHERNET:
        if (!dev->target)
            return dev_err(dev, "type 'ethernet' needs a target dev (the "
                           "tap device's name)");
        break;
    case SRC_SOCKET:
        if ((rc = check_path(dev, "socket path", dev->path)) ||
            (rc = check_socket_path(dev)))
            return rc;
        break;
    }
    if (dev->target && (rc = check_ifname(dev, "target dev", dev->target)))
        return rc;
    return 0;
}

void dev_normalize(hv_device *dev)
{
    for (char *p = dev->mac; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
}

/* A control character would break the one-line message that quotes it. */
static int check_text(const hv_device *dev, const char *what, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)s; s && *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return dev_err(dev, "%s holds a control character (byte 0x%02x)",
                           what, *c);
    return 0;
}

int dev_validate(const hv_device *dev)
{
    int rc;

    if (dev->type != HV_DEVICE_DISK && dev->type != HV_DEVICE_INTERFACE)
        return dev_err(dev, "unknown device type %d", dev->type);
    if ((rc = check_text(dev, "target dev", dev->target)) ||
        (rc = check_text(dev, "bridge", dev->bridge)) ||
        (rc = check_text(dev, "alias name", dev->alias)) ||
        (rc = check_text(dev, "mac address", dev->mac)) ||
        (rc = check_text(dev, "backend user", dev->user)))
        return rc;
    if ((rc = dev_check_queues(dev, dev->queues ? dev->queues : 1)))
        return rc;
    rc = dev->type == HV_DEVICE_DISK ? check_disk(dev) : check_interface(dev);
    if (rc)
        return rc;
    if (dev->source == SRC_SOCKET && (rc = check_socket_only(dev)))
        return rc;
    if (dev->user && (rc = check_user(dev, dev->user)))
        return rc;
    return 0;
}

int dev_complete(hv_device *dev, bool (*taken)(const char *id, void *opaque),
                 void *opaque)
{
    if (dev->type != HV_DEVICE_INTERFACE)
        return 0;
    if (!dev->mac) {
        uint8_t r[16];
        if (uuid_generate(r) < 0)
            return hv_last_error_code();
        /* 52:54:00 is the locally administered prefix QEMU made usual;
         * a bridge and its users recognise a guest by it. */
        if (asprintf(&dev->mac, "52:54:00:%02x:%02x:%02x", r[0], r[1],
                     r[2]) < 0) {
            dev->mac = NULL;
            return err_set(HV_ENOMEM, "device: out of memory");
        }
    }
    if (!dev->alias) {
        char id[DEV_ID_MAX + 1];
        for (unsigned n = 0; n < HV_DEVICES_MAX * 2; n++) {
            snprintf(id, sizeof(id), "net%u", n);
            if (taken && taken(id, opaque))
                continue;
            dev->alias = strdup(id);
            if (!dev->alias)
                return err_set(HV_ENOMEM, "device: out of memory");
            return 0;
        }
        return dev_err(dev, "no free id net0..net%d", HV_DEVICES_MAX * 2 - 1);
    }
    return 0;
}

int dev_adopt_ids(hv_device *dev, const hv_device *given)
{
    if (!dev->alias && given->alias && !(dev->alias = strdup(given->alias)))
        return err_set(HV_ENOMEM, "device: out of memory");
    if (!dev->mac && given->mac && !(dev->mac = strdup(given->mac)))
        return err_set(HV_ENOMEM, "device: out of memory");
    return 0;
}

/* ---- the public object ---- */

static void dev_free(hv_device *dev)
{
    if (!dev)
        return;
    free(dev->path);
    free(dev->bridge);
    free(dev->target);
    free(dev->alias);
    free(dev->mac);
    free(dev->user);
    free(dev->origin);
    free(dev);
}

HV_EXPORT void hv_device_free(hv_device *dev)
{
    dev_free(dev);
}

HV_EXPORT hv_device *hv_device_copy(const hv_device *dev)
{
    hv_device *c;

    if (!dev) {
        err_set(HV_EINVAL, "device: NULL");
        return NULL;
    }
    c = malloc(sizeof(*c));
    if (!c)
        goto nomem;
    *c = *dev;
    c->path = xstrdup_or_null(dev->path);
    c->bridge = xstrdup_or_null(dev->bridge);
    c->target = xstrdup_or_null(dev->target);
    c->alias = xstrdup_or_null(dev->alias);
    c->mac = xstrdup_or_null(dev->mac);
    c->user = xstrdup_or_null(dev->user);
    c->origin = xstrdup_or_null(dev->origin);
    if ((dev->path && !c->path) || (dev->bridge && !c->bridge) ||
        (dev->target && !c->target) || (dev->alias && !c->alias) ||
        (dev->mac && !c->mac) || (dev->user && !c->user) ||
        (dev->origin && !c->origin)) {
        dev_free(c);
        goto nomem;
    }
    return c;
nomem:
    err_set(HV_ENOMEM, "device: out of memory");
    return NULL;
}

HV_EXPORT int hv_device_get_type(const hv_device *dev)
{
    return dev ? dev->type : err_set(HV_EINVAL, "device: NULL");
}

HV_EXPORT const char *hv_device_get_id(const hv_device *dev)
{
    return dev ? dev_id(dev) : NULL;
}

HV_EXPORT const char *hv_device_get_source_type(const hv_device *dev)
{
    return dev ? dev_source_name(dev->source) : NULL;
}

HV_EXPORT const char *hv_device_get_source(const hv_device *dev)
{
    if (!dev)
        return NULL;
    return dev->source == SRC_BRIDGE ? dev->bridge : dev->path;
}

HV_EXPORT const char *hv_device_get_target(const hv_device *dev)
{
    return dev ? dev->target : NULL;
}

HV_EXPORT const char *hv_device_get_mac(const hv_device *dev)
{
    return dev ? dev->mac : NULL;
}

HV_EXPORT int hv_device_is_readonly(const hv_device *dev)
{
    return dev ? dev->readonly : err_set(HV_EINVAL, "device: NULL");
}
