/*
 * stream_builder.h - test-only builder of domain streams (public/stream.h)
 * in memory: a list of records that a test can change, then serialized
 * with the right padding, END and XXH3 checksum.  Independent of hvcore's
 * writer on purpose: the reader's tests must not share the writer's
 * mistakes.
 */
#ifndef HV_TEST_STREAM_BUILDER_H
#define HV_TEST_STREAM_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "public/stream.h"

#define SB_MAX_RECS 64

struct sb_rec {
    uint32_t type, flags;
    uint8_t *body;              /* malloc'ed (NULL: MEMORY_IMAGE, built
                                   at serialization)                    */
    size_t len;
    bool length_set;            /* header length: `length`, not len      */
    uint64_t length;
    uint8_t pad_byte;           /* the padding after the body            */
    uint64_t off;               /* stream offset, set by sb_serialize    */
};

enum sb_kind { SB_PLAIN, SB_LIVE, SB_FILE };

struct sb {
    enum sb_kind kind;
    struct hv_stream_header hdr;
    struct sb_rec rec[SB_MAX_RECS];
    int n;
    uint64_t nr_pages;
    uint8_t *src;               /* guest memory the pages come from     */
    uint8_t *image;             /* file: the MEMORY_IMAGE's pages       */
    uint8_t *expect;            /* guest memory after a good read       */
    uint64_t pages_received;    /* NORMAL pages of all PAGES records    */

    /* MEMORY_IMAGE changes, applied at serialization. */
    uint64_t img_nr_pages_xor, img_data_offset_add, img_hash_xor, img_pad0;
    uint8_t img_gap_byte;       /* between the structure and the data   */

    bool no_end;                /* serialize without END                */
    uint64_t checksum_xor;      /* END says checksum ^ this             */
    uint64_t checksum;          /* the right one (after sb_serialize)   */
    uint64_t image_hash;

    uint8_t *out;               /* sb_serialize: the stream             */
    size_t out_len;
    uint64_t end_off;           /* offset of END                        */
};

/* A valid stream of the kind: DOMAIN (2 vCPUs, 4 MiB), KERNEL,
 * TOOLSTACK, memory (PAGES batches; live: a page sent again, a page sent
 * then zeroed, a DATA_UNHASHED batch; file: MEMORY_IMAGE, then PAGES
 * overriding two of its pages), BALLOON (4
 * pages), VCPU 1 (BLOCKED, xcr0 x87 as KVM gives a pv guest), VCPU 0
 * (RUNNING, xcr0 x87|SSE), RUNSTATE,
 * EVTCHN, TIME, CONSOLE.  0 or -1 (out of memory). */
int sb_default(struct sb *sb, enum sb_kind kind);
void sb_free(struct sb *sb);

/* Records. */
int sb_add(struct sb *sb, uint32_t type, const void *body, size_t len);
int sb_insert(struct sb *sb, int at, uint32_t type, const void *body, size_t len);
void sb_remove(struct sb *sb, int at);
/* Index of the nth (from 0) record of type, or -1. */
int sb_find(const struct sb *sb, uint32_t type, int nth);
/* Its body (for changing fields), or NULL. */
void *sb_body(struct sb *sb, uint32_t type, int nth);

/* A PAGES record of entries[0, n) with the data of src, added at the end
 * (at < 0) or at index at; updates expect. */
int sb_pages(struct sb *sb, int at, uint32_t flags, const uint64_t *entries, unsigned n);

/* Build sb->out.  0 or -1. */
int sb_serialize(struct sb *sb);

#endif /* HV_TEST_STREAM_BUILDER_H */
