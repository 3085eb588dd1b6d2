/*
 * hvcore.h - the state of one domain, shared by hvcore's modules.
 *
 * Threads: the main thread runs the event loop (event_loop.c: domctl,
 * console clients, timers, signals); each vCPU runs its own thread
 * (vcpu.c).  Everything a vCPU thread and the loop both touch is guarded by
 * dom->lock, except the guest-visible pages, which the guest can change at
 * any time anyway and which are read with volatile accesses, and each
 * vCPU's exit count, a relaxed atomic its own thread alone writes.
 */
#ifndef HVCORE_H
#define HVCORE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "public/hvabi.h"
#include "public/hypercall.h"
#include "public/shared_info.h"
#include "public/start_info.h"
#include "public/console.h"
#include "public/device.h"
#include "public/domctl.h"
#include "public/layout.h"
#include "public/stream.h"

struct kvm_run;
struct kvm_dirty_gfn;

/* What ends (or restarts) a domain; decided by the guest or by domctl. */
enum end_reason {
    END_NONE = 0,
    END_POWEROFF,
    END_REBOOT,
    END_CRASH,
    END_DESTROY,
    END_SAVED,          /* left as a save file (xfer.c)           */
    END_MIGRATED,       /* another hvcore runs it now (xfer.c)     */
};

struct xfer;
struct stream_state;
struct device;
struct xen_dom;

enum lifecycle_action { ACTION_DESTROY, ACTION_RESTART, ACTION_PRESERVE };

/* The guest interface: hvcore's own pv ABI or Xen's (docs/xen-pv.md). */
enum domain_abi { DOMAIN_ABI_AUTO, DOMAIN_ABI_HV, DOMAIN_ABI_XEN };

enum vcpu_run_state {
    VCPU_DOWN = 0,     /* no context: waits for VCPUOP_up           */
    VCPU_RUNNING,      /* in or around KVM_RUN                       */
    VCPU_BLOCKED,      /* SCHEDOP_block: sleeping until an event     */
    VCPU_PARKED,       /* stopped because the domain is paused       */
    VCPU_EXITED,       /* thread finished (domain ending)            */
};

struct domain;

struct vcpu {
    struct domain *dom;
    unsigned id;
    int fd;                         /* KVM vCPU fd, -1 until created   */
    struct kvm_run *run;
    size_t run_size;
    pthread_t thread;
    bool thread_started;
    pthread_cond_t cond;            /* wakes this vCPU (dom->lock)     */
    enum vcpu_run_state state;      /* guarded by dom->lock            */
    bool want_up;                   /* VCPUOP_up requested             */
    bool want_down;                 /* VCPUOP_down from another vCPU   */
    struct hv_vcpu_context start;   /* context for the next up         */
    struct hv_rec_vcpu *restore;    /* state to load on that up (stream) */
    bool regs_valid;                /* run->s.regs holds live state    */
    int timer_fd;                   /* one-shot timer (timerfd)        */
    /* The deadline the timer is armed for (system time, 0: none), until
     * its VIRQ_TIMER has been raised: an expiry read from timer_fd but not
     * yet raised still counts as armed, so a stream never loses it
     * (guest_time.c).  Guarded by dom->lock. */
    uint64_t timer_deadline;
    int wake_fd;                    /* eventfd: wakes a blocked vCPU   */
    /* epoll set of the call eventfds of device queues bound to this vCPU:
     * a blocked vCPU waits on it too (device.c) */
    int dev_epoll;
    uint64_t cpu_ns_done;           /* CPU time of finished threads    */
    /* KVM_RUN returns.  Written by this vCPU's thread only, with a relaxed
     * store (no lock, no locked instruction on the exit path); others read
     * it relaxed.  Kept across reboots, as hv_domctl_info.exits says. */
    uint64_t exits;
    /* dirty ring (dirty_ring.c), when the VM has rings */
    struct kvm_dirty_gfn *ring;
    uint32_t ring_next;             /* next entry to harvest           */
    pthread_mutex_t ring_lock;
};

struct console_client {
    int fd;
    struct console_client *next;
};

struct evtchn_port {
    uint8_t type;                   /* EVT_FREE, EVT_VIRQ, EVT_IPI     */
    uint8_t virq;
    uint16_t vcpu;
};

struct domain {
    /* configuration (fixed for the process lifetime) */
    const char *kernel_path;
    const char *cmdline;
    char name[64];
    uint8_t uuid[16];
    uint32_t domid;
    uint64_t mem_max_bytes;
    uint64_t mem_initial_bytes;
    unsigned max_vcpus;
    enum lifecycle_action on_poweroff, on_reboot, on_crash;
    bool console_stdio;
    bool from_stream;               /* --restore / --incoming          */

    /* KVM */
    int kvm_fd, vm_fd;
    struct kvm_cpuid2 *cpuid;       /* KVM_GET_SUPPORTED_CPUID, once   */
    size_t run_mmap_size;
    uint64_t tsc_khz;
    int64_t guest_tsc_offset;       /* guest TSC - host TSC            */

