/*
 * unit_xen_hypercall.c - xen_hypercall.c against a hostile guest kernel:
 * every handler's refusals with their exact error and no state changed,
 * descriptors checked and raised to DPL 3, multicall's per-entry results,
 * unknown numbers, and iret's crashes and register rules, on the fake
 * vCPU of xen_core_fake.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "public/errno.h"
#include "xen_core_fake.h"
#include "xen_hypercall.h"

#define ARG     0x1000ULL               /* argument area, frames 1-3        */
#define UNREAD  0xa000ULL               /* frame 10 cannot be read          */
#define NONCANON 0x0000800000000000ULL
#define GDT_F0  20                      /* GDT frames the tests use         */
#define GDT_F1  21
#define KERNEL_CS (XEN_FLAT_KERNEL_CS & ~3u)
#define KERNEL_SS (XEN_FLAT_KERNEL_SS & ~3u)
#define CODE64  cf_desc(0xb, 3, true, false)
#define DATA    cf_desc(0x3, 3, false, true)

static int setup(void **state)
{
    (void)state;
    if (cf_init() < 0)
        return -1;
    cf.unread_lo = UNREAD;
    cf.unread_hi = UNREAD + 4096;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cf_fini();
    return 0;
}

static int64_t hc(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
    cf.r->rdi = a0;
    cf.r->rsi = a1;
    cf.r->rdx = a2;
    cf.xv->next = XEN_NEXT_RESUME;
    return xen_hypercall(cf.v, nr);
}

/* ---- set_trap_table ------------------------------------------------------ */

static void put_trap(uint64_t at, unsigned i, uint8_t vec, uint64_t addr)
{
    struct xen_trap_info ti = { .vector = vec, .flags = 3 | XEN_TI_MASK_EVENTS, .cs = 0xe033,
                                .address = addr };
    memcpy(cf_ram(at + i * sizeof(ti)), &ti, sizeof(ti));
}

static void trap_table_refusals(void **state)
{
    (void)state;
    cf.xv->trap[3].address = 0x1234;
    assert_int_equal(hc(XEN_HC_set_trap_table, UNREAD, 0, 0), -HVE_FAULT);
    assert_int_equal(hc(XEN_HC_set_trap_table, NONCANON, 0, 0), -HVE_FAULT);
    put_trap(ARG, 0, 14, NONCANON);
    assert_int_equal(hc(XEN_HC_set_trap_table, ARG, 0, 0), -HVE_INVAL);
    assert_int_equal(cf.xv->trap[14].address, 0);
    assert_int_equal(cf.xv->trap[3].address, 0x1234);
}

static void trap_table_full_and_clear(void **state)
{
    (void)state;
    /* 256 entries fill frame 9 exactly; frame 10 after it is unreadable */
    for (unsigned i = 0; i < 256; i++)
        put_trap(0x9000, i, (uint8_t)i, 0xffffffff81000000ULL + i);
    assert_int_equal(hc(XEN_HC_set_trap_table, 0x9000, 0, 0), 0);
    for (unsigned i = 0; i < 256; i++) {
        assert_int_equal(cf.xv->trap[i].address, 0xffffffff81000000ULL + i);
        assert_int_equal(cf.xv->trap[i].cs, 0xe033);
        assert_int_equal(cf.xv->trap[i].flags, 3 | XEN_TI_MASK_EVENTS);
    }
    /* a terminator ends the table: later entries are not read */
    put_trap(ARG, 0, 6, 0xffffffff82000000ULL);
    put_trap(ARG, 1, 7, 0);
    put_trap(ARG, 2, 8, NONCANON);
    assert_int_equal(hc(XEN_HC_set_trap_table, ARG, 0, 0), 0);
    assert_int_equal(cf.xv->trap[6].address, 0xffffffff82000000ULL);
    assert_int_equal(cf.xv->trap[8].address, 0xffffffff81000008ULL);
    assert_int_equal(hc(XEN_HC_set_trap_table, 0, 0, 0), 0);
    for (unsigned i = 0; i < 256; i++)
        assert_int_equal(cf.xv->trap[i].address, 0);
}

/* ---- stack_switch, fpu_taskswitch --------------------------------------- */

