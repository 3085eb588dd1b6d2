/*
 * unit_xen_ptwr.c - xen_ptwr.c's decoder of the guest kernel's direct
 * writes into its L1 tables: each supported form with its new entry,
 * flags and instruction length, and everything it must leave to the
 * guest (false, nothing changed), on the fake vCPU of xen_core_fake.c
 * (VA == gpa; the instruction at RIP, the L1 table in frame L1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "public/errno.h"
#include "xen_core_fake.h"
#include "xen_ptwr.h"

#define RIP   0x2ff0ULL                 /* 16 bytes before the next page  */
#define L1    5
#define OLD   0x00000000abcde067ULL     /* present, RW, user, A, D        */
#define ENTRY(i) (((uint64_t)L1 << 12) + (i) * 8)
#define ERR_WRITE 3                     /* present | write                */

#define CF_   (1ULL << 0)
#define PF_   (1ULL << 2)
#define ZF_   (1ULL << 6)
#define SF_   (1ULL << 7)
#define OF_   (1ULL << 11)

static int setup(void **state)
{
    (void)state;
    if (cf_init() < 0)
        return -1;
    cf.is_l1[L1] = true;
    ((uint64_t *)cf_ram(L1 << 12))[3] = OLD;
    ((uint64_t *)cf_ram(L1 << 12))[4] = OLD;
    cf.r->rip = RIP;
    cf.r->rflags = 0x202;
    cf.r->rax = 0x1122334455667788ULL;
    cf.r->rdx = 0x00000000feed1067ULL;
    cf.r->rdi = ENTRY(3);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cf_fini();
    return 0;
}

static uint64_t entry(unsigned i)
{
    return ((uint64_t *)cf_ram(L1 << 12))[i];
}

/* The instruction at RIP, then a fault at cr2. */
static bool fault_at(const uint8_t *ins, size_t n, uint64_t cr2, uint64_t err)
{
    memset(cf_ram(RIP), 0xcc, 16);
    memcpy(cf_ram(RIP), ins, n);
    return xen_ptwr_fault(cf.v, cr2, err);
}

#define INS(...) ((const uint8_t[]){ __VA_ARGS__ }), sizeof((const uint8_t[]){ __VA_ARGS__ })

/* handled: the entry became want, rip moved by len */
#define HANDLED(cr2, want, len, ...)                                    \
    do {                                                                \
        cf.r->rip = RIP;                                                \
        assert_true(fault_at(INS(__VA_ARGS__), (cr2), ERR_WRITE));      \
        assert_int_equal(entry(3), (want));                             \
        assert_int_equal(cf.r->rip, RIP + (len));                       \
    } while (0)

static void reset_entry(uint64_t v)
{
    ((uint64_t *)cf_ram(L1 << 12))[3] = v;
}

static void mov_and_xchg(void **state)
{
    (void)state;
    HANDLED(ENTRY(3), cf.r->rax, 3, 0x48, 0x89, 0x07);             /* mov %rax,(%rdi) */
    cf.r->r8 = 0x5067;
    HANDLED(ENTRY(3), 0x5067, 3, 0x4c, 0x89, 0x07);                /* mov %r8,(%rdi)  */
    assert_int_equal(cf.l1_updates, 2);
    /* xchg: the old entry in the register */
    reset_entry(OLD);
    HANDLED(ENTRY(3), 0x00000000feed1067ULL, 3, 0x48, 0x87, 0x17); /* xchg %rdx,(%rdi) */
    assert_int_equal(cf.r->rdx, OLD);
    /* 32-bit xchg: the low half, the register zero-extended */
    reset_entry(0xffffffff00000000ULL | OLD);
    cf.r->rdx = 0x7777777700005067ULL;
    HANDLED(ENTRY(3), 0xffffffff00005067ULL, 2, 0x87, 0x17);
    assert_int_equal(cf.r->rdx, OLD);
    /* byte forms: into the byte cr2 names */
    reset_entry(OLD);
    cf.r->rax = 0x1122334455667788ULL;
    HANDLED(ENTRY(3) + 1, (OLD & ~0xff00ULL) | 0x8800, 2, 0x88, 0x07);   /* mov %al  */
    HANDLED(ENTRY(3) + 2, (OLD & ~0xffff00ULL) | 0x778800, 2, 0x88, 0x27); /* mov %ah */
    reset_entry(OLD);
    cf.r->rsp = 0x99;
    HANDLED(ENTRY(3), (OLD & ~0xffULL) | 0x99, 3, 0x40, 0x88, 0x27);     /* mov %spl */
    reset_entry(OLD);
    HANDLED(ENTRY(3), (OLD & ~0xffULL) | 0x77, 2, 0x86, 0x27);           /* xchg %ah */
    assert_int_equal(cf.r->rax, 0x1122334455666788ULL);
    /* 16-bit */
    reset_entry(OLD);
    HANDLED(ENTRY(3) + 2, (OLD & ~0xffff0000ULL) | 0x67880000, 3, 0x66, 0x89, 0x07);
}

