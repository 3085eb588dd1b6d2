/*
 * unit_xen_mm_fast.c - the part of mmu_update the fast-call thread serves
 * while the guest runs (xen_mm_update_fast), on the fake domain of
 * xen_mm_fake.h with its boot tables (L4 1 -> L3 2 -> L2 3 -> L1 4, which
 * maps frame f at index f).  A call is served with the result and the
 * effects xen_hc_mmu_update would give, or refused having changed nothing:
 * not an entry, a type, a count, a queued write or the success count.
 * Served calls never make a frame a page table or stop one being one.
 * One difference from the slow path is held too: the requests are read
 * once (requests_read_once).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "public/errno.h"
#include "xen_mm.h"
#include "xen_mm_fake.h"
#include "xen_mm_type.h"
#include "xen_mm_test.h"

#define NORMAL     XEN_MMU_NORMAL_PT_UPDATE
#define KEEP_AD    XEN_MMU_PT_UPDATE_PRESERVE_AD
#define DONE_MARK  0xdeadu          /* the success count before each call */
#define SNAP_PTW   64               /* queued writes a snapshot keeps     */

static const struct xen_mm_frame *fr(uint64_t mfn)
{
    return &fake.d->xen->mm->frame[mfn];
}

static struct xen_mmu_update req(uint64_t mfn, unsigned idx, uint64_t val, unsigned cmd)
{
    return (struct xen_mmu_update){ (mfn << 12) | ((uint64_t)idx << 3) | cmd, val };
}

/* ---- calls --------------------------------------------------------------- */

/* The requests in the argument area, the success count marked. */
static void stage(unsigned n, const struct xen_mmu_update *r)
{
    uint32_t mark = DONE_MARK;

    memcpy(fake.args, r, n * sizeof(*r));
    memcpy(fake.args + (FAKE_DONE_VA - FAKE_ARG_VA), &mark, sizeof(mark));
}

static bool fast_args(uint64_t reqs, uint64_t count, uint64_t pdone, uint64_t domid,
                      int64_t *ret)
{
    const uint64_t a[6] = { reqs, count, pdone, domid, 0, 0 };

    return xen_mm_update_fast(fake.v, a, ret);
}

/* n requests, as fake_mmu_n makes them for the slow path. */
static bool fast(unsigned n, const struct xen_mmu_update *r, int64_t *ret)
{
    stage(n, r);
    return fast_args(FAKE_REQ_VA, n, FAKE_DONE_VA, SELF, ret);
}

/* ---- snapshots: everything a call may change ----------------------------- */

struct snapshot {
    uint64_t mem[NR_PAGES * XEN_MM_ENTRIES];
    struct xen_mm_frame frame[NR_PAGES];
    uint32_t done;
    size_t nr_ptw;
    struct xen_ptw ptw[SNAP_PTW];
    enum xen_flush flush;
    unsigned nr_flush_va;
    uint64_t flush_va[XEN_FLUSH_VA_MAX];
    bool cr3_dirty;
    uint64_t guest_table, guest_table_user;
    uint32_t flush_gen;
    uint64_t released, ptw_lost, broken;
};

/* Before a call; and the slow path's outcome, to hold the fast one to. */
static struct snapshot before, slow_outcome;
static char why[256];

#define SAY(...) (snprintf(why, sizeof(why), __VA_ARGS__), why)

static void take_snapshot(struct snapshot *s)
{
    const struct xen_mm *mm = fake.d->xen->mm;
    const struct xen_vcpu *xv = fake.xv;

    assert_true(xv->nr_ptw <= SNAP_PTW);
    memcpy(s->mem, fake.d->mem, sizeof(s->mem));
    memcpy(s->frame, mm->frame, sizeof(s->frame));
    s->done = fake_done();
    s->nr_ptw = xv->nr_ptw;
    if (xv->nr_ptw)
        memcpy(s->ptw, xv->ptw, xv->nr_ptw * sizeof(*xv->ptw));
    s->flush = xv->flush;
    s->nr_flush_va = xv->nr_flush_va;
    memcpy(s->flush_va, xv->flush_va, sizeof(s->flush_va));
    s->cr3_dirty = xv->cr3_dirty;
    s->guest_table = xv->guest_table;
    s->guest_table_user = xv->guest_table_user;
    s->flush_gen = mm->flush_gen;
    s->released = mm->released;
    s->ptw_lost = mm->ptw_lost;
    s->broken = mm->broken;
}

