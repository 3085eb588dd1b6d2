/*
 * memcheck.c - "memcheck=<MiB>[,<dirty MiB/s>]": memory whose every word
 * can be checked, and a 1 ms ticker that measures the longest stall the
 * guest lived through.  It is how tests and benchmarks see from inside
 * that save, restore and migration moved the domain intact, and how long
 * it was stopped.
 *
 * Every 8-byte word of the area is a function of (pfn, word index,
 * generation of the page) through splitmix64, so the area is random to a
 * compressor (no zero pages) and every page can be checked on its own.
 * The generations live in guest memory next to the area, starting from
 * pseudo-random values: they travel with the domain, and are no zero
 * pages either.  With a dirty rate the ticker rewrites whole pages,
 * round-robin, each with its generation raised.
 *
 * Everything runs on vCPU 0 in one flow of control: the ticker is driven
 * from the main loop (and from inside a verify pass, between pages), never
 * from an upcall, so a page is never rewritten while it is being checked.
 * Between ticks the vCPU blocks: an idle memcheck dirties only its own
 * counters and stack.
 */
#include "console.h"
#include "evtchn.h"
#include "hypercall.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "printf.h"
#include "smp.h"
#include "time.h"
#include "workloads/workloads.h"

#define MEMCHECK_USAGE   "memcheck=<MiB>[,<dirty MiB/s>]"
#define TICK_NS          NS_PER_MS
/* A late tick dirties for at most this long: after a pause or a move the
 * ticker carries on at its rate instead of rewriting seconds' worth of
 * pages in one burst. */
#define MAX_CREDIT_NS    (4 * TICK_NS)
/* Keeps rate * MAX_CREDIT_NS well inside 64 bits (1 TiB/s). */
#define MAX_RATE_MIB_S   (1UL << 20)
#define WORDS_PER_PAGE   (HV_PAGE_SIZE / sizeof(uint64_t))
#define GOLDEN           0x9e3779b97f4a7c15ULL
#define CREDIT_PER_PAGE  ((uint64_t)HV_PAGE_SIZE * NS_PER_S)

/* In .bss, so in guest memory: the counters go with the domain too. */
static struct {
    uint64_t first_pfn;         /* the area: [first_pfn, first_pfn+pages) */
    uint64_t pages;
    uint32_t *gen;              /* generation of each page of the area    */
    uint64_t rate;              /* bytes per second rewritten, 0: none    */
    uint64_t credit;            /* bytes * ns/s earned, not yet rewritten */
    uint64_t cursor;            /* next page (index) the rewriter takes   */
    uint64_t held;              /* index + 1 of a page corrupted on
                                 * purpose, left alone until the next
                                 * verify; 0: none                         */
    uint64_t ticks;
    uint64_t rewrites;          /* pages rewritten                        */
    uint64_t backwards;         /* ticks that saw system time go back     */
    uint64_t last_ns;           /* system time at the last tick           */
    uint64_t gap_max_ns;        /* longest time between two ticks         */
    uint64_t next_ns;           /* deadline of the next tick              */
    uint32_t clock_version;     /* of the pvclock record at the last tick */
    uint64_t moves;             /* ticks that found a new pvclock record  */
    uint64_t move_gap_max_ns;   /* longest gap ending at such a tick      */
} mc;

/* splitmix64's finaliser: cheap, and every output bit depends on every
 * input bit. */
static inline uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Word i of a page is mix(seed + (i + 1) * GOLDEN): splitmix64's stream
 * from a seed that differs for every (pfn, generation). */
static inline uint64_t page_seed(uint64_t pfn, uint32_t gen)
{
    return mix((((uint64_t)gen << 32) | pfn) ^ 0x6d656d636865636bULL);
}

static void write_page(uint64_t idx)
{
    uint64_t pfn = mc.first_pfn + idx;
    uint64_t *w = pfn_to_ptr(pfn);
    uint64_t s = page_seed(pfn, mc.gen[idx]);

    for (size_t i = 0; i < WORDS_PER_PAGE; i++)
        w[i] = mix(s += GOLDEN);
}

struct bad_word {
    uint64_t pfn;
    unsigned word;
    uint64_t want, got;
};

/* Number of wrong words in page idx; the first one goes to *bad. */
static unsigned check_page(uint64_t idx, struct bad_word *bad)
{
    uint64_t pfn = mc.first_pfn + idx;
    const volatile uint64_t *w = pfn_to_ptr(pfn);
    uint64_t s = page_seed(pfn, mc.gen[idx]);
    unsigned wrong = 0;

    for (size_t i = 0; i < WORDS_PER_PAGE; i++) {
        uint64_t want = mix(s += GOLDEN), got = w[i];

        if (got == want)
            continue;
        if (!wrong++) {
            bad->pfn = pfn;
            bad->word = (unsigned)i;
            bad->want = want;
            bad->got = got;
        }
    }
    return wrong;
}

