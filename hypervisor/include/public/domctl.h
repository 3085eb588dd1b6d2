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
 * ignores them and keeps the connection open); 0x0003 added save,
 * migrate_send and xfer_cancel, the saved and migrated events and the
 * exit statuses that go with them; 0x0004 added device_attach,
 * device_detach, device_info and the device events.
 */
#define HV_DOMCTL_INTERFACE_VERSION 0x00010004
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
    HV_DOMCTL_save           = 9,  /* u.xfer, fd: the file (minor 3)      */
    HV_DOMCTL_migrate_send   = 10, /* u.xfer, fd: the receiver (minor 3)  */
    HV_DOMCTL_xfer_cancel    = 11, /* on a save/migrate connection        */
    HV_DOMCTL_device_attach  = 12, /* u.device + spec text (minor 4)      */
    HV_DOMCTL_device_detach  = 13, /* u.device.id (minor 4)               */
    HV_DOMCTL_device_info    = 14, /* u.device.index -> u.device (minor 4) */
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

/*
 * Minor 3.  Save and migrate-send: the domain leaves as a stream
 * (stream.h) written to the file descriptor that comes with the request
 * (SCM_RIGHTS): a regular file opened for writing (save), or a connected
 * stream socket to an hvcore started with --incoming (migrate_send).
 *
 * On that connection hvcore answers with replies of the request's cmd and
 * seq: first status 0 (started) or -HVE_* (not started: -HVE_BUSY while
 * another save or migration runs, -HVE_INVAL without a descriptor, ...);
 * then any number of HV_DOMCTL_PROGRESS replies (u.progress); then one
 * final reply, status 0 or -HVE_*, with u.result.message saying what
 * happened in one line.  The connection carries nothing else meanwhile
 * but an HV_DOMCTL_xfer_cancel request from the client (answered only by
 * the final reply); a client that hangs up cancels too.
 *
 * Outcomes (final reply):
 *   0             save: the file is complete; migrate: the receiver runs
 *                 the domain.  hvcore then emits HV_EVENT_saved or
 *                 HV_EVENT_migrated and exits HVCORE_EXIT_SAVED or
 *                 HVCORE_EXIT_MIGRATED (unless HV_XFER_KEEP: the domain
 *                 runs on, as it was).
 *   -HVE_*        failed or cancelled before the point of no return: the
 *                 domain runs on here as if nothing had happened.
 *   -HVE_INPROGRESS  migrate only: the connection broke after hvcore sent
 *                 GO, so the receiver may or may not run the domain.  It
 *                 stays paused here; the toolstack asks the receiver and
 *                 then unpauses or destroys this copy (exactly one runs).
 */
#define HV_DOMCTL_PROGRESS 1    /* status of a progress reply            */

#define HV_XFER_LIVE     0x1u   /* migrate: pre-copy while it runs        */
#define HV_XFER_KEEP     0x2u   /* save: keep the domain (a checkpoint)   */

struct hv_domctl_xfer {
    uint32_t flags;             /* HV_XFER_*                              */
    uint32_t max_downtime_ms;   /* live: 0 means 300                      */
    uint64_t bandwidth_bps;     /* bytes/s cap, 0 unlimited               */
    uint32_t max_iterations;    /* live: pre-copy rounds, 0 means 30      */
    uint32_t pad;
};

enum hv_xfer_phase {
    HV_XFER_PHASE_SETUP     = 1,
    HV_XFER_PHASE_PRECOPY   = 2, /* running, copying memory               */
    HV_XFER_PHASE_FINAL     = 3, /* paused: last pages and vCPU state     */
    HV_XFER_PHASE_HANDSHAKE = 4, /* waiting for the receiver              */
};

struct hv_domctl_progress {
    uint32_t phase;             /* enum hv_xfer_phase                     */
    uint32_t iteration;         /* pre-copy round, from 1                 */
    uint64_t bytes_sent;        /* stream bytes written so far            */
    uint64_t bytes_remaining;   /* memory still to send (estimate)        */
    uint64_t bytes_total;       /* guest memory (non-zero pages at start) */
    uint64_t dirty_rate_bps;    /* bytes/s the guest dirties              */
    uint64_t bandwidth_bps;     /* measured transfer rate                 */
    uint64_t expected_downtime_ns;
};

struct hv_domctl_result {
    uint64_t bytes_sent;
    uint64_t total_ns;          /* request to outcome                     */
    uint64_t downtime_ns;       /* paused to receiver running (migrate)  */
    uint32_t iterations;
    uint32_t pad;
    char     message[160];      /* one line, NUL-terminated               */
};

/*
 * Minor 4.  Devices (hypervisor/include/public/device.h, docs/devices.md).
 *
 * device_attach: the request is this struct followed, in the same
 * SOCK_SEQPACKET message, by spec_len bytes (1..HV_DEVICE_SPEC_MAX, no
 * NUL) of a device spec, the syntax of hvcore --device (hvcore(8)): e.g.
 *     blk,id=vda,file=/var/lib/hv/disk.img,readonly
 *     net,id=net0,mac=52:54:00:12:34:56,bridge=br0
 *     blk,id=vdb,socket=/run/qsd/vdb.sock
 * hvcore starts (or connects to) the back end and puts the device in a
 * free slot with VIRQ_DEVICE.  The reply comes once the back end answered
 * or failed: status 0 with u.device_info, or -HVE_EXIST (the id is taken),
 * -HVE_NOSPC (no slot), -HVE_INVAL (bad spec: u.result.message says why in
 * one line), -HVE_IO (the back end could not be started or refused;
 * message), -HVE_BUSY (a save or migration runs).  A message whose length
 * does not match spec_len is -HVE_MSGSIZE.
 *
 * device_detach: stops the device's back end (it stops touching guest
 * memory before the reply), frees the slot and raises VIRQ_DEVICE; the
 * guest loses what was in flight, as with a pulled cable.  -HVE_NOENT for
 * an unknown id.
 *
 * device_info: the device at position u.device.index (0, 1, ... in slot
 * order) in u.device_info; -HVE_NOENT past the last one.
 */
