/*
 * unit_xen_mm.c - a Xen-PV guest's page tables as a Linux-like, and a
 * hostile, guest builds them, on a fake domain of 64 frames
 * (xen_mm_fake.h): the boot tables adopted, Linux's pattern of filling,
 * write-protecting and pinning tables, the user bits and hvcore's slot
 * entry that hvcore adds and queues for the in-guest stub, every entry and
 * pin refused with its error and nothing left behind, the type counts back
 * to zero once everything is unpinned, GDT pages and frames hvcore writes
 * itself; after every test, the invariants of fake_check.
 *
 * Boot layout (fake_build_boot): L4 1 -> L3 2 -> L2 3 -> L1 4, which maps
 * frame f at FAKE_KVA(f) for all 64 frames, the four tables read-only.
 * (unit_xen_mm_calls.c: the hypercalls' arguments and flushes.)
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


static const struct xen_mm_frame *fr(uint64_t mfn)
{
    return &fake.d->xen->mm->frame[mfn];
}

static int setup_empty(void **state)
{
    (void)state;
    return fake_init(NR_PAGES, true);
}

/* ---- the boot tables ------------------------------------------------------- */

static void boot_adopted(void **state)
{
    (void)state;
    assert_int_equal(fake.xv->guest_table, 1);
    assert_int_equal(fr(1)->type, XMT_L4);
    assert_int_equal(fr(1)->type_count, 2);         /* pin and base pointer */
    assert_true(fr(1)->flags & XMF_PINNED);
    assert_int_equal(fr(2)->type, XMT_L3);
    assert_int_equal(fr(3)->type, XMT_L2);
    assert_int_equal(fr(4)->type, XMT_L1);
    assert_int_equal(fr(4)->type_count, 1);
    assert_int_equal(fr(10)->type, XMT_WRITABLE);
    assert_int_equal(fr(10)->maps, 1);
    assert_int_equal(fr(2)->maps, 1);               /* read-only */
    assert_true(xen_mm_frame_is_pt(fake.d, 3));
    assert_false(xen_mm_frame_is_pt(fake.d, 10));
    assert_false(xen_mm_frame_is_pt(fake.d, 1000));
    CHECK_MM();
}

static void boot_gets_user_bits_and_slot(void **state)
{
    (void)state;
    fake_build_boot(0);
    fake_table(1)[XEN_SLOT] = 0;
    fake_table(1)[XEN_HV_L4_FIRST] = 0x1234567;            /* ignored, then cleared */
    assert_int_equal(xen_mm_adopt_boot(fake.v, 1), 0);
    assert_true(fake.xv->cr3_dirty);
    /* Tables that were never tables before cannot be in KVM's shadows:
     * their first check writes from the host only, nothing is queued. */
    for (uint64_t f = 0; f < NR_PAGES; f++) {
        assert_true(fake_table(4)[f] & XPTE_US);
        assert_false(fake_queued(4, (unsigned)f, fake_table(4)[f]));
    }
    assert_false(fake_queued(3, 0, pte(4, NOUSER | XPTE_US)));
    assert_int_equal(fake_table(1)[XEN_SLOT], FAKE_SLOT_L4E);
    assert_false(fake_queued(1, XEN_SLOT, FAKE_SLOT_L4E));
    assert_int_equal(fake_table(1)[XEN_HV_L4_FIRST], 0);
    assert_false(fake_queued(1, XEN_HV_L4_FIRST, 0));
    assert_int_equal(fake.xv->nr_ptw, 0);
    CHECK_MM();
}

static void boot_refused(void **state)
{
    (void)state;
    fake_build_boot(XPTE_US);
    fake_table(4)[1] |= XPTE_RW;                           /* its own L4, writable */
    assert_int_equal(xen_mm_adopt_boot(fake.v, 1), -HVE_INVAL);
    assert_int_equal(fake.xv->guest_table, 0);
    for (uint64_t f = 0; f < NR_PAGES; f++) {
        assert_int_equal(fr(f)->type_count, 0);
        assert_int_equal(fr(f)->maps, 0);
    }
    assert_int_equal(xen_mm_adopt_boot(fake.v, 0), -HVE_INVAL);
    CHECK_MM();
}

