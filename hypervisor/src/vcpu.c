/*
 * vcpu.c - one thread per vCPU.
 *
 * A vCPU thread owns its KVM vCPU fd and its kvm_run page.  Registers are
 * exchanged through KVM_CAP_SYNC_REGS (run->s.regs), so a hypercall costs
 * one exit and no extra ioctls.  Other threads never touch the vCPU: they
 * change shared state under dom->lock and "kick" it — a signal that makes
 * KVM_RUN return, or a condition-variable wake-up when it is blocked.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "boot_layout.h"
#include "device.h"
#include "dirty_ring.h"
#include "domain.h"
#include "evtchn.h"
#include "guest_time.h"
#include "hvcore.h"
#include "hypercall.h"
#include "public/errno.h"
#include "public/layout.h"
#include "vcpu.h"
#include "xen.h"
#include "xen_fastcall.h"
#include "xen_sched.h"
#include "xen_time.h"
#include "xen_vcpu.h"

#define SIG_KICK SIGUSR1
/* CR2 before the guest runs: a #PF overwrites it, so a triple fault with
 * CR2 still at this non-canonical value was not a page fault. */
#define CR2_SENTINEL 0xdead00000000beefULL

static __thread struct kvm_run *tls_run;

/* The byte that says an event upcall is pending for v, in whichever
 * guest ABI's page it lives. */
static const uint8_t *upcall_pending(struct vcpu *v)
{
    if (v->dom->xen)
        return &xen_vcpu_info(v)->evtchn_upcall_pending;
    return &dom_shared(v->dom)->vcpu_info[v->id].upcall_pending;
}

/* epoll data of a blocked vCPU's own descriptors (device qids are lower). */
#define BLOCK_TIMER 0xfffffff0u
#define BLOCK_WAKE  0xfffffff1u

static void kick_handler(int sig)
{
    (void)sig;
    if (tls_run)
        tls_run->immediate_exit = 1;
}

int vcpu_init_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = kick_handler;    /* no SA_RESTART: KVM_RUN must return */
    sigemptyset(&sa.sa_mask);
    return sigaction(SIG_KICK, &sa, NULL) < 0 ? -errno : 0;
}

int vcpu_setup(struct domain *d)
{
    for (unsigned i = 0; i < HV_MAX_VCPUS; i++) {
        struct vcpu *v = &d->vcpu[i];

        v->dom = d;
        v->id = i;
        v->fd = -1;
        v->timer_fd = v->wake_fd = v->dev_epoll = -1;
        pthread_cond_init(&v->cond, NULL);
        if (i < d->max_vcpus) {
            v->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
            v->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            v->dev_epoll = epoll_create1(EPOLL_CLOEXEC);
            if (v->timer_fd < 0 || v->wake_fd < 0 || v->dev_epoll < 0)
                return -errno;
            /* What a blocked vCPU waits for: its timer, its wake-up and
             * (added by device.c) the call eventfds of its queues. */
            struct epoll_event t = { .events = EPOLLIN, .data.u32 = BLOCK_TIMER };
            struct epoll_event w = { .events = EPOLLIN, .data.u32 = BLOCK_WAKE };
            if (epoll_ctl(v->dev_epoll, EPOLL_CTL_ADD, v->timer_fd, &t) < 0 ||
                epoll_ctl(v->dev_epoll, EPOLL_CTL_ADD, v->wake_fd, &w) < 0)
                return -errno;
        }
    }
    return 0;
}

void vcpu_teardown(struct domain *d)
{
    for (unsigned i = 0; i < HV_MAX_VCPUS; i++) {
        struct vcpu *v = &d->vcpu[i];

        dirty_ring_unmap(v);
        if (v->run)
            munmap(v->run, d->run_mmap_size);
        if (v->fd >= 0)
            close(v->fd);
        if (v->timer_fd >= 0)
            close(v->timer_fd);
        if (v->wake_fd >= 0)
            close(v->wake_fd);
        if (v->dev_epoll >= 0)
            close(v->dev_epoll);
        v->run = NULL;
        v->fd = v->timer_fd = v->wake_fd = v->dev_epoll = -1;
        pthread_cond_destroy(&v->cond);
    }
}

