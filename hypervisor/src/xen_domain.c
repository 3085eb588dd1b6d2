/*
 * xen_domain.c - a Xen-PV domain's set-up and start of day.
 *
 * The kernel (ELF or bzImage) and initrd are read and checked once, when
 * hvcore starts, so a corrupt file is refused with one line before any
 * VM exists.  Each boot then lays out guest memory as Xen's domain builder
 * does for a 64-bit PV guest: the kernel at its physical addresses, then
 * the initrd, the P2M list (identity: pfn == mfn), start info, the
 * xenstore and console pages, the boot page tables and a stack page, all
 * mapped from VIRT_BASE up to a 4 MiB boundary with at least 512 KiB to
 * spare.  The page-table frames are mapped read-only, every entry carries
 * _PAGE_USER (the kernel runs at CPL 3) and every L4 hvcore's slot.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errline.h"
#include "console.h"
#include "domain.h"
#include "guest_time.h"
#include "elf_load.h"
#include "hvcore.h"
#include "memory.h"
#include "public/errno.h"
#include "vcpu.h"
#include "xen.h"
#include "xen_console.h"
#include "xen_domain.h"
#include "xen_fastcall.h"
#include "xen_evtchn.h"
#include "xen_hypercall.h"
#include "xen_image.h"
#include "xen_initrd.h"
#include "xen_layout.h"
#include "xen_mm.h"
#include "xen_patch.h"
#include "xen_store.h"
#include "xen_time.h"
#include "xen_trap.h"
#include "xen_vcpu.h"

#define PTE_P   (1ULL << 0)
#define PTE_RW  (1ULL << 1)
#define PTE_US  (1ULL << 2)
#define PTE_A   (1ULL << 5)
#define PTE_D   (1ULL << 6)
#define TABLE   (PTE_P | PTE_RW | PTE_US | PTE_A)
#define PAGE_RW (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)
#define PAGE_RO (PTE_P | PTE_US | PTE_A)

#define MiB (1ULL << 20)

bool xen_domain_wanted(const struct domain *d)
{
    if (d->abi == DOMAIN_ABI_XEN)
        return true;
    if (d->abi == DOMAIN_ABI_HV)
        return false;
    return xen_image_probe(d->kernel_image, d->kernel_size) == XEN_KERNEL_XEN;
}

int xen_domain_setup(struct domain *d, char *err, size_t errlen)
{
    char why[256];
    int r;

    struct xen_dom *x = calloc(1, sizeof(*x));
    if (!x)
        return errline(-HVE_NOMEM, err, errlen, "out of memory");
    x->priv_fd = -1;
    d->xen = x;
    x->img = calloc(1, sizeof(*x->img));
    if (!x->img)
        return errline(-HVE_NOMEM, err, errlen, "out of memory");
    r = xen_image_load(d->kernel_image, d->kernel_size, x->img, why, sizeof(why));
    if (r < 0)
        return errline(r, err, errlen, "%s (%s)", why, d->kernel_path);
    if (d->initrd_path) {
        size_t size;
        r = elf_read_file(d->initrd_path, &x->initrd, &size, why, sizeof(why));
        if (r < 0)
            return errline(r, err, errlen, "initrd: %s", why);
        x->initrd_size = size;
        r = xen_initrd_check(x->initrd, x->initrd_size, why, sizeof(why));
        if (r < 0)
            return errline(r, err, errlen, "%s (%s)", why, d->initrd_path);
    }
    if (d->mem_initial_bytes != d->mem_max_bytes)
        return errline(-HVE_INVAL, err, errlen,
                    "a Xen PV domain cannot balloon yet: give --memory without --max-memory");
    if (d->nr_device_specs)
        return errline(-HVE_NOSYS, err, errlen,
                    "--device: a Xen PV domain cannot have devices yet (no blkfront/netfront)");
    if (d->max_vcpus != 1)
        return errline(-HVE_INVAL, err, errlen, "a Xen PV domain has one vCPU for now (--vcpus 1)");
    if (d->mem_max_bytes > XEN_MAX_RAM_BYTES)
        return errline(-HVE_RANGE, err, errlen, "a Xen PV domain can have at most %llu MiB",
                    (unsigned long long)(XEN_MAX_RAM_BYTES >> 20));
    x->nr_pages = d->mem_max_bytes >> 12;
    return 0;
}

int xen_domain_create(struct domain *d, char *err, size_t errlen)
{
    struct xen_dom *x = d->xen;
    int r;

    if ((r = xen_layout_create(d)) < 0)
        return errline(r, err, errlen, "cannot make hvcore's private area: %s", strerror(-r));
    x->slot_l4e = xen_layout_slot_l4e();
    if ((r = xen_mm_init(d)) < 0 || (r = xen_evtchn_init(d)) < 0 ||
        (r = xen_fastcall_init(d)) < 0)
        return errline(r, err, errlen, "cannot set up the Xen PV domain: %s", strerror(-r));
    return 0;
}

void xen_domain_teardown(struct domain *d)
{
    struct xen_dom *x = d->xen;

    if (!x)
        return;
    xen_fastcall_free(d);                   /* its thread reads the rest */
    if (x->priv)
        xen_store_free(d);
    xen_evtchn_free(d);
    xen_mm_free(d);
    xen_layout_destroy(d);
    if (x->img)
        xen_image_free(x->img);
    free(x->img);
    free(x->initrd);
    free(x);
    d->xen = NULL;
}

