/*
 * device_json.c - a disk or an interface as JSON: the XML's shape made
 * flat (hvctl.xml(5), DEVICES):
 *
 *   { "type": "file", "source": "/var/lib/hv/disk.img", "target": "vda",
 *     "readonly": true, "cache": "none", "discard": "unmap", "queues": 2,
 *     "backend_user": "hv" }
 *   { "type": "bridge", "source": "br0", "mac": "52:54:00:12:34:56",
 *     "target": "hvtap0", "queues": 2, "alias": "net0" }
 *
 * "source" is the file, the block device, the socket (vhostuser) or the
 * bridge.  A domain's config holds them in "devices": {"disks": [...],
 * "interfaces": [...]}; one on its own (hv_device_from_json, REST) is
 * {"disk": {...}} or {"interface": {...}}, as XML names its root.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "device.h"
#include "json_util.h"

struct djwalk {
    const char *src;
    const char *path;           /* "devices.disks[0]"                    */
    const struct json_scan *scan;
};

static int key_err(const struct djwalk *w, const char *key, const char *fmt,
                   ...) __attribute__((format(printf, 3, 4)));
static int key_err(const struct djwalk *w, const char *key, const char *fmt,
                   ...)
{
    char cause[320], path[256];
    int line;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cause, sizeof(cause), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), "%s%s%s", w->path, *w->path && key ? "." : "",
             key ? key : "");
    line = w->scan ? json_scan_line(w->scan, path) : 0;
    if (!*path)
        return err_set(HV_ECONFIG, "%s: %s", w->src, cause);
    if (line > 0)
        return err_set(HV_ECONFIG, "%s:%d: \"%s\": %s", w->src, line, path,
                       cause);
    return err_set(HV_ECONFIG, "%s: \"%s\": %s", w->src, path, cause);
}

enum { K_TYPE, K_SOURCE, K_TARGET, K_READONLY, K_CACHE, K_DISCARD, K_QUEUES,
       K_MAC, K_ALIAS, K_USER, K_COUNT };

struct dkey {
    const char *name;
    json_type type;
    bool disk, iface;           /* which devices take it                 */
};

static const struct dkey keys[K_COUNT] = {
    [K_TYPE] = { "type", json_type_string, true, true },
    [K_SOURCE] = { "source", json_type_string, true, true },
    [K_TARGET] = { "target", json_type_string, true, true },
    [K_READONLY] = { "readonly", json_type_boolean, true, false },
    [K_CACHE] = { "cache", json_type_string, true, false },
    [K_DISCARD] = { "discard", json_type_string, true, false },
    [K_QUEUES] = { "queues", json_type_int, true, true },
    [K_MAC] = { "mac", json_type_string, false, true },
    [K_ALIAS] = { "alias", json_type_string, false, true },
    [K_USER] = { "backend_user", json_type_string, true, true },
};

static int dup_string(json_object *o, char **slot)
{
    if (!o)
        return 0;
    *slot = strdup(json_object_get_string(o));
    return *slot ? 0 : err_set(HV_ENOMEM, "device: out of memory");
}

static int source_type(const struct djwalk *w, int type, const char *s,
                       int *out)
{
    static const struct { const char *name; int src; bool disk; } t[] = {
        { "file", SRC_FILE, true }, { "block", SRC_BLOCK, true },
        { "vhostuser", SRC_SOCKET, true }, { "bridge", SRC_BRIDGE, false },
        { "ethernet", SRC_ETHERNET, false }, { "vhostuser", SRC_SOCKET, false },
    };

    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (t[i].disk == (type == HV_DEVICE_DISK) && strcmp(s, t[i].name) == 0) {
            *out = t[i].src;
            return 0;
        }
    return key_err(w, "type", "'%s' is not supported (use %s)", s,
                   type == HV_DEVICE_DISK ? "file, block or vhostuser"
                                          : "bridge, ethernet or vhostuser");
}

static int read_fields(const struct djwalk *w, json_object **v, hv_device *dev)
{
    int rc;

    if ((rc = source_type(w, dev->type, json_object_get_string(v[K_TYPE]),
                          &dev->source)))
        return rc;
    if (v[K_SOURCE] && dev->source == SRC_ETHERNET)
        return key_err(w, "source", "type 'ethernet' has no source (a tap "
                       "device named by \"target\")");
    if (!v[K_SOURCE] && dev->source != SRC_ETHERNET)
        return key_err(w, NULL, "missing key \"source\"");
    if (dev->type == HV_DEVICE_DISK && !v[K_TARGET])
        return key_err(w, NULL, "missing key \"target\"");
    if ((rc = dup_string(v[K_SOURCE], dev->source == SRC_BRIDGE
                                      ? &dev->bridge : &dev->path)) ||
        (rc = dup_string(v[K_TARGET], &dev->target)) ||
        (rc = dup_string(v[K_MAC], &dev->mac)) ||
        (rc = dup_string(v[K_ALIAS], &dev->alias)) ||
        (rc = dup_string(v[K_USER], &dev->user)))
        return rc;
    if (v[K_READONLY])
        dev->readonly = json_object_get_boolean(v[K_READONLY]);
    if (v[K_CACHE]) {
        const char *c = json_object_get_string(v[K_CACHE]);
        if (strcmp(c, "none") == 0)
            dev->direct = true;
        else if (strcmp(c, "default") != 0)
            return key_err(w, "cache", "'%s' is not supported (use none or "
                           "default)", c);
    }
    if (v[K_DISCARD]) {
        const char *d = json_object_get_string(v[K_DISCARD]);
        if (strcmp(d, "unmap") == 0)
            dev->discard = DISCARD_UNMAP;
        else if (strcmp(d, "ignore") == 0)
            dev->discard = DISCARD_IGNORE;
        else
            return key_err(w, "discard", "'%s' is not supported (use unmap "
                           "or ignore)", d);
    }
    if (v[K_QUEUES]) {
        int64_t q = json_object_get_int64(v[K_QUEUES]);
        if ((rc = dev_check_queues(dev, (long long)q)))
            return rc;
        dev->queues = (unsigned)q;
    }
    return 0;
}

