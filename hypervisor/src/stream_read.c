/*
 * stream_read.c - reading a domain stream as hostile input (stream_read.h).
 *
 * The stream is read with large reads into one buffer, but never beyond
 * the end of the record being parsed plus the next record's header, and
 * never beyond END: what follows END on a live connection is the
 * handshake, which belongs to the caller.  Page data bypasses the buffer:
 * a PAGES batch lands in guest memory with readv() over its pages, and is
 * hashed where it landed, so a gigabyte costs one copy.
 *
 * Every length is checked against its limit before anything is read or
 * allocated for it, and every field before it is used; the first
 * violation ends the read with one line naming the record and its offset.
 * docs/migration-stream.md lists the rules.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include <xxhash.h>

#include "public/errno.h"
#include "public/layout.h"
#include "public/shared_info.h"
#include "runtime.h"
#include "stream_format.h"
#include "stream_read.h"

/* Stream buffer: larger than any buffered record (CONSOLE, 9 KiB; a
 * PAGES entry list, 8 KiB); bulk data goes around it. */
#define RD_BUF (64u << 10)

/* Largest single read into guest memory (Linux caps one read at 2 GiB). */
#define RD_CHUNK (1u << 30)

#define NR_TYPES (HV_REC_RUNSTATE + 1)

enum where { IN_HEADER, IN_RECHDR, IN_RECORD };

struct rd {
    int fd;
    const struct stream_read_opts *opts;
    const struct stream_sink *sink;
    struct stream_state *st;
    char *err;
    size_t errlen;

    uint8_t *buf;
    size_t head, tail;          /* buffered bytes: buf[head, tail)       */
    uint64_t off;               /* stream offset of buf[head]            */
    uint64_t limit;             /* never read beyond this stream offset  */
    XXH3_state_t *hash;         /* the END checksum                      */

    enum where where;
    uint32_t type;              /* the record being read                 */
    uint64_t rec_off;
    uint64_t len;
    uint32_t rec_flags;
    uint32_t last_type;         /* the last complete record (0: none)    */
    uint64_t last_off;

    bool have[NR_TYPES];
    uint64_t first_off[NR_TYPES];
    bool have_vcpu[HV_MAX_VCPUS];
    uint64_t vcpu_off[HV_MAX_VCPUS];

    bool live, file;
    uint64_t nr_pages;
    uint8_t *mem;
    uint64_t *seen;             /* pages sent (non-live) or in the batch */
    uint64_t entry[HV_STREAM_PAGES_MAX];
    struct iovec iov[HV_STREAM_PAGES_MAX];

    bool regular;               /* fd is a regular file at file_base     */
    uint64_t file_base;
    uint64_t file_size;
};

/* ---- messages ---------------------------------------------------------- */

static const char *type_name(uint32_t type)
{
    const char *n = stream_rec_name(type);

    return n ? n : "unknown";
}

__attribute__((format(printf, 3, 4)))
static int fail(struct rd *r, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    return code;
}

/* "<TYPE> record at offset N: " + the problem. */
__attribute__((format(printf, 3, 4)))
static int rec_fail(struct rd *r, int code, const char *fmt, ...)
{
    char why[200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    return fail(r, code, "%s record at offset %llu: %s", type_name(r->type),
                (unsigned long long)r->rec_off, why);
}

static uint64_t received(const struct rd *r)
{
    return r->off + (r->tail - r->head);
}

/* The stream ended at stream offset `at`. */
static int ended(struct rd *r, uint64_t at)
{
    unsigned long long a = at;

    switch (r->where) {
    case IN_HEADER:
        return fail(r, -HVE_IO, "stream ended at offset %llu inside the stream header", a);
    case IN_RECHDR:
        if (at > r->rec_off)
            return fail(r, -HVE_IO, "stream ended at offset %llu inside the record header at offset %llu",
                        a, (unsigned long long)r->rec_off);
        if (!r->last_type)
            return fail(r, -HVE_IO, "stream ended at offset %llu after the stream header (no END record)", a);
        return fail(r, -HVE_IO, "stream ended at offset %llu after the %s record at offset %llu (no END record)",
                    a, type_name(r->last_type), (unsigned long long)r->last_off);
    case IN_RECORD:
        break;
    }
    return fail(r, -HVE_IO, "stream ended at offset %llu inside the %s record at offset %llu", a,
                type_name(r->type), (unsigned long long)r->rec_off);
}

/* ---- input ------------------------------------------------------------- */

/* Wait for input on a non-blocking descriptor, at most opts->idle_ms
 * (0: for ever).  0, or < 0 with err set when the sender went quiet. */
static int wait_input(struct rd *r, uint64_t at)
{
    struct pollfd p = { .fd = r->fd, .events = POLLIN };
    int ms = r->opts->idle_ms ? (int)r->opts->idle_ms : -1;
    int n;

    do
        n = poll(&p, 1, ms);
    while (n < 0 && errno == EINTR);
    if (n == 0)
        return fail(r, -HVE_TIMEDOUT, "nothing came for %.1f s at stream offset %llu: "
                    "the sender is gone", r->opts->idle_ms / 1000.0, (unsigned long long)at);
    return 0;
}

/* One read(2) of up to n bytes at stream offset `at`: > 0, 0 at the end,
 * or < 0 with err set.  A non-blocking descriptor is waited for. */
static ssize_t read_some(struct rd *r, void *dst, size_t n, uint64_t at)
{
    for (;;) {
        ssize_t k = read(r->fd, dst, n);
        if (k >= 0)
            return k;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int w = wait_input(r, at);
            if (w < 0)
                return w;
            continue;
        }
        return fail(r, -HVE_IO, "reading the stream at offset %llu: %s",
                    (unsigned long long)at, strerror(errno));
    }
}

/* At least n (<= RD_BUF) bytes buffered, reading no further than limit. */
static int fill(struct rd *r, size_t n)
{
    while (r->tail - r->head < n) {
        if (r->head == r->tail) {
            r->head = r->tail = 0;
        } else if (RD_BUF - r->head < n) {
            memmove(r->buf, r->buf + r->head, r->tail - r->head);
            r->tail -= r->head;
            r->head = 0;
        }
        uint64_t at = received(r);
        size_t want = RD_BUF - r->tail;
        if (r->limit <= at)   /* a bug here, not in the stream */
            return fail(r, -HVE_IO, "stream reader: read beyond offset %llu",
                        (unsigned long long)r->limit);
        if (r->limit - at < want)
            want = (size_t)(r->limit - at);
        ssize_t k = read_some(r, r->buf + r->tail, want, at);
        if (k < 0)
            return (int)k;
        if (k == 0)
            return ended(r, at);
        r->tail += (size_t)k;
    }
    return 0;
}

static void consume(struct rd *r, size_t n, bool hashed)
{
    if (hashed)
        XXH3_64bits_update(r->hash, r->buf + r->head, n);
    r->head += n;
    r->off += n;
}

/* n bytes of the stream into dst, hashed: what is buffered, then straight
 * from the descriptor (for big bodies: the kernel, a bitmap). */
