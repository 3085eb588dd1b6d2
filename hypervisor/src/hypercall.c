/*
 * hypercall.c - the guest's calls into hvcore.
 *
 * Arguments are guest-controlled: every pointer and length is checked by
 * memory.c, every index against its table, and data is copied out of
 * guest memory once before it is used.  A hostile guest gets -HVE_*
 * codes; nothing it passes can crash or stall hvcore.
 */
#include <linux/kvm.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "console.h"
#include "device.h"
#include "domain.h"
#include "evtchn.h"
#include "guest_time.h"
#include "hvcore.h"
#include "hypercall.h"
#include "memory.h"
#include "public/errno.h"
#include "public/layout.h"
#include "vcpu.h"

static int64_t hc_console_io(struct vcpu *v, uint64_t op, uint64_t len, uint64_t buf)
{
    struct domain *d = v->dom;
    char tmp[HV_CONSOLEIO_MAX];

    switch (op) {
    case CONSOLEIO_write:
        if (len > sizeof(tmp))
            return -HVE_INVAL;
        if (mem_copy_from_guest(d, tmp, buf, len) < 0)
            return -HVE_FAULT;
        console_output(d, tmp, len);
        return (int64_t)len;
    case CONSOLEIO_read:
        if (len > sizeof(tmp))
            len = sizeof(tmp);
        if (!mem_range_ok(d, buf, len, true))
            return -HVE_FAULT;
        len = console_read_input(d, tmp, len);
        mem_copy_to_guest(d, buf, tmp, len);
        return (int64_t)len;
    case CONSOLEIO_flush:
        console_flush_ring(d);
        return 0;
    default:
        return -HVE_NOSYS;
    }
}

static int64_t hc_set_timer(struct vcpu *v, uint64_t deadline_ns)
{
    return guest_timer_arm(v, deadline_ns);
}

static int64_t hc_sched_op(struct vcpu *v, uint64_t op, uint64_t arg, enum hc_next *next)
{
    switch (op) {
    case SCHEDOP_yield:
        sched_yield();
        return 0;
    case SCHEDOP_block:
        vcpu_block(v);
        return 0;
    case SCHEDOP_shutdown:
        switch (arg) {
        case SHUTDOWN_poweroff:
            domain_end(v->dom, END_POWEROFF, "guest powered off");
            break;
        case SHUTDOWN_reboot:
            domain_end(v->dom, END_REBOOT, "guest rebooted");
            break;
        case SHUTDOWN_crash:
            domain_end(v->dom, END_CRASH, "guest reported a crash");
            break;
        default:
            return -HVE_INVAL;
        }
        *next = HC_DOMAIN_END;
        return 0;
    default:
        return -HVE_NOSYS;
    }
}

static int64_t hc_vcpu_op(struct vcpu *v, uint64_t op, uint64_t id, uint64_t arg,
                          enum hc_next *next)
{
    struct domain *d = v->dom;
    struct hv_vcpu_context ctx;

    if (id >= d->max_vcpus)
        return -HVE_INVAL;
    switch (op) {
    case VCPUOP_up:
        if (mem_copy_from_guest(d, &ctx, arg, sizeof(ctx)) < 0)
            return -HVE_FAULT;
        if (!guest_addr_canonical(ctx.rip) || !guest_addr_canonical(ctx.rsp))
            return -HVE_INVAL;
        return vcpu_up(d, (unsigned)id, &ctx);
    case VCPUOP_down:
        if (id == 0)
            return -HVE_INVAL;
        if (id == v->id) {
            *next = HC_VCPU_DOWN;
            return 0;
        }
        return vcpu_down_other(d, (unsigned)id);
    case VCPUOP_is_up: {
        pthread_mutex_lock(&d->lock);
        int up = vcpu_is_up_locked(&d->vcpu[id]);
        pthread_mutex_unlock(&d->lock);
        return up;
    }
    default:
        return -HVE_NOSYS;
    }
}

/* Hypercall stubs are "mov; out; ret": rip after the trap is the ret. */
static uint64_t return_rip(uint64_t rip)
{
    if (rip >= HV_HYPERCALL_PAGE && rip < HV_HYPERCALL_PAGE + HV_PAGE_SIZE &&
        (rip - HV_HYPERCALL_PAGE) % HV_HYPERCALL_STUB_SIZE == 5)
        return rip + 2;   /* KVM has not stepped over the out yet (VMX/SVM) */
    return rip;
}

enum hc_next hypercall_dispatch(struct vcpu *v)
{
    struct kvm_regs *r = &v->run->s.regs.regs;
    struct domain *d = v->dom;
    enum hc_next next = HC_CONTINUE;
    uint64_t nr = r->rax;
    int64_t ret;

    r->rip = return_rip(r->rip);
    switch (nr) {
    case HC_console_io:
        ret = hc_console_io(v, r->rdi, r->rsi, r->rdx);
        break;
    case HC_set_timer:
        ret = hc_set_timer(v, r->rdi);
        break;
    case HC_sched_op:
        ret = hc_sched_op(v, r->rdi, r->rsi, &next);
        break;
    case HC_evtchn_op:
        ret = evtchn_op(v, r, r->rdi, r->rsi, r->rdx);
        break;
    case HC_vcpu_op:
        ret = hc_vcpu_op(v, r->rdi, r->rsi, r->rdx, &next);
        break;
    case HC_memory_op:
        ret = mem_balloon(d, r->rdi, r->rsi, r->rdx);
        break;
    case HC_abi_version:
        ret = HV_GUEST_ABI_VERSION;
        break;
    case HC_dev_op:
        ret = device_op(v, r->rdi, r->rsi, r->rdx);
        break;
    case HC_dev_notify:
        /* Reached only through the hypercall port (a guest that did not
         * use the page's stub): the same meaning, one exit dearer. */
        device_notify(d, r->rdi);
        ret = 0;
        break;
    default:
        ret = -HVE_NOSYS;
        break;
    }
    r->rax = (uint64_t)ret;
    v->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
    return next;
}