int dev_from_json_obj(json_object *o, int type, const char *src,
                      const char *path, const struct json_scan *scan,
                      hv_device **out)
{
    struct djwalk w = { src, path, scan };
    json_object *v[K_COUNT] = { 0 };
    hv_device *dev = NULL;
    int line, rc;

    *out = NULL;
    if (!json_object_is_type(o, json_type_object))
        return key_err(&w, NULL, "must be an object, not %s",
                       json_type_to_name(json_object_get_type(o)));
    json_object_object_foreach(o, key, val) {
        size_t i;
        for (i = 0; i < K_COUNT; i++)
            if (strcmp(key, keys[i].name) == 0 &&
                (type == HV_DEVICE_DISK ? keys[i].disk : keys[i].iface))
                break;
        if (i == K_COUNT)
            return key_err(&w, key, "unknown key");
        if (!json_object_is_type(val, keys[i].type))
            return key_err(&w, key, "must be %s, not %s",
                           json_type_to_name(keys[i].type),
                           json_type_to_name(json_object_get_type(val)));
        v[i] = val;
    }
    if (!v[K_TYPE])
        return key_err(&w, NULL, "missing key \"type\"");
    dev = dev_new(type);
    if (!dev)
        return HV_ENOMEM;
    line = scan ? json_scan_line(scan, path) : 0;
    if (!*path)
        rc = dev_set_origin(dev, "%s", src);
    else if (line > 0)
        rc = dev_set_origin(dev, "%s:%d: \"%s\"", src, line, path);
    else
        rc = dev_set_origin(dev, "%s: \"%s\"", src, path);
    if (rc == 0)
        rc = read_fields(&w, v, dev);
    if (rc == 0) {
        dev_normalize(dev);
        rc = dev_validate(dev);
    }
    if (rc)
        hv_device_free(dev);
    else
        *out = dev;
    return rc;
}

/* ---- formatting ---- */

static bool add_str(json_object *obj, const char *key, const char *s)
{
    return !s || jsonu_add(obj, key, json_object_new_string(s));
}

json_object *dev_to_json_obj(const hv_device *dev)
{
    json_object *o = json_object_new_object();
    bool ok = o != NULL;

    ok = ok && add_str(o, "type", dev_source_name(dev->source));
    ok = ok && add_str(o, "source", dev->source == SRC_BRIDGE ? dev->bridge
                                                              : dev->path);
    if (dev->type == HV_DEVICE_INTERFACE)
        ok = ok && add_str(o, "mac", dev->mac);
    ok = ok && add_str(o, "target", dev->target);
    if (ok && dev->readonly)
        ok = jsonu_add(o, "readonly", json_object_new_boolean(1));
    if (ok && dev->direct)
        ok = add_str(o, "cache", "none");
    if (ok && dev->discard != DISCARD_DEFAULT)
        ok = add_str(o, "discard", dev->discard == DISCARD_UNMAP ? "unmap"
                                                                 : "ignore");
    if (ok && dev->queues)
        ok = jsonu_add(o, "queues", json_object_new_int64(dev->queues));
    if (dev->type == HV_DEVICE_INTERFACE)
        ok = ok && add_str(o, "alias", dev->alias);
    ok = ok && add_str(o, "backend_user", dev->user);
    if (!ok) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

/* ---- the public entry points ---- */

HV_EXPORT int hv_device_from_json(const char *text, size_t len,
                                  const char *source, hv_device **out)
{
    const char *src = source ? source : "<device>";
    struct json_scan scan = { 0 };
    json_object *root = NULL, *dev;
    int rc;

    if (!out)
        return err_set(HV_EINVAL, "%s: no place for the result", src);
    *out = NULL;
    if ((rc = jsonu_read(text, len, src, DEV_MAX_NESTING, false, &root,
                         &scan)))
        goto out;
    /* {"disk": {...}} or {"interface": {...}}: the XML's root element. */
    if (!json_object_is_type(root, json_type_object) ||
        json_object_object_length(root) != 1) {
        rc = err_set(HV_ECONFIG, "%s: a device is an object with one key, "
                     "\"disk\" or \"interface\"", src);
        goto out;
    }
    if (json_object_object_get_ex(root, "disk", &dev))
        rc = dev_from_json_obj(dev, HV_DEVICE_DISK, src, "disk", &scan, out);
    else if (json_object_object_get_ex(root, "interface", &dev))
        rc = dev_from_json_obj(dev, HV_DEVICE_INTERFACE, src, "interface",
                               &scan, out);
    else
        rc = err_set(HV_ECONFIG, "%s: a device is an object with one key, "
                     "\"disk\" or \"interface\"", src);
out:
    json_scan_free(&scan);
    json_object_put(root);
    return rc;
}

HV_EXPORT int hv_device_to_json(const hv_device *dev, char **out)
{
    json_object *o;
    int rc;

    if (!dev || !out)
        return err_set(HV_EINVAL, "device: NULL argument");
    *out = NULL;
    if ((rc = dev_validate(dev)))
        return rc;
    o = json_object_new_object();
    if (o && jsonu_add(o, dev->type == HV_DEVICE_DISK ? "disk" : "interface",
                       dev_to_json_obj(dev)))
        *out = jsonu_text(o);
    json_object_put(o);
    if (!*out)
        return err_set(HV_ENOMEM, "device: out of memory");
    return 0;
}
