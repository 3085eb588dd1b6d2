/*
 * hvctl.h - libhvctl, the stable C API of the hvctl toolstack.
 *
 * API STABILITY
 * -------------
 * This header is the whole contract between libhvctl and the programs that
 * embed it (the hvctl CLI, the hvctld agent, and anyone else).  Within one
 * SONAME (libhvctl.so.0):
 *
 *  - every function declared here keeps its signature and meaning; new
 *    functions are added under a new symbol-version node and announced by a
 *    HV_HAVE_<FEATURE> macro, so a caller can write
 *        #ifdef HV_HAVE_EVENTS ... #endif
 *    and still build against an older libhvctl;
 *  - enum values and error codes are never renumbered; new ones may appear,
 *    so a caller must tolerate values it does not know;
 *  - there is no struct here that a caller allocates, embeds or copies:
 *    every object is an opaque handle made by a *_new / *_open / *_create /
 *    *_lookup_* / *_get_* function and released by exactly one *_free.
 *    That is what lets an object grow without breaking old binaries.
 *
 * HV_API_VERSION is (major << 16 | minor << 8 | micro) of this header.
 *
 * OWNERSHIP
 * ---------
 * A function that hands out an object or a string (`**out`, or a returned
 * `char *`) transfers ownership to the caller, who releases it with the
 * matching *_free (strings with free(3)).  Pointers returned as `const`
 * are BORROWED: they stay valid until the owning object is freed or, where
 * stated, until the next call on it.  The library never keeps a pointer
 * the caller passed in after the call returns.
 *
 * ERRORS
 * ------
 * Functions return 0 (or a count) on success and a negative HV_E* code on
 * failure.  After a failure, hv_last_error() returns a one-line message that
 * names the object and the cause, e.g.
 *     domain 'web' (id 3): already paused
 *     web.xml:4: element <memory>: 0 MiB is less than the minimum of 2 MiB
 * The message is kept per thread.  The library never aborts, never writes to
 * stdout/stderr and never installs signal handlers.
 *
 * THREADS
 * -------
 * Every call is thread-safe.  An hv_conn may be shared by any number of
 * threads; calls on one hv_domain or one hv_events are serialised inside
 * the library.  A handle must not be freed while another thread uses it.
 */
#ifndef HVCTL_H
#define HVCTL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HV_API_VERSION 0x000700   /* 0.7.0 */

/* Feature macros: each names something a caller may test for. */
#define HV_HAVE_CONFIG_XML      1 /* hv_config_from_xml / hv_config_to_xml    */
#define HV_HAVE_CONFIG_JSON     1 /* hv_config_from_json / hv_config_to_json  */
#define HV_HAVE_DOMAIN_LIFECYCLE 1 /* create/pause/unpause/shutdown/reboot/destroy */
#define HV_HAVE_DOMAIN_LOOKUP   1 /* by name, domid and uuid                  */
#define HV_HAVE_DOMAIN_LIST     1 /* hv_domain_list                            */
#define HV_HAVE_MEMORY_TARGET   1 /* hv_domain_set_memory                      */
#define HV_HAVE_CONSOLE         1 /* hv_domain_console_open                   */
#define HV_HAVE_EVENTS          1 /* hv_events_open / hv_event_next           */
#define HV_HAVE_OP              1 /* hv_op: progress + cancellation           */
#define HV_HAVE_DOMAIN_GET_CONFIG 1 /* hv_domain_get_config (HVCTL_0.2)      */
/* hv_domain_info_get_figures_known (HVCTL_0.3) */
#define HV_HAVE_DOMAIN_INFO_FIGURES_KNOWN 1
/* Since HVCTL_0.4: */
#define HV_HAVE_CONN_URI        1 /* hv_conn_open_uri, drivers                */
#define HV_HAVE_DOMAIN_DEFINE   1 /* define/undefine/start/autostart/definition */
#define HV_HAVE_DOMAIN_LIST_FILTERED 1 /* hv_domain_list_filtered             */
#define HV_HAVE_OP_FLAGS        1 /* `flags` on pause ... shutdown            */
#define HV_HAVE_REASONS         1 /* hv_reason, hv_cause on infos and events   */
#define HV_HAVE_DOMAIN_STATS    1 /* exit and event counters in hv_domain_info */
#define HV_HAVE_HOST_SHUTDOWN   1 /* hv_conn_shutdown_all                     */
#define HV_HAVE_AGENT_VERSION   1 /* hv_conn_get_agent_version                */
#define HV_HAVE_CREATE_PAUSED   1 /* HV_CREATE_PAUSED                          */
/* Since HVCTL_0.5: */
#define HV_HAVE_SAVE_RESTORE    1 /* hv_domain_save / hv_domain_restore       */
#define HV_HAVE_MIGRATE         1 /* hv_domain_migrate, hv_migrate_params     */
#define HV_HAVE_URI_REDACT      1 /* hv_uri_redact                            */
#define HV_HAVE_OP_FIGURES      1 /* hv_op_get_figure: transfer figures       */
/* Since HVCTL_0.6: */
#define HV_HAVE_DEVICES         1 /* hv_device, disks and interfaces          */
/* Since HVCTL_0.7: */
#define HV_HAVE_LINUX_GUEST     1 /* os type (pv, linux) and initrd           */

/* Error codes: always negative, never renumbered. */
enum {
    HV_OK        =   0,
    HV_EINVAL    =  -1,  /* bad argument (NULL handle, bad flag, bad value) */
    HV_ENOMEM    =  -2,  /* out of memory                                   */
    HV_ENOENT    =  -3,  /* no such domain                                  */
    HV_EEXIST    =  -4,  /* name already in use                             */
    HV_ESTATE    =  -5,  /* domain is in the wrong state for this           */
    HV_ECONFIG   =  -6,  /* configuration is malformed or invalid           */
    HV_EIO       =  -7,  /* system call or I/O failure                      */
    HV_EPERM     =  -8,  /* permission denied                               */
    HV_ETIMEDOUT =  -9,  /* the wait timed out                              */
    HV_EPROTO    = -10,  /* hvcore spoke an unexpected protocol or version  */
    HV_ENOTSUP   = -11,  /* not supported by this hvcore or domain          */
    HV_ESPAWN    = -12,  /* hvcore failed to start the domain               */
    HV_ECANCELED = -13,  /* cancelled through hv_op_cancel                  */
    HV_EAGAIN    = -14,  /* nothing to return yet (hv_event_next)           */
    HV_EDEAD     = -15,  /* the domain's hvcore died; entry cleaned         */
    HV_ESTREAM   = -16,  /* a save file or migration stream was refused
                            (0.5)                                           */
};

