/*
 * unit_xen_sched.c - a Xen-PV guest's scheduling and vCPU calls
 * (xen_sched.c): shutdown reasons mapped onto hvcore's end reasons, block
 * and poll (at once when an event is there, else the core is told to
 * sleep), the single-shot timer, vcpu_op's vCPU checks, vcpu_info moving
 * into guest RAM, and the runstate area with and without the update flag.
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
#include "xen_sched.h"

#define ARG     0x1000ULL           /* where the test puts an argument    */
#define PORTS   0x1100ULL           /* SCHEDOP_poll's port list           */
#define AREA    0x3000ULL           /* the guest's runstate area          */

static struct xen_vcpu *xv0(void)
{
    return &fake.x.vcpu[0];
}

static struct xen_vcpu_info *vi0(void)
{
    return &fake.shared->vcpu_info[0];
}

static int64_t sched(uint64_t op, uint32_t reason)
{
    memcpy(fake_ram(ARG), &reason, sizeof(reason));
    return fake_hc(xen_hc_sched_op, op, ARG, 0);
}

static int64_t vcpu_op(uint64_t op, uint64_t id, const void *arg, size_t len)
{
    if (arg)
        memcpy(fake_ram(ARG), arg, len);
    return fake_hc(xen_hc_vcpu_op, op, id, ARG);
}

static void shutdown_reasons_end_the_domain(void **state)
{
    static const struct {
        uint32_t reason;
        enum end_reason end;
        const char *detail;
    } map[] = {
        { XEN_SHUTDOWN_poweroff, END_POWEROFF, "guest powered off" },
        { XEN_SHUTDOWN_reboot, END_REBOOT, "guest rebooted" },
        { XEN_SHUTDOWN_crash, END_CRASH, "guest reported a crash" },
        { XEN_SHUTDOWN_watchdog, END_CRASH, "guest's watchdog expired" },
    };

    (void)state;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        fake.ends = 0;
        xv0()->next = XEN_NEXT_RESUME;
        assert_int_equal(sched(XEN_SCHEDOP_shutdown, map[i].reason), 0);
        assert_int_equal(fake.ends, 1);
        assert_int_equal(fake.end_reason, map[i].end);
        assert_string_equal(fake.end_detail, map[i].detail);
        assert_int_equal(xv0()->next, XEN_NEXT_END);
    }
    fake.ends = 0;
    xv0()->next = XEN_NEXT_RESUME;
    assert_int_equal(sched(XEN_SCHEDOP_shutdown, XEN_SHUTDOWN_suspend), -HVE_NOSYS);
    assert_int_equal(sched(XEN_SCHEDOP_shutdown, 5), -HVE_INVAL);
    assert_int_equal(sched(XEN_SCHEDOP_shutdown, 0xffffffffu), -HVE_INVAL);
    assert_int_equal(fake_hc(xen_hc_sched_op, XEN_SCHEDOP_shutdown, FAKE_RAM - 3, 0), -HVE_FAULT);
    assert_int_equal(fake.ends, 0);
    assert_int_equal(xv0()->next, XEN_NEXT_RESUME);
}

/* The old call takes the reason itself and knows three operations. */
static void compat_sched_op(void **state)
{
    (void)state;
    assert_int_equal(fake_hc(xen_hc_sched_op_compat, XEN_SCHEDOP_yield, 0, 0), 0);
    assert_int_equal(fake_hc(xen_hc_sched_op_compat, XEN_SCHEDOP_poll, ARG, 0), -HVE_NOSYS);
    assert_int_equal(fake_hc(xen_hc_sched_op_compat, XEN_SCHEDOP_shutdown_code, ARG, 0), -HVE_NOSYS);
    assert_int_equal(fake_hc(xen_hc_sched_op_compat, XEN_SCHEDOP_shutdown, 77, 0), -HVE_INVAL);
    assert_int_equal(fake.ends, 0);
    assert_int_equal(fake_hc(xen_hc_sched_op_compat, XEN_SCHEDOP_shutdown, XEN_SHUTDOWN_reboot, 0), 0);
    assert_int_equal(fake.end_reason, END_REBOOT);
    assert_int_equal(xv0()->next, XEN_NEXT_END);
    xv0()->next = XEN_NEXT_RESUME;
    vi0()->evtchn_upcall_mask = 1;
    assert_int_equal(fake_hc(xen_hc_sched_op_compat, XEN_SCHEDOP_block, 0, 0), 0);
    assert_int_equal(vi0()->evtchn_upcall_mask, 0);
    assert_int_equal(xv0()->next, XEN_NEXT_BLOCK);
}

