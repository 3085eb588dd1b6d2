/*
 * api_host.c - the calls on a connection as a whole: shutting every
 * domain down, and the version of the agent behind it.
 */
#include "domain_int.h"
#include "driver.h"

HV_EXPORT int hv_conn_shutdown_all(hv_conn *conn, int timeout_ms,
                                   unsigned flags, hv_op *op)
{
    if (!conn)
        return err_set(HV_EINVAL, "host shutdown: no connection");
    if (flags)
        return err_set(HV_EINVAL, "host shutdown: unknown flags %#x", flags);
    if (!conn->drv->shutdown_all)
        return drv_cannot(conn, "host shutdown");
    return conn->drv->shutdown_all(conn, timeout_ms, op);
}

HV_EXPORT int hv_conn_get_agent_version(hv_conn *conn, char **out)
{
    if (!out)
        return err_set(HV_EINVAL, "agent version: no place for the result");
    *out = NULL;
    if (!conn)
        return err_set(HV_EINVAL, "agent version: no connection");
    if (!conn->drv->agent_version)
        return drv_cannot(conn, "agent version");
    return conn->drv->agent_version(conn, out);
}