struct kvm_cpuid2 *vcpu_supported_cpuid(struct domain *d)
{
    const int nent = 256;

    /* Asked once per process: on a nested host every CPUID KVM runs to
     * answer traps, and the answer does not change. */
    if (d->cpuid)
        return d->cpuid;
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + nent * sizeof(struct kvm_cpuid_entry2));
    if (!c)
        return NULL;
    c->nent = nent;
    if (ioctl(d->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
        free(c);
        return NULL;
    }
    d->cpuid = c;
    return c;
}

/* Create the KVM vCPU: CPUID as KVM supports it, sync-regs exchange. */
static int create_kvm_vcpu(struct vcpu *v)
{
    struct domain *d = v->dom;
    struct kvm_cpuid2 *cpuid;
    int nent = 256;

    v->fd = ioctl(d->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->id);
    if (v->fd < 0)
        return -errno;
    v->run = mmap(NULL, d->run_mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED) {
        v->run = NULL;
        return -errno;
    }
    (void)nent;
    cpuid = vcpu_supported_cpuid(d);
    if (!cpuid)
        return -HVE_NOMEM;
    if (ioctl(v->fd, KVM_SET_CPUID2, cpuid) < 0)
        return -errno;
    v->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
    return dirty_ring_map(v);
}

static void user_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code)
{
    memset(s, 0, sizeof(*s));
    s->base = 0;
    s->limit = 0xffffffff;
    s->selector = sel;
    s->type = type;
    s->present = 1;
    s->dpl = 3;
    s->s = 1;
    s->g = 1;
    s->l = code;
    s->db = !code;
}

/* 64-bit mode at CPL 3 with hvcore's page tables: no real/protected mode
 * bring-up, which a software back end would have to emulate slowly. */
static int reset_registers(struct vcpu *v, const struct hv_vcpu_context *ctx)
{
    struct kvm_sregs sregs;
    struct kvm_regs regs;

    if (v->dom->xen)
        return xen_vcpu_reset(v, ctx);
    if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
        return -errno;
    user_segment(&sregs.cs, SEL_USER_CS, 0xb, true);
    user_segment(&sregs.ss, SEL_USER_DS, 0x3, false);
    sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss;
    memset(&sregs.tr, 0, sizeof(sregs.tr));
    sregs.tr.base = BOOT_TSS;
    sregs.tr.limit = BOOT_TSS_LIMIT;
    sregs.tr.selector = SEL_TSS;
    sregs.tr.type = 0xb;                        /* busy 64-bit TSS */
    sregs.tr.present = 1;
    sregs.gdt.base = BOOT_GDT;
    sregs.gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
    sregs.idt.base = 0;
    sregs.idt.limit = 0;                        /* no IDT: faults are fatal */
    sregs.cr0 = 0x80050033;                     /* PG AM WP NE ET MP PE */
    sregs.cr3 = BOOT_PML4;
    sregs.cr4 = 0x20;                           /* PAE */
    sregs.efer = 0xd00;                         /* NXE LMA LME */
    sregs.cr2 = CR2_SENTINEL;
    if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
        return -errno;

    memset(&regs, 0, sizeof(regs));
    regs.rip = ctx->rip;
    regs.rsp = ctx->rsp;
    regs.rdi = ctx->rdi;
    regs.rsi = ctx->rsi;
    regs.rflags = 0x202;
    if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
        return -errno;
    /* Registers left dirty by the last hypercall before a reboot or a
     * VCPUOP_down would otherwise overwrite these on the next KVM_RUN. */
    v->run->kvm_dirty_regs = 0;
    v->regs_valid = false;
    return 0;
}

