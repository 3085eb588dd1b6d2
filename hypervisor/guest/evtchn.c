/*
 * evtchn.c - event-channel ports, the upcall handler and the upcall mask.
 *
 * The pending and mask bitmaps are in the shared-info page: hvcore sets
 * pending bits from its own threads, any vCPU may be taking bits at the
 * same time, so every read-modify-write of them is atomic.
 */
#include "evtchn.h"
#include "hypercall.h"
#include "kernel.h"
#include "lib.h"
#include "smp.h"
#include "spinlock.h"

#define NR_WORDS (HV_NR_EVTCHN / 64)

struct port {
    evtchn_handler_t fn;
    void *arg;
};

/* Written under lock with upcalls masked; the upcall handler only reads. */
static struct port ports[HV_NR_EVTCHN];
static uint64_t vcpu_ports[HV_MAX_VCPUS][NR_WORDS];   /* ports we bound, per vCPU */
static uint64_t bound_ports[NR_WORDS];
static spinlock_t lock;

static struct hv_vcpu_info *my_vcpu_info(void)
{
    return &shared_info->vcpu_info[this_vcpu_id()];
}

unsigned long irq_save(void)
{
    struct hv_vcpu_info *vi = my_vcpu_info();
    unsigned long old = READ_ONCE(vi->upcall_mask);

    /* Upcalls are taken between instructions of this vCPU only, so a plain
     * store is seen by hvcore the next time the vCPU exits. */
    WRITE_ONCE(vi->upcall_mask, 1);
    barrier();
    return old;
}

void irq_restore(unsigned long flags)
{
    struct hv_vcpu_info *vi = my_vcpu_info();

    barrier();
    if (flags)
        return;                 /* still masked: nothing changes */
    __atomic_store_n(&vi->upcall_mask, 0, __ATOMIC_SEQ_CST);
    /* An event that came while masked kicked us out of the guest and was
     * left pending; hvcore delivers it at our next exit, so make one.
     * HC_abi_version is the cheapest hypercall with no side effect. */
    if (__atomic_load_n(&vi->upcall_pending, __ATOMIC_SEQ_CST))
        hc_abi_version();
}

void irq_enable(void)
{
    irq_restore(0);
}

void sched_block(void)
{
    hc_sched_op(SCHEDOP_block, 0);
}

noreturn void idle_forever(void)
{
    for (;;) {
        irq_save();
        sched_block();
    }
}

void evtchn_init(void)
{
    long rc = hc_evtchn_op(EVTCHNOP_set_upcall, (uint64_t)(uintptr_t)upcall_entry, 0);

    if (rc < 0)
        panic("EVTCHNOP_set_upcall failed: %ld", rc);
}

/* Record a port hvcore just gave us.  lock held, upcalls masked. */
static void register_port(long port, unsigned vcpu, evtchn_handler_t fn, void *arg)
{
    if (port <= 0 || port >= HV_NR_EVTCHN || vcpu >= HV_MAX_VCPUS)
        panic("hvcore returned port %ld for vcpu %u", port, vcpu);
    ports[port].fn = fn;
    ports[port].arg = arg;
    __atomic_fetch_or(&vcpu_ports[vcpu][port / 64], 1ULL << (port % 64), __ATOMIC_SEQ_CST);
    __atomic_fetch_or(&bound_ports[port / 64], 1ULL << (port % 64), __ATOMIC_SEQ_CST);
}

static long bind(unsigned op, uint64_t a0, unsigned vcpu, evtchn_handler_t fn, void *arg)
{
    unsigned long flags = irq_save();
    long port;

    /* Masked across bind and registration: an event on the new port
     * cannot reach the handler before the handler knows the port. */
    spin_lock(&lock);
    port = hc_evtchn_op(op, a0, op == EVTCHNOP_bind_virq ? vcpu : 0);
    if (port >= 0)
        register_port(port, vcpu, fn, arg);
    spin_unlock(&lock);
    irq_restore(flags);

    /* hvcore starts ports unmasked; the ABI does not promise it. */
    if (port > 0 && (READ_ONCE(shared_info->evtchn_mask[port / 64]) & (1ULL << (port % 64))))
        hc_evtchn_op(EVTCHNOP_unmask, (uint64_t)port, 0);
    return port;
}

long evtchn_bind_virq(unsigned virq, unsigned vcpu, evtchn_handler_t fn, void *arg)
{
    return bind(EVTCHNOP_bind_virq, virq, vcpu, fn, arg);
}

