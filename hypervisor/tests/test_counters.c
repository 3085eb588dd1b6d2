/*
 * test_counters.c - the counters getinfo reports for `hvctl domstats`:
 * exits (KVM_RUN returns) and events (event-channel notifications) grow
 * with what the guest does, and survive a reboot.
 *
 * The pvboot shell is the guest: at its prompt it sleeps in SCHEDOP_block
 * with no timer armed, so nothing happens between two getinfo calls but
 * what the test types.  Every verdict compares counts before and after a
 * step the test waited for, never a rate.
 */
#include <string.h>
#include <unistd.h>

#include "test_util.h"

static struct hv_domctl_info getinfo(struct dom *d)
{
    struct hv_domctl_reply rep;

    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    return rep.u.info;
}

static void type(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void exits_and_events_grow_with_the_guest(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_console_attach };
    struct hv_domctl_reply rep;
    int con;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("shell", 32, 1, NULL);
    assert_non_null(d);
    assert_int_equal(dom_ctl(d, &req, &rep, &con), 0);
    assert_true(con >= 0);
    EXPECT_CONSOLE(d, "pvboot> ", 5000);

    /* Booting to the prompt took hypercalls (the banner, binding ports). */
    struct hv_domctl_info idle = getinfo(d);
    assert_true(idle.exits > 0);

    /* Input raises VIRQ_CONSOLE on the shell's port, which nothing made
     * pending before; echoing the line takes console hypercalls. */
    type(con, "echo counted\n");
    EXPECT_CONSOLE(d, "counted\n", 5000);
    EXPECT_CONSOLE(d, "pvboot> ", 5000);
    struct hv_domctl_info typed = getinfo(d);
    assert_true(typed.exits > idle.exits);
    /* KVM's own count (minor 4) grows with them; it also holds exits
     * KVM handled in the kernel, so it is no smaller than a few. */
    assert_true(idle.kvm_exits > 0);
    assert_true(typed.kvm_exits > idle.kvm_exits);
    assert_true(typed.events > idle.events);
    assert_true(typed.events > 0);

    /* Since hvcore started, not since the boot: a reboot keeps them. */
    type(con, "reboot\n");
    EXPECT_CONSOLE(d, "pvboot: booting shell (boot 2)\n", 5000);
    EXPECT_CONSOLE(d, "pvboot> ", 5000);
    struct hv_domctl_info rebooted = getinfo(d);
    assert_int_equal(rebooted.boot_count, 2);
    assert_true(rebooted.exits > typed.exits);
    assert_true(rebooted.events >= typed.events);

    type(con, "poweroff\n");
    assert_int_equal(dom_wait_exit(d, 10000), HVCORE_EXIT_OK);
    close(con);
    dom_free(d);
}

/* The reply is zeroed before it is filled: what follows the info, and
 * every byte a client never asked for, is 0, never stack garbage. */
static void getinfo_reply_is_zero_past_the_info(void **state)
{
    struct hv_domctl req;
    union {
        struct hv_domctl_reply rep;
        unsigned char raw[sizeof(struct hv_domctl_reply)];
    } u;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("shell", 32, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "pvboot> ", 5000);

    memset(&req, 0, sizeof(req));
    req.cmd = HV_DOMCTL_getinfo;
    req.interface_version = HV_DOMCTL_INTERFACE_VERSION;
    req.domid = d->domid;
    memset(&u, 0xa5, sizeof(u));
    assert_int_equal(dom_ctl_raw(d, &req, sizeof(req), &u, sizeof(u)), (ssize_t)sizeof(u));
    assert_int_equal(u.rep.status, 0);
    assert_int_equal(u.rep.interface_version, HV_DOMCTL_INTERFACE_VERSION);
    assert_true(u.rep.u.info.exits > 0);
    size_t tail = offsetof(struct hv_domctl_reply, u) + sizeof(struct hv_domctl_info);
    for (size_t i = tail; i < sizeof(u.raw); i++)
        if (u.raw[i] != 0) {
            fprintf(stderr, "reply byte %zu is %#x\n", i, u.raw[i]);
            fail();
        }
    dom_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exits_and_events_grow_with_the_guest),
        cmocka_unit_test(getinfo_reply_is_zero_past_the_info),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