static void mov_imm(void **state)
{
    (void)state;
    HANDLED(ENTRY(3), 0x12345067, 7, 0x48, 0xc7, 0x07, 0x67, 0x50, 0x34, 0x12);
    HANDLED(ENTRY(3), 0xffffffff80001067ULL, 7, 0x48, 0xc7, 0x07, 0x67, 0x10, 0x00, 0x80);
    HANDLED(ENTRY(3), 0, 7, 0x48, 0xc7, 0x07, 0, 0, 0, 0);
    /* 32-bit: the low half only */
    reset_entry(0xaaaaaaaa00000000ULL);
    HANDLED(ENTRY(3), 0xaaaaaaaa80001067ULL, 6, 0xc7, 0x07, 0x67, 0x10, 0x00, 0x80);
    /* 16-bit: an imm16 */
    reset_entry(OLD);
    HANDLED(ENTRY(3), (OLD & ~0xffffULL) | 0x1234, 5, 0x66, 0xc7, 0x07, 0x34, 0x12);
}

static void and_or(void **state)
{
    (void)state;
    cf.r->rflags = 0x202 | CF_ | OF_;
    HANDLED(ENTRY(3), OLD & ~2ULL, 4, 0x48, 0x83, 0x27, 0xfd);         /* andq $-3  */
    assert_int_equal(cf.r->rflags & (CF_ | OF_ | ZF_ | SF_), 0);
    HANDLED(ENTRY(3), (OLD & ~2ULL) | 0xffffffff80000000ULL, 7, 0x48, 0x81, 0x0f, 0, 0, 0, 0x80);
    assert_int_equal(cf.r->rflags & (ZF_ | SF_), SF_);
    HANDLED(ENTRY(3), 0, 7, 0x48, 0x81, 0x27, 0, 0, 0, 0);             /* andq $0   */
    assert_int_equal(cf.r->rflags & (ZF_ | SF_ | PF_), ZF_ | PF_);
    HANDLED(ENTRY(3), 0x10, 4, 0x48, 0x83, 0x0f, 0x10);                /* orq $0x10 */
    /* byte forms */
    reset_entry(OLD);
    HANDLED(ENTRY(3) + 0, (OLD & ~0xffULL) | 0x65, 3, 0x80, 0x27, 0xfd);  /* andb    */
    HANDLED(ENTRY(3) + 1, (OLD & ~0xffULL) | 0x65 | 0x0800, 3, 0x80, 0x0f, 0x08); /* orb */
    /* register forms */
    reset_entry(OLD);
    cf.r->rdx = ~0x40ULL;
    HANDLED(ENTRY(3), OLD & ~0x40ULL, 3, 0x48, 0x21, 0x17);            /* and %rdx  */
    cf.r->rdx = 0x100;
    HANDLED(ENTRY(3), (OLD & ~0x40ULL) | 0x100, 3, 0x48, 0x09, 0x17);  /* or %rdx   */
    reset_entry(OLD);
    cf.r->rdx = 0xf0;
    HANDLED(ENTRY(3), OLD & ~0x0fULL, 2, 0x20, 0x17);                  /* and %dl   */
    cf.r->rdx = 0x08;
    HANDLED(ENTRY(3), (OLD & ~0x0fULL) | 0x08, 2, 0x08, 0x17);         /* or %dl    */
    cf.r->rdx = 0x0800;
    reset_entry(OLD);
    HANDLED(ENTRY(3), OLD | 0x08, 2, 0x08, 0x37);                      /* or %dh    */
}

