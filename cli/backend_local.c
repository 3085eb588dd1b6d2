/*
 * backend_local.c - the host hvctl runs on, through libhvctl.
 *
 * libhvctl knows running domains only; what needs persistence (define,
 * undefine, start, autostart, the defined half of list --all, and the
 * configuration of a domain) is asked of the local hvctld over its Unix
 * socket in the runtime directory, through the remote backend.  Running
 * domains never depend on the agent being up.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "console_end.h"
#include "hvctl.h"
#include "progress.h"

#ifndef HVCORE_INSTALL_PATH
#define HVCORE_INSTALL_PATH "/usr/local/bin/hvcore"
#endif

struct local {
    struct backend be;
    hv_conn *conn;
    struct backend *agent;      /* opened on first need */
    char agent_url[4200];
    struct console_end *con_end;    /* the domain whose console is open */
};

static struct local *L(struct backend *be)
{
    return (struct local *)be;
}

/* libhvctl's last error, which already names the domain and the cause. */
static int lib_fail(struct cli *cli)
{
    return cli_fail(cli, "%s", hv_last_error()[0] ? hv_last_error()
                                                   : "unknown failure");
}

/* The local hvctld, for what needs persistence; NULL if unusable. */
static struct backend *agent(struct backend *be, struct cli *cli)
{
    struct local *l = L(be);

    if (!l->agent)
        l->agent = backend_remote_open(cli, l->agent_url);
    return l->agent;
}

/* Return the local agent's answer to op(args...). */
#define VIA_AGENT(be, cli, op, ...)                                          \
    do {                                                                     \
        struct backend *ag_ = agent(be, cli);                                \
        return ag_ ? ag_->ops->op(ag_, cli, __VA_ARGS__) : EXIT_FAIL;        \
    } while (0)

/*
 * A handle for ref: a domid (all digits), a uuid, or a name.  A name may
 * itself be all digits or uuid-shaped, so those fall back to the name.
 */
static int resolve(struct backend *be, struct cli *cli, const char *ref,
                   hv_domain **out)
{
    hv_conn *conn = L(be)->conn;
    char first[512];
    uint32_t id;
    int rc;

    if (looks_like_domid(ref, &id))
        rc = hv_domain_lookup_by_id(conn, id, out);
    else if (looks_like_uuid(ref))
        rc = hv_domain_lookup_by_uuid(conn, ref, out);
    else
        return hv_domain_lookup_by_name(conn, ref, out) ? lib_fail(cli) : 0;
    if (rc != HV_ENOENT)
        return rc ? lib_fail(cli) : 0;
    snprintf(first, sizeof(first), "%s", hv_last_error());
    if (hv_domain_lookup_by_name(conn, ref, out) == 0)
        return 0;
    if (hv_last_error_code() != HV_ENOENT)
        return lib_fail(cli);
    return cli_fail(cli, "%s", first);
}

static void row_from_info(struct dom_row *r, const hv_domain_info *info)
{
    r->id = (long)hv_domain_info_get_id(info);
    snprintf(r->name, sizeof(r->name), "%s", hv_domain_info_get_name(info));
    snprintf(r->uuid, sizeof(r->uuid), "%s", hv_domain_info_get_uuid(info));
    snprintf(r->state, sizeof(r->state), "%s",
             hv_state_name(hv_domain_info_get_state(info)));
    /* A dead hvcore's figures are unknown, not 0 (hvctl(1) shows "-"). */
    r->have_size = r->live = hv_domain_info_get_figures_known(info) == 1;
    r->vcpus = hv_domain_info_get_vcpus_online(info);
    r->vcpus_max = hv_domain_info_get_vcpus_max(info);
    r->mem_kib = hv_domain_info_get_mem_current_kib(info);
    r->mem_target_kib = hv_domain_info_get_mem_target_kib(info);
    r->mem_max_kib = hv_domain_info_get_mem_max_kib(info);
    r->cpu_time_ns = hv_domain_info_get_cpu_time_ns(info);
    r->uptime_ns = hv_domain_info_get_uptime_ns(info);
    r->boot_count = hv_domain_info_get_boot_count(info);
    r->pid = hv_domain_info_get_pid(info);
    r->persistent = r->autostart = -1;
}

