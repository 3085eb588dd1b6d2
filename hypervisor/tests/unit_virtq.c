/*
 * unit_virtq.c - the split-virtqueue parser (backends/virtq.c) and the
 * memory table's translation (backends/vu_mem.c) on rings made by hand
 * in a heap "guest": chains, indirect tables, buffers split across
 * regions, event suppression both ways, and refusals word for word.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "virtq.h"
#include "vu_mem.h"

#define GPA0 0x100000ull            /* the guest starts at 1 MiB     */
#define SIZE (256u * 1024)
#define NUM 16

struct guest {
    uint8_t *ram;
    struct vu_mem mem;
    struct virtq vq;
    uint64_t desc, avail, used;     /* gpas                          */
};

static void *ptr(struct guest *g, uint64_t gpa)
{
    return g->ram + (gpa - GPA0);
}

static struct guest *guest_new(bool event_idx)
{
    struct guest *g = calloc(1, sizeof(*g));

    g->ram = aligned_alloc(4096, SIZE);
    memset(g->ram, 0, SIZE);
    /* Two adjacent regions, to see buffers split between them. */
    assert_int_equal(vu_mem_add(&g->mem, GPA0, 0x7f0000000000ull, SIZE / 2, g->ram), 0);
    assert_int_equal(vu_mem_add(&g->mem, GPA0 + SIZE / 2, 0x7f0000100000ull, SIZE / 2,
                                g->ram + SIZE / 2), 0);
    g->desc = GPA0;
    g->avail = GPA0 + 0x1000;
    g->used = GPA0 + 0x2000;
    assert_int_equal(virtq_init(&g->vq, 3, NUM, ptr(g, g->desc), ptr(g, g->avail),
                                ptr(g, g->used), &g->mem, 0, event_idx, true), 0);
    return g;
}

static void guest_free(struct guest *g)
{
    free(g->ram);
    free(g);
}

static void desc(struct guest *g, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
    struct virtq_desc *d = ptr(g, g->desc);

    d[i] = (struct virtq_desc){ addr, len, flags, next };
}

static void avail(struct guest *g, uint16_t head)
{
    struct virtq_avail *a = ptr(g, g->avail);

    a->ring[a->idx % NUM] = head;
    a->idx++;
}

static void translates_within_regions_only(void **state)
{
    struct guest *g = guest_new(false);
    struct iovec iov[4];
    unsigned n = 0;

    (void)state;
    assert_ptr_equal(vu_mem_gpa(&g->mem, GPA0 + 10, 10), g->ram + 10);
    assert_null(vu_mem_gpa(&g->mem, GPA0 - 1, 2));
    assert_null(vu_mem_gpa(&g->mem, GPA0 + SIZE / 2 - 4, 8));   /* crosses regions */
    assert_null(vu_mem_gpa(&g->mem, UINT64_MAX - 3, 8));
    assert_ptr_equal(vu_mem_uva(&g->mem, 0x7f0000100000ull + 5, 1), g->ram + SIZE / 2 + 5);
    assert_null(vu_mem_uva(&g->mem, 0x7f0000000000ull + SIZE / 2 - 1, 2));
    /* An iovec list splits where the regions meet. */
    assert_int_equal(vu_mem_gpa_iov(&g->mem, GPA0 + SIZE / 2 - 4, 8, iov, &n, 4), 0);
    assert_int_equal(n, 2);
    assert_int_equal(iov[0].iov_len, 4);
    assert_ptr_equal(iov[1].iov_base, g->ram + SIZE / 2);
    assert_int_equal(vu_mem_gpa_iov(&g->mem, GPA0 + SIZE - 4, 8, iov, &n, 4), -1);
    n = 4;
    assert_int_equal(vu_mem_gpa_iov(&g->mem, GPA0, 8, iov, &n, 4), -2);
    guest_free(g);
}

