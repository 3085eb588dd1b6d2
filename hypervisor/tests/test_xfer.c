/*
 * test_xfer.c - save, restore and live migration of real domains: a
 * memcheck guest (guest/README.md) checks every page after the move, its
 * counters go on, its time never runs backwards; a cancelled or broken
 * migration leaves the source running and the receiver gone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "public/errno.h"
#include "test_util.h"
#include "xfer_util.h"

#define FILL_MS 60000

static struct dom *start_memcheck(const char *cmdline, unsigned mib, int *con)
{
    struct dom *d = dom_start(cmdline, mib, 1, "--name", "mover", NULL);

    assert_non_null(d);
    if (d->domid == 0)
        fprintf(stderr, "hvcore did not start: %s\n", d->err);
    assert_true(d->domid > 0);
    EXPECT_CONSOLE(d, "memcheck filled", FILL_MS);
    *con = memcheck_attach(d);
    assert_true(*con >= 0);
    return d;
}

static void verify_ok(struct dom *d, int con, struct memcheck_verdict *v)
{
    assert_true(memcheck_verify(d, con, v));
    assert_true(v->ok);
    assert_int_equal(v->backwards, 0);
}

/* After a move the guest's 1 ms ticker must still run: a timer that
 * expired just as the domain left (read on the sender, its event not yet
 * raised) must fire where it arrived, not be lost with its event. */
static void ticker_alive(struct dom *d, int con)
{
    struct memcheck_verdict a, b;

    verify_ok(d, con, &a);
    uint64_t end = ms_now() + 30000;
    do {
        dom_drain(d, 20);
        verify_ok(d, con, &b);
    } while (b.ticks <= a.ticks + 10 && ms_now() < end);
    assert_true(b.ticks > a.ticks + 10);
}

static void write_domdir_file(struct dom *d, const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/domains/%u/%s", d->rundir, d->domid, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void read_domdir_file(struct dom *d, const char *name, char *buf, size_t size)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/domains/%u/%s", d->rundir, d->domid, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Migrate src (flags p) to a new receiver and make sure it went: the
 * sender says so and ends MIGRATED; returns the receiver. */
static struct dom *move_to_new(struct dom *src, const struct hv_domctl_xfer *p,
                               struct xfer_outcome *o)
{
    int sv;
    struct dom *dst = dom_incoming(&sv, NULL);

    assert_non_null(dst);
    assert_true(dst->domid > 0);
    assert_int_equal(dom_xfer(src, HV_DOMCTL_migrate_send, sv, p, 0, NULL, NULL, o), 0);
    close(sv);
    if (o->status != 0) {
        dom_ctl_cmd(dst, HV_DOMCTL_destroy, NULL);
        dom_wait_exit(dst, 10000);
        fprintf(stderr, "migration: %s\nreceiver: %s\n", o->result.message, dst->err);
    }
    assert_int_equal(o->status, 0);
    assert_int_equal(dom_wait_exit(src, 30000), HVCORE_EXIT_MIGRATED);
    return dst;
}

/* Save to a file, restore from it: same pages, counters go on, the
 * console history came along, the source is gone with status SAVED. */
static void save_then_restore(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct memcheck_verdict before, after;
    struct xfer_outcome o;
    char path[] = "/tmp/hvtest-save.XXXXXX";
    int con, fd = mkstemp(path);

    assert_true(fd >= 0);
    struct dom *src = start_memcheck("memcheck=24,8", 48, &con);
    verify_ok(src, con, &before);
    /* The toolstack's configuration travels with the domain. */
    static const char cfg[] = "{\"name\": \"mover\", \"memory_mib\": 48}\n";
    write_domdir_file(src, "config.json", cfg);
    assert_int_equal(dom_xfer(src, HV_DOMCTL_save, fd, NULL, 0, NULL, NULL, &o), 0);
    close(fd);
    assert_int_equal(o.started, 0);
    assert_int_equal(o.status, 0);
    assert_string_equal(o.result.message, "saved");
    assert_int_equal(dom_wait_exit(src, 30000), HVCORE_EXIT_SAVED);
    close(con);

    const char *args[] = { "--restore", path, NULL };
    struct dom *dst = dom_start_stream(args, -1);
    assert_non_null(dst);
    assert_true(dst->domid > 0);
    con = memcheck_attach(dst);
    assert_true(con >= 0);
    verify_ok(dst, con, &after);
    assert_int_equal(after.pages, before.pages);
    assert_true(after.ticks > before.ticks);
    assert_true(after.rewrites >= before.rewrites);
    assert_int_equal(after.boots, 1);
    ticker_alive(dst, con);
    char got[256];
    read_domdir_file(dst, "config.json", got, sizeof(got));
    assert_string_equal(got, cfg);
    /* The console history travels: a new client sees the fill line. */
    int con2 = memcheck_attach(dst);
    char buf[8192];
    ssize_t n = read(con2, buf, sizeof(buf) - 1);
    assert_true(n > 0);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "memcheck filled"));
    close(con2);
    close(con);
    unlink(path);
    dom_free(dst);
    dom_free(src);
}

