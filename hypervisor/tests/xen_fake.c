/*
 * xen_fake.c - the core's services for X3's unit tests (xen_fake.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "domain.h"
#include "guest_time.h"
#include "public/errno.h"
#include "vcpu.h"
#include "xen_evtchn.h"
#include "xen_fake.h"
#include "xen_store.h"

struct xen_fake fake;

int fake_setup(unsigned max_vcpus)
{
    memset(&fake, 0, sizeof(fake));
    fake.d.max_vcpus = max_vcpus;
    fake.d.mem = calloc(1, FAKE_RAM);
    fake.shared = aligned_alloc(4096, 4096);
    if (!fake.d.mem || !fake.shared)
        return -1;
    memset(fake.shared, 0, 4096);
    fake.d.tsc_khz = 2000000;
    fake.d.domid = 7;
    memcpy(fake.d.uuid, "0123456789abcdef", 16);
    pthread_mutex_init(&fake.d.lock, NULL);
    pthread_mutex_init(&fake.d.console_lock, NULL);
    pthread_mutex_init(&fake.d.stdout_lock, NULL);
    for (unsigned i = 0; i < HV_MAX_VCPUS; i++) {
        fake.d.vcpu[i].dom = &fake.d;
        fake.d.vcpu[i].id = i;
    }
    fake.x.nr_pages = FAKE_PAGES;
    fake.d.xen = &fake.x;
    return xen_evtchn_init(&fake.d) == 0 ? 0 : -1;
}

void fake_teardown(void)
{
    xen_evtchn_free(&fake.d);
    pthread_mutex_destroy(&fake.d.stdout_lock);
    pthread_mutex_destroy(&fake.d.console_lock);
    pthread_mutex_destroy(&fake.d.lock);
    free(fake.d.mem);
    free(fake.shared);
}

int fake_setup1(void **state)
{
    (void)state;
    return fake_setup(1);
}

int fake_teardown1(void **state)
{
    (void)state;
    fake_teardown();
    return 0;
}

void *fake_ram(uint64_t gpa)
{
    return fake.d.mem + gpa;
}

struct vcpu *fake_vcpu(unsigned id)
{
    return &fake.d.vcpu[id];
}

int64_t fake_hc(xen_hc_fn *fn, uint64_t a0, uint64_t a1, uint64_t a2)
{
    const uint64_t a[6] = { a0, a1, a2, 0, 0, 0 };

    return fn(fake_vcpu(0), a);
}

/* ---- xen.h ----------------------------------------------------------------- */

struct xen_dom *xen_dom_of(struct domain *d)
{
    return d->xen;
}

struct xen_vcpu *xen_vcpu_of(struct vcpu *v)
{
    return &v->dom->xen->vcpu[v->id];
}

struct xen_shared_info *xen_shared(struct domain *d)
{
    (void)d;
    return fake.shared;
}

uint8_t *xen_frame(struct domain *d, uint64_t mfn)
{
    return mfn < d->xen->nr_pages ? d->mem + (mfn << 12) : NULL;
}

struct xen_vcpu_info *xen_vcpu_info(struct vcpu *v)
{
    uint64_t gpa = xen_vcpu_of(v)->vcpu_info_gpa;

    if (gpa)
        return (struct xen_vcpu_info *)(xen_frame(v->dom, gpa >> 12) + (gpa & 0xfff));
    return &xen_shared(v->dom)->vcpu_info[v->id];
}

static bool in_ram(uint64_t va, size_t len)
{
    return va < FAKE_RAM && len <= FAKE_RAM - va;
}

int xen_copy_from_guest(struct vcpu *v, uint64_t va, void *dst, size_t len)
{
    if (!in_ram(va, len))
        return -HVE_FAULT;
    memcpy(dst, v->dom->mem + va, len);
    return 0;
}

int xen_copy_to_guest(struct vcpu *v, uint64_t va, const void *src, size_t len)
{
    if (!in_ram(va, len))
        return -HVE_FAULT;
    if (fake.readonly_mfn && va >> 12 <= fake.readonly_mfn &&
        (va + len - 1) >> 12 >= fake.readonly_mfn)
        return -HVE_FAULT;
    if (fake.nr_writes < FAKE_WRITES) {
        struct fake_write *w = &fake.writes[fake.nr_writes++];
        w->va = va;
        w->len = len;
        uint64_t head[2] = { 0, 0 };
        memcpy(head, src, len < sizeof(head) ? len : sizeof(head));
        w->first = head[0];
        w->second = head[1];
    }
    memcpy(v->dom->mem + va, src, len);
    return 0;
}

int xen_mm_get_writable(struct domain *d, uint64_t mfn)
{
    (void)d;
    if (mfn == fake.refuse_writable_mfn)
        return -HVE_INVAL;
    fake.writable_refs++;
    return 0;
}

void xen_mm_put_writable(struct domain *d, uint64_t mfn)
{
    (void)d;
    (void)mfn;
    fake.writable_refs--;
}

/* ---- hvcore ------------------------------------------------------------------ */

void vcpu_notify_locked(struct vcpu *v)
{
    /* The caller must hold dom->lock: a default mutex it holds is busy. */
    if (pthread_mutex_trylock(&v->dom->lock) == 0) {
        fake.notified_unlocked++;
        pthread_mutex_unlock(&v->dom->lock);
    }
    fake.notified[v->id]++;
}

void domain_end(struct domain *d, enum end_reason reason, const char *detail)
{
    (void)d;
    fake.ends++;
    fake.end_reason = reason;
    snprintf(fake.end_detail, sizeof(fake.end_detail), "%s", detail);
}

int guest_timer_arm(struct vcpu *v, uint64_t deadline_ns)
{
    (void)v;
    fake.timer_arms++;
    fake.timer_deadline = deadline_ns;
    return 0;
}

uint64_t guest_time_now(const struct domain *d)
{
    (void)d;
    return fake.now;
}

void console_output(struct domain *d, const char *buf, size_t len)
{
    (void)d;
    if (len > sizeof(fake.out) - fake.out_len)
        len = sizeof(fake.out) - fake.out_len;
    memcpy(fake.out + fake.out_len, buf, len);
    fake.out_len += len;
}

/* xen_store.c's entry: the store port's sends are counted, not served. */
void xen_store_kick(struct domain *d)
{
    (void)d;
    fake.store_kicks++;
}