static int get(struct rd *r, void *dst, uint64_t n)
{
    uint8_t *d = dst;

    while (n > 0) {
        size_t have = r->tail - r->head;
        if (have == 0 && n < RD_BUF / 2) {
            int ret = fill(r, (size_t)n);
            if (ret < 0)
                return ret;
            have = r->tail - r->head;
        }
        if (have > 0) {
            size_t c = have < n ? have : (size_t)n;
            memcpy(d, r->buf + r->head, c);
            consume(r, c, true);
            d += c;
            n -= c;
            continue;
        }
        size_t want = n < RD_CHUNK ? (size_t)n : RD_CHUNK;
        ssize_t k = read_some(r, d, want, r->off);
        if (k < 0)
            return (int)k;
        if (k == 0)
            return ended(r, r->off);
        XXH3_64bits_update(r->hash, d, (size_t)k);
        r->off += (uint64_t)k;
        d += k;
        n -= (uint64_t)k;
    }
    return 0;
}

/* Read n bytes that must be zero (padding), hashed. */
static int get_zeros(struct rd *r, uint64_t n, const char *what)
{
    while (n > 0) {
        size_t c = n < RD_BUF ? (size_t)n : RD_BUF;
        int ret = fill(r, c);
        if (ret < 0)
            return ret;
        for (size_t i = 0; i < c; i++)
            if (r->buf[r->head + i])
                return rec_fail(r, -HVE_PROTO, "nonzero %s", what);
        consume(r, c, true);
        n -= c;
    }
    return 0;
}

/* Read into guest memory: iov[0, cnt) (modified), at most IOV_MAX per
 * call.  Nothing is buffered here: the caller's limit stopped the buffer
 * where the page data starts. */
static int get_iov(struct rd *r, struct iovec *iov, int cnt)
{
    while (cnt > 0) {
        ssize_t k = readv(r->fd, iov, cnt < IOV_MAX ? cnt : IOV_MAX);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int w = wait_input(r, r->off);
            if (w < 0)
                return w;
            continue;
        }
        if (k < 0)
            return fail(r, -HVE_IO, "reading the stream at offset %llu: %s",
                        (unsigned long long)r->off, strerror(errno));
        if (k == 0)
            return ended(r, r->off);
        r->off += (uint64_t)k;
        while (cnt > 0 && (size_t)k >= iov->iov_len) {
            k -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + k;
            iov->iov_len -= (size_t)k;
        }
    }
    return 0;
}

/* ---- the header -------------------------------------------------------- */

static int read_header(struct rd *r)
{
    struct hv_stream_header *h = &r->st->hdr;
    int ret;

    r->where = IN_HEADER;
    r->limit = sizeof(*h) + sizeof(struct hv_stream_rec);
    if ((ret = fill(r, sizeof(h->magic))) < 0)
        return ret;
    if (memcmp(r->buf + r->head, HV_STREAM_MAGIC, sizeof(h->magic)) != 0)
        return fail(r, -HVE_PROTO, "not a domain stream (bad magic)");
    if ((ret = get(r, h, sizeof(*h))) < 0)
        return ret;
    if (h->byte_order == __builtin_bswap32(HV_STREAM_BYTE_ORDER))
        return fail(r, -HVE_VERSION, "stream was written on a host of the other byte order");
    if (h->byte_order != HV_STREAM_BYTE_ORDER)
        return fail(r, -HVE_PROTO, "stream header: byte order mark %#x is not %#x",
                    h->byte_order, HV_STREAM_BYTE_ORDER);
    if (h->version != HV_STREAM_VERSION)
        return fail(r, -HVE_VERSION, "stream version %u is not supported (this hvcore reads version %u)",
                    h->version, HV_STREAM_VERSION);
    if (h->header_size != sizeof(*h))
        return fail(r, -HVE_PROTO, "stream header: header_size %u (must be %zu)", h->header_size,
                    sizeof(*h));
    if (h->page_size != HV_PAGE_SIZE)
        return fail(r, -HVE_VERSION, "stream page size %u is not supported (this hvcore uses %llu)",
                    h->page_size, (unsigned long long)HV_PAGE_SIZE);
    if (h->guest_abi != HV_GUEST_ABI_VERSION)
        return fail(r, -HVE_VERSION, "stream guest ABI %u is not supported (this hvcore offers guest ABI %u)",
                    h->guest_abi, HV_GUEST_ABI_VERSION);
    if (h->flags & ~(HV_STREAM_F_LIVE | HV_STREAM_F_FILE))
        return fail(r, -HVE_PROTO, "stream header: unknown flags %#x",
                    h->flags & ~(HV_STREAM_F_LIVE | HV_STREAM_F_FILE));
    r->live = h->flags & HV_STREAM_F_LIVE;
    r->file = h->flags & HV_STREAM_F_FILE;
    if (r->live && r->file)
        return fail(r, -HVE_PROTO, "stream header: flags LIVE and FILE together");
    if (r->live && !r->opts->live)
        return fail(r, -HVE_PROTO, "stream is a live migration stream, not a saved domain");
    if (!r->live && r->opts->live)
        return fail(r, -HVE_PROTO, "stream is a saved domain, not a live migration stream");
    return 0;
}

/* ---- order ------------------------------------------------------------- */

static bool unique_type(uint32_t t)
{
    return t != HV_REC_PAGES && t != HV_REC_VCPU;
}

/* Is a record of r->type acceptable here? */
static int check_order(struct rd *r)
{
    uint32_t t = r->type;

    if (!r->have[HV_REC_DOMAIN] && t != HV_REC_DOMAIN)
        return rec_fail(r, -HVE_PROTO, "the first record must be DOMAIN");
    if (unique_type(t) && r->have[t])
        return rec_fail(r, -HVE_PROTO, "a second %s record (the first is at offset %llu)",
                        type_name(t), (unsigned long long)r->first_off[t]);
    if (t == HV_REC_DOMAIN)
        return 0;
    if (!r->have[HV_REC_KERNEL] && t != HV_REC_KERNEL)
        return rec_fail(r, -HVE_PROTO, "KERNEL must come right after DOMAIN");

    switch (t) {
    case HV_REC_TOOLSTACK:
        if (r->last_type != HV_REC_KERNEL)
            return rec_fail(r, -HVE_PROTO, "TOOLSTACK must come right after KERNEL");
        return 0;
    case HV_REC_PAGES:
        /* Save files: the final snapshot of the fixed pages (stream.h). */
        if (r->file && !r->have[HV_REC_MEMORY_IMAGE])
            return rec_fail(r, -HVE_PROTO, "a save file carries PAGES only after its MEMORY_IMAGE");
        /* fall through */
    case HV_REC_MEMORY_IMAGE:
        if (t == HV_REC_MEMORY_IMAGE && !r->file)
            return rec_fail(r, -HVE_PROTO, "only a save file (header flag FILE) carries a memory image");
        if (r->have[HV_REC_BALLOON])
            return rec_fail(r, -HVE_PROTO, "memory after the BALLOON record at offset %llu",
                            (unsigned long long)r->first_off[HV_REC_BALLOON]);
        return 0;
    case HV_REC_BALLOON:
        if (r->file && !r->have[HV_REC_MEMORY_IMAGE])
            return rec_fail(r, -HVE_PROTO, "before the MEMORY_IMAGE record");
        return 0;
    case HV_REC_VCPU:
    case HV_REC_RUNSTATE:
    case HV_REC_EVTCHN:
    case HV_REC_TIME:
    case HV_REC_CONSOLE:
        if (!r->have[HV_REC_BALLOON])
            return rec_fail(r, -HVE_PROTO, "before the BALLOON record (memory and BALLOON come first)");
        return 0;
    case HV_REC_END: {
        static const uint32_t need[] = { HV_REC_BALLOON, HV_REC_RUNSTATE, HV_REC_EVTCHN,
                                         HV_REC_TIME, HV_REC_CONSOLE };
        for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
            if (!r->have[need[i]])
                return rec_fail(r, -HVE_PROTO, "no %s record", type_name(need[i]));
        for (unsigned v = 0; v < r->st->dom.max_vcpus; v++)
            if (!r->have_vcpu[v])
                return rec_fail(r, -HVE_PROTO, "no VCPU record for vCPU %u", v);
        return 0;
    }
    }
    return 0;
}

