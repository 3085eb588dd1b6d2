/*
 * device.h - hvcore's pv devices: the device table, the guest-visible
 * device page, the set-up hypercalls and the notification paths
 * (public/device.h is the guest's side, docs/devices.md the design).
 *
 * Threads: the device table and every back-end connection are guarded by
 * dom->dev_lock (taken before dom->lock, never after it).  vCPU threads
 * take it for HC_dev_op; the event loop for domctl, back-end deaths and
 * reconnections.  The data path does not take it: kick and call
 * descriptors and the queues' ports are in struct domain under dom->lock
 * (dev_kick_fd, dev_call_fd, dev_call_port), read by vCPU threads and the
 * loop alike.
 */
#ifndef HVCORE_DEVICE_H
#define HVCORE_DEVICE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "device_spec.h"
#include "public/backend_stats.h"
#include "public/device.h"
#include "vhost_user.h"

struct domain;
struct vcpu;
struct hv_domctl;
struct hv_domctl_reply;
struct hv_domctl_device_info;

/* qid of queue q of the device in slot s (device.h, HC_dev_notify). */
#define DEV_QID(s, q) ((s) * HV_DEV_MAX_QUEUES + (q))
#define DEV_NR_QIDS   (HV_DEV_MAX * HV_DEV_MAX_QUEUES)

struct dev_queue {
    bool set_up;                /* DEVOP_setup_queue took it             */
    bool live;                  /* started: the back end serves it       */
    bool ioeventfd;             /* kick_fd is registered with KVM        */
    uint16_t size, vcpu, port;
    uint64_t desc, avail, used; /* guest addresses                       */
    int kick_fd, call_fd;       /* eventfds, for the device's life       */
    /* The back end signals it when it stops the queue (a descriptor loop,
     * an index far ahead...): one per start, closed when the queue stops,
     * so a signal always belongs to the rings that run now. */
    int err_fd;
};

struct device {
    struct dev_spec spec;
    unsigned slot;
    uint32_t state;             /* enum hv_dev_state, as the page says   */
    uint32_t generation;        /* the slot's, even when at rest          */
    uint64_t features;          /* offered to the guest                  */
    uint64_t driver_features;
    bool features_set;
    uint16_t nr_queues, queue_max;
    uint8_t config[HV_DEV_CONFIG_MAX];
    uint32_t config_len;
    struct dev_queue q[HV_DEV_MAX_QUEUES];
    char desc[128];             /* device_info.backend_desc              */

    /* back end (device_backend.c) */
    struct vu_conn vu;
    bool connected;
    pid_t pid;                  /* in-tree back end, 0: none             */
    int pidfd;
    int stats_fd;
    struct hv_backend_stats *stats;
    int retry_fd;               /* timerfd: respawn / reconnect          */
    uint64_t started_ns;        /* when the back end last came up        */
    unsigned quick_deaths;      /* deaths within 1 s of a start, in a row */
    bool gave_up;
    uint32_t reconnects;
    char pending_error[112];    /* device_error the loop is to emit       */
};

/* Before anything else touches devices (main, at start). */
void device_init(struct domain *d);

/* Write the device page (header and every slot) from the table: at boot,
 * after RAM was cleared. */
void device_page_build(struct domain *d);

/* (Re)boot, before guest RAM is cleared: stop every device's queues and
 * forget the guest's set-up; each goes back to READY (or CONNECTING while
 * its back end is away).  device_page_build() publishes it afterwards. */
void device_boot(struct domain *d);

/* HC_dev_op and HC_dev_notify (the latter when KVM did not take it). */
int64_t device_op(struct vcpu *v, uint64_t op, uint64_t dev, uint64_t arg);
void device_notify(struct domain *d, uint64_t qid);

/* A call eventfd of qid is readable (event loop or a blocked vCPU):
 * read it and raise the queue's port. */
void device_call(struct domain *d, unsigned qid);

/* Devices the domain has (0: save and migration may go on). */
unsigned device_count(struct domain *d);

/* --device specs at start, before boot: 0, or -HVE_* with a line in err. */
int device_start_all(struct domain *d, char *err, size_t errlen);
/* hvcore's exit: stop every back end, leave nothing behind. */
void device_stop_all(struct domain *d);

/* domctl (device_ctl.c).  attach takes the spec text that followed the
 * request in its message. */
void device_ctl_attach(struct domain *d, const struct hv_domctl *req, const char *spec,
                       size_t spec_len, struct hv_domctl_reply *reply);
void device_ctl_detach(struct domain *d, const struct hv_domctl *req,
                       struct hv_domctl_reply *reply);
void device_ctl_info(struct domain *d, const struct hv_domctl *req,
                     struct hv_domctl_reply *reply);

/* The event loop: an fd device code asked it to watch is ready (tag as
 * given to loop_watch_device). */
void device_on_fd(struct domain *d, unsigned tag);

/* Internal, between device*.c (dom->dev_lock held). */
#define DEVFD_CALL  1u          /* tag: kind << 8 | slot << 4 | queue   */
#define DEVFD_SOCK  2u
#define DEVFD_PID   3u
#define DEVFD_RETRY 4u
#define DEVFD_ERR   5u
#define DEVFD_TAG(kind, slot, q) ((kind) << 8 | (slot) << 4 | (q))

void dev_slot_publish(struct domain *d, struct device *dev);
void dev_slot_clear(struct domain *d, unsigned slot);
/* 0, or -HVE_IO if talk and the back end did not answer GET_VRING_BASE. */
int dev_queues_stop(struct domain *d, struct device *dev, bool talk);
void dev_forget_setup(struct domain *d, struct device *dev);
/* talk: ask the back end to stop the rings first (detach); not when
 * hvcore is leaving anyway. */
void dev_free(struct domain *d, struct device *dev, bool talk);
int dev_backend_start(struct domain *d, struct device *dev, char *err, size_t errlen);
void dev_backend_stop(struct domain *d, struct device *dev);
void dev_backend_lost(struct domain *d, struct device *dev, const char *why);
void dev_backend_retry(struct domain *d, struct device *dev);
void dev_fill_info(struct domain *d, struct device *dev, struct hv_domctl_device_info *out);

#endif /* HVCORE_DEVICE_H */
