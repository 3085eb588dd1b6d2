/*
 * test_openapi.c - schema/openapi.yaml and the server hold each other to
 * account:
 *   - statically, the spec's operations and the agent's route table
 *     (agent/route.c) are the same set, and every $ref resolves;
 *   - live, every operation of the spec is requested and answers with a
 *     documented status and body (the harness checks each answer), never
 *     "no such resource" or 405;
 *   - live, every method the spec does not list for a path answers 405,
 *     and paths the spec does not have answer 404: nothing undocumented is
 *     served.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "domain_fields.h"
#include "harness.h"
#include "openapi.h"
#include "route.h"

static struct openapi *spec;
static struct agentd ad;

static const char *const methods[] = { "get", "post", "put", "delete",
                                       "patch", "head", "options" };

static int group_setup(void **state)
{
    char file[512], err[512];
    const char *src = getenv("HV_SRCDIR");

    snprintf(file, sizeof(file), "%s/schema/openapi.yaml", src ? src : ".");
    spec = oa_load(file, err, sizeof(err));
    if (!spec)
        fail_msg("%s", err);
    return 0;
}

static int group_teardown(void **state)
{
    oa_free(spec);
    return 0;
}

static bool is_method(const char *key)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (!strcmp(key, methods[i]))
            return true;
    return false;
}

static void test_spec_equals_routes(void **state)
{
    json_object *paths = jget(oa_doc(spec), "paths");
    size_t ops = 0;

    /* Spec -> routes. */
    json_object_object_foreach(paths, tmpl, item) {
        json_object_object_foreach(item, m, op) {
            bool found = false;
            (void)op;
            if (!is_method(m))
                continue;
            ops++;
            for (size_t i = 0; i < routes_count && !found; i++)
                found = !strcmp(routes[i].pattern, tmpl) &&
                        !strcasecmp(route_method_name(routes[i].method), m);
            if (!found)
                fail_msg("the spec has %s %s; the agent does not serve it", m,
                         tmpl);
        }
    }
    /* Routes -> spec. */
    for (size_t i = 0; i < routes_count; i++) {
        char m[16];
        size_t k;
        for (k = 0; route_method_name(routes[i].method)[k]; k++)
            m[k] = (char)(route_method_name(routes[i].method)[k] | 0x20);
        m[k] = '\0';
        if (!jget(jget(paths, routes[i].pattern), m) &&
            !json_object_object_get_ex(json_object_object_get(paths,
                                       routes[i].pattern), m, NULL))
            fail_msg("the agent serves %s %s; the spec does not say so",
                     route_method_name(routes[i].method), routes[i].pattern);
    }
    assert_int_equal(ops, routes_count);
}

/* A parameter object, or the one its "#/components/parameters/X" names. */
static json_object *param_object(json_object *par)
{
    json_object *ref = json_object_object_get(par, "$ref");
    const char *prefix = "#/components/parameters/", *r;

    if (!ref)
        return par;
    r = json_object_get_string(ref);
    assert_int_equal(strncmp(r, prefix, strlen(prefix)), 0);
    par = jget(jget(jget(oa_doc(spec), "components"), "parameters"),
               r + strlen(prefix));
    assert_non_null(par);
    return par;
}

/*
 * The query parameters each route takes (the rest are refused with
 * unknown_parameter) are the ones its operation documents, and back:
 * the operation's own and those of its path (?uuid= on every route of
 * one domain).
 */
