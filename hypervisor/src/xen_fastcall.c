/*
 * xen_fastcall.c - the fast-call thread of a Xen-PV domain (the design is
 * in xen_fastcall.h, the channel in xen_fastcall_abi.h).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hvcore.h"
#include "public/errno.h"
#include "xen.h"
#include "xen_fastcall.h"
#include "xen_fastcall_abi.h"
#include "xen_hypercall.h"
#include "xen_layout.h"
#include "xen_mm.h"

/* The calls the stub may post (bit n: hypercall n). */
#define FAST_MASK ((1ULL << XEN_HC_mmu_update) | (1ULL << XEN_HC_stack_switch) | \
                   (1ULL << XEN_HC_update_va_mapping))

struct xen_fastcall {
    struct domain *d;
    pthread_t thread;
    bool started;                   /* thread exists (vCPU thread only)   */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop, wake;                /* under lock                          */
    bool hush;                      /* a reboot rewrites the pages: no
                                       polling until vcpu_reset (atomic)   */

    /* The exclusion (xen_fastcall.h): a Dekker pair, sequentially
     * consistent.  in_guest: the vCPU thread is in KVM_RUN; busy: the
     * fast-call thread is looking at a post. */
    int in_guest, busy;
    int polling;                    /* the thread polls (atomic)           */

    /* When to wake the thread (vCPU thread): after `need` eligible calls
     * through exits; doubled after a burst that served nothing (the thread
     * had no CPU of its own: the host is busy), back to the first after
     * one that served some.  The thread counts its bursts and says
     * whether the last one served. */
    unsigned seen, need, bursts_seen;
    unsigned bursts_ended;          /* atomic, by the thread               */
    bool last_burst_served;         /* atomic, by the thread               */
    bool start_failed;              /* vCPU thread: do not try again       */

    /* HVCORE_XEN_TRACE (written by one thread, read at the end) */
    uint64_t served[XEN_NR_HYPERCALLS], punted, cancelled, wakes;
};

static uint8_t *stub_page(struct domain *d)
{
    return d->xen->priv + XEN_OFF_SYSCALL_STUB;
}

static uint8_t *chan_page(struct domain *d)
{
    return d->xen->priv + XEN_OFF_CHANNEL;
}

static uint32_t *chan_state(struct domain *d)
{
    return (uint32_t *)(chan_page(d) + XEN_CHAN_STATE);
}

static void set_stub_flag(struct domain *d, unsigned off, uint8_t on)
{
    uint8_t *b = stub_page(d) + off;

    if (__atomic_load_n(b, __ATOMIC_RELAXED) != on)
        __atomic_store_n(b, on, __ATOMIC_SEQ_CST);
}

static void cpu_relax(void)
{
    __builtin_ia32_pause();
}

/* Serve the call the guest posted with arguments a[]: false if it must
 * take the exit. */
static bool serve(struct vcpu *v, uint64_t nr, const uint64_t a[6], int64_t *ret)
{
    switch (nr) {
    case XEN_HC_mmu_update:
        return xen_mm_update_fast(v, a, ret);
    case XEN_HC_update_va_mapping:
        if (a[2] & XEN_UVMF_FLUSHTYPE_MASK)
            return false;
        *ret = xen_hypercall_args(v, nr, a);
        return true;
    case XEN_HC_stack_switch:
        *ret = xen_hypercall_args(v, nr, a);
        return true;
    default:
        return false;
    }
}

/* Take and serve the post in the channel, if there is one the guest
 * kernel made while the vCPU thread is in KVM_RUN.  Whether it served. */
