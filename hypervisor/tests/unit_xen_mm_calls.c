/*
 * unit_xen_mm_calls.c - mmu_update, mmuext_op and update_va_mapping as
 * the guest calls them, on the fake domain of unit_xen_mm.c with its boot
 * tables: the batches' counts, success counts and pointers, hostile and
 * not; domids; the accessed and dirty bits PRESERVE_AD keeps and the bits
 * that pass as given; update_va_mapping's flushes and the full flush
 * hvcore adds when a frame mapped writable without one becomes a table;
 * the mmuext operations besides pins; a full stub queue.
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


#define REQ      FAKE_REQ_VA
#define DONE     FAKE_DONE_VA
#define BUF      (FAKE_ARG_VA + 0x2000)  /* a vCPU mask */

/* Guest address va in hvcore's memory: the argument area, or RAM. */
static void *at(uint64_t va)
{
    return va >= FAKE_ARG_VA ? fake.args + (va - FAKE_ARG_VA) : fake.d->mem + va;
}

/* ---- mmuext_op besides pins ---------------------------------------------------- */

static void mmuext_others(void **state)
{
    (void)state;
    assert_int_equal(fake_ext(XEN_MMUEXT_SET_LDT, 0, 0), 0);
    assert_int_equal(fake_ext(XEN_MMUEXT_SET_LDT, 0x1000, 0), 0);
    assert_int_equal(fake_ext(XEN_MMUEXT_SET_LDT, 0x1008, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_SET_LDT, 0x1000, 8193), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_SET_LDT, 0x1000, 5), -HVE_NOSYS);
    uint64_t base;
    uint32_t ents;
    xen_mm_ldt(fake.v, &base, &ents);
    assert_int_equal(base, 0x1000);
    assert_int_equal(ents, 0);
    assert_int_equal(fake_ext(XEN_MMUEXT_FLUSH_CACHE, 0, 0), -HVE_PERM);
    assert_int_equal(fake_ext(XEN_MMUEXT_FLUSH_CACHE_GLOBAL, 0, 0), -HVE_PERM);
    assert_int_equal(fake_ext(XEN_MMUEXT_MARK_SUPER, 40, 0), -HVE_NOSYS);
    assert_int_equal(fake_ext(14, 0, 0), -HVE_NOSYS);
    assert_int_equal(fake_ext(0xffffffff, 0, 0), -HVE_NOSYS);

    /* Pages cleared and copied: writable RAM only. */
    memset(fake_table(40), 0xab, 4096);
    memset(fake_table(41), 0x11, 4096);
    assert_int_equal(fake_ext(XEN_MMUEXT_COPY_PAGE, 42, 41), 0);
    assert_int_equal(fake_table(42)[511], 0x1111111111111111ULL);
    assert_int_equal(fake_ext(XEN_MMUEXT_CLEAR_PAGE, 40, 0), 0);
    for (unsigned i = 0; i < 512; i++)
        assert_int_equal(fake_table(40)[i], 0);
    assert_int_equal(fake.xv->nr_ptw, 0);             /* never page tables */
    assert_int_equal(fake_ext(XEN_MMUEXT_CLEAR_PAGE, 4, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_COPY_PAGE, 3, 40), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_COPY_PAGE, 40, 3), 0);        /* reading is fine */
    assert_int_equal(fake_table(40)[0], fake_table(3)[0]);
    assert_int_equal(fake_ext(XEN_MMUEXT_COPY_PAGE, 40, NR_PAGES), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_CLEAR_PAGE, NR_PAGES, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_CLEAR_PAGE, FAKE_SHARED_MFN, 0), -HVE_INVAL);
    CHECK_MM();
}

static void foreign_domains(void **state)
{
    (void)state;
    uint64_t a[6] = { REQ, 1, DONE, 0, 0, 0 };
    struct xen_mmu_update r = { 40ULL << 12, 1 };
    static const uint64_t ids[] = { 0, 1, 0x7ff1, 0x7ff2, 0x10007ff0 };

    memcpy(at(REQ), &r, sizeof(r));
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        a[3] = ids[i];
        assert_int_equal(xen_hc_mmu_update(fake.v, a), -HVE_PERM);
        assert_int_equal(xen_hc_mmuext_op(fake.v, a), -HVE_PERM);
    }
    assert_int_equal(fake_table(40)[0], 0);
    CHECK_MM();
}

/* ---- entry bits, update_va_mapping's flushes -------------------------------- */

