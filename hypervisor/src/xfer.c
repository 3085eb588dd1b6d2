/*
 * xfer.c - save and migrate-send jobs (xfer.h).
 *
 * A save pauses the domain and writes the whole stream.  A live migration
 * copies memory while the guest runs, round after round on KVM's dirty
 * log, until what is left would fit the downtime budget at the measured
 * rate (or the rounds run out); then it pauses, sends the rest and the
 * vCPU state, and hands over with the READY / GO / RUNNING handshake
 * (public/stream.h).  Until GO the domain is this hvcore's, and any
 * failure or cancel resumes it here; after RUNNING it is the receiver's
 * and this hvcore ends with "migrated"; in between, with the connection
 * broken, nobody here can know, so the domain stays paused for the
 * toolstack to decide (HVE_INPROGRESS, HV_XFER_STATE_UNDECIDED).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <time.h>
#include <unistd.h>

#include "domain.h"
#include "domain_stream.h"
#include "hvcore.h"
#include "memory.h"
#include "public/errno.h"
#include "stream_reply.h"
#include "stream_write.h"
#include "vcpu.h"
#include "xfer.h"

#define DEFAULT_DOWNTIME_MS  300
#define DEFAULT_ITERATIONS   30
#define PROGRESS_EVERY_NS    (100 * 1000000ULL)
/* Pages hvcore rebuilds itself or sends from the final snapshot: the
 * private range, the hypercall, start-info, shared-info and console
 * pages.  Pre-copy rounds start above them. */
#define FIRST_COPIED_PFN     ((HV_CONSOLE_PAGE >> HV_PAGE_SHIFT) + 1)
/* How long the final handshake may wait for the receiver once the
 * domain is paused; a receiver that says nothing in this time is taken
 * as gone, and the domain resumes here. */
#define HANDSHAKE_TIMEOUT_MS 30000

struct xfer {
    struct domain *d;
    pthread_t thread;
    bool done;                  /* the thread has finished (d->lock)     */
    int client_fd, stream_fd;
    int stop_fd;                /* eventfd: xfer_stop                    */
    int cancel_fd;              /* epoll over client_fd and stop_fd      */
    uint32_t cmd, seq;
    struct hv_domctl_xfer p;
    bool we_paused;             /* the job paused a running domain       */
    uint64_t t0, paused_at, last_progress;
    uint32_t iteration;
    uint64_t bytes_total;
    struct hv_domctl_progress prog;
    struct hv_domctl_result res;
    struct stream_out out;
    bool trace;                 /* $HVCORE_XFER_TRACE: a line per round  */
};

