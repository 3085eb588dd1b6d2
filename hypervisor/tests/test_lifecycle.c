/*
 * test_lifecycle.c - a running domain driven over domctl: getinfo, pause
 * and unpause (the counter stops, then resumes from the next value),
 * shutdown and reboot requests, destroy, SIGTERM, crash-and-preserve,
 * console attach and the event stream.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "public/errno.h"
#include "test_util.h"

static struct dom *start_counter(const char *name)
{
    struct dom *d = dom_start("counter", 32, 1, "--name", name, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "pvboot: booting counter (boot 1)\n", 5000);
    EXPECT_CONSOLE(d, "counter 3\n", 5000);
    return d;
}

static void getinfo_describes_the_domain(void **state)
{
    struct hv_domctl_reply rep;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_counter("info");
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.domid, d->domid);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_running);
    assert_int_equal(rep.u.info.vcpus_online, 1);
    assert_int_equal(rep.u.info.vcpus_max, 1);
    assert_int_equal(rep.u.info.mem_max_kib, 32 * 1024);
    assert_int_equal(rep.u.info.mem_target_kib, 32 * 1024);
    assert_int_equal(rep.u.info.boot_count, 1);
    assert_int_equal(rep.u.info.pid, d->pid);
    assert_string_equal(rep.u.info.name, "info");
    assert_true(rep.u.info.uptime_ns > 10 * 1000 * 1000);
    assert_true(rep.u.info.cpu_time_ns > 0);
    dom_free(d);
}

static void pause_stops_the_counter_and_unpause_resumes_it(void **state)
{
    struct hv_domctl_reply rep;
    char next[32];

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_counter("pausing");
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), 0);
    dom_drain(d, 50);                      /* output already in flight */
    long frozen = dom_last_counter(d);
    assert_true(frozen >= 3);
    dom_drain(d, 300);                     /* 30 ticks' worth of time */
    assert_int_equal(dom_last_counter(d), frozen);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_paused);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), -HVE_ALREADY);

    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    snprintf(next, sizeof(next), "counter %ld\n", frozen + 1);
    EXPECT_CONSOLE(d, next, 5000);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), -HVE_ALREADY);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_running);
    dom_free(d);
}

/*
 * --paused: the domain is there, paused, and its guest has not run a
 * single instruction (no exit, no output) until unpause boots it.
 */
static void paused_start_runs_nothing_until_unpause(void **state)
{
    struct hv_domctl_reply rep;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("counter", 32, 1, "--name", "held", "--paused",
                              NULL);
    assert_non_null(d);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_paused);
    assert_int_equal(rep.u.info.vcpus_online, 1);
    assert_int_equal(rep.u.info.exits, 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), -HVE_ALREADY);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    EXPECT_CONSOLE(d, "pvboot: booting counter (boot 1)\n", 5000);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_running);
    assert_true(rep.u.info.exits > 0);
    dom_free(d);
}

static void shutdown_request_powers_off(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_shutdown };
    struct hv_domctl_reply rep;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_counter("stopping");
    req.u.shutdown.reason = SHUTDOWN_REQUEST_poweroff;
    assert_int_equal(dom_ctl(d, &req, &rep, NULL), 0);
    EXPECT_CONSOLE(d, "pvboot: shutdown requested (poweroff)\n", 5000);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_OK);
    /* the runtime entry is gone */
    char path[128];
    snprintf(path, sizeof(path), "%s/domains/%u", d->rundir, d->domid);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof(path), "%s/names/stopping", d->rundir);
    assert_int_equal(access(path, F_OK), -1);
    dom_free(d);
}

static void reboot_request_boots_again(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_shutdown };
    struct hv_domctl_reply rep;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_counter("rebooting");
    req.u.shutdown.reason = SHUTDOWN_REQUEST_reboot;
    assert_int_equal(dom_ctl(d, &req, &rep, NULL), 0);
    EXPECT_CONSOLE(d, "pvboot: shutdown requested (reboot)\n", 5000);
    EXPECT_CONSOLE(d, "pvboot: booting counter (boot 2)\n", 5000);
    EXPECT_CONSOLE(d, "counter 1\n", 5000);   /* memory was reset */
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.boot_count, 2);
    req.u.shutdown.reason = 99;
    assert_int_equal(dom_ctl(d, &req, &rep, NULL), -HVE_INVAL);
    dom_free(d);
}

