/*
 * unit_xen_fastcall.c - the fast-call thread (xen_fastcall.c) on a fake
 * domain.  The test plays the two other parties: the vCPU thread (enter
 * and leave around a pretend KVM_RUN, slow_call at the exits,
 * kernel_entry, want_exit) and the guest, which writes the channel page
 * and reads the stub page's flags as xen_syscall_stub.S does.  What the
 * thread serves lands in doubles of the calls it makes, which record the
 * thread, number and arguments, and whether the vCPU was in the guest in
 * kernel mode at the time.
 *
 * No verdict depends on speed: every wait is for a condition, with a 30 s
 * deadline.  "Not served" is shown by the order of events: a whole burst
 * of polling that began after the post passed over it (or, in the guest,
 * the thread looked at the post: xen_vcpu_of counts its looks), and the
 * same post is served once what forbade it is gone.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "hvcore.h"
#include "xen.h"
#include "xen_fastcall.h"
#include "xen_fastcall_abi.h"
#include "xen_hypercall.h"
#include "xen_layout.h"
#include "xen_mm.h"

/* The stub's labels (xen_syscall_stub.S). */
extern const uint8_t xen_syscall_stub[], xen_syscall_stub_exit_after[], xen_syscall_stub_tail[];

#define DEADLINE_NS   (30ULL * 1000000000ULL)
#define PAGE          4096
#define PRIV_BYTES    (XEN_OFF_CHANNEL + PAGE)  /* up to the channel page */

/* The doubles' script. */
#define MMU_PUNT_COUNT 99               /* mmu_update count refused: punt     */
#define MMU_GATE_COUNT 77               /* mmu_update count held at a gate    */
#define HC_ANSWER(nr)  (0x7000 + (int64_t)(nr))  /* xen_hypercall_args       */

/* x86 encodings the stub's labels are documented to point at. */
#define OP_OUT_IMM8    0xe6             /* out %al, $imm8: 2 bytes            */
#define OP_PUSH_R11_0  0x41             /* push %r11: 41 53                   */
#define OP_PUSH_R11_1  0x53
#define OP_POPFQ       0x9d
#define OP_JMP_RM      0xff             /* jmp *%rcx: ff e1                   */
#define MODRM_RCX_JMP  0xe1

/* ---- the fake domain ------------------------------------------------------ */

static struct {
    struct domain *d;
    struct vcpu *v;                     /* vCPU 0, the channel's            */
    pthread_t test_thread;
    /* The test's own view of the vCPU, for the doubles (atomic): between
     * enter and the return of leave, and in kernel mode. */
    int in_guest, kernel;
} fx;

static uint8_t *stub_page(void)
{
    return fx.d->xen->priv + XEN_OFF_SYSCALL_STUB;
}

static uint8_t *chan_page(void)
{
    return fx.d->xen->priv + XEN_OFF_CHANNEL;
}

static bool make_domain(void)
{
    memset(&fx, 0, sizeof(fx));
    fx.test_thread = pthread_self();
    fx.d = calloc(1, sizeof(*fx.d));
    if (!fx.d)
        return false;
    fx.d->xen = calloc(1, sizeof(*fx.d->xen));
    if (!fx.d->xen)
        return false;
    fx.d->xen->priv = aligned_alloc(PAGE, PRIV_BYTES);
    if (!fx.d->xen->priv)
        return false;
    memset(fx.d->xen->priv, 0, PRIV_BYTES);
    fx.d->xen->priv_bytes = PRIV_BYTES;
    for (unsigned i = 0; i < 2; i++) {
        fx.d->vcpu[i].dom = fx.d;
        fx.d->vcpu[i].id = i;
        fx.d->xen->vcpu[i].kernel_mode = true;
    }
    fx.v = &fx.d->vcpu[0];
    fx.kernel = 1;
    return true;
}

/* ---- the doubles of what xen_fastcall.c calls ------------------------------ */

/* What one double was called with (the last call), under rec_lock. */
struct call_record {
    unsigned calls;
    uint64_t nr, a[6];
    bool on_test_thread;                /* the last call ran on ours         */
    unsigned outside;                   /* calls with the vCPU out of the
                                           guest or in user mode            */
};

static pthread_mutex_t rec_lock = PTHREAD_MUTEX_INITIALIZER;
static struct call_record mm_rec, hc_rec;
static unsigned looks;                  /* xen_vcpu_of calls (atomic)        */

/* The gate of MMU_GATE_COUNT (atomics): the double waits in service until
 * it opens, and notes whether the vCPU thread's leave returned meanwhile. */
static struct {
    int in_service, open, leaving, left, left_while_serving;
} gate;

static void record(struct call_record *r, uint64_t nr, const uint64_t a[6])
{
    pthread_mutex_lock(&rec_lock);
    r->calls++;
    r->nr = nr;
    memcpy(r->a, a, sizeof(r->a));
    r->on_test_thread = pthread_equal(pthread_self(), fx.test_thread);
    if (!__atomic_load_n(&fx.in_guest, __ATOMIC_SEQ_CST) ||
        !__atomic_load_n(&fx.kernel, __ATOMIC_SEQ_CST))
        r->outside++;
    pthread_mutex_unlock(&rec_lock);
}

