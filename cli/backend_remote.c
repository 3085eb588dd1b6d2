/*
 * backend_remote.c - a host through hvctld's REST API (schema/openapi.yaml).
 *
 *   list             GET    /v1/domains
 *   info             GET    /v1/domains/{name}        (with hvcore's figures)
 *   create           POST   /v1/domains?start=true    (see below)
 *   define           POST   /v1/domains
 *   dumpxml/json     GET    /v1/domains/{name}        Accept: XML or JSON
 *   undefine         DELETE /v1/domains/{name}
 *   start, pause, unpause, reboot, destroy, shutdown
 *                    POST   /v1/domains/{name}/{start|pause|resume|...}
 *   autostart        PUT    /v1/domains/{name}/autostart
 *   mem-set          PUT    /v1/domains/{name}/memory
 *   events           GET    /v1/events                (Server-Sent Events)
 *   version          GET    /v1/host
 *
 * The API has no transient domains, so `create` defines the domain and
 * starts it.  Long operations (start, shutdown) answer 202 with a job,
 * which is followed through GET /v1/jobs/{id} until it ends; its outcome
 * is the command's.  The API names domains by name: a domid or uuid is
 * first looked up in the domain list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "backend.h"
#include "http.h"
#include "rest.h"

struct remote {
    struct backend be;
    struct http *http;
};

static struct http *H(struct backend *be)
{
    return ((struct remote *)be)->http;
}

/* POST, PUT or DELETE on ref's path + suffix; *out the answer if asked. */
static int on_domain(struct backend *be, struct cli *cli, const char *ref,
                     const char *method, const char *suffix,
                     const char *body, json_object **out)
{
    char *path;
    int rc;

    if ((rc = rest_domain_path(H(be), cli, ref, suffix, &path)))
        return rc;
    rc = rest_call(H(be), cli, method, path, body,
                   body ? "application/json" : NULL, out);
    free(path);
    return rc;
}

/* ---- operations ---- */

static int remote_list(struct backend *be, struct cli *cli, bool all,
                       struct dom_list *out)
{
    size_t keep = 0;
    int rc;

    if ((rc = rest_domains(H(be), cli, out)))
        return rc;
    if (all)
        return EXIT_OK;
    for (size_t i = 0; i < out->n; i++)
        if (out->rows[i].id >= 0)
            out->rows[keep++] = out->rows[i];
    out->n = keep;
    return EXIT_OK;
}

static int remote_info(struct backend *be, struct cli *cli, const char *ref,
                       struct dom_row *out)
{
    json_object *o;
    char *path;
    int rc;

    if ((rc = rest_domain_path(H(be), cli, ref, "", &path)))
        return rc;
    rc = rest_call(H(be), cli, "GET", path, NULL, NULL, &o);
    free(path);
    if (rc)
        return rc;
    rest_row(o, out);
    json_object_put(o);
    return EXIT_OK;
}

/* POST a configuration file to path; the answer (domain or job) in *out. */
static int post_config(struct backend *be, struct cli *cli, const char *path,
                       const char *file, json_object **out)
{
    char *text;
    size_t len;
    int rc;

    if ((rc = read_file(file, 1u << 20, &text, &len)) < 0)
        return cli_fail(cli, "cannot read %s: %s", file,
                        rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
    rc = rest_call(H(be), cli, "POST", path, text,
              text_is_xml(text, len) ? "application/xml" : "application/json",
              out);
    free(text);
    return rc;
}

/* The REST API has no transient domains: define, and start at once. */
static int remote_create(struct backend *be, struct cli *cli, const char *file,
                         struct dom_row *out)
{
    json_object *job;
    const char *name;
    int rc;

    if ((rc = post_config(be, cli, "/v1/domains?start=true", file, &job)))
        return rc;
    name = rest_str(job, "domain");
    if (!name) {
        json_object_put(job);
        return cli_fail(cli, "hvctld started a domain but did not say which");
    }
    rc = remote_info(be, cli, name, out);
    json_object_put(job);
    return rc;
}

static int remote_define(struct backend *be, struct cli *cli,
                         const char *file, struct dom_row *out)
{
    json_object *o;
    int rc;

    if ((rc = post_config(be, cli, "/v1/domains", file, &o)))
        return rc;
    rest_row(o, out);
    json_object_put(o);
    return EXIT_OK;
}

static int remote_action(struct backend *be, struct cli *cli, const char *ref,
                         enum dom_action act)
{
    static const char *const verbs[] = {
        [ACT_PAUSE] = "/pause", [ACT_UNPAUSE] = "/resume",
        [ACT_REBOOT] = "/reboot", [ACT_DESTROY] = "/destroy",
        [ACT_START] = "/start",
    };

    return on_domain(be, cli, ref, "POST", verbs[act], NULL, NULL);
}

/*
 * The agent runs the shutdown as a job that waits up to "timeout"
 * seconds (0: only ask); its wait is ours, so a timeout in milliseconds
 * is rounded up to whole seconds.
 */
static int remote_shutdown(struct backend *be, struct cli *cli,
                           const char *ref, int timeout_ms)
{
    long long s = timeout_ms < 0 ? 86400 : (timeout_ms + 999) / 1000;
    char body[48];

    snprintf(body, sizeof(body), "{\"timeout\": %lld}", s);
    return on_domain(be, cli, ref, "POST", "/shutdown", body, NULL);
}

static int remote_mem_set(struct backend *be, struct cli *cli, const char *ref,
                          uint64_t mib)
{
    char body[64];

    snprintf(body, sizeof(body), "{\"target_mib\": %llu}",
             (unsigned long long)mib);
    return on_domain(be, cli, ref, "PUT", "/memory", body, NULL);
}

static int remote_dump(struct backend *be, struct cli *cli, const char *ref,
                       enum cfg_format fmt, char **text)
{
    struct http_resp r;
    json_object *o, *cfg;
    char *path;
    int rc;

    if ((rc = rest_domain_path(H(be), cli, ref, "", &path)))
        return rc;
    rc = http_request(H(be), cli, "GET", path, NULL, 0, NULL,
                      fmt == CFG_XML ? "application/xml" : "application/json",
                      &r);
    free(path);
    if (rc)
        return rc;
    if (r.status != 200) {
        rc = http_fail(cli, &r);
        http_resp_free(&r);
        return rc;
    }
    if (fmt == CFG_XML) {
        *text = r.body ? r.body : strdup("");
        return *text ? EXIT_OK : cli_fail(cli, "out of memory");
    }
    /* JSON: the domain, whose "config" is the definition. */
    o = rest_parse(cli, &r);
    http_resp_free(&r);
    if (!o)
        return EXIT_FAIL;
    cfg = rest_get(o, "config");
    if (!cfg || !json_object_is_type(cfg, json_type_object)) {
        rc = cli_fail(cli, "domain '%s' is transient: no configuration is "
                      "stored for it", rest_str(o, "name"));
    } else {
        *text = strdup(json_object_to_json_string_ext(cfg,
                JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                JSON_C_TO_STRING_NOSLASHESCAPE));
        rc = *text ? EXIT_OK : cli_fail(cli, "out of memory");
    }
    json_object_put(o);
    return rc;
}

static int remote_undefine(struct backend *be, struct cli *cli,
                           const char *ref)
{
    return on_domain(be, cli, ref, "DELETE", "", NULL, NULL);
}

static int remote_autostart(struct backend *be, struct cli *cli,
                            const char *ref, bool on)
{
    return on_domain(be, cli, ref, "PUT", "/autostart",
                     on ? "{\"autostart\": true}" : "{\"autostart\": false}",
                     NULL);
}

struct ev_ctx {
    struct cli *cli;
    event_fn fn;
};

/* "2026-11-25T16:30:00.123Z" (or a number of ns) to ns. */
static uint64_t parse_time(json_object *o)
{
    const char *s = rest_str(o, "time");
    struct tm tm = { 0 };
    unsigned ms = 0;
    int64_t v;

    if (rest_int(o, "time_ns", &v))
        return (uint64_t)v;
    if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d.%3u", &tm.tm_year, &tm.tm_mon,
                     &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
                     &ms) < 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (uint64_t)timegm(&tm) * 1000000000ull + ms * 1000000ull;
}

