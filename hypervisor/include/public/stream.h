/*
 * stream.h - the domain stream: one format for save files and migration.
 *
 * A domain leaves its hvcore as a stream of bytes and a new hvcore starts
 * from one (hvcore --restore FILE, hvcore --incoming FD).  The format is
 * independent of KVM's structures and of the sender's host: registers,
 * time and event channels are carried in this header's layouts, and the
 * receiver rebuilds everything the guest cannot change itself (control
 * registers, code and stack segments, page tables, GDT, TSS) from its own
 * values.  docs/migration-stream.md is the prose version, with the order
 * of records and the rules a receiver enforces.
 *
 * Layout
 * ------
 *     struct hv_stream_header                          32 bytes
 *     record, record, ...                              each 8-byte aligned
 *     END record
 *
 * Every record is a struct hv_stream_rec followed by `length` bytes of
 * body and zero padding up to the next multiple of 8.  All integers are in
 * the sender's byte order, which the header's byte_order field shows; a
 * receiver of another byte order refuses the stream (one is never
 * converted).
 *
 * Order (a receiver refuses anything else):
 *     DOMAIN                 exactly once, first
 *     KERNEL                 exactly once
 *     TOOLSTACK              at most once, right after KERNEL
 *     PAGES ...              live streams: any number, a page may repeat
 *                            (the last copy wins); non-live: each page
 *                            at most once
 *   or MEMORY_IMAGE          save files: exactly once, then PAGES that
 *                            override it (the snapshot of the shared-info
 *                            and console pages taken with the vCPU state)
 *     BALLOON                exactly once, after all memory
 *     VCPU x max_vcpus       one per vCPU id 0 .. max_vcpus-1, any order
 *     RUNSTATE, EVTCHN, TIME, CONSOLE
 *                            exactly once each, any order, after BALLOON
 *     END                    last: the checksum
 *
 * Every record is hostile input: the receiver checks each length, count,
 * page number, register and index, and refuses the whole stream with one
 * line naming the record and its offset.  Nothing starts until END has
 * been read and its checksum matched.
 *
 * Live streams (HV_STREAM_F_LIVE) are carried on a bidirectional
 * connection.  After END the receiver answers with a struct
 * hv_stream_reply (READY, or REFUSED with its one-line reason); the sender
 * answers READY with GO; the receiver runs the domain and answers GO with
 * RUNNING.  docs/migration-stream.md explains who decides what when the
 * connection breaks in between.
 */
#ifndef HV_PUBLIC_STREAM_H
#define HV_PUBLIC_STREAM_H

#include "hvabi.h"
#include "hypercall.h"     /* struct hv_vcpu_context */
#include "start_info.h"    /* HV_CMDLINE_MAX */
#include "console.h"       /* HV_CONSOLE_IN_SIZE */

#define HV_STREAM_MAGIC       "HVSTRM\r\n"   /* 8 bytes, no NUL: catches
                                                text-mode mangling */
#define HV_STREAM_VERSION     1
#define HV_STREAM_BYTE_ORDER  0x01020304u    /* as the sender stores it */

/* Header flags. */
#define HV_STREAM_F_LIVE      0x1u  /* migration: pages may repeat, a
                                       handshake follows END           */
#define HV_STREAM_F_FILE      0x2u  /* save file: one MEMORY_IMAGE      */

struct hv_stream_header {
    char     magic[8];          /* HV_STREAM_MAGIC                       */
    uint32_t version;           /* HV_STREAM_VERSION                     */
    uint32_t byte_order;        /* HV_STREAM_BYTE_ORDER                  */
    uint32_t guest_abi;         /* HV_GUEST_ABI_VERSION of the guest     */
    uint32_t page_size;         /* HV_PAGE_SIZE                          */
    uint32_t flags;             /* HV_STREAM_F_*                         */
    uint32_t header_size;       /* sizeof(struct hv_stream_header)       */
};                              /* 32 bytes */