/* Static English description of a code ("no such domain"). */
const char *hv_strerror(int code);

/*
 * The message of the last failure on this thread (never NULL; "" if none).
 * Borrowed: valid until the next libhvctl call on this thread.
 */
const char *hv_last_error(void);
/* The code of the last failure on this thread (0 if none). */
int hv_last_error_code(void);

/* Version of the library actually loaded, as HV_API_VERSION. */
unsigned hv_version(void);

/* ------------------------------------------------------------------------
 * Domain configuration
 *
 * One model, read and written as XML (man hvctl.xml(5)) or JSON.  Parsing
 * validates fully (RelaxNG schema, then semantic checks); format(parse(x))
 * is stable, and XML -> JSON -> XML loses nothing.
 */
typedef struct hv_config hv_config;

enum hv_lifecycle_event {
    HV_ON_POWEROFF = 0,
    HV_ON_REBOOT   = 1,
    HV_ON_CRASH    = 2,
};

enum hv_lifecycle_action {
    HV_ACTION_DESTROY  = 0,
    HV_ACTION_RESTART  = 1,
    HV_ACTION_PRESERVE = 2,
};

/* Limits of the model (also checked by hv_config_validate). */
#define HV_NAME_MAX       63    /* bytes, excluding the NUL */
#define HV_CMDLINE_LEN_MAX 1023
#define HV_CONFIG_SIZE_MAX (1024 * 1024) /* largest XML/JSON text accepted */

/*
 * A new configuration with defaults (no name, no kernel, 64 MiB, 1 vCPU,
 * on_poweroff destroy, on_reboot restart, on_crash destroy, a fresh random
 * uuid).  Returns NULL only when out of memory.  Caller frees.
 */
hv_config *hv_config_new(void);
void hv_config_free(hv_config *cfg);
/* A deep copy; NULL when out of memory.  Caller frees. */
hv_config *hv_config_copy(const hv_config *cfg);

/*
 * Parse text (len bytes, need not be NUL-terminated).  `source` names the
 * text in error messages (a file name; NULL means "<config>").  On success
 * *out is a validated config the caller frees; on failure *out is NULL.
 */
int hv_config_from_xml(const char *text, size_t len, const char *source,
                       hv_config **out);
int hv_config_from_json(const char *text, size_t len, const char *source,
                        hv_config **out);
/* Read a file; XML or JSON is told apart by its first non-blank byte. */
int hv_config_load_file(const char *path, hv_config **out);

/*
 * Format a config.  On success *out is a NUL-terminated string the caller
 * frees with free(3).  Fails with HV_ECONFIG if the config is not valid.
 */
int hv_config_to_xml(const hv_config *cfg, char **out);
int hv_config_to_json(const hv_config *cfg, char **out);

/* Full validation (what create does first); 0 or HV_ECONFIG. */
int hv_config_validate(const hv_config *cfg);

/*
 * Accessors.  Setters copy their argument and check it on its own (a name
 * with '/' is refused at once); checks that relate fields (current <= max)
 * run in hv_config_validate.  Getters return borrowed strings, NULL if unset.
 */
int hv_config_set_name(hv_config *cfg, const char *name);
const char *hv_config_get_name(const hv_config *cfg);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", lower or upper case hex. */
int hv_config_set_uuid(hv_config *cfg, const char *uuid);
const char *hv_config_get_uuid(const hv_config *cfg);
int hv_config_set_memory(hv_config *cfg, uint64_t current_mib, uint64_t max_mib);
int hv_config_get_memory(const hv_config *cfg, uint64_t *current_mib,
                         uint64_t *max_mib);
int hv_config_set_vcpus(hv_config *cfg, unsigned current, unsigned max);
int hv_config_get_vcpus(const hv_config *cfg, unsigned *current, unsigned *max);
int hv_config_set_kernel(hv_config *cfg, const char *path);
const char *hv_config_get_kernel(const hv_config *cfg);
/* NULL clears the command line. */
int hv_config_set_cmdline(hv_config *cfg, const char *cmdline);
const char *hv_config_get_cmdline(const hv_config *cfg);
int hv_config_set_action(hv_config *cfg, enum hv_lifecycle_event ev,
                         enum hv_lifecycle_action act);
/* Returns the action (>= 0) or HV_EINVAL for an unknown event. */
int hv_config_get_action(const hv_config *cfg, enum hv_lifecycle_event ev);
/* File that receives the guest console output; NULL clears it. */
int hv_config_set_console_log(hv_config *cfg, const char *path);
const char *hv_config_get_console_log(const hv_config *cfg);

/*
 * The guest ABI of the kernel (since HVCTL_0.7, HV_HAVE_LINUX_GUEST), as
 * libvirt configures Xen PV domains: <os><type>linux</type> in XML,
 * "os": {"type": "linux"} in JSON.  HV_OS_AUTO (no <type>, the default)
 * leaves it to hvcore, which recognises a kernel with Xen ELF notes, or a
 * bzImage, as linux and anything else as pv.
 */
enum hv_os_type {
    HV_OS_AUTO  = 0,    /* recognised by hvcore from the kernel file     */
    HV_OS_PV    = 1,    /* "pv": hvcore's own ABI (pvboot)               */
    HV_OS_LINUX = 2,    /* "linux": the Xen PV ABI (stock Linux kernels) */
};
/* "auto", "pv", "linux", or "unknown" for any other value. */
const char *hv_os_type_name(int type);
/* HV_EINVAL for a value that is not an enum hv_os_type. */
int hv_config_set_os_type(hv_config *cfg, enum hv_os_type type);
/* Returns the type (>= 0), or HV_EINVAL for a NULL config. */
int hv_config_get_os_type(const hv_config *cfg);
/*
 * The initramfs the kernel is given (since HVCTL_0.7): a path as for the
 * kernel; NULL clears it, "" is HV_EINVAL.  Only a linux guest takes one:
 * with os type pv, hv_config_validate refuses it (with HV_OS_AUTO it is
 * passed on and hvcore decides).
 */
int hv_config_set_initrd(hv_config *cfg, const char *path);
const char *hv_config_get_initrd(const hv_config *cfg);