/* Where each piece of the boot region goes, in bytes from VIRT_BASE. */
struct boot_plan {
    uint64_t initrd, p2m, start_info, store, console, pt, nr_pt, stack, end, mapped;
};

static uint64_t page_up(uint64_t a)
{
    return (a + 4095) & ~4095ULL;
}

static int plan(struct domain *d, struct boot_plan *p, char *err, size_t errlen)
{
    struct xen_dom *x = d->xen;
    uint64_t ram = x->nr_pages << 12;
    uint64_t at = page_up(x->img->pend - x->img->paddr_offset);

    p->initrd = at;
    at = page_up(at + x->initrd_size);
    p->p2m = at;
    at = page_up(at + x->nr_pages * 8);
    p->start_info = at;
    p->store = at + 4096;
    p->console = at + 2 * 4096;
    p->pt = at + 3 * 4096;
    /* The tables map the region, which holds the tables: grow until the
     * count settles (one L4, one L3, one L2 per GiB, one L1 per 2 MiB). */
    for (uint64_t nr = 3;;) {
        uint64_t end = p->pt + (nr + 1) * 4096;     /* + the stack page */
        uint64_t mapped = (end + 512 * 1024 + 4 * MiB - 1) & ~(4 * MiB - 1);
        uint64_t need = 2 + (mapped + (1ULL << 30) - 1) / (1ULL << 30) + mapped / (2 * MiB);
        if (need <= nr) {
            p->nr_pt = nr;
            p->stack = p->pt + nr * 4096;
            p->end = end;
            p->mapped = mapped;
            break;
        }
        nr = need;
    }
    if (p->mapped > ram)
        return errline(-HVE_RANGE, err, errlen,
                    "the kernel and initrd need %llu MiB of memory before the kernel runs; "
                    "the domain has %llu MiB",
                    (unsigned long long)(p->mapped >> 20), (unsigned long long)(ram >> 20));
    if (p->mapped > (1ULL << 30))
        return errline(-HVE_RANGE, err, errlen, "the boot region exceeds 1 GiB (initrd too large)");
    return 0;
}

static void build_page_tables(struct domain *d, const struct boot_plan *p)
{
    struct xen_dom *x = d->xen;
    uint64_t vbase = x->img->virt_base;
    uint64_t pt = p->pt, l4 = pt, l3 = pt + 4096, l2 = pt + 2 * 4096;
    uint64_t l1 = l2 + ((p->mapped + (1ULL << 30) - 1) >> 30) * 4096;
    uint64_t *L4 = (uint64_t *)(d->mem + l4);
    uint64_t *L3 = (uint64_t *)(d->mem + l3);

    L4[(vbase >> 39) & 511] = l3 | TABLE;
    L4[XEN_SLOT] = x->slot_l4e;
    for (uint64_t off = 0; off < p->mapped; off += 4096) {
        uint64_t va = vbase + off;
        uint64_t g = (off >> 30), m = off >> 21;
        uint64_t *L2 = (uint64_t *)(d->mem + l2 + g * 4096);
        uint64_t *L1 = (uint64_t *)(d->mem + l1 + m * 4096);
        L3[(va >> 30) & 511] = (l2 + g * 4096) | TABLE;
        L2[(va >> 21) & 511] = (l1 + m * 4096) | TABLE;
        bool is_pt = off >= pt && off < pt + p->nr_pt * 4096;
        L1[(va >> 12) & 511] = off | (is_pt ? PAGE_RO : PAGE_RW);
    }
}

/* The kernel's emulation of cmpxchg16b made the instruction
 * (xen_patch.h), where the guest's cpuid has it and the kernel's
 * executable segments hold exactly one copy of the emulation: two would
 * be a kernel this was not written for.  HVCORE_XEN_PATCH=0 leaves the
 * kernel as it is. */
