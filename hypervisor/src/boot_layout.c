/*
 * boot_layout.c - the pages hvcore owns in a pv guest's memory.
 *
 * The guest runs at CPL 3 with page tables it cannot touch: everything in
 * the private range is mapped supervisor-only.  Guest RAM is identity
 * mapped, 2 MiB pages except for the first 2 MiB (4 KiB pages, so that
 * page 0 can be left unmapped and the fixed pages get their own rights)
 * and a last partial 2 MiB.
 */
#include <stdio.h>
#include <string.h>

#include "boot_layout.h"
#include "hvcore.h"
#include "pvclock.h"
#include "public/device.h"
#include "public/layout.h"

#define PTE_P    (1ULL << 0)
#define PTE_RW   (1ULL << 1)
#define PTE_US   (1ULL << 2)
#define PTE_A    (1ULL << 5)
#define PTE_D    (1ULL << 6)
#define PTE_PS   (1ULL << 7)
#define PTE_NX   (1ULL << 63)

/* Tables are set accessed+dirty up front: nothing needs to write them. */
#define TABLE    (PTE_P | PTE_RW | PTE_US | PTE_A)
#define PRIVATE  (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX)
#define USER_RX  (PTE_P | PTE_US | PTE_A)
#define USER_RO  (PTE_P | PTE_US | PTE_A | PTE_NX)
#define USER_RW  (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX)
#define USER_RWX (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)

static uint64_t *table(struct domain *d, uint64_t gpa)
{
    return (uint64_t *)(d->mem + gpa);
}

static uint64_t pt0_flags(uint64_t gpa)
{
    if (gpa == 0)
        return 0;                          /* NULL page: not present */
    if (gpa < HV_PRIVATE_END)
        return PRIVATE;
    if (gpa == HV_HYPERCALL_PAGE)
        return USER_RX;
    if (gpa == HV_START_INFO_PAGE || gpa == HV_DEVICE_PAGE)
        return USER_RO;
    if (gpa < HV_KERNEL_MIN_ADDR)
        return USER_RW;                    /* shared info, console, spare */
    return USER_RWX;
}

static void build_page_tables(struct domain *d)
{
    uint64_t size = d->mem_max_bytes;
    uint64_t *pml4 = table(d, BOOT_PML4);
    uint64_t *pdpt = table(d, BOOT_PDPT);
    uint64_t gib = (size + (1ULL << 30) - 1) >> 30;

    pml4[0] = BOOT_PDPT | TABLE;
    for (uint64_t g = 0; g < gib; g++)
        pdpt[g] = (BOOT_PD + g * HV_PAGE_SIZE) | TABLE;

    for (uint64_t base = 0; base < size; base += 2ULL << 20) {
        uint64_t *pd = table(d, BOOT_PD + (base >> 30) * HV_PAGE_SIZE);
        unsigned idx = (unsigned)((base >> 21) & 511);

        if (base == 0) {
            uint64_t *pt = table(d, BOOT_PT0);
            for (unsigned i = 0; i < 512; i++) {
                uint64_t gpa = (uint64_t)i << HV_PAGE_SHIFT;
                pt[i] = gpa < size && pt0_flags(gpa) ? gpa | pt0_flags(gpa) : 0;
            }
            pd[idx] = BOOT_PT0 | TABLE;
        } else if (size - base < (2ULL << 20)) {
            uint64_t *pt = table(d, BOOT_PT_TAIL);
            for (unsigned i = 0; i < 512; i++) {
                uint64_t gpa = base + ((uint64_t)i << HV_PAGE_SHIFT);
                pt[i] = gpa < size ? gpa | USER_RWX : 0;
            }
            pd[idx] = BOOT_PT_TAIL | TABLE;
        } else {
            pd[idx] = base | USER_RWX | PTE_PS;
        }
    }
}

static uint64_t seg_desc(uint64_t flags)
{
    /* base 0, limit 0xfffff, granularity 4 KiB */
    return 0xffffULL | (0xfULL << 48) | flags;
}

static void build_gdt_tss(struct domain *d)
{
    uint64_t *gdt = table(d, BOOT_GDT);
    uint8_t *tss = d->mem + BOOT_TSS;
    uint64_t base = BOOT_TSS;

    /* Linux's layout: kernel CS/DS, user CS32, user DS, user CS64. */
    gdt[2] = seg_desc(0x00a09a0000000000ULL);   /* 0x10 kernel code 64 */
    gdt[3] = seg_desc(0x00c0920000000000ULL);   /* 0x18 kernel data    */
    gdt[4] = seg_desc(0x00c0fa0000000000ULL);   /* 0x23 user code 32   */
    gdt[5] = seg_desc(0x00c0f20000000000ULL);   /* 0x2b user data      */
    gdt[6] = seg_desc(0x00a0fa0000000000ULL);   /* 0x33 user code 64   */
    gdt[8] = (BOOT_TSS_LIMIT & 0xffff) | ((base & 0xffffff) << 16) |
             (0x89ULL << 40) | (((uint64_t)BOOT_TSS_LIMIT >> 16) << 48) |
             (((base >> 24) & 0xff) << 56);
    gdt[9] = base >> 32;

    /* The I/O bitmap denies every port except the hypercall port, the
     * notify port of HC_dev_notify (device.h) and the null port used to
     * calibrate exits: the only ways out of the guest. */
    memset(tss, 0, 104);
    tss[102] = 104;                             /* I/O map base */
    memset(tss + 104, 0xff, 8192);
    tss[104 + HV_HYPERCALL_PORT / 8] &= (uint8_t)~(1u << (HV_HYPERCALL_PORT % 8));
    tss[104 + HV_NULL_PORT / 8] &= (uint8_t)~(1u << (HV_NULL_PORT % 8));
    /* HC_dev_notify's "out %eax" writes 4 bytes: the CPU checks the bits
     * of all four ports it covers. */
    for (unsigned p = HV_NOTIFY_PORT; p < HV_NOTIFY_PORT + 4; p++)
        tss[104 + p / 8] &= (uint8_t)~(1u << (p % 8));
    tss[104 + 8192] = 0xff;
}

