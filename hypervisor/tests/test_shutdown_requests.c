/*
 * test_shutdown_requests.c - shutdown requests that arrive while an
 * earlier one is being carried out, or while the domain is paused, are
 * not lost (docs/architecture.md, "Shutdown requests").
 *
 * The race behind the rule is held open deterministically: the shell
 * workload idles, the test fills hvcore's stdout pipe itself, and a
 * request then makes pvboot read shared_info.shutdown_request and print
 * "pvboot: shutdown requested (...)".  hvcore hands that line to console
 * clients, then waits for the stdout reader (stdout throttles the guest),
 * so the guest stands between reading the request and acting on it for
 * as long as the test leaves the pipe full.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "public/errno.h"
#include "test_util.h"

struct term {
    int fd;
    char buf[16384];
    size_t len;
};

/* Wait (on failure only: 30 s) until the console client shows text. */
static bool term_expect(struct term *t, const char *text)
{
    uint64_t end = ms_now() + 30000;

    for (;;) {
        t->buf[t->len] = '\0';
        if (strstr(t->buf, text))
            return true;
        if (ms_now() >= end || t->len >= sizeof(t->buf) - 1)
            return false;
        struct pollfd p = { .fd = t->fd, .events = POLLIN };
        if (poll(&p, 1, 50) > 0) {
            ssize_t n = read(t->fd, t->buf + t->len, sizeof(t->buf) - 1 - t->len);
            if (n <= 0)
                return false;
            t->len += (size_t)n;
        }
    }
}

#define TERM_EXPECT(t, text) do {                                            \
        if (!term_expect((t), (text))) {                                     \
            fprintf(stderr, "console client never showed \"%s\":\n%s\n",   \
                    (text), (t)->buf);                                       \
            fail();                                                          \
        }                                                                    \
    } while (0)

static int request(struct dom *d, uint32_t reason)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_shutdown };
    struct hv_domctl_reply rep;

    req.u.shutdown.reason = reason;
    return dom_ctl(d, &req, &rep, NULL);
}

static uint32_t boot_count(struct dom *d)
{
    struct hv_domctl_reply rep;

    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    return rep.u.info.boot_count;
}

/* An idle shell (boot 1) with a console client attached. */
static struct dom *start_shell(const char *name, struct term *t)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_console_attach };
    struct hv_domctl_reply rep;

    struct dom *d = dom_start("shell", 32, 1, "--name", name, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "pvboot: booting shell (boot 1)\n", 5000);
    EXPECT_CONSOLE(d, "pvboot> ", 5000);
    t->len = 0;
    assert_int_equal(dom_ctl(d, &req, &rep, &t->fd), 0);
    assert_true(t->fd >= 0);
    return d;
}

/* Fill hvcore's stdout pipe through a second write end of our own: the
 * guest's next line then waits in hvcore until the test reads again. */
static void fill_stdout(struct dom *d)
{
    char path[64], junk[4096];
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/fd/1", (int)d->pid);
    fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    assert_true(fd >= 0);
    memset(junk, '.', sizeof(junk));
    while (write(fd, junk, sizeof(junk)) > 0)
        ;
    while (write(fd, junk, 1) == 1)     /* the last partial page too */
        ;
    assert_int_equal(errno, EAGAIN);
    close(fd);
}

/* Make the shell read request `first` and hold it before it acts. */
static void hold_after_reading(struct dom *d, struct term *t, uint32_t first)
{
    fill_stdout(d);
    assert_int_equal(request(d, first), 0);
    TERM_EXPECT(t, first == SHUTDOWN_REQUEST_reboot
                       ? "pvboot: shutdown requested (reboot)\n"
                       : "pvboot: shutdown requested (poweroff)\n");
}

static void poweroff_during_a_reboot_is_not_lost(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_subscribe };
    struct hv_domctl_reply rep;
    struct hv_domctl_event ev;
    struct term t;
    int events;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_shell("reboot-then-off", &t);
    assert_int_equal(dom_ctl(d, &req, &rep, &events), 0);
    assert_true(events >= 0);
    hold_after_reading(d, &t, SHUTDOWN_REQUEST_reboot);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_poweroff), 0);
    assert_int_equal(boot_count(d), 1);     /* still held: not rebooted */
    /* Reading the console lets the guest go on with its reboot; the
     * pending poweroff replaces it. */
    assert_int_equal(dom_wait_exit(d, 5000), HVCORE_EXIT_OK);
    assert_null(strstr(d->out, "(boot 2)"));
    /* One event, and no "rebooted": hvcore has exited, the stream ended. */
    assert_int_equal(recv(events, &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
    assert_int_equal(ev.type, HV_EVENT_shutdown);
    assert_string_equal(ev.detail, "guest rebooted, powered off as requested meanwhile");
    assert_int_equal(recv(events, &ev, sizeof(ev), 0), 0);
    close(events);
    close(t.fd);
    dom_free(d);
}

static void poweroff_during_a_paused_reboot_acts_on_unpause(void **state)
{
    struct hv_domctl_reply rep;
    struct term t;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_shell("paused-reboot", &t);
    hold_after_reading(d, &t, SHUTDOWN_REQUEST_reboot);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), 0);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_poweroff), 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_paused);
    assert_int_equal(rep.u.info.boot_count, 1);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    assert_int_equal(dom_wait_exit(d, 5000), HVCORE_EXIT_OK);
    assert_null(strstr(d->out, "(boot 2)"));
    close(t.fd);
    dom_free(d);
}