/* ---- Linux's pattern ------------------------------------------------------- */

static void linux_pattern(void **state)
{
    (void)state;
    /* A new mm: L1 20 maps 30-33 writable and 34 read-only, L2 21, L3 22,
     * L4 23 (which shares the kernel's L3 2), all written directly,
     * without user bits, and garbage in hvcore's slots. */
    for (unsigned i = 0; i < 4; i++)
        fake_guest_write(20, i, pte(30 + i, NOUSER));
    fake_guest_write(20, 4, pte(34, XPTE_P | XPTE_A));
    fake_guest_write(21, 0, pte(20, NOUSER));
    fake_guest_write(22, 0, pte(21, NOUSER | XPTE_US));
    fake_guest_write(23, 0, pte(22, NOUSER | XPTE_US));
    fake_guest_write(23, 511, pte(2, NOUSER | XPTE_US));
    fake_guest_write(23, XEN_HV_L4_FIRST, pte(5, NOUSER));
    fake_guest_write(23, XEN_SLOT, pte(6, RW));
    for (uint64_t f = 20; f <= 23; f++)
        make_ro(f);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_NONE);   /* Linux asks for none */
    assert_int_equal(fr(20)->type, XMT_NONE);

    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 20, 0), 0);
    assert_int_equal(fr(20)->type, XMT_L1);
    assert_true(fr(20)->flags & XMF_PINNED);
    for (unsigned i = 0; i < 5; i++) {
        assert_true(fake_table(20)[i] & XPTE_US);
        assert_false(fake_queued(20, i, fake_table(20)[i]));   /* a first check */
    }
    assert_int_equal(fr(30)->type, XMT_WRITABLE);
    assert_int_equal(fr(30)->type_count, 2);
    assert_int_equal(fr(34)->type_count, 1);            /* the boot map's */
    assert_int_equal(fr(34)->maps, 2);
    /* Its writable mapping went without a flush: hvcore flushes. */
    assert_int_equal(fake.xv->flush, XEN_FLUSH_ALL);
    fake_ran();

    /* That flush covered the other tables' writable mappings too. */
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L2_TABLE, 21, 0), 0);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L3_TABLE, 22, 0), 0);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L4_TABLE, 23, 0), 0);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_NONE);
    assert_false(fake_queued(21, 0, pte(20, NOUSER | XPTE_US)));    /* first checks */
    assert_int_equal(fake_table(21)[0], pte(20, NOUSER | XPTE_US));
    assert_int_equal(fake_table(23)[XEN_SLOT], FAKE_SLOT_L4E);
    assert_int_equal(fake_table(23)[XEN_HV_L4_FIRST], 0);
    assert_false(fake_queued(23, XEN_SLOT, FAKE_SLOT_L4E));
    assert_int_equal(fr(20)->type_count, 2);            /* pin and L2 21 */
    assert_int_equal(fr(2)->type_count, 2);             /* L4 1 and L4 23 */

    assert_int_equal(fake_ext(XEN_MMUEXT_NEW_BASEPTR, 23, 0), 0);
    assert_int_equal(fake.xv->guest_table, 23);
    assert_true(fake.xv->cr3_dirty);
    assert_int_equal(fr(1)->type_count, 1);
    assert_int_equal(fake_ext(XEN_MMUEXT_UNPIN_TABLE, 1, 0), 0);
    assert_int_equal(fr(1)->type, XMT_NONE);
    assert_int_equal(fr(2)->type_count, 1);
    /* The old L4 is plain memory again: the guest may map it writable. */
    assert_int_equal(fake_uvm(FAKE_KVA(1), pte(1, RW), XEN_UVMF_INVLPG), 0);
    assert_int_equal(fr(1)->type, XMT_WRITABLE);

    /* A new L1 in a pinned mm: pin it, then point the L2 at it. */
    fake_guest_write(24, 0, pte(35, NOUSER));
    make_ro(24);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 24, 0), 0);
    assert_int_equal(fake_mmu(21, 1, pte(24, NOUSER), XEN_MMU_NORMAL_PT_UPDATE), 0);
    assert_int_equal(fake_done(), 1);
    assert_int_equal(fake_table(21)[1], pte(24, NOUSER | XPTE_US));
    /* The entry was not present: KVM had nothing of it to shadow. */
    assert_false(fake_queued(21, 1, pte(24, NOUSER | XPTE_US)));
    assert_int_equal(fr(24)->type_count, 2);
    /* mmu_update flushes nothing by itself. */
    fake_ran();
    assert_int_equal(fake_mmu(21, 1, 0, XEN_MMU_NORMAL_PT_UPDATE), 0);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_NONE);
    assert_int_equal(fr(24)->type_count, 1);
    CHECK_MM();
}