static void crash_from_shutdown(struct vcpu *v)
{
    struct kvm_sregs sregs;
    struct kvm_regs regs;
    char why[112];

    if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0 || ioctl(v->fd, KVM_GET_REGS, &regs) < 0) {
        domain_end(v->dom, END_CRASH, "triple fault");
        return;
    }
    if (sregs.cr2 != CR2_SENTINEL)
        snprintf(why, sizeof(why), "#PF at rip=%#llx addr=%#llx (vcpu %u)",
                 (unsigned long long)regs.rip, (unsigned long long)sregs.cr2, v->id);
    else
        snprintf(why, sizeof(why), "triple fault at rip=%#llx (vcpu %u)",
                 (unsigned long long)regs.rip, v->id);
    domain_end(v->dom, END_CRASH, why);
}

/*
 * A vCPU from a stream: registers go into the sync-regs area, as if the
 * guest had just exited (so a pending upcall is delivered before it runs
 * again), the segments and XSAVE state through KVM.  The record was
 * checked by stream_read (stream_regs_ok); control registers, CS, SS, TR
 * and the GDT stay as reset_registers made them.
 */
static int load_saved_state(struct vcpu *v)
{
    const struct hv_rec_vcpu *rec = v->restore;
    const struct hv_stream_regs *r = &rec->regs;
    struct kvm_regs *k = &v->run->s.regs.regs;
    struct kvm_sregs sregs;

    if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
        return -errno;
    sregs.ds.selector = r->ds;
    sregs.es.selector = r->es;
    sregs.fs.selector = r->fs;
    sregs.gs.selector = r->gs;
    sregs.fs.base = r->fs_base;
    sregs.gs.base = r->gs_base;
    sregs.cr2 = r->cr2;
    if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
        return -errno;
    if (rec->xcr0) {
        struct kvm_xcrs xcrs;
        struct kvm_xsave xs;

        memset(&xcrs, 0, sizeof(xcrs));
        xcrs.nr_xcrs = 1;
        xcrs.xcrs[0].xcr = 0;
        xcrs.xcrs[0].value = rec->xcr0;
        _Static_assert(sizeof(xs.region) == HV_STREAM_XSAVE_SIZE, "XSAVE area size");
        memcpy(xs.region, rec->xsave, sizeof(xs.region));
        if (ioctl(v->fd, KVM_SET_XCRS, &xcrs) < 0 || ioctl(v->fd, KVM_SET_XSAVE, &xs) < 0)
            return -errno;
    }
    memset(k, 0, sizeof(*k));
    k->rax = r->rax; k->rbx = r->rbx; k->rcx = r->rcx; k->rdx = r->rdx;
    k->rsi = r->rsi; k->rdi = r->rdi; k->rbp = r->rbp; k->rsp = r->rsp;
    k->r8 = r->r8; k->r9 = r->r9; k->r10 = r->r10; k->r11 = r->r11;
    k->r12 = r->r12; k->r13 = r->r13; k->r14 = r->r14; k->r15 = r->r15;
    k->rip = r->rip;
    k->rflags = r->rflags;
    v->run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
    v->regs_valid = true;
    v->exits = rec->exits;
    return 0;
}

enum loop_result { LOOP_GO, LOOP_DOWN, LOOP_STOP };

/* Park while the domain is paused; say whether to go on running. */
static enum loop_result wait_while_paused(struct vcpu *v)
{
    struct domain *d = v->dom;
    enum loop_result go = LOOP_GO;

    pthread_mutex_lock(&d->lock);
    if (d->paused && !d->stopping) {
        v->state = VCPU_PARKED;
        pthread_cond_broadcast(&d->cond);
        while (d->paused && !d->stopping)
            pthread_cond_wait(&v->cond, &d->lock);
        v->state = VCPU_RUNNING;
    }
    if (d->stopping)
        go = LOOP_STOP;
    else if (v->want_down)
        go = LOOP_DOWN;
    pthread_mutex_unlock(&d->lock);
    return go;
}

static enum loop_result run_loop(struct vcpu *v)
{
    struct kvm_run *run = v->run;
    struct kvm_regs *regs = &run->s.regs.regs;
    char why[112];

