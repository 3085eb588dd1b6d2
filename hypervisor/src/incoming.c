/*
 * incoming.c - a domain that starts from a stream (incoming.h).
 *
 * The runtime entry is claimed first under a placeholder name, so that an
 * arriving domain has a domid (and --incoming can tell the toolstack at
 * once); the stream's DOMAIN record then gives it its own name and uuid
 * before any memory is made.  Nothing runs until the stream has been read
 * to its END and the checksum matched: a refused stream leaves no trace
 * but the one line that says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "domain.h"
#include "domain_stream.h"
#include "domctl.h"
#include "event_loop.h"
#include "hvcore.h"
#include "incoming.h"
#include "memory.h"
#include "options.h"
#include "public/errno.h"
#include "runtime.h"
#include "stream_read.h"
#include "stream_reply.h"
#include "vcpu.h"

/* How long an arrival waits for GO after READY.  The sender answers at
 * once unless it is gone; then the toolstack decides (UNDECIDED). */
#define GO_TIMEOUT_MS 30000
/* A sender that sends nothing for this long is gone (the pre-copy rounds
 * and a bandwidth cap never leave the connection idle for a minute). */
#define STREAM_IDLE_MS 60000

struct arrival {
    struct domain *d;
    int sig_fd;
};

/* $HVCORE_XFER_TRACE: one line per step on stderr (hvcore(8)). */
static void trace(const char *what)
{
    static uint64_t t0;
    uint64_t now = now_ns(CLOCK_MONOTONIC);

    if (!getenv("HVCORE_XFER_TRACE"))
        return;
    if (!t0)
        t0 = now;
    fprintf(stderr, "hvcore: incoming %.3f ms: %s\n", (now - t0) / 1e6, what);
}

static int sink_domain(void *opaque, const struct hv_rec_domain *rec, uint8_t **mem, char *err,
                       size_t errlen)
{
    struct domain *d = ((struct arrival *)opaque)->d;
    char why[256];
    int r;

    r = runtime_set_identity(d, rec->name, rec->uuid, why, sizeof(why));
    if (r < 0) {
        snprintf(err, errlen, "%s", why);
        return r;
    }
    static char cmdline[HV_CMDLINE_MAX];

    ds_apply_domain(d, rec);
    d->mem_target_kib = d->mem_max_bytes >> 10;
    snprintf(cmdline, sizeof(cmdline), "%s", rec->cmdline);
    d->cmdline = cmdline;       /* for the start-info page of reboots */
    r = domain_setup(d, why, sizeof(why));
    if (r < 0) {
        snprintf(err, errlen, "%s", why);
        return r;
    }
    /* KVM vCPUs take milliseconds to make on some hosts: now, while the
     * pages still come, rather than in the downtime. */
    r = vcpus_precreate(d);
    if (r < 0) {
        snprintf(err, errlen, "cannot create the vCPUs: %s", strerror(-r));
        return r;
    }
    /* The control socket and the event loop too: none of it is in the
     * downtime then.  Nobody is served until the stream is in. */
    r = domctl_listen(d, err, errlen);
    if (r == 0)
        r = loop_init(d, ((struct arrival *)opaque)->sig_fd, d->console_stdio, err, errlen);
    if (r < 0)
        return r;
    *mem = d->mem;
    return 0;
}

static int sink_zero(void *opaque, uint64_t pfn, uint64_t n)
{
    return mem_discard(((struct arrival *)opaque)->d, pfn, n);
}

static int sink_image(void *opaque, int fd, uint64_t offset, uint64_t nr_pages, char *err,
                      size_t errlen)
{
    struct domain *d = ((struct arrival *)opaque)->d;
    int r;

    (void)nr_pages;
    r = mem_map_image(d, fd, offset);
    if (r < 0)
        snprintf(err, errlen, "cannot map the memory image: %s", strerror(-r));
    return r;
}

/* The XSAVE features KVM offers here (CPUID leaf 0xd), for the check of
 * the vCPUs' XSAVE areas. */
static uint64_t xcr0_supported(struct domain *d)
{
    const struct kvm_cpuid2 *c = vcpu_supported_cpuid(d);

    for (uint32_t i = 0; c && i < c->nent; i++)
        if (c->entries[i].function == 0xd && c->entries[i].index == 0)
            return ((uint64_t)c->entries[i].edx << 32) | c->entries[i].eax;
    return 0;
}

/* Wait for the sender's GO.  0, or why not. */
static int wait_go(int fd)
{
    struct hv_stream_reply r;
    int rc = stream_reply_recv(fd, -1, GO_TIMEOUT_MS, &r);

    return rc < 0 ? rc : r.type == HV_STREAM_GO ? 0 : -HVE_PROTO;
}

/* The TOOLSTACK record becomes <domdir>/config.json (domctl.h): the
 * toolstack's configuration arrives with the domain.  Written whole
 * (a temporary file renamed), as libhvctl writes it. */
