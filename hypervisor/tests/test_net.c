/*
 * test_net.c - pvboot's virtio-net front end and its small IPv4 stack on
 * the in-tree hvnet, in a network namespace the test makes: a bridge with
 * an address, hvcore (and so hvnet and its tap) started inside the
 * namespace.  The guest answers ping and UDP echo from the host side,
 * two domains on the bridge ping each other, and netbench sends UDP to
 * the host.  The namespace goes at the end whatever happened (the tap
 * goes with hvnet, hvnet with hvcore).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device_util.h"
#include "sh_util.h"
#include "test_util.h"

#define WAIT_MS 30000
#define BRIDGE "hvbr-h3"
#define HOST_IP "10.77.0.1"

static char netns[64];
static bool have_netns;
static struct dom *doms[2];

/* Run fn(arg) with the calling thread in the namespace: what it starts
 * (hvcore) and the sockets it makes stay there. */
static void in_netns(void (*fn)(void *), void *arg)
{
    char path[128];
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), ns;

    snprintf(path, sizeof(path), "/run/netns/%s", netns);
    ns = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(self >= 0 && ns >= 0);
    assert_int_equal(setns(ns, CLONE_NEWNET), 0);
    fn(arg);
    assert_int_equal(setns(self, CLONE_NEWNET), 0);
    close(ns);
    close(self);
}

/* The namespace, quiet (no IPv6 chatter), with the bridge the guests'
 * taps join and the host's address on it. */
static int group_setup(void **state)
{
    (void)state;
    snprintf(netns, sizeof(netns), "hvtest-h3-%d", (int)getpid());
    if (sh("command -v ip >/dev/null 2>&1") != 0) {
        fprintf(stderr, "test_net: ip (iproute2) missing: skipping\n");
        return 0;
    }
    sh("ip netns del %s 2>/dev/null", netns);
    if (sh("ip netns add %s 2>/dev/null", netns) != 0) {
        fprintf(stderr, "test_net: cannot make a network namespace: skipping\n");
        return 0;
    }
    have_netns = true;
    sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
       "net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1", netns);
    if (sh("ip -n %s link set lo up && ip -n %s link add " BRIDGE " type bridge && "
           "ip -n %s addr add " HOST_IP "/24 dev " BRIDGE " && ip -n %s link set " BRIDGE
           " up", netns, netns, netns, netns) != 0) {
        fprintf(stderr, "test_net: cannot make the bridge: skipping\n");
        sh("ip netns del %s", netns);
        have_netns = false;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    if (have_netns)
        sh("ip netns del %s 2>/dev/null", netns);
    return 0;
}

/* Whatever a test left running goes before the next one. */
static int teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(doms) / sizeof(doms[0]); i++) {
        if (doms[i])
            dom_free(doms[i]);
        doms[i] = NULL;
    }
    return 0;
}

#define REQUIRE_NETNS() do { if (!have_netns) skip(); } while (0)

struct start {
    const char *cmdline;
    char spec[128];
    struct dom *d;
};

static void start_fn(void *arg)
{
    struct start *s = arg;

    s->d = dom_start(s->cmdline, 64, 1, "--device", s->spec, NULL);
}

/* A domain with one card on the bridge, MAC 52:54:00:77:00:<n>. */
static struct dom *start_guest(unsigned slot, const char *cmdline, unsigned n)
{
    struct start s = { .cmdline = cmdline };

    snprintf(s.spec, sizeof(s.spec), "net,id=net0,mac=52:54:00:77:00:%02u,bridge=" BRIDGE, n);
    in_netns(start_fn, &s);
    assert_non_null(s.d);
    doms[slot] = s.d;
    return s.d;
}

struct sock {
    int fd;
    uint16_t port;
};

static void udp_socket_fn(void *arg)
{
    struct sock *s = arg;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(s->port) };

    inet_pton(AF_INET, HOST_IP, &sa.sin_addr);
    s->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(s->fd >= 0);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
}

/* A UDP socket on the host's side of the bridge. */
static int host_udp_socket(uint16_t port)
{
    struct sock s = { .fd = -1, .port = port };

    in_netns(udp_socket_fn, &s);
    return s.fd;
}

/* Send text to ip:port until the same text comes back from there
 * (ARP may still be on its way for the first one). */