static void other_sched_ops(void **state)
{
    (void)state;
    assert_int_equal(sched(XEN_SCHEDOP_shutdown_code, XEN_SHUTDOWN_crash), 0);
    assert_true(fake.x.has_shutdown_code);
    assert_int_equal(fake.x.shutdown_code, XEN_SHUTDOWN_crash);
    assert_int_equal(sched(XEN_SCHEDOP_shutdown_code, 6), -HVE_INVAL);
    assert_int_equal(fake.x.shutdown_code, XEN_SHUTDOWN_crash);
    assert_int_equal(fake.ends, 0);             /* recorded, nothing ends */
    assert_int_equal(sched(XEN_SCHEDOP_watchdog, 0), -HVE_NOSYS);
    assert_int_equal(sched(XEN_SCHEDOP_remote_shutdown, 0), -HVE_PERM);
    assert_int_equal(sched(7, 0), -HVE_NOSYS);
    assert_int_equal(sched(~0ULL, 0), -HVE_NOSYS);
    assert_int_equal(sched(XEN_SCHEDOP_yield, 0), 0);
    assert_int_equal(xv0()->next, XEN_NEXT_RESUME);
}

static void block_with_an_event_pending_returns_at_once(void **state)
{
    (void)state;
    vi0()->evtchn_upcall_mask = 1;
    vi0()->evtchn_upcall_pending = 1;
    assert_int_equal(sched(XEN_SCHEDOP_block, 0), 0);
    assert_int_equal(vi0()->evtchn_upcall_mask, 0);     /* events enabled */
    assert_int_equal(xv0()->next, XEN_NEXT_RESUME);
    assert_int_equal(xv0()->runstate.state, XEN_RUNSTATE_running);
}

static void block_without_an_event_sleeps(void **state)
{
    (void)state;
    fake.now = 500;
    vi0()->evtchn_upcall_mask = 1;
    xv0()->block_deadline_ns = 77;
    assert_int_equal(sched(XEN_SCHEDOP_block, 0), 0);
    assert_int_equal(vi0()->evtchn_upcall_mask, 0);
    assert_int_equal(xv0()->next, XEN_NEXT_BLOCK);
    assert_int_equal(xv0()->block_deadline_ns, 0);
    assert_int_equal(xv0()->runstate.state, XEN_RUNSTATE_blocked);
    assert_int_equal(xv0()->runstate.state_entry_time, 500);
    assert_int_equal(xv0()->runstate.time[XEN_RUNSTATE_running], 500);
}

static int64_t poll(const uint32_t *ports, uint32_t nr, uint64_t ports_va, uint64_t timeout)
{
    struct xen_sched_poll p = { .ports = ports_va, .nr_ports = nr, .timeout = timeout };

    if (nr && ports)
        memcpy(fake_ram(PORTS), ports, nr * sizeof(*ports));
    memcpy(fake_ram(ARG), &p, sizeof(p));
    return fake_hc(xen_hc_sched_op, XEN_SCHEDOP_poll, ARG, 0);
}

