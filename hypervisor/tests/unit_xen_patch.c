/*
 * unit_xen_patch.c - xen_patch.c: this_cpu_cmpxchg16b_emu is found in a
 * kernel's code exactly as Linux builds it and nowhere else, never past
 * the code's end, and the rewritten routine, run here for real, does what
 * the routine does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <asm/prctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "xen_patch.h"

/* The routine as Debian's linux-image-6.1.0-57-cloud-amd64 has it: its
 * returns are `jmp __x86_return_thunk` (e9 rel32). */
static const uint8_t debian_6_1[] = {
    0x9c, 0xfa, 0x65, 0x48, 0x3b, 0x06, 0x75, 0x18, 0x65, 0x48, 0x3b, 0x56, 0x08,
    0x75, 0x11, 0x65, 0x48, 0x89, 0x1e, 0x65, 0x48, 0x89, 0x4e, 0x08, 0x9d, 0xb0,
    0x01, 0xe9, 0xe0, 0xf2, 0x43, 0x00, 0x9d, 0x30, 0xc0, 0xe9, 0xd8, 0xf2, 0x43, 0x00,
};
/* The same built with plain returns (no return thunk), which can run. */
static const uint8_t plain_ret[] = {
    0x9c, 0xfa, 0x65, 0x48, 0x3b, 0x06, 0x75, 0x14, 0x65, 0x48, 0x3b, 0x56, 0x08,
    0x75, 0x0d, 0x65, 0x48, 0x89, 0x1e, 0x65, 0x48, 0x89, 0x4e, 0x08, 0x9d, 0xb0,
    0x01, 0xc3, 0x9d, 0x30, 0xc0, 0xc3,
};
/* Offsets of the two jne displacements: any byte is a match there. */
#define JNE1 7
#define JNE2 14

/* Filler that holds pushfq bytes (0x9c) and no copy of the routine. */
static void fill(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = i % 7 == 0 ? 0x9c : (uint8_t)(i * 37 + 11);
}

static void finds_debian_s_routine(void **state)
{
    uint8_t code[4096];
    size_t first = 0;

    (void)state;
    fill(code, sizeof(code));
    memcpy(code + 1234, debian_6_1, sizeof(debian_6_1));
    assert_int_equal(xen_patch_cx16_scan(code, sizeof(code), &first), 1);
    assert_int_equal(first, 1234);
    memcpy(code + 1234, plain_ret, sizeof(plain_ret));
    assert_int_equal(xen_patch_cx16_scan(code, sizeof(code), &first), 1);
    assert_int_equal(first, 1234);
}

static void any_branch_displacement_matches(void **state)
{
    uint8_t code[64];
    size_t first;

    (void)state;
    for (unsigned v = 0; v < 256; v++) {
        memset(code, 0x90, sizeof(code));
        memcpy(code + 3, debian_6_1, sizeof(debian_6_1));
        code[3 + JNE1] = (uint8_t)v;
        code[3 + JNE2] = (uint8_t)(255 - v);
        assert_int_equal(xen_patch_cx16_scan(code, sizeof(code), &first), 1);
        assert_int_equal(first, 3);
    }
}

/* Every other byte of the match, changed to any other value, is no match:
 * another register, another segment, no cli, another return value. */
static void every_near_miss_is_refused(void **state)
{
    uint8_t code[64];
    size_t first;

    (void)state;
    for (unsigned i = 0; i < XEN_PATCH_CX16_MATCH; i++) {
        if (i == JNE1 || i == JNE2)
            continue;
        for (unsigned v = 0; v < 256; v++) {
            if (v == debian_6_1[i])
                continue;
            memset(code, 0x90, sizeof(code));
            memcpy(code, debian_6_1, sizeof(debian_6_1));
            code[i] = (uint8_t)v;
            assert_int_equal(xen_patch_cx16_scan(code, sizeof(code), &first), 0);
        }
    }
}

/* Copies cut by the end of the code are not matched, and nothing past
 * the end is read: the code ends at a page with no access. */
static void never_reads_past_the_end(void **state)
{
    long pg = sysconf(_SC_PAGESIZE);
    uint8_t *m = mmap(NULL, 2 * (size_t)pg, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    size_t first;

    (void)state;
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + pg, (size_t)pg, PROT_NONE), 0);
    uint8_t *end = m + pg;
    for (size_t cut = 0; cut <= XEN_PATCH_CX16_MATCH; cut++) {
        size_t len = XEN_PATCH_CX16_MATCH - cut;
        memset(m, 0x9c, (size_t)pg);
        memcpy(end - len, debian_6_1, len);
        assert_int_equal(xen_patch_cx16_scan(end - len, len, &first), cut == 0 ? 1 : 0);
        assert_int_equal(xen_patch_cx16_scan(m, (size_t)pg, &first), cut == 0 ? 1 : 0);
    }
    assert_int_equal(xen_patch_cx16_scan(end, 0, &first), 0);
    munmap(m, 2 * (size_t)pg);
}

