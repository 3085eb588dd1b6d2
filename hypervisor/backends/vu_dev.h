/*
 * vu_dev.h - the back end's side of one vhost-user connection: features,
 * memory table, rings, and the loop that serves them.
 *
 * A device (hvblk, hvnet) fills in vu_dev_ops and its features; vu_dev
 * answers every message, maps guest memory, sets the rings up, and runs
 * the loop: process the queues, reap the device's own events, one call
 * per queue and batch, poll for a while, then sleep on the kick eventfds.
 */
#ifndef HV_BACKENDS_VU_DEV_H
#define HV_BACKENDS_VU_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "public/backend_stats.h"
#include "virtq.h"
#include "vu_mem.h"
#include "vu_msg.h"

#define VU_MAX_QUEUES 16

struct vu_dev;

struct vu_queue {
    struct virtq vq;
    unsigned num;               /* SET_VRING_NUM                             */
    uint16_t base;              /* SET_VRING_BASE                            */
    struct vu_addr addr;        /* SET_VRING_ADDR                            */
    bool addr_set;
    bool started;               /* kick fd given and rings translated       */
    bool enabled;               /* SET_VRING_ENABLE (or no protocol features)*/
    bool reported;              /* broken: already logged and counted        */
    int kick_fd, call_fd, err_fd;
};

struct vu_dev_ops {
    /* Take and start what queue q has available; the amount of work done. */
    int (*process)(struct vu_dev *d, unsigned q);
    /* Reap the device's own completions (without blocking); work done. */
    int (*poll)(struct vu_dev *d);
    /* One of the device's fds (vu_dev_watch) is ready. */
    void (*fd_ready)(struct vu_dev *d, int fd, uint32_t events);
    /* Queue q stops: finish (and push) everything in flight on it. */
    void (*stop)(struct vu_dev *d, unsigned q);
    /* Queue q has started (rings set up). 0, or -1 to refuse. */
    int (*start)(struct vu_dev *d, unsigned q);
    /* Config space bytes [off, off+len) into buf (len <= VU_CONFIG_MAX);
     * NULL for a device that leaves config space to the front end. */
    void (*config)(struct vu_dev *d, uint8_t *buf, uint32_t off, uint32_t len);
};

struct vu_dev {
    const char *prog;               /* "hvblk", for messages                  */
    const struct vu_dev_ops *ops;
    void *priv;
    uint64_t features;              /* offered (VU_F_PROTOCOL_FEATURES added) */
    uint64_t acked;                 /* SET_FEATURES                           */
    uint64_t protocol;              /* protocol features offered              */
    uint64_t protocol_acked;
    unsigned nr_queues;             /* virtqueues served                      */
    uint64_t queue_num;             /* GET_QUEUE_NUM's answer                 */
    unsigned poll_us;               /* busy-poll time after work, 0: none     */
    struct vu_queue q[VU_MAX_QUEUES];
    struct vu_mem mem;
    struct hv_backend_stats *stats;
    int sock;                       /* the connection, -1 between connections */
    int epfd;
    unsigned refusals_logged;       /* request refusals written to stderr     */
};

/* What the loop's epoll events carry: a kind and a value (queue, fd). */
#define VU_TAG_SOCK 1ull
#define VU_TAG_KICK 2ull
#define VU_TAG_FD   3ull
#define VU_TAG(t, v) (((t) << 32) | (uint32_t)(v))

/* Set d up (ops, features, queues filled in by the caller before). */
int vu_dev_init(struct vu_dev *d);

/*
 * Serve the connection sock until it closes (0) or breaks the protocol
 * (-1, logged).  Leaves d ready for the next connection.
 */
int vu_dev_serve(struct vu_dev *d, int sock);

/* For vu_serve.c: one message from the front end (0: go on; 1: it
 * closed; -1: it broke the protocol, logged); forget the connection's
 * state (queues stopped, memory unmapped, features). */
int vu_dev_message(struct vu_dev *d);
void vu_dev_reset(struct vu_dev *d);

/* Watch one of the device's own fds in the loop (events: EPOLLIN ...). */
int vu_dev_watch(struct vu_dev *d, int fd, uint32_t events);
int vu_dev_unwatch(struct vu_dev *d, int fd);

/* Queue q can be worked on: started, enabled, not broken. */
bool vu_dev_queue_live(const struct vu_dev *d, unsigned q);

/* The guest's feature bit was negotiated. */
bool vu_dev_has(const struct vu_dev *d, unsigned bit);

/*
 * After a batch of virtq_push() on q: publish and call the guest if it
 * asked.  Returns whether it called.
 */
bool vu_dev_complete(struct vu_dev *d, unsigned q);

/* The queue broke (vq.error): log it once, count it, signal its err fd. */
void vu_dev_queue_broken(struct vu_dev *d, unsigned q);

/* A request was refused: count it, keep the line as last_error, log a few. */
__attribute__((format(printf, 2, 3)))
void vu_dev_refuse(struct vu_dev *d, const char *fmt, ...);

/* Counters, relaxed single-writer updates. */
void vu_stat_add(uint64_t *counter, uint64_t n);

#endif
