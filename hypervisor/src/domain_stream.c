/*
 * domain_stream.c - a domain's state as stream records and back
 * (domain_stream.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boot_layout.h"
#include "domain_stream.h"
#include "evtchn.h"
#include "guest_time.h"
#include "hvcore.h"
#include "memory.h"
#include "public/errno.h"
#include "stream_read.h"
#include "stream_write.h"
#include "vcpu.h"

static uint8_t action_out(enum lifecycle_action a)
{
    return a == ACTION_RESTART ? HV_STREAM_ACTION_RESTART
         : a == ACTION_PRESERVE ? HV_STREAM_ACTION_PRESERVE : HV_STREAM_ACTION_DESTROY;
}

static enum lifecycle_action action_in(uint8_t a)
{
    return a == HV_STREAM_ACTION_RESTART ? ACTION_RESTART
         : a == HV_STREAM_ACTION_PRESERVE ? ACTION_PRESERVE : ACTION_DESTROY;
}

void ds_fill_domain(struct domain *d, struct hv_rec_domain *rec)
{
    memset(rec, 0, sizeof(*rec));
    snprintf(rec->name, sizeof(rec->name), "%s", d->name);
    memcpy(rec->uuid, d->uuid, sizeof(rec->uuid));
    rec->domid = d->domid;
    rec->max_vcpus = d->max_vcpus;
    rec->mem_max_bytes = d->mem_max_bytes;
    rec->on_poweroff = action_out(d->on_poweroff);
    rec->on_reboot = action_out(d->on_reboot);
    rec->on_crash = action_out(d->on_crash);
    snprintf(rec->cmdline, sizeof(rec->cmdline), "%s", d->cmdline ? d->cmdline : "");
    pthread_mutex_lock(&d->lock);
    rec->first_free_pfn = d->first_free_pfn;
    rec->entry_rip = d->entry_rip;
    rec->boot_count = d->boot_count;
    pthread_mutex_unlock(&d->lock);
}

/* Everything of the final part that is not a vCPU, at one instant. */
struct snapshot {
    uint8_t pages[2][HV_PAGE_SIZE];     /* shared info, console */
    struct hv_rec_runstate run;
    struct hv_rec_evtchn evtchn;
    struct hv_rec_time time;
    struct hv_rec_console console;
    uint64_t *balloon;
    struct hv_rec_balloon balloon_hdr;
    uint64_t deadline[HV_MAX_VCPUS];    /* armed, or expired not raised */
};

static int take_snapshot(struct domain *d, struct snapshot *s, bool was_paused)
{
    uint64_t pages = d->mem_max_bytes >> HV_PAGE_SHIFT;
    size_t words = (size_t)((pages + 63) / 64);

    s->balloon = malloc(words * sizeof(uint64_t));
    if (!s->balloon)
        return -HVE_NOMEM;
    /* Console first, then the domain: no path takes them the other way. */
    pthread_mutex_lock(&d->console_lock);
    pthread_mutex_lock(&d->lock);
    memcpy(s->pages[0], d->mem + HV_SHARED_INFO_PAGE, HV_PAGE_SIZE);
    memcpy(s->pages[1], d->mem + HV_CONSOLE_PAGE, HV_PAGE_SIZE);
    s->run.mem_target_kib = d->mem_target_kib;
    s->run.upcall_rip = d->upcall_rip;
    s->run.events = d->events;
    s->run.state = was_paused ? HV_STREAM_STATE_PAUSED : HV_STREAM_STATE_RUNNING;
    s->run.shutdown_pending = d->shutdown_pending;
    for (unsigned p = 0; p < HV_NR_EVTCHN; p++) {
        s->evtchn.port[p].type = d->port[p].type;
        s->evtchn.port[p].virq = d->port[p].virq;
        s->evtchn.port[p].vcpu = d->port[p].vcpu;
    }
    /* Under the same lock as the pending bits: a timer's expiry is either
     * raised (its bit is in the page above) or still a deadline here. */
    for (unsigned i = 0; i < d->max_vcpus; i++)
        s->deadline[i] = d->vcpu[i].timer_deadline;
    s->time.system_time_ns = guest_time_now(d);
    s->time.realtime_ns = now_ns(CLOCK_REALTIME);
    s->time.tsc_khz = d->tsc_khz;
    memcpy(s->balloon, d->balloon_map, words * sizeof(uint64_t));
    s->balloon_hdr.nr_pages = pages;
    s->balloon_hdr.ballooned = d->ballooned_pages;
    pthread_mutex_unlock(&d->lock);
    s->console.history_len = (uint32_t)d->history_len;
    memcpy(s->console.history, d->history, d->history_len);
    s->console.in_pending_len = (uint32_t)d->in_pending_len;
    memcpy(s->console.in_pending, d->in_pending, d->in_pending_len);
    pthread_mutex_unlock(&d->console_lock);
    return 0;
}

