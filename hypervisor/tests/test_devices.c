/*
 * test_devices.c - hvcore's devices with real back ends: specs refused
 * word for word at start and at attach, attach / info / detach of a
 * qemu-storage-daemon disk (a vhost-user back end nobody here wrote) on a
 * running domain, the device events, a back end killed and brought back
 * while the domain lives on, save refused while devices exist, and
 * nothing left behind when hvcore goes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "public/device.h"
#include "public/errno.h"
#include "device_util.h"
#include "test_util.h"
#include "xfer_util.h"

#define WAIT_MS 30000

/* ---- qemu-storage-daemon ------------------------------------------- */

struct qsd {
    char dir[64];
    char sock[128];
    char img[128];
    pid_t pid;
};

#define REQUIRE_QSD() do { if (!have_qsd("test_devices")) skip(); } while (0)

/* Serve q->img (made once) on q->sock; wait until it listens. */
static void qsd_run(struct qsd *q)
{
    char blk1[256], blk2[128], exp[256];

    snprintf(blk1, sizeof(blk1), "driver=file,node-name=f,filename=%s", q->img);
    snprintf(blk2, sizeof(blk2), "driver=qcow2,node-name=q,file=f");
    snprintf(exp, sizeof(exp), "type=vhost-user-blk,id=e,node-name=q,addr.type=unix,"
             "addr.path=%s,writable=on", q->sock);
    unlink(q->sock);
    q->pid = fork();
    assert_true(q->pid >= 0);
    if (q->pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execl(QSD, QSD, "--blockdev", blk1, "--blockdev", blk2, "--export", exp,
              (char *)NULL);
        _exit(127);
    }
    /* qemu-storage-daemon serves one front end at a time; a probe
     * connection is dropped as soon as it closes. */
    uint64_t end = ms_now() + WAIT_MS;
    while (!can_connect(q->sock)) {
        assert_true(ms_now() < end);
        assert_int_equal(waitpid(q->pid, NULL, WNOHANG), 0);
        usleep(10000);
    }
}

static void qsd_start(struct qsd *q)
{
    char cmd[512];

    snprintf(q->dir, sizeof(q->dir), "/tmp/hvdev.XXXXXX");
    assert_non_null(mkdtemp(q->dir));
    snprintf(q->sock, sizeof(q->sock), "%s/vdb.sock", q->dir);
    snprintf(q->img, sizeof(q->img), "%s/vdb.qcow2", q->dir);
    snprintf(cmd, sizeof(cmd), QEMU_IMG " create -q -f qcow2 %s 64M", q->img);
    assert_int_equal(system(cmd), 0);
    qsd_run(q);
}

/* qsd_start, and the blk spec that gives its disk to the guest as vdb. */
static void qsd_start_spec(struct qsd *q, char *spec, size_t len)
{
    qsd_start(q);
    snprintf(spec, len, "blk,id=vdb,socket=%s", q->sock);
}

static void qsd_kill(struct qsd *q)
{
    if (q->pid > 0) {
        kill(q->pid, SIGKILL);
        waitpid(q->pid, NULL, 0);
    }
    q->pid = 0;
}

static void qsd_free(struct qsd *q)
{
    qsd_kill(q);
    unlink(q->sock);
    unlink(q->img);
    rmdir(q->dir);
}

/* ---- hvblk, the in-tree block back end ----------------------------- */

static bool have_hvblk(char *path, size_t len)
{
    static bool said;
    const char *dir = getenv("HVCORE_BACKEND_DIR");

    snprintf(path, len, "%s/hvblk", dir ? dir : "");
    if (dir && access(path, X_OK) == 0)
        return true;
    if (!said)
        fprintf(stderr, "test_devices: no hvblk in $HVCORE_BACKEND_DIR: skipping the "
                "in-tree back-end tests\n");
    said = true;
    return false;
}

#define REQUIRE_HVBLK(path) do { if (!have_hvblk((path), sizeof(path))) skip(); } while (0)

/* A 16 MiB raw disk in a new directory. */
static void raw_disk(char *dir, size_t dlen, char *img, size_t ilen)
{
    snprintf(dir, dlen, "/tmp/hvdev.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(img, ilen, "%s/vda.img", dir);
    int fd = open(img, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 16 << 20), 0);
    close(fd);
}

/* raw_disk, and the blk spec that gives it to the guest as vda. */
static void raw_disk_spec(char *dir, size_t dlen, char *img, size_t ilen,
                          char *spec, size_t slen)
{
    raw_disk(dir, dlen, img, ilen);
    snprintf(spec, slen, "blk,id=vda,file=%s", img);
}

/* Remove what raw_disk made. */
static void raw_disk_remove(const char *dir, const char *img)
{
    unlink(img);
    rmdir(dir);
}

/* Is process pid gone (or a zombie nobody waits for)? */
static bool process_gone(pid_t pid)
{
    char path[64], buf[256];

    if (kill(pid, 0) < 0 && errno == ESRCH)
        return true;
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    bool zombie = fgets(buf, sizeof(buf), f) && strstr(buf, ") Z ");
    fclose(f);
    return zombie;
}

/* ---- domctl -------------------------------------------------------- */

/* The next event of type (others are skipped) into ev. */
static void next_event(int fd, uint32_t type, struct hv_domctl_event *ev)
{
    uint64_t end = ms_now() + WAIT_MS;

    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        int left = (int)(end - ms_now());
        assert_true(left > 0 && poll(&p, 1, left) == 1);
        assert_int_equal(recv(fd, ev, sizeof(*ev), 0), (ssize_t)sizeof(*ev));
        if (ev->type == type)
            return;
    }
}

/* The next event of type says detail. */
static void expect_event(int fd, uint32_t type, const char *detail)
{
    struct hv_domctl_event ev;

    next_event(fd, type, &ev);
    assert_string_equal(ev.detail, detail);
}

