/*
 * hostile_virtq.c - malformed virtqueue requests against the first disk:
 * descriptor loops, chains longer than the queue, buffers below 1 MiB or
 * past the end of RAM, lengths that wrap, nested and oversized indirect
 * tables, sectors past the end of the disk, an avail index far ahead.
 * For each: what the device did (an error status, or a broken queue ->
 * NEEDS_RESET), then a reset and a good request to prove it still works.
 * The rings are written by hand here: virtio.c never builds these.
 */
#include "blk.h"
#include "evtchn.h"
#include "kernel.h"
#include "lib.h"
#include "printf.h"
#include "time.h"
#include "virtio.h"
#include "workloads/workloads.h"

#define QSIZE 16
#define ANSWER_NS (3 * NS_PER_S)

enum outcome { O_IOERR, O_UNSUPP, O_RESET, O_NO_STATUS, O_SILENT, O_ACCEPTED, O_GONE, O_NR };

static const char *const outcome_name[O_NR] = {
    [O_IOERR] = "IOERR",
    [O_UNSUPP] = "UNSUPP",
    [O_RESET] = "queue broken, NEEDS_RESET",
    [O_NO_STATUS] = "completed without a status",
    [O_SILENT] = "no answer",
    [O_ACCEPTED] = "ACCEPTED",
    [O_GONE] = "device gone",
};

/* Buffers the requests point at: header, 8 sectors of data, status, and
 * room for indirect tables. */
static struct {
    struct virtio_blk_outhdr hdr;
    uint8_t pad[4096 - sizeof(struct virtio_blk_outhdr)];
    uint8_t data[4096];
    struct vring_desc table[4 * QSIZE];
    volatile uint8_t status;
} __attribute__((aligned(4096))) buf;

static struct blk disk;

/* What a device must never write: compared before and after. */
static uint8_t hypercall_copy[HV_PAGE_SIZE], start_info_copy[HV_PAGE_SIZE];

static uint64_t addr_of(const volatile void *p)
{
    return (uint64_t)(uintptr_t)p;
}

static uint64_t ram_end(void)
{
    return start_info->nr_pages << HV_PAGE_SHIFT;
}

static void set_desc(struct vring_desc *d, uint64_t addr, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    d->addr = addr;
    d->len = len;
    d->flags = flags;
    d->next = next;
}

/* A read of `sectors` at `sector` as hdr/data/status descriptors 0-2. */
static void good_chain(struct vq *q, uint64_t sector, uint32_t len)
{
    buf.hdr.type = VIRTIO_BLK_T_IN;
    buf.hdr.reserved = 0;
    buf.hdr.sector = sector;
    set_desc(&q->desc[0], addr_of(&buf.hdr), sizeof(buf.hdr), VRING_DESC_F_NEXT, 1);
    set_desc(&q->desc[1], addr_of(buf.data), len, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
    set_desc(&q->desc[2], addr_of(&buf.status), 1, VRING_DESC_F_WRITE, 0);
}

/* The same three in an indirect table; descriptor 0 points at it. */
static void indirect_chain(struct vq *q, unsigned entries)
{
    struct vring_desc *t = buf.table;

    buf.hdr.type = VIRTIO_BLK_T_IN;
    buf.hdr.sector = 0;
    set_desc(&t[0], addr_of(&buf.hdr), sizeof(buf.hdr), VRING_DESC_F_NEXT, 1);
    for (unsigned i = 1; i + 1 < entries; i++)
        set_desc(&t[i], addr_of(buf.data), BLK_SECTOR, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
                 (uint16_t)(i + 1));
    set_desc(&t[entries - 1], addr_of(&buf.status), 1, VRING_DESC_F_WRITE, 0);
    set_desc(&q->desc[0], addr_of(t), 16 * entries, VRING_DESC_F_INDIRECT, 0);
}

struct hcase {
    const char *name;
    /* Builds the request in q; returns the head to publish. */
    uint16_t (*build)(struct vq *q, struct blk *b);
    uint16_t avail_extra;       /* move avail idx this much further */
    bool lenient;               /* harmless to accept: the spec only
                                 * forbids the driver to send it */
};

static uint16_t c_loop(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, BLK_SECTOR);
    q->desc[2].flags |= VRING_DESC_F_NEXT;
    q->desc[2].next = 0;        /* 0 -> 1 -> 2 -> 0 ... */
    return 0;
}

static uint16_t c_next_out_of_range(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, BLK_SECTOR);
    q->desc[1].next = (uint16_t)(q->size + 5);
    return 0;
}

static uint16_t c_head_out_of_range(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, BLK_SECTOR);
    return (uint16_t)(q->size + 3);
}

static uint16_t c_chain_longer_than_queue(struct vq *q, struct blk *b)
{
    (void)b;
    indirect_chain(q, 2u * q->size + 2);
    return 0;
}

