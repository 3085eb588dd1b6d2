/*
 * compat.c - the HVCTL_0.1 forms of the calls that took `flags` in
 * HVCTL_0.4.
 *
 * A program linked against libhvctl 0.1 calls hv_domain_pause@HVCTL_0.1
 * with one argument; the same name in hvctl.h is now
 * hv_domain_pause@@HVCTL_0.4 with two.  Both live in libhvctl.so.0, so
 * old binaries keep working without a new SONAME (the way glibc and
 * libvirt grow a signature).  Nothing new should call these.
 */
#include "internal.h"

/*
 * Bind name_0_1 to name@HVCTL_0.1, the version old binaries ask for.
 * api_domain.c binds name itself to name@@HVCTL_0.4, the default.
 */
#ifdef PIC   /* the shared library (libtool); a static link has no versions */
#define COMPAT(name) __asm__(".symver " #name "_0_1, " #name "@HVCTL_0.1")
#else
#define COMPAT(name) struct hv_unused_##name
#endif

COMPAT(hv_domain_pause);
COMPAT(hv_domain_unpause);
COMPAT(hv_domain_reboot);
COMPAT(hv_domain_destroy);
COMPAT(hv_domain_set_memory);
COMPAT(hv_domain_shutdown);

/* Declared here only: they are not part of hvctl.h. */
HV_EXPORT int hv_domain_pause_0_1(hv_domain *dom);
HV_EXPORT int hv_domain_unpause_0_1(hv_domain *dom);
HV_EXPORT int hv_domain_reboot_0_1(hv_domain *dom);
HV_EXPORT int hv_domain_destroy_0_1(hv_domain *dom);
HV_EXPORT int hv_domain_set_memory_0_1(hv_domain *dom, uint64_t target_mib);
HV_EXPORT int hv_domain_shutdown_0_1(hv_domain *dom, int timeout_ms,
                                     hv_op *op);

HV_EXPORT int hv_domain_pause_0_1(hv_domain *dom)
{
    return hv_domain_pause(dom, 0);
}

HV_EXPORT int hv_domain_unpause_0_1(hv_domain *dom)
{
    return hv_domain_unpause(dom, 0);
}

HV_EXPORT int hv_domain_reboot_0_1(hv_domain *dom)
{
    return hv_domain_reboot(dom, 0);
}

HV_EXPORT int hv_domain_destroy_0_1(hv_domain *dom)
{
    return hv_domain_destroy(dom, 0);
}

HV_EXPORT int hv_domain_set_memory_0_1(hv_domain *dom, uint64_t target_mib)
{
    return hv_domain_set_memory(dom, target_mib, 0);
}

HV_EXPORT int hv_domain_shutdown_0_1(hv_domain *dom, int timeout_ms,
                                     hv_op *op)
{
    return hv_domain_shutdown(dom, timeout_ms, 0, op);
}