    /* guest memory (memory.c) */
    int mem_fd;
    uint8_t *mem;                   /* host mapping of guest RAM       */
    uint64_t *balloon_map;          /* bit per page: released to host  */
    bool mem_image;                 /* RAM is a private file mapping   */
    int reserved_fd;                /* --reserve: populated, not yet RAM */
    uint8_t *reserved_mem;
    uint64_t reserved_bytes;
    uint64_t *hv_dirty;             /* pages hvcore wrote, while logging */
    uint64_t *hv_dirty_old;         /* the last map, freed at the end  */
    uint32_t ring_entries;          /* dirty rings: entries, 0 = bitmap */
    uint64_t *ring_dirty;           /* pages vCPUs harvested, logging  */
    uint64_t *ring_dirty_old;
    uint64_t ballooned_pages;
    uint64_t first_free_pfn;
    uint64_t entry_rip;
    uint8_t *kernel_image;          /* the ELF file, read once at start */
    size_t kernel_size;

    /* lifecycle, guarded by lock */
    pthread_mutex_t lock;
    pthread_cond_t cond;            /* vCPU state changes              */
    bool paused;
    bool stopping;                  /* vCPU threads must leave         */
    enum end_reason end_reason;
    char end_detail[112];
    uint32_t boot_count;
    uint64_t boot_mono_ns;          /* CLOCK_MONOTONIC at boot         */
    uint64_t mem_target_kib;
    uint32_t shutdown_pending;      /* SHUTDOWN_REQUEST_* not yet done  */
    enum hv_domain_state state;
    struct vcpu vcpu[HV_MAX_VCPUS];

    /* events (evtchn.c), guarded by lock */
    uint64_t upcall_rip;
    struct evtchn_port port[HV_NR_EVTCHN];
    uint64_t events;                /* ports made pending, ever        */

    /* Xen PV personality (xen*.c, docs/xen-pv.md): NULL for hvcore's own
     * pv ABI, set when the kernel speaks Xen's */
    struct xen_dom *xen;
    const char *initrd_path;        /* --initrd (Xen PV kernels only)    */
    enum domain_abi abi;            /* --abi; AUTO: from the kernel file  */

    /* devices (device.c): the table and back ends under dev_lock, taken
     * before lock; the data path's per-queue descriptors and ports under
     * lock (index: qid = slot * HV_DEV_MAX_QUEUES + queue; -1 / 0: none) */
    pthread_mutex_t dev_lock;
    struct device *dev[HV_DEV_MAX];
    bool have_ioeventfd;            /* KVM_CAP_IOEVENTFD, unless refused */
    bool ioeventfd_probed;
    int dev_kick_fd[HV_DEV_MAX * HV_DEV_MAX_QUEUES]; /* live queues' kicks */
    int dev_call_fd[HV_DEV_MAX * HV_DEV_MAX_QUEUES]; /* set-up queues' calls */
    uint16_t dev_call_port[HV_DEV_MAX * HV_DEV_MAX_QUEUES];
    const char *device_specs[HV_DEV_MAX]; /* --device, in order          */
    unsigned nr_device_specs;

    /* console (console.c) */
    pthread_mutex_t console_lock;
    struct console_client *console_clients;
    int console_log_fd;
    /* stdout, written by vCPU threads outside console_lock (the reader may
     * stall: the event loop must never wait for it) */
    pthread_mutex_t stdout_lock;
    int stdout_fd;                  /* own O_NONBLOCK description or 1 */
    bool stdout_is_socket;
    char history[8192];             /* recent output for new clients   */
    size_t history_len;
    char in_pending[HV_CONSOLE_IN_SIZE]; /* input waiting for ring room */
    size_t in_pending_len;

    /* event loop (event_loop.c) */
    int epoll_fd;
    int wake_fd;                    /* eventfd: vCPU -> loop           */
    int listen_fd;                  /* domctl socket                   */
    int signal_fd;                  /* SIGINT/SIGTERM/SIGHUP           */
    unsigned nr_clients;            /* open domctl connections         */
    int subscribers[16];
    unsigned nr_subscribers;
    int ready_fd;

    /* save and migration (xfer.c, incoming.c), guarded by lock */
    struct xfer *xfer;              /* the running or last job         */
    uint32_t xfer_state;            /* HV_XFER_STATE_*                 */
    struct stream_state *incoming;  /* arrived, not yet taken over     */
    bool incoming_paused;           /* stay paused when taken over     */

    /* runtime directory (runtime.c) */
    char rundir[512];
    char domdir[600];
    int domdir_fd;                  /* domains/<domid>, flock'ed for life */
    bool have_name_link;
};

/* Pointers into guest memory for the fixed pages. */
static inline struct hv_shared_info *dom_shared(struct domain *d)
{
    return (struct hv_shared_info *)(d->mem + HV_SHARED_INFO_PAGE);
}

static inline struct hv_console_ring *dom_console(struct domain *d)
{
    return (struct hv_console_ring *)(d->mem + HV_CONSOLE_PAGE);
}

uint64_t now_ns(int clock);

/* Lower-half canonical: the only addresses a pv guest may run or stack at
 * (48-bit virtual addresses; the guest has no upper half). */
static inline bool guest_addr_canonical(uint64_t addr)
{
    return addr < (1ULL << 47);
}

#endif /* HVCORE_H */
