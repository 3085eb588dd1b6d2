/*
 * test_cli_migrate.c - hvctl save, restore and migrate on this host
 * through the direct driver, against real hvcore and pvboot domains
 * running memcheck; a second runtime directory is the second host.
 *
 *   - save then restore: the confirmation lines, the domain back with its
 *     memory intact; save and restore failures word for word;
 *   - migrate without a terminal prints only the result line; with
 *     --json every line parses (progress objects, then the result); on a
 *     terminal a progress line is redrawn in place and cleared;
 *   - what only hvctld can do is refused with its reason;
 *   - Ctrl-C during a migration cancels it: exit status 1, the message
 *     says it runs on here, and it does.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli_harness.h"
#include "api_assert.h"
#include "xfer_harness.h"

extern char **environ;

static struct run r;
static char hostb[400], dest[500];
static hv_conn *here, *there;

/* A memcheck domain of mem_mib filling fill_mib (an XML file). */
static const char *memcheck_config(const char *name, unsigned mem_mib,
                                   unsigned fill_mib)
{
    char text[2048], base[80];

    snprintf(text, sizeof(text),
             "<domain type=\"pv\">\n  <name>%s</name>\n"
             "  <memory unit=\"MiB\">%u</memory>\n"
             "  <os>\n    <kernel>%s</kernel>\n"
             "    <cmdline>memcheck=%u</cmdline>\n  </os>\n</domain>\n",
             name, mem_mib, cli_env.pvboot, fill_mib);
    snprintf(base, sizeof(base), "%s-memcheck.xml", name);
    return cli_file(base, text);
}

/* Create it and wait until memcheck has filled its memory. */
static hv_domain *start(const char *name, unsigned mem_mib, unsigned fill_mib)
{
    hv_domain *d = NULL;

    RUN_OK(&r, "create", memcheck_config(name, mem_mib, fill_mib));
    OK(hv_domain_lookup_by_name(here, name, &d));
    if (!xfer_console_shows(d, "memcheck filled "))
        fail_msg("%s: memcheck did not fill its memory", name);
    return d;
}

static void assert_starts_ends(const char *s, const char *start,
                               const char *end)
{
    size_t n = strlen(s), k = strlen(end);

    if (strncmp(s, start, strlen(start)) != 0 || n < k ||
        strcmp(s + n - k, end) != 0)
        fail_msg("'%s' is not '%s...%s'", s, start, end);
}

static void save_restore(void **state)
{
    char file[600], want[2048], junk[600], missing[600];
    hv_domain *d = start("web", 32, 8), *back = NULL;
    long long ticks = xfer_verify(d, XFER_ANY);

    (void)state;
    hv_domain_free(d);
    snprintf(file, sizeof(file), "%s/web.save", cli_env.dir);
    RUN_OK(&r, "save", "web", file);
    snprintf(want, sizeof(want), "Saved 'web' to %s in ", file);
    assert_starts_ends(r.out, want, " written).\n");
    RUN_OK(&r, "list");
    assert_null(strstr(r.out, "web"));
    RUN_OK(&r, "restore", "--verify", file);
    snprintf(want, sizeof(want), ") from %s.\n", file);
    assert_starts_ends(r.out, "Domain 'web' restored (id ", want);
    OK(hv_domain_lookup_by_name(here, "web", &back));
    xfer_verify(back, ticks);
    hv_domain_free(back);
    /* --keep: it runs on; --json: one result line. */
    RUN_OK(&r, "save", "--keep", "--json", "web", file);
    {
        /* Progress lines (if the save took long enough), then this. */
        char *last = strrchr(r.out, '{');
        json_object *o = json_tokener_parse(last ? last : ""), *v;
        assert_non_null(o);
        assert_true(json_object_object_get_ex(o, "type", &v));
        assert_string_equal(json_object_get_string(v), "result");
        assert_true(json_object_object_get_ex(o, "keep", &v));
        assert_true(json_object_get_boolean(v));
        json_object_put(o);
    }
    RUN_OK(&r, "info", "web");
    assert_contains(r.out, "running");
    /* Failures, word for word. */
    RUN_FAIL(&r, 1, "hvctl: error: save nope: domain 'nope': no such "
                    "domain\n", "save", "nope", file);
    snprintf(missing, sizeof(missing), "%s/missing.save", cli_env.dir);
    snprintf(want, sizeof(want), "hvctl: error: restore %s: restore from %s: "
             "No such file or directory\n", missing, missing);
    RUN_FAIL(&r, 1, want, "restore", missing);
    snprintf(junk, sizeof(junk), "%s", cli_file("junk.save", "not a save\n"));
    snprintf(want, sizeof(want), "hvctl: error: restore %s: restore from %s: "
             "not a domain stream (bad magic)\n", junk, junk);
    RUN_FAIL(&r, 1, want, "restore", junk);
    unlink(file);
}

