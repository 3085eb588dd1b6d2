/*
 * bench_migrate.c - issue 10's benchmarks (make bench-migrate, and part of
 * make bench), printed as one markdown table of medians:
 *   1. live migration of a 1 GiB memcheck guest (guest/README.md) over a
 *      loopback TCP connection: idle, and dirtying 64 and 256 MiB/s (the
 *      last also with KVM's dirty ring instead of the bitmap); total time
 *      and downtime as the sender measures them, the downtime the guest
 *      saw (the gap between its 1 ms ticks that ended at the move, and
 *      the largest gap of all), bytes on the wire, pre-copy rounds, the
 *      cost of a dirty-log fetch ($HVCORE_XFER_TRACE);
 *   2. save of a 32 MiB and a 1 GiB guest to a file on tmpfs, and restore
 *      from it (exec of hvcore --restore until its --ready-fd says it
 *      runs);
 *   3. QEMU migrating 1 GiB of random RAM over loopback TCP, in the same
 *      run (the peer script of the issue), and the ratios.
 * Each run does every measurement once, QEMU's included, so that what
 * else the machine does weighs on both sides alike; BENCH_RUNS runs (3 by
 * default), medians; BENCH_ONLY=idle,dirty64,dirty256,ring256,save32,
 * save1g,qemu (any of them) runs only those.  Every moved guest checks
 * all its pages: a move that fails or corrupts the guest is no figure,
 * and the bench exits 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
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
#include "public/exit_status.h"
#include "xfer_util.h"

#ifndef BENCH_PEERS_DIR
#define BENCH_PEERS_DIR "../shared/peers"
#endif

/* memcheck fills 1024 MiB with its generations (1 MiB) and pvboot beside
 * it; what is not filled stays a hole and does not travel. */
#define BIG_MIB      1028
#define BIG_FILL     1024
#define SMALL_MIB    32
#define SMALL_FILL   29

/* The targets of issue 10. */
#define TARGET_QEMU_RATIO    0.5
#define TARGET_DOWNTIME_MS   5.0
#define TARGET_SAVE_MS       400.0
#define TARGET_RESTORE_MS    20.0

struct mig_figs {
    struct fig recv_ready, total, down_src, final_sent, down_guest, gap_max, mib, iters,
        fetch_us;
};

/* The migrations: the guest's dirty rate; KVM's dirty ring (entries) in
 * place of the dirty bitmap, or 0; whether the receiver makes its memory
 * before it says it is ready (--reserve, as libhvctl asks), or as pages
 * come. */
struct mig_kind {
    const char *name;           /* for BENCH_ONLY */
    const char *title;
    unsigned rate;
    unsigned ring;
    bool reserve;
};

#define NR_MIG 5
static const struct mig_kind mig_kind[NR_MIG] = {
    { "idle", "idle", 0, 0, true },
    { "dirty64", "dirty 64 MiB/s", 64, 0, true },
    { "dirty256", "dirty 256 MiB/s", 256, 0, true },
    { "ring256", "dirty 256 MiB/s, dirty ring", 256, 4096, true },
    { "noreserve", "idle, receiver without --reserve", 0, 0, false },
};
static struct mig_figs mig[NR_MIG];
static char ring_why[256];              /* why the dirty ring was not measured */
static struct fig qemu_total, qemu_down;
static struct fig save_ms[2], restore_ms[2], file_mib[2];      /* 32 MiB, 1 GiB */
static const unsigned sr_mib[2] = { SMALL_MIB, BIG_MIB };
static const unsigned sr_fill[2] = { SMALL_FILL, BIG_FILL };
/* Names for BENCH_ONLY (a comma-separated list of them; all if unset). */
static const char *const sr_name[2] = { "save32", "save1g" };
static char qemu_why[256];              /* why QEMU's figure is missing */
static unsigned max_downtime_ms;
static int failures;

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void failed(const char *what, struct dom *d)
{
    failures++;
    fprintf(stderr, "bench-migrate: FAILED: %s\n", what);
    if (d && d->status >= 0 && d->err[0])
        fprintf(stderr, "  hvcore said: %s\n", d->err);
}