static void everything_unpinned_leaves_nothing(void **state)
{
    (void)state;
    /* L4 10 -> L3 11 -> L2 12 -> L1 13 (maps 20-29 writable, 14 RO);
     * L4 15 empty.  No mapping of the tables themselves (empty domain). */
    fake_table(10)[0] = pte(11, RW);
    fake_table(10)[1] = pte(11, RW);                       /* twice */
    fake_table(11)[3] = pte(12, RW);
    fake_table(12)[7] = pte(13, RW);
    for (unsigned i = 0; i < 10; i++)
        fake_table(13)[i] = pte(20 + i, RW);
    fake_table(13)[10] = pte(14, RO);
    fake_table(13)[11] = pte(FAKE_SHARED_MFN, RW);
    fake_table(13)[12] = pte(FAKE_M2P_MFN + 1, RO);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L4_TABLE, 10, 0), 0);
    assert_int_equal(fr(11)->type_count, 2);
    assert_int_equal(fake_ext(XEN_MMUEXT_NEW_BASEPTR, 10, 0), 0);
    assert_int_equal(fake_ext(XEN_MMUEXT_NEW_USER_BASEPTR, 10, 0), 0);
    assert_int_equal(fr(10)->type_count, 3);
    assert_int_equal(fake.xv->guest_table_user, 10);
    CHECK_MM();
    assert_int_equal(fake_ext(XEN_MMUEXT_NEW_USER_BASEPTR, 0, 0), 0);
    assert_int_equal(fake.xv->guest_table_user, 0);
    assert_int_equal(fake_ext(XEN_MMUEXT_UNPIN_TABLE, 10, 0), 0);
    assert_int_equal(fake_ext(XEN_MMUEXT_NEW_BASEPTR, 15, 0), 0);
    for (uint64_t f = 0; f < NR_PAGES; f++) {
        if (f == 15)
            continue;
        assert_int_equal(fr(f)->type, XMT_NONE);
        assert_int_equal(fr(f)->type_count, 0);
        assert_int_equal(fr(f)->maps, 0);
    }
    assert_int_equal(fr(15)->type_count, 1);
    CHECK_MM();
}

/* ---- refusals ---------------------------------------------------------------- */