    for (;;) {
        enum loop_result go = wait_while_paused(v);
        if (go != LOOP_GO)
            return go;
        if (v->dom->xen) {
            xen_vcpu_before_run(v);
            xen_fastcall_enter(v);
        } else if (v->regs_valid && evtchn_deliver_upcall(v, regs))
            run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;

        int rc = ioctl(v->fd, KVM_RUN, 0);
        if (v->dom->xen)
            xen_fastcall_leave(v);
        run->immediate_exit = 0;
        /* Every return counts, a kick (EINTR) too: each cost an exit. */
        __atomic_store_n(&v->exits, v->exits + 1, __ATOMIC_RELAXED);
        if (rc < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                v->regs_valid = true;
                continue;
            }
            snprintf(why, sizeof(why), "KVM_RUN failed: %s", strerror(errno));
            domain_end(v->dom, END_CRASH, why);
            return LOOP_STOP;
        }
        v->regs_valid = true;

        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            if (v->dom->xen && xen_vcpu_port(run->io.port)) {
                enum xen_next next = xen_vcpu_exit_io(v);
                if (next == XEN_NEXT_BLOCK)
                    vcpu_block(v);
                else if (next == XEN_NEXT_DOWN)
                    return LOOP_DOWN;
                else if (next == XEN_NEXT_END)
                    return LOOP_STOP;
                continue;
            }
            if (v->dom->xen) {
                snprintf(why, sizeof(why), "unexpected I/O to port %#x at rip=%#llx",
                         run->io.port, (unsigned long long)regs->rip);
                break;
            }
            if (run->io.port == HV_NULL_PORT)
                continue;
            /* A queue notification KVM did not take (no ioeventfd, or no
             * live queue of that qid): hvcore passes it on or drops it. */
            if (run->io.port >= HV_NOTIFY_PORT && run->io.port < HV_NOTIFY_PORT + 4) {
                /* The four ports the bitmap opens for it: anything but
                 * the stub's 4-byte write is ignored, as a guest's own
                 * "in" or byte write there is no notification. */
                uint32_t qid;
                if (run->io.port == HV_NOTIFY_PORT && run->io.size == 4 &&
                    run->io.direction == KVM_EXIT_IO_OUT) {
                    memcpy(&qid, (uint8_t *)run + run->io.data_offset, sizeof(qid));
                    device_notify(v->dom, qid);
                }
                continue;
            }
            if (run->io.port == HV_HYPERCALL_PORT && run->io.direction == KVM_EXIT_IO_OUT) {
                enum hc_next next = hypercall_dispatch(v);
                if (next == HC_VCPU_DOWN)
                    return LOOP_DOWN;
                if (next == HC_DOMAIN_END)
                    return LOOP_STOP;
                continue;
            }
            snprintf(why, sizeof(why), "unexpected I/O to port %#x at rip=%#llx",
                     run->io.port, (unsigned long long)regs->rip);
            break;
        case KVM_EXIT_INTR:
            continue;
        case KVM_EXIT_DIRTY_RING_FULL:
            dirty_ring_full(v);
            continue;
        case KVM_EXIT_SHUTDOWN:
            crash_from_shutdown(v);
            return LOOP_STOP;
        case KVM_EXIT_MMIO:
            snprintf(why, sizeof(why), "access to unbacked address %#llx at rip=%#llx",
                     (unsigned long long)run->mmio.phys_addr,
                     (unsigned long long)regs->rip);
            break;
        case KVM_EXIT_INTERNAL_ERROR:
            snprintf(why, sizeof(why), "KVM internal error %u at rip=%#llx",
                     run->internal.suberror, (unsigned long long)regs->rip);
            break;
        case KVM_EXIT_FAIL_ENTRY:
            snprintf(why, sizeof(why), "KVM entry failure %#llx",
                     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            break;
        default:
            snprintf(why, sizeof(why), "unexpected KVM exit %u at rip=%#llx",
                     run->exit_reason, (unsigned long long)regs->rip);
            break;
        }
        domain_end(v->dom, END_CRASH, why);
        return LOOP_STOP;
    }
}