static void test_query_params_documented(void **state)
{
    json_object *paths = jget(oa_doc(spec), "paths");
    size_t checked = 0;

    for (size_t i = 0; i < routes_count; i++) {
        json_object *item, *lists[2];
        char m[16];
        size_t k, documented = 0;

        for (k = 0; route_method_name(routes[i].method)[k]; k++)
            m[k] = (char)(route_method_name(routes[i].method)[k] | 0x20);
        m[k] = '\0';
        item = json_object_object_get(paths, routes[i].pattern);
        assert_non_null(json_object_object_get(item, m));
        lists[0] = json_object_object_get(item, "parameters");
        lists[1] = json_object_object_get(json_object_object_get(item, m),
                                          "parameters");
        for (size_t l = 0; l < 2; l++)
        for (size_t p = 0; lists[l] && p < json_object_array_length(lists[l]);
             p++) {
            json_object *par =
                param_object(json_object_array_get_idx(lists[l], p));
            const char *name = jstr(par, "name");
            bool served = false;
            if (strcmp(jstr(par, "in"), "query"))
                continue;
            documented++;
            for (size_t q = 0; routes[i].query[q]; q++)
                served |= !strcmp(routes[i].query[q], name);
            if (!served)
                fail_msg("%s %s: the spec has ?%s; the route refuses it", m,
                         routes[i].pattern, name);
        }
        for (k = 0; routes[i].query[k]; k++)
            checked++;
        if (k != documented)
            fail_msg("%s %s takes %zu query parameters; the spec documents "
                     "%zu", m, routes[i].pattern, k, documented);
    }
    assert_true(checked >= 20);
}

/*
 * The domain schema is the field table (libctl/domain_fields.h): every
 * row is a property of DomainSummary with the type its kind makes, and
 * required; the only other properties are the older keys listed here.
 * A field added to the table and not to the spec (or the other way)
 * fails here, before any request is made.
 */
static void schema_of_kind(const char *key, enum field_kind kind,
                           json_object *prop)
{
    const char *type = jstr(prop, "type");
    json_object *nullable = json_object_object_get(prop, "nullable");
    bool null_ok = nullable && json_object_get_boolean(nullable);
    const char *ref = jstr(prop, "$ref");

    switch (kind) {
    case FK_STATE:
    case FK_REASON:
        if (!ref || strcmp(ref, kind == FK_STATE
                                ? "#/components/schemas/State"
                                : "#/components/schemas/Reason"))
            fail_msg("DomainSummary.%s: not a $ref to its enum", key);
        return;
    case FK_STR:
        if (!type || strcmp(type, "string"))
            fail_msg("DomainSummary.%s: not a string", key);
        return;
    case FK_TRI:
    case FK_BOOL:
        if (!type || strcmp(type, "boolean"))
            fail_msg("DomainSummary.%s: not a boolean", key);
        return;
    case FK_DOMID:
    case FK_DEF:
    case FK_RUN:
        /* fields_to_json writes null for "not running" / "not known". */
        if (!type || strcmp(type, "integer") || !null_ok)
            fail_msg("DomainSummary.%s: not a nullable integer", key);
        return;
    }
    fail_msg("DomainSummary.%s: unknown kind", key);
}

static void test_domain_schema_is_the_field_table(void **state)
{
    static const char *const older[] = { "vcpus", "memory_mib", "job" };
    json_object *sum = jget(jget(jget(oa_doc(spec), "components"), "schemas"),
                            "DomainSummary");
    json_object *props = json_object_object_get(sum, "properties");
    json_object *required = json_object_object_get(sum, "required");
    size_t rows = 0;

    (void)state;
    assert_non_null(props);
#define CHECK_ROW(getter, member, ctype, kind, json, label)                  \
    do {                                                                     \
        json_object *p_ = json_object_object_get(props, json);               \
        bool req_ = false;                                                   \
        if (!p_)                                                             \
            fail_msg("DomainSummary has no property \"%s\"", json);          \
        schema_of_kind(json, kind, p_);                                      \
        for (size_t k_ = 0; k_ < json_object_array_length(required); k_++)   \
            req_ |= !strcmp(json_object_get_string(                          \
                                json_object_array_get_idx(required, k_)),    \
                            json);                                           \
        if (!req_)                                                           \
            fail_msg("DomainSummary.%s is not required", json);              \
        rows++;                                                              \
    } while (0);
    HV_DOMAIN_FIELDS(CHECK_ROW)
#undef CHECK_ROW
    json_object_object_foreach(props, key, val) {
        bool known = false;
        (void)val;
#define IS_ROW(getter, member, ctype, kind, json, label)                     \
        known |= !strcmp(key, json);
        HV_DOMAIN_FIELDS(IS_ROW)
#undef IS_ROW
        for (size_t k = 0; k < sizeof(older) / sizeof(older[0]); k++)
            known |= !strcmp(key, older[k]);
        if (!known)
            fail_msg("DomainSummary.%s is in no row of the field table", key);
    }
    assert_int_equal(json_object_object_length(props),
                     rows + sizeof(older) / sizeof(older[0]));
}