static void udp_echo(int fd, const char *ip, uint16_t port, const char *text)
{
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
    uint64_t end = ms_now() + WAIT_MS;
    char buf[256];

    inet_pton(AF_INET, ip, &to.sin_addr);
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);

        assert_true(ms_now() < end);
        assert_int_equal(sendto(fd, text, strlen(text), 0, (struct sockaddr *)&to, sizeof(to)),
                         (ssize_t)strlen(text));
        if (poll(&p, 1, 1000) != 1)
            continue;
        ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
        assert_true(n >= 0);
        buf[n] = '\0';
        assert_string_equal(buf, text);
        assert_int_equal(from.sin_addr.s_addr, to.sin_addr.s_addr);
        assert_int_equal(ntohs(from.sin_port), port);
        return;
    }
}

/* The number after key in the console text from the mark on. */
static unsigned long counter_after(struct dom *d, const char *from, const char *key)
{
    const char *p = strstr(from, key);

    assert_non_null(p);
    (void)d;
    return strtoul(p + strlen(key), NULL, 10);
}

/* Pinged from the namespace (ping -c 3), and UDP echo on port 7. */
static void guest_answers_ping_and_udp_echo(void **state)
{
    (void)state;
    REQUIRE_KVM();
    REQUIRE_NETNS();
    if (sh("command -v ping >/dev/null 2>&1") != 0) {
        fprintf(stderr, "test_net: ping (iputils-ping) missing: skipping\n");
        skip();
    }
    struct dom *d = start_guest(0, "net=10.77.0.2/24", 2);
    EXPECT_CONSOLE(d, "net: net0 up, mac 52:54:00:77:00:02, ip 10.77.0.2/24\n", WAIT_MS);
    EXPECT_CONSOLE(d, "net: serving\n", WAIT_MS);

    /* -w: up to 30 s for the 3 answers; only matters on failure */
    assert_int_equal(sh("ip netns exec %s ping -q -c 3 -i 0.2 -w 30 10.77.0.2 >/dev/null",
                        netns), 0);
    int fd = host_udp_socket(0);
    udp_echo(fd, "10.77.0.2", 7, "hello from the host side");
    udp_echo(fd, "10.77.0.2", 7, "and again");
    close(fd);

    size_t mark = d->mark;
    type(d, "s");
    EXPECT_CONSOLE(d, ", resets 0\n", WAIT_MS);
    assert_true(counter_after(d, d->out + mark, "icmp replies ") >= 3);
    assert_true(counter_after(d, d->out + mark, "udp echoes ") >= 2);
    assert_true(counter_after(d, d->out + mark, "arp replies ") >= 1);
}

/* kill -9 of hvnet: hvcore starts it again (a new tap in the bridge),
 * the guest resets its card and answers again; a detached card is
 * reported gone. */
static void card_survives_backend_kill_and_detach(void **state)
{
    struct hv_domctl_device_info before, after;

    (void)state;
    REQUIRE_KVM();
    REQUIRE_NETNS();
    struct dom *d = start_guest(0, "net=10.77.0.2/24", 2);
    EXPECT_CONSOLE(d, "net: serving\n", WAIT_MS);
    int fd = host_udp_socket(0);
    udp_echo(fd, "10.77.0.2", 7, "before");

    assert_int_equal(info(d, 0, &before), 0);
    assert_true(before.backend_pid > 0);
    assert_int_equal(kill(before.backend_pid, SIGKILL), 0);
    /* answered again only once the card was reset and set up anew */
    udp_echo(fd, "10.77.0.2", 7, "after");
    close(fd);
    assert_int_equal(info(d, 0, &after), 0);
    assert_true(after.backend_pid > 0 && after.backend_pid != before.backend_pid);
    type(d, "s");
    EXPECT_CONSOLE(d, ", resets 1\n", WAIT_MS);

    assert_int_equal(detach(d, "net0"), 0);
    EXPECT_CONSOLE(d, "net: net0 removed\n", WAIT_MS);
    assert_int_equal(dom_wait_exit(d, 0), -1);
}

/* Two domains on the bridge: each pings the other. */
static void two_domains_ping_each_other(void **state)
{
    (void)state;
    REQUIRE_KVM();
    REQUIRE_NETNS();
    struct dom *a = start_guest(0, "net=10.77.0.2/24,10.77.0.3,3", 2);
    /* b's MAC from its command line, not the card's */
    struct dom *b = start_guest(1, "net=10.77.0.3/24,10.77.0.2,3,mac=52:54:00:77:00:33", 3);

    EXPECT_CONSOLE(b, "net: net0 up, mac 52:54:00:77:00:33, ip 10.77.0.3/24\n", WAIT_MS);
    EXPECT_CONSOLE(a, "net: 10.77.0.3 is at 52:54:00:77:00:33\n", WAIT_MS);
    EXPECT_CONSOLE(b, "net: 10.77.0.2 is at 52:54:00:77:00:02\n", WAIT_MS);
    EXPECT_CONSOLE(a, "net: ping 10.77.0.3: 3 sent, ", WAIT_MS);
    EXPECT_CONSOLE(b, "net: ping 10.77.0.2: 3 sent, ", WAIT_MS);
    /* An answer can be late on a loaded machine; each must have had one. */
    assert_true(counter_after(a, a->out, "net: ping 10.77.0.3: 3 sent, ") >= 1);
    assert_true(counter_after(b, b->out, "net: ping 10.77.0.2: 3 sent, ") >= 1);
    EXPECT_CONSOLE(a, "net: serving\n", WAIT_MS);
    EXPECT_CONSOLE(b, "net: serving\n", WAIT_MS);
}

