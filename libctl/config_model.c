/*
 * config_model.c - the hv_config object: construction, accessors, and the
 * vocabulary (labels, actions, units) that the XML and JSON sides share.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "device.h"

static const char *const xml_labels[F_COUNT] = {
    [F_DOMAIN] = "domain",         [F_NAME] = "name",
    [F_UUID] = "uuid",             [F_MEMORY] = "memory",
    [F_CURMEM] = "currentMemory",  [F_VCPUS] = "vcpus",
    [F_VCPUS_CUR] = "vcpus",       [F_KERNEL] = "kernel",
    [F_CMDLINE] = "cmdline",       [F_ON_POWEROFF] = "on_poweroff",
    [F_ON_REBOOT] = "on_reboot",   [F_ON_CRASH] = "on_crash",
    [F_CONSOLE_LOG] = "log",       [F_DEVICES] = "devices",
    [F_OS_TYPE] = "type",          [F_INITRD] = "initrd",
};

static const char *const json_labels[F_COUNT] = {
    [F_DOMAIN] = "(top level)",     [F_NAME] = "name",
    [F_UUID] = "uuid",              [F_MEMORY] = "memory.max_mib",
    [F_CURMEM] = "memory.current_mib", [F_VCPUS] = "vcpus.max",
    [F_VCPUS_CUR] = "vcpus.current", [F_KERNEL] = "os.kernel",
    [F_CMDLINE] = "os.cmdline",     [F_ON_POWEROFF] = "on_poweroff",
    [F_ON_REBOOT] = "on_reboot",    [F_ON_CRASH] = "on_crash",
    [F_CONSOLE_LOG] = "devices.console.log",
    [F_DEVICES] = "devices",        [F_OS_TYPE] = "os.type",
    [F_INITRD] = "os.initrd",
};

static const char *const action_names[] = {
    [HV_ACTION_DESTROY] = "destroy",
    [HV_ACTION_RESTART] = "restart",
    [HV_ACTION_PRESERVE] = "preserve",
};

/* By enum hv_os_type; HV_OS_AUTO is no <type>, so it is never parsed. */
static const char *const os_type_names[] = {
    [HV_OS_AUTO] = "auto",
    [HV_OS_PV] = "pv",
    [HV_OS_LINUX] = "linux",
};

static const char *const event_keys[] = {
    [HV_ON_POWEROFF] = "on_poweroff",
    [HV_ON_REBOOT] = "on_reboot",
    [HV_ON_CRASH] = "on_crash",
};

const char *cfg_xml_label(enum cfg_field f)
{
    return xml_labels[f];
}

const char *cfg_json_label(enum cfg_field f)
{
    return json_labels[f];
}

const char *cfg_action_name(int action)
{
    if (action < 0 || action > HV_ACTION_PRESERVE)
        return "unknown";
    return action_names[action];
}

int cfg_action_parse(const char *s)
{
    for (int i = 0; i <= HV_ACTION_PRESERVE; i++)
        if (strcmp(s, action_names[i]) == 0)
            return i;
    return -1;
}

int cfg_os_type_parse(const char *s)
{
    for (int i = HV_OS_PV; i <= HV_OS_LINUX; i++)
        if (strcmp(s, os_type_names[i]) == 0)
            return i;
    return -1;
}

HV_EXPORT const char *hv_os_type_name(int type)
{
    if (type < HV_OS_AUTO || type > HV_OS_LINUX)
        return "unknown";
    return os_type_names[type];
}

const char *cfg_event_key(int ev)
{
    return event_keys[ev];
}

int cfg_err(const hv_config *cfg, enum cfg_field f, const char *fmt, ...)
{
    char cause[384];
    va_list ap;
    const char *src = cfg->source ? cfg->source : "<config>";
    int line = cfg->line[f];

    va_start(ap, fmt);
    vsnprintf(cause, sizeof(cause), fmt, ap);
    va_end(ap);

    if (f == F_DOMAIN && cfg->syntax != SYN_XML) {
        /* The config as a whole: no field to name. */
        if (cfg->syntax == SYN_JSON)
            return err_set(HV_ECONFIG, "%s: %s", src, cause);
        if (cfg->name)
            return err_set(HV_ECONFIG, "config '%s': %s", cfg->name, cause);
        return err_set(HV_ECONFIG, "config: %s", cause);
    }
    switch (cfg->syntax) {
    case SYN_XML:
        if (line > 0)
            return err_set(HV_ECONFIG, "%s:%d: element <%s>: %s", src, line,
                           xml_labels[f], cause);
        return err_set(HV_ECONFIG, "%s: element <%s>: %s", src,
                       xml_labels[f], cause);
    case SYN_JSON:
        if (line > 0)
            return err_set(HV_ECONFIG, "%s:%d: \"%s\": %s", src, line,
                           json_labels[f], cause);
        return err_set(HV_ECONFIG, "%s: \"%s\": %s", src, json_labels[f],
                       cause);
    case SYN_API:
    default:
        if (cfg->name)
            return err_set(HV_ECONFIG, "config '%s': %s: %s", cfg->name,
                           json_labels[f], cause);
        return err_set(HV_ECONFIG, "config: %s: %s", json_labels[f], cause);
    }
}