/* The body length a record of r->type must have, checked before a byte
 * of the body is read. */
static int check_length(struct rd *r)
{
    uint64_t len = r->len, want;

    switch (r->type) {
    case HV_REC_DOMAIN:  want = sizeof(struct hv_rec_domain); break;
    case HV_REC_VCPU:    want = sizeof(struct hv_rec_vcpu); break;
    case HV_REC_RUNSTATE: want = sizeof(struct hv_rec_runstate); break;
    case HV_REC_EVTCHN:  want = sizeof(struct hv_rec_evtchn); break;
    case HV_REC_TIME:    want = sizeof(struct hv_rec_time); break;
    case HV_REC_CONSOLE: want = sizeof(struct hv_rec_console); break;
    case HV_REC_END:     want = sizeof(struct hv_rec_end); break;
    case HV_REC_BALLOON:
        want = sizeof(struct hv_rec_balloon) + (r->nr_pages + 63) / 64 * 8;
        if (len != want)
            return rec_fail(r, -HVE_PROTO, "length %llu (must be %llu for %#llx pages)",
                            (unsigned long long)len, (unsigned long long)want,
                            (unsigned long long)r->nr_pages);
        return 0;
    case HV_REC_MEMORY_IMAGE:
        want = stream_image_length(r->rec_off, r->nr_pages);
        if (len != want)
            return rec_fail(r, -HVE_PROTO, "length %llu (must be %llu for %#llx pages)",
                            (unsigned long long)len, (unsigned long long)want,
                            (unsigned long long)r->nr_pages);
        return 0;
    case HV_REC_KERNEL:
        if (len == 0)
            return rec_fail(r, -HVE_PROTO, "the kernel is empty");
        if (len > HV_STREAM_KERNEL_MAX)
            return rec_fail(r, -HVE_PROTO, "length %llu is above the limit %u",
                            (unsigned long long)len, HV_STREAM_KERNEL_MAX);
        return 0;
    case HV_REC_TOOLSTACK:
        if (len > HV_STREAM_TOOLSTACK_MAX)
            return rec_fail(r, -HVE_PROTO, "length %llu is above the limit %u",
                            (unsigned long long)len, HV_STREAM_TOOLSTACK_MAX);
        return 0;
    case HV_REC_PAGES:
        if (len < stream_pages_length(1, 0) || len > STREAM_PAGES_LENGTH_MAX)
            return rec_fail(r, -HVE_PROTO, "length %llu is not between %llu and %llu",
                            (unsigned long long)len,
                            (unsigned long long)stream_pages_length(1, 0),
                            (unsigned long long)STREAM_PAGES_LENGTH_MAX);
        return 0;
    default:
        return 0;
    }
    if (len != want)
        return rec_fail(r, -HVE_PROTO, "length %llu (must be %llu)", (unsigned long long)len,
                        (unsigned long long)want);
    return 0;
}

/* ---- DOMAIN ------------------------------------------------------------ */

/* s (NUL-terminated) for a message: printable ASCII, the rest as \xNN. */
static void printable(const char *s, char *out, size_t outlen)
{
    size_t o = 0;

    for (; *s && o + 5 < outlen; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c < 0x7f && c != '\\')
            out[o++] = (char)c;
        else
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
    }
    out[o] = '\0';
}

static bool nul_terminated(char *s, size_t size)
{
    char *nul = memchr(s, '\0', size);

    if (!nul)
        return false;
    /* Whatever follows the NUL is not used: keep the state canonical. */
    memset(nul, 0, size - (size_t)(nul - s));
    return true;
}

static bool action_ok(uint8_t a, bool preserve)
{
    return a == HV_STREAM_ACTION_DESTROY || a == HV_STREAM_ACTION_RESTART ||
           (preserve && a == HV_STREAM_ACTION_PRESERVE);
}

static int check_domain(struct rd *r, struct hv_rec_domain *d)
{
    const char *why;
    uint64_t mib = d->mem_max_bytes >> 20;
    uint64_t pages = d->mem_max_bytes >> HV_PAGE_SHIFT;
    char name[sizeof(d->name) * 4 + 1];

    if (!nul_terminated(d->name, sizeof(d->name)))
        return rec_fail(r, -HVE_PROTO, "name is not NUL-terminated");
    if ((why = runtime_check_name(d->name))) {
        printable(d->name, name, sizeof(name));
        return rec_fail(r, -HVE_PROTO, "name '%s' %s", name, why);
    }
    if (d->max_vcpus < 1 || d->max_vcpus > HV_MAX_VCPUS)
        return rec_fail(r, -HVE_PROTO, "max_vcpus %u is not between 1 and %u", d->max_vcpus,
                        HV_MAX_VCPUS);
    if (d->mem_max_bytes & ((1ULL << 20) - 1))
        return rec_fail(r, -HVE_PROTO, "mem_max_bytes %llu is not a whole number of MiB",
                        (unsigned long long)d->mem_max_bytes);
    if (mib < HV_MIN_MEMORY_MIB || mib > HV_MAX_MEMORY_MIB)
        return rec_fail(r, -HVE_PROTO, "memory of %llu MiB is not between %llu and %llu MiB",
                        (unsigned long long)mib, HV_MIN_MEMORY_MIB, HV_MAX_MEMORY_MIB);
    if (d->first_free_pfn < STREAM_BALLOON_MIN_PFN || d->first_free_pfn > pages)
        return rec_fail(r, -HVE_PROTO, "first_free_pfn %#llx is outside guest RAM (%#llx..%#llx)",
                        (unsigned long long)d->first_free_pfn,
                        (unsigned long long)STREAM_BALLOON_MIN_PFN, (unsigned long long)pages);
    if (d->entry_rip < HV_KERNEL_MIN_ADDR || d->entry_rip >= d->mem_max_bytes)
        return rec_fail(r, -HVE_PROTO, "entry_rip %#llx is outside the kernel's part of guest RAM (%#llx..%#llx)",
                        (unsigned long long)d->entry_rip, HV_KERNEL_MIN_ADDR,
                        (unsigned long long)d->mem_max_bytes - 1);
    if (d->boot_count < 1)
        return rec_fail(r, -HVE_PROTO, "boot_count 0 (the domain booted at least once)");
    if (!action_ok(d->on_poweroff, false))
        return rec_fail(r, -HVE_PROTO, "on_poweroff %u is not destroy (0) or restart (1)",
                        d->on_poweroff);
    if (!action_ok(d->on_reboot, false))
        return rec_fail(r, -HVE_PROTO, "on_reboot %u is not destroy (0) or restart (1)",
                        d->on_reboot);
    if (!action_ok(d->on_crash, true))
        return rec_fail(r, -HVE_PROTO, "on_crash %u is not destroy (0), restart (1) or preserve (2)",
                        d->on_crash);
    if (d->pad0)
        return rec_fail(r, -HVE_PROTO, "nonzero padding (pad0)");
    if (!nul_terminated(d->cmdline, sizeof(d->cmdline)))
        return rec_fail(r, -HVE_PROTO, "cmdline is not NUL-terminated");
    return 0;
}

