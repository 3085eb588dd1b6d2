/*
 * hello.c - say who we are and power off: the smallest boot test.
 */
#include "kernel.h"
#include "printf.h"
#include "workloads/workloads.h"

void workload_hello(const char *arg)
{
    (void)arg;
    kprintf("pvboot: hello from domain %u (%s), %llu MiB, %u vCPUs, boot %u\n",
            start_info->domid, boot_name,
            (unsigned long long)MIB(start_info->nr_pages),
            start_info->max_vcpus, start_info->boot_count);
    domain_shutdown(SHUTDOWN_poweroff);
}
