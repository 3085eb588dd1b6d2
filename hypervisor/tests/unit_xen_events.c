/*
 * unit_xen_events.c - a Xen-PV guest's event channels (xen_evtchn.c) as a
 * hostile guest drives them: binds, raises, masks, unmasks and closes with
 * the exact bits they leave in the shared-info page and the vcpu_info,
 * port exhaustion, the console's pre-bound channel, reset, and every
 * refusal with Xen's error number.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "public/errno.h"
#include "xen_evtchn.h"
#include "xen_fake.h"

#define ARG 0x1000ULL               /* where the test puts an argument */

static int64_t evtchn(uint64_t cmd, const void *arg, size_t len)
{
    memcpy(fake_ram(ARG), arg, len);
    return fake_hc(xen_hc_event_channel_op, cmd, ARG, 0);
}

static int64_t bind_virq(uint32_t virq, uint32_t vcpu)
{
    struct xen_evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu, .port = 0 };
    int64_t r = evtchn(XEN_EVTCHNOP_bind_virq, &b, sizeof(b));

    if (r < 0)
        return r;
    assert_int_equal(r, 0);
    memcpy(&b, fake_ram(ARG), sizeof(b));
    return b.port;
}

static int64_t bind_ipi(uint32_t vcpu)
{
    struct xen_evtchn_bind_ipi b = { .vcpu = vcpu, .port = 0 };
    int64_t r = evtchn(XEN_EVTCHNOP_bind_ipi, &b, sizeof(b));

    if (r < 0)
        return r;
    memcpy(&b, fake_ram(ARG), sizeof(b));
    return b.port;
}

static int64_t port_op(uint64_t cmd, uint32_t port)
{
    struct xen_evtchn_port_op p = { .port = port };

    return evtchn(cmd, &p, sizeof(p));
}

static struct xen_evtchn_status status(uint16_t dom, uint32_t port, int64_t *ret)
{
    struct xen_evtchn_status st;

    memset(&st, 0xee, sizeof(st));
    st.dom = dom;
    st.port = port;
    *ret = evtchn(XEN_EVTCHNOP_status, &st, sizeof(st));
    memcpy(&st, fake_ram(ARG), sizeof(st));
    return st;
}

static void raise_virq(unsigned virq, unsigned vcpu)
{
    pthread_mutex_lock(&fake.d.lock);
    xen_evtchn_raise_virq_locked(&fake.d, virq, vcpu);
    pthread_mutex_unlock(&fake.d.lock);
}

static void raise_port(unsigned port)
{
    pthread_mutex_lock(&fake.d.lock);
    xen_evtchn_raise_locked(&fake.d, port);
    pthread_mutex_unlock(&fake.d.lock);
}

static struct xen_vcpu_info *vi0(void)
{
    return &fake.shared->vcpu_info[0];
}

/* What Linux's upcall handler does with an event it took. */
static void guest_acks(unsigned port)
{
    vi0()->evtchn_upcall_pending = 0;
    vi0()->evtchn_pending_sel = 0;
    fake.shared->evtchn_pending[port / 64] &= ~(1ULL << (port % 64));
}

static void timer_virq_raises_its_bits(void **state)
{
    (void)state;
    int64_t port = bind_virq(XEN_VIRQ_TIMER, 0);
    assert_int_equal(port, 1);                  /* port 0 is never used */

    raise_virq(XEN_VIRQ_TIMER, 0);
    assert_int_equal(fake.shared->evtchn_pending[0], 1ULL << 1);
    assert_int_equal(vi0()->evtchn_pending_sel, 1);
    assert_int_equal(vi0()->evtchn_upcall_pending, 1);
    assert_int_equal(fake.notified[0], 1);
    assert_int_equal(fake.notified_unlocked, 0);
    assert_int_equal(fake.d.events, 1);

    /* Still pending: merged, as in Xen (no new upcall, no new count). */
    raise_virq(XEN_VIRQ_TIMER, 0);
    assert_int_equal(fake.notified[0], 1);
    assert_int_equal(fake.d.events, 1);

    guest_acks(1);
    raise_virq(XEN_VIRQ_TIMER, 0);
    assert_int_equal(fake.shared->evtchn_pending[0], 1ULL << 1);
    assert_int_equal(vi0()->evtchn_pending_sel, 1);
    assert_int_equal(fake.notified[0], 2);
    assert_int_equal(fake.d.events, 2);

    /* A VIRQ nobody bound, or out of range, raises nothing. */
    guest_acks(1);
    raise_virq(XEN_VIRQ_DEBUG, 0);
    raise_virq(XEN_NR_VIRQS, 0);
    raise_virq(1000, 0);
    raise_virq(XEN_VIRQ_TIMER, 1);
    raise_virq(XEN_VIRQ_TIMER, 99999);
    assert_int_equal(fake.shared->evtchn_pending[0], 0);
    assert_int_equal(fake.d.events, 2);
}

