/*
 * unit_xen_misc.c - the small hypercalls of a Xen-PV guest (xen_misc.c):
 * xen_version's answers and the feature bits Linux panics without,
 * console_io's early console, vm_assist's recorded types, physdev_op's
 * set_iopl, each with its refusals and unreadable or unwritable pointers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "public/errno.h"
#include "xen_fake.h"

#define ARG 0x1000ULL

static int64_t version(uint64_t cmd, uint64_t va)
{
    return fake_hc(xen_hc_xen_version, cmd, va, 0);
}

static uint32_t features(uint32_t idx)
{
    struct xen_feature_info fi = { .submap_idx = idx, .submap = 0xdeadbeef };

    memcpy(fake_ram(ARG), &fi, sizeof(fi));
    assert_int_equal(version(XEN_XENVER_get_features, ARG), 0);
    memcpy(&fi, fake_ram(ARG), sizeof(fi));
    assert_int_equal(fi.submap_idx, idx);
    return fi.submap;
}

static void feature_bits(void **state)
{
    (void)state;
    uint32_t f = features(0);
    assert_int_equal(f, (1u << XEN_FEAT_pae_pgdir_above_4gb) |
                        (1u << XEN_FEAT_mmu_pt_update_preserve_ad) |
                        (1u << XEN_FEAT_gnttab_map_avail_bits));
    /* Not: hvcore validates page tables and descriptor tables, does not
     * translate, and the kernel runs at CPL 3. */
    assert_false(f & (1u << XEN_FEAT_writable_page_tables));
    assert_false(f & (1u << XEN_FEAT_writable_descriptor_tables));
    assert_false(f & (1u << XEN_FEAT_auto_translated_physmap));
    assert_false(f & (1u << XEN_FEAT_supervisor_mode_kernel));
    assert_int_equal(features(1), 0);
    assert_int_equal(features(0xffffffffu), 0);
    assert_int_equal(version(XEN_XENVER_get_features, FAKE_RAM - 4), -HVE_FAULT);
    fake.readonly_mfn = ARG >> 12;
    assert_int_equal(version(XEN_XENVER_get_features, ARG), -HVE_FAULT);
}

/* A fixed-size answer: exactly len bytes written, s then NULs. */
static void answers(uint64_t cmd, const char *s, size_t len)
{
    uint8_t *p = fake_ram(ARG);

    memset(p, 0xff, len + 1);
    assert_int_equal(version(cmd, ARG), 0);
    assert_memory_equal(p, s, strlen(s));
    for (size_t i = strlen(s); i < len; i++)
        assert_int_equal(p[i], 0);
    assert_int_equal(p[len], 0xff);
    assert_int_equal(version(cmd, FAKE_RAM - len + 1), -HVE_FAULT);
}

static void version_answers(void **state)
{
    (void)state;
    assert_int_equal(version(XEN_XENVER_version, 0), 0x00040011);     /* 4.17 */
    answers(XEN_XENVER_extraversion, ".0", 16);
    answers(XEN_XENVER_capabilities, "xen-3.0-x86_64", 1024);
    answers(XEN_XENVER_compile_info, "", 144);
    answers(XEN_XENVER_changeset, "", 64);
    answers(XEN_XENVER_commandline, "", 1024);
    answers(XEN_XENVER_guest_handle, "0123456789abcdef", 16);
    assert_int_equal(version(XEN_XENVER_pagesize, 0), 4096);

    uint64_t virt_start = 0;
    assert_int_equal(version(XEN_XENVER_platform_parameters, ARG), 0);
    memcpy(&virt_start, fake_ram(ARG), sizeof(virt_start));
    assert_int_equal(virt_start, 0xffff800000000000ULL);
    assert_int_equal(version(XEN_XENVER_platform_parameters, FAKE_RAM), -HVE_FAULT);

    assert_int_equal(version(XEN_XENVER_build_id, ARG), -HVE_NOSYS);
    assert_int_equal(version(11, ARG), -HVE_NOSYS);
    assert_int_equal(version(~0ULL, ARG), -HVE_NOSYS);
}

static void console_io_is_the_early_console(void **state)
{
    (void)state;
    memcpy(fake_ram(0x2000), "early\n", 6);
    assert_int_equal(fake_hc(xen_hc_console_io, XEN_CONSOLEIO_write, 6, 0x2000), 0);
    assert_int_equal(fake.out_len, 6);
    assert_memory_equal(fake.out, "early\n", 6);
    assert_int_equal(fake_hc(xen_hc_console_io, XEN_CONSOLEIO_write, 0, 0x2000), 0);
    assert_int_equal(fake.out_len, 6);

    /* Capped per call (16 KiB), in chunks: all of the first 16 KiB. */
    fake.out_len = 0;
    memset(fake_ram(0x10000), 'z', 0x8000);
    assert_int_equal(fake_hc(xen_hc_console_io, XEN_CONSOLEIO_write, 0x8000, 0x10000), 0);
    assert_int_equal(fake.out_len, 16384);
    fake.out_len = 0;
    assert_int_equal(fake_hc(xen_hc_console_io, XEN_CONSOLEIO_write, ~0ULL, 0x10000), 0);
    assert_int_equal(fake.out_len, 16384);

    /* Unreadable: -HVE_FAULT (what came before the fault was written). */
    fake.out_len = 0;
    assert_int_equal(fake_hc(xen_hc_console_io, XEN_CONSOLEIO_write, 10, FAKE_RAM - 4), -HVE_FAULT);
    assert_int_equal(fake_hc(xen_hc_console_io, XEN_CONSOLEIO_write, 3000, FAKE_RAM - 2000), -HVE_FAULT);
    assert_int_equal(fake.out_len, 1024);

    assert_int_equal(fake_hc(xen_hc_console_io, XEN_CONSOLEIO_read, 100, 0x2000), 0);
    assert_int_equal(fake_hc(xen_hc_console_io, 2, 100, 0x2000), -HVE_NOSYS);
    assert_int_equal(fake_hc(xen_hc_console_io, ~0ULL, 100, 0x2000), -HVE_NOSYS);
}

