/*
 * hostile_values.c - the hostile workload's random numbers: xorshift64 and
 * the values a fuzzer likes best (0, -1, small integers, sign and width
 * boundaries, the end of RAM, page 0, the hypervisor-private range,
 * non-canonical and wrapping ranges).
 */
#include "kernel.h"
#include "workloads/hostile.h"

uint64_t hostile_rand(struct hostile *h)
{
    uint64_t x = h->rng;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return h->rng = x;
}

uint64_t hostile_below(struct hostile *h, uint64_t n)
{
    return hostile_rand(h) % n;
}

bool hostile_one_in(struct hostile *h, uint64_t n)
{
    return hostile_below(h, n) == 0;
}

uint64_t hostile_any_value(struct hostile *h)
{
    static const uint64_t edges[] = {
        0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x1001, 0x7fffffff,
        0x80000000, 0xffffffff, 0x100000000, 0x7fffffffffffffff, 0x8000000000000000,
        HV_PRIVATE_START, HV_PRIVATE_END - 8, HV_HYPERCALL_PAGE, HV_START_INFO_PAGE,
    };

    switch (hostile_below(h, 6)) {
    case 0:
        return hostile_rand(h);
    case 1:
        return hostile_below(h, 64);
    case 2:
        return -(1 + hostile_below(h, 8));
    case 3:
        return edges[hostile_below(h, ARRAY_SIZE(edges))];
    case 4:
        return h->ram_end - 8 + hostile_below(h, 16);
    default:
        return HV_PRIVATE_START + hostile_below(h, HV_PRIVATE_END - HV_PRIVATE_START);
    }
}

/* A vCPU or port number: mostly near the valid range, sometimes wild. */
uint64_t hostile_any_index(struct hostile *h)
{
    return hostile_one_in(h, 4) ? hostile_any_value(h) : hostile_below(h, HV_NR_EVTCHN + 4);
}

/*
 * [*addr, *addr + *len) with *len >= min_len that is not all guest RAM a
 * CPL-3 guest may use, so hvcore must refuse it.  With addr_only the
 * caller passes no length (a fixed-size struct of min_len bytes), so the
 * address alone must make the range bad.
 */
void hostile_bad_range(struct hostile *h, uint64_t *addr, uint64_t *len, uint64_t min_len,
                      bool addr_only)
{
    uint64_t k;

    *len = min_len + hostile_below(h, 256);
    switch (hostile_below(h, addr_only ? 5 : 6)) {
    case 0:                                 /* page 0 */
        *addr = hostile_below(h, HV_PAGE_SIZE - 8);
        break;
    case 1:                                 /* hypervisor-private */
        *addr = HV_PRIVATE_START + hostile_below(h, HV_PRIVATE_END - HV_PRIVATE_START - 8);
        break;
    case 2:                                 /* beyond the end of RAM */
        *addr = h->ram_end + hostile_below(h, 1 << 20);
        break;
    case 3:                                 /* straddles the end of RAM */
        k = 1 + hostile_below(h, min_len > 1 ? min_len - 1 : 64);
        *addr = h->ram_end - k;
        *len = k + 1 + hostile_below(h, 64);
        if (*len < min_len)
            *len = min_len;
        break;
    case 4: {                               /* non-canonical, top of space */
        static const uint64_t wild[] = {
            1ULL << 47, 0xffff800000000000, 0x8000000000000000, -4096ULL, -1ULL,
        };
        *addr = wild[hostile_below(h, ARRAY_SIZE(wild))];
        break;
    }
    default:                                /* wraps around 2^64 */
        *addr = (uint64_t)(uintptr_t)h->readbuf;
        *len = -*addr + hostile_below(h, 4096);
        if (*len < min_len)
            *len = -1ULL;
        break;
    }
}