static void entries_refused(void **state)
{
    (void)state;
    /* L1 4 maps frame f at index f; 40 is a plain frame. */
    assert_int_equal(fake_mmu(4, 40, pte(NR_PAGES + 5, RW), 0), -HVE_PERM);
    assert_int_equal(fake_done(), 0);
    assert_int_equal(fake_mmu(4, 40, pte(FAKE_PRIV_MFN, RO), 0), -HVE_PERM);
    assert_int_equal(fake_mmu(4, 40, pte(FAKE_M2P_MFN, RW), 0), -HVE_PERM);
    assert_int_equal(fake_mmu(4, 40, pte(FAKE_M2P_MFN + FAKE_M2P_FRAMES, RO), 0), -HVE_PERM);
    assert_int_equal(fake_mmu(4, 40, pte(FAKE_M2P_MFN + 1, RO), 0), 0);
    assert_int_equal(fake_mmu(4, 41, pte(FAKE_SHARED_MFN, RW), 0), 0);
    assert_int_equal(fr(40)->maps, 0);
    assert_int_equal(fr(40)->type, XMT_NONE);
    /* Page tables mapped writable. */
    uint64_t before = fake_table(4)[2];
    assert_int_equal(fake_mmu(4, 42, pte(3, RW), 0), -HVE_INVAL);
    assert_int_equal(fake_uvm(FAKE_KVA(2), pte(2, RW), XEN_UVMF_NONE), -HVE_INVAL);
    assert_int_equal(fake_table(4)[2], before);
    /* Upper levels: frames outside RAM, superpages, reserved bits, levels. */
    assert_int_equal(fake_mmu(3, 1, pte(NR_PAGES, RW), 0), -HVE_INVAL);
    assert_int_equal(fake_mmu(3, 1, pte(FAKE_SHARED_MFN, RW), 0), -HVE_INVAL);
    assert_int_equal(fake_mmu(3, 1, pte(40, RW | XPTE_PS), 0), -HVE_INVAL);
    assert_int_equal(fake_mmu(2, 1, pte(40, RW | XPTE_PS), 0), -HVE_INVAL);
    assert_int_equal(fake_mmu(1, 1, pte(40, RW | XPTE_G), 0), -HVE_INVAL);
    assert_int_equal(fake_mmu(1, 1, pte(40, RW | XPTE_PS), 0), -HVE_INVAL);
    assert_int_equal(fake_mmu(3, 1, pte(2, RW), 0), -HVE_INVAL);      /* an L3 as L1 */
    assert_int_equal(fake_mmu(2, 1, pte(4, RW), 0), -HVE_INVAL);      /* an L1 as L2 */
    assert_int_equal(fake_mmu(1, 1, pte(1, RW), 0), -HVE_INVAL);      /* itself     */
    /* hvcore's L4 slots, whatever the value. */
    for (unsigned s = XEN_HV_L4_FIRST; s <= XEN_HV_L4_LAST; s++)
        assert_int_equal(fake_mmu(1, s, 0, 0), -HVE_INVAL);
    assert_int_equal(fake_table(1)[XEN_SLOT], FAKE_SLOT_L4E);
    /* Not present: anything goes (swap entries), and no reference. */
    assert_int_equal(fake_mmu(4, 40, 0xfffffffffffffffeULL, 0), 0);
    assert_int_equal(fr(40)->maps, 0);
    /* Entries in frames that are not guest RAM. */
    assert_int_equal(fake_mmu(NR_PAGES, 0, 0, 0), -HVE_INVAL);
    assert_int_equal(fake_mmu(FAKE_SHARED_MFN, 0, 0, 0), -HVE_INVAL);
    /* Commands. */
    assert_int_equal(fake_mmu(40, 0, 40, XEN_MMU_MACHPHYS_UPDATE), 0);
    assert_int_equal(fake_mmu(40, 0, 41, XEN_MMU_MACHPHYS_UPDATE), -HVE_INVAL);
    assert_int_equal(fake_mmu(NR_PAGES, 0, NR_PAGES, XEN_MMU_MACHPHYS_UPDATE), -HVE_INVAL);
    assert_int_equal(fake_mmu(40, 0, 0, XEN_MMU_PT_UPDATE_NO_TRANSLATE), -HVE_NOSYS);
    assert_int_equal(fake_mmu(40, 0, 0, 4), -HVE_NOSYS);
    assert_int_equal(fake_mmu(40, 0, 0, 7), -HVE_NOSYS);
    CHECK_MM();
}

