/*
 * test_hvnet.c - hvnet, the in-tree network back end, in a network
 * namespace the test makes, driven by the test's vhost-user front end
 * (vu_front.c): a frame the guest sends appears on the tap, a frame sent
 * to the tap lands in a receive buffer, one too big is dropped and
 * counted, the tap goes with hvnet; a bridge, two queue pairs and the
 * control queue; option errors word for word; QEMU as a front end.
 */
#include "backend_test.h"

#define GUEST_MAC "52:54:00:12:34:56"
#define ETHERTYPE_TEST 0x88b5           /* local experimental */

static char netns[64];

/* A namespace of our own, quiet: no IPv6 chatter on the tap. */
static bool netns_up(void)
{
    snprintf(netns, sizeof(netns), "hvtest-h2-%d", (int)getpid());
    sh("ip netns del %s 2>/dev/null", netns);
    if (sh("ip netns add %s 2>/dev/null", netns) != 0)
        return false;
    sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
       "net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1", netns);
    return true;
}

static void netns_down(void)
{
    sh("ip netns del %s 2>/dev/null", netns);
}

/* A packet socket on ifname inside the namespace (sockets keep theirs). */
static int packet_socket(const char *ifname)
{
    char path[128];
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), ns, s = -1;
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };

    snprintf(path, sizeof(path), "/run/netns/%s", netns);
    ns = open(path, O_RDONLY | O_CLOEXEC);
    if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0)
        goto out;
    sll.sll_ifindex = (int)if_nametoindex(ifname);
    s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (s >= 0 && bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        close(s);
        s = -1;
    }
    setns(self, CLONE_NEWNET);
out:
    if (self >= 0)
        close(self);
    if (ns >= 0)
        close(ns);
    return s;
}

static size_t test_frame(uint8_t *f, size_t len, uint8_t tag)
{
    static const uint8_t dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t src[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = ETHERTYPE_TEST >> 8;
    f[13] = ETHERTYPE_TEST & 0xff;
    for (size_t i = 14; i < len; i++)
        f[i] = (uint8_t)(tag + i);
    return len;
}

/* The next frame of ours on s within 30 s, its length (0: none). */
static size_t recv_test_frame(int s, uint8_t *buf, size_t len)
{
    time_t end = time(NULL) + 30;

    while (time(NULL) <= end) {
        struct pollfd p = { .fd = s, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, 1000) != 1)
            continue;
        n = recv(s, buf, len, 0);
        if (n >= 14 && buf[12] == (ETHERTYPE_TEST >> 8) && buf[13] == (ETHERTYPE_TEST & 0xff))
            return (size_t)n;
    }
    return 0;
}

/* VIRTIO_NET_CTRL_MQ VQ_PAIRS_SET 2 on the control queue (4), command
 * and ack in descriptors 0 and 1: the back end acks it (0).  *ack gets
 * the ack's buffer; the command's bytes are returned, to send again. */
static uint8_t *two_pairs_set(struct vf *f, uint64_t *ack)
{
    uint64_t cmd = vf_alloc(f, 4, 4);
    uint8_t *c = vf_ptr(f, cmd);

    *ack = vf_alloc(f, 1, 1);
    c[0] = 4;               /* VIRTIO_NET_CTRL_MQ */
    c[1] = 0;               /* VQ_PAIRS_SET       */
    c[2] = 2;
    c[3] = 0;
    vf_desc(f, 4, 0, cmd, 4, VIRTQ_DESC_F_NEXT, 1);
    vf_desc(f, 4, 1, *ack, 1, VIRTQ_DESC_F_WRITE, 0);
    *(uint8_t *)vf_ptr(f, *ack) = 0xff;
    vf_avail(f, 4, 0);
    vf_kick(f, 4);
    assert_true(vf_wait_used(f, 4, 1));
    assert_int_equal(*(uint8_t *)vf_ptr(f, *ack), 0);
    return c;
}

