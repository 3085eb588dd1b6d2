/*
 * xen_evtchn.c - event_channel_op (hypercall 32) of a Xen-PV domain, on
 * the 2-level ABI (xen_evtchn.h).
 *
 * A port is free, bound to a VIRQ (per vCPU for the timer and the other
 * per-vCPU VIRQs, on vCPU 0 for global ones), an IPI, or the channel of
 * one of hvcore's back ends (the console, xenstore), which the builder
 * binds before boot and the guest sees as interdomain channels to domain
 * 0.  There is no other domain to talk to:
 * alloc_unbound, bind_interdomain and bind_pirq are refused, and the FIFO
 * ABI's calls get -HVE_NOSYS so that Linux stays on 2-level.
 *
 * Arguments are copied in once with xen_copy_from_guest before dom->lock
 * is taken and the results copied out after it is dropped.
 */
#include <stdlib.h>
#include <string.h>

#include "hvcore.h"
#include "public/errno.h"
#include "vcpu.h"
#include "xen.h"
#include "xen_console.h"
#include "xen_evtchn.h"
#include "xen_sched.h"
#include "xen_store.h"

/* VIRQs Xen binds per vCPU besides TIMER and DEBUG (its public ABI). */
#define XEN_VIRQ_XENOPROF 6
#define XEN_VIRQ_XENPMU   12

/* The back ends' channels (console, xenstore), as EVTCHNOP_status shows
 * them: to domain 0. */
#define BACKEND_REMOTE_DOM   0
#define CONSOLE_REMOTE_PORT  1
#define STORE_REMOTE_PORT    2

enum xen_port_type { XPORT_FREE = 0, XPORT_VIRQ, XPORT_IPI, XPORT_CONSOLE, XPORT_STORE };

struct xen_port {
    uint8_t type;                   /* enum xen_port_type                   */
    uint8_t virq;                   /* XPORT_VIRQ                           */
    uint16_t vcpu;                  /* the vCPU it notifies                 */
};

struct xen_evtchn {
    struct xen_port port[XEN_NR_EVTCHN_2L];
    /* the port bound to each VIRQ (global ones in row 0), 0: none */
    uint16_t virq_port[XEN_PV_MAX_VCPUS][XEN_NR_VIRQS];
};

static bool virq_per_vcpu(uint32_t virq)
{
    return virq == XEN_VIRQ_TIMER || virq == XEN_VIRQ_DEBUG ||
           virq == XEN_VIRQ_XENOPROF || virq == XEN_VIRQ_XENPMU;
}

static struct xen_evtchn *table(struct domain *d)
{
    return d->xen ? d->xen->evtchn : NULL;
}

int xen_evtchn_init(struct domain *d)
{
    struct xen_evtchn *e = d->xen->evtchn;

    if (!e) {
        e = calloc(1, sizeof(*e));
        if (!e)
            return -HVE_NOMEM;
    }
    pthread_mutex_lock(&d->lock);
    memset(e, 0, sizeof(*e));
    d->xen->evtchn = e;
    d->xen->console_port = 0;
    pthread_mutex_unlock(&d->lock);
    return 0;
}

void xen_evtchn_free(struct domain *d)
{
    if (!d->xen)
        return;
    free(d->xen->evtchn);
    d->xen->evtchn = NULL;
}

/* Port 0 is never used, so a zero field means "none". */
static int alloc_port(struct xen_evtchn *e, uint8_t type, uint8_t virq, uint16_t vcpu)
{
    for (unsigned p = 1; p < XEN_NR_EVTCHN_2L; p++) {
        if (e->port[p].type == XPORT_FREE) {
            e->port[p].type = type;
            e->port[p].virq = virq;
            e->port[p].vcpu = vcpu;
            return (int)p;
        }
    }
    return -HVE_NOSPC;
}

/* A back end's port, recorded in *where if where is not NULL.  dom->lock
 * not held. */
static int alloc_backend(struct domain *d, uint8_t type, uint32_t *where)
{
    struct xen_evtchn *e = table(d);
    int port;

    if (!e)
        return -HVE_NOSPC;
    pthread_mutex_lock(&d->lock);
    port = alloc_port(e, type, 0, 0);
    if (port > 0 && where)
        *where = (uint32_t)port;
    pthread_mutex_unlock(&d->lock);
    return port;
}