static void *vcpu_thread(void *arg)
{
    struct vcpu *v = arg;
    struct domain *d = v->dom;
    struct timespec t0;
    char why[112];
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIG_KICK);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    pthread_mutex_lock(&d->lock);
    for (;;) {
        while (!d->stopping && !v->want_up) {
            v->state = VCPU_DOWN;
            pthread_cond_broadcast(&d->cond);
            pthread_cond_wait(&v->cond, &d->lock);
        }
        if (d->stopping)
            break;
        struct hv_vcpu_context ctx = v->start;
        v->want_up = false;
        v->want_down = false;
        v->state = VCPU_RUNNING;
        pthread_cond_broadcast(&d->cond);
        pthread_mutex_unlock(&d->lock);

        bool first = v->fd < 0;
        int err = first ? create_kvm_vcpu(v) : 0;
        if (!err && first && v->id == 0) {
            /* KVM may offset the guest's TSC: learn by how much before the
             * guest first reads its clock, and rewrite the records. */
            d->guest_tsc_offset = domain_measure_tsc_offset(v->fd);
            if (d->xen)
                xen_time_init(d);
            else
                for (unsigned i = 0; i < HV_MAX_VCPUS; i++)
                    boot_layout_pvclock(d, i);
        }
        if (!err)
            err = reset_registers(v, &ctx);
        if (!err && v->restore)
            err = load_saved_state(v);
        tls_run = v->run;
        if (err) {
            snprintf(why, sizeof(why), "cannot start vcpu %u: %s", v->id, strerror(-err));
            domain_end(d, END_CRASH, why);
            pthread_mutex_lock(&d->lock);
            break;
        }
        /* A vCPU that left in SCHEDOP_block goes back to it: the guest
         * sees the call return when an event comes, as before. */
        bool blocked = v->restore && v->restore->state == HV_STREAM_VCPU_BLOCKED;
        free(v->restore);
        v->restore = NULL;
        if (blocked)
            vcpu_block(v);
        enum loop_result r = run_loop(v);
        if (d->xen && getenv("HVCORE_XEN_TRACE")) {
            xen_vcpu_trace_summary(v);
            xen_fastcall_trace_summary(d);
        }
        pthread_mutex_lock(&d->lock);
        if (r == LOOP_STOP)
            break;
    }
    tls_run = NULL;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    v->cpu_ns_done += (uint64_t)t0.tv_sec * 1000000000ULL + (uint64_t)t0.tv_nsec;
    v->state = VCPU_EXITED;
    pthread_cond_broadcast(&d->cond);
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

void vcpu_notify_locked(struct vcpu *v)
{
    uint64_t one = 1;

    if (v->state == VCPU_BLOCKED) {
        (void)!write(v->wake_fd, &one, sizeof(one));
    } else if (v->state == VCPU_PARKED || v->state == VCPU_DOWN) {
        pthread_cond_signal(&v->cond);
    } else if (v->state == VCPU_RUNNING && v->thread_started) {
        pthread_kill(v->thread, SIG_KICK);
    }
}

int vcpu_up(struct domain *d, unsigned id, const struct hv_vcpu_context *ctx)
{
    struct vcpu *v;
    int ret = 0;

    if (id >= d->max_vcpus)
        return -HVE_INVAL;
    v = &d->vcpu[id];
    pthread_mutex_lock(&d->lock);
    if (d->stopping) {
        ret = -HVE_BUSY;
    } else if (v->want_up || (v->thread_started && v->state != VCPU_DOWN &&
                              v->state != VCPU_EXITED)) {
        ret = -HVE_BUSY;
    } else {
        v->start = *ctx;
        v->want_up = true;
        if (!v->thread_started || v->state == VCPU_EXITED) {
            if (v->thread_started)
                pthread_join(v->thread, NULL);
            v->state = VCPU_DOWN;
            if (pthread_create(&v->thread, NULL, vcpu_thread, v) != 0) {
                v->want_up = false;
                v->thread_started = false;
                ret = -HVE_NOMEM;
            } else {
                v->thread_started = true;
            }
        } else {
            pthread_cond_signal(&v->cond);
        }
    }
    pthread_mutex_unlock(&d->lock);
    return ret;
}

