/*
 * test_backends.c - the in-tree back ends hvblk and hvnet, driven by a
 * vhost-user front end in the test (vu_front.c) instead of hvcore: guest
 * memory is a memfd, the rings are built here by hand, and every request
 * the test makes is checked in the rings, the file and the counters page.
 *
 * Hostile rings must break the queue (one line in last_error, counted)
 * and leave the back end alive and answering; bad requests get
 * VIRTIO_BLK_S_IOERR or UNSUPP and the queue goes on.  hvnet runs in a
 * network namespace the test makes.  Every wait is for a condition, with
 * a 30 s deadline that only matters on failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <pwd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "blk.h"
#include "net.h"
#include "public/device.h"
#include "virtq.h"
#include "vu_front.h"
#include "vu_msg.h"

#define DISK_BYTES (1u << 20)           /* 2048 sectors */
#define DISK_SECTORS (DISK_BYTES / 512)
#define QSIZE 64

static char tmpdir[PATH_MAX];
static char disk[PATH_MAX + 16];

static uint64_t blk_features(void)
{
    return (1ull << HV_VIRTIO_F_VERSION_1) | (1ull << HV_VIRTIO_F_RING_EVENT_IDX) |
           (1ull << HV_VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_BLK_F_FLUSH) |
           (1ull << VIRTIO_BLK_F_DISCARD) | (1ull << VIRTIO_BLK_F_WRITE_ZEROES) |
           (1ull << VIRTIO_BLK_F_RO) | (1ull << VIRTIO_BLK_F_SEG_MAX) |
           (1ull << VIRTIO_BLK_F_BLK_SIZE) | (1ull << VIRTIO_BLK_F_SIZE_MAX) |
           (1ull << VIRTIO_BLK_F_MQ);
}

static void make_disk(void)
{
    int fd = open(disk, O_RDWR | O_CREAT | O_TRUNC, 0600);
    uint8_t *b = malloc(DISK_BYTES);

    assert_true(fd >= 0);
    for (unsigned i = 0; i < DISK_BYTES; i++)
        b[i] = (uint8_t)(i / 512 + 1);      /* sector s holds s+1 */
    assert_int_equal(write(fd, b, DISK_BYTES), DISK_BYTES);
    close(fd);
    free(b);
}

/* Scratch buffers of the one-at-a-time requests. */
struct req_area {
    uint64_t hdr, status, data;
};

static struct req_area the_area;
static unsigned rq;                 /* the queue blk_req uses */

/* The back end of the running test, killed by the teardown if the test
 * failed before it stopped it (it holds the disk's lock). */
static struct vf *current;

static int kill_leftover(void **state)
{
    (void)state;
    if (current && current->pid > 0 && vf_alive(current)) {
        kill(current->pid, SIGKILL);
        waitpid(current->pid, NULL, 0);
    }
    current = NULL;
    return 0;
}

/* hvblk on the test disk with extra options, handshake done, queue 0 of num. */
static void blk_up_n(struct vf *f, const char *const *extra, unsigned num)
{
    const char *args[16] = { "--file", disk };
    unsigned n = 2;

    make_disk();
    for (unsigned i = 0; extra && extra[i]; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    assert_int_equal(vf_start(f, "hvblk", args), 0);
    current = f;
    if (vf_handshake(f, blk_features()) < 0) {
        fprintf(stderr, "handshake failed; hvblk said: %s\n", vf_stderr(f));
        fail();
    }
    assert_int_equal(vf_queue(f, 0, num), 0);
    memset(&the_area, 0, sizeof(the_area));
    rq = 0;
}

static void blk_up(struct vf *f, const char *const *extra)
{
    blk_up_n(f, extra, QSIZE);
}

static struct req_area area(struct vf *f)
{
    if (!the_area.hdr) {
        the_area.hdr = vf_alloc(f, 16, 16);
        the_area.status = vf_alloc(f, 1, 1);
        the_area.data = vf_alloc(f, 64 * 1024, 4096);
    }
    return the_area;
}

/* Spin (no sleep: the figures printed are per-request costs) until the
 * used index reaches idx, 30 s at most. */
static bool spin_used(struct vf *f, unsigned qi, uint16_t idx)
{
    time_t end = time(NULL) + 30;

    while ((uint16_t)(vf_used_idx(f, qi) - idx) > 0x8000u)
        if (time(NULL) > end)
            return false;
    return true;
}

/*
 * One request at depth 1 with descriptors 0 (header), 1 (data), 2
 * (status); buf: the data to write, or where a read's data goes.  The
 * status, or -1 if the back end never answered.
 */
static int blk_req(struct vf *f, uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
    struct req_area a = area(f);
    bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
    uint32_t hdr[4] = { type, 0, (uint32_t)sector, (uint32_t)(sector >> 32) };
    uint8_t *status = vf_ptr(f, a.status);
    uint16_t want = (uint16_t)(f->q[rq].avail_idx + 1);
    unsigned last;

    memcpy(vf_ptr(f, a.hdr), hdr, 16);
    *status = 0xff;
    if (!in && len)
        memcpy(vf_ptr(f, a.data), buf, len);
    vf_desc(f, rq, 0, a.hdr, 16, VIRTQ_DESC_F_NEXT, 1);
    if (len) {
        vf_desc(f, rq, 1, a.data, len, VIRTQ_DESC_F_NEXT | (in ? VIRTQ_DESC_F_WRITE : 0), 2);
        last = 2;
    } else {
        vf_desc(f, rq, 0, a.hdr, 16, VIRTQ_DESC_F_NEXT, 2);
        last = 2;
    }
    vf_desc(f, rq, last, a.status, 1, VIRTQ_DESC_F_WRITE, 0);
    vf_set_used_event(f, rq, (uint16_t)(want - 1));
    vf_avail(f, rq, 0);
    vf_kick(f, rq);
    if (!vf_wait_used(f, rq, want)) {
        fprintf(stderr, "no answer; hvblk said: %s\n", vf_stderr(f));
        return -1;
    }
    if (in && len)
        memcpy(buf, vf_ptr(f, a.data), len);
    return *status;
}

static void assert_last_error(struct vf *f, const char *want)
{
    if (strcmp(f->stats->last_error, want) != 0) {
        fprintf(stderr, "last_error: \"%s\"\nwanted:     \"%s\"\n", f->stats->last_error, want);
        fail();
    }
}

/* ---- options --------------------------------------------------------- */

static void expect_run(const char *program, const char *const *args, int status,
                       const char *line)
{
    char got[1024];
    int st = vf_run(program, args, got, sizeof(got));

    if (st != status || strcmp(got, line) != 0) {
        fprintf(stderr, "%s %s...: status %d, \"%s\"\nwanted: status %d, \"%s\"\n", program,
                args[0] ? args[0] : "", st, got, status, line);
        fail();
    }
}

static void hvblk_refuses_bad_options(void **state)
{
    (void)state;
    make_disk();
    expect_run("hvblk", (const char *[]){ "--fd", "3", NULL }, 2, "hvblk: --file is required");
    expect_run("hvblk", (const char *[]){ "--file", disk, NULL }, 2,
               "hvblk: exactly one of --fd and --socket is required");
    expect_run("hvblk", (const char *[]){ "--fd", "3", "--socket", "/x", "--file", disk, NULL },
               2, "hvblk: exactly one of --fd and --socket is required");
    expect_run("hvblk", (const char *[]){ "--fd", "x", NULL }, 2,
               "hvblk: --fd: 'x' is not a file descriptor number");
    expect_run("hvblk", (const char *[]){ "--fd", NULL }, 2, "hvblk: --fd needs a value");
    expect_run("hvblk", (const char *[]){ "--fd", "3", "--file", disk, "--queues", "9", NULL }, 2,
               "hvblk: --queues: '9' is not a number from 1 to 8");
    expect_run("hvblk", (const char *[]){ "--fd", "3", "--file", disk, "--queues", "0", NULL }, 2,
               "hvblk: --queues: '0' is not a number from 1 to 8");
    expect_run("hvblk", (const char *[]){ "--fd", "3", "--file", disk, "--poll-us", "-1", NULL },
               2, "hvblk: --poll-us: '-1' is not a number from 0 to 1000000");
    expect_run("hvblk", (const char *[]){ "--bogus", NULL }, 2,
               "hvblk: unknown option '--bogus' (hvblk --help lists them)");
    expect_run("hvblk", (const char *[]){ "--fd", "3", "--file", disk, "extra", NULL }, 2,
               "hvblk: unexpected argument 'extra'");
    expect_run("hvblk", (const char *[]){ "--fd", "3", "--file", "/nonexistent/disk", NULL }, 1,
               "hvblk: cannot open /nonexistent/disk: No such file or directory");
    expect_run("hvblk", (const char *[]){ "--fd", "3", "--file", "/dev/null", NULL }, 1,
               "hvblk: /dev/null is neither a regular file nor a block device");
    expect_run("hvblk", (const char *[]){ "--fd", "3", "--file", disk, "--user",
                                          "no-such-user-hv", NULL }, 1,
               "hvblk: --user: no user 'no-such-user-hv'");
    expect_run("hvblk", (const char *[]){ "--fd", "3", "--file", disk, "--stats-fd", "0", NULL },
               1, "hvblk: --stats-fd 0: not a counters page (too small)");
    expect_run("hvblk", (const char *[]){ "--help", NULL }, 0,
               "Usage: hvblk (--fd N | --socket PATH) --file PATH [options]");
}

/* ---- block I/O --------------------------------------------------------- */

static void hvblk_reads_writes_flushes_discards(void **state)
{
    struct vf f = { 0 };
    uint8_t cfg[BLK_CONFIG_BYTES], buf[8192], back[8192], id[VIRTIO_BLK_ID_BYTES];
    uint64_t cap;
    uint32_t u32, base;
    int fd;

    (void)state;
    blk_up(&f, NULL);
    assert_true(f.features & (1ull << VIRTIO_BLK_F_FLUSH));
    assert_true(f.features & (1ull << VIRTIO_BLK_F_DISCARD));
    assert_false(f.features & (1ull << VIRTIO_BLK_F_RO));
    assert_int_equal(vf_get_config(&f, cfg, sizeof(cfg)), 0);
    memcpy(&cap, cfg, 8);
    assert_int_equal(cap, DISK_SECTORS);
    memcpy(&u32, cfg + 12, 4);
    assert_int_equal(u32, BLK_SEG_MAX);
    memcpy(&u32, cfg + 20, 4);
    assert_int_equal(u32, 512);

    /* Read what make_disk wrote: sector 7 holds 8s. */
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 7, buf, 1024), VIRTIO_BLK_S_OK);
    assert_int_equal(buf[0], 8);
    assert_int_equal(buf[1023], 9);

    /* Write a pattern; it is in the file and reads back. */
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 3);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_OUT, 100, buf, sizeof(buf)), VIRTIO_BLK_S_OK);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VIRTIO_BLK_S_OK);
    memset(back, 0, sizeof(back));
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 100, back, sizeof(back)), VIRTIO_BLK_S_OK);
    assert_memory_equal(buf, back, sizeof(buf));
    fd = open(disk, O_RDONLY);
    assert_int_equal(pread(fd, back, sizeof(back), 100 * 512), sizeof(back));
    assert_memory_equal(buf, back, sizeof(buf));

    /* GET_ID: the file's name. */
    memset(id, 0xff, sizeof(id));
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_GET_ID, 0, id, sizeof(id)), VIRTIO_BLK_S_OK);
    assert_string_equal((char *)id, "disk.img");

    /* Discard 8 sectors at 100, write-zeroes 4 at 200: both read zeros. */
    struct { uint64_t sector; uint32_t n, flags; } seg = { 100, 8, 0 };
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_DISCARD, 0, &seg, 16), VIRTIO_BLK_S_OK);
    seg.sector = 200;
    seg.n = 4;
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_WRITE_ZEROES, 0, &seg, 16), VIRTIO_BLK_S_OK);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 100, back, 4096), VIRTIO_BLK_S_OK);
    for (unsigned i = 0; i < 4096; i++)
        assert_int_equal(back[i], 0);
    assert_int_equal(pread(fd, back, 2048, 200 * 512), 2048);
    for (unsigned i = 0; i < 2048; i++)
        assert_int_equal(back[i], 0);
    assert_int_equal(pread(fd, back, 1, 204 * 512), 1);
    assert_int_equal(back[0], 205);             /* the next sector is untouched */
    close(fd);

    /* The counters: 3 reads, 1 write, flush + get-id + discard + zeroes. */
    assert_int_equal(f.stats->reqs_in, 3);
    assert_int_equal(f.stats->reqs_out, 1);
    assert_int_equal(f.stats->reqs_other, 4);
    assert_int_equal(f.stats->bytes_in, 1024 + 8192 + 4096);
    assert_int_equal(f.stats->bytes_out, 8192);
    assert_int_equal(f.stats->errors, 0);
    assert_true(f.stats->kicks >= 1);

    /* GET_VRING_BASE stops the ring after the 8 requests. */
    assert_int_equal(vf_get_base(&f, 0, &base), 0);
    assert_int_equal(base, 8);
    assert_int_equal(vf_stop(&f), 0);
}

