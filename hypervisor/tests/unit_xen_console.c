/*
 * unit_xen_console.c - the Xen console ring (xen_console.c): the guest's
 * output drained to hvcore's console with the index wrap, hostile indexes
 * resynchronised without reading outside the ring, typed input put into
 * in[] with what does not fit kept for later, and the console's port
 * raised whenever a ring moved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "public/errno.h"
#include "xen_console.h"
#include "xen_evtchn.h"
#include "xen_fake.h"

#define RING    0x9000ULL
#define OUT     2048u
#define IN      1024u

static struct xen_console_interface *ring(void)
{
    return fake_ram(RING);
}

static int setup(void **state)
{
    (void)state;
    if (fake_setup(1) < 0)
        return -1;
    fake.x.console_gpa = RING;
    return xen_evtchn_alloc_console(&fake.d) == 1 ? 0 : -1;
}

static bool port_raised(void)
{
    return fake.shared->evtchn_pending[0] == (1ULL << 1) &&
           fake.shared->vcpu_info[0].evtchn_upcall_pending == 1;
}

static void guest_acks(void)
{
    fake.shared->evtchn_pending[0] = 0;
    fake.shared->vcpu_info[0].evtchn_upcall_pending = 0;
    fake.shared->vcpu_info[0].evtchn_pending_sel = 0;
}

/* What hvc_xen does: copy into out[] at the producer index, then move it. */
static void guest_writes(const char *s)
{
    uint32_t prod = ring()->out_prod;

    for (size_t i = 0; s[i]; i++)
        ring()->out[prod++ % OUT] = s[i];
    ring()->out_prod = prod;
}

static void output_is_drained_and_the_port_raised(void **state)
{
    (void)state;
    guest_writes("hello\n");
    /* the guest's EVTCHNOP_send on the console's port */
    memcpy(fake_ram(0x1000), &(uint32_t){ 1 }, 4);
    assert_int_equal(fake_hc(xen_hc_event_channel_op, XEN_EVTCHNOP_send, 0x1000, 0), 0);
    assert_int_equal(fake.out_len, 6);
    assert_memory_equal(fake.out, "hello\n", 6);
    assert_int_equal(ring()->out_cons, 6);
    assert_true(port_raised());

    /* Nothing new: nothing printed, nothing raised. */
    guest_acks();
    xen_console_kick(&fake.d);
    assert_int_equal(fake.out_len, 6);
    assert_int_equal(fake.shared->evtchn_pending[0], 0);
}

static void indexes_wrap(void **state)
{
    (void)state;
    ring()->out_prod = ring()->out_cons = 0xfffffffdu;     /* 32-bit wrap too */
    guest_writes("abcdef");
    assert_int_equal(ring()->out_prod, 3);
    xen_console_kick(&fake.d);
    assert_int_equal(fake.out_len, 6);
    assert_memory_equal(fake.out, "abcdef", 6);
    assert_int_equal(ring()->out_cons, 3);
    assert_int_equal(ring()->out[OUT - 1], 'c');
    assert_int_equal(ring()->out[0], 'd');
}

static void a_full_ring_is_drained_whole(void **state)
{
    (void)state;
    memset(ring()->out, 'x', OUT);
    ring()->out_cons = 100;
    ring()->out_prod = 100 + OUT;
    xen_console_kick(&fake.d);
    assert_int_equal(fake.out_len, OUT);
    assert_int_equal(ring()->out_cons, 100 + OUT);
}

static void hostile_producers_are_resynchronised(void **state)
{
    static const uint32_t ahead[] = { OUT + 1, 0x80000000u, 0xffffffffu };

    (void)state;
    for (size_t i = 0; i < sizeof(ahead) / sizeof(ahead[0]); i++) {
        guest_acks();
        ring()->out_cons = 5;
        ring()->out_prod = 5 + ahead[i];
        xen_console_kick(&fake.d);
        assert_int_equal(fake.out_len, 0);                  /* dropped */
        assert_int_equal(ring()->out_cons, 5 + ahead[i]);   /* resynced */
        assert_true(port_raised());                         /* it moved */
    }
}