/* An event pending when the domain left is delivered where it arrives:
 * input typed while it was paused, saved paused, is read after the
 * restored domain (paused, as it was saved) is unpaused. */
static void pending_event_survives_a_save(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct hv_domctl_reply rep;
    struct xfer_outcome o;
    char path[] = "/tmp/hvtest-save.XXXXXX";
    int con, fd = mkstemp(path);

    assert_true(fd >= 0);
    struct dom *a = start_memcheck("memcheck=8", 32, &con);
    assert_int_equal(dom_ctl_cmd(a, HV_DOMCTL_pause, NULL), 0);
    assert_int_equal(write(con, "s", 1), 1);
    /* Wait until hvcore has taken the input from the socket (into the
     * ring, VIRQ_CONSOLE pending, or its own pending input): then it is
     * the domain's, and travels with it. */
    int queued = 1;
    uint64_t end = ms_now() + 30000;
    while (ioctl(con, SIOCOUTQ, &queued) == 0 && queued > 0 && ms_now() < end)
        usleep(1000);
    assert_int_equal(queued, 0);
    assert_int_equal(dom_xfer(a, HV_DOMCTL_save, fd, NULL, 0, NULL, NULL, &o), 0);
    assert_int_equal(o.status, 0);
    close(fd);
    close(con);
    assert_null(strstr(a->out, "memcheck status"));

    const char *args[] = { "--restore", path, NULL };
    struct dom *b = dom_start_stream(args, -1);
    assert_true(b && b->domid > 0);
    assert_int_equal(dom_ctl_cmd(b, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_paused);
    assert_int_equal(dom_ctl_cmd(b, HV_DOMCTL_unpause, NULL), 0);
    EXPECT_CONSOLE(b, "memcheck status ticks=", 30000);
    unlink(path);
    dom_free(b);
    dom_free(a);
}

/* Balloon state travels: a domain that gave memory back is restored with
 * the same target, the same pages given back (they stay out of the host:
 * RSS), and its counters going on; then migrated, the same again. */
static void balloon_survives_a_move(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct hv_domctl req = { .cmd = HV_DOMCTL_set_mem_target };
    struct hv_domctl_reply rep;
    struct xfer_outcome o;
    struct hv_domctl_xfer live = { .flags = HV_XFER_LIVE };
    char path[] = "/tmp/hvtest-save.XXXXXX";
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    struct dom *a = dom_start("counter", 64, 1, NULL);
    assert_non_null(a);
    EXPECT_CONSOLE(a, "counter 2\n", 5000);
    req.u.mem.target_kib = 40 * 1024;
    assert_int_equal(dom_ctl(a, &req, &rep, NULL), 0);
    uint64_t end = ms_now() + 30000;
    do {
        dom_drain(a, 20);
        assert_int_equal(dom_ctl_cmd(a, HV_DOMCTL_getinfo, &rep), 0);
    } while (rep.u.info.mem_current_kib > 40 * 1024 && ms_now() < end);
    uint64_t current = rep.u.info.mem_current_kib;
    assert_true(current <= 40 * 1024);
    long counter = dom_last_counter(a);
    assert_int_equal(dom_xfer(a, HV_DOMCTL_save, fd, NULL, 0, NULL, NULL, &o), 0);
    assert_int_equal(o.status, 0);
    close(fd);

    const char *args[] = { "--restore", path, NULL };
    struct dom *b = dom_start_stream(args, -1);
    assert_true(b && b->domid > 0);
    assert_int_equal(dom_ctl_cmd(b, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.mem_current_kib, current);
    assert_int_equal(rep.u.info.mem_target_kib, 40 * 1024);
    EXPECT_CONSOLE(b, "counter ", 10000);
    dom_drain(b, 300);
    assert_true(dom_last_counter(b) > counter);

    struct dom *c = move_to_new(b, &live, &o);
    assert_int_equal(dom_ctl_cmd(c, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.mem_current_kib, current);
    assert_int_equal(rep.u.info.mem_target_kib, 40 * 1024);
    /* The given-back pages did not come back with the move. */
    long rss = proc_rss_kib(c->pid);
    fprintf(stderr, "receiver RSS %ld KiB for %llu KiB held\n", rss,
            (unsigned long long)current);
    assert_true(rss < 56 * 1024);
    unlink(path);
    dom_free(c);
    dom_free(b);
    dom_free(a);
}

/* A domain restored from a file (its memory a private mapping of the
 * file) saves and migrates like any other. */
static void restored_domain_moves_on(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct memcheck_verdict before, v;
    struct hv_domctl_xfer live = { .flags = HV_XFER_LIVE };
    struct xfer_outcome o;
    char path[] = "/tmp/hvtest-save.XXXXXX", path2[] = "/tmp/hvtest-save.XXXXXX";
    int con, fd = mkstemp(path), fd2 = mkstemp(path2);

    assert_true(fd >= 0 && fd2 >= 0);
    struct dom *a = start_memcheck("memcheck=24,8", 48, &con);
    verify_ok(a, con, &before);
    assert_int_equal(dom_xfer(a, HV_DOMCTL_save, fd, NULL, 0, NULL, NULL, &o), 0);
    assert_int_equal(o.status, 0);
    close(fd);
    close(con);
    const char *r1[] = { "--restore", path, NULL };
    struct dom *b = dom_start_stream(r1, -1);
    assert_true(b && b->domid > 0);
    /* Saved again from the mapped file, then restored again. */
    assert_int_equal(dom_xfer(b, HV_DOMCTL_save, fd2, NULL, 0, NULL, NULL, &o), 0);
    assert_int_equal(o.status, 0);
    close(fd2);
    assert_int_equal(dom_wait_exit(b, 30000), HVCORE_EXIT_SAVED);
    const char *r2[] = { "--restore", path2, NULL };
    struct dom *c = dom_start_stream(r2, -1);
    if (c && !c->domid)
        fprintf(stderr, "second restore: %s\n", c->err);
    assert_true(c && c->domid > 0);
    /* And migrated live. */
    struct dom *e = move_to_new(c, &live, &o);
    assert_int_equal(dom_wait_exit(c, 30000), HVCORE_EXIT_MIGRATED);
    con = memcheck_attach(e);
    verify_ok(e, con, &v);
    assert_int_equal(v.pages, before.pages);
    assert_true(v.ticks > before.ticks);
    close(con);
    unlink(path);
    unlink(path2);
    dom_free(e);
    dom_free(c);
    dom_free(b);
    dom_free(a);
}

/* A file that is not a whole, valid stream: one line on stderr, exit
 * status STREAM, and nothing left in the runtime directory. */
static void refused_streams_leave_nothing(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct xfer_outcome o;
    char path[] = "/tmp/hvtest-save.XXXXXX", bad[] = "/tmp/hvtest-bad.XXXXXX";
    int con, fd = mkstemp(path), bfd = mkstemp(bad);
    struct stat sb;

    assert_true(fd >= 0 && bfd >= 0);
    struct dom *src = start_memcheck("memcheck=8", 32, &con);
    assert_int_equal(dom_xfer(src, HV_DOMCTL_save, fd, NULL, 0, NULL, NULL, &o), 0);
    assert_int_equal(o.status, 0);
    assert_int_equal(fstat(fd, &sb), 0);
    close(con);

    static const struct {
        const char *what;
        off_t keep;             /* bytes of the real file kept (-1: garbage) */
        off_t flip;             /* byte to flip, or -1 */
        const char *want;       /* in hvcore's one line */
    } cases[] = {
        { "garbage", -1, -1, "not a domain stream (bad magic)" },
        { "header only", 32, -1, "stream ended at offset 32" },
        { "cut in DOMAIN", 100, -1, "stream ended at offset 100 inside the DOMAIN record at offset 32" },
        { "a flipped bit in the name", -2, 48 + 3, "checksum mismatch" },
    };
    char buf[4096];
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(ftruncate(bfd, 0), 0);
        if (cases[i].keep == -1) {
            memset(buf, 'x', sizeof(buf));
            assert_int_equal(pwrite(bfd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
        } else {
            off_t keep = cases[i].keep == -2 ? sb.st_size : cases[i].keep;
            for (off_t at = 0; at < keep; ) {
                size_t n = keep - at > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)(keep - at);
                ssize_t got = pread(fd, buf, n, at);
                assert_true(got > 0);
                if (cases[i].flip >= at && cases[i].flip < at + got)
                    buf[cases[i].flip - at] ^= 0x01;
                assert_int_equal(pwrite(bfd, buf, (size_t)got, at), got);
                at += got;
            }
        }
        /* With --detach too, the foreground says the stream was at fault
         * (the last case): the caller tells a bad file from a failed start. */
        const char *args[] = { "--restore", bad, i == 3 ? "--detach" : NULL, NULL };
        struct dom *d = dom_start_stream(args, -1);
        assert_non_null(d);
        assert_int_equal(dom_wait_exit(d, 30000), HVCORE_EXIT_STREAM);
        if (!strstr(d->err, cases[i].want))
            fprintf(stderr, "%s: hvcore said: %s\n", cases[i].what, d->err);
        assert_non_null(strstr(d->err, cases[i].want));
        assert_int_equal(strncmp(d->err, "hvcore: ", 8), 0);
        assert_non_null(strchr(d->err, '\n'));
        assert_null(strchr(strchr(d->err, '\n') + 1, '\n'));     /* one line */
        char dir[128];
        snprintf(dir, sizeof(dir), "%s/domains", d->rundir);
        DIR *dd = opendir(dir);
        unsigned entries = 0;
        for (struct dirent *e; dd && (e = readdir(dd)); )
            entries += e->d_name[0] != '.';
        if (dd)
            closedir(dd);
        assert_int_equal(entries, 0);
        dom_free(d);
    }
    close(fd);
    close(bfd);
    unlink(path);
    unlink(bad);
    dom_free(src);
}

/* The stream options' usage errors: status STARTUP and their line. */
static void stream_options_are_checked(void **state)
{
    (void)state;
    REQUIRE_KVM();
    static const struct {
        const char *args[6];
        const char *line;
    } cases[] = {
        { { "--restore", "/nonexistent", "--incoming", "3", NULL },
          "hvcore: --restore and --incoming exclude each other\n" },
        { { "--verify", "--incoming", "3", NULL }, "hvcore: --verify needs --restore\n" },
        { { "--reserve", "64", "--restore", "/x", NULL }, "hvcore: --reserve needs --incoming\n" },
        { { "--incoming", "3", "--reserve", "1", NULL },
          "hvcore: --reserve: '1' is not a number of MiB in 2..8192\n" },
        { { "--restore", "/x", "--memory", "64", NULL },
          "hvcore: --restore: the domain's configuration comes from the stream (no --kernel, "
          "--memory, --max-memory, --vcpus, --cmdline, --name, --uuid or --on-*)\n" },
        { { "--restore", "/nonexistent/file", NULL },
          "hvcore: cannot open /nonexistent/file: No such file or directory\n" },
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct dom *d = dom_start_stream(cases[i].args, -1);
        assert_non_null(d);
        assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_STARTUP);
        if (!strstr(d->err, cases[i].line))
            fprintf(stderr, "want \"%s\", got \"%s\"\n", cases[i].line, d->err);
        assert_non_null(strstr(d->err, cases[i].line));
        dom_free(d);
    }
}

static void migrate(bool live)
{
    struct memcheck_verdict before, after;
    struct xfer_outcome o;
    struct hv_domctl_xfer p = { .flags = live ? HV_XFER_LIVE : 0 };
    int con;

    REQUIRE_KVM();
    struct dom *src = start_memcheck("memcheck=32,16", 64, &con);
    verify_ok(src, con, &before);
    struct dom *dst = move_to_new(src, &p, &o);
    fprintf(stderr, "%s migration: %u rounds, %llu bytes, %.3f ms total, %.3f ms paused\n",
            live ? "live" : "paused", o.result.iterations,
            (unsigned long long)o.result.bytes_sent, o.result.total_ns / 1e6,
            o.result.downtime_ns / 1e6);
    assert_true(o.result.iterations >= (live ? 1u : 0u));
    assert_true(o.result.downtime_ns > 0);
    assert_int_equal(dom_wait_exit(src, 30000), HVCORE_EXIT_MIGRATED);
    close(con);

    con = memcheck_attach(dst);
    assert_true(con >= 0);
    verify_ok(dst, con, &after);
    assert_int_equal(after.pages, before.pages);
    assert_true(after.ticks > before.ticks);
    ticker_alive(dst, con);
    close(con);
    dom_free(dst);
    dom_free(src);
}

static void migrate_live(void **state)
{
    (void)state;
    migrate(true);
}

/* The same with KVM's dirty rings instead of the bitmap (a small ring,
 * so that full rings make the vCPU harvest its own). */
static int ring_on(void **state)
{
    (void)state;
    return setenv("HVCORE_DIRTY_RING", "1024", 1);
}

static int ring_off(void **state)
{
    (void)state;
    return unsetenv("HVCORE_DIRTY_RING");
}

static void migrate_live_dirty_ring(void **state)
{
    (void)state;
    migrate(true);
}

static void migrate_paused_copy(void **state)
{
    (void)state;
    migrate(false);
}

/* A cancel during pre-copy: the source runs on, the receiver gives up. */
static void cancel_leaves_source_running(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct memcheck_verdict v;
    struct xfer_outcome o;
    /* 48 MiB of pages at 8 MiB/s: still copying when the cancel comes. */
    struct hv_domctl_xfer p = { .flags = HV_XFER_LIVE, .bandwidth_bps = 8u << 20 };
    int sv, con;

    struct dom *src = start_memcheck("memcheck=48", 64, &con);
    struct dom *dst = dom_incoming(&sv, NULL);
    assert_non_null(dst);
    assert_int_equal(dom_xfer(src, HV_DOMCTL_migrate_send, sv, &p, 2, NULL, NULL, &o), 0);
    close(sv);
    assert_int_equal(o.status, -HVE_CANCELED);
    assert_string_equal(o.result.message,
                        "cancelled during pre-copy");
    assert_int_equal(dom_wait_exit(dst, 30000), HVCORE_EXIT_STREAM);
    verify_ok(src, con, &v);
    dom_free(dst);

    /* Dirty logging was turned off and on again: a second try succeeds. */
    p.bandwidth_bps = 0;
    dst = move_to_new(src, &p, &o);
    close(con);
    con = memcheck_attach(dst);
    verify_ok(dst, con, &v);
    close(con);
    dom_free(dst);
    dom_free(src);
}

static struct dom *victim;

static void kill_victim(void *opaque, const struct hv_domctl_progress *pr)
{
    (void)opaque;
    (void)pr;
    if (victim && victim->status < 0) {
        kill(victim->pid, SIGKILL);
        dom_wait_exit(victim, 10000);
    }
}

/* At the handshake (READY kept back by the proxy): kill the source. */
static void kill_at_handshake(void *opaque, const struct hv_domctl_progress *pr)
{
    struct xfer_proxy *px = opaque;

    if (pr->phase != HV_XFER_PHASE_HANDSHAKE || !victim)
        return;
    for (int i = 0; i < 3000 && !proxy_saw_ready(px); i++)
        usleep(10000);
    kill(victim->pid, SIGKILL);
    dom_wait_exit(victim, 10000);
}

/* The receiver dies mid-stream: the source says so and runs on. */
static void receiver_killed(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct memcheck_verdict v;
    struct xfer_outcome o;
    struct hv_domctl_xfer p = { .flags = HV_XFER_LIVE, .bandwidth_bps = 8u << 20 };
    int sv, con;

    struct dom *src = start_memcheck("memcheck=48", 64, &con);
    victim = dom_incoming(&sv, NULL);
    assert_non_null(victim);
    assert_int_equal(dom_xfer(src, HV_DOMCTL_migrate_send, sv, &p, 0, kill_victim, NULL,
                              &o), 0);
    close(sv);
    assert_int_equal(o.status, -EPIPE);
    assert_non_null(strstr(o.result.message, ": Broken pipe"));
    verify_ok(src, con, &v);
    close(con);
    dom_free(victim);
    victim = NULL;
    dom_free(src);
}

/* The domain's state and migration state, through getinfo. */
static void info(struct dom *d, uint32_t *state, uint32_t *xfer)
{
    struct hv_domctl_reply rep;

    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    *state = rep.u.info.state;
    *xfer = rep.u.info.xfer;
}

struct moving {
    struct dom *src, *dst;
    int con;
    struct xfer_proxy *proxy;
    struct xfer_outcome o;
};

/* A live migration through a proxy that cuts as told. */
static void move_through(struct moving *m, enum proxy_cut cut, uint64_t cut_at,
                         uint64_t bandwidth)
{
    struct hv_domctl_xfer p = { .flags = HV_XFER_LIVE, .bandwidth_bps = bandwidth };
    int a[2], b;

    m->src = start_memcheck("memcheck=24,8", 48, &m->con);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a), 0);
    m->dst = dom_incoming(&b, NULL);
    assert_non_null(m->dst);
    assert_true(m->dst->domid > 0);
    m->proxy = proxy_start(a[1], b, cut, cut_at);
    assert_non_null(m->proxy);
    assert_int_equal(dom_xfer(m->src, HV_DOMCTL_migrate_send, a[0], &p, 0, NULL, NULL, &m->o),
                     0);
    close(a[0]);
    fprintf(stderr, "cut %d: %d: %s\n", (int)cut, m->o.status, m->o.result.message);
}

