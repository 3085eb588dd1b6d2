/*
 * xen_fake.h - a fake Xen-PV domain for the unit tests of X3's modules
 * (xen_evtchn.c, xen_sched.c, xen_time.c, xen_console.c, xen_misc.c).
 *
 * xen_fake.c stands in for the core's services (xen.h: guest copies,
 * frames, vcpu_info, shared info; hvcore's vcpu_notify_locked,
 * domain_end, guest_timer_arm, guest_time_now, console_output;
 * xen_mm_get/put_writable) and records what the modules asked of them.
 * Guest virtual addresses are guest-physical ones here (an identity map
 * of FAKE_PAGES frames of RAM); the shared-info page is a page of its own.
 */
#ifndef HVCORE_TESTS_XEN_FAKE_H
#define HVCORE_TESTS_XEN_FAKE_H

#include <stdint.h>

#include "hvcore.h"
#include "xen.h"

#define FAKE_PAGES  64
#define FAKE_RAM    ((uint64_t)FAKE_PAGES * 4096)
#define FAKE_WRITES 16

struct fake_write {
    uint64_t va;
    size_t len;
    uint64_t first, second;         /* its first 16 bytes (zero-padded)     */
};

struct xen_fake {
    struct domain d;
    struct xen_dom x;
    struct xen_shared_info *shared;
    /* recorded */
    unsigned notified[HV_MAX_VCPUS];    /* vcpu_notify_locked calls       */
    unsigned notified_unlocked;         /* ... without dom->lock held      */
    unsigned store_kicks;               /* xen_store_kick calls            */
    unsigned ends;                      /* domain_end calls                */
    enum end_reason end_reason;
    char end_detail[112];
    unsigned timer_arms;                /* guest_timer_arm calls           */
    uint64_t timer_deadline;
    char out[16384];                    /* console_output, concatenated    */
    size_t out_len;
    unsigned writable_refs;             /* xen_mm_get - put_writable       */
    struct fake_write writes[FAKE_WRITES];  /* xen_copy_to_guest, in order */
    unsigned nr_writes;
    /* set by tests */
    uint64_t now;                       /* guest_time_now                  */
    uint64_t refuse_writable_mfn;       /* xen_mm_get_writable refuses it  */
    uint64_t readonly_mfn;              /* xen_copy_to_guest faults on it  */
};

extern struct xen_fake fake;

/* A fresh domain with max_vcpus vCPUs and an event-channel table (as the
 * builder leaves it: xen_evtchn_init done, no console).  0 or -1. */
int fake_setup(unsigned max_vcpus);
void fake_teardown(void);

/* cmocka group set-up / tear-down for one vCPU. */
int fake_setup1(void **state);
int fake_teardown1(void **state);

/* Host pointer to guest address gpa of the fake RAM. */
void *fake_ram(uint64_t gpa);

/* A hypercall on vCPU 0 with arguments a0, a1, a2. */
int64_t fake_hc(xen_hc_fn *fn, uint64_t a0, uint64_t a1, uint64_t a2);

/* The vCPU. */
struct vcpu *fake_vcpu(unsigned id);

#endif /* HVCORE_TESTS_XEN_FAKE_H */
