/*
 * xen_layout.c - build hvcore's private area of a Xen-PV domain
 * (xen_layout.h): the tables of L4 slot XEN_SLOT, the IDT whose gates lead
 * to one-instruction CPL-0 stubs, the reserved GDT page, the TSS, the
 * page-table stub, the syscall stub and the identity M2P table.
 *
 * Everything here is written from the host before the guest first runs
 * (or right after both slots were re-registered), so no shadow page table
 * can hold an older copy; afterwards only the guest's GDT copy, the
 * stubs' queue and flags and the fast-call channel change, and none of
 * them is a page table.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_fastcall_abi.h"
#include "xen_layout.h"

_Static_assert(256 * XEN_TRAP_STUB_SIZE <= XEN_TRAP_GP_STUB &&
               XEN_TRAP_GP_STUB < XEN_TRAP_GP_MASKPTR && XEN_TRAP_GP_MASKPTR + 8 <= 4096,
               "the #GP entry and its mask address follow the vectors' stubs");
_Static_assert(XEN_STUB_KMODE >= 0x200 && XEN_STUB_NR_VCPUS + 8 <= 4096,
               "the syscall stub's flags lie past its code, in its page");

#define PTE_P   (1ULL << 0)
#define PTE_RW  (1ULL << 1)
#define PTE_US  (1ULL << 2)
#define PTE_A   (1ULL << 5)
#define PTE_D   (1ULL << 6)
#define PTE_PS  (1ULL << 7)
#define PTE_NX  (1ULL << 63)

#define TABLE     (PTE_P | PTE_RW | PTE_US | PTE_A)
#define SUPER_RW  (PTE_P | PTE_RW | PTE_A | PTE_D | PTE_NX)
#define SUPER_RX  (PTE_P | PTE_A)
#define USER_RX   (PTE_P | PTE_US | PTE_A)
#define USER_RO   (PTE_P | PTE_US | PTE_A | PTE_NX)
#define USER_RW   (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX)

#define KVM_SLOT_PRIV 1

/*
 * The page-table stub (CPL 0), assembled from:
 *   rsi = queue, rcx = entries, r9 = RAM map, rdx = flush kind,
 *   rdi = address list, r8 = addresses, r10 = the CR3 to load (kind 2);
 *   rsp = an iret frame to the guest
 *       test %rcx,%rcx ; jz 2f
 *   1:  mov (%rsi),%rax ; mov 8(%rsi),%rbx ; mov %rbx,(%r9,%rax)
 *       add $16,%rsi ; dec %rcx ; jnz 1b
 *   2:  cmp $2,%rdx ; jne 3f ; mov %r10,%cr3 ; jmp 5f
 *   3:  cmp $1,%rdx ; jne 5f
 *   4:  test %r8,%r8 ; jz 5f ; mov (%rdi),%rax ; invlpg (%rax)
 *       add $8,%rdi ; dec %r8 ; jmp 4b
 *   5:  mov save(%rip),%rax ... mov save+64(%rip),%r10  (rax rbx rcx rdx
 *       rsi rdi r8 r9 r10: the guest's, saved at XEN_APPLY_SAVE)
 *       iretq
 * Every write is an emulated CPL-0 store through the guest's MMU, which is
 * what makes KVM update (or drop) its shadow of the entry.  A CR3 load
 * from CPL 0 is KVM's fast switch between cached roots; KVM_SET_SREGS with
 * another CR3 would reset the whole MMU context instead.  The iretq
 * returns to the guest without another exit (~10 emulated instructions
 * instead of an exit: ~10 us against ~30).
 */