/* Events of type go by until one says detail. */
static void expect_event_eventually(int fd, uint32_t type, const char *detail)
{
    struct hv_domctl_event ev;

    do
        next_event(fd, type, &ev);
    while (strcmp(ev.detail, detail) != 0);
}

/* Wait until device index 0 is in state. */
static void wait_state(struct dom *d, uint32_t state)
{
    uint64_t end = ms_now() + WAIT_MS;
    struct hv_domctl_device_info di;

    for (;;) {
        assert_int_equal(info(d, 0, &di), 0);
        if (di.state == state)
            return;
        assert_true(ms_now() < end);
        usleep(10000);
    }
}

/* ---- tests --------------------------------------------------------- */

/* A malformed --device is a usage error: hvcore says why in one line and
 * no domain starts. */
static void bad_device_option_is_refused(void **state)
{
    static const struct { const char *spec, *line; } cases[] = {
        { "blk,id=vda,file=/x,foo=1", "hvcore: --device: unknown key 'foo'\n" },
        { "blk,file=/x", "hvcore: --device: id= is required\n" },
        { "blk,id=VDA,file=/x", "hvcore: --device: id 'VDA' is not 1-15 bytes of [a-z0-9_.-]\n" },
        { "blk,id=vda,file=/x,socket=/s", "hvcore: --device: file= and socket= exclude each other\n" },
        { "net,id=n0,mac=52:54:00:12:34", "hvcore: --device: mac '52:54:00:12:34' is not a MAC "
          "address (xx:xx:xx:xx:xx:xx)\n" },
        { "disk,id=vda", "hvcore: --device: unknown device type 'disk' (blk or net)\n" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct dom *d = dom_start("hello", 32, 1, "--device", cases[i].spec, NULL);
        assert_non_null(d);
        assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_STARTUP);
        char want[256];
        snprintf(want, sizeof(want), "%sTry 'hvcore --help'.\n", cases[i].line);
        assert_string_equal(d->err, want);
        dom_free(d);
    }
}

/* A socket that nobody serves: the start fails with the reason. */
static void unreachable_socket_fails_the_start(void **state)
{
    (void)state;
    REQUIRE_KVM();
    struct dom *d = dom_start("hello", 32, 1, "--device",
                              "blk,id=vda,socket=/nonexistent/vda.sock", NULL);
    assert_non_null(d);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_STARTUP);
    assert_string_equal(d->err, "hvcore: --device: vda: cannot connect to "
                        "/nonexistent/vda.sock: No such file or directory\n");
    dom_free(d);
}

/* Attach, list and detach a qcow2 disk served by qemu-storage-daemon
 * while the guest runs; every refusal says why. */
static void attach_info_detach_qsd_disk(void **state)
{
    struct hv_domctl_reply rep;
    struct hv_domctl_device_info di;
    struct qsd q;
    char spec[256];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    qsd_start(&q);
    struct dom *d = dom_start("counter", 32, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "counter 1\n", WAIT_MS);
    int ev = subscribe(d);

    assert_int_equal(info(d, 0, NULL), -HVE_NOENT);
    snprintf(spec, sizeof(spec), "blk,id=vdb,socket=%s", q.sock);
    assert_int_equal(attach(d, spec, &rep), 0);
    assert_string_equal(rep.u.device_info.id, "vdb");
    assert_int_equal(rep.u.device_info.type, HV_DEV_TYPE_BLOCK);
    assert_int_equal(rep.u.device_info.state, HV_DEV_STATE_READY);
    assert_int_equal(rep.u.device_info.backend, HV_DEVICE_BACKEND_SOCKET);
    char desc[200];
    snprintf(desc, sizeof(desc), "vhost-user %s", q.sock);
    assert_string_equal(rep.u.device_info.backend_desc, desc);
    char detail[200];
    snprintf(detail, sizeof(detail), "vdb: vhost-user %s", q.sock);
    expect_event(ev, HV_EVENT_device_attached, detail);

    assert_int_equal(info(d, 0, &di), 0);
    assert_string_equal(di.id, "vdb");
    assert_int_equal(di.slot, 0);
    assert_int_equal(di.state, HV_DEV_STATE_READY);
    assert_int_equal(di.flags & HV_DEVICE_INFO_COUNTERS, 0);
    assert_int_equal(info(d, 1, NULL), -HVE_NOENT);

    /* refusals, word for word */
    assert_int_equal(attach(d, spec, &rep), -HVE_EXIST);
    assert_string_equal(rep.u.result.message, "vdb: the domain has a device of that id");
    assert_int_equal(attach(d, "blk,id=vdc,socket=/a,,b,readonly", &rep), -HVE_INVAL);
    assert_string_equal(rep.u.result.message, "readonly is for the in-tree back end, "
                        "not for socket=");
    assert_int_equal(attach(d, "net,id=n0,queues=9,mac=52:54:00:00:00:01", &rep), -HVE_INVAL);
    assert_string_equal(rep.u.result.message, "queues '9' is not between 1 and 7");
    /* the length must be the message's */
    struct {
        struct hv_domctl req;
        char spec[8];
    } m;
    memset(&m, 0, sizeof(m));
    m.req.cmd = HV_DOMCTL_device_attach;
    m.req.interface_version = HV_DOMCTL_INTERFACE_VERSION;
    m.req.domid = d->domid;
    m.req.u.device.spec_len = 9;
    memcpy(m.spec, "blk,id=x", 8);
    assert_int_equal(dom_ctl_raw(d, &m, sizeof(m), &rep, sizeof(rep)), (ssize_t)sizeof(rep));
    assert_int_equal(rep.status, -HVE_MSGSIZE);
    assert_int_equal(dom_ctl_raw(d, &m.req, sizeof(m.req), &rep, sizeof(rep)),
                     (ssize_t)sizeof(rep));
    assert_int_equal(rep.status, -HVE_MSGSIZE);     /* no spec at all */
    m.req.u.device.spec_len = 8;
    m.req.u.device.flags = 1;
    assert_int_equal(dom_ctl_raw(d, &m, sizeof(m), &rep, sizeof(rep)), (ssize_t)sizeof(rep));
    assert_int_equal(rep.status, -HVE_INVAL);
    assert_string_equal(rep.u.result.message, "device_attach: flags must be 0");
    assert_int_equal(attach(d, "blk,id=vdc,socket=/nonexistent/x.sock", &rep), -HVE_IO);
    assert_string_equal(rep.u.result.message,
                        "vdc: cannot connect to /nonexistent/x.sock: No such file or directory");

    /* the guest ran on throughout */
    EXPECT_CONSOLE(d, "counter 3\n", WAIT_MS);
    assert_int_equal(detach(d, "vdb"), 0);
    expect_event(ev, HV_EVENT_device_detached, "vdb: detached");
    assert_int_equal(info(d, 0, NULL), -HVE_NOENT);
    assert_int_equal(detach(d, "vdb"), -HVE_NOENT);
    /* the slot is free again for the same disk */
    assert_int_equal(attach(d, spec, &rep), 0);
    assert_int_equal(rep.u.device_info.slot, 0);

    close(ev);
    dom_free(d);
    qsd_free(&q);
}