/*
 * Whether running row r is the agent's domain a: the same name and,
 * where both are known, the same uuid.  A domain run under a defined
 * name with another uuid is another domain, and is never shown as the
 * definition (its uuid with the other one's figures).
 */
static bool same_domain(const struct dom_row *r, const struct dom_row *a)
{
    return strcmp(r->name, a->name) == 0 &&
           (!r->uuid[0] || !a->uuid[0] || strcasecmp(r->uuid, a->uuid) == 0);
}

/* Merge what the agent knows into the running domains libhvctl listed. */
static int merge_defined(struct dom_list *out, const struct dom_list *def)
{
    for (size_t i = 0; i < def->n; i++) {
        const struct dom_row *d = &def->rows[i];
        struct dom_row *r = NULL;

        for (size_t j = 0; j < out->n && !r; j++)
            if (same_domain(&out->rows[j], d))
                r = &out->rows[j];
        if (r) {
            r->persistent = d->persistent;
            r->autostart = d->autostart;
            continue;
        }
        /* Not running here: the agent's word on it is all there is. */
        if (!(r = dom_list_add(out)))
            return -1;
        *r = *d;
    }
    return 0;
}

static int local_list(struct backend *be, struct cli *cli, bool all,
                      struct dom_list *out)
{
    struct dom_list def = { 0 };
    struct backend *ag;
    hv_domlist *list;
    int rc;

    if (hv_domain_list(L(be)->conn, &list))
        return lib_fail(cli);
    for (size_t i = 0; i < hv_domlist_count(list); i++) {
        struct dom_row *r = dom_list_add(out);
        if (!r) {
            hv_domlist_free(list);
            return cli_fail(cli, "out of memory");
        }
        row_from_info(r, hv_domlist_get(list, i));
    }
    hv_domlist_free(list);
    if (!all)
        return EXIT_OK;
    if (!(ag = agent(be, cli)))
        return EXIT_FAIL;
    rc = ag->ops->list(ag, cli, true, &def);
    if (rc == EXIT_OK && merge_defined(out, &def) < 0)
        rc = cli_fail(cli, "out of memory");
    dom_list_free(&def);
    return rc;
}

/*
 * Whether the domain is defined and autostarted is the agent's to say:
 * asked when the agent runs, quietly (its absence is no failure here).
 */
static void agent_flags(struct backend *be, struct cli *cli,
                        struct dom_row *r)
{
    struct dom_row a;
    struct backend *ag;

    if (access(L(be)->agent_url + strlen("unix://"), F_OK) != 0)
        return;
    cli->quiet = true;
    if ((ag = agent(be, cli)) && ag->ops->info(ag, cli, r->name, &a) == 0 &&
        same_domain(r, &a)) {
        r->persistent = a.persistent;
        r->autostart = a.autostart;
    }
    cli->quiet = false;
}

static int local_info(struct backend *be, struct cli *cli, const char *ref,
                      struct dom_row *out)
{
    hv_domain_info *info;
    hv_domain *dom;
    int rc;

    if ((rc = resolve(be, cli, ref, &dom)))
        return rc;
    rc = hv_domain_get_info(dom, &info) ? lib_fail(cli) : EXIT_OK;
    hv_domain_free(dom);
    if (rc)
        return rc;
    row_from_info(out, info);
    hv_domain_info_free(info);
    agent_flags(be, cli, out);
    return EXIT_OK;
}

/*
 * A name is one domain.  The local hvctld may hold a definition under
 * cfg's name (shut off, so libhvctl cannot see it); running cfg anyway
 * would give that name two uuids, and the agent would show the
 * definition's with the other domain's figures.  The same uuid is the
 * same domain, run once without its definition: that stays allowed.
 * Without an agent there is no definition to clash with.
 */
