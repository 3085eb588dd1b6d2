/*
 * drv_direct.c - the direct driver: this host's runtime directory, where
 * each domain is an hvcore process with a control socket.  It runs
 * transient domains; definitions live in hvctld, so define and the calls
 * after it are for the agent driver (drv->cannot says so).
 */
#include "device.h"
#include "domain_int.h"
#include "drv_direct.h"

static int direct_action(hv_domain *dom, enum drv_action act, unsigned flags)
{
    (void)flags;
    switch (act) {
    case ACT_PAUSE:   return direct_pause(dom, true);
    case ACT_UNPAUSE: return direct_pause(dom, false);
    case ACT_REBOOT:  return direct_reboot(dom);
    case ACT_DESTROY: return direct_destroy(dom);
    default:
        return dom_cannot(dom, act == ACT_START ? "start" : "undefine");
    }
}

/*
 * The direct driver cannot tell defined domains from transient ones: a
 * persistence filter is a question for the agent.
 */
static int list(hv_conn *conn, unsigned flags, const char *name_glob,
                hv_domlist **out)
{
    if (flags & (HV_LIST_PERSISTENT | HV_LIST_TRANSIENT))
        return drv_cannot(conn, "listing domains by persistence");
    return direct_list(conn, flags, name_glob, out);
}

const struct hv_driver drv_direct = {
    .name = "direct",
    .cannot = "the direct driver runs transient domains only; definitions "
              "need hvctld (hvctl:///system with hvctld running, or "
              "unix:///PATH/hvctld.sock)",
    .create = direct_create,
    .lookup = direct_lookup,
    .list = list,
    .get_info = direct_get_info,
    .get_config = direct_get_config,
    .action = direct_action,
    .shutdown = direct_shutdown,
    .set_memory = direct_set_memory,
    .console_open = direct_console_open,
    .shutdown_all = direct_shutdown_all,
    .domain_free = direct_domain_free,
    .save = direct_save,
    .restore = direct_restore,
    .migrate = direct_migrate,
    .attach_device = direct_attach_device,
    .detach_device = direct_detach_device,
    .get_devices = direct_get_devices,
    .events_open = direct_events_open,
    .events_free = direct_events_free,
    .events_fd = direct_events_fd,
    .event_next = direct_event_next,
};
