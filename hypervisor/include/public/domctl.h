/*
 * domctl.h - the domain-control ABI between hvcore and its one client,
 * libhvctl.
 *
 * Transport
 * ---------
 * Each hvcore process listens on a SOCK_SEQPACKET Unix socket
 *     <rundir>/domains/<domid>/control
 * Every message is exactly one struct hv_domctl (request) answered by
 * exactly one struct hv_domctl_reply.  File descriptors travel with the
 * reply as SCM_RIGHTS ancillary data (console attach, event subscription).
 * hvcore checks the caller with SO_PEERCRED: only root or hvcore's own uid
 * may connect.  A request of the wrong size, with an unknown cmd or an
 * interface_version of another major gets a reply with status -HVE_MSGSIZE,
 * -HVE_NOSYS or -HVE_VERSION (and interface_version set to the one hvcore
 * speaks) and changes nothing.
 *
 * The runtime directory of a domain also holds:
 *     <rundir>/domains/<domid>/pid    hvcore's pid, written once at start
 *     <rundir>/domains/<domid>/name   the domain name
 *     <rundir>/domains/<domid>/uuid   the domain UUID, text, newline-ended
 *     <rundir>/domains/<domid>/config.json
 *                                     not hvcore's: the configuration, as
 *                                     libhvctl's hv_config_to_json wrote it
 *                                     after starting the domain (absent for
 *                                     a domain started by plain hvcore);
 *                                     written to config.json.tmp and renamed.
 *                                     hvcore removes both with the directory
 *     <rundir>/names/<name>           symlink to "../domains/<domid>"; made
 *                                     with symlink(2), so a name is held by
 *                                     exactly one live domain at a time
 *
 * A subscription can also be had from the start with hvcore --event-fd.
 */
#ifndef HV_PUBLIC_DOMCTL_H
#define HV_PUBLIC_DOMCTL_H

#include "hvabi.h"
#include "shared_info.h"   /* SHUTDOWN_REQUEST_* */

/*
 * Major version in the high 16 bits, minor in the low.  Within a major the
 * messages keep their size and meaning; a minor only adds (new commands,
 * which an older hvcore answers with -HVE_NOSYS, and fields in space that
 * was zero before, zero still meaning the old behaviour).  So hvcore
 * accepts requests of any minor of its major, and a toolstack upgrade
 * does not strand the domains that are running.
 *
 * Minors: 0x0001 added hv_domctl_info.exits and .events (a reply of minor
 * 0 has zero there); 0x0002 added hv_domctl_getinfo.flags (an older hvcore
 * ignores them and keeps the connection open).
 */
#define HV_DOMCTL_INTERFACE_VERSION 0x00010002
#define HV_DOMCTL_VERSION_MAJOR(v) ((uint32_t)(v) >> 16)

#define HV_DOMCTL_SOCKET  "control"

enum hv_domctl_cmd {
    HV_DOMCTL_getinfo        = 1,  /* -> u.info                           */
    HV_DOMCTL_pause          = 2,  /* -HVE_ALREADY if paused              */
    HV_DOMCTL_unpause        = 3,  /* -HVE_ALREADY if running             */
    HV_DOMCTL_shutdown       = 4,  /* u.shutdown: ask the guest           */
    HV_DOMCTL_destroy        = 5,  /* end the domain now                  */
    HV_DOMCTL_set_mem_target = 6,  /* u.mem: balloon target               */
    HV_DOMCTL_console_attach = 7,  /* reply carries a bidirectional fd    */
    HV_DOMCTL_subscribe      = 8,  /* reply carries an event-stream fd    */
};

/* Domain states (hv_domctl_info.state). */
enum hv_domain_state {
    HV_DOMSTATE_running  = 1,
    HV_DOMSTATE_paused   = 2,
    HV_DOMSTATE_shutdown = 3,   /* shutting down: the process is exiting   */
    HV_DOMSTATE_crashed  = 4,
};

struct hv_domctl_shutdown {
    uint32_t reason;            /* SHUTDOWN_REQUEST_poweroff | _reboot     */
    uint32_t pad;
};