static void hvblk_readonly_refuses_writes(void **state)
{
    struct vf f = { 0 };
    uint8_t buf[512] = { 1 };

    (void)state;
    blk_up(&f, (const char *[]){ "--readonly", NULL });
    assert_true(f.features & (1ull << VIRTIO_BLK_F_RO));
    assert_false(f.features & (1ull << VIRTIO_BLK_F_DISCARD));
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_OUT, 0, buf, 512), VIRTIO_BLK_S_IOERR);
    assert_last_error(&f, "queue 0: write to a read-only disk");
    struct { uint64_t sector; uint32_t n, flags; } seg = { 0, 8, 0 };
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_DISCARD, 0, &seg, 16), VIRTIO_BLK_S_UNSUPP);
    assert_last_error(&f, "queue 0: discard was not negotiated");
    /* Reads still work, and the file is as it was. */
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 0, buf, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(buf[0], 1);
    assert_int_equal(f.stats->errors, 2);
    assert_int_equal(vf_stop(&f), 0);
}

static void hvblk_refuses_bad_requests(void **state)
{
    struct vf f = { 0 };
    uint8_t buf[4096];

    (void)state;
    blk_up(&f, NULL);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, buf, 1024),
                     VIRTIO_BLK_S_IOERR);
    assert_last_error(&f, "queue 0: read of 1024 bytes at sector 2047 is past the end of the "
                          "disk (2048 sectors)");
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_OUT, UINT64_MAX / 512 + 5, buf, 512),
                     VIRTIO_BLK_S_IOERR);
    assert_last_error(&f, "queue 0: write of 512 bytes at sector 36028797018963972 is past "
                          "the end of the disk (2048 sectors)");
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 0, buf, 100), VIRTIO_BLK_S_IOERR);
    assert_last_error(&f, "queue 0: read of 100 bytes is not a multiple of 512");
    assert_int_equal(blk_req(&f, 99, 0, buf, 512), VIRTIO_BLK_S_UNSUPP);
    assert_last_error(&f, "queue 0: request type 99 is not supported");
    struct { uint64_t sector; uint32_t n, flags; } seg = { 2040, 16, 0 };
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_DISCARD, 0, &seg, 16), VIRTIO_BLK_S_IOERR);
    assert_last_error(&f, "queue 0: discard of 16 sectors at sector 2040 is past the end of "
                          "the disk (2048 sectors) or too long");
    /* The last sector itself is fine, and the queue goes on. */
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, DISK_SECTORS - 1, buf, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(buf[0], (uint8_t)DISK_SECTORS);
    assert_int_equal(f.stats->errors, 5);
    assert_true(vf_alive(&f));
    assert_int_equal(vf_stop(&f), 0);
}