static void poll_blocks_until_a_port_or_the_timeout(void **state)
{
    uint32_t ports[2] = { 3, 70 };
    uint32_t bad[2] = { 3, XEN_NR_EVTCHN_2L };

    (void)state;
    fake.now = 1000;
    vi0()->evtchn_upcall_mask = 1;
    assert_int_equal(poll(NULL, 129, PORTS, 0), -HVE_INVAL);
    assert_int_equal(poll(bad, 2, PORTS, 0), -HVE_INVAL);
    assert_int_equal(poll(NULL, 2, FAKE_RAM - 4, 0), -HVE_FAULT);
    assert_int_equal(fake_hc(xen_hc_sched_op, XEN_SCHEDOP_poll, FAKE_RAM, 0), -HVE_FAULT);
    assert_int_equal(xv0()->next, XEN_NEXT_RESUME);

    /* A polled port pending, masked or not: at once. */
    fake.shared->evtchn_pending[1] = 1ULL << 6;
    fake.shared->evtchn_mask[1] = 1ULL << 6;
    assert_int_equal(poll(ports, 2, PORTS, 0), 0);
    assert_int_equal(xv0()->next, XEN_NEXT_RESUME);
    fake.shared->evtchn_pending[1] = 0;

    /* A deadline already passed: at once. */
    assert_int_equal(poll(ports, 2, PORTS, 999), 0);
    assert_int_equal(xv0()->next, XEN_NEXT_RESUME);

    /* An upcall due (pending, unmasked): at once. */
    vi0()->evtchn_upcall_pending = 1;
    vi0()->evtchn_upcall_mask = 0;
    assert_int_equal(poll(ports, 2, PORTS, 0), 0);
    assert_int_equal(xv0()->next, XEN_NEXT_RESUME);
    /* ... but not while masked: poll leaves the mask alone and sleeps. */
    vi0()->evtchn_upcall_mask = 1;
    assert_int_equal(poll(ports, 2, PORTS, 5000), 0);
    assert_int_equal(xv0()->next, XEN_NEXT_BLOCK);
    assert_int_equal(xv0()->block_deadline_ns, 5000);
    assert_int_equal(vi0()->evtchn_upcall_mask, 1);

    /* No ports and no timeout: until any event. */
    xv0()->next = XEN_NEXT_RESUME;
    vi0()->evtchn_upcall_pending = 0;
    assert_int_equal(poll(NULL, 0, 0, 0), 0);
    assert_int_equal(xv0()->next, XEN_NEXT_BLOCK);
    assert_int_equal(xv0()->block_deadline_ns, 0);
}

static void set_timer_op_arms_the_one_shot_timer(void **state)
{
    (void)state;
    assert_int_equal(fake_hc(xen_hc_set_timer_op, 123456789, 0, 0), 0);
    assert_int_equal(fake.timer_arms, 1);
    assert_int_equal(fake.timer_deadline, 123456789);
    assert_int_equal(fake_hc(xen_hc_set_timer_op, 0, 0, 0), 0);      /* cancel */
    assert_int_equal(fake.timer_deadline, 0);
}

static int64_t singleshot(uint64_t timeout, uint32_t flags)
{
    struct xen_vcpu_set_singleshot_timer t = { .timeout_abs_ns = timeout, .flags = flags };

    return vcpu_op(XEN_VCPUOP_set_singleshot_timer, 0, &t, sizeof(t));
}

static void singleshot_timer(void **state)
{
    (void)state;
    fake.now = 1000;
    assert_int_equal(singleshot(500, XEN_VCPU_SSHOTTMR_future), -XEN_ETIME);
    assert_int_equal(fake.timer_arms, 0);
    assert_int_equal(singleshot(2000, XEN_VCPU_SSHOTTMR_future), 0);
    assert_int_equal(fake.timer_deadline, 2000);
    assert_int_equal(singleshot(500, 0), 0);    /* Linux's way: fires at once */
    assert_int_equal(fake.timer_deadline, 500);
    assert_int_equal(singleshot(0, 0), 0);      /* past, not "disarm" */
    assert_int_equal(fake.timer_deadline, 1);
    assert_int_equal(singleshot(1ULL << 63, 0), 0);    /* negative: past */
    assert_int_equal(fake.timer_deadline, 1);
    assert_int_equal(singleshot(1ULL << 63, XEN_VCPU_SSHOTTMR_future), -XEN_ETIME);
    assert_int_equal(vcpu_op(XEN_VCPUOP_stop_singleshot_timer, 0, NULL, 0), 0);
    assert_int_equal(fake.timer_deadline, 0);
    assert_int_equal(fake_hc(xen_hc_vcpu_op, XEN_VCPUOP_set_singleshot_timer, 0, FAKE_RAM), -HVE_FAULT);

    /* No periodic timer: stopping it (Linux does, at boot) succeeds. */
    unsigned arms = fake.timer_arms;
    assert_int_equal(vcpu_op(XEN_VCPUOP_stop_periodic_timer, 0, NULL, 0), 0);
    assert_int_equal(vcpu_op(XEN_VCPUOP_set_periodic_timer, 0, NULL, 0), -HVE_NOSYS);
    assert_int_equal(fake.timer_arms, arms);
}

