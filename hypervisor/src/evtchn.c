/*
 * evtchn.c - event channels, delivered to the guest as upcalls.
 *
 * The pending and mask bitmaps live in the shared-info page, so the guest
 * reads and acknowledges events without exits; hvcore only exits the vCPU
 * (vcpu_notify) when a newly pending port is unmasked.  An upcall is a
 * register-level redirect done by the vCPU thread between two KVM_RUNs:
 * the guest needs no IDT and never leaves ring 3.
 */
#include <linux/kvm.h>
#include <string.h>

#include "evtchn.h"
#include "hvcore.h"
#include "public/errno.h"
#include "vcpu.h"

#define RFLAGS_USER_MASK 0x0cd5ULL   /* CF PF AF ZF SF DF OF: guest-owned */
#define RFLAGS_FIXED     0x0202ULL   /* IF and the always-one bit 1       */

void evtchn_reset(struct domain *d)
{
    pthread_mutex_lock(&d->lock);
    memset(d->port, 0, sizeof(d->port));
    d->upcall_rip = 0;
    pthread_mutex_unlock(&d->lock);
}

/* Set port pending; notify its vCPU if it is unmasked.  d->lock held. */
static void raise_locked(struct domain *d, unsigned port)
{
    struct hv_shared_info *sh = dom_shared(d);
    uint64_t bit = 1ULL << (port % 64);
    unsigned target = d->port[port].vcpu;

    /* Counted once per notification the guest can tell apart: one raised
     * on a port still pending merges with it (and the re-raise of
     * EVTCHNOP_unmask is no new one).  The lock is held anyway. */
    if (!(__atomic_fetch_or(&sh->evtchn_pending[port / 64], bit, __ATOMIC_SEQ_CST) & bit))
        d->events++;
    if (__atomic_load_n(&sh->evtchn_mask[port / 64], __ATOMIC_SEQ_CST) & bit)
        return;
    __atomic_store_n(&sh->vcpu_info[target].upcall_pending, 1, __ATOMIC_SEQ_CST);
    vcpu_notify_locked(&d->vcpu[target]);
}

void evtchn_raise_virq_locked(struct domain *d, unsigned virq, unsigned vcpu)
{
    for (unsigned p = 1; p < HV_NR_EVTCHN; p++) {
        if (d->port[p].type == EVT_VIRQ && d->port[p].virq == virq &&
            (virq != VIRQ_TIMER || d->port[p].vcpu == vcpu)) {
            raise_locked(d, p);
            break;
        }
    }
}

void evtchn_raise_virq(struct domain *d, unsigned virq, unsigned vcpu)
{
    pthread_mutex_lock(&d->lock);
    evtchn_raise_virq_locked(d, virq, vcpu);
    pthread_mutex_unlock(&d->lock);
}

static int alloc_port(struct domain *d, uint8_t type, uint8_t virq, unsigned vcpu)
{
    /* Port 0 is never valid, as in Xen, so a zeroed field means "none". */
    for (unsigned p = 1; p < HV_NR_EVTCHN; p++) {
        if (d->port[p].type == EVT_FREE) {
            d->port[p].type = type;
            d->port[p].virq = virq;
            d->port[p].vcpu = (uint16_t)vcpu;
            return (int)p;
        }
    }
    return -HVE_NOSPC;
}

int evtchn_bind_device_locked(struct domain *d, unsigned vcpu)
{
    return alloc_port(d, EVT_DEVICE, 0, vcpu);
}

void evtchn_close_device_locked(struct domain *d, unsigned port)
{
    if (port > 0 && port < HV_NR_EVTCHN && d->port[port].type == EVT_DEVICE)
        memset(&d->port[port], 0, sizeof(d->port[port]));
}

void evtchn_raise_device_locked(struct domain *d, unsigned port)
{
    if (port > 0 && port < HV_NR_EVTCHN && d->port[port].type == EVT_DEVICE)
        raise_locked(d, port);
}

static int64_t bind_virq(struct domain *d, uint64_t virq, uint64_t vcpu)
{
    if (virq >= VIRQ_NR || vcpu >= d->max_vcpus)
        return -HVE_INVAL;
    for (unsigned p = 1; p < HV_NR_EVTCHN; p++) {
        /* One binding per VIRQ (per vCPU for the per-vCPU timer). */
        if (d->port[p].type == EVT_VIRQ && d->port[p].virq == virq &&
            (virq != VIRQ_TIMER || d->port[p].vcpu == vcpu))
            return -HVE_EXIST;
    }
    return alloc_port(d, EVT_VIRQ, (uint8_t)virq, (unsigned)vcpu);
}

static bool port_bound(struct domain *d, uint64_t port)
{
    return port > 0 && port < HV_NR_EVTCHN && d->port[port].type != EVT_FREE;
}

/* EVTCHNOP_upcall_return: take the saved frame back (copied once, then
 * sanitised: the guest may have rewritten it, but can only hurt itself). */
