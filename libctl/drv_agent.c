/*
 * drv_agent.c - placeholder until the agent driver lands (issue 9).
 */
#include "conn_uri.h"
#include "driver.h"

int agent_open(const struct conn_uri *u, hv_conn **out)
{
    *out = NULL;
    return err_set(HV_ENOTSUP, "connection '%s': the agent driver is not "
                   "built yet", u->canonical);
}

const struct hv_driver drv_agent = { .name = "agent", .cannot = "" };
