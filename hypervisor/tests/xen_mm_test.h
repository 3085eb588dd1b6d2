/*
 * xen_mm_test.h - what the xen_mm unit tests (unit_xen_mm, _mm_calls,
 * _mm_fast, _memory) share: entry flags, the fake's checks as cmocka
 * set-up and tear-down, and Linux's habit of mapping a table read-only
 * before it pins it.  Include after
 * <cmocka.h> and xen_mm_fake.h.
 */
#ifndef XEN_MM_TEST_H
#define XEN_MM_TEST_H

#define NR_PAGES 64
#define SELF     XEN_DOMID_SELF

#define RW       (XPTE_P | XPTE_RW | XPTE_US | XPTE_A | XPTE_D)
#define RO       (XPTE_P | XPTE_US | XPTE_A)
#define NOUSER   (XPTE_P | XPTE_RW | XPTE_A | XPTE_D)

#define CHECK_MM()                                                      \
    do {                                                                \
        const char *broken_ = fake_check();                             \
        if (broken_)                                                    \
            fail_msg("%s", broken_);                                    \
    } while (0)

static inline uint64_t pte(uint64_t mfn, uint64_t flags)
{
    return (mfn << 12) | flags;
}

static inline int setup_boot(void **state)
{
    (void)state;
    return fake_boot(NR_PAGES);
}

/* Every test ends with the fake's whole-state check. */
static inline int teardown(void **state)
{
    (void)state;
    const char *broken = fake_check();
    if (broken)
        print_error("%s\n", broken);
    fake_fini();
    return broken ? -1 : 0;
}

/* Map frame f read-only in the boot tables, as Linux does with a table
 * it has filled before it pins it. */
static inline void make_ro(uint64_t f)
{
    assert_int_equal(fake_uvm(FAKE_KVA(f), pte(f, RO), XEN_UVMF_NONE), 0);
}

#endif /* XEN_MM_TEST_H */