/* A read through an indirect table of three descriptors. */
static void hvblk_takes_indirect_descriptors(void **state)
{
    struct vf f = { 0 };
    struct req_area a;
    uint64_t table;
    struct virtq_desc *t;
    uint32_t hdr[4] = { VIRTIO_BLK_T_IN, 0, 3, 0 };
    uint8_t *status, *data;

    (void)state;
    blk_up(&f, NULL);
    a = area(&f);
    table = vf_alloc(&f, 3 * sizeof(struct virtq_desc), 16);
    t = vf_ptr(&f, table);
    memcpy(vf_ptr(&f, a.hdr), hdr, 16);
    status = vf_ptr(&f, a.status);
    data = vf_ptr(&f, a.data);
    *status = 0xff;
    t[0] = (struct virtq_desc){ a.hdr, 16, VIRTQ_DESC_F_NEXT, 1 };
    t[1] = (struct virtq_desc){ a.data, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2 };
    t[2] = (struct virtq_desc){ a.status, 1, VIRTQ_DESC_F_WRITE, 0 };
    vf_desc(&f, 0, 5, table, 3 * sizeof(struct virtq_desc), VIRTQ_DESC_F_INDIRECT, 0);
    vf_avail(&f, 0, 5);
    vf_kick(&f, 0);
    assert_true(vf_wait_used(&f, 0, 1));
    assert_int_equal(*status, VIRTIO_BLK_S_OK);
    assert_int_equal(data[0], 4);
    uint32_t id, len;
    vf_used_elem(&f, 0, 0, &id, &len);
    assert_int_equal(id, 5);
    assert_int_equal(len, 513);
    assert_int_equal(vf_stop(&f), 0);
}

/*
 * EVENT_IDX: with used_event far ahead the back end completes without a
 * call; once used_event is crossed it calls.  The eventfd adds up every
 * call, so a count of exactly 1 at the end proves the first had none.
 */
static void hvblk_calls_only_when_used_event_asks(void **state)
{
    struct vf f = { 0 };
    struct req_area a;
    uint32_t hdr[4] = { VIRTIO_BLK_T_IN, 0, 0, 0 };

    (void)state;
    blk_up(&f, NULL);
    a = area(&f);
    memcpy(vf_ptr(&f, a.hdr), hdr, 16);
    vf_desc(&f, 0, 0, a.hdr, 16, VIRTQ_DESC_F_NEXT, 1);
    vf_desc(&f, 0, 1, a.data, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    vf_desc(&f, 0, 2, a.status, 1, VIRTQ_DESC_F_WRITE, 0);

    /* The first completion is always called (nothing decided yet). */
    vf_set_used_event(&f, 0, 0);
    vf_avail(&f, 0, 0);
    vf_kick(&f, 0);
    assert_true(vf_wait_used(&f, 0, 1));
    uint64_t first = 0;
    for (int i = 0; i < 30000 && !(first = vf_calls(&f, 0)); i++)
        usleep(1000);
    assert_int_equal(first, 1);

    /* used_event 100: completions 2 and 3 are not called. */
    vf_set_used_event(&f, 0, 100);
    vf_avail(&f, 0, 0);
    vf_kick(&f, 0);
    assert_true(vf_wait_used(&f, 0, 2));
    vf_avail(&f, 0, 0);
    vf_kick(&f, 0);
    assert_true(vf_wait_used(&f, 0, 3));
    /* used_event 3: completion 4 crosses it and is called. */
    vf_set_used_event(&f, 0, 3);
    vf_avail(&f, 0, 0);
    vf_kick(&f, 0);
    assert_true(vf_wait_used(&f, 0, 4));
    uint64_t calls = 0;
    for (int i = 0; i < 30000 && !(calls = vf_calls(&f, 0)); i++)
        usleep(1000);
    assert_int_equal(calls, 1);
    assert_int_equal(f.stats->calls, 2);
    assert_int_equal(vf_stop(&f), 0);
}

/*
 * A batch: 32 reads published at once with one kick are all answered
 * with one call when the guest asks once (used_event at the last).
 * Also the per-request cost at depth 1 and 32, printed, never judged.
 */
static double secs(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void hvblk_batches_requests(void **state)
{
    struct vf f = { 0 };
    enum { DEPTH = 32, ROUNDS = 200 };
    uint64_t hdr = 0, st = 0, data = 0;
    uint32_t h[4] = { VIRTIO_BLK_T_IN, 0, 0, 0 };
    double t0, t1;

    (void)state;
    blk_up_n(&f, NULL, 128);
    hdr = vf_alloc(&f, 16, 16);
    st = vf_alloc(&f, DEPTH, 1);
    data = vf_alloc(&f, DEPTH * 4096, 4096);
    memcpy(vf_ptr(&f, hdr), h, 16);
    for (unsigned i = 0; i < DEPTH; i++) {
        vf_desc(&f, 0, 3 * i, hdr, 16, VIRTQ_DESC_F_NEXT, (uint16_t)(3 * i + 1));
        vf_desc(&f, 0, 3 * i + 1, data + 4096 * i, 4096, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE,
                (uint16_t)(3 * i + 2));
        vf_desc(&f, 0, 3 * i + 2, st + i, 1, VIRTQ_DESC_F_WRITE, 0);
    }
    uint64_t calls0 = f.stats->calls, kicks0 = f.stats->kicks;
    t0 = secs();
    for (unsigned r = 0; r < ROUNDS; r++) {
        uint16_t end = (uint16_t)(f.q[0].avail_idx + DEPTH);

        vf_set_used_event(&f, 0, (uint16_t)(end - 1));
        for (unsigned i = 0; i < DEPTH; i++)
            vf_avail(&f, 0, (uint16_t)(3 * i));
        vf_kick(&f, 0);
        assert_true(spin_used(&f, 0, end));
    }
    t1 = secs();
    uint64_t calls = f.stats->calls - calls0, kicks = f.stats->kicks - kicks0;
    /* One call per round (the guest asked once per round), and the very
     * first completion, which is always called. */
    assert_true(calls <= ROUNDS + 1);
    assert_true(kicks <= ROUNDS);
    printf("hvblk: depth 32: %.2f us per 4 KiB read, %.3f calls and %.3f kicks per request\n",
           (t1 - t0) * 1e6 / (ROUNDS * DEPTH), (double)calls / (ROUNDS * DEPTH),
           (double)kicks / (ROUNDS * DEPTH));
    t0 = secs();
    for (unsigned r = 0; r < ROUNDS * 4; r++) {
        uint16_t end = (uint16_t)(f.q[0].avail_idx + 1);

        vf_set_used_event(&f, 0, (uint16_t)(end - 1));
        vf_avail(&f, 0, 0);
        vf_kick(&f, 0);
        assert_true(spin_used(&f, 0, end));
    }
    t1 = secs();
    printf("hvblk: depth 1: %.2f us per 4 KiB read (test front end polls the used ring)\n",
           (t1 - t0) * 1e6 / (ROUNDS * 4));
    assert_int_equal(f.stats->errors, 0);
    assert_int_equal(vf_stop(&f), 0);
}



/* Idle, the back end asks to be kicked for the next request (EVENT_IDX:
 * avail_event is the index it waits for), else a guest that follows
 * avail_event would never kick it again. */
static void hvblk_asks_for_a_kick_when_idle(void **state)
{
    struct vf f = { 0 };
    uint8_t buf[512];
    time_t end;

    (void)state;
    blk_up(&f, (const char *[]){ "--poll-us", "0", NULL });
    for (uint16_t i = 1; i <= 3; i++) {
        assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, i, buf, 512), VIRTIO_BLK_S_OK);
        end = time(NULL) + 30;
        while (vf_avail_event(&f, 0) != i && time(NULL) <= end)
            usleep(200);
        assert_int_equal(vf_avail_event(&f, 0), i);
    }
    assert_int_equal(vf_stop(&f), 0);
}

/* ---- hvblk's options at work -------------------------------------------- */

/* --direct: O_DIRECT with the file system's block size; an unaligned
 * guest buffer goes through a bounce buffer and still reads right. */
