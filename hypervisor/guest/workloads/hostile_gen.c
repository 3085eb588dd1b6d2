/*
 * hostile_gen.c - random hypercalls for the hostile workload.
 *
 * Arguments come from hostile_values.c.  Each call is shaped so that, if
 * hvcore follows the ABI, it cannot harm this guest; where the ABI says a
 * call must fail, the call is marked so that hostile.c can count hvcore
 * accepting it as suspicious.
 */
#include "evtchn.h"
#include "hypercall.h"
#include "kernel.h"
#include "smp.h"
#include "workloads/hostile.h"

static const char console_text[] = "hostile console write test\n";

/* An operation number past last_valid: mostly just past, sometimes far. */
static uint64_t unknown_op(struct hostile *h, uint64_t last_valid)
{
    return last_valid + 1 + (hostile_one_in(h, 2) ? hostile_below(h, 8) : hostile_rand(h) >> 1);
}

static void gen_console(struct hostile *h, struct hostile_call *c)
{
    uint64_t addr, len;

    switch (hostile_below(h, 5)) {
    case 0:                                 /* write from a bad buffer */
        hostile_bad_range(h, &addr, &len, 1, false);
        c->arg[0] = CONSOLEIO_write;
        c->arg[1] = len;
        c->arg[2] = addr;
        c->expect_error = true;
        break;
    case 1:                                 /* a real write, rarely */
        c->arg[0] = CONSOLEIO_write;
        c->arg[1] = hostile_one_in(h, 16) ? sizeof(console_text) - 1 : 0;
        c->arg[2] = (uint64_t)(uintptr_t)console_text;
        break;
    case 2:                                 /* read: to our buffer or a bad one */
        c->arg[0] = CONSOLEIO_read;
        if (hostile_one_in(h, 2)) {
            c->arg[1] = hostile_below(h, h->readbuf_len / 2 + 1);
            c->arg[2] = (uint64_t)(uintptr_t)h->readbuf;
        } else {
            hostile_bad_range(h, &addr, &len, 1, false);
            c->arg[1] = len;
            c->arg[2] = addr;
        }
        break;
    case 3:                                 /* flush: arguments are ignored */
        c->arg[0] = CONSOLEIO_flush;
        c->arg[1] = hostile_any_value(h);
        c->arg[2] = hostile_any_value(h);
        break;
    default:                                /* unknown operation */
        c->arg[0] = unknown_op(h, CONSOLEIO_flush);
        c->arg[1] = hostile_any_value(h);
        c->arg[2] = hostile_any_value(h);
        c->expect_error = true;
        break;
    }
}

static void gen_sched(struct hostile *h, struct hostile_call *c)
{
    switch (hostile_below(h, 3)) {
    case 0:
        c->arg[0] = SCHEDOP_yield;
        c->arg[1] = hostile_any_value(h);
        break;
    case 1:                                 /* shutdown with a bad reason */
        c->arg[0] = SCHEDOP_shutdown;
        do
            c->arg[1] = hostile_any_value(h);
        while (c->arg[1] <= SHUTDOWN_crash);
        c->expect_error = true;
        break;
    default:                                /* unknown op (never block) */
        c->arg[0] = unknown_op(h, SCHEDOP_shutdown);
        c->arg[1] = hostile_any_value(h);
        c->expect_error = true;
        break;
    }
}

static void gen_evtchn(struct hostile *h, struct hostile_call *c)
{
    uint64_t max_vcpus = start_info->max_vcpus;
    uint64_t a0 = hostile_any_index(h), a1 = hostile_any_index(h);

    c->arg[0] = hostile_below(h, EVTCHNOP_upcall_return + 2);
    switch (c->arg[0]) {
    case EVTCHNOP_bind_virq:
        a0 = hostile_one_in(h, 2) ? hostile_below(h, VIRQ_NR + 2) : a0;
        c->expect_error = a0 >= VIRQ_NR || a1 >= max_vcpus;
        break;
    case EVTCHNOP_bind_ipi:
        c->expect_error = a0 >= max_vcpus;
        break;
    case EVTCHNOP_close:
        if (evtchn_port_in_use(a0))
            a0 = 0;                         /* ours: close port 0 instead */
        /* fall through */
    case EVTCHNOP_send:
    case EVTCHNOP_unmask:
        c->expect_error = a0 == 0 || a0 >= HV_NR_EVTCHN;
        break;
    case EVTCHNOP_set_upcall:               /* only ever our own entry */
        a0 = (uint64_t)(uintptr_t)upcall_entry;
        break;
    default:                                /* upcall_return: never; unknown */
        c->arg[0] = unknown_op(h, EVTCHNOP_upcall_return);
        c->expect_error = true;
        break;
    }
    c->arg[1] = a0;
    c->arg[2] = a1;
}

