/*
 * linux_guest.c - the test kit booted under hvcore or QEMU TCG, and its
 * shell driven through the console (linux_guest.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "linux_guest.h"

#define MAX_ARGS       64
#define DEFAULT_MEM    256
#define HVCORE_CONSOLE "console=hvc0 quiet"
#define QEMU_CONSOLE   "console=ttyS0 quiet"
#define EXIT_WAIT_MS   10000     /* hvcore that failed at startup ends  */
#define QEMU_CTRL_A    "\x01"    /* -nographic's mux: ^A c switches      */

enum lg_hv lg_hv_from_env(void)
{
    const char *hv = getenv("HVTEST_LINUX_HYPERVISOR");

    return hv && strcmp(hv, "qemu") == 0 ? LG_QEMU : LG_HVCORE;
}

const char *lg_hv_name(enum lg_hv hv)
{
    return hv == LG_QEMU ? "QEMU TCG" : "hvcore";
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);

    return v && *v ? v : def;
}

/* The guest's command line: the console's, then $HVTEST_LINUX_APPEND. */
static void cmdline(char *buf, size_t len, const char *console)
{
    const char *extra = getenv("HVTEST_LINUX_APPEND");

    snprintf(buf, len, "%s%s%s", console, extra && *extra ? " " : "", extra ? extra : "");
}

/* Split the words of $HVTEST_HVCORE_ARGS (copied into store) onto argv. */
static unsigned extra_words(const char **argv, unsigned n, char *store, size_t len)
{
    const char *env = getenv("HVTEST_HVCORE_ARGS");
    char *save = NULL;

    snprintf(store, len, "%s", env ? env : "");
    for (char *w = strtok_r(store, " \t", &save); w && n < MAX_ARGS - 1;
         w = strtok_r(NULL, " \t", &save))
        argv[n++] = w;
    return n;
}

/* The first line of what hvcore said on stderr, for a one-line why. */
static void first_stderr_line(const struct lg *g, char *why, size_t why_len, int status)
{
    const char *err = lc_stderr(g->con);

    snprintf(why, why_len, "hvcore exited with status %d before the domain ran: %.*s", status,
             (int)strcspn(err, "\n"), err[0] ? err : "(nothing on stderr)");
}

/* Wait for hvcore's "<domid>\n" on the ready pipe, reading the console
 * meanwhile (a full pty would stall hvcore). */
static int wait_ready(struct lg *g, int fd, char *why, size_t why_len)
{
    uint64_t end = ms_now() + LG_BOOT_MS;
    char buf[32];
    size_t got = 0;
    int status;

    while (got < sizeof(buf) - 1 && !memchr(buf, '\n', got)) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 20) > 0) {
            ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        lc_drain(g->con, 1);
        if (ms_now() > end) {
            snprintf(why, why_len, "hvcore did not say the domain runs within %d s",
                     LG_BOOT_MS / 1000);
            return -1;
        }
    }
    buf[got] = '\0';
    g->domid = (uint32_t)strtoul(buf, NULL, 10);
    if (g->domid)
        return 0;
    if (lc_wait_exit(g->con, EXIT_WAIT_MS, &status) < 0)
        status = -1;
    first_stderr_line(g, why, why_len, status);
    return -1;
}

