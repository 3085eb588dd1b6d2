/*
 * test_memcheck.c - the memcheck workload that save, restore and
 * migration tests rely on: it fills memory with a checkable pattern,
 * keeps a 1 ms ticker, and says from inside the guest whether every page
 * is intact and how long its longest stall was.  These tests prove the
 * instrument itself: a good pass says ok, damage says FAILED, a pause
 * shows up as a gap, an idle guest stays idle, a move is counted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"
#include "xfer_util.h"

/* dom_expect deadlines (the harness stretches them 6 times): a 64 MiB
 * fill takes about 100 ms; they only matter on failure. */
#define FILL_MS 10000

struct status {
    unsigned long long ticks, gap_max_us, rewrites, backwards, moves, move_gap_us;
};

struct verdict {
    bool ok;
    unsigned long long pages, ticks, gap_max_us, rewrites, backwards;
    unsigned boots;
    unsigned long long pfn, want, got, errors; /* when !ok */
    unsigned word;
};

/* Type into the guest through an attached console; the output is read
 * from hvcore's stdout, where the console fans out too. */
static void type(int fd, char c)
{
    assert_int_equal(write(fd, &c, 1), 1);
}

/* Wait for the next line starting with prefix; copy it (without the
 * newline) to line. */
static void next_line(struct dom *d, const char *prefix, char *line, size_t size)
{
    EXPECT_CONSOLE(d, prefix, FILL_MS);
    size_t start = d->mark - strlen(prefix);
    EXPECT_CONSOLE(d, "\n", 5000);
    size_t n = d->mark - 1 - start;
    assert_true(n < size);
    memcpy(line, d->out + start, n);
    line[n] = '\0';
}

/* 'v', and the one line it prints, parsed field by field; a line that is
 * not exactly one of the two documented shapes fails the test. */
static struct verdict verify(struct dom *d, int con)
{
    struct verdict v = { 0 };
    char line[256];
    int end = -1;

    type(con, 'v');
    next_line(d, "memcheck verify ", line, sizeof(line));
    if (sscanf(line, "memcheck verify ok pages=%llu ticks=%llu gap_max_us=%llu "
               "rewrites=%llu boots=%u backwards=%llu%n", &v.pages, &v.ticks,
               &v.gap_max_us, &v.rewrites, &v.boots, &v.backwards, &end) == 6 &&
        end == (int)strlen(line)) {
        v.ok = true;
        return v;
    }
    end = -1;
    if (sscanf(line, "memcheck verify FAILED pfn=0x%llx word=%u want=0x%llx got=0x%llx "
               "errors=%llu%n", &v.pfn, &v.word, &v.want, &v.got, &v.errors, &end) == 5 &&
        end == (int)strlen(line))
        return v;
    fprintf(stderr, "not a verify line: \"%s\"\n", line);
    fail();
    return v;
}

/* 's', and its line, which must be exactly the documented one. */
static struct status status(struct dom *d, int con)
{
    struct status st = { 0 };
    char line[256];
    int end = -1;

    type(con, 's');
    next_line(d, "memcheck status ", line, sizeof(line));
    if (sscanf(line, "memcheck status ticks=%llu gap_max_us=%llu rewrites=%llu backwards=%llu "
               "moves=%llu move_gap_us=%llu%n", &st.ticks, &st.gap_max_us, &st.rewrites,
               &st.backwards, &st.moves, &st.move_gap_us, &end) != 6 ||
        end != (int)strlen(line)) {
        fprintf(stderr, "not a status line: \"%s\"\n", line);
        fail();
    }
    return st;
}

static int attach(struct dom *d)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_console_attach };
    struct hv_domctl_reply rep;
    int fd;

    assert_int_equal(dom_ctl(d, &req, &rep, &fd), 0);
    assert_true(fd >= 0);
    return fd;
}

