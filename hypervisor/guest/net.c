/*
 * net.c - virtio-net front end and a tiny IPv4 stack.
 *
 * Frames are built and parsed byte by byte in network order (no packed
 * structs, no unaligned access questions).  Every received buffer is
 * posted again at once; every reply goes out through a free transmit
 * buffer or is dropped (counted) when there is none.
 */
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "net.h"
#include "printf.h"
#include "time.h"

#define NET_HDR_LEN 12          /* virtio_net_hdr with num_buffers (v1) */
#define NET_BUF 2048            /* header + a 1514-byte frame, rounded  */
#define ETH_HLEN 14
#define ETH_MAX 1514
#define ETH_P_IP  0x0800
#define ETH_P_ARP 0x0806
#define IP_HLEN 20
#define IPPROTO_ICMP 1
#define IPPROTO_UDP 17
#define RXQ 0
#define TXQ 1
#define ARP_RETRY_NS (200 * NS_PER_MS)

static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

/* Internet checksum (RFC 1071) of len bytes, folded, from sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, unsigned len)
{
    for (unsigned i = 0; i + 1 < len; i += 2)
        sum += get16(p + i);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

const char *net_parse_ip(const char *s, uint32_t *ip)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        char *end;
        unsigned long b;

        if (!is_digit(*s))
            return NULL;
        b = strtoul(s, &end, 10);
        if (b > 255 || (i < 3 && *end != '.'))
            return NULL;
        v = v << 8 | (uint32_t)b;
        s = i < 3 ? end + 1 : end;
    }
    *ip = v;
    return s;
}

const char *net_parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        char *end;
        unsigned long b = strtoul(s, &end, 16);

        if (end != s + 2 || b > 255 || (i < 5 && *end != ':'))
            return NULL;
        mac[i] = (uint8_t)b;
        s = i < 5 ? end + 1 : end;
    }
    return s;
}

void net_fmt_ip(char *out, unsigned size, uint32_t ip)
{
    ksnprintf(out, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
}

void net_fmt_mac(char *out, unsigned size, const uint8_t m[6])
{
    ksnprintf(out, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static uint8_t *rx_buf(struct net *n, unsigned i)
{
    return n->rx_pool + (uint64_t)i * NET_BUF;
}

static uint8_t *tx_buf(struct net *n, unsigned i)
{
    return n->tx_pool + (uint64_t)i * NET_BUF;
}

static void post_rx(struct net *n, unsigned i)
{
    struct vq_seg seg = { (uint64_t)(uintptr_t)rx_buf(n, i), NET_BUF, true };

    vq_add(&n->dev->vq[RXQ], &seg, 1, (void *)(uintptr_t)(i + 1));
}

/* Fresh rings: every receive buffer posted, every transmit buffer free. */
static void fill_rings(struct net *n)
{
    n->tx_nfree = 0;
    for (unsigned i = 0; i < n->tx_size; i++)
        n->tx_free[n->tx_nfree++] = (uint16_t)i;
    for (unsigned i = 0; i < n->rx_size; i++)
        post_rx(n, i);
    vq_kick(&n->dev->vq[RXQ]);
}

long net_open(struct net *n, struct vdev *d, const uint8_t *mac, uint32_t ip,
              unsigned prefix, uint64_t timeout_ns)
{
    uint64_t wanted = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS);
    long rc, pfn;
    uint64_t pages;

    memset(n, 0, sizeof(*n));
    n->dev = d;
    memcpy(n->id, d->id, sizeof(n->id));
    rc = vdev_start(d, wanted, 2, 256, timeout_ns);
    if (rc < 0)
        return rc;
    n->rx_size = d->vq[RXQ].size;
    n->tx_size = d->vq[TXQ].size;
    pages = (((uint64_t)n->rx_size + n->tx_size) * NET_BUF + 2ULL * n->tx_size +
             HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT;
    pfn = mm_alloc_pages(pages);
    if (pfn < 0)
        return pfn;
    n->rx_pool = pfn_to_ptr((uint64_t)pfn);
    n->tx_pool = n->rx_pool + (uint64_t)n->rx_size * NET_BUF;
    n->tx_free = (uint16_t *)(n->tx_pool + (uint64_t)n->tx_size * NET_BUF);
    if (mac)
        memcpy(n->mac, mac, 6);
    else if (vdev_has(d, VIRTIO_NET_F_MAC))
        memcpy(n->mac, d->config, 6);       /* config space: mac at 0 */
    else
        return -HVE_INVAL;
    n->ip = ip;
    n->mask = prefix ? ~0u << (32 - prefix) : 0;
    n->echo_port = NET_UDP_ECHO_PORT;
    fill_rings(n);
    return 0;
}