static void moved_free(struct moving *m)
{
    proxy_stop(m->proxy);
    close(m->con);
    dom_free(m->dst);
    dom_free(m->src);
}

/* Cut before the stream is whole (in the header, during pre-copy): the
 * source runs on, the receiver ends without running anything. */
static void cut_mid_stream(void **state)
{
    (void)state;
    REQUIRE_KVM();
    static const uint64_t at[] = { 20, 2000, 5u << 20 };

    for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        struct memcheck_verdict v;
        struct moving m;
        move_through(&m, CUT_AT_BYTE, at[i], 0);
        assert_true(m.o.status < 0);
        assert_non_null(strstr(m.o.result.message, ": Broken pipe"));
        assert_int_equal(dom_wait_exit(m.dst, 30000), HVCORE_EXIT_STREAM);
        verify_ok(m.src, m.con, &v);
        moved_free(&m);
    }
}

/* READY lost: the source never let go and runs on; the receiver cannot
 * know and waits, paused and UNDECIDED, for the toolstack to destroy it. */
static void ready_lost(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct memcheck_verdict v;
    struct moving m;
    uint32_t st, xf;

    move_through(&m, CUT_BEFORE_READY, 0, 0);
    assert_int_equal(m.o.status, -HVE_IO);
    assert_string_equal(m.o.result.message, "the receiver did not confirm the stream: "
                        "connection closed");
    verify_ok(m.src, m.con, &v);
    info(m.dst, &st, &xf);
    assert_int_equal(st, HV_DOMSTATE_paused);
    assert_int_equal(xf, HV_XFER_STATE_UNDECIDED);
    assert_int_equal(dom_ctl_cmd(m.dst, HV_DOMCTL_destroy, NULL), 0);
    assert_int_equal(dom_wait_exit(m.dst, 30000), HVCORE_EXIT_DESTROYED);
    moved_free(&m);
}

