/*
 * stream_builder.c - test-only builder of domain streams (stream_builder.h).
 */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "public/layout.h"
#include "public/shared_info.h"
#include "stream_builder.h"

#define PAGE HV_PAGE_SIZE

int sb_insert(struct sb *sb, int at, uint32_t type, const void *body, size_t len)
{
    struct sb_rec r = { .type = type, .len = len };

    if (sb->n == SB_MAX_RECS)
        return -1;
    if (body) {
        r.body = malloc(len ? len : 1);
        if (!r.body)
            return -1;
        memcpy(r.body, body, len);
    }
    if (at < 0 || at > sb->n)
        at = sb->n;
    memmove(&sb->rec[at + 1], &sb->rec[at], (size_t)(sb->n - at) * sizeof(sb->rec[0]));
    sb->rec[at] = r;
    sb->n++;
    return at;
}

int sb_add(struct sb *sb, uint32_t type, const void *body, size_t len)
{
    return sb_insert(sb, -1, type, body, len);
}

void sb_remove(struct sb *sb, int at)
{
    free(sb->rec[at].body);
    memmove(&sb->rec[at], &sb->rec[at + 1], (size_t)(sb->n - at - 1) * sizeof(sb->rec[0]));
    sb->n--;
}

int sb_find(const struct sb *sb, uint32_t type, int nth)
{
    for (int i = 0; i < sb->n; i++)
        if (sb->rec[i].type == type && nth-- == 0)
            return i;
    return -1;
}

void *sb_body(struct sb *sb, uint32_t type, int nth)
{
    int i = sb_find(sb, type, nth);

    return i < 0 ? NULL : sb->rec[i].body;
}

int sb_pages(struct sb *sb, int at, uint32_t flags, const uint64_t *entries, unsigned n)
{
    unsigned normal = 0;
    size_t len;
    uint8_t *body;
    int idx;

    for (unsigned i = 0; i < n; i++)
        normal += HV_PAGE_ENTRY_TYPE(entries[i]) == HV_PAGE_NORMAL;
    len = sizeof(struct hv_rec_pages) + n * 8 + normal * PAGE;
    body = calloc(1, len);
    if (!body)
        return -1;
    struct hv_rec_pages hdr = { .count = n };
    memcpy(body, &hdr, sizeof(hdr));
    memcpy(body + sizeof(hdr), entries, n * 8);
    uint8_t *data = body + sizeof(hdr) + n * 8;
    for (unsigned i = 0; i < n; i++) {
        uint64_t pfn = HV_PAGE_ENTRY_PFN(entries[i]);
        if (pfn >= sb->nr_pages)
            continue;
        if (HV_PAGE_ENTRY_TYPE(entries[i]) == HV_PAGE_NORMAL) {
            memcpy(data, sb->src + pfn * PAGE, PAGE);
            memcpy(sb->expect + pfn * PAGE, data, PAGE);
            data += PAGE;
            sb->pages_received++;
        } else {
            memset(sb->expect + pfn * PAGE, 0, PAGE);
        }
    }
    idx = sb_insert(sb, at, HV_REC_PAGES, NULL, 0);
    if (idx < 0) {
        free(body);
        return -1;
    }
    sb->rec[idx].body = body;
    sb->rec[idx].len = len;
    sb->rec[idx].flags = flags;
    return idx;
}