static void second_word_ports_set_their_selector_bit(void **state)
{
    int64_t port = 0;

    (void)state;
    for (int i = 0; i < 70; i++)
        port = bind_ipi(0);
    assert_int_equal(port, 70);
    raise_port(70);
    assert_int_equal(fake.shared->evtchn_pending[0], 0);
    assert_int_equal(fake.shared->evtchn_pending[1], 1ULL << 6);
    assert_int_equal(vi0()->evtchn_pending_sel, 1ULL << 1);
    assert_int_equal(vi0()->evtchn_upcall_pending, 1);
}

static void masked_raise_waits_for_unmask(void **state)
{
    (void)state;
    int64_t port = bind_virq(XEN_VIRQ_CONSOLE, 0);
    assert_int_equal(port, 1);
    fake.shared->evtchn_mask[0] = 1ULL << 1;

    raise_virq(XEN_VIRQ_CONSOLE, 0);
    assert_int_equal(fake.shared->evtchn_pending[0], 1ULL << 1);  /* visible */
    assert_int_equal(vi0()->evtchn_pending_sel, 0);
    assert_int_equal(vi0()->evtchn_upcall_pending, 0);
    assert_int_equal(fake.notified[0], 0);
    assert_int_equal(fake.d.events, 1);

    assert_int_equal(port_op(XEN_EVTCHNOP_unmask, 1), 0);
    assert_int_equal(fake.shared->evtchn_mask[0], 0);
    assert_int_equal(vi0()->evtchn_pending_sel, 1);
    assert_int_equal(vi0()->evtchn_upcall_pending, 1);
    assert_int_equal(fake.notified[0], 1);
    assert_int_equal(fake.d.events, 1);         /* delivered, not new */
}

static void unmask_without_pending_delivers_nothing(void **state)
{
    (void)state;
    assert_int_equal(bind_ipi(0), 1);
    fake.shared->evtchn_mask[0] = ~0ULL;
    assert_int_equal(port_op(XEN_EVTCHNOP_unmask, 1), 0);
    assert_int_equal(fake.shared->evtchn_mask[0], ~0ULL & ~(1ULL << 1));
    assert_int_equal(vi0()->evtchn_upcall_pending, 0);
    assert_int_equal(vi0()->evtchn_pending_sel, 0);
    assert_int_equal(fake.notified[0], 0);
    /* A free port in range may be unmasked too (Xen: any valid port). */
    assert_int_equal(port_op(XEN_EVTCHNOP_unmask, 4095), 0);
    assert_int_equal(fake.shared->evtchn_mask[63], 0);
}

static void ipi_send_raises_it(void **state)
{
    (void)state;
    int64_t port = bind_ipi(0);
    assert_int_equal(port, 1);
    assert_int_equal(port_op(XEN_EVTCHNOP_send, (uint32_t)port), 0);
    assert_int_equal(fake.shared->evtchn_pending[0], 1ULL << 1);
    assert_int_equal(vi0()->evtchn_upcall_pending, 1);
    assert_int_equal(fake.notified[0], 1);
    assert_int_equal(fake.d.events, 1);
}