int xen_evtchn_alloc_console(struct domain *d)
{
    return alloc_backend(d, XPORT_CONSOLE, &d->xen->console_port);
}

int xen_evtchn_alloc_store(struct domain *d)
{
    return alloc_backend(d, XPORT_STORE, NULL);
}

/* Mark word's selector bit and the upcall flag of vCPU vcpu, and make it
 * look.  dom->lock held. */
static void deliver_locked(struct domain *d, unsigned vcpu, unsigned word)
{
    struct vcpu *v = &d->vcpu[vcpu];
    struct xen_vcpu_info *vi = xen_vcpu_info(v);

    __atomic_fetch_or(&vi->evtchn_pending_sel, 1ULL << word, __ATOMIC_SEQ_CST);
    __atomic_store_n(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST);
    vcpu_notify_locked(v);
}

void xen_evtchn_raise_locked(struct domain *d, unsigned port)
{
    struct xen_evtchn *e = table(d);
    struct xen_shared_info *sh;
    uint64_t bit = 1ULL << (port % 64);

    if (!e || port == 0 || port >= XEN_NR_EVTCHN_2L || e->port[port].type == XPORT_FREE)
        return;
    sh = xen_shared(d);
    /* A port still pending merges with the new event, as in Xen: no new
     * upcall, no new count. */
    if (__atomic_fetch_or(&sh->evtchn_pending[port / 64], bit, __ATOMIC_SEQ_CST) & bit)
        return;
    d->events++;
    if (__atomic_load_n(&sh->evtchn_mask[port / 64], __ATOMIC_SEQ_CST) & bit)
        return;
    deliver_locked(d, e->port[port].vcpu, port / 64);
}

void xen_evtchn_raise_virq_locked(struct domain *d, unsigned virq, unsigned vcpu)
{
    struct xen_evtchn *e = table(d);

    if (!e || virq >= XEN_NR_VIRQS)
        return;
    if (!virq_per_vcpu(virq))
        vcpu = 0;
    if (vcpu >= XEN_PV_MAX_VCPUS)
        return;
    if (e->virq_port[vcpu][virq])
        xen_evtchn_raise_locked(d, e->virq_port[vcpu][virq]);
}

void xen_evtchn_raise_console(struct domain *d)
{
    struct xen_evtchn *e = table(d);

    if (!e)
        return;
    pthread_mutex_lock(&d->lock);
    uint32_t port = d->xen->console_port;
    if (port > 0 && port < XEN_NR_EVTCHN_2L && e->port[port].type == XPORT_CONSOLE)
        xen_evtchn_raise_locked(d, port);
    pthread_mutex_unlock(&d->lock);
}

/* ---- the operations ------------------------------------------------------ */

/* A port number the guest names: in range and bound. */
static bool bound(const struct xen_evtchn *e, uint32_t port)
{
    return port > 0 && port < XEN_NR_EVTCHN_2L && e->port[port].type != XPORT_FREE;
}

static int bind_virq_locked(struct domain *d, struct xen_evtchn *e, uint32_t virq, uint32_t vcpu)
{
    int port;

    if (virq >= XEN_NR_VIRQS || (!virq_per_vcpu(virq) && vcpu != 0))
        return -HVE_INVAL;
    if (vcpu >= xen_nr_vcpus(d))
        return -HVE_NOENT;
    if (e->virq_port[vcpu][virq])
        return -HVE_EXIST;
    port = alloc_port(e, XPORT_VIRQ, (uint8_t)virq, (uint16_t)vcpu);
    if (port > 0)
        e->virq_port[vcpu][virq] = (uint16_t)port;
    return port;
}

/* Forget a bound port and its pending bit (the mask bit stays the
 * guest's).  dom->lock held. */
static void close_locked(struct domain *d, struct xen_evtchn *e, uint32_t port)
{
    struct xen_port *p = &e->port[port];

    if (p->type == XPORT_VIRQ) {
        unsigned row = virq_per_vcpu(p->virq) ? p->vcpu : 0;
        e->virq_port[row][p->virq] = 0;
    }
    memset(p, 0, sizeof(*p));
    __atomic_fetch_and(&xen_shared(d)->evtchn_pending[port / 64], ~(1ULL << (port % 64)),
                       __ATOMIC_SEQ_CST);
}