static int64_t upcall_return(struct vcpu *v, struct kvm_regs *regs)
{
    struct domain *d = v->dom;
    struct hv_vcpu_info *vi = &dom_shared(d)->vcpu_info[v->id];
    struct hv_upcall_frame f;

    memcpy(&f, (const void *)&vi->upcall_frame, sizeof(f));
    /* A non-canonical rip or rsp would fail the next entry in ways that
     * differ between KVM back ends: refuse it, and leave regs alone. */
    if (!guest_addr_canonical(f.rip) || !guest_addr_canonical(f.rsp))
        return -HVE_INVAL;
    regs->rax = f.rax; regs->rbx = f.rbx; regs->rcx = f.rcx; regs->rdx = f.rdx;
    regs->rsi = f.rsi; regs->rdi = f.rdi; regs->rbp = f.rbp; regs->rsp = f.rsp;
    regs->r8 = f.r8; regs->r9 = f.r9; regs->r10 = f.r10; regs->r11 = f.r11;
    regs->r12 = f.r12; regs->r13 = f.r13; regs->r14 = f.r14; regs->r15 = f.r15;
    regs->rip = f.rip;
    regs->rflags = (f.rflags & RFLAGS_USER_MASK) | RFLAGS_FIXED;
    __atomic_store_n(&vi->upcall_mask, 0, __ATOMIC_SEQ_CST);
    return (int64_t)f.rax;   /* the caller stores rax: keep the frame's */
}

int64_t evtchn_op(struct vcpu *v, struct kvm_regs *regs, uint64_t op,
                  uint64_t a0, uint64_t a1)
{
    struct domain *d = v->dom;
    struct hv_shared_info *sh = dom_shared(d);
    int64_t ret;

    if (op == EVTCHNOP_upcall_return)
        return upcall_return(v, regs);

    pthread_mutex_lock(&d->lock);
    switch (op) {
    case EVTCHNOP_bind_virq:
        ret = bind_virq(d, a0, a1);
        break;
    case EVTCHNOP_bind_ipi:
        ret = a0 < d->max_vcpus ? alloc_port(d, EVT_IPI, 0, (unsigned)a0) : -HVE_INVAL;
        break;
    case EVTCHNOP_send:
        if (port_bound(d, a0)) {
            raise_locked(d, (unsigned)a0);
            ret = 0;
        } else {
            ret = -HVE_INVAL;
        }
        break;
    case EVTCHNOP_unmask:
        if (!port_bound(d, a0)) {
            ret = -HVE_INVAL;
            break;
        }
        __atomic_fetch_and(&sh->evtchn_mask[a0 / 64], ~(1ULL << (a0 % 64)),
                           __ATOMIC_SEQ_CST);
        /* An event that arrived while masked is delivered now. */
        if (__atomic_load_n(&sh->evtchn_pending[a0 / 64], __ATOMIC_SEQ_CST) &
            (1ULL << (a0 % 64)))
            raise_locked(d, (unsigned)a0);
        ret = 0;
        break;
    case EVTCHNOP_close:
        if (port_bound(d, a0)) {
            memset(&d->port[a0], 0, sizeof(d->port[a0]));
            ret = 0;
        } else {
            ret = -HVE_INVAL;
        }
        break;
    case EVTCHNOP_set_upcall:
        /* Any canonical user address; a bad one faults in the guest. */
        if (a0 == 0 || a0 >= d->mem_max_bytes) {
            ret = -HVE_INVAL;
        } else {
            d->upcall_rip = a0;
            ret = 0;
        }
        break;
    default:
        ret = -HVE_NOSYS;
    }
    pthread_mutex_unlock(&d->lock);
    return ret;
}

int evtchn_deliver_upcall(struct vcpu *v, struct kvm_regs *regs)
{
    struct domain *d = v->dom;
    struct hv_vcpu_info *vi = &dom_shared(d)->vcpu_info[v->id];
    struct hv_upcall_frame f;
    uint64_t entry;

    if (!__atomic_load_n(&vi->upcall_pending, __ATOMIC_SEQ_CST) ||
        __atomic_load_n(&vi->upcall_mask, __ATOMIC_SEQ_CST))
        return 0;
    pthread_mutex_lock(&d->lock);
    entry = d->upcall_rip;
    pthread_mutex_unlock(&d->lock);
    if (!entry)
        return 0;

    f.rax = regs->rax; f.rbx = regs->rbx; f.rcx = regs->rcx; f.rdx = regs->rdx;
    f.rsi = regs->rsi; f.rdi = regs->rdi; f.rbp = regs->rbp; f.rsp = regs->rsp;
    f.r8 = regs->r8; f.r9 = regs->r9; f.r10 = regs->r10; f.r11 = regs->r11;
    f.r12 = regs->r12; f.r13 = regs->r13; f.r14 = regs->r14; f.r15 = regs->r15;
    f.rip = regs->rip;
    f.rflags = regs->rflags;
    memcpy((void *)&vi->upcall_frame, &f, sizeof(f));
    __atomic_store_n(&vi->upcall_mask, 1, __ATOMIC_SEQ_CST);

    /* Below the red zone, aligned as right after a call instruction. */
    regs->rsp = ((regs->rsp - 128) & ~15ULL) - 8;
    regs->rip = entry;
    regs->rflags = RFLAGS_FIXED;
    return 1;
}