/* A secondary started by hostile goes straight back down. */
static void park(unsigned id)
{
    (void)id;
}

static void gen_vcpu(struct hostile *h, struct hostile_call *c)
{
    uint64_t max_vcpus = start_info->max_vcpus;
    uint64_t id = hostile_one_in(h, 3) ? hostile_any_value(h) : hostile_below(h, HV_MAX_VCPUS + 2);
    uint64_t addr, len;

    c->arg[0] = hostile_below(h, VCPUOP_is_up + 2);
    switch (c->arg[0]) {
    case VCPUOP_up:
        if (id > 0 && id < max_vcpus && id < HV_MAX_VCPUS && hostile_one_in(h, 4)) {
            c->arg[2] = smp_boot_context((unsigned)id, park);
        } else {
            /* The context is 32 bytes; a bad range must cover it. */
            hostile_bad_range(h, &addr, &len, sizeof(struct hv_vcpu_context), true);
            c->arg[2] = addr;
            c->expect_error = true;
        }
        break;
    case VCPUOP_down:
        if (id == 0)
            id = 1 + hostile_below(h, HV_MAX_VCPUS);    /* never vCPU 0: us */
        c->expect_error = id >= max_vcpus;
        c->arg[2] = hostile_any_value(h);
        break;
    case VCPUOP_is_up:
        c->arg[2] = hostile_any_value(h);
        break;
    default:
        c->arg[0] = unknown_op(h, VCPUOP_is_up);
        c->arg[2] = hostile_any_value(h);
        c->expect_error = true;
        break;
    }
    c->arg[1] = id;
}

static bool in_scratch(struct hostile *h, uint64_t first, uint64_t n)
{
    return first >= h->scratch_pfn && first - h->scratch_pfn < h->scratch_pages &&
           n <= h->scratch_pages - (first - h->scratch_pfn);
}

static void gen_memory(struct hostile *h, struct hostile_call *c)
{
    uint64_t min_pfn = HV_KERNEL_MIN_ADDR >> HV_PAGE_SHIFT;
    uint64_t first, n, off;

    c->arg[0] = hostile_below(h, 5);
    if (c->arg[0] > MEMOP_increase_reservation)
        c->arg[0] = unknown_op(h, MEMOP_increase_reservation);
    c->expect_error = true;
    switch (hostile_below(h, 6)) {
    case 0:                                 /* inside scratch: really done */
        off = hostile_below(h, h->scratch_pages);
        first = h->scratch_pfn + off;
        n = 1 + hostile_below(h, h->scratch_pages - off);
        c->expect_error = c->arg[0] > MEMOP_increase_reservation;
        break;
    case 1:                                 /* starts below the kernel */
        first = hostile_below(h, min_pfn);
        n = 1 + hostile_below(h, 2 * min_pfn);
        break;
    case 2:                                 /* starts at or past the end */
        first = hostile_one_in(h, 2) ? h->nr_pages + hostile_below(h, 1024) :
                ((1ULL << 52) | min_pfn) + hostile_below(h, 16);   /* pfn << 12 wraps */
        n = 1 + hostile_below(h, 64);
        break;
    case 3:                                 /* runs off the end */
        first = h->scratch_pfn + hostile_below(h, h->scratch_pages);
        n = h->nr_pages - first + 1 +
            (hostile_one_in(h, 2) ? hostile_below(h, 64) : hostile_rand(h) >> 1);
        break;
    case 4:                                 /* wraps around 2^64 */
        first = -(1 + hostile_below(h, 64));
        n = 2 + hostile_below(h, 2 * h->nr_pages) - first;
        break;
    default:                                /* empty range (ABI is silent) */
        first = hostile_any_value(h);
        n = 0;
        c->expect_error = c->arg[0] > MEMOP_increase_reservation;
        break;
    }
    /* Belt and braces: a valid range is only ever scratch. */
    if (n && first >= min_pfn && first < h->nr_pages && n <= h->nr_pages - first &&
        !in_scratch(h, first, n)) {
        first = h->scratch_pfn;
        n = 1;
        c->expect_error = c->arg[0] > MEMOP_increase_reservation;
    }
    c->arg[1] = first;
    c->arg[2] = n;
}

