/*
 * test_disk.c - pvboot's virtio-blk front end against real back ends:
 * diskcheck on a qcow2 image through qemu-storage-daemon and on a raw
 * file through the in-tree hvblk (the pattern checked on the host side
 * too), read-only disks refusing writes, hostile virtqueues that leave
 * hvcore, the back end and the device alive, disks attached and detached
 * while diskio runs, and back ends killed with SIGKILL in the middle of
 * diskio and brought back without a failed pass.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/prctl.h>

#include "public/backend_stats.h"
#include "public/device.h"
#include "device_util.h"
#include "public/errno.h"
#include "test_util.h"
#include "virtq.h"
#include "vu_dev.h"

#define WAIT_MS 30000
#define PATTERN_MAGIC 0x6b64746f6f627670ULL  /* "pvbootdk", disk.c */

/* ---- what a failed test leaves behind ------------------------------- */

/* A failed assertion leaves the test function for good: what it started
 * is recorded here (copies, not its stack) and ended by teardown(). */
#define KEEP_MAX 8
static struct dom *kept_doms[KEEP_MAX];
static pid_t kept_pids[KEEP_MAX];
static char kept_dirs[KEEP_MAX][64];

static void keep_pid(pid_t pid, bool on)
{
    for (int i = 0; i < KEEP_MAX; i++) {
        if (on ? kept_pids[i] == 0 : kept_pids[i] == pid) {
            kept_pids[i] = on ? pid : 0;
            return;
        }
    }
}

static void keep_dir(const char *dir, bool on)
{
    for (int i = 0; i < KEEP_MAX; i++) {
        if (on ? kept_dirs[i][0] == '\0' : strcmp(kept_dirs[i], dir) == 0) {
            snprintf(kept_dirs[i], sizeof(kept_dirs[i]), "%s", on ? dir : "");
            return;
        }
    }
}

/* dom_start, recorded for teardown(). */
#define dom_start_kept(...) keep_dom(dom_start(__VA_ARGS__))

static struct dom *keep_dom(struct dom *d)
{
    for (int i = 0; d && i < KEEP_MAX; i++) {
        if (!kept_doms[i]) {
            kept_doms[i] = d;
            break;
        }
    }
    return d;
}

static void release(struct dom *d)
{
    for (int i = 0; i < KEEP_MAX; i++)
        if (kept_doms[i] == d)
            kept_doms[i] = NULL;
    dom_free(d);
}

static int teardown(void **state)
{
    char cmd[128];

    (void)state;
    for (int i = 0; i < KEEP_MAX; i++) {
        if (kept_doms[i])
            dom_free(kept_doms[i]);
        kept_doms[i] = NULL;
        if (kept_pids[i] > 0) {
            kill(kept_pids[i], SIGKILL);
            waitpid(kept_pids[i], NULL, 0);
        }
        kept_pids[i] = 0;
        if (kept_dirs[i][0]) {
            snprintf(cmd, sizeof(cmd), "rm -rf '%.63s'", kept_dirs[i]);
            if (system(cmd) != 0)
                fprintf(stderr, "test_disk: could not remove %s\n", kept_dirs[i]);
        }
        kept_dirs[i][0] = '\0';
    }
    return 0;
}

/* ---- back ends ------------------------------------------------------ */

static bool have_hvblk(void)
{
    static bool said;
    const char *dir = getenv("HVCORE_BACKEND_DIR");
    char path[512];

    snprintf(path, sizeof(path), "%s/hvblk", dir ? dir : ".");
    if (dir && access(path, X_OK) == 0)
        return true;
    if (!said)
        fprintf(stderr, "test_disk: %s not built: skipping the hvblk tests\n", path);
    said = true;
    return false;
}

#define REQUIRE_QSD() do { if (!have_qsd("test_disk")) skip(); } while (0)
#define REQUIRE_HVBLK() do { if (!have_hvblk()) skip(); } while (0)

/* A scratch directory with a disk image (and a qemu-storage-daemon
 * serving it, for the qsd tests). */