/* GO lost: both copies are paused and UNDECIDED; the toolstack picks the
 * receiver (unpause takes over) and destroys the source. */
static void go_lost(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct memcheck_verdict v;
    struct moving m;
    uint32_t st, xf;

    move_through(&m, CUT_BEFORE_GO, 0, 0);
    assert_int_equal(m.o.status, -HVE_INPROGRESS);
    assert_string_equal(m.o.result.message, "connection to the receiver lost after GO "
                        "(connection closed): the domain may run there; it stays paused here");
    info(m.src, &st, &xf);
    assert_int_equal(st, HV_DOMSTATE_paused);
    assert_int_equal(xf, HV_XFER_STATE_UNDECIDED);
    /* The receiver may still be waiting for GO: wait until it gave up. */
    for (int i = 0; i < 3000; i++) {
        info(m.dst, &st, &xf);
        if (xf == HV_XFER_STATE_UNDECIDED)
            break;
        usleep(10000);
    }
    assert_int_equal(xf, HV_XFER_STATE_UNDECIDED);
    assert_int_equal(st, HV_DOMSTATE_paused);
    assert_int_equal(dom_ctl_cmd(m.dst, HV_DOMCTL_unpause, NULL), 0);
    assert_int_equal(dom_ctl_cmd(m.src, HV_DOMCTL_destroy, NULL), 0);
    assert_int_equal(dom_wait_exit(m.src, 30000), HVCORE_EXIT_DESTROYED);
    close(m.con);
    m.con = memcheck_attach(m.dst);
    verify_ok(m.dst, m.con, &v);
    info(m.dst, &st, &xf);
    assert_int_equal(st, HV_DOMSTATE_running);
    assert_int_equal(xf, HV_XFER_STATE_NONE);
    moved_free(&m);
}

