/*
 * test_api.c - every libhvctl call against real hvcore + pvboot domains,
 * the error paths (unknown domain, wrong state, dead hvcore) with their
 * exact messages, and concurrency (8 threads; two processes racing for
 * one name).  Each test starts and ends with no domain running.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_assert.h"
#include "api_harness.h"

static struct harness H;

/* Create `name` running pvboot `cmdline`. */
static hv_domain *start(const char *name, const char *cmdline)
{
    hv_config *c = harness_config(&H, name, cmdline);
    hv_domain *d = NULL;

    assert_non_null(c);
    OK(hv_domain_create(H.conn, c, 0, &d));
    hv_config_free(c);
    return d;
}

static int state_of(hv_domain *d)
{
    hv_domain_info *i;
    int s;

    OK(hv_domain_get_info(d, &i));
    s = hv_domain_info_get_state(i);
    hv_domain_info_free(i);
    return s;
}

/* Read the console until `needle` shows up (30 s at most). */
static bool console_sees(int fd, const char *needle)
{
    char buf[8192];
    size_t len = 0;
    double end = harness_now_ms() + 30000;

    while (harness_now_ms() < end) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;
        if (poll(&p, 1, 100) <= 0)
            continue;
        n = read(fd, buf + len, sizeof(buf) - 1 - len);
        if (n <= 0)
            return false;
        len += (size_t)n;
        buf[len] = '\0';
        if (strstr(buf, needle))
            return true;
        if (len > sizeof(buf) / 2) {    /* keep the tail */
            memmove(buf, buf + len - 256, 256);
            len = 256;
        }
    }
    return false;
}

/* Wait until no domain has `name` (30 s at most). */
static void wait_gone(const char *name)
{
    double end = harness_now_ms() + 30000;
    hv_domain *d;
    int rc;

    while ((rc = hv_domain_lookup_by_name(H.conn, name, &d)) == 0 &&
           harness_now_ms() < end) {
        hv_domain_free(d);
        usleep(2000);
    }
    if (rc != HV_ENOENT)
        fail_msg("domain '%s' is still there", name);
}

static void test_create_lookup_info(void **state)
{
    hv_config *c = harness_config(&H, "t-basic", "counter");
    hv_domain *d, *byname, *byid, *byuuid;
    hv_domain_info *i;
    hv_domlist *l;
    bool listed = false;
    uint32_t id;

    (void)state;
    hv_config_set_memory(c, 24, 48);
    OK(hv_domain_create(H.conn, c, 0, &d));
    id = hv_domain_get_id(d);
    assert_true(id >= 1);
    assert_string_equal(hv_domain_get_name(d), "t-basic");
    assert_string_equal(hv_domain_get_uuid(d), hv_config_get_uuid(c));

    OK(hv_domain_lookup_by_name(H.conn, "t-basic", &byname));
    OK(hv_domain_lookup_by_id(H.conn, id, &byid));
    OK(hv_domain_lookup_by_uuid(H.conn, hv_config_get_uuid(c), &byuuid));
    assert_int_equal(hv_domain_get_id(byname), id);
    assert_int_equal(hv_domain_get_id(byid), id);
    assert_int_equal(hv_domain_get_id(byuuid), id);

    OK(hv_domain_get_info(byname, &i));
    /* Running means its vCPU is up, even before its thread has run. */
    assert_int_equal(hv_domain_info_get_vcpus_online(i), 1);
    assert_int_equal(hv_domain_info_get_id(i), id);
    assert_string_equal(hv_domain_info_get_name(i), "t-basic");
    assert_string_equal(hv_domain_info_get_uuid(i), hv_config_get_uuid(c));
    assert_int_equal(hv_domain_info_get_state(i), HV_STATE_RUNNING);
    assert_int_equal(hv_domain_info_get_vcpus_max(i), 1);
    assert_int_equal(hv_domain_info_get_mem_max_kib(i), 48 * 1024);
    assert_int_equal(hv_domain_info_get_mem_target_kib(i), 24 * 1024);
    assert_int_equal(hv_domain_info_get_boot_count(i), 1);
    assert_true(hv_domain_info_get_pid(i) > 0);
    /* 0.4: what the direct driver says of persistence, reason, counters. */
    assert_int_equal(hv_domain_info_get_persistent(i), -1);
    assert_int_equal(hv_domain_info_get_autostart(i), -1);
    assert_int_equal(hv_domain_info_get_reason(i), HV_REASON_BOOTED);
    hv_domain_info_free(i);
    /* hvcore's counters reach the caller: the guest's first exits to
     * hvcore (its console output) come soon after it runs. */
    for (int tries = 0;; tries++) {
        OK(hv_domain_get_info(byname, &i));
        if (hv_domain_info_get_exits(i) > 0)
            break;
        hv_domain_info_free(i);
        assert_true(tries < 3000);              /* 30 s: only on failure */
        usleep(10000);
    }
    hv_domain_info_free(i);
    /* The flags every call takes now: an unknown one is refused. */
    expect_err(hv_domain_pause(byname, 2), HV_EINVAL,
               "domain 't-basic' (id %u): pause: unknown flags 0x2", id);
    expect_err(hv_domain_shutdown(byname, 0, 1, NULL), HV_EINVAL,
               "domain 't-basic' (id %u): shutdown: unknown flags 0x1", id);
    expect_err(hv_domain_set_memory(byname, 8, 4), HV_EINVAL,
               "domain 't-basic' (id %u): memory target: unknown flags 0x4",
               id);
    expect_err(hv_domain_start(byname, 0), HV_ENOTSUP,
               "domain 't-basic' (id %u): start: not possible through %s: "
               "the direct driver runs transient domains only; definitions "
               "need hvctld (hvctl:///system with hvctld running, or "
               "unix:///PATH/hvctld.sock)", id, hv_conn_get_uri(H.conn));

    OK(hv_domain_list(H.conn, &l));
    for (size_t k = 0; k < hv_domlist_count(l); k++) {
        const hv_domain_info *li = hv_domlist_get(l, k);
        if (hv_domain_info_get_id(li) == id) {
            listed = true;
            assert_int_equal(hv_domain_info_get_state(li), HV_STATE_RUNNING);
        }
    }
    assert_null(hv_domlist_get(l, hv_domlist_count(l)));
    hv_domlist_free(l);
    assert_true(listed);

    OK(hv_domain_destroy(d, 0));
    hv_domain_free(byname);
    /* Gone: the name and the handles say so. */
    expect_err(hv_domain_lookup_by_name(H.conn, "t-basic", &byname), HV_ENOENT,
               "domain 't-basic': no such domain");
    assert_null(byname);
    expect_err(hv_domain_pause(byid, 0), HV_ENOENT,
               "domain 't-basic' (id %u): the domain has ended", id);
    expect_err(hv_domain_get_info(byuuid, &i), HV_ENOENT,
               "domain 't-basic' (id %u): the domain has ended", id);
    hv_domain_free(byid);
    hv_domain_free(byuuid);
    hv_domain_free(d);
    hv_config_free(c);
}