static int boot_hvcore(struct lg *g, const struct lg_opts *o, char *why, size_t why_len)
{
    const char *argv[MAX_ARGS];
    char mem[16], rfd[16], line[1024], store[1024];
    int ready[2];
    unsigned n = 0;
    int r;

    snprintf(g->rundir, sizeof(g->rundir), "/tmp/hvlinux.XXXXXX");
    if (!mkdtemp(g->rundir)) {
        snprintf(why, why_len, "cannot make hvcore's runtime directory: %s", strerror(errno));
        g->rundir[0] = '\0';
        return -1;
    }
    if (pipe2(ready, O_CLOEXEC) < 0) {
        snprintf(why, why_len, "cannot make hvcore's ready pipe: %s", strerror(errno));
        return -1;
    }
    snprintf(mem, sizeof(mem), "%u", o->mem_mib ? o->mem_mib : DEFAULT_MEM);
    snprintf(rfd, sizeof(rfd), "%d", ready[1]);
    cmdline(line, sizeof(line), HVCORE_CONSOLE);
    argv[n++] = env_or("HVCORE", "hvcore");
    argv[n++] = "--rundir";
    argv[n++] = g->rundir;
    argv[n++] = "--ready-fd";
    argv[n++] = rfd;
    argv[n++] = "--kernel";
    argv[n++] = o->vmlinuz;
    argv[n++] = "--initrd";
    argv[n++] = o->initrd;
    argv[n++] = "--memory";
    argv[n++] = mem;
    argv[n++] = "--cmdline";
    argv[n++] = line;
    argv[n++] = "--console";
    argv[n++] = "stdio";
    n = extra_words(argv, n, store, sizeof(store));
    argv[n] = NULL;
    g->started_ms = ms_now();
    g->con = lc_start(argv, ready[1], why, why_len);
    close(ready[1]);
    r = g->con ? wait_ready(g, ready[0], why, why_len) : -1;
    close(ready[0]);
    return r;
}

static int boot_qemu(struct lg *g, const struct lg_opts *o, char *why, size_t why_len)
{
    const char *argv[MAX_ARGS];
    char mem[16], line[1024];
    unsigned n = 0;

    snprintf(mem, sizeof(mem), "%u", o->mem_mib ? o->mem_mib : DEFAULT_MEM);
    cmdline(line, sizeof(line), QEMU_CONSOLE);
    argv[n++] = env_or("HVTEST_QEMU", "qemu-system-x86_64");
    argv[n++] = "-accel";
    argv[n++] = "tcg";
    argv[n++] = "-cpu";
    argv[n++] = "max";
    argv[n++] = "-smp";
    argv[n++] = "1";
    argv[n++] = "-m";
    argv[n++] = mem;
    argv[n++] = "-nographic";
    argv[n++] = "-nic";
    argv[n++] = "none";
    if (!o->reboot_restarts)
        argv[n++] = "-no-reboot";
    argv[n++] = "-kernel";
    argv[n++] = o->vmlinuz;
    argv[n++] = "-initrd";
    argv[n++] = o->initrd;
    argv[n++] = "-append";
    argv[n++] = line;
    argv[n] = NULL;
    g->started_ms = ms_now();
    g->con = lc_start(argv, -1, why, why_len);
    return g->con ? 0 : -1;
}

struct lg *lg_boot(const struct lg_opts *o, char *why, size_t why_len)
{
    struct lg *g = calloc(1, sizeof(*g));

    if (!g) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    g->hv = o->hv;
    if ((o->hv == LG_QEMU ? boot_qemu : boot_hvcore)(g, o, why, why_len) < 0) {
        lg_free(g);
        return NULL;
    }
    return g;
}

/* Copy transcript[from, to) into out, cut to fit. */
static void copy_output(const struct lg *g, size_t from, size_t to, char *out, size_t out_len)
{
    size_t n = to - from;

    if (!out_len)
        return;
    if (n >= out_len)
        n = out_len - 1;
    memcpy(out, lc_transcript(g->con) + from, n);
    out[n] = '\0';
}