/* Every "$ref" anywhere in the document points at something. */
static void check_refs(json_object *o, int *n)
{
    if (json_object_is_type(o, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(o); i++)
            check_refs(json_object_array_get_idx(o, i), n);
        return;
    }
    if (!json_object_is_type(o, json_type_object))
        return;
    json_object_object_foreach(o, key, val) {
        if (!strcmp(key, "$ref")) {
            const char *ref = json_object_get_string(val);
            char dotted[256];
            size_t k = 0;
            assert_memory_equal(ref, "#/", 2);
            for (const char *p = ref + 2; *p && k < sizeof(dotted) - 1; p++)
                dotted[k++] = *p == '/' ? '.' : *p;
            dotted[k] = '\0';
            if (!jget(oa_doc(spec), dotted))
                fail_msg("unresolved $ref %s", ref);
            (*n)++;
        } else {
            check_refs(val, n);
        }
    }
}

static void test_refs_resolve(void **state)
{
    int n = 0;

    check_refs(oa_doc(spec), &n);
    assert_true(n > 50);
}

/*
 * The refusals made before a request is routed (agent/front_parse.c,
 * auth) can answer any operation: each operation lists them, as the
 * shared responses.
 */
static void test_front_refusals_documented(void **state)
{
    static const struct { const char *code, *ref; } front[] = {
        { "400", "#/components/responses/BadRequest" },
        { "401", "#/components/responses/Unauthorized" },
        { "413", "#/components/responses/TooLarge" },
        { "417", "#/components/responses/ExpectationFailed" },
        { "431", "#/components/responses/HeadersTooLarge" },
        { "503", "#/components/responses/Unavailable" },
    };
    json_object *paths = jget(oa_doc(spec), "paths");

    json_object_object_foreach(paths, tmpl, item) {
        json_object_object_foreach(item, m, op) {
            json_object *resps, *r, *ref;
            if (!is_method(m))
                continue;
            resps = json_object_object_get(op, "responses");
            for (size_t i = 0; i < sizeof(front) / sizeof(front[0]); i++) {
                if (!json_object_object_get_ex(resps, front[i].code, &r) ||
                    !json_object_object_get_ex(r, "$ref", &ref) ||
                    strcmp(json_object_get_string(ref), front[i].ref))
                    fail_msg("%s %s: no \"%s\": {$ref: \"%s\"}", m, tmpl,
                             front[i].code, front[i].ref);
            }
        }
    }
    /* Not an operation's: the answer to a method a path does not take. */
    assert_non_null(jget(oa_doc(spec),
                         "components.responses.MethodNotAllowed.headers.Allow"));
}

/* ---- live ---- */

struct example {
    const char *method, *tmpl, *path, *body;
    long status;
};

static char cfg_new[1024], cfg_put[1024], cfg_start[1024];
static char job_path[64];
static char save_body[256];     /* a checkpoint of "oa" in the agent's dir */

