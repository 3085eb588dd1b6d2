/*
 * api_xfer.c - the public save, restore and migrate calls: check the
 * arguments, then ask the connection's driver (driver.h), so that every
 * driver refuses a NULL handle, an unknown flag or a missing path in the
 * same words.
 */
#include <stdio.h>
#include <string.h>

#include "domain_int.h"
#include "driver.h"
#include "op.h"

#define SAVE_FLAGS    HV_SAVE_KEEP
#define RESTORE_FLAGS (HV_RESTORE_PAUSED | HV_RESTORE_VERIFY)

/* "domain 'web' (id 3)", or without the id when it does not run. */
static const char *dom_what(const hv_domain *dom, char buf[100])
{
    if (dom->domid == HV_DOMID_NONE)
        snprintf(buf, 100, "domain '%s'", dom->name);
    else
        snprintf(buf, 100, "domain '%s' (id %u)", dom->name, dom->domid);
    return buf;
}

/*
 * A driver without the operation.  One whose `cannot` is empty (the agent
 * driver, which can do everything else) gets words of its own.
 */
static int cannot(hv_conn *conn, const char *what)
{
    if (conn->drv->cannot[0])
        return drv_cannot(conn, what);
    return err_set(HV_ENOTSUP, "%s: not possible through %s: its %s driver "
                   "cannot do it yet", what,
                   conn->uri ? conn->uri : conn->drv->name, conn->drv->name);
}

HV_EXPORT int hv_domain_save(hv_domain *dom, const char *path,
                             unsigned flags, hv_op *op)
{
    char what[100], full[140];

    if (!dom)
        return err_set(HV_EINVAL, "domain: NULL handle");
    dom_what(dom, what);
    if (flags & ~SAVE_FLAGS)
        return err_set(HV_EINVAL, "%s: save: unknown flags %#x", what,
                       flags & ~SAVE_FLAGS);
    if (!path || !*path)
        return err_set(HV_EINVAL, "%s: save: no file name", what);
    if (!dom->conn->drv->save) {
        snprintf(full, sizeof(full), "%s: save", what);
        return cannot(dom->conn, full);
    }
    op_figures_reset(op);
    return dom->conn->drv->save(dom, path, flags, op);
}

HV_EXPORT int hv_domain_restore(hv_conn *conn, const char *path,
                                unsigned flags, hv_domain **out, hv_op *op)
{
    char what[4200];

    if (!out)
        return err_set(HV_EINVAL, "restore: no place for the result");
    *out = NULL;
    if (!conn)
        return err_set(HV_EINVAL, "restore: no connection");
    if (!path || !*path)
        return err_set(HV_EINVAL, "restore: no file name");
    snprintf(what, sizeof(what), "restore from %s", path);
    if (flags & ~RESTORE_FLAGS)
        return err_set(HV_EINVAL, "%s: unknown flags %#x", what,
                       flags & ~RESTORE_FLAGS);
    if (!conn->drv->restore)
        return cannot(conn, what);
    op_figures_reset(op);
    return conn->drv->restore(conn, path, flags, out, op);
}

HV_EXPORT int hv_domain_migrate(hv_domain *dom, const char *dest_uri,
                                const hv_migrate_params *params, hv_op *op)
{
    static const hv_migrate_params defaults;
    char what[100], full[140];

    if (!dom)
        return err_set(HV_EINVAL, "domain: NULL handle");
    dom_what(dom, what);
    if (!dest_uri || !*dest_uri)
        return err_set(HV_EINVAL, "%s: migrate: no destination URI", what);
    if (!dom->conn->drv->migrate) {
        snprintf(full, sizeof(full), "%s: migrate", what);
        return cannot(dom->conn, full);
    }
    op_figures_reset(op);
    return dom->conn->drv->migrate(dom, dest_uri,
                                   params ? params : &defaults, op);
}
