/*
 * test_agent_driver.c - libhvctl's agent driver against a real hvctld
 * (tests/cli/agent_harness: a test CA, a token, the agent on a private
 * database, runtime directory and Unix socket, and a TLS listener) with
 * real hvcore + pvboot domains.
 *
 * Every call of hvctl.h goes through unix://; a running transient domain
 * reads the same through the agent as through the direct driver; the
 * persistent calls (define, replace, undefine, start, autostart,
 * definition); shut-off domains; events across an agent restart; the
 * agent's error messages word for word; https:// with the test CA and a
 * token or a client certificate, a wrong CA; http:// on loopback; and a
 * program that only uses local connections never maps libcurl.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli_harness.h"
#include "agent_harness.h"
#include "api_assert.h"
#include "hvctl.h"

static struct agent A;

static hv_config *config(const char *name, unsigned max_mib)
{
    hv_config *c = NULL;

    OK(hv_config_load_file(cli_config(name, "counter", true, max_mib), &c));
    return c;
}

static hv_conn *open_uri(const char *uri)
{
    hv_conn *c = NULL;

    OK(hv_conn_open_uri(uri, 0, &c));
    assert_string_equal(hv_conn_get_driver(c), "agent");
    return c;
}

static hv_domain *create(hv_conn *c, const char *name)
{
    hv_config *cfg = config(name, 0);
    hv_domain *d = NULL;

    OK(hv_domain_create(c, cfg, 0, &d));
    hv_config_free(cfg);
    return d;
}

static int state_of(hv_domain *d)
{
    hv_domain_info *i = NULL;
    int s;

    OK(hv_domain_get_info(d, &i));
    s = hv_domain_info_get_state(i);
    hv_domain_info_free(i);
    return s;
}

/* ---- every call through unix:// ---- */

static void test_unix_calls(void **state)
{
    hv_conn *c = open_uri(A.unix_url);
    hv_domain *d, *by;
    hv_domain_info *info = NULL;
    hv_domlist *l = NULL;
    hv_config *cfg = NULL;
    uint64_t cur, max;
    uint32_t id;
    bool seen = false;
    char uuid[37];

    (void)state;
    assert_string_equal(hv_conn_get_uri(c), A.unix_url);
    /* The agent is on this host: its runtime directory, as it says. */
    assert_non_null(hv_conn_get_rundir(c));
    assert_string_equal(hv_conn_get_rundir(c), cli_env.rundir);
    d = create(c, "ag-t1");
    id = hv_domain_get_id(d);
    assert_true(id > 0 && id != HV_DOMID_NONE);
    snprintf(uuid, sizeof(uuid), "%s", hv_domain_get_uuid(d));
    assert_int_equal(strlen(uuid), 36);

    OK(hv_domain_lookup_by_name(c, "ag-t1", &by));
    assert_int_equal(hv_domain_get_id(by), id);
    hv_domain_free(by);
    OK(hv_domain_lookup_by_id(c, id, &by));
    assert_string_equal(hv_domain_get_name(by), "ag-t1");
    hv_domain_free(by);
    OK(hv_domain_lookup_by_uuid(c, uuid, &by));
    assert_string_equal(hv_domain_get_name(by), "ag-t1");
    hv_domain_free(by);

    OK(hv_domain_get_info(d, &info));
    assert_int_equal(hv_domain_info_get_state(info), HV_STATE_RUNNING);
    assert_int_equal(hv_domain_info_get_persistent(info), 0);
    assert_int_equal(hv_domain_info_get_id(info), id);
    assert_true(hv_domain_info_get_figures_known(info));
    assert_int_equal(hv_domain_info_get_mem_max_kib(info), 32 * 1024);
    hv_domain_info_free(info);

    OK(hv_domain_list(c, &l));
    for (size_t i = 0; i < hv_domlist_count(l); i++)
        if (!strcmp(hv_domain_info_get_name(hv_domlist_get(l, i)), "ag-t1"))
            seen = true;
    assert_true(seen);
    hv_domlist_free(l);
    OK(hv_domain_list_filtered(c, HV_LIST_TRANSIENT | HV_LIST_RUNNING,
                               "ag-t*", &l));
    assert_int_equal(hv_domlist_count(l), 1);
    hv_domlist_free(l);
    OK(hv_domain_list_filtered(c, HV_LIST_PAUSED, NULL, &l));
    assert_int_equal(hv_domlist_count(l), 0);
    hv_domlist_free(l);

    OK(hv_domain_get_config(d, &cfg));
    assert_string_equal(hv_config_get_name(cfg), "ag-t1");
    OK(hv_config_get_memory(cfg, &cur, &max));
    assert_int_equal(max, 32);
    hv_config_free(cfg);
    expect_err(hv_domain_get_definition(d, 0, &cfg), HV_ESTATE,
               "domain 'ag-t1' is transient: no definition is stored for it");

    OK(hv_domain_pause(d, 0));
    assert_int_equal(state_of(d), HV_STATE_PAUSED);
    expect_err(hv_domain_pause(d, 0), HV_ESTATE,
               "domain 'ag-t1' (id %u): already paused", id);
    OK(hv_domain_unpause(d, 0));
    assert_int_equal(state_of(d), HV_STATE_RUNNING);
    OK(hv_domain_set_memory(d, 16, 0));
    OK(hv_domain_get_info(d, &info));
    assert_int_equal(hv_domain_info_get_mem_target_kib(info), 16 * 1024);
    hv_domain_info_free(info);

    /* Shutdown waits through the agent's job. */
    OK(hv_domain_shutdown(d, 30000, 0, NULL));
    expect_err(hv_domain_lookup_by_name(c, "ag-t1", &by), HV_ENOENT,
               "domain 'ag-t1': no such domain");
    hv_domain_free(d);

    /* (A guest that is rebooting may miss a shutdown request: the
     * reboot is on this one, which is destroyed.) */
    d = create(c, "ag-t1");
    OK(hv_domain_reboot(d, 0));
    OK(hv_domain_destroy(d, 0));
    expect_err(hv_domain_lookup_by_uuid(c, hv_domain_get_uuid(d), &by),
               HV_ENOENT, "domain uuid '%s': no such domain",
               hv_domain_get_uuid(d));
    hv_domain_free(d);
    hv_conn_free(c);
}