static void hvblk_direct_reads_aligned_and_bounced(void **state)
{
    struct vf f = { 0 };
    uint8_t cfg[BLK_CONFIG_BYTES], buf[8192];
    uint32_t bs;
    struct stat st;
    struct req_area a;
    int fd;

    (void)state;
    make_disk();
    fd = open(disk, O_RDONLY | O_DIRECT);
    if (fd < 0) {
        fprintf(stderr, "no O_DIRECT on %s: skipped\n", tmpdir);
        skip();
    }
    assert_int_equal(fstat(fd, &st), 0);
    close(fd);
    blk_up(&f, (const char *[]){ "--direct", NULL });
    assert_int_equal(vf_get_config(&f, cfg, sizeof(cfg)), 0);
    memcpy(&bs, cfg + 20, 4);
    assert_int_equal(bs, st.st_blksize > 512 ? (uint32_t)st.st_blksize : 512);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 16, buf, 8192), VIRTIO_BLK_S_OK);
    assert_int_equal(buf[0], 17);
    assert_int_equal(buf[8191], 32);
    /* The same read into a buffer 512 bytes off alignment. */
    a = area(&f);
    the_area.data = a.data + 512;
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 16, buf, 8192), VIRTIO_BLK_S_OK);
    assert_int_equal(buf[0], 17);
    assert_int_equal(buf[8191], 32);
    memset(buf, 0x5a, sizeof(buf));
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_OUT, 32, buf, 8192), VIRTIO_BLK_S_OK);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VIRTIO_BLK_S_OK);
    fd = open(disk, O_RDONLY);
    assert_int_equal(pread(fd, buf, 1, 32 * 512 + 8191), 1);
    close(fd);
    assert_int_equal(buf[0], 0x5a);
    assert_int_equal(f.stats->errors, 0);
    assert_int_equal(vf_stop(&f), 0);
}

/* --queues 2: MQ offered, GET_QUEUE_NUM and num_queues say 2, and the
 * second queue serves requests. */
static void hvblk_serves_two_queues(void **state)
{
    struct vf f = { 0 };
    uint8_t cfg[BLK_CONFIG_BYTES], buf[512];
    uint64_t nq;
    uint16_t n16;

    (void)state;
    blk_up(&f, (const char *[]){ "--queues", "2", NULL });
    assert_true(f.features & (1ull << VIRTIO_BLK_F_MQ));
    assert_int_equal(vf_get_u64(&f, VU_GET_QUEUE_NUM, &nq), 0);
    assert_int_equal(nq, 2);
    assert_int_equal(vf_get_config(&f, cfg, sizeof(cfg)), 0);
    memcpy(&n16, cfg + 34, 2);
    assert_int_equal(n16, 2);
    assert_int_equal(vf_queue(&f, 1, QSIZE), 0);
    rq = 1;
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 42, buf, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(buf[0], 43);
    assert_int_equal(vf_used_idx(&f, 0), 0);
    assert_int_equal(vf_stop(&f), 0);
}

/* --user: the process runs as that user once the disk is open. */
static void hvblk_drops_to_user(void **state)
{
    struct vf f = { 0 };
    struct passwd *pw = getpwnam("nobody");
    char path[64], line[256];
    uint8_t buf[512];
    bool seen = false;
    FILE *st;

    (void)state;
    if (!pw || getuid() != 0) {
        fprintf(stderr, "no user nobody or not root: skipped\n");
        skip();
    }
    blk_up(&f, (const char *[]){ "--user", "nobody", NULL });
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 0, buf, 512), VIRTIO_BLK_S_OK);
    snprintf(path, sizeof(path), "/proc/%d/status", (int)f.pid);
    st = fopen(path, "r");
    assert_non_null(st);
    while (fgets(line, sizeof(line), st)) {
        unsigned r, e, sv, fs;

        if (sscanf(line, "Uid: %u %u %u %u", &r, &e, &sv, &fs) == 4) {
            assert_int_equal(r, pw->pw_uid);
            assert_int_equal(e, pw->pw_uid);
            assert_int_equal(sv, pw->pw_uid);
            seen = true;
        }
        if (!strncmp(line, "Groups:", 7))       /* none at all */
            assert_int_equal(strspn(line + 7, " \t\n"), strlen(line + 7));
    }
    fclose(st);
    assert_true(seen);
    assert_int_equal(vf_stop(&f), 0);
}

/* --socket: listens, serves one front end, then the next one. */
static void hvblk_listens_at_a_socket(void **state)
{
    char sock[PATH_MAX + 16];
    char bin[4096];
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    uint8_t buf[512];
    pid_t pid;
    int st;

    (void)state;
    make_disk();
    snprintf(sock, sizeof(sock), "%s/vda.sock", tmpdir);
    assert_true(strlen(sock) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    snprintf(bin, sizeof(bin), "%s/hvblk", getenv("HVCORE_BACKEND_DIR"));
    pid = fork();
    if (pid == 0) {
        execl(bin, bin, "--socket", sock, "--file", disk, "--poll-us", "0", (char *)NULL);
        _exit(127);
    }
    for (int round = 0; round < 2; round++) {
        struct vf f = { 0 };
        int s = -1;
        time_t end = time(NULL) + 30;

        while (time(NULL) <= end) {
            s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
            if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
                break;
            close(s);
            s = -1;
            usleep(10000);
        }
        assert_true(s >= 0);
        assert_int_equal(vf_attach(&f, s), 0);
        assert_int_equal(vf_handshake(&f, blk_features()), 0);
        assert_int_equal(vf_queue(&f, 0, QSIZE), 0);
        memset(&the_area, 0, sizeof(the_area));
        rq = 0;
        assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, (uint64_t)round, buf, 512),
                         VIRTIO_BLK_S_OK);
        assert_int_equal(buf[0], round + 1);
        vf_stop(&f);
    }
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    unlink(sock);
}

static void h_loop(struct vf *f);

/* A broken queue signals its error eventfd (SET_VRING_ERR). */
static void hvblk_signals_the_error_eventfd(void **state)
{
    struct vf f = { 0 };
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    uint64_t idx = 0, r, n = 0;

    (void)state;
    blk_up(&f, NULL);
    assert_int_equal(vf_raw(&f, VU_SET_VRING_ERR, VU_VERSION | VU_FLAG_NEED_REPLY, &idx, 8,
                            &efd, 1), 0);
    assert_int_equal(vf_reply(&f, VU_SET_VRING_ERR, &r, 8), 0);
    assert_int_equal(r, 0);
    h_loop(&f);
    vf_kick(&f, 0);
    assert_true(vf_wait_errors(&f, 1));
    for (int i = 0; i < 30000 && read(efd, &n, 8) != 8; i++)
        usleep(1000);
    assert_int_equal(n, 1);
    close(efd);
    assert_int_equal(vf_stop(&f), 0);
}


/* One writer per disk: a second hvblk on a disk in use is refused. */
static void hvblk_locks_its_disk(void **state)
{
    struct vf f = { 0 };
    char want[PATH_MAX + 64];

    (void)state;
    blk_up(&f, NULL);
    snprintf(want, sizeof(want), "hvblk: %s is in use by another process (locked)", disk);
    expect_run("hvblk", (const char *[]){ "--fd", "3", "--file", disk, "--readonly", NULL }, 1,
               want);
    assert_int_equal(vf_stop(&f), 0);
    /* Once it is gone, the disk is free again. */
    expect_run("hvblk", (const char *[]){ "--fd", "99", "--file", disk, NULL }, 1,
               "hvblk: --fd 99: not a stream socket");
}

/* A block device (a loop device on the test disk): its size from
 * BLKGETSIZE64, reads and writes, BLKDISCARD. */
static void hvblk_serves_a_block_device(void **state)
{
    struct vf f = { 0 };
    char dev[64] = "", cmd[PATH_MAX + 64];
    uint8_t cfg[8], buf[4096];
    uint64_t cap;
    FILE *p;

    (void)state;
    make_disk();
    snprintf(cmd, sizeof(cmd), "losetup -f --show %s 2>/dev/null", disk);
    p = popen(cmd, "r");
    if (!p || !fgets(dev, sizeof(dev), p) || strncmp(dev, "/dev/loop", 9) != 0) {
        if (p)
            pclose(p);
        fprintf(stderr, "no loop device: skipped\n");
        skip();
    }
    pclose(p);
    dev[strcspn(dev, "\n")] = 0;
    const char *args[] = { "--file", dev, NULL };
    assert_int_equal(vf_start(&f, "hvblk", args), 0);
    current = &f;
    assert_int_equal(vf_handshake(&f, blk_features()), 0);
    assert_int_equal(vf_queue(&f, 0, QSIZE), 0);
    memset(&the_area, 0, sizeof(the_area));
    rq = 0;
    assert_int_equal(vf_get_config(&f, cfg, sizeof(cfg)), 0);
    memcpy(&cap, cfg, 8);
    assert_int_equal(cap, DISK_SECTORS);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 9, buf, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(buf[0], 10);
    memset(buf, 0xa5, sizeof(buf));
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_OUT, 64, buf, 4096), VIRTIO_BLK_S_OK);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 64, buf, 4096), VIRTIO_BLK_S_OK);
    assert_int_equal(buf[4095], 0xa5);
    struct { uint64_t sector; uint32_t n, flags; } seg = { 64, 8, 0 };
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_DISCARD, 0, &seg, 16), VIRTIO_BLK_S_OK);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, DISK_SECTORS, buf, 512), VIRTIO_BLK_S_IOERR);
    assert_int_equal(vf_stop(&f), 0);
    snprintf(cmd, sizeof(cmd), "losetup -d %s", dev);
    assert_int_equal(system(cmd), 0);
}