static struct call_record recorded(const struct call_record *r)
{
    pthread_mutex_lock(&rec_lock);
    struct call_record copy = *r;
    pthread_mutex_unlock(&rec_lock);
    return copy;
}

static void forget_calls(void)
{
    pthread_mutex_lock(&rec_lock);
    memset(&mm_rec, 0, sizeof(mm_rec));
    memset(&hc_rec, 0, sizeof(hc_rec));
    pthread_mutex_unlock(&rec_lock);
    __atomic_store_n(&looks, 0, __ATOMIC_SEQ_CST);
    memset(&gate, 0, sizeof(gate));
}

static uint64_t real_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The fast-call thread's clock.  A burst ends after XEN_FAST_IDLE_NS
 * without a call; on a busy host the test thread could have no CPU for
 * all of that, every time, and never see a burst.  So the thread's clock
 * (now_ns on any thread but the test's) moves only as the test thread
 * waits, TICK_NS a wait: a burst lasts at least XEN_FAST_IDLE_NS / TICK_NS
 * of the test's waits, each after a look at what it waits for. */
#define TICK_NS 100000ULL
static pthread_t test_thread;
static uint64_t thread_clock;

uint64_t now_ns(int clock)
{
    (void)clock;
    if (!pthread_equal(pthread_self(), test_thread))
        return __atomic_load_n(&thread_clock, __ATOMIC_SEQ_CST);
    return real_ns();
}

/* The test thread waits: the thread's clock moves on, others may run. */
static void wait_a_tick(void)
{
    __atomic_add_fetch(&thread_clock, TICK_NS, __ATOMIC_SEQ_CST);
    sched_yield();
}

struct xen_vcpu *xen_vcpu_of(struct vcpu *v)
{
    /* Only the thread's check of the mode calls it: each call is a look at
     * a post, with the vCPU in the guest. */
    __atomic_add_fetch(&looks, 1, __ATOMIC_SEQ_CST);
    return &v->dom->xen->vcpu[v->id];
}

int64_t xen_hypercall_args(struct vcpu *v, uint64_t nr, const uint64_t a[6])
{
    (void)v;
    record(&hc_rec, nr, a);
    return HC_ANSWER(nr);
}

static uint64_t deadline(void)
{
    return real_ns() + DEADLINE_NS;
}

static bool past(uint64_t end)
{
    return real_ns() > end;
}

static void hold_at_gate(void)
{
    uint64_t end = deadline();

    __atomic_store_n(&gate.in_service, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&gate.open, __ATOMIC_SEQ_CST) && !past(end))
        sched_yield();
    if (__atomic_load_n(&gate.left, __ATOMIC_SEQ_CST))
        __atomic_store_n(&gate.left_while_serving, 1, __ATOMIC_SEQ_CST);
}

bool xen_mm_update_fast(struct vcpu *v, const uint64_t a[6], int64_t *ret)
{
    (void)v;
    record(&mm_rec, XEN_HC_mmu_update, a);
    if (a[1] == MMU_PUNT_COUNT)
        return false;
    if (a[1] == MMU_GATE_COUNT)
        hold_at_gate();
    *ret = (int64_t)(a[0] + 1);
    return true;
}

/* ---- the guest: the stub page's flags, the channel page -------------------- */

static uint8_t stub_flag(unsigned off)
{
    return __atomic_load_n(stub_page() + off, __ATOMIC_SEQ_CST);
}

static uint64_t stub_fastmask(void)
{
    return __atomic_load_n((uint64_t *)(stub_page() + XEN_STUB_FASTMASK), __ATOMIC_SEQ_CST);
}

static uint32_t *chan_state_word(void)
{
    return (uint32_t *)(chan_page() + XEN_CHAN_STATE);
}

static uint64_t *chan_word(unsigned off)
{
    return (uint64_t *)(chan_page() + off);
}

static uint32_t chan_state(void)
{
    return __atomic_load_n(chan_state_word(), __ATOMIC_SEQ_CST);
}

static void chan_set_state(uint32_t s)
{
    __atomic_store_n(chan_state_word(), s, __ATOMIC_SEQ_CST);
}

static int64_t chan_result(void)
{
    return (int64_t)__atomic_load_n(chan_word(XEN_CHAN_RESULT), __ATOMIC_SEQ_CST);
}

static bool chan_is_zero(void)
{
    for (unsigned i = 0; i < PAGE; i++)
        if (chan_page()[i])
            return false;
    return true;
}

/* A call's number and arguments (rax, rdi rsi rdx r10). */
static void guest_fill(uint64_t nr, const uint64_t a[4])
{
    __atomic_store_n(chan_word(XEN_CHAN_NR), nr, __ATOMIC_RELAXED);
    for (unsigned i = 0; i < 4; i++)
        __atomic_store_n(chan_word(XEN_CHAN_A0 + 8 * i), a[i], __ATOMIC_RELAXED);
}