/* kill -9 of the back end: the device reports the error, the domain
 * lives on, and hvcore reconnects once the back end is back. */
static void killed_backend_comes_back(void **state)
{
    struct hv_domctl_device_info di;
    struct hv_domctl_reply rep;
    struct qsd q;
    char spec[256], detail[112];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    qsd_start_spec(&q, spec, sizeof(spec));
    struct dom *d = dom_start("counter", 32, 1, "--device", spec, NULL);
    assert_non_null(d);
    assert_true(d->domid != 0);
    EXPECT_CONSOLE(d, "counter 1\n", WAIT_MS);
    int ev = subscribe(d);
    assert_int_equal(info(d, 0, &di), 0);
    assert_int_equal(di.state, HV_DEV_STATE_READY);

    qsd_kill(&q);
    expect_event(ev, HV_EVENT_device_error, "vdb: back end lost (it hung up): reconnecting");
    /* READY or RUNNING, the device needs a reset once its back end is
     * gone (device.h): the guest sets it up again when it is back. */
    wait_state(d, HV_DEV_STATE_NEEDS_RESET);
    EXPECT_CONSOLE(d, "counter 3\n", WAIT_MS);

    qsd_run(&q);
    snprintf(detail, sizeof(detail), "vdb: back end is back: the guest resets the device");
    expect_event(ev, HV_EVENT_device_ready, detail);
    assert_int_equal(info(d, 0, &di), 0);
    assert_int_equal(di.reconnects, 1);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_running);

    close(ev);
    dom_free(d);
    qsd_free(&q);
}

/* The same under I/O: qemu-storage-daemon killed while diskio runs on its
 * disk; once it is back, hvcore reconnects, the guest resets the device,
 * resubmits what was in flight and goes on verifying. */