static void fill_page(uint8_t *mem, uint64_t pfn, uint8_t seed)
{
    for (size_t i = 0; i < PAGE; i++)
        mem[pfn * PAGE + i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

#define N(p) HV_PAGE_ENTRY((p), HV_PAGE_NORMAL)
#define Z(p) HV_PAGE_ENTRY((p), HV_PAGE_ZERO)

static int add_memory(struct sb *sb)
{
    uint64_t e[32];
    unsigned n = 0;

    fill_page(sb->src, 0x18, 1);
    fill_page(sb->src, 0x1a, 2);
    fill_page(sb->src, 0x1b, 3);
    for (uint64_t p = 0x100; p < 0x110; p++)
        fill_page(sb->src, p, (uint8_t)p);
    fill_page(sb->src, 0x17f, 4);
    fill_page(sb->src, 0x180, 5);
    fill_page(sb->src, 0x300, 6);   /* ballooned later: released */
    fill_page(sb->src, 0x3ff, 7);

    if (sb->kind == SB_FILE) {
        /* The image, then the fixed pages as they were at the pause. */
        sb->image = malloc(sb->nr_pages * PAGE);
        if (!sb->image || sb_add(sb, HV_REC_MEMORY_IMAGE, NULL, 0) < 0)
            return -1;
        memcpy(sb->image, sb->src, sb->nr_pages * PAGE);
        memcpy(sb->expect, sb->src, sb->nr_pages * PAGE);
        fill_page(sb->src, 0x1a, 0x21);
        fill_page(sb->src, 0x1b, 0x22);
        uint64_t f[] = { N(0x1a), N(0x1b) };
        return sb_pages(sb, -1, 0, f, 2) < 0 ? -1 : 0;
    }
    if (sb->kind == SB_PLAIN) {
        e[n++] = N(0x18); e[n++] = N(0x1a); e[n++] = N(0x1b);
        for (uint64_t p = 0x100; p < 0x110; p++)
            e[n++] = N(p);
        e[n++] = Z(0x110); e[n++] = Z(0x111); e[n++] = Z(0x200); e[n++] = N(0x300);
        if (sb_pages(sb, -1, 0, e, n) < 0)
            return -1;
        uint64_t b[] = { N(0x180), N(0x17f), N(0x3ff) };
        return sb_pages(sb, -1, 0, b, 3) < 0 ? -1 : 0;
    }
    /* Live: a pre-copy round while the guest runs (unhashed), the guest
     * writes 0x101 and clears 0x102, then the last rounds. */
    e[n++] = N(0x18); e[n++] = N(0x1a); e[n++] = N(0x1b);
    for (uint64_t p = 0x100; p < 0x110; p++)
        e[n++] = N(p);
    if (sb_pages(sb, -1, HV_REC_F_DATA_UNHASHED, e, n) < 0)
        return -1;
    fill_page(sb->src, 0x101, 0x55);
    memset(sb->src + 0x102 * PAGE, 0, PAGE);
    uint64_t b2[] = { N(0x101), Z(0x102), N(0x1a), N(0x3ff), N(0x300) };
    if (sb_pages(sb, -1, 0, b2, 5) < 0)
        return -1;
    uint64_t b3[] = { N(0x180), N(0x17f) };
    return sb_pages(sb, -1, 0, b3, 2) < 0 ? -1 : 0;
}

int sb_default(struct sb *sb, enum sb_kind kind)
{
    memset(sb, 0, sizeof(*sb));
    sb->kind = kind;
    sb->nr_pages = (4ULL << 20) / PAGE;
    sb->src = calloc(sb->nr_pages, PAGE);
    sb->expect = calloc(sb->nr_pages, PAGE);
    if (!sb->src || !sb->expect)
        return -1;

    memcpy(sb->hdr.magic, HV_STREAM_MAGIC, sizeof(sb->hdr.magic));
    sb->hdr.version = HV_STREAM_VERSION;
    sb->hdr.byte_order = HV_STREAM_BYTE_ORDER;
    sb->hdr.guest_abi = HV_GUEST_ABI_VERSION;
    sb->hdr.page_size = PAGE;
    sb->hdr.flags = kind == SB_LIVE ? HV_STREAM_F_LIVE : kind == SB_FILE ? HV_STREAM_F_FILE : 0;
    sb->hdr.header_size = sizeof(sb->hdr);

    struct hv_rec_domain d;
    memset(&d, 0, sizeof(d));
    strcpy(d.name, "mig-test");
    for (int i = 0; i < 16; i++)
        d.uuid[i] = (uint8_t)(i + 1);
    d.domid = 7;
    d.max_vcpus = 2;
    d.mem_max_bytes = sb->nr_pages * PAGE;
    d.first_free_pfn = 0x110;
    d.entry_rip = 0x100080;
    d.boot_count = 2;
    d.on_poweroff = HV_STREAM_ACTION_DESTROY;
    d.on_reboot = HV_STREAM_ACTION_RESTART;
    d.on_crash = HV_STREAM_ACTION_PRESERVE;
    strcpy(d.cmdline, "console=hvc0 quiet");
    if (sb_add(sb, HV_REC_DOMAIN, &d, sizeof(d)) < 0)
        return -1;

    uint8_t kernel[300];
    for (size_t i = 0; i < sizeof(kernel); i++)
        kernel[i] = (uint8_t)(i * 13);
    memcpy(kernel, "\x7f" "ELF", 4);
    if (sb_add(sb, HV_REC_KERNEL, kernel, sizeof(kernel)) < 0)
        return -1;
    static const char ts[] = "{\"name\":\"mig-test\",\"memory_mib\":4}";
    if (sb_add(sb, HV_REC_TOOLSTACK, ts, sizeof(ts) - 1) < 0)
        return -1;
    if (add_memory(sb) < 0)
        return -1;

    size_t blen = sizeof(struct hv_rec_balloon) + (sb->nr_pages / 64) * 8;
    uint8_t *bal = calloc(1, blen);
    if (!bal)
        return -1;
    struct hv_rec_balloon bh = { .nr_pages = sb->nr_pages, .ballooned = 4 };
    memcpy(bal, &bh, sizeof(bh));
    uint64_t *bits = (uint64_t *)(bal + sizeof(bh));
    bits[0x300 / 64] = 0xfULL;          /* 0x300..0x303 */
    memset(sb->expect + 0x300 * PAGE, 0, 4 * PAGE);
    int ok = sb_add(sb, HV_REC_BALLOON, bal, blen);
    free(bal);
    if (ok < 0)
        return -1;

    struct hv_rec_vcpu v;
    memset(&v, 0, sizeof(v));
    v.id = 1;
    v.state = HV_STREAM_VCPU_BLOCKED;
    v.timer_deadline_ns = 123456789;
    v.exits = 77;
    v.regs.rip = 0x100040;
    v.regs.rsp = 0x3f0000;
    v.regs.rflags = 0x246;
    v.regs.rbx = 0x1234;
    v.regs.fs_base = 0x200000;
    v.regs.ds = v.regs.es = 0x2b;
    {
        /* x87 only: the XCR0 KVM gives a vCPU that never ran XSETBV,
         * as every pv guest (CPL 3) is. */
        uint16_t fcw = 0x37f;
        uint32_t mxcsr = 0x1f80;
        uint64_t bv = 1;
        v.xcr0 = 1;
        memcpy(v.xsave, &fcw, 2);
        memcpy(v.xsave + 24, &mxcsr, 4);
        memcpy(v.xsave + 512, &bv, 8);
    }
    if (sb_add(sb, HV_REC_VCPU, &v, sizeof(v)) < 0)
        return -1;
    memset(&v, 0, sizeof(v));
    v.id = 0;
    v.state = HV_STREAM_VCPU_RUNNING;
    v.exits = 1000;
    v.regs.rax = 0xfeedface;
    v.regs.rip = 0x100123;
    v.regs.rsp = 0x3fe000;
    v.regs.rflags = 0x202 | 0x1 | 0x40000;   /* IF, bit 1, CF, AC */
    v.regs.r15 = ~0ULL;
    v.regs.cr2 = 0xdead00000000beefULL;
    v.regs.ds = v.regs.es = v.regs.fs = v.regs.gs = 0x2b;
    v.xcr0 = 3;
    uint16_t fcw = 0x37f;
    uint32_t mxcsr = 0x1f80;
    uint64_t bv = 3;
    memcpy(v.xsave, &fcw, 2);
    memcpy(v.xsave + 24, &mxcsr, 4);
    memset(v.xsave + 160, 0x5a, 32);          /* xmm0, xmm1 */
    memcpy(v.xsave + 512, &bv, 8);
    if (sb_add(sb, HV_REC_VCPU, &v, sizeof(v)) < 0)
        return -1;

    struct hv_rec_runstate rs = {
        .mem_target_kib = 3072, .upcall_rip = 0x100200, .events = 42,
        .state = HV_STREAM_STATE_RUNNING, .shutdown_pending = SHUTDOWN_REQUEST_none,
    };
    if (sb_add(sb, HV_REC_RUNSTATE, &rs, sizeof(rs)) < 0)
        return -1;
    struct hv_rec_evtchn ev;
    memset(&ev, 0, sizeof(ev));
    ev.port[1] = (struct hv_stream_port){ 1, VIRQ_TIMER, 0 };
    ev.port[2] = (struct hv_stream_port){ 1, VIRQ_TIMER, 1 };
    ev.port[3] = (struct hv_stream_port){ 1, VIRQ_CONSOLE, 0 };
    ev.port[4] = (struct hv_stream_port){ 2, 0, 1 };
    ev.port[7] = (struct hv_stream_port){ 1, VIRQ_SHUTDOWN, 1 };
    if (sb_add(sb, HV_REC_EVTCHN, &ev, sizeof(ev)) < 0)
        return -1;
    struct hv_rec_time t = {
        .system_time_ns = 5000000000ULL, .realtime_ns = 1764645000000000000ULL,
        .tsc_khz = 2500000,
    };
    if (sb_add(sb, HV_REC_TIME, &t, sizeof(t)) < 0)
        return -1;
    struct hv_rec_console *c = calloc(1, sizeof(*c));
    if (!c)
        return -1;
    c->history_len = 6;
    memcpy(c->history, "hello\n", 6);
    c->in_pending_len = 3;
    memcpy(c->in_pending, "ls\n", 3);
    ok = sb_add(sb, HV_REC_CONSOLE, c, sizeof(*c));
    free(c);
    return ok < 0 ? -1 : 0;
}

void sb_free(struct sb *sb)
{
    for (int i = 0; i < sb->n; i++)
        free(sb->rec[i].body);
    free(sb->src);
    free(sb->image);
    free(sb->expect);
    free(sb->out);
    memset(sb, 0, sizeof(*sb));
}

struct obuf {
    uint8_t *p;
    size_t len, cap;
    XXH3_state_t *h;
    bool failed;
};

static void emit(struct obuf *o, const void *data, size_t n, bool hashed)
{
    if (o->len + n > o->cap) {
        size_t cap = o->cap ? o->cap : 65536;
        while (cap < o->len + n)
            cap *= 2;
        uint8_t *p = realloc(o->p, cap);
        if (!p) {
            o->failed = true;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    if (data)
        memcpy(o->p + o->len, data, n);
    else
        memset(o->p + o->len, 0, n);
    if (hashed)
        XXH3_64bits_update(o->h, o->p + o->len, n);
    o->len += n;
}

static void emit_image(struct sb *sb, struct obuf *o, struct sb_rec *r)
{
    uint64_t body = o->len + sizeof(struct hv_stream_rec);
    uint64_t data = (body + sizeof(struct hv_rec_memory_image) + PAGE - 1) & ~(PAGE - 1);
    uint64_t bytes = sb->nr_pages * PAGE;
    const uint8_t *image = sb->image ? sb->image : sb->src;  /* misplaced in a stream that is not a file */
    struct hv_stream_rec h = { .type = r->type, .flags = r->flags,
                               .length = data - body + bytes };
    struct hv_rec_memory_image img = {
        .nr_pages = sb->nr_pages ^ sb->img_nr_pages_xor,
        .data_offset = data + sb->img_data_offset_add,
        .image_hash = XXH3_64bits(image, bytes) ^ sb->img_hash_xor,
        .pad0 = sb->img_pad0,
    };

    sb->image_hash = XXH3_64bits(image, bytes);
    if (r->length_set)
        h.length = r->length;
    emit(o, &h, sizeof(h), true);
    emit(o, &img, sizeof(img), true);
    size_t gap = (size_t)(data - body - sizeof(img));
    size_t at = o->len;
    emit(o, NULL, gap, false);
    if (gap && !o->failed)
        o->p[at] = sb->img_gap_byte;
    XXH3_64bits_update(o->h, o->p + at, gap);
    emit(o, image, bytes, false);
}

int sb_serialize(struct sb *sb)
{
    struct obuf o = { .h = XXH3_createState() };

    if (!o.h)
        return -1;
    XXH3_64bits_reset(o.h);
    free(sb->out);
    sb->out = NULL;
    emit(&o, &sb->hdr, sizeof(sb->hdr), true);
    for (int i = 0; i < sb->n; i++) {
        struct sb_rec *r = &sb->rec[i];
        r->off = o.len;
        if (r->type == HV_REC_MEMORY_IMAGE && !r->body) {
            emit_image(sb, &o, r);
            continue;
        }
        struct hv_stream_rec h = { .type = r->type, .flags = r->flags,
                                   .length = r->length_set ? r->length : r->len };
        emit(&o, &h, sizeof(h), true);
        size_t hashed = r->len;
        if (r->type == HV_REC_PAGES && (r->flags & HV_REC_F_DATA_UNHASHED) &&
            r->len >= sizeof(struct hv_rec_pages)) {
            struct hv_rec_pages ph;
            memcpy(&ph, r->body, sizeof(ph));
            if (sizeof(ph) + (size_t)ph.count * 8 <= r->len)
                hashed = sizeof(ph) + (size_t)ph.count * 8;
        }
        emit(&o, r->body, hashed, true);
        emit(&o, r->body + hashed, r->len - hashed, false);
        size_t pad = (8 - r->len % 8) % 8;
        uint8_t padb[8];
        memset(padb, r->pad_byte, sizeof(padb));
        emit(&o, padb, pad, true);
    }
    sb->checksum = XXH3_64bits_digest(o.h);
    sb->end_off = o.len;
    if (!sb->no_end) {
        struct hv_stream_rec h = { .type = HV_REC_END, .length = sizeof(struct hv_rec_end) };
        struct hv_rec_end e = { .checksum = sb->checksum ^ sb->checksum_xor };
        emit(&o, &h, sizeof(h), false);
        emit(&o, &e, sizeof(e), false);
    }
    XXH3_freeState(o.h);
    if (o.failed) {
        free(o.p);
        return -1;
    }
    sb->out = o.p;
    sb->out_len = o.len;
    return 0;
}
