/*
 * bench_io.c - issue 11's benchmarks (make bench-io, and part of make
 * bench), printed as one markdown table of medians:
 *   1. disk: 4 KiB random reads at queue depth 1 and 32, 1 MiB sequential
 *      reads and writes (depth 4), measured inside a pvboot guest (the
 *      diskbench workload, guest/README.md) on a raw file in tmpfs served
 *      by hvblk, and the same file measured from the host by fio
 *      (io_uring, same block size and depth) in the same run: the host's
 *      figure is the physical limit, the ratio is the figure of merit.
 *      Exits per request: every exit KVM counted for the VM (its own
 *      statistics, hv_domctl_info.kvm_exits: notifications KVM handled in
 *      the kernel included),
 *      and the hypercalls the guest made (notifies + blocks).
 *   2. network: ping round trip from the host side to a guest whose card
 *      is served by hvnet on a tap in a bridge, and UDP throughput from the
 *      guest to a socket on the host side (the netbench workload); against
 *      the same between two network namespaces joined by a veth pair.
 *      Everything runs in network namespaces the benchmark makes and
 *      removes.
 * Each run measures every figure once, the peer's included, so that what
 * else the machine does weighs on both sides alike; BENCH_RUNS runs (3 by
 * default), medians; BENCH_ONLY=qd1,qd32,seqread,seqwrite,ping,udp (any
 * of them) runs only those.  A run whose guest fails is no figure, and
 * the bench exits 1.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../../tests/bench/bench_dir.h"
#include "bench_table.h"
#include "harness.h"

#define DISK_MIB     256
#define SECONDS      3
#define UDP_SIZE     1400            /* payload bytes: one frame each   */
#define UDP_PORT     9000
#define PINGS        200

/* The targets of issue 11. */
#define TARGET_QD32_RATIO  0.6
#define TARGET_SEQ_RATIO   0.8
#define TARGET_EXITS_QD32  1.0

struct disk_mode {
    const char *name;           /* for BENCH_ONLY                       */
    const char *title;
    const char *guest;          /* diskbench mode                       */
    const char *rw;             /* fio --rw                             */
    const char *bs;
    unsigned depth;
    bool seq;                   /* figure in MiB/s, not IOPS            */
};

#define NR_DISK 4
static const struct disk_mode disk_mode[NR_DISK] = {
    { "qd1", "4 KiB random reads, depth 1", "randread4k-qd1", "randread", "4k", 1, false },
    { "qd32", "4 KiB random reads, depth 32", "randread4k-qd32", "randread", "4k", 32, false },
    { "seqread", "1 MiB sequential reads, depth 4", "seqread1m", "read", "1M", 4, true },
    { "seqwrite", "1 MiB sequential writes, depth 4", "seqwrite1m", "write", "1M", 4, true },
};

struct disk_figs {
    struct fig host, host_sync, guest, kvm_exits, guest_exits;
};
static struct disk_figs disk[NR_DISK];
static struct fig ping_veth, ping_guest, udp_veth, udp_guest, udp_guest_sent;
static char disk_path[512];
static char why_fio[160], why_exits[160], why_net[200];
static int failures;

static void failed(const char *what, struct dom *d)
{
    failures++;
    fprintf(stderr, "bench-io: FAILED: %s\n", what);
    if (d && d->status >= 0 && d->err[0])
        fprintf(stderr, "  hvcore said: %s\n", d->err);
    if (d && d->out)
        fprintf(stderr, "  console: %s\n", d->out);
}

/* Run a shell command quietly; its exit status, or -1. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int st = system(cmd);
    return st < 0 || !WIFEXITED(st) ? -1 : WEXITSTATUS(st);
}

/* The whole output of a command (static buffer), or NULL. */
static const char *capture(const char *cmd)
{
    static char buf[1 << 16];
    size_t len = 0, n;
    FILE *p = popen(cmd, "r");

    if (!p)
        return NULL;
    while (len < sizeof(buf) - 1 && (n = fread(buf + len, 1, sizeof(buf) - 1 - len, p)) > 0)
        len += n;
    buf[len] = '\0';
    return pclose(p) == 0 ? buf : NULL;
}

