/*
 * diskbench.c - block throughput and latency measured from inside the
 * guest, in integer arithmetic: one line of figures, then power off.
 */
#include "blk.h"
#include "kernel.h"
#include "lib.h"
#include "printf.h"
#include "time.h"
#include "virtio.h"
#include "workloads/disk.h"
#include "workloads/workloads.h"

static const struct mode {
    const char *name;
    uint32_t type;
    uint32_t sectors;           /* per request */
    unsigned depth;
    bool random;
} modes[] = {
    { "randread4k-qd1",  VIRTIO_BLK_T_IN,  8,    1,  true },
    { "randread4k-qd32", VIRTIO_BLK_T_IN,  8,    32, true },
    { "seqread1m",       VIRTIO_BLK_T_IN,  2048, 4,  false },
    { "seqwrite1m",      VIRTIO_BLK_T_OUT, 2048, 4,  false },
};

static struct blk disk;

static bool next_random(struct disk_job *j, uint64_t *sector, uint32_t *len)
{
    uint64_t slots = j->end / j->chunk;

    if (time_now_ns() >= j->deadline_ns)
        return false;
    j->rng ^= j->rng << 13;
    j->rng ^= j->rng >> 7;
    j->rng ^= j->rng << 17;
    *sector = (j->rng % slots) * j->chunk;
    *len = j->chunk * BLK_SECTOR;
    return true;
}

static bool next_seq_timed(struct disk_job *j, uint64_t *sector, uint32_t *len)
{
    if (time_now_ns() >= j->deadline_ns)
        return false;
    if (j->cursor + j->chunk > j->end)
        j->cursor = 0;          /* wrap around the disk */
    *sector = j->cursor;
    *len = j->chunk * BLK_SECTOR;
    j->cursor += j->chunk;
    return true;
}

/* "<int>.<2 digits>" of num/den (num * 100 must fit 64 bits). */
static void fixed2(char *out, unsigned size, uint64_t num, uint64_t den)
{
    uint64_t v = den ? (num * 100 + den / 2) / den : 0;

    ksnprintf(out, size, "%llu.%02llu", (unsigned long long)(v / 100),
              (unsigned long long)(v % 100));
}

void workload_diskbench(const char *arg)
{
    const struct mode *m = NULL;
    const char *comma = strchr(arg, ',');
    unsigned long seconds;
    struct disk_job j;
    struct vdev *d;
    char *end;
    long rc;

    for (size_t i = 0; comma && i < ARRAY_SIZE(modes); i++)
        if ((size_t)(comma - arg) == strlen(modes[i].name) &&
            strncmp(arg, modes[i].name, strlen(modes[i].name)) == 0)
            m = &modes[i];
    seconds = comma ? strtoul(comma + 1, &end, 10) : 0;
    if (!m || !seconds || *end) {
        kprintf("pvboot: usage: diskbench=<randread4k-qd1|randread4k-qd32|seqread1m|"
                "seqwrite1m>,<seconds>\n");
        return;
    }
    if (!virtio_init() || !(d = virtio_claim(HV_DEV_TYPE_BLOCK))) {
        kprintf("diskbench: no disk\n");
        return;
    }
    rc = blk_open(&disk, d, 256, 30 * NS_PER_S);
    if (rc < 0) {
        kprintf("diskbench: %s: cannot set up the device: %s (%ld)\n", d->id,
                blk_strerror(rc), rc);
        return;
    }
    if (disk.capacity < m->sectors || (m->type == VIRTIO_BLK_T_OUT && disk.readonly)) {
        kprintf("diskbench: %s: disk too small or read-only\n", disk.id);
        return;
    }
    memset(&j, 0, sizeof(j));
    j.b = &disk;
    j.type = m->type;
    j.depth = m->depth;
    j.chunk = m->sectors;
    j.max_bytes = m->sectors * BLK_SECTOR;
    j.end = disk.capacity;
    j.rng = rdtsc() | 1;
    j.next = m->random ? next_random : next_seq_timed;
    /* Writes carry whatever the buffers hold: filling them is not what
     * is measured. */
    uint64_t kicks0 = d->kicks, blocks0 = d->blocks;
    uint64_t t0 = time_now_ns();
    j.deadline_ns = t0 + seconds * NS_PER_S;
    rc = disk_job_run(&j);
    uint64_t ns = time_now_ns() - t0;
    if (rc < 0) {
        kprintf("diskbench: %s: %s at sector %llu\n", disk.id, blk_strerror(rc),
                (unsigned long long)j.error_sector);
        return;
    }
    uint64_t kicks = d->kicks - kicks0, blocks = d->blocks - blocks0;
    /* 64-bit integer math all the way (no 128-bit division here):
     * KiB * 1e9 fits for any run shorter than a few days. */
    uint64_t iops = ns ? j.reqs * NS_PER_S / ns : 0;
    uint64_t kib_s = ns ? (j.bytes >> 10) * NS_PER_S / ns : 0;
    char mibs[32], exits[32];
    fixed2(mibs, sizeof(mibs), kib_s, 1024);
    fixed2(exits, sizeof(exits), kicks + blocks, j.reqs);
    kprintf("diskbench: %s %s: %llu requests, %llu bytes, %llu ns, %llu IOPS, %s MiB/s, "
            "%llu notifies, %llu blocks, %s exits/request\n",
            m->name, disk.id, (unsigned long long)j.reqs, (unsigned long long)j.bytes,
            (unsigned long long)ns, (unsigned long long)iops, mibs,
            (unsigned long long)kicks, (unsigned long long)blocks, exits);
}