static void preserve_ad(void **state)
{
    (void)state;
    /* The hardware set A and D on FAKE_KVA(40)'s entry. */
    assert_int_equal(fake_table(4)[40] & (XPTE_A | XPTE_D), XPTE_A | XPTE_D);
    assert_int_equal(fake_mmu(4, 40, pte(40, XPTE_P | XPTE_RW), XEN_MMU_PT_UPDATE_PRESERVE_AD), 0);
    assert_int_equal(fake_table(4)[40], pte(40, RW));
    assert_int_equal(fake_mmu(4, 40, pte(40, XPTE_P | XPTE_RW), XEN_MMU_NORMAL_PT_UPDATE), 0);
    assert_int_equal(fake_table(4)[40], pte(40, XPTE_P | XPTE_RW | XPTE_US));
    /* Not taken from a non-present entry, nor put into one. */
    assert_int_equal(fake_mmu(4, 41, 0x60, 0), 0);
    assert_int_equal(fake_mmu(4, 41, pte(41, XPTE_P), XEN_MMU_PT_UPDATE_PRESERVE_AD), 0);
    assert_int_equal(fake_table(4)[41], pte(41, XPTE_P | XPTE_US));
    assert_int_equal(fake_mmu(4, 41, 0x2, XEN_MMU_PT_UPDATE_PRESERVE_AD), 0);
    assert_int_equal(fake_table(4)[41], 0x2);
    /* NX, PAT, PCD, PWT, G and the software bits stay as given. */
    uint64_t bits = XPTE_NX | (0x7ffULL << 52) | XPTE_PS | XPTE_G | 0x18 | 0xe00;
    assert_int_equal(fake_mmu(4, 42, pte(42, XPTE_P | bits), 0), 0);
    assert_int_equal(fake_table(4)[42], pte(42, XPTE_P | XPTE_US | bits));
    assert_true(fake_queued(4, 42, fake_table(4)[42]));
    CHECK_MM();
}

static void update_va_mapping_flushes(void **state)
{
    (void)state;
    assert_int_equal(fake_uvm(FAKE_KVA(40), pte(40, RO), XEN_UVMF_NONE), 0);
    assert_int_equal(fake_table(4)[40], pte(40, RO));
    assert_true(fake_queued(4, 40, pte(40, RO)));
    assert_int_equal(fake.xv->flush, XEN_FLUSH_NONE);
    assert_int_equal(fake_uvm(FAKE_KVA(41), pte(41, RO), XEN_UVMF_INVLPG), 0);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_INVLPG);
    assert_int_equal(fake.xv->nr_flush_va, 1);
    assert_int_equal(fake.xv->flush_va[0], FAKE_KVA(41));
    fake_ran();
    assert_int_equal(fake_uvm(FAKE_KVA(42), pte(42, RO), XEN_UVMF_TLB_FLUSH | XEN_UVMF_ALL), 0);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_ALL);
    fake_ran();
    /* A vCPU mask pointer in the upper bits (UVMF_MULTI): one vCPU. */
    assert_int_equal(fake_uvm(FAKE_KVA(43), pte(43, RO), BUF | XEN_UVMF_INVLPG), 0);
    assert_int_equal(fake.xv->flush_va[0], FAKE_KVA(43));
    fake_ran();

    /* The full flush took the writable mappings of 40-42 out of every
     * TLB; 43's may still be in one (an invlpg flushes one address, and
     * the frame may be mapped at others). */
    for (uint64_t f = 40; f <= 42; f++)
        assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, f, 0), 0);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_NONE);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 43, 0), 0);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_ALL);
    fake_ran();
    assert_int_equal(fake_ext(XEN_MMUEXT_TLB_FLUSH_MULTI, 0, BUF), 0);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_ALL);
    fake_ran();
    assert_int_equal(fake_ext(XEN_MMUEXT_INVLPG_LOCAL, FAKE_KVA(5), 0), 0);
    assert_int_equal(fake.xv->flush_va[0], FAKE_KVA(5));
    fake_ran();
    assert_int_equal(fake_ext(XEN_MMUEXT_INVLPG_ALL, 0xffff808000001000ULL, 0), 0);
    assert_int_equal(fake_ext(XEN_MMUEXT_INVLPG_MULTI, 0x0000800000000000ULL, 0), 0);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_NONE);  /* not the guest's */

    /* Refused before anything changes. */
    assert_int_equal(fake_uvm(FAKE_KVA(44), pte(44, RO), 3), -HVE_INVAL);
    assert_int_equal(fake_uvm(0x1000, pte(44, RO), 0), -HVE_INVAL);     /* no L3 */
    assert_int_equal(fake_uvm(FAKE_KBASE + (1ULL << 21), pte(44, RO), 0), -HVE_INVAL); /* no L1 */
    assert_int_equal(fake_uvm(0xffff808000000000ULL, pte(44, RO), 0), -HVE_INVAL);
    assert_int_equal(fake_uvm(0x0000800000000000ULL, pte(44, RO), 0), -HVE_INVAL);
    assert_int_equal(fake_uvm(FAKE_KVA(44), pte(NR_PAGES, RO), 0), -HVE_PERM);
    assert_int_equal(fake_table(4)[44], pte(44, RW));
    CHECK_MM();
}

/* ---- hostile batches -------------------------------------------------------- */