enum hv_stream_rec_type {
    HV_REC_DOMAIN       = 1,
    HV_REC_KERNEL       = 2,
    HV_REC_PAGES        = 3,
    HV_REC_MEMORY_IMAGE = 4,
    HV_REC_BALLOON      = 5,
    HV_REC_VCPU         = 6,
    HV_REC_EVTCHN       = 7,
    HV_REC_TIME         = 8,
    HV_REC_CONSOLE      = 9,
    HV_REC_END          = 10,
    HV_REC_TOOLSTACK    = 11,
    HV_REC_RUNSTATE     = 12,
};

struct hv_stream_rec {
    uint32_t type;              /* enum hv_stream_rec_type               */
    uint32_t flags;             /* HV_REC_F_*, else 0                    */
    uint64_t length;            /* body bytes, padding not counted       */
};                              /* 16 bytes */

/*
 * PAGES records sent while the guest runs (pre-copy rounds of a live
 * stream): the page data is left out of the END checksum.  The sender
 * would otherwise have to copy every page before hashing it, since the
 * guest may change a page between the hash and the send; such a page is
 * dirty and travels again anyway, and the transport (TCP, TLS) protects
 * the bytes in transit.  Record headers and entry lists are always
 * hashed, and so is every page sent while the domain is paused.  Only
 * PAGES may carry this flag, and only in live streams.
 */
#define HV_REC_F_DATA_UNHASHED 0x1u

/* Largest body of any record but MEMORY_IMAGE (PAGES: a full batch). */
#define HV_STREAM_PAGES_MAX   1024
#define HV_STREAM_KERNEL_MAX  (256u << 20)   /* as hvcore's --kernel */

/* Lifecycle actions (DOMAIN.on_*), as hvcore's --on-* options. */
#define HV_STREAM_ACTION_DESTROY  0
#define HV_STREAM_ACTION_RESTART  1
#define HV_STREAM_ACTION_PRESERVE 2

/* DOMAIN.state: how the domain was when it left; a receiver resumes it
 * running or keeps it paused (unless told otherwise). */
#define HV_STREAM_STATE_RUNNING   1
#define HV_STREAM_STATE_PAUSED    2

/* Identity and limits: what cannot change while the stream is sent (a
 * reboot meanwhile ends the stream).  Body: exactly this structure. */
struct hv_rec_domain {
    char     name[64];          /* NUL-terminated, as hvcore --name      */
    uint8_t  uuid[16];
    uint32_t domid;             /* the sender's (for messages only)      */
    uint32_t max_vcpus;         /* 1 .. HV_MAX_VCPUS                     */
    uint64_t mem_max_bytes;     /* whole MiB, HV_MIN..HV_MAX_MEMORY_MIB  */
    uint64_t first_free_pfn;    /* start_info.first_free_pfn             */
    uint64_t entry_rip;         /* the kernel's entry (for reboots)      */
    uint32_t boot_count;        /* >= 1                                  */
    uint8_t  on_poweroff;       /* HV_STREAM_ACTION_*                    */
    uint8_t  on_reboot;
    uint8_t  on_crash;
    uint8_t  pad0;
    char     cmdline[HV_CMDLINE_MAX]; /* NUL-terminated                  */
};                              /* 1144 bytes */

/* RUNSTATE: what can change while the domain runs, as it was when it
 * stopped.  Body: exactly this structure. */
struct hv_rec_runstate {
    uint64_t mem_target_kib;    /* balloon target, 1024 .. mem_max / 1024 */
    uint64_t upcall_rip;        /* EVTCHNOP_set_upcall, 0 if none        */
    uint64_t events;            /* hv_domctl_info.events so far          */
    uint32_t state;             /* HV_STREAM_STATE_*                     */
    uint32_t shutdown_pending;  /* SHUTDOWN_REQUEST_* not carried out    */
};                              /* 32 bytes */

/*
 * KERNEL: the ELF image the domain booted, byte for byte (at most
 * HV_STREAM_KERNEL_MAX), so that the domain can reboot wherever it goes
 * without the sender's file.
 */

