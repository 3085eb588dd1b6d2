/*
 * xen_mm_fake.c - the fake domain of xen_mm_fake.h and its invariants.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "public/errno.h"
#include "xen_mm.h"
#include "xen_mm_fake.h"
#include "xen_mm_type.h"

struct fake fake;

int fake_init(uint64_t nr_pages, bool with_shadow)
{
    struct domain *d;

    memset(&fake, 0, sizeof(fake));
    d = calloc(1, sizeof(*d));
    if (!d)
        return -1;
    fake.d = d;
    d->max_vcpus = 1;
    for (unsigned i = 0; i < HV_MAX_VCPUS; i++) {
        d->vcpu[i].dom = d;
        d->vcpu[i].id = i;
    }
    d->mem = calloc(nr_pages, 4096);
    d->xen = calloc(1, sizeof(*d->xen));
    fake.seg_refs = calloc(nr_pages, sizeof(*fake.seg_refs));
    fake.host_refs = calloc(nr_pages, sizeof(*fake.host_refs));
    fake.ever_pt = calloc(nr_pages, 1);
    if (with_shadow)
        fake.shadow = calloc(nr_pages, 4096);
    if (!d->mem || !d->xen || !fake.seg_refs || !fake.host_refs || !fake.ever_pt || (with_shadow && !fake.shadow))
        goto fail;
    d->xen->nr_pages = nr_pages;
    d->xen->priv_bytes = FAKE_PRIV_FRAMES * 4096;
    d->xen->priv = calloc(FAKE_PRIV_FRAMES, 4096);
    if (!d->xen->priv)
        goto fail;
    d->xen->shared_info_gpa = FAKE_SHARED_MFN << 12;
    d->xen->m2p_gpa = FAKE_M2P_MFN << 12;
    d->xen->m2p_frames = FAKE_M2P_FRAMES;
    d->xen->slot_l4e = FAKE_SLOT_L4E;
    if (xen_mm_init(d) < 0)
        goto fail;
    fake.v = &d->vcpu[0];
    fake.xv = &d->xen->vcpu[0];
    fake.ptw_max = SIZE_MAX;
    return 0;
fail:
    fake_fini();
    return -1;
}

void fake_fini(void)
{
    struct domain *d = fake.d;

    if (d) {
        if (d->xen) {
            xen_mm_free(d);
            for (unsigned i = 0; i < HV_MAX_VCPUS; i++)
                free(d->xen->vcpu[i].ptw);
            free(d->xen->priv);
            free(d->xen);
        }
        free(d->mem);
        free(d);
    }
    free(fake.shadow);
    free(fake.ever_pt);
    free(fake.seg_refs);
    free(fake.host_refs);
    memset(&fake, 0, sizeof(fake));
}

void fake_ran(void)
{
    for (unsigned i = 0; i < HV_MAX_VCPUS; i++) {
        struct xen_vcpu *xv = &fake.d->xen->vcpu[i];
        xv->nr_ptw = 0;
        xv->flush = XEN_FLUSH_NONE;
        xv->nr_flush_va = 0;
        xv->cr3_dirty = false;
    }
}

void fake_guest_write(uint64_t mfn, unsigned idx, uint64_t val)
{
    ((uint64_t *)(fake.d->mem + (mfn << 12)))[idx] = val;
    if (fake.shadow)
        ((uint64_t *)(fake.shadow + (mfn << 12)))[idx] = val;
}

/* ---- the core's services (xen.h) ------------------------------------------ */

/* Where [va, va + len) of the guest is in hvcore's memory, or NULL. */
static uint8_t *guest_ptr(uint64_t va, size_t len, bool write)
{
    uint64_t ram = fake.d->xen->nr_pages << 12;

    if (va + len < va)
        return NULL;
    if (va >= FAKE_ARG_VA && va + len <= FAKE_ARG_VA + FAKE_ARG_SIZE)
        return fake.args + (va - FAKE_ARG_VA);
    if (va + len > ram)
        return NULL;
    if (write) {
        if (va < fake.ro_end && va + len > fake.ro_start)
            return NULL;
        for (uint64_t f = va >> 12; len && f <= (va + len - 1) >> 12; f++) {
            const struct xen_mm_frame *fr = &fake.d->xen->mm->frame[f];
            if (fr->type_count && fr->type != XMT_WRITABLE)
                return NULL;
        }
    }
    return fake.d->mem + va;
}

int xen_copy_from_guest(struct vcpu *v, uint64_t va, void *dst, size_t len)
{
    const uint8_t *p = guest_ptr(va, len, false);

    (void)v;
    if (!p)
        return -HVE_FAULT;
    memcpy(dst, p, len);
    return 0;
}