/* ------------------------------------------------------------------------
 * Devices: disks and network interfaces (since HVCTL_0.6, HV_HAVE_DEVICES)
 *
 * Split drivers on virtio and vhost-user (docs/devices.md): the guest's
 * front end talks to a back end process, the in-tree hvblk or hvnet, or
 * any vhost-user back end listening on a Unix socket.  A device is written
 * as one libvirt-shaped element (man hvctl.xml(5), DEVICES):
 *
 *   <disk type="file" device="disk"><source file="/srv/web.img"/>
 *     <target dev="vda" bus="virtio"/><readonly/></disk>
 *   <interface type="bridge"><source bridge="br0"/>
 *     <mac address="52:54:00:12:34:56"/></interface>
 *
 * or as JSON, {"disk": {...}} or {"interface": {...}}.  A disk's id is its
 * target dev; an interface's is its alias name, "net<N>" (the lowest N
 * free) when it has none.  An interface without a MAC is given
 * 52:54:00:xx:xx:xx (three random bytes) when it joins a config (parsed
 * or hv_config_add_device) or a running domain; a stored definition keeps
 * it, so the guest sees the same address at every start.
 */
typedef struct hv_device hv_device;

enum hv_device_type {
    HV_DEVICE_DISK      = 1,
    HV_DEVICE_INTERFACE = 2,
};

/* Disks and interfaces one domain may have (its device page's slots). */
#define HV_DEVICES_MAX 16

/*
 * Parse one <disk> or <interface> element, or its JSON.  `source` names
 * the text in messages (NULL: "<device>").  Validated as in a config.
 * The caller frees *out with hv_device_free.
 */
int hv_device_from_xml(const char *text, size_t len, const char *source,
                       hv_device **out);
int hv_device_from_json(const char *text, size_t len, const char *source,
                        hv_device **out);
/* The element (or JSON object) with a newline; caller frees. */
int hv_device_to_xml(const hv_device *dev, char **out);
int hv_device_to_json(const hv_device *dev, char **out);
/* A deep copy; NULL when out of memory. */
hv_device *hv_device_copy(const hv_device *dev);
/* Frees dev; NULL is allowed. */
void hv_device_free(hv_device *dev);

/* HV_DEVICE_DISK or HV_DEVICE_INTERFACE. */
int hv_device_get_type(const hv_device *dev);
/* Borrowed.  NULL for an interface without alias not yet in a config. */
const char *hv_device_get_id(const hv_device *dev);
/* "file", "block", "vhostuser" (disks); "bridge", "ethernet", "vhostuser"
 * (interfaces).  Borrowed. */
const char *hv_device_get_source_type(const hv_device *dev);
/* The file, block device, socket path or bridge; NULL for ethernet. */
const char *hv_device_get_source(const hv_device *dev);
/* A disk's target dev (its id), an interface's tap device (or NULL). */
const char *hv_device_get_target(const hv_device *dev);
/* An interface's MAC, lower case, or NULL (not given yet; disks). */
const char *hv_device_get_mac(const hv_device *dev);
/* 1 for a read-only disk, 0 otherwise. */
int hv_device_is_readonly(const hv_device *dev);

/*
 * A config's devices, in the order they were added (the formats write
 * the disks first).  hv_config_device_count returns the count (>= 0);
 * hv_config_get_device the device at index, or NULL past the end;
 * hv_config_find_device the one with that id, or NULL.  Borrowed: valid
 * until the config changes or is freed.
 */
int hv_config_device_count(const hv_config *cfg);
const hv_device *hv_config_get_device(const hv_config *cfg, unsigned index);
const hv_device *hv_config_find_device(const hv_config *cfg, const char *id);
/*
 * Add a copy of dev (an interface is given its MAC and id if it has
 * none).  HV_ECONFIG when the config would be invalid: more than
 * HV_DEVICES_MAX devices, an id or tap name already used.
 */
int hv_config_add_device(hv_config *cfg, const hv_device *dev);
/* HV_ENOENT when no device has that id. */
int hv_config_remove_device(hv_config *cfg, const char *id);

/* ------------------------------------------------------------------------
 * Connection: one host's runtime directory.
 */
typedef struct hv_conn hv_conn;

/*
 * Open the runtime directory `rundir`; NULL means $HVCTL_RUNDIR, else
 * /run/hvctl.  Nothing is created: a directory that does not exist holds
 * no domains, and is created by hv_domain_create and hv_events_open; a
 * path that is not a directory is an error.  Caller frees *out with
 * hv_conn_free, after every hv_domain and hv_events made from it.
 */
int hv_conn_open(const char *rundir, hv_conn **out);
void hv_conn_free(hv_conn *conn);
/*
 * Borrowed; absolute path of the runtime directory.  NULL for a
 * connection to another host's agent (https://, http://).
 */
const char *hv_conn_get_rundir(const hv_conn *conn);

/*
 * Open a connection named by a URI (man libhvctl(3), CONNECTION URIS):
 *
 *   hvctl:///system    this host: its agent (hvctld) when the agent's
 *                      socket <rundir>/hvctld.sock answers, otherwise the
 *                      runtime directory directly.  The runtime directory
 *                      is $HVCTL_RUNDIR, else /run/hvctl.  The query
 *                      parameter driver=agent or driver=direct forces one.
 *   unix:///PATH       the agent listening on the Unix socket PATH.
 *   https://HOST:PORT  an agent over TLS.  Query parameters cacert=FILE,
 *                      cert=FILE, key=FILE and token=TOKEN (else
 *                      $HVCTL_TOKEN) give the credentials.
 *   http://127.0.0.1:PORT (or [::1], localhost)  an agent started with
 *                      --insecure; any other host is refused.
 *
 * NULL or "" means hvctl:///system.  The direct driver runs transient
 * domains through hvcore; the agent drivers add persistent definitions
 * (hv_domain_define and the calls after it) and see the same domains.  A
 * call a driver cannot do fails with HV_ENOTSUP and a message naming the
 * connection that can.  Remote URIs load libhvctl's HTTP driver module
 * on first use ($HVCTL_DRIVER_DIR, else where it was installed).
 * flags must be 0.  Caller frees *out with hv_conn_free.  Since HVCTL_0.4.
 */
int hv_conn_open_uri(const char *uri, unsigned flags, hv_conn **out);
/* Borrowed: the URI the connection was opened with, made canonical
 * ("hvctl:///system", "unix:///run/hvctl/hvctld.sock", ...).  Since 0.4. */
const char *hv_conn_get_uri(const hv_conn *conn);

/*
 * uri as a message or a log may show it: the value of a token= query
 * parameter is a credential and becomes "***", as in every message of
 * libhvctl.  Writes a NUL-terminated string of at most size bytes to out
 * (cut short if it does not fit).  Since 0.5 (HV_HAVE_URI_REDACT).
 */