static const char *frame_differs(const struct snapshot *s, uint64_t f)
{
    const uint64_t *now = fake_table(f), *was = &s->mem[f * XEN_MM_ENTRIES];
    const struct xen_mm_frame *a = fr(f), *b = &s->frame[f];

    for (unsigned i = 0; i < XEN_MM_ENTRIES; i++)
        if (now[i] != was[i])
            return SAY("frame %llu entry %u is %#llx, not %#llx", (unsigned long long)f, i,
                       (unsigned long long)now[i], (unsigned long long)was[i]);
    if (a->type != b->type || a->type_count != b->type_count || a->maps != b->maps ||
        a->flags != b->flags || a->wr_drop_gen != b->wr_drop_gen)
        return SAY("frame %llu: type %u count %u maps %u flags %#x dropped %u, "
                   "not %u %u %u %#x %u", (unsigned long long)f, a->type, a->type_count,
                   a->maps, a->flags, a->wr_drop_gen, b->type, b->type_count, b->maps,
                   b->flags, b->wr_drop_gen);
    return NULL;
}

/* NULL, or the first thing that is not as in s. */
static const char *differs(const struct snapshot *s)
{
    const struct xen_mm *mm = fake.d->xen->mm;
    const struct xen_vcpu *xv = fake.xv;

    for (uint64_t f = 0; f < NR_PAGES; f++) {
        const char *d = frame_differs(s, f);
        if (d)
            return d;
    }
    if (fake_done() != s->done)
        return SAY("success count %#x, not %#x", fake_done(), s->done);
    if (xv->nr_ptw != s->nr_ptw)
        return SAY("%zu writes queued for the stub, not %zu", xv->nr_ptw, s->nr_ptw);
    for (size_t i = 0; i < xv->nr_ptw; i++)
        if (xv->ptw[i].gpa != s->ptw[i].gpa || xv->ptw[i].val != s->ptw[i].val)
            return SAY("queued write %zu is %#llx at %#llx, not %#llx at %#llx", i,
                       (unsigned long long)xv->ptw[i].val, (unsigned long long)xv->ptw[i].gpa,
                       (unsigned long long)s->ptw[i].val, (unsigned long long)s->ptw[i].gpa);
    if (xv->flush != s->flush || xv->nr_flush_va != s->nr_flush_va ||
        memcmp(xv->flush_va, s->flush_va, xv->nr_flush_va * sizeof(xv->flush_va[0])))
        return SAY("flush %d (%u addresses), not %d (%u)", (int)xv->flush, xv->nr_flush_va,
                   (int)s->flush, s->nr_flush_va);
    if (xv->cr3_dirty != s->cr3_dirty || xv->guest_table != s->guest_table ||
        xv->guest_table_user != s->guest_table_user)
        return SAY("base pointers changed");
    if (mm->flush_gen != s->flush_gen || mm->released != s->released ||
        mm->ptw_lost != s->ptw_lost || mm->broken != s->broken)
        return SAY("flush generation %u, released %llu, lost %llu, broken %llu: not "
                   "%u %llu %llu %llu", mm->flush_gen, (unsigned long long)mm->released,
                   (unsigned long long)mm->ptw_lost, (unsigned long long)mm->broken,
                   s->flush_gen, (unsigned long long)s->released,
                   (unsigned long long)s->ptw_lost, (unsigned long long)s->broken);
    return NULL;
}

/* A frame's page-table level, 0 if it is no page table. */
static unsigned table_level(const struct xen_mm_frame *f)
{
    return f->type >= XMT_L1 && f->type <= XMT_L4 && f->type_count ? f->type : 0;
}

/* NULL, or a frame that became a page table or stopped being one since s. */
static const char *tables_differ(const struct snapshot *s)
{
    for (uint64_t f = 0; f < NR_PAGES; f++)
        if (table_level(fr(f)) != table_level(&s->frame[f]))
            return SAY("frame %llu is an L%u table, was L%u", (unsigned long long)f,
                       table_level(fr(f)), table_level(&s->frame[f]));
    return NULL;
}

/* ---- the two verdicts ---------------------------------------------------- */

/* The call on the staged requests must take the exit: refused, and
 * nothing changed. */
static void assert_exit(const char *what, uint64_t reqs, uint64_t count, uint64_t pdone,
                        uint64_t domid)
{
    int64_t ret = 0;

    take_snapshot(&before);
    if (fast_args(reqs, count, pdone, domid, &ret))
        fail_msg("%s: served, result %lld", what, (long long)ret);
    const char *d = differs(&before);
    if (d)
        fail_msg("%s: refused, but %s", what, d);
}

