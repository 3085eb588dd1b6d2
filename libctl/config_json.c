/*
 * config_json.c - the domain configuration as JSON, for the REST API and
 * scripts.  Same model and checks as the XML; the shape mirrors it:
 *
 *   { "type": "pv", "name": "web", "uuid": "...",
 *     "memory": { "max_mib": 256, "current_mib": 256 },
 *     "vcpus": { "max": 2, "current": 2 },
 *     "os": { "type": "linux", "kernel": "/path/vmlinuz",
 *             "initrd": "/path/initrd.img", "cmdline": "console=hvc0" },
 *     "on_poweroff": "destroy", "on_reboot": "restart", "on_crash": "destroy",
 *     "devices": { "console": { "log": "/path/console.log" },
 *                  "disks": [ {...} ], "interfaces": [ {...} ] } }
 *
 * (a device's keys: device_json.c).
 *
 * Unknown keys are errors, and so are duplicate keys (json_scan.c), so that
 * nothing a user wrote is silently dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config.h"
#include "device.h"
#include "json_util.h"

struct jwalk {
    hv_config *cfg;
    const char *src;
    struct json_scan scan;
};

static int key_err(struct jwalk *w, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int key_err(struct jwalk *w, const char *path, const char *fmt, ...)
{
    char cause[320];
    int line = json_scan_line(&w->scan, path);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cause, sizeof(cause), fmt, ap);
    va_end(ap);
    if (line > 0)
        return err_set(HV_ECONFIG, "%s:%d: \"%s\": %s", w->src, line, path,
                       cause);
    return err_set(HV_ECONFIG, "%s: \"%s\": %s", w->src, path, cause);
}

static const char *type_name(json_object *o)
{
    return json_type_to_name(json_object_get_type(o));
}

struct jkey {
    const char *name;
    json_type type;
    bool required;
    json_object *val;           /* filled by collect */
};

/* Every key of obj must be in spec, with the right type. */
static int collect(struct jwalk *w, json_object *obj, const char *path,
                   struct jkey *spec, size_t n)
{
    char child[256];

    json_object_object_foreach(obj, key, val) {
        size_t i;
        snprintf(child, sizeof(child), "%s%s%s", path, *path ? "." : "", key);
        for (i = 0; i < n; i++)
            if (strcmp(key, spec[i].name) == 0)
                break;
        if (i == n)
            return key_err(w, child, "unknown key%s",
                           strcmp(child, "vcpu") == 0
                           ? " (did you mean \"vcpus\"?)"
                           : "");
        if (!json_object_is_type(val, spec[i].type))
            return key_err(w, child, "must be %s, not %s",
                           json_type_to_name(spec[i].type), type_name(val));
        spec[i].val = val;
    }
    for (size_t i = 0; i < n; i++)
        if (spec[i].required && !spec[i].val) {
            if (!*path)
                return err_set(HV_ECONFIG, "%s: missing key \"%s\"", w->src,
                               spec[i].name);
            return key_err(w, path, "missing key \"%s\"", spec[i].name);
        }
    return 0;
}

static int get_uint(struct jwalk *w, json_object *o, enum cfg_field f,
                    uint64_t max, uint64_t *out)
{
    const char *path = cfg_json_label(f);
    int64_t sv;

    errno = 0;
    sv = json_object_get_int64(o);
    if (sv < 0)
        return key_err(w, path, "%lld is negative", (long long)sv);
    if (sv == INT64_MAX || (uint64_t)sv > max)
        return key_err(w, path, "%s is too large",
                       json_object_to_json_string(o));
    *out = (uint64_t)sv;
    return 0;
}

static int get_string(json_object *o, char **slot, struct jwalk *w)
{
    free(*slot);
    *slot = strdup(json_object_get_string(o));
    return *slot ? 0 : err_set(HV_ENOMEM, "%s: out of memory", w->src);
}