/* A test frame of size bytes (tag) sent on transmit queue q, header and
 * frame in descriptors 0 and 1, reaches the tap (ps, a packet socket on
 * it).  *txbuf (if txbuf is not NULL) gets the frame's buffer; the
 * frame's length is returned. */
static size_t send_to_tap(struct vf *f, unsigned q, int ps, size_t size, uint8_t tag,
                          uint64_t *txbuf)
{
    uint8_t got[2048];
    uint64_t hdr = vf_alloc(f, NET_HDR_LEN, 16);
    uint64_t buf = vf_alloc(f, 2048, 64);
    size_t len;

    memset(vf_ptr(f, hdr), 0, NET_HDR_LEN);
    len = test_frame(vf_ptr(f, buf), size, tag);
    vf_desc(f, q, 0, hdr, NET_HDR_LEN, VIRTQ_DESC_F_NEXT, 1);
    vf_desc(f, q, 1, buf, (uint32_t)len, 0, 0);
    vf_avail(f, q, 0);
    vf_kick(f, q);
    assert_true(vf_wait_used(f, q, 1));
    assert_int_equal(recv_test_frame(ps, got, sizeof(got)), len);
    assert_memory_equal(got, vf_ptr(f, buf), len);
    if (txbuf)
        *txbuf = buf;
    return len;
}

static uint64_t net_features(void)
{
    return (1ull << HV_VIRTIO_F_VERSION_1) | (1ull << HV_VIRTIO_F_RING_EVENT_IDX) |
           (1ull << HV_VIRTIO_F_INDIRECT_DESC) | (1ull << 5) | (1ull << 16) | (1ull << 17) |
           (1ull << 22);
}

