/*
 * event.h - one lifecycle event, as queued by event.c and read through
 * the accessors in event_object.c.
 */
#ifndef HVCTL_EVENT_H
#define HVCTL_EVENT_H

#include "internal.h"

struct hv_event {
    struct hv_event *next;
    int type;
    uint32_t domid;
    uint64_t time_ns;
    char name[64];
    char detail[112];
    int reason;                 /* enum hv_reason */
    int cause;                  /* enum hv_cause  */
    char uuid[37];              /* "" when not known */
};

#endif /* HVCTL_EVENT_H */