/* "os.type": "pv" or "linux". */
static int read_os_type(struct jwalk *w, json_object *o)
{
    int type = cfg_os_type_parse(json_object_get_string(o));

    if (type < 0)
        return cfg_err(w->cfg, F_OS_TYPE, "unknown os type '%s' (use linux "
                       "or pv)", json_object_get_string(o));
    w->cfg->os_type = type;
    return 0;
}

/* "devices.disks" or "devices.interfaces": an array of device objects. */
static int read_device_list(struct jwalk *w, json_object *arr, int type)
{
    const char *key = type == HV_DEVICE_DISK ? "devices.disks"
                                             : "devices.interfaces";
    char path[64];
    int rc;

    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        hv_device *d;
        snprintf(path, sizeof(path), "%s[%zu]", key, i);
        if (w->cfg->ndevices == HV_DEVICES_MAX)
            return key_err(w, path, "more than %d disks and interfaces",
                           HV_DEVICES_MAX);
        if ((rc = dev_from_json_obj(json_object_array_get_idx(arr, i), type,
                                    w->src, path, &w->scan, &d)) ||
            (rc = cfg_devices_take(w->cfg, d)))
            return rc;
    }
    return 0;
}

static int read_top(struct jwalk *w, json_object *root)
{
    enum { K_TYPE, K_NAME, K_UUID, K_MEMORY, K_VCPUS, K_OS, K_ON_POWEROFF,
           K_ON_REBOOT, K_ON_CRASH, K_DEVICES, K_COUNT };
    struct jkey top[K_COUNT] = {
        [K_TYPE] = { "type", json_type_string, true, NULL },
        [K_NAME] = { "name", json_type_string, true, NULL },
        [K_UUID] = { "uuid", json_type_string, false, NULL },
        [K_MEMORY] = { "memory", json_type_object, true, NULL },
        [K_VCPUS] = { "vcpus", json_type_object, false, NULL },
        [K_OS] = { "os", json_type_object, true, NULL },
        [K_ON_POWEROFF] = { "on_poweroff", json_type_string, false, NULL },
        [K_ON_REBOOT] = { "on_reboot", json_type_string, false, NULL },
        [K_ON_CRASH] = { "on_crash", json_type_string, false, NULL },
        [K_DEVICES] = { "devices", json_type_object, false, NULL },
    };
    struct jkey mem[] = { { "max_mib", json_type_int, true, NULL },
                          { "current_mib", json_type_int, false, NULL } };
    struct jkey cpu[] = { { "max", json_type_int, true, NULL },
                          { "current", json_type_int, false, NULL } };
    enum { O_TYPE, O_KERNEL, O_INITRD, O_CMDLINE, O_COUNT };
    struct jkey os[O_COUNT] = {
        [O_TYPE] = { "type", json_type_string, false, NULL },
        [O_KERNEL] = { "kernel", json_type_string, true, NULL },
        [O_INITRD] = { "initrd", json_type_string, false, NULL },
        [O_CMDLINE] = { "cmdline", json_type_string, false, NULL },
    };
    struct jkey dev[] = { { "console", json_type_object, false, NULL },
                          { "disks", json_type_array, false, NULL },
                          { "interfaces", json_type_array, false, NULL } };
    struct jkey con[] = { { "log", json_type_string, false, NULL } };
    hv_config *cfg = w->cfg;
    uint64_t v = 0;
    int rc;

    for (int f = 0; f < F_COUNT; f++)
        cfg->line[f] = json_scan_line(&w->scan, cfg_json_label(f));
    if (!json_object_is_type(root, json_type_object))
        return err_set(HV_ECONFIG, "%s: the top level must be an object, "
                       "not %s", w->src, type_name(root));
    if ((rc = collect(w, root, "", top, K_COUNT)))
        return rc;
    if (strcmp(json_object_get_string(top[K_TYPE].val), "pv") != 0)
        return key_err(w, "type", "'%s' is not supported (only 'pv'%s)",
                       json_object_get_string(top[K_TYPE].val),
                       strcmp(json_object_get_string(top[K_TYPE].val),
                              "xen") == 0
                       ? "; a Xen PV kernel is \"os\": {\"type\": "
                         "\"linux\"}" : "");
    if ((rc = get_string(top[K_NAME].val, &cfg->name, w)))
        return rc;
    if (top[K_UUID].val) {
        const char *u = json_object_get_string(top[K_UUID].val);
        if (!uuid_parse(u, cfg->uuid))
            return cfg_err(cfg, F_UUID, "'%s' is not a uuid "
                           "(xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)", u);
        uuid_format(cfg->uuid, cfg->uuid_str);
    }
    if ((rc = collect(w, top[K_MEMORY].val, "memory", mem, 2)) ||
        (rc = get_uint(w, mem[0].val, F_MEMORY, UINT64_MAX, &cfg->mem_max_mib)))
        return rc;
    cfg->mem_cur_mib = cfg->mem_max_mib;
    if (mem[1].val &&
        (rc = get_uint(w, mem[1].val, F_CURMEM, UINT64_MAX, &cfg->mem_cur_mib)))
        return rc;
    if (top[K_VCPUS].val) {
        if ((rc = collect(w, top[K_VCPUS].val, "vcpus", cpu, 2)) ||
            (rc = get_uint(w, cpu[0].val, F_VCPUS, UINT32_MAX, &v)))
            return rc;
        cfg->vcpus_max = cfg->vcpus_cur = (unsigned)v;
        if (cpu[1].val) {
            if ((rc = get_uint(w, cpu[1].val, F_VCPUS_CUR, UINT32_MAX, &v)))
                return rc;
            cfg->vcpus_cur = (unsigned)v;
        }
    }
    if ((rc = collect(w, top[K_OS].val, "os", os, O_COUNT)) ||
        (os[O_TYPE].val && (rc = read_os_type(w, os[O_TYPE].val))) ||
        (rc = get_string(os[O_KERNEL].val, &cfg->kernel, w)) ||
        (os[O_INITRD].val &&
         (rc = get_string(os[O_INITRD].val, &cfg->initrd, w))) ||
        (os[O_CMDLINE].val &&
         (rc = get_string(os[O_CMDLINE].val, &cfg->cmdline, w))))
        return rc;
    for (int ev = HV_ON_POWEROFF; ev <= HV_ON_CRASH; ev++) {
        json_object *a = top[K_ON_POWEROFF + ev].val;
        int act;
        if (!a)
            continue;
        act = cfg_action_parse(json_object_get_string(a));
        if (act < 0)
            return cfg_err(cfg, (enum cfg_field)(F_ON_POWEROFF + ev),
                           "unknown action '%s' (use destroy, restart or "
                           "preserve)", json_object_get_string(a));
        cfg->actions[ev] = act;
    }
    if (top[K_DEVICES].val) {
        if ((rc = collect(w, top[K_DEVICES].val, "devices", dev, 3)))
            return rc;
        if (dev[0].val &&
            ((rc = collect(w, dev[0].val, "devices.console", con, 1)) ||
             (con[0].val && (rc = get_string(con[0].val, &cfg->console_log, w)))))
            return rc;
        if ((rc = read_device_list(w, dev[1].val, HV_DEVICE_DISK)) ||
            (rc = read_device_list(w, dev[2].val, HV_DEVICE_INTERFACE)) ||
            (rc = cfg_devices_complete(cfg)))
            return rc;
    }
    return 0;
}