static void pins_refused(void **state)
{
    (void)state;
    /* Mapped writable by the boot L1. */
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 30, 0), -HVE_INVAL);
    assert_int_equal(fr(30)->type, XMT_WRITABLE);
    /* A writable mapping of itself, after good entries: all rolled back. */
    fake_guest_write(25, 0, pte(31, RW));
    fake_guest_write(25, 1, pte(32, RO));
    fake_guest_write(25, 2, pte(25, RW));
    make_ro(25);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 25, 0), -HVE_INVAL);
    assert_int_equal(fr(25)->type, XMT_NONE);
    assert_int_equal(fr(31)->type_count, 1);
    assert_int_equal(fr(31)->maps, 1);
    assert_int_equal(fr(32)->maps, 1);
    /* An L2 whose second L1 maps the L2 writable: the first L1 too. */
    fake_guest_write(26, 0, pte(27, RW));
    fake_guest_write(26, 1, pte(28, RW));
    fake_guest_write(27, 0, pte(33, RW));
    fake_guest_write(28, 0, pte(26, RW));
    for (uint64_t f = 26; f <= 28; f++)
        make_ro(f);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L2_TABLE, 26, 0), -HVE_INVAL);
    for (uint64_t f = 26; f <= 28; f++)
        assert_int_equal(fr(f)->type, XMT_NONE);
    assert_int_equal(fr(33)->type_count, 1);
    /* Twice, levels, unpin, frames. */
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 27, 0), 0);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 27, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L2_TABLE, 27, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L2_TABLE, 4, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_UNPIN_TABLE, 28, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_UNPIN_TABLE, 4, 0), -HVE_INVAL);  /* only referenced */
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, NR_PAGES, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_UNPIN_TABLE, NR_PAGES, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L4_TABLE, FAKE_SHARED_MFN, 0), -HVE_INVAL);
    /* Base pointers. */
    assert_int_equal(fake_ext(XEN_MMUEXT_NEW_BASEPTR, 27, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_NEW_BASEPTR, 0, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_NEW_BASEPTR, NR_PAGES, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_NEW_USER_BASEPTR, 40, 0), -HVE_INVAL);  /* writable */
    assert_int_equal(fake.xv->guest_table, 1);
    assert_int_equal(fake_ext(XEN_MMUEXT_NEW_USER_BASEPTR, 0, 0), 0);
    assert_int_equal(fake_ext(XEN_MMUEXT_NEW_BASEPTR, 1, 0), 0);      /* the same */
    assert_int_equal(fr(1)->type_count, 2);
    CHECK_MM();
}

static void plain_writes(void **state)
{
    (void)state;
    /* Frame 40 is no table: the value goes in as it is, not to the stub. */
    assert_int_equal(fake_mmu(40, 3, 0xdead, 0), 0);
    assert_int_equal(fake_table(40)[3], 0xdead);
    assert_int_equal(fake.xv->nr_ptw, 0);
    /* A former table's present words do go to the stub; words that were
     * not present need not. */
    fake_guest_write(25, 0, pte(35, NOUSER));
    make_ro(25);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 25, 0), 0);
    assert_int_equal(fake_ext(XEN_MMUEXT_UNPIN_TABLE, 25, 0), 0);
    fake_ran();
    assert_int_equal(fake_mmu(25, 0, 0xbeef, XEN_MMU_PT_UPDATE_PRESERVE_AD), 0);
    assert_true(fake_queued(25, 0, 0xbeef));
    assert_int_equal(fake_mmu(25, 9, 0xbeef, XEN_MMU_PT_UPDATE_PRESERVE_AD), 0);
    assert_false(fake_queued(25, 9, 0xbeef));
    /* GDT pages are nobody's to write. */
    make_ro(26);
    assert_int_equal(xen_mm_get_seg_desc(fake.d, 26), 0);
    fake.seg_refs[26]++;
    assert_int_equal(fake_mmu(26, 0, 0, 0), -HVE_INVAL);
    CHECK_MM();
}