static void stack_switch(void **state)
{
    (void)state;
    assert_int_equal(hc(XEN_HC_stack_switch, 0xe02b, 0xffff888000010000ULL, 0), 0);
    assert_int_equal(cf.xv->kernel_ss, 0xe02b);
    assert_int_equal(cf.xv->kernel_sp, 0xffff888000010000ULL);
    assert_int_equal(hc(XEN_HC_stack_switch, 0x10, NONCANON, 0), -HVE_INVAL);
    assert_int_equal(hc(XEN_HC_stack_switch, 0x10, 0xffff7fffffffffffULL, 0), -HVE_INVAL);
    assert_int_equal(cf.xv->kernel_ss, 0xe02b);
    assert_int_equal(cf.xv->kernel_sp, 0xffff888000010000ULL);
    assert_int_equal(hc(XEN_HC_fpu_taskswitch, 1, 0, 0), 0);
    assert_true(cf.xv->fpu_ts);
    assert_int_equal(hc(XEN_HC_fpu_taskswitch, 0, 0, 0), 0);
    assert_false(cf.xv->fpu_ts);
}

/* ---- set_segment_base ---------------------------------------------------- */

static void segment_base_each_which(void **state)
{
    (void)state;
    assert_int_equal(hc(XEN_HC_set_segment_base, XEN_SEGBASE_FS, 0x7f0000001000ULL, 0), 0);
    assert_int_equal(cf.xv->fs_base, 0x7f0000001000ULL);
    assert_int_equal(cf.s->fs.base, 0x7f0000001000ULL);
    assert_true(cf.xv->sregs_dirty);
    /* kernel mode: the user GS base is only remembered */
    assert_int_equal(hc(XEN_HC_set_segment_base, XEN_SEGBASE_GS_USER, 0x7f0000002000ULL, 0), 0);
    assert_int_equal(cf.xv->gs_base_user, 0x7f0000002000ULL);
    assert_int_equal(cf.s->gs.base, 0);
    assert_int_equal(hc(XEN_HC_set_segment_base, XEN_SEGBASE_GS_KERNEL, 0xffff888000003000ULL, 0), 0);
    assert_int_equal(cf.xv->gs_base_kernel, 0xffff888000003000ULL);
    assert_int_equal(cf.s->gs.base, 0xffff888000003000ULL);
    /* user mode: the other way round */
    cf.xv->kernel_mode = false;
    assert_int_equal(hc(XEN_HC_set_segment_base, XEN_SEGBASE_GS_KERNEL, 0xffff888000004000ULL, 0), 0);
    assert_int_equal(cf.s->gs.base, 0xffff888000003000ULL);
    assert_int_equal(hc(XEN_HC_set_segment_base, XEN_SEGBASE_GS_USER, 0x5000, 0), 0);
    assert_int_equal(cf.s->gs.base, 0x5000);
}

