/*
 * config_validate.c - the semantic checks every config passes before it is
 * formatted or started: what the schema cannot say (ranges that depend on
 * the host and the ABI, relations between fields, what hvcore supports).
 */
#include <string.h>

#include "config.h"
#include "device.h"
#include "public/hvabi.h"
#include "public/layout.h"
#include "public/start_info.h"

_Static_assert(HV_CMDLINE_LEN_MAX + 1 == HV_CMDLINE_MAX,
               "hvctl.h and start_info.h disagree on the command line size");

static int check_memory(const hv_config *cfg, enum cfg_field f, uint64_t mib)
{
    uint64_t host = cfg_host_ram_mib();

    if (mib < HV_MIN_MEMORY_MIB)
        return cfg_err(cfg, f, "%llu MiB is less than the minimum of %llu MiB",
                       (unsigned long long)mib,
                       (unsigned long long)HV_MIN_MEMORY_MIB);
    /* Host first: "more than this host has" is the more useful news. */
    if (mib > host)
        return cfg_err(cfg, f, "%llu MiB is more than this host's RAM "
                       "(%llu MiB)", (unsigned long long)mib,
                       (unsigned long long)host);
    if (mib > HV_MAX_MEMORY_MIB)
        return cfg_err(cfg, f, "%llu MiB is more than the maximum of %llu MiB",
                       (unsigned long long)mib,
                       (unsigned long long)HV_MAX_MEMORY_MIB);
    return 0;
}

/*
 * hvcore's lifecycle options take: --on-poweroff destroy|restart,
 * --on-reboot restart|destroy, --on-crash destroy|restart|preserve.
 */
static int check_action(const hv_config *cfg, int ev)
{
    int act = cfg->actions[ev];

    if (act < HV_ACTION_DESTROY || act > HV_ACTION_PRESERVE)
        return cfg_err(cfg, (enum cfg_field)(F_ON_POWEROFF + ev),
                       "unknown action %d", act);
    if (act == HV_ACTION_PRESERVE && ev != HV_ON_CRASH)
        return cfg_err(cfg, (enum cfg_field)(F_ON_POWEROFF + ev),
                       "'preserve' is only supported for on_crash "
                       "(use destroy or restart)");
    return 0;
}

/*
 * Paths and the command line are text: a control character could not be
 * written out as XML (which has no way to say most of them), and is never
 * what a user meant.
 */
static int check_text(const hv_config *cfg, enum cfg_field f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; s && *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return cfg_err(cfg, f, "holds a control character (byte 0x%02x)",
                           *p);
    return 0;
}

/*
 * The os type and the initrd: an initramfs is for a Linux kernel, so os
 * type pv refuses one; with no type hvcore recognises the kernel and is
 * the judge.
 */
static int check_os(const hv_config *cfg)
{
    if (cfg->os_type < HV_OS_AUTO || cfg->os_type > HV_OS_LINUX)
        return cfg_err(cfg, F_OS_TYPE, "unknown os type %d", cfg->os_type);
    if (cfg->initrd && !*cfg->initrd)
        return cfg_err(cfg, F_INITRD, "is empty");
    if (cfg->initrd && cfg->os_type == HV_OS_PV)
        return cfg_err(cfg, F_INITRD, "os type 'pv' takes no initrd (only "
                       "'linux' does)");
    return 0;
}

int cfg_validate(const hv_config *cfg)
{
    int rc;

    if (!cfg->name)
        return cfg_err(cfg, F_DOMAIN, "no name");
    rc = cfg_check_name(cfg, cfg->name);
    if (rc)
        return rc;
    if ((rc = check_memory(cfg, F_MEMORY, cfg->mem_max_mib)))
        return rc;
    if ((rc = check_memory(cfg, F_CURMEM, cfg->mem_cur_mib)))
        return rc;
    if (cfg->mem_cur_mib > cfg->mem_max_mib)
        return cfg_err(cfg, F_CURMEM, "%llu MiB is more than the %llu MiB of "
                       "memory", (unsigned long long)cfg->mem_cur_mib,
                       (unsigned long long)cfg->mem_max_mib);
    if (cfg->vcpus_max < 1)
        return cfg_err(cfg, F_VCPUS, "0 vCPUs: at least 1 is needed");
    if (cfg->vcpus_max > HV_MAX_VCPUS)
        return cfg_err(cfg, F_VCPUS, "%u vCPUs is more than the limit of %d",
                       cfg->vcpus_max, HV_MAX_VCPUS);
    if (cfg->vcpus_cur < 1)
        return cfg_err(cfg, F_VCPUS_CUR, "current 0: at least 1 vCPU must "
                       "be online");
    if (cfg->vcpus_cur > cfg->vcpus_max)
        return cfg_err(cfg, F_VCPUS_CUR, "current %u is more than the %u "
                       "vCPUs", cfg->vcpus_cur, cfg->vcpus_max);
    if (!cfg->kernel)
        return cfg_err(cfg, F_DOMAIN, "no kernel");
    if (!*cfg->kernel)
        return cfg_err(cfg, F_KERNEL, "is empty");
    if ((rc = check_os(cfg)))
        return rc;
    if (cfg->cmdline && strlen(cfg->cmdline) > HV_CMDLINE_LEN_MAX)
        return cfg_err(cfg, F_CMDLINE, "is %zu bytes, more than %d",
                       strlen(cfg->cmdline), HV_CMDLINE_LEN_MAX);
    for (int ev = HV_ON_POWEROFF; ev <= HV_ON_CRASH; ev++)
        if ((rc = check_action(cfg, ev)))
            return rc;
    if (cfg->console_log && !*cfg->console_log)
        return cfg_err(cfg, F_CONSOLE_LOG, "is empty");
    if ((rc = check_text(cfg, F_KERNEL, cfg->kernel)) ||
        (rc = check_text(cfg, F_INITRD, cfg->initrd)) ||
        (rc = check_text(cfg, F_CMDLINE, cfg->cmdline)) ||
        (rc = check_text(cfg, F_CONSOLE_LOG, cfg->console_log)))
        return rc;
    return cfg_devices_validate(cfg);
}

HV_EXPORT int hv_config_validate(const hv_config *cfg)
{
    if (!cfg)
        return err_set(HV_EINVAL, "config: NULL");
    return cfg_validate(cfg);
}