int xen_copy_to_guest(struct vcpu *v, uint64_t va, const void *src, size_t len)
{
    uint8_t *p = guest_ptr(va, len, true);

    (void)v;
    if (!p)
        return -HVE_FAULT;
    memcpy(p, src, len);
    /* The core sends what it writes into former page tables to the stub. */
    if (fake.shadow && va < FAKE_ARG_VA) {
        for (size_t i = 0; i < len; i++)
            if (xen_mm_frame_was_pt(fake.d, (va + i) >> 12))
                fake.shadow[va + i] = p[i];
    }
    return 0;
}

int xen_translate(struct vcpu *v, uint64_t va, bool write, uint64_t *gpa)
{
    (void)v;
    if (!guest_ptr(va, 1, write) || va >= FAKE_ARG_VA)
        return -HVE_FAULT;
    *gpa = va;
    return 0;
}

uint8_t *xen_frame(struct domain *d, uint64_t mfn)
{
    if (mfn < d->xen->nr_pages)
        return d->mem + (mfn << 12);
    if (mfn >= FAKE_PRIV_MFN && mfn - FAKE_PRIV_MFN < FAKE_PRIV_FRAMES)
        return d->xen->priv + ((mfn - FAKE_PRIV_MFN) << 12);
    return NULL;
}

int xen_ptw_queue(struct vcpu *v, uint64_t gpa, uint64_t val)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);

    if ((gpa & 7) || (gpa >> 12) >= v->dom->xen->nr_pages)
        return -HVE_INVAL;
    if (xv->nr_ptw >= fake.ptw_max)
        return -HVE_NOMEM;
    if (xv->nr_ptw == xv->cap_ptw) {
        size_t cap = xv->cap_ptw ? 2 * xv->cap_ptw : 64;
        struct xen_ptw *p = realloc(xv->ptw, cap * sizeof(*p));
        if (!p)
            return -HVE_NOMEM;
        xv->ptw = p;
        xv->cap_ptw = cap;
    }
    xv->ptw[xv->nr_ptw].gpa = gpa;
    xv->ptw[xv->nr_ptw].val = val;
    xv->nr_ptw++;
    if (fake.shadow)
        memcpy(fake.shadow + gpa, &val, sizeof(val));
    return 0;
}

void xen_flush_request(struct vcpu *v, enum xen_flush kind, uint64_t va)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);

    if (kind == XEN_FLUSH_ALL || xv->flush == XEN_FLUSH_ALL ||
        (kind == XEN_FLUSH_INVLPG && xv->nr_flush_va == XEN_FLUSH_VA_MAX)) {
        xv->flush = XEN_FLUSH_ALL;
        return;
    }
    if (kind == XEN_FLUSH_INVLPG) {
        xv->flush = XEN_FLUSH_INVLPG;
        xv->flush_va[xv->nr_flush_va++] = va;
    }
}

struct xen_vcpu *xen_vcpu_of(struct vcpu *v)
{
    return &v->dom->xen->vcpu[v->id];
}

struct xen_dom *xen_dom_of(struct domain *d)
{
    return d->xen;
}

/* ---- invariants ------------------------------------------------------------ */

static char why[256];

#define BROKEN(...) (snprintf(why, sizeof(why), __VA_ARGS__), why)

struct expect {
    uint32_t refs;                  /* page-table references                */
    uint32_t wr;                    /* writable mappings                    */
    uint32_t maps;                  /* mappings                             */
};

/* The entries of validated table mfn, counted into e. */
static const char *check_table(const struct xen_mm *mm, uint64_t mfn, unsigned level,
                               struct expect *e)
{
    const struct xen_dom *x = fake.d->xen;
    const uint64_t *t = (const uint64_t *)(fake.d->mem + (mfn << 12));

