/*
 * net_args.h - the command-line arguments of the network workloads, and
 * what net and netbench share.
 */
#ifndef PVBOOT_WORKLOADS_NET_ARGS_H
#define PVBOOT_WORKLOADS_NET_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "net.h"

struct net_args {
    uint32_t ip;
    unsigned prefix;
    bool has_peer;
    uint32_t peer;              /* net: the peer to ping; netbench: dst */
    unsigned count;             /* net: pings (default 5)               */
    uint16_t port;              /* netbench: destination port           */
    unsigned seconds, size;     /* netbench                             */
    bool has_mac;
    uint8_t mac[6];
};

/* net:      <ip>/<prefix>[,<peer-ip>[,<count>]][,mac=<mac>]
 * netbench: <ip>/<prefix>,<dst-ip>:<port>,<seconds>[,<size>][,mac=<mac>] */
bool net_parse_args(const char *arg, struct net_args *a, bool bench);

bool net_bring_up(struct net *n, const struct net_args *a, const char *who);
bool net_wait_resolved(struct net *n, uint32_t peer, const char *who);
void net_print_stats(const struct net *n, const char *who);

#endif /* PVBOOT_WORKLOADS_NET_ARGS_H */