static void test_pause_unpause(void **state)
{
    hv_domain *d = start("t-pause", "counter");
    uint32_t id = hv_domain_get_id(d);

    (void)state;
    OK(hv_domain_pause(d, 0));
    assert_int_equal(state_of(d), HV_STATE_PAUSED);
    expect_err(hv_domain_pause(d, 0), HV_ESTATE,
               "domain 't-pause' (id %u): already paused", id);
    OK(hv_domain_unpause(d, 0));
    assert_int_equal(state_of(d), HV_STATE_RUNNING);
    expect_err(hv_domain_unpause(d, 0), HV_ESTATE,
               "domain 't-pause' (id %u): not paused", id);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
}

static void test_console(void **state)
{
    hv_domain *d = start("t-console", "counter");
    int fd = -1;

    (void)state;
    OK(hv_domain_console_open(d, &fd));
    assert_true(fd >= 0);
    assert_true(console_sees(fd, "counter "));
    close(fd);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
}

static void test_shutdown_wait(void **state)
{
    hv_domain *d = start("t-shutdown", "counter"), *again;

    (void)state;
    OK(hv_domain_shutdown(d, 10000, 0, NULL));
    expect_err(hv_domain_lookup_by_name(H.conn, "t-shutdown", &again),
               HV_ENOENT, "domain 't-shutdown': no such domain");
    /* The name is free as soon as the wait returns. */
    hv_domain_free(d);
    d = start("t-shutdown", "counter");
    /* Request only: returns at once, the domain goes on its own. */
    OK(hv_domain_shutdown(d, 0, 0, NULL));
    wait_gone("t-shutdown");
    hv_domain_free(d);
}

static void test_shutdown_timeout_and_cancel(void **state)
{
    hv_domain *d = start("t-paused-shutdown", "counter");
    uint32_t id = hv_domain_get_id(d);
    hv_op *op = hv_op_new(NULL, NULL);

    (void)state;
    /* A paused guest cannot answer the request. */
    OK(hv_domain_pause(d, 0));
    expect_err(hv_domain_shutdown(d, 200, 0, NULL), HV_ETIMEDOUT,
               "domain 't-paused-shutdown' (id %u): still running after "
               "200 ms: it is paused, so the guest cannot act on the "
               "request (unpause it, or use destroy)", id);
    hv_op_cancel(op);
    expect_err(hv_domain_shutdown(d, -1, 0, op), HV_ECANCELED,
               "domain 't-paused-shutdown' (id %u): wait cancelled", id);
    hv_op_free(op);
    /* Unpaused, it sees the request that still stands. */
    OK(hv_domain_unpause(d, 0));
    wait_gone("t-paused-shutdown");
    hv_domain_free(d);
}

static void test_reboot(void **state)
{
    hv_domain *d = start("t-reboot", "counter");
    hv_domain_info *i;
    unsigned boots = 1;
    double end = harness_now_ms() + 30000;

    (void)state;
    OK(hv_domain_reboot(d, 0));
    while (boots < 2 && harness_now_ms() < end) {
        OK(hv_domain_get_info(d, &i));
        boots = hv_domain_info_get_boot_count(i);
        hv_domain_info_free(i);
        usleep(5000);
    }
    assert_int_equal(boots, 2);
    assert_int_equal(state_of(d), HV_STATE_RUNNING);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
}