void cfg_set_origin(hv_config *cfg, enum cfg_syntax syn, const char *source)
{
    free(cfg->source);
    cfg->source = NULL;
    if (source)
        cfg->source = strdup(source);   /* NULL only costs the file name */
    cfg->syntax = syn;
    memset(cfg->line, 0, sizeof(cfg->line));
}

uint64_t cfg_host_ram_mib(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);

    if (pages <= 0 || psz <= 0)
        return UINT64_MAX;  /* unknown: let hvcore be the judge */
    return (uint64_t)pages * (uint64_t)psz / (1024 * 1024);
}

/*
 * Names become a file name under <rundir>/names/ and a word on the CLI, so
 * they are kept to a portable set: the same rule hvcore applies to --name
 * (runtime_check_name), so that a valid config never fails in hvcore.
 */
int cfg_check_name(const hv_config *cfg, const char *name)
{
    size_t len = strlen(name);

    if (len == 0)
        return cfg_err(cfg, F_NAME, "is empty");
    if (len > HV_NAME_MAX)
        return cfg_err(cfg, F_NAME, "is %zu bytes, more than %d", len,
                       HV_NAME_MAX);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (isalnum(c) && c < 0x80)
            continue;
        if (c == '-' || c == '_' || c == '.')
            continue;
        if (c == '/')
            return cfg_err(cfg, F_NAME, "'%s' contains '/'", name);
        if (c < 0x20 || c >= 0x7f)
            return cfg_err(cfg, F_NAME,
                           "contains the byte 0x%02x (allowed: letters, "
                           "digits, '.', '_' and '-')", c);
        return cfg_err(cfg, F_NAME,
                       "'%s' contains '%c' (allowed: letters, digits, "
                       "'.', '_' and '-')", name, c);
    }
    if (name[0] == '.' || name[0] == '-')
        return cfg_err(cfg, F_NAME, "'%s' must not start with '%c'",
                       name, name[0]);
    return 0;
}

int cfg_parse_uint(const hv_config *cfg, enum cfg_field f, const char *text,
                   uint64_t max, uint64_t *out)
{
    const char *p = text;
    uint64_t v = 0;

    while (isspace((unsigned char)*p))
        p++;
    if (!isdigit((unsigned char)*p))
        return cfg_err(cfg, f, "'%s' is not a number", text);
    for (; isdigit((unsigned char)*p); p++) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (max - d) / 10)
            return cfg_err(cfg, f, "'%s' is too large", text);
        v = v * 10 + d;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p)
        return cfg_err(cfg, f, "'%s' is not a number", text);
    *out = v;
    return 0;
}

/* Binary units only, like libvirt's; the default unit is KiB as there. */
int cfg_parse_memory(const hv_config *cfg, enum cfg_field f, const char *text,
                     const char *unit, uint64_t *mib)
{
    static const struct { const char *name; unsigned shift; } units[] = {
        { "b", 0 }, { "bytes", 0 }, { "k", 10 }, { "KiB", 10 },
        { "M", 20 }, { "MiB", 20 }, { "G", 30 }, { "GiB", 30 },
        { "T", 40 }, { "TiB", 40 },
    };
    unsigned shift = 10;
    uint64_t v;
    int rc;

    if (unit) {
        size_t i;
        for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
            if (strcmp(unit, units[i].name) == 0)
                break;
        if (i == sizeof(units) / sizeof(units[0]))
            return cfg_err(cfg, f, "unknown unit '%s' (use KiB, MiB, GiB "
                           "or TiB)", unit);
        shift = units[i].shift;
    }
    rc = cfg_parse_uint(cfg, f, text, UINT64_MAX, &v);
    if (rc)
        return rc;
    if (shift >= 20) {
        if (v > (UINT64_MAX >> (shift - 20)))
            return cfg_err(cfg, f, "'%s' is too large", text);
        *mib = v << (shift - 20);
        return 0;
    }
    if (v & ((1ull << (20 - shift)) - 1))
        return cfg_err(cfg, f, "%s %s is not a whole number of MiB", text,
                       unit ? unit : "KiB");
    *mib = v >> (20 - shift);
    return 0;
}