static void killed_qsd_under_io_comes_back(void **state)
{
    struct qsd q;
    char spec[256];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    qsd_start_spec(&q, spec, sizeof(spec));
    struct dom *d = dom_start("diskio", 64, 1, "--device", spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskio: vdb: pass 1 ok", WAIT_MS);
    int ev = subscribe(d);

    qsd_kill(&q);
    expect_event(ev, HV_EVENT_device_error, "vdb: back end lost (it hung up): reconnecting");
    qsd_run(&q);
    /* whether the guest reset the device before or after it came back */
    struct hv_domctl_event e;
    next_event(ev, HV_EVENT_device_ready, &e);
    assert_memory_equal(e.detail, "vdb: back end is back", 21);
    EXPECT_CONSOLE(d, "diskio: vdb: device was reset", WAIT_MS);
    EXPECT_CONSOLE(d, " ok (", WAIT_MS);
    struct hv_domctl_device_info di;
    assert_int_equal(info(d, 0, &di), 0);
    assert_int_equal(di.state, HV_DEV_STATE_RUNNING);
    assert_int_equal(di.reconnects, 1);

    close(ev);
    dom_free(d);
    qsd_free(&q);
}

/* Save needs device state in the stream, which it has not yet. */
static void save_with_devices_is_refused(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_save };
    struct hv_domctl_reply rep;
    struct qsd q;
    char spec[256], path[160];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    qsd_start_spec(&q, spec, sizeof(spec));
    struct dom *d = dom_start("counter", 32, 1, "--device", spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "counter 1\n", WAIT_MS);

    snprintf(path, sizeof(path), "%s/save", q.dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    req.interface_version = HV_DOMCTL_INTERFACE_VERSION;
    req.domid = d->domid;
    /* dom_ctl passes no descriptor: send this one by hand */
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = { .iov_base = &req, .iov_len = sizeof(req) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
                         .msg_controllen = sizeof(ctl.buf) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    int s = dom_ctl_open(d);
    assert_true(s >= 0);
    assert_int_equal(sendmsg(s, &mh, 0), (ssize_t)sizeof(req));
    assert_int_equal(recv(s, &rep, sizeof(rep), 0), (ssize_t)sizeof(rep));
    assert_int_equal(rep.status, -HVE_BUSY);
    assert_string_equal(rep.u.result.message,
                        "domain has devices: save and migration of devices are not "
                        "supported yet");
    close(s);
    close(fd);
    unlink(path);
    EXPECT_CONSOLE(d, "counter 3\n", WAIT_MS);
    dom_free(d);
    qsd_free(&q);
}

/* The guest writes, flushes, reads back and verifies a qcow2 image that
 * qemu-storage-daemon serves. */
static void guest_verifies_qsd_qcow2_disk(void **state)
{
    struct qsd q;
    char spec[256];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    qsd_start_spec(&q, spec, sizeof(spec));
    struct dom *d = dom_start("diskcheck", 64, 1, "--device", spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskcheck: vdb: 131072 sectors, read-write, serial vhost_user_blk", WAIT_MS);
    EXPECT_CONSOLE(d, "diskcheck: 1 disks, 1 ok, 0 failed\n", WAIT_MS);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_OK);
    dom_free(d);
    qsd_free(&q);
}

/* Where KVM does not take the notification (HVCORE_NO_IOEVENTFD: as on
 * a KVM without ioeventfd), hvcore's vCPU thread passes it on: the same
 * disk verifies the same. */
static void notifications_through_hvcore(void **state)
{
    struct qsd q;
    char spec[256];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    qsd_start_spec(&q, spec, sizeof(spec));
    setenv("HVCORE_NO_IOEVENTFD", "1", 1);
    struct dom *d = dom_start("diskcheck", 64, 1, "--device", spec, NULL);
    unsetenv("HVCORE_NO_IOEVENTFD");
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskcheck: 1 disks, 1 ok, 0 failed\n", WAIT_MS);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_OK);
    dom_free(d);
    qsd_free(&q);
}

/* Two --device options: two disks, in-tree and external, in slot order. */
static void two_disks_from_the_command_line(void **state)
{
    struct qsd q;
    char hvblk[512], dir[64], img[128], spec1[256], spec2[256];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    REQUIRE_HVBLK(hvblk);
    qsd_start(&q);
    raw_disk_spec(dir, sizeof(dir), img, sizeof(img), spec1, sizeof(spec1));
    snprintf(spec2, sizeof(spec2), "blk,id=vdb,socket=%s", q.sock);
    struct dom *d = dom_start("diskcheck", 64, 1, "--device", spec1, "--device", spec2, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskcheck: 2 disks, 2 ok, 0 failed\n", WAIT_MS);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_OK);
    dom_free(d);
    qsd_free(&q);
    raw_disk_remove(dir, img);
}

/* kill -9 of hvblk while the guest does I/O: device_error, hvcore starts
 * it again, device_ready, the guest resets the device, resubmits and
 * goes on verifying. */
static void killed_hvblk_is_restarted(void **state)
{
    struct hv_domctl_device_info di;
    struct hv_domctl_event ev;
    char hvblk[512], dir[64], img[128], spec[256];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_HVBLK(hvblk);
    raw_disk_spec(dir, sizeof(dir), img, sizeof(img), spec, sizeof(spec));
    struct dom *d = dom_start("diskio", 64, 1, "--device", spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskio: vda: pass 1 ok", WAIT_MS);
    int evfd = subscribe(d);
    assert_int_equal(info(d, 0, &di), 0);
    assert_int_equal(di.backend, HV_DEVICE_BACKEND_PROCESS);
    assert_int_equal(di.state, HV_DEV_STATE_RUNNING);
    assert_true(di.flags & HV_DEVICE_INFO_COUNTERS);
    assert_true(di.reqs_in > 0 && di.reqs_out > 0 && di.bytes_out > 0);
    pid_t first = di.backend_pid;
    assert_true(first > 0);

    assert_int_equal(kill(first, SIGKILL), 0);
    expect_event(evfd, HV_EVENT_device_error,
                 "vda: back end died (killed by signal 9): restarting it");
    next_event(evfd, HV_EVENT_device_ready, &ev);
    assert_memory_equal(ev.detail, "vda: back end is back", 21);
    EXPECT_CONSOLE(d, "diskio: vda: device was reset", WAIT_MS);
    EXPECT_CONSOLE(d, " ok (", WAIT_MS);
    assert_int_equal(info(d, 0, &di), 0);
    assert_int_equal(di.reconnects, 1);
    assert_true(di.backend_pid > 0 && di.backend_pid != first);
    assert_true(process_gone(first));

    /* hvcore's own end takes its back ends along */
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_destroy, NULL), 0);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_DESTROYED);
    assert_true(process_gone(di.backend_pid));

    close(evfd);
    dom_free(d);
    raw_disk_remove(dir, img);
}

/* The guest breaks its queue (hostile-virtq: a descriptor loop first):
 * hvblk stops the queue and signals its error eventfd, hvcore puts the
 * device in NEEDS_RESET with a device_error that says the queue and
 * hvblk's reason; the guest sees it, resets, and the same hvblk serves
 * the queue again.  Before the error eventfd the guest saw 'no answer'. */
static void broken_queue_needs_reset(void **state)
{
    struct hv_domctl_device_info di;
    struct hv_domctl_event ev;
    char hvblk[512], dir[64], img[128], spec[256];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_HVBLK(hvblk);
    raw_disk_spec(dir, sizeof(dir), img, sizeof(img), spec, sizeof(spec));
    struct dom *d = dom_start("hostile-virtq=stay", 64, 1, "--paused", "--device", spec, NULL);
    assert_non_null(d);
    int evfd = subscribe(d);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    EXPECT_CONSOLE(d, "hostile-virtq: vda: 32768 sectors, queue 16, ", WAIT_MS);
    assert_int_equal(info(d, 0, &di), 0);
    pid_t pid = di.backend_pid;
    assert_true(pid > 0);

    next_event(evfd, HV_EVENT_device_error, &ev);
    assert_string_equal(ev.detail, "vda: queue 0 stopped by the back end: head 0: "
                        "device-readable buffer after a device-writable one");
    EXPECT_CONSOLE(d, "hostile-virtq: descriptor loop: queue broken, NEEDS_RESET; good "
                   "request ok\n", WAIT_MS);
    expect_event_eventually(evfd, HV_EVENT_device_error, "vda: queue 0 stopped by the back "
                            "end: available index 23 is 22 ahead of 1, more than the queue "
                            "size 16");
    EXPECT_CONSOLE(d, "hostile-virtq: avail index far ahead: queue broken, NEEDS_RESET; good "
                   "request ok\n", WAIT_MS);
    EXPECT_CONSOLE(d, " ACCEPTED (0 suspicious), 0 good requests failed; fixed pages "
                   "unchanged; device usable\n", 6 * WAIT_MS);
    assert_int_equal(info(d, 0, &di), 0);
    assert_int_equal(di.state, HV_DEV_STATE_RUNNING);
    assert_int_equal(di.backend_pid, pid);          /* never restarted */
    assert_int_equal(di.reconnects, 0);
    assert_true(kill(pid, 0) == 0);
    assert_int_equal(dom_wait_exit(d, 0), -1);      /* hvcore runs on */

    close(evfd);
    dom_free(d);
    raw_disk_remove(dir, img);
}

/* A stand-in vhost-user block back end on listening socket ls: answers
 * what hvcore asks (a 4 MiB disk), serves no request, keeps queue 0's
 * error eventfd and signals it for each byte on trigger. */
static void errfd_backend(int ls, int trigger)
{
    int c = accept(ls, NULL, NULL), err_fd = -1;

    while (c >= 0) {
        struct { uint32_t req, flags, size; uint8_t p[512]; } m, r;
        char cbuf[CMSG_SPACE(8 * sizeof(int))];
        struct iovec iov = { .iov_base = &m, .iov_len = 12 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                             .msg_controllen = sizeof(cbuf) };
        struct pollfd p[2] = { { .fd = c, .events = POLLIN }, { .fd = trigger, .events = POLLIN } };
        uint64_t one = 1;
        char b;

        if (poll(p, 2, -1) < 0)
            break;
        if (p[1].revents) {
            if (read(trigger, &b, 1) != 1)
                break;
            if (err_fd >= 0 && write(err_fd, &one, sizeof(one)) != (ssize_t)sizeof(one))
                break;
            continue;
        }
        if (recvmsg(c, &mh, MSG_WAITALL) != 12 || m.size > sizeof(m.p) ||
            (m.size && recv(c, m.p, m.size, MSG_WAITALL) != (ssize_t)m.size))
            break;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
            int fd;
            memcpy(&fd, CMSG_DATA(cm), sizeof(fd));     /* hvcore sends one at most */
            if (m.req == 14 && (m.p[0] & 0xff) == 0) {  /* SET_VRING_ERR, queue 0 */
                if (err_fd >= 0)
                    close(err_fd);
                err_fd = fd;
            } else {
                close(fd);
            }
        }
        r.req = m.req;
        r.flags = 0x5;                                  /* version 1, reply */
        r.size = 8;
        memset(r.p, 0, sizeof(r.p));
        if (m.req == 1) {                               /* GET_FEATURES */
            uint64_t f = 1ULL << 32 | 1ULL << 30;       /* VERSION_1, PROTOCOL_FEATURES */
            memcpy(r.p, &f, 8);
        } else if (m.req == 15) {                       /* GET_PROTOCOL_FEATURES */
            uint64_t f = 1ULL << 3 | 1ULL << 9;         /* REPLY_ACK, CONFIG */
            memcpy(r.p, &f, 8);
        } else if (m.req == 24) {                       /* GET_CONFIG: 8192 sectors */
            uint64_t cap = 8192;
            r.size = m.size;
            memcpy(r.p, m.p, 12);
            memcpy(r.p + 12, &cap, 8);
        } else if (m.req == 11) {                       /* GET_VRING_BASE */
            memcpy(r.p, m.p, 4);
        } else if (!(m.flags & 0x8)) {
            continue;                                   /* no reply asked for */
        }
        if (send(c, &r, 12 + r.size, MSG_NOSIGNAL) != (ssize_t)(12 + r.size))
            break;
    }
    _exit(0);
}

