/*
 * xen_ptwr.c - writes of the guest kernel into its own page tables.
 *
 * Linux's PV code updates page tables through hypercalls, but the generic
 * x86 helpers write entries of live L1 tables in place: ptep_get_and_clear
 * (xchg) when unmapping, ptep_set_wrprotect (lock btr/and) on fork,
 * ptep_test_and_clear_young (lock btr) when ageing.  The tables are mapped
 * read-only, so each such write faults; as Xen's "writable page tables"
 * assist does, hvcore decodes the one instruction, checks the new entry as
 * mmu_update would (xen_mm_update_l1), applies it and steps past it.
 *
 * Only the instructions those helpers compile to are handled, 8-byte wide
 * (or narrower inside one entry): mov, xchg, cmpxchg, and/or with an
 * immediate or register, and bt[rsc] with an immediate or register bit
 * index; anything else is left to the guest's page-fault handler.
 */
#include <string.h>

#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_mm.h"
#include "xen_mm_type.h"
#include "xen_ptwr.h"
#include "xen_vcpu.h"

#define PFEC_PRESENT (1u << 0)
#define PFEC_WRITE   (1u << 1)

#define FL_CF (1ULL << 0)
#define FL_PF (1ULL << 2)
#define FL_ZF (1ULL << 6)
#define FL_SF (1ULL << 7)
#define FL_OF (1ULL << 11)

/* Length of a ModRM memory operand's bytes after the ModRM byte (SIB and
 * displacement); -1 for a register operand. */
static int modrm_tail(const uint8_t *p, size_t avail)
{
    uint8_t modrm = p[0];
    unsigned mod = modrm >> 6, rm = modrm & 7;
    int n = 0;

    if (mod == 3)
        return -1;
    if (rm == 4) {
        if (avail < 2)
            return -1;
        n++;                                /* SIB */
        if (mod == 0 && (p[1] & 7) == 5)
            n += 4;                         /* no base: disp32 */
    } else if (mod == 0 && rm == 5) {
        n += 4;                             /* rip-relative */
    }
    if (mod == 1)
        n += 1;
    else if (mod == 2)
        n += 4;
    return n;
}

#define INSN_MAX 15                     /* the longest x86 instruction */

/* Register operand reg of bytes width: without a REX prefix, byte
 * operands 4-7 are AH, CH, DH, BH. */
static uint64_t *reg_at(struct kvm_regs *r, unsigned reg, unsigned bytes, unsigned rex,
                        unsigned *shift)
{
    bool high = bytes == 1 && !rex && reg >= 4 && reg < 8;

    *shift = high ? 8 : 0;
    return xen_gpr(r, high ? reg - 4 : reg);
}

/* Write a register operand as the CPU does: 32-bit writes zero-extend,
 * narrower ones keep the rest of the register. */
static void reg_put(uint64_t *p, unsigned shift, unsigned bytes, uint64_t val)
{
    uint64_t mask = bytes == 8 ? ~0ULL : ((1ULL << (bytes * 8)) - 1);

    *p = bytes >= 4 ? val & mask : (*p & ~(mask << shift)) | ((val & mask) << shift);
}

/* The sign-extended immediate of size bytes at b[*len], if the
 * instruction still fits in lim bytes. */
static bool imm_at(const uint8_t *b, unsigned *len, unsigned lim, unsigned size, uint64_t *imm)
{
    int8_t i8;
    int16_t i16;
    int32_t i32;

    if (*len + size > lim)
        return false;
    if (size == 1) {
        memcpy(&i8, b + *len, 1);
        *imm = (uint64_t)(int64_t)i8;
    } else if (size == 2) {
        memcpy(&i16, b + *len, 2);
        *imm = (uint64_t)(int64_t)i16;
    } else {
        memcpy(&i32, b + *len, 4);
        *imm = (uint64_t)(int64_t)i32;
    }
    *len += size;
    return true;
}

static uint64_t logic_flags(uint64_t rflags, uint64_t v, unsigned bytes)
{
    unsigned bits = bytes * 8;
    uint64_t mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;

    v &= mask;
    rflags &= ~(FL_CF | FL_PF | FL_ZF | FL_SF | FL_OF);
    if (!v)
        rflags |= FL_ZF;
    if (v >> (bits - 1) & 1)
        rflags |= FL_SF;
    if (!(__builtin_popcount((unsigned)(v & 0xff)) & 1))
        rflags |= FL_PF;
    return rflags;
}