int ds_write_final(struct domain *d, struct stream_out *out, bool was_paused, char *err,
                   size_t errlen)
{
    static const uint64_t fixed[2] = { HV_SHARED_INFO_PAGE >> HV_PAGE_SHIFT,
                                       HV_CONSOLE_PAGE >> HV_PAGE_SHIFT };
    struct snapshot *s = calloc(1, sizeof(*s));
    struct hv_rec_vcpu *v = calloc(d->max_vcpus, sizeof(*v));
    const uint8_t *page_ptr[2];
    unsigned data;
    int r;

    err[0] = '\0';
    if (!s || !v) {
        r = -HVE_NOMEM;
        snprintf(err, errlen, "out of memory for the final state");
        goto out;
    }
    r = take_snapshot(d, s, was_paused);
    for (unsigned i = 0; r == 0 && i < d->max_vcpus; i++) {
        r = vcpu_capture(d, i, &v[i]);
        if (v[i].state != HV_STREAM_VCPU_DOWN)
            v[i].timer_deadline_ns = s->deadline[i];
        if (r < 0)
            snprintf(err, errlen, "cannot capture vCPU %u: %s", i,
                     r == -HVE_BUSY ? "it is not paused" : strerror(-r));
    }
    if (r < 0)
        goto out;
    page_ptr[0] = s->pages[0];
    page_ptr[1] = s->pages[1];
    r = sw_page_list(out, fixed, page_ptr, 2, false, &data);
    if (r == 0) {
        size_t words = (size_t)((s->balloon_hdr.nr_pages + 63) / 64);
        size_t len = sizeof(s->balloon_hdr) + words * sizeof(uint64_t);
        uint8_t *body = malloc(len);
        r = body ? 0 : -HVE_NOMEM;
        if (body) {
            memcpy(body, &s->balloon_hdr, sizeof(s->balloon_hdr));
            memcpy(body + sizeof(s->balloon_hdr), s->balloon, words * sizeof(uint64_t));
            r = sw_record(out, HV_REC_BALLOON, body, len);
            free(body);
        }
    }
    for (unsigned i = 0; r == 0 && i < d->max_vcpus; i++)
        r = sw_record(out, HV_REC_VCPU, &v[i], sizeof(v[i]));
    if (r == 0)
        r = sw_record(out, HV_REC_RUNSTATE, &s->run, sizeof(s->run));
    if (r == 0)
        r = sw_record(out, HV_REC_EVTCHN, &s->evtchn, sizeof(s->evtchn));
    if (r == 0)
        r = sw_record(out, HV_REC_TIME, &s->time, sizeof(s->time));
    if (r == 0)
        r = sw_record(out, HV_REC_CONSOLE, &s->console, sizeof(s->console));
    if (r == 0)
        r = sw_end(out);
out:
    if (s)
        free(s->balloon);
    free(s);
    free(v);
    return r;
}

void ds_apply_domain(struct domain *d, const struct hv_rec_domain *rec)
{
    snprintf(d->name, sizeof(d->name), "%s", rec->name);
    memcpy(d->uuid, rec->uuid, sizeof(d->uuid));
    d->max_vcpus = rec->max_vcpus;
    d->mem_max_bytes = rec->mem_max_bytes;
    d->first_free_pfn = rec->first_free_pfn;
    d->entry_rip = rec->entry_rip;
    d->boot_count = rec->boot_count;
    d->on_poweroff = action_in(rec->on_poweroff);
    d->on_reboot = action_in(rec->on_reboot);
    d->on_crash = action_in(rec->on_crash);
}