/* A queue error holds the device in NEEDS_RESET until the guest resets
 * it: with the guest paused, device_info says NEEDS_RESET; unpaused, the
 * guest resets and starts it again on the same back end connection. */
static void queue_error_holds_until_reset(void **state)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct hv_domctl_device_info di;
    char dir[64], spec[256];
    int trig[2];

    (void)state;
    REQUIRE_KVM();
    snprintf(dir, sizeof(dir), "/tmp/hvdev.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/be.sock", dir);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(ls >= 0);
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(ls, 4), 0);
    assert_int_equal(pipe(trig), 0);
    pid_t be = fork();
    assert_true(be >= 0);
    if (be == 0)
        errfd_backend(ls, trig[0]);
    snprintf(spec, sizeof(spec), "blk,id=vdb,socket=%s", sa.sun_path);
    struct dom *d = dom_start("diskio", 64, 1, "--device", spec, NULL);
    assert_non_null(d);
    int evfd = subscribe(d);
    wait_state(d, HV_DEV_STATE_RUNNING);            /* diskio started it */
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), 0);

    assert_int_equal(write(trig[1], "x", 1), 1);
    expect_event(evfd, HV_EVENT_device_error, "vdb: queue 0 stopped by the back end");
    assert_int_equal(info(d, 0, &di), 0);
    assert_int_equal(di.state, HV_DEV_STATE_NEEDS_RESET);
    assert_int_equal(di.reconnects, 0);

    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    wait_state(d, HV_DEV_STATE_RUNNING);            /* reset, started again */
    assert_int_equal(info(d, 0, &di), 0);
    assert_int_equal(di.reconnects, 0);             /* the same connection */
    assert_int_equal(waitpid(be, NULL, WNOHANG), 0);
    /* the new start gave the back end a new error eventfd: it works too */
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, NULL), 0);
    assert_int_equal(write(trig[1], "x", 1), 1);
    expect_event(evfd, HV_EVENT_device_error, "vdb: queue 0 stopped by the back end");
    wait_state(d, HV_DEV_STATE_NEEDS_RESET);

    close(evfd);
    dom_free(d);
    kill(be, SIGKILL);
    waitpid(be, NULL, 0);
    close(trig[0]);
    close(trig[1]);
    close(ls);
    unlink(sa.sun_path);
    rmdir(dir);
}

/* qemu-storage-daemon takes the error eventfd (the start that sends
 * SET_VRING_ERR works) but never signals it: a queue it cannot trust
 * makes it drop the connection (libvhost-user's panic), so the guest
 * sees NEEDS_RESET through the lost back end and hvcore reconnects. */
