/*
 * xen_misc.c - the small hypercalls of a Xen-PV domain: xen_version (17),
 * console_io (18), vm_assist (21) and physdev_op (33).
 *
 * hvcore reports itself as Xen 4.17 with the features a 64-bit PV Linux
 * needs (it panics without mmu_pt_update_preserve_ad and
 * gnttab_map_avail_bits).  console_io(write) is the guest's early console,
 * written straight to hvcore's console sinks; the ring (xen_console.c) is
 * the real one.
 */
#include <string.h>

#include "console.h"
#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"

#define XEN_VERSION_REPORTED  0x00040011u        /* 4.17 */
#define XEN_EXTRAVERSION      ".0"
#define XEN_CAPABILITIES      "xen-3.0-x86_64"
/* Where the hypervisor's hole starts (L4 slot XEN_HV_L4_FIRST). */
#define XEN_VIRT_START        0xffff800000000000ULL
#define XEN_PAGE_SIZE         4096

/* Sizes of Xen's fixed-size answers (xen/include/public/version.h). */
#define EXTRAVERSION_LEN      16
#define COMPILE_INFO_LEN      (64 + 16 + 32 + 32)
#define CAPABILITIES_LEN      1024
#define CHANGESET_LEN         64
#define COMMANDLINE_LEN       1024
#define DOMAIN_HANDLE_LEN     16

/* console_io(write): bytes taken per call (more are dropped), and per
 * copy from the guest. */
#define CONSOLE_IO_MAX        (16 * 1024)
#define CONSOLE_IO_CHUNK      1024

/* Submap 0 of get_features: what 64-bit PV Linux requires of Xen. */
#define FEATURES_SUBMAP0 ((1u << XEN_FEAT_pae_pgdir_above_4gb) |          \
                          (1u << XEN_FEAT_mmu_pt_update_preserve_ad) |    \
                          (1u << XEN_FEAT_gnttab_map_avail_bits))

/* vm_assist types Xen accepts for a 64-bit PV guest.  Types 0-31 are
 * recorded in d->xen->vm_assist; m2p_strict (32) in d->xen->m2p_strict. */
#define VMASST_VALID ((1ULL << XEN_VMASST_TYPE_4gb_segments) |              \
                      (1ULL << XEN_VMASST_TYPE_4gb_segments_notify) |       \
                      (1ULL << XEN_VMASST_TYPE_writable_pagetables) |       \
                      (1ULL << XEN_VMASST_TYPE_pae_extended_cr3) |          \
                      (1ULL << XEN_VMASST_TYPE_architectural_iopl) |        \
                      (1ULL << XEN_VMASST_TYPE_runstate_update_flag) |      \
                      (1ULL << XEN_VMASST_TYPE_m2p_strict))

/* A string answer: len bytes (at most the largest, CAPABILITIES_LEN),
 * NUL-padded. */
static int64_t put_string(struct vcpu *v, uint64_t va, const char *s, size_t len)
{
    char buf[CAPABILITIES_LEN];
    size_t n = strlen(s);

    if (len > sizeof(buf))
        len = sizeof(buf);
    if (n >= len)
        n = len - 1;
    memset(buf, 0, len);
    memcpy(buf, s, n);
    return xen_copy_to_guest(v, va, buf, len) < 0 ? -HVE_FAULT : 0;
}

static int64_t get_features(struct vcpu *v, uint64_t va)
{
    struct xen_feature_info fi;

    if (xen_copy_from_guest(v, va, &fi, sizeof(fi)) < 0)
        return -HVE_FAULT;
    fi.submap = fi.submap_idx == 0 ? FEATURES_SUBMAP0 : 0;
    return xen_copy_to_guest(v, va, &fi, sizeof(fi)) < 0 ? -HVE_FAULT : 0;
}

int64_t xen_hc_xen_version(struct vcpu *v, const uint64_t a[6])
{
    uint64_t va = a[1];

    switch (a[0]) {
    case XEN_XENVER_version:
        /* Also Linux's way to force a pending upcall: keep it cheap. */
        return XEN_VERSION_REPORTED;
    case XEN_XENVER_extraversion:
        return put_string(v, va, XEN_EXTRAVERSION, EXTRAVERSION_LEN);
    case XEN_XENVER_compile_info:
        return put_string(v, va, "", COMPILE_INFO_LEN);
    case XEN_XENVER_capabilities:
        return put_string(v, va, XEN_CAPABILITIES, CAPABILITIES_LEN);
    case XEN_XENVER_changeset:
        return put_string(v, va, "", CHANGESET_LEN);
    case XEN_XENVER_commandline:
        return put_string(v, va, "", COMMANDLINE_LEN);
    case XEN_XENVER_platform_parameters: {
        uint64_t virt_start = XEN_VIRT_START;
        return xen_copy_to_guest(v, va, &virt_start, sizeof(virt_start)) < 0 ? -HVE_FAULT : 0;
    }
    case XEN_XENVER_get_features:
        return get_features(v, va);
    case XEN_XENVER_pagesize:
        return XEN_PAGE_SIZE;
    case XEN_XENVER_guest_handle:
        return xen_copy_to_guest(v, va, v->dom->uuid, DOMAIN_HANDLE_LEN) < 0 ? -HVE_FAULT : 0;
    default:                        /* build_id included: hvcore has none */
        return -HVE_NOSYS;
    }
}

int64_t xen_hc_console_io(struct vcpu *v, const uint64_t a[6])
{
    char buf[CONSOLE_IO_CHUNK];
    uint64_t count = a[1], va = a[2];

    switch (a[0]) {
    case XEN_CONSOLEIO_write:
        if (count > CONSOLE_IO_MAX)
            count = CONSOLE_IO_MAX;
        while (count) {
            size_t n = count < sizeof(buf) ? (size_t)count : sizeof(buf);
            if (xen_copy_from_guest(v, va, buf, n) < 0)
                return -HVE_FAULT;
            console_output(v->dom, buf, n);
            va += n;
            count -= n;
        }
        return 0;
    case XEN_CONSOLEIO_read:
        return 0;                   /* input comes through the ring */
    default:
        return -HVE_NOSYS;
    }
}

int64_t xen_hc_vm_assist(struct vcpu *v, const uint64_t a[6])
{
    struct xen_dom *x = v->dom->xen;
    uint64_t cmd = a[0], type = a[1];
    bool on;

    if (type >= 64 || !(VMASST_VALID & (1ULL << type)))
        return -HVE_INVAL;
    if (cmd == XEN_VMASST_CMD_enable)
        on = true;
    else if (cmd == XEN_VMASST_CMD_disable)
        on = false;
    else
        return -HVE_NOSYS;
    if (type == XEN_VMASST_TYPE_m2p_strict)
        x->m2p_strict = on;
    else if (on)
        x->vm_assist |= 1u << type;
    else
        x->vm_assist &= ~(1u << type);
    return 0;
}

int64_t xen_hc_physdev_op(struct vcpu *v, const uint64_t a[6])
{
    uint32_t iopl;

    switch (a[0]) {
    case XEN_PHYSDEVOP_set_iopl:
        if (xen_copy_from_guest(v, a[1], &iopl, sizeof(iopl)) < 0)
            return -HVE_FAULT;
        if (iopl > 3)
            return -HVE_INVAL;
        xen_vcpu_of(v)->iopl = iopl;
        return 0;
    default:                        /* no I/O bitmap, no physical devices */
        return -HVE_NOSYS;
    }
}