/* The stub's post: the call, then the state. */
static void guest_post(uint64_t nr, const uint64_t a[4])
{
    guest_fill(nr, a);
    chan_set_state(XEN_CHAN_POSTED);
}

typedef bool condition(void);

static bool wait_until(condition *c)
{
    uint64_t end = deadline();

    while (!c()) {
        if (past(end))
            return c();
        wait_a_tick();
    }
    return true;
}

static bool awake(void)
{
    return stub_flag(XEN_STUB_AWAKE) == 1;
}

static bool asleep(void)
{
    return stub_flag(XEN_STUB_AWAKE) == 0;
}

static bool answered(void)
{
    return chan_state() == XEN_CHAN_DONE;
}

static bool in_service(void)
{
    return __atomic_load_n(&gate.in_service, __ATOMIC_SEQ_CST);
}

static bool leaving(void)
{
    return __atomic_load_n(&gate.leaving, __ATOMIC_SEQ_CST);
}

static bool left(void)
{
    return __atomic_load_n(&gate.left, __ATOMIC_SEQ_CST);
}

/* The stub gives up on its post: the state it replaced (POSTED: the
 * thread never took it). */
static uint32_t guest_give_up(void)
{
    return __atomic_exchange_n(chan_state_word(), XEN_CHAN_CANCELLED, __ATOMIC_SEQ_CST);
}

/* The same, and whether the thread had the post after all (then the
 * answer comes: wait for it, as the stub does). */
static bool guest_cancel(void)
{
    uint32_t was = guest_give_up();

    if (was == XEN_CHAN_DONE)
        return true;
    return was == XEN_CHAN_TAKEN && wait_until(answered);
}

/* ---- the vCPU thread ------------------------------------------------------- */

static bool vcpu_is_in_guest(void)
{
    return __atomic_load_n(&fx.in_guest, __ATOMIC_SEQ_CST);
}

static void vcpu_enter(void)
{
    __atomic_store_n(&fx.in_guest, 1, __ATOMIC_SEQ_CST);
    xen_fastcall_enter(fx.v);
}

static void vcpu_leave(void)
{
    xen_fastcall_leave(fx.v);
    __atomic_store_n(&fx.in_guest, 0, __ATOMIC_SEQ_CST);
}

/* Mode changes happen at exits, out of the guest (xen_set_mode's order:
 * the mode, then kernel_entry). */
static void vcpu_to_user_mode(void)
{
    __atomic_store_n(&fx.kernel, 0, __ATOMIC_SEQ_CST);
    fx.d->xen->vcpu[0].kernel_mode = false;
}

static void vcpu_to_kernel_mode(void)
{
    fx.d->xen->vcpu[0].kernel_mode = true;
    xen_fastcall_kernel_entry(fx.v);
    __atomic_store_n(&fx.kernel, 1, __ATOMIC_SEQ_CST);
}

/* An exit for hypercall nr: out of KVM_RUN, slow_call, back in if it was
 * in. */
static void vcpu_exit_for(uint64_t nr)
{
    bool was_in = vcpu_is_in_guest();

    if (was_in)
        vcpu_leave();
    xen_fastcall_slow_call(fx.v, nr);
    if (was_in)
        vcpu_enter();
}

/* Eligible exits, a batch at a time, while no burst is on: enough start
 * one (XEN_FAST_WAKE_FIRST, more after bursts that served nothing, up to
 * XEN_FAST_WAKE_MAX), and a busy host may make the test miss one. */
static void exits_unless_burst_on(void)
{
    for (unsigned i = 0; i < 64 && !xen_fastcall_burst_on(fx.d); i++)
        vcpu_exit_for(XEN_HC_mmu_update);
}

/* Eligible exits until the fast-call thread is seen polling (AWAKE). */
static bool start_burst(void)
{
    uint64_t end = deadline();

    while (!awake()) {
        if (past(end))
            return false;
        exits_unless_burst_on();
        wait_a_tick();
    }
    return true;
}

static bool no_burst_on(void)
{
    return !xen_fastcall_burst_on(fx.d);
}

/* A whole burst of polling, begun after this call, has passed over what
 * the channel holds now: the thread looked at it at least 64 times before
 * it could go idle.  Known by the count of bursts ended, not by seeing
 * AWAKE, which a test without a CPU of its own may miss. */
static bool whole_burst_passes(void)
{
    uint64_t end = deadline();

    if (!wait_until(no_burst_on))
        return false;
    unsigned before = xen_fastcall_bursts_ended(fx.d);
    while (xen_fastcall_bursts_ended(fx.d) == before) {
        if (past(end))
            return false;
        exits_unless_burst_on();
        wait_a_tick();
    }
    return true;
}