static uint64_t us_now_raw(void)
{
    struct timespec ts;

    /* The guest's clock runs on the TSC; the raw monotonic clock is the
     * host clock that NTP does not slew. */
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* 64 MiB under a dirty rate: verify passes and the counters move on;
 * a pause is seen as a gap at least as long; one flipped bit is found. */
static void fill_verify_pause_corrupt(void **state)
{
    struct hv_domctl_reply rep;
    struct verdict v1, v2, v;
    char line[256];

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("memcheck=64,16", 128, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "pvboot: booting memcheck=64,16 (boot 1)\n", 10000);
    EXPECT_CONSOLE(d, "memcheck filled 64 MiB in ", FILL_MS);
    EXPECT_CONSOLE(d, " ms\n", 5000);
    int con = attach(d);

    v1 = verify(d, con);
    assert_true(v1.ok);
    assert_int_equal(v1.pages, 64 * 256);
    assert_int_equal(v1.boots, 1);
    assert_int_equal(v1.backwards, 0);
    /* Ticks and rewrites go on (the verify pass itself takes ticks). */
    uint64_t end = ms_now() + 30000;
    do
        v2 = verify(d, con);
    while (v2.ok && (v2.ticks <= v1.ticks || v2.rewrites <= v1.rewrites) && ms_now() < end);
    assert_true(v2.ok);
    assert_true(v2.ticks > v1.ticks);
    assert_true(v2.rewrites > v1.rewrites);
    fprintf(stderr, "memcheck: %llu ticks, %llu rewrites, gap_max %llu us\n",
            v2.ticks, v2.rewrites, v2.gap_max_us);

    /* A pause is a stall the guest sees: its largest gap between ticks
     * covers the whole pause. */
    type(con, 'r');
    EXPECT_CONSOLE(d, "memcheck reset\n", 5000);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, &rep), 0);
    uint64_t paused = us_now_raw();
    usleep(200 * 1000);
    uint64_t paused_us = us_now_raw() - paused;
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, &rep), 0);
    /* tsc_khz is whole kHz, so the two clocks may disagree by a few ppm. */
    uint64_t want_us = paused_us - paused_us / 1000;
    end = ms_now() + 30000;
    do
        v = verify(d, con);
    while (v.ok && v.gap_max_us < want_us && ms_now() < end);
    fprintf(stderr, "memcheck: paused %llu us, guest gap_max %llu us\n",
            (unsigned long long)paused_us, v.gap_max_us);
    assert_true(v.ok);
    assert_true(v.gap_max_us >= want_us);
    assert_int_equal(v.backwards, 0);
    struct status st = status(d, con);
    assert_true(st.ticks >= v.ticks);
    assert_true(st.gap_max_us >= v.gap_max_us);
    assert_int_equal(st.moves, 0);             /* a pause is not a move */
    assert_int_equal(st.move_gap_us, 0);

    /* One flipped bit, and the next pass names it. */
    unsigned long long pfn;
    unsigned word;
    int n = -1;
    type(con, 'c');
    next_line(d, "memcheck corrupted ", line, sizeof(line));
    assert_int_equal(sscanf(line, "memcheck corrupted pfn=0x%llx word=%u%n", &pfn, &word, &n), 2);
    assert_int_equal(n, (int)strlen(line));
    v = verify(d, con);
    assert_false(v.ok);
    assert_int_equal(v.pfn, pfn);
    assert_int_equal(v.word, word);
    assert_int_equal(v.got, v.want ^ 1);
    assert_int_equal(v.errors, 1);

    close(con);
    dom_free(d);
}

/* A size beyond RAM is refused with one line, and the domain powers off. */
static void refuses_what_does_not_fit(void **state)
{
    char line[256];
    unsigned long long free_mib;
    int n = -1;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("memcheck=128", 64, 1, NULL);
    assert_non_null(d);
    next_line(d, "memcheck ", line, sizeof(line));
    assert_int_equal(sscanf(line, "memcheck cannot fill 128 MiB (needs 129 MiB with its "
                            "generations, %llu MiB free of 64 MiB)%n", &free_mib, &n), 1);
    assert_int_equal(n, (int)strlen(line));
    assert_in_range(free_mib, 32, 63);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_OK);
    dom_free(d);

    d = dom_start("memcheck=lots", 64, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "pvboot: usage: memcheck=<MiB>[,<dirty MiB/s>]\n", 10000);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_OK);
    dom_free(d);
}