static void vcpu_ids_are_checked(void **state)
{
    (void)state;
    assert_int_equal(vcpu_op(XEN_VCPUOP_is_up, 0, NULL, 0), 1);
    for (uint64_t op = 0; op <= 13; op++) {
        assert_int_equal(vcpu_op(op, 1, NULL, 0), -HVE_NOENT);
        assert_int_equal(vcpu_op(op, ~0ULL, NULL, 0), -HVE_NOENT);
        assert_int_equal(vcpu_op(op, 1ULL << 32, NULL, 0), -HVE_NOENT);
    }
    assert_int_equal(vcpu_op(XEN_VCPUOP_up, 0, NULL, 0), 0);
    assert_int_equal(vcpu_op(XEN_VCPUOP_initialise, 0, NULL, 0), -HVE_EXIST);
    assert_int_equal(vcpu_op(XEN_VCPUOP_down, 0, NULL, 0), -HVE_INVAL);
    assert_int_equal(vcpu_op(XEN_VCPUOP_send_nmi, 0, NULL, 0), -HVE_NOSYS);
    assert_int_equal(vcpu_op(XEN_VCPUOP_get_physid, 0, NULL, 0), -HVE_NOSYS);
    assert_int_equal(vcpu_op(XEN_VCPUOP_register_vcpu_time_memory_area, 0, NULL, 0), -HVE_NOSYS);
    assert_int_equal(vcpu_op(14, 0, NULL, 0), -HVE_NOSYS);
    assert_int_equal(vcpu_op(~0ULL, 0, NULL, 0), -HVE_NOSYS);

    /* Two vCPUs configured: the guest still sees one (for now). */
    fake_teardown();
    assert_int_equal(fake_setup(2), 0);
    assert_int_equal(vcpu_op(XEN_VCPUOP_is_up, 1, NULL, 0), -HVE_NOENT);
    assert_int_equal(vcpu_op(XEN_VCPUOP_up, 1, NULL, 0), -HVE_NOENT);
    assert_int_equal(vcpu_op(XEN_VCPUOP_is_up, 0, NULL, 0), 1);
    assert_int_equal(xen_nr_vcpus(&fake.d), 1);
}

static int64_t register_info(uint64_t mfn, uint32_t offset)
{
    struct xen_vcpu_register_vcpu_info r = { .mfn = mfn, .offset = offset };

    return vcpu_op(XEN_VCPUOP_register_vcpu_info, 0, &r, sizeof(r));
}

static void vcpu_info_moves_into_guest_ram(void **state)
{
    struct xen_vcpu_info *moved = fake_ram(0x5040);

    (void)state;
    vi0()->evtchn_upcall_pending = 1;
    vi0()->evtchn_upcall_mask = 1;
    vi0()->evtchn_pending_sel = 0x5;
    vi0()->cr2 = 0xdead000;
    assert_int_equal(register_info(5, 0x40), 0);
    assert_int_equal(xv0()->vcpu_info_gpa, 0x5040);
    assert_int_equal(fake.writable_refs, 1);
    assert_int_equal(moved->evtchn_upcall_pending, 1);
    assert_int_equal(moved->evtchn_upcall_mask, 1);
    assert_int_equal(moved->evtchn_pending_sel, 0x5);
    assert_int_equal(moved->cr2, 0xdead000);
    /* its time record was written where it is now */
    assert_int_equal(moved->time.version % 2, 0);
    assert_int_not_equal(moved->time.version, 0);
    assert_int_equal(moved->time.flags, XEN_PVCLOCK_TSC_STABLE);
    assert_int_not_equal(moved->time.tsc_to_system_mul, 0);
    /* once only */
    assert_int_equal(register_info(6, 0), -HVE_INVAL);
    assert_int_equal(xv0()->vcpu_info_gpa, 0x5040);
    assert_int_equal(fake.writable_refs, 1);
}