static void destroy_and_sigterm_end_the_domain(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_counter("doomed");
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_destroy, NULL), 0);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_DESTROYED);
    dom_free(d);

    d = start_counter("terminated");
    kill(d->pid, SIGTERM);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_DESTROYED);
    dom_free(d);
}

static void crash_can_be_preserved_for_inspection(void **state)
{
    struct hv_domctl_reply rep;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("crash", 32, 1, "--on-crash", "preserve", NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "pvboot: crashing on purpose\n", 5000);
    uint64_t end = ms_now() + 30000;
    do {
        assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    } while (rep.u.info.state != HV_DOMSTATE_crashed && ms_now() < end);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_crashed);
    assert_int_equal(rep.u.info.vcpus_online, 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), -HVE_BUSY);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_destroy, NULL), 0);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_DESTROYED);
    assert_non_null(strstr(d->err, "hvcore: crashed: #PF at rip="));
    dom_free(d);
}

static void console_attach_sees_history_and_new_output(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_console_attach };
    struct hv_domctl_reply rep;
    char buf[16384];
    size_t got = 0;
    int fd;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_counter("watched");
    assert_int_equal(dom_ctl(d, &req, &rep, &fd), 0);
    assert_true(fd >= 0);
    uint64_t end = ms_now() + 30000;
    while (ms_now() < end && got < sizeof(buf) - 1) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 100) <= 0)
            continue;
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
        assert_true(n > 0);
        got += (size_t)n;
        buf[got] = '\0';
        if (strstr(buf, "counter 20\n"))
            break;
    }
    buf[got] = '\0';
    assert_non_null(strstr(buf, "pvboot: booting counter (boot 1)\n"));  /* history */
    assert_non_null(strstr(buf, "counter 20\n"));                         /* live */
    close(fd);
    dom_free(d);
}

