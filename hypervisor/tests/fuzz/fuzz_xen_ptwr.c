/*
 * fuzz_xen_ptwr.c - libFuzzer harness for the decoder of a Xen-PV guest
 * kernel's direct writes into its L1 tables (src/xen_ptwr.c), on the fake
 * vCPU of tests/xen_core_fake.h (VA == gpa, the L1 table in frame L1, the
 * instruction in frame CODE at a chosen offset, so it may run into the
 * next frame, which may be unreadable).
 *
 * Input (short inputs are padded with zeros):
 *   0   16 instruction bytes at rip
 *   16  16 general registers, 8 bytes each, in instruction-set order
 *   144 rflags (8)
 *   152 the old entry (8), at the 8-byte slot holding cr2
 *   160 cr2's offset in the L1 frame (2, low 12 bits)
 *   162 the error code (1)
 *   163 bits: 0 user mode, 1 the frame after rip's unreadable,
 *       2 the L1 update refused, 3 cr2 in a frame that is no L1 table
 *   164 rip's offset in its frame (2, low 12 bits)
 *
 * Checked: it never reads guest memory past the 16 bytes at rip; false
 * leaves every register and all guest memory as they were; true is only
 * for a kernel-mode present write fault on an L1 table whose update is
 * accepted, moves rip by 1..15 within the bytes it could read, changes
 * only the 8-byte entry that holds cr2, at most one general register and
 * only the arithmetic flags of rflags.  ASan/UBSan catch the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_check.h"
#include "../xen_core_fake.h"
#include "xen_ptwr.h"
#include "xen_vcpu.h"

#define L1     5                        /* the L1 table                   */
#define NOT_L1 6                        /* a frame that is no table       */
#define CODE   2                        /* rip's frame; CODE + 1 follows  */
#define IN_LEN 166

/* CF PF AF ZF SF OF: what an instruction it handles may change */
#define ARITH_FLAGS 0x8d5ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t before[CF_RAM];
    uint8_t in[IN_LEN];

    memset(in, 0, sizeof(in));
    memcpy(in, data, size < sizeof(in) ? size : sizeof(in));
    if (cf_init() < 0)
        return 0;

    unsigned bits = in[163];
    uint64_t frame = (bits & 8) ? NOT_L1 : L1;
    uint64_t cr2 = (frame << 12) | (le(in + 160, 2) & 0xfff);
    uint64_t slot = cr2 & ~7ULL;
    uint64_t rip = ((uint64_t)CODE << 12) | (le(in + 164, 2) & 0xfff);
    uint64_t err = in[162];

    cf.is_l1[L1] = true;
    cf.l1_refuse = (bits & 4) != 0;
    cf.xv->kernel_mode = !(bits & 1);
    /* the frame after rip's cannot be read: the rest of the 16 bytes is
     * not there for the decoder */
    uint64_t readable = 16;
    if (bits & 2) {
        cf.unread_lo = (uint64_t)(CODE + 1) << 12;
        cf.unread_hi = cf.unread_lo + 4096;
        readable = cf.unread_lo - rip < 16 ? cf.unread_lo - rip : 16;
    }
    memcpy(cf_ram(rip), in, 16);
    for (unsigned i = 0; i < 16; i++)
        *xen_gpr(cf.r, i) = le(in + 16 + 8 * i, 8);
    cf.r->rflags = le(in + 144, 8);
    cf.r->rip = rip;
    uint64_t old = le(in + 152, 8);
    memcpy(cf_ram(slot), &old, 8);

    struct kvm_regs regs = *cf.r;
    memcpy(before, cf_ram(0), CF_RAM);

    bool handled = xen_ptwr_fault(cf.v, cr2, err);

    CHECK(cf.max_read <= rip + 16, "read guest memory up to %#llx, the instruction at %#llx",
          (unsigned long long)cf.max_read, (unsigned long long)rip);
    CHECK(cf.crashes == 0, "crashed the guest: %s", cf.crash);
    if (!handled) {
        CHECK(memcmp(&regs, cf.r, sizeof(regs)) == 0, "refused but changed a register");
        CHECK(memcmp(before, cf_ram(0), CF_RAM) == 0, "refused but changed guest memory");
        cf_fini();
        return 0;
    }

    uint64_t step = cf.r->rip - rip;
    CHECK(cf.xv->kernel_mode, "handled a user-mode fault");
    CHECK((err & 3) == 3, "handled error code %#llx, no present write",
          (unsigned long long)err);
    CHECK(frame == L1 && !cf.l1_refuse, "handled a write the L1 update would not take");
    CHECK(cf.l1_updates == 1, "%u L1 updates for one instruction", cf.l1_updates);
    CHECK(step >= 1 && step <= 15, "rip moved by %llu", (unsigned long long)step);
    CHECK(step <= readable, "rip moved by %llu past the %llu bytes it could read",
          (unsigned long long)step, (unsigned long long)readable);
    CHECK(memcmp(before, cf_ram(0), slot) == 0 &&
              memcmp(before + slot + 8, cf_ram(slot + 8), CF_RAM - slot - 8) == 0,
          "changed guest memory besides the entry at %#llx", (unsigned long long)slot);
    unsigned changed = 0;
    for (unsigned i = 0; i < 16; i++)
        changed += *xen_gpr(&regs, i) != *xen_gpr(cf.r, i);
    CHECK(changed <= 1, "changed %u registers", changed);
    CHECK(((regs.rflags ^ cf.r->rflags) & ~ARITH_FLAGS) == 0,
          "rflags %#llx -> %#llx beyond the arithmetic flags",
          (unsigned long long)regs.rflags, (unsigned long long)cf.r->rflags);
    cf_fini();
    return 0;
}
