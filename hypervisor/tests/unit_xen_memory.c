/*
 * unit_xen_memory.c - memory_op as a Xen-PV guest calls it, on a fake
 * domain of 64 frames (xen_mm_fake.h): the memory map and sizes Linux asks
 * for at boot, the balloon's reservations (released frames refused to
 * page tables and mappings until they come back), and hostile arguments.
 * Arguments live in the fake's own argument area (FAKE_ARG_VA).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "public/errno.h"
#include "xen_mm.h"
#include "xen_mm_fake.h"
#include "xen_mm_type.h"
#include "xen_mm_test.h"

#define ARG      FAKE_ARG_VA
#define LIST     (FAKE_ARG_VA + 0x1000)  /* extent lists, e820 buffers */

static void *at(uint64_t va)
{
    return fake.args + (va - FAKE_ARG_VA);
}

static int64_t memory_op(uint64_t cmd, uint64_t arg)
{
    uint64_t a[6] = { cmd, arg, 0, 0, 0, 0 };

    return xen_hc_memory_op(fake.v, a);
}

static int64_t with_domid(uint64_t cmd, uint16_t domid)
{
    memcpy(at(ARG), &domid, sizeof(domid));
    return memory_op(cmd, ARG);
}

/* A reservation op on the frames in list[0..n) (order 0, DOMID_SELF). */
static int64_t reserve(uint64_t cmd, const uint64_t *list, uint64_t n)
{
    struct xen_memory_reservation r = {
        .extent_start = LIST, .nr_extents = n, .domid = SELF,
    };

    memcpy(at(ARG), &r, sizeof(r));
    if (list)
        memcpy(at(LIST), list, n * sizeof(*list));
    return memory_op(cmd, ARG);
}

static uint64_t listed(unsigned i)
{
    return ((uint64_t *)at(LIST))[i];
}

static int setup(void **state)
{
    (void)state;
    return fake_init(NR_PAGES, true);
}

static void memory_map(void **state)
{
    (void)state;
    struct xen_memory_map m = { .nr_entries = 128, .buffer = LIST };
    struct xen_e820_entry e;

    memcpy(at(ARG), &m, sizeof(m));
    assert_int_equal(memory_op(XEN_MEM_memory_map, ARG), 0);
    memcpy(&m, at(ARG), sizeof(m));
    memcpy(&e, at(LIST), sizeof(e));
    assert_int_equal(m.nr_entries, 1);
    assert_int_equal(m.buffer, LIST);
    assert_int_equal(e.addr, 0);
    assert_int_equal(e.size, NR_PAGES * 4096);
    assert_int_equal(e.type, 1);
    /* A buffer of none: none copied, as Xen. */
    m.nr_entries = 0;
    memcpy(at(ARG), &m, sizeof(m));
    memset(at(LIST), 0xee, sizeof(e));
    assert_int_equal(memory_op(XEN_MEM_memory_map, ARG), 0);
    assert_int_equal(*(uint32_t *)at(ARG), 0);
    assert_int_equal(*(uint8_t *)at(LIST), 0xee);
    /* Where nothing can be read or written. */
    m.nr_entries = 4;
    m.buffer = FAKE_ARG_VA + FAKE_ARG_SIZE - 8;
    memcpy(at(ARG), &m, sizeof(m));
    assert_int_equal(memory_op(XEN_MEM_memory_map, ARG), -HVE_FAULT);
    assert_int_equal(memory_op(XEN_MEM_memory_map, 0xffffffffffff0000ULL), -HVE_FAULT);
}

