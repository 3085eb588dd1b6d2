/*
 * harness.c - see harness.h: the agent process, and what a test needs
 * to know about the build.  The HTTP client is http_client.c, the event
 * stream reader sse_client.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"
#include "hvctl.h"

double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);

    return v && *v ? v : def;
}

const char *harness_hvctld(void)
{
    static char path[512];

    if (!path[0])
        snprintf(path, sizeof(path), "%s/agent/hvctld",
                 env_or("HV_BUILDDIR", "."));
    return path;
}

const char *harness_pvboot(void)
{
    return env_or("PVBOOT", "");
}

bool harness_can_run(char *why, size_t len)
{
    const char *core = getenv("HVCORE"), *pv = getenv("PVBOOT");

    if (!core || access(core, X_OK) || !pv || access(pv, R_OK)) {
        snprintf(why, len, "$HVCORE / $PVBOOT not built or not set");
        return false;
    }
    if (access("/dev/kvm", R_OK | W_OK)) {
        snprintf(why, len, "/dev/kvm is not usable here: no domains");
        return false;
    }
    if (access(harness_hvctld(), X_OK)) {
        snprintf(why, len, "%s is not built", harness_hvctld());
        return false;
    }
    /* For the domains the tests start through libhvctl themselves. */
    setenv("HVCORE_PATH", core, 1);
    return true;
}

/* ---- the agent process ---- */

/* Agents not cleaned up yet: a failed test longjmps past its cleanup, so
 * whatever is left is destroyed at exit, never leaked onto the host. */
#define LIVE_MAX 8
static struct agentd *live[LIVE_MAX];
static bool exiting;

static void cleanup_all(void)
{
    exiting = true;
    for (int i = 0; i < LIVE_MAX; i++)
        if (live[i])
            agentd_cleanup(live[i]);
}

void agentd_init(struct agentd *ad, const char *tag)
{
    static bool registered;
    int i;

    if (!registered) {
        atexit(cleanup_all);
        registered = true;
    }
    for (i = 0; i < LIVE_MAX && live[i] && live[i] != ad; i++)
        ;
    if (i == LIVE_MAX)
        fail_msg("more than %d agents in one test program", LIVE_MAX);
    live[i] = ad;
    memset(ad, 0, sizeof(*ad));
    snprintf(ad->dir, sizeof(ad->dir), "/tmp/hvctld-%s.XXXXXX", tag);
    if (!mkdtemp(ad->dir))
        fail_msg("mkdtemp %s: %s", ad->dir, strerror(errno));
    snprintf(ad->db, sizeof(ad->db), "%s/db/hvctl.db", ad->dir);
    snprintf(ad->rundir, sizeof(ad->rundir), "%s/run", ad->dir);
    snprintf(ad->sock, sizeof(ad->sock), "%s/run/hvctld.sock", ad->dir);
    snprintf(ad->log, sizeof(ad->log), "%s/hvctld.log", ad->dir);
}

static pid_t spawn(const char *const *argv, int out_fd, const char *log)
{
    pid_t pid = fork();

    if (pid == 0) {
        int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (lfd >= 0) {
            dup2(lfd, 2);
            dup2(out_fd >= 0 ? out_fd : lfd, 1);
        }
        setenv("HVCORE_PATH", env_or("HVCORE", ""), 1);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Does the agent answer a request (so its loop runs, all binds done)? */
static bool answers(const char *sock)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    const char *req = "GET /v1/host HTTP/1.0\r\n\r\n";
    char buf[16];
    struct pollfd p;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok = false;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", sock);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        write(fd, req, strlen(req)) == (ssize_t)strlen(req)) {
        p.fd = fd;
        p.events = POLLIN;
        ok = poll(&p, 1, 2000) == 1 && read(fd, buf, sizeof(buf)) > 0;
    }
    if (fd >= 0)
        close(fd);
    return ok;
}

int agentd_start(struct agentd *ad, const char *const *extra, int *status)
{
    const char *argv[48];
    int n = 0, st;
    double deadline = now_ms() + 15000;

    argv[n++] = harness_hvctld();
    argv[n++] = "--db";
    argv[n++] = ad->db;
    argv[n++] = "--rundir";
    argv[n++] = ad->rundir;
    argv[n++] = "-v";
    for (int i = 0; extra && extra[i] && n < 46; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    ad->pid = spawn(argv, -1, ad->log);
    while (now_ms() < deadline) {
        if (waitpid(ad->pid, &st, WNOHANG) == ad->pid) {
            ad->pid = 0;
            if (status)
                *status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return -1;
        }
        if (answers(ad->sock))
            return 0;
        usleep(5000);
    }
    fail_msg("hvctld did not come up within 15 s (log: %s)", ad->log);
    return -1;
}

void harness_free_port(char *port, size_t len)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t slen = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    assert_true(fd >= 0);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, slen), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &slen), 0);
    snprintf(port, len, "%u", ntohs(sa.sin_port));
    close(fd);
}