static void events_report_lifecycle_changes(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_subscribe };
    struct hv_domctl_reply rep;
    struct hv_domctl_event ev;
    int fd;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_counter("eventful");
    assert_int_equal(dom_ctl(d, &req, &rep, &fd), 0);
    assert_true(fd >= 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_destroy, NULL), 0);
    assert_int_equal(recv(fd, &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
    assert_int_equal(ev.type, HV_EVENT_paused);
    assert_int_equal(ev.domid, d->domid);
    assert_int_equal(recv(fd, &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
    assert_int_equal(ev.type, HV_EVENT_unpaused);
    assert_int_equal(recv(fd, &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
    assert_int_equal(ev.type, HV_EVENT_destroyed);
    assert_int_equal(recv(fd, &ev, sizeof(ev), 0), 0);    /* hvcore is gone */
    close(fd);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_DESTROYED);
    dom_free(d);
}

/* Subscribers come and go (each agent restart subscribes anew): the ones
 * that left must not hold the slots. */
static void departed_subscribers_free_their_slots(void **state)
{
    struct hv_domctl_reply rep;
    struct hv_domctl_event ev;
    int fd, live;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_counter("fickle");
    struct hv_domctl req = { .cmd = HV_DOMCTL_subscribe };
    assert_int_equal(dom_ctl(d, &req, &rep, &live), 0);
    for (int i = 0; i < 40; i++) {
        memset(&req, 0, sizeof(req));
        req.cmd = HV_DOMCTL_subscribe;
        assert_int_equal(dom_ctl(d, &req, &rep, &fd), 0);
        assert_true(fd >= 0);
        close(fd);
    }
    /* the subscriber that stayed still hears events */
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), 0);
    assert_int_equal(recv(live, &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
    assert_int_equal(ev.type, HV_EVENT_paused);
    close(live);
    dom_free(d);
}

/* Sixteen subscribers that stay hold every slot: the next one is told
 * -HVE_NOSPC and gets no descriptor; one leaving makes room again. */
static void live_subscribers_fill_the_slots(void **state)
{
    struct hv_domctl_reply rep;
    int fds[16], fd;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_counter("popular");
    for (int i = 0; i < 16; i++) {
        struct hv_domctl req = { .cmd = HV_DOMCTL_subscribe };
        assert_int_equal(dom_ctl(d, &req, &rep, &fds[i]), 0);
        assert_true(fds[i] >= 0);
    }
    struct hv_domctl req = { .cmd = HV_DOMCTL_subscribe };
    assert_int_equal(dom_ctl(d, &req, &rep, &fd), -HVE_NOSPC);
    assert_int_equal(fd, -1);
    close(fds[0]);
    memset(&req, 0, sizeof(req));
    req.cmd = HV_DOMCTL_subscribe;
    assert_int_equal(dom_ctl(d, &req, &rep, &fds[0]), 0);
    assert_true(fds[0] >= 0);
    for (int i = 0; i < 16; i++)
        close(fds[i]);
    dom_free(d);
}

static void event_fd_hears_even_a_crash_at_boot(void **state)
{
    struct hv_domctl_event ev;
    int sv[2];
    char fdarg[16];

    (void)state;
    REQUIRE_KVM();
    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    snprintf(fdarg, sizeof(fdarg), "%d", sv[1]);
    struct dom *d = dom_start("crash", 32, 1, "--event-fd", fdarg, NULL);
    close(sv[1]);
    assert_non_null(d);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_CRASHED);
    assert_int_equal(recv(sv[0], &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
    assert_int_equal(ev.type, HV_EVENT_started);
    assert_int_equal(recv(sv[0], &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
    assert_int_equal(ev.type, HV_EVENT_crashed);
    assert_non_null(strstr(ev.detail, "#PF at rip="));
    close(sv[0]);
    dom_free(d);
}

/* pvboot returns from upcalls by itself; this keeps hvcore's
 * EVTCHNOP_upcall_return tested: timer ticks, console input and a
 * shutdown request all come back through it. */
static void upcall_return_by_hypercall_works(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_shutdown };
    struct hv_domctl_reply rep;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("upcall-return=hypercall counter", 32, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "pvboot: booting upcall-return=hypercall counter (boot 1)\n", 5000);
    EXPECT_CONSOLE(d, "counter 30\n", 5000);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    EXPECT_CONSOLE(d, "counter 40\n", 5000);
    req.u.shutdown.reason = SHUTDOWN_REQUEST_poweroff;
    assert_int_equal(dom_ctl(d, &req, &rep, NULL), 0);
    EXPECT_CONSOLE(d, "pvboot: shutdown requested (poweroff)\n", 5000);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_OK);
    dom_free(d);
}

static void memtouch_loops_and_still_obeys_shutdown(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_shutdown };
    struct hv_domctl_reply rep;

    (void)state;
    REQUIRE_KVM();
    /* A guest that never blocks: events reach it only because hvcore
     * kicks the vCPU out of KVM_RUN. */
    struct dom *d = dom_start("memtouch=8", 32, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "memtouch: pass 1\n", 5000);
    EXPECT_CONSOLE(d, "memtouch: pass 50\n", 5000);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_paused);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    req.u.shutdown.reason = SHUTDOWN_REQUEST_poweroff;
    assert_int_equal(dom_ctl(d, &req, &rep, NULL), 0);
    EXPECT_CONSOLE(d, "pvboot: shutdown requested (poweroff)\n", 5000);
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_OK);
    dom_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(getinfo_describes_the_domain),
        cmocka_unit_test(pause_stops_the_counter_and_unpause_resumes_it),
        cmocka_unit_test(paused_start_runs_nothing_until_unpause),
        cmocka_unit_test(shutdown_request_powers_off),
        cmocka_unit_test(reboot_request_boots_again),
        cmocka_unit_test(destroy_and_sigterm_end_the_domain),
        cmocka_unit_test(crash_can_be_preserved_for_inspection),
        cmocka_unit_test(console_attach_sees_history_and_new_output),
        cmocka_unit_test(events_report_lifecycle_changes),
        cmocka_unit_test(departed_subscribers_free_their_slots),
        cmocka_unit_test(live_subscribers_fill_the_slots),
        cmocka_unit_test(event_fd_hears_even_a_crash_at_boot),
        cmocka_unit_test(upcall_return_by_hypercall_works),
        cmocka_unit_test(memtouch_loops_and_still_obeys_shutdown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
