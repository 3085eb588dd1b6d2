/*
 * config_devices.c - a configuration's disks and interfaces: the list,
 * what must hold across its devices (at most HV_DEVICES_MAX, ids and tap
 * names unique), and the hv_config_*_device calls.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "device.h"

void cfg_devices_free(hv_config *cfg)
{
    for (size_t i = 0; i < cfg->ndevices; i++)
        hv_device_free(cfg->devices[i]);
    free(cfg->devices);
    cfg->devices = NULL;
    cfg->ndevices = 0;
}

int cfg_devices_copy(hv_config *dst, const hv_config *src)
{
    dst->devices = NULL;
    dst->ndevices = 0;
    if (!src->ndevices)
        return 0;
    dst->devices = calloc(src->ndevices, sizeof(*dst->devices));
    if (!dst->devices)
        return -1;
    for (size_t i = 0; i < src->ndevices; i++) {
        dst->devices[i] = hv_device_copy(src->devices[i]);
        if (!dst->devices[i]) {
            dst->ndevices = i;
            cfg_devices_free(dst);
            return -1;
        }
        dst->ndevices = i + 1;
    }
    return 0;
}

static bool id_taken(const char *id, void *opaque)
{
    const hv_config *cfg = opaque;

    for (size_t i = 0; i < cfg->ndevices; i++)
        if (dev_id(cfg->devices[i]) &&
            strcmp(dev_id(cfg->devices[i]), id) == 0)
            return true;
    return false;
}

int cfg_devices_take(hv_config *cfg, hv_device *dev)
{
    hv_device **n = realloc(cfg->devices, (cfg->ndevices + 1) * sizeof(*n));

    if (!n) {
        hv_device_free(dev);
        return err_set(HV_ENOMEM, "config: out of memory");
    }
    cfg->devices = n;
    n[cfg->ndevices++] = dev;
    return 0;
}

/* After the whole list is known: an alias written after an interface
 * without one is not taken from it. */
int cfg_devices_complete(hv_config *cfg)
{
    int rc;

    for (size_t i = 0; i < cfg->ndevices; i++)
        if ((rc = dev_complete(cfg->devices[i], id_taken, cfg)))
            return rc;
    return 0;
}

/* The first device before index i with the same value of `field`. */
static const hv_device *earlier(const hv_config *cfg, size_t i,
                                const char *(*field)(const hv_device *))
{
    const char *v = field(cfg->devices[i]);

    for (size_t j = 0; v && j < i; j++)
        if (field(cfg->devices[j]) && strcmp(field(cfg->devices[j]), v) == 0)
            return cfg->devices[j];
    return NULL;
}

static const char *tap_of(const hv_device *dev)
{
    return dev->type == HV_DEVICE_INTERFACE ? dev->target : NULL;
}

int cfg_devices_validate(const hv_config *cfg)
{
    const hv_device *other;
    char what[64];
    int rc;

    if (cfg->ndevices > HV_DEVICES_MAX)
        return cfg_err(cfg, F_DEVICES, "%zu disks and interfaces, more than "
                       "the limit of %d", cfg->ndevices, HV_DEVICES_MAX);
    for (size_t i = 0; i < cfg->ndevices; i++) {
        const hv_device *dev = cfg->devices[i];
        if ((rc = dev_validate(dev)))
            return rc;
        if (!dev_id(dev))
            return dev_err(dev, "has no id");
        if (dev->type == HV_DEVICE_INTERFACE && !dev->mac)
            return dev_err(dev, "has no mac address");
        if ((other = earlier(cfg, i, dev_id))) {
            dev_describe(other, what, sizeof(what));
            return dev_err(dev, "id '%s' is taken by the %s before it",
                           dev_id(dev), what);
        }
        if ((other = earlier(cfg, i, tap_of))) {
            dev_describe(other, what, sizeof(what));
            return dev_err(dev, "target dev '%s' is taken by %s",
                           dev->target, what);
        }
    }
    return 0;
}

/* ---- the public calls ---- */

HV_EXPORT int hv_config_device_count(const hv_config *cfg)
{
    if (!cfg)
        return err_set(HV_EINVAL, "config: NULL");
    return (int)cfg->ndevices;
}

HV_EXPORT const hv_device *hv_config_get_device(const hv_config *cfg,
                                                unsigned index)
{
    if (!cfg || index >= cfg->ndevices)
        return NULL;
    return cfg->devices[index];
}

HV_EXPORT const hv_device *hv_config_find_device(const hv_config *cfg,
                                                 const char *id)
{
    for (size_t i = 0; cfg && id && i < cfg->ndevices; i++)
        if (dev_id(cfg->devices[i]) && strcmp(dev_id(cfg->devices[i]), id) == 0)
            return cfg->devices[i];
    return NULL;
}

HV_EXPORT int hv_config_add_device(hv_config *cfg, const hv_device *dev)
{
    hv_device *copy;
    size_t n;
    int rc;

    if (!cfg || !dev)
        return err_set(HV_EINVAL, "config: NULL argument");
    copy = hv_device_copy(dev);
    if (!copy)
        return hv_last_error_code();
    /* Its messages name the device now, not the text it came from. */
    free(copy->origin);
    copy->origin = NULL;
    if ((rc = cfg_devices_take(cfg, copy)))
        return rc;
    n = cfg->ndevices;
    if ((rc = dev_complete(copy, id_taken, cfg))) {
        hv_device_free(copy);
        cfg->ndevices = n - 1;
        return rc;
    }
    {
        /* Only this device's own faults: blame the caller's argument. */
        enum cfg_syntax syn = cfg->syntax;
        cfg->syntax = SYN_API;
        rc = cfg_devices_validate(cfg);
        cfg->syntax = syn;
    }
    if (rc) {
        hv_device_free(cfg->devices[n - 1]);
        cfg->ndevices = n - 1;
        return rc;
    }
    return 0;
}

HV_EXPORT int hv_config_remove_device(hv_config *cfg, const char *id)
{
    if (!cfg || !id)
        return err_set(HV_EINVAL, "config: NULL argument");
    for (size_t i = 0; i < cfg->ndevices; i++) {
        if (!dev_id(cfg->devices[i]) || strcmp(dev_id(cfg->devices[i]), id))
            continue;
        hv_device_free(cfg->devices[i]);
        memmove(&cfg->devices[i], &cfg->devices[i + 1],
                (cfg->ndevices - i - 1) * sizeof(*cfg->devices));
        cfg->ndevices--;
        return 0;
    }
    if (cfg->name)
        return err_set(HV_ENOENT, "config '%s': no device '%s'", cfg->name,
                       id);
    return err_set(HV_ENOENT, "config: no device '%s'", id);
}
