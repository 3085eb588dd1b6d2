/*
 * api_devices.c - the public device calls on a domain: check the
 * arguments and flags once, then ask the connection's driver (driver.h),
 * so that every driver refuses bad input in the same words.
 */
#include <stdio.h>
#include <string.h>

#include "device.h"
#include "domain_int.h"
#include "driver.h"

#define CHECK_DOM(dom)                                                       \
    do {                                                                     \
        if (!(dom))                                                          \
            return err_set(HV_EINVAL, "domain: NULL handle");                \
    } while (0)

static const char *what(const hv_domain *dom, char buf[100])
{
    if (dom->domid == HV_DOMID_NONE)
        snprintf(buf, 100, "domain '%s'", dom->name);
    else
        snprintf(buf, 100, "domain '%s' (id %u)", dom->name, dom->domid);
    return buf;
}

/* 0 and the flags with LIVE filled in, or HV_EINVAL for unknown bits. */
static int check_flags(const hv_domain *dom, const char *verb, unsigned *flags)
{
    char w[100];

    if (*flags & ~(HV_DEVICE_LIVE | HV_DEVICE_CONFIG))
        return err_set(HV_EINVAL, "%s: %s: unknown flags %#x", what(dom, w),
                       verb, *flags & ~(HV_DEVICE_LIVE | HV_DEVICE_CONFIG));
    if (!*flags)
        *flags = HV_DEVICE_LIVE;
    return 0;
}

HV_EXPORT int hv_domain_attach_device(hv_domain *dom, hv_device *dev,
                                      unsigned flags)
{
    char w[100];
    int rc;

    CHECK_DOM(dom);
    if (!dev)
        return err_set(HV_EINVAL, "%s: attach a device: no device",
                       what(dom, w));
    if ((rc = check_flags(dom, "attach a device", &flags)))
        return rc;
    if ((rc = dev_validate(dev)))
        return rc;
    if (!dom->conn->drv->attach_device)
        return dom_cannot(dom, "attach a device");
    return dom->conn->drv->attach_device(dom, dev, flags);
}

HV_EXPORT int hv_domain_detach_device(hv_domain *dom, const char *id,
                                      unsigned flags)
{
    char w[100];
    int rc;

    CHECK_DOM(dom);
    if (!id)
        return err_set(HV_EINVAL, "%s: detach a device: no id", what(dom, w));
    if ((rc = check_flags(dom, "detach a device", &flags)))
        return rc;
    if (!*id || strlen(id) > DEV_ID_MAX ||
        strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(id))
        return err_set(HV_EINVAL, "%s: '%s' is not a device id (1-%d of "
                       "a-z, 0-9, '_', '.' and '-')", what(dom, w), id,
                       DEV_ID_MAX);
    if (!dom->conn->drv->detach_device)
        return dom_cannot(dom, "detach a device");
    return dom->conn->drv->detach_device(dom, id, flags);
}

HV_EXPORT int hv_domain_get_devices(hv_domain *dom, unsigned flags,
                                    hv_devlist **out)
{
    char w[100];

    if (!out)
        return err_set(HV_EINVAL, "domain: no place for the result");
    *out = NULL;
    CHECK_DOM(dom);
    if (flags)
        return err_set(HV_EINVAL, "%s: devices: unknown flags %#x",
                       what(dom, w), flags);
    if (!dom->conn->drv->get_devices)
        return dom_cannot(dom, "devices");
    return dom->conn->drv->get_devices(dom, out);
}