/* ---- the same hv_domain_info as the direct driver ---- */

static void test_same_info_as_direct(void **state)
{
    hv_conn *c = open_uri(A.unix_url), *direct = NULL;
    hv_domain *d = create(c, "ag-same"), *dd = NULL;
    hv_domain_info *before = NULL, *ai = NULL, *after = NULL;

    (void)state;
    OK(hv_conn_open(cli_env.rundir, &direct));
    OK(hv_domain_lookup_by_name(direct, "ag-same", &dd));
    OK(hv_domain_get_info(dd, &before));
    OK(hv_domain_get_info(d, &ai));
    OK(hv_domain_get_info(dd, &after));

#define SAME(g) assert_int_equal(hv_domain_info_get_##g(ai), \
                                 hv_domain_info_get_##g(before))
#define BETWEEN(g) do {                                                      \
        assert_true(hv_domain_info_get_##g(before) <=                       \
                    hv_domain_info_get_##g(ai));                            \
        assert_true(hv_domain_info_get_##g(ai) <=                           \
                    hv_domain_info_get_##g(after));                         \
    } while (0)
    SAME(id);
    assert_string_equal(hv_domain_info_get_name(ai),
                        hv_domain_info_get_name(before));
    assert_string_equal(hv_domain_info_get_uuid(ai),
                        hv_domain_info_get_uuid(before));
    SAME(state);
    SAME(reason);
    SAME(vcpus_online);
    SAME(vcpus_max);
    SAME(mem_current_kib);
    SAME(mem_target_kib);
    SAME(mem_max_kib);
    SAME(boot_count);
    SAME(pid);
    SAME(figures_known);
    BETWEEN(cpu_time_ns);
    BETWEEN(uptime_ns);
    BETWEEN(exits);
    BETWEEN(events);
    /* What only the agent knows: a transient domain, no autostart. */
    assert_int_equal(hv_domain_info_get_persistent(before), -1);
    assert_int_equal(hv_domain_info_get_persistent(ai), 0);
    assert_int_equal(hv_domain_info_get_autostart(ai), 0);
#undef SAME
#undef BETWEEN
    hv_domain_info_free(before);
    hv_domain_info_free(ai);
    hv_domain_info_free(after);
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(dd);
    hv_domain_free(d);
    hv_conn_free(direct);
    hv_conn_free(c);
}

/* ---- long operations: progress, timeout, cancel ---- */

struct progress {
    int calls;
    char step[128];
    hv_op *cancel;              /* cancel this at the first report */
};

static void on_progress(const char *step, double fraction, void *opaque)
{
    struct progress *p = opaque;

    (void)fraction;
    p->calls++;
    snprintf(p->step, sizeof(p->step), "%s", step);
    if (p->cancel)
        hv_op_cancel(p->cancel);
}

static void test_shutdown_op(void **state)
{
    hv_conn *c = open_uri(A.unix_url);
    hv_domain *d = create(c, "ag-op");
    struct progress p = { 0 };
    hv_op *op = hv_op_new(on_progress, &p);
    uint32_t id = hv_domain_get_id(d);

    (void)state;
    /* A paused guest cannot power off: the agent's job times out after
     * the caller's milliseconds (not whole seconds), and its message
     * (which says why) is the direct driver's, word for word. */
    OK(hv_domain_pause(d, 0));
    expect_err(hv_domain_shutdown(d, 300, 0, op), HV_ETIMEDOUT,
               "domain 'ag-op' (id %u): still running after 300 ms: it is "
               "paused, so the guest cannot act on the request (unpause it, "
               "or use destroy)", id);
    assert_true(p.calls > 0);
    hv_op_free(op);
    {
        hv_conn *direct = NULL;
        hv_domain *dd = NULL;
        OK(hv_conn_open(cli_env.rundir, &direct));
        OK(hv_domain_lookup_by_name(direct, "ag-op", &dd));
        expect_err(hv_domain_shutdown(dd, 300, 0, NULL), HV_ETIMEDOUT,
                   "domain 'ag-op' (id %u): still running after 300 ms: it "
                   "is paused, so the guest cannot act on the request "
                   "(unpause it, or use destroy)", id);
        hv_domain_free(dd);
        hv_conn_free(direct);
    }

    /* Cancelled from its own progress report. */
    memset(&p, 0, sizeof(p));
    op = hv_op_new(on_progress, &p);
    p.cancel = op;
    assert_int_equal(hv_domain_shutdown(d, -1, 0, op), HV_ECANCELED);
    assert_true(p.calls > 0);
    assert_int_equal(state_of(d), HV_STATE_PAUSED);
    hv_op_free(op);

    /* The requests stood: once running, the guest powers off. */
    OK(hv_domain_unpause(d, 0));
    {
        double end = now_ms() + 30000;
        hv_domain *by = NULL;
        while (hv_domain_lookup_by_name(c, "ag-op", &by) == 0) {
            hv_domain_free(by);
            if (now_ms() > end)
                fail_msg("ag-op still there 30 s after its unpause");
            usleep(10000);
        }
        assert_int_equal(hv_last_error_code(), HV_ENOENT);
    }
    hv_domain_free(d);
    hv_conn_free(c);
}

/* ---- one connection, several threads ---- */

struct worker {
    hv_conn *c;
    const char *name;
    int failures;
    char why[256];
};

static void *work(void *opaque)
{
    struct worker *w = opaque;

    for (int i = 0; i < 50; i++) {
        hv_domain *d = NULL;
        hv_domain_info *info = NULL;
        hv_domlist *l = NULL;
        if (hv_domain_lookup_by_name(w->c, w->name, &d) ||
            hv_domain_get_info(d, &info) ||
            strcmp(hv_domain_info_get_name(info), w->name) ||
            hv_domain_list(w->c, &l)) {
            w->failures++;
            snprintf(w->why, sizeof(w->why), "%s", hv_last_error());
        }
        hv_domlist_free(l);
        hv_domain_info_free(info);
        hv_domain_free(d);
    }
    return NULL;
}

static void test_threads(void **state)
{
    hv_conn *c = open_uri(A.unix_url);
    hv_domain *d = create(c, "ag-thr");
    struct worker w[4];
    pthread_t t[4];

    (void)state;
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){ .c = c, .name = "ag-thr" };
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        if (w[i].failures)
            fail_msg("thread %d: %d failures: %s", i, w[i].failures,
                     w[i].why);
    }
    OK(hv_domain_destroy(d, 0));
    hv_domain_free(d);
    hv_conn_free(c);
}