int vcpu_down_other(struct domain *d, unsigned id)
{
    if (id == 0 || id >= d->max_vcpus)
        return -HVE_INVAL;
    pthread_mutex_lock(&d->lock);
    struct vcpu *v = &d->vcpu[id];
    if (v->thread_started && (v->state == VCPU_RUNNING || v->state == VCPU_BLOCKED ||
                              v->state == VCPU_PARKED)) {
        v->want_down = true;
        vcpu_notify_locked(v);
    }
    pthread_mutex_unlock(&d->lock);
    return 0;
}

static bool quiescent(const struct vcpu *v)
{
    return !v->thread_started || v->state != VCPU_RUNNING;
}

int vcpus_pause(struct domain *d)
{
    pthread_mutex_lock(&d->lock);
    if (d->paused) {
        pthread_mutex_unlock(&d->lock);
        return -HVE_ALREADY;
    }
    d->paused = true;
    for (unsigned i = 0; i < d->max_vcpus; i++)
        if (d->vcpu[i].thread_started && d->vcpu[i].state == VCPU_RUNNING)
            vcpu_notify_locked(&d->vcpu[i]);
    /* Return only once no vCPU can execute guest code: callers (and the
     * tests) rely on a paused domain being really still. */
    for (unsigned i = 0; i < d->max_vcpus; i++)
        while (!quiescent(&d->vcpu[i]) && !d->stopping)
            pthread_cond_wait(&d->cond, &d->lock);
    pthread_mutex_unlock(&d->lock);
    return 0;
}

int vcpus_unpause(struct domain *d)
{
    pthread_mutex_lock(&d->lock);
    if (!d->paused) {
        pthread_mutex_unlock(&d->lock);
        return -HVE_ALREADY;
    }
    d->paused = false;
    /* Parked vCPUs must run again; a blocked one only if an event came in
     * while paused (waking it for nothing costs a cross-CPU wake-up). */
    for (unsigned i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = &d->vcpu[i];
        if (v->state != VCPU_BLOCKED || __atomic_load_n(upcall_pending(v), __ATOMIC_SEQ_CST))
            vcpu_notify_locked(v);
    }
    pthread_mutex_unlock(&d->lock);
    return 0;
}

void vcpus_join(struct domain *d)
{
    pthread_mutex_lock(&d->lock);
    for (unsigned i = 0; i < d->max_vcpus; i++) {
        vcpu_notify_locked(&d->vcpu[i]);
        pthread_cond_broadcast(&d->vcpu[i].cond);
    }
    pthread_mutex_unlock(&d->lock);
    for (unsigned i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = &d->vcpu[i];
        if (v->thread_started) {
            pthread_join(v->thread, NULL);
            v->thread_started = false;
        }
        v->state = VCPU_DOWN;
        v->want_up = v->want_down = false;
    }
}

bool vcpu_is_up_locked(const struct vcpu *v)
{
    /* Asked to come up counts: its thread may not have run yet. */
    return v->thread_started &&
           (v->want_up || v->state == VCPU_RUNNING ||
            v->state == VCPU_BLOCKED || v->state == VCPU_PARKED);
}

unsigned vcpus_online(struct domain *d)
{
    unsigned n = 0;

    pthread_mutex_lock(&d->lock);
    for (unsigned i = 0; i < d->max_vcpus; i++)
        n += vcpu_is_up_locked(&d->vcpu[i]);
    pthread_mutex_unlock(&d->lock);
    return n;
}