static void segment_base_refusals(void **state)
{
    (void)state;
    cf.xv->fs_base = cf.s->fs.base = 0x1111;
    cf.xv->gs_base_user = 0x2222;
    cf.xv->gs_base_kernel = cf.s->gs.base = 0x3333;
    for (uint64_t which = XEN_SEGBASE_FS; which <= XEN_SEGBASE_GS_KERNEL; which++) {
        assert_int_equal(hc(XEN_HC_set_segment_base, which, NONCANON, 0), -HVE_INVAL);
        assert_int_equal(hc(XEN_HC_set_segment_base, which, ~0ULL >> 1, 0), -HVE_INVAL);
    }
    assert_int_equal(hc(XEN_HC_set_segment_base, 4, 0, 0), -HVE_INVAL);
    assert_int_equal(hc(XEN_HC_set_segment_base, ~0ULL, 0, 0), -HVE_INVAL);
    /* GS_USER_SEL: an LDT selector, beyond the GDT, a code segment, a
     * DPL-0 one, a system descriptor, a read-only data segment */
    *cf_gdt(5) = CODE64;
    *cf_gdt(6) = cf_desc(0x3, 0, false, true);
    *cf_gdt(7) = cf_desc(0x3, 3, false, true) & ~(1ULL << 44);
    *cf_gdt(8) = cf_desc(0x1, 3, false, true);
    const uint64_t bad[] = { 0x4b, 7680 << 3 | 3, 0xffff, 5 << 3 | 3, 6 << 3 | 3, 7 << 3 | 3,
                             8 << 3 | 3 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(hc(XEN_HC_set_segment_base, XEN_SEGBASE_GS_USER_SEL, bad[i], 0),
                         -HVE_INVAL);
    assert_int_equal(cf.xv->fs_base, 0x1111);
    assert_int_equal(cf.s->fs.base, 0x1111);
    assert_int_equal(cf.xv->gs_base_user, 0x2222);
    assert_int_equal(cf.xv->gs_base_kernel, 0x3333);
    assert_int_equal(cf.s->gs.base, 0x3333);
    assert_int_equal(cf.s->gs.selector, 0);
    assert_false(cf.xv->sregs_dirty);
}

static void segment_base_user_selector(void **state)
{
    (void)state;
    /* a data segment with base 0x00345678 */
    *cf_gdt(9) = DATA | (0x345678ULL << 16);
    /* only the low 16 bits name the selector: the rest is ignored */
    assert_int_equal(hc(XEN_HC_set_segment_base, XEN_SEGBASE_GS_USER_SEL,
                        0xdead000000000000ULL | (9 << 3), 0), 0);
    assert_int_equal(cf.s->gs.selector, 9 << 3 | 3);
    assert_int_equal(cf.xv->gs_base_user, 0x345678);
    assert_int_equal(hc(XEN_HC_set_segment_base, XEN_SEGBASE_GS_USER_SEL, 3, 0), 0);
    assert_int_equal(cf.s->gs.selector, 0);
    assert_int_equal(cf.xv->gs_base_user, 0);
}

/* ---- callback_op --------------------------------------------------------- */

static int64_t callback(uint64_t cmd, uint16_t type, uint16_t flags, uint64_t addr)
{
    struct xen_callback_register cb = { .type = type, .flags = flags, .address = addr };

    memcpy(cf_ram(ARG), &cb, sizeof(cb));
    return hc(XEN_HC_callback_op, cmd, ARG, 0);
}

static void callback_op(void **state)
{
    (void)state;
    assert_int_equal(callback(XEN_CALLBACKOP_register, XEN_CALLBACKTYPE_event, 0,
                              0xffffffff81001000ULL), 0);
    assert_int_equal(callback(XEN_CALLBACKOP_register, XEN_CALLBACKTYPE_failsafe, 0,
                              0xffffffff81002000ULL), 0);
    assert_int_equal(callback(XEN_CALLBACKOP_register, XEN_CALLBACKTYPE_syscall, 1,
                              0xffffffff81003000ULL), 0);
    assert_int_equal(cf.xv->event_cb, 0xffffffff81001000ULL);
    assert_int_equal(cf.xv->failsafe_cb, 0xffffffff81002000ULL);
    assert_int_equal(cf.xv->syscall_cb, 0xffffffff81003000ULL);
    assert_int_equal(cf.xv->syscall_cb_flags, 1);
    /* refusals: nothing registered changes */
    assert_int_equal(callback(2, XEN_CALLBACKTYPE_event, 0, 0x1000), -HVE_NOSYS);
    assert_int_equal(callback(~0ULL, XEN_CALLBACKTYPE_event, 0, 0x1000), -HVE_NOSYS);
    assert_int_equal(callback(XEN_CALLBACKOP_register, 3, 0, 0x1000), -HVE_INVAL);
    assert_int_equal(callback(XEN_CALLBACKOP_register, 0xffff, 0, 0x1000), -HVE_INVAL);
    assert_int_equal(callback(XEN_CALLBACKOP_register, XEN_CALLBACKTYPE_event, 0, NONCANON),
                     -HVE_INVAL);
    assert_int_equal(hc(XEN_HC_callback_op, XEN_CALLBACKOP_register, UNREAD, 0), -HVE_FAULT);
    assert_int_equal(hc(XEN_HC_callback_op, XEN_CALLBACKOP_register, UNREAD - 8, 0), -HVE_FAULT);
    assert_int_equal(hc(XEN_HC_callback_op, XEN_CALLBACKOP_unregister, UNREAD, 0), -HVE_FAULT);
    assert_int_equal(cf.xv->event_cb, 0xffffffff81001000ULL);
    assert_int_equal(cf.xv->failsafe_cb, 0xffffffff81002000ULL);
    assert_int_equal(cf.xv->syscall_cb, 0xffffffff81003000ULL);
    /* 32-bit entries and NMIs: accepted, nothing to do */
    assert_int_equal(callback(XEN_CALLBACKOP_register, XEN_CALLBACKTYPE_nmi, 0, 0x1000), 0);
    assert_int_equal(callback(XEN_CALLBACKOP_register, XEN_CALLBACKTYPE_sysenter, 0, 0x1000), 0);
    /* unregister ignores the address, even a non-canonical one */
    assert_int_equal(callback(XEN_CALLBACKOP_unregister, XEN_CALLBACKTYPE_event, 0, NONCANON), 0);
    assert_int_equal(cf.xv->event_cb, 0);
    assert_int_equal(callback(XEN_CALLBACKOP_unregister, XEN_CALLBACKTYPE_syscall, 0, 0), 0);
    assert_int_equal(cf.xv->syscall_cb, 0);
    assert_int_equal(cf.xv->failsafe_cb, 0xffffffff81002000ULL);
}

/* ---- set_debugreg / get_debugreg ---------------------------------------- */

static void debugregs(void **state)
{
    (void)state;
    const uint64_t bad[] = { 4, 5, 8, 15, ~0ULL };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(hc(XEN_HC_set_debugreg, bad[i], 0, 0), -HVE_INVAL);
        assert_int_equal(hc(XEN_HC_get_debugreg, bad[i], 0, 0), -HVE_INVAL);
    }
    assert_int_equal(hc(XEN_HC_set_debugreg, 7, 0x1, 0), -HVE_PERM);
    assert_int_equal(hc(XEN_HC_set_debugreg, 7, 0x80, 0), -HVE_PERM);
    assert_int_equal(hc(XEN_HC_set_debugreg, 7, 0x400, 0), 0);
    assert_int_equal(hc(XEN_HC_set_debugreg, 0, 0xffffffff81000000ULL, 0), 0);
    assert_int_equal(hc(XEN_HC_get_debugreg, 0, 0, 0), 0);
    assert_int_equal(hc(XEN_HC_get_debugreg, 6, 0, 0), 0xffff0ff0);
    assert_int_equal(hc(XEN_HC_get_debugreg, 7, 0, 0), 0x400);
}