static void prefixes(void **state)
{
    (void)state;
    cf.r->rax = 0x4067;
    HANDLED(ENTRY(3), 0x4067, 4, 0xf0, 0x48, 0x87, 0x07);              /* lock xchg */
    assert_int_equal(cf.r->rax, OLD);
    cf.r->rax = 0x5067;
    HANDLED(ENTRY(3), 0x5067, 4, 0x3e, 0x48, 0x87, 0x07);              /* ds xchg   */
    cf.r->rax = 0x6067;
    HANDLED(ENTRY(3), 0x6067, 4, 0x65, 0x48, 0x89, 0x07);              /* gs mov    */
    cf.r->rax = 0x7067;
    HANDLED(ENTRY(3), 0x7067, 6, 0xf0, 0x2e, 0x26, 0x48, 0x89, 0x07);
    cf.r->rax = 0x8067;
    HANDLED(ENTRY(3), 0x8067, 3, 0x49, 0x89, 0x00);                    /* (%r8)     */
}

static void cmpxchg(void **state)
{
    (void)state;
    cf.r->rax = OLD;
    cf.r->rflags = 0x202;
    HANDLED(ENTRY(3), cf.r->rdx, 5, 0xf0, 0x48, 0x0f, 0xb1, 0x17);
    assert_true(cf.r->rflags & ZF_);
    assert_int_equal(cf.r->rax, OLD);
    /* different: rax gets the entry, which stays */
    uint64_t cur = entry(3);
    cf.r->rax = 0x1234;
    cf.r->rdx = 0x9067;
    HANDLED(ENTRY(3), cur, 5, 0xf0, 0x48, 0x0f, 0xb1, 0x17);
    assert_false(cf.r->rflags & ZF_);
    assert_int_equal(cf.r->rax, cur);
}

static void bit_ops(void **state)
{
    (void)state;
    cf.r->rflags = 0x202 | CF_;
    HANDLED(ENTRY(3), OLD | (1ULL << 63), 5, 0x48, 0x0f, 0xba, 0x2f, 63); /* bts $63 */
    assert_false(cf.r->rflags & CF_);
    HANDLED(ENTRY(3), OLD, 6, 0xf0, 0x48, 0x0f, 0xba, 0x37, 63);          /* btr $63 */
    assert_true(cf.r->rflags & CF_);
    HANDLED(ENTRY(3), OLD & ~0x20ULL, 5, 0x48, 0x0f, 0xba, 0x3f, 5);      /* btc $5  */
    assert_true(cf.r->rflags & CF_);
    HANDLED(ENTRY(3), OLD | 0x20, 5, 0x48, 0x0f, 0xba, 0x3f, 64 + 5);     /* mod 64  */
    assert_false(cf.r->rflags & CF_);
    cf.r->rdx = 1;
    HANDLED(ENTRY(3), OLD & ~2ULL, 5, 0xf0, 0x48, 0x0f, 0xb3, 0x17);      /* btr %rdx */
    assert_true(cf.r->rflags & CF_);
    HANDLED(ENTRY(3), OLD, 4, 0x48, 0x0f, 0xab, 0x17);                    /* bts %rdx */
    assert_false(cf.r->rflags & CF_);
    HANDLED(ENTRY(3), OLD & ~2ULL, 4, 0x48, 0x0f, 0xbb, 0x17);            /* btc %rdx */
    assert_true(cf.r->rflags & CF_);
}

