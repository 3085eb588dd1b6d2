/*
 * fuzz_xen_mm.c - libFuzzer harness for a Xen-PV guest's memory
 * management (src/xen_mm*.c, src/xen_memory.c) on the fake domain of
 * tests/xen_mm_fake.h: 32 frames of RAM with the boot tables a builder
 * makes (fake_build_boot: L4 1 -> L3 2 -> L2 3 -> L1 4 mapping every frame
 * at KVA(f), the tables read-only), then whatever sequence of operations
 * the input says.
 *
 * Input: a sequence of operations, each a selector byte and its operands:
 *   guest write     frame, index, entry (as the guest writes a frame it
 *                   may write: one that is no page table or GDT page)
 *   mmu_update      1-4 requests: frame, index, command, entry
 *   mmuext_op       1-3 operations: command, frame-ish arg1, arg2
 *   update_va_map   va (a frame's KVA or a bad one), entry, flags
 *   memory_op       decrease / increase / populate with 1-3 frames
 *   hvcore's refs   get or put of a GDT page or a host-written frame
 *   hostile batch   mmu_update / mmuext_op with chosen pointers and count
 * Entries are made from a frame choice (guest RAM, the shared-info or an
 * M2P frame, a private frame, no frame) and a byte of interesting bits.
 *
 * Checked after every operation (fake_check): every validated table's
 * entries are allowed (user bit, no superpage, frames the guest may map,
 * lower levels validated, hvcore's L4 slots); every type count equals the
 * references recounted from the tables, pins, base pointers, GDT and
 * host-writable references (so none is negative or leaked); no frame is
 * both mapped writable and a page table or GDT page; every write into a
 * frame that is or was a page table reached the stub.  Return values are
 * ones the ABI allows.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_check.h"
#include "../xen_mm_fake.h"
#include "public/errno.h"
#include "xen_mm.h"
#include "xen_mm_type.h"

#define NPAGES   32
#define KBASE    FAKE_KBASE
#define KVA(f)   FAKE_KVA(f)
#define ARG      FAKE_ARG_VA
#define ARG_END  (FAKE_ARG_VA + FAKE_ARG_SIZE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
    const uint8_t *p;
    size_t n;
};

static uint8_t next(struct input *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

static uint64_t frame_of(uint8_t b)
{
    switch (b % (NPAGES + 5)) {
    case NPAGES:     return FAKE_SHARED_MFN;
    case NPAGES + 1: return FAKE_M2P_MFN + (b & 1);
    case NPAGES + 2: return FAKE_PRIV_MFN;
    case NPAGES + 3: return NPAGES + 7;
    case NPAGES + 4: return 0x000fffffffffULL;
    default:         return b % (NPAGES + 5);
    }
}

static unsigned index_of(uint8_t b)
{
    static const unsigned idx[16] = {
        0, 1, 2, 3, 4, 5, 6, 7, 256, 257, 271, 300, 510, 511, 31, 0,
    };
    return idx[b & 15];
}

static uint64_t entry_of(struct input *in)
{
    uint64_t mfn = frame_of(next(in));
    uint8_t b = next(in);
    uint64_t e = mfn << 12;

    if (b & 1)   e |= XPTE_P;
    if (b & 2)   e |= XPTE_RW;
    if (b & 4)   e |= XPTE_US;
    if (b & 8)   e |= XPTE_A | XPTE_D;
    if (b & 16)  e |= XPTE_PS;
    if (b & 32)  e |= XPTE_G;
    if (b & 64)  e |= XPTE_NX;
    if (b & 128) e |= 1ULL << 52;
    return e;
}

static void boot(void)
{
    fake_build_boot(XPTE_US);
    CHECK(xen_mm_adopt_boot(fake.v, 1) == 0, "boot tables refused");
}

static bool allowed(int64_t rc)
{
    return rc == 0 || rc == -HVE_INVAL || rc == -HVE_PERM || rc == -HVE_FAULT ||
           rc == -HVE_NOSYS || rc == -HVE_2BIG;
}

static int64_t batch(xen_hc_fn *fn, uint64_t reqs, uint64_t count, uint64_t pdone)
{
    uint64_t a[6] = { reqs, count, pdone, XEN_DOMID_SELF, 0, 0 };

    return fn(fake.v, a);
}

static void op_guest_write(struct input *in)
{
    uint64_t mfn = next(in) % NPAGES;
    unsigned idx = index_of(next(in));
    uint64_t e = entry_of(in);
    const struct xen_mm_frame *f = &fake.d->xen->mm->frame[mfn];

    if (f->type_count && f->type != XMT_WRITABLE)
        return;                     /* the guest cannot write it */
    fake_guest_write(mfn, idx, e);
}