/* One line per step on stderr, for benchmarks and profiling. */
static void trace(struct xfer *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void trace(struct xfer *x, const char *fmt, ...)
{
    va_list ap;

    if (!x->trace)
        return;
    fprintf(stderr, "hvcore: xfer %.3f ms: ", (now_ns(CLOCK_MONOTONIC) - x->t0) / 1e6);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* mem_dirty_fetch, traced with its cost. */
static int fetch(struct xfer *x, uint64_t *map)
{
    uint64_t t = now_ns(CLOCK_MONOTONIC);
    int r = mem_dirty_fetch(x->d, map);

    trace(x, "dirty-log fetch %.1f us", (now_ns(CLOCK_MONOTONIC) - t) / 1e3);
    return r;
}

/* Replies on the client's connection ------------------------------------- */

static void reply(struct xfer *x, int32_t status, const void *body, size_t len, bool must)
{
    struct hv_domctl_reply r;

    memset(&r, 0, sizeof(r));
    r.cmd = x->cmd;
    r.interface_version = HV_DOMCTL_INTERFACE_VERSION;
    r.seq = x->seq;
    r.status = status;
    if (len)
        memcpy(&r.u, body, len);
    for (int tries = 0; tries < 100; tries++) {
        if (send(x->client_fd, &r, sizeof(r), MSG_DONTWAIT | MSG_NOSIGNAL) == sizeof(r))
            return;
        if (errno != EAGAIN || !must)
            return;             /* a progress reply may be dropped */
        struct pollfd p = { .fd = x->client_fd, .events = POLLOUT };
        poll(&p, 1, 10);
    }
}

static void progress(struct xfer *x, uint32_t phase, uint64_t remaining_pages,
                     uint64_t dirty_rate_bps)
{
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    uint64_t rate = sw_rate(&x->out);

    x->prog.phase = phase;
    x->prog.iteration = x->iteration;
    x->prog.bytes_sent = x->out.offset;
    x->prog.bytes_remaining = remaining_pages << HV_PAGE_SHIFT;
    x->prog.bytes_total = x->bytes_total;
    x->prog.dirty_rate_bps = dirty_rate_bps;
    x->prog.bandwidth_bps = rate;
    x->prog.expected_downtime_ns =
        rate ? (uint64_t)((unsigned __int128)x->prog.bytes_remaining * 1000000000ULL / rate) : 0;
    x->last_progress = now;
    reply(x, HV_DOMCTL_PROGRESS, &x->prog, sizeof(x->prog), false);
}

static int fail(struct xfer *x, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct xfer *x, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(x->res.message, sizeof(x->res.message), fmt, ap);
    va_end(ap);
    return code;
}

/* Why the stream writer stopped, as the final message says it. */
static int stream_failed(struct xfer *x, int code, const char *phase)
{
    if (code == -HVE_CANCELED) {
        uint64_t v;
        if (read(x->stop_fd, &v, sizeof(v)) == sizeof(v))
            return fail(x, code, "the domain is ending: %s stopped", phase);
        return fail(x, code, "cancelled during %s", phase);
    }
    return fail(x, code, "%s", x->out.err);
}

/* The head of every stream: DOMAIN, KERNEL, TOOLSTACK ---------------------- */

static int write_head(struct xfer *x, struct hv_rec_domain *dom)
{
    struct domain *d = x->d;
    char *cfg = NULL;
    ssize_t n = 0;
    int r;

    ds_fill_domain(d, dom);
    r = sw_record(&x->out, HV_REC_DOMAIN, dom, sizeof(*dom));
    if (r == 0)
        r = sw_record(&x->out, HV_REC_KERNEL, d->kernel_image, d->kernel_size);
    if (r < 0)
        return stream_failed(x, r, "the stream's head");
    /* The toolstack's configuration travels with the domain (stream.h). */
    int fd = d->domdir_fd >= 0 ? openat(d->domdir_fd, "config.json", O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        cfg = malloc(HV_STREAM_TOOLSTACK_MAX);
        n = cfg ? read(fd, cfg, HV_STREAM_TOOLSTACK_MAX) : -1;
        close(fd);
        if (n > 0)
            r = sw_record(&x->out, HV_REC_TOOLSTACK, cfg, (size_t)n);
        free(cfg);
        if (r < 0)
            return stream_failed(x, r, "the stream's head");
    }
    return 0;
}

static bool domain_rebooted(struct xfer *x, const struct hv_rec_domain *dom)
{
    pthread_mutex_lock(&x->d->lock);
    bool changed = x->d->boot_count != dom->boot_count || x->d->stopping;
    pthread_mutex_unlock(&x->d->lock);
    return changed;
}

/* Pause (if running) and remember whether the job did it. */
static int pause_domain(struct xfer *x)
{
    int r = vcpus_pause(x->d);

    if (r == 0)
        x->we_paused = true;
    x->paused_at = now_ns(CLOCK_MONOTONIC);
    pthread_mutex_lock(&x->d->lock);
    bool stopping = x->d->stopping;
    pthread_mutex_unlock(&x->d->lock);
    return stopping ? fail(x, -HVE_BUSY, "the domain is ending") : 0;
}

/* Save ---------------------------------------------------------------------- */

static int do_save(struct xfer *x)
{
    struct hv_rec_domain dom;
    char why[160];
    int r;

    r = pause_domain(x);
    if (r < 0)
        return r;
    progress(x, HV_XFER_PHASE_FINAL, 0, 0);
    r = sw_open(&x->out, x->stream_fd, x->cancel_fd, HV_STREAM_F_FILE);
    if (r < 0)
        return stream_failed(x, r, "save");
    r = write_head(x, &dom);
    if (r < 0)
        return r;
    r = sw_memory_image(&x->out, x->d);
    if (r < 0)
        return stream_failed(x, r, "save");
    r = ds_write_final(x->d, &x->out, !x->we_paused, why, sizeof(why));
    if (r < 0)
        return x->out.err[0] ? stream_failed(x, r, "save") : fail(x, r, "%s", why);
    return 0;
}

/* Migrate ------------------------------------------------------------------- */

static uint64_t count_bits(const uint64_t *map, uint64_t words)
{
    uint64_t n = 0;

    for (uint64_t i = 0; i < words; i++)
        n += (uint64_t)__builtin_popcountll(map[i]);
    return n;
}

/* Send every page whose bit is set in map, clearing the bits. */
static int send_bitmap(struct xfer *x, uint64_t *map, uint64_t pages, bool unhashed,
                       uint64_t *left)
{
    uint64_t batch[HV_STREAM_PAGES_MAX];
    unsigned n = 0, data;
    uint64_t words = (pages + 63) / 64;
    int r;

    for (uint64_t w = 0; w < words; w++) {
        while (map[w]) {
            uint64_t pfn = w * 64 + (uint64_t)__builtin_ctzll(map[w]);
            map[w] &= map[w] - 1;
            if (pfn < FIRST_COPIED_PFN || pfn >= pages)
                continue;
            batch[n++] = pfn;
            if (*left)
                (*left)--;
            if (n == HV_STREAM_PAGES_MAX) {
                r = sw_pages(&x->out, x->d->mem, batch, n, unhashed, &data);
                if (r < 0)
                    return r;
                n = 0;
                if (now_ns(CLOCK_MONOTONIC) - x->last_progress > PROGRESS_EVERY_NS)
                    progress(x, unhashed ? HV_XFER_PHASE_PRECOPY : HV_XFER_PHASE_FINAL,
                             *left, x->prog.dirty_rate_bps);
            }
        }
    }
    return n ? sw_pages(&x->out, x->d->mem, batch, n, unhashed, &data) : 0;
}

/* Round 1: every page that may hold data (holes in the memfd are zero on
 * both sides and need not travel). */
static void mark_data_pages(struct domain *d, uint64_t *map, uint64_t pages)
{
    uint64_t pfn = FIRST_COPIED_PFN, end;

    if (mem_mostly_data(d)) {
        for (uint64_t p = pfn; p < pages; p++)
            map[p / 64] |= 1ULL << (p % 64);
        return;
    }

    while (pfn < pages) {
        uint64_t at = mem_next_data(d, pfn, &end);
        if (at >= pages)
            break;
        if (at < FIRST_COPIED_PFN)
            at = FIRST_COPIED_PFN;
        for (uint64_t p = at; p < end; p++)
            map[p / 64] |= 1ULL << (p % 64);
        pfn = end > at ? end : at + 1;
    }
}

/*
 * Before the final pause: wait (a little) until the receiver has taken
 * what the last round sent.  Bytes still queued in the socket would
 * otherwise reach the receiver during the downtime, ahead of the final
 * round.  A receiver that does not catch up in a second costs the
 * downtime it costs; a cancel ends the wait.
 */
static void drain(struct xfer *x)
{
    uint64_t until = now_ns(CLOCK_MONOTONIC) + 1000000000ULL;
    int queued = 0;

    while (ioctl(x->stream_fd, SIOCOUTQ, &queued) == 0 && queued > 0 &&
           now_ns(CLOCK_MONOTONIC) < until) {
        struct pollfd p = { .fd = x->cancel_fd, .events = POLLIN };
        if (poll(&p, 1, 1) == 1)
            break;
    }
    trace(x, "receiver caught up (%d bytes still queued)", queued);
}

static const char *reason(int code)
{
    return code == -HVE_TIMEDOUT ? "no answer in 30 s" : code == -HVE_PROTO
        ? "not a handshake message" : code == -EPIPE ? "connection closed" : strerror(-code);
}

/* After the final round: hand the domain over.  Only the GO decides. */
static int handshake(struct xfer *x)
{
    struct hv_stream_reply rep;
    int r;

    progress(x, HV_XFER_PHASE_HANDSHAKE, 0, 0);
    r = stream_reply_recv(x->stream_fd, x->cancel_fd, HANDSHAKE_TIMEOUT_MS, &rep);
    if (r == -HVE_CANCELED)
        return fail(x, r, "cancelled while the receiver checked the stream");
    if (r < 0)
        return fail(x, -HVE_IO, "the receiver did not confirm the stream: %s", reason(r));
    if (rep.type == HV_STREAM_REFUSED)
        return fail(x, -HVE_PROTO, "the receiver refused the stream: %s", rep.message);
    if (rep.type != HV_STREAM_READY)
        return fail(x, -HVE_PROTO, "the receiver answered %u instead of READY", rep.type);
    /* The point of no return: from the GO on, the receiver may run it. */
    r = stream_reply_send(x->stream_fd, HV_STREAM_GO, NULL, HANDSHAKE_TIMEOUT_MS);
    /* After GO only the domain's end stops the wait, not a cancel. */
    if (r == 0)
        r = stream_reply_recv(x->stream_fd, x->stop_fd, HANDSHAKE_TIMEOUT_MS, &rep);
    if (r == 0 && rep.type != HV_STREAM_RUNNING)
        r = -HVE_PROTO;
    if (r < 0)
        return fail(x, -HVE_INPROGRESS,
                    "connection to the receiver lost after GO (%s): the domain may run "
                    "there; it stays paused here", reason(r));
    x->res.downtime_ns = now_ns(CLOCK_MONOTONIC) - x->paused_at;
    return 0;
}

/*
 * After a pre-copy round that left `dirty` pages for the next: pause now?
 * The budget is a ceiling, not a goal: while each round still at least
 * halves what is left, another round costs the guest nothing and shortens
 * the pause, so hvcore goes on until the rest would take GOOD_PAUSE_NS
 * (about what pausing costs anyway).  It stops earlier once the rounds
 * stop shrinking (the guest dirties as fast as they send) and the rest
 * fits the budget, and after max_rounds whatever is left (a guest that
 * dirties faster than the link carries would never converge).
 */
#define GOOD_PAUSE_NS (2 * 1000000ULL)

static bool converged(struct xfer *x, uint64_t dirty, uint64_t expect_ns, uint64_t budget_ns,
                      uint64_t *prev_dirty, uint32_t max_rounds)
{
    bool shrinking = dirty * 2 <= *prev_dirty;

    *prev_dirty = dirty;
    trace(x, "%llu pages dirty, %.3f ms to send paused%s", (unsigned long long)dirty,
          expect_ns / 1e6, shrinking ? "" : " (not shrinking)");
    if (expect_ns <= GOOD_PAUSE_NS || expect_ns <= budget_ns / 100)
        return true;
    if (!shrinking && expect_ns <= budget_ns)
        return true;
    return x->iteration >= max_rounds;
}

static int do_migrate(struct xfer *x)
{
    struct domain *d = x->d;
    uint64_t pages = d->mem_max_bytes >> HV_PAGE_SHIFT;
    uint64_t words = (pages + 63) / 64;
    uint64_t budget_ns = (uint64_t)(x->p.max_downtime_ms ? x->p.max_downtime_ms
                                                         : DEFAULT_DOWNTIME_MS) * 1000000ULL;
    uint32_t max_rounds = x->p.max_iterations ? x->p.max_iterations : DEFAULT_ITERATIONS;
    bool live = x->p.flags & HV_XFER_LIVE;
    uint64_t *pending = calloc(words, sizeof(uint64_t));
    uint64_t *fresh = calloc(words, sizeof(uint64_t));
    struct hv_rec_domain dom;
    bool logging = false;
    uint64_t prev_dirty = UINT64_MAX;
    char why[160];
    int r;

    if (!pending || !fresh) {
        r = fail(x, -HVE_NOMEM, "out of memory for the dirty bitmaps");
        goto out;
    }
    x->out.bandwidth_bps = 0;
    r = sw_open(&x->out, x->stream_fd, x->cancel_fd, HV_STREAM_F_LIVE);
    if (r < 0) {
        r = stream_failed(x, r, "the stream's header");
        goto out;
    }
    x->out.bandwidth_bps = x->p.bandwidth_bps;
    r = write_head(x, &dom);
    if (r < 0)
        goto out;
    if (!live) {
        r = pause_domain(x);
        if (r < 0)
            goto out;
    }
    mark_data_pages(d, pending, pages);
    x->bytes_total = count_bits(pending, words) << HV_PAGE_SHIFT;
    if (live) {
        r = mem_dirty_start(d);
        if (r < 0) {
            r = fail(x, r, "cannot log dirty pages: %s", strerror(-r));
            goto out;
        }
        logging = true;
        /* Every page starts dirty in the log: fetching once re-protects
         * them all, so writes from now on show in the next round. */
        r = fetch(x, fresh);
        if (r < 0) {
            r = fail(x, r, "cannot read the dirty log: %s", strerror(-r));
            goto out;
        }
        memset(fresh, 0, words * sizeof(uint64_t));
        for (;;) {
            uint64_t left = count_bits(pending, words);
            uint64_t t_round = now_ns(CLOCK_MONOTONIC);
            x->iteration++;
            progress(x, HV_XFER_PHASE_PRECOPY, left, x->prog.dirty_rate_bps);
            trace(x, "round %u: %llu pages", x->iteration, (unsigned long long)left);
            r = send_bitmap(x, pending, pages, true, &left);
            if (r < 0) {
                r = stream_failed(x, r, "pre-copy");
                goto out;
            }
            trace(x, "round %u sent, %llu bytes so far", x->iteration,
                  (unsigned long long)x->out.offset);
            if (domain_rebooted(x, &dom)) {
                r = fail(x, -HVE_BUSY, "the domain rebooted or is ending: migration stopped");
                goto out;
            }
            r = fetch(x, pending);
            if (r < 0) {
                r = fail(x, r, "cannot read the dirty log: %s", strerror(-r));
                goto out;
            }
            uint64_t dirty = count_bits(pending, words);
            uint64_t dt = now_ns(CLOCK_MONOTONIC) - t_round;
            uint64_t rate = sw_rate(&x->out);
            x->prog.dirty_rate_bps =
                dt ? (uint64_t)((unsigned __int128)(dirty << HV_PAGE_SHIFT) * 1000000000ULL / dt)
                   : 0;
            uint64_t expect = rate ? (uint64_t)((unsigned __int128)(dirty << HV_PAGE_SHIFT) *
                                                1000000000ULL / rate)
                                   : UINT64_MAX;
            if (converged(x, dirty, expect, budget_ns, &prev_dirty, max_rounds))
                break;
        }
        drain(x);
        r = pause_domain(x);
        if (r < 0)
            goto out;
        r = fetch(x, fresh);
        if (r < 0) {
            r = fail(x, r, "cannot read the dirty log: %s", strerror(-r));
            goto out;
        }
        for (uint64_t i = 0; i < words; i++)
            pending[i] |= fresh[i];
    }
    if (domain_rebooted(x, &dom)) {
        r = fail(x, -HVE_BUSY, "the domain rebooted or is ending: migration stopped");
        goto out;
    }
    uint64_t left = count_bits(pending, words);
    trace(x, "final round: %llu pages", (unsigned long long)left);
    progress(x, HV_XFER_PHASE_FINAL, left, x->prog.dirty_rate_bps);
    /* Paused from here: pages are hashed (they cannot change any more). */
    r = send_bitmap(x, pending, pages, false, &left);
    if (r < 0) {
        r = stream_failed(x, r, "the final round");
        goto out;
    }
    r = ds_write_final(d, &x->out, !x->we_paused, why, sizeof(why));
    if (r < 0) {
        r = x->out.err[0] ? stream_failed(x, r, "the final round") : fail(x, r, "%s", why);
        goto out;
    }
    trace(x, "final round sent (%.3f ms paused)",
          (now_ns(CLOCK_MONOTONIC) - x->paused_at) / 1e6);
    r = handshake(x);
    trace(x, "handshake over (%.3f ms paused)", (now_ns(CLOCK_MONOTONIC) - x->paused_at) / 1e6);
out:
    /* After a move that succeeded the domain ends here: turning logging
     * off (a memslot update that re-merges KVM's huge mappings, ~10-20 ms
     * for 1 GiB) would only lengthen the migration. */
    if (logging && r != 0)
        mem_dirty_stop(d);
    free(pending);
    free(fresh);
    return r;
}

/* The job ---------------------------------------------------------------------- */

static void set_xfer_state(struct domain *d, uint32_t st)
{
    pthread_mutex_lock(&d->lock);
    d->xfer_state = st;
    pthread_mutex_unlock(&d->lock);
}

static void *job_main(void *arg)
{
    struct xfer *x = arg;
    struct domain *d = x->d;
    bool save = x->cmd == HV_DOMCTL_save;
    int r;

    reply(x, 0, NULL, 0, true);                 /* started */
    r = save ? do_save(x) : do_migrate(x);
    sw_close(&x->out);
    x->res.bytes_sent = x->out.offset;
    x->res.total_ns = now_ns(CLOCK_MONOTONIC) - x->t0;
    x->res.iterations = x->iteration;
    /* The message says what happened; where the domain is, the status
     * says (domctl.h: a failure leaves it running here), and the
     * toolstack says that in its own words. */
    if (r == 0 && !x->res.message[0])
        snprintf(x->res.message, sizeof(x->res.message), "%s",
                 save ? "saved" : "migrated: the receiver runs the domain");
    /* The stream descriptor goes first: the receiver sees the end before
     * the client hears the outcome. */
    close(x->stream_fd);
    x->stream_fd = -1;
    if (r == 0 && !(save && (x->p.flags & HV_XFER_KEEP))) {
        set_xfer_state(d, HV_XFER_STATE_NONE);
        reply(x, 0, &x->res, sizeof(x->res), true);
        domain_end(d, save ? END_SAVED : END_MIGRATED, x->res.message);
    } else if (r == -HVE_INPROGRESS) {
        pthread_mutex_lock(&d->lock);
        d->xfer_state = HV_XFER_STATE_UNDECIDED;
        d->state = HV_DOMSTATE_paused;
        pthread_mutex_unlock(&d->lock);
        reply(x, r, &x->res, sizeof(x->res), true);
    } else {
        if (x->we_paused)
            vcpus_unpause(d);
        set_xfer_state(d, HV_XFER_STATE_NONE);
        reply(x, r, &x->res, sizeof(x->res), true);
    }
    pthread_mutex_lock(&d->lock);
    x->done = true;
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

static void job_free(struct xfer *x)
{
    if (x->client_fd >= 0)
        close(x->client_fd);
    if (x->stream_fd >= 0)
        close(x->stream_fd);
    if (x->stop_fd >= 0)
        close(x->stop_fd);
    if (x->cancel_fd >= 0)
        close(x->cancel_fd);
    free(x);
}

int xfer_busy(struct domain *d)
{
    pthread_mutex_lock(&d->lock);
    int busy = d->xfer && !d->xfer->done;
    pthread_mutex_unlock(&d->lock);
    return busy;
}

int xfer_start(struct domain *d, int client_fd, int stream_fd, const struct hv_domctl *req)
{
    const struct hv_domctl_xfer *p = &req->u.xfer;
    uint32_t allowed = req->cmd == HV_DOMCTL_save ? HV_XFER_KEEP : HV_XFER_LIVE;
    struct xfer *x;

    if (stream_fd < 0 || (p->flags & ~allowed) || p->pad)
        return -HVE_INVAL;
    pthread_mutex_lock(&d->lock);
    bool busy = (d->xfer && !d->xfer->done) || d->xfer_state != HV_XFER_STATE_NONE ||
                d->stopping ||
                (d->state != HV_DOMSTATE_running && d->state != HV_DOMSTATE_paused);
    struct xfer *old = busy ? NULL : d->xfer;
    if (!busy)
        d->xfer = NULL;
    pthread_mutex_unlock(&d->lock);
    if (busy)
        return -HVE_BUSY;
    if (old) {
        pthread_join(old->thread, NULL);
        job_free(old);
    }

    x = calloc(1, sizeof(*x));
    if (!x)
        return -HVE_NOMEM;
    x->d = d;
    x->client_fd = client_fd;
    x->stream_fd = stream_fd;
    x->cmd = req->cmd;
    x->seq = req->seq;
    x->p = *p;
    x->out.fd = -1;                             /* until sw_open */
    x->t0 = now_ns(CLOCK_MONOTONIC);
    x->trace = getenv("HVCORE_XFER_TRACE") != NULL;
    x->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    x->cancel_fd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = { .events = EPOLLIN };
    if (x->stop_fd < 0 || x->cancel_fd < 0 ||
        epoll_ctl(x->cancel_fd, EPOLL_CTL_ADD, x->stop_fd, &ev) < 0 ||
        epoll_ctl(x->cancel_fd, EPOLL_CTL_ADD, client_fd, &ev) < 0)
        goto nomem;
    pthread_mutex_lock(&d->lock);
    d->xfer = x;
    d->xfer_state = HV_XFER_STATE_SENDING;
    if (pthread_create(&x->thread, NULL, job_main, x) != 0) {
        d->xfer = NULL;
        d->xfer_state = HV_XFER_STATE_NONE;
        pthread_mutex_unlock(&d->lock);
        goto nomem;
    }
    pthread_mutex_unlock(&d->lock);
    return 0;

nomem:
    x->client_fd = x->stream_fd = -1;       /* still the caller's */
    job_free(x);
    return -HVE_NOMEM;
}

void xfer_stop(struct domain *d)
{
    uint64_t one = 1;

    pthread_mutex_lock(&d->lock);
    struct xfer *x = d->xfer;
    d->xfer = NULL;
    pthread_mutex_unlock(&d->lock);
    if (!x)
        return;
    (void)!write(x->stop_fd, &one, sizeof(one));
    pthread_join(x->thread, NULL);
    job_free(x);
}