/* Rewrite the pages that dt_ns at the dirty rate pays for, carrying the
 * fraction of a page to the next tick. */
static void dirty(uint64_t dt_ns)
{
    uint64_t n;

    if (!mc.rate)
        return;
    mc.credit += mc.rate * (dt_ns < MAX_CREDIT_NS ? dt_ns : MAX_CREDIT_NS);
    n = mc.credit / CREDIT_PER_PAGE;
    mc.credit -= n * CREDIT_PER_PAGE;
    while (n--) {
        uint64_t idx = mc.cursor;

        mc.cursor = idx + 1 < mc.pages ? idx + 1 : 0;
        if (idx + 1 == mc.held)
            continue;           /* the next verify must see the damage */
        mc.gen[idx]++;
        write_page(idx);
        mc.rewrites++;
    }
}

/*
 * hvcore writes a vCPU's pvclock record when the domain boots and when it
 * arrives from a stream (restore, migration), and at no other time: a new
 * version at a tick means the domain moved since the last one, and that
 * tick's gap is the stop the move cost, told apart from the other stalls
 * of a live migration (pre-copy) or of a busy host.
 */
static bool clock_moved(void)
{
    uint32_t ver = READ_ONCE(shared_info->vcpu_info[this_vcpu_id()].time.version);
    bool moved;

    if (ver & 1)
        return false;           /* mid-update: look again next tick */
    moved = ver != mc.clock_version;
    mc.clock_version = ver;
    return moved;
}

static void tick(void)
{
    struct vcpu *v = this_vcpu();
    uint64_t now = time_now_ns(), dt = 0;
    bool moved = clock_moved();

    mc.ticks++;
    if (now < mc.last_ns) {
        mc.backwards++;         /* must never happen, even across a move */
    } else {
        dt = now - mc.last_ns;
        if (dt > mc.gap_max_ns)
            mc.gap_max_ns = dt;
    }
    if (moved) {
        mc.moves++;
        if (dt > mc.move_gap_max_ns)
            mc.move_gap_max_ns = dt;
    }
    mc.last_ns = now;
    dirty(dt);

    /* Absolute deadlines, so the period does not drift; after a stall,
     * or should the clock have gone back, one period from now. */
    mc.next_ns += TICK_NS;
    if (mc.next_ns <= now || mc.next_ns > now + TICK_NS)
        mc.next_ns = now + TICK_NS;
    v->timer_fired = false;     /* before arming: a fire is never lost */
    hc_set_timer(mc.next_ns);
}

static void tick_if_due(void)
{
    if (READ_ONCE(this_vcpu()->timer_fired))
        tick();
}

static void start_ticker(void)
{
    (void)clock_moved();        /* the boot's record is not a move */
    mc.last_ns = time_now_ns();
    mc.next_ns = mc.last_ns + TICK_NS;
    this_vcpu()->timer_fired = false;
    hc_set_timer(mc.next_ns);
}

static void verify(void)
{
    struct bad_word bad = { 0 }, later;
    uint64_t errors = 0;

    /* Ticks go on between pages: a verify pass is not a stall. */
    for (uint64_t idx = 0; idx < mc.pages; idx++) {
        tick_if_due();
        errors += check_page(idx, errors ? &later : &bad);
    }
    mc.held = 0;
    if (errors) {
        kprintf("memcheck verify FAILED pfn=0x%llx word=%u want=0x%016llx got=0x%016llx "
                "errors=%llu\n", (unsigned long long)bad.pfn, bad.word,
                (unsigned long long)bad.want, (unsigned long long)bad.got,
                (unsigned long long)errors);
        return;
    }
    /* Tests match this line whole: new figures go on the status line. */
    kprintf("memcheck verify ok pages=%llu ticks=%llu gap_max_us=%llu rewrites=%llu "
            "boots=%u backwards=%llu\n", (unsigned long long)mc.pages,
            (unsigned long long)mc.ticks, (unsigned long long)(mc.gap_max_ns / NS_PER_US),
            (unsigned long long)mc.rewrites, start_info->boot_count,
            (unsigned long long)mc.backwards);
}

static void status(void)
{
    kprintf("memcheck status ticks=%llu gap_max_us=%llu rewrites=%llu backwards=%llu "
            "moves=%llu move_gap_us=%llu\n", (unsigned long long)mc.ticks,
            (unsigned long long)(mc.gap_max_ns / NS_PER_US), (unsigned long long)mc.rewrites,
            (unsigned long long)mc.backwards, (unsigned long long)mc.moves,
            (unsigned long long)(mc.move_gap_max_ns / NS_PER_US));
}

/* Flip one bit of one word, generation untouched: the self-test of
 * verify.  The page is kept out of the rewriter's way until the next
 * verify, which therefore fails whatever the dirty rate. */