static void build_hypercall_page(struct domain *d)
{
    uint8_t *page = d->mem + HV_HYPERCALL_PAGE;

    /* Every slot gets a stub, as in Xen: a number hvcore does not know
     * then fails with -HVE_NOSYS instead of hitting int3 padding. */
    memset(page, 0xcc, HV_PAGE_SIZE);           /* int3 between stubs */
    for (unsigned nr = 0; nr < HV_PAGE_SIZE / HV_HYPERCALL_STUB_SIZE; nr++) {
        uint8_t *s = page + nr * HV_HYPERCALL_STUB_SIZE;
        s[0] = 0xb8;                            /* mov $nr, %eax */
        memcpy(s + 1, &nr, 4);
        s[5] = 0xe6;                            /* out %al, $port */
        s[6] = HV_HYPERCALL_PORT;
        s[7] = 0xc3;                            /* ret */
    }
    /* HC_dev_notify: the queue id to the notify port, where KVM's
     * ioeventfd takes it without an exit to hvcore (device.h). */
    static const uint8_t notify[] = {
        0x89, 0xf8,                             /* mov %edi, %eax */
        0xe7, HV_NOTIFY_PORT,                   /* out %eax, $port */
        0x31, 0xc0,                             /* xor %eax, %eax */
        0xc3,                                   /* ret */
    };
    uint8_t *s = page + HC_dev_notify * HV_HYPERCALL_STUB_SIZE;
    memset(s, 0xcc, HV_HYPERCALL_STUB_SIZE);
    memcpy(s, notify, sizeof(notify));
}

static void build_start_info(struct domain *d)
{
    struct hv_start_info *si = (void *)(d->mem + HV_START_INFO_PAGE);

    memset(si, 0, sizeof(*si));
    si->magic = HV_START_INFO_MAGIC;
    si->abi_version = HV_GUEST_ABI_VERSION;
    si->domid = d->domid;
    si->nr_pages = d->mem_max_bytes >> HV_PAGE_SHIFT;
    si->first_free_pfn = d->first_free_pfn;
    si->hypercall_page = HV_HYPERCALL_PAGE;
    si->shared_info = HV_SHARED_INFO_PAGE;
    si->console_page = HV_CONSOLE_PAGE;
    si->device_page = HV_DEVICE_PAGE;
    si->max_vcpus = d->max_vcpus;
    si->boot_count = d->boot_count;
    si->tsc_khz = d->tsc_khz;
    snprintf(si->name, sizeof(si->name), "%s", d->name);
    snprintf(si->cmdline, sizeof(si->cmdline), "%s", d->cmdline);
}

void boot_layout_pvclock(struct domain *d, unsigned v)
{
    struct hv_pvclock *t = &dom_shared(d)->vcpu_info[v].time;

    pvclock_fill(t, d->tsc_khz, d->guest_tsc_offset, d->boot_mono_ns);
}

void boot_layout_rebuild(struct domain *d)
{
    /* Whatever a stream (or a file mapped as memory) left in the private
     * range goes: only tables built here may exist there. */
    memset(d->mem + HV_PRIVATE_START, 0, HV_PRIVATE_END - HV_PRIVATE_START);
    build_page_tables(d);
    build_gdt_tss(d);
    build_hypercall_page(d);
    build_start_info(d);
}

void boot_layout_build(struct domain *d)
{
    struct hv_shared_info *sh = dom_shared(d);

    _Static_assert(sizeof(struct hv_shared_info) <= HV_PAGE_SIZE,
                   "shared info must fit one page");
    _Static_assert(sizeof(struct hv_console_ring) <= HV_PAGE_SIZE,
                   "console ring must fit one page");
    _Static_assert(sizeof(struct hv_start_info) <= HV_PAGE_SIZE,
                   "start info must fit one page");

    build_page_tables(d);
    build_gdt_tss(d);
    build_hypercall_page(d);
    build_start_info(d);
    memset(sh, 0, sizeof(*sh));
    for (unsigned v = 0; v < HV_MAX_VCPUS; v++) {
        sh->vcpu_info[v].upcall_mask = 1;       /* until the guest is ready */
        boot_layout_pvclock(d, v);
    }
    sh->mem_target_kib = d->mem_target_kib;
    memset(dom_console(d), 0, sizeof(struct hv_console_ring));
}
