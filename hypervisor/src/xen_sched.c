/*
 * xen_sched.c - sched_op (29, and the old sched_op_compat, 6),
 * set_timer_op (15) and vcpu_op (24) of a Xen-PV domain (xen_sched.h).
 *
 * One vCPU for now (XEN_PV_MAX_VCPUS): every vCPU id is checked against
 * xen_nr_vcpus and the others get -HVE_NOENT, so Linux counts one possible
 * CPU.  The guest's single-shot timer is hvcore's per-vCPU timer
 * (guest_time.c); its expiry raises the Xen VIRQ_TIMER port.  There is no
 * periodic timer: Linux stops it at boot, so stopping it succeeds, and
 * setting one is -HVE_NOSYS.
 */
#include <sched.h>
#include <stddef.h>
#include <string.h>

#include "domain.h"
#include "guest_time.h"
#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_evtchn.h"
#include "xen_sched.h"
#include "xen_time.h"

/* SCHEDOP_poll: at most this many ports, as in Xen. */
#define POLL_PORTS_MAX 128
/* Xen's SHUTDOWN_soft_reset: a reason shutdown_code may record. */
#define XEN_SHUTDOWN_soft_reset 5

unsigned xen_nr_vcpus(const struct domain *d)
{
    return d->max_vcpus < XEN_PV_MAX_VCPUS ? d->max_vcpus : XEN_PV_MAX_VCPUS;
}

/* ---- runstate ----------------------------------------------------------- */

static bool runstate_flag(struct domain *d)
{
    return d->xen->vm_assist & (1u << XEN_VMASST_TYPE_runstate_update_flag);
}

/* Copy v's record to the guest's area.  0 or -HVE_FAULT. */
static int runstate_publish(struct vcpu *v)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct xen_vcpu_runstate_info rs = xv->runstate;
    uint64_t entry_va = xv->runstate_va + offsetof(struct xen_vcpu_runstate_info,
                                                   state_entry_time);
    bool flag = runstate_flag(v->dom);
    uint64_t t;

    if (!xv->runstate_va)
        return 0;
    /* With the flag, a reader sees XEN_RUNSTATE_UPDATE while the record
     * changes, and retries. */
    if (flag) {
        t = rs.state_entry_time | XEN_RUNSTATE_UPDATE;
        if (xen_copy_to_guest(v, entry_va, &t, sizeof(t)) < 0)
            return -HVE_FAULT;
        __atomic_thread_fence(__ATOMIC_RELEASE);
        rs.state_entry_time = t;
    }
    if (xen_copy_to_guest(v, xv->runstate_va, &rs, sizeof(rs)) < 0)
        return -HVE_FAULT;
    if (flag) {
        __atomic_thread_fence(__ATOMIC_RELEASE);
        t = xv->runstate.state_entry_time;
        if (xen_copy_to_guest(v, entry_va, &t, sizeof(t)) < 0)
            return -HVE_FAULT;
    }
    return 0;
}

/* Time spent in the current state goes to its account. */
static void runstate_account(struct xen_vcpu_runstate_info *rs, uint64_t now)
{
    if (now > rs->state_entry_time && (uint32_t)rs->state <= XEN_RUNSTATE_offline)
        rs->time[rs->state] += now - rs->state_entry_time;
    rs->state_entry_time = now;
}

void xen_runstate_set(struct vcpu *v, int state)
{
    struct xen_vcpu_runstate_info *rs = &xen_vcpu_of(v)->runstate;

    if (rs->state == state)
        return;
    runstate_account(rs, guest_time_now(v->dom));
    rs->state = state;
    /* A guest that unmapped its area only loses its own statistics. */
    (void)runstate_publish(v);
}

/* ---- sched_op ------------------------------------------------------------ */

static bool upcall_pending(struct vcpu *v)
{
    return __atomic_load_n(&xen_vcpu_info(v)->evtchn_upcall_pending, __ATOMIC_SEQ_CST);
}

static void block_now(struct vcpu *v, uint64_t deadline_ns)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);

    xv->block_deadline_ns = deadline_ns;
    xv->next = XEN_NEXT_BLOCK;
    xen_runstate_set(v, XEN_RUNSTATE_blocked);
}

/* SCHEDOP_block: events enabled first, so "enable; block" loses none. */
static int64_t sched_block(struct vcpu *v)
{
    __atomic_store_n(&xen_vcpu_info(v)->evtchn_upcall_mask, 0, __ATOMIC_SEQ_CST);
    if (!upcall_pending(v))
        block_now(v, 0);
    return 0;
}

/* SCHEDOP_poll: block until one of the ports is pending or the timeout
 * (absolute system time, 0: none) passes.  Events stay masked as they
 * are.  One vCPU: this is block with a deadline, and the core wakes the
 * vCPU on any upcall; the guest polls again if it was not its port. */