void net_kick(struct net *n)
{
    if (n->dev && !n->gone)
        vq_kick(&n->dev->vq[TXQ]);
}

/* A transmit buffer, with room for the virtio header in front; NULL if
 * none is free. */
static uint8_t *tx_get(struct net *n, unsigned *idx)
{
    if (!n->tx_nfree || n->gone) {
        n->st.tx_full++;
        return NULL;
    }
    *idx = n->tx_free[--n->tx_nfree];
    memset(tx_buf(n, *idx), 0, NET_HDR_LEN);
    return tx_buf(n, *idx) + NET_HDR_LEN;
}

static void tx_put(struct net *n, unsigned idx, unsigned frame_len)
{
    struct vq_seg seg = { (uint64_t)(uintptr_t)tx_buf(n, idx), NET_HDR_LEN + frame_len, false };

    if (vq_add(&n->dev->vq[TXQ], &seg, 1, (void *)(uintptr_t)(idx + 1)) < 0) {
        n->tx_free[n->tx_nfree++] = (uint16_t)idx;
        n->st.tx_full++;
        return;
    }
    n->st.tx_frames++;
    n->st.tx_bytes += frame_len;
}

static void eth_header(struct net *n, uint8_t *f, const uint8_t *dst, uint16_t type)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, n->mac, 6);
    put16(f + 12, type);
}

static void arp_learn(struct net *n, uint32_t ip, const uint8_t *mac)
{
    struct net_arp *slot = NULL;

    for (unsigned i = 0; i < NET_ARP_SLOTS; i++)
        if (n->arp[i].valid && n->arp[i].ip == ip)
            slot = &n->arp[i];
    if (!slot) {
        slot = &n->arp[n->arp_next++ % NET_ARP_SLOTS];
        n->st.arp_learned++;
    }
    slot->ip = ip;
    memcpy(slot->mac, mac, 6);
    slot->valid = true;
}

static void send_arp(struct net *n, uint16_t op, const uint8_t *tha, uint32_t tpa)
{
    unsigned idx;
    uint8_t *f = tx_get(n, &idx);

    if (!f)
        return;
    eth_header(n, f, op == 1 ? broadcast : tha, ETH_P_ARP);
    uint8_t *a = f + ETH_HLEN;
    put16(a, 1);                /* Ethernet */
    put16(a + 2, ETH_P_IP);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, op);
    memcpy(a + 8, n->mac, 6);
    put32(a + 14, n->ip);
    if (op == 1)
        memset(a + 18, 0, 6);
    else
        memcpy(a + 18, tha, 6);
    put32(a + 24, tpa);
    /* Padded to the Ethernet minimum. */
    memset(a + 28, 0, 60 - ETH_HLEN - 28);
    tx_put(n, idx, 60);
}

bool net_resolve(struct net *n, uint32_t ip, uint8_t mac[6])
{
    static uint64_t last_ask;
    static uint32_t last_ip;
    uint64_t now;

    for (unsigned i = 0; i < NET_ARP_SLOTS; i++) {
        if (n->arp[i].valid && n->arp[i].ip == ip) {
            memcpy(mac, n->arp[i].mac, 6);
            return true;
        }
    }
    now = time_now_ns();
    if (ip != last_ip || now - last_ask >= ARP_RETRY_NS) {
        last_ip = ip;
        last_ask = now;
        send_arp(n, 1, NULL, ip);
        net_kick(n);
    }
    return false;
}

static void handle_arp(struct net *n, const uint8_t *f, unsigned len)
{
    const uint8_t *a = f + ETH_HLEN;

    if (len < ETH_HLEN + 28 || get16(a) != 1 || get16(a + 2) != ETH_P_IP || a[4] != 6 ||
        a[5] != 4)
        return;
    uint16_t op = get16(a + 6);
    uint32_t spa = get32(a + 14), tpa = get32(a + 24);
    if (tpa != n->ip)
        return;
    arp_learn(n, spa, a + 8);
    if (op == 1) {
        send_arp(n, 2, a + 8, spa);
        n->st.arp_replied++;
    }
}