static void pops_a_chain_readable_then_writable(void **state)
{
    struct guest *g = guest_new(false);
    struct virtq_elem e;

    (void)state;
    assert_int_equal(virtq_pop(&g->vq, &e), 0);
    desc(g, 4, GPA0 + 0x4000, 16, VIRTQ_DESC_F_NEXT, 9);
    desc(g, 9, GPA0 + SIZE / 2 - 100, 200, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
    desc(g, 2, GPA0 + 0x5000, 1, VIRTQ_DESC_F_WRITE, 0);
    avail(g, 4);
    assert_true(virtq_has_avail(&g->vq));
    assert_int_equal(virtq_pop(&g->vq, &e), 1);
    assert_int_equal(e.head, 4);
    assert_int_equal(e.n_out, 1);
    assert_int_equal(e.n_in, 3);            /* 200 bytes split in two, then 1 */
    assert_int_equal(e.out_len, 16);
    assert_int_equal(e.in_len, 201);
    assert_ptr_equal(e.iov[0].iov_base, ptr(g, GPA0 + 0x4000));
    assert_int_equal(e.iov[1].iov_len, 100);
    assert_int_equal(e.iov[2].iov_len, 100);
    assert_false(virtq_has_avail(&g->vq));
    /* Given back, it comes again. */
    virtq_unpop(&g->vq);
    assert_int_equal(virtq_pop(&g->vq, &e), 1);
    assert_int_equal(e.head, 4);
    guest_free(g);
}

static void follows_an_indirect_table(void **state)
{
    struct guest *g = guest_new(false);
    struct virtq_desc *t = ptr(g, GPA0 + 0x6000);
    struct virtq_elem e;

    (void)state;
    t[0] = (struct virtq_desc){ GPA0 + 0x7000, 16, VIRTQ_DESC_F_NEXT, 1 };
    t[1] = (struct virtq_desc){ GPA0 + 0x8000, 4096, VIRTQ_DESC_F_WRITE, 0 };
    desc(g, 0, GPA0 + 0x6000, 32, VIRTQ_DESC_F_INDIRECT, 0);
    avail(g, 0);
    assert_int_equal(virtq_pop(&g->vq, &e), 1);
    assert_int_equal(e.n_out, 1);
    assert_int_equal(e.n_in, 1);
    assert_int_equal(e.in_len, 4096);
    guest_free(g);
}

static void refuses_hostile_chains(void **state)
{
    static const struct {
        uint64_t addr;
        uint32_t len;
        uint16_t flags, next;
        const char *line;
    } cases[] = {
        { GPA0, 16, VIRTQ_DESC_F_NEXT, 0, "queue 3: head 0: chain loops or is longer than the "
                                          "queue size 16" },
        { GPA0, 16, VIRTQ_DESC_F_NEXT, NUM, "queue 3: head 0: next descriptor 16 is not below 16" },
        { 0, 16, 0, 0, "queue 3: head 0: buffer 0x0+16 is outside guest memory" },
        { GPA0 + SIZE, 1, 0, 0, "queue 3: head 0: buffer 0x140000+1 is outside guest memory" },
        { UINT64_MAX, 2, 0, 0, "queue 3: head 0: buffer 0xffffffffffffffff+2 wraps around" },
        { GPA0, 48, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 0,
          "queue 3: head 0: indirect descriptor with NEXT set" },
        { GPA0, 0, VIRTQ_DESC_F_INDIRECT, 0, "queue 3: head 0: indirect table length 0 is not a "
                                             "multiple of 16 from 16 to 16384" },
        { GPA0, 16400, VIRTQ_DESC_F_INDIRECT, 0, "queue 3: head 0: indirect table length 16400 "
                                                 "is not a multiple of 16 from 16 to 16384" },
        { GPA0 + SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0,
          "queue 3: head 0: indirect table 0x13fff0+32 is outside guest memory" },
    };
    struct virtq_elem e;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct guest *g = guest_new(false);

        desc(g, 0, cases[i].addr, cases[i].len, cases[i].flags, cases[i].next);
        avail(g, 0);
        assert_int_equal(virtq_pop(&g->vq, &e), -1);
        assert_string_equal(g->vq.error, cases[i].line);
        /* Broken stays broken, and nothing is available any more. */
        assert_int_equal(virtq_pop(&g->vq, &e), -1);
        assert_false(virtq_has_avail(&g->vq));
        guest_free(g);
    }
}

static void refuses_indirect_without_the_feature(void **state)
{
    struct guest *g = guest_new(false);
    struct virtq_elem e;

    (void)state;
    g->vq.indirect = false;
    desc(g, 0, GPA0 + 0x6000, 32, VIRTQ_DESC_F_INDIRECT, 0);
    avail(g, 0);
    assert_int_equal(virtq_pop(&g->vq, &e), -1);
    assert_string_equal(g->vq.error,
                        "queue 3: head 0: indirect descriptor without VIRTIO_F_INDIRECT_DESC");
    guest_free(g);
}

static void refuses_too_many_segments(void **state)
{
    struct guest *g = guest_new(false);
    struct virtq_desc *t = ptr(g, GPA0 + 0x10000);
    struct virtq_elem e;

    (void)state;
    for (unsigned i = 0; i < VIRTQ_MAX_SEGS + 1; i++)
        t[i] = (struct virtq_desc){ GPA0 + 0x20000 + i, 1, VIRTQ_DESC_F_NEXT,
                                    (uint16_t)(i + 1) };
    t[VIRTQ_MAX_SEGS].flags = 0;
    desc(g, 0, GPA0 + 0x10000, (VIRTQ_MAX_SEGS + 1) * 16, VIRTQ_DESC_F_INDIRECT, 0);
    avail(g, 0);
    assert_int_equal(virtq_pop(&g->vq, &e), -1);
    assert_string_equal(g->vq.error, "queue 3: head 0: request of more than 256 buffers");
    guest_free(g);
}