/* RUNNING lost: the receiver runs; the source, paused and UNDECIDED, is
 * destroyed by the toolstack. */
static void running_lost(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct memcheck_verdict v;
    struct moving m;
    uint32_t st, xf;

    move_through(&m, CUT_BEFORE_RUNNING, 0, 0);
    assert_int_equal(m.o.status, -HVE_INPROGRESS);
    info(m.src, &st, &xf);
    assert_int_equal(xf, HV_XFER_STATE_UNDECIDED);
    info(m.dst, &st, &xf);
    assert_int_equal(st, HV_DOMSTATE_running);
    assert_int_equal(xf, HV_XFER_STATE_NONE);
    assert_int_equal(dom_ctl_cmd(m.src, HV_DOMCTL_destroy, NULL), 0);
    assert_int_equal(dom_wait_exit(m.src, 30000), HVCORE_EXIT_DESTROYED);
    close(m.con);
    m.con = memcheck_attach(m.dst);
    verify_ok(m.dst, m.con, &v);
    moved_free(&m);
}

/* The source is killed after the final round (READY held back): the
 * receiver waits UNDECIDED, and the toolstack, seeing the source gone,
 * unpauses it: the only copy. */
static void source_killed_after_final_round(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct memcheck_verdict v;
    struct hv_domctl_xfer p = { .flags = HV_XFER_LIVE };
    struct xfer_outcome o;
    int a[2], b, con;
    uint32_t st, xf;

    struct dom *src = start_memcheck("memcheck=24,8", 48, &con);
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a), 0);
    struct dom *dst = dom_incoming(&b, NULL);
    assert_non_null(dst);
    struct xfer_proxy *px = proxy_start(a[1], b, HOLD_READY, 0);
    victim = src;
    /* The job's progress says when the final round is over (handshake);
     * by then READY may already sit in the proxy: kill the source then. */
    assert_int_equal(dom_xfer(src, HV_DOMCTL_migrate_send, a[0], &p, 0, kill_at_handshake,
                              px, &o), -1);
    close(a[0]);
    assert_true(proxy_saw_ready(px));
    victim = NULL;
    for (int i = 0; i < 3000; i++) {
        info(dst, &st, &xf);
        if (xf == HV_XFER_STATE_UNDECIDED)
            break;
        usleep(10000);
    }
    assert_int_equal(xf, HV_XFER_STATE_UNDECIDED);
    assert_int_equal(dom_ctl_cmd(dst, HV_DOMCTL_unpause, NULL), 0);
    close(con);
    con = memcheck_attach(dst);
    verify_ok(dst, con, &v);
    close(con);
    proxy_stop(px);
    dom_free(dst);
    dom_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(save_then_restore),
        cmocka_unit_test(restored_domain_moves_on),
        cmocka_unit_test(balloon_survives_a_move),
        cmocka_unit_test(pending_event_survives_a_save),
        cmocka_unit_test(refused_streams_leave_nothing),
        cmocka_unit_test(stream_options_are_checked),
        cmocka_unit_test(migrate_live),
        cmocka_unit_test_setup_teardown(migrate_live_dirty_ring, ring_on, ring_off),
        cmocka_unit_test(migrate_paused_copy),
        cmocka_unit_test(cancel_leaves_source_running),
        cmocka_unit_test(receiver_killed),
        cmocka_unit_test(cut_mid_stream),
        cmocka_unit_test(ready_lost),
        cmocka_unit_test(go_lost),
        cmocka_unit_test(running_lost),
        cmocka_unit_test(source_killed_after_final_round),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