static int read_domain(struct rd *r)
{
    struct hv_rec_domain *d = &r->st->dom;
    int ret;

    if ((ret = get(r, d, sizeof(*d))) < 0 || (ret = check_domain(r, d)) < 0)
        return ret;
    r->nr_pages = d->mem_max_bytes >> HV_PAGE_SHIFT;
    r->st->nr_pages = r->nr_pages;
    r->seen = calloc((r->nr_pages + 63) / 64, sizeof(uint64_t));
    if (!r->seen)
        return rec_fail(r, -HVE_NOMEM, "out of memory");
    r->err[0] = '\0';
    ret = r->sink->domain(r->sink->opaque, d, &r->mem, r->err, r->errlen);
    if (ret < 0 && !r->err[0])
        rec_fail(r, ret, "cannot make guest memory: %s", strerror(-ret));
    if (ret == 0 && !r->mem)
        return rec_fail(r, -HVE_IO, "no guest memory was made");
    return ret < 0 ? ret : 0;
}

/* ---- KERNEL, TOOLSTACK ------------------------------------------------- */

static int read_kernel(struct rd *r)
{
    struct stream_state *st = r->st;

    st->kernel = malloc(r->len);
    if (!st->kernel)
        return rec_fail(r, -HVE_NOMEM, "out of memory for %llu bytes", (unsigned long long)r->len);
    st->kernel_size = r->len;
    return get(r, st->kernel, r->len);
}

static int read_toolstack(struct rd *r)
{
    struct stream_state *st = r->st;

    /* NUL-terminated for the caller's convenience (not counted). */
    st->toolstack = calloc(1, r->len + 1);
    if (!st->toolstack)
        return rec_fail(r, -HVE_NOMEM, "out of memory for %llu bytes", (unsigned long long)r->len);
    st->toolstack_size = r->len;
    return get(r, st->toolstack, r->len);
}

/* ---- memory ------------------------------------------------------------ */

static bool test_and_set(uint64_t *map, uint64_t pfn)
{
    uint64_t bit = 1ULL << (pfn % 64);
    bool was = map[pfn / 64] & bit;

    map[pfn / 64] |= bit;
    return was;
}

static int zero_pages(struct rd *r, uint64_t pfn, uint64_t n)
{
    int ret = r->sink->zero(r->sink->opaque, pfn, n);

    if (ret < 0)
        return rec_fail(r, ret, "cannot zero pages %#llx..%#llx: %s", (unsigned long long)pfn,
                        (unsigned long long)(pfn + n - 1), strerror(-ret));
    return 0;
}

/* Zero the ZERO entries of a batch, a run of consecutive pages at once. */
static int zero_entries(struct rd *r, unsigned count)
{
    uint64_t start = 0, n = 0;
    int ret;

    for (unsigned i = 0; i < count; i++) {
        uint64_t pfn = HV_PAGE_ENTRY_PFN(r->entry[i]);
        if (HV_PAGE_ENTRY_TYPE(r->entry[i]) != HV_PAGE_ZERO)
            continue;
        if (n && pfn == start + n) {
            n++;
            continue;
        }
        if (n && (ret = zero_pages(r, start, n)) < 0)
            return ret;
        start = pfn;
        n = 1;
    }
    return n ? zero_pages(r, start, n) : 0;
}

static int read_pages(struct rd *r, uint64_t end)
{
    struct hv_rec_pages hdr;
    uint64_t body = r->rec_off + sizeof(struct hv_stream_rec);
    bool hash_data = !(r->rec_flags & HV_REC_F_DATA_UNHASHED);
    unsigned normal = 0;
    int cnt = 0, ret;
    char why[160];

    r->limit = body + sizeof(hdr);
    if ((ret = get(r, &hdr, sizeof(hdr))) < 0)
        return ret;
    if (hdr.count < 1 || hdr.count > HV_STREAM_PAGES_MAX)
        return rec_fail(r, -HVE_PROTO, "count %u is not between 1 and %u", hdr.count,
                        HV_STREAM_PAGES_MAX);
    if (hdr.pad0)
        return rec_fail(r, -HVE_PROTO, "nonzero padding (pad0)");
    if (r->len < stream_pages_length(hdr.count, 0))
        return rec_fail(r, -HVE_PROTO, "length %llu cannot hold %u entries",
                        (unsigned long long)r->len, hdr.count);
    r->limit = body + stream_pages_length(hdr.count, 0);
    if ((ret = get(r, r->entry, (uint64_t)hdr.count * 8)) < 0)
        return ret;

    for (unsigned i = 0; i < hdr.count; i++) {
        uint64_t e = r->entry[i], pfn = HV_PAGE_ENTRY_PFN(e);
        if (!stream_page_entry_ok(e, r->nr_pages, why, sizeof(why)))
            return rec_fail(r, -HVE_PROTO, "%s", why);
        /* r->seen: every page so far (not live), or this batch's (live:
         * a page is sent again when it was written again, but never
         * twice in one batch, where its data would land twice before
         * it is hashed). */
        if (test_and_set(r->seen, pfn))
            return r->live ? rec_fail(r, -HVE_PROTO, "page %#llx is twice in the batch",
                                      (unsigned long long)pfn)
                           : rec_fail(r, -HVE_PROTO,
                                      "page %#llx was sent before (a stream that is not live sends each page once)",
                                      (unsigned long long)pfn);
        if (HV_PAGE_ENTRY_TYPE(e) != HV_PAGE_NORMAL)
            continue;
        normal++;
        uint8_t *page = r->mem + (pfn << HV_PAGE_SHIFT);
        if (cnt && (uint8_t *)r->iov[cnt - 1].iov_base + r->iov[cnt - 1].iov_len == page)
            r->iov[cnt - 1].iov_len += HV_PAGE_SIZE;
        else
            r->iov[cnt++] = (struct iovec){ page, HV_PAGE_SIZE };
    }
    if (r->len != stream_pages_length(hdr.count, normal))
        return rec_fail(r, -HVE_PROTO, "length %llu is not the %llu its %u entries need",
                        (unsigned long long)r->len,
                        (unsigned long long)stream_pages_length(hdr.count, normal), hdr.count);
    r->limit = end;
    if (cnt && (ret = get_iov(r, r->iov, cnt)) < 0)
        return ret;
    /* Hashed where it landed, in stream order (pages are distinct). */
    for (unsigned i = 0; hash_data && i < hdr.count; i++)
        if (HV_PAGE_ENTRY_TYPE(r->entry[i]) == HV_PAGE_NORMAL)
            XXH3_64bits_update(r->hash,
                               r->mem + (HV_PAGE_ENTRY_PFN(r->entry[i]) << HV_PAGE_SHIFT),
                               HV_PAGE_SIZE);
    if (r->live)
        for (unsigned i = 0; i < hdr.count; i++)
            r->seen[HV_PAGE_ENTRY_PFN(r->entry[i]) / 64] &=
                ~(1ULL << (HV_PAGE_ENTRY_PFN(r->entry[i]) % 64));
    r->st->pages_received += normal;
    return zero_entries(r, hdr.count);
}

