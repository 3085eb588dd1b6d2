/*
 * event_object.c - hv_event: what one event says, and the names of event
 * types.
 */
#include <stdlib.h>

#include "event.h"

HV_EXPORT void hv_event_free(hv_event *e)
{
    free(e);
}

HV_EXPORT int hv_event_get_type(const hv_event *e)
{
    return e ? e->type : 0;
}

HV_EXPORT uint32_t hv_event_get_domid(const hv_event *e)
{
    return e ? e->domid : 0;
}

HV_EXPORT const char *hv_event_get_name(const hv_event *e)
{
    return e ? e->name : NULL;
}

HV_EXPORT uint64_t hv_event_get_time_ns(const hv_event *e)
{
    return e ? e->time_ns : 0;
}

HV_EXPORT const char *hv_event_get_detail(const hv_event *e)
{
    return e ? e->detail : NULL;
}

HV_EXPORT const char *hv_event_type_name(int type)
{
    switch (type) {
    case HV_EVENT_STARTED:   return "started";
    case HV_EVENT_PAUSED:    return "paused";
    case HV_EVENT_UNPAUSED:  return "unpaused";
    case HV_EVENT_SHUTDOWN:  return "shutdown";
    case HV_EVENT_REBOOTED:  return "rebooted";
    case HV_EVENT_CRASHED:   return "crashed";
    case HV_EVENT_DESTROYED: return "destroyed";
    case HV_EVENT_DEFINED:   return "defined";
    case HV_EVENT_UPDATED:   return "updated";
    case HV_EVENT_UNDEFINED: return "undefined";
    case HV_EVENT_AUTOSTART_ON:  return "autostart_on";
    case HV_EVENT_AUTOSTART_OFF: return "autostart_off";
    case HV_EVENT_START_FAILED:  return "start_failed";
    case HV_EVENT_START_LIMIT:   return "start_limit";
    case HV_EVENT_VANISHED:      return "vanished";
    case HV_EVENT_NAME_CONFLICT: return "name_conflict";
    case HV_EVENT_SAVED:         return "saved";
    case HV_EVENT_MIGRATED:      return "migrated";
    case HV_EVENT_RESTORED:      return "restored";
    case HV_EVENT_DEVICE_ATTACHED: return "device_attached";
    case HV_EVENT_DEVICE_DETACHED: return "device_detached";
    case HV_EVENT_DEVICE_ERROR:    return "device_error";
    case HV_EVENT_DEVICE_READY:    return "device_ready";
    default:                 return "unknown";
    }
}