/* Bursts as often as needed until the post in the channel is answered. */
static bool answered_within_bursts(void)
{
    uint64_t end = deadline();

    while (!answered()) {
        if (past(end))
            return false;
        if (asleep() && !start_burst())
            return false;
        wait_a_tick();
    }
    return true;
}

/* ---- both: a kernel hypercall through the stub's fast path ----------------- */

/* Post when the thread polls and spin until DONE; take RESULT and leave
 * the channel IDLE, as the stub does.  If the thread stops polling first,
 * give up as the stub does, take the exit (slow_call answers the
 * cancelled post) and try again.  Whether it was answered, in *result. */
static bool guest_fast_call(uint64_t nr, const uint64_t a[4], int64_t *result)
{
    uint64_t end = deadline();

    while (!past(end)) {
        if (!start_burst())
            return false;
        guest_post(nr, a);
        while (!answered() && awake() && !past(end))
            wait_a_tick();
        if (answered() || guest_cancel()) {
            *result = chan_result();
            chan_set_state(XEN_CHAN_IDLE);
            return true;
        }
        vcpu_exit_for(nr);
    }
    return false;
}

static void assert_punted(uint64_t nr, const uint64_t a[4])
{
    int64_t r = 0;

    assert_true(guest_fast_call(nr, a, &r));
    assert_int_equal(r, XEN_CHAN_PUNT);
}

static void assert_calls(unsigned mm, unsigned hc)
{
    assert_int_equal(recorded(&mm_rec).calls, mm);
    assert_int_equal(recorded(&hc_rec).calls, hc);
}

/* ---- fixtures ------------------------------------------------------------- */

static void free_domain(void)
{
    if (!fx.d)
        return;
    if (fx.d->xen) {
        xen_fastcall_free(fx.d);
        free(fx.d->xen->priv);
        free(fx.d->xen);
    }
    free(fx.d);
    fx.d = NULL;
}

static int setup_domain(void **state)
{
    (void)state;
    unsetenv("HVCORE_XEN_FASTCALL");
    forget_calls();
    if (make_domain())
        return 0;
    free_domain();
    return -1;
}

static int setup(void **state)
{
    if (setup_domain(state) < 0 || xen_fastcall_init(fx.d) < 0 || !fx.d->xen->fast)
        return -1;
    xen_fastcall_vcpu_reset(fx.v);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free_domain();
    /* Whatever a test asserted: nothing ran out of the guest or for user
     * code. */
    return recorded(&mm_rec).outside || recorded(&hc_rec).outside ? -1 : 0;
}

/* ---- 1. the mask and the channel at reset; HVCORE_XEN_FASTCALL=0 ----------- */

static void reset_sets_the_mask_and_clears_the_channel(void **state)
{
    (void)state;
    assert_int_equal(xen_fastcall_init(fx.d), 0);
    assert_non_null(fx.d->xen->fast);
    memset(chan_page(), 0xa5, PAGE);
    memset(stub_page() + XEN_STUB_FASTMASK, 0xa5, 8);

    xen_fastcall_vcpu_reset(fx.v);
    assert_int_equal(stub_fastmask(), (1ULL << XEN_HC_mmu_update) |
                     (1ULL << XEN_HC_stack_switch) | (1ULL << XEN_HC_update_va_mapping));
    assert_int_equal(stub_fastmask(), (1ULL << 1) | (1ULL << 3) | (1ULL << 14));
    assert_true(chan_is_zero());
    assert_int_equal(stub_flag(XEN_STUB_AWAKE), 0);
    assert_int_equal(stub_flag(XEN_STUB_EXIT), 0);
}

static void fastcall_0_turns_it_off(void **state)
{
    (void)state;
    assert_int_equal(setenv("HVCORE_XEN_FASTCALL", "0", 1), 0);
    int rc = xen_fastcall_init(fx.d);
    unsetenv("HVCORE_XEN_FASTCALL");
    assert_int_equal(rc, 0);
    assert_null(fx.d->xen->fast);

    memset(stub_page() + XEN_STUB_FASTMASK, 0xa5, 8);
    xen_fastcall_vcpu_reset(fx.v);
    assert_int_equal(stub_fastmask(), 0);
    /* Every call left to exits: nothing else is touched either. */
    xen_fastcall_want_exit(fx.v, true);
    assert_int_equal(stub_flag(XEN_STUB_EXIT), 0);
    xen_fastcall_enter(fx.v);
    xen_fastcall_slow_call(fx.v, XEN_HC_mmu_update);
    xen_fastcall_slow_call(fx.v, XEN_HC_mmu_update);
    xen_fastcall_leave(fx.v);
    xen_fastcall_free(fx.d);
    assert_int_equal(stub_flag(XEN_STUB_AWAKE), 0);
}

static void fastcall_other_values_leave_it_on(void **state)
{
    (void)state;
    assert_int_equal(setenv("HVCORE_XEN_FASTCALL", "1", 1), 0);
    int rc = xen_fastcall_init(fx.d);
    unsetenv("HVCORE_XEN_FASTCALL");
    assert_int_equal(rc, 0);
    assert_non_null(fx.d->xen->fast);
}