/* netbench: UDP to a socket on the host's side; what it counts arrives
 * (some may be dropped by a slow receiver, none invented). */
static void netbench_sends_udp_to_the_host(void **state)
{
    (void)state;
    REQUIRE_KVM();
    REQUIRE_NETNS();
    int fd = host_udp_socket(9999);
    struct dom *d = start_guest(0, "netbench=10.77.0.4/24," HOST_IP ":9999,1,512", 4);

    EXPECT_CONSOLE(d, "netbench: net0 up, mac 52:54:00:77:00:04, ip 10.77.0.4/24\n", WAIT_MS);
    EXPECT_CONSOLE(d, "netbench: " HOST_IP " is at ", WAIT_MS);
    EXPECT_CONSOLE(d, "netbench: " HOST_IP ":9999 size 512: ", WAIT_MS);
    unsigned long sent = counter_after(d, d->out, ":9999 size 512: ");
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_OK);
    assert_true(sent > 0);

    char buf[2048];
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    assert_int_equal(n, 512);
    for (int i = 0; i < 512; i++)
        assert_int_equal((uint8_t)buf[i], (uint8_t)i);
    close(fd);
}

/* Bad arguments print the usage, word for word; without a card the
 * workloads say so and power off. */
static void expect_lines(const char *cmdline, const char *lines)
{
    char boot[256];

    struct dom *d = dom_start(cmdline, 32, 1, NULL);
    assert_non_null(d);
    doms[0] = d;
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_OK);
    snprintf(boot, sizeof(boot), "pvboot: booting %s (boot 1)\n%s", cmdline, lines);
    if (strcmp(d->out, boot) != 0) {
        fprintf(stderr, "want:\n%s\ngot:\n%s\n", boot, d->out);
        fail();
    }
    dom_free(d);
    doms[0] = NULL;
}

#define NET_USAGE "pvboot: usage: net=<ip>/<prefix>[,<peer-ip>[,<count>]][,mac=<mac>]\n"
#define NETBENCH_USAGE \
    "pvboot: usage: netbench=<ip>/<prefix>,<dst-ip>:<port>,<seconds>[,<size>]\n"

static void usage_and_missing_card(void **state)
{
    (void)state;
    REQUIRE_KVM();
    expect_lines("net", NET_USAGE);
    expect_lines("net=10.0.0.1", NET_USAGE);
    expect_lines("net=10.0.0.1/33", NET_USAGE);
    expect_lines("net=10.0.0.256/24", NET_USAGE);
    expect_lines("net=10.0.0.1/24,10.0.0.2,0", NET_USAGE);
    expect_lines("net=10.0.0.1/24,mac=52:54:00:12:34", NET_USAGE);
    expect_lines("net=10.0.0.1/24,10.0.0.2,3,mac=52:54:00:12:34:56,x", NET_USAGE);
    expect_lines("netbench=10.0.0.1/24,10.0.0.2,1", NETBENCH_USAGE);
    expect_lines("netbench=10.0.0.1/24,10.0.0.2:0,1", NETBENCH_USAGE);
    expect_lines("netbench=10.0.0.1/24,10.0.0.2:9,0", NETBENCH_USAGE);
    expect_lines("netbench=10.0.0.1/24,10.0.0.2:9,1,1473", NETBENCH_USAGE);

    expect_lines("net=10.0.0.1/24", "net: no network card\n");
    expect_lines("netbench=10.0.0.1/24,10.0.0.2:9,1", "netbench: no network card\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(usage_and_missing_card, teardown),
        cmocka_unit_test_teardown(guest_answers_ping_and_udp_echo, teardown),
        cmocka_unit_test_teardown(card_survives_backend_kill_and_detach, teardown),
        cmocka_unit_test_teardown(two_domains_ping_each_other, teardown),
        cmocka_unit_test_teardown(netbench_sends_udp_to_the_host, teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