/*
 * TOOLSTACK: opaque to hvcore, at most HV_STREAM_TOOLSTACK_MAX bytes: the
 * sender's <domdir>/config.json (domctl.h), which the receiver writes
 * into its own domain directory, so the toolstack's configuration travels
 * with the domain.
 */
#define HV_STREAM_TOOLSTACK_MAX (1u << 20)

/*
 * PAGES: a batch of guest pages.  Body:
 *     struct hv_rec_pages
 *     uint64_t entry[count]        HV_PAGE_ENTRY(pfn, type)
 *     4096 bytes for each NORMAL entry, in entry order
 * count is 1 .. HV_STREAM_PAGES_MAX; every pfn is below
 * mem_max_bytes / 4096 and at least HV_PRIVATE_END / 4096 (the hypercall
 * page and everything above it, the reserved pages up to
 * HV_KERNEL_MIN_ADDR included: the guest can write them); page 0 and the
 * hypervisor-private pages never travel: the receiver builds its own.
 * Within one batch a page appears at most once.
 */
struct hv_rec_pages {
    uint32_t count;
    uint32_t pad0;
};

#define HV_PAGE_NORMAL   0ULL   /* 4096 bytes of data follow             */
#define HV_PAGE_ZERO     1ULL   /* all zero: the number alone travels    */
#define HV_PAGE_ENTRY(pfn, type) ((uint64_t)(pfn) | ((uint64_t)(type) << 60))
#define HV_PAGE_ENTRY_PFN(e)     ((e) & ((1ULL << 52) - 1))
#define HV_PAGE_ENTRY_TYPE(e)    ((e) >> 60)
/* Bits 52..59 must be zero. */

/*
 * MEMORY_IMAGE: all of guest RAM as one page-aligned section, so that a
 * restore maps the file (a private mapping: the file is never written)
 * instead of reading it.  Body:
 *     struct hv_rec_memory_image
 *     zero padding up to data_offset
 *     nr_pages * 4096 bytes: page p at data_offset + p * 4096
 * Zero and ballooned pages are holes in a sparse file.  The
 * hypervisor-private pages are zero here too, and so are the hypercall
 * to console pages as hvcore writes them (the receiver builds the first
 * two; the shared-info and console pages follow in a PAGES record taken
 * with the vCPU state, since hvcore itself may write them while the
 * image is written).  image_hash (XXH3-64 of the
 * nr_pages * 4096 bytes) is checked only on request (hvcore --verify):
 * a restore that maps the file does not read the pages, and their
 * contents are the guest's, never interpreted by hvcore.
 */
struct hv_rec_memory_image {
    uint64_t nr_pages;          /* == DOMAIN.mem_max_bytes / 4096        */
    uint64_t data_offset;       /* from the start of the stream; the
                                   first multiple of 4096 after this
                                   structure                            */
    uint64_t image_hash;
    uint64_t pad0;
};

/*
 * BALLOON: the pages the guest gave back (hvcore's balloon map).  Body:
 *     struct hv_rec_balloon
 *     uint64_t bitmap[(nr_pages + 63) / 64]    bit p%64 of word p/64
 * Set bits lie in [HV_KERNEL_MIN_ADDR / 4096, nr_pages) and number
 * `ballooned`.  The receiver releases those pages whatever the memory
 * records said about them.
 */
struct hv_rec_balloon {
    uint64_t nr_pages;          /* == DOMAIN.mem_max_bytes / 4096        */
    uint64_t ballooned;
};

/* VCPU.state */
#define HV_STREAM_VCPU_DOWN        0  /* not up: nothing else is used    */
#define HV_STREAM_VCPU_UP_PENDING  1  /* VCPUOP_up accepted, not yet run:
                                         starts from `start`            */
#define HV_STREAM_VCPU_RUNNING     2  /* registers below                 */
#define HV_STREAM_VCPU_BLOCKED     3  /* in SCHEDOP_block: registers as
                                         at its return (rax = 0); blocks
                                         again before running            */