/* ---- 2-4. what the thread serves, punts, and through which double ---------- */

static void burst_starts_the_thread_which_serves(void **state)
{
    (void)state;
    const uint64_t a[4] = { 0x10000, 2, 0x20000, XEN_DOMID_SELF };
    int64_t r = 0;

    assert_int_equal(stub_flag(XEN_STUB_AWAKE), 0);
    assert_true(start_burst());
    vcpu_enter();
    assert_true(guest_fast_call(XEN_HC_mmu_update, a, &r));
    assert_int_equal(r, 0x10001);
    assert_int_equal(chan_state(), XEN_CHAN_IDLE);     /* the stub's */

    struct call_record mm = recorded(&mm_rec);
    assert_int_equal(mm.calls, 1);
    assert_false(mm.on_test_thread);
    assert_int_equal(mm.nr, XEN_HC_mmu_update);
    assert_memory_equal(mm.a, a, sizeof(a));
    assert_int_equal(mm.a[4], 0);
    assert_int_equal(mm.a[5], 0);
    assert_int_equal(mm.outside, 0);
    assert_int_equal(recorded(&hc_rec).calls, 0);
    vcpu_leave();
}

static void a_refused_mmu_update_is_punted(void **state)
{
    (void)state;
    const uint64_t a[4] = { 0x10000, MMU_PUNT_COUNT, 0, XEN_DOMID_SELF };

    vcpu_enter();
    assert_punted(XEN_HC_mmu_update, a);
    assert_calls(1, 0);
    assert_int_equal(recorded(&mm_rec).a[1], MMU_PUNT_COUNT);
    vcpu_leave();
}

static void update_va_mapping_with_a_flush_is_punted(void **state)
{
    (void)state;
    const uint64_t flush[] = { XEN_UVMF_TLB_FLUSH, XEN_UVMF_INVLPG, XEN_UVMF_FLUSHTYPE_MASK,
                               XEN_UVMF_INVLPG | XEN_UVMF_ALL, XEN_UVMF_TLB_FLUSH | 0x7ff000 };

    vcpu_enter();
    for (unsigned i = 0; i < sizeof(flush) / sizeof(flush[0]); i++) {
        const uint64_t a[4] = { 0x400000, 0x1067, flush[i], 0 };
        assert_punted(XEN_HC_update_va_mapping, a);
    }
    assert_calls(0, 0);
    vcpu_leave();
}

static void update_va_mapping_without_a_flush_is_served(void **state)
{
    (void)state;
    const uint64_t none[] = { XEN_UVMF_NONE, XEN_UVMF_ALL };
    int64_t r = 0;

    vcpu_enter();
    for (unsigned i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        const uint64_t a[4] = { 0x400000 + i * PAGE, 0x2067, none[i], 0xdead };
        assert_true(guest_fast_call(XEN_HC_update_va_mapping, a, &r));
        assert_int_equal(r, HC_ANSWER(XEN_HC_update_va_mapping));
        struct call_record hc = recorded(&hc_rec);
        assert_int_equal(hc.calls, i + 1);
        assert_int_equal(hc.nr, XEN_HC_update_va_mapping);
        assert_memory_equal(hc.a, a, sizeof(a));
        assert_false(hc.on_test_thread);
    }
    assert_int_equal(recorded(&mm_rec).calls, 0);
    vcpu_leave();
}

static void stack_switch_is_served(void **state)
{
    (void)state;
    const uint64_t a[4] = { 0xe02b, 0x7fffff00, 0, 0 };
    int64_t r = 0;

    vcpu_enter();
    assert_true(guest_fast_call(XEN_HC_stack_switch, a, &r));
    assert_int_equal(r, HC_ANSWER(XEN_HC_stack_switch));
    struct call_record hc = recorded(&hc_rec);
    assert_int_equal(hc.calls, 1);
    assert_int_equal(hc.nr, XEN_HC_stack_switch);
    assert_memory_equal(hc.a, a, sizeof(a));
    assert_false(hc.on_test_thread);
    vcpu_leave();
}

static void other_numbers_are_punted(void **state)
{
    (void)state;
    const uint64_t a[4] = { 3, 1, 0, 0 };      /* VCPUOP_is_up for vCPU 1 */

    vcpu_enter();
    assert_punted(XEN_HC_vcpu_op, a);
    assert_punted(1000, a);
    assert_calls(0, 0);
    vcpu_leave();
}

/* ---- 5. exclusion: out of the guest, nothing is served ---------------------- */

static void nothing_is_served_out_of_the_guest(void **state)
{
    (void)state;
    const uint64_t a[4] = { 0x30000, 1, 0, XEN_DOMID_SELF };

    /* The guest posted; a kick took the vCPU out of KVM_RUN. */
    vcpu_enter();
    vcpu_leave();
    guest_post(XEN_HC_mmu_update, a);
    assert_true(whole_burst_passes());
    assert_int_equal(chan_state(), XEN_CHAN_POSTED);
    assert_calls(0, 0);

    /* Back in KVM_RUN, the stub still spinning: served now. */
    vcpu_enter();
    assert_true(answered_within_bursts());
    assert_int_equal(chan_result(), 0x30001);
    assert_calls(1, 0);
    assert_int_equal(recorded(&mm_rec).outside, 0);
    vcpu_leave();
}