/* Two copies are counted (the caller then patches neither), the first
 * one's offset given; a copy right after pushfq bytes is still found. */
static void counts_every_copy(void **state)
{
    uint8_t code[256];
    size_t first = 0;

    (void)state;
    memset(code, 0x9c, sizeof(code));
    memcpy(code + 17, debian_6_1, sizeof(debian_6_1));
    memcpy(code + 17 + sizeof(debian_6_1), plain_ret, sizeof(plain_ret));
    assert_int_equal(xen_patch_cx16_scan(code, sizeof(code), &first), 2);
    assert_int_equal(first, 17);
}

static void apply_writes_the_instruction(void **state)
{
    static const uint8_t want[XEN_PATCH_CX16_LEN] = {
        0x65, 0x48, 0x0f, 0xc7, 0x0e, 0x0f, 0x94, 0xc0, 0xeb, 0x11,
    };
    uint8_t code[sizeof(debian_6_1)];

    (void)state;
    memcpy(code, debian_6_1, sizeof(code));
    xen_patch_cx16_apply(code);
    assert_memory_equal(code, want, sizeof(want));
    /* The rest, the return it jumps to (at 10 + 0x11) first, unchanged. */
    assert_memory_equal(code + XEN_PATCH_CX16_LEN, debian_6_1 + XEN_PATCH_CX16_LEN,
                        sizeof(code) - XEN_PATCH_CX16_LEN);
    assert_int_equal(XEN_PATCH_CX16_LEN + code[XEN_PATCH_CX16_LEN - 1], XEN_PATCH_CX16_MATCH);
}

/* Call the routine at fn as Linux does (rsi: the per-CPU offset, rdx:rax
 * the old value, rcx:rbx the new): its %al. */
static uint8_t call_routine(void *fn, uint64_t off, uint64_t old_lo, uint64_t old_hi,
                            uint64_t new_lo, uint64_t new_hi)
{
    uint64_t a = old_lo, d = old_hi;

    /* Below rsp is this function's red zone: the call must not land on it. */
    __asm__ volatile("sub $128, %%rsp\n\t"
                     "call *%[fn]\n\t"
                     "add $128, %%rsp"
                     : "+a"(a), "+d"(d)
                     : [fn] "r"(fn), "b"(new_lo), "c"(new_hi), "S"(off)
                     : "memory", "cc");
    return (uint8_t)a;
}

/* The rewritten routine, run: equal 16 bytes are replaced and %al is 1;
 * unequal ones (either half) are left and %al is 0. */
static void the_patched_routine_runs_as_the_emulation(void **state)
{
    long pg = sysconf(_SC_PAGESIZE);
    uint8_t *fn = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    _Alignas(16) uint64_t cell[2];
    unsigned long gs = 0;

    (void)state;
    assert_true(fn != MAP_FAILED);
    /* %gs:(%rsi): the offset from this thread's GS base. */
    assert_int_equal(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0);
    uint64_t off = (uint64_t)(uintptr_t)cell - gs;
    memcpy(fn, plain_ret, sizeof(plain_ret));
    xen_patch_cx16_apply(fn);
    assert_int_equal(mprotect(fn, (size_t)pg, PROT_READ | PROT_EXEC), 0);

    cell[0] = 0x1111; cell[1] = 0x2222;
    assert_int_equal(call_routine(fn, off, 0x1111, 0x2222, 0xaaaa, 0xbbbb), 1);
    assert_true(cell[0] == 0xaaaa && cell[1] == 0xbbbb);
    assert_int_equal(call_routine(fn, off, 0x1111, 0xbbbb, 0x5, 0x6), 0);
    assert_true(cell[0] == 0xaaaa && cell[1] == 0xbbbb);
    assert_int_equal(call_routine(fn, off, 0xaaaa, 0x2222, 0x5, 0x6), 0);
    assert_true(cell[0] == 0xaaaa && cell[1] == 0xbbbb);
    assert_int_equal(call_routine(fn, off, 0xaaaa, 0xbbbb, UINT64_MAX, 0), 1);
    assert_true(cell[0] == UINT64_MAX && cell[1] == 0);
    munmap(fn, (size_t)pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_debian_s_routine),
        cmocka_unit_test(any_branch_displacement_matches),
        cmocka_unit_test(every_near_miss_is_refused),
        cmocka_unit_test(never_reads_past_the_end),
        cmocka_unit_test(counts_every_copy),
        cmocka_unit_test(apply_writes_the_instruction),
        cmocka_unit_test(the_patched_routine_runs_as_the_emulation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