void hv_uri_redact(const char *uri, char *out, size_t size);
/* Borrowed: the driver that serves it: "direct" or "agent".  Since 0.4. */
const char *hv_conn_get_driver(const hv_conn *conn);
/*
 * The version of the agent that serves conn ("0.1.0"), as *out, which
 * the caller frees; HV_ENOTSUP on a direct connection.  Since 0.4.
 */
int hv_conn_get_agent_version(hv_conn *conn, char **out);

/* ------------------------------------------------------------------------
 * Long operations: progress and cancellation.
 *
 * Functions that may wait take an `hv_op *` (NULL = just wait).  The
 * callback, if any, runs in the calling thread with a short description of
 * the step and a fraction in [0, 1] (or -1 when unknown).  hv_op_cancel may
 * be called from any thread (or a signal handler: it only writes to an
 * eventfd); the operation then returns HV_ECANCELED as soon as it can.
 */
typedef struct hv_op hv_op;
typedef void (*hv_progress_fn)(const char *step, double fraction, void *opaque);

/* NULL when out of memory (or no eventfd); caller frees. */
hv_op *hv_op_new(hv_progress_fn fn, void *opaque);
void hv_op_cancel(hv_op *op);
void hv_op_free(hv_op *op);

/*
 * Figures of a save or a migration (since 0.5, HV_HAVE_OP_FIGURES), read
 * from the hv_op it was given: in the progress callback for the latest
 * progress, and after the call has returned for the outcome's (total
 * time, downtime, bytes sent, iterations; also after a failure, when
 * hvcore said them).  One getter keyed by name rather than a struct, so
 * that figures can be added without breaking old binaries.
 *
 * 0 and *value, HV_EAGAIN when the figure is not known (yet), HV_EINVAL
 * for a figure this library does not know (an older one) or NULL
 * arguments.  Thread-safe: another thread may read while the call runs.
 */
enum hv_op_figure {
    HV_OP_PHASE               = 1,  /* enum hv_op_phase                  */
    HV_OP_ITERATION           = 2,  /* pre-copy round, from 1            */
    HV_OP_BYTES_SENT          = 3,  /* stream bytes written so far       */
    HV_OP_BYTES_REMAINING     = 4,  /* memory still to send (estimate)   */
    HV_OP_BYTES_TOTAL         = 5,  /* guest memory to send at the start */
    HV_OP_DIRTY_RATE_BPS      = 6,  /* bytes/s the guest dirties         */
    HV_OP_BANDWIDTH_BPS       = 7,  /* measured transfer rate, bytes/s   */
    HV_OP_EXPECTED_DOWNTIME_NS = 8,
    /* The outcome's, once the call has returned: */
    HV_OP_TOTAL_NS            = 9,  /* request to outcome                */
    HV_OP_DOWNTIME_NS         = 10, /* paused to running elsewhere       */
    HV_OP_ITERATIONS          = 11, /* pre-copy rounds made              */
};

/* HV_OP_PHASE values; never renumbered. */
enum hv_op_phase {
    HV_OP_PHASE_SETUP     = 1,
    HV_OP_PHASE_PRECOPY   = 2,  /* running, memory being copied          */
    HV_OP_PHASE_FINAL     = 3,  /* paused: last pages and vCPU state     */
    HV_OP_PHASE_HANDSHAKE = 4,  /* waiting for the destination to run it */
};

int hv_op_get_figure(const hv_op *op, int figure, uint64_t *value);
/* "setup", "precopy", "final", "handshake" or "unknown".  Since 0.5. */
const char *hv_op_phase_name(int phase);

/* ------------------------------------------------------------------------
 * Domains
 */
typedef struct hv_domain hv_domain;
typedef struct hv_domain_info hv_domain_info;
typedef struct hv_domlist hv_domlist;

enum hv_state {
    HV_STATE_RUNNING  = 1,
    HV_STATE_PAUSED   = 2,
    HV_STATE_SHUTDOWN = 3,  /* shutting down: hvcore is exiting            */
    HV_STATE_CRASHED  = 4,  /* crashed (preserved), or its hvcore died      */
    HV_STATE_SHUTOFF  = 5,  /* defined, not running (agent drivers; 0.4)   */
};

/* "running", "paused", "shutdown", "crashed", "shutoff", or "unknown". */
const char *hv_state_name(int state);

/*
 * Why a domain is in its state, or why an event happened (since 0.4).
 * Never renumbered; a caller must tolerate values it does not know.
 */
enum hv_reason {
    HV_REASON_UNKNOWN      = 0,
    HV_REASON_BOOTED       = 1,  /* running since it was started            */
    HV_REASON_REQUESTED    = 2,  /* a caller asked (pause, destroy, ...)    */
    HV_REASON_POWEROFF     = 3,  /* the guest powered off                   */
    HV_REASON_REBOOTED     = 4,  /* the guest rebooted                      */
    HV_REASON_GUEST_CRASH  = 5,  /* the guest crashed                       */
    HV_REASON_HVCORE_DIED  = 6,  /* its hvcore was killed or failed         */
    HV_REASON_START_FAILED = 7,  /* the last start failed                   */
    HV_REASON_NEVER_STARTED = 8, /* defined, never started since            */
};
/* "booted", "requested", "poweroff", ... or "unknown". */
const char *hv_reason_name(int reason);

/* Who caused an event (since 0.4); never renumbered. */
enum hv_cause {
    HV_CAUSE_UNKNOWN  = 0,
    HV_CAUSE_API      = 1,  /* a client of the agent                      */
    HV_CAUSE_AGENT    = 2,  /* the agent on its own (autostart, restart)  */
    HV_CAUSE_GUEST    = 3,  /* the guest                                  */
    HV_CAUSE_HVCORE   = 4,  /* hvcore (it died, or refused)               */
    HV_CAUSE_EXTERNAL = 5,  /* a direct libhvctl user, seen by the agent  */
};
/* "api", "agent", "guest", "hvcore", "external" or "unknown". */
const char *hv_cause_name(int cause);

/* hv_domain_get_id() of a domain that is not running (since 0.4). */
#define HV_DOMID_NONE UINT32_MAX

/*
 * hv_domain_create flags (since 0.4, HV_HAVE_CREATE_PAUSED): start with
 * the vCPUs paused, before the guest's first instruction; hv_domain_unpause
 * runs it.  Attach the console in between and nothing it prints is lost.
 */
#define HV_CREATE_PAUSED (1u << 0)