static void assert_refused(const char *what, unsigned n, const struct xen_mmu_update *r)
{
    stage(n, r);
    assert_exit(what, FAKE_REQ_VA, n, FAKE_DONE_VA, SELF);
}

typedef void prepare_fn(void);

/* A fresh boot, then the state prepare (NULL: none) builds; nothing queued. */
static void reboot(prepare_fn *prepare)
{
    fake_fini();
    assert_int_equal(fake_boot(NR_PAGES), 0);
    if (prepare)
        prepare();
    fake_ran();
}

/* The n requests on a fresh boot with prepare's state (NULL: none): the
 * fast path refuses them, having changed nothing, or serves them as
 * xen_hc_mmu_update does on another such boot (the same result, success
 * count, memory, types and queued writes) and no frame changes its
 * page-table level.  The fast path's domain stays for the caller's own
 * checks.  Returns whether they were served, with the result in *ret. */
static bool served_as_slow(prepare_fn *prepare, unsigned n, const struct xen_mmu_update *r,
                           int64_t *ret)
{
    const char *d;
    int64_t slow;

    reboot(prepare);
    slow = fake_mmu_n(n, r);
    take_snapshot(&slow_outcome);
    reboot(prepare);
    stage(n, r);
    take_snapshot(&before);
    if (!fast(n, r, ret)) {
        d = differs(&before);
        if (d)
            fail_msg("ptr %#llx val %#llx: refused, but %s", (unsigned long long)r->ptr,
                     (unsigned long long)r->val, d);
        return false;
    }
    d = differs(&slow_outcome);
    if (*ret != slow || d)
        fail_msg("ptr %#llx val %#llx: fast path %lld, slow path %lld; %s",
                 (unsigned long long)r->ptr, (unsigned long long)r->val, (long long)*ret,
                 (long long)slow, d ? d : "same effects");
    d = tables_differ(&before);
    if (d)
        fail_msg("ptr %#llx val %#llx: served, and %s", (unsigned long long)r->ptr,
                 (unsigned long long)r->val, d);
    CHECK_MM();
    return true;
}

/* Served, as the slow path: the result. */
static int64_t assert_as_slow(prepare_fn *prepare, unsigned n, const struct xen_mmu_update *r)
{
    int64_t ret = 0;

    if (!served_as_slow(prepare, n, r, &ret))
        fail_msg("ptr %#llx val %#llx: refused", (unsigned long long)r->ptr,
                 (unsigned long long)r->val);
    return ret;
}

/* ---- states to start from ------------------------------------------------ */

/* Frame f as Linux makes a new L1: filled (one writable mapping of 35,
 * without the user bit), mapped read-only, pinned. */
static void pin_new_l1(uint64_t f)
{
    fake_guest_write(f, 0, pte(35, NOUSER));
    make_ro(f);
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, f, 0), 0);
}

static void pinned_l1_20(void)
{
    pin_new_l1(20);
}

/* L1 20 linked at L2 3[1], its only reference (not pinned). */
static void linked_l1_20(void)
{
    fake_guest_write(20, 0, pte(35, NOUSER));
    make_ro(20);
    assert_int_equal(fake_mmu(3, 1, pte(20, NOUSER), NORMAL), 0);
    assert_int_equal(fr(20)->type_count, 1);
}

/* ---- L1 entries ---------------------------------------------------------- */