static void test_set_memory(void **state)
{
    hv_config *c = harness_config(&H, "t-mem", "counter");
    hv_domain *d;
    hv_domain_info *i;
    uint32_t id;

    (void)state;
    hv_config_set_memory(c, 32, 64);
    OK(hv_domain_create(H.conn, c, 0, &d));
    id = hv_domain_get_id(d);
    OK(hv_domain_set_memory(d, 48, 0));
    OK(hv_domain_get_info(d, &i));
    assert_int_equal(hv_domain_info_get_mem_target_kib(i), 48 * 1024);
    hv_domain_info_free(i);
    expect_err(hv_domain_set_memory(d, 1000, 0), HV_EINVAL,
               "domain 't-mem' (id %u): memory target 1000 MiB is out of "
               "range (1 to 64 MiB, the maximum memory)", id);
    expect_err(hv_domain_set_memory(d, 0, 0), HV_EINVAL,
               "domain 't-mem' (id %u): memory target 0 MiB is out of range",
               id);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
    hv_config_free(c);
}

static void test_duplicate_name(void **state)
{
    hv_domain *d = start("t-dup", "counter"), *d2 = NULL;
    hv_config *c = harness_config(&H, "t-dup", "counter");

    (void)state;
    expect_err(hv_domain_create(H.conn, c, 0, &d2), HV_EEXIST,
               "domain 't-dup': the name is already in use");
    assert_null(d2);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
    hv_config_free(c);
}

/* Two processes create one name at the same instant: one wins. */
static void test_name_race(void **state)
{
    (void)state;
    for (int round = 0; round < 5; round++) {
        int go[2], wins = 0, losses = 0;
        pid_t kids[2];

        assert_int_equal(pipe(go), 0);
        for (int k = 0; k < 2; k++) {
            kids[k] = fork();
            assert_true(kids[k] >= 0);
            if (kids[k] == 0) {
                hv_conn *conn;
                hv_config *c = harness_config(&H, "t-race", "counter");
                hv_domain *d;
                char b;
                int rc;
                close(go[1]);
                if (hv_conn_open(H.rundir, &conn))
                    _exit(3);
                if (read(go[0], &b, 1) < 0)
                    _exit(3);
                rc = hv_domain_create(conn, c, 0, &d);
                _exit(rc == 0 ? 0 : rc == HV_EEXIST ? 1 : 2);
            }
        }
        close(go[0]);
        close(go[1]);                   /* both start now */
        for (int k = 0; k < 2; k++) {
            int st;
            waitpid(kids[k], &st, 0);
            assert_true(WIFEXITED(st));
            wins += WEXITSTATUS(st) == 0;
            losses += WEXITSTATUS(st) == 1;
        }
        assert_int_equal(wins, 1);
        assert_int_equal(losses, 1);
        hv_domain *d;
        OK(hv_domain_lookup_by_name(H.conn, "t-race", &d));
        OK(hv_domain_destroy(d, 0));
        hv_domain_free(d);
    }
}

/* Wait until pid is dead: gone, or a zombie nobody reaps (30 s at most). */
static void kill_and_wait(pid_t pid)
{
    double end = harness_now_ms() + 30000;
    char path[64], buf[256];

    assert_int_equal(kill(pid, SIGKILL), 0);
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    while (harness_now_ms() < end) {
        FILE *f = fopen(path, "r");
        char *p = NULL;
        if (!f)
            return;
        if (fgets(buf, sizeof(buf), f))
            p = strrchr(buf, ')');
        fclose(f);
        if (p && (p[2] == 'Z' || p[2] == 'X'))
            return;
        usleep(1000);
    }
    fail_msg("pid %d did not die", (int)pid);
}

static pid_t pid_of(hv_domain *d)
{
    hv_domain_info *i;
    pid_t pid;

    OK(hv_domain_get_info(d, &i));
    pid = hv_domain_info_get_pid(i);
    hv_domain_info_free(i);
    return pid;
}

/*
 * hv_domain_list asks every hvcore at once, so hvcores that do not answer
 * (stopped, hung) cost one domctl timeout together, not one each: the
 * list holds the connection's cache lock all along, which stalls every
 * other lister of the connection too.
 */