/*
 * Validate `cfg`, start an hvcore for it and return once the guest runs
 * (or, with HV_CREATE_PAUSED, is ready to).  The domain outlives the
 * caller.  flags: 0 or HV_CREATE_PAUSED.  HV_EEXIST when the
 * name is taken (also when two callers race for it: exactly one wins),
 * HV_ECONFIG for an invalid config, HV_ESPAWN when hvcore refused (the
 * message is hvcore's) or was killed during start-up (the message names
 * the signal), HV_EDEAD when it died right after starting the domain,
 * HV_ETIMEDOUT when hvcore did not start the domain within 30 s (what it
 * made is removed): success means the domain runs (or ended by itself).
 * Caller frees *out.
 */
int hv_domain_create(hv_conn *conn, const hv_config *cfg, unsigned flags,
                     hv_domain **out);

/*
 * Lookups: HV_ENOENT if there is no such domain: running, or (agent
 * drivers) defined.  Caller frees.
 */
int hv_domain_lookup_by_name(hv_conn *conn, const char *name, hv_domain **out);
int hv_domain_lookup_by_id(hv_conn *conn, uint32_t domid, hv_domain **out);
int hv_domain_lookup_by_uuid(hv_conn *conn, const char *uuid, hv_domain **out);

/* Releases the handle only: the domain keeps running. */
void hv_domain_free(hv_domain *dom);

uint32_t hv_domain_get_id(const hv_domain *dom);
const char *hv_domain_get_name(const hv_domain *dom);     /* borrowed */
const char *hv_domain_get_uuid(const hv_domain *dom);     /* borrowed */

/* Fresh information from hvcore.  Caller frees *out. */
int hv_domain_get_info(hv_domain *dom, hv_domain_info **out);

/*
 * The configuration the domain was created with.  hv_domain_create keeps
 * it (as JSON) in <rundir>/domains/<domid>/config.json for the domain's
 * lifetime; this parses it back.  On success *out is a config the caller
 * frees with hv_config_free; on failure *out is NULL.  HV_ENOENT when no
 * configuration is stored ("domain 'NAME' (id N): no configuration is
 * stored (it was not started through libhvctl)"): a domain started by
 * plain hvcore, or one whose config could not be written at create) or
 * when the domain has ended; HV_EDEAD if its hvcore died (as for any call
 * on the handle).  Since HVCTL_0.2 (HV_HAVE_DOMAIN_GET_CONFIG).
 */
int hv_domain_get_config(hv_domain *dom, hv_config **out);

/*
 * The operations below take `flags`, which must be 0 today (HV_EINVAL
 * otherwise): each may grow options without a new function.  Since
 * HVCTL_0.4; binaries linked against 0.1 keep the flag-less versions.
 */
int hv_domain_pause(hv_domain *dom, unsigned flags);   /* HV_ESTATE if paused */
int hv_domain_unpause(hv_domain *dom, unsigned flags); /* HV_ESTATE if not    */

/*
 * Ask the guest to power off.  timeout_ms == 0: only ask.  > 0: also wait
 * up to that long for the domain to go (HV_ETIMEDOUT otherwise; the request
 * stands, and the message says so when the domain is paused, the usual
 * reason).  < 0: wait without limit.  `op` may be NULL.
 */
int hv_domain_shutdown(hv_domain *dom, int timeout_ms, unsigned flags,
                       hv_op *op);
/* Ask the guest to reboot (it restarts in the same hvcore). */
int hv_domain_reboot(hv_domain *dom, unsigned flags);
/* End the domain now; returns once its hvcore has exited. */
int hv_domain_destroy(hv_domain *dom, unsigned flags);
/* Balloon target in MiB (1 .. the configured maximum). */
int hv_domain_set_memory(hv_domain *dom, uint64_t target_mib, unsigned flags);

/*
 * Shut every running domain of the connection down (since 0.4,
 * HV_HAVE_HOST_SHUTDOWN), as before the host goes down.  Through the
 * agent it is hvctld's host shutdown: domains without autostart first,
 * then the autostart ones one by one, the last started first.  Direct,
 * every running domain is asked at once.  timeout_ms as for
 * hv_domain_shutdown: 0 only asks, > 0 waits that long (HV_ETIMEDOUT
 * then names the domains still running), < 0 waits without limit.  A
 * paused domain cannot act on the request; it is asked all the same and
 * waited for.  flags must be 0.  `op` may be NULL.
 */
int hv_conn_shutdown_all(hv_conn *conn, int timeout_ms, unsigned flags,
                         hv_op *op);

/* ------------------------------------------------------------------------
 * Persistent domains (since HVCTL_0.4, HV_HAVE_DOMAIN_DEFINE).
 *
 * The agent drivers keep definitions (hvctld's database); the direct
 * driver has none and fails these with HV_ENOTSUP, naming hvctl:///system
 * with hvctld running as the connection that can.
 */

/*
 * Store cfg as a definition, or replace the definition with cfg's UUID
 * (a running domain keeps its configuration until it next starts).  A
 * kernel given by a relative path is refused here, not at start.
 * HV_EEXIST when the name belongs to a domain with another UUID.  flags
 * must be 0.  *out (may be NULL) gets a handle; caller frees.
 */
int hv_domain_define(hv_conn *conn, const hv_config *cfg, unsigned flags,
                     hv_domain **out);
/*
 * Forget the definition.  A running domain keeps running, transient;
 * HV_ESTATE for a domain that is not defined.  flags must be 0.
 */
int hv_domain_undefine(hv_domain *dom, unsigned flags);
/* Start a defined, shut-off domain; returns once it runs.  flags 0. */
int hv_domain_start(hv_domain *dom, unsigned flags);
/* *autostart = 1 when the domain starts with the agent, else 0. */
int hv_domain_get_autostart(hv_domain *dom, int *autostart);
int hv_domain_set_autostart(hv_domain *dom, int autostart, unsigned flags);
/*
 * The stored definition (what the next start uses), whatever runs now;
 * hv_domain_get_config gives the running configuration.  HV_ESTATE for a
 * transient domain.  flags must be 0.  Caller frees *out.
 */
int hv_domain_get_definition(hv_domain *dom, unsigned flags, hv_config **out);
/*
 * A bidirectional byte stream to the guest console (reads get output,
 * writes go to the guest's input).  Caller owns *fd and closes it.
 */
int hv_domain_console_open(hv_domain *dom, int *fd);