/*
 * One vCPU.  Only state a CPL-3 guest can change travels; the receiver
 * checks each value as it checks hypercall arguments: rip and rsp-like
 * addresses lower-half canonical, rflags limited to the flags a CPL-3
 * guest can set (plus IF and bit 1, which must be set), data selectors
 * null or a user segment of hvcore's GDT, fs/gs bases lower-half canonical, and
 * the XSAVE area accepted by KVM for the features both hosts have.
 */
struct hv_stream_regs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
    uint64_t fs_base, gs_base;
    uint16_t ds, es, fs, gs;    /* selectors                             */
    uint64_t cr2;               /* last page-fault address               */
};                              /* 176 bytes */

#define HV_STREAM_XSAVE_SIZE 4096

struct hv_rec_vcpu {
    uint32_t id;                /* < DOMAIN.max_vcpus                    */
    uint32_t state;             /* HV_STREAM_VCPU_*                      */
    uint64_t timer_deadline_ns; /* system time; 0: not armed             */
    uint64_t exits;             /* its exit counter so far               */
    uint64_t xcr0;              /* 0: no XSAVE state below (FP reset)    */
    struct hv_vcpu_context start;    /* UP_PENDING                        */
    struct hv_stream_regs regs;      /* RUNNING, BLOCKED                  */
    uint8_t  xsave[HV_STREAM_XSAVE_SIZE]; /* KVM_GET_XSAVE's layout (the
                                   architectural XSAVE area)            */
};                              /* 4336 bytes */

/* EVTCHN: the port table (bindings; pending and mask bits are in the
 * shared-info page, which travels as memory). */
struct hv_stream_port {
    uint8_t  type;              /* 0 free, 1 VIRQ, 2 IPI                 */
    uint8_t  virq;              /* VIRQ_*, for type 1                    */
    uint16_t vcpu;              /* < max_vcpus                           */
};

struct hv_rec_evtchn {
    struct hv_stream_port port[HV_NR_EVTCHN];
};                              /* 256 bytes */

/* TIME: guest system time at the pause, and the sender's wall clock then.
 * The receiver moves system time forward by the wall-clock gap (never
 * backwards: a negative gap counts as 0), docs/guest-abi.md. */
struct hv_rec_time {
    uint64_t system_time_ns;    /* pvclock system time when paused       */
    uint64_t realtime_ns;       /* sender's CLOCK_REALTIME then          */
    uint64_t tsc_khz;           /* sender's TSC (for messages only)      */
    uint64_t pad0;
};

/* CONSOLE: hvcore's side of the console (the rings are guest memory). */
#define HV_STREAM_CONSOLE_HISTORY 8192
struct hv_rec_console {
    uint32_t history_len;       /* <= HV_STREAM_CONSOLE_HISTORY           */
    uint32_t in_pending_len;    /* <= HV_CONSOLE_IN_SIZE                  */
    char     history[HV_STREAM_CONSOLE_HISTORY]; /* recent output        */
    char     in_pending[HV_CONSOLE_IN_SIZE];     /* typed, not yet in the
                                                    ring                 */
};

/* END: XXH3-64 of every stream byte before this record's header, except
 * the MEMORY_IMAGE pages (see image_hash) and the page data of PAGES
 * records flagged HV_REC_F_DATA_UNHASHED. */
struct hv_rec_end {
    uint64_t checksum;
};

/* Handshake of live streams, after END (both directions). */
#define HV_STREAM_REPLY_MAGIC 0x48565250u   /* "HVRP" */
enum hv_stream_reply_type {
    HV_STREAM_READY    = 1,     /* receiver: stream checked, domain built,
                                   not running                          */
    HV_STREAM_REFUSED  = 2,     /* receiver: message says why            */
    HV_STREAM_GO       = 3,     /* sender: it will never run again       */
    HV_STREAM_RUNNING  = 4,     /* receiver: the domain runs here now    */
};

struct hv_stream_reply {
    uint32_t magic;             /* HV_STREAM_REPLY_MAGIC                 */
    uint32_t type;              /* enum hv_stream_reply_type             */
    char     message[120];      /* REFUSED: NUL-terminated reason        */
};                              /* 128 bytes */

#endif /* HV_PUBLIC_STREAM_H */