    for (unsigned i = 0; i < XEN_MM_ENTRIES; i++) {
        uint64_t pte = t[i], child = (pte & XPTE_ADDR) >> 12;
        if (level == 4 && i >= XEN_HV_L4_FIRST && i <= XEN_HV_L4_LAST) {
            if (pte != (i == XEN_SLOT ? x->slot_l4e : 0))
                return BROKEN("L4 %#llx slot %u is %#llx", (unsigned long long)mfn, i,
                              (unsigned long long)pte);
            continue;
        }
        if (!(pte & XPTE_P))
            continue;
        if (!(pte & XPTE_US))
            return BROKEN("L%u %#llx[%u] = %#llx has no user bit", level,
                          (unsigned long long)mfn, i, (unsigned long long)pte);
        if (level > 1 && (pte & XPTE_PS))
            return BROKEN("L%u %#llx[%u] is a superpage", level, (unsigned long long)mfn, i);
        if (level == 1) {
            if (child < mm->nr_pages) {
                if (mm->frame[child].flags & XMF_RELEASED)
                    return BROKEN("L1 %#llx[%u] maps released frame %#llx",
                                  (unsigned long long)mfn, i, (unsigned long long)child);
                e[child].maps++;
                if (pte & XPTE_RW)
                    e[child].wr++;
            } else if (child == x->shared_info_gpa >> 12) {
                /* allowed, RO or RW */
            } else if (child - (x->m2p_gpa >> 12) < x->m2p_frames) {
                if (pte & XPTE_RW)
                    return BROKEN("L1 %#llx[%u] maps the M2P writable",
                                  (unsigned long long)mfn, i);
            } else {
                return BROKEN("L1 %#llx[%u] maps frame %#llx, not the guest's",
                              (unsigned long long)mfn, i, (unsigned long long)child);
            }
            continue;
        }
        if (child >= mm->nr_pages || mm->frame[child].type != level - 1 ||
            !mm->frame[child].type_count)
            return BROKEN("L%u %#llx[%u] -> %#llx, not a validated L%u", level,
                          (unsigned long long)mfn, i, (unsigned long long)child, level - 1);
        e[child].refs++;
    }
    return NULL;
}

const char *fake_check(void)
{
    const struct xen_mm *mm = fake.d->xen->mm;
    struct expect *e = calloc(mm->nr_pages, sizeof(*e));
    const char *bad = NULL;
    uint64_t released = 0;

    if (!e)
        return "out of memory";
    if (mm->broken)
        bad = BROKEN("%llu references were found missing", (unsigned long long)mm->broken);
    for (uint64_t f = 0; f < mm->nr_pages && !bad; f++) {
        const struct xen_mm_frame *fr = &mm->frame[f];
        if (fr->type >= XMT_L1 && fr->type <= XMT_L4 && fr->type_count)
            bad = check_table(mm, f, fr->type, e);
        if (fr->flags & XMF_PINNED)
            e[f].refs++;
    }
    for (unsigned i = 0; i < HV_MAX_VCPUS; i++) {
        const struct xen_vcpu *xv = &fake.d->xen->vcpu[i];
        if (xv->guest_table && xv->guest_table < mm->nr_pages)
            e[xv->guest_table].refs++;
        if (xv->guest_table_user && xv->guest_table_user < mm->nr_pages)
            e[xv->guest_table_user].refs++;
    }
    for (uint64_t f = 0; f < mm->nr_pages && !bad; f++) {
        const struct xen_mm_frame *fr = &mm->frame[f];
        uint32_t want;
        released += !!(fr->flags & XMF_RELEASED);
        switch (fr->type) {
        case XMT_NONE:
            want = 0;
            break;
        case XMT_WRITABLE:
            want = e[f].wr + fake.host_refs[f];
            break;
        case XMT_SEG_DESC:
            want = fake.seg_refs[f];
            break;
        default:
            want = e[f].refs;
            break;
        }
        if (fr->type_count != want || (fr->type == XMT_NONE && (e[f].refs || e[f].wr)) ||
            (fr->type != XMT_WRITABLE && (e[f].wr || fake.host_refs[f])) ||
            ((fr->type < XMT_L1 || fr->type > XMT_L4) && e[f].refs) ||
            (fr->type != XMT_SEG_DESC && fake.seg_refs[f]))
            bad = BROKEN("frame %#llx: type %u count %u, but %u table refs, %u writable "
                         "maps, %u host refs, %u GDT refs", (unsigned long long)f, fr->type,
                         fr->type_count, e[f].refs, e[f].wr, fake.host_refs[f], fake.seg_refs[f]);
        else if (fr->maps != e[f].maps)
            bad = BROKEN("frame %#llx: %u maps counted, %u in the tables",
                         (unsigned long long)f, fr->maps, e[f].maps);
        else if (fake.host_refs[f] && (fr->flags & XMF_WAS_PT))
            bad = BROKEN("frame %#llx: a page table once, hvcore writes it", (unsigned long long)f);
        else if ((fr->flags & XMF_PINNED) && (fr->type < XMT_L1 || fr->type > XMT_L4))
            bad = BROKEN("frame %#llx pinned with type %u", (unsigned long long)f, fr->type);
        else if (fr->type >= XMT_L1 && fr->type <= XMT_L4 && !(fr->flags & XMF_WAS_PT))
            bad = BROKEN("page table %#llx not marked as one", (unsigned long long)f);
    }
    if (!bad && released != mm->released)
        bad = BROKEN("%llu frames released, %llu counted", (unsigned long long)released,
                     (unsigned long long)mm->released);
    /* What the stub sees: a frame becomes known to it (KVM reads it) when
     * it first is a page table; from then on every write must reach it. */
    for (uint64_t f = 0; fake.shadow && f < mm->nr_pages && !bad; f++) {
        if (!(mm->frame[f].flags & XMF_WAS_PT))
            continue;
        if (!fake.ever_pt[f]) {
            fake.ever_pt[f] = 1;
            memcpy(fake.shadow + (f << 12), fake.d->mem + (f << 12), 4096);
        } else if (memcmp(fake.shadow + (f << 12), fake.d->mem + (f << 12), 4096)) {
            /* KVM reads an entry it holds as not present afresh when a
             * fault goes through it: only a present one can be stale. */
            uint64_t *sh = (uint64_t *)(fake.shadow + (f << 12));
            const uint64_t *m = (const uint64_t *)(fake.d->mem + (f << 12));
            for (unsigned i = 0; i < 512 && !bad; i++) {
                if (sh[i] == m[i])
                    continue;
                if (sh[i] & XPTE_P)
                    bad = BROKEN("frame %#llx entry %u: a write the stub did not get",
                                 (unsigned long long)f, i);
                else
                    sh[i] = m[i];
            }
        }
    }
    free(e);
    return bad;
}

