/*
 * cli_harness.c - see cli_harness.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli_harness.h"
#include "hvctl.h"

extern char **environ;

struct cli_env cli_env;

#define RUN_TIMEOUT_MS 60000

double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

bool wait_for_file(const char *path, int ms)
{
    double end = now_ms() + ms;

    while (access(path, F_OK) != 0) {
        if (now_ms() > end)
            return false;
        usleep(2000);
    }
    return true;
}

bool cli_can_run_domains(char *why, size_t len)
{
    const char *core = getenv("HVCORE"), *pv = getenv("PVBOOT");

    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        snprintf(why, len, "/dev/kvm is not usable: %s", strerror(errno));
        return false;
    }
    if (!core || access(core, X_OK) != 0) {
        snprintf(why, len, "no built hvcore ($HVCORE=%s)", core ? core : "");
        return false;
    }
    if (!pv || access(pv, R_OK) != 0) {
        snprintf(why, len, "no built pvboot ($PVBOOT=%s)", pv ? pv : "");
        return false;
    }
    return true;
}

void cli_env_open(const char *tag)
{
    const char *tmp = getenv("TMPDIR"), *build = getenv("HV_BUILDDIR");
    const char *core = getenv("HVCORE"), *pv = getenv("PVBOOT");

    snprintf(cli_env.dir, sizeof(cli_env.dir), "%s/hvctl-%s-XXXXXX",
             tmp && *tmp ? tmp : "/tmp", tag);
    if (!mkdtemp(cli_env.dir)) {
        fprintf(stderr, "mkdtemp %s: %s\n", cli_env.dir, strerror(errno));
        exit(99);
    }
    snprintf(cli_env.rundir, sizeof(cli_env.rundir), "%s/run", cli_env.dir);
    mkdir(cli_env.rundir, 0755);
    snprintf(cli_env.hvctl, sizeof(cli_env.hvctl), "%s/cli/hvctl",
             build && *build ? build : ".");
    snprintf(cli_env.pvboot, sizeof(cli_env.pvboot), "%s", pv ? pv : "");
    if (access(cli_env.hvctl, X_OK) != 0) {
        fprintf(stderr, "no hvctl at %s\n", cli_env.hvctl);
        exit(99);
    }
    setenv("HVCTL_RUNDIR", cli_env.rundir, 1);
    if (core)
        setenv("HVCORE_PATH", core, 1);
    unsetenv("HVCTL_URL");
    unsetenv("HVCTL_TOKEN");
    /* Messages are asserted verbatim: no translations, no colours. */
    setenv("LC_ALL", "C", 1);
}

