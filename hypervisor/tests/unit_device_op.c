/*
 * unit_device_op.c - HC_dev_op as a hostile guest calls it: every
 * argument device.h constrains is refused with the error it names
 * (unknown op, slot out of range, free slot, features, queue index, size,
 * vCPU, ring alignment and extents, running or absent back end), a good
 * set-up shows in the read-only device page with an even generation, and
 * the guest ABI's fixed parts (the notify stub, the I/O bitmap) are as
 * device.h and hypercall.h say.
 */
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "boot_layout.h"
#include "device.h"
#include "hvcore.h"
#include "public/errno.h"
#include "public/layout.h"

#define RAM      (4ULL << 20)
#define QDESC    0x200000ULL    /* where the test puts a struct hv_dev_queue */
#define VERSION_1 (1ULL << HV_VIRTIO_F_VERSION_1)
#define EVENT_IDX (1ULL << HV_VIRTIO_F_RING_EVENT_IDX)

static struct domain dom;
static struct device *dev;

static int setup(void **state)
{
    (void)state;
    memset(&dom, 0, sizeof(dom));
    dom.max_vcpus = 2;
    dom.mem_max_bytes = RAM;
    dom.mem = calloc(1, RAM);
    dom.epoll_fd = dom.vm_fd = dom.mem_fd = -1;
    dom.cmdline = "";
    dom.tsc_khz = 1000000;
    pthread_mutex_init(&dom.lock, NULL);
    pthread_cond_init(&dom.cond, NULL);
    device_init(&dom);
    for (unsigned i = 0; i < HV_MAX_VCPUS; i++) {
        dom.vcpu[i].dom = &dom;
        dom.vcpu[i].id = i;
        dom.vcpu[i].dev_epoll = -1;
        pthread_cond_init(&dom.vcpu[i].cond, NULL);
    }
    /* A READY disk in slot 3 whose back end has gone (no socket): what
     * the guest does with it is all hvcore's to check. */
    dev = calloc(1, sizeof(*dev));
    dev->spec.type = HV_DEV_TYPE_BLOCK;
    memcpy(dev->spec.id, "vda", 4);
    dev->slot = 3;
    dev->state = HV_DEV_STATE_READY;
    dev->features = VERSION_1 | EVENT_IDX | 1;
    dev->nr_queues = 2;
    dev->queue_max = 256;
    dev->connected = true;
    dev->vu.fd = dev->pidfd = dev->stats_fd = dev->retry_fd = -1;
    for (unsigned q = 0; q < HV_DEV_MAX_QUEUES; q++) {
        dev->q[q].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        dev->q[q].call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    }
    dom.dev[3] = dev;
    device_page_build(&dom);
    return dom.mem ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    for (unsigned q = 0; q < HV_DEV_MAX_QUEUES; q++) {
        close(dev->q[q].kick_fd);
        close(dev->q[q].call_fd);
    }
    free(dev);
    free(dom.mem);
    return 0;
}

static int64_t op(uint64_t devop, uint64_t slot, uint64_t arg)
{
    return device_op(&dom.vcpu[0], devop, slot, arg);
}

static struct hv_dev_info *slot_info(unsigned s)
{
    return &((struct hv_device_page *)(dom.mem + HV_DEVICE_PAGE))->dev[s];
}

/* A good queue 0 of size 8 in RAM above 1 MiB. */
static struct hv_dev_queue good_queue(void)
{
    return (struct hv_dev_queue){ .index = 0, .size = 8, .vcpu = 1,
                                  .desc = 0x300000, .avail = 0x301000, .used = 0x302000 };
}

static int64_t setup_queue(struct hv_dev_queue q)
{
    memcpy(dom.mem + QDESC, &q, sizeof(q));
    return op(DEVOP_setup_queue, 3, QDESC);
}

