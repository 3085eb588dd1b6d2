/*
 * options.c - parsing and checking hvcore's command line.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "device_spec.h"
#include "guest_dir.h"
#include "hvcore.h"
#include "options.h"
#include "public/errno.h"
#include "public/exit_status.h"
#include "public/layout.h"
#include "runtime.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const char usage_text[] =
"usage: hvcore --kernel ELF --memory MiB [options]\n"
"       hvcore --restore FILE | --incoming FD [options]\n"
"Run one paravirtualized domain in the foreground.\n"
"\n"
"  -k, --kernel ELF          guest kernel (ELF64 executable); a name without\n"
"                            '/' is looked up in $HVCORE_GUEST_DIR, else " HVCORE_GUEST_DIR "\n"
"  -m, --memory MiB          memory the guest starts with\n"
"  -M, --max-memory MiB      memory ceiling for ballooning (default: --memory)\n"
"  -c, --vcpus N             vCPUs the guest may bring up (1-16, default 1)\n"
"  -a, --cmdline STR         guest command line\n"
"      --initrd FILE         initramfs for a Xen PV kernel (cpio, optionally\n"
"                            gzip/xz/lz4/zstd compressed); checked before boot\n"
"      --abi hv|xen          the guest's ABI: hvcore's own (pvboot) or Xen PV\n"
"                            (stock Linux, ELF or bzImage); default: from the\n"
"                            kernel file (Xen ELF notes or a bzImage: xen)\n"
"  -n, --name NAME           domain name (default: domain-<domid>)\n"
"  -u, --uuid UUID           domain UUID (default: random)\n"
"  -r, --rundir DIR          runtime directory (default: $HVCTL_RUNDIR or /run/hvctl)\n"
"  -d, --domid N             use this domid instead of the lowest free one\n"
"      --console stdio|none  console on stdin/stdout (default) or not\n"
"      --console-log FILE    append console output to FILE\n"
"      --on-poweroff ACTION  destroy (default) | restart\n"
"      --on-reboot ACTION    restart (default) | destroy\n"
"      --on-crash ACTION     destroy (default) | restart | preserve\n"
"      --ready-fd FD         write \"<domid>\\n\" to FD once the domain runs\n"
"      --event-fd FD         send lifecycle events (struct hv_domctl_event) on\n"
"                            socket FD from the start, as domctl subscribe does\n"
"      --detach              run in the background once the domain runs\n"
"      --paused              start with its vCPUs paused (domctl unpause runs it)\n"
"      --restore FILE        run the domain saved in FILE (domctl save); its\n"
"                            name, uuid, memory, vCPUs, command line, actions\n"
"                            and kernel come from the file\n"
"      --verify              with --restore: check the memory image's hash\n"
"      --incoming FD         receive a migrating domain on connected socket FD;\n"
"                            --ready-fd is written as soon as it listens\n"
"      --reserve MiB         with --incoming: make and populate this much\n"
"                            guest memory before announcing readiness\n"
"      --device SPEC         a disk or network card (repeatable, up to 16):\n"
"                            blk,id=ID,file=PATH|socket=PATH[,readonly][,direct]\n"
"                            [,discard=on|off][,queues=N][,user=NAME] or\n"
"                            net,id=ID,mac=MAC|socket=PATH[,tap=NAME][,bridge=NAME]\n"
"                            [,queues=N][,user=NAME]; a ',' in a value is ',,'\n"
"  -h, --help                this text\n"
"  -V, --version             print the version\n"
"\n"
"Exit status: " STR(HVCORE_EXIT_OK) " guest powered off, " STR(HVCORE_EXIT_STARTUP)
" startup error, " STR(HVCORE_EXIT_CRASHED) " guest crashed,\n"
STR(HVCORE_EXIT_DESTROYED) " destroyed (domctl destroy, SIGTERM, SIGINT or SIGHUP),\n"
STR(HVCORE_EXIT_SAVED) " saved, " STR(HVCORE_EXIT_MIGRATED) " migrated, " STR(HVCORE_EXIT_STREAM)
" the stream of --restore or --incoming was refused or broke.\n";

enum {
    OPT_CONSOLE = 256, OPT_CONSOLE_LOG, OPT_ON_POWEROFF, OPT_ON_REBOOT,
    OPT_ON_CRASH, OPT_READY_FD, OPT_EVENT_FD, OPT_DETACH, OPT_PAUSED,
    OPT_RESTORE, OPT_INCOMING, OPT_VERIFY, OPT_RESERVE, OPT_DEVICE, OPT_INITRD, OPT_ABI,
};

static const struct option long_opts[] = {
    { "kernel", required_argument, NULL, 'k' },
    { "memory", required_argument, NULL, 'm' },
    { "max-memory", required_argument, NULL, 'M' },
    { "vcpus", required_argument, NULL, 'c' },
    { "cmdline", required_argument, NULL, 'a' },
    { "name", required_argument, NULL, 'n' },
    { "uuid", required_argument, NULL, 'u' },
    { "rundir", required_argument, NULL, 'r' },
    { "domid", required_argument, NULL, 'd' },
    { "console", required_argument, NULL, OPT_CONSOLE },
    { "console-log", required_argument, NULL, OPT_CONSOLE_LOG },
    { "on-poweroff", required_argument, NULL, OPT_ON_POWEROFF },
    { "on-reboot", required_argument, NULL, OPT_ON_REBOOT },
    { "on-crash", required_argument, NULL, OPT_ON_CRASH },
    { "ready-fd", required_argument, NULL, OPT_READY_FD },
    { "event-fd", required_argument, NULL, OPT_EVENT_FD },
    { "detach", no_argument, NULL, OPT_DETACH },
    { "paused", no_argument, NULL, OPT_PAUSED },
    { "restore", required_argument, NULL, OPT_RESTORE },
    { "incoming", required_argument, NULL, OPT_INCOMING },
    { "verify", no_argument, NULL, OPT_VERIFY },
    { "reserve", required_argument, NULL, OPT_RESERVE },
    { "device", required_argument, NULL, OPT_DEVICE },
    { "initrd", required_argument, NULL, OPT_INITRD },
    { "abi", required_argument, NULL, OPT_ABI },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int bad(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "hvcore: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'hvcore --help'.\n");
    return -HVE_INVAL;
}

/* Strictly decimal, in [lo, hi].  0 or -HVE_INVAL. */
static int parse_uint(const char *s, unsigned long long lo, unsigned long long hi,
                      unsigned long long *out)
{
    char *end;

    if (!s[0] || s[0] == '-' || s[0] == '+')
        return -HVE_INVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -HVE_INVAL;
    *out = v;
    return 0;
}

