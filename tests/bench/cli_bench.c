/*
 * cli_bench.c - wall time of hvctl commands as a person or a script runs
 * them (make bench):
 *
 *   create   `hvctl create FILE` of a pvboot domain, from exec until the
 *            command returns with the domain running      (target 15 ms)
 *   pause    `hvctl pause NAME` of a running domain       (target  5 ms)
 *   unpause  `hvctl unpause NAME`, for comparison
 *
 * Each figure is the median of many runs (also min and 90th percentile).
 * What is timed is the installed form of hvctl: the real binary, not the
 * libtool wrapper script the build tree runs through (a shell would be
 * most of what we measured).  Setup and cleanup between runs go through
 * libhvctl and are not timed.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hvctl.h"

extern char **environ;

#define CREATE_RUNS 40
#define PAUSE_RUNS 200

static char hvctl[1024];

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Run hvctl with args, output to /dev/null; its wall time in ms, < 0 on
 * failure. */
static double timed(const char *a1, const char *a2)
{
    const char *argv[] = { hvctl, a1, a2, NULL };
    posix_spawn_file_actions_t fa;
    double t0, t1;
    int status;
    pid_t pid;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    t0 = now_ms();
    if (posix_spawn(&pid, hvctl, &fa, NULL, (char *const *)argv, environ)) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    t1 = now_ms();
    posix_spawn_file_actions_destroy(&fa);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? t1 - t0 : -1;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static void report(const char *what, double *v, int n, double target)
{
    double med;

    qsort(v, (size_t)n, sizeof(*v), cmp);
    med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    printf("hvctl %-8s median %7.2f ms  min %7.2f  p90 %7.2f  (%d runs; "
           "target <= %.0f ms: %s)\n", what, med, v[0], v[n * 9 / 10], n,
           target, med <= target ? "met" : "MISSED");
}

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

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

/* The real hvctl binary and the library path it needs. */
static int find_hvctl(const char *build)
{
    static const char *const cands[] = { "cli/.libs/lt-hvctl",
                                         "cli/.libs/hvctl", "cli/hvctl" };
    char lib[1100];

    for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++) {
        snprintf(hvctl, sizeof(hvctl), "%s/%s", build, cands[i]);
        if (access(hvctl, X_OK) == 0)
            break;
        hvctl[0] = '\0';
    }
    if (!hvctl[0])
        return -1;
    snprintf(lib, sizeof(lib), "%s/libctl/.libs", build);
    setenv("LD_LIBRARY_PATH", lib, 1);
    return 0;
}

int main(void)
{
    const char *core = getenv("HVCORE"), *pv = getenv("PVBOOT");
    const char *build = getenv("HV_BUILDDIR");
    static double create_ms[CREATE_RUNS], pause_ms[PAUSE_RUNS],
                  unpause_ms[PAUSE_RUNS];
    char dir[] = "/tmp/hvctl-bench-XXXXXX", rundir[64], cfg[96];
    hv_conn *conn = NULL;
    FILE *f;
    int rc = 1;

    if (access("/dev/kvm", R_OK | W_OK) || !core || !pv) {
        printf("cli_bench: SKIP (needs /dev/kvm, $HVCORE and $PVBOOT)\n");
        return 0;
    }
    if (find_hvctl(build ? build : ".") < 0) {
        fprintf(stderr, "cli_bench: no built hvctl under %s\n", build);
        return 1;
    }
    if (!mkdtemp(dir))
        return 1;
    snprintf(rundir, sizeof(rundir), "%s/run", dir);
    snprintf(cfg, sizeof(cfg), "%s/bench.xml", dir);
    setenv("HVCTL_RUNDIR", rundir, 1);
    setenv("HVCORE_PATH", core, 1);
    f = fopen(cfg, "w");
    if (!f)
        return 1;
    fprintf(f, "<domain type=\"pv\"><name>bench</name>"
               "<memory unit=\"MiB\">32</memory><os><kernel>%s</kernel>"
               "<cmdline>counter</cmdline></os></domain>\n", pv);
    fclose(f);
    if (hv_conn_open(rundir, &conn)) {
        fprintf(stderr, "cli_bench: %s\n", hv_last_error());
        return 1;
    }

    /* Warm the page cache and the dynamic loader once, untimed. */
    if (timed("create", cfg) < 0 || destroy(conn, "bench")) {
        fprintf(stderr, "cli_bench: hvctl create %s failed\n", cfg);
        goto out;
    }
    for (int i = 0; i < CREATE_RUNS; i++) {
        if ((create_ms[i] = timed("create", cfg)) < 0 ||
            destroy(conn, "bench")) {
            fprintf(stderr, "cli_bench: create run %d failed\n", i);
            goto out;
        }
    }
    if (timed("create", cfg) < 0)
        goto out;
    for (int i = 0; i < PAUSE_RUNS; i++) {
        if ((pause_ms[i] = timed("pause", "bench")) < 0 ||
            (unpause_ms[i] = timed("unpause", "bench")) < 0) {
            fprintf(stderr, "cli_bench: pause/unpause run %d failed\n", i);
            goto out;
        }
    }
    printf("hvctl: %s\n", hvctl);
    report("create", create_ms, CREATE_RUNS, 15);
    report("pause", pause_ms, PAUSE_RUNS, 5);
    report("unpause", unpause_ms, PAUSE_RUNS, 5);
    rc = 0;
out:
    destroy(conn, "bench");
    hv_conn_free(conn);
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
    return rc;
}