int agentd_start_tcp(struct agentd *ad, const char *const *extra,
                     char *port, size_t len)
{
    const char *argv[44];
    char listen[32];
    int n = 0;

    argv[n++] = "--listen";
    argv[n++] = listen;
    for (int i = 0; extra && extra[i] && n < 43; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    for (int tries = 1; tries <= 5; tries++) {
        harness_free_port(port, len);
        snprintf(listen, sizeof(listen), "127.0.0.1:%s", port);
        if (agentd_start(ad, argv, NULL) == 0)
            return 0;
    }
    return -1;
}

/* A sanitizer's report in the agent's log fails the test that ran it. */
static void check_log(struct agentd *ad)
{
    char buf[4096];
    size_t n;
    FILE *f = fopen(ad->log, "re");

    if (!f)
        return;
    while ((n = fread(buf, 1, sizeof(buf) - 1, f)) > 0) {
        buf[n] = '\0';
        if (strstr(buf, "Sanitizer") || strstr(buf, "runtime error:")) {
            fclose(f);
            setenv("HVCTLD_TEST_KEEP", "1", 1);
            if (exiting)        /* no test to fail: say it, keep the log */
                fprintf(stderr, "hvctld reported a memory error: see %s\n",
                        ad->log);
            else
                fail_msg("hvctld reported a memory error: see %s", ad->log);
            return;
        }
    }
    fclose(f);
}

int agentd_stop(struct agentd *ad)
{
    int st = 0;

    if (!ad->pid)
        return -1;
    kill(ad->pid, SIGTERM);
    while (waitpid(ad->pid, &st, 0) < 0 && errno == EINTR)
        ;
    ad->pid = 0;
    check_log(ad);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

void agentd_kill9(struct agentd *ad)
{
    if (!ad->pid)
        return;
    kill(ad->pid, SIGKILL);
    while (waitpid(ad->pid, NULL, 0) < 0 && errno == EINTR)
        ;
    ad->pid = 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    return remove(path) < 0 ? 0 : 0;
}

void agentd_cleanup(struct agentd *ad)
{
    hv_conn *conn = NULL;
    hv_domlist *list = NULL;

    if (ad->pid)
        agentd_stop(ad);
    if (!ad->dir[0])
        return;
    if (hv_conn_open(ad->rundir, &conn) == 0 &&
        hv_domain_list(conn, &list) == 0) {
        for (size_t i = 0; i < hv_domlist_count(list); i++) {
            hv_domain *d;
            if (hv_domain_lookup_by_id(conn, hv_domain_info_get_id(
                                           hv_domlist_get(list, i)), &d) == 0) {
                hv_domain_destroy(d, 0);
                hv_domain_free(d);
            }
        }
    }
    hv_domlist_free(list);
    hv_conn_free(conn);
    if (!getenv("HVCTLD_TEST_KEEP"))
        nftw(ad->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    for (int i = 0; i < LIVE_MAX; i++)
        if (live[i] == ad)
            live[i] = NULL;
}

int run_hvctld(char *out, size_t outlen, const char *const *args)
{
    const char *argv[24];
    char log[] = "/tmp/hvctld-run.XXXXXX";
    int n = 0, pfd[2], st = 0, lfd;
    size_t got = 0;
    ssize_t r;
    pid_t pid;

    argv[n++] = harness_hvctld();
    for (int i = 0; args[i] && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    if (pipe(pfd))
        fail_msg("pipe: %s", strerror(errno));
    lfd = mkstemp(log);
    if (lfd >= 0)
        close(lfd);
    pid = spawn(argv, pfd[1], log);
    close(pfd[1]);
    while (out && got + 1 < outlen &&
           (r = read(pfd[0], out + got, outlen - got - 1)) > 0)
        got += (size_t)r;
    if (out)
        out[got] = '\0';
    close(pfd[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    unlink(log);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int harness_main(const char *group, const struct CMUnitTest *tests,
                 size_t count, int (*setup)(void **),
                 int (*teardown)(void **))
{
    char why[256];
    int rc;

    if (!harness_can_run(why, sizeof(why))) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    curl_global_init(CURL_GLOBAL_ALL);
    rc = _cmocka_run_group_tests(group, tests, count, setup, teardown);
    if (harness_checked)
        printf("# %lu responses checked against schema/openapi.yaml\n",
               harness_checked);
    curl_global_cleanup();
    return rc;
}