/* ---- set_gdt ------------------------------------------------------------- */

static uint64_t *frame(uint64_t mfn)
{
    return cf_ram(mfn << 12);
}

static int64_t set_gdt(const uint64_t *frames, unsigned n, uint64_t entries)
{
    memcpy(cf_ram(ARG), frames, n * sizeof(uint64_t));
    return hc(XEN_HC_set_gdt, ARG, entries, 0);
}

static void gdt_installs_and_raises(void **state)
{
    (void)state;
    const uint64_t f[2] = { GDT_F0, GDT_F1 };
    frame(GDT_F0)[1] = cf_desc(0xb, 0, true, false);       /* DPL 0 code: raised */
    frame(GDT_F0)[2] = cf_desc(0x3, 1, false, true);       /* DPL 1 data: raised */
    frame(GDT_F0)[3] = cf_desc(0x9, 0, false, false) & ~(1ULL << 44); /* a TSS  */
    frame(GDT_F0)[4] = cf_desc(0xb, 3, true, true);        /* L and D           */
    frame(GDT_F1)[0] = DATA;
    assert_int_equal(set_gdt(f, 2, 513), 0);
    assert_int_equal(cf.xv->gdt_ents, 513);
    assert_int_equal(cf.seg_refs[GDT_F0], 1);
    assert_int_equal(cf.seg_refs[GDT_F1], 1);
    assert_int_equal(*cf_gdt(1), cf_desc(0xb, 3, true, false));
    assert_int_equal(*cf_gdt(2), cf_desc(0x3, 3, false, true));
    assert_int_equal(*cf_gdt(3), 0);
    assert_int_equal(*cf_gdt(4), 0);
    assert_int_equal(*cf_gdt(512), DATA);
    /* the guest's frames are not changed, only hvcore's copy */
    assert_int_equal(frame(GDT_F0)[1], cf_desc(0xb, 0, true, false));
    /* a new GDT drops the old frames' references */
    assert_int_equal(set_gdt(f + 1, 1, 1), 0);
    assert_int_equal(cf.seg_refs[GDT_F0], 0);
    assert_int_equal(cf.seg_refs[GDT_F1], 1);
    assert_int_equal(*cf_gdt(1), 0);
    assert_int_equal(*cf_gdt(0), DATA);
}

static void gdt_refusals(void **state)
{
    (void)state;
    const uint64_t good[1] = { GDT_F0 };
    frame(GDT_F0)[1] = DATA;
    assert_int_equal(set_gdt(good, 1, 2), 0);

    assert_int_equal(set_gdt(good, 1, 0), -HVE_INVAL);
    assert_int_equal(set_gdt(good, 1, XEN_FIRST_RESERVED_GDT_ENTRY + 1), -HVE_INVAL);
    assert_int_equal(set_gdt(good, 1, ~0ULL), -HVE_INVAL);
    assert_int_equal(hc(XEN_HC_set_gdt, UNREAD, 1, 0), -HVE_FAULT);
    assert_int_equal(hc(XEN_HC_set_gdt, UNREAD - 8, 513, 0), -HVE_FAULT);
    const uint64_t outside[2] = { GDT_F1, CF_PAGES };
    assert_int_equal(set_gdt(outside, 2, 1024), -HVE_INVAL);
    const uint64_t huge[1] = { ~0ULL };
    assert_int_equal(set_gdt(huge, 1, 1), -HVE_INVAL);
    cf.seg_refuse[GDT_F1 + 1] = true;       /* has a writable mapping */
    const uint64_t mapped[2] = { GDT_F1, GDT_F1 + 1 };
    assert_int_equal(set_gdt(mapped, 2, 600), -HVE_INVAL);
    /* the old GDT stands, the references taken on the way were dropped */
    assert_int_equal(cf.seg_refs[GDT_F0], 1);
    assert_int_equal(cf.seg_refs[GDT_F1], 0);
    assert_int_equal(cf.xv->gdt_ents, 2);
    assert_int_equal(cf.xv->gdt_frames[0], GDT_F0);
    assert_int_equal(*cf_gdt(1), DATA);
}