static void qsd_broken_queue_hangs_up(void **state)
{
    struct hv_domctl_event ev;
    struct qsd q;
    char spec[256];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    qsd_start_spec(&q, spec, sizeof(spec));
    struct dom *d = dom_start("hostile-virtq=stay", 64, 1, "--paused", "--device", spec, NULL);
    assert_non_null(d);
    int evfd = subscribe(d);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, NULL), 0);
    next_event(evfd, HV_EVENT_device_error, &ev);
    assert_string_equal(ev.detail, "vdb: back end lost (it hung up): reconnecting");
    /* Whether the guest has reset the device by the time qsd is back
     * depends on timing: the event says so or not. */
    next_event(evfd, HV_EVENT_device_ready, &ev);
    assert_memory_equal(ev.detail, "vdb: back end is back", 21);
    EXPECT_CONSOLE(d, "hostile-virtq: descriptor loop: queue broken, NEEDS_RESET; good "
                   "request ok\n", WAIT_MS);
    EXPECT_CONSOLE(d, " 0 good requests failed; fixed pages unchanged; device usable\n",
                   6 * WAIT_MS);
    /* every device_error was a hang-up, none a signalled queue */
    for (;;) {
        struct pollfd p = { .fd = evfd, .events = POLLIN };
        if (poll(&p, 1, 0) != 1)
            break;
        assert_int_equal(recv(evfd, &ev, sizeof(ev), 0), (ssize_t)sizeof(ev));
        assert_null(strstr(ev.detail, "stopped by the back end"));
    }
    close(evfd);
    dom_free(d);
    qsd_free(&q);
}

/* A back end that dies each time it starts is given up after five tries;
 * the domain lives on with the device in NEEDS_RESET. */
static void backend_dying_at_start_is_given_up(void **state)
{
    struct hv_domctl_device_info di;
    char hvblk[512], dir[64], img[128], spec[256], script[256], body[1024];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_HVBLK(hvblk);
    raw_disk(dir, sizeof(dir), img, sizeof(img));
    /* The real hvblk the first time, an immediate exit after that. */
    snprintf(script, sizeof(script), "%s/hvblk", dir);
    snprintf(body, sizeof(body), "#!/bin/sh\nif [ ! -e %s/once ]; then : > %s/once; "
             "exec %s \"$@\"; fi\nexit 3\n", dir, dir, hvblk);
    int fd = open(script, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
    close(fd);
    char *saved = strdup(getenv("HVCORE_BACKEND_DIR"));
    setenv("HVCORE_BACKEND_DIR", dir, 1);
    snprintf(spec, sizeof(spec), "blk,id=vda,file=%s", img);
    struct dom *d = dom_start("counter", 32, 1, "--device", spec, NULL);
    setenv("HVCORE_BACKEND_DIR", saved, 1);
    free(saved);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "counter 1\n", WAIT_MS);
    int evfd = subscribe(d);
    assert_int_equal(info(d, 0, &di), 0);

    assert_int_equal(kill(di.backend_pid, SIGKILL), 0);
    expect_event_eventually(evfd, HV_EVENT_device_error,
                            "vda: back end died 5 times within 1 s of its start: given up");
    assert_int_equal(info(d, 0, &di), 0);
    assert_int_equal(di.state, HV_DEV_STATE_NEEDS_RESET);
    assert_int_equal(di.backend_pid, 0);
    EXPECT_CONSOLE(d, "counter 3\n", WAIT_MS);

    close(evfd);
    dom_free(d);
    unlink(script);
    char once[128];
    snprintf(once, sizeof(once), "%s/once", dir);
    unlink(once);
    raw_disk_remove(dir, img);
}

/* hvblk attached at run time dies with hvcore, even a kill -9 of it. */
static void hvcore_killed_leaves_no_backend(void **state)
{
    struct hv_domctl_reply rep;
    char hvblk[512], dir[64], img[128], spec[256], desc[200];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_HVBLK(hvblk);
    raw_disk(dir, sizeof(dir), img, sizeof(img));
    struct dom *d = dom_start("counter", 32, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "counter 1\n", WAIT_MS);
    snprintf(spec, sizeof(spec), "blk,id=vda,file=%s,readonly", img);
    assert_int_equal(attach(d, spec, &rep), 0);
    assert_int_equal(rep.u.device_info.backend, HV_DEVICE_BACKEND_PROCESS);
    snprintf(desc, sizeof(desc), "hvblk %s (read-only)", img);
    assert_string_equal(rep.u.device_info.backend_desc, desc);
    pid_t be = rep.u.device_info.backend_pid;
    assert_true(be > 0);
    assert_false(process_gone(be));

    assert_int_equal(kill(d->pid, SIGKILL), 0);
    uint64_t end = ms_now() + WAIT_MS;
    while (!process_gone(be)) {
        assert_true(ms_now() < end);
        usleep(10000);
    }
    dom_free(d);
    raw_disk_remove(dir, img);
}

/* Hot plug under I/O: a disk attached while the guest runs is taken up
 * and verified, a detached one is dropped, and the same disk attached
 * again works again. */
