/*
 * test_hvblk.c - hvblk, the in-tree block back end, driven by the test's
 * vhost-user front end (vu_front.c) on a file in a temporary directory:
 * its options and their errors word for word, read, write, flush,
 * discard, write-zeroes and get-id checked in the file and the counters,
 * read-only and past-the-end refusals, indirect descriptors, O_DIRECT,
 * two queues, --user, the disk lock, a block device, and QEMU as a front
 * end nobody here wrote.
 */
#include <linux/magic.h>
#include <sys/statfs.h>

#include "backend_test.h"

/* ---- options --------------------------------------------------------- */

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


/* A file in tmpfs is read and written in place (no io_uring: tmpfs would
 * hand every request to a worker thread); the results are the same. */
static void hvblk_serves_a_tmpfs_file(void **state)
{
    struct vf f = { 0 };
    char saved[sizeof(disk)];
    uint8_t buf[8192], back[8192];
    struct statfs fs;
    int fd;

    (void)state;
    if (statfs("/dev/shm", &fs) < 0 || fs.f_type != TMPFS_MAGIC) {
        fprintf(stderr, "no tmpfs at /dev/shm: skipped\n");
        skip();
    }
    memcpy(saved, disk, sizeof(disk));
    snprintf(disk, sizeof(disk), "/dev/shm/test_hvblk.%d.img", (int)getpid());
    blk_up(&f, NULL);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 3, buf, 1024), VIRTIO_BLK_S_OK);
    assert_int_equal(buf[0], 4);
    assert_int_equal(buf[1023], 5);
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 13);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_OUT, 40, buf, sizeof(buf)), VIRTIO_BLK_S_OK);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VIRTIO_BLK_S_OK);
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, 40, back, sizeof(back)), VIRTIO_BLK_S_OK);
    assert_memory_equal(buf, back, sizeof(buf));
    fd = open(disk, O_RDONLY);
    assert_int_equal(pread(fd, back, sizeof(back), 40 * 512), sizeof(back));
    close(fd);
    assert_memory_equal(buf, back, sizeof(buf));
    assert_int_equal(blk_req(&f, VIRTIO_BLK_T_IN, DISK_SECTORS, buf, 512), VIRTIO_BLK_S_IOERR);
    assert_int_equal(f.stats->reqs_in, 2);
    assert_int_equal(f.stats->reqs_out, 1);
    assert_int_equal(f.stats->bytes_in, 1024 + sizeof(back));
    assert_int_equal(vf_stop(&f), 0);
    unlink(disk);
    memcpy(disk, saved, sizeof(disk));
}

/* ---- a front end nobody here wrote ----------------------------------------- */

/*
 * QEMU's vhost-user-blk-pci takes hvblk: the device realizes (features,
 * protocol features, queue number, config space) without a warning or
 * an error, and QEMU shows it.  The guest is never started (-S): the
 * rings are tested with the test's own front end.
 */
static void qemu_takes_hvblk(void **state)
{
    char sock[PATH_MAX + 16], cmd[8192], out[16384];
    pid_t pid;
    int st;

    (void)state;
    require_qemu();
    make_disk();
    snprintf(sock, sizeof(sock), "%s/q.sock", tmpdir);

    pid = listen_backend("hvblk", sock, (const char *[]){ "--file", disk, "--queues", "2",
                                                          NULL });
    snprintf(cmd, sizeof(cmd), "printf 'info qtree\\nquit\\n' | timeout 60 qemu-system-x86_64 "
             "-M q35 -accel tcg -nographic -nodefaults -m 64 "
             "-object memory-backend-memfd,id=mem,size=64M,share=on -numa node,memdev=mem "
             "-chardev socket,id=c0,path=%s -device vhost-user-blk-pci,chardev=c0,num-queues=2 "
             "-S -monitor stdio 2>&1", sock);
    st = run_output(cmd, out, sizeof(out));
    stop_backend(pid, sock);
    if (st != 0 || !strstr(out, "dev: vhost-user-blk,") || strstr(out, "warning") ||
        strstr(out, "error")) {
        fprintf(stderr, "qemu with hvblk: status %d:\n%s\n", st, out);
        fail();
    }
    assert_non_null(strstr(out, "num-queues = 2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(hvblk_refuses_bad_options, kill_leftover),
        cmocka_unit_test_teardown(hvblk_reads_writes_flushes_discards, kill_leftover),
        cmocka_unit_test_teardown(hvblk_readonly_refuses_writes, kill_leftover),
        cmocka_unit_test_teardown(hvblk_refuses_bad_requests, kill_leftover),
        cmocka_unit_test_teardown(hvblk_takes_indirect_descriptors, kill_leftover),
        cmocka_unit_test_teardown(hvblk_direct_reads_aligned_and_bounced, kill_leftover),
        cmocka_unit_test_teardown(hvblk_serves_two_queues, kill_leftover),
        cmocka_unit_test_teardown(hvblk_drops_to_user, kill_leftover),
        cmocka_unit_test_teardown(hvblk_locks_its_disk, kill_leftover),
        cmocka_unit_test_teardown(hvblk_serves_a_block_device, kill_leftover),
        cmocka_unit_test_teardown(hvblk_serves_a_tmpfs_file, kill_leftover),
        cmocka_unit_test_teardown(qemu_takes_hvblk, kill_leftover),
    };

    return cmocka_run_group_tests(tests, bt_setup, bt_teardown);
}