/* ---- the guest's side ------------------------------------------------------ */

uint64_t *fake_table(uint64_t mfn)
{
    return (uint64_t *)(fake.d->mem + (mfn << 12));
}

void fake_build_boot(uint64_t user)
{
    const uint64_t rw = XPTE_P | XPTE_RW | XPTE_A | XPTE_D;

    fake_table(1)[511] = (2 << 12) | rw | user;
    fake_table(1)[XEN_SLOT] = FAKE_SLOT_L4E;
    fake_table(2)[510] = (3 << 12) | rw | user;
    fake_table(3)[0] = (4 << 12) | rw | user;
    for (uint64_t f = 0; f < fake.d->xen->nr_pages; f++)
        fake_table(4)[f] = (f << 12) | (f >= 1 && f <= 4 ? rw & ~XPTE_RW : rw) | user;
}

int fake_boot(uint64_t nr_pages)
{
    if (fake_init(nr_pages, true) < 0)
        return -1;
    fake_build_boot(XPTE_US);
    if (xen_mm_adopt_boot(fake.v, 1) < 0)
        return -1;
    fake_ran();
    return 0;
}

int64_t fake_mmu_n(unsigned n, const struct xen_mmu_update *r)
{
    uint64_t a[6] = { FAKE_REQ_VA, n, FAKE_DONE_VA, XEN_DOMID_SELF, 0, 0 };

    memcpy(fake.args, r, n * sizeof(*r));
    memcpy(fake.args + (FAKE_DONE_VA - FAKE_ARG_VA), &(uint32_t){ 0xdead }, 4);
    return xen_hc_mmu_update(fake.v, a);
}

int64_t fake_mmu(uint64_t mfn, unsigned idx, uint64_t val, unsigned cmd)
{
    struct xen_mmu_update r = { (mfn << 12) | ((uint64_t)idx << 3) | cmd, val };

    return fake_mmu_n(1, &r);
}

int64_t fake_ext(uint32_t cmd, uint64_t arg1, uint64_t arg2)
{
    struct xen_mmuext_op op = { .cmd = cmd, .arg1 = arg1, .arg2 = arg2 };
    uint64_t a[6] = { FAKE_REQ_VA, 1, FAKE_DONE_VA, XEN_DOMID_SELF, 0, 0 };

    memcpy(fake.args, &op, sizeof(op));
    return xen_hc_mmuext_op(fake.v, a);
}

int64_t fake_uvm(uint64_t va, uint64_t val, uint64_t flags)
{
    uint64_t a[6] = { va, val, flags, 0, 0, 0 };

    return xen_hc_update_va_mapping(fake.v, a);
}

uint32_t fake_done(void)
{
    uint32_t done;

    memcpy(&done, fake.args + (FAKE_DONE_VA - FAKE_ARG_VA), sizeof(done));
    return done;
}

bool fake_queued(uint64_t mfn, unsigned idx, uint64_t val)
{
    uint64_t gpa = (mfn << 12) | ((uint64_t)idx << 3);

    for (size_t i = 0; i < fake.xv->nr_ptw; i++)
        if (fake.xv->ptw[i].gpa == gpa && fake.xv->ptw[i].val == val)
            return true;
    return false;
}