static int refuse_defined_name(struct backend *be, struct cli *cli,
                               const hv_config *cfg)
{
    const char *name = hv_config_get_name(cfg), *uuid = hv_config_get_uuid(cfg);
    struct dom_row d = { 0 };
    struct backend *ag;
    int rc;

    if (access(L(be)->agent_url + strlen("unix://"), F_OK) != 0)
        return EXIT_OK;
    cli->quiet = true;
    rc = (ag = agent(be, cli)) ? ag->ops->info(ag, cli, name, &d) : EXIT_FAIL;
    cli->quiet = false;
    if (rc != EXIT_OK || d.persistent != 1 || !d.uuid[0] ||
        strcasecmp(d.uuid, uuid) == 0)
        return EXIT_OK;
    return cli_fail(cli, "domain '%s': the name belongs to a defined domain "
                    "with another uuid (%s): start that one with `hvctl "
                    "start %s`, or give this configuration another name",
                    name, d.uuid, name);
}

static int local_create(struct backend *be, struct cli *cli, const char *path,
                        struct dom_row *out)
{
    hv_domain_info *info;
    hv_config *cfg;
    hv_domain *dom;
    int rc;

    if (hv_config_load_file(path, &cfg))
        return lib_fail(cli);
    if ((rc = refuse_defined_name(be, cli, cfg))) {
        hv_config_free(cfg);
        return rc;
    }
    rc = hv_domain_create(L(be)->conn, cfg, 0, &dom) ? lib_fail(cli)
                                                      : EXIT_OK;
    hv_config_free(cfg);
    if (rc)
        return rc;
    if (hv_domain_get_info(dom, &info) == 0) {
        row_from_info(out, info);
        hv_domain_info_free(info);
    } else {
        /* It ran, and has already ended (a guest that powers off at
         * once): created all the same. */
        memset(out, 0, sizeof(*out));
        out->id = (long)hv_domain_get_id(dom);
        str_copy(out->name, sizeof(out->name), hv_domain_get_name(dom));
        str_copy(out->uuid, sizeof(out->uuid), hv_domain_get_uuid(dom));
        str_copy(out->state, sizeof(out->state), "shutdown");
        out->autostart = -1;
    }
    /* Nothing was defined: a transient domain. */
    out->persistent = 0;
    hv_domain_free(dom);
    return EXIT_OK;
}

static int local_action(struct backend *be, struct cli *cli, const char *ref,
                        enum dom_action act)
{
    hv_domain *dom;
    int rc;

    if (act == ACT_START)
        VIA_AGENT(be, cli, action, ref, act);
    if ((rc = resolve(be, cli, ref, &dom)))
        return rc;
    switch (act) {
    case ACT_PAUSE:   rc = hv_domain_pause(dom, 0); break;
    case ACT_UNPAUSE: rc = hv_domain_unpause(dom, 0); break;
    case ACT_REBOOT:  rc = hv_domain_reboot(dom, 0); break;
    case ACT_DESTROY: rc = hv_domain_destroy(dom, 0); break;
    default:          rc = HV_EINVAL; break;
    }
    rc = rc ? lib_fail(cli) : EXIT_OK;
    hv_domain_free(dom);
    return rc;
}

/* SIGINT during a wait cancels it (hv_op_cancel is async-signal-safe). */
static hv_op *volatile waiting_op;

static void cancel_wait(int sig)
{
    (void)sig;
    if (waiting_op)
        hv_op_cancel(waiting_op);
}

static void on_progress(const char *step, double fraction, void *opaque)
{
    progress_show(opaque, step, fraction);
}

static int local_shutdown(struct backend *be, struct cli *cli, const char *ref,
                          int timeout_ms)
{
    struct sigaction sa, old_int, old_term;
    struct progress *pg = NULL;
    hv_domain *dom;
    hv_op *op = NULL;
    int rc;

    if ((rc = resolve(be, cli, ref, &dom)))
        return rc;
    if (timeout_ms != 0) {
        pg = progress_new(cli, cli->what);
        op = hv_op_new(on_progress, pg);
        if (!op) {
            rc = lib_fail(cli);
            goto out;
        }
        waiting_op = op;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = cancel_wait;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, &old_int);
        sigaction(SIGTERM, &sa, &old_term);
    }
    rc = hv_domain_shutdown(dom, timeout_ms, 0, op) ? lib_fail(cli) : EXIT_OK;
    if (op) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        waiting_op = NULL;
    }
out:
    progress_done(pg);
    hv_op_free(op);
    hv_domain_free(dom);
    return rc;
}

