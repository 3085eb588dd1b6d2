/*
 * stream_read.h - reading a domain stream (public/stream.h) as hostile
 * input.
 *
 * stream_read() consumes a whole stream from a file descriptor: header,
 * records, END.  It checks every field against the rules of stream.h and
 * docs/migration-stream.md and refuses the stream at the first violation
 * with one line naming the record and its offset, e.g.
 *     "VCPU record at offset 52344: vCPU 3 is beyond max_vcpus 2"
 * Pages go straight into the guest memory the caller provides once the
 * DOMAIN record told how much there is; everything else is returned in
 * struct stream_state, checked, for the caller to apply.  Nothing is
 * applied to a running domain here: the caller starts nothing until
 * stream_read() returned 0 (END read, checksum matched).
 */
#ifndef HVCORE_STREAM_READ_H
#define HVCORE_STREAM_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "public/stream.h"

/* The caller's side of a restore: where pages go.  domain and zero are
 * required, image is optional. */
struct stream_sink {
    void *opaque;
    /*
     * The DOMAIN record was read and checked: make guest memory for
     * dom->mem_max_bytes and set *mem to its host mapping (nr_pages =
     * mem_max_bytes / 4096, zero-filled).  0, or -errno/-HVE_* with a
     * reason in err (the stream is then refused with it).
     */
    int (*domain)(void *opaque, const struct hv_rec_domain *dom, uint8_t **mem,
                  char *err, size_t errlen);
    /*
     * Pages [pfn, pfn + n) are zero (a ZERO entry, or before a BALLOON
     * release): make them so (punch a hole).  0 or -errno.
     */
    int (*zero)(void *opaque, uint64_t pfn, uint64_t n);
    /*
     * MEMORY_IMAGE of a regular, seekable file: map the nr_pages * 4096
     * bytes at file offset `offset` as guest memory (replacing what
     * domain() made, at the same address: the PAGES records after the
     * image, and the BALLOON's zero() calls, write through *mem).  NULL,
     * or a return of -HVE_NOSYS: the reader reads the pages into *mem
     * instead.  Not called with opts->verify_image, nor where the stream
     * does not start at a page-aligned file offset.  Before calling it
     * the reader has checked that the file holds all the pages and that
     * pages 0 .. HV_PRIVATE_END/4096 - 1 of the image are zero.  0 or
     * -errno with a reason in err.
     */
    int (*image)(void *opaque, int fd, uint64_t offset, uint64_t nr_pages,
                 char *err, size_t errlen);
};

/* What a stream says, checked.  Free with stream_state_free(). */
struct stream_state {
    struct hv_stream_header hdr;
    struct hv_rec_domain dom;
    uint8_t *kernel;               /* KERNEL body, malloc'ed            */
    size_t kernel_size;
    char *toolstack;               /* TOOLSTACK body or NULL            */
    size_t toolstack_size;
    uint64_t nr_pages;
    uint64_t *balloon;             /* BALLOON bitmap, malloc'ed         */
    uint64_t ballooned;
    struct hv_rec_vcpu vcpu[HV_MAX_VCPUS]; /* [0, dom.max_vcpus) valid  */
    struct hv_rec_runstate runstate;
    struct hv_rec_evtchn evtchn;
    struct hv_rec_time time;
    struct hv_rec_console console;
    bool image_mapped;             /* sink->image() took the memory     */
    uint64_t image_offset, image_hash;
    uint64_t pages_received;       /* NORMAL pages read (live: repeats) */
    uint64_t bytes;                /* stream bytes consumed, END included */
};

/* Options of one read. */
struct stream_read_opts {
    /* Expect HV_STREAM_F_LIVE (incoming) or not (restore from a file);
     * a stream of the other kind is refused. */
    bool live;
    /* Save files: also hash the memory image and compare image_hash
     * (hvcore --verify).  Reads every page into *mem (never maps: what is
     * checked is then what the guest gets). */
    bool verify_image;
    /* The receiver's own limits (the features KVM offers here), for the
     * XSAVE check: an xcr0 with bits outside this is refused. */
    uint64_t xcr0_supported;
    /* A non-blocking descriptor that brings nothing for this long (ms)
     * ends the read with -HVE_TIMEDOUT: a sender that went away without
     * closing the connection (a host that died, a network cut).  0:
     * wait for ever. */
    unsigned idle_ms;
};

/*
 * Read one stream from fd.  0 on success (state filled, END matched), or
 * -HVE_PROTO (malformed: err says which record, at which offset, and
 * why), -HVE_VERSION (another stream version, byte order, page size or
 * guest ABI), -HVE_IO (read error, or the stream ended early: "stream
 * ended at offset N inside the VCPU record at offset M"), -HVE_INVAL
 * (no sink with domain and zero), or the error a sink callback returned.
 * On failure state is freed and zeroed.  Nothing after END is read.
 */
int stream_read(int fd, const struct stream_read_opts *opts, const struct stream_sink *sink,
                struct stream_state *state, char *err, size_t errlen);

void stream_state_free(struct stream_state *state);

/* The checks of one record, for the writer's self-test and the fuzzer:
 * regs that a CPL-3 guest can hold.  true if acceptable; else why. */
bool stream_regs_ok(const struct hv_stream_regs *r, char *why, size_t whylen);

#endif /* HVCORE_STREAM_READ_H */