static uint16_t c_data_below_1mib(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, BLK_SECTOR);
    q->desc[1].addr = HV_PRIVATE_START + 0x1000;   /* hvcore's page tables */
    return 0;
}

static uint16_t c_header_in_start_info(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, BLK_SECTOR);
    q->desc[0].addr = HV_START_INFO_PAGE;
    return 0;
}

static uint16_t c_status_in_hypercall_page(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, BLK_SECTOR);
    q->desc[2].addr = HV_HYPERCALL_PAGE;
    return 0;
}

static uint16_t c_data_past_ram(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, BLK_SECTOR);
    q->desc[1].addr = ram_end();
    return 0;
}

static uint16_t c_data_straddles_ram_end(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, 4096);
    q->desc[1].addr = ram_end() - 512;
    return 0;
}

static uint16_t c_length_wraps(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, 0x2000);
    q->desc[1].addr = 0xfffffffffffff000ULL;
    return 0;
}

static uint16_t c_huge_length(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, 0xfffffe00u);  /* a sector multiple, past RAM */
    return 0;
}

static uint16_t c_indirect_nested(struct vq *q, struct blk *b)
{
    (void)b;
    indirect_chain(q, 3);
    buf.table[1].flags |= VRING_DESC_F_INDIRECT;
    buf.table[1].addr = addr_of(buf.table);
    buf.table[1].len = 3 * 16;
    return 0;
}

static uint16_t c_indirect_bad_len(struct vq *q, struct blk *b)
{
    (void)b;
    indirect_chain(q, 3);
    q->desc[0].len = 3 * 16 + 5;
    return 0;
}

static uint16_t c_indirect_past_ram(struct vq *q, struct blk *b)
{
    (void)b;
    indirect_chain(q, 3);
    q->desc[0].addr = ram_end() - 16;
    return 0;
}

static uint16_t c_indirect_with_next(struct vq *q, struct blk *b)
{
    (void)b;
    indirect_chain(q, 3);
    q->desc[0].flags |= VRING_DESC_F_NEXT;
    q->desc[0].next = 0;
    return 0;
}

static uint16_t c_sector_past_end(struct vq *q, struct blk *b)
{
    good_chain(q, b->capacity, BLK_SECTOR);
    return 0;
}

static uint16_t c_sector_straddles_end(struct vq *q, struct blk *b)
{
    good_chain(q, b->capacity - 1, 2 * BLK_SECTOR);
    return 0;
}

static uint16_t c_sector_wraps(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, ~0ULL - 1, 4096);
    return 0;
}

static uint16_t c_header_writable(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, BLK_SECTOR);
    q->desc[0].flags |= VRING_DESC_F_WRITE;
    return 0;
}

static uint16_t c_no_status(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, BLK_SECTOR);
    q->desc[0].flags = 0;       /* the header alone */
    return 0;
}

static uint16_t c_bad_type(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, BLK_SECTOR);
    buf.hdr.type = 0x7fff;
    return 0;
}

static uint16_t c_avail_far_ahead(struct vq *q, struct blk *b)
{
    (void)b;
    good_chain(q, 0, BLK_SECTOR);
    return 0;
}

static const struct hcase cases[] = {
    { "descriptor loop", c_loop, 0, false },
    { "next index past the queue", c_next_out_of_range, 0, false },
    { "head index past the queue", c_head_out_of_range, 0, false },
    { "chain longer than the queue (indirect)", c_chain_longer_than_queue, 0, true },
    { "data in hvcore's page tables (below 1 MiB)", c_data_below_1mib, 0, false },
    { "header in the start-info page", c_header_in_start_info, 0, false },
    { "status in the hypercall page", c_status_in_hypercall_page, 0, false },
    { "data past the end of RAM", c_data_past_ram, 0, false },
    { "data across the end of RAM", c_data_straddles_ram_end, 0, false },
    { "address + length wraps", c_length_wraps, 0, false },
    { "length 4 GiB - 512", c_huge_length, 0, false },
    { "indirect table inside an indirect table", c_indirect_nested, 0, false },
    { "indirect table length not a multiple of 16", c_indirect_bad_len, 0, false },
    { "indirect table past the end of RAM", c_indirect_past_ram, 0, false },
    { "indirect descriptor with NEXT", c_indirect_with_next, 0, true },
    { "sector past the end of the disk", c_sector_past_end, 0, false },
    { "request across the end of the disk", c_sector_straddles_end, 0, false },
    { "sector number wraps", c_sector_wraps, 0, false },
    { "device-writable header", c_header_writable, 0, false },
    { "header without data or status", c_no_status, 0, false },
    { "unknown request type", c_bad_type, 0, false },
    /* The head at the old index is a good request: a back end that serves
     * it before it looks at how far the index moved (qemu-storage-daemon
     * now and then) harms nothing, as long as it serves no more. */
    { "avail index far ahead", c_avail_far_ahead, QSIZE + 5, true },
};

