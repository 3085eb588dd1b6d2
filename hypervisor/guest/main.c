/*
 * main.c - vCPU 0's start of day: check the start info, bring up the
 * console, events, memory and time, then run the workload the command
 * line names.
 */
#include "console.h"
#include "evtchn.h"
#include "kernel.h"
#include "lib.h"
#include "mm.h"
#include "printf.h"
#include "public/layout.h"
#include "smp.h"
#include "time.h"
#include "workloads/workloads.h"

const struct hv_start_info *start_info;
struct hv_shared_info *shared_info;
char boot_cmdline[HV_CMDLINE_MAX];
char boot_name[sizeof(((struct hv_start_info *)0)->name)];

#define NEEDS_ARG  (1u << 0)    /* "name=<arg>" is mandatory            */
#define SERVICES   (1u << 1)    /* long-running: shutdown + balloon     */
#define SHUTDOWN   (1u << 2)    /* obeys shutdown requests, no balloon  */

static const struct workload {
    const char *name;
    unsigned flags;
    void (*run)(const char *arg);
    const char *usage;
} workloads[] = {
    { "hello",    0,                    workload_hello,    "hello" },
    { "counter",  SERVICES,             workload_counter,  "counter" },
    { "smp",      0,                    workload_smp,      "smp" },
    { "balloon",  SERVICES | NEEDS_ARG, workload_balloon,  "balloon=<MiB>" },
    { "memtouch", SERVICES | NEEDS_ARG, workload_memtouch, "memtouch=<MiB>[,<rate>]" },
    { "memcheck", SERVICES | NEEDS_ARG, workload_memcheck, "memcheck=<MiB>[,<dirty MiB/s>]" },
    { "shell",    SERVICES,             workload_shell,    "shell" },
    { "crash",    0,                    workload_crash,    "crash" },
    { "hostile",  SHUTDOWN,             workload_hostile,  "hostile[=<count>[,<seed>]]" },
    { "abi-errors", 0,                  workload_abi_errors, "abi-errors" },
    { "bench-exits", 0,                 workload_bench_exits, "bench-exits" },
    { "bench-timer", 0,                 workload_bench_timer, "bench-timer" },
    { "diskcheck", SHUTDOWN,            workload_diskcheck, "diskcheck[=<MiB>]" },
    { "diskio",   SERVICES,             workload_diskio,   "diskio[=<MiB>]" },
    { "diskbench", SHUTDOWN | NEEDS_ARG, workload_diskbench,
      "diskbench=<randread4k-qd1|randread4k-qd32|seqread1m|seqwrite1m>,<seconds>" },
    { "hostile-virtq", SHUTDOWN,        workload_hostile_virtq, "hostile-virtq[=stay]" },
    { "net",      SERVICES | NEEDS_ARG, workload_net,
      "net=<ip>/<prefix>[,<peer-ip>[,<count>]][,mac=<mac>]" },
    { "netbench", SHUTDOWN | NEEDS_ARG, workload_netbench,
      "netbench=<ip>/<prefix>,<dst-ip>:<port>,<seconds>[,<size>]" },
};

/* Copy at most size-1 bytes of a field hvcore promised to terminate. */
static void copy_string(char *dst, const char *src, size_t size)
{
    size_t n = 0;

    while (n + 1 < size && src[n]) {
        dst[n] = src[n];
        n++;
    }
    dst[n] = '\0';
}

static void trim(char *s)
{
    const char *p = skip_spaces(s);
    size_t n = strlen(p);

    memmove(s, p, n + 1);
    while (n > 0 && is_space(s[n - 1]))
        s[--n] = '\0';
}

static noreturn void run_workload(char *cmdline)
{
    char *eq = strchr(cmdline, '=');
    const char *arg = eq ? eq + 1 : "";

    if (eq)
        *eq = '\0';
    for (size_t i = 0; i < ARRAY_SIZE(workloads); i++) {
        const struct workload *w = &workloads[i];

        if (strcmp(cmdline, w->name) != 0)
            continue;
        if ((w->flags & NEEDS_ARG) && !*arg) {
            kprintf("pvboot: usage: %s\n", w->usage);
            domain_shutdown(SHUTDOWN_poweroff);
        }
        if (w->flags & (SERVICES | SHUTDOWN))
            shutdown_watch_start();
        if (w->flags & SERVICES)
            balloon_start();
        w->run(arg);
        domain_shutdown(SHUTDOWN_poweroff);
    }
    kprintf("pvboot: unknown workload '%s'\n", boot_cmdline);
    domain_shutdown(SHUTDOWN_poweroff);
}

noreturn void kmain(const struct hv_start_info *si)
{
    char cmdline[HV_CMDLINE_MAX];
    bool valid = si->magic == HV_START_INFO_MAGIC;

    /* With a bad start-info page, fall back to the fixed addresses of
     * layout.h for as long as it takes to say so. */
    start_info = si;
    shared_info = (struct hv_shared_info *)(uintptr_t)(valid ? si->shared_info
                                                             : HV_SHARED_INFO_PAGE);
    console_init(valid ? si->console_page : HV_CONSOLE_PAGE);
    smp_init();
    if (!valid)
        panic("bad start-info magic %#llx", (unsigned long long)si->magic);
    if (si->abi_version != HV_GUEST_ABI_VERSION)
        panic("guest ABI %u, pvboot speaks %u", si->abi_version, HV_GUEST_ABI_VERSION);

    copy_string(boot_cmdline, si->cmdline, sizeof(boot_cmdline));
    copy_string(boot_name, si->name, sizeof(boot_name));
    trim(boot_cmdline);
    kprintf("pvboot: booting %s (boot %u)\n", boot_cmdline, si->boot_count);

    evtchn_init();
    mm_init();
    time_init_vcpu();
    irq_enable();               /* hvcore starts us with upcalls masked */

    /* An empty command line boots the friendliest workload.  A leading
     * "upcall-return=hypercall " makes upcalls end with
     * EVTCHNOP_upcall_return, so that hvcore's side of it stays tested. */
    static const char hc_return[] = "upcall-return=hypercall ";
    const char *rest = boot_cmdline;
    if (strncmp(rest, hc_return, sizeof(hc_return) - 1) == 0) {
        upcall_return_by_hypercall = true;
        rest = skip_spaces(rest + sizeof(hc_return) - 1);
    }
    copy_string(cmdline, rest[0] ? rest : "hello", sizeof(cmdline));
    run_workload(cmdline);
}
