/*
 * xen_patch.c - this_cpu_cmpxchg16b_emu found in a Linux kernel's code
 * and made the instruction it emulates (xen_patch.h says why).
 */
#include <string.h>

#include "xen_patch.h"

#define ANY 0x100               /* a branch displacement: any byte */

/* Linux 4.x-6.x's arch/x86/lib/cmpxchg16b_emu.S up to its first return. */
static const uint16_t cx16_emu[XEN_PATCH_CX16_MATCH] = {
    0x9c,                                   /* pushfq                    */
    0xfa,                                   /* cli                       */
    0x65, 0x48, 0x3b, 0x06,                 /* cmp %gs:(%rsi),%rax       */
    0x75, ANY,                              /* jne .Lnot_same            */
    0x65, 0x48, 0x3b, 0x56, 0x08,           /* cmp %gs:0x8(%rsi),%rdx    */
    0x75, ANY,                              /* jne .Lnot_same            */
    0x65, 0x48, 0x89, 0x1e,                 /* mov %rbx,%gs:(%rsi)       */
    0x65, 0x48, 0x89, 0x4e, 0x08,           /* mov %rcx,%gs:0x8(%rsi)    */
    0x9d,                                   /* popfq                     */
    0xb0, 0x01,                             /* mov $1,%al                */
};                                          /* then RET: left as it is   */

static const uint8_t cx16_insn[XEN_PATCH_CX16_LEN] = {
    0x65, 0x48, 0x0f, 0xc7, 0x0e,           /* cmpxchg16b %gs:(%rsi)     */
    0x0f, 0x94, 0xc0,                       /* setz %al                  */
    0xeb, XEN_PATCH_CX16_MATCH - XEN_PATCH_CX16_LEN,  /* jmp to the RET  */
};

static int matches(const uint8_t *p)
{
    for (size_t i = 0; i < XEN_PATCH_CX16_MATCH; i++)
        if (cx16_emu[i] != ANY && p[i] != cx16_emu[i])
            return 0;
    return 1;
}

unsigned xen_patch_cx16_scan(const uint8_t *code, size_t len, size_t *first)
{
    unsigned n = 0;
    size_t at = 0;

    while (len - at >= XEN_PATCH_CX16_MATCH) {
        /* memchr for the rare first byte, then the whole sequence. */
        const uint8_t *p = memchr(code + at, 0x9c, len - at - XEN_PATCH_CX16_MATCH + 1);
        if (!p)
            break;
        at = (size_t)(p - code);
        if (matches(p)) {
            if (n++ == 0)
                *first = at;
            at += XEN_PATCH_CX16_MATCH;
        } else {
            at++;
        }
    }
    return n;
}

void xen_patch_cx16_apply(uint8_t *fn)
{
    memcpy(fn, cx16_insn, sizeof(cx16_insn));
}
