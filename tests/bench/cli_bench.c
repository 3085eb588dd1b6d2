/*
 * cli_bench.c - wall time of hvctl commands as a person or a script runs
 * them (make bench), each one through both connections hvctl:///system
 * may take:
 *
 *   direct   no agent runs: hvctl works on the runtime directory itself
 *   agent    a real hvctld serves <rundir>/hvctld.sock (its own database
 *            in /var/tmp, on disk as /var/lib/hvctl is), so
 *            hvctl:///system picks it
 *
 *   create     `hvctl create FILE` of a pvboot domain, from exec until the
 *              command returns with the domain running   (issue 9: 7 ms)
 *   pause      `hvctl pause NAME` of a running domain    (issue 9: 2.7 ms)
 *   unpause    `hvctl unpause NAME`, for comparison
 *   list/0     `hvctl list` with no domain: mostly start-up, the figure to
 *              compare before and after a change of what hvctl loads
 *   list/100   `hvctl list` with 100 running domains     (issue 9: 5 ms)
 *   hv_domain_list/100  the same list through libhvctl in this process,
 *              for comparison with what the command adds
 *
 * Each figure is the median of many runs, with the minimum and the 90th
 * percentile.  What is timed is the installed form of hvctl: the real
 * binary, not the libtool wrapper script the build tree runs through (a
 * shell would be most of what we measured).  Setup and cleanup between
 * runs go through libhvctl and are not timed.  The runtime directory is
 * on a tmpfs where there is one, as /run/hvctl is (bench_dir.h).  This is
 * a benchmark, not a test: a missed target is reported, not failed; but
 * every command and every wait has a deadline, so it cannot hang.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_dir.h"
#include "hvctl.h"

extern char **environ;

#define CREATE_RUNS 40
#define PAUSE_RUNS 200
#define LIST0_RUNS 100
#define LIST_RUNS 50
#define LIST_DOMS 100
#define DEADLINE_MS 30000       /* any one command or wait; only on failure */

static char hvctl[1024], hvctld[1024];
static char dir[64], dbdir[] = "/var/tmp/hvctl-bench-db-XXXXXX";
static char rundir[80], cfg[96], sock[96], db[96];
static pid_t agent = -1;
static bool dbdir_made;

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Wait for pid until deadline (now_ms() clock); its status, or -1 after
 * killing it at the deadline. */
static int wait_deadline(pid_t pid, double deadline)
{
    int status = 0, pfd = -1;
    pid_t r;

#ifdef SYS_pidfd_open
    pfd = (int)syscall(SYS_pidfd_open, pid, 0);
#endif
    for (;;) {
        while ((r = waitpid(pid, &status, WNOHANG)) < 0 && errno == EINTR)
            ;
        if (r == pid || r < 0)
            break;
        double left = deadline - now_ms();
        if (left <= 0) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
            status = -1;
            break;
        }
        if (pfd >= 0) {
            struct pollfd p = { .fd = pfd, .events = POLLIN };
            poll(&p, 1, (int)left + 1);
        } else {
            usleep(200);
        }
    }
    if (pfd >= 0)
        close(pfd);
    return r < 0 ? -1 : status;
}

/*
 * Run hvctl with up to three arguments, its output to out_fd (/dev/null
 * if < 0); its wall time in ms, < 0 if it failed or missed the deadline.
 */
static double run_hvctl(int out_fd, const char *a1, const char *a2,
                        const char *a3)
{
    const char *argv[] = { hvctl, a1, a2, a3, NULL };
    posix_spawn_file_actions_t fa;
    double t0, t1;
    int status;
    pid_t pid;

    posix_spawn_file_actions_init(&fa);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    else
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    t0 = now_ms();
    if (posix_spawn(&pid, hvctl, &fa, NULL, (char *const *)argv, environ)) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    status = wait_deadline(pid, t0 + DEADLINE_MS);
    t1 = now_ms();
    posix_spawn_file_actions_destroy(&fa);
    return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0
           ? t1 - t0 : -1;
}

/* How many times `needle` occurs in what `hvctl a1` prints; -1 if it
 * failed.  Untimed: it checks that a timed command does what it says. */
