/*
 * mm.c - page allocator over [first_free_pfn, nr_pages).
 *
 * Two bitmaps, one bit per page of guest RAM: "used" (allocated or
 * ballooned) and "ballooned".  They live in the first free pages.  Runs
 * are found a word at a time where a word is all one thing, so even a
 * 16 GiB guest (4M pages) is scanned in well under a millisecond.
 */
#include "evtchn.h"
#include "hypercall.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "spinlock.h"

static uint64_t *used_map;
static uint64_t *balloon_map;
static uint64_t base_pfn;       /* first page the allocator hands out */
static uint64_t end_pfn;        /* start_info.nr_pages                */
static uint64_t nr_free;
static uint64_t nr_ballooned;
static spinlock_t lock;         /* the balloon upcall allocates too   */

static bool test_bit(const uint64_t *map, uint64_t pfn)
{
    return (map[pfn / 64] >> (pfn % 64)) & 1;
}

static void set_bits(uint64_t *map, uint64_t pfn, uint64_t n, bool on)
{
    for (uint64_t end = pfn + n; pfn < end;) {
        if (pfn % 64 == 0 && end - pfn >= 64) {
            map[pfn / 64] = on ? ~0ULL : 0;
            pfn += 64;
            continue;
        }
        if (on)
            map[pfn / 64] |= 1ULL << (pfn % 64);
        else
            map[pfn / 64] &= ~(1ULL << (pfn % 64));
        pfn++;
    }
}

void mm_init(void)
{
    uint64_t nr = start_info->nr_pages;
    uint64_t first = start_info->first_free_pfn;
    uint64_t words = (nr + 63) / 64;
    uint64_t map_pages = (2 * words * sizeof(uint64_t) + HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT;

    if (first < (HV_KERNEL_MIN_ADDR >> HV_PAGE_SHIFT) || first + map_pages >= nr)
        panic("no room for the page allocator (first free pfn %#llx, %llu pages)",
              (unsigned long long)first, (unsigned long long)nr);
    used_map = pfn_to_ptr(first);
    balloon_map = used_map + words;
    memset(used_map, 0, 2 * words * sizeof(uint64_t));
    base_pfn = first + map_pages;
    end_pfn = nr;
    set_bits(used_map, 0, base_pfn, true);      /* below: kernel, maps, fixed pages */
    nr_free = end_pfn - base_pfn;
}

/* Lowest run of n free pages, or 0 if there is none (pfn 0 is never ours). */
static uint64_t find_free_run(uint64_t n)
{
    uint64_t run = 0, start = 0;

    for (uint64_t p = base_pfn; p < end_pfn;) {
        uint64_t word = used_map[p / 64];

        if (p % 64 == 0 && end_pfn - p >= 64 && (word == 0 || word == ~0ULL)) {
            if (word) {
                run = 0;
            } else {
                if (!run)
                    start = p;
                run += 64;
            }
            p += 64;
        } else {
            if (test_bit(used_map, p)) {
                run = 0;
            } else {
                if (!run)
                    start = p;
                run++;
            }
            p++;
        }
        if (run >= n)
            return start;
    }
    return 0;
}

/*
 * The highest run of at most max pages below *top whose bit in map equals
 * want.  Returns its length (0: none) and moves *top down to its start.
 */
static uint64_t find_run_down(const uint64_t *map, bool want, uint64_t *top, uint64_t max)
{
    const uint64_t none = want ? 0 : ~0ULL, all = ~none;
    uint64_t hi = *top, lo;

    while (hi > base_pfn) {
        if (hi % 64 == 0 && hi - 64 >= base_pfn && map[(hi - 64) / 64] == none)
            hi -= 64;
        else if (test_bit(map, hi - 1) != want)
            hi--;
        else
            break;
    }
    lo = hi;
    while (lo > base_pfn && hi - lo < max) {
        if (lo % 64 == 0 && lo - 64 >= base_pfn && map[(lo - 64) / 64] == all &&
            hi - lo + 64 <= max)
            lo -= 64;
        else if (test_bit(map, lo - 1) == want)
            lo--;
        else
            break;
    }
    *top = lo;
    return hi - lo;
}

long mm_alloc_pages(uint64_t n)
{
    unsigned long flags;
    uint64_t pfn = 0;

    if (n == 0)
        return -HVE_INVAL;
    flags = irq_save();
    spin_lock(&lock);
    if (n <= nr_free)
        pfn = find_free_run(n);
    if (pfn) {
        set_bits(used_map, pfn, n, true);
        nr_free -= n;
    }
    spin_unlock(&lock);
    irq_restore(flags);
    return pfn ? (long)pfn : -HVE_NOMEM;
}

static bool range_ok(uint64_t pfn, uint64_t n)
{
    return n > 0 && pfn >= base_pfn && pfn < end_pfn && n <= end_pfn - pfn;
}

void mm_free_pages(uint64_t pfn, uint64_t n)
{
    unsigned long flags = irq_save();

    spin_lock(&lock);
    ASSERT(range_ok(pfn, n));
    set_bits(used_map, pfn, n, false);
    nr_free += n;
    spin_unlock(&lock);
    irq_restore(flags);
}

long mm_release_pages(uint64_t pfn, uint64_t n)
{
    unsigned long flags = irq_save();
    long rc;

    spin_lock(&lock);
    ASSERT(range_ok(pfn, n));
    rc = hc_memory_op(MEMOP_decrease_reservation, pfn, n);
    if (rc == (long)n) {
        set_bits(balloon_map, pfn, n, true);
        nr_ballooned += n;
        rc = 0;
    } else if (rc >= 0) {
        rc = -HVE_IO;           /* the ABI promises all or an error */
    }
    spin_unlock(&lock);
    irq_restore(flags);
    return rc;
}

static uint64_t balloon_move(bool out, uint64_t n)
{
    unsigned long flags = irq_save();
    uint64_t top = end_pfn, done = 0, len;

    spin_lock(&lock);
    /* Out: runs of free pages (used bit clear); in: runs of ballooned ones. */
    while (done < n && (len = find_run_down(out ? used_map : balloon_map, !out, &top,
                                            n - done)) > 0) {
        long rc = hc_memory_op(out ? MEMOP_decrease_reservation : MEMOP_increase_reservation,
                               top, len);
        if (rc != (long)len)
            break;
        set_bits(used_map, top, len, out);
        set_bits(balloon_map, top, len, out);
        if (out) {
            nr_free -= len;
            nr_ballooned += len;
        } else {
            nr_free += len;
            nr_ballooned -= len;
        }
        done += len;
    }
    spin_unlock(&lock);
    irq_restore(flags);
    return done;
}

uint64_t mm_balloon_out(uint64_t n)
{
    return balloon_move(true, n);
}

uint64_t mm_balloon_in(uint64_t n)
{
    return balloon_move(false, n);
}

void mm_get_stats(struct mm_stats *st)
{
    unsigned long flags = irq_save();

    spin_lock(&lock);
    st->total_pages = start_info->nr_pages - nr_ballooned;
    st->free_pages = nr_free;
    st->ballooned_pages = nr_ballooned;
    spin_unlock(&lock);
    irq_restore(flags);
}
