/*
 * net.h - hvnet's device: virtio-net queue pairs on a tap device
 * (tap.c opens and plumbs the tap, net_queue.c moves frames, hvnet.c
 * does the options and the features).
 *
 * Queues as virtio-net numbers them: receive i = 2i, transmit i = 2i+1,
 * and with more than one pair the control queue 2N.
 */
#ifndef HV_BACKENDS_NET_H
#define HV_BACKENDS_NET_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "be_common.h"
#include "virtq.h"
#include "vu_dev.h"

/* virtio-net (virtio 1.x, 5.1) */
#define VIRTIO_NET_F_MAC     5
#define VIRTIO_NET_F_STATUS  16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_MQ      22
#define VIRTIO_NET_S_LINK_UP 1
#define VIRTIO_NET_CTRL_MQ   4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_OK  0
#define VIRTIO_NET_ERR 1

#define NET_HDR_LEN 12u              /* virtio_net_hdr with num_buffers      */
#define NET_NUM_BUFFERS_OFF 10u
#define NET_MAX_PAIRS 7u             /* 2 * 7 + 1 queues fit in 16           */
#define NET_FRAME_MAX 65536u         /* what a tap may hand us, at most      */
#define NET_BATCH 64                 /* frames per queue and round           */

struct net {
    struct vu_dev dev;
    struct be_common opt;
    uint8_t mac[6];                  /* the guest's                          */
    const char *tap;                 /* --tap, or NULL: the kernel names it  */
    const char *bridge;              /* --bridge, or NULL                    */
    char ifname[IFNAMSIZ];
    int tapfd[NET_MAX_PAIRS];
    bool rx_ready[NET_MAX_PAIRS];    /* the tap queue may have frames        */
    unsigned active_pairs;           /* VIRTIO_NET_CTRL_MQ, 1 until set      */
    struct virtq_elem elem;
    uint8_t overflow[NET_FRAME_MAX]; /* where a frame too big for its buffer
                                      * goes, to be counted and dropped      */
};

/* Open the tap (one fd per pair), set it up, join the bridge.  0 or -1. */
int tap_open(struct net *n);

/* Let the first `pairs` tap queues carry frames (IFF_MULTI_QUEUE). */
int tap_set_pairs(struct net *n, unsigned pairs);

extern const struct vu_dev_ops net_ops;

#endif