uint64_t vcpus_cpu_time_ns(struct domain *d)
{
    uint64_t total = 0;

    pthread_mutex_lock(&d->lock);
    for (unsigned i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = &d->vcpu[i];
        clockid_t cid;
        struct timespec ts;

        total += v->cpu_ns_done;
        if (v->thread_started && v->state != VCPU_EXITED &&
            pthread_getcpuclockid(v->thread, &cid) == 0 &&
            clock_gettime(cid, &ts) == 0)
            total += (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
    }
    pthread_mutex_unlock(&d->lock);
    return total;
}

uint64_t vcpus_exits(struct domain *d)
{
    uint64_t total = 0;

    /* No lock: each count is one word its vCPU thread stores whole. */
    for (unsigned i = 0; i < d->max_vcpus; i++)
        total += __atomic_load_n(&d->vcpu[i].exits, __ATOMIC_RELAXED);
    return total;
}

void vcpu_block(struct vcpu *v)
{
    struct domain *d = v->dom;
    const uint8_t *pending = upcall_pending(v);
    struct epoll_event evs[8];
    uint64_t cnt;
    int timeout = -1;

    /* SCHEDOP_block enables events first, so "unmask; block" cannot lose
     * an event that arrives in between (for a Xen guest xen_sched.c did). */
    if (!d->xen)
        __atomic_store_n(&dom_shared(d)->vcpu_info[v->id].upcall_mask, 0, __ATOMIC_SEQ_CST);
    else
        xen_runstate_set(v, XEN_RUNSTATE_blocked);
    pthread_mutex_lock(&d->lock);
    v->state = VCPU_BLOCKED;
    pthread_cond_broadcast(&d->cond);
    while (!d->stopping && !v->want_down &&
           (d->paused || !__atomic_load_n(pending, __ATOMIC_SEQ_CST))) {
        pthread_mutex_unlock(&d->lock);
        /* SCHEDOP_poll's timeout (Xen guests) ends the block by itself. */
        if (d->xen && xen_vcpu_of(v)->block_deadline_ns) {
            uint64_t now = guest_time_now(d), end = xen_vcpu_of(v)->block_deadline_ns;
            if (now >= end) {
                pthread_mutex_lock(&d->lock);
                break;
            }
            uint64_t ms = (end - now + 999999) / 1000000;
            timeout = ms > 1000 ? 1000 : (int)ms;
        }
        /* The blocked vCPU waits on its own timer too: whichever of this
         * thread and the event loop reads the expiry raises VIRQ_TIMER,
         * and this way saves a thread hop on the common wake-up. */
        int n = epoll_wait(v->dev_epoll, evs, 8, timeout);
        for (int i = 0; i < n; i++) {
            if (evs[i].data.u32 == BLOCK_TIMER) {
                if (read(v->timer_fd, &cnt, sizeof(cnt)) == (ssize_t)sizeof(cnt))
                    guest_timer_fired(v);
            } else if (evs[i].data.u32 == BLOCK_WAKE) {
                (void)!read(v->wake_fd, &cnt, sizeof(cnt));
            } else {
                /* A device queue bound to this vCPU completed: raise its
                 * port here, not in the event loop (device.c). */
                device_call(d, evs[i].data.u32);
            }
        }
        pthread_mutex_lock(&d->lock);
    }
    v->state = VCPU_RUNNING;
    pthread_mutex_unlock(&d->lock);
    if (d->xen) {
        xen_vcpu_of(v)->block_deadline_ns = 0;
        xen_runstate_set(v, XEN_RUNSTATE_running);
    }
}

int vcpu_restore(struct domain *d, const struct hv_rec_vcpu *rec)
{
    struct vcpu *v = &d->vcpu[rec->id];
    struct hv_vcpu_context ctx;
    int ret;

    if (rec->id >= d->max_vcpus)
        return -HVE_INVAL;
    switch (rec->state) {
    case HV_STREAM_VCPU_DOWN:
        return 0;
    case HV_STREAM_VCPU_UP_PENDING:
        return vcpu_up(d, rec->id, &rec->start);
    default:
        break;
    }
    v->restore = malloc(sizeof(*rec));
    if (!v->restore)
        return -HVE_NOMEM;
    memcpy(v->restore, rec, sizeof(*rec));
    memset(&ctx, 0, sizeof(ctx));
    ctx.rip = rec->regs.rip;
    ctx.rsp = rec->regs.rsp;
    ret = vcpu_up(d, rec->id, &ctx);
    if (ret < 0) {
        free(v->restore);
        v->restore = NULL;
    }
    return ret;
}

int vcpu_capture(struct domain *d, unsigned id, struct hv_rec_vcpu *rec)
{
    struct vcpu *v = &d->vcpu[id];
    struct kvm_sregs sregs;
    struct kvm_regs kr;
    const struct kvm_regs *k = &kr;
    enum vcpu_run_state st;
    bool up, pending;

    memset(rec, 0, sizeof(*rec));
    rec->id = id;
    rec->exits = __atomic_load_n(&v->exits, __ATOMIC_RELAXED);
    pthread_mutex_lock(&d->lock);
    up = vcpu_is_up_locked(v);
    pending = v->want_up;
    st = v->state;
    if (pending)
        rec->start = v->start;
    pthread_mutex_unlock(&d->lock);
    if (!up) {
        rec->state = HV_STREAM_VCPU_DOWN;
        return 0;
    }
    if (pending) {
        rec->state = HV_STREAM_VCPU_UP_PENDING;
        return 0;
    }
    if (st != VCPU_PARKED && st != VCPU_BLOCKED)
        return -HVE_BUSY;           /* not paused: nothing stands still */
    rec->state = st == VCPU_BLOCKED ? HV_STREAM_VCPU_BLOCKED : HV_STREAM_VCPU_RUNNING;
    /* The sync-regs area is newer than KVM's copy once the vCPU has run
     * (hypercall results are written there). */
    if (v->regs_valid)
        k = &v->run->s.regs.regs;
    else if (ioctl(v->fd, KVM_GET_REGS, &kr) < 0)
        return -errno;
    if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
        return -errno;

    struct hv_stream_regs *r = &rec->regs;
    r->rax = k->rax; r->rbx = k->rbx; r->rcx = k->rcx; r->rdx = k->rdx;
    r->rsi = k->rsi; r->rdi = k->rdi; r->rbp = k->rbp; r->rsp = k->rsp;
    r->r8 = k->r8; r->r9 = k->r9; r->r10 = k->r10; r->r11 = k->r11;
    r->r12 = k->r12; r->r13 = k->r13; r->r14 = k->r14; r->r15 = k->r15;
    r->rip = k->rip;
    r->rflags = k->rflags;
    if (rec->state == HV_STREAM_VCPU_BLOCKED)
        r->rax = 0;                 /* what SCHEDOP_block returns */
    r->ds = sregs.ds.selector;
    r->es = sregs.es.selector;
    r->fs = sregs.fs.selector;
    r->gs = sregs.gs.selector;
    r->fs_base = sregs.fs.base;
    r->gs_base = sregs.gs.base;
    r->cr2 = sregs.cr2;
    /* timer_deadline_ns comes from the caller's snapshot, taken with the
     * pending events under one lock (domain_stream.c). */

    struct kvm_xcrs xcrs;
    struct kvm_xsave xs;
    if (ioctl(v->fd, KVM_GET_XCRS, &xcrs) == 0 && ioctl(v->fd, KVM_GET_XSAVE, &xs) == 0) {
        for (unsigned i = 0; i < xcrs.nr_xcrs && i < KVM_MAX_XCRS; i++)
            if (xcrs.xcrs[i].xcr == 0)
                rec->xcr0 = xcrs.xcrs[i].value;
        if (rec->xcr0)
            memcpy(rec->xsave, xs.region, sizeof(rec->xsave));
    }
    return 0;
}

int vcpus_wait_settled(struct domain *d)
{
    int ret = 0;

    pthread_mutex_lock(&d->lock);
    for (unsigned i = 0; i < d->max_vcpus && !ret; i++) {
        struct vcpu *v = &d->vcpu[i];
        while (v->thread_started && (v->want_up || v->state == VCPU_RUNNING) &&
               !d->stopping)
            pthread_cond_wait(&d->cond, &d->lock);
        if (d->stopping)
            ret = -HVE_BUSY;
    }
    pthread_mutex_unlock(&d->lock);
    return ret;
}

int vcpus_precreate(struct domain *d)
{
    for (unsigned i = 0; i < d->max_vcpus; i++) {
        struct vcpu *v = &d->vcpu[i];
        if (v->fd >= 0)
            continue;
        int r = create_kvm_vcpu(v);
        if (r < 0)
            return r;
        /* As the first up of vCPU 0 would (vcpu_thread): learn KVM's TSC
         * offset before any record is written for the guest. */
        if (i == 0)
            d->guest_tsc_offset = domain_measure_tsc_offset(v->fd);
    }
    return 0;
}