HV_EXPORT hv_config *hv_config_new(void)
{
    hv_config *cfg = calloc(1, sizeof(*cfg));

    if (!cfg) {
        err_set(HV_ENOMEM, "config: out of memory");
        return NULL;
    }
    cfg->mem_cur_mib = cfg->mem_max_mib = 64;
    cfg->vcpus_cur = cfg->vcpus_max = 1;
    cfg->actions[HV_ON_POWEROFF] = HV_ACTION_DESTROY;
    cfg->actions[HV_ON_REBOOT] = HV_ACTION_RESTART;
    cfg->actions[HV_ON_CRASH] = HV_ACTION_DESTROY;
    if (uuid_generate(cfg->uuid) < 0) {
        free(cfg);
        return NULL;
    }
    uuid_format(cfg->uuid, cfg->uuid_str);
    return cfg;
}

HV_EXPORT void hv_config_free(hv_config *cfg)
{
    if (!cfg)
        return;
    free(cfg->name);
    free(cfg->kernel);
    free(cfg->initrd);
    free(cfg->cmdline);
    free(cfg->console_log);
    free(cfg->source);
    cfg_devices_free(cfg);
    free(cfg);
}

HV_EXPORT hv_config *hv_config_copy(const hv_config *cfg)
{
    hv_config *c;

    if (!cfg) {
        err_set(HV_EINVAL, "config: NULL");
        return NULL;
    }
    c = malloc(sizeof(*c));
    if (!c)
        goto nomem;
    *c = *cfg;
    c->name = xstrdup_or_null(cfg->name);
    c->kernel = xstrdup_or_null(cfg->kernel);
    c->initrd = xstrdup_or_null(cfg->initrd);
    c->cmdline = xstrdup_or_null(cfg->cmdline);
    c->console_log = xstrdup_or_null(cfg->console_log);
    c->source = xstrdup_or_null(cfg->source);
    if (cfg_devices_copy(c, cfg) < 0) {
        c->devices = NULL;
        c->ndevices = 0;
        hv_config_free(c);
        goto nomem;
    }
    if ((cfg->name && !c->name) || (cfg->kernel && !c->kernel) ||
        (cfg->initrd && !c->initrd) || (cfg->cmdline && !c->cmdline) ||
        (cfg->console_log && !c->console_log) ||
        (cfg->source && !c->source)) {
        hv_config_free(c);
        goto nomem;
    }
    return c;
nomem:
    err_set(HV_ENOMEM, "config: out of memory");
    return NULL;
}

/* Replace *slot by a copy of s (NULL allowed when `nullable`). */
static int set_string(hv_config *cfg, char **slot, const char *s,
                      enum cfg_field f)
{
    char *copy = NULL;

    if (s) {
        copy = strdup(s);
        if (!copy)
            return err_set(HV_ENOMEM, "config: out of memory");
    }
    free(*slot);
    *slot = copy;
    cfg->line[f] = 0;
    return 0;
}

#define CHECK_CFG(cfg)                                                       \
    do {                                                                     \
        if (!(cfg))                                                          \
            return err_set(HV_EINVAL, "config: NULL");                       \
    } while (0)

HV_EXPORT int hv_config_set_name(hv_config *cfg, const char *name)
{
    int rc;

    CHECK_CFG(cfg);
    if (!name)
        return err_set(HV_EINVAL, "config: name is NULL");
    {
        /* Blame the caller, not the file the config was read from. */
        enum cfg_syntax syn = cfg->syntax;
        cfg->syntax = SYN_API;
        rc = cfg_check_name(cfg, name);
        cfg->syntax = syn;
    }
    if (rc)
        return err_set(HV_EINVAL, "%s", hv_last_error());
    return set_string(cfg, &cfg->name, name, F_NAME);
}

HV_EXPORT const char *hv_config_get_name(const hv_config *cfg)
{
    return cfg ? cfg->name : NULL;
}

HV_EXPORT int hv_config_set_uuid(hv_config *cfg, const char *uuid)
{
    uint8_t u[16];

    CHECK_CFG(cfg);
    if (!uuid_parse(uuid, u))
        return err_set(HV_EINVAL, "config: uuid '%s' is not of the form "
                       "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx",
                       uuid ? uuid : "(null)");
    memcpy(cfg->uuid, u, 16);
    uuid_format(u, cfg->uuid_str);
    cfg->line[F_UUID] = 0;
    return 0;
}

HV_EXPORT const char *hv_config_get_uuid(const hv_config *cfg)
{
    return cfg ? cfg->uuid_str : NULL;
}

HV_EXPORT int hv_config_set_memory(hv_config *cfg, uint64_t current_mib,
                                   uint64_t max_mib)
{
    CHECK_CFG(cfg);
    cfg->mem_cur_mib = current_mib;
    cfg->mem_max_mib = max_mib;
    cfg->line[F_MEMORY] = cfg->line[F_CURMEM] = 0;
    return 0;
}

