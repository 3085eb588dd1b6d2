/*
 * api_list.c - listing domains through any driver, the filters every
 * driver shares, and the names of reasons.
 */
#include <fnmatch.h>
#include <stdlib.h>

#include "domain_int.h"
#include "driver.h"

#define STATE_BITS (HV_LIST_ACTIVE | HV_LIST_SHUTOFF)
#define KNOWN_FLAGS (STATE_BITS | HV_LIST_PERSISTENT | HV_LIST_TRANSIENT | \
                     HV_LIST_FRESH)

int domlist_new(size_t n, hv_domlist **out)
{
    hv_domlist *l = calloc(1, sizeof(*l));

    *out = NULL;
    if (!l || (n && !(l->items = calloc(n, sizeof(*l->items))))) {
        free(l);
        return err_set(HV_ENOMEM, "listing domains: out of memory");
    }
    l->n = n;
    for (size_t i = 0; i < n; i++)
        l->items[i].persistent = l->items[i].autostart = -1;
    *out = l;
    return 0;
}

bool info_matches(const hv_domain_info *info, unsigned flags,
                  const char *name_glob)
{
    unsigned states = flags & STATE_BITS;

    if (states && (info->state < 1 || info->state > HV_STATE_SHUTOFF ||
                   !(states & HV_LIST_STATE(info->state))))
        return false;
    if ((flags & HV_LIST_PERSISTENT) && info->persistent != 1)
        return false;
    if ((flags & HV_LIST_TRANSIENT) && info->persistent != 0)
        return false;
    return !name_glob || fnmatch(name_glob, info->name, 0) == 0;
}

void domlist_filter(hv_domlist *list, unsigned flags, const char *name_glob)
{
    size_t k = 0;

    for (size_t i = 0; i < list->n; i++)
        if (info_matches(&list->items[i], flags, name_glob))
            list->items[k++] = list->items[i];
    list->n = k;
}

HV_EXPORT int hv_domain_list_filtered(hv_conn *conn, unsigned flags,
                                      const char *name_glob, hv_domlist **out)
{
    if (!out)
        return err_set(HV_EINVAL, "listing domains: no place for the result");
    *out = NULL;
    if (!conn)
        return err_set(HV_EINVAL, "listing domains: no connection");
    if (flags & ~KNOWN_FLAGS)
        return err_set(HV_EINVAL, "listing domains: unknown flags %#x",
                       flags & ~KNOWN_FLAGS);
    if ((flags & HV_LIST_PERSISTENT) && (flags & HV_LIST_TRANSIENT))
        return err_set(HV_EINVAL, "listing domains: a domain is persistent "
                       "or transient, not both");
    return conn->drv->list(conn, flags, name_glob, out);
}

HV_EXPORT int hv_domain_list(hv_conn *conn, hv_domlist **out)
{
    return hv_domain_list_filtered(conn, HV_LIST_ACTIVE, NULL, out);
}

HV_EXPORT const char *hv_reason_name(int reason)
{
    switch (reason) {
    case HV_REASON_BOOTED:        return "booted";
    case HV_REASON_REQUESTED:     return "requested";
    case HV_REASON_POWEROFF:      return "poweroff";
    case HV_REASON_REBOOTED:      return "rebooted";
    case HV_REASON_GUEST_CRASH:   return "guest_crash";
    case HV_REASON_HVCORE_DIED:   return "hvcore_died";
    case HV_REASON_START_FAILED:  return "start_failed";
    case HV_REASON_NEVER_STARTED: return "never_started";
    default:                      return "unknown";
    }
}