/* Are the hypervisor-private pages of a memory image zero?  They never
 * travel: the receiver builds its own over them.  From the file (pread)
 * when it is mapped, else from guest memory. */
static int check_image_private(struct rd *r, uint64_t file_off)
{
    for (uint64_t at = 0; at < HV_PRIVATE_END; at += RD_BUF) {
        const uint8_t *p = r->mem + at;
        size_t n = HV_PRIVATE_END - at < RD_BUF ? (size_t)(HV_PRIVATE_END - at) : RD_BUF;
        if (r->st->image_mapped) {
            ssize_t k = pread(r->fd, r->buf, n, (off_t)(file_off + at));
            if (k != (ssize_t)n)
                return rec_fail(r, -HVE_IO, "cannot read the image: %s",
                                k < 0 ? strerror(errno) : "short read");
            p = r->buf;
        }
        for (size_t i = 0; i < n; i++)
            if (p[i])
                return rec_fail(r, -HVE_PROTO, "page %#llx is not zero (pages 0x0..%#llx never travel)",
                                (unsigned long long)((at + i) >> HV_PAGE_SHIFT),
                                (unsigned long long)STREAM_FIRST_PFN - 1);
    }
    return 0;
}

/*
 * MEMORY_IMAGE.  A regular file, a sink that can map and no --verify: the
 * pages are mapped where they lie (sink->image), nothing is read, and the
 * descriptor moves past them.  Otherwise they are read into guest memory;
 * --verify always reads (hashing every page costs the same reading, and
 * what is checked is then what the guest gets, not a mapping the file's
 * owner could still change).
 */
static int read_image(struct rd *r, uint64_t end)
{
    struct hv_rec_memory_image img;
    struct stream_state *st = r->st;
    uint64_t body = r->rec_off + sizeof(struct hv_stream_rec);
    uint64_t bytes = r->nr_pages << HV_PAGE_SHIFT;
    int ret;

    r->limit = body + sizeof(img);
    if ((ret = get(r, &img, sizeof(img))) < 0)
        return ret;
    if (img.nr_pages != r->nr_pages)
        return rec_fail(r, -HVE_PROTO, "nr_pages %#llx is not the domain's %#llx",
                        (unsigned long long)img.nr_pages, (unsigned long long)r->nr_pages);
    if (img.data_offset != stream_image_data_offset(r->rec_off))
        return rec_fail(r, -HVE_PROTO, "data_offset %llu is not %llu (the first page boundary after its structure)",
                        (unsigned long long)img.data_offset,
                        (unsigned long long)stream_image_data_offset(r->rec_off));
    if (img.pad0)
        return rec_fail(r, -HVE_PROTO, "nonzero padding (pad0)");
    r->limit = img.data_offset;
    if ((ret = get_zeros(r, img.data_offset - r->off, "bytes before the page data")) < 0)
        return ret;
    st->image_offset = img.data_offset;
    st->image_hash = img.image_hash;

    uint64_t file_off = r->file_base + img.data_offset;
    if (r->regular && r->sink->image && !r->opts->verify_image && file_off % HV_PAGE_SIZE == 0) {
        /* Mapping past the end of the file would fault in the guest. */
        if (r->file_size < file_off + bytes)
            return ended(r, r->file_size - r->file_base);
        st->image_mapped = true;
        if ((ret = check_image_private(r, file_off)) < 0)
            return ret;
        r->err[0] = '\0';
        ret = r->sink->image(r->sink->opaque, r->fd, file_off, r->nr_pages, r->err, r->errlen);
        if (ret == 0) {
            if (lseek(r->fd, (off_t)(file_off + bytes), SEEK_SET) < 0)
                return rec_fail(r, -HVE_IO, "cannot seek past the image: %s", strerror(errno));
            r->off += bytes;
            r->limit = end;
            return 0;
        }
        st->image_mapped = false;
        if (ret != -HVE_NOSYS) {
            if (!r->err[0])
                rec_fail(r, ret, "cannot map the image: %s", strerror(-ret));
            return ret;
        }
    }

    r->limit = end;
    struct iovec iov = { r->mem, (size_t)bytes };
    if ((ret = get_iov(r, &iov, 1)) < 0)
        return ret;
    if ((ret = check_image_private(r, 0)) < 0)
        return ret;
    if (r->opts->verify_image) {
        uint64_t h = XXH3_64bits(r->mem, (size_t)bytes);
        if (h != img.image_hash)
            return rec_fail(r, -HVE_PROTO, "image hash mismatch (stream says %#llx, computed %#llx)",
                            (unsigned long long)img.image_hash, (unsigned long long)h);
    }
    return 0;
}

/* ---- BALLOON ----------------------------------------------------------- */