static int on_sse(const char *event, const char *data, void *opaque)
{
    struct ev_ctx *c = opaque;
    json_object *o = json_tokener_parse(data);
    struct dom_event ev = { .id = -1 };
    const char *s;
    int64_t v;
    int rc;

    if (!o)
        return 0;               /* not ours to judge: skip it */
    ev.time_ns = parse_time(o);
    if (!ev.time_ns) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ev.time_ns = (uint64_t)ts.tv_sec * 1000000000ull +
                     (uint64_t)ts.tv_nsec;
    }
    s = rest_str(o, "type");
    str_copy(ev.type, sizeof(ev.type), s ? s : event);
    if (rest_int(o, "domid", &v) && v > 0)
        ev.id = (long)v;
    str_copy(ev.name, sizeof(ev.name), (s = rest_str(o, "domain")) ? s : "");
    str_copy(ev.detail, sizeof(ev.detail),
             (s = rest_str(o, "detail")) ? s : "");
    str_copy(ev.cause, sizeof(ev.cause), (s = rest_str(o, "cause")) ? s : "");
    json_object_put(o);
    rc = c->fn(c->cli, &ev);
    return rc;
}

static int remote_events(struct backend *be, struct cli *cli, event_fn fn)
{
    struct ev_ctx c = { .cli = cli, .fn = fn };

    return http_stream(H(be), cli, "/v1/events", on_sse, &c);
}

static int remote_version(struct backend *be, struct cli *cli,
                          struct version_info *out)
{
    json_object *o;
    const char *s;
    int rc;

    if ((rc = rest_call(H(be), cli, "GET", "/v1/host", NULL, NULL, &o)))
        return rc;
    if ((s = rest_str(rest_get(o, "agent"), "version")))
        str_copy(out->agent, sizeof(out->agent), s);
    /* The library and hypervisor that run the domains: the agent's. */
    if ((s = rest_str(o, "library_version")))
        str_copy(out->library, sizeof(out->library), s);
    if ((s = rest_str(o, "hypervisor_version")))
        str_copy(out->hypervisor, sizeof(out->hypervisor), s);
    json_object_put(o);
    return EXIT_OK;
}

static void remote_close(struct backend *be)
{
    http_close(H(be));
    free(be);
}

static const struct backend_ops remote_ops = {
    .list = remote_list,
    .info = remote_info,
    .create = remote_create,
    .action = remote_action,
    .shutdown = remote_shutdown,
    .mem_set = remote_mem_set,
    .dump = remote_dump,
    .define = remote_define,
    .undefine = remote_undefine,
    .autostart = remote_autostart,
    .events = remote_events,
    .console = NULL,            /* the REST API has no console */
    .version = remote_version,
    .close = remote_close,
};

struct backend *backend_remote_open(struct cli *cli, const char *url)
{
    struct remote *r = calloc(1, sizeof(*r));

    if (!r) {
        cli_fail(cli, "out of memory");
        return NULL;
    }
    if (!(r->http = http_open(cli, url))) {
        free(r);
        return NULL;
    }
    r->be.ops = &remote_ops;
    return &r->be;
}