/* ---- definitions ---- */

static void test_define_start_undefine(void **state)
{
    hv_conn *c = open_uri(A.unix_url);
    hv_config *cfg = config("ag-p1", 0), *def = NULL;
    hv_domain *d = NULL, *by = NULL;
    hv_domain_info *info = NULL;
    hv_domlist *l = NULL;
    uint64_t cur, max;
    int autostart = -1;

    (void)state;
    OK(hv_domain_define(c, cfg, 0, &d));
    assert_int_equal(hv_domain_get_id(d), HV_DOMID_NONE);
    assert_string_equal(hv_domain_get_uuid(d), hv_config_get_uuid(cfg));

    /* A shut-off domain: found, with its definition's figures. */
    OK(hv_domain_lookup_by_name(c, "ag-p1", &by));
    assert_int_equal(hv_domain_get_id(by), HV_DOMID_NONE);
    OK(hv_domain_get_info(by, &info));
    assert_int_equal(hv_domain_info_get_state(info), HV_STATE_SHUTOFF);
    assert_int_equal(hv_domain_info_get_id(info), HV_DOMID_NONE);
    assert_int_equal(hv_domain_info_get_persistent(info), 1);
    assert_int_equal(hv_domain_info_get_mem_max_kib(info), 32 * 1024);
    assert_int_equal(hv_domain_info_get_vcpus_max(info), 1);
    hv_domain_info_free(info);
    hv_domain_free(by);
    OK(hv_domain_lookup_by_uuid(c, hv_config_get_uuid(cfg), &by));
    assert_string_equal(hv_domain_get_name(by), "ag-p1");
    hv_domain_free(by);
    OK(hv_domain_list_filtered(c, HV_LIST_SHUTOFF | HV_LIST_PERSISTENT,
                               "ag-p1", &l));
    assert_int_equal(hv_domlist_count(l), 1);
    assert_int_equal(hv_domain_info_get_state(hv_domlist_get(l, 0)),
                     HV_STATE_SHUTOFF);
    hv_domlist_free(l);
    OK(hv_domain_list(c, &l));       /* active only */
    for (size_t i = 0; i < hv_domlist_count(l); i++)
        assert_string_not_equal(hv_domain_info_get_name(hv_domlist_get(l, i)),
                                "ag-p1");
    hv_domlist_free(l);

    /* Replace: same uuid, more memory. */
    OK(hv_config_set_memory(cfg, 48, 48));
    OK(hv_domain_define(c, cfg, 0, NULL));
    OK(hv_domain_get_definition(d, 0, &def));
    OK(hv_config_get_memory(def, &cur, &max));
    assert_int_equal(max, 48);
    assert_string_equal(hv_config_get_uuid(def), hv_config_get_uuid(cfg));
    hv_config_free(def);

    OK(hv_domain_get_autostart(d, &autostart));
    assert_int_equal(autostart, 0);
    OK(hv_domain_set_autostart(d, 1, 0));
    OK(hv_domain_get_autostart(d, &autostart));
    assert_int_equal(autostart, 1);
    OK(hv_domain_set_autostart(d, 0, 0));

    OK(hv_domain_start(d, 0));
    assert_int_not_equal(hv_domain_get_id(d), HV_DOMID_NONE);
    OK(hv_domain_get_info(d, &info));
    assert_int_equal(hv_domain_info_get_state(info), HV_STATE_RUNNING);
    assert_int_equal(hv_domain_info_get_mem_max_kib(info), 48 * 1024);
    assert_int_equal(hv_domain_info_get_persistent(info), 1);
    hv_domain_info_free(info);
    OK(hv_domain_destroy(d, 0));
    assert_int_equal(state_of(d), HV_STATE_SHUTOFF);

    OK(hv_domain_undefine(d, 0));
    expect_err(hv_domain_lookup_by_name(c, "ag-p1", &by), HV_ENOENT,
               "domain 'ag-p1': no such domain");
    hv_domain_free(d);
    hv_config_free(cfg);
    hv_conn_free(c);
}