static void refuses_bad_set_up(void **state)
{
    struct virtq vq;
    uint8_t rings[8192] __attribute__((aligned(16)));

    (void)state;
    assert_int_equal(virtq_init(&vq, 1, 12, rings, rings + 4096, rings + 6000, NULL, 0, 0, 0),
                     -1);
    assert_string_equal(vq.error, "queue 1: size 12 is not a power of two from 1 to 32768");
    assert_int_equal(virtq_init(&vq, 1, 8, rings + 8, rings + 4096, rings + 6000, NULL, 0, 0, 0),
                     -1);
}

/* EVENT_IDX: a call only when the used index passes used_event; the
 * back end's avail_event says where it wants the next kick. */
static void suppresses_calls_and_kicks_with_event_idx(void **state)
{
    struct guest *g = guest_new(true);
    struct virtq_avail *a = ptr(g, g->avail);
    struct virtq_used *u = ptr(g, g->used);
    uint16_t *used_event = &a->ring[NUM];
    uint16_t *avail_event = (uint16_t *)&u->ring[NUM];
    struct virtq_elem e;

    (void)state;
    for (unsigned i = 0; i < 4; i++) {
        desc(g, i, GPA0 + 0x4000, 16, 0, 0);
        avail(g, (uint16_t)i);
    }
    *used_event = 2;
    assert_int_equal(virtq_pop(&g->vq, &e), 1);
    virtq_push(&g->vq, e.head, 0);
    assert_true(virtq_flush(&g->vq));       /* the first decision always calls */
    assert_false(virtq_flush(&g->vq));      /* nothing new: no call           */
    assert_int_equal(virtq_pop(&g->vq, &e), 1);
    virtq_push(&g->vq, e.head, 0);
    assert_false(virtq_flush(&g->vq));      /* used 2: not past used_event 2  */
    assert_int_equal(virtq_pop(&g->vq, &e), 1);
    virtq_push(&g->vq, e.head, 0);
    assert_true(virtq_flush(&g->vq));       /* used 3: passed it              */
    assert_int_equal(u->idx, 3);
    assert_int_equal(u->ring[2].id, 2);

    /* Notifications on: avail_event is where we are; there is one more. */
    assert_true(virtq_notify(&g->vq, true));
    assert_int_equal(*avail_event, 3);
    assert_int_equal(virtq_pop(&g->vq, &e), 1);
    assert_false(virtq_notify(&g->vq, true));
    assert_int_equal(*avail_event, 4);
    guest_free(g);
}

static void suppresses_with_flags_without_event_idx(void **state)
{
    struct guest *g = guest_new(false);
    struct virtq_avail *a = ptr(g, g->avail);
    struct virtq_used *u = ptr(g, g->used);
    struct virtq_elem e;

    (void)state;
    desc(g, 0, GPA0 + 0x4000, 16, 0, 0);
    avail(g, 0);
    avail(g, 0);
    assert_int_equal(virtq_pop(&g->vq, &e), 1);
    virtq_push(&g->vq, e.head, 0);
    a->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
    assert_false(virtq_flush(&g->vq));
    assert_int_equal(virtq_pop(&g->vq, &e), 1);
    virtq_push(&g->vq, e.head, 0);
    a->flags = 0;
    assert_true(virtq_flush(&g->vq));
    virtq_notify(&g->vq, false);
    assert_int_equal(u->flags, VIRTQ_USED_F_NO_NOTIFY);
    assert_false(virtq_notify(&g->vq, true));
    assert_int_equal(u->flags, 0);
    guest_free(g);
}

static void copies_and_slices_iovecs(void **state)
{
    uint8_t a[5] = { 1, 2, 3, 4, 5 }, b[3] = { 6, 7, 8 }, out[8] = { 0 };
    struct iovec iov[2] = { { a, 5 }, { b, 3 } }, s[2];

    (void)state;
    assert_int_equal(iov_to_buf(iov, 2, 3, out, 8), 5);
    assert_memory_equal(out, ((uint8_t[]){ 4, 5, 6, 7, 8 }), 5);
    assert_int_equal(iov_from_buf(iov, 2, 4, ((uint8_t[]){ 9, 9 }), 2), 2);
    assert_int_equal(a[4], 9);
    assert_int_equal(b[0], 9);
    assert_int_equal(iov_slice(iov, 2, 4, 3, s, 2), 2);
    assert_ptr_equal(s[0].iov_base, a + 4);
    assert_int_equal(s[1].iov_len, 2);
    assert_int_equal(iov_slice(iov, 2, 4, 5, s, 2), -1);
    assert_int_equal(iov_slice(iov, 2, 0, 8, s, 1), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(translates_within_regions_only),
        cmocka_unit_test(pops_a_chain_readable_then_writable),
        cmocka_unit_test(follows_an_indirect_table),
        cmocka_unit_test(refuses_hostile_chains),
        cmocka_unit_test(refuses_indirect_without_the_feature),
        cmocka_unit_test(refuses_too_many_segments),
        cmocka_unit_test(refuses_bad_set_up),
        cmocka_unit_test(suppresses_calls_and_kicks_with_event_idx),
        cmocka_unit_test(suppresses_with_flags_without_event_idx),
        cmocka_unit_test(copies_and_slices_iovecs),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
