/*
 * abi_errors.c - every documented error of the guest ABI, one call each,
 * compared with the code hypercall.h promises.  Prints each mismatch as
 *     abi-errors: WRONG <what>: got <n>, want <m>
 * then
 *     abi-errors: <n> checks, <w> wrong
 * and powers off.  Where hostile throws random values at hvcore, this
 * pins down the exact answer to each bad call.
 */
#include "evtchn.h"
#include "hypercall.h"
#include "kernel.h"
#include "printf.h"
#include "public/errno.h"
#include "smp.h"
#include "workloads/workloads.h"

static unsigned checks, wrong;

static void expect(const char *what, long got, long want)
{
    checks++;
    if (got != want) {
        wrong++;
        kprintf("abi-errors: WRONG %s: got %ld, want %ld\n", what, got, want);
    }
}

static const struct hv_vcpu_context noncanonical = { .rip = 1ULL << 47, .rsp = 0x200000 };

void workload_abi_errors(const char *arg)
{
    char buf[16] = "x";
    uint64_t nr_pages = start_info->nr_pages;
    struct hv_vcpu_info *vi = &shared_info->vcpu_info[0];

    (void)arg;
    /* console_io */
    expect("console write over HV_CONSOLEIO_MAX",
           hc_console_io(CONSOLEIO_write, HV_CONSOLEIO_MAX + 1, buf), -HVE_INVAL);
    expect("console write from page 0", hc_console_io(CONSOLEIO_write, 1, (void *)8), -HVE_FAULT);
    expect("console write from the private range",
           hc_console_io(CONSOLEIO_write, 1, (void *)0x2000), -HVE_FAULT);
    expect("console write past RAM end",
           hc_console_io(CONSOLEIO_write, 2, (void *)(uintptr_t)(nr_pages * 4096 - 1)), -HVE_FAULT);
    expect("console read into the read-only start info",
           hc_console_io(CONSOLEIO_read, 1, (void *)(uintptr_t)HV_START_INFO_PAGE), -HVE_FAULT);
    expect("console_io unknown op", hc_console_io(99, 0, buf), -HVE_NOSYS);
    /* unknown hypercalls: every slot of the page has a stub */
    expect("hypercall 7", hypercall(HC_NR, 0, 0, 0, 0, 0), -HVE_NOSYS);
    expect("hypercall 127", hypercall(127, 0, 0, 0, 0, 0), -HVE_NOSYS);
    /* sched_op */
    expect("shutdown with reason 7", hc_sched_op(SCHEDOP_shutdown, 7), -HVE_INVAL);
    expect("sched_op unknown op", hc_sched_op(9, 0), -HVE_NOSYS);
    /* evtchn_op */
    expect("bind unknown virq", hc_evtchn_op(EVTCHNOP_bind_virq, VIRQ_NR, 0), -HVE_INVAL);
    expect("bind virq to vcpu 99", hc_evtchn_op(EVTCHNOP_bind_virq, VIRQ_BALLOON, 99), -HVE_INVAL);
    long port = hc_evtchn_op(EVTCHNOP_bind_virq, VIRQ_BALLOON, 0);
    expect("bind VIRQ_BALLOON gives a port", port > 0, 1);
    expect("bind VIRQ_BALLOON twice", hc_evtchn_op(EVTCHNOP_bind_virq, VIRQ_BALLOON, 0), -HVE_EXIST);
    expect("close it", hc_evtchn_op(EVTCHNOP_close, (uint64_t)port, 0), 0);
    expect("send to port 0", hc_evtchn_op(EVTCHNOP_send, 0, 0), -HVE_INVAL);
    expect("send to port 64", hc_evtchn_op(EVTCHNOP_send, HV_NR_EVTCHN, 0), -HVE_INVAL);
    expect("unmask an unbound port", hc_evtchn_op(EVTCHNOP_unmask, HV_NR_EVTCHN - 1, 0), -HVE_INVAL);
    expect("bind_ipi to vcpu 99", hc_evtchn_op(EVTCHNOP_bind_ipi, 99, 0), -HVE_INVAL);
    expect("upcall entry 0", hc_evtchn_op(EVTCHNOP_set_upcall, 0, 0), -HVE_INVAL);
    expect("evtchn_op unknown op", hc_evtchn_op(99, 0, 0), -HVE_NOSYS);
    /* A frame with a non-canonical rip is refused and changes nothing
     * (upcalls are masked, so nothing else writes the frame meanwhile). */
    unsigned long flags = irq_save();
    struct hv_upcall_frame saved = vi->upcall_frame;
    vi->upcall_frame.rip = 1ULL << 63;
    expect("upcall_return to a non-canonical rip",
           hc_evtchn_op(EVTCHNOP_upcall_return, 0, 0), -HVE_INVAL);
    vi->upcall_frame = saved;
    irq_restore(flags);
    /* vcpu_op */
    expect("up vcpu 99", hc_vcpu_op(VCPUOP_up, 99, (uint64_t)(uintptr_t)&noncanonical), -HVE_INVAL);
    expect("down vcpu 0", hc_vcpu_op(VCPUOP_down, 0, 0), -HVE_INVAL);
    expect("vcpu 0 is up", hc_vcpu_op(VCPUOP_is_up, 0, 0), 1);
    expect("vcpu_op unknown op", hc_vcpu_op(9, 0, 0), -HVE_NOSYS);
    if (start_info->max_vcpus > 1) {
        expect("up with a context in page 0", hc_vcpu_op(VCPUOP_up, 1, 8), -HVE_FAULT);
        expect("up at a non-canonical rip",
               hc_vcpu_op(VCPUOP_up, 1, (uint64_t)(uintptr_t)&noncanonical), -HVE_INVAL);
        expect("vcpu 1 stayed down", hc_vcpu_op(VCPUOP_is_up, 1, 0), 0);
    }
    /* memory_op */
    expect("release page 0", hc_memory_op(MEMOP_decrease_reservation, 0, 1), -HVE_INVAL);
    expect("release 0 pages", hc_memory_op(MEMOP_decrease_reservation, nr_pages - 1, 0), -HVE_INVAL);
    expect("release past RAM end", hc_memory_op(MEMOP_decrease_reservation, nr_pages - 1, 2), -HVE_INVAL);
    expect("memory_op unknown op", hc_memory_op(5, nr_pages - 1, 1), -HVE_NOSYS);
    expect("abi version", hc_abi_version(), HV_GUEST_ABI_VERSION);

    kprintf("abi-errors: %u checks, %u wrong\n", checks, wrong);
    domain_shutdown(SHUTDOWN_poweroff);
}