/* Bad with probability 1 in 5: *bad notes it. */
static bool spoil(struct hostile *h, bool *bad)
{
    bool b = hostile_one_in(h, 5);

    *bad |= b;
    return b;
}

/* A ring address that hvcore must refuse whatever the rest: misaligned,
 * below 1 MiB (hvcore's page tables), far past RAM or at the top of the
 * address space. */
static uint64_t bad_ring(struct hostile *h, uint64_t good, uint64_t align)
{
    switch (hostile_below(h, 4)) {
    case 0:
        return good + 1 + hostile_below(h, align - 1);
    case 1:
        return hostile_below(h, HV_KERNEL_MIN_ADDR) & ~(align * 2 - 1);
    case 2:
        return (1ULL << 47) + hostile_below(h, 1 << 20) * 16;
    default:
        return -4096ULL;
    }
}

/* Write a struct hv_dev_queue at h->devq for slot info (NULL: none); true
 * if one of its fields is bad, so that hvcore must refuse it. */
static bool write_queue(struct hostile *h, const volatile struct hv_dev_info *info)
{
    volatile struct hv_dev_queue *q = (volatile struct hv_dev_queue *)(uintptr_t)h->devq;
    uint64_t nrq = info ? info->nr_queues : 1, qmax = info ? info->queue_max : 0;
    uint64_t nvcpus = start_info->max_vcpus;
    unsigned log = 0;
    bool bad = false;

    if (qmax == 0 || qmax > HV_DEV_QUEUE_MAX)
        qmax = HV_DEV_QUEUE_MAX;            /* what the rings have room for */
    while ((2ULL << log) <= qmax)
        log++;
    q->index = (uint16_t)(spoil(h, &bad) ? nrq + hostile_below(h, 0x10000 - nrq) :
                          hostile_below(h, nrq ? nrq : 1));
    if (spoil(h, &bad)) {
        static const uint16_t sizes[] = { 0, 3, 6, 1000, 0xffff };
        q->size = hostile_one_in(h, 2) && qmax < 0x8000 ? (uint16_t)(qmax * 2)
                                                       : sizes[hostile_below(h, 5)];
    } else {
        q->size = (uint16_t)(1u << hostile_below(h, log + 1));
    }
    q->vcpu = (uint16_t)(spoil(h, &bad) ? nvcpus + hostile_below(h, 0x10000 - nvcpus)
                                        : hostile_below(h, nvcpus));
    q->desc = spoil(h, &bad) ? bad_ring(h, h->devq + HOSTILE_RING_DESC, 16)
                             : h->devq + HOSTILE_RING_DESC;
    q->avail = spoil(h, &bad) ? bad_ring(h, h->devq + HOSTILE_RING_AVAIL, 2)
                              : h->devq + HOSTILE_RING_AVAIL;
    q->used = spoil(h, &bad) ? bad_ring(h, h->devq + HOSTILE_RING_USED, 4)
                             : h->devq + HOSTILE_RING_USED;
    return bad;
}

/*
 * HC_dev_op on any slot, a device's or a free one.  What the ABI says
 * must fail is marked (an unknown op, a slot past the page or free,
 * features not offered or without VERSION_1, a bad queue struct or
 * pointer, a start with an argument); a valid call may fail too (the
 * device is not READY), and one that works only sets up, starts or
 * resets empty rings of our own.
 */