struct disk {
    char dir[64];
    char img[128];
    char sock[128];
    char spec[320];
    bool qcow2, writable;
    pid_t qsd;
};

static void disk_make(struct disk *k, const char *id, bool qcow2, unsigned mib)
{
    char cmd[512];

    memset(k, 0, sizeof(*k));
    snprintf(k->dir, sizeof(k->dir), "/tmp/hvdisk.XXXXXX");
    assert_non_null(mkdtemp(k->dir));
    keep_dir(k->dir, true);
    snprintf(k->img, sizeof(k->img), "%s/%s.%s", k->dir, id, qcow2 ? "qcow2" : "raw");
    snprintf(k->sock, sizeof(k->sock), "%s/%s.sock", k->dir, id);
    k->qcow2 = qcow2;
    k->writable = true;
    if (qcow2) {
        snprintf(cmd, sizeof(cmd), QEMU_IMG " create -q -f qcow2 %s %uM", k->img, mib);
        assert_int_equal(system(cmd), 0);
    } else {
        int fd = open(k->img, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(ftruncate(fd, (off_t)mib << 20), 0);
        close(fd);
    }
}

/* Serve k->img on k->sock with qemu-storage-daemon; wait until it
 * listens.  The spec is the socket's. */
static void qsd_run(struct disk *k, const char *id)
{
    char blk1[256], blk2[128], exp[320];

    snprintf(blk1, sizeof(blk1), "driver=file,node-name=f,filename=%s", k->img);
    snprintf(blk2, sizeof(blk2), "driver=%s,node-name=q,file=f", k->qcow2 ? "qcow2" : "raw");
    snprintf(exp, sizeof(exp), "type=vhost-user-blk,id=e,node-name=q,addr.type=unix,"
             "addr.path=%s,writable=%s", k->sock, k->writable ? "on" : "off");
    snprintf(k->spec, sizeof(k->spec), "blk,id=%s,socket=%s", id, k->sock);
    unlink(k->sock);
    k->qsd = fork();
    assert_true(k->qsd >= 0);
    if (k->qsd == 0) {
        int null = open("/dev/null", O_RDWR);
        prctl(PR_SET_PDEATHSIG, SIGKILL);       /* not past a failed test */
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);          /* its vu_panic lines are expected here */
        execl(QSD, QSD, "--blockdev", blk1, "--blockdev", blk2, "--export", exp,
              (char *)NULL);
        _exit(127);
    }
    keep_pid(k->qsd, true);
    /* It serves one front end at a time and drops a probe at once. */
    uint64_t end = ms_now() + WAIT_MS;
    while (!can_connect(k->sock)) {
        assert_true(ms_now() < end);
        assert_int_equal(waitpid(k->qsd, NULL, WNOHANG), 0);
        usleep(10000);
    }
}

/* A new image served by qemu-storage-daemon: disk_make, then qsd_run. */
static void disk_served(struct disk *k, const char *id, bool qcow2, unsigned mib)
{
    disk_make(k, id, qcow2, mib);
    qsd_run(k, id);
}

static bool qsd_alive(struct disk *k)
{
    return k->qsd > 0 && waitpid(k->qsd, NULL, WNOHANG) == 0;
}

static void qsd_kill(struct disk *k)
{
    if (k->qsd > 0) {
        kill(k->qsd, SIGKILL);
        waitpid(k->qsd, NULL, 0);
        keep_pid(k->qsd, false);
    }
    k->qsd = 0;
}

/* The in-tree back end serves the file. */
static void hvblk_spec(struct disk *k, const char *id, const char *extra)
{
    snprintf(k->spec, sizeof(k->spec), "blk,id=%s,file=%s%s", id, k->img, extra);
}

static void disk_free(struct disk *k)
{
    char raw[160];

    qsd_kill(k);
    snprintf(raw, sizeof(raw), "%s.raw", k->img);
    unlink(raw);
    unlink(k->sock);
    unlink(k->img);
    rmdir(k->dir);
    keep_dir(k->dir, false);
}

