/*
 * backend_lib.c - every domain operation through libhvctl's public API,
 * on the connection the -c URI names.  The driver behind it (direct, or
 * hvctld's agent over its Unix socket or HTTPS) is libhvctl's business:
 * this file never asks which (but to word a hint), so what hvctl shows
 * of a domain is the same through every connection.  Events and the
 * console: backend_lib_io.c.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend_lib.h"
#include "progress.h"

/*
 * What hvctl's own options can do about a refusal: libhvctl words the
 * refusal, hvctl knows which options were given and what they are
 * called.  "" when there is nothing to add.
 */
static const char *hint(const struct cli *cli, int code, char *buf,
                        size_t len)
{
    const char *url = cli->url ? cli->url : "";

    buf[0] = '\0';
    if (code == HV_EPERM && strncmp(url, "http", 4) == 0 && !cli->token) {
        if (cli->cert)
            snprintf(buf, len, " (hvctld did not accept the client "
                     "certificate %s; give a token with --token or "
                     "HVCTL_TOKEN)", cli->cert);
        else
            snprintf(buf, len, " (give a token with --token or HVCTL_TOKEN, "
                     "or a client certificate with --cert and --key)");
    } else if (code == HV_EIO && strstr(hv_last_error(), "cannot connect") &&
               (strncmp(url, "unix:", 5) == 0 || strstr(url, "driver=agent"))) {
        snprintf(buf, len, " (is hvctld running?)");
    }
    return buf;
}

int lib_fail(struct cli *cli)
{
    char more[200];

    return cli_fail(cli, "%s%s", hv_last_error()[0] ? hv_last_error()
                                                    : "unknown failure",
                    hint(cli, hv_last_error_code(), more, sizeof(more)));
}