static void modrm_lengths(void **state)
{
    (void)state;
    cf.r->rax = 0x3067;
    HANDLED(ENTRY(3), 0x3067, 4, 0x48, 0x89, 0x04, 0x24);              /* (%rsp)          */
    HANDLED(ENTRY(3), 0x3067, 4, 0x48, 0x89, 0x47, 0x08);              /* 8(%rdi)         */
    HANDLED(ENTRY(3), 0x3067, 7, 0x48, 0x89, 0x87, 0, 1, 0, 0);        /* 0x100(%rdi)     */
    HANDLED(ENTRY(3), 0x3067, 7, 0x48, 0x89, 0x05, 1, 2, 3, 4);        /* x(%rip)         */
    HANDLED(ENTRY(3), 0x3067, 8, 0x48, 0x89, 0x04, 0x25, 1, 2, 3, 4);  /* abs32, SIB      */
    HANDLED(ENTRY(3), 0x3067, 5, 0x48, 0x89, 0x44, 0x24, 0x08);        /* 8(%rsp)         */
    HANDLED(ENTRY(3), 0x3067, 8, 0x48, 0x89, 0x84, 0xcd, 1, 2, 3, 4);  /* x(%rbp,%rcx,8)  */
    /* an immediate after a SIB and disp32 */
    HANDLED(ENTRY(3), 0x1067, 12, 0x48, 0xc7, 0x84, 0x24, 1, 2, 3, 4, 0x67, 0x10, 0, 0);
    HANDLED(ENTRY(3), 0x1047, 9, 0x48, 0x83, 0xa4, 0x24, 1, 2, 3, 4, 0xdf);
}

/* Everything the decoder must leave to the guest's #PF handler. */
struct snap {
    struct kvm_regs r;
    uint64_t e3, e4;
    unsigned updates;
};

static void take(struct snap *s)
{
    s->r = *cf.r;
    s->e3 = entry(3);
    s->e4 = entry(4);
    s->updates = cf.l1_updates;
}

static void same(const struct snap *s)
{
    assert_memory_equal(&s->r, cf.r, sizeof(*cf.r));
    assert_int_equal(entry(3), s->e3);
    assert_int_equal(entry(4), s->e4);
}

#define LEFT(cr2, err, ...)                                             \
    do {                                                                \
        struct snap s_;                                                 \
        take(&s_);                                                      \
        assert_false(fault_at(INS(__VA_ARGS__), (cr2), (err)));         \
        same(&s_);                                                      \
    } while (0)