/* ---- events, and an agent restart ---- */

/* The next event of `type` for `name`, within 30 s. */
static hv_event *wait_event(hv_events *ev, int type, const char *name)
{
    double end = now_ms() + 30000;

    while (now_ms() < end) {
        struct pollfd pf = { .fd = hv_events_get_fd(ev), .events = POLLIN };
        hv_event *e = NULL;
        int rc;

        poll(&pf, 1, 200);
        while ((rc = hv_event_next(ev, &e)) == 0) {
            if (hv_event_get_type(e) == type &&
                !strcmp(hv_event_get_name(e), name))
                return e;
            hv_event_free(e);
        }
        assert_int_equal(rc, HV_EAGAIN);
    }
    fail_msg("no %s event for %s within 30 s", hv_event_type_name(type), name);
    return NULL;
}

static void define_one(const char *name)
{
    hv_conn *c = open_uri(A.unix_url);
    hv_config *cfg = config(name, 0);

    OK(hv_domain_define(c, cfg, 0, NULL));
    hv_config_free(cfg);
    hv_conn_free(c);
}

static void undefine_one(hv_conn *c, const char *name)
{
    hv_domain *d = NULL;

    OK(hv_domain_lookup_by_name(c, name, &d));
    OK(hv_domain_undefine(d, 0));
    hv_domain_free(d);
}