/* ---- a back end that lies once ------------------------------------- */

/*
 * A 1 MiB RAM disk on the back ends' own vhost-user library whose third
 * request ever is answered with a used entry for a descriptor the guest
 * never made available.  The guest must not trust the ring after that:
 * it resets the device and submits again what was in flight.
 */
#define LIAR_SECTORS 2048u

struct liar {
    struct vu_dev dev;
    struct hv_backend_stats stats;
    uint8_t disk[LIAR_SECTORS * 512];
    unsigned requests;
};

static void liar_request(struct liar *l, struct virtq *vq, struct virtq_elem *e)
{
    struct { uint32_t type, reserved; uint64_t sector; } h;
    uint8_t status = 0;         /* VIRTIO_BLK_S_OK */
    size_t data_in = e->in_len ? e->in_len - 1 : 0;
    size_t data_out = e->out_len > sizeof(h) ? e->out_len - sizeof(h) : 0;
    uint64_t off;

    if (iov_to_buf(e->iov, e->n_out, 0, &h, sizeof(h)) != sizeof(h) || !e->in_len) {
        virtq_push(vq, e->head, 0);
        return;
    }
    off = h.sector * 512;
    switch (h.type) {
    case 0:                     /* IN */
        if (off > sizeof(l->disk) || data_in > sizeof(l->disk) - off)
            status = 1;
        else
            iov_from_buf(e->iov + e->n_out, e->n_in, 0, l->disk + off, data_in);
        break;
    case 1:                     /* OUT */
        if (off > sizeof(l->disk) || data_out > sizeof(l->disk) - off)
            status = 1;
        else
            iov_to_buf(e->iov, e->n_out, sizeof(h), l->disk + off, data_out);
        break;
    case 4:                     /* FLUSH */
        break;
    default:
        status = 2;             /* UNSUPP */
        break;
    }
    iov_from_buf(e->iov + e->n_out, e->n_in, data_in, &status, 1);
    virtq_push(vq, e->head, (uint32_t)e->in_len);
}

static int liar_process(struct vu_dev *d, unsigned q)
{
    struct liar *l = d->priv;
    struct virtq *vq = &d->q[q].vq;
    static struct virtq_elem e;
    int r, n = 0;

    if (!vu_dev_queue_live(d, q))
        return 0;
    while ((r = virtq_pop(vq, &e)) == 1) {
        n++;
        if (++l->requests == 3)
            virtq_push(vq, (uint16_t)(vq->num + 7), 0);     /* the lie */
        else
            liar_request(l, vq, &e);
    }
    if (r < 0)
        vu_dev_queue_broken(d, q);
    vu_dev_complete(d, q);
    return n;
}

static int liar_poll(struct vu_dev *d)
{
    (void)d;
    return 0;
}

static void liar_stop(struct vu_dev *d, unsigned q)
{
    (void)d;
    (void)q;
}

static int liar_start(struct vu_dev *d, unsigned q)
{
    (void)d;
    (void)q;
    return 0;
}

static void liar_config(struct vu_dev *d, uint8_t *buf, uint32_t off, uint32_t len)
{
    uint8_t config[64] = { 0 };
    uint64_t capacity = LIAR_SECTORS;

    (void)d;
    memcpy(config, &capacity, sizeof(capacity));
    memset(buf, 0, len);
    if (off < sizeof(config))
        memcpy(buf, config + off, len < sizeof(config) - off ? len : sizeof(config) - off);
}

static const struct vu_dev_ops liar_ops = {
    .process = liar_process,
    .poll = liar_poll,
    .stop = liar_stop,
    .start = liar_start,
    .config = liar_config,
};