static void op_mmu_update(struct input *in)
{
    unsigned n = 1 + next(in) % 4;
    struct xen_mmu_update r[4];

    for (unsigned i = 0; i < n; i++) {
        uint64_t mfn = frame_of(next(in));
        unsigned idx = index_of(next(in));
        uint8_t cmd = next(in);
        unsigned kind = cmd < 200 ? cmd % 3u : cmd % 8u;
        r[i].ptr = (mfn << 12) | (idx << 3) | kind;
        r[i].val = entry_of(in);
        if (kind == XEN_MMU_MACHPHYS_UPDATE)
            r[i].val = (cmd & 8) ? mfn : mfn + 1;
    }
    memcpy(fake.args, r, n * sizeof(r[0]));
    int64_t rc = batch(xen_hc_mmu_update, ARG, n, ARG + 0x1000);
    CHECK(allowed(rc), "mmu_update returned %lld", (long long)rc);
    uint32_t done;
    memcpy(&done, fake.args + 0x1000, sizeof(done));
    CHECK(done <= n && (rc < 0 || done == n), "mmu_update done %u of %u, rc %lld", done, n,
          (long long)rc);
}

static void op_mmuext(struct input *in)
{
    unsigned n = 1 + next(in) % 3;
    struct xen_mmuext_op op[3];

    memset(op, 0, sizeof(op));
    for (unsigned i = 0; i < n; i++) {
        uint8_t c = next(in), a1 = next(in), a2 = next(in);
        op[i].cmd = c < 240 ? c % 21u : 0xffffff00u | c;
        op[i].arg1 = frame_of(a1);
        if (op[i].cmd == XEN_MMUEXT_NEW_USER_BASEPTR && (a2 & 1))
            op[i].arg1 = 0;
        if (op[i].cmd == XEN_MMUEXT_INVLPG_LOCAL || op[i].cmd == XEN_MMUEXT_INVLPG_ALL ||
            op[i].cmd == XEN_MMUEXT_SET_LDT)
            op[i].arg1 = a2 & 1 ? KVA(a1 % NPAGES) : (uint64_t)a1 << 40;
        op[i].arg2 = op[i].cmd == XEN_MMUEXT_COPY_PAGE ? frame_of(a2) : a2 & 3;
    }
    memcpy(fake.args, op, n * sizeof(op[0]));
    int64_t rc = batch(xen_hc_mmuext_op, ARG, n, ARG + 0x1000);
    CHECK(allowed(rc), "mmuext_op returned %lld", (long long)rc);
}

static void op_update_va_mapping(struct input *in)
{
    uint8_t b = next(in);
    uint64_t va = b < 224 ? KVA(b % NPAGES) :
                  b < 240 ? KBASE + (1ULL << 21) :
                            0xffff808000000000ULL + ((uint64_t)b << 12);
    uint64_t e = entry_of(in);
    uint64_t flags = next(in) & 7;
    uint64_t a[6] = { va, e, flags, 0, 0, 0 };

    int64_t rc = xen_hc_update_va_mapping(fake.v, a);
    CHECK(allowed(rc), "update_va_mapping returned %lld", (long long)rc);
}