static int keep_toolstack(struct domain *d, const struct stream_state *st, char *err,
                          size_t errlen)
{
    int fd, r = 0;

    if (!st->toolstack)
        return 0;
    fd = openat(d->domdir_fd, "config.json.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
                O_NOFOLLOW, 0644);
    if (fd < 0) {
        r = -errno;
    } else {
        size_t done = 0;
        while (r == 0 && done < st->toolstack_size) {
            ssize_t n = write(fd, st->toolstack + done, st->toolstack_size - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                r = n < 0 ? -errno : -HVE_IO;
            else
                done += (size_t)n;
        }
        close(fd);
        if (r == 0 && renameat(d->domdir_fd, "config.json.tmp", d->domdir_fd,
                               "config.json") < 0)
            r = -errno;
    }
    if (r < 0) {
        unlinkat(d->domdir_fd, "config.json.tmp", 0);
        snprintf(err, errlen, "cannot write %s/config.json: %s", d->domdir, strerror(-r));
    }
    return r;
}

static bool announce(int *fd, uint32_t domid)
{
    char buf[32];
    int len = snprintf(buf, sizeof(buf), "%u\n", domid);
    bool ok = true;

    if (*fd >= 0) {
        ok = write(*fd, buf, (size_t)len) == len || errno != EPIPE;
        close(*fd);
        *fd = -1;
    }
    return ok;
}

int incoming_start(struct domain *d, const struct options *o, int sig_fd, int *notify_fd,
                   bool *announced, enum incoming_outcome *outcome, bool *stream_error,
                   char *err, size_t errlen)
{
    struct stream_read_opts ro = { .live = o->incoming_fd >= 0, .verify_image = o->verify,
                                   .idle_ms = STREAM_IDLE_MS };
    struct arrival a = { .d = d, .sig_fd = sig_fd };
    struct stream_sink sink = {
        .opaque = &a, .domain = sink_domain, .zero = sink_zero,
        .image = o->restore_path ? sink_image : NULL,
    };
    struct stream_state *st = calloc(1, sizeof(*st));
    int fd = o->incoming_fd, ready_fd = o->ready_fd, r;

    *announced = false;
    *stream_error = false;
    *outcome = INCOMING_RUNS;
    if (!st) {
        snprintf(err, errlen, "out of memory");
        return -HVE_NOMEM;
    }
    if (o->restore_path) {
        fd = open(o->restore_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            r = -errno;
            snprintf(err, errlen, "cannot open %s: %s", o->restore_path, strerror(errno));
            free(st);
            return r;
        }
    }
    r = runtime_claim(d, o->domid, err, errlen);
    if (r < 0)
        goto out;
    if (o->reserve_mib) {
        /* Before the sender starts: populating memory may cost more than
         * receiving into it (hvcore(8), --reserve).  Only a hint: without
         * it the stream's pages are received all the same. */
        trace("reserving memory");
        r = mem_reserve(d, o->reserve_mib << 20);
        trace("memory reserved");
        if (r < 0)
            fprintf(stderr, "hvcore: --reserve %llu: %s (memory is made as the stream says)\n",
                    (unsigned long long)o->reserve_mib, strerror(-r));
    }
    if (o->incoming_fd >= 0) {
        /* The toolstack starts the sender once it knows where we are;
         * from here the domain is not the foreground process's any more. */
        prctl(PR_SET_PDEATHSIG, 0);
        announce(&ready_fd, d->domid);
        announce(notify_fd, d->domid);
        *announced = true;
        pthread_mutex_lock(&d->lock);
        d->xfer_state = HV_XFER_STATE_RECEIVING;
        d->state = HV_DOMSTATE_paused;
        pthread_mutex_unlock(&d->lock);
    }
    /* KVM first: the XSAVE check needs this host's features (domain_setup
     * keeps using this descriptor, and the vCPUs this CPUID). */
    d->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    ro.xcr0_supported = d->kvm_fd >= 0 ? xcr0_supported(d) : 0;

    if (o->incoming_fd >= 0) {
        int fl = fcntl(fd, F_GETFL);
        if (fl >= 0)
            (void)fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    }
    trace("reading the stream");
    r = stream_read(fd, &ro, &sink, st, err, errlen);
    trace("stream read");
    if (r < 0) {
        *stream_error = true;
        if (o->incoming_fd >= 0)
            (void)stream_reply_send(fd, HV_STREAM_REFUSED, err, GO_TIMEOUT_MS);
        goto out;
    }
    r = keep_toolstack(d, st, err, errlen);
    if (r == 0)
        r = ds_apply_final(d, st, err, errlen);
    trace("state applied, vCPUs parked");
    if (r < 0) {
        if (o->incoming_fd >= 0)
            (void)stream_reply_send(fd, HV_STREAM_REFUSED, err, GO_TIMEOUT_MS);
        goto out;
    }
    if (o->incoming_fd >= 0) {
        r = stream_reply_send(fd, HV_STREAM_READY, NULL, GO_TIMEOUT_MS);
        if (r == 0)
            r = wait_go(fd);
        trace("READY sent, GO read");
        if (r < 0) {
            /* The sender may or may not have let go: not ours to decide. */
            pthread_mutex_lock(&d->lock);
            d->xfer_state = HV_XFER_STATE_UNDECIDED;
            d->incoming = st;
            d->incoming_paused = o->paused;
            pthread_mutex_unlock(&d->lock);
            st = NULL;
            *outcome = INCOMING_UNDECIDED;
            r = 0;
            goto out;
        }
        ds_resume(d, st, o->paused);
        trace("resumed");
        (void)stream_reply_send(fd, HV_STREAM_RUNNING, NULL, GO_TIMEOUT_MS);
    } else {
        ds_resume(d, st, o->paused);
    }
    pthread_mutex_lock(&d->lock);
    d->xfer_state = HV_XFER_STATE_NONE;
    pthread_mutex_unlock(&d->lock);
out:
    if (fd >= 0)
        close(fd);
    if (st) {
        stream_state_free(st);
        free(st);
    }
    return r;
}

int incoming_take_over(struct domain *d)
{
    pthread_mutex_lock(&d->lock);
    struct stream_state *st = d->incoming;
    bool keep_paused = d->incoming_paused;
    d->incoming = NULL;
    pthread_mutex_unlock(&d->lock);
    if (!st)
        return 0;
    ds_resume(d, st, keep_paused);
    stream_state_free(st);
    free(st);
    domain_emit_event(d, HV_EVENT_restored, "taken over after an undecided migration");
    return 0;
}