static void vcpu_info_refusals(void **state)
{
    (void)state;
    assert_int_equal(register_info(5, 4096 - 64 + 1), -HVE_INVAL);   /* crosses */
    assert_int_equal(register_info(5, 0xffffffffu), -HVE_INVAL);
    assert_int_equal(register_info(0, 0x40), -HVE_INVAL);
    assert_int_equal(register_info(FAKE_PAGES, 0), -HVE_INVAL);
    assert_int_equal(register_info(~0ULL, 0), -HVE_INVAL);
    assert_int_equal(register_info(1ULL << 40, 0), -HVE_INVAL);
    fake.refuse_writable_mfn = 6;               /* a page table, say */
    assert_int_equal(register_info(6, 0), -HVE_INVAL);
    assert_int_equal(fake_hc(xen_hc_vcpu_op, XEN_VCPUOP_register_vcpu_info, 0, FAKE_RAM - 8), -HVE_FAULT);
    assert_int_equal(xv0()->vcpu_info_gpa, 0);
    assert_int_equal(fake.writable_refs, 0);
    /* the last offset that fits */
    assert_int_equal(register_info(7, 4096 - 64), 0);
    assert_int_equal(xv0()->vcpu_info_gpa, 7 * 4096 + 4096 - 64);
}

static struct xen_vcpu_runstate_info *area(void)
{
    return fake_ram(AREA);
}

static void runstate_area_follows_block_and_run(void **state)
{
    struct xen_vcpu_runstate_info rs;

    (void)state;
    fake.now = 40;
    memset(area(), 0xaa, sizeof(*area()));
    uint64_t va = AREA;
    assert_int_equal(vcpu_op(XEN_VCPUOP_register_runstate_memory_area, 0, &va, sizeof(va)), 0);
    assert_int_equal(area()->state, XEN_RUNSTATE_running);
    assert_int_equal(area()->state_entry_time, 0);
    assert_int_equal(area()->time[0], 0);

    fake.now = 100;
    assert_int_equal(sched(XEN_SCHEDOP_block, 0), 0);
    assert_int_equal(area()->state, XEN_RUNSTATE_blocked);
    assert_int_equal(area()->state_entry_time, 100);
    assert_int_equal(area()->time[XEN_RUNSTATE_running], 100);

    fake.now = 250;
    xen_runstate_set(fake_vcpu(0), XEN_RUNSTATE_running);
    assert_int_equal(area()->state, XEN_RUNSTATE_running);
    assert_int_equal(area()->state_entry_time, 250);
    assert_int_equal(area()->time[XEN_RUNSTATE_blocked], 150);
    assert_int_equal(area()->time[XEN_RUNSTATE_running], 100);

    /* get_runstate_info counts the current state up to now */
    fake.now = 300;
    memset(fake_ram(0x2000), 0, sizeof(rs));
    assert_int_equal(fake_hc(xen_hc_vcpu_op, XEN_VCPUOP_get_runstate_info, 0, 0x2000), 0);
    memcpy(&rs, fake_ram(0x2000), sizeof(rs));
    assert_int_equal(rs.state, XEN_RUNSTATE_running);
    assert_int_equal(rs.state_entry_time, 250);
    assert_int_equal(rs.time[XEN_RUNSTATE_running], 150);
    assert_int_equal(rs.time[XEN_RUNSTATE_blocked], 150);
    assert_int_equal(area()->time[XEN_RUNSTATE_running], 100);  /* no write */
    assert_int_equal(fake_hc(xen_hc_vcpu_op, XEN_VCPUOP_get_runstate_info, 0, FAKE_RAM), -HVE_FAULT);

    /* Unregistered: no more writes. */
    va = 0;
    assert_int_equal(vcpu_op(XEN_VCPUOP_register_runstate_memory_area, 0, &va, sizeof(va)), 0);
    fake.nr_writes = 0;
    fake.now = 400;
    xen_runstate_set(fake_vcpu(0), XEN_RUNSTATE_blocked);
    assert_int_equal(fake.nr_writes, 0);
    assert_int_equal(area()->state, XEN_RUNSTATE_running);
}

