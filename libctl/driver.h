/*
 * driver.h - connection drivers: what stands behind an hv_conn.
 *
 * The public functions (api_*.c) check their arguments and then call the
 * connection's driver, so every driver gets the same argument checking and
 * the same "cannot do this" message.  Two drivers:
 *
 *   direct (drv_direct.c)  this host's runtime directory: hvcore processes
 *                          and their control sockets.  Transient domains.
 *   agent  (drv_agent*.c)  hvctld's REST API, over its Unix socket or,
 *                          through the HTTP module, TCP/TLS.  Adds
 *                          definitions, and sees the same runtime.
 *
 * A NULL operation means the driver cannot do it: the caller gets
 * HV_ENOTSUP and a message built from `cannot` (docs/client-path.md).
 * Not part of the API.
 */
#ifndef HVCTL_DRIVER_H
#define HVCTL_DRIVER_H

#include "internal.h"

/* Lookup keys. */
enum drv_key { KEY_NAME, KEY_ID, KEY_UUID };

/* The simple operations on a domain, one entry point for all. */
enum drv_action {
    ACT_PAUSE, ACT_UNPAUSE, ACT_REBOOT, ACT_DESTROY, ACT_START, ACT_UNDEFINE,
};

struct hv_driver {
    const char *name;           /* "direct", "agent" (hv_conn_get_driver) */
    /*
     * Appended to "<what>: " when an operation is NULL, saying which
     * connection can do it, e.g. "needs a connection through hvctld
     * (hvctl:///system with hvctld running, or unix:///PATH)".
     */
    const char *cannot;

    void (*close)(hv_conn *conn);

    int (*create)(hv_conn *conn, const hv_config *cfg, unsigned flags,
                  hv_domain **out);
    int (*define)(hv_conn *conn, const hv_config *cfg, unsigned flags,
                  hv_domain **out);
    /* key is the name or uuid text (KEY_NAME, KEY_UUID), or NULL and id. */
    int (*lookup)(hv_conn *conn, enum drv_key kind, const char *key,
                  uint32_t id, hv_domain **out);
    /* flags already checked: state bits, at most one persistence bit. */
    int (*list)(hv_conn *conn, unsigned flags, const char *name_glob,
                hv_domlist **out);

    int (*get_info)(hv_domain *dom, hv_domain_info **out);
    int (*get_config)(hv_domain *dom, hv_config **out);
    int (*get_definition)(hv_domain *dom, unsigned flags, hv_config **out);
    /* flags are the caller's (already checked to be 0 today). */
    int (*action)(hv_domain *dom, enum drv_action act, unsigned flags);
    int (*shutdown)(hv_domain *dom, int timeout_ms, unsigned flags,
                    hv_op *op);
    int (*set_memory)(hv_domain *dom, uint64_t target_mib, unsigned flags);
    int (*get_autostart)(hv_domain *dom, int *autostart);
    int (*set_autostart)(hv_domain *dom, int autostart, unsigned flags);
    int (*console_open)(hv_domain *dom, int *fd);
    /* hv_conn_shutdown_all and hv_conn_get_agent_version. */
    int (*shutdown_all)(hv_conn *conn, int timeout_ms, hv_op *op);
    int (*agent_version)(hv_conn *conn, char **out);
    /* Release what the driver keeps in dom->priv (may be NULL). */
    void (*domain_free)(hv_domain *dom);

    /*
     * Save, restore, migrate (0.5).  Arguments and flags are checked
     * (api_xfer.c); op may be NULL.  An agent driver does them as hvctld
     * jobs; the direct driver speaks to hvcore (direct_save.c,
     * direct_migrate.c).  params is never NULL (defaults filled in).
     */
    int (*save)(hv_domain *dom, const char *path, unsigned flags, hv_op *op);
    int (*restore)(hv_conn *conn, const char *path, unsigned flags,
                   hv_domain **out, hv_op *op);
    int (*migrate)(hv_domain *dom, const char *dest_uri,
                   const struct hv_migrate_params *params, hv_op *op);

    /*
     * Devices (0.6).  Arguments checked (api_devices.c): dev is valid,
     * flags hold HV_DEVICE_LIVE and/or HV_DEVICE_CONFIG, id is an id.
     */
    /* dev: an interface is given its alias and MAC (what was used). */
    int (*attach_device)(hv_domain *dom, hv_device *dev, unsigned flags);
    int (*detach_device)(hv_domain *dom, const char *id, unsigned flags);
    int (*get_devices)(hv_domain *dom, hv_devlist **out);

    int (*events_open)(hv_conn *conn, hv_events **out);
    void (*events_free)(hv_events *ev);
    int (*events_fd)(const hv_events *ev);
    int (*event_next)(hv_events *ev, hv_event **out);
};

extern const struct hv_driver drv_direct;
extern const struct hv_driver drv_agent;

/*
 * Fill in the common part of a new connection (locks, fds at -1, the
 * URI) for a driver that has its own open; conn_open_direct opens a
 * runtime directory (NULL: $HVCTL_RUNDIR, else /run/hvctl).
 */
int conn_open_direct(const char *rundir, hv_conn **out);

/*
 * Open the agent driver on a parsed URI (drv_agent.c): URI_UNIX,
 * URI_HTTPS, URI_HTTP, or URI_SYSTEM once its socket answered.
 */
struct conn_uri;
int agent_open(const struct conn_uri *u, hv_conn **out);

/* The HV_ENOTSUP failure for `what` (e.g. "domain 'web': define"). */
int drv_cannot(const hv_conn *conn, const char *what);

/* The same for an operation on dom (verb: "start"). */
int dom_cannot(const hv_domain *dom, const char *verb);

/* What hv_migrate_params holds (migrate_params.c). */
struct hv_migrate_params {
    unsigned flags;             /* HV_MIGRATE_*                        */
    unsigned max_downtime_ms;   /* 0: hvcore's default                 */
    uint64_t bandwidth_mib;     /* MiB/s, 0: unlimited                 */
    unsigned max_iterations;    /* 0: hvcore's default                 */
};

/* The direct driver's hv_conn_shutdown_all (direct_host.c). */
int direct_shutdown_all(hv_conn *conn, int timeout_ms, hv_op *op);

/* A new handle: common fields set, domid HV_DOMID_NONE when not running. */
int dom_new(hv_conn *conn, const char *name, const char *uuid, uint32_t domid,
            hv_domain **out);

/* A list of n zeroed entries (persistent/autostart -1); caller fills. */
int domlist_new(size_t n, hv_domlist **out);
/* Keep the entries that match flags and name_glob (hv_domain_list_filtered). */
void domlist_filter(hv_domlist *list, unsigned flags, const char *name_glob);
/* One entry matches? */
bool info_matches(const hv_domain_info *info, unsigned flags,
                  const char *name_glob);

#endif /* HVCTL_DRIVER_H */
