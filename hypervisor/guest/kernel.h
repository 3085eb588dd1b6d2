/*
 * kernel.h - what every part of pvboot shares: the boot pages, panic and
 * power-off, and a few compiler helpers.
 *
 * pvboot runs at CPL 3 on an identity-mapped address space (layout.h), so a
 * guest physical address is also a pointer.
 */
#ifndef PVBOOT_KERNEL_H
#define PVBOOT_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "public/errno.h"
#include "public/hypercall.h"
#include "public/layout.h"
#include "public/shared_info.h"
#include "public/start_info.h"

/* Set once by kmain before anything else runs; the pages themselves are
 * owned by hvcore (start info is read-only to us). */
extern const struct hv_start_info *start_info;
extern struct hv_shared_info *shared_info;

/* NUL-terminated copies of start_info.cmdline (trimmed) and .name. */
extern char boot_cmdline[HV_CMDLINE_MAX];
extern char boot_name[sizeof(((struct hv_start_info *)0)->name)];

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIB(pages) ((pages) >> (20 - HV_PAGE_SHIFT))
#define PAGES_PER_MIB (1ULL << (20 - HV_PAGE_SHIFT))

/* hvcore and other vCPUs change shared pages behind the compiler's back. */
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define barrier() __asm__ volatile("" ::: "memory")

static inline void cpu_relax(void)
{
    __asm__ volatile("pause" ::: "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* Print "pvboot: panic: <msg>" and end the domain with SHUTDOWN_crash. */
noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define ASSERT(cond)                                                        \
    do {                                                                    \
        if (!(cond))                                                        \
            panic("assertion failed: %s (%s:%d)", #cond, __FILE__, __LINE__); \
    } while (0)

/* Flush the console and SCHEDOP_shutdown(reason); never returns. */
noreturn void domain_shutdown(unsigned reason);

/* Bind VIRQ_SHUTDOWN: a poweroff or reboot request from the toolstack is
 * announced on the console and obeyed, even in the middle of a workload. */
void shutdown_watch_start(void);

/* Entry of C code on vCPU 0, called by start.S with the start-info page. */
noreturn void kmain(const struct hv_start_info *si);

#endif /* PVBOOT_KERNEL_H */