static void test_list_hung_hvcores(void **state)
{
    hv_domain *d[3];
    pid_t pid[3];
    hv_domlist *l = NULL;
    double t0, took;
    int rc;

    (void)state;
    for (int i = 0; i < 3; i++) {
        char name[16];
        snprintf(name, sizeof(name), "t-hung-%d", i);
        d[i] = start(name, "counter");
        pid[i] = pid_of(d[i]);
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(kill(pid[i], SIGSTOP), 0);
    t0 = harness_now_ms();
    rc = hv_domain_list(H.conn, &l);
    took = harness_now_ms() - t0;
    for (int i = 0; i < 3; i++)
        kill(pid[i], SIGCONT);
    hv_domlist_free(l);
    for (int i = 0; i < 3; i++) {
        OK(hv_domain_destroy(d[i], 0));
        hv_domain_free(d[i]);
    }
    assert_int_equal(rc, 0);
    /* One timeout is 10 s; three in a row would be 30 s.  25 s leaves a
     * loaded machine 15 s of slack and still tells the two apart. */
    if (took > 25000)
        fail_msg("listing 3 hung hvcores took %.0f ms", took);
}

/* How many sockets process pid holds. */
static int sockets_of(pid_t pid)
{
    char dir[64], path[320], link[64];
    struct dirent *de;
    DIR *d;
    int n = 0;

    snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
    assert_non_null(d = opendir(dir));
    while ((de = readdir(d))) {
        ssize_t len;
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        len = readlink(path, link, sizeof(link) - 1);
        if (len > 0 && (link[len] = '\0', strncmp(link, "socket:", 7) == 0))
            n++;
    }
    closedir(d);
    return n;
}

/* Wait (30 s at most) until pid holds `want` sockets. */
static void wait_sockets(pid_t pid, int want, const char *why)
{
    double end = harness_now_ms() + 30000;
    int n;

    while ((n = sockets_of(pid)) != want && harness_now_ms() < end)
        usleep(1000);
    if (n != want)
        fail_msg("hvcore holds %d sockets, not %d, %s", n, want, why);
}

/*
 * A connection's first list keeps no control connection: most are a
 * process's only list (`hvctl list`), and a connection kept to be closed
 * at exit costs every hvcore a wake-up.  Its getinfo asks hvcore to close
 * after the reply.  From the second list on they are kept and reused.
 */
static void test_list_first_keeps_none(void **state)
{
    hv_domain *d = start("t-list-once", "counter");
    uint32_t id = hv_domain_get_id(d);
    pid_t pid = pid_of(d);
    int base = sockets_of(pid), seen = 0;
    hv_domlist *l;
    hv_conn *c;

    (void)state;
    OK(hv_conn_open(H.rundir, &c));
    OK(hv_domain_list(c, &l));
    for (size_t k = 0; k < hv_domlist_count(l); k++)
        if (hv_domain_info_get_id(hv_domlist_get(l, k)) == id) {
            seen++;
            assert_int_equal(hv_domain_info_get_state(hv_domlist_get(l, k)),
                             HV_STATE_RUNNING);
        }
    hv_domlist_free(l);
    assert_int_equal(seen, 1);
    wait_sockets(pid, base, "after a connection's first list");
    OK(hv_domain_list(c, &l));
    hv_domlist_free(l);
    wait_sockets(pid, base + 1, "after its second list");
    /* Reused: hvcore has accepted any new one before it answers. */
    OK(hv_domain_list(c, &l));
    assert_int_equal(hv_domlist_count(l), 1);
    hv_domlist_free(l);
    assert_int_equal(sockets_of(pid), base + 1);
    hv_conn_free(c);
    wait_sockets(pid, base, "after hv_conn_free");
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
}

/* kill -9: listed once as crashed, cleaned, never running; name reusable. */
static void test_dead_hvcore_list(void **state)
{
    hv_domain *d = start("t-dead", "counter"), *d2;
    uint32_t id = hv_domain_get_id(d);
    pid_t pid = pid_of(d);
    hv_domlist *l;
    int seen = 0;

    (void)state;
    kill_and_wait(pid);
    OK(hv_domain_list(H.conn, &l));
    for (size_t k = 0; k < hv_domlist_count(l); k++) {
        const hv_domain_info *i = hv_domlist_get(l, k);
        if (hv_domain_info_get_id(i) != id)
            continue;
        seen++;
        assert_int_equal(hv_domain_info_get_state(i), HV_STATE_CRASHED);
        assert_string_equal(hv_domain_info_get_name(i), "t-dead");
        assert_string_equal(hv_domain_info_get_uuid(i), "");
        assert_int_equal(hv_domain_info_get_pid(i), pid);
    }
    hv_domlist_free(l);
    assert_int_equal(seen, 1);
    /* Reported once: the entry is gone now. */
    OK(hv_domain_list(H.conn, &l));
    for (size_t k = 0; k < hv_domlist_count(l); k++)
        assert_int_not_equal(hv_domain_info_get_id(hv_domlist_get(l, k)), id);
    hv_domlist_free(l);
    expect_err(hv_domain_pause(d, 0), HV_ENOENT,
               "domain 't-dead' (id %u): the domain has ended", id);
    expect_err(hv_domain_lookup_by_name(H.conn, "t-dead", &d2), HV_ENOENT,
               "domain 't-dead': no such domain");
    hv_domain_free(d);
    d = start("t-dead", "counter");
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
}

/* kill -9, and the next call on a handle is the one that finds out. */
static void test_dead_hvcore_handle(void **state)
{
    hv_domain *d = start("t-dead2", "counter"), *d2;
    uint32_t id = hv_domain_get_id(d);
    pid_t pid = pid_of(d);
    hv_config *c;

    (void)state;
    kill_and_wait(pid);
    expect_err(hv_domain_unpause(d, 0), HV_EDEAD,
               "domain 't-dead2' (id %u): hvcore (pid %d) died; its runtime "
               "entry was removed", id, (int)pid);
    expect_err(hv_domain_get_info(d, &(hv_domain_info *){ NULL }), HV_ENOENT,
               "domain 't-dead2' (id %u): the domain has ended", id);
    expect_err(hv_domain_lookup_by_id(H.conn, id, &d2), HV_ENOENT,
               "domain %u: no such domain", id);
    hv_domain_free(d);

    /* And when create is the first to meet the dead holder of its name. */
    d = start("t-dead3", "counter");
    pid = pid_of(d);
    kill_and_wait(pid);
    hv_domain_free(d);
    c = harness_config(&H, "t-dead3", "counter");
    OK(hv_domain_create(H.conn, c, 0, &d));
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
    hv_config_free(c);
}

/* The config kept at create comes back as it went in. */
static void test_get_config(void **state)
{
    hv_config *c = harness_config(&H, "t-conf", "counter"), *got;
    char *want, *have;
    hv_domain *d, *byname;
    uint32_t id;

    (void)state;
    hv_config_set_memory(c, 24, 48);
    OK(hv_config_set_action(c, HV_ON_CRASH, HV_ACTION_PRESERVE));
    OK(hv_domain_create(H.conn, c, 0, &d));
    id = hv_domain_get_id(d);
    OK(hv_domain_lookup_by_name(H.conn, "t-conf", &byname));
    OK(hv_domain_get_config(byname, &got));
    OK(hv_config_to_json(c, &want));
    OK(hv_config_to_json(got, &have));
    assert_string_equal(have, want);
    free(want);
    free(have);
    hv_config_free(got);

    /* The file goes with the domain, and so does the directory. */
    OK(hv_domain_destroy(d, 0));
    expect_err(hv_domain_get_config(byname, &got), HV_ENOENT,
               "domain 't-conf' (id %u): the domain has ended", id);
    assert_null(got);
    {
        char dir[400];
        snprintf(dir, sizeof(dir), "%s/domains/%u", H.rundir, id);
        assert_int_equal(access(dir, F_OK), -1);
    }
    hv_domain_free(byname);
    hv_domain_free(d);
    hv_config_free(c);
}

/* A domain started by hvcore itself has no stored config. */
static void test_get_config_plain_hvcore(void **state)
{
    const char *argv[] = { getenv("HVCORE"), "--kernel", H.pvboot,
                           "--memory", "32", "--cmdline", "counter",
                           "--name", "t-plain", "--rundir", H.rundir,
                           "--console", "none", "--detach", NULL };
    hv_config *got;
    hv_domain *d;
    pid_t child;
    int status;

    (void)state;
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    /* --detach: hvcore's parent exits once the domain runs. */
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    OK(hv_domain_lookup_by_name(H.conn, "t-plain", &d));
    expect_err(hv_domain_get_config(d, &got), HV_ENOENT,
               "domain 't-plain' (id %u): no configuration is stored (it "
               "was not started through libhvctl)", hv_domain_get_id(d));
    assert_null(got);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
}

/* Wait for the next event of domid (skipping others), 30 s at most. */
static hv_event *next_event_(hv_events *ev, uint32_t domid, int line)
{
    double end = harness_now_ms() + 30000;

    while (harness_now_ms() < end) {
        struct pollfd p = { .fd = hv_events_get_fd(ev), .events = POLLIN };
        hv_event *e;
        int rc = hv_event_next(ev, &e);
        if (rc == 0) {
            if (hv_event_get_domid(e) == domid)
                return e;
            hv_event_free(e);
            continue;
        }
        assert_int_equal(rc, HV_EAGAIN);
        poll(&p, 1, 50);
    }
    fail_msg("line %d: no event for domain %u", line, domid);
    return NULL;
}
#define next_event(ev, domid) next_event_(ev, domid, __LINE__)

static void expect_event_(hv_events *ev, uint32_t domid, int type,
                          const char *detail, int line)
{
    hv_event *e = next_event_(ev, domid, line);

    if (hv_event_get_type(e) != type)
        fail_msg("domain %u: event %s, expected %s (%s)", domid,
                 hv_event_type_name(hv_event_get_type(e)),
                 hv_event_type_name(type), hv_event_get_detail(e));
    assert_true(hv_event_get_time_ns(e) > 0);
    if (detail)
        assert_string_equal(hv_event_get_detail(e), detail);
    hv_event_free(e);
}
#define expect_event(ev, id, type, detail) \
    expect_event_(ev, id, type, detail, __LINE__)

static void test_events(void **state)
{
    hv_config *c;
    hv_events *ev;
    hv_domain *d;
    uint32_t id;
    hv_event *e;
    pid_t pid;
    char detail[64];

    (void)state;
    OK(hv_events_open(H.conn, &ev));
    assert_true(hv_events_get_fd(ev) >= 0);
    assert_int_equal(hv_event_next(ev, &e), HV_EAGAIN);

    d = start("t-events", "counter");
    id = hv_domain_get_id(d);
    expect_event(ev, id, HV_EVENT_STARTED, NULL);
    e = NULL;
    OK(hv_domain_pause(d, 0));
    expect_event(ev, id, HV_EVENT_PAUSED, NULL);
    OK(hv_domain_unpause(d, 0));
    expect_event(ev, id, HV_EVENT_UNPAUSED, NULL);
    OK(hv_domain_reboot(d, 0));
    expect_event(ev, id, HV_EVENT_REBOOTED, NULL);
    OK(hv_domain_destroy(d, 0));
    expect_event(ev, id, HV_EVENT_DESTROYED, NULL);
    hv_domain_free(d);

    d = start("t-events", "counter");
    id = hv_domain_get_id(d);
    expect_event(ev, id, HV_EVENT_STARTED, NULL);
    OK(hv_domain_shutdown(d, 10000, 0, NULL));
    expect_event(ev, id, HV_EVENT_SHUTDOWN, NULL);
    hv_domain_free(d);

    /*
     * A guest that crashes as it boots, kept by on_crash=preserve: its
     * crash happened before anyone could subscribe, and is reported on
     * discovery.  Destroying it is the end of its story.
     */
    c = harness_config(&H, "t-events-crash", "crash");
    hv_config_set_action(c, HV_ON_CRASH, HV_ACTION_PRESERVE);
    OK(hv_domain_create(H.conn, c, 0, &d));
    hv_config_free(c);
    id = hv_domain_get_id(d);
    expect_event(ev, id, HV_EVENT_STARTED, NULL);
    e = next_event(ev, id);
    assert_int_equal(hv_event_get_type(e), HV_EVENT_CRASHED);
    assert_string_not_equal(hv_event_get_detail(e), "");
    hv_event_free(e);
    OK(hv_domain_destroy(d, 0));
    expect_event(ev, id, HV_EVENT_DESTROYED, NULL);
    hv_domain_free(d);

    d = start("t-events-kill", "counter");
    id = hv_domain_get_id(d);
    expect_event(ev, id, HV_EVENT_STARTED, NULL);
    pid = pid_of(d);
    kill(pid, SIGKILL);
    snprintf(detail, sizeof(detail), "hvcore (pid %d) died", (int)pid);
    expect_event(ev, id, HV_EVENT_CRASHED, detail);
    hv_domain_free(d);
    hv_events_free(ev);
}

/*
 * A domain over at once (powered off or crashed as it boots) is gone
 * before anyone could subscribe to it: the hv_events of the connection
 * that creates it still hear its start and its end, every time.
 */
static void test_events_short_lived(void **state)
{
    static const struct { const char *cmdline; int end; } kinds[] = {
        { "hello", HV_EVENT_SHUTDOWN }, { "crash", HV_EVENT_CRASHED },
    };
    hv_events *ev;
    char path[600];

    (void)state;
    OK(hv_events_open(H.conn, &ev));
    for (size_t k = 0; k < 2; k++)
        for (int i = 0; i < 20; i++) {
            hv_config *c = harness_config(&H, "t-brief", kinds[k].cmdline);
            hv_domain *d;
            uint32_t id;

            OK(hv_domain_create(H.conn, c, 0, &d));
            hv_config_free(c);
            id = hv_domain_get_id(d);
            expect_event(ev, id, HV_EVENT_STARTED, NULL);
            expect_event(ev, id, kinds[k].end, NULL);
            /* Told once the name and the domid are free (hvctl.h). */
            snprintf(path, sizeof(path), "%s/names/t-brief", H.rundir);
            assert_int_equal(access(path, F_OK), -1);
            snprintf(path, sizeof(path), "%s/domains/%u", H.rundir, id);
            assert_int_equal(access(path, F_OK), -1);
            hv_domain_free(d);
        }
    hv_events_free(ev);
}

/*
 * hv_event_next never blocks (hvctl.h), not even when the hvcore of a new
 * domain does not answer yet (stopped, busy): the caller's event loop
 * must not stall for the domctl timeout.
 */
static void test_events_hung_hvcore(void **state)
{
    hv_events *ev;
    hv_domain *d;
    hv_event *e = NULL;
    hv_conn *watcher;
    double t0, took;
    uint32_t id;
    pid_t pid;
    int rc;

    (void)state;
    /* Watching from another connection: the events of a domain created
     * through the watcher's own are on a stream from its first one, and
     * never need hvcore to answer. */
    OK(hv_conn_open(H.rundir, &watcher));
    OK(hv_events_open(watcher, &ev));
    d = start("t-events-hung", "counter");
    id = hv_domain_get_id(d);
    pid = pid_of(d);
    assert_int_equal(kill(pid, SIGSTOP), 0);
    t0 = harness_now_ms();
    rc = hv_event_next(ev, &e);
    took = harness_now_ms() - t0;
    kill(pid, SIGCONT);
    /* Blocking would mean the 10 s domctl timeout; 5 s tells them apart
     * on a loaded machine. */
    if (took > 5000) {
        hv_event_free(e);
        OK(hv_domain_destroy(d, 0));
        hv_domain_free(d);
        hv_events_free(ev);
        hv_conn_free(watcher);
        fail_msg("hv_event_next blocked for %.0f ms (rc %d)", took, rc);
    }
    assert_int_equal(rc, HV_EAGAIN);
    /* Once hvcore answers, the domain is watched like any other. */
    expect_event(ev, id, HV_EVENT_STARTED, NULL);
    OK(hv_domain_pause(d, 0));
    expect_event(ev, id, HV_EVENT_PAUSED, NULL);
    OK(hv_domain_destroy(d, 0));
    expect_event(ev, id, HV_EVENT_DESTROYED, NULL);
    hv_domain_free(d);
    hv_events_free(ev);
    hv_conn_free(watcher);
}

static void test_crash_preserve(void **state)
{
    hv_config *c = harness_config(&H, "t-preserve", "crash");
    hv_domain *d;
    uint32_t id;
    double end = harness_now_ms() + 30000;

    (void)state;
    hv_config_set_action(c, HV_ON_CRASH, HV_ACTION_PRESERVE);
    OK(hv_domain_create(H.conn, c, 0, &d));
    id = hv_domain_get_id(d);
    while (state_of(d) != HV_STATE_CRASHED && harness_now_ms() < end)
        usleep(2000);
    assert_int_equal(state_of(d), HV_STATE_CRASHED);
    expect_err(hv_domain_pause(d, 0), HV_ESTATE,
               "domain 't-preserve' (id %u): cannot pause: the domain is "
               "crashed or shutting down", id);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
    hv_config_free(c);
}

static void test_spawn_failure(void **state)
{
    hv_config *c = harness_config(&H, "t-nokernel", "counter");
    hv_domain *d = NULL;
    const char *prefix = "domain 't-nokernel': hvcore: ";
    int rc;

    (void)state;
    hv_config_set_kernel(c, "/nonexistent/pvboot");
    rc = hv_domain_create(H.conn, c, 0, &d);
    assert_int_equal(rc, HV_ESPAWN);
    assert_null(d);
    assert_memory_equal(hv_last_error(), prefix, strlen(prefix));
    assert_non_null(strstr(hv_last_error(), "/nonexistent/pvboot"));
    /* Nothing left behind. */
    expect_err(hv_domain_lookup_by_name(H.conn, "t-nokernel", &d), HV_ENOENT,
               "domain 't-nokernel': no such domain");

    /* What the hvcore of this build cannot do is refused up front. */
    hv_config_set_kernel(c, H.pvboot);
    hv_config_set_vcpus(c, 1, 2);
    expect_err(hv_domain_create(H.conn, c, 0, &d), HV_ENOTSUP,
               "domain 't-nokernel': hvcore starts every vCPU the guest may "
               "use (current 1, max 2)");
    hv_config_set_vcpus(c, 1, 1);
    hv_config_set_memory(c, 0, 32);
    expect_err(hv_domain_create(H.conn, c, 0, &d), HV_ECONFIG,
               "config 't-nokernel': memory.current_mib: 0 MiB is less than "
               "the minimum of 2 MiB");
    /* 1 is HV_CREATE_PAUSED; the next bit is nothing yet. */
    expect_err(hv_domain_create(H.conn, c, 2, &d), HV_EINVAL,
               "domain 't-nokernel': create: unknown flags 0x2");
    hv_config_free(c);
}

/*
 * An fd the calling program left inheritable (no O_CLOEXEC: a pipe from
 * its parent, a socket of another library) must not live on in the
 * detached hvcore: only stdio and the ready pipe are its business.
 */
static void test_spawn_no_inherited_fds(void **state)
{
    struct pollfd pf;
    hv_domain *d;
    bool eof;
    int p[2];
    char c;

    (void)state;
    assert_int_equal(pipe(p), 0);       /* inheritable on purpose */
    d = start("t-fdleak", "counter");
    close(p[1]);
    pf.fd = p[0];
    pf.events = POLLIN;
    /* Our write end is closed: end of file, unless hvcore holds a copy. */
    eof = poll(&pf, 1, 2000) == 1 && read(p[0], &c, 1) == 0;
    close(p[0]);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
    if (!eof)
        fail_msg("hvcore kept an inheritable pipe of its creator open");
}

static void test_unknown_domain(void **state)
{
    hv_domain *d;

    (void)state;
    expect_err(hv_domain_lookup_by_name(H.conn, "nope", &d), HV_ENOENT,
               "domain 'nope': no such domain");
    expect_err(hv_domain_lookup_by_name(H.conn, "../x", &d), HV_ENOENT,
               "domain '../x': no such domain");
    expect_err(hv_domain_lookup_by_id(H.conn, 9999, &d), HV_ENOENT,
               "domain 9999: no such domain");
    expect_err(hv_domain_lookup_by_uuid(H.conn,
               "11111111-2222-4333-8444-555555555555", &d), HV_ENOENT,
               "domain uuid '11111111-2222-4333-8444-555555555555': no such "
               "domain");
    expect_err(hv_domain_lookup_by_uuid(H.conn, "bad", &d), HV_EINVAL,
               "domain uuid 'bad': not a uuid");
    expect_err(hv_domain_pause(NULL, 0), HV_EINVAL, "domain: NULL handle");
    expect_err(hv_domain_list(NULL, &(hv_domlist *){ NULL }), HV_EINVAL,
               "listing domains: no connection");
}

static void test_hello_powers_off(void **state)
{
    hv_domain *d = start("t-hello", "hello"), *d2;
    double end = harness_now_ms() + 30000;
    int rc;

    (void)state;
    /* It runs, says hello, powers off, and hvcore exits by itself. */
    while ((rc = hv_domain_lookup_by_name(H.conn, "t-hello", &d2)) == 0 &&
           harness_now_ms() < end) {
        hv_domain_free(d2);
        usleep(2000);
    }
    assert_int_equal(rc, HV_ENOENT);
    expect_err(hv_domain_pause(d, 0), HV_ENOENT,
               "domain 't-hello' (id %u): the domain has ended",
               hv_domain_get_id(d));
    hv_domain_free(d);
}

/* 8 threads, each creating, pausing and destroying its own domains. */
static void *worker(void *arg)
{
    int n = (int)(intptr_t)arg;
    char name[32];

    for (int round = 0; round < 3; round++) {
        hv_config *c;
        hv_domain *d, *d2;
        hv_domain_info *i;

        snprintf(name, sizeof(name), "t-thread-%d-%d", n, round);
        c = harness_config(&H, name, "counter");
        if (!c || hv_domain_create(H.conn, c, 0, &d))
            return (void *)"create";
        hv_config_free(c);
        if (hv_domain_pause(d, 0) || hv_domain_get_info(d, &i))
            return (void *)"pause";
        if (hv_domain_info_get_state(i) != HV_STATE_PAUSED)
            return (void *)"state";
        hv_domain_info_free(i);
        if (hv_domain_pause(d, 0) != HV_ESTATE || !strstr(hv_last_error(), name))
            return (void *)"double pause";
        if (hv_domain_lookup_by_name(H.conn, name, &d2) ||
            hv_domain_get_id(d2) != hv_domain_get_id(d))
            return (void *)"lookup";
        /* Two handles of one domain used at once. */
        if (hv_domain_unpause(d2, 0) || hv_domain_destroy(d, 0))
            return (void *)"destroy";
        hv_domain_free(d2);
        hv_domain_free(d);
    }
    return NULL;
}

static void test_threads(void **state)
{
    pthread_t t[8];

    (void)state;
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&t[i], NULL, worker,
                                        (void *)(intptr_t)i), 0);
    for (int i = 0; i < 8; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        if (ret)
            fail_msg("thread %d failed at %s: %s", i, (char *)ret,
                     hv_last_error());
    }
}