static const uint8_t apply_stub[] = {
    0x48, 0x85, 0xc9, 0x74, 0x14, 0x48, 0x8b, 0x06, 0x48, 0x8b, 0x5e, 0x08,
    0x49, 0x89, 0x1c, 0x01, 0x48, 0x83, 0xc6, 0x10, 0x48, 0xff, 0xc9, 0x75,
    0xec, 0x48, 0x83, 0xfa, 0x02, 0x75, 0x06, 0x41, 0x0f, 0x22, 0xda, 0xeb,
    0x1a, 0x48, 0x83, 0xfa, 0x01, 0x75, 0x14, 0x4d, 0x85, 0xc0, 0x74, 0x0f,
    0x48, 0x8b, 0x07, 0x0f, 0x01, 0x38, 0x48, 0x83, 0xc7, 0x08, 0x49, 0xff,
    0xc8, 0xeb, 0xec, 0x48, 0x8b, 0x05, 0xba, 0x07, 0x00, 0x00, 0x48, 0x8b,
    0x1d, 0xbb, 0x07, 0x00, 0x00, 0x48, 0x8b, 0x0d, 0xbc, 0x07, 0x00, 0x00,
    0x48, 0x8b, 0x15, 0xbd, 0x07, 0x00, 0x00, 0x48, 0x8b, 0x35, 0xbe, 0x07,
    0x00, 0x00, 0x48, 0x8b, 0x3d, 0xbf, 0x07, 0x00, 0x00, 0x4c, 0x8b, 0x05,
    0xc0, 0x07, 0x00, 0x00, 0x4c, 0x8b, 0x0d, 0xc1, 0x07, 0x00, 0x00, 0x4c,
    0x8b, 0x15, 0xc2, 0x07, 0x00, 0x00, 0x48, 0xcf,
};

/* The syscall stub (LSTAR, CPL 3): xen_syscall_stub.S; #GP's entry, which
 * does the guest kernel's cli in place: xen_cli_stub.S. */
extern const uint8_t xen_syscall_stub[], xen_syscall_stub_end[];
extern const uint8_t xen_cli_stub[], xen_cli_stub_end[];

static uint64_t *q(struct xen_dom *x, uint64_t off)
{
    return (uint64_t *)(x->priv + off);
}

uint64_t xen_layout_slot_l4e(void)
{
    return (XEN_PRIV_GPA + XEN_OFF_SLOT_L3) | TABLE;
}

static uint64_t priv_page_flags(uint64_t off)
{
    if (off >= XEN_OFF_IDT && off < XEN_OFF_TSS + 3 * 4096)
        return SUPER_RW;                    /* IDT, GDT, TSS            */
    if (off == XEN_OFF_TRAP_STUBS || off == XEN_OFF_APPLY_STUB ||
        (off >= XEN_OFF_JIT && off < XEN_OFF_JIT + XEN_JIT_BYTES))
        return SUPER_RX;
    if (off == XEN_OFF_SYSCALL_STUB)
        return USER_RX;
    if (off == XEN_OFF_CHANNEL)
        return USER_RW;                     /* the fast-call channel    */
    if (off == XEN_OFF_FLUSHVA || (off >= XEN_OFF_STACK && off < XEN_OFF_JIT))
        return SUPER_RW;                    /* addresses, stacks, queue */
    if (off == XEN_OFF_SHARED_INFO)
        return SUPER_RW;                    /* its event mask, for cli  */
    return 0;                               /* tables, shared info      */
}

static void build_slot_tables(struct xen_dom *x)
{
    uint64_t ram = x->nr_pages << 12;

    q(x, XEN_OFF_SLOT_L3)[0] = (XEN_PRIV_GPA + XEN_OFF_PRIV_L2) | TABLE;
    q(x, XEN_OFF_SLOT_L3)[1] = (XEN_PRIV_GPA + XEN_OFF_M2P_L2) | TABLE;
    q(x, XEN_OFF_PRIV_L2)[0] = (XEN_PRIV_GPA + XEN_OFF_PRIV_L1) | TABLE;
    for (uint64_t off = 0; off < XEN_OFF_M2P; off += 4096) {
        uint64_t f = priv_page_flags(off);
        q(x, XEN_OFF_PRIV_L1)[off >> 12] = f ? (XEN_PRIV_GPA + off) | f : 0;
    }
    for (uint64_t i = 0; i < x->m2p_frames; i++) {
        uint64_t l1 = XEN_OFF_M2P_L1 + (i / 512) * 4096;
        if (i % 512 == 0)
            q(x, XEN_OFF_M2P_L2)[i / 512] = (XEN_PRIV_GPA + l1) | TABLE;
        q(x, l1)[i % 512] = (XEN_PRIV_GPA + XEN_OFF_M2P + i * 4096) | USER_RO;
    }
    for (uint64_t base = 0; base < ram; base += 2ULL << 20) {
        uint64_t gib = base >> 30;
        uint64_t l2 = XEN_OFF_RAM_L2 + gib * 4096;
        if ((base & ((1ULL << 30) - 1)) == 0)
            q(x, XEN_OFF_SLOT_L3)[256 + gib] = (XEN_PRIV_GPA + l2) | TABLE;
        q(x, l2)[(base >> 21) & 511] = base | SUPER_RW | PTE_PS;
    }
}