static bool serve_one(struct xen_fastcall *fc)
{
    struct domain *d = fc->d;
    struct vcpu *v = &d->vcpu[0];
    uint32_t *state = chan_state(d);
    bool served = false;

    if (__atomic_load_n(state, __ATOMIC_ACQUIRE) != XEN_CHAN_POSTED)
        return false;
    __atomic_store_n(&fc->busy, 1, __ATOMIC_SEQ_CST);
    uint32_t posted = XEN_CHAN_POSTED;
    if (__atomic_load_n(&fc->in_guest, __ATOMIC_SEQ_CST) && xen_vcpu_of(v)->kernel_mode &&
        __atomic_compare_exchange_n(state, &posted, XEN_CHAN_TAKEN, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_RELAXED)) {
        const uint64_t *w = (const uint64_t *)chan_page(d);
        uint64_t nr = __atomic_load_n(&w[XEN_CHAN_NR / 8], __ATOMIC_RELAXED);
        uint64_t a[6] = { 0 };
        for (unsigned i = 0; i < 4; i++)
            a[i] = __atomic_load_n(&w[XEN_CHAN_A0 / 8 + i], __ATOMIC_RELAXED);
        int64_t ret;
        if (nr < XEN_NR_HYPERCALLS && serve(v, nr, a, &ret)) {
            fc->served[nr]++;
        } else {
            ret = XEN_CHAN_PUNT;
            fc->punted++;
        }
        __atomic_store_n((int64_t *)(chan_page(d) + XEN_CHAN_RESULT), ret, __ATOMIC_RELAXED);
        __atomic_store_n(state, XEN_CHAN_DONE, __ATOMIC_RELEASE);
        served = true;
    }
    __atomic_store_n(&fc->busy, 0, __ATOMIC_SEQ_CST);
    return served;
}

/* Poll until XEN_FAST_IDLE_NS pass without a call. */
static void poll_burst(struct xen_fastcall *fc)
{
    unsigned n = 0;
    bool served = false;

    /* Idle from when the guest can see AWAKE: it has the whole time. */
    set_stub_flag(fc->d, XEN_STUB_AWAKE, 1);
    uint64_t idle_since = now_ns(CLOCK_MONOTONIC);
    while (!__atomic_load_n(&fc->stop, __ATOMIC_RELAXED) &&
           !__atomic_load_n(&fc->hush, __ATOMIC_RELAXED)) {
        if (serve_one(fc)) {
            idle_since = 0;
            served = true;
            continue;
        }
        cpu_relax();
        if (++n % 64)
            continue;
        uint64_t t = now_ns(CLOCK_MONOTONIC);
        if (!idle_since)
            idle_since = t;
        else if (t - idle_since > XEN_FAST_IDLE_NS)
            break;
    }
    set_stub_flag(fc->d, XEN_STUB_AWAKE, 0);
    /* A post the stub made as AWAKE went: it may wait for it. */
    served |= serve_one(fc);
    __atomic_store_n(&fc->last_burst_served, served, __ATOMIC_RELAXED);
    __atomic_store_n(&fc->bursts_ended, fc->bursts_ended + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&fc->polling, 0, __ATOMIC_SEQ_CST);
}

static void *fast_thread(void *arg)
{
    struct xen_fastcall *fc = arg;

    pthread_mutex_lock(&fc->lock);
    for (;;) {
        while (!fc->stop && !fc->wake)
            pthread_cond_wait(&fc->cond, &fc->lock);
        if (fc->stop)
            break;
        fc->wake = false;
        pthread_mutex_unlock(&fc->lock);
        poll_burst(fc);
        pthread_mutex_lock(&fc->lock);
    }
    pthread_mutex_unlock(&fc->lock);
    return NULL;
}

static struct xen_fastcall *fast_of(const struct vcpu *v)
{
    return v->id == 0 && v->dom->xen ? v->dom->xen->fast : NULL;
}

int xen_fastcall_init(struct domain *d)
{
    const char *env = getenv("HVCORE_XEN_FASTCALL");

    if (env && strcmp(env, "0") == 0)
        return 0;
    struct xen_fastcall *fc = calloc(1, sizeof(*fc));
    if (!fc)
        return -HVE_NOMEM;
    fc->d = d;
    fc->need = XEN_FAST_WAKE_FIRST;
    pthread_mutex_init(&fc->lock, NULL);
    pthread_cond_init(&fc->cond, NULL);
    d->xen->fast = fc;
    return 0;
}