static void op_memory(struct input *in)
{
    static const uint64_t ops[4] = {
        XEN_MEM_decrease_reservation, XEN_MEM_increase_reservation,
        XEN_MEM_populate_physmap, XEN_MEM_decrease_reservation,
    };
    uint8_t b = next(in);
    unsigned n = 1 + (b >> 2) % 3;
    struct xen_memory_reservation r = {
        .extent_start = ARG + 0x100, .nr_extents = n, .domid = XEN_DOMID_SELF,
    };
    uint64_t list[3];
    uint64_t released = fake.d->xen->mm->released;

    for (unsigned i = 0; i < n; i++)
        list[i] = frame_of(next(in));
    memcpy(fake.args, &r, sizeof(r));
    memcpy(fake.args + 0x100, list, sizeof(list));
    uint64_t a[6] = { ops[b & 3], ARG, 0, 0, 0, 0 };
    int64_t rc = xen_hc_memory_op(fake.v, a);
    CHECK(rc >= 0 && rc <= (int64_t)n, "memory_op %llu returned %lld",
          (unsigned long long)a[0], (long long)rc);
    if (ops[b & 3] == XEN_MEM_decrease_reservation)
        CHECK(fake.d->xen->mm->released == released + (uint64_t)rc, "released count");
    else
        CHECK(fake.d->xen->mm->released == released - (uint64_t)rc, "reclaimed count");
}

/* hvcore's own references: a GDT page (set_gdt) or a frame it writes
 * from the host (xen_mm_get_writable). */
static void op_ref(struct input *in)
{
    uint8_t b = next(in);
    uint64_t mfn = frame_of(b >> 2);
    bool gdt = b & 2;
    uint32_t *refs = gdt ? fake.seg_refs : fake.host_refs;

    if (b & 1) {
        if (mfn < NPAGES && refs[mfn]) {
            if (gdt)
                xen_mm_put_seg_desc(fake.d, mfn);
            else
                xen_mm_put_writable(fake.d, mfn);
            refs[mfn]--;
        }
        return;
    }
    int rc = gdt ? xen_mm_get_seg_desc(fake.d, mfn) : xen_mm_get_writable(fake.d, mfn);
    CHECK(rc == 0 || rc == -HVE_INVAL, "get returned %d", rc);
    if (rc == 0)
        refs[mfn]++;
}

static void op_hostile(struct input *in)
{
    static const uint64_t ptrs[8] = {
        ARG, ARG_END - 8, ARG_END - 24, 0, 5ULL << 12, (NPAGES << 12) - 16,
        0xffffffffffffff00ULL, ARG + 3,
    };
    uint8_t b = next(in), c = next(in);
    uint64_t count = c < 200 ? c % 8 : (c & 1 ? XEN_MM_MAX_OPS + 1 : 0xffffffff00000002ULL);

    if (b & 64)
        count |= XEN_MMU_UPDATE_PREEMPTED;
    for (size_t i = 0; i < 64 && in->n; i++)
        fake.args[i] = next(in);
    int64_t rc = batch(b & 128 ? xen_hc_mmuext_op : xen_hc_mmu_update, ptrs[b & 7],
                       count, ptrs[(b >> 3) & 7]);
    CHECK(allowed(rc), "hostile batch returned %lld", (long long)rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    const char *broken;

    CHECK(fake_init(NPAGES, true) == 0, "fake domain");
    boot();
    broken = fake_check();
    CHECK(!broken, "after boot: %s", broken);
    for (unsigned step = 0; in.n && step < 256; step++) {
        fake_ran();
        switch (next(&in) % 7) {
        case 0: op_guest_write(&in); break;
        case 1: op_mmu_update(&in); break;
        case 2: op_mmuext(&in); break;
        case 3: op_update_va_mapping(&in); break;
        case 4: op_memory(&in); break;
        case 5: op_ref(&in); break;
        default: op_hostile(&in); break;
        }
        broken = fake_check();
        CHECK(!broken, "step %u: %s", step, broken);
        CHECK(fake.d->xen->mm->ptw_lost == 0, "stub writes lost");
    }
    fake_fini();
    return 0;
}