static void test_every_operation_served(void **state)
{
    struct example ex[] = {
        { "GET", "/v1/host", "/v1/host", NULL, 200 },
        { "GET", "/v1/domains", "/v1/domains", NULL, 200 },
        { "POST", "/v1/domains", "/v1/domains", cfg_new, 201 },
        { "GET", "/v1/domains/{name}", "/v1/domains/oa", NULL, 200 },
        { "PUT", "/v1/domains/{name}", "/v1/domains/oa2", cfg_put, 200 },
        { "DELETE", "/v1/domains/{name}", "/v1/domains/oa2", NULL, 204 },
        { "GET", "/v1/domains/{name}/config", "/v1/domains/oa/config", NULL,
          200 },
        { "GET", "/v1/domains/{name}/definition", "/v1/domains/oa/definition",
          NULL, 200 },
        { "POST", "/v1/domains/{name}/start", "/v1/domains/oa3/start", NULL, 202 },
        { "POST", "/v1/domains/{name}/pause", "/v1/domains/oa/pause", NULL, 200 },
        { "POST", "/v1/domains/{name}/resume", "/v1/domains/oa/resume", NULL, 200 },
        { "PUT", "/v1/domains/{name}/memory", "/v1/domains/oa/memory",
          "{\"target_mib\": 12}", 200 },
        { "PUT", "/v1/domains/{name}/autostart", "/v1/domains/oa/autostart",
          "{\"autostart\": true}", 200 },
        { "POST", "/v1/domains/{name}/reboot", "/v1/domains/oa/reboot", NULL, 200 },
        { "GET", "/v1/jobs", "/v1/jobs", NULL, 200 },
        { "GET", "/v1/jobs/{id}", job_path, NULL, 200 },
        { "DELETE", "/v1/jobs/{id}", job_path, NULL, 409 },
        { "POST", "/v1/domains/{name}/shutdown", "/v1/domains/oa3/shutdown",
          "{\"timeout\": 10}", 202 },
        { "POST", "/v1/domains/{name}/save", "/v1/domains/oa/save",
          save_body, 202 },
        { "POST", "/v1/domains/restore", "/v1/domains/restore",
          "{\"path\": \"/nonexistent/oa.save\"}", 202 },
        { "POST", "/v1/domains/{name}/migrate", "/v1/domains/oa/migrate",
          "{\"destination\": \"ftp://somewhere\"}", 400 },
        { "POST", "/v1/migrations/incoming", "/v1/migrations/incoming",
          "{\"name\": \"oa\", \"uuid\": \"x\"}", 400 },
        { "GET", "/v1/migrations/incoming/{id}",
          "/v1/migrations/incoming/0123", NULL, 404 },
        { "POST", "/v1/migrations/incoming/{id}/finish",
          "/v1/migrations/incoming/0123/finish",
          "{\"outcome\": \"abort\"}", 404 },
        { "GET", "/v1/domains/{name}/devices", "/v1/domains/oa/devices",
          NULL, 200 },
        { "POST", "/v1/domains/{name}/devices",
          "/v1/domains/oa/devices?config=true&live=false",
          "{\"disk\": {\"type\": \"file\", \"source\": \"/oa.img\", "
          "\"target\": \"vdz\"}}", 201 },
        { "DELETE", "/v1/domains/{name}/devices/{id}",
          "/v1/domains/oa/devices/vdz?config=true&live=false", NULL, 204 },
        { "POST", "/v1/domains/{name}/destroy", "/v1/domains/oa/destroy", NULL, 200 },
        { "POST", "/v1/host/shutdown", "/v1/host/shutdown",
          "{\"timeout_ms\": 30000}", 202 },
        { "GET", "/metrics", "/metrics", NULL, 200 },
        { "GET", "/v1/events", "/v1/events", NULL, 200 },
    };
    json_object *paths = jget(oa_doc(spec), "paths");
    struct resp r;
    char *c;
    size_t done = 0;

    agentd_init(&ad, "openapi");
    snprintf(save_body, sizeof(save_body),
             "{\"path\": \"%s/oa.save\", \"keep\": true}", ad.dir);
    assert_int_equal(agentd_start(&ad, NULL, NULL), 0);
    c = domain_json("oa", "counter", 16);
    r = POST(&ad, "/v1/domains?start=true", c);
    snprintf(job_path, sizeof(job_path), "/v1/jobs/%lld", jint(r.json, "id"));
    assert_string_equal(wait_job(&ad, jint(r.json, "id"), NULL), "succeeded");
    resp_free(&r);
    free(c);
    c = domain_json("oa2", "counter", 16);
    snprintf(cfg_new, sizeof(cfg_new), "%s", c);
    free(c);
    c = domain_json("oa2", "shell", 16);
    snprintf(cfg_put, sizeof(cfg_put), "%s", c);
    free(c);
    c = domain_json("oa3", "counter", 16);
    snprintf(cfg_start, sizeof(cfg_start), "%s", c);
    free(c);
    r = POST(&ad, "/v1/domains", cfg_start);
    resp_free(&r);

    for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
        struct req q = { .method = ex[i].method, .path = ex[i].path,
                         .body = ex[i].body,
                         .ctype = ex[i].body ? "application/json" : NULL };
        char m[16];
        size_t k;

        for (k = 0; ex[i].method[k]; k++)
            m[k] = (char)(ex[i].method[k] | 0x20);
        m[k] = '\0';
        assert_non_null(jget(jget(paths, ex[i].tmpl), m));
        if (!strcmp(ex[i].tmpl, "/v1/events")) {
            sse_close(sse_open(&ad, -1));     /* checks status and type */
            done++;
            continue;
        }
        assert_int_equal(http(&ad, &q, &r), 0);
        if (r.status != ex[i].status)
            fail_msg("%s %s: %ld %s", ex[i].method, ex[i].path, r.status,
                     r.body ? r.body : "");
        if (r.status == 202)
            wait_job(&ad, jint(r.json, "id"), NULL);
        resp_free(&r);
        done++;
    }
    /* Every operation of the spec had its example. */
    size_t ops = 0;
    json_object_object_foreach(paths, tmpl, item) {
        (void)tmpl;
        json_object_object_foreach(item, mm, op) {
            (void)op;
            ops += is_method(mm);
        }
    }
    assert_int_equal(done, ops);
}

