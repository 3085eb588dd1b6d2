/*
 * config.h - the domain configuration model shared by the parsers, the
 * formatters, the validator and domain creation.  One definition of each
 * field lives here; everything else maps to and from it.
 */
#ifndef HVCTL_CONFIG_H
#define HVCTL_CONFIG_H

#include "internal.h"

/* Fields, so that an error can say where in the source a value came from. */
enum cfg_field {
    F_DOMAIN, F_NAME, F_UUID, F_MEMORY, F_CURMEM, F_VCPUS, F_VCPUS_CUR,
    F_KERNEL, F_CMDLINE, F_ON_POWEROFF, F_ON_REBOOT, F_ON_CRASH,
    F_CONSOLE_LOG, F_DEVICES, F_OS_TYPE, F_INITRD, F_COUNT
};

enum cfg_syntax { SYN_API, SYN_XML, SYN_JSON };

struct hv_config {
    char *name;
    uint8_t uuid[16];
    char uuid_str[37];
    uint64_t mem_cur_mib, mem_max_mib;
    unsigned vcpus_cur, vcpus_max;
    int os_type;                /* enum hv_os_type                   */
    char *kernel;
    char *initrd;
    char *cmdline;
    char *console_log;
    int actions[3];             /* enum hv_lifecycle_action by event */
    /* Disks and interfaces in the order given (device.h); the formats
     * write the disks first, then the interfaces. */
    hv_device **devices;
    size_t ndevices;

    /* Origin, only for error messages: not part of the value. */
    enum cfg_syntax syntax;
    char *source;
    int line[F_COUNT];
};

/* Spellings of fields and actions in the two syntaxes. */
const char *cfg_xml_label(enum cfg_field f);
const char *cfg_json_label(enum cfg_field f);
const char *cfg_action_name(int action);
int cfg_action_parse(const char *s);        /* -1 if unknown */
/* "pv" or "linux", as <type> and "os.type" spell them: enum hv_os_type
 * (never HV_OS_AUTO, which is no <type> at all), or -1 if unknown. */
int cfg_os_type_parse(const char *s);
const char *cfg_event_key(int ev);          /* "on_poweroff" ... */

/*
 * Record a configuration error about field f, prefixed with where it came
 * from ("web.xml:4: element <memory>: ...").  Returns HV_ECONFIG.
 */
int cfg_err(const hv_config *cfg, enum cfg_field f, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Argument checks shared by the setters, the parsers and the validator. */
int cfg_check_name(const hv_config *cfg, const char *name);

/* Forget where the config came from (it is now the caller's). */
void cfg_set_origin(hv_config *cfg, enum cfg_syntax syn, const char *source);

/* Host RAM in MiB (what memory may not exceed). */
uint64_t cfg_host_ram_mib(void);

/* Parse "256" with a unit into MiB; HV_ECONFIG with a message. */
int cfg_parse_memory(const hv_config *cfg, enum cfg_field f, const char *text,
                     const char *unit, uint64_t *mib);
int cfg_parse_uint(const hv_config *cfg, enum cfg_field f, const char *text,
                   uint64_t max, uint64_t *out);

/* config_validate.c: full check; 0 or HV_ECONFIG. */
int cfg_validate(const hv_config *cfg);

/* Limits of this input format. */
#define CFG_MAX_NESTING 16

#endif /* HVCTL_CONFIG_H */