/* The most entries there are: 14 frames, the reserved page excluded. */
static void gdt_largest(void **state)
{
    (void)state;
    uint64_t f[XEN_FIRST_RESERVED_GDT_PAGE];
    for (unsigned i = 0; i < XEN_FIRST_RESERVED_GDT_PAGE; i++)
        f[i] = 30 + i;
    frame(43)[511] = DATA;
    assert_int_equal(set_gdt(f, XEN_FIRST_RESERVED_GDT_PAGE, XEN_FIRST_RESERVED_GDT_ENTRY), 0);
    assert_int_equal(*cf_gdt(XEN_FIRST_RESERVED_GDT_ENTRY - 1), DATA);
    for (unsigned i = 0; i < XEN_FIRST_RESERVED_GDT_PAGE; i++)
        assert_int_equal(cf.seg_refs[30 + i], 1);
}

/* ---- update_descriptor --------------------------------------------------- */

static void update_descriptor(void **state)
{
    (void)state;
    const uint64_t f[1] = { GDT_F0 };
    uint64_t ma = (GDT_F0 << 12) + 5 * 8;
    assert_int_equal(set_gdt(f, 1, 8), 0);

    /* DPL raised to 3, in the guest's frame and hvcore's copy */
    assert_int_equal(hc(XEN_HC_update_descriptor, ma, cf_desc(0x3, 0, false, true), 0), 0);
    assert_int_equal(frame(GDT_F0)[5], DATA);
    assert_int_equal(*cf_gdt(5), DATA);
    /* beyond the GDT's entries: the frame only */
    assert_int_equal(hc(XEN_HC_update_descriptor, (GDT_F0 << 12) + 9 * 8, CODE64, 0), 0);
    assert_int_equal(frame(GDT_F0)[9], CODE64);
    assert_int_equal(*cf_gdt(9), 0);
    /* a frame that is no GDT: the frame only */
    assert_int_equal(hc(XEN_HC_update_descriptor, (GDT_F1 << 12) + 5 * 8, CODE64, 0), 0);
    assert_int_equal(*cf_gdt(5), DATA);
    assert_int_equal(hc(XEN_HC_update_descriptor, ma, 0, 0), 0);
    assert_int_equal(*cf_gdt(5), 0);

    frame(GDT_F0)[5] = DATA;
    *cf_gdt(5) = DATA;
    cf.is_pt[GDT_F1] = true;
    const uint64_t refused[][2] = {
        { ma + 1, DATA },
        { ma + 4, DATA },
        { CF_RAM, DATA },
        { CF_RAM + (GDT_F0 << 12), DATA },
        { ~0ULL & ~7ULL, DATA },
        { (GDT_F1 << 12) + 8, DATA },                          /* a page table */
        { ma, cf_desc(0x9, 3, false, false) & ~(1ULL << 44) }, /* TSS          */
        { ma, cf_desc(0x2, 3, false, false) & ~(1ULL << 44) }, /* LDT          */
        { ma, cf_desc(0xc, 3, false, false) & ~(1ULL << 44) }, /* call gate    */
        { ma, cf_desc(0xe, 0, false, false) & ~(1ULL << 44) }, /* interrupt gate */
        { ma, cf_desc(0xb, 3, true, true) },                   /* code, L and D */
        { ma, cf_desc(0xf, 0, true, true) },
    };
    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        assert_int_equal(hc(XEN_HC_update_descriptor, refused[i][0], refused[i][1], 0),
                         -HVE_INVAL);
        assert_int_equal(frame(GDT_F0)[5], DATA);
        assert_int_equal(*cf_gdt(5), DATA);
    }
    assert_int_equal(frame(GDT_F1)[1], 0);
    /* data with L and D is no code: allowed */
    assert_int_equal(hc(XEN_HC_update_descriptor, ma, cf_desc(0x3, 3, true, true), 0), 0);
}

/* ---- multicall and the dispatch ------------------------------------------ */