static int local_mem_set(struct backend *be, struct cli *cli, const char *ref,
                         uint64_t mib)
{
    hv_domain *dom;
    int rc;

    if ((rc = resolve(be, cli, ref, &dom)))
        return rc;
    rc = hv_domain_set_memory(dom, mib, 0) ? lib_fail(cli) : EXIT_OK;
    hv_domain_free(dom);
    return rc;
}

/* resolve() without a word on failure: the caller has a fallback. */
static int lookup_quiet(hv_conn *conn, const char *ref, hv_domain **out)
{
    uint32_t id;

    if (looks_like_domid(ref, &id) && hv_domain_lookup_by_id(conn, id, out) == 0)
        return 0;
    if (looks_like_uuid(ref) && hv_domain_lookup_by_uuid(conn, ref, out) == 0)
        return 0;
    return hv_domain_lookup_by_name(conn, ref, out);
}

/*
 * A running domain created through libhvctl has its configuration kept
 * with it (hv_domain_get_config); for any other (a domain started by
 * plain hvcore, or a defined one that is not running) the configuration
 * is the agent's to tell.
 */
static int local_dump(struct backend *be, struct cli *cli, const char *ref,
                      enum cfg_format fmt, char **text)
{
    hv_domain *dom = NULL;
    hv_config *cfg = NULL;
    int rc = -1;

    *text = NULL;
    if (lookup_quiet(L(be)->conn, ref, &dom) == 0 &&
        hv_domain_get_config(dom, &cfg) == 0)
        rc = fmt == CFG_XML ? hv_config_to_xml(cfg, text)
                            : hv_config_to_json(cfg, text);
    hv_config_free(cfg);
    hv_domain_free(dom);
    if (rc == 0)
        return EXIT_OK;
    free(*text);
    *text = NULL;
    VIA_AGENT(be, cli, dump, ref, fmt, text);
}

static int local_define(struct backend *be, struct cli *cli, const char *path,
                        struct dom_row *out)
{
    hv_config *cfg;

    /* Check the file here first: the error then names the file's line. */
    if (hv_config_load_file(path, &cfg))
        return lib_fail(cli);
    hv_config_free(cfg);
    VIA_AGENT(be, cli, define, path, out);
}

static int local_undefine(struct backend *be, struct cli *cli, const char *ref)
{
    VIA_AGENT(be, cli, undefine, ref);
}

static int local_autostart(struct backend *be, struct cli *cli,
                           const char *ref, bool on)
{
    VIA_AGENT(be, cli, autostart, ref, on);
}

static int local_events(struct backend *be, struct cli *cli, event_fn fn)
{
    hv_events *ev;
    int rc = EXIT_OK;

    if (hv_events_open(L(be)->conn, &ev))
        return lib_fail(cli);
    if (sig_watch() < 0) {
        hv_events_free(ev);
        return cli_fail(cli, "cannot watch signals: %s", strerror(errno));
    }
    for (;;) {
        struct pollfd p[2] = {
            { .fd = hv_events_get_fd(ev), .events = POLLIN },
            { .fd = sig_fd(), .events = POLLIN },
        };
        hv_event *e;
        int r;

        if (poll(p, 2, -1) < 0 && errno != EINTR) {
            rc = cli_fail(cli, "poll: %s", strerror(errno));
            break;
        }
        if (sig_caught())
            break;
        while ((r = hv_event_next(ev, &e)) == 0) {
            struct dom_event de = { 0 };
            de.time_ns = hv_event_get_time_ns(e);
            snprintf(de.type, sizeof(de.type), "%s",
                     hv_event_type_name(hv_event_get_type(e)));
            de.id = (long)hv_event_get_domid(e);
            snprintf(de.name, sizeof(de.name), "%s", hv_event_get_name(e));
            snprintf(de.detail, sizeof(de.detail), "%s",
                     hv_event_get_detail(e));
            hv_event_free(e);
            if (fn(cli, &de))
                goto out;
        }
        if (r != HV_EAGAIN) {
            rc = lib_fail(cli);
            break;
        }
    }
out:
    hv_events_free(ev);
    return rc;
}