/* ------------------------------------------------------------------------
 * Save, restore and migration (since HVCTL_0.5)
 *
 * A domain leaves its hvcore as a stream (hvcore's stream format, the
 * same for save files and migrations) and a new hvcore starts from one:
 * the guest goes on where it stopped, with its registers, pending
 * events, console contents and balloon, under the same name and uuid.
 * Each call takes an hv_op (NULL: just wait): its callback is called at
 * each progress report of hvcore, hv_op_get_figure() reads the figures,
 * and hv_op_cancel() cancels.  The direct driver does all three, and
 * so does the agent driver (as hvctld jobs; a migration is then driven
 * by the source's hvctld to another hvctld: docs/migration.md); a
 * driver that cannot fails with HV_ENOTSUP.
 */

/* hv_domain_save flags (HV_HAVE_SAVE_RESTORE). */
#define HV_SAVE_KEEP (1u << 0)  /* a checkpoint: the domain runs on      */

/*
 * Save the domain to the file `path` (made with mode 0600), and end it
 * there unless HV_SAVE_KEEP.  The stream is written to "<path>.tmp" in
 * the same directory (created, never opened if it exists), synced, and
 * renamed over `path` only once complete: a failed save never destroys
 * an existing file nor leaves a partial one, and the domain runs on as if
 * nothing had happened.  After success (without HV_SAVE_KEEP) the domain
 * has ended, its name and domid are free, and its hvcore emits
 * HV_EVENT_SAVED.  HV_EEXIST when "<path>.tmp" exists, HV_ESTATE when a
 * save or migration of the domain already runs, HV_ECANCELED after
 * hv_op_cancel.  In the rare case where the stream is complete but cannot
 * be renamed, the domain is gone and the file is left as "<path>.tmp"
 * (the message says so): the domain is never lost.
 */
int hv_domain_save(hv_domain *dom, const char *path, unsigned flags,
                   hv_op *op);

/* hv_domain_restore flags. */
#define HV_RESTORE_PAUSED (1u << 0) /* keep it paused (hv_domain_unpause) */
#define HV_RESTORE_VERIFY (1u << 1) /* check the memory image's checksum
                                       too (reads all of it: slower)      */
/*
 * Start the domain saved in `path` on conn, under the name and uuid it
 * was saved with, and return once it runs (or, HV_RESTORE_PAUSED, is
 * ready to).  Its configuration (hv_domain_get_config) comes with it.
 * HV_ENOENT when path does not exist, HV_ESTREAM when hvcore refused the
 * file (the message is hvcore's: which record, at which offset),
 * HV_EEXIST when the name is in use, otherwise as hv_domain_create.
 * The file is not changed and may be restored again; the domain's memory
 * is mapped from it, so it must not be truncated or rewritten in place
 * while the domain runs (hv_domain_save over it is safe: it renames a new
 * file over the old one).  Caller frees *out.
 */
int hv_domain_restore(hv_conn *conn, const char *path, unsigned flags,
                      hv_domain **out, hv_op *op);

/*
 * Migration parameters (HV_HAVE_MIGRATE): an opaque object, so that
 * parameters can be added.  NULL from new when out of memory.
 */
typedef struct hv_migrate_params hv_migrate_params;
hv_migrate_params *hv_migrate_params_new(void);
void hv_migrate_params_free(hv_migrate_params *params);

#define HV_MIGRATE_LIVE    (1u << 0) /* pre-copy memory while it runs;
                                        else paused for the whole move    */
#define HV_MIGRATE_PAUSED  (1u << 1) /* leave it paused on the destination */
#define HV_MIGRATE_PERSIST (1u << 2) /* define it on the destination
                                        (agent connections)               */
#define HV_MIGRATE_UNDEFINE_SOURCE (1u << 3) /* undefine it on the source
                                        (agent connections)               */
/* HV_EINVAL for an unknown flag. */
int hv_migrate_params_set_flags(hv_migrate_params *params, unsigned flags);
/* Live: the pause the guest may see (0: hvcore's default, 300 ms). */
int hv_migrate_params_set_max_downtime_ms(hv_migrate_params *params,
                                          unsigned ms);
/* Cap in MiB/s (0: unlimited, the default). */
int hv_migrate_params_set_bandwidth(hv_migrate_params *params,
                                    uint64_t mib_per_s);
/* Live: at most this many pre-copy rounds (0: hvcore's default, 30). */
int hv_migrate_params_set_max_iterations(hv_migrate_params *params,
                                         unsigned n);

/*
 * Move the running domain to the host of `dest_uri` (a connection URI as
 * hv_conn_open_uri takes; params NULL: defaults, not live).  Returns 0
 * once the destination runs it and the source copy has ended
 * (HV_EVENT_MIGRATED here, HV_EVENT_RESTORED there).  At every instant
 * exactly one copy runs: on any failure, and after hv_op_cancel, the
 * domain runs on here and the destination has nothing left, and the
 * message ends in "it runs on here" ("migration of 'web' cancelled: it
 * runs on here").  If the source's hvcore dies during the move, the
 * destination's copy is made to run when it can be; when neither copy
 * is left, HV_EDEAD names both hvcores.
 *
 * Direct connections migrate to another runtime directory of this host
 * (hvctl:///system?driver=direct&rundir=DIR); HV_MIGRATE_PERSIST and
 * HV_MIGRATE_UNDEFINE_SOURCE need agent connections on both ends
 * (HV_ENOTSUP otherwise).  Agent connections migrate to another agent:
 * dest_uri is https://HOST:PORT?token=T&cacert=F (or cert=F&key=F).
 */
int hv_domain_migrate(hv_domain *dom, const char *dest_uri,
                      const hv_migrate_params *params, hv_op *op);

/*
 * Devices of a domain (since HVCTL_0.6, HV_HAVE_DEVICES).
 *
 * flags of attach and detach, as virsh's --live and --config:
 * HV_DEVICE_LIVE changes the running domain (the default when neither
 * is given); HV_DEVICE_CONFIG changes its stored definition, so that the
 * device is there (or gone) at the next start.  Both may be given; a
 * shut-off domain takes HV_DEVICE_CONFIG alone.  Definitions are the
 * agent's: through the direct driver HV_DEVICE_CONFIG is HV_ENOTSUP.
 * With both, the running domain is changed first and the definition only
 * if that worked, so a failure changes neither.
 */
#define HV_DEVICE_LIVE   (1u << 0)
#define HV_DEVICE_CONFIG (1u << 1)

/*
 * Attach dev: hvcore starts (or connects to) its back end and offers the
 * device to the guest, which is told by an event.  An interface without
 * alias or MAC is given them (the definition's, with HV_DEVICE_CONFIG),
 * and dev is updated to hold them, so that the caller knows its id.
 * HV_EEXIST when the id is taken, HV_ECONFIG when hvcore refuses the
 * device (its message), HV_EIO when the back end could not be started or
 * refused, or when all HV_DEVICES_MAX slots are in use; HV_ESTATE while a
 * save or migration runs, or when the domain is not running (without
 * HV_DEVICE_CONFIG alone).
 */