/* The vCPU thread comes out of KVM_RUN while the fast-call thread serves. */
static void *leave_the_guest(void *arg)
{
    (void)arg;
    __atomic_store_n(&gate.leaving, 1, __ATOMIC_SEQ_CST);
    vcpu_leave();
    __atomic_store_n(&gate.left, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Post the gated call and wait until the double holds it in service. */
static bool gated_call_in_service(void)
{
    const uint64_t a[4] = { 0x50000, MMU_GATE_COUNT, 0, XEN_DOMID_SELF };
    uint64_t end = deadline();

    while (!past(end)) {
        if (!start_burst())
            return false;
        guest_post(XEN_HC_mmu_update, a);
        while (!in_service() && awake() && !past(end))
            wait_a_tick();
        /* Taken already: the double is at its gate, or about to be. */
        if (in_service() || guest_give_up() != XEN_CHAN_POSTED)
            return wait_until(in_service);
        vcpu_exit_for(XEN_HC_mmu_update);
    }
    return false;
}

static void leave_waits_for_a_call_in_service(void **state)
{
    (void)state;
    pthread_t t;

    vcpu_enter();
    assert_true(gated_call_in_service());
    assert_int_equal(pthread_create(&t, NULL, leave_the_guest, NULL), 0);
    assert_true(wait_until(leaving));
    /* Time for a leave that did not wait to return; one that waits cannot,
     * however long this takes. */
    for (unsigned i = 0; i < 1000; i++)
        wait_a_tick();
    __atomic_store_n(&gate.open, 1, __ATOMIC_SEQ_CST);
    assert_true(wait_until(answered));
    assert_true(wait_until(left));
    assert_int_equal(pthread_join(t, NULL), 0);

    assert_false(__atomic_load_n(&gate.left_while_serving, __ATOMIC_SEQ_CST));
    assert_int_equal(chan_result(), 0x50001);
    assert_calls(1, 0);
}

/* ---- 6. user mode: never served; kernel entry drops the post --------------- */

static unsigned looks_so_far(void)
{
    return __atomic_load_n(&looks, __ATOMIC_SEQ_CST);
}

/* Bursts until the thread has looked at the post with the vCPU in the
 * guest (a burst may pass while an exit has it out). */
static bool thread_looked_since(unsigned before)
{
    uint64_t end = deadline();

    while (looks_so_far() == before)
        if (past(end) || !whole_burst_passes())
            return false;
    return true;
}

static void user_posts_are_never_served(void **state)
{
    (void)state;
    const uint64_t user[4] = { 0x60000, 1, 0, XEN_DOMID_SELF };
    const uint64_t kern[4] = { 0x70000, 1, 0, XEN_DOMID_SELF };
    int64_t r = 0;

    /* The kernel returned to user code, which writes the channel. */
    vcpu_to_user_mode();
    vcpu_enter();
    unsigned before = looks_so_far();
    guest_post(XEN_HC_mmu_update, user);
    assert_true(thread_looked_since(before));   /* it looked, and passed */
    assert_int_equal(chan_state(), XEN_CHAN_POSTED);
    assert_calls(0, 0);

    /* A system call: the exit switches to kernel mode, which drops it. */
    vcpu_leave();
    vcpu_to_kernel_mode();
    assert_int_equal(chan_state(), XEN_CHAN_IDLE);
    vcpu_enter();
    assert_true(guest_fast_call(XEN_HC_mmu_update, kern, &r));
    assert_int_equal(r, 0x70001);
    assert_calls(1, 0);
    assert_int_equal(recorded(&mm_rec).a[0], 0x70000);
    vcpu_leave();
}

static void kernel_entry_clears_what_user_code_left(void **state)
{
    (void)state;
    /* At kernel entry the kernel's own calls have left the channel idle:
     * any state there is user code's (a post, a fake cancel that would
     * switch posting off), and goes. */
    const uint32_t left[] = { XEN_CHAN_POSTED, XEN_CHAN_TAKEN, XEN_CHAN_DONE,
                              XEN_CHAN_CANCELLED, 0x101, 0xffffffff };

    for (unsigned i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
        chan_set_state(left[i]);
        xen_fastcall_kernel_entry(fx.v);
        assert_int_equal(chan_state(), XEN_CHAN_IDLE);
    }
    /* Only vCPU 0 has the channel. */
    chan_set_state(XEN_CHAN_POSTED);
    xen_fastcall_kernel_entry(&fx.d->vcpu[1]);
    assert_int_equal(chan_state(), XEN_CHAN_POSTED);
}

/* Resetting another vCPU leaves vCPU 0's mask and channel alone. */
static void reset_of_another_vcpu_changes_nothing(void **state)
{
    (void)state;
    uint64_t mask = stub_fastmask();

    assert_int_not_equal(mask, 0);
    chan_set_state(XEN_CHAN_POSTED);
    xen_fastcall_vcpu_reset(&fx.d->vcpu[1]);
    assert_int_equal(stub_fastmask(), mask);
    assert_int_equal(chan_state(), XEN_CHAN_POSTED);
}

/* Before a reboot rewrites the pages the thread stops polling, and polls
 * again only after the vCPU's reset. */
static void quiesce_ends_polling_until_reset(void **state)
{
    (void)state;
    const uint64_t a[4] = { 0x90000, 1, 0, XEN_DOMID_SELF };
    int64_t r = 0;

    vcpu_enter();
    assert_true(start_burst());
    xen_fastcall_quiesce(fx.d);
    assert_int_equal(stub_flag(XEN_STUB_AWAKE), 0);
    xen_fastcall_vcpu_reset(fx.v);
    assert_true(guest_fast_call(XEN_HC_mmu_update, a, &r));
    assert_int_equal(r, 0x90001);
    vcpu_leave();
}

/* ---- 7. the stub gave up: posts stop until the next burst ------------------- */

static void a_cancelled_post_stops_posts(void **state)
{
    (void)state;
    const uint64_t a[4] = { 0x80000, 1, 0, XEN_DOMID_SELF };
    int64_t r = 0;

    vcpu_enter();
    assert_true(start_burst());
    /* No answer in XEN_STUB_SPINS: the stub cancels and exits. */
    chan_set_state(XEN_CHAN_CANCELLED);
    vcpu_exit_for(XEN_HC_mmu_update);
    assert_int_equal(chan_state(), XEN_CHAN_IDLE);
    assert_int_equal(stub_flag(XEN_STUB_AWAKE), 0);
    assert_calls(0, 0);

    /* The next burst wakes the thread again. */
    assert_true(guest_fast_call(XEN_HC_mmu_update, a, &r));
    assert_int_equal(r, 0x80001);
    vcpu_leave();
}

/* ---- 8. want_exit, is_exit_after, tail_step -------------------------------- */

static uint64_t stub_va(const uint8_t *label)
{
    return XEN_PRIV_VA + XEN_OFF_SYSCALL_STUB + (uint64_t)(label - xen_syscall_stub);
}

static void want_exit_sets_the_stub_flag(void **state)
{
    (void)state;
    xen_fastcall_want_exit(fx.v, true);
    assert_int_equal(stub_flag(XEN_STUB_EXIT), 1);
    xen_fastcall_want_exit(fx.v, true);
    assert_int_equal(stub_flag(XEN_STUB_EXIT), 1);
    xen_fastcall_want_exit(fx.v, false);
    assert_int_equal(stub_flag(XEN_STUB_EXIT), 0);
    /* Only vCPU 0 has the stub's flags. */
    xen_fastcall_want_exit(&fx.d->vcpu[1], true);
    assert_int_equal(stub_flag(XEN_STUB_EXIT), 0);
}

static void exit_after_is_the_port_write(void **state)
{
    (void)state;
    uint64_t at = stub_va(xen_syscall_stub_exit_after);

    /* "the port write's rip, or the one past it": out %al, $imm8 */
    assert_int_equal(xen_syscall_stub_exit_after[0], OP_OUT_IMM8);
    assert_int_equal(xen_syscall_stub_exit_after[1], XEN_PORT_SYSCALL);

    assert_true(xen_fastcall_is_exit_after(at));
    assert_true(xen_fastcall_is_exit_after(at + 2));
    assert_false(xen_fastcall_is_exit_after(at - 1));
    assert_false(xen_fastcall_is_exit_after(at + 1));
    assert_false(xen_fastcall_is_exit_after(at + 3));
    /* The slow path's own port write, just before, is not it. */
    assert_false(xen_fastcall_is_exit_after(at - 4));
    assert_false(xen_fastcall_is_exit_after(at - 2));
    assert_false(xen_fastcall_is_exit_after(stub_va(xen_syscall_stub)));
    assert_false(xen_fastcall_is_exit_after(at - XEN_PRIV_VA));
}

static void tail_steps_are_the_three_instructions(void **state)
{
    (void)state;
    const uint8_t *tail = xen_syscall_stub_tail;
    uint64_t at = stub_va(tail);

    assert_int_equal(tail[0], OP_PUSH_R11_0);
    assert_int_equal(tail[1], OP_PUSH_R11_1);
    assert_int_equal(tail[2], OP_POPFQ);
    assert_int_equal(tail[3], OP_JMP_RM);
    assert_int_equal(tail[4], MODRM_RCX_JMP);

    assert_int_equal(xen_fastcall_tail_step(at), 0);
    assert_int_equal(xen_fastcall_tail_step(at + 2), 1);
    assert_int_equal(xen_fastcall_tail_step(at + 3), 2);
    assert_int_equal(xen_fastcall_tail_step(at - 1), -1);
    assert_int_equal(xen_fastcall_tail_step(at + 1), -1);
    assert_int_equal(xen_fastcall_tail_step(at + 4), -1);
    assert_int_equal(xen_fastcall_tail_step(at + 5), -1);
    assert_int_equal(xen_fastcall_tail_step(stub_va(xen_syscall_stub)), -1);
}

/* ---- 9. free joins the thread ---------------------------------------------- */

static void free_joins_a_polling_thread(void **state)
{
    (void)state;
    vcpu_enter();
    assert_true(start_burst());
    xen_fastcall_free(fx.d);
    assert_null(fx.d->xen->fast);
    assert_int_equal(stub_flag(XEN_STUB_AWAKE), 0);
    xen_fastcall_free(fx.d);                        /* idempotent */
    assert_null(fx.d->xen->fast);
    /* Gone with it: the vCPU's calls touch nothing. */
    xen_fastcall_want_exit(fx.v, true);
    assert_int_equal(stub_flag(XEN_STUB_EXIT), 0);
    vcpu_leave();
}

static void free_joins_a_sleeping_thread(void **state)
{
    (void)state;
    assert_true(start_burst());
    assert_true(wait_until(asleep));
    xen_fastcall_free(fx.d);
    assert_null(fx.d->xen->fast);
}

static void free_without_a_thread_or_state(void **state)
{
    (void)state;
    xen_fastcall_free(fx.d);                        /* never started */
    assert_null(fx.d->xen->fast);
    struct xen_dom *xen = fx.d->xen;
    fx.d->xen = NULL;
    xen_fastcall_free(fx.d);                        /* not a Xen domain */
    fx.d->xen = xen;
}

/* ---- 10. hostile channel contents ------------------------------------------ */

static void only_posted_is_a_post(void **state)
{
    (void)state;
    const uint64_t a[4] = { 0x90000, 1, 0, XEN_DOMID_SELF };

    vcpu_enter();
    for (uint32_t s = XEN_CHAN_TAKEN; s <= 0xff; s++) {
        /* CANCELLED is the stub's word to slow_call (test 7): the exits
         * that start a burst answer it. */
        if (s == XEN_CHAN_CANCELLED)
            continue;
        guest_fill(XEN_HC_mmu_update, a);
        chan_set_state(s);
        assert_true(whole_burst_passes());
        assert_int_equal(chan_state(), s);
    }
    const uint32_t wide[] = { 0x101, 0x10001, 0x1000001, 0x80000001, 0xffffffff };
    for (unsigned i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
        chan_set_state(wide[i]);
        assert_true(whole_burst_passes());
        assert_int_equal(chan_state(), wide[i]);
    }
    assert_calls(0, 0);
    assert_int_equal(looks_so_far(), 0);
    vcpu_leave();
}

static void garbage_numbers_are_punted(void **state)
{
    (void)state;
    const uint64_t a[4] = { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX };
    const uint64_t big[] = { 64, 65, 1ULL << 32, 1ULL << 63, UINT64_MAX,
                             XEN_HC_mmu_update + (1ULL << 32), XEN_HC_stack_switch | (1ULL << 63) };

    vcpu_enter();
    for (uint64_t nr = 0; nr < 64; nr++)
        if (nr != XEN_HC_mmu_update && nr != XEN_HC_stack_switch &&
            nr != XEN_HC_update_va_mapping)
            assert_punted(nr, a);
    for (unsigned i = 0; i < sizeof(big) / sizeof(big[0]); i++)
        assert_punted(big[i], a);
    assert_calls(0, 0);
    vcpu_leave();
}

int main(void)
{
    test_thread = pthread_self();
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
#define T0(f) cmocka_unit_test_setup_teardown(f, setup_domain, teardown)
        T0(reset_sets_the_mask_and_clears_the_channel),
        T0(fastcall_0_turns_it_off),
        T0(fastcall_other_values_leave_it_on),
        T(burst_starts_the_thread_which_serves),
        T(a_refused_mmu_update_is_punted),
        T(update_va_mapping_with_a_flush_is_punted),
        T(update_va_mapping_without_a_flush_is_served),
        T(stack_switch_is_served),
        T(other_numbers_are_punted),
        T(nothing_is_served_out_of_the_guest),
        T(leave_waits_for_a_call_in_service),
        T(user_posts_are_never_served),
        T(kernel_entry_clears_what_user_code_left),
        T(reset_of_another_vcpu_changes_nothing),
        T(quiesce_ends_polling_until_reset),
        T(a_cancelled_post_stops_posts),
        T(want_exit_sets_the_stub_flag),
        T(exit_after_is_the_port_write),
        T(tail_steps_are_the_three_instructions),
        T(free_joins_a_polling_thread),
        T(free_joins_a_sleeping_thread),
        T(free_without_a_thread_or_state),
        T(only_posted_is_a_post),
        T(garbage_numbers_are_punted),
#undef T0
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