static void migrate_plain_and_json(void **state)
{
    char want[700];
    hv_domain *d = start("web", 64, 32), *moved = NULL;
    long long ticks = xfer_verify(d, XFER_ANY);
    int progress = 0, results = 0;
    char *copy, *line, *save = NULL;

    (void)state;
    hv_domain_free(d);
    /* Not a terminal, no --json: the result line only. */
    RUN_OK(&r, "migrate", "web", dest);
    snprintf(want, sizeof(want), "Migrated 'web' to %s in ", dest);
    assert_starts_ends(r.out, want, ")\n");
    assert_contains(r.out, " ms (downtime ");
    assert_contains(r.out, " sent, ");
    RUN_OK(&r, "list");
    assert_null(strstr(r.out, "web"));
    OK(hv_domain_lookup_by_name(there, "web", &moved));
    ticks = xfer_verify(moved, ticks);
    hv_domain_free(moved);

    /* Back, live, with JSON lines (64 MiB/s: several reports). */
    {
        char home[400];
        const char *const prefix[] = { "-c", dest, NULL };
        snprintf(home, sizeof(home), "hvctl:///system?driver=direct&rundir=%s",
                 cli_env.rundir);
        hvctl_prefix(prefix);
        RUN_OK(&r, "migrate", "--live", "--bandwidth", "64", "--json", "web",
               home);
        hvctl_prefix(NULL);
    }
    copy = strdup(r.out);
    for (line = strtok_r(copy, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        json_object *o = json_tokener_parse(line), *v;
        if (!o)
            fail_msg("not JSON: %s", line);
        assert_true(json_object_object_get_ex(o, "type", &v));
        if (strcmp(json_object_get_string(v), "progress") == 0) {
            assert_int_equal(results, 0);
            progress++;
            assert_true(json_object_object_get_ex(o, "bytes_sent", &v));
            assert_true(json_object_object_get_ex(o, "phase", &v));
        } else {
            assert_string_equal(json_object_get_string(v), "result");
            results++;
            assert_true(json_object_object_get_ex(o, "downtime_ns", &v));
            assert_true(json_object_object_get_ex(o, "iterations", &v));
            assert_true(json_object_get_int64(v) >= 1);
        }
        json_object_put(o);
    }
    free(copy);
    assert_true(progress >= 2);
    assert_int_equal(results, 1);
    OK(hv_domain_lookup_by_name(here, "web", &moved));
    xfer_verify(moved, ticks);
    hv_domain_free(moved);
}

static void refused(void **state)
{
    hv_domain *d = start("db", 32, 4);

    (void)state;
    hv_domain_free(d);
    RUN_FAIL(&r, 1, "hvctl: error: migrate db: migration of 'db': "
                    "persisting it on the destination needs hvctld on both "
                    "hosts (a direct connection has no definitions)\n",
             "migrate", "--persistent", "db", dest);
    RUN_FAIL(&r, 1, "hvctl: error: migrate nope: domain 'nope': no such "
                    "domain\n", "migrate", "nope", dest);
    RUN_OK(&r, "info", "db");
}

/* hvctl with stdout and stderr collected; *pid to signal. */
struct bg {
    pid_t pid;
    int out, err;
    char obuf[64 * 1024], ebuf[4096];
    size_t olen, elen;
};

static void bg_start(struct bg *b, const char *const *args)
{
    const char *argv[32];
    posix_spawn_file_actions_t fa;
    int o[2], e[2], n = 0;

    memset(b, 0, sizeof(*b));
    argv[n++] = cli_env.hvctl;
    for (int i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    assert_int_equal(pipe2(o, O_CLOEXEC), 0);
    assert_int_equal(pipe2(e, O_CLOEXEC), 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_adddup2(&fa, e[1], 2);
    assert_int_equal(posix_spawn(&b->pid, cli_env.hvctl, &fa, NULL,
                                 (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(o[1]);
    close(e[1]);
    b->out = o[0];
    b->err = e[0];
}

static void drain(int fd, char *buf, size_t size, size_t *len)
{
    ssize_t n;

    while ((n = read(fd, buf + *len, size - 1 - *len)) > 0)
        *len += (size_t)n;
    buf[*len] = '\0';
}

static bool bg_until(struct bg *b, const char *needle)
{
    double end = now_ms() + 30000;

    fcntl(b->out, F_SETFL, O_NONBLOCK);
    while (!strstr(b->obuf, needle) && now_ms() < end) {
        struct pollfd p = { .fd = b->out, .events = POLLIN };
        poll(&p, 1, 50);
        drain(b->out, b->obuf, sizeof(b->obuf), &b->olen);
    }
    return strstr(b->obuf, needle) != NULL;
}

static int bg_wait(struct bg *b)
{
    int status;

    while (waitpid(b->pid, &status, 0) < 0 && errno == EINTR)
        ;
    fcntl(b->err, F_SETFL, 0);
    drain(b->err, b->ebuf, sizeof(b->ebuf), &b->elen);
    close(b->out);
    close(b->err);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * On a terminal (stderr a pseudo-terminal) the progress line is redrawn
 * in place and cleared at the end; stdout still gets the result line.
 */
static void progress_on_a_terminal(void **state)
{
    const char *const args[] = { "migrate", "--bandwidth", "32", "tty", dest,
                                 NULL };
    const char *argv[16];
    posix_spawn_file_actions_t fa;
    char screen[64 * 1024], out[1024], want[700];
    size_t slen = 0, olen = 0;
    int master, slave, o[2], n = 0, status;
    hv_domain *d = start("tty", 64, 32);
    pid_t pid;

    (void)state;
    hv_domain_free(d);
    assert_int_equal(openpty(&master, &slave, NULL, NULL, NULL), 0);
    assert_int_equal(pipe2(o, O_CLOEXEC), 0);
    argv[n++] = cli_env.hvctl;
    for (int i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_adddup2(&fa, slave, 2);
    assert_int_equal(posix_spawn(&pid, cli_env.hvctl, &fa, NULL,
                                 (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(o[1]);
    close(slave);
    /* Read both until stdout ends (the pty gives EIO once hvctl is gone). */
    for (bool out_open = true; out_open;) {
        struct pollfd p[2] = { { .fd = o[0], .events = POLLIN },
                               { .fd = master, .events = POLLIN } };
        ssize_t k;
        if (poll(p, 2, 30000) <= 0)
            fail_msg("hvctl migrate hung; screen so far: %s", screen);
        if (p[1].revents & POLLIN) {
            k = read(master, screen + slen, sizeof(screen) - 1 - slen);
            if (k > 0)
                slen += (size_t)k;
        }
        if (p[0].revents & (POLLIN | POLLHUP)) {
            k = read(o[0], out + olen, sizeof(out) - 1 - olen);
            if (k > 0)
                olen += (size_t)k;
            else
                out_open = false;
        }
    }
    for (ssize_t k; (k = read(master, screen + slen,
                              sizeof(screen) - 1 - slen)) > 0;)
        slen += (size_t)k;
    screen[slen] = out[olen] = '\0';
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    close(master);
    close(o[0]);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_contains(screen, "\r\033[Kmigrate tty: ");
    assert_contains(screen, " MiB/s  round ");
    assert_contains(screen, " left  downtime ~");
    /* Cleared at the end: the last thing on the terminal. */
    assert_true(slen >= 4 && strcmp(screen + slen - 4, "\r\033[K") == 0);
    snprintf(want, sizeof(want), "Migrated 'tty' to %s in ", dest);
    assert_starts_ends(out, want, ")\n");
}

static void ctrl_c_cancels(void **state)
{
    const char *const args[] = { "migrate", "--json", "--bandwidth", "1",
                                 "stay", dest, NULL };
    static struct bg b;
    hv_domain *d = start("stay", 64, 32), *still = NULL;

    (void)state;
    bg_start(&b, args);
    /* Copying (1 MiB/s for 32 MiB): stop it. */
    if (!bg_until(&b, "\"type\":\"progress\""))
        fail_msg("no progress line: %s", b.obuf);
    kill(b.pid, SIGINT);
    assert_int_equal(bg_wait(&b), 1);
    assert_string_equal(b.ebuf, "hvctl: error: migrate stay: migration of "
                        "'stay' cancelled: it runs on here\n");
    OK(hv_domain_lookup_by_name(here, "stay", &still));
    assert_int_equal(hv_domain_get_id(still), hv_domain_get_id(d));
    xfer_verify(still, XFER_ANY);
    hv_domain_free(still);
    hv_domain_free(d);
    RUN_OK(&r, "-c", dest, "list");
    assert_null(strstr(r.out, "stay"));
}

static int setup(void **state)
{
    (void)state;
    cli_env_open("migrate");
    snprintf(hostb, sizeof(hostb), "%s/hostb", cli_env.dir);
    snprintf(dest, sizeof(dest), "hvctl:///system?driver=direct&rundir=%s",
             hostb);
    if (mkdir(hostb, 0700) < 0 || hv_conn_open(cli_env.rundir, &here) ||
        hv_conn_open(hostb, &there))
        return -1;
    return 0;
}

/* Whatever a test left on the second host goes too. */
static int each(void **state)
{
    hv_domlist *l;

    (void)state;
    cli_destroy_all();
    if (hv_domain_list(there, &l) == 0) {
        for (size_t i = 0; i < hv_domlist_count(l); i++) {
            hv_domain *d;
            if (hv_domain_lookup_by_id(there, hv_domain_info_get_id(
                    hv_domlist_get(l, i)), &d) == 0) {
                hv_domain_destroy(d, 0);
                hv_domain_free(d);
            }
        }
        hv_domlist_free(l);
    }
    return 0;
}

static int teardown(void **state)
{
    each(state);
    hv_conn_free(here);
    hv_conn_free(there);
    cli_env_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(save_restore, each),
        cmocka_unit_test_teardown(migrate_plain_and_json, each),
        cmocka_unit_test_teardown(refused, each),
        cmocka_unit_test_teardown(progress_on_a_terminal, each),
        cmocka_unit_test_teardown(ctrl_c_cancels, each),
    };
    char why[256];

    if (!cli_can_run_domains(why, sizeof(why))) {
        printf("SKIP: %s\n", why);
        return 77;
    }
    return cmocka_run_group_tests(tests, setup, teardown);
}