static void left_to_the_guest(void **state)
{
    (void)state;
    /* unsupported instructions */
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x01, 0x07);                       /* add       */
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x29, 0x07);                       /* sub       */
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x83, 0x07, 1);                    /* addq $1   */
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x83, 0x37, 1);                    /* xorq $1   */
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0xc7, 0x0f, 0, 0, 0, 0);           /* c7 /1     */
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x0f, 0xba, 0x27, 1);              /* bt $1     */
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x0f, 0xc1, 0x07);                 /* xadd      */
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x0f, 0xc7, 0x0f);                 /* cmpxchg16b */
    LEFT(ENTRY(3), ERR_WRITE, 0xf3, 0x48, 0xab);                       /* rep stosq */
    LEFT(ENTRY(3), ERR_WRITE, 0x0f, 0x0b);                             /* ud2       */
    LEFT(ENTRY(3), ERR_WRITE, 0xcc);
    /* register operands */
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x89, 0xc0);
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x87, 0xd0);
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x0f, 0xb1, 0xd0);
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x0f, 0xba, 0xe8, 1);
    /* a bit index beyond the entry */
    cf.r->rdx = 64;
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x0f, 0xab, 0x17);
    cf.r->rdx = ~0ULL;
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x0f, 0xb3, 0x17);
    /* writes straddling two entries */
    LEFT(ENTRY(3) + 4, ERR_WRITE, 0x48, 0x89, 0x07);
    LEFT(ENTRY(3) + 1, ERR_WRITE, 0x48, 0x87, 0x07);
    LEFT(ENTRY(3) + 6, ERR_WRITE, 0x89, 0x07);
    LEFT(ENTRY(3) + 7, ERR_WRITE, 0x66, 0x89, 0x07);
    /* not a present-page write fault */
    LEFT(ENTRY(3), 2, 0x48, 0x89, 0x07);
    LEFT(ENTRY(3), 1, 0x48, 0x89, 0x07);
    LEFT(ENTRY(3), 0, 0x48, 0x89, 0x07);
    /* not an L1, not RAM, not mapped */
    LEFT(ENTRY(3) + 4096, ERR_WRITE, 0x48, 0x89, 0x07);
    LEFT(CF_RAM + 8, ERR_WRITE, 0x48, 0x89, 0x07);
    LEFT(~0ULL & ~7ULL, ERR_WRITE, 0x48, 0x89, 0x07);
    /* user mode */
    cf.xv->kernel_mode = false;
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x89, 0x07);
    cf.xv->kernel_mode = true;
    /* more than 15 bytes: no such instruction */
    LEFT(ENTRY(3), ERR_WRITE, 0x26, 0x26, 0x26, 0x26, 0x26, 0x48, 0xc7, 0x84, 0x24, 1, 2, 3, 4,
         0x67, 0x10, 0, 0);
    LEFT(ENTRY(3), ERR_WRITE, 0x26, 0x26, 0x26, 0x26, 0x26, 0x26, 0x81, 0x84, 0x24, 1, 2, 3, 4,
         0x67, 0x10);
    assert_int_equal(cf.l1_updates, 0);
}

/* The new entry refused by the type system: no register or flag changes. */
static void refused_entry_changes_nothing(void **state)
{
    (void)state;
    cf.l1_refuse = true;
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x87, 0x17);                       /* xchg      */
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x89, 0x17);
    cf.r->rax = 0;
    LEFT(ENTRY(3), ERR_WRITE, 0xf0, 0x48, 0x0f, 0xb1, 0x17);           /* cmpxchg   */
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x0f, 0xba, 0x2f, 63);             /* bts       */
    LEFT(ENTRY(3), ERR_WRITE, 0x48, 0x83, 0x27, 0);                    /* and       */
}

/* An instruction that ends on the next page, and one whose next page
 * cannot be read. */
static void across_pages(void **state)
{
    (void)state;
    cf.r->rip = 0x2ffe;
    memcpy(cf_ram(0x2ffe), (uint8_t[]){ 0x48, 0xc7, 0x07, 0x67, 0x20, 0, 0 }, 7);
    assert_true(xen_ptwr_fault(cf.v, ENTRY(3), ERR_WRITE));
    assert_int_equal(entry(3), 0x2067);
    assert_int_equal(cf.r->rip, 0x2ffe + 7);
    cf.unread_lo = 0x3000;
    cf.unread_hi = 0x4000;
    cf.r->rip = 0x2ffe;
    struct snap s;
    take(&s);
    assert_false(xen_ptwr_fault(cf.v, ENTRY(3), ERR_WRITE));
    same(&s);
    /* the instruction itself unreadable */
    cf.r->rip = 0x3000;
    take(&s);
    assert_false(xen_ptwr_fault(cf.v, ENTRY(3), ERR_WRITE));
    same(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(mov_and_xchg),
        T(mov_imm),
        T(and_or),
        T(prefixes),
        T(cmpxchg),
        T(bit_ops),
        T(modrm_lengths),
        T(left_to_the_guest),
        T(refused_entry_changes_nothing),
        T(across_pages),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
