/*
 * drv_direct.h - the direct driver's operations (domain.c, domain_ops.c,
 * domain_list.c, event.c), gathered into drv_direct by drv_direct.c.
 * Arguments arrive checked by the api_*.c entry points.  Not part of the
 * API.
 */
#ifndef HVCTL_DRV_DIRECT_H
#define HVCTL_DRV_DIRECT_H

#include <stdbool.h>

#include "driver.h"

int direct_create(hv_conn *conn, const hv_config *cfg, unsigned flags,
                  hv_domain **out);
int direct_lookup(hv_conn *conn, enum drv_key kind, const char *key,
                  uint32_t id, hv_domain **out);
int direct_list(hv_conn *conn, unsigned flags, const char *name_glob,
                hv_domlist **out);
int direct_get_info(hv_domain *dom, hv_domain_info **out);
int direct_get_config(hv_domain *dom, hv_config **out);
int direct_pause(hv_domain *dom, bool pause);
int direct_reboot(hv_domain *dom);
int direct_destroy(hv_domain *dom);
int direct_shutdown(hv_domain *dom, int timeout_ms, unsigned flags,
                    hv_op *op);
int direct_set_memory(hv_domain *dom, uint64_t target_mib, unsigned flags);
int direct_console_open(hv_domain *dom, int *fd);
void direct_domain_free(hv_domain *dom);
int direct_save(hv_domain *dom, const char *path, unsigned flags, hv_op *op);
int direct_restore(hv_conn *conn, const char *path, unsigned flags,
                   hv_domain **out, hv_op *op);
int direct_migrate(hv_domain *dom, const char *dest_uri,
                   const struct hv_migrate_params *params, hv_op *op);

int direct_events_open(hv_conn *conn, hv_events **out);
void direct_events_free(hv_events *ev);
int direct_events_fd(const hv_events *ev);
int direct_event_next(hv_events *ev, hv_event **out);

#endif /* HVCTL_DRV_DIRECT_H */