/* With runstate_update_flag the record is bracketed: entry time with
 * XEN_RUNSTATE_UPDATE, the record (flag still set), the entry time clear. */
static void runstate_update_flag_brackets_the_write(void **state)
{
    uint64_t entry_va = AREA + offsetof(struct xen_vcpu_runstate_info, state_entry_time);
    uint64_t va = AREA;

    (void)state;
    assert_int_equal(fake_hc(xen_hc_vm_assist, XEN_VMASST_CMD_enable,
                             XEN_VMASST_TYPE_runstate_update_flag, 0), 0);
    assert_int_equal(vcpu_op(XEN_VCPUOP_register_runstate_memory_area, 0, &va, sizeof(va)), 0);
    fake.nr_writes = 0;
    fake.now = 400;
    xen_runstate_set(fake_vcpu(0), XEN_RUNSTATE_blocked);
    assert_int_equal(fake.nr_writes, 3);
    assert_int_equal(fake.writes[0].va, entry_va);
    assert_int_equal(fake.writes[0].len, 8);
    assert_int_equal(fake.writes[0].first, 400 | XEN_RUNSTATE_UPDATE);
    assert_int_equal(fake.writes[1].va, AREA);
    assert_int_equal(fake.writes[1].len, sizeof(struct xen_vcpu_runstate_info));
    assert_int_equal(fake.writes[1].first, XEN_RUNSTATE_blocked);
    assert_int_equal(fake.writes[1].second, 400 | XEN_RUNSTATE_UPDATE);
    assert_int_equal(fake.writes[2].va, entry_va);
    assert_int_equal(fake.writes[2].len, 8);
    assert_int_equal(fake.writes[2].first, 400);
    assert_int_equal(area()->state_entry_time, 400);

    /* Without it: one write of the record. */
    assert_int_equal(fake_hc(xen_hc_vm_assist, XEN_VMASST_CMD_disable,
                             XEN_VMASST_TYPE_runstate_update_flag, 0), 0);
    fake.nr_writes = 0;
    fake.now = 500;
    xen_runstate_set(fake_vcpu(0), XEN_RUNSTATE_running);
    assert_int_equal(fake.nr_writes, 1);
    assert_int_equal(fake.writes[0].second, 500);
    /* The same state again: nothing to write. */
    xen_runstate_set(fake_vcpu(0), XEN_RUNSTATE_running);
    assert_int_equal(fake.nr_writes, 1);
}

static void runstate_area_must_be_writable(void **state)
{
    uint64_t va = AREA;

    (void)state;
    fake.readonly_mfn = AREA >> 12;
    assert_int_equal(vcpu_op(XEN_VCPUOP_register_runstate_memory_area, 0, &va, sizeof(va)), -HVE_FAULT);
    assert_int_equal(xv0()->runstate_va, 0);
    va = FAKE_RAM - 8;
    assert_int_equal(vcpu_op(XEN_VCPUOP_register_runstate_memory_area, 0, &va, sizeof(va)), -HVE_FAULT);
    assert_int_equal(xv0()->runstate_va, 0);
    assert_int_equal(fake_hc(xen_hc_vcpu_op, XEN_VCPUOP_register_runstate_memory_area, 0, FAKE_RAM), -HVE_FAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fake_setup1, fake_teardown1)
        T(shutdown_reasons_end_the_domain),
        T(compat_sched_op),
        T(other_sched_ops),
        T(block_with_an_event_pending_returns_at_once),
        T(block_without_an_event_sleeps),
        T(poll_blocks_until_a_port_or_the_timeout),
        T(set_timer_op_arms_the_one_shot_timer),
        T(singleshot_timer),
        T(vcpu_ids_are_checked),
        T(vcpu_info_moves_into_guest_ram),
        T(vcpu_info_refusals),
        T(runstate_area_follows_block_and_run),
        T(runstate_update_flag_brackets_the_write),
        T(runstate_area_must_be_writable),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
