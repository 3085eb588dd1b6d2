/*
 * hostile.h - shared between the hostile workload's driver (hostile.c) and
 * its call generator (hostile_gen.c).
 */
#ifndef PVBOOT_HOSTILE_H
#define PVBOOT_HOSTILE_H

#include <stdbool.h>
#include <stdint.h>

#include "public/device.h"

struct hostile {
    uint64_t rng;               /* xorshift64 state, never 0             */
    uint64_t nr_pages;          /* guest RAM in pages                     */
    uint64_t ram_end;           /* guest RAM in bytes                     */
    uint64_t scratch_pfn;       /* pages memory ops may really change     */
    uint64_t scratch_pages;
    char *readbuf;              /* valid target for CONSOLEIO_read        */
    uint64_t readbuf_len;
    bool raw_trap;              /* the page holds the documented stub:    */
                                /* numbers >= HC_NR can be trapped raw    */
    /* HC_dev_op: the device page (NULL: none), and zeroed pages of our
     * own for a struct hv_dev_queue (first page) and the rings it names
     * (HOSTILE_RING_* on): a set-up that hvcore takes and starts gives a
     * back end empty rings, never memory pvboot uses. */
    const volatile struct hv_device_page *devpage;
    uint64_t devq;
};

#define HOSTILE_DEVQ_PAGES 16
#define HOSTILE_RING_DESC  (1 * 4096)   /* 16 * 1024 bytes              */
#define HOSTILE_RING_AVAIL (5 * 4096)   /* 6 + 2 * 1024                 */
#define HOSTILE_RING_USED  (6 * 4096)   /* 6 + 8 * 1024                 */

struct hostile_call {
    uint64_t nr;                /* hypercall number, maybe out of range   */
    uint64_t arg[5];
    bool raw;                   /* trap directly (nr has no stub)         */
    bool expect_error;          /* the ABI says this call must fail       */
    bool expect_abi_version;    /* must return HV_GUEST_ABI_VERSION       */
};

/* hostile_values.c */
uint64_t hostile_rand(struct hostile *h);
uint64_t hostile_below(struct hostile *h, uint64_t n);     /* [0, n)          */
bool hostile_one_in(struct hostile *h, uint64_t n);
uint64_t hostile_any_value(struct hostile *h);             /* edge-biased     */
uint64_t hostile_any_index(struct hostile *h);             /* vCPU, port      */
/* A range hvcore must refuse; with addr_only, the address alone makes it
 * bad (for a fixed-size struct of min_len bytes). */
void hostile_bad_range(struct hostile *h, uint64_t *addr, uint64_t *len, uint64_t min_len,
                       bool addr_only);

/* Pick the next call.  Never one that would end or stall this domain
 * (block, real shutdown, upcall_return, downing vCPU 0, closing our own
 * ports, a foreign upcall entry, memory ops on pages outside scratch). */
void hostile_generate(struct hostile *h, struct hostile_call *c);

#endif /* PVBOOT_HOSTILE_H */