static void test_events_across_restart(void **state)
{
    hv_conn *c = open_uri(A.unix_url);
    hv_events *ev = NULL;
    hv_event *e;
    hv_domain *d;
    hv_event *nothing = NULL;

    (void)state;
    OK(hv_events_open(c, &ev));
    assert_true(hv_events_get_fd(ev) >= 0);
    assert_int_equal(hv_event_next(ev, &nothing), HV_EAGAIN);
    assert_null(nothing);

    d = create(c, "ag-ev");
    e = wait_event(ev, HV_EVENT_STARTED, "ag-ev");
    assert_int_equal(hv_event_get_domid(e), hv_domain_get_id(d));
    assert_string_equal(hv_event_get_uuid(e), hv_domain_get_uuid(d));
    assert_int_equal(hv_event_get_cause(e), HV_CAUSE_API);
    assert_true(hv_event_get_time_ns(e) > 1700000000ull * 1000000000ull);
    hv_event_free(e);
    OK(hv_domain_pause(d, 0));
    e = wait_event(ev, HV_EVENT_PAUSED, "ag-ev");
    hv_event_free(e);
    OK(hv_domain_destroy(d, 0));
    e = wait_event(ev, HV_EVENT_DESTROYED, "ag-ev");
    assert_int_equal(hv_event_get_cause(e), HV_CAUSE_API);
    assert_int_equal(hv_event_get_reason(e), HV_REASON_REQUESTED);
    hv_event_free(e);
    hv_domain_free(d);

    /*
     * The agent restarts, and a domain is defined before this source has
     * looked again (it reconnects only from hv_event_next): the event
     * comes through the replay that Last-Event-ID asks for.
     */
    agent_stop(&A);
    agent_start(&A);
    define_one("ag-ev2");
    e = wait_event(ev, HV_EVENT_DEFINED, "ag-ev2");
    assert_int_equal(hv_event_get_domid(e), HV_DOMID_NONE);
    hv_event_free(e);
    /* And the stream is live again. */
    undefine_one(c, "ag-ev2");
    e = wait_event(ev, HV_EVENT_UNDEFINED, "ag-ev2");
    hv_event_free(e);
    hv_events_free(ev);
    hv_conn_free(c);
}

/* ---- a handle means its domain, not its name ---- */

/*
 * A transient domain ends and another takes its name: the old handle
 * fails with HV_ENOENT, naming both uuids, for every call, and the new
 * domain is left alone (it acted on the new one before).  A defined
 * domain keeps its uuid: a handle to it outlives its restarts.
 */
static void test_handle_means_its_domain(void **state)
{
    hv_conn *c = open_uri(A.unix_url);
    hv_domain *old = create(c, "ag-web"), *cur, *def = NULL, *by = NULL;
    hv_domain_info *info = NULL;
    hv_config *cfg = NULL;
    char was[37], now[37], msg[300];
    int fd = -1;

    (void)state;
    snprintf(was, sizeof(was), "%s", hv_domain_get_uuid(old));
    OK(hv_domain_destroy(old, 0));
    cur = create(c, "ag-web");
    snprintf(now, sizeof(now), "%s", hv_domain_get_uuid(cur));
    assert_string_not_equal(was, now);
    snprintf(msg, sizeof(msg), "domain 'ag-web' (uuid %s): no such domain; "
             "a domain of that name now has uuid %s", was, now);
    expect_err(hv_domain_pause(old, 0), HV_ENOENT, "%s", msg);
    expect_err(hv_domain_destroy(old, 0), HV_ENOENT, "%s", msg);
    expect_err(hv_domain_reboot(old, 0), HV_ENOENT, "%s", msg);
    expect_err(hv_domain_set_memory(old, 16, 0), HV_ENOENT, "%s", msg);
    expect_err(hv_domain_shutdown(old, 0, 0, NULL), HV_ENOENT, "%s", msg);
    expect_err(hv_domain_get_info(old, &info), HV_ENOENT, "%s", msg);
    expect_err(hv_domain_get_config(old, &cfg), HV_ENOENT, "%s", msg);
    expect_err(hv_domain_console_open(old, &fd), HV_ENOENT, "%s", msg);
    assert_null(info);
    assert_null(cfg);
    assert_int_equal(fd, -1);
    assert_int_equal(state_of(cur), HV_STATE_RUNNING);
    OK(hv_domain_destroy(cur, 0));
    expect_err(hv_domain_pause(old, 0), HV_ENOENT,
               "domain 'ag-web' (uuid %s): no such domain", was);
    hv_domain_free(cur);
    hv_domain_free(old);

    /* Defined: started through another handle, still the same domain. */
    cfg = config("ag-def", 0);
    OK(hv_domain_define(c, cfg, 0, &def));
    OK(hv_domain_lookup_by_name(c, "ag-def", &by));
    OK(hv_domain_start(by, 0));
    OK(hv_domain_pause(def, 0));
    assert_int_equal(state_of(by), HV_STATE_PAUSED);
    OK(hv_domain_destroy(def, 0));
    OK(hv_domain_start(by, 0));
    OK(hv_domain_destroy(def, 0));
    OK(hv_domain_undefine(def, 0));
    hv_domain_free(by);
    hv_domain_free(def);
    hv_config_free(cfg);
    hv_conn_free(c);
}