static int parse_action(const char *s, enum lifecycle_action *a, bool allow_preserve)
{
    if (strcmp(s, "destroy") == 0)
        *a = ACTION_DESTROY;
    else if (strcmp(s, "restart") == 0)
        *a = ACTION_RESTART;
    else if (allow_preserve && strcmp(s, "preserve") == 0)
        *a = ACTION_PRESERVE;
    else
        return -HVE_INVAL;
    return 0;
}

int uuid_parse(const char *s, uint8_t out[16])
{
    unsigned n = 0;

    if (strlen(s) != 36)
        return -HVE_INVAL;
    for (unsigned i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return -HVE_INVAL;
            continue;
        }
        char c = s[i];
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
                c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0)
            return -HVE_INVAL;
        if (n % 2 == 0)
            out[n / 2] = (uint8_t)(v << 4);
        else
            out[n / 2] |= (uint8_t)v;
        n++;
    }
    return 0;
}

static unsigned long long host_ram_mib(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);

    return pages > 0 && size > 0 ? (unsigned long long)pages * (unsigned long long)size >> 20 : 0;
}

int options_parse(int argc, char **argv, struct domain *d, struct options *o)
{
    unsigned long long mem = 0, maxmem = 0, v;
    const char *rundir = getenv("HVCTL_RUNDIR");
    bool have_uuid = false, have_config = false;
    int c;

    memset(o, 0, sizeof(*o));
    o->ready_fd = o->event_fd = o->incoming_fd = -1;
    d->max_vcpus = 1;
    d->cmdline = "";
    d->on_poweroff = ACTION_DESTROY;
    d->on_reboot = ACTION_RESTART;
    d->on_crash = ACTION_DESTROY;
    d->console_stdio = true;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":k:m:M:c:a:n:u:r:d:hV", long_opts, NULL)) != -1) {
        switch (c) {
        case 'k': d->kernel_path = optarg; have_config = true; break;
        case 'm':
            have_config = true;
            if (parse_uint(optarg, 1, ~0ULL >> 21, &mem) < 0)
                return bad("--memory: '%s' is not a number of MiB", optarg);
            break;
        case 'M':
            have_config = true;
            if (parse_uint(optarg, 1, ~0ULL >> 21, &maxmem) < 0)
                return bad("--max-memory: '%s' is not a number of MiB", optarg);
            break;
        case 'c':
            have_config = true;
            if (parse_uint(optarg, 1, HV_MAX_VCPUS, &v) < 0)
                return bad("--vcpus: '%s' is not between 1 and 16", optarg);
            d->max_vcpus = (unsigned)v;
            break;
        case 'a':
            have_config = true;
            if (strlen(optarg) >= HV_CMDLINE_MAX)
                return bad("--cmdline: longer than 1023 bytes");
            d->cmdline = optarg;
            break;
        case 'n': {
            have_config = true;
            const char *why = runtime_check_name(optarg);
            if (why) {
                fprintf(stderr, "hvcore: --name: '%s' %s\n", optarg, why);
                return -HVE_INVAL;
            }
            snprintf(d->name, sizeof(d->name), "%s", optarg);
            break;
        }
        case 'u':
            if (uuid_parse(optarg, d->uuid) < 0)
                return bad("--uuid: '%s' is not a UUID", optarg);
            have_uuid = have_config = true;
            break;
        case 'r': rundir = optarg; break;
        case 'd':
            if (parse_uint(optarg, 1, 32767, &v) < 0)
                return bad("--domid: '%s' is not between 1 and 32767", optarg);
            o->domid = (uint32_t)v;
            break;
        case OPT_CONSOLE:
            if (strcmp(optarg, "stdio") == 0)
                d->console_stdio = true;
            else if (strcmp(optarg, "none") == 0)
                d->console_stdio = false;
            else
                return bad("--console: '%s' is not stdio or none", optarg);
            break;
        case OPT_CONSOLE_LOG: o->log_path = optarg; break;
        case OPT_ON_POWEROFF:
            have_config = true;
            if (parse_action(optarg, &d->on_poweroff, false) < 0)
                return bad("--on-poweroff: '%s' is not destroy or restart", optarg);
            break;
        case OPT_ON_REBOOT:
            have_config = true;
            if (parse_action(optarg, &d->on_reboot, false) < 0)
                return bad("--on-reboot: '%s' is not restart or destroy", optarg);
            break;
        case OPT_ON_CRASH:
            have_config = true;
            if (parse_action(optarg, &d->on_crash, true) < 0)
                return bad("--on-crash: '%s' is not destroy, restart or preserve", optarg);
            break;
        case OPT_READY_FD:
            if (parse_uint(optarg, 0, 65535, &v) < 0)
                return bad("--ready-fd: '%s' is not a file descriptor", optarg);
            o->ready_fd = (int)v;
            break;
        case OPT_EVENT_FD:
            if (parse_uint(optarg, 0, 65535, &v) < 0)
                return bad("--event-fd: '%s' is not a file descriptor", optarg);
            o->event_fd = (int)v;
            break;
        case OPT_DETACH: o->detach = true; break;
        /* Paused before it boots: vCPU 0 parks before its first guest
         * instruction (vcpu.c), so a console attached now misses nothing. */
        case OPT_PAUSED: d->paused = true; o->paused = true; break;
        case OPT_RESTORE: o->restore_path = optarg; break;
        case OPT_INCOMING:
            if (parse_uint(optarg, 0, 65535, &v) < 0)
                return bad("--incoming: '%s' is not a file descriptor", optarg);
            o->incoming_fd = (int)v;
            break;
        case OPT_VERIFY: o->verify = true; break;
        case OPT_RESERVE:
            if (parse_uint(optarg, HV_MIN_MEMORY_MIB, HV_MAX_MEMORY_MIB, &v) < 0)
                return bad("--reserve: '%s' is not a number of MiB in %llu..%llu", optarg,
                           HV_MIN_MEMORY_MIB, HV_MAX_MEMORY_MIB);
            o->reserve_mib = v;
            break;
        case OPT_DEVICE: {
            /* Checked now, so that a typo is a usage error before any
             * domain exists; started with the domain (device_start_all). */
            static struct dev_spec spec;
            char why[256];
            if (d->nr_device_specs >= HV_DEV_MAX)
                return bad("--device: more than %d devices", HV_DEV_MAX);
            if (dev_spec_parse(optarg, strlen(optarg), &spec, why, sizeof(why)) < 0)
                return bad("--device: %s", why);
            d->device_specs[d->nr_device_specs++] = optarg;
            break;
        }
        case OPT_INITRD:
            have_config = true;
            if (!*optarg)
                return bad("--initrd is empty");
            d->initrd_path = optarg;
            break;
        case OPT_ABI:
            have_config = true;
            if (!strcmp(optarg, "hv"))
                d->abi = DOMAIN_ABI_HV;
            else if (!strcmp(optarg, "xen"))
                d->abi = DOMAIN_ABI_XEN;
            else
                return bad("--abi: '%s' is not hv or xen", optarg);
            break;
        case 'h': fputs(usage_text, stdout); return OPTIONS_DONE;
        case 'V': printf("hvcore %s (guest ABI %d, domctl %#x)\n", PACKAGE_VERSION,
                         HV_GUEST_ABI_VERSION, HV_DOMCTL_INTERFACE_VERSION);
                  return OPTIONS_DONE;
        case ':': return bad("option %s needs an argument", argv[optind - 1]);
        default:  return bad("unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad("unexpected argument '%s'", argv[optind]);
    if (o->restore_path && o->incoming_fd >= 0)
        return bad("--restore and --incoming exclude each other");
    if (o->verify && !o->restore_path)
        return bad("--verify needs --restore");
    if (o->reserve_mib && o->incoming_fd < 0)
        return bad("--reserve needs --incoming");
    if ((o->restore_path || o->incoming_fd >= 0) && d->nr_device_specs)
        return bad("--device: a domain from a stream cannot have devices yet");
    if (o->restore_path || o->incoming_fd >= 0) {
        /* The stream says what the domain is. */
        if (have_config)
            return bad("%s: the domain's configuration comes from the stream "
                       "(no --kernel, --memory, --max-memory, --vcpus, --cmdline, --name, "
                       "--uuid or --on-*)", o->restore_path ? "--restore" : "--incoming");
        d->from_stream = true;
        d->kernel_path = "the kernel from the stream";
        snprintf(d->rundir, sizeof(d->rundir), "%s", rundir && *rundir ? rundir : "/run/hvctl");
        return 0;
    }
    if (!d->kernel_path)
        return bad("--kernel is required");
    if (!*d->kernel_path)
        return bad("--kernel is empty");
    /* A bare name is an installed guest; one path per process. */
    static char kernel_buf[4096];
    const char *optarg_kernel = d->kernel_path;
    d->kernel_path = guest_dir_resolve(d->kernel_path, kernel_buf,
                                       sizeof(kernel_buf));
    if (!d->kernel_path) {
        /* Not a usage error: the environment is at fault. */
        fprintf(stderr, "hvcore: --kernel %s: the guest directory "
                "($HVCORE_GUEST_DIR) makes a path over %zu bytes\n",
                optarg_kernel, sizeof(kernel_buf) - 1);
        return -HVE_RANGE;
    }
    if (d->initrd_path) {
        static char initrd_buf[4096];
        const char *given = d->initrd_path;
        d->initrd_path = guest_dir_resolve(given, initrd_buf, sizeof(initrd_buf));
        if (!d->initrd_path) {
            fprintf(stderr, "hvcore: --initrd %s: the guest directory "
                    "($HVCORE_GUEST_DIR) makes a path over %zu bytes\n",
                    given, sizeof(initrd_buf) - 1);
            return -HVE_RANGE;
        }
    }
    if (d->initrd_path && d->abi == DOMAIN_ABI_HV)
        return bad("--initrd: only a Xen PV kernel (--abi xen) takes an initrd");
    if (!mem)
        return bad("--memory is required");
    if (!maxmem)
        maxmem = mem;
    if (maxmem < mem)
        return bad("--max-memory is below --memory");
    if (maxmem < HV_MIN_MEMORY_MIB || maxmem > HV_MAX_MEMORY_MIB) {
        fprintf(stderr, "hvcore: memory %llu MiB is outside %llu..%llu MiB\n",
                maxmem, HV_MIN_MEMORY_MIB, HV_MAX_MEMORY_MIB);
        return -HVE_RANGE;
    }
    if (host_ram_mib() && maxmem > host_ram_mib()) {
        fprintf(stderr, "hvcore: memory %llu MiB is more than the host's %llu MiB\n",
                maxmem, host_ram_mib());
        return -HVE_RANGE;
    }
    d->mem_max_bytes = maxmem << 20;
    d->mem_initial_bytes = mem << 20;
    d->mem_target_kib = mem << 10;
    if (!have_uuid) {
        if (getrandom(d->uuid, sizeof(d->uuid), 0) != (ssize_t)sizeof(d->uuid))
            memset(d->uuid, 0, sizeof(d->uuid));
        d->uuid[6] = (uint8_t)((d->uuid[6] & 0x0f) | 0x40);   /* version 4 */
        d->uuid[8] = (uint8_t)((d->uuid[8] & 0x3f) | 0x80);   /* variant 1 */
    }
    snprintf(d->rundir, sizeof(d->rundir), "%s", rundir && *rundir ? rundir : "/run/hvctl");
    return 0;
}