/* IPv4 header of an outgoing datagram at p; returns the payload. */
static uint8_t *ip_header(struct net *n, uint8_t *p, uint8_t proto, uint32_t dst,
                          unsigned payload_len)
{
    p[0] = 0x45;
    p[1] = 0;
    put16(p + 2, (uint16_t)(IP_HLEN + payload_len));
    put16(p + 4, n->ip_id++);
    put16(p + 6, 0x4000);       /* don't fragment */
    p[8] = 64;
    p[9] = proto;
    put16(p + 10, 0);
    put32(p + 12, n->ip);
    put32(p + 16, dst);
    put16(p + 10, csum_fold(csum_add(0, p, IP_HLEN)));
    return p + IP_HLEN;
}

static uint16_t udp_csum(uint32_t src, uint32_t dst, const uint8_t *udp, unsigned len)
{
    uint8_t pseudo[12];
    uint16_t c;

    put32(pseudo, src);
    put32(pseudo + 4, dst);
    pseudo[8] = 0;
    pseudo[9] = IPPROTO_UDP;
    put16(pseudo + 10, (uint16_t)len);
    c = csum_fold(csum_add(csum_add(0, pseudo, 12), udp, len));
    return c ? c : 0xffff;
}

/* An IPv4 datagram to dst with room for payload_len bytes; the caller
 * fills the payload and calls tx_put(n, *idx, *frame_len). */
static uint8_t *ip_start(struct net *n, uint32_t dst, uint8_t proto, unsigned payload_len,
                         unsigned *idx, unsigned *frame_len)
{
    uint8_t mac[6];
    uint8_t *f;

    if (((dst ^ n->ip) & n->mask) != 0 || ETH_HLEN + IP_HLEN + payload_len > ETH_MAX)
        return NULL;
    if (!net_resolve(n, dst, mac))
        return NULL;
    f = tx_get(n, idx);
    if (!f)
        return NULL;
    eth_header(n, f, mac, ETH_P_IP);
    *frame_len = ETH_HLEN + IP_HLEN + payload_len;
    if (*frame_len < 60) {
        memset(f + *frame_len, 0, 60 - *frame_len);
        *frame_len = 60;
    }
    return ip_header(n, f + ETH_HLEN, proto, dst, payload_len);
}

static long ip_send_error(struct net *n, uint32_t dst, unsigned payload_len)
{
    uint8_t mac[6];

    if (((dst ^ n->ip) & n->mask) != 0 || ETH_HLEN + IP_HLEN + payload_len > ETH_MAX)
        return -HVE_INVAL;
    if (!net_resolve(n, dst, mac))
        return -HVE_NOENT;
    return -HVE_AGAIN;
}

long net_ping(struct net *n, uint32_t dst, uint16_t id, uint16_t seq, unsigned payload)
{
    unsigned idx, flen, len = 8 + payload;
    uint8_t *p = ip_start(n, dst, IPPROTO_ICMP, len, &idx, &flen);

    if (!p)
        return ip_send_error(n, dst, len);
    p[0] = 8;
    p[1] = 0;
    put16(p + 2, 0);
    put16(p + 4, id);
    put16(p + 6, seq);
    for (unsigned i = 0; i < payload; i++)
        p[8 + i] = (uint8_t)(0x10 + i);
    put16(p + 2, csum_fold(csum_add(0, p, len)));
    tx_put(n, idx, flen);
    net_kick(n);
    return 0;
}

long net_send_udp(struct net *n, uint32_t dst, uint16_t sport, uint16_t dport,
                  const void *data, unsigned len)
{
    unsigned idx, flen, ulen = 8 + len;
    uint8_t *p = ip_start(n, dst, IPPROTO_UDP, ulen, &idx, &flen);

    if (!p)
        return ip_send_error(n, dst, ulen);
    put16(p, sport);
    put16(p + 2, dport);
    put16(p + 4, (uint16_t)ulen);
    put16(p + 6, 0);
    memcpy(p + 8, data, len);
    put16(p + 6, udp_csum(n->ip, dst, p, ulen));
    tx_put(n, idx, flen);
    return 0;
}

