/*
 * fuzz_stream.c - libFuzzer harness for the domain stream reader
 * (src/stream_read.c): the input is a stream, as a restoring or incoming
 * hvcore would read it.
 *
 * Each input is read twice with the same options: from a memfd (a regular
 * file, so a MEMORY_IMAGE is mapped by the sink, as hvcore --restore
 * does) and from a pipe (read, as hvcore --incoming does), the reader's
 * kind (live or not) following the input's header flags.  Checked besides
 * crashes, leaks and sanitizer errors: both ways give the same verdict,
 * word for word; a refusal is one non-empty line with a stream error code
 * (or the sink's) and leaves the state freed and zeroed; a success read
 * no further than the input and says so in state->bytes.  Save files are
 * also read once more with --verify (the image read and hashed).
 *
 * The sink makes guest memory with mmap (at most 64 MiB, above that it
 * refuses: libFuzzer's malloc limit does not see it either way).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_check.h"
#include "public/errno.h"
#include "public/stream.h"
#include "stream_read.h"

#define FUZZ_MEM_MAX (64ULL << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fsink {
    uint8_t *mem;
    size_t size;
};

static int f_domain(void *opaque, const struct hv_rec_domain *dom, uint8_t **mem, char *err,
                    size_t errlen)
{
    struct fsink *s = opaque;

    if (dom->mem_max_bytes > FUZZ_MEM_MAX) {
        snprintf(err, errlen, "fuzz sink: no guest memory above 64 MiB");
        return -HVE_NOMEM;
    }
    s->size = dom->mem_max_bytes;
    s->mem = mmap(NULL, s->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                  -1, 0);
    CHECK(s->mem != MAP_FAILED, "mmap %zu: %s", s->size, strerror(errno));
    *mem = s->mem;
    return 0;
}

static int f_zero(void *opaque, uint64_t pfn, uint64_t n)
{
    struct fsink *s = opaque;

    CHECK(pfn < s->size / 4096 && n <= s->size / 4096 - pfn, "zero %#llx+%llu outside memory",
          (unsigned long long)pfn, (unsigned long long)n);
    memset(s->mem + pfn * 4096, 0, n * 4096);
    return 0;
}

static int f_image(void *opaque, int fd, uint64_t offset, uint64_t nr_pages, char *err,
                   size_t errlen)
{
    struct fsink *s = opaque;

    CHECK(nr_pages * 4096 == s->size, "image of %llu pages for %zu bytes",
          (unsigned long long)nr_pages, s->size);
    if (mmap(s->mem, s->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd,
             (off_t)offset) == MAP_FAILED) {
        snprintf(err, errlen, "fuzz sink: cannot map: %s", strerror(errno));
        return -errno;
    }
    return 0;
}

struct verdict {
    int rc;
    char err[256];
    uint64_t bytes;
};

static void read_one(int fd, const struct stream_read_opts *o, size_t size, struct verdict *v)
{
    struct fsink s = { 0 };
    struct stream_sink sink = { .opaque = &s, .domain = f_domain, .zero = f_zero,
                                .image = f_image };
    static struct stream_state st;   /* 90 KiB: not on the stack */

    v->rc = stream_read(fd, o, &sink, &st, v->err, sizeof(v->err));
    v->bytes = st.bytes;
    if (v->rc == 0) {
        CHECK(v->err[0] == '\0', "success with '%s'", v->err);
        CHECK(st.bytes > 0 && st.bytes <= size, "read %llu of %zu bytes",
              (unsigned long long)st.bytes, size);
        CHECK(st.kernel && st.kernel_size > 0 && st.balloon, "success without kernel or balloon");
        CHECK(st.dom.max_vcpus >= 1 && st.dom.max_vcpus <= HV_MAX_VCPUS, "max_vcpus %u",
              st.dom.max_vcpus);
    } else {
        CHECK(v->rc == -HVE_PROTO || v->rc == -HVE_IO || v->rc == -HVE_VERSION ||
              v->rc == -HVE_NOMEM, "rc %d ('%s')", v->rc, v->err);
        CHECK(v->err[0] && !strchr(v->err, '\n'), "refusal not one line: '%s'", v->err);
        CHECK(!st.kernel && !st.toolstack && !st.balloon && st.bytes == 0,
              "refused, state not freed");
    }
    stream_state_free(&st);
    if (s.mem)
        munmap(s.mem, s.size);
}

static int memfd_of(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-stream", MFD_CLOEXEC);

    CHECK(fd >= 0, "memfd_create: %s", strerror(errno));
    for (size_t done = 0; done < size;) {
        ssize_t k = write(fd, data + done, size - done);
        CHECK(k > 0, "write: %s", strerror(errno));
        done += (size_t)k;
    }
    CHECK(lseek(fd, 0, SEEK_SET) == 0, "lseek: %s", strerror(errno));
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct stream_read_opts o = { .xcr0_supported = 0x7 };
    struct verdict file, pipe_v;
    uint32_t flags = 0;
    int fd, p[2];

    if (size >= offsetof(struct hv_stream_header, flags) + 4)
        memcpy(&flags, data + offsetof(struct hv_stream_header, flags), 4);
    o.live = flags & HV_STREAM_F_LIVE;

    fd = memfd_of(data, size);
    read_one(fd, &o, size, &file);
    close(fd);

    /* The same stream through a pipe, written whole before it is read. */
    CHECK(pipe2(p, O_CLOEXEC) == 0, "pipe: %s", strerror(errno));
    if (fcntl(p[1], F_SETPIPE_SZ, (int)(size > 4096 ? size : 4096)) >= (int)size) {
        for (size_t done = 0; done < size;) {
            ssize_t k = write(p[1], data + done, size - done);
            CHECK(k > 0, "pipe write: %s", strerror(errno));
            done += (size_t)k;
        }
        close(p[1]);
        read_one(p[0], &o, size, &pipe_v);
        CHECK(pipe_v.rc == file.rc && strcmp(pipe_v.err, file.err) == 0 &&
              pipe_v.bytes == file.bytes,
              "file said %d '%s', pipe %d '%s'", file.rc, file.err, pipe_v.rc, pipe_v.err);
    } else {
        close(p[1]);
    }
    close(p[0]);

    if (flags & HV_STREAM_F_FILE) {
        struct verdict v;
        o.verify_image = true;
        fd = memfd_of(data, size);
        read_one(fd, &o, size, &v);
        close(fd);
    }
    return 0;
}