static void build_idt_and_stubs(struct xen_dom *x)
{
    uint8_t *idt = x->priv + XEN_OFF_IDT;
    uint8_t *stubs = x->priv + XEN_OFF_TRAP_STUBS;

    memset(stubs, 0xcc, 4096);
    for (unsigned v = 0; v < 256; v++) {
        uint64_t off = XEN_PRIV_VA + XEN_OFF_TRAP_STUBS +
                       (v == 13 ? XEN_TRAP_GP_STUB : v * XEN_TRAP_STUB_SIZE);
        uint8_t *g = idt + v * 16;
        /* #BP and #OF may be raised by int3/into at CPL 3; every other
         * vector from CPL 3 arrives as #GP and is bounced if the guest's
         * trap table allows it (xen_trap.c). */
        uint8_t dpl = (v == 3 || v == 4) ? 3 : 0;
        uint32_t hi = (uint32_t)(off >> 32);

        memset(g, 0, 16);
        g[0] = (uint8_t)off;
        g[1] = (uint8_t)(off >> 8);
        g[2] = (uint8_t)XEN_SEL_HV_CS;
        g[3] = (uint8_t)(XEN_SEL_HV_CS >> 8);
        g[4] = v == 8 ? 1 : 0;                  /* #DF on its own stack   */
        g[5] = (uint8_t)(0x8e | (dpl << 5));    /* present interrupt gate */
        g[6] = (uint8_t)(off >> 16);
        g[7] = (uint8_t)(off >> 24);
        memcpy(g + 8, &hi, 4);

        uint8_t *s = stubs + v * XEN_TRAP_STUB_SIZE;
        s[0] = 0xe6;                            /* out %al, $XEN_PORT_TRAP */
        s[1] = XEN_PORT_TRAP;
        s[2] = 0x0f;                            /* ud2: never reached      */
        s[3] = 0x0b;
    }
    memcpy(stubs + XEN_TRAP_GP_STUB, xen_cli_stub, (size_t)(xen_cli_stub_end - xen_cli_stub));
    memset(x->priv + XEN_OFF_APPLY_STUB, 0xcc, 4096);
    memcpy(x->priv + XEN_OFF_APPLY_STUB, apply_stub, sizeof(apply_stub));
    uint8_t *sys = x->priv + XEN_OFF_SYSCALL_STUB;
    memset(sys, 0xcc, 4096);
    memcpy(sys, xen_syscall_stub, (size_t)(xen_syscall_stub_end - xen_syscall_stub));
    uint64_t nr_vcpus = XEN_PV_MAX_VCPUS;
    memcpy(sys + XEN_STUB_NR_VCPUS, &nr_vcpus, sizeof(nr_vcpus));
}

static uint64_t seg(uint64_t access_and_flags)
{
    return 0xffffULL | (0xfULL << 48) | access_and_flags;
}

