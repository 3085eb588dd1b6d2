/*
 * agent_devices.c - the agent driver's devices, one REST request each
 * (docs/client-path.md, "Devices"):
 *
 *   attach   POST   /v1/domains/{name}/devices        body: the device;
 *                                                     answer: as attached
 *   detach   DELETE /v1/domains/{name}/devices/{id}
 *   list     GET    /v1/domains/{name}/devices        hv_devlist_to_json
 *
 * HV_DEVICE_CONFIG is ?config=true, HV_DEVICE_CONFIG alone also
 * &live=false; hvctld keeps the definition.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_int.h"
#include "device.h"

/* The path with the flags' query appended. */
static void flags_path(const hv_domain *dom, const char *suffix,
                       unsigned flags, char path[400])
{
    char base[320];

    agent_dom_path(dom, suffix, base);
    snprintf(path, 400, "%s%s%s%s", base,
             flags & HV_DEVICE_CONFIG ? (strchr(base, '?') ? "&" : "?") : "",
             flags & HV_DEVICE_CONFIG ? "config=true" : "",
             flags & HV_DEVICE_LIVE ? "" : "&live=false");
}

/* The answer is the device as attached: its id and MAC go to dev. */
int agent_attach_device(hv_domain *dom, hv_device *dev, unsigned flags)
{
    char path[400], *body = NULL;
    json_object *o = NULL;
    hv_device *got = NULL;
    const char *text;
    int rc;

    if ((rc = hv_device_to_json(dev, &body)))
        return rc;
    flags_path(dom, "/devices", flags, path);
    rc = agent_json(dom->conn, "POST", path, body, &o, NULL);
    free(body);
    if (rc || dev->type != HV_DEVICE_INTERFACE || (dev->alias && dev->mac))
        goto out;
    text = o ? json_object_to_json_string(o) : "";
    path[strcspn(path, "?")] = '\0';
    if (hv_device_from_json(text, strlen(text), path, &got) == 0 &&
        got->type == HV_DEVICE_INTERFACE)
        rc = dev_adopt_ids(dev, got);
    else
        rc = err_set(HV_EPROTO, "%s: the agent's answer is not the "
                     "interface it attached", path);
out:
    hv_device_free(got);
    json_object_put(o);
    return rc;
}

int agent_detach_device(hv_domain *dom, const char *id, unsigned flags)
{
    char path[400], suffix[40];

    /* An id is [a-z0-9_.-]: nothing to escape (api_devices.c). */
    snprintf(suffix, sizeof(suffix), "/devices/%s", id);
    flags_path(dom, suffix, flags, path);
    return agent_json(dom->conn, "DELETE", path, NULL, NULL, NULL);
}

int agent_get_devices(hv_domain *dom, hv_devlist **out)
{
    struct ht_response r;
    char path[320];
    int rc;

    if ((rc = agent_dom_get(dom, "/devices", &r, path)))
        return rc;
    rc = devlist_from_json(r.body ? r.body : "", r.len, path, out);
    ht_response_free(&r);
    return rc;
}