/* ---- hvcore's own references ----------------------------------------------- */

static void seg_desc(void **state)
{
    (void)state;
    assert_int_equal(xen_mm_get_seg_desc(fake.d, 40), -HVE_INVAL);  /* writable */
    assert_int_equal(xen_mm_get_seg_desc(fake.d, 4), -HVE_INVAL);   /* a table */
    assert_int_equal(xen_mm_get_seg_desc(fake.d, NR_PAGES), -HVE_INVAL);
    make_ro(40);
    fake_ran();
    assert_int_equal(xen_mm_get_seg_desc(fake.d, 40), 0);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_ALL);              /* stale */
    assert_int_equal(xen_mm_get_seg_desc(fake.d, 40), 0);
    fake.seg_refs[40] += 2;
    assert_int_equal(fr(40)->type, XMT_SEG_DESC);
    assert_false(xen_mm_frame_is_pt(fake.d, 40));
    assert_int_equal(fake_uvm(FAKE_KVA(40), pte(40, RW), 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 40, 0), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_CLEAR_PAGE, 40, 0), -HVE_INVAL);
    assert_int_equal(fake_uvm(FAKE_KVA(40), pte(40, RO | XPTE_D), 0), 0);     /* RO is fine */
    CHECK_MM();
    xen_mm_put_seg_desc(fake.d, 40);
    xen_mm_put_seg_desc(fake.d, 40);
    fake.seg_refs[40] = 0;
    assert_int_equal(fr(40)->type, XMT_NONE);
    assert_int_equal(fake_uvm(FAKE_KVA(40), pte(40, RW), 0), 0);
    CHECK_MM();
}

static void host_writable(void **state)
{
    (void)state;
    assert_int_equal(xen_mm_get_writable(fake.d, 40), 0);     /* mapped RW too */
    fake.host_refs[40]++;
    assert_int_equal(fr(40)->type_count, 2);
    make_ro(40);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 40, 0), -HVE_INVAL);
    assert_int_equal(xen_mm_get_seg_desc(fake.d, 40), -HVE_INVAL);
    CHECK_MM();
    xen_mm_put_writable(fake.d, 40);
    fake.host_refs[40]--;
    assert_int_equal(fr(40)->type, XMT_NONE);
    fake_ran();
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 40, 0), 0);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_ALL);            /* make_ro's */
    /* Page tables, former ones, frames that are not the guest's. */
    assert_int_equal(xen_mm_get_writable(fake.d, 40), -HVE_INVAL);
    assert_int_equal(fake_ext(XEN_MMUEXT_UNPIN_TABLE, 40, 0), 0);
    assert_int_equal(xen_mm_get_writable(fake.d, 40), -HVE_INVAL);
    assert_int_equal(xen_mm_get_writable(fake.d, 4), -HVE_INVAL);
    assert_int_equal(xen_mm_get_writable(fake.d, NR_PAGES), -HVE_INVAL);
    assert_int_equal(xen_mm_get_writable(fake.d, FAKE_SHARED_MFN), -HVE_INVAL);
    /* An unmapped frame (41, after its boot mapping goes) is fine. */
    assert_int_equal(fake_mmu(4, 41, 0, 0), 0);
    assert_int_equal(xen_mm_get_writable(fake.d, 41), 0);
    fake.host_refs[41]++;
    assert_int_equal(fr(41)->type, XMT_WRITABLE);
    CHECK_MM();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(boot_adopted, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(boot_gets_user_bits_and_slot, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(boot_refused, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(linux_pattern, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(everything_unpinned_leaves_nothing, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(entries_refused, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(pins_refused, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(plain_writes, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(seg_desc, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(host_writable, setup_boot, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