/*
 * A guest that powers off at once: create still returns its handle (the
 * start job's result), as the direct driver does, though the domain is
 * gone by the time the caller has it.
 */
static void test_create_powers_off_at_once(void **state)
{
    hv_conn *c = open_uri(A.unix_url);
    hv_config *cfg = NULL;
    hv_domain *d = NULL, *by = NULL;
    hv_domain_info *info = NULL;
    double end = now_ms() + 30000;

    (void)state;
    OK(hv_config_load_file(cli_config("ag-hello", "hello", true, 0), &cfg));
    OK(hv_domain_create(c, cfg, 0, &d));
    assert_string_equal(hv_domain_get_name(d), "ag-hello");
    assert_string_equal(hv_domain_get_uuid(d), hv_config_get_uuid(cfg));
    assert_true(hv_domain_get_id(d) > 0 &&
                hv_domain_get_id(d) != HV_DOMID_NONE);
    while (hv_domain_lookup_by_name(c, "ag-hello", &by) == 0) {
        hv_domain_free(by);
        by = NULL;
        if (now_ms() > end)
            fail_msg("ag-hello still there 30 s after its start");
        usleep(10000);
    }
    expect_err(hv_domain_get_info(d, &info), HV_ENOENT,
               "domain 'ag-hello' (uuid %s): no such domain",
               hv_config_get_uuid(cfg));
    hv_domain_free(d);
    hv_config_free(cfg);
    hv_conn_free(c);
}

/* ---- errors ---- */

static void test_errors(void **state)
{
    hv_conn *c = open_uri(A.unix_url), *bad = NULL;
    hv_config *cfg = config("ag-err", 0), *other = config("ag-err", 0);
    hv_domain *d = NULL, *by = NULL, *t = NULL;
    int fd = -1;

    (void)state;
    expect_err(hv_conn_open_uri("unix:///nonexistent/hvctld.sock", 0, &bad),
               HV_EIO, "connection 'unix:///nonexistent/hvctld.sock': "
               "cannot connect: No such file or directory");
    assert_null(bad);
    expect_err(hv_domain_lookup_by_name(c, "ag-nosuch", &by), HV_ENOENT,
               "domain 'ag-nosuch': no such domain");
    expect_err(hv_domain_lookup_by_id(c, 4000, &by), HV_ENOENT,
               "domain 4000: no such domain");
    expect_err(hv_domain_lookup_by_uuid(c,
               "00000000-0000-4000-8000-0000000000aa", &by), HV_ENOENT,
               "domain uuid '00000000-0000-4000-8000-0000000000aa': no such "
               "domain");

    OK(hv_domain_define(c, cfg, 0, &d));
    /* The same name under another uuid. */
    expect_err(hv_domain_define(c, other, 0, NULL), HV_EEXIST,
               "domain 'ag-err' is already defined with uuid %s, not %s",
               hv_config_get_uuid(cfg), hv_config_get_uuid(other));
    expect_err(hv_domain_pause(d, 0), HV_ESTATE,
               "cannot pause domain 'ag-err': it is not running");
    OK(hv_domain_undefine(d, 0));
    expect_err(hv_domain_undefine(d, 0), HV_ENOENT,
               "domain 'ag-err' (uuid %s): no such domain",
               hv_config_get_uuid(cfg));
    hv_domain_free(d);

    /* A transient domain cannot be undefined. */
    t = create(c, "ag-err");
    expect_err(hv_domain_undefine(t, 0), HV_ESTATE,
               "domain 'ag-err' is transient: there is no definition to "
               "remove");
    /* The console goes straight to hvcore on this host. */
    OK(hv_domain_console_open(t, &fd));
    assert_true(fd >= 0);
    close(fd);
    OK(hv_domain_destroy(t, 0));
    hv_domain_free(t);
    hv_config_free(cfg);
    hv_config_free(other);
    hv_conn_free(c);
}

/* ---- hvctl:///system ---- */

static void test_system_uri(void **state)
{
    char uri[700];
    hv_conn *c;
    hv_domlist *l = NULL;

    (void)state;
    snprintf(uri, sizeof(uri), "hvctl:///system?rundir=%s", cli_env.rundir);
    c = open_uri(uri);
    OK(hv_domain_list(c, &l));
    hv_domlist_free(l);
    hv_conn_free(c);
}

/* ---- TCP: https with the test CA, http on loopback ---- */

static void https_uri(char *out, size_t len, const char *ca,
                      const char *cred)
{
    snprintf(out, len, "https://127.0.0.1:%d?cacert=%s%s", A.port, ca, cred);
}