static int read_balloon(struct rd *r)
{
    struct stream_state *st = r->st;
    struct hv_rec_balloon b;
    uint64_t words = (r->nr_pages + 63) / 64, count = 0, start = 0, n = 0;
    int ret;

    if ((ret = get(r, &b, sizeof(b))) < 0)
        return ret;
    if (b.nr_pages != r->nr_pages)
        return rec_fail(r, -HVE_PROTO, "nr_pages %#llx is not the domain's %#llx",
                        (unsigned long long)b.nr_pages, (unsigned long long)r->nr_pages);
    st->balloon = malloc(words * 8);
    if (!st->balloon)
        return rec_fail(r, -HVE_NOMEM, "out of memory");
    if ((ret = get(r, st->balloon, words * 8)) < 0)
        return ret;
    for (uint64_t w = 0; w < words; w++) {
        uint64_t bits = st->balloon[w];
        if (!bits)
            continue;
        uint64_t first = w * 64 + (uint64_t)__builtin_ctzll(bits);
        uint64_t last = w * 64 + 63 - (uint64_t)__builtin_clzll(bits);
        if (first < STREAM_BALLOON_MIN_PFN || last >= r->nr_pages)
            return rec_fail(r, -HVE_PROTO, "page %#llx is ballooned, but only pages %#llx..%#llx can be",
                            (unsigned long long)(first < STREAM_BALLOON_MIN_PFN ? first : last),
                            (unsigned long long)STREAM_BALLOON_MIN_PFN,
                            (unsigned long long)r->nr_pages - 1);
        count += (uint64_t)__builtin_popcountll(bits);
    }
    if (count != b.ballooned)
        return rec_fail(r, -HVE_PROTO, "ballooned is %llu, but the bitmap has %llu pages",
                        (unsigned long long)b.ballooned, (unsigned long long)count);
    st->ballooned = count;

    /* Released whatever the memory records said about them. */
    for (uint64_t p = STREAM_BALLOON_MIN_PFN; p < r->nr_pages; p++) {
        if (st->balloon[p / 64] & (1ULL << (p % 64))) {
            if (!n)
                start = p;
            n++;
        } else if (n) {
            if ((ret = zero_pages(r, start, n)) < 0)
                return ret;
            n = 0;
        }
    }
    return n ? zero_pages(r, start, n) : 0;
}

/* ---- VCPU -------------------------------------------------------------- */

#define RFLAGS_FIXED   0x202ULL    /* IF and the always-one bit 1        */
#define RFLAGS_IOPL    0x3000ULL
/* What popf at CPL 3 and IOPL 0 can change: CF PF AF ZF SF TF DF OF NT AC
 * ID; and RF, which the CPU sets itself when an instruction is restarted
 * after a fault (a live vCPU is often caught with it: it only holds off
 * an instruction breakpoint for one instruction).  IF and IOPL stay as
 * hvcore set them; VM, VIF and VIP are not the guest's. */
#define RFLAGS_GUEST   0x254dd5ULL

static bool canonical(uint64_t a)
{
    return a < (1ULL << 47);
}

bool stream_regs_ok(const struct hv_stream_regs *r, char *why, size_t whylen)
{
    static const struct { const char *name; size_t off; } addr[] = {
        { "rip", offsetof(struct hv_stream_regs, rip) },
        { "rsp", offsetof(struct hv_stream_regs, rsp) },
        { "fs_base", offsetof(struct hv_stream_regs, fs_base) },
        { "gs_base", offsetof(struct hv_stream_regs, gs_base) },
    };
    const uint16_t sel[4] = { r->ds, r->es, r->fs, r->gs };
    static const char *const sel_name[4] = { "ds", "es", "fs", "gs" };

    for (size_t i = 0; i < sizeof(addr) / sizeof(addr[0]); i++) {
        uint64_t v;
        memcpy(&v, (const uint8_t *)r + addr[i].off, sizeof(v));
        if (!canonical(v)) {
            snprintf(why, whylen, "%s %#llx is not a lower-half canonical address", addr[i].name,
                     (unsigned long long)v);
            return false;
        }
    }
    if ((r->rflags & RFLAGS_FIXED) != RFLAGS_FIXED) {
        snprintf(why, whylen, "rflags %#llx lacks IF or bit 1 (both always set)",
                 (unsigned long long)r->rflags);
        return false;
    }
    if (r->rflags & RFLAGS_IOPL) {
        snprintf(why, whylen, "rflags %#llx has IOPL %llu (a guest runs at IOPL 0)",
                 (unsigned long long)r->rflags, (unsigned long long)(r->rflags >> 12) & 3);
        return false;
    }
    if (r->rflags & ~(RFLAGS_GUEST | RFLAGS_FIXED)) {
        snprintf(why, whylen, "rflags %#llx has bits %#llx a CPL-3 guest cannot set",
                 (unsigned long long)r->rflags,
                 (unsigned long long)(r->rflags & ~(RFLAGS_GUEST | RFLAGS_FIXED)));
        return false;
    }
    /* What a CPL-3 guest can load: a null selector (any RPL), or one of
     * the GDT's user segments (0x20 code32, 0x28 data, 0x30 code64, any
     * RPL).  Only the selector travels; the receiver keeps its own
     * descriptors. */
    for (int i = 0; i < 4; i++) {
        unsigned index = sel[i] >> 3;
        bool ldt = sel[i] & 4;
        if (sel[i] > 3 && (ldt || index < 4 || index > 6)) {
            snprintf(why, whylen, "selector %s %#x is neither null nor a user segment "
                     "(0x20-0x37 of the GDT)", sel_name[i], sel[i]);
            return false;
        }
    }
    return true;
}

/* XSAVE area offsets (the standard format). */
#define XS_MXCSR       24
#define XS_XSTATE_BV   512
#define XS_XCOMP_BV    520
#define XS_HDR_RSVD    528
#define XS_HDR_END     576
#define MXCSR_RSVD     0xffff0000u
#define XCR0_PKRU      (1ULL << 9)

static int check_xsave(struct rd *r, const struct hv_rec_vcpu *v)
{
    uint64_t x = v->xcr0, sup = r->opts->xcr0_supported, bv, comp;
    uint32_t mxcsr;

    /* The architectural rules: x87 always, SSE with AVX (a vCPU at CPL 3
     * never ran xsetbv, so its xcr0 is often the reset value, x87 alone). */
    if (!(x & 1) || ((x & 4) && !(x & 2)))
        return rec_fail(r, -HVE_PROTO, "vCPU %u: xcr0 %#llx is not a valid XCR0 (x87 off, or AVX "
                        "without SSE)", v->id, (unsigned long long)x);
    if (x & ~STREAM_XCR0_MOVABLE)
        return rec_fail(r, -HVE_PROTO, "vCPU %u: xcr0 %#llx has state beyond the %u-byte XSAVE area",
                        v->id, (unsigned long long)x, HV_STREAM_XSAVE_SIZE);
    if (((x & 0xe0) && (x & 0xe0) != 0xe0) || ((x & 0xe0) && !(x & 4)) ||
        ((x & 0x18) && (x & 0x18) != 0x18))
        return rec_fail(r, -HVE_PROTO, "vCPU %u: xcr0 %#llx is not a valid XCR0 (AVX-512 or MPX bits incomplete)",
                        v->id, (unsigned long long)x);
    if (x & ~sup)
        return rec_fail(r, -HVE_PROTO, "vCPU %u: xcr0 %#llx has features this host lacks (it offers %#llx)",
                        v->id, (unsigned long long)x, (unsigned long long)sup);
    memcpy(&mxcsr, v->xsave + XS_MXCSR, sizeof(mxcsr));
    memcpy(&bv, v->xsave + XS_XSTATE_BV, sizeof(bv));
    memcpy(&comp, v->xsave + XS_XCOMP_BV, sizeof(comp));
    if (mxcsr & MXCSR_RSVD)
        return rec_fail(r, -HVE_PROTO, "vCPU %u: MXCSR %#x has reserved bits set", v->id, mxcsr);
    /* KVM keeps x87 and SSE state whatever the guest's xcr0 says, and on
     * a host with protection keys the PKRU register too: KVM_GET_XSAVE
     * names it in the header of every vCPU, KVM_SET_XSAVE takes it back
     * where the host has PKRU. */
    if (bv & ~(x | 3 | XCR0_PKRU))
        return rec_fail(r, -HVE_PROTO, "vCPU %u: XSAVE header: xstate_bv %#llx is not within xcr0 %#llx",
                        v->id, (unsigned long long)bv, (unsigned long long)(x | 3));
    if ((bv & XCR0_PKRU) && !(sup & XCR0_PKRU))
        return rec_fail(r, -HVE_PROTO, "vCPU %u: XSAVE header: xstate_bv %#llx holds PKRU, which "
                        "this host lacks (it offers %#llx)", v->id, (unsigned long long)bv,
                        (unsigned long long)sup);
    if (comp)
        return rec_fail(r, -HVE_PROTO, "vCPU %u: XSAVE header: xcomp_bv %#llx (only the standard format travels)",
                        v->id, (unsigned long long)comp);
    for (size_t i = XS_HDR_RSVD; i < XS_HDR_END; i++)
        if (v->xsave[i])
            return rec_fail(r, -HVE_PROTO, "vCPU %u: XSAVE header: reserved byte %zu is not zero",
                            v->id, i);
    return 0;
}

