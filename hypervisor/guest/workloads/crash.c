/*
 * crash.c - fault on purpose, so that tests see how hvcore reports a
 * crashed guest (#PF, rip, fault address 0x8).
 */
#include <stdint.h>

#include "kernel.h"
#include "printf.h"
#include "workloads/workloads.h"

noreturn void crash_on_purpose(void)
{
    uintptr_t addr = 0x8;

    kprintf("pvboot: crashing on purpose\n");
    /* Hide the constant from the compiler: a store it can prove is to
     * page 0 may be warned about or turned into a trap instruction. */
    __asm__("" : "+r"(addr));
    *(volatile uint64_t *)addr = 0xdead;
    panic("write to %p did not fault", (void *)addr);
}

void workload_crash(const char *arg)
{
    (void)arg;
    crash_on_purpose();
}