/* The number after `"key" :` following `section` in fio's JSON. */
static double json_after(const char *text, const char *section, const char *key)
{
    char pat[64];
    const char *s = strstr(text, section);

    if (!s)
        return -1;
    snprintf(pat, sizeof(pat), "\"%s\" : ", key);
    s = strstr(s, pat);
    return s ? strtod(s + strlen(pat), NULL) : -1;
}

/* A value "<number> <unit>" in a guest's result line, e.g. "IOPS". */
static double line_value(const char *line, const char *unit)
{
    char pat[32];
    const char *s;

    snprintf(pat, sizeof(pat), " %s", unit);
    for (s = strstr(line, pat); s; s = strstr(s + 1, pat)) {
        const char *b = s;
        while (b > line && (b[-1] == '.' || (b[-1] >= '0' && b[-1] <= '9')))
            b--;
        if (b < s)
            return strtod(b, NULL);
    }
    return -1;
}

/* The rest of the console line that starts with prefix (static), waiting
 * up to timeout_ms; NULL if it did not come. */
static const char *expect_line(struct dom *d, const char *prefix, int timeout_ms)
{
    static char line[512];

    if (!dom_expect(d, prefix, timeout_ms))
        return NULL;
    size_t start = d->mark;
    if (!dom_expect(d, "\n", 10000))
        return NULL;
    size_t len = d->mark - 1 - start;
    if (len >= sizeof(line))
        len = sizeof(line) - 1;
    memcpy(line, d->out + start, len);
    line[len] = '\0';
    return line;
}

/* KVM's own count of the domain's exits (hv_domctl_info.kvm_exits: the
 * notifications KVM handled in the kernel included), or -1. */
static double kvm_exits(struct dom *d)
{
    struct hv_domctl_reply rep;

    if (dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep) != 0 || !rep.u.info.kvm_exits)
        return -1;
    return (double)rep.u.info.kvm_exits;
}

/* Disk -------------------------------------------------------------------- */

static bool make_disk(void)
{
    char buf[1 << 16];
    int fd;

    snprintf(disk_path, sizeof(disk_path), "%s/hvbench-io-%d.img", bench_dir(), (int)getpid());
    fd = open(disk_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return false;
    /* Data, not holes: a hole in tmpfs reads without a copy. */
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (char)(i * 7 + 1);
    for (unsigned i = 0; i < DISK_MIB * 16; i++) {
        buf[0] = (char)i;
        if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
            close(fd);
            return false;
        }
    }
    close(fd);
    return true;
}

/* One fio run on the disk file: engine io_uring at the mode's depth, or
 * pvsync2 (preadv2/pwritev2 in the calling thread, depth 1).  The IOPS or
 * MiB/s, or -1. */
static double fio_run(const struct disk_mode *m, const char *engine, unsigned depth)
{
    char cmd[1024];

    snprintf(cmd, sizeof(cmd),
             "fio --name=host --filename=%s --size=%uM --rw=%s --bs=%s --iodepth=%u "
             "--ioengine=%s --runtime=%u --time_based --output-format=json 2>/dev/null",
             disk_path, DISK_MIB, m->rw, m->bs, depth, engine, SECONDS);
    const char *out = capture(cmd);
    const char *section = strcmp(m->rw, "write") ? "\"read\" :" : "\"write\" :";
    double v = out ? json_after(out, section, m->seq ? "bw" : "iops") : -1;
    if (v < 0)
        snprintf(why_fio, sizeof(why_fio), "fio failed or is missing (make bench installs it)");
    else if (m->seq)
        v /= 1024.0;                        /* KiB/s -> MiB/s */
    return v;
}

/* The host's figures: fio with io_uring as the issue asks; and fio
 * copying in place in its own thread, which is what hvblk does for a file
 * in memory (tmpfs has no non-blocking reads: io_uring hands each request
 * to a worker thread there), so the guest is also compared with that. */