static void test_https(void **state)
{
    char uri[2048], cred[1200], canon[64];
    hv_conn *c = NULL;
    hv_domain *d, *by = NULL;
    hv_domlist *l = NULL;
    hv_events *ev = NULL;
    hv_event *e;
    int fd = -1;

    (void)state;
    snprintf(canon, sizeof(canon), "https://127.0.0.1:%d", A.port);
    /* A token. */
    snprintf(cred, sizeof(cred), "&token=%s", A.token);
    https_uri(uri, sizeof(uri), A.ca, cred);
    c = open_uri(uri);
    assert_string_equal(hv_conn_get_uri(c), canon);
    assert_null(hv_conn_get_rundir(c));
    OK(hv_events_open(c, &ev));
    d = create(c, "ag-tls");
    e = wait_event(ev, HV_EVENT_STARTED, "ag-tls");
    assert_int_equal(hv_event_get_domid(e), hv_domain_get_id(d));
    hv_event_free(e);
    OK(hv_domain_list(c, &l));
    assert_true(hv_domlist_count(l) >= 1);
    hv_domlist_free(l);
    expect_err(hv_domain_console_open(d, &fd), HV_ENOTSUP,
               "domain 'ag-tls' (id %u): console: not possible through %s: "
               "the console needs a connection on the domain's host "
               "(hvctl:///system, or unix:///PATH/hvctld.sock)",
               hv_domain_get_id(d), canon);
    OK(hv_domain_pause(d, 0));
    assert_int_equal(state_of(d), HV_STATE_PAUSED);
    OK(hv_domain_destroy(d, 0));
    e = wait_event(ev, HV_EVENT_DESTROYED, "ag-tls");
    hv_event_free(e);
    /* Over TLS too, the source outlives an agent restart, replay and all. */
    agent_stop(&A);
    agent_start(&A);
    define_one("ag-tls2");
    e = wait_event(ev, HV_EVENT_DEFINED, "ag-tls2");
    hv_event_free(e);
    undefine_one(c, "ag-tls2");
    e = wait_event(ev, HV_EVENT_UNDEFINED, "ag-tls2");
    hv_event_free(e);
    hv_events_free(ev);
    hv_domain_free(d);
    hv_conn_free(c);

    /* A client certificate instead. */
    snprintf(cred, sizeof(cred), "&cert=%s&key=%s", A.cli_cert, A.cli_key);
    https_uri(uri, sizeof(uri), A.ca, cred);
    c = open_uri(uri);
    expect_err(hv_domain_lookup_by_name(c, "ag-tls", &by), HV_ENOENT,
               "domain 'ag-tls': no such domain");
    hv_conn_free(c);
    c = NULL;

    /* Neither: the agent says no, and the message says where. */
    https_uri(uri, sizeof(uri), A.ca, "");
    assert_int_equal(hv_conn_open_uri(uri, 0, &c), HV_EPERM);
    assert_null(c);
    assert_non_null(strstr(hv_last_error(), canon));
    assert_null(strchr(hv_last_error(), '\n'));

    /* A CA that did not sign the agent's certificate: one clear line. */
    snprintf(cred, sizeof(cred), "&token=%s", A.token);
    https_uri(uri, sizeof(uri), A.other_ca, cred);
    assert_int_equal(hv_conn_open_uri(uri, 0, &c), HV_EIO);
    assert_null(c);
    {
        char want[128];
        snprintf(want, sizeof(want), "connection '%s': cannot connect: ",
                 canon);
        if (strncmp(hv_last_error(), want, strlen(want)) != 0)
            fail_msg("got: %s", hv_last_error());
    }
    assert_null(strchr(hv_last_error(), '\n'));
}

/* A token for the plain agent's database (hvctld token create). */
static void plain_token(char *out, size_t len)
{
    char cmd[2048];
    FILE *p;

    snprintf(cmd, sizeof(cmd), "'%s' token create plain --db '%s/plain.db' "
             "2>/dev/null", A.hvctld, cli_env.dir);
    p = popen(cmd, "r");
    if (!p || !fgets(out, (int)len, p) || pclose(p) != 0)
        fail_msg("hvctld token create failed");
    out[strcspn(out, "\r\n")] = '\0';
}