static void vm_assist_records_known_types(void **state)
{
    static const uint32_t linux_6_1[] = {
        XEN_VMASST_TYPE_4gb_segments, XEN_VMASST_TYPE_writable_pagetables,
        XEN_VMASST_TYPE_pae_extended_cr3, XEN_VMASST_TYPE_runstate_update_flag,
    };

    (void)state;
    for (size_t i = 0; i < sizeof(linux_6_1) / sizeof(linux_6_1[0]); i++)
        assert_int_equal(fake_hc(xen_hc_vm_assist, XEN_VMASST_CMD_enable, linux_6_1[i], 0), 0);
    assert_int_equal(fake.x.vm_assist, 0x2d);
    assert_int_equal(fake_hc(xen_hc_vm_assist, XEN_VMASST_CMD_enable,
                             XEN_VMASST_TYPE_architectural_iopl, 0), 0);
    assert_int_equal(fake_hc(xen_hc_vm_assist, XEN_VMASST_CMD_enable,
                             XEN_VMASST_TYPE_4gb_segments_notify, 0), 0);
    assert_int_equal(fake.x.vm_assist, 0x3f);
    assert_int_equal(fake_hc(xen_hc_vm_assist, XEN_VMASST_CMD_enable,
                             XEN_VMASST_TYPE_m2p_strict, 0), 0);
    assert_true(fake.x.m2p_strict);
    assert_int_equal(fake.x.vm_assist, 0x3f);
    assert_int_equal(fake_hc(xen_hc_vm_assist, XEN_VMASST_CMD_disable,
                             XEN_VMASST_TYPE_m2p_strict, 0), 0);
    assert_false(fake.x.m2p_strict);
    assert_int_equal(fake_hc(xen_hc_vm_assist, XEN_VMASST_CMD_disable,
                             XEN_VMASST_TYPE_writable_pagetables, 0), 0);
    assert_int_equal(fake.x.vm_assist, 0x3b);

    static const uint64_t bad[] = { 6, 31, 33, 63, 64, 1ULL << 32, ~0ULL };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(fake_hc(xen_hc_vm_assist, XEN_VMASST_CMD_enable, bad[i], 0), -HVE_INVAL);
        assert_int_equal(fake_hc(xen_hc_vm_assist, 7, bad[i], 0), -HVE_INVAL);
    }
    assert_int_equal(fake_hc(xen_hc_vm_assist, 2, XEN_VMASST_TYPE_writable_pagetables, 0), -HVE_NOSYS);
    assert_int_equal(fake_hc(xen_hc_vm_assist, ~0ULL, 0, 0), -HVE_NOSYS);
    assert_int_equal(fake.x.vm_assist, 0x3b);
    assert_false(fake.x.m2p_strict);
}

static void physdev_set_iopl(void **state)
{
    (void)state;
    uint32_t iopl = 1;
    memcpy(fake_ram(ARG), &iopl, sizeof(iopl));
    assert_int_equal(fake_hc(xen_hc_physdev_op, XEN_PHYSDEVOP_set_iopl, ARG, 0), 0);
    assert_int_equal(fake.x.vcpu[0].iopl, 1);
    iopl = 3;
    memcpy(fake_ram(ARG), &iopl, sizeof(iopl));
    assert_int_equal(fake_hc(xen_hc_physdev_op, XEN_PHYSDEVOP_set_iopl, ARG, 0), 0);
    assert_int_equal(fake.x.vcpu[0].iopl, 3);
    iopl = 4;
    memcpy(fake_ram(ARG), &iopl, sizeof(iopl));
    assert_int_equal(fake_hc(xen_hc_physdev_op, XEN_PHYSDEVOP_set_iopl, ARG, 0), -HVE_INVAL);
    assert_int_equal(fake.x.vcpu[0].iopl, 3);
    assert_int_equal(fake_hc(xen_hc_physdev_op, XEN_PHYSDEVOP_set_iopl, FAKE_RAM - 2, 0), -HVE_FAULT);
    assert_int_equal(fake_hc(xen_hc_physdev_op, XEN_PHYSDEVOP_set_iobitmap, ARG, 0), -HVE_NOSYS);
    assert_int_equal(fake_hc(xen_hc_physdev_op, 0, ARG, 0), -HVE_NOSYS);
    assert_int_equal(fake_hc(xen_hc_physdev_op, ~0ULL, ARG, 0), -HVE_NOSYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup1, fake_teardown1)
        T(feature_bits),
        T(version_answers),
        T(console_io_is_the_early_console),
        T(vm_assist_records_known_types),
        T(physdev_set_iopl),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