static void put_call(unsigned i, uint64_t op, uint64_t a0, uint64_t a1)
{
    struct xen_multicall_entry e = { .op = op, .result = 0x5a5a, .args = { a0, a1 } };

    memcpy(cf_ram(ARG + i * sizeof(e)), &e, sizeof(e));
}

static int64_t result(unsigned i)
{
    struct xen_multicall_entry e;

    memcpy(&e, cf_ram(ARG + i * sizeof(e)), sizeof(e));
    return e.result;
}

static void multicall_results(void **state)
{
    (void)state;
    put_call(0, XEN_HC_stack_switch, 0xe02b, 0xffff888000020000ULL);
    put_call(1, XEN_HC_multicall, ARG, 1);
    put_call(2, XEN_HC_iret, 0, 0);
    put_call(3, XEN_HC_set_debugreg, 4, 0);
    put_call(4, XEN_NR_HYPERCALLS, 0, 0);
    put_call(5, ~0ULL, 0, 0);
    put_call(6, XEN_HC_get_debugreg, 6, 0);
    put_call(7, XEN_HC_domctl, 0, 0);
    cf.hc_result = 17;
    put_call(8, XEN_HC_mmu_update, 0, 0);
    assert_int_equal(hc(XEN_HC_multicall, ARG, 9, 0), 0);
    assert_int_equal(result(0), 0);
    assert_int_equal(cf.xv->kernel_sp, 0xffff888000020000ULL);
    assert_int_equal(result(1), -HVE_INVAL);
    assert_int_equal(result(2), -HVE_INVAL);
    assert_int_equal(cf.crashes, 0);
    assert_int_equal(result(3), -HVE_INVAL);
    assert_int_equal(result(4), -HVE_NOSYS);
    assert_int_equal(result(5), -HVE_NOSYS);
    assert_int_equal(result(6), 0xffff0ff0);
    assert_int_equal(result(7), -HVE_PERM);
    assert_int_equal(result(8), 17);
    assert_int_equal(cf.hc_calls[XEN_HC_mmu_update], 1);
    assert_int_equal(cf.xv->next, XEN_NEXT_RESUME);
    /* an empty batch */
    assert_int_equal(hc(XEN_HC_multicall, UNREAD, 0, 0), 0);
}

static void multicall_refusals(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 257; i++)
        put_call(i, XEN_HC_mmu_update, 0, 0);
    assert_int_equal(hc(XEN_HC_multicall, ARG, 257, 0), -HVE_INVAL);
    assert_int_equal(hc(XEN_HC_multicall, ARG, ~0ULL, 0), -HVE_INVAL);
    assert_int_equal(cf.hc_calls[XEN_HC_mmu_update], 0);
    assert_int_equal(result(0), 0x5a5a);
    assert_int_equal(hc(XEN_HC_multicall, ARG, 256, 0), 0);
    assert_int_equal(cf.hc_calls[XEN_HC_mmu_update], 256);
    assert_int_equal(result(256), 0x5a5a);
    assert_int_equal(hc(XEN_HC_multicall, UNREAD, 1, 0), -HVE_FAULT);
    assert_int_equal(hc(XEN_HC_multicall, NONCANON, 1, 0), -HVE_FAULT);
    /* the third entry is unreadable: two calls made, then -HVE_FAULT */
    uint64_t at = UNREAD - 2 * sizeof(struct xen_multicall_entry);
    memcpy(cf_ram(at), cf_ram(ARG), 2 * sizeof(struct xen_multicall_entry));
    cf.hc_calls[XEN_HC_mmu_update] = 0;
    assert_int_equal(hc(XEN_HC_multicall, at, 3, 0), -HVE_FAULT);
    assert_int_equal(cf.hc_calls[XEN_HC_mmu_update], 2);
    /* results that cannot be written back */
    cf.ro_lo = ARG;
    cf.ro_hi = ARG + 4096;
    cf.hc_calls[XEN_HC_mmu_update] = 0;
    assert_int_equal(hc(XEN_HC_multicall, ARG, 3, 0), -HVE_FAULT);
    assert_int_equal(cf.hc_calls[XEN_HC_mmu_update], 1);
}

/* A call that blocks or ends the domain ends the batch. */
static void multicall_stops_when_blocked(void **state)
{
    (void)state;
    put_call(0, XEN_HC_sched_op, 0, 0);
    put_call(1, XEN_HC_sched_op, 0, 0);
    cf.hc_next = XEN_NEXT_BLOCK;
    assert_int_equal(hc(XEN_HC_multicall, ARG, 2, 0), 0);
    assert_int_equal(cf.hc_calls[XEN_HC_sched_op], 1);
    assert_int_equal(result(0), 0);
    assert_int_equal(result(1), 0x5a5a);
    assert_int_equal(cf.xv->next, XEN_NEXT_BLOCK);
}