static void test_http_loopback(void **state)
{
    struct agent plain = { .pid = -1 };
    char uri[512], canon[64], token[256];
    hv_conn *c = NULL;
    hv_domain *d;
    hv_config *cfg = config("ag-plain", 0);
    int port;

    (void)state;
    plain.pid = agent_start_plain(&port);
    snprintf(canon, sizeof(canon), "http://127.0.0.1:%d", port);
    expect_err(hv_conn_open_uri(canon, 0, &c), HV_EPERM,
               "connection '%s': authentication required: a client "
               "certificate or 'Authorization: Bearer <token>'", canon);
    assert_null(c);
    plain_token(token, sizeof(token));
    snprintf(uri, sizeof(uri), "%s?token=%s", canon, token);
    c = open_uri(uri);
    assert_string_equal(hv_conn_get_uri(c), canon);
    OK(hv_domain_define(c, cfg, 0, &d));
    assert_int_equal(state_of(d), HV_STATE_SHUTOFF);
    OK(hv_domain_undefine(d, 0));
    hv_domain_free(d);
    hv_config_free(cfg);
    hv_conn_free(c);
    agent_stop(&plain);
}

/* ---- no libcurl for local users (in a child of its own) ---- */

static bool maps_libcurl(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[1024];
    bool found = false;

    while (f && fgets(line, sizeof(line), f))
        if (strstr(line, "libcurl"))
            found = true;
    if (f)
        fclose(f);
    return found;
}

/* The child: exit 0 when all held, else 1 with why on stderr. */
static int local_only_child(const char *uri, const char *https)
{
    hv_conn *c = NULL;
    hv_domlist *l = NULL;
    char want[1024], dir[600];

    if (maps_libcurl() || hv_conn_open_uri(uri, 0, &c) ||
        hv_domain_list(c, &l) || maps_libcurl()) {
        fprintf(stderr, "libcurl mapped, or %s\n", hv_last_error());
        return 1;
    }
    hv_domlist_free(l);
    hv_conn_free(c);
    /* The module, and so libcurl, comes with the first remote URI; here
     * from a directory that does not have it. */
    setenv("HVCTL_DRIVER_DIR", "/nonexistent", 1);
    snprintf(want, sizeof(want), "connection '%s': cannot load the HTTP "
             "driver module: /nonexistent/libhvctl-http.so: cannot open "
             "shared object file: No such file or directory", https);
    if (hv_conn_open_uri(https, 0, &c) != HV_ENOTSUP ||
        strcmp(hv_last_error(), want)) {
        fprintf(stderr, "want: %s\ngot:  %s\n", want, hv_last_error());
        return 1;
    }
    /* A module from another build is refused, not called. */
    snprintf(dir, sizeof(dir), "%s/tests/libctl/stale/.libs",
             getenv("HV_BUILDDIR"));
    setenv("HVCTL_DRIVER_DIR", dir, 1);
    snprintf(want, sizeof(want), "connection '%s': %s/libhvctl-http.so is "
             "version 42 of the HTTP driver module, this libhvctl needs "
             "version 1 (install both from the same build)", https, dir);
    if (hv_conn_open_uri(https, 0, &c) != HV_ENOTSUP ||
        strcmp(hv_last_error(), want)) {
        fprintf(stderr, "want: %s\ngot:  %s\n", want, hv_last_error());
        return 1;
    }
    return maps_libcurl() ? 1 : 0;
}

static void test_local_does_not_map_libcurl(void **state)
{
    char port[16], https[64], token[2048];
    int status;
    pid_t pid;
    hv_conn *c;

    (void)state;
    snprintf(port, sizeof(port), "%d", A.port);
    snprintf(https, sizeof(https), "https://127.0.0.1:%d", A.port);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/proc/self/exe", "test_agent_driver", "--local-only",
              A.unix_url, https, (char *)NULL);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    /* And the check can see it: a remote connection maps it here. */
    snprintf(token, sizeof(token), "%s?cacert=%s&token=%s", https, A.ca,
             A.token);
    c = open_uri(token);
    assert_true(maps_libcurl());
    hv_conn_free(c);
}

static int setup(void **state)
{
    (void)state;
    agent_prepare(&A);
    agent_start(&A);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    agent_stop(&A);
    return 0;
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_does_not_map_libcurl),
        cmocka_unit_test(test_unix_calls),
        cmocka_unit_test(test_same_info_as_direct),
        cmocka_unit_test(test_shutdown_op),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_define_start_undefine),
        cmocka_unit_test(test_handle_means_its_domain),
        cmocka_unit_test(test_create_powers_off_at_once),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_system_uri),
        cmocka_unit_test(test_events_across_restart),
        cmocka_unit_test(test_https),
        cmocka_unit_test(test_http_loopback),
    };
    int rc;

    if (argc == 4 && !strcmp(argv[1], "--local-only"))
        return local_only_child(argv[2], argv[3]);
    if (!agent_domains_can_run())
        return 77;
    cli_env_open("agent-driver");
    rc = cmocka_run_group_tests(tests, setup, teardown);
    cli_env_close();
    return rc;
}