#define HV_DEVICE_SPEC_MAX 4096

struct hv_domctl_device {
    char     id[16];            /* detach: the device's id, NUL-terminated */
    uint32_t spec_len;          /* attach: bytes of spec after the struct  */
    uint32_t index;             /* device_info: position                   */
    uint32_t flags;             /* 0 */
    uint32_t pad;
};

enum hv_device_backend {
    HV_DEVICE_BACKEND_PROCESS = 1, /* an in-tree back end hvcore runs      */
    HV_DEVICE_BACKEND_SOCKET  = 2, /* a vhost-user socket hvcore connects to */
};

/* Counters: "in" is towards the guest (disk reads, frames received),
 * "out" from the guest (disk writes, frames sent). */
struct hv_domctl_device_info {
    char     id[16];
    uint32_t slot;              /* its slot in the device page            */
    uint32_t type;              /* HV_DEV_TYPE_*                          */
    uint32_t state;             /* enum hv_dev_state                      */
    uint32_t backend;           /* enum hv_device_backend                 */
    int32_t  backend_pid;       /* the back end process, 0 if none/unknown */
    uint32_t reconnects;        /* times the back end came back            */
    uint32_t flags;             /* HV_DEVICE_INFO_*                        */
    uint32_t pad;
    uint64_t reqs_in, reqs_out, reqs_other;  /* reads, writes, flush/discard
                                 * (net: frames received, sent, -)        */
    uint64_t bytes_in, bytes_out;
    uint64_t errors;            /* requests refused or failed             */
    char     backend_desc[128]; /* one line: what serves it, e.g.
                                 * "hvblk /srv/disk.img (read-only)"      */
};                              /* 224 bytes */

/* The counters are known (in-tree back ends report them; a socket back
 * end does not). */
#define HV_DEVICE_INFO_COUNTERS 0x1u

struct hv_domctl {
    uint32_t cmd;               /* enum hv_domctl_cmd                      */
    uint32_t interface_version; /* HV_DOMCTL_INTERFACE_VERSION             */
    uint32_t domid;             /* must match the domain's id              */
    uint32_t seq;               /* echoed in the reply                     */
    union {
        struct hv_domctl_getinfo  getinfo;
        struct hv_domctl_shutdown shutdown;
        struct hv_domctl_mem      mem;
        struct hv_domctl_xfer     xfer;
        struct hv_domctl_device   device;
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
    /* Minor 3.  Where a save or migration stands (HV_XFER_STATE_*). */
    uint32_t xfer;
    uint32_t pad0;
    /* Minor 4.  Every exit KVM counted for the domain's vCPUs (KVM's own
     * "exits" statistic, summed): `exits` above counts those that reached
     * hvcore, this one also those KVM handled in the host kernel, such as
     * queue notifications (device.h).  0 where KVM has no binary stats. */
    uint64_t kvm_exits;
};                              /* 176 bytes; the rest of the reply is 0  */

#define HV_XFER_STATE_NONE      0
#define HV_XFER_STATE_SENDING   1  /* a save or migrate_send is running   */
#define HV_XFER_STATE_RECEIVING 2  /* --incoming: the stream is arriving  */
/* The connection broke between GO and RUNNING (domctl save comment), on
 * either side: the domain is paused and waits for the toolstack.
 * unpause takes over (the domain runs here), destroy gives it up. */
#define HV_XFER_STATE_UNDECIDED 3

struct hv_domctl_reply {
    uint32_t cmd;
    uint32_t interface_version;
    uint32_t seq;
    int32_t  status;            /* 0 or -HVE_*                             */
    union {
        struct hv_domctl_info info;
        struct hv_domctl_progress progress;
        struct hv_domctl_result result;
        struct hv_domctl_device_info device_info;
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
    /* Minor 3: the last word of an hvcore whose domain left as a stream. */
    HV_EVENT_saved     = 9,     /* detail: the outcome message            */
    HV_EVENT_migrated  = 10,
    /* Minor 3: the first word of an hvcore started from a stream (in
     * place of started). */
    HV_EVENT_restored  = 11,
    /* Minor 4: devices; detail is "<id>: <one line>". */
    HV_EVENT_device_attached = 12,
    HV_EVENT_device_detached = 13,
    HV_EVENT_device_error    = 14, /* its back end died or broke the protocol */
    HV_EVENT_device_ready    = 15, /* its back end is back after an error  */
};

struct hv_domctl_event {
    uint32_t type;              /* enum hv_domctl_event_type               */
    uint32_t domid;
    uint64_t time_ns;           /* CLOCK_REALTIME                          */
    char     detail[112];       /* e.g. the crash reason, NUL-terminated   */
};                              /* 128 bytes */

#endif /* HV_PUBLIC_DOMCTL_H */