static void slots_and_ops_are_checked(void **state)
{
    (void)state;
    assert_int_equal(op(4, 3, 0), -HVE_NOSYS);
    assert_int_equal(op(~0ULL, 3, 0), -HVE_NOSYS);
    assert_int_equal(op(DEVOP_set_features, HV_DEV_MAX, VERSION_1), -HVE_INVAL);
    assert_int_equal(op(DEVOP_set_features, 1ULL << 32 | 3, VERSION_1), -HVE_INVAL);
    assert_int_equal(op(DEVOP_set_features, 0, VERSION_1), -HVE_NOENT);
    assert_int_equal(op(DEVOP_reset, 15, 0), -HVE_NOENT);
}

static void features_must_be_offered_and_include_version_1(void **state)
{
    (void)state;
    assert_int_equal(op(DEVOP_set_features, 3, EVENT_IDX), -HVE_INVAL);
    assert_int_equal(op(DEVOP_set_features, 3, VERSION_1 | 2), -HVE_INVAL);
    assert_int_equal(op(DEVOP_set_features, 3, ~0ULL), -HVE_INVAL);
    assert_int_equal(op(DEVOP_start, 3, 0), -HVE_INVAL);    /* no features yet */
    assert_int_equal(op(DEVOP_set_features, 3, VERSION_1 | EVENT_IDX), 0);
    assert_int_equal(op(DEVOP_start, 3, 1), -HVE_INVAL);    /* arg must be 0 */
}

static void hostile_queues_are_refused(void **state)
{
    struct hv_dev_queue q;

    (void)state;
    assert_int_equal(op(DEVOP_setup_queue, 3, 0), -HVE_FAULT);
    assert_int_equal(op(DEVOP_setup_queue, 3, RAM - 8), -HVE_FAULT);
    assert_int_equal(op(DEVOP_setup_queue, 3, 0x2000), -HVE_FAULT);  /* private */
    assert_int_equal(op(DEVOP_setup_queue, 3, ~0ULL - 4), -HVE_FAULT);

    q = good_queue(); q.index = 2;                assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.index = 0xffff;           assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.size = 0;                 assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.size = 6;                 assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.size = 512;               assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.size = 0x8000;            assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.vcpu = 2;                 assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.desc += 8;                assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.avail += 1;               assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.used += 2;                assert_int_equal(setup_queue(q), -HVE_INVAL);
    /* below 1 MiB: hvcore's pages and the device page itself */
    q = good_queue(); q.desc = HV_DEVICE_PAGE;    assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.used = 0xff000;           assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.avail = 0;                assert_int_equal(setup_queue(q), -HVE_INVAL);
    /* past the end of RAM, whole or in part, and wrapping around */
    q = good_queue(); q.desc = RAM;               assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.desc = RAM - 16 * 4;      assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.used = RAM - 60;          assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.avail = RAM - 20;         assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.desc = ~0ULL & ~15ULL;    assert_int_equal(setup_queue(q), -HVE_INVAL);
    q = good_queue(); q.used = 1ULL << 63;        assert_int_equal(setup_queue(q), -HVE_INVAL);
    for (unsigned i = 0; i < HV_DEV_MAX_QUEUES; i++)
        assert_int_equal(slot_info(3)->port[i], 0);
}

static void a_good_queue_shows_in_the_page(void **state)
{
    struct hv_dev_info *si = slot_info(3);

    (void)state;
    uint32_t gen = si->generation;
    assert_int_equal(gen % 2, 0);
    assert_int_equal(si->type, HV_DEV_TYPE_BLOCK);
    assert_int_equal(si->state, HV_DEV_STATE_READY);
    assert_string_equal(si->id, "vda");
    int64_t port = setup_queue(good_queue());
    assert_true(port > 0 && port < HV_NR_EVTCHN);
    assert_int_equal(si->port[0], port);
    assert_true(si->generation > gen && si->generation % 2 == 0);
    assert_int_equal(dom.port[port].vcpu, 1);
    /* set up again: a new port replaces the old one */
    int64_t again = setup_queue(good_queue());
    assert_true(again > 0);
    assert_int_equal(si->port[0], again);
    assert_int_equal(dom.port[port].type == 0 || port == again, 1);
    /* the largest queue, ending exactly at the end of RAM */
    struct hv_dev_queue q = { .index = 1, .size = 256, .vcpu = 0,
                              .desc = RAM - 4096 * 3, .avail = RAM - 4096 * 2,
                              .used = RAM - 2056 };     /* 6 + 8 * 256 bytes, 4-aligned */
    assert_true(setup_queue(q) > 0);
}

