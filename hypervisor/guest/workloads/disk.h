/*
 * disk.h - what the disk workloads share: a pipeline of block requests
 * (up to DISK_MAX_DEPTH in flight) and the per-sector check pattern.
 */
#ifndef PVBOOT_WORKLOADS_DISK_H
#define PVBOOT_WORKLOADS_DISK_H

#include <stdbool.h>
#include <stdint.h>

#include "blk.h"

#define DISK_MAX_DEPTH 64

struct disk_job {
    struct blk *b;
    uint32_t type;              /* VIRTIO_BLK_T_IN or _OUT               */
    unsigned depth;             /* requests in flight at most            */
    uint32_t max_bytes;         /* largest request                       */
    /* The next request's sector and length; false: no more. */
    bool (*next)(struct disk_job *j, uint64_t *sector, uint32_t *len);
    /* OUT: fill the buffer (NULL: leave it as it is). */
    void (*fill)(struct disk_job *j, void *buf, uint64_t sector, uint32_t len);
    /* IN: check what was read; false stops the job (mismatch). */
    bool (*check)(struct disk_job *j, const void *buf, uint64_t sector, uint32_t len);
    /* For the callbacks. */
    uint64_t cursor, end, rng, deadline_ns;
    uint32_t chunk, gen, boot;
    /* Results. */
    uint64_t reqs, bytes;
    long error;                 /* first failed request's result         */
    uint64_t error_sector;
    bool mismatch;
    char why[160];              /* what the check found                  */
};

/* Run j to its end.  0, a negative HVE_* code (j->error), or 1 for a
 * mismatch (j->why). */
long disk_job_run(struct disk_job *j);

/* Sequential whole-chunk walk over [cursor, end): a ready-made next(). */
bool disk_next_seq(struct disk_job *j, uint64_t *sector, uint32_t *len);

/* The pattern: every sector says which sector, generation and boot it
 * is, and the rest is pseudo-random from those. */
void disk_fill_pattern(struct disk_job *j, void *buf, uint64_t sector, uint32_t len);
bool disk_check_pattern(struct disk_job *j, const void *buf, uint64_t sector, uint32_t len);

/* Write the pattern over [first, first+count), flush, read back and
 * verify.  0, negative HVE_* (*why says where) or 1 (mismatch). */
long disk_verify_pass(struct blk *b, uint64_t first, uint64_t count, uint32_t gen,
                      char *why, unsigned why_size);

/* The device's serial (GET_ID), printable, or "-". */
void disk_serial(struct blk *b, char *out, unsigned size);

/* A generation nobody wrote before: different for every run. */
uint32_t disk_new_generation(void);

#endif /* PVBOOT_WORKLOADS_DISK_H */
