/*
 * hvnet - the in-tree vhost-user network back end (hvnet(8)): virtio-net
 * queue pairs on a tap device, optionally in a Linux bridge.
 *
 *   hvnet --fd N | --socket PATH  --mac MAC [--tap NAME] [--bridge NAME]
 *         [--queues N] [--stats-fd N] [--user NAME] [--poll-us N]
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "net.h"
#include "public/device.h"

#define PROG "hvnet"

enum {
    OPT_MAC = BE_OPT_DEVICE,
    OPT_TAP,
    OPT_BRIDGE,
};

static const struct option options[] = {
    BE_COMMON_OPTIONS,
    { "mac", required_argument, NULL, OPT_MAC },
    { "tap", required_argument, NULL, OPT_TAP },
    { "bridge", required_argument, NULL, OPT_BRIDGE },
    { NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: hvnet (--fd N | --socket PATH) --mac MAC [options]\n"
            "Serve a tap device as a vhost-user network card.\n"
            "\n"
            "  --fd N          serve the connected vhost-user socket N; exit when it closes\n"
            "  --socket PATH   listen at PATH and serve one front end at a time\n"
            "  --mac MAC       the guest's MAC address (required)\n"
            "  --tap NAME      the tap device (made if missing; default: the kernel's name)\n"
            "  --bridge NAME   add the tap to this Linux bridge\n"
            "  --queues N      queue pairs, 1 to %u (default 1; above 1 a control queue)\n"
            "  --stats-fd N    the counters page (public/backend_stats.h) to keep\n"
            "  --user NAME     run as NAME once the tap is set up\n"
            "  --poll-us N     poll the queues N microseconds after work (default %u, 0: off)\n"
            "  --help          this text\n"
            "\n"
            "Exit status: 0 the front end closed the connection, 1 runtime error, 2 usage.\n",
            NET_MAX_PAIRS, BE_POLL_US_DEFAULT);
}

static bool parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char end;

    if (strlen(s) != 17 ||
        sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &end) != 6)
        return false;
    for (unsigned i = 0; i < 6; i++) {
        if (s[3 * i] == ' ' || s[3 * i] == '+' || s[3 * i] == '-')
            return false;
        mac[i] = (uint8_t)v[i];
    }
    /* A guest's address is one unicast address, not all-zero. */
    return !(mac[0] & 1) && (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

static bool ifname_ok(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
        return false;
    for (const char *p = s; *p; p++)
        if (*p == '/' || *p == ':' || *p <= ' ' || *p == 0x7f)
            return false;
    return true;
}

static int parse(struct net *n, int argc, char **argv)
{
    bool have_mac = false;
    int opt;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        int rc = be_common_option(&n->opt, opt, optarg);

        if (rc < 0)
            return BE_EXIT_USAGE;
        if (rc > 0)
            continue;
        switch (opt) {
        case OPT_MAC:
            if (!parse_mac(optarg, n->mac)) {
                fprintf(stderr, PROG ": --mac: '%s' is not a unicast MAC address (like "
                        "52:54:00:12:34:56)\n", optarg);
                return BE_EXIT_USAGE;
            }
            have_mac = true;
            break;
        case OPT_TAP:
        case OPT_BRIDGE:
            if (!ifname_ok(optarg)) {
                fprintf(stderr, PROG ": --%s: '%s' is not an interface name (1 to %d bytes, "
                        "no '/', ':' or spaces)\n", opt == OPT_TAP ? "tap" : "bridge", optarg,
                        IFNAMSIZ - 1);
                return BE_EXIT_USAGE;
            }
            if (opt == OPT_TAP)
                n->tap = optarg;
            else
                n->bridge = optarg;
            break;
        case BE_OPT_HELP:
            usage(stdout);
            return BE_EXIT_OK;
        default:
            be_bad_option(PROG, opt, argv);
            return BE_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
        return BE_EXIT_USAGE;
    }
    if (be_common_check(&n->opt) < 0)
        return BE_EXIT_USAGE;
    if (!have_mac) {
        fprintf(stderr, PROG ": --mac is required\n");
        return BE_EXIT_USAGE;
    }
    return -1;
}

int main(int argc, char **argv)
{
    static struct net n;
    int rc, listen_fd = -1;

    be_common_init(&n.opt, PROG, NET_MAX_PAIRS);
    rc = parse(&n, argc, argv);
    if (rc >= 0)
        return rc;
    n.dev.prog = PROG;
    n.dev.ops = &net_ops;
    n.dev.priv = &n;
    n.dev.nr_queues = 2 * n.opt.queues + (n.opt.queues > 1);
    n.dev.queue_num = n.opt.queues;
    n.dev.poll_us = n.opt.poll_us;
    n.dev.features = (1ull << HV_VIRTIO_F_VERSION_1) | (1ull << HV_VIRTIO_F_RING_EVENT_IDX) |
                     (1ull << HV_VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_NET_F_MAC) |
                     (1ull << VIRTIO_NET_F_STATUS);
    if (n.opt.queues > 1)
        n.dev.features |= (1ull << VIRTIO_NET_F_CTRL_VQ) | (1ull << VIRTIO_NET_F_MQ);
    if (tap_open(&n) < 0)
        return BE_EXIT_RUNTIME;
    n.dev.stats = be_stats_open(&n.opt);
    if (!n.dev.stats || vu_dev_init(&n.dev) < 0)
        return BE_EXIT_RUNTIME;
    /* The front end builds virtio-net's config space (hvcore does, QEMU
     * does): offering CONFIG would make QEMU refuse the back end. */
    n.dev.protocol &= ~(1ull << VU_PROTOCOL_F_CONFIG);
    for (unsigned p = 0; p < n.opt.queues; p++)
        if (vu_dev_watch(&n.dev, n.tapfd[p], EPOLLIN) < 0) {
            fprintf(stderr, PROG ": epoll: %s\n", strerror(errno));
            return BE_EXIT_RUNTIME;
        }
    if (n.opt.socket && (listen_fd = be_listen(&n.opt)) < 0)
        return BE_EXIT_RUNTIME;
    if (be_drop_user(&n.opt) < 0)
        return BE_EXIT_RUNTIME;
    return be_serve(&n.dev, &n.opt, listen_fd);
}