static void start_without_back_end_needs_reset(void **state)
{
    struct hv_dev_info *si = slot_info(3);

    (void)state;
    assert_int_equal(op(DEVOP_set_features, 3, VERSION_1), 0);
    assert_int_equal(op(DEVOP_start, 3, 0), -HVE_IO);
    assert_int_equal(si->state, HV_DEV_STATE_NEEDS_RESET);
    assert_int_equal(op(DEVOP_set_features, 3, VERSION_1), -HVE_AGAIN);
    assert_int_equal(op(DEVOP_start, 3, 0), -HVE_AGAIN);
    /* reset while the back end is away: CONNECTING, ports closed */
    unsigned port = si->port[0];
    assert_int_equal(op(DEVOP_reset, 3, 0), 0);
    assert_int_equal(si->state, HV_DEV_STATE_CONNECTING);
    assert_int_equal(si->port[0], 0);
    assert_int_equal(dom.port[port].type, 0);
    assert_int_equal(op(DEVOP_setup_queue, 3, QDESC), -HVE_AGAIN);
    assert_int_equal(si->generation % 2, 0);
}

/* The notify stub writes the queue id to the notify port with "out %eax",
 * which the I/O bitmap must allow for all four ports it covers. */
static void notify_stub_and_io_bitmap(void **state)
{
    static const uint8_t stub[] = { 0x89, 0xf8, 0xe7, HV_NOTIFY_PORT, 0x31, 0xc0, 0xc3 };

    (void)state;
    dom.name[0] = '\0';
    boot_layout_build(&dom);
    const uint8_t *page = dom.mem + HV_HYPERCALL_PAGE;
    assert_memory_equal(page + HC_dev_notify * HV_HYPERCALL_STUB_SIZE, stub, sizeof(stub));
    assert_int_equal(page[HC_dev_op * HV_HYPERCALL_STUB_SIZE], 0xb8);  /* mov $7, %eax */
    const uint8_t *bitmap = dom.mem + BOOT_TSS + 104;
    for (unsigned p = 0; p < 0x10000; p++) {
        bool open = !(bitmap[p / 8] & (1u << (p % 8)));
        bool want = p == HV_HYPERCALL_PORT || p == HV_NULL_PORT ||
                    (p >= HV_NOTIFY_PORT && p < HV_NOTIFY_PORT + 4);
        assert_int_equal(open, want);
    }
    const struct hv_start_info *si = (const void *)(dom.mem + HV_START_INFO_PAGE);
    assert_int_equal(si->device_page, HV_DEVICE_PAGE);
    /* the device page: present, the guest's to read, not to write */
    uint64_t pte = ((const uint64_t *)(dom.mem + BOOT_PT0))[HV_DEVICE_PAGE >> 12];
    assert_int_equal(pte & ~0xfffULL & ((1ULL << 52) - 1), HV_DEVICE_PAGE);
    assert_int_equal(pte & 0x7, 0x5);                   /* P, US, not RW */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slots_and_ops_are_checked),
        cmocka_unit_test(features_must_be_offered_and_include_version_1),
        cmocka_unit_test(hostile_queues_are_refused),
        cmocka_unit_test(a_good_queue_shows_in_the_page),
        cmocka_unit_test(start_without_back_end_needs_reset),
        cmocka_unit_test(notify_stub_and_io_bitmap),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