static int teardown(void **state)
{
    (void)state;
    /* Every test leaves nothing running. */
    return harness_nothing_left(&H);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_create_lookup_info, teardown),
        cmocka_unit_test_teardown(test_pause_unpause, teardown),
        cmocka_unit_test_teardown(test_console, teardown),
        cmocka_unit_test_teardown(test_shutdown_wait, teardown),
        cmocka_unit_test_teardown(test_shutdown_timeout_and_cancel, teardown),
        cmocka_unit_test_teardown(test_reboot, teardown),
        cmocka_unit_test_teardown(test_set_memory, teardown),
        cmocka_unit_test_teardown(test_duplicate_name, teardown),
        cmocka_unit_test_teardown(test_name_race, teardown),
        cmocka_unit_test_teardown(test_list_hung_hvcores, teardown),
        cmocka_unit_test_teardown(test_list_first_keeps_none, teardown),
        cmocka_unit_test_teardown(test_dead_hvcore_list, teardown),
        cmocka_unit_test_teardown(test_dead_hvcore_handle, teardown),
        cmocka_unit_test_teardown(test_get_config, teardown),
        cmocka_unit_test_teardown(test_get_config_plain_hvcore, teardown),
        cmocka_unit_test_teardown(test_events, teardown),
        cmocka_unit_test_teardown(test_events_short_lived, teardown),
        cmocka_unit_test_teardown(test_events_hung_hvcore, teardown),
        cmocka_unit_test_teardown(test_crash_preserve, teardown),
        cmocka_unit_test_teardown(test_spawn_failure, teardown),
        cmocka_unit_test_teardown(test_spawn_no_inherited_fds, teardown),
        cmocka_unit_test_teardown(test_unknown_domain, teardown),
        cmocka_unit_test_teardown(test_hello_powers_off, teardown),
        cmocka_unit_test_teardown(test_threads, teardown),
    };
    char why[256];
    int rc;

    if (!harness_can_run(why, sizeof(why))) {
        printf("SKIP: libhvctl API tests need real domains: %s\n", why);
        return 77;
    }
    if (harness_open(&H, "api") != 0) {
        printf("cannot open a runtime directory: %s\n", hv_last_error());
        return 1;
    }
    if (getenv("TEST_FILTER"))      /* e.g. TEST_FILTER=test_events */
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    rc = cmocka_run_group_tests_name("libctl api", tests, NULL, NULL);
    harness_close(&H);
    return rc;
}