static int read_vcpu(struct rd *r)
{
    struct hv_rec_vcpu v;
    char why[160];
    int ret;

    if ((ret = get(r, &v, sizeof(v))) < 0)
        return ret;
    if (v.id >= r->st->dom.max_vcpus)
        return rec_fail(r, -HVE_PROTO, "vCPU %u is beyond max_vcpus %u", v.id,
                        r->st->dom.max_vcpus);
    if (r->have_vcpu[v.id])
        return rec_fail(r, -HVE_PROTO, "a second record for vCPU %u (the first is at offset %llu)",
                        v.id, (unsigned long long)r->vcpu_off[v.id]);
    r->have_vcpu[v.id] = true;
    r->vcpu_off[v.id] = r->rec_off;

    switch (v.state) {
    case HV_STREAM_VCPU_DOWN:
        if (v.id == 0)
            return rec_fail(r, -HVE_PROTO, "vCPU 0 is DOWN (vCPU 0 never goes down)");
        memset(&v.start, 0, sizeof(v.start));
        goto no_regs;
    case HV_STREAM_VCPU_UP_PENDING:
        if (!canonical(v.start.rip) || !canonical(v.start.rsp))
            return rec_fail(r, -HVE_PROTO, "vCPU %u: start %s %#llx is not a lower-half canonical address",
                            v.id, canonical(v.start.rip) ? "rsp" : "rip",
                            (unsigned long long)(canonical(v.start.rip) ? v.start.rsp : v.start.rip));
    no_regs:
        /* Not used in these states: they start from a reset. */
        memset(&v.regs, 0, sizeof(v.regs));
        v.xcr0 = 0;
        memset(v.xsave, 0, sizeof(v.xsave));
        break;
    case HV_STREAM_VCPU_BLOCKED:
        if (v.regs.rax != 0)
            return rec_fail(r, -HVE_PROTO, "vCPU %u is BLOCKED but rax is %#llx (SCHEDOP_block returns 0)",
                            v.id, (unsigned long long)v.regs.rax);
        /* fall through */
    case HV_STREAM_VCPU_RUNNING:
        if (!stream_regs_ok(&v.regs, why, sizeof(why)))
            return rec_fail(r, -HVE_PROTO, "vCPU %u: %s", v.id, why);
        memset(&v.start, 0, sizeof(v.start));
        if (v.xcr0 && (ret = check_xsave(r, &v)) < 0)
            return ret;
        if (!v.xcr0)
            memset(v.xsave, 0, sizeof(v.xsave));
        break;
    default:
        return rec_fail(r, -HVE_PROTO, "vCPU %u has unknown state %u", v.id, v.state);
    }
    r->st->vcpu[v.id] = v;
    return 0;
}

/* ---- EVTCHN, TIME, CONSOLE --------------------------------------------- */

static int read_evtchn(struct rd *r)
{
    struct hv_rec_evtchn *e = &r->st->evtchn;
    unsigned max = r->st->dom.max_vcpus;
    int ret;

    if ((ret = get(r, e, sizeof(*e))) < 0)
        return ret;
    for (unsigned p = 0; p < HV_NR_EVTCHN; p++) {
        const struct hv_stream_port *q = &e->port[p];
        switch (q->type) {
        case 0:
            if (q->virq || q->vcpu)
                return rec_fail(r, -HVE_PROTO, "free port %u has a virq or vcpu", p);
            continue;
        case 1:
        case 2:
            if (p == 0)
                return rec_fail(r, -HVE_PROTO, "port 0 is bound (port 0 is never valid)");
            if (q->vcpu >= max)
                return rec_fail(r, -HVE_PROTO, "port %u: vCPU %u is beyond max_vcpus %u", p,
                                q->vcpu, max);
            break;
        default:
            return rec_fail(r, -HVE_PROTO, "port %u has unknown type %u", p, q->type);
        }
        if (q->type == 2) {
            if (q->virq)
                return rec_fail(r, -HVE_PROTO, "IPI port %u has virq %u (must be 0)", p, q->virq);
            continue;
        }
        if (q->virq >= VIRQ_NR)
            return rec_fail(r, -HVE_PROTO, "port %u: VIRQ %u does not exist", p, q->virq);
        /* One binding per VIRQ, per vCPU for the timer (evtchn.c). */
        for (unsigned o = 1; o < p; o++) {
            const struct hv_stream_port *b = &e->port[o];
            if (b->type == 1 && b->virq == q->virq &&
                (q->virq != VIRQ_TIMER || b->vcpu == q->vcpu)) {
                if (q->virq == VIRQ_TIMER)
                    return rec_fail(r, -HVE_PROTO, "port %u binds VIRQ_TIMER of vCPU %u, as port %u does",
                                    p, q->vcpu, o);
                return rec_fail(r, -HVE_PROTO, "port %u binds VIRQ %u, as port %u does", p,
                                q->virq, o);
            }
        }
    }
    return 0;
}

static int read_runstate(struct rd *r)
{
    struct hv_rec_runstate *s = &r->st->runstate;
    uint64_t mem = r->st->dom.mem_max_bytes;
    int ret;

    if ((ret = get(r, s, sizeof(*s))) < 0)
        return ret;
    if (s->mem_target_kib < 1024 || s->mem_target_kib > mem >> 10)
        return rec_fail(r, -HVE_PROTO, "mem_target_kib %llu is not between 1024 and %llu",
                        (unsigned long long)s->mem_target_kib, (unsigned long long)mem >> 10);
    /* As EVTCHNOP_set_upcall takes it; events is a counter (any). */
    if (s->upcall_rip >= mem)
        return rec_fail(r, -HVE_PROTO, "upcall_rip %#llx is outside guest RAM (%#llx bytes)",
                        (unsigned long long)s->upcall_rip, (unsigned long long)mem);
    if (s->state != HV_STREAM_STATE_RUNNING && s->state != HV_STREAM_STATE_PAUSED)
        return rec_fail(r, -HVE_PROTO, "state %u is neither RUNNING (1) nor PAUSED (2)", s->state);
    if (s->shutdown_pending > SHUTDOWN_REQUEST_reboot)
        return rec_fail(r, -HVE_PROTO, "shutdown_pending %u is not a SHUTDOWN_REQUEST_* value",
                        s->shutdown_pending);
    return 0;
}

