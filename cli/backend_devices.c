/*
 * backend_devices.c - a domain's devices through libhvctl: attach,
 * detach, and the running list with counters (hv_devlist).
 */
#include <stdlib.h>

#include "backend_lib.h"

int be_attach_device(struct backend *be, struct cli *cli, const char *ref,
                     hv_device *dev, unsigned flags)
{
    hv_domain *dom;
    int rc;

    if ((rc = lib_resolve(be, cli, ref, &dom)))
        return rc;
    rc = hv_domain_attach_device(dom, dev, flags) ? lib_fail(cli) : EXIT_OK;
    hv_domain_free(dom);
    return rc;
}

int be_detach_device(struct backend *be, struct cli *cli, const char *ref,
                     const char *id, unsigned flags)
{
    hv_domain *dom;
    int rc;

    if ((rc = lib_resolve(be, cli, ref, &dom)))
        return rc;
    rc = hv_domain_detach_device(dom, id, flags) ? lib_fail(cli) : EXIT_OK;
    hv_domain_free(dom);
    return rc;
}

int be_devices(struct backend *be, struct cli *cli, const char *ref,
               hv_devlist **out)
{
    hv_domain *dom;
    int rc;

    *out = NULL;
    if ((rc = lib_resolve(be, cli, ref, &dom)))
        return rc;
    rc = hv_domain_get_devices(dom, 0, out) ? lib_fail(cli) : EXIT_OK;
    hv_domain_free(dom);
    return rc;
}