int lg_run(struct lg *g, const char *cmd, char *out, size_t out_len, int timeout_ms)
{
    char line[4096], begin[32], end[32];
    unsigned id = ++g->cmds;
    size_t from;
    int r;

    /* The quotes keep the markers out of the echo of the typed line. */
    snprintf(begin, sizeof(begin), "HVT-BEGIN-%u", id);
    snprintf(end, sizeof(end), "HVT-END-%u-", id);
    snprintf(line, sizeof(line), "echo HVT-\"BEGIN\"-%u; %s; echo HVT-\"END\"-%u-$?\n", id, cmd,
             id);
    if (out_len)
        out[0] = '\0';
    if ((r = lc_send(g->con, line)) < 0 || (r = lc_wait_for(g->con, begin, timeout_ms)) < 0 ||
        (r = lc_wait_for(g->con, "\n", timeout_ms)) < 0)
        return r;
    from = lc_mark(g->con);
    if ((r = lc_wait_for(g->con, end, timeout_ms)) < 0)
        return r;
    copy_output(g, from, lc_mark(g->con) - strlen(end), out, out_len);
    from = lc_mark(g->con);
    if ((r = lc_wait_for(g->con, "\n", timeout_ms)) < 0)
        return r;
    return atoi(lc_transcript(g->con) + from);
}

static int qemu_monitor(struct lg *g, const char *cmd, const char *state, char *why,
                        size_t why_len)
{
    char line[64];
    int r;

    /* ^A c to the monitor, the command, its effect read back, ^A c back. */
    snprintf(line, sizeof(line), QEMU_CTRL_A "c%s\rinfo status\r", cmd);
    r = lc_send(g->con, line);
    if (r == 0)
        r = lc_wait_for(g->con, state, LG_CMD_MS);
    if (r == 0)
        r = lc_send(g->con, QEMU_CTRL_A "c");
    if (r < 0)
        snprintf(why, why_len, "QEMU's monitor did not answer %s with '%s': %s", cmd, state,
                 strerror(-r));
    return r < 0 ? -1 : 0;
}

int lg_pause(struct lg *g, bool pause, char *why, size_t why_len)
{
    struct dom d;
    struct hv_domctl_reply rep;
    int r;

    if (g->hv == LG_QEMU)
        return qemu_monitor(g, pause ? "stop" : "cont",
                            pause ? "VM status: paused" : "VM status: running", why, why_len);
    memset(&d, 0, sizeof(d));
    snprintf(d.rundir, sizeof(d.rundir), "%s", g->rundir);
    d.domid = g->domid;
    r = dom_ctl_cmd(&d, pause ? HV_DOMCTL_pause : HV_DOMCTL_unpause, &rep);
    if (r != 0)
        snprintf(why, why_len, "domctl %s: status %d", pause ? "pause" : "unpause", r);
    return r ? -1 : 0;
}

int lg_shutdown(struct lg *g, uint32_t reason)
{
    struct dom d;
    struct hv_domctl req = { .cmd = HV_DOMCTL_shutdown };
    struct hv_domctl_reply rep;

    if (g->hv != LG_HVCORE)
        return -1;
    memset(&d, 0, sizeof(d));
    snprintf(d.rundir, sizeof(d.rundir), "%s", g->rundir);
    d.domid = g->domid;
    req.u.shutdown.reason = reason;
    return dom_ctl(&d, &req, &rep, NULL);
}

int lg_info(struct lg *g, struct hv_domctl_info *info)
{
    struct dom d;
    struct hv_domctl_reply rep;
    int r;

    if (g->hv != LG_HVCORE)
        return -1;
    memset(&d, 0, sizeof(d));
    snprintf(d.rundir, sizeof(d.rundir), "%s", g->rundir);
    d.domid = g->domid;
    r = dom_ctl_cmd(&d, HV_DOMCTL_getinfo, &rep);
    if (r == 0)
        *info = rep.u.info;
    return r;
}

void lg_free(struct lg *g)
{
    char cmd[128];

    if (!g)
        return;
    lc_close(g->con);
    if (g->rundir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g->rundir);
        (void)!system(cmd);
    }
    free(g);
}

const char *lg_story(const struct lg *g)
{
    static char buf[8192];

    if (!g || !g->con)
        return "(no console)";
    snprintf(buf, sizeof(buf), "%s console, last lines:\n%s\n-- stderr: %s", lg_hv_name(g->hv),
             lc_tail(g->con, 3000), lc_stderr(g->con));
    return buf;
}