static void fio_once(int k)
{
    const struct disk_mode *m = &disk_mode[k];
    double v = fio_run(m, "io_uring", m->depth);
    double sync = fio_run(m, "pvsync2", 1);

    if (v >= 0)
        fig_add(&disk[k].host, v);
    if (sync >= 0)
        fig_add(&disk[k].host_sync, sync);
    printf("  host fio %-34s %10.0f %s (io_uring), %.0f (pvsync2, depth 1)\n", m->title, v,
           m->seq ? "MiB/s" : "IOPS", sync);
}

static void guest_once(int k)
{
    const struct disk_mode *m = &disk_mode[k];
    char cmdline[64], spec[600];

    snprintf(cmdline, sizeof(cmdline), "diskbench=%s,%u", m->guest, SECONDS);
    snprintf(spec, sizeof(spec), "blk,id=vda,file=%s", disk_path);
    struct dom *d = dom_start(cmdline, 256, 1, "--device", spec, "--name", "bench-io", NULL);
    if (!d || !d->domid) {
        failed("the diskbench guest did not start", d);
        dom_free(d);
        return;
    }
    /* Sample KVM's count while the guest runs: it is gone with the VM,
     * so the last sample before the result line is the figure (the few
     * exits of printing the line and powering off are left out). */
    double exits = -1;
    const char *line = NULL;
    uint64_t end = ms_now() + (SECONDS + 60) * 1000ULL;
    while (!line && ms_now() < end) {
        double e = kvm_exits(d);
        if (e >= 0)
            exits = e;
        size_t mark = d->mark;
        line = expect_line(d, "diskbench: ", 20);
        if (!line)
            d->mark = mark;
        if (d->status >= 0 && !line) {
            line = expect_line(d, "diskbench: ", 0);
            break;
        }
    }
    double reqs = line ? line_value(line, "requests,") : -1;
    double v = line ? line_value(line, m->seq ? "MiB/s" : "IOPS") : -1;
    double gexits = line ? line_value(line, "exits/request") : -1;
    if (!line || reqs <= 0 || v < 0) {
        failed("the diskbench guest printed no figure", d);
        dom_free(d);
        return;
    }
    fig_add(&disk[k].guest, v);
    if (gexits >= 0)
        fig_add(&disk[k].guest_exits, gexits);
    if (exits >= 0)
        fig_add(&disk[k].kvm_exits, exits / reqs);
    else
        snprintf(why_exits, sizeof(why_exits), "KVM has no binary statistics here");
    printf("  guest    %-34s %10.0f %s, %.3f KVM exits/request\n", m->title, v,
           m->seq ? "MiB/s" : "IOPS", exits >= 0 ? exits / reqs : -1.0);
    dom_wait_exit(d, 30000);
    dom_free(d);
}

/* Network ----------------------------------------------------------------- */

static char ns_a[32], ns_b[32], ns_g[32];

static void net_teardown(void)
{
    if (ns_a[0])
        sh("ip netns del %s 2>/dev/null", ns_a);
    if (ns_b[0])
        sh("ip netns del %s 2>/dev/null", ns_b);
    if (ns_g[0])
        sh("ip netns del %s 2>/dev/null", ns_g);
}

/* Two namespaces joined by a veth pair (10.231.0.1 - .2), and one with a
 * bridge at 10.232.0.1 for the guests. */
static bool net_setup(void)
{
    int pid = (int)getpid();

    snprintf(ns_a, sizeof(ns_a), "hvb-a-%d", pid);
    snprintf(ns_b, sizeof(ns_b), "hvb-b-%d", pid);
    snprintf(ns_g, sizeof(ns_g), "hvb-g-%d", pid);
    if (sh("ip netns add %s && ip netns add %s && ip netns add %s", ns_a, ns_b, ns_g) ||
        sh("ip -n %s link add va type veth peer name vb netns %s", ns_a, ns_b) ||
        sh("ip -n %s addr add 10.231.0.1/24 dev va && ip -n %s link set va up && "
           "ip -n %s link set lo up", ns_a, ns_a, ns_a) ||
        sh("ip -n %s addr add 10.231.0.2/24 dev vb && ip -n %s link set vb up && "
           "ip -n %s link set lo up", ns_b, ns_b, ns_b) ||
        sh("ip -n %s link add br0 type bridge && ip -n %s addr add 10.232.0.1/24 dev br0 && "
           "ip -n %s link set br0 up && ip -n %s link set lo up", ns_g, ns_g, ns_g, ns_g)) {
        snprintf(why_net, sizeof(why_net), "could not make network namespaces (ip netns)");
        return false;
    }
    return true;
}

