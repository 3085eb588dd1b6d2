/*
 * xen_cpuid.c - what a Xen-PV guest's forced cpuid (`ud2; .ascii "xen";
 * cpuid`) returns: the host's leaves with the features a kernel at CPL 3
 * under hvcore cannot use taken out (as Xen does for PV guests), and
 * Xen's own leaves.
 *
 * Pages are 4 KiB only (no PSE, PSE36 or PGE), as for Xen's PV guests.
 * XSAVE (and with it AVX and everything built on it) is hidden: the guest
 * keeps to FXSAVE, whose state KVM preserves without an XCR0 of the
 * guest's.  No APIC, MTRR, MCE, monitor/mwait, PCID, FSGSBASE, SMEP/SMAP,
 * PKU or LA57 either: each needs ring 0 or a virtual device hvcore does
 * not offer.
 */
#include <cpuid.h>
#include <string.h>

#include "xen_trap.h"

#define BIT(n) (1u << (n))

static void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    __cpuid_count(leaf, sub, out[0], out[1], out[2], out[3]);
}

void xen_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    memset(out, 0, 4 * sizeof(uint32_t));
    if (leaf >= 0x40000000 && leaf < 0x40000100) {
        switch (leaf) {
        case 0x40000000:
            out[0] = 0x40000002;
            memcpy(&out[1], "XenV", 4);
            memcpy(&out[2], "MMXe", 4);
            memcpy(&out[3], "nVMM", 4);
            break;
        case 0x40000001:
            out[0] = (4u << 16) | 17;       /* Xen 4.17 */
            break;
        case 0x40000002:
            out[0] = 1;                     /* hypercall pages: unused by PV */
            out[1] = 0x40000000;
            break;
        }
        return;
    }
    uint32_t max_basic[4], max_ext[4];
    host_cpuid(0, 0, max_basic);
    host_cpuid(0x80000000, 0, max_ext);
    if (leaf < 0x80000000 ? leaf > max_basic[0] : leaf > max_ext[0])
        return;
    host_cpuid(leaf, sub, out);
    switch (leaf) {
    case 0:
        if (out[0] > 0xd)
            out[0] = 0xd;
        break;
    case 1:
        out[2] &= ~(BIT(3) | BIT(4) | BIT(5) | BIT(6) | BIT(7) | BIT(8) | BIT(12) | BIT(15) |
                    BIT(17) | BIT(18) | BIT(21) | BIT(24) | BIT(26) | BIT(27) | BIT(28) | BIT(29));
        out[2] |= BIT(31);                  /* running on a hypervisor */
        /* no PSE, PGE or PSE36: PV page tables have 4 KiB pages only */
        out[3] &= ~(BIT(3) | BIT(7) | BIT(9) | BIT(12) | BIT(13) | BIT(14) | BIT(17) | BIT(18) |
                    BIT(21) | BIT(22) | BIT(29) | BIT(31));
        break;
    case 7:
        if (sub == 0) {
            out[0] = 0;
            out[1] &= BIT(3) | BIT(8) | BIT(9) | BIT(18) | BIT(19) | BIT(23) | BIT(24) | BIT(29);
        } else {
            out[1] = 0;
        }
        out[2] = out[3] = 0;
        break;
    case 2: case 4: case 0x80000005: case 0x80000006:
        break;                              /* caches: as the host's */
    case 0x80000000: case 0x80000002: case 0x80000003: case 0x80000004:
    case 0x80000008:
        break;
    case 0x80000001:
        out[2] &= BIT(0) | BIT(5) | BIT(8);
        out[3] &= BIT(11) | BIT(20) | BIT(29) | 0x0183f3ffu;  /* syscall, NX, LM, base */
        out[3] &= ~(BIT(3) | BIT(7) | BIT(9) | BIT(12) | BIT(13) | BIT(14) | BIT(17) |
                    BIT(26) | BIT(27));
        break;
    case 0x80000007:
        out[0] = out[1] = out[2] = 0;
        out[3] &= BIT(8);                   /* invariant TSC */
        break;
    default:
        memset(out, 0, 4 * sizeof(uint32_t));
        break;
    }
}