/* ---- the man pages --------------------------------------------------------- */

/* Every option --help lists is in the man page and back, and the man page
 * gives the three exit statuses. */
static void options_of(const char *text, char opts[][32], unsigned *n)
{
    *n = 0;
    for (const char *p = text; (p = strstr(p, "--")); ) {
        size_t len = 2;

        while ((p[len] >= 'a' && p[len] <= 'z') || (p[len] == '-' && len > 2))
            len++;
        if (len > 2 && len < 32) {
            bool dup = false;

            for (unsigned i = 0; i < *n; i++)
                dup |= strlen(opts[i]) == len && !strncmp(opts[i], p, len);
            if (!dup && *n < 64) {
                memcpy(opts[*n], p, len);
                opts[(*n)++][len] = 0;
            }
        }
        p += len;
    }
}

static char *slurp(const char *cmd_or_path, bool command)
{
    static char buf[65536];
    FILE *in = command ? popen(cmd_or_path, "r") : fopen(cmd_or_path, "r");
    size_t n, k = 0;

    assert_non_null(in);
    while ((n = fread(buf + k, 1, sizeof(buf) - 1 - k, in)) > 0)
        k += n;
    buf[k] = 0;
    command ? pclose(in) : fclose(in);
    /* man(7) writes hyphens as \-. */
    for (char *w = buf, *r = buf; ; r++) {
        if (r[0] == '\\' && r[1] == '-')
            r++;
        *w++ = *r;
        if (!*r)
            break;
    }
    return strdup(buf);
}

static void check_man(const char *prog)
{
    char cmd[4200], path[4200], help_opts[64][32], man_opts[64][32];
    unsigned nh, nm;
    char *help, *man;

    snprintf(cmd, sizeof(cmd), "%s/%s --help", getenv("HVCORE_BACKEND_DIR"), prog);
    snprintf(path, sizeof(path), "%s/%s.8", HV_MAN_DIR, prog);
    help = slurp(cmd, true);
    man = slurp(path, false);
    options_of(help, help_opts, &nh);
    /* The OPTIONS section only: the examples show hvcore's options too. */
    char *opts = strstr(man, "\n.SH OPTIONS\n"), *end;
    assert_non_null(opts);
    end = strstr(opts + 1, "\n.SH ");
    assert_non_null(end);
    *end = 0;
    options_of(opts, man_opts, &nm);
    *end = '\n';
    assert_true(nh > 5);
    for (unsigned i = 0; i < nh; i++) {
        bool found = false;

        for (unsigned j = 0; j < nm; j++)
            found |= !strcmp(help_opts[i], man_opts[j]);
        if (!found)
            fprintf(stderr, "%s: %s is not in %s.8\n", prog, help_opts[i], prog);
        assert_true(found);
    }
    for (unsigned j = 0; j < nm; j++) {
        bool found = false;

        for (unsigned i = 0; i < nh; i++)
            found |= !strcmp(help_opts[i], man_opts[j]);
        if (!found)
            fprintf(stderr, "%s: %s.8 documents %s, which --help does not list\n", prog, prog,
                    man_opts[j]);
        assert_true(found);
    }
    assert_non_null(strstr(man, ".SH EXIT STATUS\n.TP\n0\n"));
    assert_non_null(strstr(man, ".TP\n1\n"));
    assert_non_null(strstr(man, ".TP\n2\n"));
    assert_non_null(strstr(help, "Exit status: 0 "));
    free(help);
    free(man);
}

static void man_pages_list_every_option(void **state)
{
    (void)state;
    check_man("hvblk");
    check_man("hvnet");
}

/* ---- hostile rings ------------------------------------------------------ */

/* Each case builds its ring on a fresh hvblk, which must break queue 0
 * with exactly this line, count one error, and live on. */
struct hostile {
    const char *name;
    void (*build)(struct vf *f);
    const char *line;
};

static void h_loop(struct vf *f)
{
    uint64_t b = vf_alloc(f, 16, 16);

    vf_desc(f, 0, 0, b, 16, VIRTQ_DESC_F_NEXT, 1);
    vf_desc(f, 0, 1, b, 16, VIRTQ_DESC_F_NEXT, 0);
    vf_avail(f, 0, 0);
}

static void h_next_out_of_range(struct vf *f)
{
    vf_desc(f, 0, 0, vf_alloc(f, 16, 16), 16, VIRTQ_DESC_F_NEXT, QSIZE);
    vf_avail(f, 0, 0);
}

static void h_head_out_of_range(struct vf *f)
{
    vf_avail(f, 0, QSIZE + 3);
}

static void h_avail_idx_ahead(struct vf *f)
{
    vf_avail_idx(f, 0, QSIZE + 1);
}

static void h_below_1mib(struct vf *f)
{
    vf_desc(f, 0, 0, 0x1000, 16, 0, 0);      /* hvcore's page tables live there */
    vf_avail(f, 0, 0);
}

static void h_past_ram(struct vf *f)
{
    vf_desc(f, 0, 0, VF_MEM_SIZE - 8, 16, 0, 0);
    vf_avail(f, 0, 0);
}

static void h_wraps(struct vf *f)
{
    vf_desc(f, 0, 0, 0xfffffffffffff000ull, 0x2000, 0, 0);
    vf_avail(f, 0, 0);
}

static void h_indirect_bad_len(struct vf *f)
{
    vf_desc(f, 0, 0, vf_alloc(f, 64, 16), 20, VIRTQ_DESC_F_INDIRECT, 0);
    vf_avail(f, 0, 0);
}

static void h_indirect_nested(struct vf *f)
{
    uint64_t t = vf_alloc(f, 32, 16);
    struct virtq_desc *d = vf_ptr(f, t);

    d[0] = (struct virtq_desc){ t, 32, VIRTQ_DESC_F_INDIRECT, 0 };
    vf_desc(f, 0, 0, t, 32, VIRTQ_DESC_F_INDIRECT, 0);
    vf_avail(f, 0, 0);
}

static void h_indirect_loop(struct vf *f)
{
    uint64_t t = vf_alloc(f, 32, 16), b = vf_alloc(f, 16, 16);
    struct virtq_desc *d = vf_ptr(f, t);

    d[0] = (struct virtq_desc){ b, 16, VIRTQ_DESC_F_NEXT, 1 };
    d[1] = (struct virtq_desc){ b, 16, VIRTQ_DESC_F_NEXT, 0 };
    vf_desc(f, 0, 0, t, 32, VIRTQ_DESC_F_INDIRECT, 0);
    vf_avail(f, 0, 0);
}

static void h_indirect_outside(struct vf *f)
{
    vf_desc(f, 0, 0, VF_MEM_SIZE, 32, VIRTQ_DESC_F_INDIRECT, 0);
    vf_avail(f, 0, 0);
}