/* Enter a named network namespace (this process; children inherit it). */
static int enter_ns(const char *name)
{
    char path[128];

    snprintf(path, sizeof(path), "/var/run/netns/%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int r = setns(fd, CLONE_NEWNET);
    close(fd);
    return r;
}

/* Average ping round trip in us from namespace ns to ip, or -1. */
static double ping_avg_us(const char *ns, const char *ip)
{
    char cmd[256];
    double min, avg;

    snprintf(cmd, sizeof(cmd), "ip netns exec %s ping -n -q -c %d -i 0.005 -W 2 %s 2>&1", ns,
             PINGS, ip);
    const char *out = capture(cmd);
    const char *s = out ? strstr(out, "min/avg/max") : NULL;
    if (!s || !(s = strchr(s, '=')) || sscanf(s + 1, "%lf/%lf", &min, &avg) != 2)
        return -1;
    return avg * 1000.0;
}

/* A UDP sink in namespace ns on UDP_PORT: a child that counts payload
 * bytes for `seconds` after the first datagram and writes the count to
 * the pipe.  Returns the child's pid, or -1. */
static pid_t udp_sink(const char *ns, int seconds, int *result_fd)
{
    int p[2];

    if (pipe(p) < 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        unsigned long long bytes = 0;
        char buf[65536];
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
        int s;

        close(p[0]);
        if (enter_ns(ns) < 0 || (s = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
            bind(s, (struct sockaddr *)&a, sizeof(a)) < 0)
            _exit(1);
        int rcv = 8 << 20;
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
        if (write(p[1], "r", 1) != 1)
            _exit(1);
        struct timeval tv = { .tv_sec = 30 };
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        ssize_t n = recv(s, buf, sizeof(buf), 0);
        if (n < 0)
            _exit(1);
        bytes += (unsigned long long)n;
        uint64_t end = ms_now() + (uint64_t)seconds * 1000;
        tv.tv_sec = 0;
        tv.tv_usec = 100000;
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        while (ms_now() < end) {
            n = recv(s, buf, sizeof(buf), 0);
            if (n > 0)
                bytes += (unsigned long long)n;
        }
        if (write(p[1], &bytes, sizeof(bytes)) != (ssize_t)sizeof(bytes))
            _exit(1);
        _exit(0);
    }
    close(p[1]);
    char c;
    if (read(p[0], &c, 1) != 1) {
        close(p[0]);
        waitpid(pid, NULL, 0);
        return -1;
    }
    *result_fd = p[0];
    return pid;
}

/* The sink's count in Mbit/s over `seconds`, or -1. */
static double sink_mbps(pid_t pid, int fd, int seconds)
{
    unsigned long long bytes = 0;
    ssize_t n = read(fd, &bytes, sizeof(bytes));

    close(fd);
    waitpid(pid, NULL, 0);
    return n == (ssize_t)sizeof(bytes) ? bytes * 8.0 / 1e6 / seconds : -1;
}

static void veth_once(void)
{
    if (bench_wanted("ping")) {
        double us = ping_avg_us(ns_a, "10.231.0.2");
        if (us >= 0) {
            fig_add(&ping_veth, us);
            printf("  veth ping round trip %30.1f us\n", us);
        }
    }
    if (bench_wanted("udp")) {
        int fd;
        pid_t sink = udp_sink(ns_b, SECONDS, &fd);
        if (sink < 0)
            return;
        pid_t snd = fork();
        if (snd == 0) {
            char buf[UDP_SIZE] = { 0 };
            struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(UDP_PORT) };
            int s;
            inet_pton(AF_INET, "10.231.0.2", &a.sin_addr);
            if (enter_ns(ns_a) < 0 || (s = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
                _exit(1);
            uint64_t end = ms_now() + (SECONDS + 1) * 1000ULL;
            while (ms_now() < end)
                (void)!sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&a, sizeof(a));
            _exit(0);
        }
        double mbps = sink_mbps(sink, fd, SECONDS);
        waitpid(snd, NULL, 0);
        if (mbps >= 0) {
            fig_add(&udp_veth, mbps);
            printf("  veth UDP %u-byte datagrams %24.0f Mbit/s\n", UDP_SIZE, mbps);
        }
    }
}

/* A guest on the bridge of ns_g (this process is inside ns_g). */
static struct dom *net_guest(const char *cmdline)
{
    return dom_start(cmdline, 64, 1, "--device", "net,id=net0,mac=52:54:00:b1:00:02,bridge=br0",
                     "--name", "bench-net", NULL);
}

static void guest_net_once(void)
{
    char cmdline[128];

    if (bench_wanted("ping")) {
        struct dom *d = net_guest("net=10.232.0.2/24");
        if (!d || !d->domid || !dom_expect(d, "net: serving", 30000)) {
            failed("the net guest did not come up", d);
        } else {
            double us = ping_avg_us(ns_g, "10.232.0.2");
            if (us >= 0) {
                fig_add(&ping_guest, us);
                printf("  guest ping round trip %29.1f us\n", us);
            } else {
                failed("the guest did not answer ping", d);
            }
        }
        dom_free(d);
    }
    if (bench_wanted("udp")) {
        int fd;
        pid_t sink = udp_sink(ns_g, SECONDS, &fd);
        if (sink < 0)
            return;
        snprintf(cmdline, sizeof(cmdline), "netbench=10.232.0.2/24,10.232.0.1:%u,%u,%u", UDP_PORT,
                 SECONDS + 1, UDP_SIZE);
        struct dom *d = net_guest(cmdline);
        double mbps = sink_mbps(sink, fd, SECONDS);
        /* Its result line, not the ones saying the card is up. */
        const char *line = d && d->domid ? expect_line(d, "netbench: 10.232.0.1:", 30000) : NULL;
        if (mbps <= 0 || !line) {
            failed("the netbench guest sent nothing the host received", d);
        } else {
            fig_add(&udp_guest, mbps);
            double sent = line_value(line, "Mbit/s");
            if (sent >= 0)
                fig_add(&udp_guest_sent, sent);
            printf("  guest UDP %u-byte datagrams %23.0f Mbit/s (guest sent %.0f)\n", UDP_SIZE,
                   mbps, sent);
        }
        dom_free(d);
    }
}

static void net_once(void)
{
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);

    veth_once();
    if (home >= 0 && enter_ns(ns_g) == 0) {
        guest_net_once();
        if (setns(home, CLONE_NEWNET) < 0)
            failures++;
    }
    if (home >= 0)
        close(home);
}

/* The table ---------------------------------------------------------------- */

static void table(int runs, const char *load_before)
{
    char what[96], target[64];

    bench_table_head("issue 11: split-driver I/O (medians)");
    for (int k = 0; k < NR_DISK; k++) {
        const struct disk_mode *m = &disk_mode[k];
        double limit = -1;
        const char *tgt = NULL;

        snprintf(what, sizeof(what), "disk: %s", m->title);
        bench_heading(what);
        bench_row("  host, fio io_uring on the same tmpfs file", &disk[k].host, "", 0, NULL,
                  AT_LEAST, 0);
        bench_row(m->seq ? "  guest (diskbench, hvblk), MiB/s"
                         : "  guest (diskbench, hvblk), IOPS", &disk[k].guest, "", 0, NULL,
                  AT_LEAST, 0);
        if (strcmp(m->name, "qd32") == 0) {
            tgt = ">= 0.6x host";
            limit = TARGET_QD32_RATIO;
        } else if (m->seq) {
            tgt = ">= 0.8x host";
            limit = TARGET_SEQ_RATIO;
        }
        bench_row("  host, fio pvsync2 in one thread (as hvblk on tmpfs)", &disk[k].host_sync,
                  "", 0, NULL, AT_LEAST, 0);
        bench_ratio_row("  guest / host io_uring", &disk[k].guest, &disk[k].host, tgt, AT_LEAST,
                        limit);
        bench_ratio_row("  guest / host pvsync2", &disk[k].guest, &disk[k].host_sync, NULL,
                        AT_LEAST, 0);
        snprintf(target, sizeof(target), "< %.0f", TARGET_EXITS_QD32);
        bench_row("  KVM exits per request (all kinds)", &disk[k].kvm_exits, "", 3,
                  strcmp(m->name, "qd32") == 0 ? target : NULL, AT_MOST,
                  TARGET_EXITS_QD32 - 1e-9);
        bench_row("  guest hypercalls per request (notify+block)", &disk[k].guest_exits, "", 3,
                  NULL, AT_MOST, 0);
    }
    bench_heading("network: ping round trip, host side to peer");
    bench_row("  veth pair between two namespaces", &ping_veth, "us", 1, NULL, AT_MOST, 0);
    bench_row("  guest on a bridge (hvnet, tap)", &ping_guest, "us", 1, NULL, AT_MOST, 0);
    bench_ratio_row("  guest / veth", &ping_guest, &ping_veth, NULL, AT_MOST, 0);
    snprintf(what, sizeof(what), "network: UDP %u-byte datagrams to the host side", UDP_SIZE);
    bench_heading(what);
    bench_row("  veth pair, received (Mbit/s)", &udp_veth, "", 0, NULL, AT_LEAST, 0);
    bench_row("  guest (netbench, hvnet), received (Mbit/s)", &udp_guest, "", 0, NULL,
              AT_LEAST, 0);
    bench_row("  guest, sent as the guest counts (Mbit/s)", &udp_guest_sent, "", 0, NULL,
              AT_LEAST, 0);
    bench_ratio_row("  guest / veth (received)", &udp_guest, &udp_veth, NULL, AT_LEAST, 0);
    printf("\n%d runs of %u s each; disk: a %u MiB raw file in %s (%s), guest 1 vCPU; "
           "load average before %s, after %s\n", runs, SECONDS, DISK_MIB, bench_dir(),
           bench_dir_kind(bench_dir()), load_before, bench_load_avg());
    if (why_fio[0])
        printf("fio: %s\n", why_fio);
    if (why_exits[0])
        printf("exits: %s\n", why_exits);
    if (why_net[0])
        printf("network: %s\n", why_net);
}

int main(void)
{
    const char *env = getenv("BENCH_RUNS");
    int runs = env && *env ? atoi(env) : 3;
    char load_before[32];
    bool net = false;

    if (!getenv("HVCORE") || !getenv("PVBOOT") || !getenv("HVCORE_BACKEND_DIR")) {
        fprintf(stderr, "bench-io: set HVCORE, PVBOOT and HVCORE_BACKEND_DIR (make bench does)\n");
        return 2;
    }
    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "bench-io: BENCH_RUNS must be 1..%d\n", MAX_RUNS);
        return 2;
    }
    if (!kvm_usable())
        return 77;
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    if (!make_disk()) {
        fprintf(stderr, "bench-io: cannot write %s: %s\n", disk_path, strerror(errno));
        return 1;
    }
    if (bench_wanted("ping") || bench_wanted("udp"))
        net = net_setup();
    snprintf(load_before, sizeof(load_before), "%s", bench_load_avg());
    for (int i = 0; i < runs; i++) {
        printf("run %d/%d\n", i + 1, runs);
        for (int k = 0; k < NR_DISK; k++) {
            if (!bench_wanted(disk_mode[k].name))
                continue;
            fio_once(k);
            guest_once(k);
        }
        if (net)
            net_once();
    }
    table(runs, load_before);
    unlink(disk_path);
    net_teardown();
    if (failures)
        fprintf(stderr, "bench-io: %d measurements failed\n", failures);
    return failures ? 1 : 0;
}
