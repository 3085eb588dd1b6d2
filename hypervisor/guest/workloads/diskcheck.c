/*
 * diskcheck.c - write a per-sector pattern across every disk, flush, read
 * it back and verify it; one line per disk and a verdict, then power off.
 */
#include "blk.h"
#include "kernel.h"
#include "lib.h"
#include "printf.h"
#include "time.h"
#include "virtio.h"
#include "workloads/disk.h"
#include "workloads/workloads.h"

#define DISK_OPEN_NS (30 * NS_PER_S)

static struct blk disks[HV_DEV_MAX];

/* The device's serial (GET_ID), printable, or "-". */
void disk_serial(struct blk *b, char *out, unsigned size)
{
    static char id[VIRTIO_BLK_ID_BYTES + 1];
    unsigned n = 0;

    memset(id, 0, sizeof(id));
    if (blk_io(b, VIRTIO_BLK_T_GET_ID, 0, id, VIRTIO_BLK_ID_BYTES) < 0) {
        ksnprintf(out, size, "-");
        return;
    }
    for (unsigned i = 0; i < VIRTIO_BLK_ID_BYTES && id[i] && n + 1 < size; i++)
        out[n++] = id[i] > ' ' && id[i] < 0x7f ? id[i] : '?';
    out[n] = '\0';
    if (!n)
        ksnprintf(out, size, "-");
}

/* Read the whole range; a write to its first sector must be refused. */
static bool check_readonly(struct blk *b, uint64_t count)
{
    static uint8_t sector[BLK_SECTOR];
    struct disk_job j;
    long rc;

    memset(&j, 0, sizeof(j));
    j.b = b;
    j.depth = 8;
    j.chunk = 256;
    j.max_bytes = j.chunk * BLK_SECTOR;
    j.next = disk_next_seq;
    j.type = VIRTIO_BLK_T_IN;
    j.end = count;
    rc = disk_job_run(&j);
    if (rc < 0) {
        kprintf("diskcheck: %s FAILED: read at sector %llu: %s\n", b->id,
                (unsigned long long)j.error_sector, blk_strerror(rc));
        return false;
    }
    rc = blk_io(b, VIRTIO_BLK_T_IN, 0, sector, BLK_SECTOR);
    if (rc == 0)
        rc = blk_io(b, VIRTIO_BLK_T_OUT, 0, sector, BLK_SECTOR);
    if (rc == 0) {
        kprintf("diskcheck: %s FAILED: read-only disk accepted a write\n", b->id);
        return false;
    }
    if (rc != -HVE_IO && rc != -HVE_NOSYS) {
        kprintf("diskcheck: %s FAILED: write: %s\n", b->id, blk_strerror(rc));
        return false;
    }
    kprintf("diskcheck: %s ok: read-only, %llu sectors read, write refused (%s)\n", b->id,
            (unsigned long long)count, blk_strerror(rc));
    return true;
}

/* Write the pattern over the 8 sectors at `at` again, and flush. */
static long rewrite(struct blk *b, uint64_t at, uint32_t gen)
{
    static uint8_t sectors[8 * BLK_SECTOR] __attribute__((aligned(4096)));
    struct disk_job j;
    long rc;

    memset(&j, 0, sizeof(j));
    j.gen = gen;
    j.boot = start_info->boot_count;
    disk_fill_pattern(&j, sectors, at, sizeof(sectors));
    rc = blk_io(b, VIRTIO_BLK_T_OUT, at, sectors, sizeof(sectors));
    if (rc == 0 && b->can_flush)
        rc = blk_io(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
    return rc;
}

static bool check_disk(struct blk *b, uint64_t limit_mib)
{
    uint64_t count = b->capacity;
    uint32_t gen = disk_new_generation();
    char serial[VIRTIO_BLK_ID_BYTES + 1];
    char why[200];
    const char *discard = "discard not offered";
    long rc;

    if (limit_mib && count > limit_mib * 2048)
        count = limit_mib * 2048;
    disk_serial(b, serial, sizeof(serial));
    kprintf("diskcheck: %s: %llu sectors, %s, serial %s, queue %u\n", b->id,
            (unsigned long long)b->capacity, b->readonly ? "read-only" : "read-write",
            serial, b->queue_size);
    if (count == 0) {
        kprintf("diskcheck: %s FAILED: empty disk\n", b->id);
        return false;
    }
    if (b->readonly)
        return check_readonly(b, count);
    rc = disk_verify_pass(b, 0, count, gen, why, sizeof(why));
    if (rc != 0) {
        kprintf("diskcheck: %s FAILED: %s\n", b->id, why);
        return false;
    }
    if (b->can_discard) {
        /* Past the checked range if there is room, else its last 8
         * sectors, written again afterwards: the pattern stays whole for
         * whoever looks at the image. */
        uint64_t at = count + 8 <= b->capacity ? count : count - 8;
        rc = blk_io(b, VIRTIO_BLK_T_DISCARD, at, NULL, 8 * BLK_SECTOR);
        if (rc != 0 && rc != -HVE_NOSYS) {
            kprintf("diskcheck: %s FAILED: discard: %s\n", b->id, blk_strerror(rc));
            return false;
        }
        discard = rc == 0 ? "discard ok" : "discard unsupported";
        if (rc == 0 && at < count && (rc = rewrite(b, at, gen)) != 0) {
            kprintf("diskcheck: %s FAILED: write after discard: %s\n", b->id,
                    blk_strerror(rc));
            return false;
        }
    }
    kprintf("diskcheck: %s ok: %llu sectors written, flushed, read back and verified, %s "
            "(gen 0x%08x, boot %u)\n",
            b->id, (unsigned long long)count, discard, gen, start_info->boot_count);
    return true;
}

void workload_diskcheck(const char *arg)
{
    uint64_t limit_mib = 0;
    unsigned n = 0, failed = 0;
    char *end;

    if (*arg) {
        limit_mib = strtoul(arg, &end, 10);
        if (*end || !limit_mib) {
            kprintf("pvboot: usage: diskcheck[=<MiB>]\n");
            return;
        }
    }
    if (!virtio_init()) {
        kprintf("diskcheck: no device page\n");
        return;
    }
    for (struct vdev *d; (d = virtio_claim(HV_DEV_TYPE_BLOCK)) && n < HV_DEV_MAX;) {
        struct blk *b = &disks[n++];
        long rc = blk_open(b, d, 128, DISK_OPEN_NS);

        if (rc < 0) {
            kprintf("diskcheck: %s FAILED: cannot set up the device: %s (%ld)\n", d->id,
                    blk_strerror(rc), rc);
            failed++;
            continue;
        }
        if (!check_disk(b, limit_mib))
            failed++;
    }
    kprintf("diskcheck: %u disks, %u ok, %u failed\n", n, n - failed, failed);
}
