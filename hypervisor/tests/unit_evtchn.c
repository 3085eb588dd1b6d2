/*
 * unit_evtchn.c - what getinfo's `events` counts: a port becoming pending
 * in the shared-info page.  A raise on a port still pending merges with
 * it, EVTCHNOP_unmask's re-raise is no new one, and a raise on a port
 * nobody bound delivers (and counts) nothing.
 */
#include <linux/kvm.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "evtchn.h"
#include "hvcore.h"
#include "public/errno.h"
#include "public/layout.h"

static struct domain dom;

static int setup(void **state)
{
    (void)state;
    memset(&dom, 0, sizeof(dom));
    dom.max_vcpus = 1;
    dom.mem_max_bytes = HV_SHARED_INFO_PAGE + HV_PAGE_SIZE;
    dom.mem = calloc(1, (size_t)dom.mem_max_bytes);
    pthread_mutex_init(&dom.lock, NULL);
    pthread_cond_init(&dom.cond, NULL);
    dom.vcpu[0].dom = &dom;
    pthread_cond_init(&dom.vcpu[0].cond, NULL);   /* VCPU_DOWN: signalled */
    return dom.mem ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    pthread_cond_destroy(&dom.vcpu[0].cond);
    pthread_cond_destroy(&dom.cond);
    pthread_mutex_destroy(&dom.lock);
    free(dom.mem);
    return 0;
}

static int64_t op(uint64_t cmd, uint64_t a0, uint64_t a1)
{
    struct kvm_regs regs;

    memset(&regs, 0, sizeof(regs));
    return evtchn_op(&dom.vcpu[0], &regs, cmd, a0, a1);
}

/* The guest takes the port's event (evtchn.c in pvboot does the same). */
static void guest_acks(int64_t port)
{
    __atomic_fetch_and(&dom_shared(&dom)->evtchn_pending[port / 64],
                       ~(1ULL << (port % 64)), __ATOMIC_SEQ_CST);
}

static void events_count_ports_made_pending(void **state)
{
    struct hv_shared_info *sh = dom_shared(&dom);

    (void)state;
    evtchn_raise_virq(&dom, VIRQ_CONSOLE, 0);
    assert_int_equal(dom.events, 0);           /* unbound: nothing delivered */

    int64_t port = op(EVTCHNOP_bind_virq, VIRQ_CONSOLE, 0);
    assert_true(port > 0);
    evtchn_raise_virq(&dom, VIRQ_CONSOLE, 0);
    assert_int_equal(dom.events, 1);
    evtchn_raise_virq(&dom, VIRQ_CONSOLE, 0);
    assert_int_equal(dom.events, 1);           /* still pending: merged */
    guest_acks(port);
    evtchn_raise_virq(&dom, VIRQ_CONSOLE, 0);
    assert_int_equal(dom.events, 2);

    /* Masked: pending all the same (the guest sees the bit), counted once;
     * the unmask delivers it without counting it again. */
    guest_acks(port);
    sh->evtchn_mask[port / 64] |= 1ULL << (port % 64);
    evtchn_raise_virq(&dom, VIRQ_CONSOLE, 0);
    assert_int_equal(dom.events, 3);
    assert_int_equal(op(EVTCHNOP_unmask, (uint64_t)port, 0), 0);
    assert_int_equal(dom.events, 3);
    assert_int_equal(sh->vcpu_info[0].upcall_pending, 1);

    /* EVTCHNOP_send from the guest (an IPI) counts like any raise. */
    int64_t ipi = op(EVTCHNOP_bind_ipi, 0, 0);
    assert_true(ipi > 0);
    assert_int_equal(op(EVTCHNOP_send, (uint64_t)ipi, 0), 0);
    assert_int_equal(dom.events, 4);
    assert_int_equal(op(EVTCHNOP_send, 0, 0), -HVE_INVAL);
    assert_int_equal(dom.events, 4);

    /* A reboot forgets the bindings, not the count. */
    evtchn_reset(&dom);
    assert_int_equal(dom.events, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(events_count_ports_made_pending, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
