/*
 * api_event.c - the public event calls, dispatched to the connection's
 * driver, and the names of causes.
 */
#include "domain_int.h"
#include "driver.h"
#include "event.h"
#include "event_int.h"

HV_EXPORT int hv_events_open(hv_conn *conn, hv_events **out)
{
    if (!out)
        return err_set(HV_EINVAL, "events: no place for the result");
    *out = NULL;
    if (!conn)
        return err_set(HV_EINVAL, "events: no connection");
    if (!conn->drv->events_open)
        return drv_cannot(conn, "events");
    return conn->drv->events_open(conn, out);
}

HV_EXPORT void hv_events_free(hv_events *ev)
{
    if (ev)
        ev->conn->drv->events_free(ev);
}

HV_EXPORT int hv_events_get_fd(const hv_events *ev)
{
    return ev ? ev->conn->drv->events_fd(ev) : -1;
}

HV_EXPORT int hv_event_next(hv_events *ev, hv_event **out)
{
    if (!out)
        return err_set(HV_EINVAL, "events: no place for the result");
    *out = NULL;
    if (!ev)
        return err_set(HV_EINVAL, "events: NULL");
    return ev->conn->drv->event_next(ev, out);
}

HV_EXPORT int hv_event_get_reason(const hv_event *e)
{
    return e ? e->reason : HV_REASON_UNKNOWN;
}

HV_EXPORT int hv_event_get_cause(const hv_event *e)
{
    return e ? e->cause : HV_CAUSE_UNKNOWN;
}

HV_EXPORT const char *hv_event_get_uuid(const hv_event *e)
{
    return e ? e->uuid : NULL;
}

HV_EXPORT const char *hv_cause_name(int cause)
{
    switch (cause) {
    case HV_CAUSE_API:      return "api";
    case HV_CAUSE_AGENT:    return "agent";
    case HV_CAUSE_GUEST:    return "guest";
    case HV_CAUSE_HVCORE:   return "hvcore";
    case HV_CAUSE_EXTERNAL: return "external";
    default:                return "unknown";
    }
}