static void h_read_after_write(struct vf *f)
{
    uint64_t b = vf_alloc(f, 32, 16);

    vf_desc(f, 0, 0, b, 16, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
    vf_desc(f, 0, 1, b + 16, 16, 0, 0);
    vf_avail(f, 0, 0);
}

static const struct hostile hostile_cases[] = {
    { "loop", h_loop, "queue 0: head 0: chain loops or is longer than the queue size 64" },
    { "next out of range", h_next_out_of_range,
      "queue 0: head 0: next descriptor 64 is not below 64" },
    { "head out of range", h_head_out_of_range, "queue 0: head 67 is not below the queue size 64" },
    { "avail idx ahead", h_avail_idx_ahead,
      "queue 0: available index 65 is 65 ahead of 0, more than the queue size 64" },
    { "below 1 MiB", h_below_1mib, "queue 0: head 0: buffer 0x1000+16 is outside guest memory" },
    { "past RAM", h_past_ram, "queue 0: head 0: buffer 0x7ffff8+16 is outside guest memory" },
    { "wraps", h_wraps, "queue 0: head 0: buffer 0xfffffffffffff000+8192 wraps around" },
    { "indirect bad length", h_indirect_bad_len,
      "queue 0: head 0: indirect table length 20 is not a multiple of 16 from 16 to 16384" },
    { "indirect nested", h_indirect_nested,
      "queue 0: head 0: indirect descriptor inside an indirect table" },
    { "indirect loop", h_indirect_loop,
      "queue 0: head 0: indirect chain loops or is longer than its table of 2" },
    { "indirect outside", h_indirect_outside,
      "queue 0: head 0: indirect table 0x800000+32 is outside guest memory" },
    { "readable after writable", h_read_after_write,
      "queue 0: head 0: device-readable buffer after a device-writable one" },
};

static void hvblk_breaks_queue_on_hostile_rings(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(hostile_cases) / sizeof(hostile_cases[0]); i++) {
        const struct hostile *h = &hostile_cases[i];
        struct vf f = { 0 };
        uint64_t feat;
        char want[512];

        blk_up(&f, NULL);
        h->build(&f);
        vf_kick(&f, 0);
        if (!vf_wait_errors(&f, 1)) {
            fprintf(stderr, "%s: no error counted; hvblk said: %s\n", h->name, vf_stderr(&f));
            fail();
        }
        if (strcmp(f.stats->last_error, h->line) != 0) {
            fprintf(stderr, "%s: last_error \"%s\"\nwanted \"%s\"\n", h->name,
                    f.stats->last_error, h->line);
            fail();
        }
        /* Alive and answering; nothing was completed; one line logged. */
        assert_int_equal(vf_get_u64(&f, VU_GET_FEATURES, &feat), 0);
        assert_true(vf_alive(&f));
        assert_int_equal(vf_used_idx(&f, 0), 0);
        assert_int_equal(f.stats->errors, 1);
        assert_int_equal(vf_stop(&f), 0);
        snprintf(want, sizeof(want), "hvblk: %s; the queue is stopped until the device is reset\n",
                 h->line);
        assert_string_equal(f.err, want);
    }
}

/* ---- protocol ------------------------------------------------------------- */

static void hvblk_checks_messages(void **state)
{
    struct vf f = { 0 };
    struct vu_state st = { 0, 64 };
    struct vu_memtable mt = { .nregions = 1 };
    uint64_t r;

    (void)state;
    blk_up(&f, NULL);
    /* With REPLY_ACK a refused message is answered 1 and the connection lives. */
    st.index = 5;
    assert_int_equal(vf_raw(&f, VU_SET_VRING_NUM, VU_VERSION | VU_FLAG_NEED_REPLY, &st,
                            sizeof(st), NULL, 0), 0);
    assert_int_equal(vf_reply(&f, VU_SET_VRING_NUM, &r, 8), 0);
    assert_int_equal(r, 1);
    /* The whole table of 8 with one region in use (as hvcore sends it) is
     * taken, and the running queue goes on in the new mapping. */
    struct vu_memtable full = { .nregions = 1 };
    uint8_t buf[512];
    full.region[0] = (struct vu_mem_desc){ VF_MEM_BASE, VF_MEM_SIZE - VF_MEM_BASE,
                                           (uint64_t)(uintptr_t)(f.mem + VF_MEM_BASE),
                                           VF_MEM_BASE };
    assert_int_equal(vf_raw(&f, VU_SET_MEM_TABLE, VU_VERSION | VU_FLAG_NEED_REPLY, &full,
                            sizeof(full), &f.memfd, 1), 0);
    assert_int_equal(vf_reply(&f, VU_SET_MEM_TABLE, &r, 8), 0);
    assert_int_equal(r, 0);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 5, buf, 512), VIRTIO_BLK_S_OK);
    assert_int_equal(buf[0], 6);
    /* A region the memfd does not cover (it would raise SIGBUS). */
    mt.region[0] = (struct vu_mem_desc){ VF_MEM_BASE, VF_MEM_SIZE, 0x10000000, VF_MEM_BASE };
    assert_int_equal(vf_raw(&f, VU_SET_MEM_TABLE, VU_VERSION | VU_FLAG_NEED_REPLY, &mt,
                            8 + sizeof(mt.region[0]), &f.memfd, 1), 0);
    assert_int_equal(vf_reply(&f, VU_SET_MEM_TABLE, &r, 8), 0);
    assert_int_equal(r, 1);
    assert_true(vf_alive(&f));
    /* Without NEED_REPLY a bad size ends the connection: exit 1, one line. */
    assert_int_equal(vf_raw(&f, VU_SET_VRING_NUM, 0, &st, 4, NULL, 0), 0);
    assert_int_equal(vf_stop(&f), 1);
    assert_string_equal(f.err,
                        "hvblk: vhost-user message 8 names queue 5 (the device has 1)\n"
                        "hvblk: memory region 0: the file is smaller than offset 0x100000 + "
                        "size 0x800000\n"
                        "hvblk: vhost-user message 8 has 4 payload bytes, not 8\n");
}


/* ---- hvnet ---------------------------------------------------------------- */

#define GUEST_MAC "52:54:00:12:34:56"
#define ETHERTYPE_TEST 0x88b5           /* local experimental */

static char netns[64];

__attribute__((format(printf, 1, 2)))
static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* A namespace of our own, quiet: no IPv6 chatter on the tap. */
static bool netns_up(void)
{
    snprintf(netns, sizeof(netns), "hvtest-h2-%d", (int)getpid());
    sh("ip netns del %s 2>/dev/null", netns);
    if (sh("ip netns add %s 2>/dev/null", netns) != 0)
        return false;
    sh("ip netns exec %s sysctl -qw net.ipv6.conf.all.disable_ipv6=1 "
       "net.ipv6.conf.default.disable_ipv6=1 >/dev/null 2>&1", netns);
    return true;
}

static void netns_down(void)
{
    sh("ip netns del %s 2>/dev/null", netns);
}

/* A packet socket on ifname inside the namespace (sockets keep theirs). */
static int packet_socket(const char *ifname)
{
    char path[128];
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), ns, s = -1;
    struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };

    snprintf(path, sizeof(path), "/run/netns/%s", netns);
    ns = open(path, O_RDONLY | O_CLOEXEC);
    if (self < 0 || ns < 0 || setns(ns, CLONE_NEWNET) < 0)
        goto out;
    sll.sll_ifindex = (int)if_nametoindex(ifname);
    s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (s >= 0 && bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        close(s);
        s = -1;
    }
    setns(self, CLONE_NEWNET);
out:
    if (self >= 0)
        close(self);
    if (ns >= 0)
        close(ns);
    return s;
}

