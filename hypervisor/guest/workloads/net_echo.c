/*
 * net_echo.c - the `net` workload: bring the first network card up with
 * an address, answer ARP, ICMP echo and UDP echo (port 7) for ever, and
 * with a peer given, ping it first.  's' on the console prints counters.
 */
#include "console.h"
#include "evtchn.h"
#include "kernel.h"
#include "lib.h"
#include "net.h"
#include "printf.h"
#include "time.h"
#include "virtio.h"
#include "workloads/net_args.h"
#include "workloads/workloads.h"

#define PING_ID 0x7062
#define PING_TIMEOUT_NS (5 * NS_PER_S)  /* generous: a loaded host is slow, not lossy */
#define PING_INTERVAL_NS (100 * NS_PER_MS)
#define RESOLVE_NS (30 * NS_PER_S)

static struct net card;
static volatile bool ping_answered;
static uint16_t ping_seq;
static uint64_t ping_sent_ns, ping_rtt_ns;

static void echo_reply(struct net *n, uint32_t from, uint16_t id, uint16_t seq, uint64_t now)
{
    (void)n;
    (void)from;
    if (id == PING_ID && seq == ping_seq && !ping_answered) {
        ping_rtt_ns = now - ping_sent_ns;
        ping_answered = true;
    }
}

static void console_event(unsigned port, void *arg)
{
    (void)port;
    (void)arg;
}

void net_print_stats(const struct net *n, const char *who)
{
    kprintf("%s: rx %llu frames, tx %llu frames, arp replies %llu, icmp replies %llu, "
            "udp echoes %llu, resets %llu\n",
            who, (unsigned long long)n->st.rx_frames, (unsigned long long)n->st.tx_frames,
            (unsigned long long)n->st.arp_replied, (unsigned long long)n->st.icmp_replied,
            (unsigned long long)n->st.udp_echoed, (unsigned long long)n->resets);
}

/* Poll and handle until deadline (or cond is set). */
static void serve_until(uint64_t deadline, volatile bool *cond)
{
    while (!(cond && *cond) && time_now_ns() < deadline) {
        if (net_poll(&card))
            continue;
        if (cond && *cond)
            break;
        net_wait(&card, deadline);
    }
}

bool net_bring_up(struct net *n, const struct net_args *a, const char *who)
{
    char ip[16], mac[18];
    struct vdev *d;
    long rc;

    if (!virtio_init() || !(d = virtio_claim(HV_DEV_TYPE_NET))) {
        kprintf("%s: no network card\n", who);
        return false;
    }
    rc = net_open(n, d, a->has_mac ? a->mac : NULL, a->ip, a->prefix, 30 * NS_PER_S);
    if (rc < 0) {
        kprintf("%s: %s: cannot set up the device (%ld)\n", who, d->id, rc);
        return false;
    }
    net_fmt_ip(ip, sizeof(ip), n->ip);
    net_fmt_mac(mac, sizeof(mac), n->mac);
    kprintf("%s: %s up, mac %s, ip %s/%u\n", who, n->id, mac, ip, a->prefix);
    return true;
}

/* Wait (answering meanwhile) until the peer answers ARP. */
bool net_wait_resolved(struct net *n, uint32_t peer, const char *who)
{
    uint64_t deadline = time_now_ns() + RESOLVE_NS;
    char ip[16], mac_s[18];
    uint8_t mac[6];

    net_fmt_ip(ip, sizeof(ip), peer);
    while (!net_resolve(n, peer, mac)) {
        if (time_now_ns() >= deadline || n->gone) {
            kprintf("%s: %s does not answer ARP\n", who, ip);
            return false;
        }
        if (!net_poll(n))
            net_wait(n, time_now_ns() + 50 * NS_PER_MS);
    }
    net_fmt_mac(mac_s, sizeof(mac_s), mac);
    kprintf("%s: %s is at %s\n", who, ip, mac_s);
    return true;
}

static void ping_peer(uint32_t peer, unsigned count)
{
    uint64_t min = ~0ULL, max = 0, sum = 0;
    unsigned received = 0;
    char ip[16];

    net_fmt_ip(ip, sizeof(ip), peer);
    if (!net_wait_resolved(&card, peer, "net"))
        return;
    card.on_echo_reply = echo_reply;
    for (unsigned i = 1; i <= count; i++) {
        uint64_t next = time_now_ns() + PING_INTERVAL_NS;
        long rc;

        ping_seq = (uint16_t)i;
        ping_answered = false;
        ping_sent_ns = time_now_ns();
        while ((rc = net_ping(&card, peer, PING_ID, ping_seq, 56)) == -HVE_AGAIN)
            net_poll(&card);
        if (rc < 0) {
            kprintf("net: ping %s seq %u: not sent (%ld)\n", ip, i, rc);
        } else {
            serve_until(ping_sent_ns + PING_TIMEOUT_NS, &ping_answered);
            if (ping_answered) {
                uint64_t us = ping_rtt_ns / NS_PER_US;
                kprintf("net: ping %s seq %u: %llu us\n", ip, i, (unsigned long long)us);
                received++;
                sum += us;
                min = us < min ? us : min;
                max = us > max ? us : max;
            } else {
                kprintf("net: ping %s seq %u: timeout\n", ip, i);
            }
        }
        serve_until(next, NULL);
    }
    kprintf("net: ping %s: %u sent, %u received, min/avg/max %llu/%llu/%llu us\n", ip, count,
            received, (unsigned long long)(received ? min : 0),
            (unsigned long long)(received ? sum / received : 0), (unsigned long long)max);
}

void workload_net(const char *arg)
{
    struct net_args a;
    long port;

    if (!net_parse_args(arg, &a, false)) {
        kprintf("pvboot: usage: net=<ip>/<prefix>[,<peer-ip>[,<count>]][,mac=<mac>]\n");
        return;
    }
    if (!net_bring_up(&card, &a, "net"))
        return;
    port = evtchn_bind_virq(VIRQ_CONSOLE, 0, console_event, NULL);
    if (port < 0)
        panic("net: cannot bind VIRQ_CONSOLE: %ld", port);
    if (a.has_peer)
        ping_peer(a.peer, a.count);
    kprintf("net: serving\n");
    for (;;) {
        int c;

        while ((c = console_getc()) >= 0)
            if (c == 's')
                net_print_stats(&card, "net");
        if (card.gone) {
            kprintf("net: %s removed\n", card.id);
            idle_forever();
        }
        if (!net_poll(&card))
            net_wait(&card, 0);
    }
}