void xen_fastcall_free(struct domain *d)
{
    struct xen_fastcall *fc = d->xen ? d->xen->fast : NULL;

    if (!fc)
        return;
    pthread_mutex_lock(&fc->lock);
    __atomic_store_n(&fc->stop, true, __ATOMIC_RELAXED);
    pthread_cond_signal(&fc->cond);
    pthread_mutex_unlock(&fc->lock);
    if (fc->started)
        pthread_join(fc->thread, NULL);
    pthread_cond_destroy(&fc->cond);
    pthread_mutex_destroy(&fc->lock);
    free(fc);
    d->xen->fast = NULL;
}

void xen_fastcall_vcpu_reset(struct vcpu *v)
{
    struct xen_fastcall *fc = fast_of(v);
    uint64_t mask = fc ? FAST_MASK : 0;

    if (v->id != 0)
        return;                     /* the channel is vCPU 0's */
    memcpy(stub_page(v->dom) + XEN_STUB_FASTMASK, &mask, sizeof(mask));
    set_stub_flag(v->dom, XEN_STUB_EXIT, 0);
    if (!fc)
        return;
    __atomic_store_n(chan_state(v->dom), XEN_CHAN_IDLE, __ATOMIC_SEQ_CST);
    memset(chan_page(v->dom) + sizeof(uint32_t), 0, 4096 - sizeof(uint32_t));
    fc->seen = 0;
    fc->need = XEN_FAST_WAKE_FIRST;
    __atomic_store_n(&fc->hush, false, __ATOMIC_SEQ_CST);
}

void xen_fastcall_quiesce(struct domain *d)
{
    struct xen_fastcall *fc = d->xen ? d->xen->fast : NULL;
    unsigned n = 0;

    if (!fc)
        return;
    __atomic_store_n(&fc->hush, true, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&fc->polling, __ATOMIC_SEQ_CST)) {
        if (++n < 4096)
            cpu_relax();
        else
            sched_yield();
    }
}

void xen_fastcall_enter(struct vcpu *v)
{
    struct xen_fastcall *fc = fast_of(v);

    if (fc)
        __atomic_store_n(&fc->in_guest, 1, __ATOMIC_SEQ_CST);
}

void xen_fastcall_leave(struct vcpu *v)
{
    struct xen_fastcall *fc = fast_of(v);
    unsigned n = 0;

    if (!fc)
        return;
    __atomic_store_n(&fc->in_guest, 0, __ATOMIC_SEQ_CST);
    /* A call in service takes microseconds; the thread may have lost its
     * CPU, so yield after a while rather than spin on. */
    while (__atomic_load_n(&fc->busy, __ATOMIC_SEQ_CST)) {
        if (++n < 4096)
            cpu_relax();
        else
            sched_yield();
    }
}

/* Start the thread (with every signal blocked: it takes none) or wake it. */
static void wake(struct xen_fastcall *fc)
{
    pthread_mutex_lock(&fc->lock);
    if (!fc->started) {
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        fc->started = pthread_create(&fc->thread, NULL, fast_thread, fc) == 0;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (!fc->started) {
            /* Calls go on taking exits: slower, nothing else. */
            fc->start_failed = true;
            fprintf(stderr, "hvcore: xen: cannot start the fast-call thread; "
                    "hypercalls all exit\n");
        }
    }
    __atomic_store_n(&fc->polling, 1, __ATOMIC_SEQ_CST);
    fc->wake = true;
    fc->wakes++;
    pthread_cond_signal(&fc->cond);
    pthread_mutex_unlock(&fc->lock);
}