static void hot_attach_and_detach_under_io(void **state)
{
    struct hv_domctl_reply rep;
    struct qsd q;
    char spec[256];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    qsd_start(&q);
    struct dom *d = dom_start("diskio", 64, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskio: no disks, waiting", WAIT_MS);
    int evfd = subscribe(d);
    snprintf(spec, sizeof(spec), "blk,id=vdb,socket=%s", q.sock);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(attach(d, spec, &rep), 0);
        if (!dom_expect(d, "diskio: vdb: attached", WAIT_MS)) {
            struct hv_domctl_device_info di;
            struct hv_domctl_event ev;
            memset(&di, 0, sizeof(di));
            int st = info(d, 0, &di);
            fprintf(stderr, "round %d: device_info %d: state %u, reconnects %u\n%s\n", round,
                    st, di.state, di.reconnects, d->out ? d->out : "");
            while (recv(evfd, &ev, sizeof(ev), MSG_DONTWAIT) == (ssize_t)sizeof(ev))
                fprintf(stderr, "event %u: %s\n", ev.type, ev.detail);
            kill(d->pid, SIGTERM);
            dom_wait_exit(d, WAIT_MS);
            fprintf(stderr, "hvcore's stderr:\n%s\n", d->err);
            fail();
        }
        EXPECT_CONSOLE(d, "diskio: vdb: pass 1 ok", WAIT_MS);
        EXPECT_CONSOLE(d, "diskio: vdb: pass 2 ok", WAIT_MS);
        assert_int_equal(detach(d, "vdb"), 0);
        EXPECT_CONSOLE(d, "diskio: vdb: removed after", WAIT_MS);
        /* diskio says "removed" before it lets the slot go (and looks at
         * the page again): a disk attached in between is seen but not
         * taken up until something else changes.  Its next line comes
         * once it has. */
        EXPECT_CONSOLE(d, "diskio: no disks, waiting", WAIT_MS);
        /* qemu-storage-daemon takes the next front end once it has seen
         * this one go */
        uint64_t end = ms_now() + WAIT_MS;
        while (!can_connect(q.sock)) {
            assert_true(ms_now() < end);
            usleep(10000);
        }
    }
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_running);
    close(evfd);
    dom_free(d);
    qsd_free(&q);
}

/* A reboot keeps the devices and forgets their set-up: the new boot
 * finds the disk READY and uses it again. */
static void devices_survive_a_reboot(void **state)
{
    struct hv_domctl req = { .cmd = HV_DOMCTL_shutdown };
    struct hv_domctl_reply rep;
    struct qsd q;
    char spec[256];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    qsd_start_spec(&q, spec, sizeof(spec));
    struct dom *d = dom_start("diskio", 64, 1, "--device", spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskio: vdb: pass 1 ok", WAIT_MS);
    req.u.shutdown.reason = SHUTDOWN_REQUEST_reboot;
    assert_int_equal(dom_ctl(d, &req, &rep, NULL), 0);
    EXPECT_CONSOLE(d, "pvboot: booting diskio (boot 2)", WAIT_MS);
    EXPECT_CONSOLE(d, "diskio: vdb: pass 1 ok", WAIT_MS);
    EXPECT_CONSOLE(d, "diskio: vdb: pass 2 ok", WAIT_MS);
    struct hv_domctl_device_info di;
    assert_int_equal(info(d, 0, &di), 0);
    assert_int_equal(di.state, HV_DEV_STATE_RUNNING);
    assert_int_equal(di.reconnects, 0);
    dom_free(d);
    qsd_free(&q);
}

/* A back end that takes the connection and never answers: the attach
 * fails when the exchange's deadline passes; the domain runs on. */
static void silent_backend_times_out(void **state)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct hv_domctl_reply rep;
    char dir[64], spec[256];

    (void)state;
    REQUIRE_KVM();
    snprintf(dir, sizeof(dir), "/tmp/hvdev.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mute.sock", dir);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(ls >= 0);
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(ls, 4), 0);       /* connects, never accepted */
    struct dom *d = dom_start("counter", 32, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "counter 1\n", WAIT_MS);

    snprintf(spec, sizeof(spec), "blk,id=vdc,socket=%s", sa.sun_path);
    assert_int_equal(attach(d, spec, &rep), -HVE_IO);
    assert_string_equal(rep.u.result.message, "vdc: the back end did not answer in time");
    assert_int_equal(info(d, 0, NULL), -HVE_NOENT);
    EXPECT_CONSOLE(d, "counter 3\n", WAIT_MS);

    dom_free(d);
    close(ls);
    unlink(sa.sun_path);
    rmdir(dir);
}

/* A back end that answers every message, each one 3 s late: the hand-shake
 * as a whole has the deadline of one exchange (5 s), so it fails after the
 * second answer instead of stretching for as long as the back end likes. */
static void slow_backend_meets_one_deadline(void **state)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct hv_domctl_reply rep;
    char dir[64], spec[256];

    (void)state;
    REQUIRE_KVM();
    snprintf(dir, sizeof(dir), "/tmp/hvdev.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/slow.sock", dir);
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(ls >= 0);
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(ls, 4), 0);
    pid_t be = fork();
    assert_true(be >= 0);
    if (be == 0) {
        /* GET_FEATURES, then GET_PROTOCOL_FEATURES, then whatever comes:
         * each answered after 3 s. */
        static const uint64_t answers[] = { 1ULL << 30 | 1ULL << 32, 1ULL << 3, 0, 0, 0 };
        int c = accept(ls, NULL, NULL);
        for (unsigned i = 0; c >= 0 && i < 5; i++) {
            uint32_t h[3];
            char sink[512];
            if (recv(c, h, sizeof(h), MSG_WAITALL) != (ssize_t)sizeof(h) || h[2] > sizeof(sink) ||
                (h[2] && recv(c, sink, h[2], MSG_WAITALL) != (ssize_t)h[2]))
                break;
            sleep(3);
            uint32_t rh[3] = { h[0], 0x5, 8 };
            if (send(c, rh, sizeof(rh), MSG_NOSIGNAL) < 0 ||
                send(c, &answers[i], 8, MSG_NOSIGNAL) < 0)
                break;
        }
        _exit(0);
    }
    struct dom *d = dom_start("counter", 32, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "counter 1\n", WAIT_MS);

    snprintf(spec, sizeof(spec), "blk,id=vdc,socket=%s", sa.sun_path);
    assert_int_equal(attach(d, spec, &rep), -HVE_IO);
    assert_string_equal(rep.u.result.message, "vdc: the back end did not answer in time");
    EXPECT_CONSOLE(d, "counter 3\n", WAIT_MS);

    dom_free(d);
    kill(be, SIGKILL);
    waitpid(be, NULL, 0);
    close(ls);
    unlink(sa.sun_path);
    rmdir(dir);
}

