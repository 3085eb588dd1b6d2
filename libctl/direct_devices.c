/*
 * direct_devices.c - the direct driver's devices: domctl minor 4
 * (device_attach with the spec after the request, device_detach,
 * device_info by index), and the running config kept in step so that
 * hv_domain_get_config shows what the domain has now.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "device.h"
#include "domain_int.h"
#include "driver.h"
#include "public/device.h"
#include "public/errno.h"

#define DOM_FMT "domain '%s' (id %u)"
#define DOM_ARGS(d) (d)->name, (d)->domid

/*
 * hvcore's one-line message from a device reply, if it gave one, without
 * the "<id>: " it may start with (ours names the device already).
 */
static const char *reply_message(struct hv_domctl_reply *r, const char *id)
{
    char *m = r->u.result.message;
    size_t n = strlen(id);

    m[sizeof(r->u.result.message) - 1] = '\0';
    if (strncmp(m, id, n) == 0 && m[n] == ':' && m[n + 1] == ' ')
        m += n + 2;
    return m[0] ? m : NULL;
}

static int device_err(hv_domain *dom, const char *id, const char *verb,
                      struct hv_domctl_reply *r)
{
    const char *msg = reply_message(r, id);

    switch (-r->status) {
    case HVE_EXIST:
        return err_set(HV_EEXIST, DOM_FMT ": cannot %s device '%s': the id "
                       "is taken", DOM_ARGS(dom), verb, id);
    case HVE_NOENT:
        return err_set(HV_ENOENT, DOM_FMT ": no device '%s'", DOM_ARGS(dom),
                       id);
    case HVE_NOSPC:
        return err_set(HV_EIO, DOM_FMT ": cannot %s device '%s': all %d "
                       "device slots are in use", DOM_ARGS(dom), verb, id,
                       HV_DEVICES_MAX);
    case HVE_BUSY:
        return err_set(HV_ESTATE, DOM_FMT ": cannot %s device '%s': a save "
                       "or migration runs", DOM_ARGS(dom), verb, id);
    case HVE_INVAL:
        return err_set(HV_ECONFIG, DOM_FMT ": device '%s': %s", DOM_ARGS(dom),
                       id, msg ? msg : "hvcore refused it");
    case HVE_IO:
        return err_set(HV_EIO, DOM_FMT ": device '%s': %s", DOM_ARGS(dom),
                       id, msg ? msg : "its back end failed");
    case HVE_NOSYS:
    case HVE_PROTO:
        return err_set(HV_ENOTSUP, DOM_FMT ": cannot %s device '%s': this "
                       "hvcore has no devices (domctl minor 4)",
                       DOM_ARGS(dom), verb, id);
    default:
        return err_set(ctl_status_to_hv(r->status), DOM_FMT ": cannot %s "
                       "device '%s': %s%s%s", DOM_ARGS(dom), verb, id,
                       strerror(-r->status), msg ? ": " : "", msg ? msg : "");
    }
}

static void entry_from_wire(struct devlist_entry *e,
                            const struct hv_domctl_device_info *in)
{
    memcpy(e->id, in->id, sizeof(e->id) - 1);
    e->id[sizeof(e->id) - 1] = '\0';
    e->type = in->type == HV_DEV_TYPE_BLOCK ? HV_DEVICE_DISK
                                            : HV_DEVICE_INTERFACE;
    /* enum hv_device_state has hvcore's numbers (device.h). */
    e->state = (int)in->state;
    memcpy(e->backend, in->backend_desc, sizeof(e->backend) - 1);
    e->backend[sizeof(e->backend) - 1] = '\0';
    e->backend_pid = in->backend_pid;
    e->counters_known = in->flags & HV_DEVICE_INFO_COUNTERS;
    e->counter[HV_DEVICE_REQS_IN] = in->reqs_in;
    e->counter[HV_DEVICE_REQS_OUT] = in->reqs_out;
    e->counter[HV_DEVICE_REQS_OTHER] = in->reqs_other;
    e->counter[HV_DEVICE_BYTES_IN] = in->bytes_in;
    e->counter[HV_DEVICE_BYTES_OUT] = in->bytes_out;
    e->counter[HV_DEVICE_ERRORS] = in->errors;
    e->counter[HV_DEVICE_RECONNECTS] = in->reconnects;
}

_Static_assert((int)HV_DEVICE_CONNECTING == (int)HV_DEV_STATE_CONNECTING &&
               (int)HV_DEVICE_READY == (int)HV_DEV_STATE_READY &&
               (int)HV_DEVICE_RUNNING == (int)HV_DEV_STATE_RUNNING &&
               (int)HV_DEVICE_NEEDS_RESET == (int)HV_DEV_STATE_NEEDS_RESET,
               "hvctl.h's device states are hvcore's");