static int count_in_output(const char *a1, const char *needle)
{
    int fd = memfd_create("cli-bench-out", MFD_CLOEXEC), n = -1;
    char *buf = NULL;
    struct stat st;

    if (fd < 0 || run_hvctl(fd, a1, NULL, NULL) < 0 || fstat(fd, &st) < 0 ||
        !(buf = calloc(1, (size_t)st.st_size + 1)))
        goto out;
    if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size)
        goto out;
    n = 0;
    for (char *p = buf; (p = strstr(p, needle)); p += strlen(needle))
        n++;
out:
    free(buf);
    if (fd >= 0)
        close(fd);
    return n;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* One line: median, min, p90; target <= 0 for none. */
static void report(const char *what, const char *via, double *v, int n,
                   double target)
{
    double med;

    qsort(v, (size_t)n, sizeof(*v), cmp);
    med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    printf("%-20s %-6s median %7.2f ms  min %7.2f  p90 %7.2f  (%3d runs", what,
           via, med, v[0], v[(n * 9 + 9) / 10 - 1], n);
    if (target > 0)
        printf("; target <= %.1f ms: %s)\n", target,
               med <= target ? "met" : "MISSED");
    else
        printf(")\n");
    fflush(stdout);
}

/* ---- domains, through libhvctl's direct driver (untimed) ---- */

static int destroy(hv_conn *conn, const char *name)
{
    hv_domain *dom;
    int rc;

    if ((rc = hv_domain_lookup_by_name(conn, name, &dom)))
        return rc;
    rc = hv_domain_destroy(dom, 0);
    hv_domain_free(dom);
    return rc;
}

/* Start LIST_DOMS idle domains (`shell` waits for console input, as most
 * domains of a host do; busy ones would measure the scheduler). */
static int start_many(hv_conn *conn)
{
    char name[32];

    for (int i = 0; i < LIST_DOMS; i++) {
        hv_config *c = hv_config_new();
        hv_domain *d = NULL;
        int rc;

        snprintf(name, sizeof(name), "bench-list-%d", i);
        rc = !c || hv_config_set_name(c, name) ||
             hv_config_set_kernel(c, getenv("PVBOOT")) ||
             hv_config_set_memory(c, 16, 16) ||
             hv_config_set_cmdline(c, "shell") ||
             hv_domain_create(conn, c, 0, &d);
        hv_config_free(c);
        hv_domain_free(d);
        if (rc) {
            fprintf(stderr, "cli_bench: create %s: %s\n", name,
                    hv_last_error());
            return -1;
        }
    }
    return 0;
}

static void stop_many(hv_conn *conn)
{
    char name[32];

    for (int i = 0; i < LIST_DOMS; i++) {
        snprintf(name, sizeof(name), "bench-list-%d", i);
        destroy(conn, name);
    }
}

/* ---- the agent ---- */