static void unmask_locked(struct domain *d, struct xen_evtchn *e, uint32_t port)
{
    struct xen_shared_info *sh = xen_shared(d);
    uint64_t bit = 1ULL << (port % 64);

    __atomic_fetch_and(&sh->evtchn_mask[port / 64], ~bit, __ATOMIC_SEQ_CST);
    /* An event that came while masked is delivered now (no new count). */
    if (__atomic_load_n(&sh->evtchn_pending[port / 64], __ATOMIC_SEQ_CST) & bit)
        deliver_locked(d, e->port[port].vcpu, port / 64);
}

static void status_locked(struct domain *d, const struct xen_evtchn *e,
                          struct xen_evtchn_status *st)
{
    const struct xen_port *p = &e->port[st->port];

    (void)d;
    st->vcpu = p->vcpu;
    st->u[0] = st->u[1] = 0;
    switch (p->type) {
    case XPORT_VIRQ:
        st->status = XEN_EVTCHNSTAT_virq;
        st->u[0] = p->virq;
        break;
    case XPORT_IPI:
        st->status = XEN_EVTCHNSTAT_ipi;
        break;
    case XPORT_CONSOLE:
    case XPORT_STORE:
        st->status = XEN_EVTCHNSTAT_interdomain;
        st->u[0] = BACKEND_REMOTE_DOM;
        st->u[1] = p->type == XPORT_CONSOLE ? CONSOLE_REMOTE_PORT : STORE_REMOTE_PORT;
        break;
    default:
        st->status = XEN_EVTCHNSTAT_closed;
        st->vcpu = 0;
        break;
    }
}

static bool domid_self(const struct domain *d, uint16_t dom)
{
    return dom == XEN_DOMID_SELF || dom == d->domid;
}

static bool backend(const struct xen_port *p)
{
    return p->type == XPORT_CONSOLE || p->type == XPORT_STORE;
}

/* EVTCHNOP_reset: close every port but the back ends', which would have
 * nobody to bind them again. */
static void reset_locked(struct domain *d, struct xen_evtchn *e)
{
    for (uint32_t p = 1; p < XEN_NR_EVTCHN_2L; p++)
        if (e->port[p].type != XPORT_FREE && !backend(&e->port[p]))
            close_locked(d, e, p);
}

/* Size of each operation's argument; 0: none is read. */
static size_t arg_size(uint64_t cmd)
{
    switch (cmd) {
    case XEN_EVTCHNOP_bind_virq: return sizeof(struct xen_evtchn_bind_virq);
    case XEN_EVTCHNOP_bind_ipi:  return sizeof(struct xen_evtchn_bind_ipi);
    case XEN_EVTCHNOP_close:
    case XEN_EVTCHNOP_send:
    case XEN_EVTCHNOP_unmask:    return sizeof(struct xen_evtchn_port_op);
    case XEN_EVTCHNOP_status:    return sizeof(struct xen_evtchn_status);
    case XEN_EVTCHNOP_bind_vcpu: return sizeof(struct xen_evtchn_bind_vcpu);
    case XEN_EVTCHNOP_reset:     return sizeof(uint16_t);   /* domid_t */
    default:                     return 0;
    }
}

union evtchn_arg {
    struct xen_evtchn_bind_virq virq;
    struct xen_evtchn_bind_ipi ipi;
    struct xen_evtchn_port_op port;
    struct xen_evtchn_status status;
    struct xen_evtchn_bind_vcpu vcpu;
    uint16_t dom;
};

/* The operation on the copied argument, dom->lock held.  *copy_out: the
 * argument goes back to the guest; *kick: the back end of that port type
 * is to be run (after the lock is dropped). */
static int64_t op_locked(struct domain *d, struct xen_evtchn *e, uint64_t cmd,
                         union evtchn_arg *x, bool *copy_out, uint8_t *kick)
{
    int port;

