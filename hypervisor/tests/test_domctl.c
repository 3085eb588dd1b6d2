/*
 * test_domctl.c - the control socket under abuse: wrong sizes, versions,
 * domids and commands get an error reply; garbage, fd passing and
 * abandoned connections change nothing; the domain keeps running.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "public/errno.h"
#include "test_util.h"

static int32_t raw_status(struct dom *d, const void *msg, size_t len)
{
    struct hv_domctl_reply rep;

    memset(&rep, 0, sizeof(rep));
    assert_int_equal(dom_ctl_raw(d, msg, len, &rep, sizeof(rep)), (ssize_t)sizeof(rep));
    assert_int_equal(rep.interface_version, HV_DOMCTL_INTERFACE_VERSION);
    return rep.status;
}

static void malformed_requests_get_errors(void **state)
{
    struct hv_domctl req;
    char big[1024];
    struct hv_domctl_reply rep;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("counter", 32, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "counter 2\n", 5000);

    memset(&req, 0, sizeof(req));
    req.cmd = HV_DOMCTL_getinfo;
    req.interface_version = HV_DOMCTL_INTERFACE_VERSION;
    req.domid = d->domid;
    assert_int_equal(raw_status(d, &req, 3), -HVE_MSGSIZE);
    assert_int_equal(raw_status(d, &req, sizeof(req) - 1), -HVE_MSGSIZE);
    memset(big, 0x41, sizeof(big));
    memcpy(big, &req, sizeof(req));
    assert_int_equal(raw_status(d, big, sizeof(big)), -HVE_MSGSIZE);
    req.interface_version = 1;
    assert_int_equal(raw_status(d, &req, sizeof(req)), -HVE_VERSION);
    /* Another minor of the same major is served: a toolstack upgrade does
     * not strand running domains. */
    req.interface_version = HV_DOMCTL_INTERFACE_VERSION + 1;
    assert_int_equal(raw_status(d, &req, sizeof(req)), 0);
    req.interface_version = HV_DOMCTL_INTERFACE_VERSION | 0xffff;
    assert_int_equal(raw_status(d, &req, sizeof(req)), 0);
    req.interface_version = HV_DOMCTL_INTERFACE_VERSION;
    req.domid = d->domid + 1;
    assert_int_equal(raw_status(d, &req, sizeof(req)), -HVE_NOENT);
    req.domid = d->domid;
    req.cmd = 1000;
    assert_int_equal(raw_status(d, &req, sizeof(req)), -HVE_NOSYS);

    /* a thousand random messages */
    srand(1234);
    for (int i = 0; i < 1000; i++) {
        size_t len = 1 + (size_t)rand() % sizeof(big);
        for (size_t k = 0; k < len; k++)
            big[k] = (char)rand();
        if (i % 2) {
            memcpy(big, &req, 12);          /* plausible header, random body */
            len = sizeof(req);
        }
        struct hv_domctl_reply r;
        assert_true(dom_ctl_raw(d, big, len, &r, sizeof(r)) == (ssize_t)sizeof(r));
    }

    /* connections that say nothing, or pass a file descriptor */
    for (int i = 0; i < 50; i++) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/domains/%u/control", d->rundir, d->domid);
        int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        if (i % 2 == 0) {
            union { char b[CMSG_SPACE(sizeof(int))]; struct cmsghdr a; } ctl;
            struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
            struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                                 .msg_control = ctl.b, .msg_controllen = sizeof(ctl.b) };
            struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
            int zero = 0;
            c->cmsg_level = SOL_SOCKET;
            c->cmsg_type = SCM_RIGHTS;
            c->cmsg_len = CMSG_LEN(sizeof(int));
            memcpy(CMSG_DATA(c), &zero, sizeof(int));
            sendmsg(fd, &mh, MSG_NOSIGNAL);
        }
        close(fd);
    }

    /* more idle connections than hvcore serves: the surplus is refused,
     * the domain runs on, and control works again once they are gone */
    int idle[300];
    for (int i = 0; i < 300; i++) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/domains/%u/control", d->rundir, d->domid);
        idle[i] = socket(AF_UNIX, SOCK_SEQPACKET, 0);
        assert_int_equal(connect(idle[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
    }
    dom_drain(d, 100);
    for (int i = 0; i < 300; i++)
        close(idle[i]);
    dom_drain(d, 100);

    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_running);
    dom_drain(d, 50);
    long before = dom_last_counter(d);
    dom_drain(d, 200);
    assert_true(dom_last_counter(d) > before);
    dom_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(malformed_requests_get_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