int lib_resolve(struct backend *be, struct cli *cli, const char *ref,
                hv_domain **out)
{
    hv_conn *conn = be->conn;
    char first[512];
    uint32_t id;
    int rc;

    /* A name may itself be all digits or uuid-shaped: those fall back. */
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

/*
 * lib_resolve for what a definition may be behind (start, undefine,
 * autostart, the definition): through the direct driver, a name it does
 * not find may well be defined in an hvctld that is not running.
 */
static int resolve_defined(struct backend *be, struct cli *cli,
                           const char *ref, hv_domain **out)
{
    hv_conn *conn = be->conn;
    bool quiet = cli->quiet;
    int rc;

    if (strcmp(hv_conn_get_driver(conn), "direct") != 0)
        return lib_resolve(be, cli, ref, out);
    cli->quiet = true;
    rc = lib_resolve(be, cli, ref, out);
    cli->quiet = quiet;
    if (rc == EXIT_OK)
        return rc;
    return cli_fail(cli, "%s (%s sees running domains only: definitions "
                    "need hvctld)", cli->last_error, hv_conn_get_uri(conn));
}

int be_list(struct backend *be, struct cli *cli, unsigned flags,
            const char *name_glob, struct dom_list *out)
{
    hv_domlist *list;

    if (hv_domain_list_filtered(be->conn, flags, name_glob, &list))
        return lib_fail(cli);
    for (size_t i = 0; i < hv_domlist_count(list); i++) {
        struct hv_fields *f = dom_list_add(out);
        if (!f) {
            hv_domlist_free(list);
            return cli_fail(cli, "out of memory");
        }
        fields_from_info(f, hv_domlist_get(list, i));
    }
    hv_domlist_free(list);
    return EXIT_OK;
}

/* What is known of dom now; a domain that has already ended is shutdown. */
static void dom_fields(hv_domain *dom, struct hv_fields *out)
{
    hv_domain_info *info;

    if (hv_domain_get_info(dom, &info) == 0) {
        fields_from_info(out, info);
        hv_domain_info_free(info);
        return;
    }
    fields_init(out);
    out->domid = hv_domain_get_id(dom);
    str_copy(out->name, sizeof(out->name), hv_domain_get_name(dom));
    str_copy(out->uuid, sizeof(out->uuid), hv_domain_get_uuid(dom));
    out->state = HV_STATE_SHUTDOWN;
}

int be_info(struct backend *be, struct cli *cli, const char *ref,
            struct hv_fields *out)
{
    hv_domain_info *info;
    hv_domain *dom;
    int rc;

    if ((rc = lib_resolve(be, cli, ref, &dom)))
        return rc;
    rc = hv_domain_get_info(dom, &info) ? lib_fail(cli) : EXIT_OK;
    hv_domain_free(dom);
    if (rc)
        return rc;
    fields_from_info(out, info);
    hv_domain_info_free(info);
    return EXIT_OK;
}

/*
 * A create refused because cfg's name is a shut-off definition: say what
 * would work, in hvctl's words (not the REST API's).  0 when that is not
 * the case, and the refusal is libhvctl's to word.
 */
static int name_is_defined(struct backend *be, struct cli *cli,
                           const hv_config *cfg)
{
    const char *name = hv_config_get_name(cfg);
    hv_domain_info *info = NULL;
    hv_domain *dom;
    int rc = 0;

    if (hv_domain_lookup_by_name(be->conn, name, &dom))
        return 0;
    if (hv_domain_get_info(dom, &info) || !info ||
        hv_domain_info_get_persistent(info) != 1 ||
        hv_domain_info_get_state(info) != HV_STATE_SHUTOFF)
        rc = 0;
    else if (strcasecmp(hv_domain_get_uuid(dom), hv_config_get_uuid(cfg)))
        rc = cli_fail(cli, "domain '%s': the name belongs to a defined "
                      "domain with another uuid (%s): start that one with "
                      "`hvctl start %s`, or give this configuration another "
                      "name", name, hv_domain_get_uuid(dom), name);
    else
        rc = cli_fail(cli, "domain '%s' is defined: start it with `hvctl "
                      "start %s`, after `hvctl define` of this configuration "
                      "if it is to run with it", name, name);
    hv_domain_info_free(info);
    hv_domain_free(dom);
    return rc;
}

/* create and define: a new handle from cfg, and what it shows. */
static int new_domain(struct backend *be, struct cli *cli,
                      const hv_config *cfg, unsigned flags,
                      struct hv_fields *out, bool define)
{
    hv_conn *conn = be->conn;
    char first[512];
    hv_domain *dom;
    int rc;

    rc = define ? hv_domain_define(conn, cfg, 0, &dom)
                : hv_domain_create(conn, cfg, flags, &dom);
    if (rc == HV_EEXIST && !define) {
        snprintf(first, sizeof(first), "%s", hv_last_error());
        return name_is_defined(be, cli, cfg) ? EXIT_FAIL
                                             : cli_fail(cli, "%s", first);
    }
    if (rc)
        return lib_fail(cli);
    dom_fields(dom, out);
    hv_domain_free(dom);
    return EXIT_OK;
}

int be_create(struct backend *be, struct cli *cli, const hv_config *cfg,
              unsigned flags, struct hv_fields *out)
{
    return new_domain(be, cli, cfg, flags, out, false);
}

int be_define(struct backend *be, struct cli *cli,
              const hv_config *cfg, struct hv_fields *out)
{
    return new_domain(be, cli, cfg, 0, out, true);
}

int be_action(struct backend *be, struct cli *cli, const char *ref,
              enum dom_action act)
{
    hv_domain *dom;
    int rc;

    if ((rc = act == ACT_START ? resolve_defined(be, cli, ref, &dom)
                               : lib_resolve(be, cli, ref, &dom)))
        return rc;
    switch (act) {
    case ACT_PAUSE:   rc = hv_domain_pause(dom, 0); break;
    case ACT_UNPAUSE: rc = hv_domain_unpause(dom, 0); break;
    case ACT_REBOOT:  rc = hv_domain_reboot(dom, 0); break;
    case ACT_DESTROY: rc = hv_domain_destroy(dom, 0); break;
    case ACT_START:   rc = hv_domain_start(dom, 0); break;
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

/*
 * A wait the user sees: progress on the terminal, SIGINT and SIGTERM
 * cancel it.  dom NULL: every domain (hv_conn_shutdown_all).
 */
static int shutdown_wait(struct backend *be, struct cli *cli, hv_domain *dom,
                         int timeout_ms)
{
    struct sigaction sa, old_int, old_term;
    struct progress *pg = NULL;
    hv_op *op = NULL;
    int rc;

    if (timeout_ms != 0) {
        pg = progress_new(cli, cli->what);
        if (!(op = hv_op_new(on_progress, pg))) {
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
    rc = dom ? hv_domain_shutdown(dom, timeout_ms, 0, op)
             : hv_conn_shutdown_all(be->conn, timeout_ms, 0, op);
    rc = rc ? lib_fail(cli) : EXIT_OK;
    if (op) {
        sigaction(SIGINT, &old_int, NULL);
        sigaction(SIGTERM, &old_term, NULL);
        waiting_op = NULL;
    }
out:
    progress_done(pg);
    hv_op_free(op);
    return rc;
}

int be_shutdown(struct backend *be, struct cli *cli, const char *ref,
                int timeout_ms)
{
    hv_domain *dom;
    int rc;

    if ((rc = lib_resolve(be, cli, ref, &dom)))
        return rc;
    rc = shutdown_wait(be, cli, dom, timeout_ms);
    hv_domain_free(dom);
    return rc;
}

int be_shutdown_all(struct backend *be, struct cli *cli, int timeout_ms)
{
    return shutdown_wait(be, cli, NULL, timeout_ms);
}

int be_mem_set(struct backend *be, struct cli *cli, const char *ref,
               uint64_t mib)
{
    hv_domain *dom;
    int rc;

    if ((rc = lib_resolve(be, cli, ref, &dom)))
        return rc;
    rc = hv_domain_set_memory(dom, mib, 0) ? lib_fail(cli) : EXIT_OK;
    hv_domain_free(dom);
    return rc;
}

/*
 * The running configuration when there is one, else the definition.  A
 * domain that is not running has no running configuration (HV_ENOENT,
 * HV_ESTATE); one that has neither gets the first refusal, which names
 * what is missing.
 */
int be_config(struct backend *be, struct cli *cli, const char *ref,
              bool inactive, hv_config **out)
{
    char first[512];
    hv_domain *dom;
    int rc;

    *out = NULL;
    if ((rc = inactive ? resolve_defined(be, cli, ref, &dom)
                       : lib_resolve(be, cli, ref, &dom)))
        return rc;
    if (inactive) {
        rc = hv_domain_get_definition(dom, 0, out) ? lib_fail(cli) : EXIT_OK;
        goto out;
    }
    if ((rc = hv_domain_get_config(dom, out)) == 0 ||
        (rc != HV_ENOENT && rc != HV_ESTATE)) {
        rc = rc ? lib_fail(cli) : EXIT_OK;
        goto out;
    }
    snprintf(first, sizeof(first), "%s", hv_last_error());
    if ((rc = hv_domain_get_definition(dom, 0, out)) == 0)
        rc = EXIT_OK;
    else if (rc == HV_ENOTSUP || rc == HV_ESTATE)
        rc = cli_fail(cli, "%s", first);
    else
        rc = lib_fail(cli);
out:
    hv_domain_free(dom);
    return rc;
}

int be_undefine(struct backend *be, struct cli *cli, const char *ref)
{
    hv_domain *dom;
    int rc;

    if ((rc = resolve_defined(be, cli, ref, &dom)))
        return rc;
    rc = hv_domain_undefine(dom, 0) ? lib_fail(cli) : EXIT_OK;
    hv_domain_free(dom);
    return rc;
}

int be_autostart(struct backend *be, struct cli *cli, const char *ref,
                 bool on)
{
    hv_domain *dom;
    int rc;

    if ((rc = resolve_defined(be, cli, ref, &dom)))
        return rc;
    rc = hv_domain_set_autostart(dom, on, 0) ? lib_fail(cli) : EXIT_OK;
    hv_domain_free(dom);
    return rc;
}

int be_version(struct backend *be, struct cli *cli,
               struct version_info *out)
{
    hv_conn *conn = be->conn;
    unsigned v = hv_version();

    (void)cli;
    snprintf(out->library, sizeof(out->library), "%u.%u.%u", v >> 16,
             (v >> 8) & 0xff, v & 0xff);
    /* The hvcore that would run domains here; another host's is unknown. */
    if (hv_conn_get_rundir(conn))
        hvcore_version(out->hypervisor, sizeof(out->hypervisor));
    if (strcmp(hv_conn_get_driver(conn), "agent") == 0) {
        char *agent = NULL;
        if (hv_conn_get_agent_version(conn, &agent) == 0)
            snprintf(out->agent, sizeof(out->agent), "%s", agent);
        else
            snprintf(out->agent_note, sizeof(out->agent_note), "hvctld "
                     "(its version: %s)", hv_last_error());
        free(agent);
    } else if (strstr(hv_conn_get_uri(conn), "driver=direct"))
        snprintf(out->agent_note, sizeof(out->agent_note), "not used");
    else
        snprintf(out->agent_note, sizeof(out->agent_note), "not running");
    return EXIT_OK;
}

bool be_same_host(struct backend *be)
{
    return hv_conn_get_rundir(be->conn) != NULL;
}

void be_close(struct backend *be)
{
    if (!be)
        return;
    console_end_free(be->con_end);
    hv_conn_free(be->conn);
    free(be);
}

const char *be_uri(struct backend *be)
{
    return hv_conn_get_uri(be->conn);
}

const char *be_driver(struct backend *be)
{
    return hv_conn_get_driver(be->conn);
}

struct backend *backend_open(struct cli *cli, const char *uri)
{
    struct backend *be = calloc(1, sizeof(*be));

    if (!be) {
        cli_fail(cli, "out of memory");
        return NULL;
    }
    if (hv_conn_open_uri(uri, 0, &be->conn)) {
        lib_fail(cli);
        free(be);
        return NULL;
    }
    return be;
}
