/*
 * unit_stream_read.c - the domain stream reader (src/stream_read.c) on
 * streams built by tests/stream_builder.c: valid ones of every kind read
 * back exactly (state and guest memory) through a pipe and through a
 * regular file (mapped or read), and each malformed one is refused with
 * its exact one-line error and error code: header fields, record flags,
 * lengths, order, duplicates, missing records, every field rule of every
 * record, truncation at every record boundary and inside each record,
 * and a bit flipped in each record.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "public/errno.h"
#include "public/layout.h"
#include "public/shared_info.h"
#include "stream_builder.h"
#include "stream_format.h"
#include "stream_read.h"

#define MEM_BYTES (4ULL << 20)
#define XCR0_HOST 0x7ULL        /* x87 SSE AVX */

/* ---- a sink over anonymous memory ------------------------------------- */

struct tsink {
    uint8_t *mem;
    size_t size;
    unsigned zero_calls;
    bool image_called;
    int image_ret;              /* image(): 0 maps, else returned         */
    int domain_ret;             /* domain(): 0, else refused with it      */
    int zero_ret;
};

static int t_domain(void *opaque, const struct hv_rec_domain *dom, uint8_t **mem, char *err,
                    size_t errlen)
{
    struct tsink *t = opaque;

    if (t->domain_ret) {
        snprintf(err, errlen, "test sink: no memory for '%s'", dom->name);
        return t->domain_ret;
    }
    t->size = dom->mem_max_bytes;
    t->mem = mmap(NULL, t->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t->mem == MAP_FAILED) {
        t->mem = NULL;
        return -errno;
    }
    *mem = t->mem;
    return 0;
}

static int t_zero(void *opaque, uint64_t pfn, uint64_t n)
{
    struct tsink *t = opaque;

    if (t->zero_ret)
        return t->zero_ret;
    assert_true(pfn + n <= t->size / HV_PAGE_SIZE);
    memset(t->mem + pfn * HV_PAGE_SIZE, 0, n * HV_PAGE_SIZE);
    t->zero_calls++;
    return 0;
}

static int t_image(void *opaque, int fd, uint64_t offset, uint64_t nr_pages, char *err,
                   size_t errlen)
{
    struct tsink *t = opaque;

    t->image_called = true;
    if (t->image_ret) {
        if (t->image_ret != -HVE_NOSYS)
            snprintf(err, errlen, "test sink: cannot map");
        return t->image_ret;
    }
    assert_int_equal(nr_pages * HV_PAGE_SIZE, t->size);
    if (mmap(t->mem, t->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
             (off_t)offset) == MAP_FAILED)
        return -errno;
    return 0;
}

static void tsink_free(struct tsink *t)
{
    if (t->mem)
        munmap(t->mem, t->size);
    t->mem = NULL;
}

static struct stream_sink sink_of(struct tsink *t, bool can_map)
{
    struct stream_sink s = { .opaque = t, .domain = t_domain, .zero = t_zero,
                             .image = can_map ? t_image : NULL };
    return s;
}

/* ---- feeding a stream ------------------------------------------------- */

enum via { VIA_PIPE, VIA_FILE, VIA_FILE_NOMAP };

struct run {
    enum via via;
    size_t chunk;               /* pipe: bytes per write (0: all)         */
    bool nonblock;              /* pipe: the reader's end O_NONBLOCK      */
    uint64_t base;              /* file: where the stream starts          */
    bool live, verify;
    uint64_t xcr0;              /* the host's XSAVE features (0: XCR0_HOST) */
    struct tsink sink;
    struct stream_state st;
    char err[256];
    int rc;
    uint8_t rest[64];           /* pipe: what was left after the stream   */
    size_t rest_len;
};

struct writer {
    int fd;
    const uint8_t *p;
    size_t len, chunk;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    size_t done = 0;

    while (done < w->len) {
        size_t n = w->len - done;
        if (w->chunk && n > w->chunk)
            n = w->chunk;
        ssize_t k = write(w->fd, w->p + done, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;              /* the reader stopped early: EPIPE */
        done += (size_t)k;
    }
    close(w->fd);
    return NULL;
}

static void run_stream(struct run *r, const uint8_t *p, size_t len)
{
    struct stream_read_opts opts = { .live = r->live, .verify_image = r->verify,
                                     .xcr0_supported = r->xcr0 ? r->xcr0 : XCR0_HOST };
    struct stream_sink sink = sink_of(&r->sink, r->via != VIA_FILE_NOMAP);

    if (r->via == VIA_PIPE) {
        int fds[2];
        pthread_t th;
        struct writer w = { .p = p, .len = len, .chunk = r->chunk };

        assert_int_equal(pipe(fds), 0);
        if (r->nonblock)
            assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
        w.fd = fds[1];
        assert_int_equal(pthread_create(&th, NULL, writer_main, &w), 0);
        r->rc = stream_read(fds[0], &opts, &sink, &r->st, r->err, sizeof(r->err));
        r->rest_len = 0;
        for (;;) {
            ssize_t k = read(fds[0], r->rest + r->rest_len, sizeof(r->rest) - r->rest_len);
            if (k <= 0 || (r->rest_len += (size_t)k) == sizeof(r->rest))
                break;
        }
        close(fds[0]);
        pthread_join(th, NULL);
        return;
    }
    int fd = memfd_create("stream", MFD_CLOEXEC);
    assert_true(fd >= 0);
    if (r->base) {
        uint8_t junk[8192];
        memset(junk, 0xee, sizeof(junk));
        assert_true(r->base <= sizeof(junk));
        assert_int_equal(write(fd, junk, r->base), (ssize_t)r->base);
    }
    for (size_t done = 0; done < len;) {
        ssize_t k = write(fd, p + done, len - done);
        assert_true(k > 0);
        done += (size_t)k;
    }
    assert_int_equal(lseek(fd, (off_t)r->base, SEEK_SET), (off_t)r->base);
    r->rc = stream_read(fd, &opts, &sink, &r->st, r->err, sizeof(r->err));
    close(fd);
}

static void run_free(struct run *r)
{
    stream_state_free(&r->st);
    tsink_free(&r->sink);
}

/* ---- valid streams ---------------------------------------------------- */

static struct sb *new_sb(enum sb_kind kind)
{
    struct sb *sb = malloc(sizeof(*sb));