static enum outcome await(struct vdev *d, struct vq *q)
{
    uint64_t deadline = time_now_ns() + ANSWER_NS;

    for (;;) {
        virtio_scan(false);
        if (d->gone)
            return O_GONE;
        if (d->needs_reset || d->state == HV_DEV_STATE_NEEDS_RESET)
            return O_RESET;
        if (READ_ONCE(q->used->idx) != q->last_used) {
            barrier();
            switch (buf.status) {
            case VIRTIO_BLK_S_OK:
                return O_ACCEPTED;
            case VIRTIO_BLK_S_IOERR:
                return O_IOERR;
            case VIRTIO_BLK_S_UNSUPP:
                return O_UNSUPP;
            default:
                return O_NO_STATUS;
            }
        }
        if (time_now_ns() >= deadline)
            return O_SILENT;
        vdev_wait(d, deadline);
    }
}

static enum outcome run_case(const struct hcase *c, struct blk *b)
{
    struct vdev *d = b->dev;
    struct vq *q = &d->vq[0];
    uint16_t head;

    memset((void *)&buf, 0, sizeof(buf));
    buf.status = 0xff;
    head = c->build(q, b);
    q->avail->ring[q->avail_idx & (q->size - 1)] = head;
    barrier();
    q->avail_idx = (uint16_t)(q->avail_idx + 1 + c->avail_extra);
    WRITE_ONCE(q->avail->idx, q->avail_idx);
    __asm__ volatile("mfence" ::: "memory");
    hc_dev_notify(q->qid);
    return await(d, q);
}

/* Reset (the ring is in a state only a reset clears), then one read. */
static long good_request(struct blk *b)
{
    static uint8_t sector[BLK_SECTOR];
    long rc = vdev_restart(b->dev, NULL, NULL, 30 * NS_PER_S);

    b->in_flight = 0;
    if (rc < 0)
        return rc;
    return blk_io(b, VIRTIO_BLK_T_IN, 0, sector, BLK_SECTOR);
}

void workload_hostile_virtq(const char *arg)
{
    unsigned count[O_NR] = { 0 };
    unsigned good_failed = 0, n = 0, suspicious = 0;
    bool pages_ok;
    struct vdev *d;
    long rc;

    if (*arg && strcmp(arg, "stay") != 0) {
        kprintf("pvboot: usage: hostile-virtq[=stay]\n");
        return;
    }
    if (!virtio_init() || !(d = virtio_claim(HV_DEV_TYPE_BLOCK))) {
        kprintf("hostile-virtq: no disk\n");
        return;
    }
    rc = blk_open(&disk, d, QSIZE, 30 * NS_PER_S);
    if (rc < 0 || disk.capacity < 16) {
        kprintf("hostile-virtq: %s: cannot set up the device (%ld)\n", d->id, rc);
        return;
    }
    memcpy(hypercall_copy, (const void *)HV_HYPERCALL_PAGE, HV_PAGE_SIZE);
    memcpy(start_info_copy, (const void *)HV_START_INFO_PAGE, HV_PAGE_SIZE);
    kprintf("hostile-virtq: %s: %llu sectors, queue %u, %zu cases\n", disk.id,
            (unsigned long long)disk.capacity, disk.queue_size, ARRAY_SIZE(cases));
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        enum outcome o = run_case(&cases[i], &disk);

        count[o]++;
        n++;
        if (o == O_ACCEPTED && !cases[i].lenient)
            suspicious++;
        if (o == O_GONE) {
            kprintf("hostile-virtq: %s: device gone\n", cases[i].name);
            break;
        }
        rc = good_request(&disk);
        if (rc != 0)
            good_failed++;
        kprintf("hostile-virtq: %s: %s%s; good request %s\n", cases[i].name, outcome_name[o],
                o == O_ACCEPTED && cases[i].lenient ? " (allowed)" : "",
                rc == 0 ? "ok" : blk_strerror(rc));
    }
    pages_ok = memcmp(hypercall_copy, (const void *)HV_HYPERCALL_PAGE, HV_PAGE_SIZE) == 0 &&
               memcmp(start_info_copy, (const void *)HV_START_INFO_PAGE, HV_PAGE_SIZE) == 0;
    kprintf("hostile-virtq: %u cases: %u IOERR, %u UNSUPP, %u NEEDS_RESET, %u no status, "
            "%u no answer, %u ACCEPTED (%u suspicious), %u good requests failed; "
            "fixed pages %s; device %s\n",
            n, count[O_IOERR], count[O_UNSUPP], count[O_RESET], count[O_NO_STATUS],
            count[O_SILENT], count[O_ACCEPTED], suspicious, good_failed,
            pages_ok ? "unchanged" : "CHANGED",
            good_failed || count[O_GONE] ? "NOT usable" : "usable");
    /* "stay": keep the domain (and its device) for the toolstack to
     * look at; a shutdown request ends it. */
    if (strcmp(arg, "stay") == 0)
        idle_forever();
}