/* Release the ballooned pages in runs. */
static int apply_balloon(struct domain *d, const struct stream_state *st)
{
    uint64_t pages = st->nr_pages;
    uint64_t run = 0, len = 0;

    memcpy(d->balloon_map, st->balloon, ((pages + 63) / 64) * sizeof(uint64_t));
    d->ballooned_pages = st->ballooned;
    for (uint64_t p = 0; p <= pages; p++) {
        if (len == 0 && p % 64 == 0 && p + 64 <= pages && st->balloon[p / 64] == 0) {
            p += 63;            /* a word with nothing given back */
            continue;
        }
        bool set = p < pages && (st->balloon[p / 64] & (1ULL << (p % 64)));
        if (set && len == 0)
            run = p;
        if (set) {
            len++;
            continue;
        }
        if (len) {
            int r = mem_discard(d, run, len);
            if (r < 0)
                return r;
            len = 0;
        }
    }
    return 0;
}

int ds_apply_final(struct domain *d, struct stream_state *st, char *err, size_t errlen)
{
    int r;

    boot_layout_rebuild(d);
    r = apply_balloon(d, st);
    if (r < 0) {
        snprintf(err, errlen, "cannot release ballooned pages: %s", strerror(-r));
        return r;
    }
    d->kernel_image = st->kernel;
    d->kernel_size = st->kernel_size;
    st->kernel = NULL;
    pthread_mutex_lock(&d->lock);
    for (unsigned p = 0; p < HV_NR_EVTCHN; p++) {
        d->port[p].type = st->evtchn.port[p].type;
        d->port[p].virq = st->evtchn.port[p].virq;
        d->port[p].vcpu = st->evtchn.port[p].vcpu;
    }
    d->upcall_rip = st->runstate.upcall_rip;
    d->events = st->runstate.events;
    d->mem_target_kib = st->runstate.mem_target_kib;
    d->shutdown_pending = st->runstate.shutdown_pending;
    d->paused = true;               /* vCPUs park until ds_resume */
    d->state = HV_DOMSTATE_paused;
    d->end_reason = END_NONE;
    pthread_mutex_unlock(&d->lock);

    pthread_mutex_lock(&d->console_lock);
    d->history_len = st->console.history_len;
    memcpy(d->history, st->console.history, d->history_len);
    d->in_pending_len = st->console.in_pending_len;
    memcpy(d->in_pending, st->console.in_pending, d->in_pending_len);
    pthread_mutex_unlock(&d->console_lock);

    for (unsigned i = 0; i < d->max_vcpus; i++) {
        r = vcpu_restore(d, &st->vcpu[i]);
        if (r < 0) {
            snprintf(err, errlen, "cannot start vCPU %u: %s", i, strerror(-r));
            return r;
        }
    }
    r = vcpus_wait_settled(d);
    if (r < 0) {
        pthread_mutex_lock(&d->lock);
        snprintf(err, errlen, "the domain ended while its vCPUs were set up: %s",
                 d->end_detail);
        pthread_mutex_unlock(&d->lock);
    }
    return r;
}

bool ds_resume(struct domain *d, const struct stream_state *st, bool keep_paused)
{
    uint64_t now_real = now_ns(CLOCK_REALTIME);
    uint64_t gap = now_real > st->time.realtime_ns ? now_real - st->time.realtime_ns : 0;
    bool run = st->runstate.state == HV_STREAM_STATE_RUNNING && !keep_paused;

    guest_time_set(d, st->time.system_time_ns + gap);
    for (unsigned i = 0; i < d->max_vcpus; i++)
        if (st->vcpu[i].state != HV_STREAM_VCPU_DOWN)
            guest_timer_arm(&d->vcpu[i], st->vcpu[i].timer_deadline_ns);
    if (run) {
        vcpus_unpause(d);
        pthread_mutex_lock(&d->lock);
        d->state = HV_DOMSTATE_running;
        pthread_mutex_unlock(&d->lock);
    }
    return run;
}