/* Fork the liar listening on path; it dies with the test. */
static pid_t liar_start_at(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    pid_t pid;

    assert_true(ls >= 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", path);
    assert_int_equal(bind(ls, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(ls, 1), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        static struct liar l;

        prctl(PR_SET_PDEATHSIG, SIGKILL);
        l.dev.prog = "liar";
        l.dev.ops = &liar_ops;
        l.dev.priv = &l;
        l.dev.nr_queues = 1;
        l.dev.queue_num = 1;
        l.dev.stats = &l.stats;
        l.dev.features = (1ull << HV_VIRTIO_F_VERSION_1) |
                         (1ull << HV_VIRTIO_F_RING_EVENT_IDX) |
                         (1ull << HV_VIRTIO_F_INDIRECT_DESC) | (1ull << 9 /* FLUSH */);
        if (vu_dev_init(&l.dev) < 0)
            _exit(1);
        for (;;) {
            int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
            if (c < 0)
                _exit(1);
            vu_dev_serve(&l.dev, c);
        }
    }
    close(ls);
    keep_pid(pid, true);
    return pid;
}

/* ---- what the guest wrote ------------------------------------------ */

/* The generation diskcheck printed for its disk. */
static uint32_t printed_gen(struct dom *d)
{
    const char *p = strstr(d->out, "(gen 0x");

    assert_non_null(p);
    return (uint32_t)strtoul(p + 7, NULL, 16);
}

/* Sectors 0, the middle and the last of [0, sectors) of a raw image
 * carry diskcheck's pattern for gen and boot 1. */
static void assert_pattern(const char *raw, uint64_t sectors, uint32_t gen)
{
    uint64_t check[3] = { 0, sectors / 2 + 1, sectors - 1 };
    int fd = open(raw, O_RDONLY | O_CLOEXEC);

    assert_true(fd >= 0);
    for (int i = 0; i < 3; i++) {
        uint64_t w[3];

        assert_int_equal(pread(fd, w, sizeof(w), (off_t)(check[i] * 512)), (ssize_t)sizeof(w));
        assert_int_equal(w[0], PATTERN_MAGIC);
        assert_int_equal(w[1], check[i]);
        assert_int_equal(w[2], (uint64_t)gen << 32 | 1);
    }
    close(fd);
}

/* No "FAILED" anywhere in what the console showed. */
static void assert_no_failure(struct dom *d)
{
    if (strstr(d->out, "FAILED")) {
        fprintf(stderr, "console:\n%s\n", d->out);
        fail();
    }
}

/* ---- tests ---------------------------------------------------------- */

/* A disk type nobody here wrote: a qcow2 image exported by
 * qemu-storage-daemon.  The pattern reaches the image. */
static void diskcheck_qcow2_through_qsd(void **state)
{
    struct disk k;
    char cmd[512], raw[160];

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    disk_served(&k, "vda", true, 64);
    struct dom *d = dom_start_kept("diskcheck=16", 64, 1, "--device", k.spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskcheck: vda: 131072 sectors, read-write, serial ", WAIT_MS);
    EXPECT_CONSOLE(d, "diskcheck: vda ok: 32768 sectors written, flushed, read back and "
                   "verified, discard ok (gen 0x", WAIT_MS);
    EXPECT_CONSOLE(d, ", boot 1)\ndiskcheck: 1 disks, 1 ok, 0 failed\n", WAIT_MS);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_OK);
    uint32_t gen = printed_gen(d);

    qsd_kill(&k);
    snprintf(raw, sizeof(raw), "%s.raw", k.img);
    snprintf(cmd, sizeof(cmd), QEMU_IMG " convert -f qcow2 -O raw %s %s", k.img, raw);
    assert_int_equal(system(cmd), 0);
    assert_pattern(raw, 32768, gen);
    release(d);
    disk_free(&k);
}

/* The in-tree back end on a raw file: the whole disk checked, and the
 * file holds the pattern afterwards. */
static void diskcheck_raw_file_hvblk(void **state)
{
    struct disk k;

    (void)state;
    REQUIRE_KVM();
    REQUIRE_HVBLK();
    disk_make(&k, "vda", false, 16);
    hvblk_spec(&k, "vda", "");
    struct dom *d = dom_start_kept("diskcheck", 64, 1, "--device", k.spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskcheck: vda: 32768 sectors, read-write, serial ", WAIT_MS);
    EXPECT_CONSOLE(d, "diskcheck: vda ok: 32768 sectors written, flushed, read back and "
                   "verified, discard ok (gen 0x", WAIT_MS);
    EXPECT_CONSOLE(d, "diskcheck: 1 disks, 1 ok, 0 failed\n", WAIT_MS);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_OK);
    assert_pattern(k.img, 32768, printed_gen(d));
    release(d);
    disk_free(&k);
}

/* Two disks at once, one of them read-only: the read-only one is read
 * whole and refuses a write; the other is checked as usual. */
static void readonly_disk_refuses_writes(void **state)
{
    struct disk ro, rw;

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    disk_make(&ro, "vda", false, 8);
    ro.writable = false;
    qsd_run(&ro, "vda");
    disk_served(&rw, "vdb", true, 8);
    struct dom *d = dom_start_kept("diskcheck", 64, 1, "--device", ro.spec, "--device", rw.spec,
                              NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskcheck: vda: 16384 sectors, read-only, serial ", WAIT_MS);
    EXPECT_CONSOLE(d, "diskcheck: vda ok: read-only, 16384 sectors read, write refused (",
                   WAIT_MS);
    EXPECT_CONSOLE(d, "diskcheck: vdb ok: 16384 sectors written, flushed, read back and "
                   "verified", WAIT_MS);
    EXPECT_CONSOLE(d, "diskcheck: 2 disks, 2 ok, 0 failed\n", WAIT_MS);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_OK);
    release(d);
    disk_free(&ro);
    disk_free(&rw);
}

static void readonly_hvblk_refuses_writes(void **state)
{
    struct disk k;

    (void)state;
    REQUIRE_KVM();
    REQUIRE_HVBLK();
    disk_make(&k, "vda", false, 4);
    hvblk_spec(&k, "vda", ",readonly");
    struct dom *d = dom_start_kept("diskcheck", 64, 1, "--device", k.spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskcheck: vda: 8192 sectors, read-only, serial ", WAIT_MS);
    EXPECT_CONSOLE(d, "diskcheck: vda ok: read-only, 8192 sectors read, write refused (",
                   WAIT_MS);
    EXPECT_CONSOLE(d, "diskcheck: 1 disks, 1 ok, 0 failed\n", WAIT_MS);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_OK);
    release(d);
    disk_free(&k);
}

/* Every hostile case is refused or breaks the queue, nothing outside the
 * guest's RAM is touched, the device works after each reset, and the
 * back end is the same process at the end. */
static void hostile_virtq_run(struct dom *d, struct disk *k, bool in_tree)
{
    struct hv_domctl_device_info before, after;

    assert_non_null(d);
    EXPECT_CONSOLE(d, "hostile-virtq: vda: ", WAIT_MS);
    assert_int_equal(info(d, 0, &before), 0);
    EXPECT_CONSOLE(d, " ACCEPTED (0 suspicious), 0 good requests failed; fixed pages "
                   "unchanged; device usable\n", 6 * WAIT_MS);
    assert_int_equal(info(d, 0, &after), 0);
    assert_int_equal(after.state, HV_DEV_STATE_RUNNING);
    if (in_tree) {
        assert_true(before.backend_pid > 0);
        assert_int_equal(after.backend_pid, before.backend_pid);
        assert_true(kill(after.backend_pid, 0) == 0);
    } else {
        assert_true(qsd_alive(k));
    }
    assert_int_equal(dom_wait_exit(d, 0), -1);      /* hvcore runs on */
}

static void hostile_virtq_qsd(void **state)
{
    struct disk k;

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    disk_served(&k, "vda", false, 4);
    struct dom *d = dom_start_kept("hostile-virtq=stay", 64, 1, "--device", k.spec, NULL);
    hostile_virtq_run(d, &k, false);
    release(d);
    disk_free(&k);
}

static void hostile_virtq_hvblk(void **state)
{
    struct disk k;

    (void)state;
    REQUIRE_KVM();
    REQUIRE_HVBLK();
    disk_make(&k, "vda", false, 4);
    hvblk_spec(&k, "vda", "");
    struct dom *d = dom_start_kept("hostile-virtq=stay", 64, 1, "--device", k.spec, NULL);
    hostile_virtq_run(d, &k, true);
    release(d);
    disk_free(&k);
}

/* Attach a second disk while diskio runs on the first: it is taken up;
 * detach it: reported, and the first goes on; detach the first too:
 * diskio waits; attach again: taken up; 'q' stops it. */
static void hot_attach_detach_during_diskio(void **state)
{
    struct hv_domctl_reply rep;
    struct disk a, b;

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    disk_served(&a, "vda", false, 8);
    disk_served(&b, "vdb", true, 8);
    struct dom *d = dom_start_kept("diskio=2", 64, 1, "--device", a.spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskio: vda: attached, 16384 sectors, read-write\n", WAIT_MS);
    EXPECT_CONSOLE(d, "diskio: vda: pass 2 ok (4096 sectors)\n", WAIT_MS);

    assert_int_equal(attach(d, b.spec, &rep), 0);
    EXPECT_CONSOLE(d, "diskio: vdb: attached, 16384 sectors, read-write\n", WAIT_MS);
    EXPECT_CONSOLE(d, "diskio: vdb: pass 2 ok (4096 sectors)\n", WAIT_MS);

    assert_int_equal(detach(d, "vdb"), 0);
    EXPECT_CONSOLE(d, "diskio: vdb: removed after ", WAIT_MS);
    size_t mark = d->mark;
    EXPECT_CONSOLE(d, "diskio: vda: pass ", WAIT_MS);
    EXPECT_CONSOLE(d, "diskio: vda: pass ", WAIT_MS);
    assert_null(strstr(d->out + mark, "diskio: vdb: pass"));

    assert_int_equal(detach(d, "vda"), 0);
    EXPECT_CONSOLE(d, "diskio: vda: removed after ", WAIT_MS);
    EXPECT_CONSOLE(d, "diskio: no disks, waiting\n", WAIT_MS);
    /* b's back end serves one front end at a time: start it afresh. */
    qsd_kill(&b);
    qsd_run(&b, "vdb");
    assert_int_equal(attach(d, b.spec, &rep), 0);
    EXPECT_CONSOLE(d, "diskio: vdb: attached, 16384 sectors, read-write\n", WAIT_MS);
    EXPECT_CONSOLE(d, "diskio: vdb: pass 1 ok (4096 sectors)\n", WAIT_MS);

    type(d, "q");
    EXPECT_CONSOLE(d, "diskio: stopped after ", WAIT_MS);
    EXPECT_CONSOLE(d, " rounds (", WAIT_MS);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_OK);
    /* both kinds of request went through the queue of 16 */
    const char *counts = strstr(d->out, " rounds (") + strlen(" rounds (");
    char *end;
    assert_true(strtoull(counts, &end, 10) > 0);
    assert_true(strncmp(end, " direct, ", 9) == 0);
    assert_true(strtoull(end + 9, &end, 10) > 0);
    assert_string_equal(end, " indirect requests)\n");
    assert_no_failure(d);
    release(d);
    disk_free(&a);
    disk_free(&b);
}

/* The domain paused while one disk is detached and another attached in
 * its slot: the guest sees both at once, drops the old one and takes up
 * the new one (no event comes after the one it has already seen). */
static void disk_replaced_while_paused(void **state)
{
    struct hv_domctl_reply rep;
    struct disk a, b;

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    disk_served(&a, "vda", false, 8);
    disk_served(&b, "vdb", false, 8);
    struct dom *d = dom_start_kept("diskio=1", 64, 1, "--device", a.spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskio: vda: pass 1 ok (2048 sectors)\n", WAIT_MS);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_pause, &rep), 0);
    assert_int_equal(detach(d, "vda"), 0);
    assert_int_equal(attach(d, b.spec, &rep), 0);
    assert_int_equal(dom_ctl_cmd(d, HV_DOMCTL_unpause, &rep), 0);
    EXPECT_CONSOLE(d, "diskio: vda: removed after ", WAIT_MS);
    EXPECT_CONSOLE(d, "diskio: vdb: attached, 16384 sectors, read-write\n", WAIT_MS);
    EXPECT_CONSOLE(d, "diskio: vdb: pass 1 ok (2048 sectors)\n", WAIT_MS);
    assert_no_failure(d);
    release(d);
    disk_free(&a);
    disk_free(&b);
}

/* A passes counter the console showed last for id, or 0. */
static unsigned long last_pass(struct dom *d, const char *id)
{
    char key[64];
    const char *p, *hit = NULL;

    snprintf(key, sizeof(key), "diskio: %s: pass ", id);
    for (p = d->out; (p = strstr(p, key)); p++)
        hit = p;
    return hit ? strtoul(hit + strlen(key), NULL, 10) : 0;
}

/* Kill -9 the back end in the middle of diskio and bring it back: the
 * device is reset, what was in flight is resubmitted, no pass fails. */
static void wait_passes_after_reset(struct dom *d)
{
    EXPECT_CONSOLE(d, "diskio: vda: device was reset (", WAIT_MS);
    dom_drain(d, 0);
    unsigned long p = last_pass(d, "vda");
    char line[64];

    snprintf(line, sizeof(line), "diskio: vda: pass %lu ok", p + 2);
    EXPECT_CONSOLE(d, line, WAIT_MS);
    assert_no_failure(d);
    assert_int_equal(dom_wait_exit(d, 0), -1);
}

static void killed_qsd_during_diskio(void **state)
{
    struct disk k;

    (void)state;
    REQUIRE_KVM();
    REQUIRE_QSD();
    disk_served(&k, "vda", true, 16);
    struct dom *d = dom_start_kept("diskio=8", 64, 1, "--device", k.spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskio: vda: pass 2 ok (16384 sectors)\n", WAIT_MS);
    qsd_kill(&k);
    qsd_run(&k, "vda");
    wait_passes_after_reset(d);
    release(d);
    disk_free(&k);
}

static void killed_hvblk_during_diskio(void **state)
{
    struct hv_domctl_device_info di, now;
    struct disk k;

    (void)state;
    REQUIRE_KVM();
    REQUIRE_HVBLK();
    disk_make(&k, "vda", false, 16);
    hvblk_spec(&k, "vda", "");
    struct dom *d = dom_start_kept("diskio=8", 64, 1, "--device", k.spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskio: vda: pass 2 ok (16384 sectors)\n", WAIT_MS);
    assert_int_equal(info(d, 0, &di), 0);
    assert_true(di.backend_pid > 0);
    assert_int_equal(kill(di.backend_pid, SIGKILL), 0);
    wait_passes_after_reset(d);
    /* hvcore started a new one */
    assert_int_equal(info(d, 0, &now), 0);
    assert_true(now.backend_pid > 0 && now.backend_pid != di.backend_pid);
    assert_int_equal(now.reconnects, 1);
    release(d);
    disk_free(&k);
}

/* A completion for a descriptor that was never made available: the
 * guest resets the device and resubmits, and the pass is ok. */
static void lying_backend_is_reset(void **state)
{
    char dir[64], path[128], spec[160];

    (void)state;
    REQUIRE_KVM();
    snprintf(dir, sizeof(dir), "/tmp/hvdisk.XXXXXX");
    assert_non_null(mkdtemp(dir));
    keep_dir(dir, true);
    snprintf(path, sizeof(path), "%s/liar.sock", dir);
    pid_t liar = liar_start_at(path);
    snprintf(spec, sizeof(spec), "blk,id=vda,socket=%s", path);
    struct dom *d = dom_start_kept("diskio=1", 64, 1, "--device", spec, NULL);
    assert_non_null(d);
    EXPECT_CONSOLE(d, "diskio: vda: attached, 2048 sectors, read-write\n", WAIT_MS);
    EXPECT_CONSOLE(d, "diskio: vda: device was reset (1 resets, ", WAIT_MS);
    EXPECT_CONSOLE(d, "diskio: vda: pass 2 ok (2048 sectors)\n", WAIT_MS);
    assert_no_failure(d);
    release(d);
    kill(liar, SIGKILL);
    waitpid(liar, NULL, 0);
    keep_pid(liar, false);
    unlink(path);
    rmdir(dir);
    keep_dir(dir, false);
}

/* Boot cmdline without devices; the console must show exactly lines
 * after the boot line, and the domain powers off. */
static void expect_lines(const char *cmdline, const char *lines)
{
    char boot[256];

    struct dom *d = dom_start_kept(cmdline, 32, 1, NULL);
    assert_non_null(d);
    assert_int_equal(dom_wait_exit(d, WAIT_MS), HVCORE_EXIT_OK);
    snprintf(boot, sizeof(boot), "pvboot: booting %s (boot 1)\n%s", cmdline, lines);
    if (strcmp(d->out, boot) != 0) {
        fprintf(stderr, "want:\n%s\ngot:\n%s\n", boot, d->out);
        fail();
    }
    release(d);
}

/* Bad arguments print the usage, word for word; a domain without the
 * device a workload needs says so and powers off. */
static void usage_and_missing_devices(void **state)
{
    (void)state;
    REQUIRE_KVM();
    expect_lines("diskcheck=0", "pvboot: usage: diskcheck[=<MiB>]\n");
    expect_lines("diskcheck=12x", "pvboot: usage: diskcheck[=<MiB>]\n");
    expect_lines("diskio=x", "pvboot: usage: diskio[=<MiB>]\n");
    expect_lines("diskbench", "pvboot: usage: diskbench=<randread4k-qd1|randread4k-qd32|"
                 "seqread1m|seqwrite1m>,<seconds>\n");
    expect_lines("diskbench=seqread1m", "pvboot: usage: diskbench=<randread4k-qd1|"
                 "randread4k-qd32|seqread1m|seqwrite1m>,<seconds>\n");
    expect_lines("diskbench=seqread2m,3", "pvboot: usage: diskbench=<randread4k-qd1|"
                 "randread4k-qd32|seqread1m|seqwrite1m>,<seconds>\n");
    expect_lines("diskbench=seqread1m,0", "pvboot: usage: diskbench=<randread4k-qd1|"
                 "randread4k-qd32|seqread1m|seqwrite1m>,<seconds>\n");
    expect_lines("hostile-virtq=go", "pvboot: usage: hostile-virtq[=stay]\n");

    expect_lines("diskcheck", "diskcheck: 0 disks, 0 ok, 0 failed\n");
    expect_lines("diskbench=seqread1m,1", "diskbench: no disk\n");
    expect_lines("hostile-virtq", "hostile-virtq: no disk\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(usage_and_missing_devices, teardown),
        cmocka_unit_test_teardown(diskcheck_qcow2_through_qsd, teardown),
        cmocka_unit_test_teardown(diskcheck_raw_file_hvblk, teardown),
        cmocka_unit_test_teardown(readonly_disk_refuses_writes, teardown),
        cmocka_unit_test_teardown(readonly_hvblk_refuses_writes, teardown),
        cmocka_unit_test_teardown(hostile_virtq_qsd, teardown),
        cmocka_unit_test_teardown(hostile_virtq_hvblk, teardown),
        cmocka_unit_test_teardown(hot_attach_detach_during_diskio, teardown),
        cmocka_unit_test_teardown(disk_replaced_while_paused, teardown),
        cmocka_unit_test_teardown(killed_qsd_during_diskio, teardown),
        cmocka_unit_test_teardown(killed_hvblk_during_diskio, teardown),
        cmocka_unit_test_teardown(lying_backend_is_reset, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