/* A memcheck guest of mib MiB, filled; its console attached to *con. */
static struct dom *start_filled(unsigned mib, unsigned fill, unsigned rate, int *con)
{
    char cmdline[64];

    if (rate)
        snprintf(cmdline, sizeof(cmdline), "memcheck=%u,%u", fill, rate);
    else
        snprintf(cmdline, sizeof(cmdline), "memcheck=%u", fill);
    struct dom *d = dom_start(cmdline, mib, 1, "--name", "bench-src", NULL);
    if (d && !d->domid && strstr(d->err, "KVM refused dirty rings")) {
        size_t len = strcspn(d->err, "\n");
        memcpy(ring_why, d->err, len < sizeof(ring_why) ? len : sizeof(ring_why) - 1);
        dom_free(d);
        return NULL;
    }
    if (!d || !d->domid || !dom_expect(d, "memcheck filled", 60000) ||
        (*con = memcheck_attach(d)) < 0) {
        failed("the source guest did not fill its memory", d);
        if (d && d->out)
            fprintf(stderr, "  console: %s\n", d->out);
        dom_free(d);
        return NULL;
    }
    return d;
}

/* Type one character and wait for the line that starts with answer;
 * returns the rest of that line (static), or NULL. */
static const char *ask(struct dom *d, int con, char c, const char *answer)
{
    static char line[256];

    if (write(con, &c, 1) != 1 || !dom_expect(d, answer, 60000))
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

/* What the guest saw since its last reset (s: no page check), in us:
 * the largest gap between ticks, and the largest that ended at a move
 * (the stop the move cost, apart from stalls of pre-copy and the host);
 * *moves: how many moves it noticed (0: move_gap says nothing). */
static bool guest_gaps(struct dom *d, int con, unsigned long long *gap_us,
                       unsigned long long *move_gap_us, unsigned long long *moves)
{
    const char *s = ask(d, con, 's', "memcheck status ");

    if (s && sscanf(s, "ticks=%*u gap_max_us=%llu rewrites=%*u backwards=%*u moves=%llu "
                    "move_gap_us=%llu", gap_us, moves, move_gap_us) == 3)
        return true;
    fprintf(stderr, "bench-migrate: memcheck status: %s\n", s ? s : "(no answer)");
    return false;
}

/* From the sender's $HVCORE_XFER_TRACE lines (hvcore(8)): the mean cost
 * of a dirty-log fetch after the first (which finds every page dirty),
 * and how long the domain had been paused when the final round was sent
 * (the rest of the downtime is the receiver's and the handshake's). */
static void parse_trace(const char *err, double *fetch_us, double *final_ms)
{
    static const char fetch[] = "dirty-log fetch ", fin[] = "final round sent (";
    double sum = 0;
    int n = 0;

    *fetch_us = *final_ms = -1;
    for (const char *p = strstr(err, fetch); p; p = strstr(p + 1, fetch))
        if (n++ > 0)
            sum += strtod(p + strlen(fetch), NULL);
    if (n > 1)
        *fetch_us = sum / (n - 1);
    const char *f = strstr(err, fin);
    if (f)
        *final_ms = strtod(f + strlen(fin), NULL);
}

/* Every page checked: the figure counts only if this says ok. */
static bool guest_intact(struct dom *d, int con)
{
    struct memcheck_verdict v;

    if (!memcheck_verify(d, con, &v) || !v.ok || v.backwards) {
        failed("the moved guest is not intact (memcheck verify)", d);
        return false;
    }
    return true;
}

/* hvcore started from a stream, with its runtime directory in dir (a
 * tmpfs: a disk file system would be measured with it); *ms is exec to
 * --ready-fd. */
static struct dom *start_stream(const char *dir, const char *const *args, int fd_keep,
                                double *ms)
{
    struct dom *d = calloc(1, sizeof(*d));
    int out[2], err[2], ready[2];
    const char *argv[16];
    char rfd[16], buf[32] = "";
    unsigned n = 0;

    if (!d)
        return NULL;
    d->status = -1;
    d->console_fd = d->stderr_fd = -1;
    snprintf(d->rundir, sizeof(d->rundir), "%s/hvbench.XXXXXX", dir);
    if (!mkdtemp(d->rundir) || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 ||
        pipe2(ready, O_CLOEXEC) < 0) {
        free(d);
        return NULL;
    }
    snprintf(rfd, sizeof(rfd), "%d", ready[1]);
    argv[n++] = getenv("HVCORE");
    argv[n++] = "--rundir";
    argv[n++] = d->rundir;
    argv[n++] = "--ready-fd";
    argv[n++] = rfd;
    for (unsigned i = 0; args[i] && n < 15; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    double t0 = now_ms();
    d->pid = fork();
    if (d->pid == 0) {
        int devnull = open("/dev/null", O_RDONLY);
        dup2(devnull, 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        fcntl(ready[1], F_SETFD, 0);
        if (fd_keep >= 0)
            fcntl(fd_keep, F_SETFD, 0);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    close(err[1]);
    close(ready[1]);
    d->console_fd = out[0];
    d->stderr_fd = err[0];
    struct pollfd p = { .fd = ready[0], .events = POLLIN };
    if (poll(&p, 1, 60000) > 0 && read(ready[0], buf, sizeof(buf) - 1) > 0)
        d->domid = (uint32_t)strtoul(buf, NULL, 10);
    *ms = now_ms() - t0;
    close(ready[0]);
    if (!d->domid)
        dom_wait_exit(d, 10000);
    return d;
}

/* Two ends of one loopback TCP connection. */
static int tcp_pair(int *a, int *b)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    *a = *b = -1;
    if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0 ||
        getsockname(l, (struct sockaddr *)&sa, &len) < 0 ||
        (*a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
        connect(*a, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        (*b = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0) {
        perror("bench-migrate: loopback TCP");
        if (l >= 0)
            close(l);
        if (*a >= 0)
            close(*a);
        *a = -1;
        return -1;
    }
    close(l);
    return 0;
}

/* 1: one live migration of the 1 GiB guest, of mig_kind[k]. */
static void migrate_once(int k)
{
    const struct mig_kind *m = &mig_kind[k];
    struct hv_domctl_xfer p = { .flags = HV_XFER_LIVE, .max_downtime_ms = max_downtime_ms };
    struct xfer_outcome o;
    struct dom *dst = NULL;
    unsigned long long gap_us = 0, move_us = 0, moves = 0;
    double fetch_us, final_ms;
    int con = -1, con2 = -1, send_fd, recv_fd;
    double ready_ms;
    char fdarg[16], reserve[16], what[256];

    char ring[16];

    /* The sender's environment: read when its VM is made, and at the job. */
    snprintf(ring, sizeof(ring), "%u", m->ring);
    setenv("HVCORE_XFER_TRACE", "1", 1);
    if (m->ring)
        setenv("HVCORE_DIRTY_RING", ring, 1);
    struct dom *src = start_filled(BIG_MIB, BIG_FILL, m->rate, &con);
    unsetenv("HVCORE_XFER_TRACE");
    unsetenv("HVCORE_DIRTY_RING");
    if (!src)
        return;
    if (tcp_pair(&send_fd, &recv_fd) < 0) {
        failed("no loopback TCP connection", NULL);
        goto out;
    }
    snprintf(fdarg, sizeof(fdarg), "%d", recv_fd);
    snprintf(reserve, sizeof(reserve), "%u", BIG_MIB);
    const char *args[] = { "--incoming", fdarg, m->reserve ? "--reserve" : NULL, reserve, NULL };
    dst = start_stream(bench_dir(), args, recv_fd, &ready_ms);
    close(recv_fd);
    if (!dst || !dst->domid) {
        close(send_fd);
        failed("hvcore --incoming did not start", dst);
        goto out;
    }
    /* The gap the guest sees from here on is the migration's. */
    if (!ask(src, con, 'r', "memcheck reset")) {
        close(send_fd);
        failed("the source guest did not reset gap_max", src);
        goto out;
    }
    int r = dom_xfer(src, HV_DOMCTL_migrate_send, send_fd, &p, 0, NULL, NULL, &o);
    close(send_fd);
    if (r < 0 || o.status != 0) {
        snprintf(what, sizeof(what), "migration (%s): %s", m->title,
                 r < 0 ? "the control connection broke" : o.result.message);
        failed(what, src);
        goto out;
    }
    if (dom_wait_exit(src, 30000) != HVCORE_EXIT_MIGRATED) {
        failed("the source did not exit as migrated", src);
        goto out;
    }
    con2 = memcheck_attach(dst);
    /* The move shows at the guest's first tick after it: on a busy host
     * the status may be asked before that tick ran.  Ask again (5 s). */
    bool answered = con2 >= 0 && guest_gaps(dst, con2, &gap_us, &move_us, &moves);
    for (uint64_t until = ms_now() + 5000; answered && !moves && ms_now() < until; ) {
        dom_drain(dst, 10);
        answered = guest_gaps(dst, con2, &gap_us, &move_us, &moves);
    }
    if (!answered) {
        failed(con2 < 0 ? "the moved guest has no console" : "the moved guest's status", dst);
        if (dst->out)
            fprintf(stderr, "  its console: %s\n", dst->out + (dst->out_len > 2000
                                                                 ? dst->out_len - 2000 : 0));
        goto out;
    }
    if (!guest_intact(dst, con2))
        goto out;
    parse_trace(src->err, &fetch_us, &final_ms);
    fig_add(&mig[k].recv_ready, ready_ms);
    fig_add(&mig[k].total, o.result.total_ns / 1e6);
    fig_add(&mig[k].down_src, o.result.downtime_ns / 1e6);
    if (final_ms >= 0)
        fig_add(&mig[k].final_sent, final_ms);
    /* A move the guest did not notice (its pvclock record at the same
     * version) leaves move_gap at 0: no figure, not a zero. */
    if (moves)
        fig_add(&mig[k].down_guest, move_us / 1e3);
    else
        fprintf(stderr, "bench-migrate: warning: memcheck counted no move (moves=0): the "
                "guest's downtime is not measured this run\n");
    fig_add(&mig[k].gap_max, gap_us / 1e3);
    fig_add(&mig[k].mib, o.result.bytes_sent / 1048576.0);
    fig_add(&mig[k].iters, o.result.iterations);
    if (fetch_us >= 0)
        fig_add(&mig[k].fetch_us, fetch_us);
    printf("  migrate 1 GiB, %-27s: total %7.1f ms, downtime %6.2f ms (guest %6.2f, largest "
           "gap %6.2f), %6.1f MiB, %u rounds, verify ok\n", m->title, o.result.total_ns / 1e6,
           o.result.downtime_ns / 1e6, move_us / 1e3, gap_us / 1e3,
           o.result.bytes_sent / 1048576.0, o.result.iterations);
out:
    if (con >= 0)
        close(con);
    if (con2 >= 0)
        close(con2);
    dom_free(dst);
    dom_free(src);
}

/* 2: save the guest of sr_mib[k] MiB to a file on tmpfs, restore it. */
static void save_restore_once(int k)
{
    struct xfer_outcome o;
    struct dom *dst = NULL;
    struct stat st;
    char path[128], what[256];
    double ms;
    int con = -1, con2 = -1;

    struct dom *src = start_filled(sr_mib[k], sr_fill[k], 0, &con);
    if (!src)
        return;
    snprintf(path, sizeof(path), "%s/hvbench-save.XXXXXX", bench_dir());
    int fd = mkstemp(path);
    if (fd < 0) {
        failed("cannot make the save file", NULL);
        goto out;
    }
    int r = dom_xfer(src, HV_DOMCTL_save, fd, NULL, 0, NULL, NULL, &o);
    close(fd);
    if (r < 0 || o.status != 0) {
        snprintf(what, sizeof(what), "save of %u MiB: %s", sr_mib[k],
                 r < 0 ? "the control connection broke" : o.result.message);
        failed(what, src);
        goto out;
    }
    if (dom_wait_exit(src, 30000) != HVCORE_EXIT_SAVED) {
        failed("the saved domain did not exit as saved", src);
        goto out;
    }
    const char *args[] = { "--restore", path, NULL };
    dst = start_stream(bench_dir(), args, -1, &ms);
    if (!dst || !dst->domid) {
        failed("hvcore --restore did not start the domain", dst);
        goto out;
    }
    con2 = memcheck_attach(dst);
    if (con2 < 0) {
        failed("the restored guest has no console", dst);
        goto out;
    }
    if (!guest_intact(dst, con2))
        goto out;
    double file = stat(path, &st) == 0 ? st.st_blocks * 512 / 1048576.0 : -1;
    fig_add(&save_ms[k], o.result.total_ns / 1e6);
    fig_add(&restore_ms[k], ms);
    fig_add(&file_mib[k], file);
    printf("  save %4u MiB: %7.1f ms (file %.1f MiB on tmpfs), restore %6.2f ms, verify ok\n",
           sr_mib[k], o.result.total_ns / 1e6, file, ms);
out:
    if (con >= 0)
        close(con);
    if (con2 >= 0)
        close(con2);
    unlink(path);
    dom_free(dst);
    dom_free(src);
}

/* 3: the peer script; its one result line, parsed. */
static void qemu_once(void)
{
    const char *script = getenv("QEMU_MIGRATE");
    char cmd[1024], line[512], last[512] = "";
    double total = -1, down = -1;
    char status[32] = "";

    if (!script || !*script)
        script = BENCH_PEERS_DIR "/qemu-migrate.sh";
    if (access(script, X_OK) != 0) {
        snprintf(qemu_why, sizeof(qemu_why), "no peer script %s", script);
        return;
    }
    if (system("command -v qemu-system-x86_64 >/dev/null 2>&1") != 0) {
        snprintf(qemu_why, sizeof(qemu_why),
                 "qemu-system-x86_64 not installed (scripts/install-bench-deps.sh)");
        return;
    }
    snprintf(cmd, sizeof(cmd), "'%s' %u 2>&1", script, BIG_FILL);
    FILE *f = popen(cmd, "r");
    if (!f) {
        snprintf(qemu_why, sizeof(qemu_why), "cannot run %s", script);
        return;
    }
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(last, sizeof(last), "%s", line);
        sscanf(line, "qemu-migrate MiB %*u status %31s total_ms %lf downtime_ms %lf", status,
               &total, &down);
    }
    int st = pclose(f);
    if (st != 0 || strcmp(status, "completed") != 0 || total < 0 || down < 0) {
        snprintf(qemu_why, sizeof(qemu_why), "the peer script failed: %.200s", last);
        printf("  QEMU 7.2 migrate 1 GiB: failed: %s\n", last);
        return;
    }
    fig_add(&qemu_total, total);
    fig_add(&qemu_down, down);
    printf("  QEMU migrate 1 GiB (peer): total %8.1f ms, downtime %7.2f ms\n", total, down);
}

/* The table ---------------------------------------------------------------- */

static void table(int runs, const char *load_before)
{
    char what[80], target[64], budget[64] = "hvcore's default, 300 ms as QEMU's";
    double qt = fig_median(&qemu_total);

    bench_table_head("issue 10: migrate/save/restore (medians)");
    bench_heading("QEMU 7.2 migrate 1 GiB (peer script)");
    bench_row("  total", &qemu_total, "ms", 1, NULL, AT_MOST, 0);
    bench_row("  downtime", &qemu_down, "ms", 1, NULL, AT_MOST, 0);
    if (qt >= 0)
        snprintf(target, sizeof(target), "<= 0.5x QEMU = %.1f ms", qt * TARGET_QEMU_RATIO);
    else
        snprintf(target, sizeof(target), "<= 0.5x QEMU (no QEMU)");
    for (int k = 0; k < NR_MIG; k++) {
        bool first = k == 0;

        snprintf(what, sizeof(what), "hvcore migrate 1 GiB, %s", mig_kind[k].title);
        bench_heading(what);
        bench_row(mig_kind[k].reserve ? "  receiver ready (--reserve: memory made first)"
                                : "  receiver ready", &mig[k].recv_ready, "ms", 1, NULL, AT_MOST, 0);
        bench_row("  total (sender: request to outcome)", &mig[k].total, "ms", 1,
            first ? target : NULL, AT_MOST, qt >= 0 ? qt * TARGET_QEMU_RATIO : -1);
        if (first)
            bench_ratio_row("  total, hvcore / QEMU", &mig[k].total, &qemu_total, "<= 0.5x", AT_MOST,
                      TARGET_QEMU_RATIO);
        bench_row("  downtime (sender: pause to receiver running)", &mig[k].down_src, "ms", 2,
            first ? "<= 5 ms" : NULL, AT_MOST, TARGET_DOWNTIME_MS);
        bench_row("    of which paused until the final round sent", &mig[k].final_sent, "ms", 2, NULL, AT_MOST,
            0);
        bench_row("  downtime seen by the guest (move_gap)", &mig[k].down_guest, "ms", 2,
            first ? "<= 5 ms" : NULL, AT_MOST, TARGET_DOWNTIME_MS);
        if (first)
            bench_ratio_row("  downtime (sender), hvcore / QEMU", &mig[k].down_src, &qemu_down, NULL, AT_MOST,
                      0);
        bench_row("  largest gap the guest saw (gap_max)", &mig[k].gap_max, "ms", 2, NULL, AT_MOST, 0);
        bench_row("  bytes on the wire", &mig[k].mib, "MiB", 1, NULL, AT_MOST, 0);
        bench_row("  pre-copy rounds", &mig[k].iters, "", 0, NULL, AT_MOST, 0);
        bench_row("  dirty-log fetch after the first (mean)", &mig[k].fetch_us, "us", 1, NULL, AT_MOST, 0);
    }
    for (int k = 0; k < 2; k++) {
        snprintf(what, sizeof(what), "hvcore save and restore, %s guest", k ? "1 GiB" : "32 MiB");
        bench_heading(what);
        bench_row("  save to tmpfs (request to outcome)", &save_ms[k], "ms", 1, "<= 400 ms", AT_MOST,
            TARGET_SAVE_MS);
        bench_row("  save file (allocated)", &file_mib[k], "MiB", 1, NULL, AT_MOST, 0);
        bench_row("  restore (exec to ready)", &restore_ms[k], "ms", 2, "<= 20 ms", AT_MOST, TARGET_RESTORE_MS);
    }
    if (max_downtime_ms)
        snprintf(budget, sizeof(budget), "%u ms", max_downtime_ms);
    printf("\n%d runs; downtime budget asked of hvcore: %s; run directories and save files "
           "in %s (%s); load average before %s, after %s\n", runs, budget, bench_dir(),
           bench_dir_kind(bench_dir()), load_before, bench_load_avg());
    if (qemu_why[0])
        printf("QEMU: %s\n", qemu_why);
    if (ring_why[0])
        printf("dirty ring: not measured: %s\n", ring_why);
}

int main(void)
{
    const char *env = getenv("BENCH_RUNS");
    int runs = env && *env ? atoi(env) : 3;

    if (!getenv("HVCORE") || !getenv("PVBOOT")) {
        fprintf(stderr, "bench-migrate: set HVCORE and PVBOOT (make bench does)\n");
        return 2;
    }
    if (runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "bench-migrate: BENCH_RUNS must be 1..%d\n", MAX_RUNS);
        return 2;
    }
    env = getenv("BENCH_MAX_DOWNTIME_MS");
    max_downtime_ms = env && *env ? (unsigned)atoi(env) : 0;
    if (!kvm_usable())
        return 77;
    setvbuf(stdout, NULL, _IOLBF, 0);
    char load_before[32];
    snprintf(load_before, sizeof(load_before), "%s", bench_load_avg());
    for (int i = 0; i < runs; i++) {
        printf("run %d/%d\n", i + 1, runs);
        if (bench_wanted("qemu"))
            qemu_once();
        for (int k = 0; k < NR_MIG; k++)
            if (bench_wanted(mig_kind[k].name))
                migrate_once(k);
        for (int k = 0; k < 2; k++)
            if (bench_wanted(sr_name[k]))
                save_restore_once(k);
    }
    table(runs, load_before);
    if (failures)
        fprintf(stderr, "bench-migrate: %d moves failed or moved a corrupt guest\n", failures);
    return failures ? 1 : 0;
}
