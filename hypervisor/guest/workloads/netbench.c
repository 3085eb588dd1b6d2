/*
 * netbench.c - UDP datagrams to a destination as fast as the transmit
 * ring takes them, for a number of seconds; one line of figures, then
 * power off.  Also the argument parser of both network workloads.
 */
#include "kernel.h"
#include "lib.h"
#include "net.h"
#include "printf.h"
#include "time.h"
#include "virtio.h"
#include "workloads/net_args.h"
#include "workloads/workloads.h"

#define NETBENCH_SPORT 40000

static struct net card;
static uint8_t payload[1472];

/* "mac=<mac>" at s (then the end or a comma). */
static const char *parse_mac_item(const char *s, struct net_args *a)
{
    if (strncmp(s, "mac=", 4) != 0)
        return NULL;
    a->has_mac = true;
    return net_parse_mac(s + 4, a->mac);
}

static const char *parse_num(const char *s, unsigned long max, unsigned *out)
{
    char *end;
    unsigned long v;

    if (!is_digit(*s))
        return NULL;
    v = strtoul(s, &end, 10);
    if (v > max)
        return NULL;
    *out = (unsigned)v;
    return end;
}

bool net_parse_args(const char *s, struct net_args *a, bool bench)
{
    unsigned port;

    memset(a, 0, sizeof(*a));
    a->count = 5;
    if (!(s = net_parse_ip(s, &a->ip)) || *s++ != '/' || !(s = parse_num(s, 32, &a->prefix)) ||
        a->prefix == 0)
        return false;
    if (bench) {
        if (*s++ != ',' || !(s = net_parse_ip(s, &a->peer)) || *s++ != ':' ||
            !(s = parse_num(s, 65535, &port)) || !port || *s++ != ',' ||
            !(s = parse_num(s, 3600, &a->seconds)) || !a->seconds)
            return false;
        a->port = (uint16_t)port;
        a->has_peer = true;
        a->size = 1024;
        if (*s == ',' && is_digit(s[1]) &&
            (!(s = parse_num(s + 1, sizeof(payload), &a->size)) || !a->size))
            return false;
    } else if (*s == ',' && is_digit(s[1])) {
        if (!(s = net_parse_ip(s + 1, &a->peer)))
            return false;
        a->has_peer = true;
        if (*s == ',' && is_digit(s[1]) &&
            (!(s = parse_num(s + 1, 100000, &a->count)) || !a->count))
            return false;
    }
    if (*s == ',' && !(s = parse_mac_item(s + 1, a)))
        return false;
    return *s == '\0';
}

void workload_netbench(const char *arg)
{
    struct net_args a;
    uint64_t packets = 0, bytes = 0, t0, ns, deadline, kicks0, blocks0;
    char dst[16];

    if (!net_parse_args(arg, &a, true)) {
        kprintf("pvboot: usage: netbench=<ip>/<prefix>,<dst-ip>:<port>,<seconds>[,<size>]\n");
        return;
    }
    if (!net_bring_up(&card, &a, "netbench") || !net_wait_resolved(&card, a.peer, "netbench"))
        return;
    for (unsigned i = 0; i < a.size; i++)
        payload[i] = (uint8_t)i;
    kicks0 = card.dev->kicks;
    blocks0 = card.dev->blocks;
    t0 = time_now_ns();
    deadline = t0 + a.seconds * NS_PER_S;
    while (time_now_ns() < deadline && !card.gone) {
        long rc = net_send_udp(&card, a.peer, NETBENCH_SPORT, a.port, payload, a.size);

        if (rc == 0) {
            packets++;
            bytes += a.size;
            if (net_tx_room(&card))
                continue;
        } else if (rc != -HVE_AGAIN && rc != -HVE_NOENT) {
            kprintf("netbench: send failed (%ld)\n", rc);
            return;
        }
        /* Ring full (or ARP pending): hand over what is queued, take
         * back what was sent, and sleep if nothing came back yet. */
        net_kick(&card);
        if (!net_poll(&card) && !net_tx_room(&card))
            net_wait(&card, deadline);
    }
    net_kick(&card);
    ns = time_now_ns() - t0;
    net_fmt_ip(dst, sizeof(dst), a.peer);
    /* Mbit/s with two decimals: bits * 1000 / ns = Mbit/s; x100. */
    uint64_t centi = ns ? bytes * 8 * 100000 / ns : 0;
    kprintf("netbench: %s:%u size %u: %llu packets, %llu bytes, %llu ns, %llu pps, "
            "%llu.%02llu Mbit/s, %llu notifies, %llu blocks\n",
            dst, a.port, a.size, (unsigned long long)packets, (unsigned long long)bytes,
            (unsigned long long)ns, (unsigned long long)(ns ? packets * NS_PER_S / ns : 0),
            (unsigned long long)(centi / 100), (unsigned long long)(centi % 100),
            (unsigned long long)(card.dev->kicks - kicks0),
            (unsigned long long)(card.dev->blocks - blocks0));
}
