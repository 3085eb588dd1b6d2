/*
 * device.h - the pv device transport: virtio devices without emulation.
 *
 * A domain's disks and network cards are virtio 1.x devices (split
 * virtqueues, VIRTIO_F_RING_EVENT_IDX, VIRTIO_F_INDIRECT_DESC) whose back
 * ends run outside hvcore, in their own processes, spoken to over the
 * vhost-user protocol (docs/devices.md).  What virtio-pci or virtio-mmio
 * would do with emulated registers, this transport does with a read-only
 * device page, a few hypercalls and event channels:
 *
 *   discovery   the device page (HV_DEVICE_PAGE, start_info.device_page)
 *               lists up to HV_DEV_MAX devices: virtio type, state, queue
 *               count and size, offered features, virtio config space.
 *               hvcore alone writes it; the guest cannot.
 *   set-up      HC_dev_op: DEVOP_set_features, DEVOP_setup_queue (returns
 *               the queue's event-channel port), DEVOP_start (DRIVER_OK).
 *   notify      HC_dev_notify(qid): "queue qid has new buffers".  KVM hands
 *               it to the back end in the host kernel (an ioeventfd): no
 *               exit to hvcore, no trip through its event loop.  With
 *               EVENT_IDX a busy back end is not notified at all.
 *   complete    the back end signals the queue's event-channel port; the
 *               guest sees it pending in shared_info (an upcall if it
 *               waits).  With EVENT_IDX the guest says when it wants one.
 *   changes     VIRQ_DEVICE: a slot's generation moved (a device came,
 *               went, needs a reset or is ready again).
 *
 * Rings and every buffer a descriptor names must lie in guest RAM at or
 * above HV_KERNEL_MIN_ADDR: back ends see only that part of memory (the
 * pages below it hold hvcore's page tables), so a descriptor pointing
 * lower is refused by the back end, as is one past the end of RAM.
 *
 * Device life (hv_dev_info.state):
 *
 *   CONNECTING --back end connected--> READY --DEVOP_start--> RUNNING
 *        ^                               ^                       |
 *        |                               +----DEVOP_reset--------+
 *        |                               |
 *        +--(back end died)--> NEEDS_RESET --DEVOP_reset--> CONNECTING
 *           in READY or RUNNING               (or READY once it is back)
 *
 * A back end that dies (or breaks the protocol) does not take the domain
 * down: the device goes to NEEDS_RESET with VIRQ_DEVICE, requests in flight
 * are lost (the guest resubmits them after the reset: block requests are
 * idempotent, network frames may be lost anyway).  hvcore restarts in-tree
 * back ends and reconnects to socket back ends; the guest resets the
 * device, waits for READY and sets it up again.  A detached device's slot
 * goes back to FREE (type 0) once its back end has stopped touching guest
 * memory: buffers the guest had queued on it are the guest's again.
 */
#ifndef HV_PUBLIC_DEVICE_H
#define HV_PUBLIC_DEVICE_H

#include "hvabi.h"

#define HV_DEV_MAX          16   /* device slots in the device page        */
#define HV_DEV_MAX_QUEUES   16   /* virtqueues per device                  */
#define HV_DEV_QUEUE_MAX    1024 /* largest queue size hvcore accepts      */
#define HV_DEV_CONFIG_MAX   96   /* bytes of virtio config space           */
#define HV_DEV_ID_MAX       16   /* id bytes including the NUL             */

/* Virtio device ids (virtio 1.x, 5 "Device Types"). */
#define HV_DEV_TYPE_NONE    0
#define HV_DEV_TYPE_NET     1
#define HV_DEV_TYPE_BLOCK   2

enum hv_dev_state {
    HV_DEV_STATE_FREE        = 0, /* empty slot                             */
    HV_DEV_STATE_CONNECTING  = 1, /* waiting for its back end               */
    HV_DEV_STATE_READY       = 2, /* back end there: features, queues, start */
    HV_DEV_STATE_RUNNING     = 3, /* started: queues are live               */
    HV_DEV_STATE_NEEDS_RESET = 4, /* back end lost: DEVOP_reset, then again */
};

/* Feature bits of the transport (virtio 1.x, 6 "Reserved Feature Bits"). */
#define HV_VIRTIO_F_INDIRECT_DESC   28
#define HV_VIRTIO_F_RING_EVENT_IDX  29
#define HV_VIRTIO_F_VERSION_1       32