static void hostile_batches(void **state)
{
    (void)state;
    uint64_t a[6] = { REQ, XEN_MM_MAX_OPS + 1, DONE, SELF, 0, 0 };
    struct xen_mmu_update r[2] = {
        { (40ULL << 12) | 8, 7 },
        { (40ULL << 12) | 16, 8 },
    };

    memcpy(at(REQ), r, sizeof(r));
    assert_int_equal(xen_hc_mmu_update(fake.v, a), -HVE_2BIG);
    assert_int_equal(xen_hc_mmuext_op(fake.v, a), -HVE_2BIG);
    assert_int_equal(fake_table(40)[1], 0);
    /* Only the count's 32 bits. */
    a[1] = 0xffffffff00000001ULL;
    assert_int_equal(xen_hc_mmu_update(fake.v, a), 0);
    assert_int_equal(fake_table(40)[1], 7);
    assert_int_equal(fake_done(), 1);
    /* A continuation adds to the count already done. */
    a[1] = XEN_MMU_UPDATE_PREEMPTED | 2;
    *(uint32_t *)at(DONE) = 5;
    assert_int_equal(xen_hc_mmu_update(fake.v, a), 0);
    assert_int_equal(fake_done(), 7);
    /* No success count: none written. */
    a[1] = 0;
    a[2] = 0;
    assert_int_equal(xen_hc_mmu_update(fake.v, a), 0);
    /* The array runs off guest memory after one request. */
    a[0] = (NR_PAGES << 12) - sizeof(r[0]) - 4;
    memcpy(at(a[0]), r, sizeof(r[0]));
    a[1] = 2;
    a[2] = DONE;
    assert_int_equal(xen_hc_mmu_update(fake.v, a), -HVE_FAULT);
    assert_int_equal(fake_done(), 1);
    a[0] = 0xffffffffffffff00ULL;
    assert_int_equal(xen_hc_mmu_update(fake.v, a), -HVE_FAULT);
    assert_int_equal(fake_done(), 0);
    /* The success count cannot be written: the work is done, the call
     * fails. */
    a[0] = REQ;
    a[1] = 2;
    a[2] = NR_PAGES << 12;
    fake_table(40)[1] = fake_table(40)[2] = 0;
    assert_int_equal(xen_hc_mmu_update(fake.v, a), -HVE_FAULT);
    assert_int_equal(fake_table(40)[2], 8);
    struct xen_mmuext_op flush = { .cmd = XEN_MMUEXT_TLB_FLUSH_LOCAL };
    memcpy(at(REQ + 4096), &flush, sizeof(flush));
    a[0] = REQ + 4096;
    a[1] = 1;
    assert_int_equal(xen_hc_mmuext_op(fake.v, a), -HVE_FAULT);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_ALL);
    a[0] = REQ;
    /* ...nor read, for a continuation. */
    a[1] = XEN_MMU_UPDATE_PREEMPTED | 1;
    a[2] = NR_PAGES << 12;
    assert_int_equal(xen_hc_mmu_update(fake.v, a), -HVE_FAULT);
    /* Nor into a page table (no writable mapping of one exists). */
    a[0] = REQ + 4096;
    a[1] = 1;
    a[2] = 4ULL << 12;
    assert_int_equal(xen_hc_mmuext_op(fake.v, a), -HVE_FAULT);
    a[0] = REQ;
    /* A failure stops the batch where it happened. */
    r[0].val = pte(NR_PAGES, RW);
    r[0].ptr = 4ULL << 12;
    memcpy(at(REQ + sizeof(r[0])), r, sizeof(r[0]));
    r[0] = (struct xen_mmu_update){ (40ULL << 12) | 24, 9 };
    memcpy(at(REQ), r, sizeof(r[0]));
    a[1] = 2;
    a[2] = DONE;
    assert_int_equal(xen_hc_mmu_update(fake.v, a), -HVE_PERM);
    assert_int_equal(fake_done(), 1);
    assert_int_equal(fake_table(40)[3], 9);
    CHECK_MM();
}

static void queue_full(void **state)
{
    (void)state;
    /* 25 has been a table: the stub (KVM) knows it. */
    for (unsigned i = 0; i < 10; i++)
        fake_guest_write(25, i, pte(30 + i, RO & ~XPTE_US));
    make_ro(25);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 25, 0), 0);
    CHECK_MM();
    assert_int_equal(fake_ext(XEN_MMUEXT_UNPIN_TABLE, 25, 0), 0);
    /* Filled again without user bits, pinned with a queue that is full
     * after two writes. */
    assert_int_equal(fake_uvm(FAKE_KVA(25), pte(25, RW), 0), 0);
    for (unsigned i = 0; i < 10; i++)
        fake_guest_write(25, i, pte(30 + i, RO & ~XPTE_US));
    make_ro(25);
    fake_ran();
    fake.ptw_max = 2;
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 25, 0), 0);
    assert_int_equal(fake.xv->nr_ptw, 2);
    assert_int_equal(fake.d->xen->mm->ptw_lost, 8);
    for (unsigned i = 0; i < 10; i++)
        assert_true(fake_table(25)[i] & XPTE_US);              /* host memory is right */
    fake.ptw_max = SIZE_MAX;
    /* The stub missed writes: fake_check's shadow says so. */
    assert_non_null(fake_check());
    memcpy(fake.shadow + (25 << 12), fake_table(25), 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(mmuext_others, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(foreign_domains, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(preserve_ad, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(update_va_mapping_flushes, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(hostile_batches, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(queue_full, setup_boot, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
