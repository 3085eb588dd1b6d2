/*
 * workloads.h - what pvboot can run, picked by the command line (main.c).
 *
 * Each workload gets the text after '=' in the command line (or "") and
 * either runs forever or ends the domain itself.  Console lines they print
 * are matched by the tests: see README.md before changing one.
 */
#ifndef PVBOOT_WORKLOADS_H
#define PVBOOT_WORKLOADS_H

#include <stdnoreturn.h>

void workload_hello(const char *arg);
void workload_counter(const char *arg);
void workload_smp(const char *arg);
void workload_balloon(const char *arg);
void workload_memtouch(const char *arg);
void workload_memcheck(const char *arg);
void workload_shell(const char *arg);
void workload_crash(const char *arg);
void workload_hostile(const char *arg);
void workload_abi_errors(const char *arg);
void workload_bench_exits(const char *arg);
void workload_bench_timer(const char *arg);
void workload_diskcheck(const char *arg);
void workload_diskio(const char *arg);
void workload_diskbench(const char *arg);
void workload_hostile_virtq(const char *arg);
void workload_net(const char *arg);
void workload_netbench(const char *arg);

/* "pvboot: crashing on purpose", then a write to unmapped page 0. */
noreturn void crash_on_purpose(void);

#endif /* PVBOOT_WORKLOADS_H */