/* A request that comes after the reboot, before the new boot has bound
 * VIRQ_SHUTDOWN, raises nothing the guest sees: pvboot reads the field
 * once bound.  Boot 2 is held at its first line (before it binds). */
static void request_before_the_new_boot_listens_is_seen(void **state)
{
    struct term t;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_shell("early-request", &t);
    hold_after_reading(d, &t, SHUTDOWN_REQUEST_reboot);
    /* Paused, the guest gives up waiting for stdout (the rest of its line
     * is lost there); unpaused, it reboots and waits again at boot 2's
     * first line, stdout being still full. */
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    TERM_EXPECT(&t, "pvboot: booting shell (boot 2)\n");
    assert_int_equal(boot_count(d), 2);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_poweroff), 0);
    EXPECT_CONSOLE(d, "pvboot: shutdown requested (poweroff)\n", 5000);
    assert_int_equal(dom_wait_exit(d, 5000), HVCORE_EXIT_OK);
    assert_null(strstr(d->out, "(boot 3)"));
    close(t.fd);
    dom_free(d);
}

static void reboot_during_a_reboot_reboots_once(void **state)
{
    struct term t;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_shell("reboot-twice", &t);
    hold_after_reading(d, &t, SHUTDOWN_REQUEST_reboot);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_reboot), 0);
    EXPECT_CONSOLE(d, "pvboot: booting shell (boot 2)\n", 5000);
    /* The prompt comes after boot 2 looked for a pending request. */
    EXPECT_CONSOLE(d, "pvboot> ", 5000);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_poweroff), 0);
    EXPECT_CONSOLE(d, "pvboot: shutdown requested (poweroff)\n", 5000);
    assert_int_equal(dom_wait_exit(d, 5000), HVCORE_EXIT_OK);
    assert_null(strstr(d->out, "(boot 3)"));
    close(t.fd);
    dom_free(d);
}

static void poweroff_twice_powers_off_once(void **state)
{
    struct term t;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_shell("off-twice", &t);
    hold_after_reading(d, &t, SHUTDOWN_REQUEST_poweroff);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_poweroff), 0);
    assert_int_equal(dom_wait_exit(d, 5000), HVCORE_EXIT_OK);
    close(t.fd);
    dom_free(d);
}

static void reboot_does_not_replace_a_pending_poweroff(void **state)
{
    struct term t;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_shell("off-then-reboot", &t);
    hold_after_reading(d, &t, SHUTDOWN_REQUEST_poweroff);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_reboot), 0);
    assert_int_equal(dom_wait_exit(d, 5000), HVCORE_EXIT_OK);
    assert_null(strstr(d->out, "(boot 2)"));
    close(t.fd);
    dom_free(d);
}

/* Requests made while paused stand, and act on unpause: twice the same
 * one acts once, and a reboot after a poweroff does not replace it. */
static void requests_while_paused_act_on_unpause(void **state)
{
    struct hv_domctl_reply rep;
    struct term t;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = start_shell("paused-reboots", &t);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), 0);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_reboot), 0);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_reboot), 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    EXPECT_CONSOLE(d, "pvboot: shutdown requested (reboot)\n", 5000);
    EXPECT_CONSOLE(d, "pvboot: booting shell (boot 2)\n", 5000);
    EXPECT_CONSOLE(d, "pvboot> ", 5000);
    assert_int_equal(boot_count(d), 2);

    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), 0);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_poweroff), 0);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_reboot), 0);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_poweroff), 0);
    assert_int_equal(request(d, SHUTDOWN_REQUEST_reboot), 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_paused);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    EXPECT_CONSOLE(d, "pvboot: shutdown requested (poweroff)\n", 5000);
    assert_int_equal(dom_wait_exit(d, 5000), HVCORE_EXIT_OK);
    assert_null(strstr(d->out, "(boot 3)"));
    close(t.fd);
    dom_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(poweroff_during_a_reboot_is_not_lost),
        cmocka_unit_test(poweroff_during_a_paused_reboot_acts_on_unpause),
        cmocka_unit_test(request_before_the_new_boot_listens_is_seen),
        cmocka_unit_test(reboot_during_a_reboot_reboots_once),
        cmocka_unit_test(poweroff_twice_powers_off_once),
        cmocka_unit_test(reboot_does_not_replace_a_pending_poweroff),
        cmocka_unit_test(requests_while_paused_act_on_unpause),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
