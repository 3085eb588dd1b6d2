/*
 * unit_domctl.c - request validation in the domctl server: malformed
 * messages are answered with an error and never reach a handler.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "domctl.h"
#include "hvcore.h"
#include "public/errno.h"

static struct domain dom = { .domid = 7 };

static int32_t handle(const void *msg, size_t len, int truncated, uint32_t *seq)
{
    struct hv_domctl_reply rep;
    int cfd;

    memset(&rep, 0xff, sizeof(rep));
    assert_int_equal(domctl_handle(&dom, msg, len, truncated, &rep, &cfd), -1);
    assert_int_equal(cfd, -1);
    assert_int_equal(rep.interface_version, HV_DOMCTL_INTERFACE_VERSION);
    if (seq)
        *seq = rep.seq;
    return rep.status;
}

static struct hv_domctl good(uint32_t cmd)
{
    struct hv_domctl req;

    memset(&req, 0, sizeof(req));
    req.cmd = cmd;
    req.interface_version = HV_DOMCTL_INTERFACE_VERSION;
    req.domid = 7;
    req.seq = 42;
    return req;
}

static void wrong_sizes_are_rejected(void **state)
{
    struct hv_domctl req = good(HV_DOMCTL_getinfo);
    char big[sizeof(req) + 1];

    (void)state;
    assert_int_equal(handle(&req, 0, 0, NULL), -HVE_MSGSIZE);
    assert_int_equal(handle(&req, 3, 0, NULL), -HVE_MSGSIZE);
    assert_int_equal(handle(&req, sizeof(req) - 1, 0, NULL), -HVE_MSGSIZE);
    memcpy(big, &req, sizeof(req));
    big[sizeof(req)] = 0;
    assert_int_equal(handle(big, sizeof(big), 0, NULL), -HVE_MSGSIZE);
    assert_int_equal(handle(&req, sizeof(req), 1, NULL), -HVE_MSGSIZE);
}

static void wrong_version_domid_and_command_are_rejected(void **state)
{
    struct hv_domctl req = good(HV_DOMCTL_getinfo);
    uint32_t seq = 0;

    (void)state;
    req.interface_version = 0x00020000;
    assert_int_equal(handle(&req, sizeof(req), 0, &seq), -HVE_VERSION);
    assert_int_equal(seq, 42);
    req.interface_version = 0x0000ffff;     /* major 0, any minor */
    assert_int_equal(handle(&req, sizeof(req), 0, NULL), -HVE_VERSION);
    req = good(HV_DOMCTL_getinfo);
    req.domid = 8;
    assert_int_equal(handle(&req, sizeof(req), 0, NULL), -HVE_NOENT);
    req = good(0);
    assert_int_equal(handle(&req, sizeof(req), 0, NULL), -HVE_NOSYS);
    req = good(0xdeadbeef);
    assert_int_equal(handle(&req, sizeof(req), 0, NULL), -HVE_NOSYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wrong_sizes_are_rejected),
        cmocka_unit_test(wrong_version_domid_and_command_are_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