bool xen_ptwr_fault(struct vcpu *v, uint64_t cr2, uint64_t err)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct kvm_regs *r = &v->run->s.regs.regs;
    uint64_t gpa;
    uint8_t b[16];

    if (!xv->kernel_mode || (err & (PFEC_PRESENT | PFEC_WRITE)) != (PFEC_PRESENT | PFEC_WRITE))
        return false;
    if (xen_translate(v, cr2, false, &gpa) < 0 || !xen_mm_frame_is_l1(v->dom, gpa >> 12))
        return false;
    memset(b, 0, sizeof(b));
    size_t got = 4096 - (r->rip & 0xfff) < sizeof(b) ? 4096 - (r->rip & 0xfff) : sizeof(b);
    if (xen_copy_from_guest(v, r->rip, b, got) < 0)
        return false;
    if (got < sizeof(b) &&                  /* the rest on the next page */
        xen_copy_from_guest(v, r->rip + got, b + got, sizeof(b) - got) == 0)
        got = sizeof(b);
    unsigned lim = got < INSN_MAX ? (unsigned)got : INSN_MAX;

    unsigned i = 0, rex = 0;
    bool opsize16 = false;
    for (; i < 6; i++) {
        /* lock (or the ds prefix Linux's alternatives put in its place on
         * one CPU): hvcore's update is atomic anyway; segment overrides do
         * not matter, cr2 is the address */
        if (b[i] == 0xf0 || b[i] == 0x3e || b[i] == 0x2e || b[i] == 0x26 || b[i] == 0x36 ||
            b[i] == 0x64 || b[i] == 0x65)
            continue;
        if (b[i] == 0x66) {
            opsize16 = true;
            continue;
        }
        if ((b[i] & 0xf0) == 0x40) {
            rex = b[i];
            i++;
        }
        break;
    }
    bool two = b[i] == 0x0f;
    uint8_t op = two ? b[i + 1] : b[i];
    unsigned at = i + (two ? 2 : 1);        /* the ModRM byte */
    uint8_t modrm = b[at];
    int tail = modrm_tail(b + at, sizeof(b) - at);
    if (tail < 0)
        return false;
    unsigned reg = ((modrm >> 3) & 7) | (rex & 4 ? 8 : 0);
    unsigned len = at + 1 + (unsigned)tail;
    unsigned bytes = (rex & 8) ? 8 : opsize16 ? 2 : 4;

    uint64_t entry_gpa = gpa & ~7ULL;
    unsigned shift = (unsigned)(gpa & 7) * 8;
    uint64_t old = __atomic_load_n((uint64_t *)(v->dom->mem + entry_gpa), __ATOMIC_RELAXED);
    uint64_t cur, val, rflags = r->rflags;

    if (!two && (op == 0x80 || op == 0x88 || op == 0x86 || op == 0x08 || op == 0x20))
        bytes = 1;
    unsigned src_shift;
    uint64_t *src = reg_at(r, reg, bytes, rex, &src_shift);
    uint64_t src_val = *src >> src_shift;
    /* a register the instruction writes, once the entry is accepted */
    uint64_t *wreg = NULL, wval = 0;
    unsigned wshift = 0;
    unsigned isz = bytes == 2 ? 2 : 4;      /* imm16 or imm32 */
    if (len > lim)
        return false;
    if ((gpa & 7) + bytes > 8)
        return false;                       /* across two entries */
    uint64_t mask = bytes == 8 ? ~0ULL : ((1ULL << (bytes * 8)) - 1);
    cur = (old >> shift) & mask;

    if (!two && (op == 0x89 || op == 0x88)) {               /* mov */
        val = src_val & mask;
    } else if (!two && (op == 0x87 || op == 0x86)) {        /* xchg */
        val = src_val & mask;
        wreg = src;
        wshift = src_shift;
        wval = cur;
    } else if (!two && op == 0xc7 && ((modrm >> 3) & 7) == 0) { /* mov $imm */
        uint64_t imm;
        if (!imm_at(b, &len, lim, isz, &imm))
            return false;
        val = imm & mask;
    } else if (!two && (op == 0x80 || op == 0x81 || op == 0x83) &&
               (((modrm >> 3) & 7) == 4 || ((modrm >> 3) & 7) == 1)) { /* and/or $imm */
        uint64_t imm;
        if (!imm_at(b, &len, lim, op == 0x81 ? isz : 1, &imm))
            return false;
        val = (((modrm >> 3) & 7) == 4 ? cur & imm : cur | imm) & mask;
        rflags = logic_flags(rflags, val, bytes);
    } else if (!two && (op == 0x21 || op == 0x20 || op == 0x09 || op == 0x08)) { /* and/or reg */
        bool is_and = op == 0x21 || op == 0x20;
        val = (is_and ? cur & src_val : cur | src_val) & mask;
        rflags = logic_flags(rflags, val, bytes);
    } else if (two && op == 0xb1) {                         /* cmpxchg */
        if ((r->rax & mask) == cur) {
            val = src_val & mask;
            rflags |= FL_ZF;
        } else {
            val = cur;
            wreg = xen_gpr(r, 0);           /* rax */
            wval = cur;
            rflags &= ~FL_ZF;
        }
    } else if (two && (op == 0xba || op == 0xab || op == 0xb3 || op == 0xbb)) { /* bt[src] */
        unsigned kind, bit;
        if (op == 0xba) {
            kind = (modrm >> 3) & 7;        /* 5 bts, 6 btr, 7 btc */
            if (kind < 5)
                return false;
            if (len + 1 > lim)
                return false;
            bit = b[len] % (bytes * 8);
            len += 1;
        } else {
            kind = op == 0xab ? 5 : op == 0xb3 ? 6 : 7;
            uint64_t idx = src_val;
            if (idx >= bytes * 8)
                return false;               /* a bit in another word */
            bit = (unsigned)idx;
        }
        uint64_t m = 1ULL << bit;
        rflags = (rflags & ~FL_CF) | ((cur & m) ? FL_CF : 0);
        val = kind == 5 ? cur | m : kind == 6 ? cur & ~m : cur ^ m;
    } else {
        return false;
    }
    uint64_t entry = (old & ~(mask << shift)) | (val << shift);
    if (xen_mm_update_l1(v, entry_gpa, entry) < 0)
        return false;                       /* refused: the guest's #PF */
    if (wreg)
        reg_put(wreg, wshift, bytes, wval);
    r->rflags = rflags;
    r->rip += len;
    return true;
}

bool xen_mm_frame_is_l1(struct domain *d, uint64_t mfn)
{
    const struct xen_mm *mm = xen_type_mm(d);

    return mm && mfn < d->xen->nr_pages && xen_type_is_table(mm, mfn, 1);
}

int xen_mm_update_l1(struct vcpu *v, uint64_t entry_gpa, uint64_t val)
{
    return xen_type_mod_entry(v, entry_gpa >> 12, (unsigned)(entry_gpa & 0xfff) >> 3, val,
                              false);
}
