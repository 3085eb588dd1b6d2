/*
 * migrate_params.c - hv_migrate_params, the options of hv_domain_migrate:
 * an opaque object with setters, so that a parameter can be added without
 * a new migrate call or a struct the caller would have to size.
 */
#include <stdlib.h>

#include "driver.h"

#define KNOWN_FLAGS (HV_MIGRATE_LIVE | HV_MIGRATE_PAUSED | \
                     HV_MIGRATE_PERSIST | HV_MIGRATE_UNDEFINE_SOURCE)
/* What fits hvcore's bytes/s field with room to spare (1 EiB/s). */
#define BANDWIDTH_MAX_MIB (UINT64_C(1) << 40)

HV_EXPORT hv_migrate_params *hv_migrate_params_new(void)
{
    hv_migrate_params *p = calloc(1, sizeof(*p));

    if (!p)
        err_set(HV_ENOMEM, "migration parameters: out of memory");
    return p;
}

HV_EXPORT void hv_migrate_params_free(hv_migrate_params *params)
{
    free(params);
}

HV_EXPORT int hv_migrate_params_set_flags(hv_migrate_params *params,
                                          unsigned flags)
{
    if (!params)
        return err_set(HV_EINVAL, "migration parameters: NULL handle");
    if (flags & ~KNOWN_FLAGS)
        return err_set(HV_EINVAL, "migration parameters: unknown flags %#x",
                       flags & ~KNOWN_FLAGS);
    params->flags = flags;
    return 0;
}

HV_EXPORT int hv_migrate_params_set_max_downtime_ms(hv_migrate_params *params,
                                                    unsigned ms)
{
    if (!params)
        return err_set(HV_EINVAL, "migration parameters: NULL handle");
    params->max_downtime_ms = ms;
    return 0;
}

HV_EXPORT int hv_migrate_params_set_bandwidth(hv_migrate_params *params,
                                              uint64_t mib_per_s)
{
    if (!params)
        return err_set(HV_EINVAL, "migration parameters: NULL handle");
    if (mib_per_s > BANDWIDTH_MAX_MIB)
        return err_set(HV_EINVAL, "migration parameters: bandwidth %llu "
                       "MiB/s is out of range (0 to %llu)",
                       (unsigned long long)mib_per_s,
                       (unsigned long long)BANDWIDTH_MAX_MIB);
    params->bandwidth_mib = mib_per_s;
    return 0;
}

HV_EXPORT int hv_migrate_params_set_max_iterations(hv_migrate_params *params,
                                                   unsigned n)
{
    if (!params)
        return err_set(HV_EINVAL, "migration parameters: NULL handle");
    params->max_iterations = n;
    return 0;
}