HV_EXPORT int hv_config_get_memory(const hv_config *cfg, uint64_t *current_mib,
                                   uint64_t *max_mib)
{
    CHECK_CFG(cfg);
    if (current_mib)
        *current_mib = cfg->mem_cur_mib;
    if (max_mib)
        *max_mib = cfg->mem_max_mib;
    return 0;
}

HV_EXPORT int hv_config_set_vcpus(hv_config *cfg, unsigned current,
                                  unsigned max)
{
    CHECK_CFG(cfg);
    cfg->vcpus_cur = current;
    cfg->vcpus_max = max;
    cfg->line[F_VCPUS] = cfg->line[F_VCPUS_CUR] = 0;
    return 0;
}

HV_EXPORT int hv_config_get_vcpus(const hv_config *cfg, unsigned *current,
                                  unsigned *max)
{
    CHECK_CFG(cfg);
    if (current)
        *current = cfg->vcpus_cur;
    if (max)
        *max = cfg->vcpus_max;
    return 0;
}

HV_EXPORT int hv_config_set_kernel(hv_config *cfg, const char *path)
{
    CHECK_CFG(cfg);
    if (!path || !*path)
        return err_set(HV_EINVAL, "config: kernel path is empty");
    return set_string(cfg, &cfg->kernel, path, F_KERNEL);
}

HV_EXPORT const char *hv_config_get_kernel(const hv_config *cfg)
{
    return cfg ? cfg->kernel : NULL;
}

HV_EXPORT int hv_config_set_os_type(hv_config *cfg, enum hv_os_type type)
{
    CHECK_CFG(cfg);
    if ((int)type < HV_OS_AUTO || type > HV_OS_LINUX)
        return err_set(HV_EINVAL, "config: unknown os type %d", (int)type);
    cfg->os_type = (int)type;
    cfg->line[F_OS_TYPE] = 0;
    return 0;
}

HV_EXPORT int hv_config_get_os_type(const hv_config *cfg)
{
    CHECK_CFG(cfg);
    return cfg->os_type;
}

HV_EXPORT int hv_config_set_initrd(hv_config *cfg, const char *path)
{
    CHECK_CFG(cfg);
    if (path && !*path)
        return err_set(HV_EINVAL, "config: initrd path is empty");
    return set_string(cfg, &cfg->initrd, path, F_INITRD);
}

HV_EXPORT const char *hv_config_get_initrd(const hv_config *cfg)
{
    return cfg ? cfg->initrd : NULL;
}

HV_EXPORT int hv_config_set_cmdline(hv_config *cfg, const char *cmdline)
{
    CHECK_CFG(cfg);
    if (cmdline && strlen(cmdline) > HV_CMDLINE_LEN_MAX)
        return err_set(HV_EINVAL, "config: command line is %zu bytes, more "
                       "than %d", strlen(cmdline), HV_CMDLINE_LEN_MAX);
    return set_string(cfg, &cfg->cmdline, cmdline, F_CMDLINE);
}

HV_EXPORT const char *hv_config_get_cmdline(const hv_config *cfg)
{
    return cfg ? cfg->cmdline : NULL;
}

HV_EXPORT int hv_config_set_action(hv_config *cfg, enum hv_lifecycle_event ev,
                                   enum hv_lifecycle_action act)
{
    CHECK_CFG(cfg);
    if ((int)ev < HV_ON_POWEROFF || ev > HV_ON_CRASH)
        return err_set(HV_EINVAL, "config: unknown lifecycle event %d",
                       (int)ev);
    if ((int)act < HV_ACTION_DESTROY || act > HV_ACTION_PRESERVE)
        return err_set(HV_EINVAL, "config: unknown lifecycle action %d",
                       (int)act);
    cfg->actions[ev] = (int)act;
    cfg->line[F_ON_POWEROFF + ev] = 0;
    return 0;
}

HV_EXPORT int hv_config_get_action(const hv_config *cfg,
                                   enum hv_lifecycle_event ev)
{
    CHECK_CFG(cfg);
    if ((int)ev < HV_ON_POWEROFF || ev > HV_ON_CRASH)
        return err_set(HV_EINVAL, "config: unknown lifecycle event %d",
                       (int)ev);
    return cfg->actions[ev];
}

HV_EXPORT int hv_config_set_console_log(hv_config *cfg, const char *path)
{
    CHECK_CFG(cfg);
    if (path && !*path)
        return err_set(HV_EINVAL, "config: console log path is empty");
    return set_string(cfg, &cfg->console_log, path, F_CONSOLE_LOG);
}

HV_EXPORT const char *hv_config_get_console_log(const hv_config *cfg)
{
    return cfg ? cfg->console_log : NULL;
}