static void close_forgets_the_binding_and_its_pending_bit(void **state)
{
    (void)state;
    assert_int_equal(bind_virq(XEN_VIRQ_TIMER, 0), 1);
    fake.shared->evtchn_mask[0] = 1ULL << 1;
    raise_virq(XEN_VIRQ_TIMER, 0);
    assert_int_equal(fake.shared->evtchn_pending[0], 1ULL << 1);

    assert_int_equal(port_op(XEN_EVTCHNOP_close, 1), 0);
    assert_int_equal(fake.shared->evtchn_pending[0], 0);
    assert_int_equal(fake.shared->evtchn_mask[0], 1ULL << 1);  /* the guest's */
    raise_virq(XEN_VIRQ_TIMER, 0);
    raise_port(1);
    assert_int_equal(fake.shared->evtchn_pending[0], 0);
    assert_int_equal(port_op(XEN_EVTCHNOP_close, 1), -HVE_INVAL);
    assert_int_equal(port_op(XEN_EVTCHNOP_send, 1), -HVE_INVAL);

    /* The VIRQ is free to bind again, on the lowest free port. */
    assert_int_equal(bind_virq(XEN_VIRQ_TIMER, 0), 1);
}

static void ports_run_out(void **state)
{
    (void)state;
    for (uint32_t p = 1; p < XEN_NR_EVTCHN_2L; p++)
        assert_int_equal(bind_ipi(0), p);
    assert_int_equal(bind_ipi(0), -HVE_NOSPC);
    assert_int_equal(bind_virq(XEN_VIRQ_DEBUG, 0), -HVE_NOSPC);
    assert_int_equal(port_op(XEN_EVTCHNOP_close, 100), 0);
    assert_int_equal(bind_virq(XEN_VIRQ_DEBUG, 0), 100);
    assert_int_equal(bind_ipi(0), -HVE_NOSPC);
}

