/*
 * test_hostile.c - a guest issuing 100000 random hypercalls with random
 * arguments: hvcore survives, keeps answering domctl, and the guest ends
 * normally.  The device hypercalls (HC_dev_op, HC_dev_notify) are among
 * them, on a domain without devices and on one with an hvblk disk.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "public/domctl.h"
#include "test_util.h"

/* The workload's device line: dev_op calls, those that worked, and
 * dev_notify calls (each issued, none flagged suspicious). */
static void device_calls(const struct dom *d, unsigned long long *ops, unsigned long long *ok)
{
    unsigned long long notifies = 0;
    const char *line = strstr(d->out, "hostile: devices: ");

    assert_non_null(line);
    assert_int_equal(sscanf(line, "hostile: devices: %llu dev_op, %llu ok; %llu dev_notify",
                            ops, ok, &notifies), 3);
    assert_true(*ops > 0 && notifies > 0);
    /* a call the ABI says must fail and that hvcore took is printed so */
    assert_null(strstr(d->out, "suspicious: hypercall 0x7("));
    assert_null(strstr(d->out, "suspicious: hypercall 0x8("));
}

static void random_hypercalls_do_no_harm(void **state)
{
    struct hv_domctl_reply rep;
    unsigned answered = 0;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("hostile", 64, 2, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "pvboot: booting hostile", 5000);
    /* hvcore answers while the storm is on */
    while (d->status < 0 && !strstr(d->out, "hostile: 100000 hypercalls")) {
        if (dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep) == 0) {
            assert_int_equal(rep.u.info.domid, d->domid);
            answered++;
        }
        dom_drain(d, 100);
        if (dom_wait_exit(d, 1) >= 0)
            break;
    }
    int status = dom_wait_exit(d, 60000);
    if (status != HVCORE_EXIT_OK)
        fprintf(stderr, "exit %d\nconsole:\n%s\nstderr:\n%s\n", status, d->out, d->err);
    assert_int_equal(status, HVCORE_EXIT_OK);
    assert_non_null(strstr(d->out, "hostile: 100000 hypercalls, "));
    assert_true(answered > 0);
    fprintf(stderr, "getinfo answered %u times during the run\n", answered);
    unsigned long long ops, ok;
    device_calls(d, &ops, &ok);
    assert_int_equal(ok, 0);                /* no device: every dev_op fails */
    dom_free(d);
}

/*
 * With a disk: dev_op on its live slot (features, queue structs good and
 * bad in the guest's pages, starts, resets) and notifications of its
 * queues.  The guest may break its own device; hvcore and hvblk live on:
 * the run ends normally and hvblk never died.
 */
static void random_device_calls_do_no_harm(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_subscribe };
    struct hv_domctl_reply rep;
    struct hv_domctl_event ev;
    char dir[] = "/tmp/hvhostile.XXXXXX", img[64], spec[128], hvblk[512];
    const char *bdir = getenv("HVCORE_BACKEND_DIR");
    int evfd = -1;

    (void)state;
    REQUIRE_KVM();
    snprintf(hvblk, sizeof(hvblk), "%s/hvblk", bdir ? bdir : "");
    if (!bdir || access(hvblk, X_OK) < 0) {
        fprintf(stderr, "test_hostile: no hvblk in $HVCORE_BACKEND_DIR: skipped\n");
        skip();
    }
    assert_non_null(mkdtemp(dir));
    snprintf(img, sizeof(img), "%s/vda.img", dir);
    int fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 4 << 20), 0);
    close(fd);
    snprintf(spec, sizeof(spec), "blk,id=vda,file=%s", img);
    struct dom *d = dom_start("hostile=30000", 64, 2, "--paused", "--device", spec, NULL);
    assert_non_null(d);
    assert_int_equal(dom_ctl(d, &req, &rep, &evfd), 0);
    assert_true(evfd >= 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    int status = dom_wait_exit(d, 60000);
    if (status != HVCORE_EXIT_OK)
        fprintf(stderr, "exit %d\nconsole:\n%s\nstderr:\n%s\n", status, d->out, d->err);
    assert_int_equal(status, HVCORE_EXIT_OK);
    assert_non_null(strstr(d->out, "hostile: 30000 hypercalls, "));
    unsigned long long ops, ok;
    device_calls(d, &ops, &ok);
    assert_true(ok > 0);                    /* the live slot was reached */
    fprintf(stderr, "%llu dev_op, %llu of them ok\n", ops, ok);
    /* broken queues are the guest's business; a dead back end is not */
    for (;;) {
        struct pollfd p = { .fd = evfd, .events = POLLIN };
        if (poll(&p, 1, 0) != 1 || recv(evfd, &ev, sizeof(ev), 0) != (ssize_t)sizeof(ev))
            break;
        if (ev.type == HV_EVENT_device_error)
            assert_non_null(strstr(ev.detail, "vda: queue "));
    }
    close(evfd);
    dom_free(d);
    unlink(img);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(random_hypercalls_do_no_harm),
        cmocka_unit_test(random_device_calls_do_no_harm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
