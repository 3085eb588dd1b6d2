/*
 * diskio.c - verify passes over every disk, for ever: the workload of the
 * hot-plug and back-end-crash tests.  Disks attached while it runs are
 * taken up, removed ones reported and dropped; a device that needs a
 * reset is reset and its requests resubmitted inside the pass.  'q' on
 * the console (or a shutdown request) ends it.
 */
#include "blk.h"
#include "console.h"
#include "evtchn.h"
#include "kernel.h"
#include "lib.h"
#include "printf.h"
#include "time.h"
#include "virtio.h"
#include "workloads/disk.h"
#include "workloads/workloads.h"

#define DISKIO_DEFAULT_MIB 4
/* 16 entries: 8 requests of 3 segments in flight do not fit, so the
 * later ones go as indirect descriptors and both paths stay in use. */
#define DISKIO_QUEUE 16
#define DISKIO_OPEN_NS (30 * NS_PER_S)
/* A breath between rounds, so that the console is not flooded. */
#define DISKIO_PAUSE_NS (20 * NS_PER_MS)

struct disk {
    bool active;
    struct blk b;
    uint64_t passes;
    uint64_t resets_seen;
};

static struct disk disks[HV_DEV_MAX];
static uint64_t rounds;

static void console_event(unsigned port, void *arg)
{
    (void)port;
    (void)arg;                  /* waking up is all it takes */
}

/* 'q' typed: stop. */
static bool stop_requested(void)
{
    int c;

    while ((c = console_getc()) >= 0)
        if (c == 'q')
            return true;
    return false;
}

static void take_new_disks(void)
{
    struct vdev *d;

    while ((d = virtio_claim(HV_DEV_TYPE_BLOCK))) {
        struct disk *k = &disks[d->slot];
        long rc;

        memset(k, 0, sizeof(*k));
        rc = blk_open(&k->b, d, DISKIO_QUEUE, DISKIO_OPEN_NS);
        if (rc < 0) {
            kprintf("diskio: %s: cannot set up the device: %s (%ld)\n", d->id,
                    blk_strerror(rc), rc);
            blk_close(&k->b);
            continue;
        }
        k->active = true;
        kprintf("diskio: %s: attached, %llu sectors, %s\n", k->b.id,
                (unsigned long long)k->b.capacity, k->b.readonly ? "read-only" : "read-write");
    }
}

static void drop(struct disk *k)
{
    kprintf("diskio: %s: removed after %llu passes\n", k->b.id, (unsigned long long)k->passes);
    blk_close(&k->b);
    k->active = false;
}

static void pass(struct disk *k, uint64_t limit_sectors)
{
    struct blk *b = &k->b;
    uint64_t count = b->capacity < limit_sectors ? b->capacity : limit_sectors;
    char why[200];
    long rc;

    if (b->readonly) {
        static uint8_t buf[BLK_SECTOR];
        rc = blk_io(b, VIRTIO_BLK_T_IN, 0, buf, BLK_SECTOR);
        ksnprintf(why, sizeof(why), "read: %s", blk_strerror(rc));
    } else {
        rc = disk_verify_pass(b, 0, count, disk_new_generation(), why, sizeof(why));
    }
    if (rc == -HVE_NOENT || b->gone) {
        drop(k);
        return;
    }
    k->passes++;
    if (b->resets != k->resets_seen) {
        kprintf("diskio: %s: device was reset (%llu resets, %llu requests resubmitted)\n",
                b->id, (unsigned long long)b->resets, (unsigned long long)b->resubmitted);
        k->resets_seen = b->resets;
    }
    if (rc == 0)
        kprintf("diskio: %s: pass %llu ok (%llu sectors)\n", b->id,
                (unsigned long long)k->passes, (unsigned long long)count);
    else
        kprintf("diskio: %s: pass %llu FAILED: %s\n", b->id, (unsigned long long)k->passes,
                why);
}

static bool any_active(void)
{
    for (unsigned i = 0; i < HV_DEV_MAX; i++)
        if (disks[i].active)
            return true;
    return false;
}

void workload_diskio(const char *arg)
{
    uint64_t mib = DISKIO_DEFAULT_MIB;
    bool said_idle = false;
    char *end;
    long port;

    if (*arg) {
        mib = strtoul(arg, &end, 10);
        if (*end || !mib) {
            kprintf("pvboot: usage: diskio[=<MiB>]\n");
            return;
        }
    }
    if (!virtio_init()) {
        kprintf("diskio: no device page\n");
        return;
    }
    port = evtchn_bind_virq(VIRQ_CONSOLE, 0, console_event, NULL);
    if (port < 0)
        panic("diskio: cannot bind VIRQ_CONSOLE: %ld", port);
    kprintf("diskio: running, %llu MiB a pass, 'q' stops\n", (unsigned long long)mib);
    for (;;) {
        if (stop_requested())
            break;
        virtio_scan(false);
        take_new_disks();
        for (unsigned i = 0; i < HV_DEV_MAX; i++) {
            struct disk *k = &disks[i];

            if (!k->active)
                continue;
            if (k->b.dev->gone) {
                drop(k);
                continue;
            }
            pass(k, mib * 2048);
        }
        rounds++;
        /* A disk attached while the last one was let go was seen then
         * (virtio_release looks at the page again): no event will say
         * so again, so take it up before deciding to wait. */
        if (!any_active())
            take_new_disks();
        if (!any_active()) {
            if (!said_idle)
                kprintf("diskio: no disks, waiting\n");
            said_idle = true;
            virtio_wait_any(0);
            continue;
        }
        said_idle = false;
        sleep_ns(DISKIO_PAUSE_NS);
    }
    kprintf("diskio: stopped after %llu rounds (%llu direct, %llu indirect requests)\n",
            (unsigned long long)rounds, (unsigned long long)virtio_stats.direct,
            (unsigned long long)virtio_stats.indirect);
}