static void refusals(void **state)
{
    (void)state;
    /* bind_virq */
    assert_int_equal(bind_virq(XEN_NR_VIRQS, 0), -HVE_INVAL);
    assert_int_equal(bind_virq(0xffffffffu, 0), -HVE_INVAL);
    assert_int_equal(bind_virq(XEN_VIRQ_CONSOLE, 1), -HVE_INVAL);   /* global */
    assert_int_equal(bind_virq(XEN_VIRQ_TIMER, 1), -HVE_NOENT);
    assert_int_equal(bind_virq(XEN_VIRQ_TIMER, 0xffffffffu), -HVE_NOENT);
    assert_int_equal(bind_virq(XEN_VIRQ_TIMER, 0), 1);
    assert_int_equal(bind_virq(XEN_VIRQ_TIMER, 0), -HVE_EXIST);
    assert_int_equal(bind_virq(XEN_VIRQ_CONSOLE, 0), 2);
    assert_int_equal(bind_virq(XEN_VIRQ_CONSOLE, 0), -HVE_EXIST);
    /* bind_ipi */
    assert_int_equal(bind_ipi(1), -HVE_NOENT);
    assert_int_equal(bind_ipi(0x10000), -HVE_NOENT);
    /* close, send, unmask: port 0, out of range, free */
    assert_int_equal(port_op(XEN_EVTCHNOP_close, 0), -HVE_INVAL);
    assert_int_equal(port_op(XEN_EVTCHNOP_close, XEN_NR_EVTCHN_2L), -HVE_INVAL);
    assert_int_equal(port_op(XEN_EVTCHNOP_close, 0xffffffffu), -HVE_INVAL);
    assert_int_equal(port_op(XEN_EVTCHNOP_close, 3), -HVE_INVAL);
    assert_int_equal(port_op(XEN_EVTCHNOP_send, 0), -HVE_INVAL);
    assert_int_equal(port_op(XEN_EVTCHNOP_send, 3), -HVE_INVAL);
    assert_int_equal(port_op(XEN_EVTCHNOP_send, 1), -HVE_INVAL);    /* a VIRQ */
    assert_int_equal(port_op(XEN_EVTCHNOP_send, XEN_NR_EVTCHN_2L), -HVE_INVAL);
    assert_int_equal(port_op(XEN_EVTCHNOP_unmask, 0), -HVE_INVAL);
    assert_int_equal(port_op(XEN_EVTCHNOP_unmask, XEN_NR_EVTCHN_2L), -HVE_INVAL);
    /* status */
    int64_t r;
    status(3, 1, &r);
    assert_int_equal(r, -HVE_PERM);
    status(XEN_DOMID_SELF, XEN_NR_EVTCHN_2L, &r);
    assert_int_equal(r, -HVE_INVAL);
    /* bind_vcpu: the vCPU first, then the port and its kind */
    struct xen_evtchn_bind_vcpu bv = { .port = 2, .vcpu = 1 };
    assert_int_equal(evtchn(XEN_EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), -HVE_NOENT);
    bv = (struct xen_evtchn_bind_vcpu){ .port = 1, .vcpu = 0 };     /* per-vCPU VIRQ */
    assert_int_equal(evtchn(XEN_EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), -HVE_INVAL);
    bv.port = 3;                                                    /* free */
    assert_int_equal(evtchn(XEN_EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), -HVE_INVAL);
    bv.port = XEN_NR_EVTCHN_2L;
    assert_int_equal(evtchn(XEN_EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), -HVE_INVAL);
    bv.port = (uint32_t)bind_ipi(0);
    assert_int_equal(evtchn(XEN_EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), -HVE_INVAL);
    bv.port = 2;                                                    /* global VIRQ */
    assert_int_equal(evtchn(XEN_EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), 0);
    /* reset of another domain */
    uint16_t dom = 3;
    assert_int_equal(evtchn(XEN_EVTCHNOP_reset, &dom, sizeof(dom)), -HVE_PERM);
    /* nobody to talk to, no FIFO ABI, no such operation */
    assert_int_equal(fake_hc(xen_hc_event_channel_op, XEN_EVTCHNOP_alloc_unbound, ARG, 0), -HVE_PERM);
    assert_int_equal(fake_hc(xen_hc_event_channel_op, XEN_EVTCHNOP_bind_interdomain, ARG, 0), -HVE_PERM);
    assert_int_equal(fake_hc(xen_hc_event_channel_op, XEN_EVTCHNOP_bind_pirq, ARG, 0), -HVE_PERM);
    assert_int_equal(fake_hc(xen_hc_event_channel_op, XEN_EVTCHNOP_init_control, ARG, 0), -HVE_NOSYS);
    assert_int_equal(fake_hc(xen_hc_event_channel_op, XEN_EVTCHNOP_expand_array, ARG, 0), -HVE_NOSYS);
    assert_int_equal(fake_hc(xen_hc_event_channel_op, XEN_EVTCHNOP_set_priority, ARG, 0), -HVE_NOSYS);
    assert_int_equal(fake_hc(xen_hc_event_channel_op, 14, ARG, 0), -HVE_NOSYS);
    assert_int_equal(fake_hc(xen_hc_event_channel_op, ~0ULL, ARG, 0), -HVE_NOSYS);
    /* arguments the guest cannot read or write */
    assert_int_equal(fake_hc(xen_hc_event_channel_op, XEN_EVTCHNOP_bind_ipi, FAKE_RAM, 0), -HVE_FAULT);
    assert_int_equal(fake_hc(xen_hc_event_channel_op, XEN_EVTCHNOP_close, FAKE_RAM - 2, 0), -HVE_FAULT);
    assert_int_equal(fake_hc(xen_hc_event_channel_op, XEN_EVTCHNOP_status, ~0ULL - 4, 0), -HVE_FAULT);
    /* nothing above raised anything */
    assert_int_equal(fake.shared->evtchn_pending[0], 0);
    assert_int_equal(fake.d.events, 0);
}

/* Raises of ports nobody bound, or that do not exist, are ignored. */
static void raising_unbound_ports_does_nothing(void **state)
{
    (void)state;
    raise_port(0);
    raise_port(5);
    raise_port(XEN_NR_EVTCHN_2L);
    raise_port(~0u);
    for (unsigned i = 0; i < 64; i++)
        assert_int_equal(fake.shared->evtchn_pending[i], 0);
    assert_int_equal(fake.d.events, 0);
    assert_int_equal(fake.notified[0], 0);
}