long evtchn_bind_ipi(unsigned vcpu, evtchn_handler_t fn, void *arg)
{
    return bind(EVTCHNOP_bind_ipi, vcpu, vcpu, fn, arg);
}

long evtchn_send(unsigned port)
{
    return hc_evtchn_op(EVTCHNOP_send, port, 0);
}

bool evtchn_port_in_use(unsigned port)
{
    return port < HV_NR_EVTCHN &&
           (__atomic_load_n(&bound_ports[port / 64], __ATOMIC_RELAXED) & (1ULL << (port % 64)));
}

/*
 * Take the pending, unmasked ports of word w that this vCPU handles: the
 * ports we bound to it, and on vCPU 0 also ports we never bound (hostile
 * bindings), which are dropped so that they cannot pile up.
 */
static uint64_t take_pending(unsigned me, unsigned w)
{
    uint64_t allowed = __atomic_load_n(&vcpu_ports[me][w], __ATOMIC_RELAXED);
    uint64_t pending, want;

    if (me == 0)
        allowed |= ~__atomic_load_n(&bound_ports[w], __ATOMIC_RELAXED);
    pending = __atomic_load_n(&shared_info->evtchn_pending[w], __ATOMIC_ACQUIRE);
    want = pending & ~READ_ONCE(shared_info->evtchn_mask[w]) & allowed;
    if (!want)
        return 0;
    return __atomic_fetch_and(&shared_info->evtchn_pending[w], ~want, __ATOMIC_SEQ_CST) & want;
}

void evtchn_do_upcall(void)
{
    unsigned me = this_vcpu_id();
    struct hv_vcpu_info *vi = &shared_info->vcpu_info[me];

    /* Clear upcall_pending before looking at the ports, and look again if
     * it was set meanwhile: an event raised during the scan is not lost. */
    while (__atomic_exchange_n(&vi->upcall_pending, 0, __ATOMIC_SEQ_CST)) {
        for (unsigned w = 0; w < NR_WORDS; w++) {
            uint64_t bits = take_pending(me, w);

            while (bits) {
                unsigned port = w * 64 + (unsigned)__builtin_ctzll(bits);
                struct port p = ports[port];

                bits &= bits - 1;
                if (p.fn)
                    p.fn(port, p.arg);
            }
        }
    }
}

/*
 * The whole upcall, called by upcall_entry with upcalls masked.  Returns
 * where upcall_entry's return sequence finds the interrupted registers:
 * 17 words ending just below the interrupted red zone (r15 first, then
 * r14 ... rax, rflags, rip).  The frame is copied before upcalls are
 * unmasked, since a nested upcall overwrites vcpu_info.upcall_frame; an
 * event that arrives after the unmask is handled here, not lost.  Returns
 * NULL to leave through EVTCHNOP_upcall_return instead.
 */
bool upcall_return_by_hypercall;

uint64_t *evtchn_upcall(void)
{
    unsigned me = this_vcpu_id();
    struct hv_vcpu_info *vi = &shared_info->vcpu_info[me];
    struct hv_upcall_frame f;

    if (upcall_return_by_hypercall) {
        /* Still masked: hvcore restores the frame, unmasks and delivers
         * whatever became pending meanwhile. */
        evtchn_do_upcall();
        return NULL;
    }

    memcpy(&f, (const void *)&vi->upcall_frame, sizeof(f));
    uint64_t *out = (uint64_t *)(f.rsp - 128 - 17 * 8);
    const uint64_t regs[17] = {
        f.r15, f.r14, f.r13, f.r12, f.r11, f.r10, f.r9, f.r8, f.rbp,
        f.rdi, f.rsi, f.rdx, f.rcx, f.rbx, f.rax, f.rflags, f.rip,
    };
    /* out[] lies above every stack this upcall (or one nesting in it
     * after the unmask below) uses: upcall_entry skipped 256 bytes. */
    for (unsigned i = 0; i < 17; i++)
        out[i] = regs[i];
    for (;;) {
        evtchn_do_upcall();
        __atomic_store_n(&vi->upcall_mask, 0, __ATOMIC_SEQ_CST);
        if (!__atomic_load_n(&vi->upcall_pending, __ATOMIC_SEQ_CST))
            break;
        __atomic_store_n(&vi->upcall_mask, 1, __ATOMIC_SEQ_CST);
    }
    return out;
}

noreturn void evtchn_upcall_return(void)
{
    hc_evtchn_op(EVTCHNOP_upcall_return, 0, 0);
    panic("EVTCHNOP_upcall_return returned");
}