void cli_destroy_all(void)
{
    hv_conn *conn;
    hv_domlist *list;

    if (hv_conn_open(cli_env.rundir, &conn))
        return;
    if (hv_domain_list(conn, &list) == 0) {
        for (size_t i = 0; i < hv_domlist_count(list); i++) {
            hv_domain *dom;
            uint32_t id = hv_domain_info_get_id(hv_domlist_get(list, i));
            if (hv_domain_lookup_by_id(conn, id, &dom) == 0) {
                hv_domain_destroy(dom, 0);
                hv_domain_free(dom);
            }
        }
        hv_domlist_free(list);
    }
    hv_conn_free(conn);
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

void cli_env_close(void)
{
    if (!cli_env.dir[0])
        return;
    cli_destroy_all();
    nftw(cli_env.dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    cli_env.dir[0] = '\0';
}

/* ---- running hvctl ---- */

static void drain(int fd, char *buf, size_t cap, size_t *len, bool *open)
{
    char tmp[4096];
    ssize_t n = read(fd, tmp, sizeof(tmp));

    if (n <= 0) {
        if (n == 0 || (errno != EINTR && errno != EAGAIN))
            *open = false;
        return;
    }
    if (*len + (size_t)n >= cap)
        n = (ssize_t)(cap - 1 - *len);
    memcpy(buf + *len, tmp, (size_t)n);
    *len += (size_t)n;
    buf[*len] = '\0';
}

static const char *const *prefix;

void hvctl_prefix(const char *const *args)
{
    prefix = args;
}

int hvctl_run(struct run *r, const char *input, const char *const *args)
{
    const char *argv[64];
    int out[2], err[2], in[2], status = 0, n = 0;
    posix_spawn_file_actions_t fa;
    size_t olen = 0, elen = 0;
    bool oopen = true, eopen = true;
    double deadline = now_ms() + RUN_TIMEOUT_MS;
    pid_t pid;

    argv[n++] = cli_env.hvctl;
    for (int i = 0; prefix && prefix[i] && n < 32; i++)
        argv[n++] = prefix[i];
    for (int i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    r->out[0] = r->err[0] = '\0';
    if (pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) ||
        pipe2(in, O_CLOEXEC))
        fail_msg("pipe: %s", strerror(errno));
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    if (posix_spawn(&pid, cli_env.hvctl, &fa, NULL, (char *const *)argv,
                    environ))
        fail_msg("cannot run %s", cli_env.hvctl);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    close(in[0]);
    if (input)
        (void)!write(in[1], input, strlen(input));
    close(in[1]);
    while (oopen || eopen) {
        struct pollfd p[2] = {
            { .fd = oopen ? out[0] : -1, .events = POLLIN },
            { .fd = eopen ? err[0] : -1, .events = POLLIN },
        };
        if (now_ms() > deadline) {
            kill(pid, SIGKILL);
            fail_msg("hvctl %s %s: still running after %d ms",
                     argv[1] ? argv[1] : "", argv[2] ? argv[2] : "",
                     RUN_TIMEOUT_MS);
        }
        if (poll(p, 2, 1000) <= 0)
            continue;
        if (p[0].revents)
            drain(out[0], r->out, sizeof(r->out), &olen, &oopen);
        if (p[1].revents)
            drain(err[0], r->err, sizeof(r->err), &elen, &eopen);
    }
    close(out[0]);
    close(err[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    r->status = WIFEXITED(status) ? WEXITSTATUS(status)
                                  : 128 + WTERMSIG(status);
    return r->status;
}

static int runv(struct run *r, va_list ap)
{
    const char *args[64];
    int n = 0;
    const char *a;

    while ((a = va_arg(ap, const char *)) && n < 63)
        args[n++] = a;
    args[n] = NULL;
    return hvctl_run(r, NULL, args);
}

int hvctl_runl(struct run *r, ...)
{
    va_list ap;
    int rc;

    va_start(ap, r);
    rc = runv(r, ap);
    va_end(ap);
    return rc;
}

/* A failure reported at the test's own file and line. */
static void fail_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static void fail_at(const char *file, int line, const char *fmt, ...)
{
    char msg[32768];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    print_error("%s\n", msg);
    _fail(file, line);
    abort();                    /* _fail does not return */
}

void run_ok(struct run *r, const char *file, int line, ...)
{
    va_list ap;

    va_start(ap, line);
    runv(r, ap);
    va_end(ap);
    if (r->status != 0 || r->err[0])
        fail_at(file, line, "expected success, got status %d, "
                     "stderr: %s", r->status, r->err);
}

void run_fail(struct run *r, const char *file, int line, int status,
              const char *err, ...)
{
    va_list ap;

    va_start(ap, err);
    runv(r, ap);
    va_end(ap);
    if (r->status != status || strcmp(r->err, err) != 0)
        fail_at(file, line, "expected status %d and stderr\n  %s"
                     "got status %d and stderr\n  %s", status, err,
                     r->status, r->err);
}

void assert_contains_(const char *haystack, const char *needle,
                      const char *file, int line)
{
    if (!strstr(haystack, needle))
        fail_at(file, line, "expected to find\n  %s\nin\n%s", needle,
                     haystack);
}

/* ---- a background hvctl ---- */

void watch_start(struct watcher *w, const char *const *args)
{
    const char *argv[64];
    posix_spawn_file_actions_t fa;
    int out[2], n = 0;

    argv[n++] = cli_env.hvctl;
    for (int i = 0; prefix && prefix[i] && n < 32; i++)
        argv[n++] = prefix[i];
    for (int i = 0; args[i] && n < 63; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    memset(w, 0, sizeof(*w));
    if (pipe2(out, O_CLOEXEC))
        fail_msg("pipe: %s", strerror(errno));
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (posix_spawn(&w->pid, cli_env.hvctl, &fa, NULL, (char *const *)argv,
                    environ))
        fail_msg("cannot run %s", cli_env.hvctl);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    w->fd = out[0];
    fcntl(w->fd, F_SETFL, O_NONBLOCK);
}

bool watch_until(struct watcher *w, const char *needle, int ms)
{
    double end = now_ms() + ms;

    while (!strstr(w->buf, needle)) {
        struct pollfd p = { .fd = w->fd, .events = POLLIN };
        ssize_t n;
        if (now_ms() > end)
            return false;
        poll(&p, 1, 20);
        n = read(w->fd, w->buf + w->len, sizeof(w->buf) - 1 - w->len);
        if (n > 0)
            w->buf[w->len += (size_t)n] = '\0';
    }
    return true;
}

int watch_stop(struct watcher *w)
{
    int status;

    kill(w->pid, SIGINT);
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(w->fd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void assert_event_order(const char *lines, const char *name,
                        const char *const *types, size_t n)
{
    char *copy = strdup(lines), *line, *save = NULL;
    size_t k = 0;

    assert_non_null(copy);
    for (line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        char buf[64];
        if (strlen(json_field(line, "time", buf, sizeof(buf))) != 24)
            fail_msg("an event without a time: %s", line);
        if (strcmp(json_field(line, "name", buf, sizeof(buf)), name))
            continue;
        json_field(line, "type", buf, sizeof(buf));
        if (k < n && strcmp(buf, types[k]) == 0)
            k++;
    }
    free(copy);
    if (k != n)
        fail_msg("domain '%s': event '%s' missing or out of order in\n%s",
                 name, types[k], lines);
}

/* ---- files ---- */

const char *cli_file(const char *basename, const char *text)
{
    static char paths[32][512];
    static int next;
    char *path = paths[next++ % 32];
    FILE *f;

    snprintf(path, 512, "%s/%s", cli_env.dir, basename);
    f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0)
        fail_msg("cannot write %s", path);
    return path;
}

const char *cli_config(const char *name, const char *cmdline, bool json,
                       unsigned max_mib)
{
    char text[2048], base[128];

    if (!max_mib)
        max_mib = 32;
    if (json)
        snprintf(text, sizeof(text),
                 "{\n  \"type\": \"pv\",\n  \"name\": \"%s\",\n"
                 "  \"memory\": { \"max_mib\": %u, \"current_mib\": 32 },\n"
                 "  \"vcpus\": { \"max\": 1, \"current\": 1 },\n"
                 "  \"os\": { \"kernel\": \"%s\", \"cmdline\": \"%s\" }\n}\n",
                 name, max_mib, cli_env.pvboot, cmdline);
    else
        snprintf(text, sizeof(text),
                 "<domain type=\"pv\">\n  <name>%s</name>\n"
                 "  <memory unit=\"MiB\">%u</memory>\n"
                 "  <currentMemory unit=\"MiB\">32</currentMemory>\n"
                 "  <os>\n    <kernel>%s</kernel>\n"
                 "    <cmdline>%s</cmdline>\n  </os>\n</domain>\n",
                 name, max_mib, cli_env.pvboot, cmdline);
    snprintf(base, sizeof(base), "%s.%s", name, json ? "json" : "xml");
    return cli_file(base, text);
}

const char *json_field(const char *json, const char *key, char *buf,
                       size_t len)
{
    json_object *o = json_tokener_parse(json), *v;

    buf[0] = '\0';
    if (o && json_object_object_get_ex(o, key, &v))
        snprintf(buf, len, "%s", v ? json_object_get_string(v) : "null");
    json_object_put(o);
    return buf;
}

long cli_domid(const char *name)
{
    struct run *r = malloc(sizeof(*r));
    char buf[32];
    long id;

    assert_non_null(r);
    hvctl_runl(r, "info", "--json", name, NULL);
    if (r->status != 0)
        fail_msg("info %s: %s", name, r->err);
    id = atol(json_field(r->out, "id", buf, sizeof(buf)));
    free(r);
    assert_true(id > 0);
    return id;
}
