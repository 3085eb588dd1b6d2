/*
 * stream_write.c - writing a domain stream (stream_write.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "hvcore.h"
#include "memory.h"
#include "public/errno.h"
#include "public/layout.h"
#include "stream_write.h"

static const uint8_t zeros[8];

/* A save file's image is written in chunks this big, each hashed right
 * after it is written, while it is still in the cache. */
#define IMAGE_CHUNK (256u << 10)

static int failed(struct stream_out *out, int code, const char *what)
{
    snprintf(out->err, sizeof(out->err), "%s at stream offset %llu: %s", what,
             (unsigned long long)out->offset,
             code == -HVE_CANCELED ? "cancelled" : strerror(-code));
    return code;
}

static bool cancelled(const struct stream_out *out)
{
    struct pollfd p = { .fd = out->cancel_fd, .events = POLLIN };

    return out->cancel_fd >= 0 && poll(&p, 1, 0) == 1;
}

/* Wait until fd takes more bytes, or the caller cancels.  0 or -errno. */
static int wait_writable(struct stream_out *out)
{
    struct pollfd p[2] = {
        { .fd = out->fd, .events = POLLOUT },
        { .fd = out->cancel_fd, .events = POLLIN },
    };

    for (;;) {
        int n = poll(p, out->cancel_fd >= 0 ? 2 : 1, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (p[1].revents & POLLIN)
            return -HVE_CANCELED;
        if (p[0].revents & (POLLERR | POLLHUP) && !(p[0].revents & POLLOUT))
            return -EPIPE;
        return 0;
    }
}

/* Sleep off the bandwidth cap for the bytes written so far. */
static int pace(struct stream_out *out, uint64_t bytes)
{
    if (!out->bandwidth_bps)
        return 0;
    out->capped_bytes += bytes;
    uint64_t due = out->start_ns +
                   (uint64_t)((unsigned __int128)out->capped_bytes * 1000000000ULL /
                              out->bandwidth_bps);
    uint64_t now = now_ns(CLOCK_MONOTONIC);
    if (due <= now)
        return 0;
    struct pollfd p = { .fd = out->cancel_fd, .events = POLLIN };
    int ms = (int)((due - now + 999999) / 1000000);
    if (out->cancel_fd >= 0 && poll(&p, 1, ms) == 1)
        return -HVE_CANCELED;
    if (out->cancel_fd < 0)
        usleep((useconds_t)ms * 1000);
    return 0;
}

/* Write all of iov[0..cnt) (modified), hashing it unless told not to for
 * entries in [nohash_from, nohash_to). */
static int write_iov(struct stream_out *out, struct iovec *iov, int cnt, int nohash_from,
                     int nohash_to)
{
    uint64_t total = 0;

    for (int i = 0; i < cnt; i++) {
        if (out->hash && (i < nohash_from || i >= nohash_to))
            XXH3_64bits_update(out->hash, iov[i].iov_base, iov[i].iov_len);
        total += iov[i].iov_len;
    }
    while (cnt > 0) {
        if (cancelled(out))
            return -HVE_CANCELED;
        ssize_t n = writev(out->fd, iov, cnt > IOV_MAX ? IOV_MAX : cnt);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                int r = wait_writable(out);
                if (r < 0)
                    return r;
                continue;
            }
            return -errno;
        }
        out->offset += (uint64_t)n;
        while (cnt > 0 && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (char *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
    return pace(out, total);
}

int sw_open(struct stream_out *out, int fd, int cancel_fd, uint32_t flags)
{
    struct hv_stream_header h;
    int fl = fcntl(fd, F_GETFL);

    memset(out, 0, sizeof(*out));
    out->fd = fd;
    out->cancel_fd = cancel_fd;
    out->start_ns = now_ns(CLOCK_MONOTONIC);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return failed(out, -errno, "stream descriptor");
    out->hash = XXH3_createState();
    if (!out->hash || XXH3_64bits_reset(out->hash) != XXH_OK)
        return failed(out, -HVE_NOMEM, "checksum");

    memset(&h, 0, sizeof(h));
    memcpy(h.magic, HV_STREAM_MAGIC, sizeof(h.magic));
    h.version = HV_STREAM_VERSION;
    h.byte_order = HV_STREAM_BYTE_ORDER;
    h.guest_abi = HV_GUEST_ABI_VERSION;
    h.page_size = HV_PAGE_SIZE;
    h.flags = flags;
    h.header_size = sizeof(h);
    struct iovec iov = { &h, sizeof(h) };
    int r = write_iov(out, &iov, 1, 0, 0);
    return r < 0 ? failed(out, r, "header") : 0;
}

void sw_close(struct stream_out *out)
{
    if (out->hash)
        XXH3_freeState(out->hash);
    out->hash = NULL;
}

int sw_record(struct stream_out *out, uint32_t type, const void *body, size_t len)
{
    struct hv_stream_rec rec = { .type = type, .flags = 0, .length = len };
    struct iovec iov[3] = {
        { &rec, sizeof(rec) },
        { (void *)body, len },
        { (void *)zeros, (8 - len % 8) % 8 },
    };
    int r = write_iov(out, iov, 3, 0, 0);

    return r < 0 ? failed(out, r, "writing a record") : 0;
}

int sw_page_list(struct stream_out *out, const uint64_t *pfn, const uint8_t *const *page,
                 unsigned n, bool unhashed, unsigned *data_pages)
{
    static __thread uint64_t entry[HV_STREAM_PAGES_MAX];
    static __thread struct iovec iov[HV_STREAM_PAGES_MAX + 3];
    struct hv_rec_pages hdr = { .count = n };
    struct hv_stream_rec rec = { .type = HV_REC_PAGES,
                                 .flags = unhashed ? HV_REC_F_DATA_UNHASHED : 0 };
    unsigned data = 0;
    int cnt = 3;

    if (n == 0 || n > HV_STREAM_PAGES_MAX)
        return failed(out, -HVE_INVAL, "page batch");
    for (unsigned i = 0; i < n; i++) {
        const uint64_t *w = (const uint64_t *)page[i];
        bool zero = w[0] == 0;

        for (size_t k = 1; zero && k < HV_PAGE_SIZE / 8; k++)
            zero = w[k] == 0;
        entry[i] = HV_PAGE_ENTRY(pfn[i], zero ? HV_PAGE_ZERO : HV_PAGE_NORMAL);
        if (zero)
            continue;
        /* Neighbouring pages are one iovec. */
        struct iovec *last = &iov[cnt - 1];
        if (data && (const uint8_t *)last->iov_base + last->iov_len == page[i])
            last->iov_len += HV_PAGE_SIZE;
        else
            iov[cnt++] = (struct iovec){ (void *)page[i], HV_PAGE_SIZE };
        data++;
    }
    rec.length = sizeof(hdr) + (uint64_t)n * 8 + (uint64_t)data * HV_PAGE_SIZE;
    iov[0] = (struct iovec){ &rec, sizeof(rec) };
    iov[1] = (struct iovec){ &hdr, sizeof(hdr) };
    iov[2] = (struct iovec){ entry, (size_t)n * 8 };
    *data_pages = data;
    int r = write_iov(out, iov, cnt, unhashed ? 3 : cnt, cnt);
    return r < 0 ? failed(out, r, "sending pages") : 0;
}

int sw_pages(struct stream_out *out, const uint8_t *mem, const uint64_t *pfn, unsigned n,
             bool unhashed, unsigned *data_pages)
{
    const uint8_t *page[HV_STREAM_PAGES_MAX];

    if (n > HV_STREAM_PAGES_MAX)
        return failed(out, -HVE_INVAL, "page batch");
    for (unsigned i = 0; i < n; i++)
        page[i] = mem + (pfn[i] << HV_PAGE_SHIFT);
    return sw_page_list(out, pfn, page, n, unhashed, data_pages);
}

/*
 * mem_next_data() from the first page the guest alone writes; all the
 * rest in one run when RAM is mostly data (mem_mostly_data: `all`).
 * Below it: the private pages and the hypercall and start-info pages,
 * which the receiver builds itself, and the shared-info and console
 * pages, which hvcore's event loop may write at any moment (a timer's
 * event while the guest is paused): they travel in the final snapshot
 * (ds_write_final), here they are holes.
 */
static uint64_t first_image_data(struct domain *d, uint64_t pfn, uint64_t *end, bool all)
{
    const uint64_t first = (HV_CONSOLE_PAGE >> HV_PAGE_SHIFT) + 1;

    if (pfn < first)
        pfn = first;
    if (all) {
        *end = d->mem_max_bytes >> HV_PAGE_SHIFT;
        return pfn;
    }
    return mem_next_data(d, pfn, end);
}

/* pwrite all of buf at off.  0 or -errno. */
static int pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;

    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -HVE_IO;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int sw_memory_image(struct stream_out *out, struct domain *d)
{
    static const uint8_t zero_page[HV_PAGE_SIZE];
    uint64_t pages = d->mem_max_bytes >> HV_PAGE_SHIFT;
    uint64_t rec_off = out->offset, body = rec_off + sizeof(struct hv_stream_rec);
    struct hv_rec_memory_image img = { .nr_pages = pages };
    struct hv_stream_rec rec = { .type = HV_REC_MEMORY_IMAGE };
    XXH3_state_t *image_hash = XXH3_createState();
    uint64_t pfn = 0, end;
    int r = 0;

    if (!image_hash)
        return failed(out, -HVE_NOMEM, "checksum");
    XXH3_64bits_reset(image_hash);
    img.data_offset = (body + sizeof(img) + HV_PAGE_SIZE - 1) & ~(HV_PAGE_SIZE - 1);
    rec.length = img.data_offset - body + pages * HV_PAGE_SIZE;

    /*
     * One pass: each chunk is written, then hashed while it is still in
     * the cache; the image's header, which carries the hash, is written
     * again at the end (the file is seekable).  Holes (pages never
     * touched, ballooned, and the private pages, which never travel) stay
     * holes in a sparse file and hash as the zeros they read as.
     */
    bool all = mem_mostly_data(d);
    while (r == 0 && pfn < pages) {
        uint64_t data = first_image_data(d, pfn, &end, all);
        for (; pfn < data; pfn++)
            XXH3_64bits_update(image_hash, zero_page, HV_PAGE_SIZE);
        for (; r == 0 && pfn < end && pfn < pages; ) {
            size_t chunk = (size_t)(end - pfn) << HV_PAGE_SHIFT;
            const uint8_t *src = d->mem + (pfn << HV_PAGE_SHIFT);
            if (chunk > IMAGE_CHUNK)
                chunk = IMAGE_CHUNK;
            if (cancelled(out))
                r = -HVE_CANCELED;
            else
                r = pwrite_all(out->fd, src, chunk, img.data_offset + (pfn << HV_PAGE_SHIFT));
            XXH3_64bits_update(image_hash, src, chunk);
            pfn += chunk >> HV_PAGE_SHIFT;
        }
    }
    img.image_hash = XXH3_64bits_digest(image_hash);
    XXH3_freeState(image_hash);
    if (r == 0)
        r = pwrite_all(out->fd, &rec, sizeof(rec), rec_off);
    if (r == 0)
        r = pwrite_all(out->fd, &img, sizeof(img), body);
    out->offset = img.data_offset + pages * HV_PAGE_SIZE;
    if (r == 0 && (ftruncate(out->fd, (off_t)out->offset) < 0 ||
                   lseek(out->fd, (off_t)out->offset, SEEK_SET) < 0))
        r = -errno;
    if (r < 0)
        return failed(out, r, "memory image");
    /* The stream's checksum, in stream order: the record header, the
     * image's header, the padding (zeros); not the pages. */
    XXH3_64bits_update(out->hash, &rec, sizeof(rec));
    XXH3_64bits_update(out->hash, &img, sizeof(img));
    for (uint64_t pad = img.data_offset - body - sizeof(img); pad; ) {
        size_t n = pad > sizeof(zero_page) ? sizeof(zero_page) : (size_t)pad;
        XXH3_64bits_update(out->hash, zero_page, n);
        pad -= n;
    }
    return 0;
}

int sw_end(struct stream_out *out)
{
    struct hv_rec_end end = { .checksum = XXH3_64bits_digest(out->hash) };

    return sw_record(out, HV_REC_END, &end, sizeof(end));
}

uint64_t sw_rate(const struct stream_out *out)
{
    uint64_t dt = now_ns(CLOCK_MONOTONIC) - out->start_ns;

    return dt ? (uint64_t)((unsigned __int128)out->offset * 1000000000ULL / dt) : 0;
}
