/*
 * http_client.c - the tests' HTTP client (libcurl), which holds every
 * answer it gets to schema/openapi.yaml, and JSON helpers.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"
#include "openapi.h"

unsigned long harness_checked;
static struct openapi *spec;

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);

    return v && *v ? v : def;
}

struct openapi *harness_spec(void)
{
    char file[512], err[1024];

    if (spec)
        return spec;
    snprintf(file, sizeof(file), "%s/schema/openapi.yaml",
             env_or("HV_SRCDIR", "."));
    spec = oa_load(file, err, sizeof(err));
    if (!spec)
        fail_msg("loading the spec: %s", err);
    return spec;
}
/* ---- HTTP ---- */

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t len = size * n;
    char *b = realloc(r->body, r->len + len + 1);

    if (!b)
        return 0;
    memcpy(b + r->len, p, len);
    r->body = b;
    r->len += len;
    b[r->len] = '\0';
    return len;
}

static void header_value(const char *line, size_t len, const char *key,
                         char *out, size_t outlen)
{
    size_t k = strlen(key);
    const char *v;
    size_t vlen;

    if (len <= k || strncasecmp(line, key, k) || line[k] != ':')
        return;
    v = line + k + 1;
    vlen = len - k - 1;
    while (vlen && (*v == ' '))
        v++, vlen--;
    while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
        vlen--;
    snprintf(out, outlen, "%.*s", (int)vlen, v);
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct resp *r = arg;
    size_t len = size * n;

    header_value(p, len, "Content-Type", r->ctype, sizeof(r->ctype));
    header_value(p, len, "Location", r->location, sizeof(r->location));
    header_value(p, len, "Allow", r->allow, sizeof(r->allow));
    header_value(p, len, "WWW-Authenticate", r->www_auth,
                 sizeof(r->www_auth));
    return len;
}

void resp_free(struct resp *r)
{
    free(r->body);
    json_object_put(r->json);
    memset(r, 0, sizeof(*r));
}

static void check_spec(const struct req *q, struct resp *r)
{
    char path[512], err[1024];

    harness_spec();
    snprintf(path, sizeof(path), "%s", q->path);
    path[strcspn(path, "?")] = '\0';
    if (!strcmp(q->method, "HEAD")) {
        /* No body comes back to check: the status must be a refusal. */
        if (r->status != 405 && r->status != 404 && r->status != 401)
            fail_msg("HEAD %s answered %ld", path, r->status);
        harness_checked++;
        return;
    }
    if (!oa_check_response(spec, q->method, path, r->status, r->ctype,
                           r->body ? r->body : "", r->len, err, sizeof(err)))
        fail_msg("openapi: %s\nbody: %.400s", err, r->body ? r->body : "");
    harness_checked++;
}

int http(struct agentd *ad, const struct req *q, struct resp *r)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    char url[512], hdr[600];
    CURLcode rc;

    memset(r, 0, sizeof(*r));
    if (!c)
        fail_msg("curl_easy_init failed");
    snprintf(url, sizeof(url), "%s%s", q->url ? q->url : "http://localhost",
             q->path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    if (!q->url)
        curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, ad->sock);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
    if (!strcmp(q->method, "HEAD"))
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    if (q->body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, q->body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(q->len ? q->len : strlen(q->body)));
    }
    h = curl_slist_append(h, "Expect:");
    if (q->ctype) {
        snprintf(hdr, sizeof(hdr), "Content-Type: %s", q->ctype);
        h = curl_slist_append(h, hdr);
    } else {
        h = curl_slist_append(h, "Content-Type:");
    }
    if (q->accept) {
        snprintf(hdr, sizeof(hdr), "Accept: %s", q->accept);
        h = curl_slist_append(h, hdr);
    }
    if (q->token) {
        snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", q->token);
        h = curl_slist_append(h, hdr);
    }
    if (q->extra_header)
        h = curl_slist_append(h, q->extra_header);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    if (q->cacert)
        curl_easy_setopt(c, CURLOPT_CAINFO, q->cacert);
    if (q->cert)
        curl_easy_setopt(c, CURLOPT_SSLCERT, q->cert);
    if (q->key)
        curl_easy_setopt(c, CURLOPT_SSLKEY, q->key);
    rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK)
        return -1;
    if (r->len && !strncmp(r->ctype, "application/json", 16))
        r->json = json_tokener_parse(r->body);
    if (!q->no_check)
        check_spec(q, r);
    return 0;
}

static struct resp simple(struct agentd *ad, const char *method,
                          const char *path, const char *json)
{
    struct req q = { .method = method, .path = path, .body = json,
                     .ctype = json ? "application/json" : NULL };
    struct resp r;

    if (http(ad, &q, &r))
        fail_msg("%s %s: no answer from hvctld (log: %s)", method, path,
                 ad->log);
    return r;
}

struct resp GET(struct agentd *ad, const char *path)
{
    return simple(ad, "GET", path, NULL);
}

struct resp POST(struct agentd *ad, const char *path, const char *json)
{
    return simple(ad, "POST", path, json);
}