static void corrupt(void)
{
    uint64_t r = mix(rdtsc());
    uint64_t idx = r % mc.pages;
    unsigned word = (unsigned)(mix(r) % WORDS_PER_PAGE);
    uint64_t pfn = mc.first_pfn + idx;

    ((volatile uint64_t *)pfn_to_ptr(pfn))[word] ^= 1;
    mc.held = idx + 1;
    kprintf("memcheck corrupted pfn=0x%llx word=%u\n", (unsigned long long)pfn, word);
}

static void input(int c)
{
    switch (c) {
    case 'v':
        verify();
        break;
    case 's':
        status();
        break;
    case 'r':
        mc.gap_max_ns = 0;
        mc.move_gap_max_ns = 0;
        kprintf("memcheck reset\n");
        break;
    case 'c':
        corrupt();
        break;
    default:
        if (c > ' ' && c < 0x7f)
            kprintf("memcheck inputs: v verify, s status, r reset gap_max, c corrupt a word\n");
        break;                  /* blanks and line ends: nothing */
    }
}

static void console_event(unsigned port, void *arg)
{
    (void)port;
    (void)arg;                  /* the wake-up from sched_block is enough */
}

static bool parse(const char *arg, unsigned long *mib, unsigned long *rate)
{
    char *end;

    *mib = strtoul(arg, &end, 10);
    if (end == arg || *mib == 0)
        return false;
    *rate = 0;
    if (*end == ',') {
        const char *r = end + 1;
        *rate = strtoul(r, &end, 10);
        if (end == r || *rate > MAX_RATE_MIB_S)
            return false;
    }
    return *skip_spaces(end) == '\0';
}

/* Take the area and its generation array; false (with the line said) if
 * they do not fit. */
static bool take_memory(unsigned long mib)
{
    uint64_t pages = (uint64_t)mib * PAGES_PER_MIB;
    uint64_t gen_pages = (pages * sizeof(uint32_t) + HV_PAGE_SIZE - 1) >> HV_PAGE_SHIFT;
    long area = -HVE_NOMEM, gen = -HVE_NOMEM;
    struct mm_stats st;

    if (mib <= HV_MAX_MEMORY_MIB) {
        gen = mm_alloc_pages(gen_pages);
        if (gen >= 0)
            area = mm_alloc_pages(pages);
    }
    if (area < 0) {
        if (gen >= 0)
            mm_free_pages((uint64_t)gen, gen_pages);
        /* Needed rounded up, free rounded down: never "needs 1022, 1022
         * free". */
        mm_get_stats(&st);
        kprintf("memcheck cannot fill %lu MiB (needs %llu MiB with its generations, "
                "%llu MiB free of %llu MiB)\n", mib,
                (unsigned long long)MIB(pages + gen_pages + PAGES_PER_MIB - 1),
                (unsigned long long)MIB(st.free_pages),
                (unsigned long long)MIB(st.total_pages));
        return false;
    }
    mc.first_pfn = (uint64_t)area;
    mc.pages = pages;
    mc.gen = pfn_to_ptr((uint64_t)gen);
    /* Generations start anywhere: their pages are no more compressible
     * than the area (the tail of the last one stays zero). */
    memset(mc.gen, 0, gen_pages * HV_PAGE_SIZE);
    for (uint64_t idx = 0; idx < pages; idx++)
        mc.gen[idx] = (uint32_t)mix(idx + GOLDEN);
    return true;
}

void workload_memcheck(const char *arg)
{
    unsigned long mib, rate;
    uint64_t t0;
    long port;

    if (!parse(arg, &mib, &rate)) {
        kprintf("pvboot: usage: " MEMCHECK_USAGE "\n");
        return;
    }
    if (!take_memory(mib))
        return;
    mc.rate = (uint64_t)rate << 20;
    port = evtchn_bind_virq(VIRQ_CONSOLE, 0, console_event, NULL);
    if (port < 0)
        panic("memcheck: cannot bind VIRQ_CONSOLE: %ld", port);

    t0 = time_now_ns();
    for (uint64_t idx = 0; idx < mc.pages; idx++)
        write_page(idx);
    kprintf("memcheck filled %lu MiB in %llu ms\n", mib,
            (unsigned long long)((time_now_ns() - t0) / NS_PER_MS));

    start_ticker();
    for (;;) {
        struct vcpu *v = this_vcpu();
        int c;

        /* Tested with upcalls masked, then SCHEDOP_block: no wake-up is
         * lost between the test and the sleep. */
        irq_save();
        while (!READ_ONCE(v->timer_fired) && !console_input_pending()) {
            sched_block();
            irq_save();
        }
        irq_enable();
        tick_if_due();
        while ((c = console_getc()) >= 0)
            input(c);
    }
}