static int read_time(struct rd *r)
{
    int ret;

    /* Any values: a guest's clock may have run for years, the sender's
     * wall clock may be wrong (a negative gap counts as none), tsc_khz is
     * for messages.  docs/migration-stream.md. */
    if ((ret = get(r, &r->st->time, sizeof(r->st->time))) < 0)
        return ret;
    if (r->st->time.pad0)
        return rec_fail(r, -HVE_PROTO, "nonzero padding (pad0)");
    return 0;
}

static int read_console(struct rd *r)
{
    struct hv_rec_console *c = &r->st->console;
    int ret;

    if ((ret = get(r, c, sizeof(*c))) < 0)
        return ret;
    if (c->history_len > HV_STREAM_CONSOLE_HISTORY)
        return rec_fail(r, -HVE_PROTO, "history_len %u is above %u", c->history_len,
                        HV_STREAM_CONSOLE_HISTORY);
    if (c->in_pending_len > HV_CONSOLE_IN_SIZE)
        return rec_fail(r, -HVE_PROTO, "in_pending_len %u is above %u", c->in_pending_len,
                        HV_CONSOLE_IN_SIZE);
    /* The bytes beyond each length are not used. */
    memset(c->history + c->history_len, 0, HV_STREAM_CONSOLE_HISTORY - c->history_len);
    memset(c->in_pending + c->in_pending_len, 0, HV_CONSOLE_IN_SIZE - c->in_pending_len);
    return 0;
}

/* ---- records ----------------------------------------------------------- */

static int read_record(struct rd *r, bool *done)
{
    struct hv_stream_rec h;
    uint64_t computed = 0, end;
    int ret;

    r->where = IN_RECHDR;
    r->rec_off = r->off;
    if ((ret = fill(r, sizeof(h))) < 0)
        return ret;
    memcpy(&h, r->buf + r->head, sizeof(h));
    /* END's checksum covers everything before its header. */
    if (h.type == HV_REC_END)
        computed = XXH3_64bits_digest(r->hash);
    consume(r, sizeof(h), true);
    r->where = IN_RECORD;
    r->type = h.type;
    r->rec_flags = h.flags;
    r->len = h.length;

    if (!stream_rec_name(h.type))
        return fail(r, -HVE_PROTO, "record at offset %llu has unknown type %u",
                    (unsigned long long)r->rec_off, h.type);
    if (h.flags & ~HV_REC_F_DATA_UNHASHED)
        return rec_fail(r, -HVE_PROTO, "unknown flags %#x", h.flags);
    if (h.flags && (h.type != HV_REC_PAGES || !r->live))
        return rec_fail(r, -HVE_PROTO, "flag DATA_UNHASHED is only for PAGES of a live stream");
    if ((ret = check_order(r)) < 0 || (ret = check_length(r)) < 0)
        return ret;
    if (!r->have[h.type])
        r->first_off[h.type] = r->rec_off;
    r->have[h.type] = true;

    /* Read no further than this record and the next one's header. */
    end = r->off + r->len + stream_rec_pad(r->len);
    r->limit = end + (h.type == HV_REC_END ? 0 : sizeof(struct hv_stream_rec));

    switch (h.type) {
    case HV_REC_DOMAIN:       ret = read_domain(r); break;
    case HV_REC_KERNEL:       ret = read_kernel(r); break;
    case HV_REC_TOOLSTACK:    ret = read_toolstack(r); break;
    case HV_REC_PAGES:        ret = read_pages(r, r->limit); break;
    case HV_REC_MEMORY_IMAGE: ret = read_image(r, r->limit); break;
    case HV_REC_BALLOON:      ret = read_balloon(r); break;
    case HV_REC_VCPU:         ret = read_vcpu(r); break;
    case HV_REC_RUNSTATE:     ret = read_runstate(r); break;
    case HV_REC_EVTCHN:       ret = read_evtchn(r); break;
    case HV_REC_TIME:         ret = read_time(r); break;
    case HV_REC_CONSOLE:      ret = read_console(r); break;
    case HV_REC_END: {
        struct hv_rec_end e;
        if ((ret = get(r, &e, sizeof(e))) < 0)
            return ret;
        if (e.checksum != computed)
            return rec_fail(r, -HVE_PROTO, "checksum mismatch (stream says %#llx, computed %#llx)",
                            (unsigned long long)e.checksum, (unsigned long long)computed);
        *done = true;
        break;
    }
    }
    if (ret < 0)
        return ret;
    if ((ret = get_zeros(r, end - r->off, "padding after the body")) < 0)
        return ret;
    r->last_type = h.type;
    r->last_off = r->rec_off;
    return 0;
}

int stream_read(int fd, const struct stream_read_opts *opts, const struct stream_sink *sink,
                struct stream_state *state, char *err, size_t errlen)
{
    struct rd *r = calloc(1, sizeof(*r));
    struct stat sb;
    bool done = false;
    int ret;

    memset(state, 0, sizeof(*state));
    if (errlen)
        err[0] = '\0';
    if (!sink || !sink->domain || !sink->zero) {
        snprintf(err, errlen, "stream reader: no sink for the guest's memory");
        free(r);
        return -HVE_INVAL;
    }
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -HVE_NOMEM;
    }
    r->fd = fd;
    r->opts = opts;
    r->sink = sink;
    r->st = state;
    r->err = err;
    r->errlen = errlen;
    r->buf = malloc(RD_BUF);
    r->hash = XXH3_createState();
    if (!r->buf || !r->hash || XXH3_64bits_reset(r->hash) != XXH_OK) {
        ret = fail(r, -HVE_NOMEM, "out of memory");
        goto out;
    }
    /* A save file can be mapped: where the stream starts in it. */
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        off_t at = lseek(fd, 0, SEEK_CUR);
        if (at >= 0 && sb.st_size >= at) {
            r->regular = true;
            r->file_base = (uint64_t)at;
            r->file_size = (uint64_t)sb.st_size;
        }
    }

    if ((ret = read_header(r)) < 0)
        goto out;
    while (!done)
        if ((ret = read_record(r, &done)) < 0)
            goto out;
    state->bytes = r->off;
out:
    if (ret < 0)
        stream_state_free(state);
    if (r->hash)
        XXH3_freeState(r->hash);
    free(r->buf);
    free(r->seen);
    free(r);
    return ret;
}

void stream_state_free(struct stream_state *state)
{
    free(state->kernel);
    free(state->toolstack);
    free(state->balloon);
    memset(state, 0, sizeof(*state));
}
