/*
 * sdnotify.h - tell systemd (Type=notify) that hvctld is ready or
 * stopping.  A no-op outside systemd; no libsystemd needed for one
 * datagram.
 */
#ifndef HVCTLD_SDNOTIFY_H
#define HVCTLD_SDNOTIFY_H

void sd_notify_msg(const char *msg);

#endif /* HVCTLD_SDNOTIFY_H */