static void patch_kernel(struct domain *d)
{
    const struct xen_image *img = d->xen->img;
    const char *env = getenv("HVCORE_XEN_PATCH");
    uint32_t leaf1[4];
    uint8_t *site = NULL;
    unsigned n = 0;

    xen_cpuid(1, 0, leaf1);
    if ((env && strcmp(env, "0") == 0) || !(leaf1[2] & (1u << 13)))  /* CX16 */
        return;
    for (unsigned i = 0; i < img->nr_segs; i++) {
        const struct xen_seg *s = &img->seg[i];
        uint8_t *code = d->mem + (s->paddr - img->paddr_offset);
        size_t first;
        unsigned k;

        if (!(s->flags & PF_X))
            continue;
        k = xen_patch_cx16_scan(code, (size_t)s->filesz, &first);
        if (k && !site)
            site = code + first;
        n += k;
    }
    if (n != 1)
        return;
    xen_patch_cx16_apply(site);
    if (getenv("HVCORE_XEN_TRACE"))
        fprintf(stderr, "hvcore: xen: kernel: this_cpu_cmpxchg16b_emu at 0x%llx made "
                "cmpxchg16b\n", (unsigned long long)(img->virt_base + (uint64_t)(site - d->mem)));
}

/* A kernel with a HYPERCALL_PAGE note calls through it: Xen's stubs. */
static void build_hypercall_page(struct domain *d)
{
    struct xen_dom *x = d->xen;
    uint64_t va = x->img->hypercall_page;

    if (!va || va < x->img->virt_base || ((va - x->img->virt_base) >> 12) >= x->nr_pages)
        return;
    uint8_t *page = d->mem + ((va - x->img->virt_base) & ~4095ULL);
    memset(page, 0xcc, 4096);
    for (uint32_t i = 0; i < 4096 / 32; i++) {
        uint8_t *s = page + i * 32;
        if (i == XEN_HC_iret) {
            static const uint8_t iret[] = { 0x51, 0x41, 0x53, 0x50, 0xb8, XEN_HC_iret, 0, 0, 0,
                                            0x0f, 0x05 };
            memcpy(s, iret, sizeof(iret));      /* push rcx, r11, rax; syscall */
            continue;
        }
        static const uint8_t call[] = { 0x51, 0x41, 0x53, 0xb8, 0, 0, 0, 0, 0x0f, 0x05,
                                        0x41, 0x5b, 0x59, 0xc3 };
        memcpy(s, call, sizeof(call));          /* push rcx, r11; syscall; pop; ret */
        memcpy(s + 4, &i, 4);
    }
}

static void build_start_info(struct domain *d, const struct boot_plan *p)
{
    struct xen_dom *x = d->xen;
    uint64_t vbase = x->img->virt_base;
    struct xen_start_info *si = (struct xen_start_info *)(d->mem + p->start_info);

    memset(si, 0, 4096);
    snprintf(si->magic, sizeof(si->magic), "%s", XEN_START_INFO_MAGIC);
    si->nr_pages = x->nr_pages;
    si->shared_info = x->shared_info_gpa;
    si->store_mfn = p->store >> 12;
    si->store_evtchn = x->store_port;
    si->console_mfn = p->console >> 12;
    si->console_evtchn = x->console_port;
    si->pt_base = vbase + p->pt;
    si->nr_pt_frames = p->nr_pt;
    si->mfn_list = vbase + p->p2m;
    if (x->initrd_size) {
        si->mod_start = vbase + p->initrd;
        si->mod_len = x->initrd_size;
    }
    /* "noreplace-smp": with one possible CPU, Linux rewrites each of its
     * ~17,000 lock prefixes through a temporary mapping, two exits each
     * (1.2-1.7 s of a 3.5 s boot here, nothing gained on one vCPU). */
    const char *cmd = d->cmdline ? d->cmdline : "";
    snprintf(si->cmd_line, sizeof(si->cmd_line), "%s%s%s", cmd, *cmd ? " " : "",
             strstr(cmd, "noreplace-smp") ? "" : "noreplace-smp");
    x->start_info_va = vbase + p->start_info;
}

int xen_domain_request_shutdown(struct domain *d, uint32_t reason)
{
    return xen_store_request_shutdown(d, reason == SHUTDOWN_REQUEST_reboot ? "reboot"
                                                                            : "poweroff");
}