void xen_fastcall_slow_call(struct vcpu *v, uint64_t nr)
{
    struct xen_fastcall *fc = fast_of(v);

    if (!fc || fc->start_failed || nr >= 64 || !(FAST_MASK & (1ULL << nr)))
        return;
    uint32_t *state = chan_state(v->dom);
    if (__atomic_load_n(state, __ATOMIC_RELAXED) == XEN_CHAN_CANCELLED) {
        /* The thread did not answer in time (no CPU for it): calls exit
         * again until the next burst wakes it. */
        __atomic_store_n(state, XEN_CHAN_IDLE, __ATOMIC_RELAXED);
        set_stub_flag(v->dom, XEN_STUB_AWAKE, 0);
        fc->cancelled++;
        return;
    }
    if (__atomic_load_n(&fc->polling, __ATOMIC_SEQ_CST))
        return;
    unsigned ended = __atomic_load_n(&fc->bursts_ended, __ATOMIC_ACQUIRE);
    if (ended != fc->bursts_seen) {
        fc->bursts_seen = ended;
        if (__atomic_load_n(&fc->last_burst_served, __ATOMIC_RELAXED))
            fc->need = XEN_FAST_WAKE_FIRST;
        else if (fc->need < XEN_FAST_WAKE_MAX)
            fc->need *= 2;
    }
    if (++fc->seen < fc->need)
        return;
    fc->seen = 0;
    wake(fc);
}

void xen_fastcall_kernel_entry(struct vcpu *v)
{
    /* The kernel's own calls leave the channel idle before it can leave
     * kernel mode (the stub takes its answer, and a post it gave up on
     * is seen at its exit): anything else is user code's doing. */
    if (fast_of(v))
        __atomic_store_n(chan_state(v->dom), XEN_CHAN_IDLE, __ATOMIC_RELAXED);
}

void xen_fastcall_want_exit(struct vcpu *v, bool on)
{
    if (fast_of(v))
        set_stub_flag(v->dom, XEN_STUB_EXIT, on);
}

/* The stub's labels (xen_syscall_stub.S). */
extern const uint8_t xen_syscall_stub[], xen_syscall_stub_exit_after[], xen_syscall_stub_tail[];

int xen_fastcall_tail_step(uint64_t rip)
{
    uint64_t at = XEN_PRIV_VA + XEN_OFF_SYSCALL_STUB +
                  (uint64_t)(xen_syscall_stub_tail - xen_syscall_stub);

    if (rip == at)
        return 0;
    if (rip == at + 2)              /* push %r11 is 2 bytes, popfq 1 */
        return 1;
    if (rip == at + 3)
        return 2;
    return -1;
}

bool xen_fastcall_is_exit_after(uint64_t rip)
{
    uint64_t at = XEN_PRIV_VA + XEN_OFF_SYSCALL_STUB +
                  (uint64_t)(xen_syscall_stub_exit_after - xen_syscall_stub);
    /* KVM reports the port write's rip, or the one past it. */
    return rip == at || rip == at + 2;
}

bool xen_fastcall_burst_on(const struct domain *d)
{
    const struct xen_fastcall *fc = d->xen ? d->xen->fast : NULL;

    return fc && __atomic_load_n(&fc->polling, __ATOMIC_SEQ_CST);
}

unsigned xen_fastcall_bursts_ended(const struct domain *d)
{
    const struct xen_fastcall *fc = d->xen ? d->xen->fast : NULL;

    return fc ? __atomic_load_n(&fc->bursts_ended, __ATOMIC_ACQUIRE) : 0;
}

void xen_fastcall_trace_summary(struct domain *d)
{
    struct xen_fastcall *fc = d->xen ? d->xen->fast : NULL;

    if (!fc)
        return;
    fprintf(stderr, "hvcore: xen: fast calls: %llu punted, %llu given up by the stub, "
            "%llu bursts\n", (unsigned long long)fc->punted, (unsigned long long)fc->cancelled,
            (unsigned long long)fc->wakes);
    for (unsigned i = 0; i < XEN_NR_HYPERCALLS; i++)
        if (fc->served[i])
            fprintf(stderr, "hvcore: xen:   fast hypercall %2u: %llu\n", i,
                    (unsigned long long)fc->served[i]);
}