static void net_up(struct vf *f, const char *const *extra, unsigned nq)
{
    const char *args[16] = { "--mac", GUEST_MAC, "--tap", "hvt0" };
    unsigned n = 4;

    for (unsigned i = 0; extra && extra[i]; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    f->netns = netns;
    assert_int_equal(vf_start(f, "hvnet", args), 0);
    current = f;
    if (vf_handshake(f, net_features()) < 0) {
        fprintf(stderr, "handshake failed; hvnet said: %s\n", vf_stderr(f));
        fail();
    }
    for (unsigned q = 0; q < nq; q++)
        assert_int_equal(vf_queue(f, q, QSIZE), 0);
}

static void hvnet_refuses_bad_options(void **state)
{
    (void)state;
    expect_run("hvnet", (const char *[]){ "--fd", "3", NULL }, 2, "hvnet: --mac is required");
    expect_run("hvnet", (const char *[]){ "--fd", "3", "--mac", "01:00:5e:00:00:01", NULL }, 2,
               "hvnet: --mac: '01:00:5e:00:00:01' is not a unicast MAC address (like "
               "52:54:00:12:34:56)");
    expect_run("hvnet", (const char *[]){ "--fd", "3", "--mac", "52:54:00:12:34", NULL }, 2,
               "hvnet: --mac: '52:54:00:12:34' is not a unicast MAC address (like "
               "52:54:00:12:34:56)");
    expect_run("hvnet", (const char *[]){ "--fd", "3", "--mac", GUEST_MAC, "--tap",
                                          "a/b", NULL }, 2,
               "hvnet: --tap: 'a/b' is not an interface name (1 to 15 bytes, no '/', ':' or "
               "spaces)");
    expect_run("hvnet", (const char *[]){ "--fd", "3", "--mac", GUEST_MAC, "--bridge",
                                          "0123456789abcdef", NULL }, 2,
               "hvnet: --bridge: '0123456789abcdef' is not an interface name (1 to 15 bytes, "
               "no '/', ':' or spaces)");
    expect_run("hvnet", (const char *[]){ "--fd", "3", "--mac", GUEST_MAC, "--queues", "8",
                                          NULL }, 2,
               "hvnet: --queues: '8' is not a number from 1 to 7");
    expect_run("hvnet", (const char *[]){ "--mac", GUEST_MAC, NULL }, 2,
               "hvnet: exactly one of --fd and --socket is required");
    expect_run("hvnet", (const char *[]){ "--help", NULL }, 0,
               "Usage: hvnet (--fd N | --socket PATH) --mac MAC [options]");
}

/* A frame the guest sends appears on the tap; one sent to the tap lands
 * in a receive buffer; one too big for its buffer is dropped and counted;
 * the tap is gone when hvnet is. */
static void hvnet_moves_frames_between_guest_and_tap(void **state)
{
    struct vf f = { 0 };
    uint8_t frame[1600];
    uint64_t txbuf, rxbuf;
    size_t len;
    int ps;
    uint32_t id, ulen;

    (void)state;
    if (!netns_up()) {
        fprintf(stderr, "cannot make a network namespace (not root?): skipped\n");
        skip();
    }
    net_up(&f, NULL, 2);
    ps = packet_socket("hvt0");
    assert_true(ps >= 0);

    /* Transmit (queue 1): header + frame in two descriptors. */
    len = send_to_tap(&f, 1, ps, 200, 1, &txbuf);
    assert_int_equal(f.stats->reqs_out, 1);
    assert_int_equal(f.stats->bytes_out, len);

    /* A transmit buffer the device would write into is refused, counted,
     * and returned; the queue goes on. */
    vf_desc(&f, 1, 2, txbuf, 64, VIRTQ_DESC_F_WRITE, 0);
    vf_avail(&f, 1, 2);
    vf_kick(&f, 1);
    assert_true(vf_wait_used(&f, 1, 2));
    assert_last_error(&f, "queue 1: transmit buffer 2: 0 device-readable bytes (12 at least), "
                          "64 writable (none)");
    assert_int_equal(f.stats->errors, 1);

    /* 32 frames a round, one kick: the cost per frame, printed. */
    {
        enum { BATCH = 32, ROUNDS = 50 };
        double t0 = secs();

        for (unsigned r = 0; r < ROUNDS; r++) {
            uint16_t end = (uint16_t)(f.q[1].avail_idx + BATCH);

            vf_set_used_event(&f, 1, (uint16_t)(end - 1));
            for (unsigned i = 0; i < BATCH; i++)
                vf_avail(&f, 1, 0);
            vf_kick(&f, 1);
            assert_true(spin_used(&f, 1, end));
        }
        printf("hvnet: %.2f us per 200-byte frame sent to the tap, in batches of 32\n",
               (secs() - t0) * 1e6 / (ROUNDS * BATCH));
        assert_int_equal(f.stats->reqs_out, 1 + ROUNDS * BATCH);
    }

    /* Receive (queue 0): a buffer of 12 + 100 bytes first, then 1600. */
    rxbuf = vf_alloc(&f, 4096, 64);
    vf_desc(&f, 0, 0, rxbuf, NET_HDR_LEN + 100, VIRTQ_DESC_F_WRITE, 0);
    vf_avail(&f, 0, 0);
    vf_kick(&f, 0);
    /* A receive buffer waiting for a frame is no reason to stay awake:
     * with nothing to do, hvnet sleeps. */
    assert_true(wait_sleeping(f.pid));
    len = test_frame(frame, 500, 2);
    assert_int_equal(send(ps, frame, len, 0), (ssize_t)len);
    assert_true(vf_wait_errors(&f, 2));
    assert_last_error(&f, "queue 0: a frame of 500 bytes does not fit in a receive buffer of "
                          "100");
    assert_int_equal(vf_used_idx(&f, 0), 0);    /* the buffer waits for the next */
    len = test_frame(frame, 60, 3);
    assert_int_equal(send(ps, frame, len, 0), (ssize_t)len);
    assert_true(vf_wait_used(&f, 0, 1));
    vf_used_elem(&f, 0, 0, &id, &ulen);
    assert_int_equal(id, 0);
    assert_int_equal(ulen, NET_HDR_LEN + 60);
    assert_memory_equal((uint8_t *)vf_ptr(&f, rxbuf) + NET_HDR_LEN, frame, 60);
    assert_int_equal(((uint8_t *)vf_ptr(&f, rxbuf))[NET_NUM_BUFFERS_OFF], 1);
    assert_int_equal(f.stats->reqs_in, 1);
    assert_int_equal(f.stats->bytes_in, 60);

    /* A frame sent to the tap until it is in a receive buffer, one at a
     * time: the latency, printed, never judged. */
    {
        enum { FRAMES = 200 };
        double t0 = secs();

        for (unsigned i = 0; i < FRAMES; i++) {
            uint16_t end = (uint16_t)(f.q[0].avail_idx + 1);

            vf_desc(&f, 0, 1, rxbuf, 2048, VIRTQ_DESC_F_WRITE, 0);
            vf_avail(&f, 0, 1);
            vf_kick(&f, 0);
            assert_int_equal(send(ps, frame, len, 0), (ssize_t)len);
            assert_true(spin_used(&f, 0, end));
        }
        printf("hvnet: %.2f us from a frame sent to the tap to its receive buffer\n",
               (secs() - t0) * 1e6 / FRAMES);
        assert_int_equal(f.stats->reqs_in, 1 + FRAMES);
    }
    close(ps);

    assert_int_equal(vf_stop(&f), 0);
    /* Not persistent: the tap went with hvnet. */
    assert_int_not_equal(sh("ip netns exec %s ip link show hvt0 >/dev/null 2>&1", netns), 0);
    netns_down();
}

/* --bridge: the tap joins it and is up; --queues 2: MQ and the control
 * queue, which takes 1 or 2 pairs and refuses 3. */
static void hvnet_joins_a_bridge_with_two_queue_pairs(void **state)
{
    struct vf f = { 0 };
    uint64_t ack;
    uint8_t *c;
    uint32_t u;

    (void)state;
    if (!netns_up())
        skip();
    assert_int_equal(sh("ip netns exec %s ip link add hvbr0 type bridge", netns), 0);
    net_up(&f, (const char *[]){ "--bridge", "hvbr0", "--queues", "2", NULL }, 5);
    assert_true(f.features & (1ull << 22));
    assert_true(f.features & (1ull << 17));
    assert_int_equal(vf_get_u64(&f, VU_GET_QUEUE_NUM, &(uint64_t){ 0 }), 0);
    assert_int_equal(sh("ip netns exec %s ip -o link show hvt0 | grep -q 'master hvbr0'",
                        netns), 0);
    assert_int_equal(sh("ip netns exec %s ip -o link show hvt0 | grep -q '[<,]UP[,>]'", netns),
                     0);
    /* The tap's own MAC is not the guest's. */
    assert_int_not_equal(sh("ip netns exec %s ip -o link show hvt0 | grep -q '%s'", netns,
                            GUEST_MAC), 0);

    c = two_pairs_set(&f, &ack);
    c[2] = 3;
    vf_avail(&f, 4, 0);
    vf_kick(&f, 4);
    assert_true(vf_wait_used(&f, 4, 2));
    assert_int_equal(*(uint8_t *)vf_ptr(&f, ack), 1);
    assert_last_error(&f, "queue 4: VIRTIO_NET_CTRL_MQ asks for 3 queue pairs (1 to 2)");
    vf_used_elem(&f, 4, 1, &u, &u);
    assert_int_equal(u, 1);
    assert_int_equal(vf_stop(&f), 0);
    netns_down();
}



/* --user: the tap is opened and set up as root, then hvnet runs as the
 * user and still moves frames and attaches tap queues (no owner is set
 * on the tap, so the queue ioctls need no privilege). */
static void hvnet_runs_as_another_user(void **state)
{
    struct vf f = { 0 };
    struct passwd *pw = getpwnam("nobody");
    char path[64], line[256];
    uint64_t ack;
    bool seen = false;
    FILE *st;
    int ps;

    (void)state;
    if (!pw || getuid() != 0 || !netns_up()) {
        fprintf(stderr, "no user nobody, not root or no namespace: skipped\n");
        skip();
    }
    net_up(&f, (const char *[]){ "--queues", "2", "--user", "nobody", NULL }, 5);
    snprintf(path, sizeof(path), "/proc/%d/status", (int)f.pid);
    st = fopen(path, "r");
    assert_non_null(st);
    while (fgets(line, sizeof(line), st)) {
        unsigned r, e;

        if (sscanf(line, "Uid: %u %u", &r, &e) == 2) {
            assert_int_equal(r, pw->pw_uid);
            assert_int_equal(e, pw->pw_uid);
            seen = true;
        }
    }
    fclose(st);
    assert_true(seen);

    /* Two pairs: TUNSETQUEUE as nobody. */
    two_pairs_set(&f, &ack);

    /* A frame from the second pair's transmit queue reaches the tap. */
    ps = packet_socket("hvt0");
    assert_true(ps >= 0);
    send_to_tap(&f, 3, ps, 100, 7, NULL);
    close(ps);
    assert_int_equal(f.stats->errors, 0);
    assert_int_equal(vf_stop(&f), 0);
    netns_down();
}

/*
 * QEMU's vhost-user netdev takes hvnet (in the test's namespace, two
 * queue pairs) without a warning or an error.  The guest never starts.
 */
static void qemu_takes_hvnet(void **state)
{
    char sock[PATH_MAX + 16], cmd[8192], out[16384];
    pid_t pid;
    int st;

    (void)state;
    require_qemu();
    if (!netns_up())
        skip();
    snprintf(sock, sizeof(sock), "%s/q.sock", tmpdir);
    snprintf(cmd, sizeof(cmd), "/run/netns/%s", netns);
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), ns = open(cmd, O_RDONLY);
    assert_int_equal(setns(ns, CLONE_NEWNET), 0);     /* hvnet's tap goes there */
    pid = listen_backend("hvnet", sock, (const char *[]){ "--mac", GUEST_MAC, "--queues", "2",
                                                          NULL });
    assert_int_equal(setns(self, CLONE_NEWNET), 0);
    close(self);
    close(ns);
    snprintf(cmd, sizeof(cmd), "printf 'info network\\nquit\\n' | timeout 60 "
             "qemu-system-x86_64 -M q35 -accel tcg -nographic -nodefaults -m 64 "
             "-object memory-backend-memfd,id=mem,size=64M,share=on -numa node,memdev=mem "
             "-chardev socket,id=c0,path=%s -netdev vhost-user,id=n0,chardev=c0,queues=2 "
             "-device virtio-net-pci,netdev=n0,mq=on,mac=%s -S -monitor stdio 2>&1", sock,
             GUEST_MAC);
    st = run_output(cmd, out, sizeof(out));
    stop_backend(pid, sock);
    netns_down();
    if (st != 0 || !strstr(out, "type=vhost-user,vhost-user1") || strstr(out, "warning") ||
        strstr(out, "error")) {
        fprintf(stderr, "qemu with hvnet: status %d:\n%s\n", st, out);
        fail();
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(hvnet_refuses_bad_options, kill_leftover),
        cmocka_unit_test_teardown(hvnet_moves_frames_between_guest_and_tap, kill_leftover),
        cmocka_unit_test_teardown(hvnet_joins_a_bridge_with_two_queue_pairs, kill_leftover),
        cmocka_unit_test_teardown(hvnet_runs_as_another_user, kill_leftover),
        cmocka_unit_test_teardown(qemu_takes_hvnet, kill_leftover),
    };

    return cmocka_run_group_tests(tests, bt_setup, bt_teardown);
}
