/*
 * backend_stats.h - the counters page an in-tree device back end keeps.
 *
 * hvcore gives each back end it starts (hvblk, hvnet) a one-page memfd
 * (--stats-fd) holding this struct.  The back end alone writes it, each
 * field a whole aligned 64-bit store (relaxed atomics); hvcore reads it
 * for domctl device_info.  The page outlives a back end that dies, so the
 * counters go on across restarts.
 */
#ifndef HV_PUBLIC_BACKEND_STATS_H
#define HV_PUBLIC_BACKEND_STATS_H

#include "hvabi.h"

#define HV_BACKEND_STATS_MAGIC 0x6876737461747301ULL  /* "hvstats" + v1 */

struct hv_backend_stats {
    uint64_t magic;             /* HV_BACKEND_STATS_MAGIC, set by hvcore  */
    uint64_t reqs_in;           /* blk: reads;  net: frames to the guest  */
    uint64_t reqs_out;          /* blk: writes; net: frames from the guest */
    uint64_t reqs_other;        /* blk: flush, discard, get-id            */
    uint64_t bytes_in;
    uint64_t bytes_out;
    uint64_t errors;            /* refused descriptors, failed I/O, drops */
    uint64_t kicks;             /* queue notifications received           */
    uint64_t calls;             /* completion notifications sent          */
    uint64_t reserved[7];
    char     last_error[128];   /* the last refusal, one line, NUL-ended  */
};

#endif /* HV_PUBLIC_BACKEND_STATS_H */