struct hv_domctl_mem {
    uint64_t target_kib;        /* 1 MiB .. mem_max_kib                    */
};

/*
 * Minor 2.  HV_DOMCTL_GETINFO_CLOSE: this is the caller's last request on
 * the connection; hvcore closes it right after the reply, in the same
 * wake-up, instead of waiting for the caller's hang-up.  A client that
 * asks every hvcore once (a list from a fresh process) saves each of them
 * a wake-up, and itself the cost of making it.  Other bits are ignored.
 */
#define HV_DOMCTL_GETINFO_CLOSE 0x1u

struct hv_domctl_getinfo {
    uint32_t flags;             /* HV_DOMCTL_GETINFO_*                     */
    uint32_t pad;
};

struct hv_domctl {
    uint32_t cmd;               /* enum hv_domctl_cmd                      */
    uint32_t interface_version; /* HV_DOMCTL_INTERFACE_VERSION             */
    uint32_t domid;             /* must match the domain's id              */
    uint32_t seq;               /* echoed in the reply                     */
    union {
        struct hv_domctl_getinfo  getinfo;
        struct hv_domctl_shutdown shutdown;
        struct hv_domctl_mem      mem;
        uint8_t                   pad[112];
    } u;
};                              /* 128 bytes */

struct hv_domctl_info {
    uint32_t domid;
    uint32_t state;             /* enum hv_domain_state                    */
    uint32_t vcpus_online;
    uint32_t vcpus_max;
    uint64_t mem_current_kib;   /* RAM the guest holds (max - ballooned)   */
    uint64_t mem_target_kib;
    uint64_t mem_max_kib;
    uint64_t cpu_time_ns;       /* summed over vCPU threads                */
    uint64_t uptime_ns;         /* since the current boot                  */
    uint32_t boot_count;
    int32_t  pid;               /* the hvcore process                      */
    char     name[64];
    uint8_t  uuid[16];
    /* Minor 1.  Counters since hvcore started (they go on across reboots),
     * for rates in `hvctl domstats`/`top`; they only grow. */
    uint64_t exits;             /* vCPU exits to hvcore (KVM_RUN returns),
                                 * summed over vCPUs                      */
    uint64_t events;            /* event-channel notifications delivered
                                 * to the guest: times a port became
                                 * pending (one raised on a port still
                                 * pending merges with it)                */
};                              /* 160 bytes; the rest of the reply is 0  */

struct hv_domctl_reply {
    uint32_t cmd;
    uint32_t interface_version;
    uint32_t seq;
    int32_t  status;            /* 0 or -HVE_*                             */
    union {
        struct hv_domctl_info info;
        uint8_t               pad[240];
    } u;
};                              /* 256 bytes */

/*
 * Event stream (HV_DOMCTL_subscribe): a SOCK_SEQPACKET fd on which hvcore
 * sends one struct hv_domctl_event per lifecycle change, the last one being
 * shutdown, crashed or destroyed just before hvcore exits.
 */
enum hv_domctl_event_type {
    HV_EVENT_started   = 1,
    HV_EVENT_paused    = 2,
    HV_EVENT_unpaused  = 3,
    HV_EVENT_shutdown  = 4,     /* guest powered off                       */
    HV_EVENT_rebooted  = 5,
    HV_EVENT_crashed   = 6,
    HV_EVENT_destroyed = 7,
    /* After crashed, with --on-crash preserve: hvcore lives on, so the
     * crash was not its last word (rebooted says the same for restart;
     * with destroy the stream ends instead). */
    HV_EVENT_preserved = 8,
};

struct hv_domctl_event {
    uint32_t type;              /* enum hv_domctl_event_type               */
    uint32_t domid;
    uint64_t time_ns;           /* CLOCK_REALTIME                          */
    char     detail[112];       /* e.g. the crash reason, NUL-terminated   */
};                              /* 128 bytes */

#endif /* HV_PUBLIC_DOMCTL_H */