HV_EXPORT int hv_config_from_json(const char *text, size_t len,
                                  const char *source, hv_config **out)
{
    const char *src = source ? source : "<config>";
    struct jwalk w = { .src = src };
    json_object *root = NULL;
    hv_config *cfg = NULL;
    int rc;

    if (!out)
        return err_set(HV_EINVAL, "%s: no place for the result", src);
    *out = NULL;
    if ((rc = jsonu_read(text, len, src, CFG_MAX_NESTING, true, &root,
                         &w.scan)))
        goto out;
    cfg = hv_config_new();
    if (!cfg) {
        rc = hv_last_error_code();
        goto out;
    }
    cfg_set_origin(cfg, SYN_JSON, src);
    w.cfg = cfg;
    if ((rc = read_top(&w, root)) || (rc = cfg_validate(cfg)))
        goto out;
    *out = cfg;
    cfg = NULL;
out:
    hv_config_free(cfg);
    json_scan_free(&w.scan);
    json_object_put(root);
    return rc;
}

/* ---- formatting ---- */

static json_object *pair(const char *k1, int64_t v1, const char *k2,
                         int64_t v2)
{
    json_object *o = json_object_new_object();

    if (o && jsonu_add(o, k1, json_object_new_int64(v1)) &&
        jsonu_add(o, k2, json_object_new_int64(v2)))
        return o;
    json_object_put(o);
    return NULL;
}