static void sizes(void **state)
{
    (void)state;
    struct xen_machphys_mapping m;

    assert_int_equal(memory_op(XEN_MEM_machphys_mapping, ARG), 0);
    memcpy(&m, at(ARG), sizeof(m));
    assert_int_equal(m.v_start, XEN_M2P_VA);
    assert_int_equal(m.v_end, XEN_M2P_VA + FAKE_M2P_FRAMES * 4096);
    assert_int_equal(m.max_mfn, NR_PAGES - 1);
    assert_int_equal(memory_op(XEN_MEM_machphys_mapping, FAKE_ARG_VA + FAKE_ARG_SIZE - 8),
                     -HVE_FAULT);
    assert_int_equal(memory_op(XEN_MEM_maximum_ram_page, 0), NR_PAGES - 1);
    assert_int_equal(with_domid(XEN_MEM_maximum_gpfn, SELF), NR_PAGES - 1);
    assert_int_equal(with_domid(XEN_MEM_current_reservation, SELF), NR_PAGES);
    assert_int_equal(with_domid(XEN_MEM_maximum_reservation, SELF), NR_PAGES);
    assert_int_equal(with_domid(XEN_MEM_maximum_gpfn, 0), -HVE_PERM);
    assert_int_equal(with_domid(XEN_MEM_current_reservation, 1), -HVE_PERM);
    assert_int_equal(with_domid(XEN_MEM_maximum_reservation, 0x7ff1), -HVE_PERM);
    assert_int_equal(memory_op(XEN_MEM_current_reservation, 0xffffffffffff0000ULL), -HVE_FAULT);
    /* Not served, and no continuation outside the reservations. */
    static const uint64_t others[] = {
        XEN_MEM_machphys_mfn_list, XEN_MEM_add_to_physmap, 8, XEN_MEM_machine_memory_map,
        11, 13, 63, XEN_MEM_machphys_mapping | (1 << 6), XEN_MEM_memory_map | (5ULL << 40),
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
        assert_int_equal(memory_op(others[i], ARG), -HVE_NOSYS);
}

static void balloon(void **state)
{
    (void)state;
    uint64_t list[4] = { 40, 41 };

    assert_int_equal(reserve(XEN_MEM_decrease_reservation, list, 2), 2);
    assert_int_equal(with_domid(XEN_MEM_current_reservation, SELF), NR_PAGES - 2);
    assert_true(fake.d->xen->mm->frame[40].flags & XMF_RELEASED);
    /* Twice the same frame: the second is no longer the guest's. */
    list[0] = list[1] = 42;
    assert_int_equal(reserve(XEN_MEM_decrease_reservation, list, 2), 1);
    /* A continuation starts at its extent. */
    list[0] = 43;
    list[1] = 44;
    assert_int_equal(reserve(XEN_MEM_decrease_reservation | (1 << 6), list, 2), 2);
    assert_false(fake.d->xen->mm->frame[43].flags & XMF_RELEASED);
    assert_int_equal(reserve(XEN_MEM_decrease_reservation | (5 << 6), list, 2), 5);
    assert_int_equal(with_domid(XEN_MEM_current_reservation, SELF), NR_PAGES - 4);

    /* Released frames are nobody's page table nor mapping. */
    uint64_t *l1 = (uint64_t *)(fake.d->mem + (10 << 12));
    l1[0] = (40ULL << 12) | 7;
    struct xen_mmuext_op pin = { .cmd = XEN_MMUEXT_PIN_L1_TABLE, .arg1 = 10 };
    uint64_t a[6] = { ARG, 1, 0, SELF, 0, 0 };
    memcpy(at(ARG), &pin, sizeof(pin));
    assert_int_equal(xen_hc_mmuext_op(fake.v, a), -HVE_PERM);
    pin.arg1 = 40;
    memcpy(at(ARG), &pin, sizeof(pin));
    assert_int_equal(xen_hc_mmuext_op(fake.v, a), -HVE_INVAL);
    l1[0] = 0;

    /* populate_physmap: the frame asked for, and it goes into the list. */
    list[0] = 41;
    assert_int_equal(reserve(XEN_MEM_populate_physmap, list, 1), 1);
    assert_int_equal(listed(0), 41);
    assert_int_equal(reserve(XEN_MEM_populate_physmap, list, 1), 0);  /* not released */
    list[0] = NR_PAGES;
    assert_int_equal(reserve(XEN_MEM_populate_physmap, list, 1), 0);
    list[0] = UINT64_MAX;
    assert_int_equal(reserve(XEN_MEM_populate_physmap, list, 1), 0);
    /* increase_reservation: the lowest released frames, until none. */
    memset(list, 0, sizeof(list));
    assert_int_equal(reserve(XEN_MEM_increase_reservation, list, 2), 2);
    assert_int_equal(listed(0), 40);
    assert_int_equal(listed(1), 42);
    assert_int_equal(reserve(XEN_MEM_increase_reservation, list, 4), 1);
    assert_int_equal(listed(0), 44);
    assert_int_equal(reserve(XEN_MEM_increase_reservation, list, 4), 0);
    assert_int_equal(with_domid(XEN_MEM_current_reservation, SELF), NR_PAGES);
    /* Without a list, it is only counted. */
    list[0] = 50;
    assert_int_equal(reserve(XEN_MEM_decrease_reservation, list, 1), 1);
    struct xen_memory_reservation r = { .nr_extents = 1, .domid = SELF };
    memcpy(at(ARG), &r, sizeof(r));
    assert_int_equal(memory_op(XEN_MEM_increase_reservation, ARG), 1);
    assert_false(fake.d->xen->mm->frame[50].flags & XMF_RELEASED);
}

static void balloon_refused(void **state)
{
    (void)state;
    uint64_t list[2] = { 10, 11 };
    struct xen_memory_reservation r = {
        .extent_start = LIST, .nr_extents = 2, .domid = SELF, .extent_order = 1,
    };

    /* Orders above 0: nothing done, as Xen with an order it refuses. */
    memcpy(at(LIST), list, sizeof(list));
    memcpy(at(ARG), &r, sizeof(r));
    assert_int_equal(memory_op(XEN_MEM_decrease_reservation, ARG), 0);
    r.extent_order = 0;
    r.domid = 0;
    memcpy(at(ARG), &r, sizeof(r));
    assert_int_equal(memory_op(XEN_MEM_decrease_reservation, ARG), -HVE_PERM);
    assert_int_equal(memory_op(XEN_MEM_decrease_reservation, 0xffffffffffff0000ULL),
                     -HVE_FAULT);
    /* A list that runs off the argument area after one extent. */
    r.domid = SELF;
    r.extent_start = FAKE_ARG_VA + FAKE_ARG_SIZE - 8;
    *(uint64_t *)at(r.extent_start) = 12;
    memcpy(at(ARG), &r, sizeof(r));
    assert_int_equal(memory_op(XEN_MEM_decrease_reservation, ARG), 1);
    /* ...and one whose frame cannot go back into it: stays released. */
    r.nr_extents = 1;
    fake.ro_start = 0;
    fake.ro_end = NR_PAGES << 12;
    r.extent_start = 0x1000;
    memcpy(at(ARG), &r, sizeof(r));
    assert_int_equal(memory_op(XEN_MEM_increase_reservation, ARG), 0);
    assert_true(fake.d->xen->mm->frame[12].flags & XMF_RELEASED);
    fake.ro_start = fake.ro_end = 0;

    /* Frames in use stay: a page table, a mapped frame, a GDT page. */
    uint64_t *l1 = (uint64_t *)(fake.d->mem + (10 << 12));
    l1[0] = (11ULL << 12) | 5;
    struct xen_mmuext_op pin = { .cmd = XEN_MMUEXT_PIN_L1_TABLE, .arg1 = 10 };
    uint64_t a[6] = { ARG, 1, 0, SELF, 0, 0 };
    memcpy(at(ARG), &pin, sizeof(pin));
    assert_int_equal(xen_hc_mmuext_op(fake.v, a), 0);
    assert_int_equal(xen_mm_get_seg_desc(fake.d, 13), 0);
    fake.seg_refs[13]++;
    list[0] = 10;
    assert_int_equal(reserve(XEN_MEM_decrease_reservation, list, 1), 0);
    list[0] = 11;
    assert_int_equal(reserve(XEN_MEM_decrease_reservation, list, 1), 0);
    list[0] = 13;
    assert_int_equal(reserve(XEN_MEM_decrease_reservation, list, 1), 0);
    list[0] = NR_PAGES;
    assert_int_equal(reserve(XEN_MEM_decrease_reservation, list, 1), 0);
    assert_int_equal(with_domid(XEN_MEM_current_reservation, SELF), NR_PAGES - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(memory_map, setup, teardown),
        cmocka_unit_test_setup_teardown(sizes, setup, teardown),
        cmocka_unit_test_setup_teardown(balloon, setup, teardown),
        cmocka_unit_test_setup_teardown(balloon_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
