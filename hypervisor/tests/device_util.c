/*
 * device_util.c - domctl device requests for the device tests.
 */
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "device_util.h"
#include "public/device.h"
#include "test_util.h"

bool have_qsd(const char *test)
{
    static bool said;

    if (access(QSD, X_OK) == 0 && access(QEMU_IMG, X_OK) == 0)
        return true;
    if (!said)
        fprintf(stderr, "%s: %s or %s missing (scripts/install-deps.sh): "
                "skipping the qemu-storage-daemon tests\n", test, QSD, QEMU_IMG);
    said = true;
    return false;
}

bool can_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", path);
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

int32_t attach(struct dom *d, const char *spec, struct hv_domctl_reply *rep)
{
    char msg[sizeof(struct hv_domctl) + HV_DEVICE_SPEC_MAX + 8];
    struct hv_domctl req;
    size_t len = strlen(spec);

    memset(&req, 0, sizeof(req));
    req.cmd = HV_DOMCTL_device_attach;
    req.interface_version = HV_DOMCTL_INTERFACE_VERSION;
    req.domid = d->domid;
    req.u.device.spec_len = (uint32_t)len;
    memcpy(msg, &req, sizeof(req));
    memcpy(msg + sizeof(req), spec, len);
    memset(rep, 0, sizeof(*rep));
    assert_int_equal(dom_ctl_raw(d, msg, sizeof(req) + len, rep, sizeof(*rep)),
                     (ssize_t)sizeof(*rep));
    return rep->status;
}

int32_t detach(struct dom *d, const char *id)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_device_detach };
    struct hv_domctl_reply rep;

    snprintf(req.u.device.id, sizeof(req.u.device.id), "%s", id);
    return dom_ctl(d, &req, &rep, NULL);
}

int32_t info(struct dom *d, uint32_t index, struct hv_domctl_device_info *out)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_device_info };
    struct hv_domctl_reply rep;

    req.u.device.index = index;
    int32_t r = dom_ctl(d, &req, &rep, NULL);
    if (out)
        *out = rep.u.device_info;
    return r;
}

int subscribe(struct dom *d)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_subscribe };
    struct hv_domctl_reply rep;
    int fd;

    assert_int_equal(dom_ctl(d, &req, &rep, &fd), 0);
    assert_true(fd >= 0);
    return fd;
}

void type(struct dom *d, const char *text)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_console_attach };
    struct hv_domctl_reply rep;
    int fd;

    assert_int_equal(dom_ctl(d, &req, &rep, &fd), 0);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}