/*
 * One slot of the device page.  Everything here is written by hvcore only;
 * generation goes up by one with every change of the slot (state, config,
 * ports), so a guest that saw generation g and reads g again saw a
 * consistent slot (hvcore makes the generation odd while it writes,
 * as pvclock's version).
 */
struct hv_dev_info {
    uint32_t type;              /* HV_DEV_TYPE_*; NONE: free slot          */
    uint32_t state;             /* enum hv_dev_state                       */
    uint32_t generation;        /* odd while hvcore updates the slot       */
    uint16_t nr_queues;         /* virtqueues the device has               */
    uint16_t queue_max;         /* largest size a queue may be given       */
    uint64_t features;          /* device features offered                 */
    uint16_t port[HV_DEV_MAX_QUEUES]; /* event-channel port per set-up
                                 * queue, 0: not set up                    */
    char     id[HV_DEV_ID_MAX]; /* the toolstack's name ("vda", "net0")    */
    uint32_t config_len;        /* bytes of config that are meaningful     */
    uint32_t pad0;
    uint8_t  config[HV_DEV_CONFIG_MAX]; /* virtio device config space,
                                 * little-endian as in the virtio spec     */
    uint8_t  pad1[16];
};                              /* 192 bytes */

#define HV_DEVICE_PAGE_MAGIC 0x6876646576000001ULL  /* "hvdev" + v1 */

struct hv_device_page {
    uint64_t magic;             /* HV_DEVICE_PAGE_MAGIC                    */
    uint32_t nr_slots;          /* HV_DEV_MAX                              */
    uint32_t generation;        /* sum of changes to any slot              */
    uint8_t  pad[48];
    struct hv_dev_info dev[HV_DEV_MAX];
};                              /* 64 + 16 * 192 = 3136 bytes */

/*
 * HC_dev_op(op, dev, arg) - set-up of device slot `dev` (0..HV_DEV_MAX-1).
 * Each returns -HVE_NOENT for a free slot, -HVE_INVAL for a bad argument.
 *
 *   DEVOP_set_features(dev, features): the driver's features; must be a
 *       subset of hv_dev_info.features and include VIRTIO_F_VERSION_1.
 *       Only in READY.  Returns 0.
 *   DEVOP_setup_queue(dev, addr): addr is the guest address of a struct
 *       hv_dev_queue.  Only in READY.  Returns the queue's event-channel
 *       port (> 0), bound to queue.vcpu.  Setting up a queue again replaces
 *       the earlier set-up (and port).
 *   DEVOP_start(dev, 0): DRIVER_OK.  Queues that were set up go live.
 *       Only in READY; -HVE_AGAIN while CONNECTING or NEEDS_RESET (wait
 *       for VIRQ_DEVICE), -HVE_IO if the back end refused.
 *   DEVOP_reset(dev, 0): stop the device (its back end stops touching the
 *       rings first), close its ports, forget features and queues.  From
 *       RUNNING or READY: READY.  From NEEDS_RESET: READY if the back end
 *       is back, else CONNECTING.  Returns 0.
 */
#define DEVOP_set_features  0
#define DEVOP_setup_queue   1
#define DEVOP_start         2
#define DEVOP_reset         3

struct hv_dev_queue {
    uint16_t index;             /* queue number, < hv_dev_info.nr_queues   */
    uint16_t size;              /* power of two, 1..queue_max              */
    uint16_t vcpu;              /* vCPU its event-channel port notifies    */
    uint16_t pad;
    uint64_t desc;              /* descriptor table, 16-byte aligned       */
    uint64_t avail;             /* driver (available) ring, 2-byte aligned */
    uint64_t used;              /* device (used) ring, 4-byte aligned      */
};

/*
 * HC_dev_notify(qid): queue `index` of device `dev` has new available
 * buffers, with qid = dev * HV_DEV_MAX_QUEUES + index.  Always returns 0:
 * a notification for a queue that is not live is dropped.  The stub is
 * an I/O-port write of qid to HV_NOTIFY_PORT that KVM turns into an
 * eventfd signal to the back end without leaving the host kernel.
 */
#define HV_NOTIFY_PORT 0xe2

#endif /* HV_PUBLIC_DEVICE_H */
