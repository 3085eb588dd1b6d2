/*
 * hostile.c - "hostile[=<count>[,<seed>]]": throw random hypercalls at
 * hvcore and check that it answers each one with a result, not a crash.
 *
 * The calls come from hostile_gen.c; this file issues them, tallies the
 * results and checks afterwards that the guest itself is intact: kernel
 * text unchanged, timer and upcalls still working.  Calls the ABI says
 * must fail but that hvcore accepted are printed as "suspicious".
 */
#include "hypercall.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "printf.h"
#include "time.h"
#include "workloads/hostile.h"
#include "workloads/workloads.h"

#define HOSTILE_DEFAULT_COUNT 100000
#define HOSTILE_SCRATCH_PAGES 256
#define HOSTILE_READBUF_PAGES 2
#define SUSPICIOUS_SHOWN      8
#define HOSTILE_SEED_FALLBACK 0x9e3779b97f4a7c15ULL

/* From pvboot.ld: code and read-only data, which nothing may change. */
extern const unsigned char __text_start[], __rodata_end[];

struct tally {
    unsigned long long calls, ok, errors, fault, inval, nosys, other, suspicious;
    unsigned long long dev_ops, dev_ops_ok, dev_notifies;
};

static uint64_t checksum_text(void)
{
    uint64_t sum = 0xcbf29ce484222325ULL;      /* FNV-1a */

    for (const unsigned char *p = __text_start; p < __rodata_end; p++)
        sum = (sum ^ *p) * 0x100000001b3ULL;
    return sum;
}

/* Does the page hold the stub public/hypercall.h documents for nr,
 * "mov $nr,%eax; out %al,$HV_HYPERCALL_PORT; ret"?  Only then do we know
 * how to make a call the page has no stub for. */
static bool stub_is_documented(unsigned nr)
{
    const volatile uint8_t *s =
        (const volatile uint8_t *)(uintptr_t)(HV_HYPERCALL_PAGE + nr * HV_HYPERCALL_STUB_SIZE);

    return s[0] == 0xb8 && s[1] == nr && s[2] == 0 && s[3] == 0 && s[4] == 0 &&
           s[5] == 0xe6 && s[6] == HV_HYPERCALL_PORT && s[7] == 0xc3;
}

/* The documented trap with any 64-bit rax: how a guest reaches numbers
 * past the end of the page (whose spare slots hold no stub). */
static long raw_trap(uint64_t nr, const uint64_t *a)
{
    register uint64_t r10 __asm__("r10") = a[3];
    register uint64_t r8 __asm__("r8") = a[4];
    uint64_t ret = nr;

    __asm__ volatile("out %%al, %[port]"
                     : "+a"(ret)
                     : [port] "N"(HV_HYPERCALL_PORT), "D"(a[0]), "S"(a[1]), "d"(a[2]),
                       "r"(r10), "r"(r8)
                     : "memory", "cc");
    return (long)ret;
}

static void tally(struct tally *t, const struct hostile_call *c, long ret)
{
    bool suspicious = false;

    t->calls++;
    if (c->nr == HC_dev_op) {
        t->dev_ops++;
        t->dev_ops_ok += ret >= 0;
    }
    t->dev_notifies += c->nr == HC_dev_notify;
    if (ret >= 0) {
        t->ok++;
        suspicious = c->expect_error;
    } else {
        t->errors++;
        switch (-ret) {
        case HVE_FAULT: t->fault++; break;
        case HVE_INVAL: t->inval++; break;
        case HVE_NOSYS: t->nosys++; break;
        default:        t->other++; break;
        }
        suspicious = ret < -4095;           /* not an HVE_* code at all */
    }
    if (c->expect_abi_version && ret != HV_GUEST_ABI_VERSION)
        suspicious = true;
    if (suspicious && t->suspicious++ < SUSPICIOUS_SHOWN)
        kprintf("hostile: suspicious: hypercall 0x%llx(0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx)"
                " = %ld\n", (unsigned long long)c->nr, (unsigned long long)c->arg[0],
                (unsigned long long)c->arg[1], (unsigned long long)c->arg[2],
                (unsigned long long)c->arg[3], (unsigned long long)c->arg[4], ret);
}