static void test_nothing_undocumented(void **state)
{
    static const char *const stray[] = {
        "/", "/v1", "/v1/", "/v2/domains", "/v1/domains/oa/console",
        "/v1/domains/oa/snapshot", "/v1/domains/oa/start/now", "/metrics/",
        "/v1/host/x", "/v1/events/x", "/v1/jobs/1/x", "/openapi.yaml",
        "/v1/domain", "/V1/domains", "/v1/domains/oa/",
    };
    static const char *const upper[] = { "GET", "POST", "PUT", "DELETE",
                                         "PATCH", "HEAD", "OPTIONS" };
    json_object *paths = jget(oa_doc(spec), "paths");
    int probes = 0;

    json_object_object_foreach(paths, tmpl, item) {
        char path[128];
        size_t o = 0;

        /* Fill the template: an existing domain, an existing job. */
        for (const char *p = tmpl; *p && o < sizeof(path) - 8;) {
            if (!strncmp(p, "{name}", 6)) {
                memcpy(path + o, "oa", 2), o += 2, p += 6;
            } else if (!strncmp(p, "{id}", 4)) {
                path[o++] = '1', p += 4;
            } else {
                path[o++] = *p++;
            }
        }
        path[o] = '\0';
        for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
            struct req q = { .method = upper[i], .path = path };
            struct resp r;
            if (json_object_object_get_ex(item, methods[i], NULL) ||
                oa_operation(spec, upper[i], path, NULL))
                continue;       /* documented, here or by another template */
            assert_int_equal(http(&ad, &q, &r), 0);
            if (r.status != 405)
                fail_msg("%s %s: %ld, not 405", upper[i], path, r.status);
            resp_free(&r);
            probes++;
        }
    }
    for (size_t i = 0; i < sizeof(stray) / sizeof(stray[0]); i++) {
        struct resp r = GET(&ad, stray[i]);
        if (r.status != 404)
            fail_msg("GET %s: %ld, not 404", stray[i], r.status);
        resp_free(&r);
        probes++;
    }
    printf("# %d probes of undocumented paths and methods\n", probes);
    assert_int_equal(agentd_stop(&ad), 0);
    agentd_cleanup(&ad);
}

int main(void)
{
    const struct CMUnitTest statics[] = {
        cmocka_unit_test(test_spec_equals_routes),
        cmocka_unit_test(test_refs_resolve),
        cmocka_unit_test(test_front_refusals_documented),
        cmocka_unit_test(test_query_params_documented),
        cmocka_unit_test(test_domain_schema_is_the_field_table),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(test_every_operation_served),
        cmocka_unit_test(test_nothing_undocumented),
    };
    char why[256];
    int rc;

    rc = cmocka_run_group_tests_name("spec and routes", statics, group_setup,
                                     group_teardown);
    if (rc)
        return rc;
    if (!harness_can_run(why, sizeof(why))) {
        printf("# live checks skipped: %s\n", why);
        return 0;
    }
    curl_global_init(CURL_GLOBAL_ALL);
    rc = cmocka_run_group_tests_name("live agent", live, group_setup,
                                     group_teardown);
    printf("# %lu responses checked against schema/openapi.yaml\n",
           harness_checked);
    curl_global_cleanup();
    return rc;
}