int hv_domain_attach_device(hv_domain *dom, hv_device *dev, unsigned flags);
/*
 * Detach the device with that id: its back end stops touching guest
 * memory before this returns; the guest loses what it had in flight, as
 * with a pulled cable.  HV_ENOENT for an unknown id.
 */
int hv_domain_detach_device(hv_domain *dom, const char *id, unsigned flags);

/*
 * The running domain's devices with their state and counters: a
 * snapshot, in the order of their slots.  flags must be 0.  Accessors
 * take an index below hv_devlist_count; strings are borrowed from the
 * list.  Caller frees with hv_devlist_free.
 */
typedef struct hv_devlist hv_devlist;

/* Where a device stands (hvcore's device page). */
enum hv_device_state {
    HV_DEVICE_CONNECTING  = 1,  /* waiting for its back end               */
    HV_DEVICE_READY       = 2,  /* back end there; the guest may start it */
    HV_DEVICE_RUNNING     = 3,  /* started by the guest: queues are live  */
    HV_DEVICE_NEEDS_RESET = 4,  /* back end lost or broken; coming back   */
};
/* "connecting", "ready", "running", "needs_reset" or "unknown". */
const char *hv_device_state_name(int state);

/* Counters: "in" is towards the guest (disk reads, frames received). */
enum hv_device_counter {
    HV_DEVICE_REQS_IN    = 1,   /* disk reads, frames received            */
    HV_DEVICE_REQS_OUT   = 2,   /* disk writes, frames sent               */
    HV_DEVICE_REQS_OTHER = 3,   /* flushes, discards                      */
    HV_DEVICE_BYTES_IN   = 4,
    HV_DEVICE_BYTES_OUT  = 5,
    HV_DEVICE_ERRORS     = 6,   /* requests refused or failed             */
    HV_DEVICE_RECONNECTS = 7,   /* times the back end came back           */
};

/*
 * The running domain's devices, in slot order, with their state, back end
 * and counters (flags: 0, else HV_EINVAL).  0 and *out, which the caller
 * frees with hv_devlist_free.
 */
int hv_domain_get_devices(hv_domain *dom, unsigned flags, hv_devlist **out);
/* Devices in the list. */
size_t hv_devlist_count(const hv_devlist *list);
/* Borrowed id of device i ("vda", "net0"); NULL past the end. */
const char *hv_devlist_get_id(const hv_devlist *list, size_t i);
/* HV_DEVICE_DISK or HV_DEVICE_INTERFACE; HV_EINVAL past the end. */
int hv_devlist_get_type(const hv_devlist *list, size_t i);
/* enum hv_device_state; HV_EINVAL past the end. */
int hv_devlist_get_state(const hv_devlist *list, size_t i);
/* One line on what serves it, e.g. "hvblk /srv/disk.img (read-only)". */
const char *hv_devlist_get_backend(const hv_devlist *list, size_t i);
/* The back end's process id, 0 for a socket back end (or unknown). */
int hv_devlist_get_backend_pid(const hv_devlist *list, size_t i);
/*
 * 0 and *value; HV_EAGAIN when this device's counters are not known (a
 * vhost-user back end behind a socket does not report them; reconnects
 * are always known); HV_EINVAL for an unknown counter or index.
 */
int hv_devlist_get_counter(const hv_devlist *list, size_t i, int counter,
                           uint64_t *value);
/*
 * The list as JSON, the body of hvctld's GET /v1/domains/{name}/devices:
 * {"devices": [{"id", "type", "state", "backend", "backend_pid",
 * "counters_known", "reqs_in", ... "reconnects"}]}, counters null when
 * not known.  Caller frees.
 */
int hv_devlist_to_json(const hv_devlist *list, char **out);
/* Frees list; NULL is allowed. */
void hv_devlist_free(hv_devlist *list);

/* Domain information snapshot (owned by the caller, or borrowed from a list). */
void hv_domain_info_free(hv_domain_info *info);
uint32_t hv_domain_info_get_id(const hv_domain_info *info);
const char *hv_domain_info_get_name(const hv_domain_info *info);  /* borrowed */
/* Borrowed; "" when unknown (a domain whose hvcore died). */
const char *hv_domain_info_get_uuid(const hv_domain_info *info);
int hv_domain_info_get_state(const hv_domain_info *info);
unsigned hv_domain_info_get_vcpus_online(const hv_domain_info *info);
unsigned hv_domain_info_get_vcpus_max(const hv_domain_info *info);
uint64_t hv_domain_info_get_mem_current_kib(const hv_domain_info *info);
uint64_t hv_domain_info_get_mem_target_kib(const hv_domain_info *info);
uint64_t hv_domain_info_get_mem_max_kib(const hv_domain_info *info);
uint64_t hv_domain_info_get_cpu_time_ns(const hv_domain_info *info);
uint64_t hv_domain_info_get_uptime_ns(const hv_domain_info *info);
unsigned hv_domain_info_get_boot_count(const hv_domain_info *info);
int hv_domain_info_get_pid(const hv_domain_info *info);
/*
 * 1 when the figures above (vCPUs, memory, CPU time, uptime, boots) are
 * hvcore's answer; 0 when they are unknown and read 0: the domain's
 * hvcore died (state HV_STATE_CRASHED, uuid "") and nobody can ask it
 * any more.  Show such figures as unknown, never as 0.  Since HVCTL_0.3
 * (HV_HAVE_DOMAIN_INFO_FIGURES_KNOWN).
 */
int hv_domain_info_get_figures_known(const hv_domain_info *info);
/* Since HVCTL_0.4: 1 defined, 0 transient, -1 unknown (direct driver). */
int hv_domain_info_get_persistent(const hv_domain_info *info);
/* 1 starts with the agent, 0 not, -1 unknown (direct driver). */
int hv_domain_info_get_autostart(const hv_domain_info *info);
/* Why it is in its state (enum hv_reason). */
int hv_domain_info_get_reason(const hv_domain_info *info);
/*
 * Counters since the domain's hvcore started (0 when not known): exits
 * of its vCPUs to hvcore, and event-channel notifications it delivered.
 * Rates come from two snapshots and their uptimes.
 */
uint64_t hv_domain_info_get_exits(const hv_domain_info *info);
uint64_t hv_domain_info_get_events(const hv_domain_info *info);