static int local_console(struct backend *be, struct cli *cli, const char *ref,
                         int *fd, char name[64])
{
    struct local *l = L(be);
    hv_domain *dom;
    int rc;

    if ((rc = resolve(be, cli, ref, &dom)))
        return rc;
    snprintf(name, 64, "%s", hv_domain_get_name(dom));
    /* From before the console opens: its end must be seen. */
    console_end_free(l->con_end);
    l->con_end = console_end_watch(l->conn, dom);
    rc = hv_domain_console_open(dom, fd) ? lib_fail(cli) : EXIT_OK;
    hv_domain_free(dom);
    return rc;
}

static int local_console_closed(struct backend *be, struct cli *cli,
                                char *why, size_t len)
{
    struct local *l = L(be);
    struct console_end *w = l->con_end;

    (void)cli;
    l->con_end = NULL;
    return console_end_verdict(w, why, len);
}

/*
 * hvcore's version, from `hvcore --version`: hvctl.h has no call for it
 * (the domctl interface version is all libhvctl sees, and only through a
 * running domain).  Same search as libhvctl: $HVCORE_PATH, else the
 * installed hvcore.
 */
static void hvcore_version(char *out, size_t len)
{
    const char *path = getenv("HVCORE_PATH");
    char buf[256];
    int p[2], status;
    ssize_t n = 0, r;
    pid_t pid;

    out[0] = '\0';
    if (!path || !*path)
        path = HVCORE_INSTALL_PATH;
    if (pipe(p) < 0)
        return;
    pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl(path, path, "--version", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    while (pid > 0 && n < (ssize_t)sizeof(buf) - 1 &&
           ((r = read(p[0], buf + n, sizeof(buf) - 1 - (size_t)n)) > 0 ||
            (r < 0 && errno == EINTR)))
        n += r > 0 ? r : 0;
    close(p[0]);
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    /* "hvcore 0.1.0 (guest ABI 1, domctl 0x10000)": drop the name. */
    if (strncmp(buf, "hvcore ", 7) == 0)
        str_copy(out, len, buf + 7);
}

static int local_version(struct backend *be, struct cli *cli,
                         struct version_info *out)
{
    unsigned v = hv_version();
    struct backend *ag;

    snprintf(out->library, sizeof(out->library), "%u.%u.%u", v >> 16,
             (v >> 8) & 0xff, v & 0xff);
    hvcore_version(out->hypervisor, sizeof(out->hypervisor));
    /* The local agent's version if it runs; its absence is no failure. */
    if (access(L(be)->agent_url + strlen("unix://"), F_OK) != 0) {
        snprintf(out->agent_note, sizeof(out->agent_note), "not running");
        return EXIT_OK;
    }
    cli->quiet = true;
    if ((ag = agent(be, cli))) {
        struct version_info av = { 0 };
        if (ag->ops->version(ag, cli, &av) == EXIT_OK)
            snprintf(out->agent, sizeof(out->agent), "%s", av.agent);
    }
    cli->quiet = false;
    if (!out->agent[0])
        snprintf(out->agent_note, sizeof(out->agent_note), "unknown (%.140s)",
                 cli->last_error);
    return EXIT_OK;
}

static void local_close(struct backend *be)
{
    struct local *l = (struct local *)be;

    if (l->agent)
        l->agent->ops->close(l->agent);
    console_end_free(l->con_end);
    hv_conn_free(l->conn);
    free(l);
}

static const struct backend_ops local_ops = {
    .list = local_list,
    .info = local_info,
    .create = local_create,
    .action = local_action,
    .shutdown = local_shutdown,
    .mem_set = local_mem_set,
    .dump = local_dump,
    .define = local_define,
    .undefine = local_undefine,
    .autostart = local_autostart,
    .events = local_events,
    .console = local_console,
    .console_closed = local_console_closed,
    .version = local_version,
    .close = local_close,
};

struct backend *backend_local_open(struct cli *cli)
{
    struct local *l = calloc(1, sizeof(*l));

    if (!l) {
        cli_fail(cli, "out of memory");
        return NULL;
    }
    if (hv_conn_open(NULL, &l->conn)) {
        lib_fail(cli);
        free(l);
        return NULL;
    }
    snprintf(l->agent_url, sizeof(l->agent_url), "unix://%s/hvctld.sock",
             hv_conn_get_rundir(l->conn));
    l->be.ops = &local_ops;
    return &l->be;
}