static void l1_map_and_unmap(void **state)
{
    (void)state;
    int64_t ret = 1;
    struct xen_mmu_update map = req(4, 100, pte(40, NOUSER), NORMAL);

    assert_true(fast(1, &map, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(fake_done(), 1);
    assert_int_equal(fake_table(4)[100], pte(40, RW));          /* the user bit added */
    assert_int_equal(fr(40)->type, XMT_WRITABLE);
    assert_int_equal(fr(40)->type_count, 2);
    assert_int_equal(fr(40)->maps, 2);
    /* Not present before: KVM had nothing of it, nothing for the stub. */
    assert_int_equal(fake.xv->nr_ptw, 0);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_NONE);
    CHECK_MM();

    struct xen_mmu_update unmap = req(4, 100, 0, NORMAL);
    ret = 1;
    assert_true(fast(1, &unmap, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(fake_done(), 1);
    assert_int_equal(fake_table(4)[100], 0);
    assert_int_equal(fr(40)->type_count, 1);
    assert_int_equal(fr(40)->maps, 1);
    /* A writable mapping dropped since the last flush, as the slow path
     * records it. */
    assert_int_equal(fr(40)->wr_drop_gen, fake.d->xen->mm->flush_gen);
    /* Over a present entry: queued for the stub, no flush. */
    assert_true(fake_queued(4, 100, 0));
    assert_int_equal(fake.xv->flush, XEN_FLUSH_NONE);
}

static void l1_batches_as_slow_path(void **state)
{
    (void)state;
    const struct xen_mmu_update three[] = {
        req(4, 100, pte(40, NOUSER), NORMAL),
        req(4, 101, pte(41, XPTE_P), KEEP_AD),
        req(4, 42, pte(42, XPTE_P), KEEP_AD),                   /* RW to RO, A D kept */
    };
    assert_int_equal(assert_as_slow(NULL, 3, three), 0);
    assert_int_equal(fake_done(), 3);
    assert_int_equal(fake_table(4)[100], pte(40, RW));
    assert_int_equal(fake_table(4)[101], pte(41, XPTE_P | XPTE_US));
    assert_int_equal(fake_table(4)[42], pte(42, XPTE_P | XPTE_US | XPTE_A | XPTE_D));
    assert_int_equal(fr(40)->type_count, 2);
    assert_int_equal(fr(41)->maps, 2);
    assert_int_equal(fr(42)->type, XMT_NONE);
    assert_int_equal(fr(42)->maps, 1);
    assert_true(fake_queued(4, 42, fake_table(4)[42]));

    /* A page table mapped writable stops the batch with the slow path's
     * error; the success count says one went before. */
    const struct xen_mmu_update failing[] = {
        req(4, 103, pte(43, RW), NORMAL),
        req(4, 104, pte(3, RW), NORMAL),
        req(4, 105, pte(44, RW), NORMAL),
    };
    assert_int_equal(assert_as_slow(NULL, 3, failing), -HVE_INVAL);
    assert_int_equal(fake_done(), 1);
    assert_int_equal(fake_table(4)[103], pte(43, RW));
    assert_int_equal(fake_table(4)[104], 0);
    assert_int_equal(fake_table(4)[105], 0);
    assert_int_equal(fr(3)->type, XMT_L2);
    assert_int_equal(fr(3)->type_count, 1);
    assert_int_equal(fr(43)->type_count, 2);
    assert_int_equal(fr(44)->type_count, 1);

    /* As many as the fast path takes. */
    struct xen_mmu_update full[XEN_MM_FAST_OPS];
    for (unsigned i = 0; i < XEN_MM_FAST_OPS; i++)
        full[i] = req(4, 200 + i, pte(40 + i, RO), NORMAL);
    assert_int_equal(assert_as_slow(NULL, XEN_MM_FAST_OPS, full), 0);
    assert_int_equal(fake_done(), XEN_MM_FAST_OPS);
    assert_int_equal(fake_table(4)[200 + XEN_MM_FAST_OPS - 1], pte(40 + XEN_MM_FAST_OPS - 1, RO));
    assert_int_equal(fr(40 + XEN_MM_FAST_OPS - 1)->maps, 2);
}

static void count_and_success_count_words(void **state)
{
    (void)state;
    int64_t ret = 1;
    struct xen_mmu_update map = req(4, 100, pte(40, NOUSER), NORMAL);
    struct xen_mmu_update unmap = req(4, 100, 0, NORMAL);

    /* No success count: none written. */
    stage(1, &map);
    assert_true(fast_args(FAKE_REQ_VA, 1, 0, SELF, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(fake_done(), DONE_MARK);
    assert_int_equal(fake_table(4)[100], pte(40, RW));
    /* The count is 32 bits, as for the slow path. */
    stage(1, &unmap);
    assert_true(fast_args(FAKE_REQ_VA, 0xffffffff00000001ULL, FAKE_DONE_VA, SELF, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(fake_done(), 1);
    assert_int_equal(fake_table(4)[100], 0);
    /* A success count hvcore cannot write (in a page table): the work is
     * done and the call fails, as the slow path's. */
    stage(1, &map);
    assert_true(fast_args(FAKE_REQ_VA, 1, 4ULL << 12, SELF, &ret));
    assert_int_equal(ret, -HVE_FAULT);
    assert_int_equal(fake_table(4)[100], pte(40, RW));
    assert_int_equal(fr(40)->type_count, 2);
    /* ...unless the entry failed first: its error. */
    struct xen_mmu_update bad = req(4, 101, pte(3, RW), NORMAL);
    stage(1, &bad);
    assert_true(fast_args(FAKE_REQ_VA, 1, 4ULL << 12, SELF, &ret));
    assert_int_equal(ret, -HVE_INVAL);
    assert_int_equal(fake_table(4)[101], 0);
}

/* ---- upper levels: links to tables that exist, alone --------------------- */

static void l2_links_pinned_l1(void **state)
{
    (void)state;
    struct xen_mmu_update link = req(3, 1, pte(20, NOUSER), NORMAL);

    assert_int_equal(assert_as_slow(pinned_l1_20, 1, &link), 0);
    assert_int_equal(fake_done(), 1);
    assert_int_equal(fake_table(3)[1], pte(20, RW));
    assert_int_equal(fr(20)->type, XMT_L1);
    assert_int_equal(fr(20)->type_count, 2);                   /* pin and link */
    assert_int_equal(fr(35)->type_count, 2);                   /* not counted again */
    assert_int_equal(fake.xv->nr_ptw, 0);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_NONE);

    /* The superpage bit: served, with the slow path's refusal. */
    struct xen_mmu_update big = req(3, 2, pte(20, NOUSER | XPTE_PS), NORMAL);
    assert_int_equal(assert_as_slow(pinned_l1_20, 1, &big), -HVE_INVAL);
    assert_int_equal(fake_done(), 0);
    assert_int_equal(fake_table(3)[2], 0);
    assert_int_equal(fr(20)->type_count, 1);
}

static void l3_and_l4_link_existing_tables(void **state)
{
    (void)state;
    int64_t ret = 1;
    /* L4 1[0] and L3 2[0] share the kernel's L3 2 and L2 3. */
    struct xen_mmu_update l4 = req(1, 0, pte(2, NOUSER), NORMAL);
    struct xen_mmu_update l3 = req(2, 0, pte(3, NOUSER), KEEP_AD);

    assert_true(fast(1, &l4, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(fake_table(1)[0], pte(2, RW));
    assert_int_equal(fr(2)->type_count, 2);
    assert_true(fast(1, &l3, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(fake_table(2)[0], pte(3, RW));
    assert_int_equal(fr(3)->type_count, 2);
    CHECK_MM();
    /* Unlinked again: each keeps the kernel's reference. */
    l4.val = l3.val = 0;
    assert_true(fast(1, &l4, &ret));
    assert_int_equal(ret, 0);
    assert_true(fast(1, &l3, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(fr(2)->type_count, 1);
    assert_int_equal(fr(3)->type_count, 1);
    assert_true(fake_queued(1, 0, 0));
    assert_true(fake_queued(2, 0, 0));
    /* The reserved G bit of an L4 entry: the slow path's error. */
    struct xen_mmu_update global = req(1, 0, pte(2, NOUSER | XPTE_G), NORMAL);
    assert_int_equal(assert_as_slow(NULL, 1, &global), -HVE_INVAL);
    assert_int_equal(fake_table(1)[0], 0);
}

/* ---- upper levels: what must exit ---------------------------------------- */

static void l2_link_to_non_table_refused(void **state)
{
    (void)state;
    struct xen_mmu_update link = req(3, 1, pte(20, NOUSER), NORMAL);

    assert_refused("link to a writable frame", 1, &link);
    assert_int_equal(fr(20)->type, XMT_WRITABLE);
    /* Unmapped, 20 is untyped; validating it is the exit's work. */
    assert_int_equal(fake_mmu(4, 20, 0, NORMAL), 0);
    fake_ran();
    assert_refused("link to an untyped frame", 1, &link);
    assert_int_equal(fr(20)->type, XMT_NONE);
    assert_int_equal(fr(20)->type_count, 0);
    assert_int_equal(fake_mmu(3, 1, pte(20, NOUSER), NORMAL), 0);
    assert_int_equal(fr(20)->type, XMT_L1);
    assert_int_equal(fake.xv->flush, XEN_FLUSH_ALL);           /* its stale mapping */
    fake_ran();

    /* Into the empty entry 3[2]: tables of another level, frames that
     * are not RAM. */
    link = req(3, 2, pte(2, NOUSER), NORMAL);
    assert_refused("link to an L3", 1, &link);
    link.val = pte(3, NOUSER);
    assert_refused("link to itself", 1, &link);
    link.val = pte(NR_PAGES, NOUSER);
    assert_refused("link outside RAM", 1, &link);
    link.val = pte(FAKE_SHARED_MFN, NOUSER);
    assert_refused("link to the shared-info frame", 1, &link);
    link.val = pte(41, NOUSER | XPTE_PS);
    assert_refused("superpage of data", 1, &link);
    link = req(2, 0, pte(4, NOUSER), NORMAL);
    assert_refused("L3 entry to an L1", 1, &link);
}

static void l2_unlink_of_last_reference(void **state)
{
    (void)state;
    int64_t ret = 1;
    struct xen_mmu_update unlink = req(3, 1, 0, NORMAL);

    linked_l1_20();
    pin_new_l1(21);
    fake_ran();
    assert_refused("unlink of an L1's only reference", 1, &unlink);
    struct xen_mmu_update relink = req(3, 1, pte(21, NOUSER), NORMAL);
    assert_refused("only reference replaced by another table", 1, &relink);
    struct xen_mmu_update kernel = req(1, 511, 0, NORMAL);
    assert_refused("unlink of the kernel's L3", 1, &kernel);
    assert_int_equal(fr(20)->type, XMT_L1);
    assert_int_equal(fr(20)->type_count, 1);

    /* The same frame with other bits: one reference taken, one dropped. */
    struct xen_mmu_update ro = req(3, 1, pte(20, RO), NORMAL);
    assert_true(fast(1, &ro, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(fake_table(3)[1], pte(20, RO));
    assert_int_equal(fr(20)->type_count, 1);
    assert_true(fake_queued(3, 1, pte(20, RO)));

    /* Pinned, it has a reference to spare: served, it stays a table. */
    assert_int_equal(fake_ext(XEN_MMUEXT_PIN_L1_TABLE, 20, 0), 0);
    assert_int_equal(fr(20)->type_count, 2);
    fake_ran();
    assert_true(fast(1, &unlink, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(fake_done(), 1);
    assert_int_equal(fake_table(3)[1], 0);
    assert_int_equal(fr(20)->type, XMT_L1);
    assert_int_equal(fr(20)->type_count, 1);
    assert_true(fr(20)->flags & XMF_PINNED);
    assert_int_equal(fr(35)->maps, 3);                         /* boot, 20 and 21 */
    assert_true(fake_queued(3, 1, 0));
}

static void upper_entry_in_company_refused(void **state)
{
    (void)state;
    int64_t ret = 1;

    pin_new_l1(20);
    pin_new_l1(21);
    fake_ran();
    const struct xen_mmu_update l1 = req(4, 100, pte(40, NOUSER), NORMAL);
    const struct xen_mmu_update l2 = req(3, 1, pte(20, NOUSER), NORMAL);
    const struct xen_mmu_update l1_then_l2[] = { l1, l2 };
    const struct xen_mmu_update l2_then_l1[] = { l2, l1 };
    const struct xen_mmu_update two_l2[] = { l2, req(3, 2, pte(21, NOUSER), NORMAL) };

    assert_refused("an L1 entry, then an L2 one", 2, l1_then_l2);
    assert_refused("an L2 entry, then an L1 one", 2, l2_then_l1);
    assert_refused("two L2 entries", 2, two_l2);
    /* Alone, the L2 entry is served. */
    assert_true(fast(1, &l2, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(fr(20)->type_count, 2);
}

/* hvcore's slots of the pinned kernel L4 1, by lone L4 entries. */
static void hypervisor_slots(void **state)
{
    (void)state;
    int64_t ret = 1;

    /* An empty slot, linking an L3 that exists: served with the slow
     * path's refusal. */
    struct xen_mmu_update first = req(1, XEN_HV_L4_FIRST, pte(2, NOUSER), NORMAL);
    assert_int_equal(assert_as_slow(NULL, 1, &first), -HVE_INVAL);
    assert_int_equal(fake_done(), 0);
    assert_int_equal(fake_table(1)[XEN_HV_L4_FIRST], 0);
    assert_int_equal(fr(2)->type_count, 1);
    struct xen_mmu_update last = req(1, XEN_HV_L4_LAST, 0, NORMAL);
    assert_true(fast(1, &last, &ret));
    assert_int_equal(ret, -HVE_INVAL);
    assert_int_equal(fake_done(), 0);
    /* XEN_SLOT holds hvcore's entry, no frame of RAM: the exit refuses. */
    struct xen_mmu_update slot = req(1, XEN_SLOT, pte(2, NOUSER), NORMAL);
    assert_refused("XEN_SLOT linked", 1, &slot);
    slot.val = 0;
    assert_refused("XEN_SLOT cleared", 1, &slot);
    assert_int_equal(fake_table(1)[XEN_SLOT], FAKE_SLOT_L4E);
}

/* ---- arguments and commands that must exit ------------------------------- */

static void arguments_refused(void **state)
{
    (void)state;
    struct xen_mmu_update many[XEN_MM_FAST_OPS + 1];

    for (unsigned i = 0; i <= XEN_MM_FAST_OPS; i++)
        many[i] = req(4, 100 + i, pte(40, NOUSER), NORMAL);
    stage(XEN_MM_FAST_OPS + 1, many);
    assert_exit("count 0", FAKE_REQ_VA, 0, FAKE_DONE_VA, SELF);
    assert_exit("count 17", FAKE_REQ_VA, XEN_MM_FAST_OPS + 1, FAKE_DONE_VA, SELF);
    assert_exit("preempted", FAKE_REQ_VA, XEN_MMU_UPDATE_PREEMPTED | 1, FAKE_DONE_VA, SELF);
    assert_exit("domid 0", FAKE_REQ_VA, 1, FAKE_DONE_VA, 0);
    assert_exit("domid 1", FAKE_REQ_VA, 1, FAKE_DONE_VA, 1);
    assert_exit("domid SELF + 1", FAKE_REQ_VA, 1, FAKE_DONE_VA, SELF + 1);
    assert_exit("domid's upper bits", FAKE_REQ_VA, 1, FAKE_DONE_VA, 0x10000000ULL | SELF);
    assert_exit("array outside the guest", 0xffffffffffffff00ULL, 1, FAKE_DONE_VA, SELF);
    assert_exit("array in the hypervisor hole", XEN_SLOT_VA, 1, FAKE_DONE_VA, SELF);
    /* The first request readable, the second beyond RAM (the slow path
     * would make the first). */
    uint64_t edge = (NR_PAGES << 12) - sizeof(many[0]);
    memcpy(fake.d->mem + edge, &many[0], sizeof(many[0]));
    assert_exit("array off the end of RAM", edge, 2, FAKE_DONE_VA, SELF);
    assert_int_equal(fake_table(4)[100], 0);
}

static void commands_and_targets_refused(void **state)
{
    (void)state;
    const struct xen_mmu_update l1 = req(4, 100, pte(40, NOUSER), NORMAL);
    struct xen_mmu_update r = req(40, 0, 40, XEN_MMU_MACHPHYS_UPDATE);
    struct xen_mmu_update l1_then[2] = { l1, r };

    assert_refused("MACHPHYS_UPDATE", 1, &r);
    assert_refused("L1 entry, then MACHPHYS_UPDATE", 2, l1_then);
    const unsigned others[] = { XEN_MMU_PT_UPDATE_NO_TRANSLATE, 4, 5, 6, 7 };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        r = req(4, 100, pte(40, NOUSER), others[i]);
        assert_refused("a command not served", 1, &r);
        l1_then[1] = r;
        assert_refused("L1 entry, then a command not served", 2, l1_then);
    }
    /* Writes into frames that are no page table. */
    r = req(40, 3, 0xdead, NORMAL);
    assert_refused("plain frame", 1, &r);
    r = req(NR_PAGES, 0, 0, NORMAL);
    assert_refused("outside RAM", 1, &r);
    r = req(FAKE_SHARED_MFN, 0, 0, NORMAL);
    assert_refused("shared info", 1, &r);
    make_ro(26);
    assert_int_equal(xen_mm_get_seg_desc(fake.d, 26), 0);
    fake.seg_refs[26]++;
    fake_ran();
    r = req(26, 0, 0, NORMAL);
    assert_refused("GDT page", 1, &r);
    /* A former table: plain memory again. */
    pin_new_l1(27);
    assert_int_equal(fake_ext(XEN_MMUEXT_UNPIN_TABLE, 27, 0), 0);
    fake_ran();
    r = req(27, 0, 0, NORMAL);
    assert_refused("former L1", 1, &r);
}

/* ---- the requests are read once ------------------------------------------ */

/*
 * xen_mm.h: "The requests are read once."  The slow path reads each
 * request when it comes to it, as Xen does: when the array lies in the
 * L1 the call writes, the two differ.  Requests in L1 4 at entries
 * 100-103; the first rewrites the second's ptr (to entry 110 from 111).
 */
static void requests_in_l1(void)
{
    const struct xen_mmu_update setup[] = {
        req(4, 100, req(4, 102, 0, NORMAL).ptr, NORMAL),
        req(4, 101, req(4, 110, 0, NORMAL).ptr, NORMAL),
        req(4, 102, req(4, 111, 0, NORMAL).ptr, NORMAL),
        req(4, 103, 0x1234, NORMAL),
    };
    /* Not-present values (bit 0 clear): stored as they are. */
    assert_int_equal(fake_mmu_n(4, setup), 0);
}

static void requests_read_once(void **state)
{
    (void)state;
    int64_t ret = 1;
    const uint64_t array = (4ULL << 12) + 100 * 8;

    reboot(requests_in_l1);
    assert_true(fast_args(array, 2, FAKE_DONE_VA, SELF, &ret));
    assert_int_equal(ret, 0);
    assert_int_equal(fake_done(), 2);
    assert_int_equal(fake_table(4)[102], req(4, 110, 0, NORMAL).ptr);
    assert_int_equal(fake_table(4)[111], 0x1234);
    assert_int_equal(fake_table(4)[110], 0);
    CHECK_MM();

    reboot(requests_in_l1);
    const uint64_t a[6] = { array, 2, FAKE_DONE_VA, SELF, 0, 0 };
    assert_int_equal(xen_hc_mmu_update(fake.v, a), 0);
    assert_int_equal(fake_table(4)[110], 0x1234);
    assert_int_equal(fake_table(4)[111], 0);
}

/* ---- every single entry on one state ------------------------------------- */

/* L1 20 pinned and linked at L2 3[1]; L1 21 linked at 3[2] only; L1 22
 * pinned only; frame 23 untyped. */
static void mixed_tables(void)
{
    pin_new_l1(20);
    assert_int_equal(fake_mmu(3, 1, pte(20, NOUSER), NORMAL), 0);
    fake_guest_write(21, 0, pte(36, NOUSER));
    make_ro(21);
    assert_int_equal(fake_mmu(3, 2, pte(21, NOUSER), NORMAL), 0);
    pin_new_l1(22);
    assert_int_equal(fake_mmu(4, 23, 0, NORMAL), 0);
}

struct slot_case {
    uint64_t mfn;
    unsigned idx;
};

/* Every lone entry from a set: into L1s, over links with and without a
 * reference to spare, into hvcore's slots, into frames that are no
 * table; of every level and kind of frame; with each command.  Each is
 * refused with nothing changed, or served as the slow path serves it
 * without a frame changing level; both happen. */
static void single_entries_exhaustively(void **state)
{
    (void)state;
    static const struct slot_case slots[] = {
        { 4, 100 }, { 4, 40 }, { 4, 20 }, { 20, 1 }, { 3, 0 }, { 3, 1 }, { 3, 2 },
        { 3, 5 }, { 2, 510 }, { 2, 0 }, { 1, 511 }, { 1, 0 }, { 1, XEN_SLOT },
        { 1, XEN_HV_L4_FIRST }, { 40, 0 }, { 23, 0 }, { NR_PAGES, 0 },
    };
    static const uint64_t frames[] = { 2, 3, 4, 20, 21, 22, 23, 35, 40, NR_PAGES,
                                       FAKE_SHARED_MFN };
    static const uint64_t flags[] = { NOUSER, RO, NOUSER | XPTE_PS, NOUSER | XPTE_G };
    static const unsigned cmds[] = { NORMAL, KEEP_AD, XEN_MMU_MACHPHYS_UPDATE };
    uint64_t vals[2 + sizeof(frames) / sizeof(frames[0]) * sizeof(flags) / sizeof(flags[0])];
    unsigned nvals = 0, served = 0, refused = 0;

    vals[nvals++] = 0;
    vals[nvals++] = 0x2;                                /* not present, junk */
    for (size_t f = 0; f < sizeof(frames) / sizeof(frames[0]); f++)
        for (size_t g = 0; g < sizeof(flags) / sizeof(flags[0]); g++)
            vals[nvals++] = pte(frames[f], flags[g]);

    for (size_t s = 0; s < sizeof(slots) / sizeof(slots[0]); s++)
        for (unsigned v = 0; v < nvals; v++)
            for (size_t c = 0; c < sizeof(cmds) / sizeof(cmds[0]); c++) {
                struct xen_mmu_update r = req(slots[s].mfn, slots[s].idx, vals[v], cmds[c]);
                int64_t ret;
                if (served_as_slow(mixed_tables, 1, &r, &ret))
                    served++;
                else
                    refused++;
            }
    assert_true(served > 100);
    assert_true(refused > 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(l1_map_and_unmap, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(l1_batches_as_slow_path, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(count_and_success_count_words, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(l2_links_pinned_l1, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(l3_and_l4_link_existing_tables, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(l2_link_to_non_table_refused, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(l2_unlink_of_last_reference, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(upper_entry_in_company_refused, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(hypervisor_slots, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(arguments_refused, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(commands_and_targets_refused, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(requests_read_once, setup_boot, teardown),
        cmocka_unit_test_setup_teardown(single_entries_exhaustively, setup_boot, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