    switch (cmd) {
    case XEN_EVTCHNOP_bind_virq:
        port = bind_virq_locked(d, e, x->virq.virq, x->virq.vcpu);
        if (port < 0)
            return port;
        x->virq.port = (uint32_t)port;
        *copy_out = true;
        return 0;
    case XEN_EVTCHNOP_bind_ipi:
        if (x->ipi.vcpu >= xen_nr_vcpus(d))
            return -HVE_NOENT;
        port = alloc_port(e, XPORT_IPI, 0, (uint16_t)x->ipi.vcpu);
        if (port < 0)
            return port;
        x->ipi.port = (uint32_t)port;
        *copy_out = true;
        return 0;
    case XEN_EVTCHNOP_close:
        if (!bound(e, x->port.port))
            return -HVE_INVAL;
        close_locked(d, e, x->port.port);
        return 0;
    case XEN_EVTCHNOP_send:
        if (!bound(e, x->port.port))
            return -HVE_INVAL;
        switch (e->port[x->port.port].type) {
        case XPORT_IPI:
            xen_evtchn_raise_locked(d, x->port.port);
            return 0;
        case XPORT_CONSOLE:
        case XPORT_STORE:
            *kick = e->port[x->port.port].type;
            return 0;
        default:
            return -HVE_INVAL;      /* a VIRQ is hvcore's to send */
        }
    case XEN_EVTCHNOP_status:
        if (!domid_self(d, x->status.dom))
            return -HVE_PERM;
        if (x->status.port >= XEN_NR_EVTCHN_2L)
            return -HVE_INVAL;
        status_locked(d, e, &x->status);
        *copy_out = true;
        return 0;
    case XEN_EVTCHNOP_unmask:
        if (x->port.port == 0 || x->port.port >= XEN_NR_EVTCHN_2L)
            return -HVE_INVAL;
        unmask_locked(d, e, x->port.port);
        return 0;
    case XEN_EVTCHNOP_bind_vcpu:
        if (x->vcpu.vcpu >= xen_nr_vcpus(d))
            return -HVE_NOENT;
        if (!bound(e, x->vcpu.port))
            return -HVE_INVAL;
        switch (e->port[x->vcpu.port].type) {
        case XPORT_CONSOLE:
        case XPORT_STORE:
            break;
        case XPORT_VIRQ:
            if (!virq_per_vcpu(e->port[x->vcpu.port].virq))
                break;
            return -HVE_INVAL;      /* per-vCPU VIRQs stay where bound */
        default:
            return -HVE_INVAL;      /* an IPI names its vCPU at bind */
        }
        e->port[x->vcpu.port].vcpu = (uint16_t)x->vcpu.vcpu;
        return 0;
    case XEN_EVTCHNOP_reset:
        if (!domid_self(d, x->dom))
            return -HVE_PERM;
        reset_locked(d, e);
        return 0;
    default:
        return -HVE_NOSYS;
    }
}

int64_t xen_hc_event_channel_op(struct vcpu *v, const uint64_t a[6])
{
    struct domain *d = v->dom;
    struct xen_evtchn *e = table(d);
    uint64_t cmd = a[0];
    size_t size = arg_size(cmd);
    union evtchn_arg x;
    bool copy_out = false;
    uint8_t kick = XPORT_FREE;
    int64_t ret;

    switch (cmd) {
    case XEN_EVTCHNOP_alloc_unbound:
    case XEN_EVTCHNOP_bind_interdomain:
    case XEN_EVTCHNOP_bind_pirq:
        return -HVE_PERM;           /* no other domain, no physical IRQ */
    case XEN_EVTCHNOP_init_control:
    case XEN_EVTCHNOP_expand_array:
    case XEN_EVTCHNOP_set_priority:
        return -HVE_NOSYS;          /* FIFO ABI: Linux falls back to 2-level */
    }
    if (size == 0 || !e)
        return -HVE_NOSYS;
    memset(&x, 0, sizeof(x));
    if (xen_copy_from_guest(v, a[1], &x, size) < 0)
        return -HVE_FAULT;

    pthread_mutex_lock(&d->lock);
    ret = op_locked(d, e, cmd, &x, &copy_out, &kick);
    pthread_mutex_unlock(&d->lock);

    if (kick == XPORT_CONSOLE)
        xen_console_kick(d);
    if (kick == XPORT_STORE)
        xen_store_kick(d);
    if (copy_out && xen_copy_to_guest(v, a[1], &x, size) < 0)
        return -HVE_FAULT;
    return ret;
}