/* Without a dirty rate nothing is rewritten and the vCPU blocks between
 * ticks: each tick costs a fixed number of exits (arm the timer, block),
 * however fast the machine, so the bound below is not a timing one. */
static void idle_guest_stays_idle(void **state)
{
    struct hv_domctl_reply rep;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("memcheck=64", 128, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "memcheck filled 64 MiB in ", FILL_MS);
    EXPECT_CONSOLE(d, " ms\n", 5000);
    int con = attach(d);

    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    uint64_t e1 = rep.u.info.exits;
    struct status s1 = status(d, con);
    /* A window to count in, not a wait for something to happen. */
    usleep(1000 * 1000);
    struct status s2 = status(d, con);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    uint64_t e2 = rep.u.info.exits;
    uint64_t ticks = s2.ticks - s1.ticks;

    fprintf(stderr, "memcheck idle: %llu ticks, %llu exits (%.2f per tick)\n",
            (unsigned long long)ticks, (unsigned long long)(e2 - e1),
            (double)(e2 - e1) / (double)ticks);
    assert_true(ticks > 0);
    assert_int_equal(s1.rewrites, 0);
    assert_int_equal(s2.rewrites, 0);
    /* Two exits a tick (HC_set_timer, SCHEDOP_block); a third when a
     * descheduled vCPU thread lets the timer fire before it blocks (the
     * kick); plus the two status requests' input and output. */
    assert_true(e2 - e1 <= 3 * ticks + 32);

    close(con);
    dom_free(d);
}

/* Saved, then restored after a while: the guest counts one move, and the
 * gap that ended at it covers at least the time it was not running (its
 * clock jumps forward by the wall-clock time the gap took, guest-abi.md). */
static void a_move_is_counted_and_timed(void **state)
{
    struct xfer_outcome o;
    char path[] = "/tmp/hvtest-memcheck.XXXXXX";
    int fd = mkstemp(path);

    (void)state;
    REQUIRE_KVM();
    assert_true(fd >= 0);
    struct dom *src = dom_start("memcheck=16,8", 32, 1, NULL);
    assert_non_null(src);
    EXPECT_CONSOLE(src, "memcheck filled 16 MiB in ", FILL_MS);
    int con = attach(src);
    struct status before = status(src, con);
    assert_int_equal(before.moves, 0);
    type(con, 'r');
    EXPECT_CONSOLE(src, "memcheck reset\n", 5000);

    assert_int_equal(dom_xfer(src, HV_DOMCTL_save, fd, NULL, 0, NULL, NULL, &o), 0);
    uint64_t saved = us_now_raw();      /* stopped before the final reply */
    close(fd);
    close(con);
    assert_int_equal(o.status, 0);
    assert_int_equal(dom_wait_exit(src, 30000), HVCORE_EXIT_SAVED);
    usleep(100 * 1000);                 /* a gap worth measuring */
    uint64_t away_us = us_now_raw() - saved;

    const char *args[] = { "--restore", path, NULL };
    struct dom *dst = dom_start_stream(args, -1);
    assert_non_null(dst);
    assert_true(dst->domid > 0);
    con = attach(dst);
    struct status st;
    uint64_t end = ms_now() + 30000;
    do
        st = status(dst, con);
    while (st.moves == 0 && ms_now() < end);
    fprintf(stderr, "memcheck: away %llu us, move_gap %llu us, gap_max %llu us\n",
            (unsigned long long)away_us, st.move_gap_us, st.gap_max_us);
    assert_int_equal(st.moves, 1);
    assert_true(st.move_gap_us >= away_us - away_us / 1000);
    assert_true(st.move_gap_us <= st.gap_max_us);
    assert_int_equal(st.backwards, 0);
    assert_true(st.ticks > before.ticks);
    struct verdict v = verify(dst, con);
    assert_true(v.ok);
    assert_int_equal(v.pages, 16 * 256);

    close(con);
    unlink(path);
    dom_free(dst);
    dom_free(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fill_verify_pause_corrupt),
        cmocka_unit_test(refuses_what_does_not_fit),
        cmocka_unit_test(idle_guest_stays_idle),
        cmocka_unit_test(a_move_is_counted_and_timed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