static int64_t sched_poll(struct vcpu *v, uint64_t arg)
{
    struct xen_shared_info *sh = xen_shared(v->dom);
    struct xen_sched_poll p;
    uint32_t ports[POLL_PORTS_MAX];

    if (xen_copy_from_guest(v, arg, &p, sizeof(p)) < 0)
        return -HVE_FAULT;
    if (p.nr_ports > POLL_PORTS_MAX)
        return -HVE_INVAL;
    if (p.nr_ports && xen_copy_from_guest(v, p.ports, ports, p.nr_ports * sizeof(ports[0])) < 0)
        return -HVE_FAULT;
    for (uint32_t i = 0; i < p.nr_ports; i++)
        if (ports[i] >= XEN_NR_EVTCHN_2L)
            return -HVE_INVAL;
    if (upcall_pending(v) && !__atomic_load_n(&xen_vcpu_info(v)->evtchn_upcall_mask,
                                              __ATOMIC_SEQ_CST))
        return 0;
    for (uint32_t i = 0; i < p.nr_ports; i++)
        if (__atomic_load_n(&sh->evtchn_pending[ports[i] / 64], __ATOMIC_SEQ_CST) &
            (1ULL << (ports[i] % 64)))
            return 0;
    if (p.timeout && p.timeout <= guest_time_now(v->dom))
        return 0;
    block_now(v, p.timeout);
    return 0;
}

static int64_t sched_shutdown(struct vcpu *v, uint64_t reason)
{
    switch (reason) {
    case XEN_SHUTDOWN_poweroff:
        domain_end(v->dom, END_POWEROFF, "guest powered off");
        break;
    case XEN_SHUTDOWN_reboot:
        domain_end(v->dom, END_REBOOT, "guest rebooted");
        break;
    case XEN_SHUTDOWN_crash:
        domain_end(v->dom, END_CRASH, "guest reported a crash");
        break;
    case XEN_SHUTDOWN_watchdog:
        domain_end(v->dom, END_CRASH, "guest's watchdog expired");
        break;
    case XEN_SHUTDOWN_suspend:
        return -HVE_NOSYS;          /* save/restore of Xen-PV domains: not yet */
    default:
        return -HVE_INVAL;
    }
    xen_vcpu_of(v)->next = XEN_NEXT_END;
    return 0;
}

static int64_t sched_op(struct vcpu *v, uint64_t op, uint64_t arg, bool compat)
{
    struct xen_dom *x = v->dom->xen;
    uint32_t reason;

    switch (op) {
    case XEN_SCHEDOP_yield:
        sched_yield();
        return 0;
    case XEN_SCHEDOP_block:
        return sched_block(v);
    case XEN_SCHEDOP_shutdown:
        /* The compat call passes the reason itself, the new one a struct. */
        if (compat)
            return sched_shutdown(v, arg);
        if (xen_copy_from_guest(v, arg, &reason, sizeof(reason)) < 0)
            return -HVE_FAULT;
        return sched_shutdown(v, reason);
    }
    if (compat)
        return -HVE_NOSYS;
    switch (op) {
    case XEN_SCHEDOP_poll:
        return sched_poll(v, arg);
    case XEN_SCHEDOP_shutdown_code:
        if (xen_copy_from_guest(v, arg, &reason, sizeof(reason)) < 0)
            return -HVE_FAULT;
        if (reason > XEN_SHUTDOWN_soft_reset)
            return -HVE_INVAL;
        x->shutdown_code = (uint8_t)reason;
        x->has_shutdown_code = true;
        return 0;
    case XEN_SCHEDOP_remote_shutdown:
        return -HVE_PERM;           /* no other domain is this one's to end */
    default:                        /* watchdog included */
        return -HVE_NOSYS;
    }
}

int64_t xen_hc_sched_op(struct vcpu *v, const uint64_t a[6])
{
    return sched_op(v, a[0], a[1], false);
}

int64_t xen_hc_sched_op_compat(struct vcpu *v, const uint64_t a[6])
{
    return sched_op(v, a[0], a[1], true);
}

/* set_timer_op: an absolute system time, 0 cancels (guest_timer_arm
 * fires a past deadline at once and holds a far one). */
int64_t xen_hc_set_timer_op(struct vcpu *v, const uint64_t a[6])
{
    return guest_timer_arm(v, a[0]);
}

/* ---- vcpu_op ------------------------------------------------------------- */