static void handle_icmp(struct net *n, const uint8_t *f, const uint8_t *ip, const uint8_t *p,
                        unsigned len)
{
    uint32_t src = get32(ip + 12);

    if (len < 8 || csum_fold(csum_add(0, p, len)) != 0)
        return;
    if (p[0] == 0 && n->on_echo_reply) {
        n->on_echo_reply(n, src, get16(p + 4), get16(p + 6), time_now_ns());
        return;
    }
    if (p[0] != 8)
        return;
    /* Echo request: the same bytes back with type 0. */
    unsigned idx, flen;
    arp_learn(n, src, f + 6);
    uint8_t *q = ip_start(n, src, IPPROTO_ICMP, len, &idx, &flen);
    if (!q)
        return;
    memcpy(q, p, len);
    q[0] = 0;
    put16(q + 2, 0);
    put16(q + 2, csum_fold(csum_add(0, q, len)));
    tx_put(n, idx, flen);
    n->st.icmp_replied++;
}

static void handle_udp(struct net *n, const uint8_t *f, const uint8_t *ip, const uint8_t *p,
                       unsigned len)
{
    uint32_t src = get32(ip + 12), dst = get32(ip + 16);
    unsigned ulen;

    if (len < 8 || (ulen = get16(p + 4)) < 8 || ulen > len)
        return;
    if (get16(p + 6) && udp_csum(src, dst, p, ulen) != 0xffff)
        return;
    if (!n->echo_port || get16(p + 2) != n->echo_port)
        return;
    arp_learn(n, src, f + 6);
    if (net_send_udp(n, src, n->echo_port, get16(p), p + 8, ulen - 8) == 0)
        n->st.udp_echoed++;
}

static void handle_ip(struct net *n, const uint8_t *f, unsigned len)
{
    const uint8_t *ip = f + ETH_HLEN;
    unsigned ihl, tot;

    if (len < ETH_HLEN + IP_HLEN || (ip[0] >> 4) != 4)
        return;
    ihl = (ip[0] & 15u) * 4;
    tot = get16(ip + 2);
    if (ihl < IP_HLEN || tot < ihl || ETH_HLEN + tot > len)
        return;
    if (csum_fold(csum_add(0, ip, ihl)) != 0 || get32(ip + 16) != n->ip)
        return;
    if (get16(ip + 6) & 0x3fff)
        return;                 /* fragments: not for this stack */
    switch (ip[9]) {
    case IPPROTO_ICMP:
        handle_icmp(n, f, ip, ip + ihl, tot - ihl);
        break;
    case IPPROTO_UDP:
        handle_udp(n, f, ip, ip + ihl, tot - ihl);
        break;
    default:
        break;
    }
}

static void handle_frame(struct net *n, const uint8_t *f, unsigned len)
{
    if (len < ETH_HLEN) {
        n->st.rx_dropped++;
        return;
    }
    if (memcmp(f, n->mac, 6) != 0 && memcmp(f, broadcast, 6) != 0)
        return;                 /* the bridge floods: not ours */
    switch (get16(f + 12)) {
    case ETH_P_ARP:
        handle_arp(n, f, len);
        break;
    case ETH_P_IP:
        handle_ip(n, f, len);
        break;
    default:
        break;
    }
}

static void restart(struct net *n)
{
    long rc = vdev_restart(n->dev, NULL, NULL, 60 * NS_PER_S);

    n->resets++;
    if (rc < 0) {
        n->gone = true;
        return;
    }
    /* Frames in flight are lost, as on a wire. */
    fill_rings(n);
}

unsigned net_poll(struct net *n)
{
    struct vq *rx, *tx;
    unsigned got = 0;
    void *c;
    uint32_t len;

    if (!n->dev || n->gone)
        return 0;
    virtio_scan(false);
    if (n->dev->gone) {
        n->gone = true;
        return 0;
    }
    if (n->dev->needs_reset)
        restart(n);
    if (n->gone)
        return 0;
    rx = &n->dev->vq[RXQ];
    tx = &n->dev->vq[TXQ];
    while ((c = vq_get_used(tx, NULL)))
        n->tx_free[n->tx_nfree++] = (uint16_t)((uintptr_t)c - 1);
    while ((c = vq_get_used(rx, &len))) {
        unsigned i = (unsigned)((uintptr_t)c - 1);

        got++;
        if (len > NET_HDR_LEN) {
            n->st.rx_frames++;
            n->st.rx_bytes += len - NET_HDR_LEN;
            handle_frame(n, rx_buf(n, i) + NET_HDR_LEN, len - NET_HDR_LEN);
        }
        post_rx(n, i);
    }
    if (got)
        vq_kick(rx);
    net_kick(n);
    return got;
}

void net_wait(struct net *n, uint64_t deadline_ns)
{
    if (n->dev && !n->gone)
        vdev_wait(n->dev, deadline_ns);
}
