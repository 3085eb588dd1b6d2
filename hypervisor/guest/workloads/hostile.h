/*
 * hostile.h - shared between the hostile workload's driver (hostile.c) and
 * its call generator (hostile_gen.c).
 */
#ifndef PVBOOT_HOSTILE_H
#define PVBOOT_HOSTILE_H

#include <stdbool.h>
#include <stdint.h>

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
};

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
