/*
 * tap.c - hvnet's tap device: /dev/net/tun with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR (a 12-byte virtio-net header passes straight through),
 * one fd per queue pair with IFF_MULTI_QUEUE, up, in a bridge if asked,
 * with a MAC of its own that is not the guest's.  The tap is not made
 * persistent: it goes away with hvnet.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

static int open_queue(struct net *n, unsigned i)
{
    struct ifreq ifr;
    int fd, hdr = NET_HDR_LEN;

    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    if (n->opt.queues > 1)
        ifr.ifr_flags |= IFF_MULTI_QUEUE;
    /* The first queue may let the kernel pick the name; the others join it. */
    if (i > 0 || n->tap)
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i > 0 ? n->ifname : n->tap);
    fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "hvnet: cannot open /dev/net/tun: %s\n", strerror(errno));
        return -1;
    }
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        fprintf(stderr, "hvnet: cannot make tap %s: %s\n",
                ifr.ifr_name[0] ? ifr.ifr_name : "device", strerror(errno));
        close(fd);
        return -1;
    }
    snprintf(n->ifname, sizeof(n->ifname), "%s", ifr.ifr_name);
    /* No offloads: every frame arrives whole, with checksums done. */
    if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 || ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
        fprintf(stderr, "hvnet: tap %s: virtio-net header: %s\n", n->ifname, strerror(errno));
        close(fd);
        return -1;
    }
    n->tapfd[i] = fd;
    return 0;
}

/* The tap's own MAC must not be the guest's, or the bridge would see two. */
static int own_mac(struct net *n, int s)
{
    struct ifreq ifr;

    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->ifname);
    if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0)
        return -1;
    if (memcmp(ifr.ifr_hwaddr.sa_data, n->mac, 6) != 0)
        return 0;
    ifr.ifr_hwaddr.sa_data[5] ^= 1;
    return ioctl(s, SIOCSIFHWADDR, &ifr);
}

int tap_open(struct net *n)
{
    struct ifreq ifr;
    int s = -1, rc = -1;

    for (unsigned i = 0; i < NET_MAX_PAIRS; i++)
        n->tapfd[i] = -1;
    for (unsigned i = 0; i < n->opt.queues; i++)
        if (open_queue(n, i) < 0)
            goto out;
    s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0 || own_mac(n, s) < 0) {
        fprintf(stderr, "hvnet: tap %s: MAC address: %s\n", n->ifname, strerror(errno));
        goto out;
    }
    if (n->bridge) {
        memset(&ifr, 0, sizeof(ifr));
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->bridge);
        ifr.ifr_ifindex = (int)if_nametoindex(n->ifname);
        if (ioctl(s, SIOCBRADDIF, &ifr) < 0) {
            fprintf(stderr, "hvnet: cannot add tap %s to bridge %s: %s\n", n->ifname, n->bridge,
                    strerror(errno));
            goto out;
        }
    }
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", n->ifname);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0 ||
        (ifr.ifr_flags |= IFF_UP, ioctl(s, SIOCSIFFLAGS, &ifr) < 0)) {
        fprintf(stderr, "hvnet: cannot bring tap %s up: %s\n", n->ifname, strerror(errno));
        goto out;
    }
    /* Until the driver asks for more (VIRTIO_NET_CTRL_MQ), one pair. */
    if (tap_set_pairs(n, 1) < 0)
        goto out;
    rc = 0;
out:
    if (s >= 0)
        close(s);
    return rc;
}

int tap_set_pairs(struct net *n, unsigned pairs)
{
    for (unsigned i = 1; i < n->opt.queues; i++) {
        struct ifreq ifr;

        memset(&ifr, 0, sizeof(ifr));
        ifr.ifr_flags = i < pairs ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
        if (ioctl(n->tapfd[i], TUNSETQUEUE, &ifr) < 0 && errno != EINVAL) {
            fprintf(stderr, "hvnet: tap %s queue %u: %s\n", n->ifname, i, strerror(errno));
            return -1;
        }
    }
    n->active_pairs = pairs;
    return 0;
}