int direct_get_devices(hv_domain *dom, hv_devlist **out)
{
    struct devlist_entry e[HV_DEVICES_MAX];
    struct hv_domctl args;
    struct hv_domctl_reply reply;
    hv_devlist *l;
    size_t n;
    int rc;

    *out = NULL;
    for (n = 0; n < HV_DEVICES_MAX; n++) {
        memset(&args, 0, sizeof(args));
        args.u.device.index = (uint32_t)n;
        if ((rc = dom_call(dom, HV_DOMCTL_device_info, &args, &reply, NULL)))
            return rc;
        if (-reply.status == HVE_NOENT)
            break;
        if (reply.status)
            return device_err(dom, "*", "list", &reply);
        memset(&e[n], 0, sizeof(e[n]));
        entry_from_wire(&e[n], &reply.u.device_info);
    }
    l = devlist_new(n);
    if (!l)
        return HV_ENOMEM;
    memcpy(l->e, e, n * sizeof(e[0]));
    *out = l;
    return 0;
}

/* Is id one of the running domain's devices?  (dev_complete) */
static bool live_taken(const char *id, void *opaque)
{
    const hv_devlist *l = opaque;

    for (size_t i = 0; l && i < l->n; i++)
        if (strcmp(l->e[i].id, id) == 0)
            return true;
    return false;
}

/*
 * The running config (RT_CONFIG) after a change: what get_config shows.
 * Best effort: the domain has the device either way, and a domain not
 * started through libhvctl has no stored config.
 */
static void update_running_config(hv_domain *dom, const hv_device *add,
                                  const char *remove)
{
    char *json = NULL;
    hv_config *cfg = NULL;

    if (rt_read_config(dom->conn, dom->domid, dom->pid, &json) < 0)
        return;
    if (hv_config_from_json(json, strlen(json), NULL, &cfg) == 0 &&
        (add ? hv_config_add_device(cfg, add)
             : hv_config_remove_device(cfg, remove)) == 0) {
        free(json);
        json = NULL;
        if (hv_config_to_json(cfg, &json) == 0)
            rt_write_config(dom->conn, dom->domid, dom->pid, json);
    }
    free(json);
    hv_config_free(cfg);
    err_clear();
}

int direct_attach_device(hv_domain *dom, hv_device *dev, unsigned flags)
{
    struct hv_domctl args;
    struct hv_domctl_reply reply;
    hv_devlist *live = NULL;
    hv_device *d = NULL;
    char *spec = NULL;
    int rc;

    if (flags & HV_DEVICE_CONFIG)
        return dom_cannot(dom, "attach a device to the definition");
    d = hv_device_copy(dev);
    if (!d)
        return HV_ENOMEM;
    /* An interface's MAC and id, against what the domain has now. */
    if (d->type == HV_DEVICE_INTERFACE && (!d->alias || !d->mac) &&
        (rc = direct_get_devices(dom, &live)))
        goto out;
    if ((rc = dev_complete(d, live_taken, live)) || (rc = dev_validate(d)) ||
        (rc = dev_spec(d, &spec)))
        goto out;
    if (strlen(spec) > HV_DEVICE_SPEC_MAX) {
        rc = err_set(HV_ECONFIG, DOM_FMT ": device '%s': its spec is %zu "
                     "bytes, more than %d", DOM_ARGS(dom), dev_id(d),
                     strlen(spec), HV_DEVICE_SPEC_MAX);
        goto out;
    }
    memset(&args, 0, sizeof(args));
    args.u.device.spec_len = (uint32_t)strlen(spec);
    rc = dom_call_tail(dom, HV_DOMCTL_device_attach, &args, spec, strlen(spec),
                       &reply);
    if (rc == 0 && reply.status)
        rc = device_err(dom, dev_id(d), "attach", &reply);
    if (rc == 0) {
        update_running_config(dom, d, NULL);
        rc = dev_adopt_ids(dev, d);
    }
out:
    free(spec);
    hv_device_free(d);
    hv_devlist_free(live);
    return rc;
}

int direct_detach_device(hv_domain *dom, const char *id, unsigned flags)
{
    struct hv_domctl args;
    struct hv_domctl_reply reply;
    int rc;

    if (flags & HV_DEVICE_CONFIG)
        return dom_cannot(dom, "detach a device from the definition");
    memset(&args, 0, sizeof(args));
    snprintf(args.u.device.id, sizeof(args.u.device.id), "%s", id);
    if ((rc = dom_call(dom, HV_DOMCTL_device_detach, &args, &reply, NULL)))
        return rc;
    if (reply.status)
        return device_err(dom, id, "detach", &reply);
    update_running_config(dom, NULL, id);
    return 0;
}