struct resp PUT(struct agentd *ad, const char *path, const char *json)
{
    return simple(ad, "PUT", path, json);
}

struct resp DELETE(struct agentd *ad, const char *path)
{
    return simple(ad, "DELETE", path, NULL);
}

/* ---- JSON ---- */

json_object *jget(json_object *o, const char *dotted)
{
    char buf[256], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", dotted);
    for (char *k = strtok_r(buf, ".", &save); k && o;
         k = strtok_r(NULL, ".", &save)) {
        json_object *v = NULL;
        if (json_object_is_type(o, json_type_array))
            v = json_object_array_get_idx(o, (size_t)atoi(k));
        else if (!json_object_object_get_ex(o, k, &v))
            v = NULL;
        o = v;
    }
    return o;
}

const char *jstr(json_object *o, const char *dotted)
{
    json_object *v = jget(o, dotted);

    return v ? json_object_get_string(v) : "";
}

long long jint(json_object *o, const char *dotted)
{
    json_object *v = jget(o, dotted);

    return v ? (long long)json_object_get_int64(v) : -1;
}

char *domain_json(const char *name, const char *cmdline, unsigned mem_mib)
{
    char *s = NULL;

    if (asprintf(&s, "{\"type\": \"pv\", \"name\": \"%s\", "
                 "\"memory\": {\"max_mib\": %u, \"current_mib\": %u}, "
                 "\"vcpus\": {\"max\": 1, \"current\": 1}, "
                 "\"os\": {\"kernel\": \"%s\", \"cmdline\": \"%s\"}}",
                 name, mem_mib, mem_mib, harness_pvboot(), cmdline) < 0)
        fail_msg("out of memory");
    return s;
}

const char *wait_job(struct agentd *ad, long long id, struct resp *final)
{
    static char state[32];
    char path[64];
    double deadline = now_ms() + 30000;

    snprintf(path, sizeof(path), "/v1/jobs/%lld", id);
    while (now_ms() < deadline) {
        struct resp r = GET(ad, path);
        snprintf(state, sizeof(state), "%s", jstr(r.json, "state"));
        if (strcmp(state, "running") != 0) {
            if (final)
                *final = r;
            else
                resp_free(&r);
            return state;
        }
        resp_free(&r);
        usleep(5000);
    }
    fail_msg("job %lld still running after 30 s", id);
    return NULL;
}

bool wait_state(struct agentd *ad, const char *name, const char *state,
                int timeout_ms)
{
    char path[128];
    double deadline = now_ms() + timeout_ms;

    snprintf(path, sizeof(path), "/v1/domains/%s", name);
    do {
        struct resp r = GET(ad, path);
        bool ok = r.status == 200 && !strcmp(jstr(r.json, "state"), state);
        resp_free(&r);
        if (ok)
            return true;
        usleep(10000);
    } while (now_ms() < deadline);
    return false;
}

void start_domain(struct agentd *ad, const char *name)
{
    char path[96];
    struct resp r;

    snprintf(path, sizeof(path), "/v1/domains/%s/start", name);
    r = POST(ad, path, NULL);
    assert_int_equal(r.status, 202);
    assert_string_equal(wait_job(ad, jint(r.json, "id"), NULL), "succeeded");
    resp_free(&r);
}

void expect_error(const struct resp *r, long status, const char *code,
                  const char *message)
{
    if (r->status != status || strcmp(jstr(r->json, "error.code"), code) ||
        (message && strcmp(jstr(r->json, "error.message"), message)))
        fail_msg("expected %ld %s '%s', got %ld %s", status, code,
                 message ? message : "", r->status, r->body ? r->body : "");
}

void define_domain(struct agentd *ad, const char *name, const char *cmdline,
                   unsigned mem_mib)
{
    char *cfg = domain_json(name, cmdline, mem_mib);
    struct resp r = POST(ad, "/v1/domains", cfg);

    if (r.status != 201)
        fail_msg("define %s: %ld %s", name, r.status, r.body);
    resp_free(&r);
    free(cfg);
}

void destroy_domain(struct agentd *ad, const char *name)
{
    char path[96];
    struct resp r;

    snprintf(path, sizeof(path), "/v1/domains/%s/destroy", name);
    r = POST(ad, path, NULL);
    if (r.status != 200)
        fail_msg("destroy %s: %ld %s", name, r.status, r.body);
    resp_free(&r);
}

const char *list_names(struct agentd *ad, const char *query)
{
    static char out[1024];
    char path[256];
    struct resp r;
    json_object *arr;
    size_t o = 0;

    snprintf(path, sizeof(path), "/v1/domains?%s", query);
    r = GET(ad, path);
    if (r.status != 200)
        fail_msg("GET %s: %ld %s", path, r.status, r.body);
    arr = jget(r.json, "domains");
    out[0] = '\0';
    for (size_t i = 0; i < json_object_array_length(arr); i++)
        o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s", o ? "," : "",
                              jstr(json_object_array_get_idx(arr, i),
                                   "name"));
    resp_free(&r);
    return out;
}