/* "disks" or "interfaces", when the config has any. */
static bool add_device_list(json_object *devs, const hv_config *cfg, int type)
{
    json_object *arr = NULL;

    for (size_t i = 0; i < cfg->ndevices; i++) {
        if (cfg->devices[i]->type != type)
            continue;
        if (!arr && !jsonu_add(devs, type == HV_DEVICE_DISK ? "disks"
                                                            : "interfaces",
                               arr = json_object_new_array()))
            return false;
        json_object *o = dev_to_json_obj(cfg->devices[i]);
        if (!o || json_object_array_add(arr, o) < 0) {
            json_object_put(o);
            return false;
        }
    }
    return true;
}

static json_object *build(const hv_config *cfg)
{
    json_object *root = json_object_new_object(), *os, *dev = NULL, *con;
    bool ok = root != NULL;

    ok = ok && jsonu_add(root, "type", json_object_new_string("pv"));
    ok = ok && jsonu_add(root, "name", json_object_new_string(cfg->name));
    ok = ok && jsonu_add(root, "uuid", json_object_new_string(cfg->uuid_str));
    ok = ok && jsonu_add(root, "memory",
                         pair("max_mib", (int64_t)cfg->mem_max_mib,
                              "current_mib", (int64_t)cfg->mem_cur_mib));
    ok = ok && jsonu_add(root, "vcpus", pair("max", cfg->vcpus_max, "current",
                                             cfg->vcpus_cur));
    ok = ok && jsonu_add(root, "os", os = json_object_new_object());
    if (ok && cfg->os_type != HV_OS_AUTO)
        ok = jsonu_add(os, "type", json_object_new_string(
                           hv_os_type_name(cfg->os_type)));
    ok = ok && jsonu_add(os, "kernel", json_object_new_string(cfg->kernel));
    if (ok && cfg->initrd)
        ok = jsonu_add(os, "initrd", json_object_new_string(cfg->initrd));
    if (ok && cfg->cmdline)
        ok = jsonu_add(os, "cmdline", json_object_new_string(cfg->cmdline));
    for (int ev = HV_ON_POWEROFF; ok && ev <= HV_ON_CRASH; ev++)
        ok = jsonu_add(root, cfg_event_key(ev), json_object_new_string(
                           cfg_action_name(cfg->actions[ev])));
    if (ok && (cfg->console_log || cfg->ndevices))
        ok = jsonu_add(root, "devices", dev = json_object_new_object());
    if (ok && cfg->console_log)
        ok = jsonu_add(dev, "console", con = json_object_new_object()) &&
             jsonu_add(con, "log", json_object_new_string(cfg->console_log));
    ok = ok && add_device_list(dev, cfg, HV_DEVICE_DISK) &&
         add_device_list(dev, cfg, HV_DEVICE_INTERFACE);
    if (!ok) {
        json_object_put(root);
        return NULL;
    }
    return root;
}

HV_EXPORT int hv_config_to_json(const hv_config *cfg, char **out)
{
    json_object *root;
    int rc;

    if (!cfg || !out)
        return err_set(HV_EINVAL, "config: NULL argument");
    *out = NULL;
    if ((rc = cfg_validate(cfg)))
        return rc;
    root = build(cfg);
    *out = root ? jsonu_text(root) : NULL;
    json_object_put(root);
    if (!*out)
        return err_set(HV_ENOMEM, "config '%s': out of memory", cfg->name);
    return 0;
}