static void gen_dev_op(struct hostile *h, struct hostile_call *c)
{
    uint64_t slot = hostile_one_in(h, 4) ? hostile_any_value(h) : hostile_below(h, HV_DEV_MAX + 2);

    /* Half the time a slot that has a device, if any does: live slots
     * are where the state machine is. */
    bool live = h->devpage && hostile_one_in(h, 2);

    for (unsigned i = 0; live && i < HV_DEV_MAX; i++) {
        unsigned s = (unsigned)((slot + i) % HV_DEV_MAX);
        if (h->devpage->dev[s].type != HV_DEV_TYPE_NONE) {
            slot = s;
            break;
        }
    }
    const volatile struct hv_dev_info *info =
        h->devpage && slot < HV_DEV_MAX && h->devpage->dev[slot].type != HV_DEV_TYPE_NONE
            ? &h->devpage->dev[slot] : NULL;
    uint64_t feat = info ? info->features : 0, v1 = 1ULL << HV_VIRTIO_F_VERSION_1;
    uint64_t addr, len;

    c->arg[0] = hostile_below(h, DEVOP_reset + 3);
    c->arg[1] = slot;
    switch (c->arg[0]) {
    case DEVOP_set_features:
        c->arg[2] = hostile_one_in(h, 2) ? (feat & hostile_rand(h)) | v1 : hostile_any_value(h);
        c->expect_error = (c->arg[2] & ~feat) || !(c->arg[2] & v1);
        break;
    case DEVOP_setup_queue:
        if (hostile_one_in(h, 3)) {
            hostile_bad_range(h, &addr, &len, sizeof(struct hv_dev_queue), true);
            c->arg[2] = addr;
            c->expect_error = true;
        } else {
            c->arg[2] = h->devq;
            c->expect_error = write_queue(h, info);
        }
        break;
    case DEVOP_start:
        c->arg[2] = hostile_one_in(h, 2) ? 0 : hostile_any_value(h);
        c->expect_error = c->arg[2] != 0;
        break;
    case DEVOP_reset:
        c->arg[2] = 0;
        break;
    default:
        c->arg[0] = unknown_op(h, DEVOP_reset);
        c->expect_error = true;
        break;
    }
    if (!info)
        c->expect_error = true;             /* -HVE_NOENT, -HVE_INVAL */
}

/* HC_dev_notify of any qid, live or not: always 0 (a notification has no
 * answer), through the stub or, half the time, the hypercall port. */
static void gen_dev_notify(struct hostile *h, struct hostile_call *c)
{
    c->arg[0] = hostile_one_in(h, 2) ? hostile_below(h, HV_DEV_MAX * HV_DEV_MAX_QUEUES + 8)
                                     : hostile_any_value(h);
    c->raw = h->raw_trap && hostile_one_in(h, 2);
}

void hostile_generate(struct hostile *h, struct hostile_call *c)
{
    *c = (struct hostile_call){ .nr = hostile_below(h, HC_NR + 1) };
    for (unsigned i = 0; i < 5; i++)
        c->arg[i] = hostile_any_value(h);   /* unused registers: noise */

    switch (c->nr) {
    case HC_console_io:
        gen_console(h, c);
        break;
    case HC_set_timer:
        c->arg[0] = hostile_any_value(h);   /* a past deadline fires at once */
        break;
    case HC_sched_op:
        gen_sched(h, c);
        break;
    case HC_evtchn_op:
        gen_evtchn(h, c);
        break;
    case HC_vcpu_op:
        gen_vcpu(h, c);
        break;
    case HC_memory_op:
        gen_memory(h, c);
        break;
    case HC_abi_version:
        c->expect_abi_version = true;
        break;
    case HC_dev_op:
        gen_dev_op(h, c);
        break;
    case HC_dev_notify:
        gen_dev_notify(h, c);
        break;
    default:                                /* out of range */
        if (!h->raw_trap) {
            c->nr = HC_abi_version;         /* no way to make one: harmless */
            c->expect_abi_version = true;
            break;
        }
        c->raw = true;
        c->expect_error = true;
        switch (hostile_below(h, 3)) {
        case 0:
            c->nr = HC_NR + hostile_below(h, 256);
            break;
        case 1:                             /* high bits must not be dropped */
            c->nr = ((1 + hostile_below(h, 0xffff)) << 32) | HC_abi_version;
            break;
        default:
            c->nr = hostile_rand(h) | 0x80000000;
            break;
        }
        break;
    }
}
