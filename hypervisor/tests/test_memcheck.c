/*
 * test_memcheck.c - the memcheck workload that save, restore and
 * migration tests rely on: it fills memory with a checkable pattern,
 * keeps a 1 ms ticker, and says from inside the guest whether every page
 * is intact and how long its longest stall was.  These tests prove the
 * instrument itself: a good pass says ok, damage says FAILED, a pause
 * shows up as a gap, an idle guest stays idle.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

/* dom_expect deadlines (the harness stretches them 6 times): a 64 MiB
 * fill takes about 100 ms; they only matter on failure. */
#define FILL_MS 10000

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
    type(con, 's');
    next_line(d, "memcheck status ", line, sizeof(line));
    unsigned long long t, g, r, b;
    int n = -1;
    assert_int_equal(sscanf(line, "memcheck status ticks=%llu gap_max_us=%llu rewrites=%llu "
                            "backwards=%llu%n", &t, &g, &r, &b, &n), 4);
    assert_int_equal(n, (int)strlen(line));
    assert_true(t >= v.ticks);
    assert_true(g >= v.gap_max_us);

    /* One flipped bit, and the next pass names it. */
    unsigned long long pfn;
    unsigned word;
    type(con, 'c');
    next_line(d, "memcheck corrupted ", line, sizeof(line));
    n = -1;
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
    char line[256];
    unsigned long long t1, t2, g, r1, r2, b;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("memcheck=64", 128, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "memcheck filled 64 MiB in ", FILL_MS);
    EXPECT_CONSOLE(d, " ms\n", 5000);
    int con = attach(d);

    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    uint64_t e1 = rep.u.info.exits;
    type(con, 's');
    next_line(d, "memcheck status ", line, sizeof(line));
    assert_int_equal(sscanf(line, "memcheck status ticks=%llu gap_max_us=%llu rewrites=%llu "
                            "backwards=%llu", &t1, &g, &r1, &b), 4);
    /* A window to count in, not a wait for something to happen. */
    usleep(1000 * 1000);
    type(con, 's');
    next_line(d, "memcheck status ", line, sizeof(line));
    assert_int_equal(sscanf(line, "memcheck status ticks=%llu gap_max_us=%llu rewrites=%llu "
                            "backwards=%llu", &t2, &g, &r2, &b), 4);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    uint64_t e2 = rep.u.info.exits;

    fprintf(stderr, "memcheck idle: %llu ticks, %llu exits (%.2f per tick)\n", t2 - t1,
            (unsigned long long)(e2 - e1), (double)(e2 - e1) / (double)(t2 - t1));
    assert_true(t2 > t1);
    assert_int_equal(r1, 0);
    assert_int_equal(r2, 0);
    /* Two exits a tick (HC_set_timer, SCHEDOP_block); a third when a
     * descheduled vCPU thread lets the timer fire before it blocks (the
     * kick); plus the two status requests' input and output. */
    assert_true(e2 - e1 <= 3 * (t2 - t1) + 32);

    close(con);
    dom_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fill_verify_pause_corrupt),
        cmocka_unit_test(refuses_what_does_not_fit),
        cmocka_unit_test(idle_guest_stays_idle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