static void build_gdt_tss(struct xen_dom *x)
{
    uint64_t *gdt = q(x, XEN_OFF_GDT);
    uint8_t *tss = x->priv + XEN_OFF_TSS;
    uint64_t base = XEN_PRIV_VA + XEN_OFF_TSS;

    /* Accessed bits preset: the CPU need not write them. */
    gdt[XEN_SEL_HV_CS >> 3] = seg(0x00af9b0000000000ULL);       /* CPL-0 code */
    gdt[XEN_SEL_HV_DS >> 3] = seg(0x00cf930000000000ULL);       /* CPL-0 data */
    gdt[XEN_FLAT_RING3_CS32 >> 3] = seg(0x00cffb0000000000ULL);
    gdt[XEN_FLAT_RING3_DS32 >> 3] = seg(0x00cff30000000000ULL);
    gdt[XEN_FLAT_RING3_CS64 >> 3] = seg(0x00affb0000000000ULL);
    gdt[XEN_SEL_TSS >> 3] = (XEN_TSS_LIMIT & 0xffff) | ((base & 0xffffff) << 16) |
                            (0x89ULL << 40) | (((uint64_t)XEN_TSS_LIMIT >> 16) << 48) |
                            (((base >> 24) & 0xff) << 56);
    gdt[(XEN_SEL_TSS >> 3) + 1] = base >> 32;

    memset(tss, 0, 104);
    uint64_t rsp0 = XEN_PRIV_VA + XEN_OFF_STACK_TOP;
    uint64_t ist1 = XEN_PRIV_VA + XEN_OFF_IST_TOP;
    memcpy(tss + 4, &rsp0, 8);
    memcpy(tss + 36, &ist1, 8);
    tss[102] = 104;                             /* I/O bitmap offset */
    memset(tss + 104, 0xff, 8192 + 1);
    /* The only port CPL 3 may use: the syscall stub's. */
    tss[104 + XEN_PORT_SYSCALL / 8] &= (uint8_t)~(1u << (XEN_PORT_SYSCALL % 8));
}

static int set_slot(struct domain *d, uint32_t slot, uint64_t gpa, uint64_t size, void *host)
{
    struct kvm_userspace_memory_region r = {
        .slot = slot, .guest_phys_addr = gpa, .memory_size = size,
        .userspace_addr = (uint64_t)(uintptr_t)host,
    };
    return ioctl(d->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

static void build_fixed(struct xen_dom *x)
{
    uint64_t *m2p = q(x, XEN_OFF_M2P);

    memset(x->priv, 0, XEN_OFF_M2P);
    build_slot_tables(x);
    build_idt_and_stubs(x);
    build_gdt_tss(x);
    for (uint64_t i = 0; i < x->nr_pages; i++)
        m2p[i] = i;
}

int xen_layout_create(struct domain *d)
{
    struct xen_dom *x = d->xen;

    if ((x->nr_pages << 12) > XEN_MAX_RAM_BYTES)
        return -HVE_RANGE;
    x->m2p_frames = (x->nr_pages * 8 + 4095) / 4096;
    x->m2p_gpa = XEN_PRIV_GPA + XEN_OFF_M2P;
    x->shared_info_gpa = XEN_PRIV_GPA + XEN_OFF_SHARED_INFO;
    x->priv_bytes = (XEN_OFF_M2P + x->m2p_frames * 4096 + (2ULL << 20) - 1) & ~((2ULL << 20) - 1);
    x->priv_fd = memfd_create("hvcore-xen-private", MFD_CLOEXEC);
    if (x->priv_fd < 0)
        return -errno;
    if (ftruncate(x->priv_fd, (off_t)x->priv_bytes) < 0)
        return -errno;
    void *p = mmap(NULL, x->priv_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, x->priv_fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    x->priv = p;
    madvise(p, x->priv_bytes, MADV_DONTFORK);
    build_fixed(x);
    return set_slot(d, KVM_SLOT_PRIV, XEN_PRIV_GPA, x->priv_bytes, x->priv);
}

void xen_layout_destroy(struct domain *d)
{
    struct xen_dom *x = d->xen;

    if (x->priv)
        munmap(x->priv, x->priv_bytes);
    if (x->priv_fd >= 0)
        close(x->priv_fd);
    x->priv = NULL;
    x->priv_fd = -1;
}

int xen_layout_reset(struct domain *d)
{
    /* Deleting and re-adding a slot drops every shadow page of it: the
     * new boot's tables are written from the host, which KVM would not
     * notice in shadows left by the last boot. */
    int r = xen_layout_forget_shadows(d);
    if (r == 0)
        build_fixed(d->xen);
    return r;
}

int xen_layout_forget_shadows(struct domain *d)
{
    struct xen_dom *x = d->xen;
    int r;

    if ((r = set_slot(d, KVM_SLOT_PRIV, XEN_PRIV_GPA, 0, x->priv)) < 0 ||
        (r = set_slot(d, 0, 0, 0, d->mem)) < 0 ||
        (r = set_slot(d, 0, 0, d->mem_max_bytes, d->mem)) < 0)
        return r;
    return set_slot(d, KVM_SLOT_PRIV, XEN_PRIV_GPA, x->priv_bytes, x->priv);
}
