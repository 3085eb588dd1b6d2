/*
 * disk.c - the request pipeline and check pattern of the disk workloads.
 */
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "printf.h"
#include "time.h"
#include "workloads/disk.h"

#define PATTERN_MAGIC 0x6b64746f6f627670ULL  /* "pvbootdk" */

/* Spin this long on the used ring before blocking: a back end that
 * answers within it costs no exit at all, and a back end that is still
 * polling its queue keeps polling (it is kicked at once, not after a
 * block and wake-up).  KVM's halt polling waits 200 us for the same
 * reason.  20 us measured 6-30k IOPS at depth 1 on hvblk/tmpfs, 100 us
 * 140-620k: the two sides stay in their polling loops. */
#define DISK_SPIN_NS (100 * NS_PER_US)

static struct blk_req slots[DISK_MAX_DEPTH];
static uint64_t slot_sector[DISK_MAX_DEPTH];
static bool slot_busy[DISK_MAX_DEPTH];

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t pattern_word(uint64_t sector, unsigned k, uint32_t gen, uint32_t boot)
{
    switch (k) {
    case 0:
        return PATTERN_MAGIC;
    case 1:
        return sector;
    case 2:
        return (uint64_t)gen << 32 | boot;
    default:
        return splitmix64(sector * 64 + k + ((uint64_t)gen << 40) + ((uint64_t)boot << 20));
    }
}

void disk_fill_pattern(struct disk_job *j, void *buf, uint64_t sector, uint32_t len)
{
    uint64_t *w = buf;

    for (uint32_t s = 0; s < len / BLK_SECTOR; s++)
        for (unsigned k = 0; k < BLK_SECTOR / 8; k++)
            *w++ = pattern_word(sector + s, k, j->gen, j->boot);
}

bool disk_check_pattern(struct disk_job *j, const void *buf, uint64_t sector, uint32_t len)
{
    const uint64_t *w = buf;

    for (uint32_t s = 0; s < len / BLK_SECTOR; s++) {
        for (unsigned k = 0; k < BLK_SECTOR / 8; k++, w++) {
            uint64_t want = pattern_word(sector + s, k, j->gen, j->boot);

            if (*w == want)
                continue;
            ksnprintf(j->why, sizeof(j->why),
                      "sector %llu word %u: want 0x%016llx got 0x%016llx",
                      (unsigned long long)(sector + s), k, (unsigned long long)want,
                      (unsigned long long)*w);
            return false;
        }
    }
    return true;
}

bool disk_next_seq(struct disk_job *j, uint64_t *sector, uint32_t *len)
{
    uint64_t left;

    if (j->cursor >= j->end)
        return false;
    left = j->end - j->cursor;
    *sector = j->cursor;
    *len = (uint32_t)((left < j->chunk ? left : j->chunk) * BLK_SECTOR);
    j->cursor += *len / BLK_SECTOR;
    return true;
}

uint32_t disk_new_generation(void)
{
    return (uint32_t)splitmix64(rdtsc() ^ ((uint64_t)start_info->domid << 48)) | 1;
}

static int free_slot(unsigned depth)
{
    for (unsigned i = 0; i < depth; i++)
        if (!slot_busy[i])
            return (int)i;
    return -1;
}

long disk_job_run(struct disk_job *j)
{
    uint64_t pages = ((uint64_t)j->depth * j->max_bytes + HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT;
    unsigned in_flight = 0;
    bool more = true;
    uint8_t *pool;
    long pfn;

    if (j->depth == 0 || j->depth > DISK_MAX_DEPTH)
        return -HVE_INVAL;
    pfn = mm_alloc_pages(pages);
    if (pfn < 0) {
        j->error = pfn;
        return pfn;
    }
    pool = pfn_to_ptr((uint64_t)pfn);
    memset(slot_busy, 0, sizeof(slot_busy));
    j->reqs = j->bytes = 0;
    j->error = 0;
    j->mismatch = false;
    while (more || in_flight) {
        unsigned done = 0;
        int i;

        while (more && (i = free_slot(j->depth)) >= 0) {
            struct blk_req *r = &slots[i];
            uint64_t sector;
            uint32_t len;

            if (!j->next(j, &sector, &len)) {
                more = false;
                break;
            }
            memset(r, 0, sizeof(*r));
            r->type = j->type;
            r->sector = sector;
            r->buf = pool + (uint64_t)i * j->max_bytes;
            r->len = len;
            if (j->type == VIRTIO_BLK_T_OUT && j->fill)
                j->fill(j, r->buf, sector, len);
            slot_sector[i] = sector;
            slot_busy[i] = true;
            in_flight++;
            blk_submit(j->b, r);
        }
        blk_kick(j->b);
        /* Spin a little, then block. */
        uint64_t spin_end = time_now_ns() + DISK_SPIN_NS;
        for (;;) {
            blk_poll(j->b);
            for (unsigned k = 0; k < j->depth; k++) {
                struct blk_req *r = &slots[k];

                if (!slot_busy[k] || !r->done)
                    continue;
                slot_busy[k] = false;
                in_flight--;
                done++;
                if (r->result < 0) {
                    if (!j->error) {
                        j->error = r->result;
                        j->error_sector = slot_sector[k];
                    }
                    more = false;
                    continue;
                }
                if (j->type == VIRTIO_BLK_T_IN && j->check && !j->mismatch &&
                    !j->check(j, r->buf, r->sector, r->len)) {
                    j->mismatch = true;
                    more = false;
                }
                j->reqs++;
                j->bytes += r->len;
            }
            if (done || !in_flight || time_now_ns() >= spin_end)
                break;
            cpu_relax();
        }
        if (!done && in_flight)
            blk_wait_any(j->b);
    }
    mm_free_pages((uint64_t)pfn, pages);
    if (j->error)
        return j->error;
    return j->mismatch ? 1 : 0;
}

long disk_verify_pass(struct blk *b, uint64_t first, uint64_t count, uint32_t gen,
                      char *why, unsigned why_size)
{
    struct disk_job j;
    long rc;

    memset(&j, 0, sizeof(j));
    j.b = b;
    j.depth = 8;
    j.chunk = 256;              /* 128 KiB */
    j.max_bytes = j.chunk * BLK_SECTOR;
    j.next = disk_next_seq;
    j.fill = disk_fill_pattern;
    j.check = disk_check_pattern;
    j.gen = gen;
    j.boot = start_info->boot_count;

    j.type = VIRTIO_BLK_T_OUT;
    j.cursor = first;
    j.end = first + count;
    rc = disk_job_run(&j);
    if (rc < 0) {
        ksnprintf(why, why_size, "write at sector %llu: %s",
                  (unsigned long long)j.error_sector, blk_strerror(rc));
        return rc;
    }
    if (b->can_flush) {
        rc = blk_io(b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0);
        if (rc < 0) {
            ksnprintf(why, why_size, "flush: %s", blk_strerror(rc));
            return rc;
        }
    }
    j.type = VIRTIO_BLK_T_IN;
    j.cursor = first;
    rc = disk_job_run(&j);
    if (rc < 0) {
        ksnprintf(why, why_size, "read at sector %llu: %s",
                  (unsigned long long)j.error_sector, blk_strerror(rc));
        return rc;
    }
    if (rc > 0) {
        ksnprintf(why, why_size, "%s", j.why);
        return 1;
    }
    return 0;
}
