/*
 * test_domctl.c - the control socket under abuse: wrong sizes, versions,
 * domids and commands get an error reply; garbage, fd passing and
 * abandoned connections change nothing; the domain keeps running.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
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

static int ctl_socket(struct dom *d)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timeval tv = { .tv_sec = 30 };       /* only on failure */
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/domains/%u/control", d->rundir, d->domid);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* Send a getinfo with flags, with the given version; its reply's status. */
static int32_t getinfo_on(int fd, struct dom *d, uint32_t version, uint32_t flags)
{
    struct hv_domctl req;
    struct hv_domctl_reply rep;

    memset(&req, 0, sizeof(req));
    req.cmd = HV_DOMCTL_getinfo;
    req.interface_version = version;
    req.domid = d->domid;
    req.seq = 7;
    req.u.getinfo.flags = flags;
    assert_int_equal(send(fd, &req, sizeof(req), MSG_NOSIGNAL), (ssize_t)sizeof(req));
    assert_int_equal(recv(fd, &rep, sizeof(rep), 0), (ssize_t)sizeof(rep));
    assert_int_equal(rep.seq, 7);
    if (rep.status == 0)
        assert_int_equal(rep.u.info.domid, d->domid);
    return rep.status;
}

/*
 * HV_DOMCTL_GETINFO_CLOSE (minor 2): the reply comes, then hvcore closes
 * the connection without waiting for the client to; without it, or with
 * it in a request of another major, the connection stays.  Each request
 * goes out right after the connect, as libhvctl's do (hvcore serves it in
 * the wake-up of its accept when it is already there).
 */
static void getinfo_close_ends_the_connection(void **state)
{
    char byte;
    int fd;

    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("counter", 32, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "counter 2\n", 5000);

    fd = ctl_socket(d);
    assert_int_equal(getinfo_on(fd, d, HV_DOMCTL_INTERFACE_VERSION, HV_DOMCTL_GETINFO_CLOSE), 0);
    /* hvcore's hang-up: end of file, not the 30 s receive timeout. */
    assert_int_equal(recv(fd, &byte, 1, 0), 0);
    close(fd);

    fd = ctl_socket(d);
    assert_int_equal(getinfo_on(fd, d, HV_DOMCTL_INTERFACE_VERSION, 0), 0);
    assert_int_equal(getinfo_on(fd, d, HV_DOMCTL_INTERFACE_VERSION, 0), 0);
    /* Another major's flags mean nothing here. */
    assert_int_equal(getinfo_on(fd, d, 0x00020000, HV_DOMCTL_GETINFO_CLOSE), -HVE_VERSION);
    /* An older minor's client that sets the bit all the same is obeyed. */
    assert_int_equal(getinfo_on(fd, d, 0x00010000, HV_DOMCTL_GETINFO_CLOSE), 0);
    assert_int_equal(recv(fd, &byte, 1, 0), 0);
    close(fd);

    long before = dom_last_counter(d);
    dom_drain(d, 200);
    assert_true(dom_last_counter(d) > before);
    dom_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(malformed_requests_get_errors),
        cmocka_unit_test(getinfo_close_ends_the_connection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