/* A domain configured with more vCPUs still shows the guest one. */
static void second_vcpu_does_not_exist_yet(void **state)
{
    (void)state;
    fake_teardown();
    assert_int_equal(fake_setup(2), 0);
    assert_int_equal(bind_virq(XEN_VIRQ_TIMER, 1), -HVE_NOENT);
    assert_int_equal(bind_ipi(1), -HVE_NOENT);
    assert_int_equal(bind_virq(XEN_VIRQ_TIMER, 0), 1);
}

static void status_reports_each_kind(void **state)
{
    struct xen_evtchn_status st;
    int64_t r;

    (void)state;
    assert_int_equal(xen_evtchn_alloc_console(&fake.d), 1);
    assert_int_equal(fake.x.console_port, 1);
    assert_int_equal(bind_virq(XEN_VIRQ_DEBUG, 0), 2);
    assert_int_equal(bind_ipi(0), 3);

    st = status(XEN_DOMID_SELF, 1, &r);
    assert_int_equal(r, 0);
    assert_int_equal(st.status, XEN_EVTCHNSTAT_interdomain);
    assert_int_equal(st.vcpu, 0);
    assert_int_equal(st.u[0], 0);               /* domain 0 */
    assert_int_equal(st.port, 1);
    st = status(7, 2, &r);                      /* its own domid works too */
    assert_int_equal(r, 0);
    assert_int_equal(st.status, XEN_EVTCHNSTAT_virq);
    assert_int_equal(st.u[0], XEN_VIRQ_DEBUG);
    st = status(XEN_DOMID_SELF, 3, &r);
    assert_int_equal(st.status, XEN_EVTCHNSTAT_ipi);
    assert_int_equal(st.vcpu, 0);
    st = status(XEN_DOMID_SELF, 4, &r);
    assert_int_equal(r, 0);
    assert_int_equal(st.status, XEN_EVTCHNSTAT_closed);
    st = status(XEN_DOMID_SELF, 0, &r);
    assert_int_equal(r, 0);
    assert_int_equal(st.status, XEN_EVTCHNSTAT_closed);
}

static void console_port_is_raised_until_closed(void **state)
{
    (void)state;
    assert_int_equal(xen_evtchn_alloc_console(&fake.d), 1);
    xen_evtchn_raise_console(&fake.d);
    assert_int_equal(fake.shared->evtchn_pending[0], 1ULL << 1);
    assert_int_equal(vi0()->evtchn_upcall_pending, 1);
    assert_int_equal(fake.d.events, 1);
    guest_acks(1);

    /* bind_vcpu on it is fine (vCPU 0); sending it kicks the console,
     * which has no ring here: nothing moves, nothing is raised. */
    struct xen_evtchn_bind_vcpu bv = { .port = 1, .vcpu = 0 };
    assert_int_equal(evtchn(XEN_EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), 0);
    assert_int_equal(port_op(XEN_EVTCHNOP_send, 1), 0);
    assert_int_equal(fake.shared->evtchn_pending[0], 0);

    /* Closed by the guest, and the port reused as an IPI: the console no
     * longer raises it. */
    assert_int_equal(port_op(XEN_EVTCHNOP_close, 1), 0);
    assert_int_equal(bind_ipi(0), 1);
    xen_evtchn_raise_console(&fake.d);
    assert_int_equal(fake.shared->evtchn_pending[0], 0);
    assert_int_equal(fake.d.events, 1);
}