static bool agent_answers(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static int start_agent(void)
{
    const char *argv[] = { hvctld, "--db", db, "--rundir", rundir, "-q",
                           NULL };
    posix_spawn_file_actions_t fa;
    double deadline = now_ms() + DEADLINE_MS;
    int err;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    err = posix_spawn(&agent, hvctld, &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err) {
        agent = -1;
        fprintf(stderr, "cli_bench: cannot run %s: %s\n", hvctld,
                strerror(err));
        return -1;
    }
    while (!agent_answers()) {
        if (now_ms() > deadline || waitpid(agent, NULL, WNOHANG) == agent) {
            fprintf(stderr, "cli_bench: hvctld did not answer on %s\n", sock);
            return -1;
        }
        usleep(5000);
    }
    return 0;
}

static void stop_agent(void)
{
    if (agent <= 0)
        return;
    kill(agent, SIGTERM);
    if (wait_deadline(agent, now_ms() + DEADLINE_MS) < 0)
        fprintf(stderr, "cli_bench: hvctld did not stop; killed\n");
    agent = -1;
}

/* ---- the figures of one connection ---- */

static int bench_create_pause(hv_conn *conn, const char *via)
{
    static double create_ms[CREATE_RUNS], pause_ms[PAUSE_RUNS],
                  unpause_ms[PAUSE_RUNS];

    /* Warm the page cache and the dynamic loader once, untimed. */
    if (run_hvctl(-1, "create", cfg, NULL) < 0 || destroy(conn, "bench")) {
        fprintf(stderr, "cli_bench: %s: hvctl create %s failed\n", via, cfg);
        return -1;
    }
    for (int i = 0; i < CREATE_RUNS; i++)
        if ((create_ms[i] = run_hvctl(-1, "create", cfg, NULL)) < 0 ||
            destroy(conn, "bench")) {
            fprintf(stderr, "cli_bench: %s: create run %d failed\n", via, i);
            return -1;
        }
    report("hvctl create", via, create_ms, CREATE_RUNS, 7);
    if (run_hvctl(-1, "create", cfg, NULL) < 0)
        return -1;
    for (int i = 0; i < PAUSE_RUNS; i++)
        if ((pause_ms[i] = run_hvctl(-1, "pause", "bench", NULL)) < 0 ||
            (unpause_ms[i] = run_hvctl(-1, "unpause", "bench", NULL)) < 0) {
            fprintf(stderr, "cli_bench: %s: pause/unpause run %d failed\n",
                    via, i);
            destroy(conn, "bench");
            return -1;
        }
    report("hvctl pause", via, pause_ms, PAUSE_RUNS, 2.7);
    report("hvctl unpause", via, unpause_ms, PAUSE_RUNS, 0);
    return destroy(conn, "bench");
}

/* `hvctl list` runs times with `expect` domains; target <= 0 for none. */
static int bench_list(const char *what, const char *via, int expect,
                      double target)
{
    static double ms[LIST0_RUNS > LIST_RUNS ? LIST0_RUNS : LIST_RUNS];
    int runs = expect ? LIST_RUNS : LIST0_RUNS, seen;
    double deadline = now_ms() + DEADLINE_MS;

    /* An agent hears of domains started or ended a moment later. */
    while ((seen = count_in_output("list", "bench-list-")) != expect &&
           seen >= 0 && now_ms() < deadline)
        usleep(10000);
    if (seen != expect) {
        fprintf(stderr, "cli_bench: %s: hvctl list showed %d domains, not "
                "%d\n", via, seen, expect);
        return -1;
    }
    for (int i = 0; i < runs; i++)
        if ((ms[i] = run_hvctl(-1, "list", NULL, NULL)) < 0) {
            fprintf(stderr, "cli_bench: %s: list run %d failed\n", via, i);
            return -1;
        }
    report(what, via, ms, runs, target);
    return 0;
}

/* hv_domain_list in this process, on a connection to uri. */
static int bench_api_list(const char *uri, const char *via)
{
    static double ms[LIST_RUNS];
    hv_conn *conn = NULL;
    int rc = -1;

    if (hv_conn_open_uri(uri, 0, &conn)) {
        fprintf(stderr, "cli_bench: %s: %s\n", uri, hv_last_error());
        return -1;
    }
    for (int i = 0; i < LIST_RUNS; i++) {
        hv_domlist *l = NULL;
        double t0 = now_ms();
        if (hv_domain_list(conn, &l)) {
            fprintf(stderr, "cli_bench: %s: list: %s\n", via, hv_last_error());
            goto out;
        }
        ms[i] = now_ms() - t0;
        size_t n = hv_domlist_count(l);
        hv_domlist_free(l);
        if (n != LIST_DOMS) {
            fprintf(stderr, "cli_bench: %s: hv_domain_list saw %zu domains, "
                    "not %d\n", via, n, LIST_DOMS);
            goto out;
        }
    }
    report("hv_domain_list/100", via, ms, LIST_RUNS, 0);
    rc = 0;
out:
    hv_conn_free(conn);
    return rc;
}

/* ---- set-up ---- */

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* The real binary of a libtool program (not its wrapper script). */
static int find_real(char *out, size_t len, const char *build, const char *dir_,
                     const char *prog)
{
    const char *const forms[] = { ".libs/lt-", ".libs/", "" };

    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        snprintf(out, len, "%s/%s/%s%s", build, dir_, forms[i], prog);
        if (access(out, X_OK) == 0)
            return 0;
    }
    out[0] = '\0';
    return -1;
}