static void unknown_numbers(void **state)
{
    (void)state;
    const uint64_t nosys[] = { XEN_NR_HYPERCALLS, XEN_NR_HYPERCALLS + 1, 0x80000000ULL,
                               ~0ULL, 1ULL << 63 };
    for (size_t i = 0; i < sizeof(nosys) / sizeof(nosys[0]); i++)
        assert_int_equal(hc(nosys[i], 0, 0, 0), -HVE_NOSYS);
    unsigned nulls = 0;
    for (uint64_t nr = 0; nr < XEN_NR_HYPERCALLS; nr++) {
        if (nr == XEN_HC_iret || nr == XEN_HC_multicall)
            continue;
        cf.hc_result = -12345;
        int64_t r = hc(nr, UNREAD, UNREAD, UNREAD);
        if (r == -HVE_NOSYS)
            nulls++;
    }
    assert_true(nulls > 0);
    const uint64_t perm[] = { XEN_HC_platform_op, XEN_HC_update_va_mapping_otherdomain,
                              XEN_HC_sysctl, XEN_HC_domctl, XEN_HC_kexec_op };
    for (size_t i = 0; i < sizeof(perm) / sizeof(perm[0]); i++)
        assert_int_equal(hc(perm[i], 0, 0, 0), -HVE_PERM);
    assert_int_equal(cf.crashes, 0);
}

/* ---- iret ---------------------------------------------------------------- */

#define STACK 0x8000ULL

static void gdt_flat(void)
{
    *cf_gdt(XEN_FLAT_KERNEL_CS >> 3) = CODE64;
    *cf_gdt(XEN_FLAT_KERNEL_SS >> 3) = DATA;
}

static void put_frame(uint64_t at, uint64_t flags, uint64_t rip, uint64_t cs, uint64_t rflags,
                      uint64_t rsp, uint64_t ss)
{
    struct xen_iret_context f = { .rax = 0xaaaa, .r11 = 0x1111, .rcx = 0xcccc, .flags = flags,
                                  .rip = rip, .cs = cs, .rflags = rflags, .rsp = rsp, .ss = ss };

    memcpy(cf_ram(at), &f, sizeof(f));
}

static void regs_before(void)
{
    cf.r->rip = 0x100;
    cf.r->rax = 1;
    cf.r->rcx = 2;
    cf.r->r11 = 3;
    cf.r->rflags = 0x202;
    cf.r->rsp = STACK;
}

static void crashed_unchanged(const char *why)
{
    assert_int_equal(cf.crashes, 1);
    assert_string_equal(cf.crash, why);
    assert_null(strchr(cf.crash, '\n'));
    assert_int_equal(cf.xv->next, XEN_NEXT_END);
    assert_int_equal(cf.r->rip, 0x100);
    assert_int_equal(cf.r->rax, 1);
    assert_int_equal(cf.r->rcx, 2);
    assert_int_equal(cf.r->r11, 3);
    assert_int_equal(cf.s->cs.selector, 0);
    assert_true(cf.xv->kernel_mode);
    cf.crashes = 0;
}