/* An in-tree back end that cannot start says so (on hvcore's stderr) and
 * exits; the attach says how it ended.  One that is not there at all is
 * named.  Stand-ins in a directory of their own. */
static void backend_that_cannot_start(void **state)
{
    struct hv_domctl_reply rep;
    char dir[64], script[128], want[256];
    static const char body[] = "#!/bin/sh\necho 'hvblk: cannot open the disk' >&2\nexit 3\n";

    (void)state;
    REQUIRE_KVM();
    snprintf(dir, sizeof(dir), "/tmp/hvdev.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(script, sizeof(script), "%s/hvblk", dir);
    int fd = open(script, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, body, strlen(body)), (ssize_t)strlen(body));
    close(fd);
    const char *saved = getenv("HVCORE_BACKEND_DIR");
    char *keep = saved ? strdup(saved) : NULL;
    setenv("HVCORE_BACKEND_DIR", dir, 1);
    struct dom *d = dom_start("counter", 32, 1, NULL);
    if (keep)
        setenv("HVCORE_BACKEND_DIR", keep, 1);
    else
        unsetenv("HVCORE_BACKEND_DIR");
    free(keep);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "counter 1\n", WAIT_MS);

    assert_int_equal(attach(d, "blk,id=vda,file=/srv/none.img", &rep), -HVE_IO);
    assert_string_equal(rep.u.result.message,
                        "vda: the back end ended (exit status 3) before it answered");
    assert_int_equal(info(d, 0, NULL), -HVE_NOENT);
    assert_int_equal(attach(d, "net,id=net0,mac=52:54:00:12:34:56", &rep), -HVE_IO);
    snprintf(want, sizeof(want), "net0: cannot run %s/hvnet: No such file or directory", dir);
    assert_string_equal(rep.u.result.message, want);
    EXPECT_CONSOLE(d, "counter 3\n", WAIT_MS);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_destroy, NULL), 0);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_DESTROYED);
    assert_non_null(strstr(d->err, "hvblk: cannot open the disk\n"));   /* its reason */
    dom_free(d);
    unlink(script);
    rmdir(dir);
}

/* A restored domain's memory is a private mapping of its save file,
 * which a back end could not see: no devices for it. */
static void restored_domain_refuses_devices(void **state)
{
    struct hv_domctl_xfer p = { 0 };
    struct xfer_outcome out;
    struct hv_domctl_reply rep;
    char dir[64], path[128];

    (void)state;
    REQUIRE_KVM();
    snprintf(dir, sizeof(dir), "/tmp/hvdev.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/saved", dir);
    struct dom *d = dom_start("counter", 32, 1, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "counter 1\n", WAIT_MS);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(dom_xfer(d, HV_DOMCTL_save, fd, &p, 0, NULL, NULL, &out), 0);
    close(fd);
    assert_int_equal(out.status, 0);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_SAVED);
    dom_free(d);

    const char *args[] = { "--restore", path, NULL };
    d = dom_start_stream(args, -1);
    assert_non_null(d);
    assert_true(d->domid != 0);
    assert_int_equal(attach(d, "blk,id=vda,socket=/run/none.sock", &rep), -HVE_PERM);
    assert_string_equal(rep.u.result.message, "vda: the domain's memory is a private "
                        "mapping of a save file: a back end could not see it");
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_getinfo, &rep), 0);
    assert_int_equal(rep.u.info.state, HV_DOMSTATE_running);
    dom_free(d);
    unlink(path);
    rmdir(dir);
}

/* After each test: a test that failed half-way (cmocka leaves it at the
 * failed assertion) leaves no hvcore or qemu-storage-daemon running. */
static int kill_children(void **state)
{
    DIR *proc = opendir("/proc");
    struct dirent *e;

    (void)state;
    while (proc && (e = readdir(proc))) {
        char path[64], buf[512];
        int pid = atoi(e->d_name), ppid = 0;
        if (pid <= 0)
            continue;
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        char *close_paren = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
        fclose(f);
        if (close_paren && sscanf(close_paren + 1, " %*c %d", &ppid) == 1 && ppid == getpid()) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
    }
    if (proc)
        closedir(proc);
    return 0;
}

/* An argument runs only the tests whose names match it (cmocka's
 * pattern, '*' a wildcard). */
int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(bad_device_option_is_refused, kill_children),
        cmocka_unit_test_teardown(unreachable_socket_fails_the_start, kill_children),
        cmocka_unit_test_teardown(attach_info_detach_qsd_disk, kill_children),
        cmocka_unit_test_teardown(killed_backend_comes_back, kill_children),
        cmocka_unit_test_teardown(killed_qsd_under_io_comes_back, kill_children),
        cmocka_unit_test_teardown(save_with_devices_is_refused, kill_children),
        cmocka_unit_test_teardown(guest_verifies_qsd_qcow2_disk, kill_children),
        cmocka_unit_test_teardown(notifications_through_hvcore, kill_children),
        cmocka_unit_test_teardown(two_disks_from_the_command_line, kill_children),
        cmocka_unit_test_teardown(killed_hvblk_is_restarted, kill_children),
        cmocka_unit_test_teardown(broken_queue_needs_reset, kill_children),
        cmocka_unit_test_teardown(qsd_broken_queue_hangs_up, kill_children),
        cmocka_unit_test_teardown(queue_error_holds_until_reset, kill_children),
        cmocka_unit_test_teardown(backend_dying_at_start_is_given_up, kill_children),
        cmocka_unit_test_teardown(hvcore_killed_leaves_no_backend, kill_children),
        cmocka_unit_test_teardown(hot_attach_and_detach_under_io, kill_children),
        cmocka_unit_test_teardown(devices_survive_a_reboot, kill_children),
        cmocka_unit_test_teardown(silent_backend_times_out, kill_children),
        cmocka_unit_test_teardown(slow_backend_meets_one_deadline, kill_children),
        cmocka_unit_test_teardown(backend_that_cannot_start, kill_children),
        cmocka_unit_test_teardown(restored_domain_refuses_devices, kill_children),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