static void reset_closes_all_but_the_console(void **state)
{
    struct xen_evtchn_status st;
    uint16_t self = XEN_DOMID_SELF;
    int64_t r;

    (void)state;
    assert_int_equal(xen_evtchn_alloc_console(&fake.d), 1);
    assert_int_equal(bind_virq(XEN_VIRQ_TIMER, 0), 2);
    assert_int_equal(bind_ipi(0), 3);
    fake.shared->evtchn_mask[0] = ~0ULL;
    raise_port(1);
    raise_port(2);
    raise_port(3);
    assert_int_equal(fake.shared->evtchn_pending[0], 0xe);

    assert_int_equal(evtchn(XEN_EVTCHNOP_reset, &self, sizeof(self)), 0);
    assert_int_equal(fake.shared->evtchn_pending[0], 1ULL << 1);
    st = status(XEN_DOMID_SELF, 1, &r);
    assert_int_equal(st.status, XEN_EVTCHNSTAT_interdomain);
    st = status(XEN_DOMID_SELF, 2, &r);
    assert_int_equal(st.status, XEN_EVTCHNSTAT_closed);
    st = status(XEN_DOMID_SELF, 3, &r);
    assert_int_equal(st.status, XEN_EVTCHNSTAT_closed);
    assert_int_equal(bind_virq(XEN_VIRQ_TIMER, 0), 2);     /* bindable again */
}

/* xenstore's port: an interdomain channel like the console's, kept by
 * reset; sending on it is xen_store.c's business (not built here). */
static void store_port_is_a_back_end_channel(void **state)
{
    struct xen_evtchn_status st;
    uint16_t self = XEN_DOMID_SELF;
    int64_t r;

    (void)state;
    assert_int_equal(xen_evtchn_alloc_console(&fake.d), 1);
    assert_int_equal(xen_evtchn_alloc_store(&fake.d), 2);
    st = status(XEN_DOMID_SELF, 2, &r);
    assert_int_equal(r, 0);
    assert_int_equal(st.status, XEN_EVTCHNSTAT_interdomain);
    assert_int_equal(st.u[0], 0);
    assert_int_equal(st.u[1], 2);
    assert_int_equal(port_op(XEN_EVTCHNOP_send, 2), 0);
    struct xen_evtchn_bind_vcpu bv = { .port = 2, .vcpu = 0 };
    assert_int_equal(evtchn(XEN_EVTCHNOP_bind_vcpu, &bv, sizeof(bv)), 0);
    assert_int_equal(evtchn(XEN_EVTCHNOP_reset, &self, sizeof(self)), 0);
    st = status(XEN_DOMID_SELF, 2, &r);
    assert_int_equal(st.status, XEN_EVTCHNSTAT_interdomain);
    raise_port(2);
    assert_int_equal(fake.shared->evtchn_pending[0], 1ULL << 2);
}

/* After VCPUOP_register_vcpu_info, events land in the moved record. */
static void events_follow_the_moved_vcpu_info(void **state)
{
    struct xen_vcpu_info *moved = fake_ram(0x5040);

    (void)state;
    assert_int_equal(bind_ipi(0), 1);
    fake.x.vcpu[0].vcpu_info_gpa = 0x5040;
    raise_port(1);
    assert_int_equal(moved->evtchn_pending_sel, 1);
    assert_int_equal(moved->evtchn_upcall_pending, 1);
    assert_int_equal(vi0()->evtchn_pending_sel, 0);
    assert_int_equal(vi0()->evtchn_upcall_pending, 0);
}

/* A reboot's init clears the table. */
static void init_again_frees_every_port(void **state)
{
    (void)state;
    assert_int_equal(xen_evtchn_alloc_console(&fake.d), 1);
    assert_int_equal(bind_virq(XEN_VIRQ_TIMER, 0), 2);
    assert_int_equal(xen_evtchn_init(&fake.d), 0);
    assert_int_equal(fake.x.console_port, 0);
    assert_int_equal(bind_virq(XEN_VIRQ_TIMER, 0), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup1, fake_teardown1)
        T(timer_virq_raises_its_bits),
        T(second_word_ports_set_their_selector_bit),
        T(masked_raise_waits_for_unmask),
        T(unmask_without_pending_delivers_nothing),
        T(ipi_send_raises_it),
        T(close_forgets_the_binding_and_its_pending_bit),
        T(ports_run_out),
        T(refusals),
        T(raising_unbound_ports_does_nothing),
        T(second_vcpu_does_not_exist_yet),
        T(status_reports_each_kind),
        T(console_port_is_raised_until_closed),
        T(reset_closes_all_but_the_console),
        T(store_port_is_a_back_end_channel),
        T(events_follow_the_moved_vcpu_info),
        T(init_again_frees_every_port),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