    assert_non_null(sb);
    assert_int_equal(sb_default(sb, kind), 0);
    return sb;
}

static void del_sb(struct sb *sb)
{
    sb_free(sb);
    free(sb);
}

/* The state and memory read are exactly what the builder put in. */
static void check_state(struct sb *sb, struct run *r)
{
    struct stream_state *st = &r->st;

    assert_int_equal(r->rc, 0);
    assert_string_equal(r->err, "");
    assert_memory_equal(&st->hdr, &sb->hdr, sizeof(st->hdr));
    assert_memory_equal(&st->dom, sb_body(sb, HV_REC_DOMAIN, 0), sizeof(st->dom));
    assert_int_equal(st->kernel_size, sb->rec[sb_find(sb, HV_REC_KERNEL, 0)].len);
    assert_memory_equal(st->kernel, sb_body(sb, HV_REC_KERNEL, 0), st->kernel_size);
    assert_int_equal(st->toolstack_size, sb->rec[sb_find(sb, HV_REC_TOOLSTACK, 0)].len);
    assert_memory_equal(st->toolstack, sb_body(sb, HV_REC_TOOLSTACK, 0), st->toolstack_size);
    assert_int_equal(st->toolstack[st->toolstack_size], '\0');
    assert_int_equal(st->nr_pages, sb->nr_pages);
    assert_memory_equal(st->balloon,
                        (uint8_t *)sb_body(sb, HV_REC_BALLOON, 0) + sizeof(struct hv_rec_balloon),
                        sb->nr_pages / 8);
    assert_int_equal(st->ballooned, 4);
    for (int i = 0; i < 2; i++) {
        const struct hv_rec_vcpu *v = sb_body(sb, HV_REC_VCPU, i);
        assert_memory_equal(&st->vcpu[v->id], v, sizeof(*v));
    }
    assert_memory_equal(&st->runstate, sb_body(sb, HV_REC_RUNSTATE, 0), sizeof(st->runstate));
    assert_memory_equal(&st->evtchn, sb_body(sb, HV_REC_EVTCHN, 0), sizeof(st->evtchn));
    assert_memory_equal(&st->time, sb_body(sb, HV_REC_TIME, 0), sizeof(st->time));
    assert_memory_equal(&st->console, sb_body(sb, HV_REC_CONSOLE, 0), sizeof(st->console));
    assert_int_equal(st->pages_received, sb->pages_received);
    assert_int_equal(st->bytes, sb->out_len);
    assert_non_null(r->sink.mem);
    for (uint64_t p = 0; p < sb->nr_pages; p++)
        if (memcmp(r->sink.mem + p * HV_PAGE_SIZE, sb->expect + p * HV_PAGE_SIZE, HV_PAGE_SIZE)) {
            fprintf(stderr, "guest page %#llx differs\n", (unsigned long long)p);
            fail();
        }
}

static void test_valid_plain(void **state)
{
    struct sb *sb = new_sb(SB_PLAIN);
    struct run r = { .via = VIA_PIPE };

    (void)state;
    assert_int_equal(sb_serialize(sb), 0);
    run_stream(&r, sb->out, sb->out_len);
    check_state(sb, &r);
    /* 0x110-0x111 and 0x200 (ZERO entries), the balloon's 0x300-0x303. */
    assert_int_equal(r.sink.zero_calls, 3);
    run_free(&r);

    /* The same through a regular file (no MEMORY_IMAGE: nothing to map). */
    struct run f = { .via = VIA_FILE };
    run_stream(&f, sb->out, sb->out_len);
    check_state(sb, &f);
    assert_false(f.st.image_mapped);
    run_free(&f);
    del_sb(sb);
}

static void test_valid_live(void **state)
{
    struct sb *sb = new_sb(SB_LIVE);
    struct run r = { .via = VIA_PIPE, .live = true };

    (void)state;
    assert_int_equal(sb_serialize(sb), 0);
    run_stream(&r, sb->out, sb->out_len);
    /* 0x101 sent twice (the second copy wins), 0x102 sent then zeroed. */
    check_state(sb, &r);
    assert_int_equal(r.st.pages_received, 19 + 4 + 2);
    run_free(&r);
    del_sb(sb);
}

/* Short writes: every read of the reader may come back short, or with
 * EAGAIN on a non-blocking descriptor (as a socket handed over may be). */
static void test_valid_dribbled(void **state)
{
    struct sb *sb = new_sb(SB_LIVE);
    struct run r = { .via = VIA_PIPE, .live = true, .chunk = 7, .nonblock = true };

    (void)state;
    assert_int_equal(sb_serialize(sb), 0);
    run_stream(&r, sb->out, sb->out_len);
    check_state(sb, &r);
    run_free(&r);
    del_sb(sb);
}

static void test_valid_file(void **state)
{
    struct sb *sb = new_sb(SB_FILE);

    (void)state;
    assert_int_equal(sb_serialize(sb), 0);

    /* Mapped: the sink maps the pages, the reader reads none of them. */
    struct run m = { .via = VIA_FILE };
    run_stream(&m, sb->out, sb->out_len);
    check_state(sb, &m);
    assert_true(m.sink.image_called);
    assert_true(m.st.image_mapped);
    assert_int_equal(m.st.image_offset, stream_image_data_offset(sb->rec[sb_find(sb, HV_REC_MEMORY_IMAGE, 0)].off));
    assert_int_equal(m.st.image_hash, sb->image_hash);
    run_free(&m);

    /* At a page-aligned offset in the file: mapped from there. */
    struct run b = { .via = VIA_FILE, .base = 8192 };
    run_stream(&b, sb->out, sb->out_len);
    check_state(sb, &b);
    assert_true(b.st.image_mapped);
    run_free(&b);

    /* At an offset that is not page aligned: cannot map, read instead. */
    struct run u = { .via = VIA_FILE, .base = 100 };
    run_stream(&u, sb->out, sb->out_len);
    check_state(sb, &u);
    assert_false(u.sink.image_called);
    assert_false(u.st.image_mapped);
    run_free(&u);

    /* --verify: read and hashed, not mapped. */
    struct run v = { .via = VIA_FILE, .verify = true };
    run_stream(&v, sb->out, sb->out_len);
    check_state(sb, &v);
    assert_false(v.sink.image_called);
    run_free(&v);

    /* A sink that cannot map (HVE_NOSYS): read. */
    struct run n = { .via = VIA_FILE };
    n.sink.image_ret = -HVE_NOSYS;
    run_stream(&n, sb->out, sb->out_len);
    check_state(sb, &n);
    assert_true(n.sink.image_called);
    assert_false(n.st.image_mapped);
    run_free(&n);

    /* No mapping sink at all, and through a pipe. */
    struct run s = { .via = VIA_FILE_NOMAP };
    run_stream(&s, sb->out, sb->out_len);
    check_state(sb, &s);
    run_free(&s);
    struct run p = { .via = VIA_PIPE, .verify = true };
    run_stream(&p, sb->out, sb->out_len);
    check_state(sb, &p);
    run_free(&p);
    del_sb(sb);
}

/* What follows END (a live connection's handshake) stays unread. */
static void test_stops_at_end(void **state)
{
    struct sb *sb = new_sb(SB_LIVE);
    struct run r = { .via = VIA_PIPE, .live = true };
    static const char after[] = "handshake bytes";

    (void)state;
    assert_int_equal(sb_serialize(sb), 0);
    uint8_t *buf = malloc(sb->out_len + sizeof(after));
    assert_non_null(buf);
    memcpy(buf, sb->out, sb->out_len);
    memcpy(buf + sb->out_len, after, sizeof(after));
    run_stream(&r, buf, sb->out_len + sizeof(after));
    check_state(sb, &r);
    assert_int_equal(r.rest_len, sizeof(after));
    assert_memory_equal(r.rest, after, sizeof(after));
    free(buf);
    run_free(&r);
    del_sb(sb);
}

/* ---- malformed streams ------------------------------------------------ */

#define DOM(sb)   ((struct hv_rec_domain *)sb_body(sb, HV_REC_DOMAIN, 0))
#define VCPU0(sb) ((struct hv_rec_vcpu *)sb_body(sb, HV_REC_VCPU, 1))
#define VCPU1(sb) ((struct hv_rec_vcpu *)sb_body(sb, HV_REC_VCPU, 0))
#define RS(sb)    ((struct hv_rec_runstate *)sb_body(sb, HV_REC_RUNSTATE, 0))
#define EV(sb)    ((struct hv_rec_evtchn *)sb_body(sb, HV_REC_EVTCHN, 0))
#define CON(sb)   ((struct hv_rec_console *)sb_body(sb, HV_REC_CONSOLE, 0))
#define BAL(sb)   ((struct hv_rec_balloon *)sb_body(sb, HV_REC_BALLOON, 0))
#define BALBITS(sb) ((uint64_t *)(BAL(sb) + 1))
#define PG(sb, n) ((struct hv_rec_pages *)sb_body(sb, HV_REC_PAGES, n))
#define REC(sb, t, n) (&(sb)->rec[sb_find(sb, t, n)])
#define AT(sb, t) sb_find(sb, t, 0)

#define MUT(name, ...) static void name(struct sb *sb) { __VA_ARGS__; }

static void xsave_put(struct sb *sb, size_t off, const void *v, size_t n)
{
    memcpy(VCPU0(sb)->xsave + off, v, n);
}

static void add_pages_before_balloon(struct sb *sb, uint64_t e0, uint64_t e1, unsigned n)
{
    uint64_t e[2] = { e0, e1 };
    assert_true(sb_pages(sb, AT(sb, HV_REC_BALLOON), 0, e, n) >= 0);
}

static void add_raw(struct sb *sb, int at, uint32_t type, const void *body, size_t len)
{
    assert_true(sb_insert(sb, at, type, body, len) >= 0);
}

static void move_rec(struct sb *sb, int from, int to)
{
    struct sb_rec r = sb->rec[from];
    memmove(&sb->rec[from], &sb->rec[from + 1], (size_t)(sb->n - from - 1) * sizeof(r));
    sb->n--;
    memmove(&sb->rec[to + 1], &sb->rec[to], (size_t)(sb->n - to) * sizeof(r));
    sb->rec[to] = r;
    sb->n++;
}

static void copy_rec(struct sb *sb, int from, int to)
{
    add_raw(sb, to, sb->rec[from].type, sb->rec[from].body, sb->rec[from].len);
}

/* header */
MUT(m_magic, sb->hdr.magic[0] = 'h')
MUT(m_order_swapped, sb->hdr.byte_order = __builtin_bswap32(HV_STREAM_BYTE_ORDER))
MUT(m_order_bad, sb->hdr.byte_order = 0x12345678)
MUT(m_version, sb->hdr.version = 2)
MUT(m_header_size, sb->hdr.header_size = 40)
MUT(m_page_size, sb->hdr.page_size = 65536)
MUT(m_guest_abi, sb->hdr.guest_abi = 2)
MUT(m_hdr_flags, sb->hdr.flags |= 0x4)
MUT(m_hdr_both, sb->hdr.flags = HV_STREAM_F_LIVE | HV_STREAM_F_FILE)
MUT(m_none, (void)sb)

/* records in general */
MUT(m_unknown_type, uint8_t b[8] = { 0 }; add_raw(sb, 2, 99, b, 8))
MUT(m_type_zero, uint8_t b[8] = { 0 }; add_raw(sb, 2, 0, b, 8))
MUT(m_rec_flags, sb->rec[0].flags = 0x2)
MUT(m_vcpu_unhashed, REC(sb, HV_REC_VCPU, 0)->flags = HV_REC_F_DATA_UNHASHED)
MUT(m_pages_unhashed_plain, REC(sb, HV_REC_PAGES, 1)->flags = HV_REC_F_DATA_UNHASHED)
MUT(m_domain_len, sb->rec[0].length_set = true; sb->rec[0].length = sizeof(struct hv_rec_domain) - 1)
MUT(m_kernel_huge, REC(sb, HV_REC_KERNEL, 0)->length_set = true;
    REC(sb, HV_REC_KERNEL, 0)->length = HV_STREAM_KERNEL_MAX + 1ULL)
MUT(m_kernel_empty, REC(sb, HV_REC_KERNEL, 0)->len = 0)
MUT(m_toolstack_huge, REC(sb, HV_REC_TOOLSTACK, 0)->length_set = true;
    REC(sb, HV_REC_TOOLSTACK, 0)->length = HV_STREAM_TOOLSTACK_MAX + 1ULL)
MUT(m_pages_huge, REC(sb, HV_REC_PAGES, 0)->length_set = true;
    REC(sb, HV_REC_PAGES, 0)->length = 1ULL << 40)
MUT(m_pages_tiny, REC(sb, HV_REC_PAGES, 0)->length_set = true; REC(sb, HV_REC_PAGES, 0)->length = 8)
MUT(m_balloon_len, REC(sb, HV_REC_BALLOON, 0)->length_set = true;
    REC(sb, HV_REC_BALLOON, 0)->length = 8)
MUT(m_vcpu_len, REC(sb, HV_REC_VCPU, 0)->length_set = true;
    REC(sb, HV_REC_VCPU, 0)->length = sizeof(struct hv_rec_vcpu) - 1)
MUT(m_evtchn_len, REC(sb, HV_REC_EVTCHN, 0)->length_set = true;
    REC(sb, HV_REC_EVTCHN, 0)->length = 1ULL << 62)
MUT(m_image_len, REC(sb, HV_REC_MEMORY_IMAGE, 0)->length_set = true;
    REC(sb, HV_REC_MEMORY_IMAGE, 0)->length = 4096)
MUT(m_kernel_pad, REC(sb, HV_REC_KERNEL, 0)->pad_byte = 1)
MUT(m_end_len, uint8_t b[16] = { 0 }; sb->no_end = true; add_raw(sb, -1, HV_REC_END, b, 16))
MUT(m_checksum, sb->checksum_xor = 1)

/* order, duplicates, missing records */
MUT(m_no_domain, sb_remove(sb, 0))
MUT(m_dup_domain, copy_rec(sb, 0, 1))
MUT(m_dup_kernel, copy_rec(sb, 1, 2))
MUT(m_dup_toolstack, copy_rec(sb, 2, 3))
MUT(m_toolstack_first, move_rec(sb, 2, 1))
MUT(m_pages_second, move_rec(sb, 1, 3))
MUT(m_toolstack_late, move_rec(sb, 2, 3))
MUT(m_pages_late, uint64_t e = HV_PAGE_ENTRY(0x190, HV_PAGE_NORMAL);
    assert_true(sb_pages(sb, -1, 0, &e, 1) >= 0))
MUT(m_vcpu_early, move_rec(sb, AT(sb, HV_REC_VCPU), AT(sb, HV_REC_BALLOON)))
MUT(m_evtchn_early, move_rec(sb, AT(sb, HV_REC_EVTCHN), 3))
MUT(m_dup_balloon, copy_rec(sb, AT(sb, HV_REC_BALLOON), AT(sb, HV_REC_BALLOON) + 1))
MUT(m_dup_vcpu0, copy_rec(sb, sb_find(sb, HV_REC_VCPU, 1), AT(sb, HV_REC_CONSOLE) + 1))
MUT(m_dup_evtchn, copy_rec(sb, AT(sb, HV_REC_EVTCHN), AT(sb, HV_REC_TIME)))
MUT(m_dup_runstate, copy_rec(sb, AT(sb, HV_REC_RUNSTATE), AT(sb, HV_REC_CONSOLE) + 1))
MUT(m_dup_time, copy_rec(sb, AT(sb, HV_REC_TIME), AT(sb, HV_REC_TIME) + 1))
MUT(m_dup_console, copy_rec(sb, AT(sb, HV_REC_CONSOLE), AT(sb, HV_REC_CONSOLE) + 1))
MUT(m_no_balloon, int b = AT(sb, HV_REC_BALLOON); while (sb->n > b) sb_remove(sb, sb->n - 1))
MUT(m_no_vcpu1, sb_remove(sb, AT(sb, HV_REC_VCPU)))
MUT(m_no_runstate, sb_remove(sb, AT(sb, HV_REC_RUNSTATE)))
MUT(m_no_evtchn, sb_remove(sb, AT(sb, HV_REC_EVTCHN)))
MUT(m_no_time, sb_remove(sb, AT(sb, HV_REC_TIME)))
MUT(m_no_console, sb_remove(sb, AT(sb, HV_REC_CONSOLE)))
MUT(m_pages_in_file, uint64_t e = HV_PAGE_ENTRY(0x190, 0);
    assert_true(sb_pages(sb, AT(sb, HV_REC_MEMORY_IMAGE), 0, &e, 1) >= 0))
MUT(m_image_in_plain, add_raw(sb, AT(sb, HV_REC_BALLOON), HV_REC_MEMORY_IMAGE, NULL, 0))
MUT(m_no_image, sb_remove(sb, AT(sb, HV_REC_MEMORY_IMAGE)))
MUT(m_no_image_pages, sb_remove(sb, AT(sb, HV_REC_MEMORY_IMAGE)); sb_remove(sb, AT(sb, HV_REC_PAGES)))
MUT(m_file_page_twice, add_pages_before_balloon(sb, HV_PAGE_ENTRY(0x1a, 1), 0, 1))
MUT(m_dup_image, add_raw(sb, AT(sb, HV_REC_BALLOON), HV_REC_MEMORY_IMAGE, NULL, 0))

/* DOMAIN */
MUT(m_name_unterminated, memset(DOM(sb)->name, 'a', sizeof(DOM(sb)->name)))
MUT(m_name_empty, DOM(sb)->name[0] = '\0')
MUT(m_name_chars, strcpy(DOM(sb)->name, "a b\n"))
MUT(m_name_dash, strcpy(DOM(sb)->name, "-x"))
MUT(m_vcpus_zero, DOM(sb)->max_vcpus = 0)
MUT(m_vcpus_many, DOM(sb)->max_vcpus = 17)
MUT(m_mem_unaligned, DOM(sb)->mem_max_bytes += 4096)
MUT(m_mem_small, DOM(sb)->mem_max_bytes = 1ULL << 20)
MUT(m_mem_big, DOM(sb)->mem_max_bytes = 16ULL << 30)
MUT(m_first_free_low, DOM(sb)->first_free_pfn = 0x50)
MUT(m_first_free_high, DOM(sb)->first_free_pfn = 0x401)
MUT(m_entry_low, DOM(sb)->entry_rip = 0x1000)
MUT(m_entry_high, DOM(sb)->entry_rip = MEM_BYTES)
MUT(m_boot_count, DOM(sb)->boot_count = 0)
MUT(m_on_poweroff, DOM(sb)->on_poweroff = HV_STREAM_ACTION_PRESERVE)
MUT(m_on_reboot, DOM(sb)->on_reboot = 7)
MUT(m_on_crash, DOM(sb)->on_crash = 3)
MUT(m_domain_pad, DOM(sb)->pad0 = 1)
MUT(m_cmdline, memset(DOM(sb)->cmdline, 'x', sizeof(DOM(sb)->cmdline)))

/* RUNSTATE */
MUT(m_target_low, RS(sb)->mem_target_kib = 1023)
MUT(m_target_high, RS(sb)->mem_target_kib = 4097)
MUT(m_upcall, RS(sb)->upcall_rip = MEM_BYTES)
MUT(m_state, RS(sb)->state = 3)
MUT(m_shutdown, RS(sb)->shutdown_pending = 3)

/* PAGES */
MUT(m_count_zero, PG(sb, 0)->count = 0)
MUT(m_count_big, PG(sb, 0)->count = HV_STREAM_PAGES_MAX + 1)
MUT(m_pages_pad, PG(sb, 0)->pad0 = 1)
MUT(m_pages_short, uint64_t b[2] = { 3, HV_PAGE_ENTRY(0x190, 1) };
    add_raw(sb, AT(sb, HV_REC_BALLOON), HV_REC_PAGES, b, sizeof(b)))
MUT(m_pages_nodata, uint64_t b[2] = { 1, HV_PAGE_ENTRY(0x190, 0) };
    add_raw(sb, AT(sb, HV_REC_BALLOON), HV_REC_PAGES, b, sizeof(b)))
MUT(m_page_rsvd, add_pages_before_balloon(sb, HV_PAGE_ENTRY(0x150, 0) | (1ULL << 55), 0, 1))
MUT(m_page_type, add_pages_before_balloon(sb, HV_PAGE_ENTRY(0x150, 2), 0, 1))
MUT(m_page_zero_pfn, add_pages_before_balloon(sb, HV_PAGE_ENTRY(0x190, 0), HV_PAGE_ENTRY(0, 1), 2))
MUT(m_page_private, add_pages_before_balloon(sb, HV_PAGE_ENTRY(0x5, 0), 0, 1))
MUT(m_page_outside, add_pages_before_balloon(sb, HV_PAGE_ENTRY(0x400, 1), 0, 1))
MUT(m_page_repeat, add_pages_before_balloon(sb, HV_PAGE_ENTRY(0x100, 1), 0, 1))
MUT(m_page_twice, add_pages_before_balloon(sb, HV_PAGE_ENTRY(0x150, 0), HV_PAGE_ENTRY(0x150, 1), 2))

/* MEMORY_IMAGE */
MUT(m_img_pages, sb->img_nr_pages_xor = 1)
MUT(m_img_offset, sb->img_data_offset_add = 4096)
MUT(m_img_pad, sb->img_pad0 = 1)
MUT(m_img_gap, sb->img_gap_byte = 0x80)
MUT(m_img_private, sb->image[3 * HV_PAGE_SIZE + 5] = 1)
MUT(m_img_hash, sb->img_hash_xor = 1)

/* BALLOON */
MUT(m_bal_pages, BAL(sb)->nr_pages = 0x401)
MUT(m_bal_low, BALBITS(sb)[1] |= 1ULL << 16; BAL(sb)->ballooned = 5)
MUT(m_bal_count, BAL(sb)->ballooned = 5)

/* VCPU (vCPU 0 RUNNING with XSAVE state, vCPU 1 BLOCKED) */
MUT(m_vcpu_id, VCPU1(sb)->id = 2)
MUT(m_vcpu_state, VCPU1(sb)->state = 4)
MUT(m_vcpu0_down, VCPU0(sb)->state = HV_STREAM_VCPU_DOWN)
MUT(m_start_rip, VCPU1(sb)->state = HV_STREAM_VCPU_UP_PENDING; VCPU1(sb)->start.rip = 1ULL << 47)
MUT(m_start_rsp, VCPU1(sb)->state = HV_STREAM_VCPU_UP_PENDING; VCPU1(sb)->start.rip = 0x100000;
    VCPU1(sb)->start.rsp = ~0ULL)
MUT(m_blocked_rax, VCPU1(sb)->regs.rax = 5)
MUT(m_rip, VCPU0(sb)->regs.rip = 0x800000000000ULL)
MUT(m_rsp, VCPU0(sb)->regs.rsp = 0xffff800000000000ULL)
MUT(m_fs_base, VCPU1(sb)->regs.fs_base = 1ULL << 63)
MUT(m_gs_base, VCPU0(sb)->regs.gs_base = 0x0000800000001000ULL)
MUT(m_rflags_if, VCPU0(sb)->regs.rflags = 0x2)
MUT(m_rflags_iopl, VCPU0(sb)->regs.rflags = 0x3202)
MUT(m_rflags_vm, VCPU0(sb)->regs.rflags = 0x20202)
MUT(m_sel_ds, VCPU0(sb)->regs.ds = 0x40)
MUT(m_sel_gs, VCPU1(sb)->regs.gs = 0x2b | 4)
MUT(m_xcr0_x87, VCPU0(sb)->xcr0 = 2)
MUT(m_xcr0_avx, VCPU0(sb)->xcr0 = 5)
MUT(m_xcr0_amx, VCPU0(sb)->xcr0 = 0x60007)
MUT(m_xcr0_avx512, VCPU0(sb)->xcr0 = 0x27)
MUT(m_xcr0_host, VCPU0(sb)->xcr0 = 0xe7)
MUT(m_mxcsr, uint32_t m = 0x10000; xsave_put(sb, 24, &m, 4))
MUT(m_xstate_bv, uint64_t v = 4; xsave_put(sb, 512, &v, 8))
MUT(m_xcomp_bv, uint64_t v = 1ULL << 63; xsave_put(sb, 520, &v, 8))
MUT(m_xsave_rsvd, uint8_t b = 1; xsave_put(sb, 560, &b, 1))

/* EVTCHN */
MUT(m_port0, EV(sb)->port[0] = (struct hv_stream_port){ 2, 0, 0 })
MUT(m_port_type, EV(sb)->port[9].type = 3)
MUT(m_port_free, EV(sb)->port[9].vcpu = 1)
MUT(m_port_virq, EV(sb)->port[9] = (struct hv_stream_port){ 1, VIRQ_NR, 0 })
MUT(m_port_vcpu, EV(sb)->port[9] = (struct hv_stream_port){ 2, 0, 2 })
MUT(m_port_ipi, EV(sb)->port[9] = (struct hv_stream_port){ 2, 1, 0 })
MUT(m_port_dup, EV(sb)->port[9] = (struct hv_stream_port){ 1, VIRQ_CONSOLE, 1 })
MUT(m_port_timer, EV(sb)->port[9] = (struct hv_stream_port){ 1, VIRQ_TIMER, 1 })

/* TIME, CONSOLE */
MUT(m_time_pad, ((struct hv_rec_time *)sb_body(sb, HV_REC_TIME, 0))->pad0 = 1)
MUT(m_history, CON(sb)->history_len = HV_STREAM_CONSOLE_HISTORY + 1)
MUT(m_in_pending, CON(sb)->in_pending_len = HV_CONSOLE_IN_SIZE + 1)

/* Offsets the message names: the nth record of a type, or END. */
#define R(type, nth) (0x10000 | (type) << 8 | (nth))
#define R_END 0x20000

struct bad {
    const char *name;
    enum sb_kind kind;
    void (*mutate)(struct sb *sb);
    int rc;
    const char *fmt;            /* %llu: offsets of a1, a2              */
    unsigned a1, a2;
    int live;                   /* reader's opts.live: -1 as the kind   */
    bool verify;
};

#define P SB_PLAIN
#define L SB_LIVE
#define F SB_FILE
#define PROTO -HVE_PROTO

static const struct bad bad_cases[] = {
    /* header */
    { "magic", P, m_magic, PROTO, "not a domain stream (bad magic)", 0, 0, -1, false },
    { "byte order", P, m_order_swapped, -HVE_VERSION,
      "stream was written on a host of the other byte order", 0, 0, -1, false },
    { "byte order mark", P, m_order_bad, PROTO,
      "stream header: byte order mark 0x12345678 is not 0x1020304", 0, 0, -1, false },
    { "version", P, m_version, -HVE_VERSION,
      "stream version 2 is not supported (this hvcore reads version 1)", 0, 0, -1, false },
    { "header size", P, m_header_size, PROTO, "stream header: header_size 40 (must be 32)", 0, 0, -1, false },
    { "page size", P, m_page_size, -HVE_VERSION,
      "stream page size 65536 is not supported (this hvcore uses 4096)", 0, 0, -1, false },
    { "guest abi", P, m_guest_abi, -HVE_VERSION,
      "stream guest ABI 2 is not supported (this hvcore offers guest ABI 1)", 0, 0, -1, false },
    { "header flags", P, m_hdr_flags, PROTO, "stream header: unknown flags 0x4", 0, 0, -1, false },
    { "live and file", P, m_hdr_both, PROTO, "stream header: flags LIVE and FILE together", 0, 0, -1, false },
    { "live to restore", L, m_none, PROTO, "stream is a live migration stream, not a saved domain", 0, 0, 0, false },
    { "file to incoming", F, m_none, PROTO, "stream is a saved domain, not a live migration stream", 0, 0, 1, false },

    /* records */
    { "unknown type", P, m_unknown_type, PROTO, "record at offset %llu has unknown type 99", R(99, 0), 0, -1, false },
    { "type 0", P, m_type_zero, PROTO, "record at offset %llu has unknown type 0", R(0, 0), 0, -1, false },
    { "record flags", P, m_rec_flags, PROTO, "DOMAIN record at offset 32: unknown flags 0x2", 0, 0, -1, false },
    { "unhashed vcpu", L, m_vcpu_unhashed, PROTO,
      "VCPU record at offset %llu: flag DATA_UNHASHED is only for PAGES of a live stream",
      R(HV_REC_VCPU, 0), 0, -1, false },
    { "unhashed not live", P, m_pages_unhashed_plain, PROTO,
      "PAGES record at offset %llu: flag DATA_UNHASHED is only for PAGES of a live stream",
      R(HV_REC_PAGES, 1), 0, -1, false },
    { "domain length", P, m_domain_len, PROTO, "DOMAIN record at offset 32: length 1143 (must be 1144)", 0, 0, -1, false },
    { "kernel length", P, m_kernel_huge, PROTO,
      "KERNEL record at offset %llu: length 268435457 is above the limit 268435456", R(HV_REC_KERNEL, 0), 0, -1, false },
    { "kernel empty", P, m_kernel_empty, PROTO, "KERNEL record at offset %llu: the kernel is empty",
      R(HV_REC_KERNEL, 0), 0, -1, false },
    { "toolstack length", P, m_toolstack_huge, PROTO,
      "TOOLSTACK record at offset %llu: length 1048577 is above the limit 1048576", R(HV_REC_TOOLSTACK, 0), 0, -1, false },
    { "pages length", P, m_pages_huge, PROTO,
      "PAGES record at offset %llu: length 1099511627776 is not between 16 and 4202504", R(HV_REC_PAGES, 0), 0, -1, false },
    { "pages length small", L, m_pages_tiny, PROTO,
      "PAGES record at offset %llu: length 8 is not between 16 and 4202504", R(HV_REC_PAGES, 0), 0, -1, false },
    { "balloon length", P, m_balloon_len, PROTO,
      "BALLOON record at offset %llu: length 8 (must be 144 for 0x400 pages)", R(HV_REC_BALLOON, 0), 0, -1, false },
    { "vcpu length", P, m_vcpu_len, PROTO, "VCPU record at offset %llu: length 4335 (must be 4336)",
      R(HV_REC_VCPU, 0), 0, -1, false },
    { "evtchn length", P, m_evtchn_len, PROTO,
      "EVTCHN record at offset %llu: length 4611686018427387904 (must be 256)", R(HV_REC_EVTCHN, 0), 0, -1, false },
    { "padding", P, m_kernel_pad, PROTO, "KERNEL record at offset %llu: nonzero padding after the body",
      R(HV_REC_KERNEL, 0), 0, -1, false },
    { "end length", P, m_end_len, PROTO, "END record at offset %llu: length 16 (must be 8)", R(HV_REC_END, 0), 0, -1, false },

    /* order */
    { "no domain", P, m_no_domain, PROTO, "KERNEL record at offset 32: the first record must be DOMAIN", 0, 0, -1, false },
    { "dup domain", P, m_dup_domain, PROTO,
      "DOMAIN record at offset %llu: a second DOMAIN record (the first is at offset 32)", R(HV_REC_DOMAIN, 1), 0, -1, false },
    { "dup kernel", P, m_dup_kernel, PROTO,
      "KERNEL record at offset %llu: a second KERNEL record (the first is at offset %llu)",
      R(HV_REC_KERNEL, 1), R(HV_REC_KERNEL, 0), -1, false },
    { "dup toolstack", P, m_dup_toolstack, PROTO,
      "TOOLSTACK record at offset %llu: a second TOOLSTACK record (the first is at offset %llu)",
      R(HV_REC_TOOLSTACK, 1), R(HV_REC_TOOLSTACK, 0), -1, false },
    { "toolstack first", P, m_toolstack_first, PROTO,
      "TOOLSTACK record at offset %llu: KERNEL must come right after DOMAIN", R(HV_REC_TOOLSTACK, 0), 0, -1, false },
    { "pages second", P, m_pages_second, PROTO,
      "TOOLSTACK record at offset %llu: KERNEL must come right after DOMAIN", R(HV_REC_TOOLSTACK, 0), 0, -1, false },
    { "toolstack late", L, m_toolstack_late, PROTO,
      "TOOLSTACK record at offset %llu: TOOLSTACK must come right after KERNEL", R(HV_REC_TOOLSTACK, 0), 0, -1, false },
    { "pages after balloon", P, m_pages_late, PROTO,
      "PAGES record at offset %llu: memory after the BALLOON record at offset %llu",
      R(HV_REC_PAGES, 2), R(HV_REC_BALLOON, 0), -1, false },
    { "vcpu before balloon", P, m_vcpu_early, PROTO,
      "VCPU record at offset %llu: before the BALLOON record (memory and BALLOON come first)",
      R(HV_REC_VCPU, 0), 0, -1, false },
    { "evtchn before balloon", F, m_evtchn_early, PROTO,
      "EVTCHN record at offset %llu: before the BALLOON record (memory and BALLOON come first)",
      R(HV_REC_EVTCHN, 0), 0, -1, false },
    { "dup balloon", P, m_dup_balloon, PROTO,
      "BALLOON record at offset %llu: a second BALLOON record (the first is at offset %llu)",
      R(HV_REC_BALLOON, 1), R(HV_REC_BALLOON, 0), -1, false },
    { "dup vcpu", P, m_dup_vcpu0, PROTO,
      "VCPU record at offset %llu: a second record for vCPU 0 (the first is at offset %llu)",
      R(HV_REC_VCPU, 2), R(HV_REC_VCPU, 1), -1, false },
    { "dup evtchn", L, m_dup_evtchn, PROTO,
      "EVTCHN record at offset %llu: a second EVTCHN record (the first is at offset %llu)",
      R(HV_REC_EVTCHN, 1), R(HV_REC_EVTCHN, 0), -1, false },
    { "dup runstate", P, m_dup_runstate, PROTO,
      "RUNSTATE record at offset %llu: a second RUNSTATE record (the first is at offset %llu)",
      R(HV_REC_RUNSTATE, 1), R(HV_REC_RUNSTATE, 0), -1, false },
    { "dup time", P, m_dup_time, PROTO,
      "TIME record at offset %llu: a second TIME record (the first is at offset %llu)",
      R(HV_REC_TIME, 1), R(HV_REC_TIME, 0), -1, false },
    { "dup console", F, m_dup_console, PROTO,
      "CONSOLE record at offset %llu: a second CONSOLE record (the first is at offset %llu)",
      R(HV_REC_CONSOLE, 1), R(HV_REC_CONSOLE, 0), -1, false },
    { "no balloon", P, m_no_balloon, PROTO, "END record at offset %llu: no BALLOON record", R_END, 0, -1, false },
    { "no vcpu 1", P, m_no_vcpu1, PROTO, "END record at offset %llu: no VCPU record for vCPU 1", R_END, 0, -1, false },
    { "no runstate", L, m_no_runstate, PROTO, "END record at offset %llu: no RUNSTATE record", R_END, 0, -1, false },
    { "no evtchn", P, m_no_evtchn, PROTO, "END record at offset %llu: no EVTCHN record", R_END, 0, -1, false },
    { "no time", F, m_no_time, PROTO, "END record at offset %llu: no TIME record", R_END, 0, -1, false },
    { "no console", P, m_no_console, PROTO, "END record at offset %llu: no CONSOLE record", R_END, 0, -1, false },
    { "pages in file", F, m_pages_in_file, PROTO,
      "PAGES record at offset %llu: a save file carries PAGES only after its MEMORY_IMAGE",
      R(HV_REC_PAGES, 0), 0, -1, false },
    { "image not file", P, m_image_in_plain, PROTO,
      "MEMORY_IMAGE record at offset %llu: only a save file (header flag FILE) carries a memory image",
      R(HV_REC_MEMORY_IMAGE, 0), 0, -1, false },
    { "no image", F, m_no_image, PROTO,
      "PAGES record at offset %llu: a save file carries PAGES only after its MEMORY_IMAGE",
      R(HV_REC_PAGES, 0), 0, -1, false },
    { "no memory", F, m_no_image_pages, PROTO, "BALLOON record at offset %llu: before the MEMORY_IMAGE record",
      R(HV_REC_BALLOON, 0), 0, -1, false },
    { "file page twice", F, m_file_page_twice, PROTO,
      "PAGES record at offset %llu: page 0x1a was sent before (a stream that is not live sends each page once)",
      R(HV_REC_PAGES, 1), 0, -1, false },
    { "dup image", F, m_dup_image, PROTO,
      "MEMORY_IMAGE record at offset %llu: a second MEMORY_IMAGE record (the first is at offset %llu)",
      R(HV_REC_MEMORY_IMAGE, 1), R(HV_REC_MEMORY_IMAGE, 0), -1, false },

    /* DOMAIN */
    { "name unterminated", P, m_name_unterminated, PROTO, "DOMAIN record at offset 32: name is not NUL-terminated", 0, 0, -1, false },
    { "name empty", P, m_name_empty, PROTO, "DOMAIN record at offset 32: name '' is empty", 0, 0, -1, false },
    { "name chars", P, m_name_chars, PROTO,
      "DOMAIN record at offset 32: name 'a b\\x0a' may contain only letters, digits, '.', '_' and '-'", 0, 0, -1, false },
    { "name dash", P, m_name_dash, PROTO, "DOMAIN record at offset 32: name '-x' starts with '.' or '-'", 0, 0, -1, false },
    { "vcpus 0", P, m_vcpus_zero, PROTO, "DOMAIN record at offset 32: max_vcpus 0 is not between 1 and 16", 0, 0, -1, false },
    { "vcpus 17", P, m_vcpus_many, PROTO, "DOMAIN record at offset 32: max_vcpus 17 is not between 1 and 16", 0, 0, -1, false },
    { "mem unaligned", P, m_mem_unaligned, PROTO,
      "DOMAIN record at offset 32: mem_max_bytes 4198400 is not a whole number of MiB", 0, 0, -1, false },
    { "mem small", P, m_mem_small, PROTO,
      "DOMAIN record at offset 32: memory of 1 MiB is not between 2 and 8192 MiB", 0, 0, -1, false },
    { "mem big", P, m_mem_big, PROTO,
      "DOMAIN record at offset 32: memory of 16384 MiB is not between 2 and 8192 MiB", 0, 0, -1, false },
    { "first free low", P, m_first_free_low, PROTO,
      "DOMAIN record at offset 32: first_free_pfn 0x50 is outside guest RAM (0x100..0x400)", 0, 0, -1, false },
    { "first free high", P, m_first_free_high, PROTO,
      "DOMAIN record at offset 32: first_free_pfn 0x401 is outside guest RAM (0x100..0x400)", 0, 0, -1, false },
    { "entry low", P, m_entry_low, PROTO,
      "DOMAIN record at offset 32: entry_rip 0x1000 is outside the kernel's part of guest RAM (0x100000..0x3fffff)", 0, 0, -1, false },
    { "entry high", P, m_entry_high, PROTO,
      "DOMAIN record at offset 32: entry_rip 0x400000 is outside the kernel's part of guest RAM (0x100000..0x3fffff)", 0, 0, -1, false },
    { "boot count", P, m_boot_count, PROTO,
      "DOMAIN record at offset 32: boot_count 0 (the domain booted at least once)", 0, 0, -1, false },
    { "on_poweroff", P, m_on_poweroff, PROTO,
      "DOMAIN record at offset 32: on_poweroff 2 is not destroy (0) or restart (1)", 0, 0, -1, false },
    { "on_reboot", P, m_on_reboot, PROTO,
      "DOMAIN record at offset 32: on_reboot 7 is not destroy (0) or restart (1)", 0, 0, -1, false },
    { "on_crash", P, m_on_crash, PROTO,
      "DOMAIN record at offset 32: on_crash 3 is not destroy (0), restart (1) or preserve (2)", 0, 0, -1, false },
    { "domain pad", P, m_domain_pad, PROTO, "DOMAIN record at offset 32: nonzero padding (pad0)", 0, 0, -1, false },
    { "cmdline", P, m_cmdline, PROTO, "DOMAIN record at offset 32: cmdline is not NUL-terminated", 0, 0, -1, false },

    /* RUNSTATE */
    { "target low", P, m_target_low, PROTO,
      "RUNSTATE record at offset %llu: mem_target_kib 1023 is not between 1024 and 4096", R(HV_REC_RUNSTATE, 0), 0, -1, false },
    { "target high", P, m_target_high, PROTO,
      "RUNSTATE record at offset %llu: mem_target_kib 4097 is not between 1024 and 4096", R(HV_REC_RUNSTATE, 0), 0, -1, false },
    { "upcall", P, m_upcall, PROTO,
      "RUNSTATE record at offset %llu: upcall_rip 0x400000 is outside guest RAM (0x400000 bytes)", R(HV_REC_RUNSTATE, 0), 0, -1, false },
    { "state", P, m_state, PROTO,
      "RUNSTATE record at offset %llu: state 3 is neither RUNNING (1) nor PAUSED (2)", R(HV_REC_RUNSTATE, 0), 0, -1, false },
    { "shutdown pending", P, m_shutdown, PROTO,
      "RUNSTATE record at offset %llu: shutdown_pending 3 is not a SHUTDOWN_REQUEST_* value", R(HV_REC_RUNSTATE, 0), 0, -1, false },

    /* PAGES */
    { "count 0", P, m_count_zero, PROTO, "PAGES record at offset %llu: count 0 is not between 1 and 1024",
      R(HV_REC_PAGES, 0), 0, -1, false },
    { "count big", L, m_count_big, PROTO, "PAGES record at offset %llu: count 1025 is not between 1 and 1024",
      R(HV_REC_PAGES, 0), 0, -1, false },
    { "pages pad", P, m_pages_pad, PROTO, "PAGES record at offset %llu: nonzero padding (pad0)",
      R(HV_REC_PAGES, 0), 0, -1, false },
    { "pages short", P, m_pages_short, PROTO, "PAGES record at offset %llu: length 16 cannot hold 3 entries",
      R(HV_REC_PAGES, 2), 0, -1, false },
    { "pages no data", P, m_pages_nodata, PROTO,
      "PAGES record at offset %llu: length 16 is not the 4112 its 1 entries need", R(HV_REC_PAGES, 2), 0, -1, false },
    { "entry reserved", P, m_page_rsvd, PROTO,
      "PAGES record at offset %llu: entry 0x80000000000150 has reserved bits 52..59 set", R(HV_REC_PAGES, 2), 0, -1, false },
    { "page type", L, m_page_type, PROTO,
      "PAGES record at offset %llu: page 0x150 has unknown page type 2", R(HV_REC_PAGES, 3), 0, -1, false },
    { "page 0", P, m_page_zero_pfn, PROTO,
      "PAGES record at offset %llu: page 0x0 never travels (it is not mapped)", R(HV_REC_PAGES, 2), 0, -1, false },
    { "private page", P, m_page_private, PROTO,
      "PAGES record at offset %llu: page 0x5 is hypervisor-private (the receiver builds pages 0x1..0x17 itself)",
      R(HV_REC_PAGES, 2), 0, -1, false },
    { "page outside", L, m_page_outside, PROTO,
      "PAGES record at offset %llu: page 0x400 is outside guest RAM (0x400 pages)", R(HV_REC_PAGES, 3), 0, -1, false },
    { "page repeated", P, m_page_repeat, PROTO,
      "PAGES record at offset %llu: page 0x100 was sent before (a stream that is not live sends each page once)",
      R(HV_REC_PAGES, 2), 0, -1, false },
    { "page twice in batch", L, m_page_twice, PROTO,
      "PAGES record at offset %llu: page 0x150 is twice in the batch", R(HV_REC_PAGES, 3), 0, -1, false },

    /* MEMORY_IMAGE */
    { "image pages", F, m_img_pages, PROTO,
      "MEMORY_IMAGE record at offset %llu: nr_pages 0x401 is not the domain's 0x400", R(HV_REC_MEMORY_IMAGE, 0), 0, -1, false },
    { "image pad", F, m_img_pad, PROTO, "MEMORY_IMAGE record at offset %llu: nonzero padding (pad0)",
      R(HV_REC_MEMORY_IMAGE, 0), 0, -1, false },
    { "image gap", F, m_img_gap, PROTO,
      "MEMORY_IMAGE record at offset %llu: nonzero bytes before the page data", R(HV_REC_MEMORY_IMAGE, 0), 0, -1, false },
    { "image private", F, m_img_private, PROTO,
      "MEMORY_IMAGE record at offset %llu: page 0x3 is not zero (pages 0x0..0x17 never travel)",
      R(HV_REC_MEMORY_IMAGE, 0), 0, -1, false },
    { "image private verify", F, m_img_private, PROTO,
      "MEMORY_IMAGE record at offset %llu: page 0x3 is not zero (pages 0x0..0x17 never travel)",
      R(HV_REC_MEMORY_IMAGE, 0), 0, -1, true },

    /* BALLOON */
    { "balloon pages", P, m_bal_pages, PROTO,
      "BALLOON record at offset %llu: nr_pages 0x401 is not the domain's 0x400", R(HV_REC_BALLOON, 0), 0, -1, false },
    { "balloon low", L, m_bal_low, PROTO,
      "BALLOON record at offset %llu: page 0x50 is ballooned, but only pages 0x100..0x3ff can be",
      R(HV_REC_BALLOON, 0), 0, -1, false },
    { "balloon count", F, m_bal_count, PROTO,
      "BALLOON record at offset %llu: ballooned is 5, but the bitmap has 4 pages", R(HV_REC_BALLOON, 0), 0, -1, false },

    /* VCPU */
    { "vcpu id", P, m_vcpu_id, PROTO, "VCPU record at offset %llu: vCPU 2 is beyond max_vcpus 2",
      R(HV_REC_VCPU, 0), 0, -1, false },
    { "vcpu state", P, m_vcpu_state, PROTO, "VCPU record at offset %llu: vCPU 1 has unknown state 4",
      R(HV_REC_VCPU, 0), 0, -1, false },
    { "vcpu 0 down", P, m_vcpu0_down, PROTO,
      "VCPU record at offset %llu: vCPU 0 is DOWN (vCPU 0 never goes down)", R(HV_REC_VCPU, 1), 0, -1, false },
    { "start rip", P, m_start_rip, PROTO,
      "VCPU record at offset %llu: vCPU 1: start rip 0x800000000000 is not a lower-half canonical address",
      R(HV_REC_VCPU, 0), 0, -1, false },
    { "start rsp", P, m_start_rsp, PROTO,
      "VCPU record at offset %llu: vCPU 1: start rsp 0xffffffffffffffff is not a lower-half canonical address",
      R(HV_REC_VCPU, 0), 0, -1, false },
    { "blocked rax", P, m_blocked_rax, PROTO,
      "VCPU record at offset %llu: vCPU 1 is BLOCKED but rax is 0x5 (SCHEDOP_block returns 0)", R(HV_REC_VCPU, 0), 0, -1, false },
    { "rip", P, m_rip, PROTO,
      "VCPU record at offset %llu: vCPU 0: rip 0x800000000000 is not a lower-half canonical address", R(HV_REC_VCPU, 1), 0, -1, false },
    { "rsp", L, m_rsp, PROTO,
      "VCPU record at offset %llu: vCPU 0: rsp 0xffff800000000000 is not a lower-half canonical address", R(HV_REC_VCPU, 1), 0, -1, false },
    { "fs_base", P, m_fs_base, PROTO,
      "VCPU record at offset %llu: vCPU 1: fs_base 0x8000000000000000 is not a lower-half canonical address", R(HV_REC_VCPU, 0), 0, -1, false },
    { "gs_base", F, m_gs_base, PROTO,
      "VCPU record at offset %llu: vCPU 0: gs_base 0x800000001000 is not a lower-half canonical address", R(HV_REC_VCPU, 1), 0, -1, false },
    { "rflags IF", P, m_rflags_if, PROTO,
      "VCPU record at offset %llu: vCPU 0: rflags 0x2 lacks IF or bit 1 (both always set)", R(HV_REC_VCPU, 1), 0, -1, false },
    { "rflags IOPL", P, m_rflags_iopl, PROTO,
      "VCPU record at offset %llu: vCPU 0: rflags 0x3202 has IOPL 3 (a guest runs at IOPL 0)", R(HV_REC_VCPU, 1), 0, -1, false },
    { "rflags VM", P, m_rflags_vm, PROTO,
      "VCPU record at offset %llu: vCPU 0: rflags 0x20202 has bits 0x20000 a CPL-3 guest cannot set", R(HV_REC_VCPU, 1), 0, -1, false },
    { "selector ds", P, m_sel_ds, PROTO,
      "VCPU record at offset %llu: vCPU 0: selector ds 0x40 is neither null nor a user segment (0x20-0x37 of the GDT)",
      R(HV_REC_VCPU, 1), 0, -1, false },
    { "selector gs", P, m_sel_gs, PROTO,
      "VCPU record at offset %llu: vCPU 1: selector gs 0x2f is neither null nor a user segment (0x20-0x37 of the GDT)",
      R(HV_REC_VCPU, 0), 0, -1, false },
    { "xcr0 x87", P, m_xcr0_x87, PROTO,
      "VCPU record at offset %llu: vCPU 0: xcr0 0x2 is not a valid XCR0 (x87 off, or AVX without SSE)",
      R(HV_REC_VCPU, 1), 0, -1, false },
    { "xcr0 avx", P, m_xcr0_avx, PROTO,
      "VCPU record at offset %llu: vCPU 0: xcr0 0x5 is not a valid XCR0 (x87 off, or AVX without SSE)",
      R(HV_REC_VCPU, 1), 0, -1, false },
    { "xcr0 amx", P, m_xcr0_amx, PROTO,
      "VCPU record at offset %llu: vCPU 0: xcr0 0x60007 has state beyond the 4096-byte XSAVE area", R(HV_REC_VCPU, 1), 0, -1, false },
    { "xcr0 avx512", P, m_xcr0_avx512, PROTO,
      "VCPU record at offset %llu: vCPU 0: xcr0 0x27 is not a valid XCR0 (AVX-512 or MPX bits incomplete)",
      R(HV_REC_VCPU, 1), 0, -1, false },
    { "xcr0 host", P, m_xcr0_host, PROTO,
      "VCPU record at offset %llu: vCPU 0: xcr0 0xe7 has features this host lacks (it offers 0x7)", R(HV_REC_VCPU, 1), 0, -1, false },
    { "mxcsr", P, m_mxcsr, PROTO, "VCPU record at offset %llu: vCPU 0: MXCSR 0x10000 has reserved bits set",
      R(HV_REC_VCPU, 1), 0, -1, false },
    { "xstate_bv", P, m_xstate_bv, PROTO,
      "VCPU record at offset %llu: vCPU 0: XSAVE header: xstate_bv 0x4 is not within xcr0 0x3", R(HV_REC_VCPU, 1), 0, -1, false },
    { "xcomp_bv", P, m_xcomp_bv, PROTO,
      "VCPU record at offset %llu: vCPU 0: XSAVE header: xcomp_bv 0x8000000000000000 (only the standard format travels)",
      R(HV_REC_VCPU, 1), 0, -1, false },
    { "xsave reserved", P, m_xsave_rsvd, PROTO,
      "VCPU record at offset %llu: vCPU 0: XSAVE header: reserved byte 560 is not zero", R(HV_REC_VCPU, 1), 0, -1, false },

    /* EVTCHN */
    { "port 0", P, m_port0, PROTO, "EVTCHN record at offset %llu: port 0 is bound (port 0 is never valid)",
      R(HV_REC_EVTCHN, 0), 0, -1, false },
    { "port type", P, m_port_type, PROTO, "EVTCHN record at offset %llu: port 9 has unknown type 3",
      R(HV_REC_EVTCHN, 0), 0, -1, false },
    { "free port", P, m_port_free, PROTO, "EVTCHN record at offset %llu: free port 9 has a virq or vcpu",
      R(HV_REC_EVTCHN, 0), 0, -1, false },
    { "port virq", P, m_port_virq, PROTO, "EVTCHN record at offset %llu: port 9: VIRQ 5 does not exist",
      R(HV_REC_EVTCHN, 0), 0, -1, false },
    { "port vcpu", P, m_port_vcpu, PROTO, "EVTCHN record at offset %llu: port 9: vCPU 2 is beyond max_vcpus 2",
      R(HV_REC_EVTCHN, 0), 0, -1, false },
    { "ipi virq", P, m_port_ipi, PROTO, "EVTCHN record at offset %llu: IPI port 9 has virq 1 (must be 0)",
      R(HV_REC_EVTCHN, 0), 0, -1, false },
    { "virq twice", P, m_port_dup, PROTO, "EVTCHN record at offset %llu: port 9 binds VIRQ 1, as port 3 does",
      R(HV_REC_EVTCHN, 0), 0, -1, false },
    { "timer twice", P, m_port_timer, PROTO,
      "EVTCHN record at offset %llu: port 9 binds VIRQ_TIMER of vCPU 1, as port 2 does", R(HV_REC_EVTCHN, 0), 0, -1, false },

    /* TIME, CONSOLE */
    { "time pad", P, m_time_pad, PROTO, "TIME record at offset %llu: nonzero padding (pad0)", R(HV_REC_TIME, 0), 0, -1, false },
    { "history", P, m_history, PROTO, "CONSOLE record at offset %llu: history_len 8193 is above 8192",
      R(HV_REC_CONSOLE, 0), 0, -1, false },
    { "in pending", P, m_in_pending, PROTO, "CONSOLE record at offset %llu: in_pending_len 1025 is above 1024",
      R(HV_REC_CONSOLE, 0), 0, -1, false },
};

static unsigned long long off_of(const struct sb *sb, unsigned sel)
{
    if (sel == R_END)
        return sb->end_off;
    int i = sb_find(sb, (sel >> 8) & 0xff, (int)(sel & 0xff));
    assert_true(i >= 0);
    return sb->rec[i].off;
}

/* One malformed stream through every way in that its kind has. */
static void expect_refused(struct sb *sb, int live, bool verify, int rc, const char *expect)
{
    enum via vias[3] = { VIA_PIPE, VIA_FILE, VIA_FILE_NOMAP };
    int n = sb->kind == SB_FILE ? 3 : 1;

    for (int k = 0; k < n; k++) {
        struct run r = { .via = vias[k], .live = live, .verify = verify };
        run_stream(&r, sb->out, sb->out_len);
        if (r.rc != rc || strcmp(r.err, expect) != 0) {
            fprintf(stderr, "via %d: got %d '%s'\n   want %d '%s'\n", k, r.rc, r.err, rc, expect);
            fail();
        }
        /* Refused: the state is freed and zeroed. */
        assert_null(r.st.kernel);
        assert_null(r.st.balloon);
        assert_int_equal(r.st.bytes, 0);
        run_free(&r);
    }
}

static void test_malformed(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        const struct bad *c = &bad_cases[i];
        struct sb *sb = new_sb(c->kind);
        char expect[512];

        c->mutate(sb);
        assert_int_equal(sb_serialize(sb), 0);
        /* The formats are the table's, each with at most two %llu. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        snprintf(expect, sizeof(expect), c->fmt, c->a1 ? off_of(sb, c->a1) : 0ULL,
                 c->a2 ? off_of(sb, c->a2) : 0ULL);
#pragma GCC diagnostic pop
        fprintf(stderr, "case '%s'\n", c->name);
        expect_refused(sb, c->live >= 0 ? c->live : c->kind == SB_LIVE, c->verify, c->rc, expect);
        del_sb(sb);
    }
}

/* Messages with values only known once the stream is built. */
static void test_malformed_computed(void **state)
{
    char expect[512];
    struct sb *sb;
    unsigned long long off;

    (void)state;
    /* END's checksum. */
    sb = new_sb(SB_LIVE);
    m_checksum(sb);
    assert_int_equal(sb_serialize(sb), 0);
    snprintf(expect, sizeof(expect),
             "END record at offset %llu: checksum mismatch (stream says %#llx, computed %#llx)",
             (unsigned long long)sb->end_off, (unsigned long long)(sb->checksum ^ 1),
             (unsigned long long)sb->checksum);
    expect_refused(sb, 1, false, -HVE_PROTO, expect);
    del_sb(sb);

    /* The image hash, with --verify (without, it is not looked at). */
    sb = new_sb(SB_FILE);
    m_img_hash(sb);
    assert_int_equal(sb_serialize(sb), 0);
    off = off_of(sb, R(HV_REC_MEMORY_IMAGE, 0));
    snprintf(expect, sizeof(expect),
             "MEMORY_IMAGE record at offset %llu: image hash mismatch (stream says %#llx, computed %#llx)",
             off, (unsigned long long)(sb->image_hash ^ 1), (unsigned long long)sb->image_hash);
    expect_refused(sb, 0, true, -HVE_PROTO, expect);
    struct run ok = { .via = VIA_FILE };
    run_stream(&ok, sb->out, sb->out_len);
    check_state(sb, &ok);
    run_free(&ok);
    del_sb(sb);

    /* data_offset and the length of MEMORY_IMAGE. */
    sb = new_sb(SB_FILE);
    m_img_offset(sb);
    assert_int_equal(sb_serialize(sb), 0);
    off = off_of(sb, R(HV_REC_MEMORY_IMAGE, 0));
    snprintf(expect, sizeof(expect),
             "MEMORY_IMAGE record at offset %llu: data_offset %llu is not %llu (the first page boundary after its structure)",
             off, (unsigned long long)stream_image_data_offset(off) + 4096,
             (unsigned long long)stream_image_data_offset(off));
    expect_refused(sb, 0, false, -HVE_PROTO, expect);
    del_sb(sb);

    sb = new_sb(SB_FILE);
    m_image_len(sb);
    assert_int_equal(sb_serialize(sb), 0);
    off = off_of(sb, R(HV_REC_MEMORY_IMAGE, 0));
    snprintf(expect, sizeof(expect),
             "MEMORY_IMAGE record at offset %llu: length 4096 (must be %llu for 0x400 pages)", off,
             (unsigned long long)stream_image_length(off, 0x400));
    expect_refused(sb, 0, false, -HVE_PROTO, expect);
    del_sb(sb);
}

/* ---- truncation ------------------------------------------------------- */

static void trunc_expect(const struct sb *sb, size_t cut, char *buf, size_t len)
{
    if (cut < sizeof(struct hv_stream_header)) {
        snprintf(buf, len, "stream ended at offset %zu inside the stream header", cut);
        return;
    }
    /* The record that contains cut (END: sb->end_off). */
    int i;
    uint64_t start = sb->end_off;
    uint32_t type = HV_REC_END;
    for (i = 0; i < sb->n; i++) {
        uint64_t next = i + 1 < sb->n ? sb->rec[i + 1].off : sb->end_off;
        if (cut >= sb->rec[i].off && cut < next) {
            start = sb->rec[i].off;
            type = sb->rec[i].type;
            break;
        }
    }
    if (cut == start && start == sizeof(struct hv_stream_header))
        snprintf(buf, len, "stream ended at offset %zu after the stream header (no END record)", cut);
    else if (cut == start)
        snprintf(buf, len, "stream ended at offset %zu after the %s record at offset %llu (no END record)",
                 cut, stream_rec_name(sb->rec[i - 1].type), (unsigned long long)sb->rec[i - 1].off);
    else if (cut < start + sizeof(struct hv_stream_rec))
        snprintf(buf, len, "stream ended at offset %zu inside the record header at offset %llu", cut,
                 (unsigned long long)start);
    else
        snprintf(buf, len, "stream ended at offset %zu inside the %s record at offset %llu", cut,
                 stream_rec_name(type), (unsigned long long)start);
}

static void truncate_kind(enum sb_kind kind)
{
    struct sb *sb = new_sb(kind);
    size_t cuts[1024];
    unsigned n = 0;
    char expect[256];

    assert_int_equal(sb_serialize(sb), 0);
    for (size_t c = 0; c < sizeof(struct hv_stream_header); c++)
        cuts[n++] = c;
    for (int i = 0; i <= sb->n; i++) {
        uint64_t off = i < sb->n ? sb->rec[i].off : sb->end_off;
        uint64_t end = i + 1 < sb->n ? sb->rec[i + 1].off : i < sb->n ? sb->end_off : sb->out_len;
        uint64_t at[] = { off, off + 1, off + 15, off + 16, off + 24, (off + end) / 2, end - 1 };
        for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++)
            if (at[k] < sb->out_len && at[k] < end)
                cuts[n++] = (size_t)at[k];
    }
    for (unsigned k = 0; k < n; k++) {
        trunc_expect(sb, cuts[k], expect, sizeof(expect));
        enum via vias[2] = { VIA_PIPE, VIA_FILE };
        for (int v = 0; v < (kind == SB_FILE ? 2 : 1); v++) {
            struct run r = { .via = vias[v], .live = kind == SB_LIVE };
            run_stream(&r, sb->out, cuts[k]);
            if (r.rc != -HVE_IO || strcmp(r.err, expect) != 0) {
                fprintf(stderr, "cut at %zu via %d: got %d '%s'\n   want '%s'\n", cuts[k], v,
                        r.rc, r.err, expect);
                fail();
            }
            run_free(&r);
        }
    }
    del_sb(sb);
}

static void test_truncated(void **state)
{
    (void)state;
    truncate_kind(SB_PLAIN);
    truncate_kind(SB_LIVE);
    truncate_kind(SB_FILE);
}

/* ---- bit flips -------------------------------------------------------- */

/* Flip a bit in the middle of each record's body (for PAGES also in its
 * first entry; for MEMORY_IMAGE in its structure: the page data is only
 * checked with --verify): refused, naming that record or END's checksum. */
static void flip_kind(enum sb_kind kind)
{
    struct sb *sb = new_sb(kind);

    assert_int_equal(sb_serialize(sb), 0);
    for (int i = 0; i < sb->n; i++) {
        const struct sb_rec *rec = &sb->rec[i];
        uint64_t body = rec->off + sizeof(struct hv_stream_rec);
        uint64_t at[2] = { body + rec->len / 2, body + 8 };
        int nat = rec->type == HV_REC_PAGES ? 2 : 1;
        if (rec->type == HV_REC_MEMORY_IMAGE)
            at[0] = body + 16;          /* image_hash */
        if (rec->type == HV_REC_PAGES && (rec->flags & HV_REC_F_DATA_UNHASHED))
            at[0] = body + 8;           /* its data is not hashed, by design */
        for (int k = 0; k < nat; k++) {
            char name[64], endmsg[64];
            struct run r = { .via = VIA_PIPE, .live = kind == SB_LIVE };
            sb->out[at[k]] ^= 1;
            run_stream(&r, sb->out, sb->out_len);
            sb->out[at[k]] ^= 1;
            snprintf(name, sizeof(name), "%s record at offset %llu: ", stream_rec_name(rec->type),
                     (unsigned long long)rec->off);
            snprintf(endmsg, sizeof(endmsg), "END record at offset %llu: checksum mismatch",
                     (unsigned long long)sb->end_off);
            if (r.rc != -HVE_PROTO || (strncmp(r.err, name, strlen(name)) != 0 &&
                                       strncmp(r.err, endmsg, strlen(endmsg)) != 0)) {
                fprintf(stderr, "flip at %llu in %s: got %d '%s'\n", (unsigned long long)at[k],
                        name, r.rc, r.err);
                fail();
            }
            run_free(&r);
        }
    }
    /* The header and every record header too (any refusal, one line). */
    for (int i = -1; i <= sb->n; i++) {
        uint64_t off = i < 0 ? 0 : i < sb->n ? sb->rec[i].off : sb->end_off;
        size_t len = i < 0 ? sizeof(struct hv_stream_header) : sizeof(struct hv_stream_rec);
        for (size_t b = 0; b < len * 8; b += 5) {
            struct run r = { .via = VIA_PIPE, .live = kind == SB_LIVE };
            sb->out[off + b / 8] ^= (uint8_t)(1u << (b % 8));
            run_stream(&r, sb->out, sb->out_len);
            sb->out[off + b / 8] ^= (uint8_t)(1u << (b % 8));
            if (r.rc >= 0 || !r.err[0] || strchr(r.err, '\n')) {
                fprintf(stderr, "flip of bit %zu at %llu: got %d '%s'\n", b,
                        (unsigned long long)off, r.rc, r.err);
                fail();
            }
            run_free(&r);
        }
    }
    del_sb(sb);
}

static void test_bit_flips(void **state)
{
    (void)state;
    flip_kind(SB_PLAIN);
    flip_kind(SB_LIVE);
    flip_kind(SB_FILE);
}

/* ---- the sink's refusals ---------------------------------------------- */

static void test_sink_errors(void **state)
{
    struct sb *sb = new_sb(SB_FILE);
    char expect[200];

    (void)state;
    assert_int_equal(sb_serialize(sb), 0);

    struct run d = { .via = VIA_PIPE };
    d.sink.domain_ret = -HVE_NOMEM;
    run_stream(&d, sb->out, sb->out_len);
    assert_int_equal(d.rc, -HVE_NOMEM);
    assert_string_equal(d.err, "test sink: no memory for 'mig-test'");
    run_free(&d);

    struct run m = { .via = VIA_FILE };
    m.sink.image_ret = -HVE_INVAL;
    run_stream(&m, sb->out, sb->out_len);
    assert_int_equal(m.rc, -HVE_INVAL);
    assert_string_equal(m.err, "test sink: cannot map");
    run_free(&m);

    /* A caller without a sink is told so (nothing is read). */
    struct stream_read_opts o = { 0 };
    struct stream_state st;
    struct stream_sink none = { 0 };
    char err[128];
    assert_int_equal(stream_read(0, &o, &none, &st, err, sizeof(err)), -HVE_INVAL);
    assert_string_equal(err, "stream reader: no sink for the guest's memory");

    struct run z = { .via = VIA_FILE };
    z.sink.zero_ret = -EIO;
    run_stream(&z, sb->out, sb->out_len);
    assert_int_equal(z.rc, -EIO);
    snprintf(expect, sizeof(expect),
             "BALLOON record at offset %llu: cannot zero pages 0x300..0x303: %s",
             off_of(sb, R(HV_REC_BALLOON, 0)), strerror(EIO));
    assert_string_equal(z.err, expect);
    run_free(&z);
    del_sb(sb);
}

/* ---- the shared helpers ----------------------------------------------- */

/* A sender that stops sending without closing: the read gives up after
 * idle_ms, with a line that says so. */
static int idle_domain(void *o, const struct hv_rec_domain *d, uint8_t **mem, char *e, size_t n)
{
    (void)o; (void)d; (void)mem; (void)e; (void)n;
    return -HVE_NOSYS;          /* never reached: nothing comes */
}

static int idle_zero(void *o, uint64_t pfn, uint64_t n)
{
    (void)o; (void)pfn; (void)n;
    return 0;
}

static void test_idle_sender(void **state)
{
    struct stream_read_opts o = { .live = true, .idle_ms = 100 };
    struct stream_state st;
    char err[256];
    int p[2];

    (void)state;
    assert_int_equal(pipe2(p, O_NONBLOCK), 0);
    assert_int_equal(write(p[1], HV_STREAM_MAGIC, 8), 8);
    struct stream_sink sink = { .domain = idle_domain, .zero = idle_zero };
    assert_int_equal(stream_read(p[0], &o, &sink, &st, err, sizeof(err)), -HVE_TIMEDOUT);
    assert_string_equal(err, "nothing came for 0.1 s at stream offset 8: the sender is gone");
    close(p[0]);
    close(p[1]);
}

/* A host with protection keys names PKRU in every vCPU's XSAVE header
 * whatever its xcr0 (KVM_GET_XSAVE): such a stream is taken where the host
 * has PKRU, and refused in one line where it has not. */
static void test_pkru_state(void **state)
{
    struct sb *sb = new_sb(SB_PLAIN);
    uint64_t bv = 0x203;
    char want[256];

    (void)state;
    xsave_put(sb, 512, &bv, 8);
    assert_int_equal(sb_serialize(sb), 0);
    struct run r = { .via = VIA_PIPE, .xcr0 = XCR0_HOST | 0x200 };
    run_stream(&r, sb->out, sb->out_len);
    check_state(sb, &r);
    run_free(&r);
    snprintf(want, sizeof(want), "VCPU record at offset %llu: vCPU 0: XSAVE header: xstate_bv "
             "0x203 holds PKRU, which this host lacks (it offers 0x7)",
             (unsigned long long)sb->rec[sb_find(sb, HV_REC_VCPU, 1)].off);
    expect_refused(sb, 0, false, -HVE_PROTO, want);
    del_sb(sb);
}

static void test_regs_ok(void **state)
{
    struct hv_stream_regs r;
    char why[160];

    (void)state;
    memset(&r, 0, sizeof(r));
    r.rip = 0x7fffffffffffULL;
    r.rsp = 0x1000;
    /* All a guest can set, and RF, which the CPU sets on a restarted
     * instruction (a live vCPU is often saved with it). */
    r.rflags = 0x202 | 0x100 | 0x4000 | 0x10000 | 0x40000 | 0x200000 | 0xcd5;
    r.ds = r.es = 0x2b;
    assert_true(stream_regs_ok(&r, why, sizeof(why)));
    r.rip = 1ULL << 47;
    assert_false(stream_regs_ok(&r, why, sizeof(why)));
    assert_string_equal(why, "rip 0x800000000000 is not a lower-half canonical address");
    r.rip = 0;
    r.rflags |= 0x20000;        /* VM: not the guest's */
    assert_false(stream_regs_ok(&r, why, sizeof(why)));
    assert_string_equal(why, "rflags 0x274fd7 has bits 0x20000 a CPL-3 guest cannot set");
    r.rflags = 0x202;
    r.fs = 3;                   /* a null selector with RPL 3: fine */
    r.gs = 0x33;                /* user code: loadable at CPL 3 */
    assert_true(stream_regs_ok(&r, why, sizeof(why)));
    r.fs = 0x10;                /* kernel code: not */
    assert_false(stream_regs_ok(&r, why, sizeof(why)));
    assert_string_equal(why, "selector fs 0x10 is neither null nor a user segment (0x20-0x37 of the GDT)");
}

static void test_format_helpers(void **state)
{
    char why[160];

    (void)state;
    assert_string_equal(stream_rec_name(HV_REC_DOMAIN), "DOMAIN");
    assert_string_equal(stream_rec_name(HV_REC_RUNSTATE), "RUNSTATE");
    assert_null(stream_rec_name(0));
    assert_null(stream_rec_name(HV_REC_RUNSTATE + 1));
    assert_int_equal(stream_rec_pad(300), 4);
    assert_int_equal(stream_rec_pad(8), 0);
    assert_true(stream_page_entry_ok(HV_PAGE_ENTRY(0x18, HV_PAGE_NORMAL), 0x400, why, sizeof(why)));
    assert_true(stream_page_entry_ok(HV_PAGE_ENTRY(0x3ff, HV_PAGE_ZERO), 0x400, why, sizeof(why)));
    assert_false(stream_page_entry_ok(HV_PAGE_ENTRY(0x17, HV_PAGE_NORMAL), 0x400, why, sizeof(why)));
    /* The image's data starts at the first page boundary after its
     * structure, wherever its record starts. */
    assert_int_equal(stream_image_data_offset(4096 - 48), 4096);
    assert_int_equal(stream_image_data_offset(4096 - 40), 8192);
    assert_int_equal(stream_image_length(4096 - 48, 1), 32 + 4096);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_plain),
        cmocka_unit_test(test_valid_live),
        cmocka_unit_test(test_valid_dribbled),
        cmocka_unit_test(test_valid_file),
        cmocka_unit_test(test_stops_at_end),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_malformed_computed),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_sink_errors),
        cmocka_unit_test(test_idle_sender),
        cmocka_unit_test(test_pkru_state),
        cmocka_unit_test(test_regs_ok),
        cmocka_unit_test(test_format_helpers),
    };

    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