int xen_domain_boot(struct domain *d, char *err, size_t errlen)
{
    struct xen_dom *x = d->xen;
    struct boot_plan p;
    struct hv_vcpu_context ctx;
    char why[256];
    int r;

    if (d->boot_count > 0) {
        xen_fastcall_quiesce(d);
        if ((r = mem_reset(d)) < 0 || (r = xen_layout_reset(d)) < 0)
            return errline(r, err, errlen, "cannot reset guest memory: %s", strerror(-r));
        xen_gdt_release(&d->vcpu[0]);
        xen_store_reset(d);
        xen_mm_free(d);
        xen_evtchn_free(d);
        memset(x->vcpu, 0, sizeof(x->vcpu));
        x->vm_assist = 0;
        x->m2p_strict = false;
        x->has_shutdown_code = false;
        if ((r = xen_mm_init(d)) < 0 || (r = xen_evtchn_init(d)) < 0)
            return errline(r, err, errlen, "cannot reset the Xen PV domain: %s", strerror(-r));
    }
    if ((r = plan(d, &p, err, errlen)) < 0)
        return r;
    uint64_t ram = x->nr_pages << 12;
    if (x->img->pstart < x->img->paddr_offset ||
        (r = xen_image_copy(x->img, d->mem + (x->img->pstart - x->img->paddr_offset),
                            ram - (x->img->pstart - x->img->paddr_offset), why,
                            sizeof(why))) < 0)
        return errline(r < 0 ? r : -HVE_RANGE, err, errlen, "%s: %s", d->kernel_path, why);
    patch_kernel(d);
    build_hypercall_page(d);
    if (x->initrd_size)
        memcpy(d->mem + p.initrd, x->initrd, x->initrd_size);
    uint64_t *p2m = (uint64_t *)(d->mem + p.p2m);
    for (uint64_t i = 0; i < x->nr_pages; i++)
        p2m[i] = i;
    x->console_gpa = p.console;
    x->store_gpa = p.store;
    /* hvcore writes the console page from the host: it must never become a
     * page table (xen_mm.c; xen_store_init reserves its own page). */
    if ((r = xen_mm_get_writable(d, p.console >> 12)) < 0)
        return errline(r, err, errlen, "cannot reserve the console page");
    int port = xen_evtchn_alloc_console(d);
    if (port < 0)
        return errline(port, err, errlen, "cannot bind the console's event channel");
    x->console_port = (uint32_t)port;
    port = xen_evtchn_alloc_store(d);
    if (port < 0)
        return errline(port, err, errlen, "cannot bind xenstore's event channel");
    x->store_port = (uint32_t)port;
    if ((r = xen_store_init(d, p.store, x->store_port)) < 0)
        return errline(r, err, errlen, "cannot start xenstore: %s", strerror(-r));
    build_start_info(d, &p);
    build_page_tables(d, &p);
    /* A request the last boot did not carry out is the new boot's: it is
     * in the store when the guest's watch first fires. */
    if (d->shutdown_pending)
        (void)xen_domain_request_shutdown(d, d->shutdown_pending);

    pthread_mutex_lock(&d->lock);
    d->boot_count++;
    d->boot_mono_ns = now_ns(CLOCK_MONOTONIC);
    d->end_reason = END_NONE;
    d->end_detail[0] = '\0';
    d->stopping = false;
    d->state = d->paused ? HV_DOMSTATE_paused : HV_DOMSTATE_running;
    pthread_mutex_unlock(&d->lock);

    struct xen_shared_info *sh = xen_shared(d);
    for (unsigned i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        sh->vcpu_info[i].evtchn_upcall_mask = 1;
    sh->max_pfn = x->nr_pages;
    if (d->tsc_khz && d->vcpu[0].fd >= 0)
        xen_time_init(d);
    console_reset(d);
    guest_timer_arm(&d->vcpu[0], 0);

    struct xen_vcpu *xv = &x->vcpu[0];
    xv->guest_table = p.pt >> 12;
    xv->kernel_mode = true;
    r = xen_mm_adopt_boot(&d->vcpu[0], p.pt >> 12);
    if (r < 0)
        return errline(r, err, errlen, "the boot page tables were refused: %s", strerror(-r));
    /* Nothing ran yet: no shadow can hold an older entry. */
    xv->nr_ptw = 0;
    xv->flush = XEN_FLUSH_NONE;

    memset(&ctx, 0, sizeof(ctx));
    ctx.rip = x->img->entry;
    ctx.rsp = x->img->virt_base + p.stack + 4096;
    ctx.rsi = x->start_info_va;
    r = vcpu_up(d, 0, &ctx);
    if (r < 0)
        return errline(r, err, errlen, "cannot start vcpu 0: %s", strerror(-r));
    return 0;
}