static size_t test_frame(uint8_t *f, size_t len, uint8_t tag)
{
    static const uint8_t dst[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t src[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = ETHERTYPE_TEST >> 8;
    f[13] = ETHERTYPE_TEST & 0xff;
    for (size_t i = 14; i < len; i++)
        f[i] = (uint8_t)(tag + i);
    return len;
}

/* The next frame of ours on s within 30 s, its length (0: none). */
static size_t recv_test_frame(int s, uint8_t *buf, size_t len)
{
    time_t end = time(NULL) + 30;

    while (time(NULL) <= end) {
        struct pollfd p = { .fd = s, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, 1000) != 1)
            continue;
        n = recv(s, buf, len, 0);
        if (n >= 14 && buf[12] == (ETHERTYPE_TEST >> 8) && buf[13] == (ETHERTYPE_TEST & 0xff))
            return (size_t)n;
    }
    return 0;
}

static uint64_t net_features(void)
{
    return (1ull << HV_VIRTIO_F_VERSION_1) | (1ull << HV_VIRTIO_F_RING_EVENT_IDX) |
           (1ull << HV_VIRTIO_F_INDIRECT_DESC) | (1ull << 5) | (1ull << 16) | (1ull << 17) |
           (1ull << 22);
}

static void net_up(struct vf *f, const char *const *extra, unsigned nq)
{
    const char *args[16] = { "--mac", GUEST_MAC, "--tap", "hvt0" };
    unsigned n = 4;

    for (unsigned i = 0; extra && extra[i]; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    f->netns = netns;
    assert_int_equal(vf_start(f, "hvnet", args), 0);
    current = f;
    if (vf_handshake(f, net_features()) < 0) {
        fprintf(stderr, "handshake failed; hvnet said: %s\n", vf_stderr(f));
        fail();
    }
    for (unsigned q = 0; q < nq; q++)
        assert_int_equal(vf_queue(f, q, QSIZE), 0);
}

static void hvnet_refuses_bad_options(void **state)
{
    (void)state;
    expect_run("hvnet", (const char *[]){ "--fd", "3", NULL }, 2, "hvnet: --mac is required");
    expect_run("hvnet", (const char *[]){ "--fd", "3", "--mac", "01:00:5e:00:00:01", NULL }, 2,
               "hvnet: --mac: '01:00:5e:00:00:01' is not a unicast MAC address (like "
               "52:54:00:12:34:56)");
    expect_run("hvnet", (const char *[]){ "--fd", "3", "--mac", "52:54:00:12:34", NULL }, 2,
               "hvnet: --mac: '52:54:00:12:34' is not a unicast MAC address (like "
               "52:54:00:12:34:56)");
    expect_run("hvnet", (const char *[]){ "--fd", "3", "--mac", GUEST_MAC, "--tap",
                                          "a/b", NULL }, 2,
               "hvnet: --tap: 'a/b' is not an interface name (1 to 15 bytes, no '/', ':' or "
               "spaces)");
    expect_run("hvnet", (const char *[]){ "--fd", "3", "--mac", GUEST_MAC, "--bridge",
                                          "0123456789abcdef", NULL }, 2,
               "hvnet: --bridge: '0123456789abcdef' is not an interface name (1 to 15 bytes, "
               "no '/', ':' or spaces)");
    expect_run("hvnet", (const char *[]){ "--fd", "3", "--mac", GUEST_MAC, "--queues", "8",
                                          NULL }, 2,
               "hvnet: --queues: '8' is not a number from 1 to 7");
    expect_run("hvnet", (const char *[]){ "--mac", GUEST_MAC, NULL }, 2,
               "hvnet: exactly one of --fd and --socket is required");
    expect_run("hvnet", (const char *[]){ "--help", NULL }, 0,
               "Usage: hvnet (--fd N | --socket PATH) --mac MAC [options]");
}

/* A frame the guest sends appears on the tap; one sent to the tap lands
 * in a receive buffer; one too big for its buffer is dropped and counted;
 * the tap is gone when hvnet is. */
static void hvnet_moves_frames_between_guest_and_tap(void **state)
{
    struct vf f = { 0 };
    uint8_t frame[1600], got[2048];
    uint64_t hdr, txbuf, rxbuf;
    size_t len;
    int ps;
    uint32_t id, ulen;

    (void)state;
    if (!netns_up()) {
        fprintf(stderr, "cannot make a network namespace (not root?): skipped\n");
        skip();
    }
    net_up(&f, NULL, 2);
    ps = packet_socket("hvt0");
    assert_true(ps >= 0);

    /* Transmit (queue 1): header + frame in two descriptors. */
    hdr = vf_alloc(&f, NET_HDR_LEN, 16);
    txbuf = vf_alloc(&f, 2048, 64);
    memset(vf_ptr(&f, hdr), 0, NET_HDR_LEN);
    len = test_frame(vf_ptr(&f, txbuf), 200, 1);
    vf_desc(&f, 1, 0, hdr, NET_HDR_LEN, VIRTQ_DESC_F_NEXT, 1);
    vf_desc(&f, 1, 1, txbuf, (uint32_t)len, 0, 0);
    vf_avail(&f, 1, 0);
    vf_kick(&f, 1);
    assert_true(vf_wait_used(&f, 1, 1));
    assert_int_equal(recv_test_frame(ps, got, sizeof(got)), len);
    assert_memory_equal(got, vf_ptr(&f, txbuf), len);
    assert_int_equal(f.stats->reqs_out, 1);
    assert_int_equal(f.stats->bytes_out, len);

    /* A transmit buffer the device would write into is refused, counted,
     * and returned; the queue goes on. */
    vf_desc(&f, 1, 2, txbuf, 64, VIRTQ_DESC_F_WRITE, 0);
    vf_avail(&f, 1, 2);
    vf_kick(&f, 1);
    assert_true(vf_wait_used(&f, 1, 2));
    assert_last_error(&f, "queue 1: transmit buffer 2: 0 device-readable bytes (12 at least), "
                          "64 writable (none)");
    assert_int_equal(f.stats->errors, 1);

    /* 32 frames a round, one kick: the cost per frame, printed. */
    {
        enum { BATCH = 32, ROUNDS = 50 };
        double t0 = secs();

        for (unsigned r = 0; r < ROUNDS; r++) {
            uint16_t end = (uint16_t)(f.q[1].avail_idx + BATCH);

            vf_set_used_event(&f, 1, (uint16_t)(end - 1));
            for (unsigned i = 0; i < BATCH; i++)
                vf_avail(&f, 1, 0);
            vf_kick(&f, 1);
            assert_true(spin_used(&f, 1, end));
        }
        printf("hvnet: %.2f us per 200-byte frame sent to the tap, in batches of 32\n",
               (secs() - t0) * 1e6 / (ROUNDS * BATCH));
        assert_int_equal(f.stats->reqs_out, 1 + ROUNDS * BATCH);
    }

    /* Receive (queue 0): a buffer of 12 + 100 bytes first, then 1600. */
    rxbuf = vf_alloc(&f, 4096, 64);
    vf_desc(&f, 0, 0, rxbuf, NET_HDR_LEN + 100, VIRTQ_DESC_F_WRITE, 0);
    vf_avail(&f, 0, 0);
    vf_kick(&f, 0);
    len = test_frame(frame, 500, 2);
    assert_int_equal(send(ps, frame, len, 0), (ssize_t)len);
    assert_true(vf_wait_errors(&f, 2));
    assert_last_error(&f, "queue 0: a frame of 500 bytes does not fit in a receive buffer of "
                          "100");
    assert_int_equal(vf_used_idx(&f, 0), 0);    /* the buffer waits for the next */
    len = test_frame(frame, 60, 3);
    assert_int_equal(send(ps, frame, len, 0), (ssize_t)len);
    assert_true(vf_wait_used(&f, 0, 1));
    vf_used_elem(&f, 0, 0, &id, &ulen);
    assert_int_equal(id, 0);
    assert_int_equal(ulen, NET_HDR_LEN + 60);
    assert_memory_equal((uint8_t *)vf_ptr(&f, rxbuf) + NET_HDR_LEN, frame, 60);
    assert_int_equal(((uint8_t *)vf_ptr(&f, rxbuf))[NET_NUM_BUFFERS_OFF], 1);
    assert_int_equal(f.stats->reqs_in, 1);
    assert_int_equal(f.stats->bytes_in, 60);
    close(ps);

    assert_int_equal(vf_stop(&f), 0);
    /* Not persistent: the tap went with hvnet. */
    assert_int_not_equal(sh("ip netns exec %s ip link show hvt0 >/dev/null 2>&1", netns), 0);
    netns_down();
}

/* --bridge: the tap joins it and is up; --queues 2: MQ and the control
 * queue, which takes 1 or 2 pairs and refuses 3. */
static void hvnet_joins_a_bridge_with_two_queue_pairs(void **state)
{
    struct vf f = { 0 };
    uint64_t cmd, ack;
    uint8_t *c;
    uint32_t u;

    (void)state;
    if (!netns_up())
        skip();
    assert_int_equal(sh("ip netns exec %s ip link add hvbr0 type bridge", netns), 0);
    net_up(&f, (const char *[]){ "--bridge", "hvbr0", "--queues", "2", NULL }, 5);
    assert_true(f.features & (1ull << 22));
    assert_true(f.features & (1ull << 17));
    assert_int_equal(vf_get_u64(&f, VU_GET_QUEUE_NUM, &(uint64_t){ 0 }), 0);
    assert_int_equal(sh("ip netns exec %s ip -o link show hvt0 | grep -q 'master hvbr0'",
                        netns), 0);
    assert_int_equal(sh("ip netns exec %s ip -o link show hvt0 | grep -q '[<,]UP[,>]'", netns),
                     0);
    /* The tap's own MAC is not the guest's. */
    assert_int_not_equal(sh("ip netns exec %s ip -o link show hvt0 | grep -q '%s'", netns,
                            GUEST_MAC), 0);

    cmd = vf_alloc(&f, 4, 4);
    ack = vf_alloc(&f, 1, 1);
    c = vf_ptr(&f, cmd);
    c[0] = 4;               /* VIRTIO_NET_CTRL_MQ */
    c[1] = 0;               /* VQ_PAIRS_SET       */
    c[2] = 2;
    c[3] = 0;
    vf_desc(&f, 4, 0, cmd, 4, VIRTQ_DESC_F_NEXT, 1);
    vf_desc(&f, 4, 1, ack, 1, VIRTQ_DESC_F_WRITE, 0);
    *(uint8_t *)vf_ptr(&f, ack) = 0xff;
    vf_avail(&f, 4, 0);
    vf_kick(&f, 4);
    assert_true(vf_wait_used(&f, 4, 1));
    assert_int_equal(*(uint8_t *)vf_ptr(&f, ack), 0);
    c[2] = 3;
    vf_avail(&f, 4, 0);
    vf_kick(&f, 4);
    assert_true(vf_wait_used(&f, 4, 2));
    assert_int_equal(*(uint8_t *)vf_ptr(&f, ack), 1);
    assert_last_error(&f, "queue 4: VIRTIO_NET_CTRL_MQ asks for 3 queue pairs (1 to 2)");
    vf_used_elem(&f, 4, 1, &u, &u);
    assert_int_equal(u, 1);
    assert_int_equal(vf_stop(&f), 0);
    netns_down();
}


/* ---- a front end nobody here wrote ----------------------------------------- */

/* Start PROGRAM --socket SOCK args... and wait until it accepts (30 s). */
static pid_t listen_backend(const char *program, const char *sock, const char *const *args)
{
    char bin[4096];
    const char *argv[16] = { bin, "--socket", sock };
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    unsigned n = 3;
    time_t end = time(NULL) + 30;
    pid_t pid;

    snprintf(bin, sizeof(bin), "%s/%s", getenv("HVCORE_BACKEND_DIR"), program);
    for (unsigned i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);

        dup2(devnull, 1);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    assert_true(strlen(sock) < sizeof(sa.sun_path));
    memcpy(sa.sun_path, sock, strlen(sock) + 1);
    /* A probe connection: served (it ends at once), then the next. */
    while (time(NULL) <= end) {
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int ok = connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0;

        close(s);
        if (ok)
            return pid;
        usleep(10000);
    }
    fail_msg("%s never listened at %s", program, sock);
    return -1;
}

/*
 * QEMU's vhost-user front ends take hvblk and hvnet: the devices realize
 * (features, protocol features, queue numbers, config space) without a
 * warning or an error, and QEMU shows them.  The guest is never started
 * (-S): the rings are tested with the test's own front end above.
 */
static void qemu_takes_hvblk_and_hvnet(void **state)
{
    char sock[PATH_MAX + 16], cmd[8192], out[16384];
    size_t k = 0, r;
    pid_t pid;
    FILE *p;
    int st;

    (void)state;
    if (sh("command -v qemu-system-x86_64 >/dev/null") != 0) {
        fprintf(stderr, "qemu-system-x86_64 not installed: skipped\n");
        skip();
    }
    make_disk();
    snprintf(sock, sizeof(sock), "%s/q.sock", tmpdir);

    pid = listen_backend("hvblk", sock, (const char *[]){ "--file", disk, "--queues", "2",
                                                          NULL });
    snprintf(cmd, sizeof(cmd), "printf 'info qtree\\nquit\\n' | timeout 60 qemu-system-x86_64 "
             "-M q35 -accel tcg -nographic -nodefaults -m 64 "
             "-object memory-backend-memfd,id=mem,size=64M,share=on -numa node,memdev=mem "
             "-chardev socket,id=c0,path=%s -device vhost-user-blk-pci,chardev=c0,num-queues=2 "
             "-S -monitor stdio 2>&1", sock);
    p = popen(cmd, "r");
    assert_non_null(p);
    while ((r = fread(out + k, 1, sizeof(out) - 1 - k, p)) > 0)
        k += r;
    out[k] = 0;
    st = pclose(p);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(sock);
    if (st != 0 || !strstr(out, "dev: vhost-user-blk,") || strstr(out, "warning") ||
        strstr(out, "error")) {
        fprintf(stderr, "qemu with hvblk: status %d:\n%s\n", st, out);
        fail();
    }
    assert_non_null(strstr(out, "num-queues = 2"));

    if (!netns_up())
        skip();
    snprintf(cmd, sizeof(cmd), "/run/netns/%s", netns);
    int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), ns = open(cmd, O_RDONLY);
    assert_int_equal(setns(ns, CLONE_NEWNET), 0);     /* hvnet's tap goes there */
    pid = listen_backend("hvnet", sock, (const char *[]){ "--mac", GUEST_MAC, "--queues", "2",
                                                          NULL });
    assert_int_equal(setns(self, CLONE_NEWNET), 0);
    close(self);
    close(ns);
    snprintf(cmd, sizeof(cmd), "printf 'info network\\nquit\\n' | timeout 60 "
             "qemu-system-x86_64 -M q35 -accel tcg -nographic -nodefaults -m 64 "
             "-object memory-backend-memfd,id=mem,size=64M,share=on -numa node,memdev=mem "
             "-chardev socket,id=c0,path=%s -netdev vhost-user,id=n0,chardev=c0,queues=2 "
             "-device virtio-net-pci,netdev=n0,mq=on,mac=%s -S -monitor stdio 2>&1", sock,
             GUEST_MAC);
    p = popen(cmd, "r");
    assert_non_null(p);
    k = 0;
    while ((r = fread(out + k, 1, sizeof(out) - 1 - k, p)) > 0)
        k += r;
    out[k] = 0;
    st = pclose(p);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    unlink(sock);
    netns_down();
    if (st != 0 || !strstr(out, "type=vhost-user,vhost-user1") || strstr(out, "warning") ||
        strstr(out, "error")) {
        fprintf(stderr, "qemu with hvnet: status %d:\n%s\n", st, out);
        fail();
    }
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "%s/test_backends.XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir))
        return -1;
    snprintf(disk, sizeof(disk), "%s/disk.img", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(disk);
    rmdir(tmpdir);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(hvblk_refuses_bad_options, kill_leftover),
        cmocka_unit_test_teardown(hvblk_reads_writes_flushes_discards, kill_leftover),
        cmocka_unit_test_teardown(hvblk_readonly_refuses_writes, kill_leftover),
        cmocka_unit_test_teardown(hvblk_refuses_bad_requests, kill_leftover),
        cmocka_unit_test_teardown(hvblk_takes_indirect_descriptors, kill_leftover),
        cmocka_unit_test_teardown(hvblk_calls_only_when_used_event_asks, kill_leftover),
        cmocka_unit_test_teardown(hvblk_batches_requests, kill_leftover),
        cmocka_unit_test_teardown(hvblk_asks_for_a_kick_when_idle, kill_leftover),
        cmocka_unit_test_teardown(hvblk_breaks_queue_on_hostile_rings, kill_leftover),
        cmocka_unit_test_teardown(hvblk_checks_messages, kill_leftover),
        cmocka_unit_test_teardown(hvblk_direct_reads_aligned_and_bounced, kill_leftover),
        cmocka_unit_test_teardown(hvblk_serves_two_queues, kill_leftover),
        cmocka_unit_test_teardown(hvblk_drops_to_user, kill_leftover),
        cmocka_unit_test_teardown(hvblk_listens_at_a_socket, kill_leftover),
        cmocka_unit_test_teardown(hvblk_signals_the_error_eventfd, kill_leftover),
        cmocka_unit_test_teardown(hvblk_locks_its_disk, kill_leftover),
        cmocka_unit_test_teardown(hvblk_serves_a_block_device, kill_leftover),
        cmocka_unit_test_teardown(man_pages_list_every_option, kill_leftover),
        cmocka_unit_test_teardown(hvnet_refuses_bad_options, kill_leftover),
        cmocka_unit_test_teardown(hvnet_moves_frames_between_guest_and_tap, kill_leftover),
        cmocka_unit_test_teardown(hvnet_joins_a_bridge_with_two_queue_pairs, kill_leftover),
        cmocka_unit_test_teardown(qemu_takes_hvblk_and_hvnet, kill_leftover),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
