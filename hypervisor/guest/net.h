/*
 * net.h - the virtio-net front end (virtio 1.x, 5.1) and a tiny IPv4
 * stack on it: Ethernet, ARP (answers, asks, a small cache), ICMP echo
 * (answers, sends), UDP (echo on one port, sending).  One queue pair, no
 * offloads: every checksum is computed here.  On-link peers only.
 */
#ifndef PVBOOT_NET_H
#define PVBOOT_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "virtio.h"

#define VIRTIO_NET_F_MAC    5
#define VIRTIO_NET_F_STATUS 16

#define NET_ARP_SLOTS 16
#define NET_UDP_ECHO_PORT 7

struct net_arp {
    uint32_t ip;
    uint8_t mac[6];
    bool valid;
};

struct net_stats {
    uint64_t rx_frames, tx_frames, rx_bytes, tx_bytes;
    uint64_t arp_replied, arp_learned, icmp_replied, udp_echoed;
    uint64_t rx_dropped, tx_full;
};

struct net {
    struct vdev *dev;
    char id[HV_DEV_ID_MAX];
    uint8_t mac[6];
    uint32_t ip, mask;          /* host byte order */
    uint16_t echo_port;         /* UDP echo port, 0: none */
    uint16_t ip_id;
    uint8_t *rx_pool, *tx_pool;
    uint16_t rx_size, tx_size;
    uint16_t *tx_free;          /* stack of free tx buffer indexes */
    uint16_t tx_nfree;
    struct net_arp arp[NET_ARP_SLOTS];
    unsigned arp_next;
    struct net_stats st;
    uint64_t resets;
    bool gone;
    /* ICMP echo replies to our requests: called from net_poll. */
    void (*on_echo_reply)(struct net *n, uint32_t from, uint16_t id, uint16_t seq,
                          uint64_t now_ns);
};

/* Set up claimed device d; mac (or NULL: the device's) and ip/prefix. */
long net_open(struct net *n, struct vdev *d, const uint8_t *mac, uint32_t ip,
              unsigned prefix, uint64_t timeout_ns);
/* Receive and answer, take back sent buffers, follow resets.  Returns
 * the number of frames received. */
unsigned net_poll(struct net *n);
/* Block until a frame or completion arrives, or deadline_ns (0: none). */
void net_wait(struct net *n, uint64_t deadline_ns);

/* The peer's MAC if known; otherwise an ARP request is sent (at most one
 * every 200 ms) and false returned. */
bool net_resolve(struct net *n, uint32_t ip, uint8_t mac[6]);
/* Send an ICMP echo request / a UDP datagram.  0, -HVE_AGAIN (no
 * transmit buffer free: poll and retry), -HVE_NOENT (peer not resolved:
 * an ARP request went out), -HVE_INVAL (not on link, too big). */
long net_ping(struct net *n, uint32_t dst, uint16_t id, uint16_t seq, unsigned payload);
long net_send_udp(struct net *n, uint32_t dst, uint16_t sport, uint16_t dport,
                  const void *data, unsigned len);
/* Transmit buffers free now. */
static inline unsigned net_tx_room(const struct net *n)
{
    return n->tx_nfree;
}
void net_kick(struct net *n);

/* "a.b.c.d" -> host-order address; returns the end or NULL. */
const char *net_parse_ip(const char *s, uint32_t *ip);
/* "aa:bb:cc:dd:ee:ff" -> 6 bytes; NULL on error. */
const char *net_parse_mac(const char *s, uint8_t mac[6]);
void net_fmt_ip(char *out, unsigned size, uint32_t ip);
void net_fmt_mac(char *out, unsigned size, const uint8_t mac[6]);

#endif /* PVBOOT_NET_H */