static int setup(const char *build)
{
    char lib[1100];
    FILE *f;

    if (find_real(hvctl, sizeof(hvctl), build, "cli", "hvctl") < 0 ||
        find_real(hvctld, sizeof(hvctld), build, "agent", "hvctld") < 0) {
        fprintf(stderr, "cli_bench: no built hvctl and hvctld under %s\n",
                build);
        return -1;
    }
    snprintf(lib, sizeof(lib), "%s/libctl/.libs", build);
    setenv("LD_LIBRARY_PATH", lib, 1);
    snprintf(dir, sizeof(dir), "%.40s/hvctl-bench-XXXXXX", bench_dir());
    if (!mkdtemp(dir)) {
        dir[0] = '\0';
        return -1;
    }
    snprintf(rundir, sizeof(rundir), "%s/run", dir);
    snprintf(sock, sizeof(sock), "%s/hvctld.sock", rundir);
    /* The agent's database on disk, as /var/lib/hvctl is: what it
     * commits (fdatasync) is part of what a command through it costs. */
    if (!mkdtemp(dbdir))
        return -1;
    dbdir_made = true;
    snprintf(db, sizeof(db), "%s/hvctl.db", dbdir);
    snprintf(cfg, sizeof(cfg), "%s/bench.xml", dir);
    setenv("HVCTL_RUNDIR", rundir, 1);
    setenv("HVCTL_DB", db, 1);
    setenv("HVCORE_PATH", getenv("HVCORE"), 1);
    unsetenv("HVCTL_URI");
    f = fopen(cfg, "w");
    if (!f)
        return -1;
    /* A fixed uuid: through an agent, one name is one domain. */
    fprintf(f, "<domain type=\"pv\"><name>bench</name>"
               "<uuid>6c7ef0a4-1b7e-4bb5-9a53-0c1b2e3d4f50</uuid>"
               "<memory unit=\"MiB\">32</memory><os><kernel>%s</kernel>"
               "<cmdline>counter</cmdline></os></domain>\n", getenv("PVBOOT"));
    return fclose(f) ? -1 : 0;
}

int main(void)
{
    const char *build = getenv("HV_BUILDDIR");
    char uri[256];
    hv_conn *conn = NULL;
    double load[3] = { 0 };
    int rc = 1;

    if (access("/dev/kvm", R_OK | W_OK) || !getenv("HVCORE") ||
        !getenv("PVBOOT")) {
        printf("cli_bench: SKIP (needs /dev/kvm, $HVCORE and $PVBOOT)\n");
        return 0;
    }
    if (setup(build ? build : ".") < 0)
        goto out;
    /* The untimed set-up: the direct driver, whether an agent runs. */
    snprintf(uri, sizeof(uri), "hvctl:///system?driver=direct&rundir=%s",
             rundir);
    if (hv_conn_open(rundir, &conn)) {
        fprintf(stderr, "cli_bench: %s\n", hv_last_error());
        goto out;
    }
    getloadavg(load, 3);
    printf("hvctl: %s (load average %.2f at the start, %ld CPUs; runtime "
           "directory in %s, %s)\n", hvctl, load[0],
           sysconf(_SC_NPROCESSORS_ONLN), bench_dir(), bench_dir_kind(dir));

    /* The direct driver: no agent. */
    if (bench_list("hvctl list/0", "direct", 0, 0) ||
        bench_create_pause(conn, "direct") || start_many(conn) ||
        bench_list("hvctl list/100", "direct", LIST_DOMS, 5) ||
        bench_api_list(uri, "direct"))
        goto out;

    /* The agent, which finds the 100 domains running. */
    if (start_agent() || bench_list("hvctl list/100", "agent", LIST_DOMS, 5))
        goto out;
    snprintf(uri, sizeof(uri), "hvctl:///system?driver=agent&rundir=%s",
             rundir);
    if (bench_api_list(uri, "agent"))
        goto out;
    stop_many(conn);
    if (bench_list("hvctl list/0", "agent", 0, 0) ||
        bench_create_pause(conn, "agent"))
        goto out;
    rc = 0;
out:
    if (conn) {
        destroy(conn, "bench");
        stop_many(conn);
    }
    stop_agent();
    hv_conn_free(conn);
    if (dir[0])
        nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    if (dbdir_made)
        nftw(dbdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    return rc;
}