static int64_t set_singleshot(struct vcpu *v, uint64_t arg)
{
    struct xen_vcpu_set_singleshot_timer t;
    uint64_t deadline;

    if (xen_copy_from_guest(v, arg, &t, sizeof(t)) < 0)
        return -HVE_FAULT;
    /* Xen compares signed system times: one at or past 2^63 is past. */
    bool past = (int64_t)t.timeout_abs_ns < (int64_t)guest_time_now(v->dom);
    if ((t.flags & XEN_VCPU_SSHOTTMR_future) && past)
        return -XEN_ETIME;
    /* A deadline in the past fires at once (0 would disarm). */
    deadline = (int64_t)t.timeout_abs_ns <= 0 ? 1 : t.timeout_abs_ns;
    return guest_timer_arm(v, deadline);
}

/* VCPUOP_register_vcpu_info: the record moves to (mfn, offset) in guest
 * RAM, once; its current contents go with it. */
static int64_t register_vcpu_info(struct vcpu *v, uint64_t arg)
{
    struct domain *d = v->dom;
    struct xen_vcpu *xv = xen_vcpu_of(v);
    struct xen_vcpu_register_vcpu_info r;
    uint8_t *frame;

    if (xen_copy_from_guest(v, arg, &r, sizeof(r)) < 0)
        return -HVE_FAULT;
    /* The whole record inside one page of guest RAM; not frame 0, whose
     * address 0 means "not registered" to xen_vcpu_info. */
    if (r.offset > 4096 - sizeof(struct xen_vcpu_info) || r.mfn == 0 ||
        r.mfn >= d->xen->nr_pages)
        return -HVE_INVAL;
    if (xv->vcpu_info_gpa)
        return -HVE_INVAL;          /* once, as in Xen */
    frame = xen_frame(d, r.mfn);
    if (!frame)
        return -HVE_INVAL;
    /* hvcore writes this frame from the host from now on: it must never
     * become a page table (xen.h). */
    if (xen_mm_get_writable(d, r.mfn) < 0)
        return -HVE_INVAL;
    pthread_mutex_lock(&d->lock);   /* raisers find it in one place or the other */
    memcpy(frame + r.offset, xen_vcpu_info(v), sizeof(struct xen_vcpu_info));
    xv->vcpu_info_gpa = (r.mfn << 12) | r.offset;
    pthread_mutex_unlock(&d->lock);
    xen_time_update_vcpu(v);
    return 0;
}

static int64_t register_runstate(struct vcpu *v, uint64_t arg)
{
    struct xen_vcpu *xv = xen_vcpu_of(v);
    uint64_t va;

    if (xen_copy_from_guest(v, arg, &va, sizeof(va)) < 0)
        return -HVE_FAULT;
    xv->runstate_va = va;           /* 0: no area */
    if (runstate_publish(v) < 0) {
        xv->runstate_va = 0;
        return -HVE_FAULT;
    }
    return 0;
}

static int64_t get_runstate(struct vcpu *v, uint64_t arg)
{
    struct xen_vcpu_runstate_info rs = xen_vcpu_of(v)->runstate;
    uint64_t entry = rs.state_entry_time;

    runstate_account(&rs, guest_time_now(v->dom));
    rs.state_entry_time = entry;
    return xen_copy_to_guest(v, arg, &rs, sizeof(rs)) < 0 ? -HVE_FAULT : 0;
}

int64_t xen_hc_vcpu_op(struct vcpu *v, const uint64_t a[6])
{
    uint64_t op = a[0], id = a[1], arg = a[2];
    bool self = id == v->id;

    if (id >= xen_nr_vcpus(v->dom))
        return -HVE_NOENT;
    switch (op) {
    case XEN_VCPUOP_is_up:
        return 1;                   /* the one vCPU is the caller */
    case XEN_VCPUOP_initialise:
        return self ? -HVE_EXIST : -HVE_INVAL;
    case XEN_VCPUOP_up:
        return self ? 0 : -HVE_INVAL;
    case XEN_VCPUOP_down:
        return -HVE_INVAL;          /* never the last one */
    case XEN_VCPUOP_register_vcpu_info:
        return self ? register_vcpu_info(v, arg) : -HVE_INVAL;
    case XEN_VCPUOP_register_runstate_memory_area:
        return self ? register_runstate(v, arg) : -HVE_INVAL;
    case XEN_VCPUOP_get_runstate_info:
        return self ? get_runstate(v, arg) : -HVE_INVAL;
    case XEN_VCPUOP_set_singleshot_timer:
        return self ? set_singleshot(v, arg) : -HVE_INVAL;
    case XEN_VCPUOP_stop_singleshot_timer:
        return self ? guest_timer_arm(v, 0) : -HVE_INVAL;
    case XEN_VCPUOP_stop_periodic_timer:
        return 0;                   /* none ever runs */
    case XEN_VCPUOP_set_periodic_timer:
    case XEN_VCPUOP_register_vcpu_time_memory_area:
    case XEN_VCPUOP_send_nmi:
    case XEN_VCPUOP_get_physid:
    default:
        return -HVE_NOSYS;
    }
}