static void iret_crashes(void **state)
{
    (void)state;
    gdt_flat();
    regs_before();
    cf.r->rsp = UNREAD - 8;
    assert_int_equal(hc(XEN_HC_iret, 0, 0, 0), 0);
    cf.r->rsp = STACK;
    crashed_unchanged("iret: frame at 0x9ff8 unreadable");

    regs_before();
    put_frame(STACK, 0, 0x400000, XEN_FLAT_RING3_CS64, 0x202, 0x7ff000, XEN_FLAT_RING3_SS64);
    assert_int_equal(hc(XEN_HC_iret, 0, 0, 0), 0);
    crashed_unchanged("iret to user mode without user page tables");

    const struct { uint64_t rip, cs, rsp, ss; const char *why; } bad[] = {
        { NONCANON, KERNEL_CS, 0x8000, KERNEL_SS,
          "iret to an invalid context (rip 0x800000000000 cs 0xe030 ss 0xe028)" },
        { 0x1000, KERNEL_CS, NONCANON, KERNEL_SS,
          "iret to an invalid context (rip 0x1000 cs 0xe030 ss 0xe028)" },
        { 0x1000, KERNEL_SS, 0x8000, KERNEL_SS,
          "iret to an invalid context (rip 0x1000 cs 0xe028 ss 0xe028)" },
        { 0x1000, KERNEL_CS, 0x8000, KERNEL_CS,
          "iret to an invalid context (rip 0x1000 cs 0xe030 ss 0xe030)" },
        { 0x1000, 0x10, 0x8000, KERNEL_SS,
          "iret to an invalid context (rip 0x1000 cs 0x10 ss 0xe028)" },
        { 0x1000, KERNEL_CS | 4, 0x8000, KERNEL_SS,
          "iret to an invalid context (rip 0x1000 cs 0xe034 ss 0xe028)" },
        { 0x1000, KERNEL_CS, 0x8000, 0,
          "iret to an invalid context (rip 0x1000 cs 0xe030 ss 0)" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        regs_before();
        put_frame(STACK, 0, bad[i].rip, bad[i].cs, 0x202, bad[i].rsp, bad[i].ss);
        assert_int_equal(hc(XEN_HC_iret, 0, 0, 0), 0);
        crashed_unchanged(bad[i].why);
    }
}

static void iret_to_kernel(void **state)
{
    (void)state;
    gdt_flat();
    regs_before();
    cf.vi.evtchn_upcall_mask = 0;
    /* IF clear: events masked; IOPL and VM dropped, IF itself kept on */
    put_frame(STACK, 0, 0xffffffff81000123ULL, KERNEL_CS, 0x23000 | 0x3000 | 0x1, 0xffff8880000ff000ULL,
              KERNEL_SS);
    assert_int_equal(hc(XEN_HC_iret, 0, 0, 0), 0);
    assert_int_equal(cf.crashes, 0);
    assert_int_equal(cf.xv->next, XEN_NEXT_NO_RESULT);
    assert_int_equal(cf.r->rip, 0xffffffff81000123ULL);
    assert_int_equal(cf.r->rsp, 0xffff8880000ff000ULL);
    assert_int_equal(cf.r->rflags, 0x200 | 0x2 | 0x1);
    assert_int_equal(cf.r->rax, 0xaaaa);
    assert_int_equal(cf.r->rcx, 0xcccc);
    assert_int_equal(cf.r->r11, 0x1111);
    assert_int_equal(cf.s->cs.selector, XEN_FLAT_KERNEL_CS);
    assert_int_equal(cf.s->ss.selector, XEN_FLAT_KERNEL_SS);
    assert_true(cf.xv->kernel_mode);
    assert_true(cf.xv->sregs_dirty);
    assert_int_equal(cf.vi.evtchn_upcall_mask, 1);
    /* IF set: events unmasked; in a syscall: rcx and r11 kept */
    regs_before();
    put_frame(STACK, XEN_VGCF_in_syscall, 0xffffffff81000456ULL, KERNEL_CS, 0x200,
              0xffff8880000fe000ULL, KERNEL_SS);
    assert_int_equal(hc(XEN_HC_iret, 0, 0, 0), 0);
    assert_int_equal(cf.vi.evtchn_upcall_mask, 0);
    assert_int_equal(cf.r->rcx, 2);
    assert_int_equal(cf.r->r11, 3);
    assert_int_equal(cf.r->rax, 0xaaaa);
    assert_int_equal(cf.r->rip, 0xffffffff81000456ULL);
}

static void iret_to_user(void **state)
{
    (void)state;
    gdt_flat();
    regs_before();
    cf.xv->guest_table_user = 7;
    cf.vi.evtchn_upcall_mask = 1;
    put_frame(STACK, 0, 0x400000, XEN_FLAT_RING3_CS64, 0x246, 0x7ffff000, XEN_FLAT_RING3_SS64);
    assert_int_equal(hc(XEN_HC_iret, 0, 0, 0), 0);
    assert_int_equal(cf.crashes, 0);
    assert_false(cf.xv->kernel_mode);
    assert_int_equal(cf.r->rip, 0x400000);
    assert_int_equal(cf.r->rsp, 0x7ffff000);
    assert_int_equal(cf.s->cs.selector, XEN_FLAT_RING3_CS64);
    assert_int_equal(cf.vi.evtchn_upcall_mask, 0);
    assert_int_equal(cf.xv->next, XEN_NEXT_NO_RESULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(trap_table_refusals),
        T(trap_table_full_and_clear),
        T(stack_switch),
        T(segment_base_each_which),
        T(segment_base_refusals),
        T(segment_base_user_selector),
        T(callback_op),
        T(debugregs),
        T(gdt_installs_and_raises),
        T(gdt_refusals),
        T(gdt_largest),
        T(update_descriptor),
        T(multicall_results),
        T(multicall_refusals),
        T(multicall_stops_when_blocked),
        T(unknown_numbers),
        T(iret_crashes),
        T(iret_to_kernel),
        T(iret_to_user),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