static void input_goes_into_the_ring(void **state)
{
    (void)state;
    xen_console_input(&fake.d, "ls\n", 3);
    assert_memory_equal(ring()->in, "ls\n", 3);
    assert_int_equal(ring()->in_prod, 3);
    assert_int_equal(fake.d.in_pending_len, 0);
    assert_true(port_raised());
}

static void input_wraps(void **state)
{
    (void)state;
    ring()->in_prod = ring()->in_cons = 0xfffffffeu;
    xen_console_input(&fake.d, "abcd", 4);
    assert_int_equal(ring()->in_prod, 2);
    assert_int_equal(ring()->in[IN - 2], 'a');
    assert_int_equal(ring()->in[IN - 1], 'b');
    assert_int_equal(ring()->in[0], 'c');
    assert_int_equal(ring()->in[1], 'd');
}

static void input_into_a_full_ring_waits_for_room(void **state)
{
    char big[IN];

    (void)state;
    ring()->in_cons = 0;
    ring()->in_prod = IN;                       /* full */
    xen_console_input(&fake.d, "xyz", 3);
    assert_int_equal(ring()->in_prod, IN);
    assert_int_equal(fake.d.in_pending_len, 3);
    assert_int_equal(fake.shared->evtchn_pending[0], 0);   /* nothing moved */

    /* More than the pending buffer holds is dropped. */
    memset(big, 'q', sizeof(big));
    xen_console_input(&fake.d, big, sizeof(big));
    assert_int_equal(fake.d.in_pending_len, sizeof(fake.d.in_pending));

    /* The guest read two bytes and notifies: they are topped up. */
    ring()->in_cons = 2;
    xen_console_kick(&fake.d);
    assert_int_equal(ring()->in_prod, IN + 2);
    assert_int_equal(ring()->in[0], 'x');
    assert_int_equal(ring()->in[1], 'y');
    assert_int_equal(fake.d.in_pending_len, sizeof(fake.d.in_pending) - 2);
    assert_int_equal(fake.d.in_pending[0], 'z');
    assert_true(port_raised());
    assert_int_equal(fake.out_len, 0);
}

static void hostile_consumer_is_taken_as_empty(void **state)
{
    (void)state;
    ring()->in_prod = 10;
    ring()->in_cons = 2000;                     /* "ahead" of the producer */
    xen_console_input(&fake.d, "ok", 2);
    assert_int_equal(ring()->in_prod, 12);
    assert_int_equal(ring()->in[10], 'o');
    assert_int_equal(ring()->in[11], 'k');
    assert_int_equal(fake.d.in_pending_len, 0);
}

static void no_ring_no_harm(void **state)
{
    (void)state;
    fake.x.console_gpa = 0;
    xen_console_input(&fake.d, "hi", 2);
    assert_int_equal(fake.d.in_pending_len, 2);     /* kept for a ring */
    xen_console_kick(&fake.d);
    assert_int_equal(fake.shared->evtchn_pending[0], 0);
    /* Outside RAM, or not fitting in its page: no ring either. */
    fake.x.console_gpa = FAKE_RAM;
    xen_console_kick(&fake.d);
    fake.x.console_gpa = RING + 0x800;
    xen_console_kick(&fake.d);
    assert_int_equal(fake.shared->evtchn_pending[0], 0);
    assert_int_equal(fake.out_len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_teardown1)
        T(output_is_drained_and_the_port_raised),
        T(indexes_wrap),
        T(a_full_ring_is_drained_whole),
        T(hostile_producers_are_resynchronised),
        T(input_goes_into_the_ring),
        T(input_wraps),
        T(input_into_a_full_ring_waits_for_room),
        T(hostile_consumer_is_taken_as_empty),
        T(no_ring_no_harm),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