static bool parse(const char *arg, unsigned long *count, uint64_t *seed)
{
    char *end;

    if (!*arg)
        return true;
    *count = strtoul(arg, &end, 0);
    if (end == arg)
        return false;
    if (*end == ',') {
        const char *s = end + 1;
        *seed = strtoul(s, &end, 0);
        if (end == s)
            return false;
    }
    return *skip_spaces(end) == '\0';
}

void workload_hostile(const char *arg)
{
    struct hostile h = { 0 };
    struct tally t = { 0 };
    struct hostile_call c;
    struct mm_stats st;
    unsigned long count = HOSTILE_DEFAULT_COUNT;
    uint64_t seed = rdtsc(), sum;
    long pfn;

    if (!parse(arg, &count, &seed)) {
        kprintf("pvboot: usage: hostile[=<count>[,<seed>]]\n");
        domain_shutdown(SHUTDOWN_poweroff);
    }
    h.rng = seed ? seed : HOSTILE_SEED_FALLBACK;
    h.nr_pages = start_info->nr_pages;
    h.ram_end = h.nr_pages << HV_PAGE_SHIFT;

    /* Memory ops may only ever hit pages we can afford to lose. */
    mm_get_stats(&st);
    h.scratch_pages = st.free_pages / 4 < HOSTILE_SCRATCH_PAGES ? st.free_pages / 4
                                                                 : HOSTILE_SCRATCH_PAGES;
    pfn = h.scratch_pages ? mm_alloc_pages(h.scratch_pages) : -HVE_NOMEM;
    if (pfn < 0)
        panic("hostile: no memory for scratch pages");
    h.scratch_pfn = (uint64_t)pfn;
    pfn = mm_alloc_pages(HOSTILE_READBUF_PAGES);
    if (pfn < 0)
        panic("hostile: no memory for a read buffer");
    h.readbuf = pfn_to_ptr((uint64_t)pfn);
    h.readbuf_len = HOSTILE_READBUF_PAGES * HV_PAGE_SIZE;
    h.raw_trap = stub_is_documented(0) && stub_is_documented(HC_abi_version);
    pfn = mm_alloc_pages(HOSTILE_DEVQ_PAGES);
    if (pfn < 0)
        panic("hostile: no memory for device queues");
    h.devq = (uint64_t)(uintptr_t)memset(pfn_to_ptr((uint64_t)pfn), 0,
                                         HOSTILE_DEVQ_PAGES * HV_PAGE_SIZE);
    if (start_info->device_page &&
        ((const struct hv_device_page *)(uintptr_t)start_info->device_page)->magic ==
            HV_DEVICE_PAGE_MAGIC)
        h.devpage = (const volatile struct hv_device_page *)(uintptr_t)start_info->device_page;

    kprintf("hostile: seed 0x%llx, %lu hypercalls, scratch %llu pages at pfn 0x%llx%s\n",
            (unsigned long long)seed, count, (unsigned long long)h.scratch_pages,
            (unsigned long long)h.scratch_pfn,
            h.raw_trap ? "" : ", stubs undocumented: no out-of-range numbers");

    sum = checksum_text();
    for (unsigned long i = 0; i < count; i++) {
        long ret;

        hostile_generate(&h, &c);
        if (c.raw)
            ret = raw_trap(c.nr, c.arg);
        else
            ret = hypercall((unsigned)c.nr, c.arg[0], c.arg[1], c.arg[2], c.arg[3], c.arg[4]);
        tally(&t, &c, ret);
    }

    if (checksum_text() != sum)
        panic("hostile: kernel text changed during the run");
    sleep_ns(NS_PER_MS);                    /* timer and upcalls still work */
    kprintf("hostile: %llu hypercalls, %llu errors, %llu ok\n", t.calls, t.errors, t.ok);
    kprintf("hostile: errors: %llu fault, %llu inval, %llu nosys, %llu other; %llu suspicious\n",
            t.fault, t.inval, t.nosys, t.other, t.suspicious);
    kprintf("hostile: devices: %llu dev_op, %llu ok; %llu dev_notify\n", t.dev_ops,
            t.dev_ops_ok, t.dev_notifies);
    domain_shutdown(SHUTDOWN_poweroff);
}