/*
 * All domains of the connection, ordered by domid, with their states.  A
 * domain whose hvcore died is listed once as HV_STATE_CRASHED and its
 * runtime entry removed.  Caller frees *out.
 */
int hv_domain_list(hv_conn *conn, hv_domlist **out);
/*
 * Filtered lists (since HVCTL_0.4).  flags: any of the state bits (none
 * means every state: hv_domain_list is HV_LIST_ACTIVE), at most one of
 * HV_LIST_PERSISTENT / HV_LIST_TRANSIENT, and HV_LIST_FRESH.  name_glob (NULL: any) is a
 * shell pattern (fnmatch(3)) on the name.  Ordered by domid, then the
 * shut-off domains by name.
 */
#define HV_LIST_STATE(s)    (1u << (s))
#define HV_LIST_RUNNING     HV_LIST_STATE(HV_STATE_RUNNING)
#define HV_LIST_PAUSED      HV_LIST_STATE(HV_STATE_PAUSED)
#define HV_LIST_SHUTDOWN    HV_LIST_STATE(HV_STATE_SHUTDOWN)
#define HV_LIST_CRASHED     HV_LIST_STATE(HV_STATE_CRASHED)
#define HV_LIST_SHUTOFF     HV_LIST_STATE(HV_STATE_SHUTOFF)
#define HV_LIST_ACTIVE      (HV_LIST_RUNNING | HV_LIST_PAUSED | \
                             HV_LIST_SHUTDOWN | HV_LIST_CRASHED)
#define HV_LIST_PERSISTENT  (1u << 16)
#define HV_LIST_TRANSIENT   (1u << 17)
/*
 * Figures as hvcore says them now (for rates: domstats, top).  An agent
 * otherwise answers from its last look at its domains (every few
 * seconds); the direct driver always asks hvcore.
 */
#define HV_LIST_FRESH       (1u << 18)
int hv_domain_list_filtered(hv_conn *conn, unsigned flags,
                            const char *name_glob, hv_domlist **out);
size_t hv_domlist_count(const hv_domlist *list);
/* Borrowed from the list; NULL when i is out of range. */
const hv_domain_info *hv_domlist_get(const hv_domlist *list, size_t i);
void hv_domlist_free(hv_domlist *list);

/* ------------------------------------------------------------------------
 * Events
 *
 * An event source watches every domain of the connection, those running
 * when it was opened and those started later.  hv_events_get_fd() is
 * readable (poll/epoll/select) whenever hv_event_next() may have something;
 * hv_event_next() never blocks: HV_EAGAIN means "poll again".  The first
 * source opened on a connection hears the domains hv_domain_create starts
 * through that connection from their first event, even one over at boot.
 * SHUTDOWN, DESTROYED, and a CRASHED that ends the domain's hvcore, come
 * once the name and domid are free again: whoever hears them may reuse
 * both at once.
 *
 * On an agent connection the events are the agent's (the same types,
 * plus the definition events), each with its cause.  When the agent
 * restarts, the source reconnects and resumes after the last event it
 * returned (SSE Last-Event-ID), so nothing the agent logged is lost.
 */
typedef struct hv_events hv_events;
typedef struct hv_event hv_event;

enum hv_event_type {
    HV_EVENT_STARTED   = 1,
    HV_EVENT_PAUSED    = 2,
    HV_EVENT_UNPAUSED  = 3,
    HV_EVENT_SHUTDOWN  = 4,   /* guest powered off                         */
    HV_EVENT_REBOOTED  = 5,
    HV_EVENT_CRASHED   = 6,   /* guest crashed, or its hvcore died         */
    HV_EVENT_DESTROYED = 7,
    /* Since HVCTL_0.4, from the agent drivers only: */
    HV_EVENT_DEFINED   = 8,
    HV_EVENT_UPDATED   = 9,   /* definition replaced                       */
    HV_EVENT_UNDEFINED = 10,
    HV_EVENT_AUTOSTART_ON  = 11,
    HV_EVENT_AUTOSTART_OFF = 12,
    HV_EVENT_START_FAILED  = 13,
    HV_EVENT_START_LIMIT   = 14, /* the agent stopped restarting it        */
    HV_EVENT_VANISHED      = 15, /* gone without a last word               */
    HV_EVENT_NAME_CONFLICT = 16, /* a domain took a defined domain's name  */
    /* Since HVCTL_0.5 (HV_HAVE_SAVE_RESTORE, HV_HAVE_MIGRATE): */
    HV_EVENT_SAVED         = 17, /* last word: saved to a file, gone here */
    HV_EVENT_MIGRATED      = 18, /* last word: it runs on another host    */
    HV_EVENT_RESTORED      = 19, /* first word of a domain started from a
                                    save file or a migration stream, in
                                    place of started                      */
    /* Since HVCTL_0.6 (HV_HAVE_DEVICES); detail "<id>: <one line>": */
    HV_EVENT_DEVICE_ATTACHED = 20, /* the guest was offered it           */
    HV_EVENT_DEVICE_DETACHED = 21, /* its back end stopped; slot free    */
    HV_EVENT_DEVICE_ERROR    = 22, /* its back end died or broke the
                                      protocol; hvcore brings it back   */
    HV_EVENT_DEVICE_READY    = 23, /* its back end is back after an error */
};

/* "started", "paused", ..., "autostart_on", ... or "unknown": the names
 * hvctld's REST API uses. */
const char *hv_event_type_name(int type);

int hv_events_open(hv_conn *conn, hv_events **out);   /* caller frees */
void hv_events_free(hv_events *ev);
/* Borrowed; owned by the hv_events.  Never close it. */
int hv_events_get_fd(const hv_events *ev);
/* 0 and *out (caller frees), or HV_EAGAIN, or another error. */
int hv_event_next(hv_events *ev, hv_event **out);

void hv_event_free(hv_event *e);
int hv_event_get_type(const hv_event *e);
uint32_t hv_event_get_domid(const hv_event *e);
const char *hv_event_get_name(const hv_event *e);      /* borrowed */
uint64_t hv_event_get_time_ns(const hv_event *e);      /* CLOCK_REALTIME */
const char *hv_event_get_detail(const hv_event *e);    /* borrowed; "" */
/* Since HVCTL_0.4: enum hv_reason and enum hv_cause of the event. */
int hv_event_get_reason(const hv_event *e);
int hv_event_get_cause(const hv_event *e);
/* Borrowed; "" when not known. */
const char *hv_event_get_uuid(const hv_event *e);

#ifdef __cplusplus
}
#endif

#endif /* HVCTL_H */
