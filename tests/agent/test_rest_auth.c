/*
 * test_rest_auth.c - who may talk to hvctld over TCP.  The test makes its
 * own CA, server and client certificates (openssl(1)), and tokens with
 * `hvctld token`:
 *   - plain TCP is refused unless loopback + --insecure;
 *   - over TLS, no credentials or a bad token is 401 (before routing: no
 *     path is revealed), a read-only token may only GET (403), an admin
 *     token or a client certificate from --tls-ca may do anything, a
 *     certificate from another CA counts for nothing, a revoked token
 *     stops working at once;
 *   - the database holds token hashes, never the secrets.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"

static struct agentd ad;
static char pki[160], url[64], port[8];
static char admin[80], reader[80];
static char ca[200], cli_crt[200], cli_key[200], rogue_crt[200], rogue_key[200];

/* A CA, a server certificate for 127.0.0.1, a client, a rogue client. */
static void make_pki(void)
{
    char cmd[4096];

    snprintf(pki, sizeof(pki), "%s/pki", ad.dir);
    snprintf(cmd, sizeof(cmd),
        "set -e; mkdir -p %1$s; cd %1$s\n"
        "k='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
        "openssl req -x509 $k -keyout ca.key -out ca.crt -days 2 "
        "  -subj /CN=hvctl-test-ca 2>/dev/null\n"
        "openssl req -x509 $k -keyout rogue-ca.key -out rogue-ca.crt -days 2 "
        "  -subj /CN=rogue-ca 2>/dev/null\n"
        "printf 'subjectAltName=IP:127.0.0.1\\n' > srv.ext\n"
        "printf 'extendedKeyUsage=clientAuth\\n' > cli.ext\n"
        "for c in srv:ca cli:ca rogue:rogue-ca; do n=${c%%:*}; a=${c#*:}\n"
        "  openssl req $k -keyout $n.key -out $n.csr -subj /CN=$n 2>/dev/null\n"
        "  e=cli.ext; [ $n = srv ] && e=srv.ext\n"
        "  openssl x509 -req -in $n.csr -CA $a.crt -CAkey $a.key "
        "    -CAcreateserial -out $n.crt -days 2 -extfile $e 2>/dev/null\n"
        "done\n", pki);
    if (system(cmd) != 0)
        fail_msg("openssl could not make the test certificates");
    snprintf(ca, sizeof(ca), "%s/ca.crt", pki);
    snprintf(cli_crt, sizeof(cli_crt), "%s/cli.crt", pki);
    snprintf(cli_key, sizeof(cli_key), "%s/cli.key", pki);
    snprintf(rogue_crt, sizeof(rogue_crt), "%s/rogue.crt", pki);
    snprintf(rogue_key, sizeof(rogue_key), "%s/rogue.key", pki);
}

static void make_token(const char *name, bool ro, char *out, size_t len)
{
    const char *args[] = { "token", "create", name, "--db", ad.db,
                           ro ? "--read-only" : NULL, NULL };

    assert_int_equal(run_hvctld(out, len, args), 0);
    out[strcspn(out, "\n")] = '\0';
    assert_int_equal(strlen(out), 47);
}

static int group_setup(void **state)
{
    agentd_init(&ad, "auth");
    make_pki();
    harness_free_port(port, sizeof(port));
    make_token("admin", false, admin, sizeof(admin));
    make_token("reader", true, reader, sizeof(reader));
    snprintf(url, sizeof(url), "https://127.0.0.1:%s", port);
    return 0;
}

static int group_teardown(void **state)
{
    if (ad.pid)
        agentd_stop(&ad);
    agentd_cleanup(&ad);
    return 0;
}

/* A request over TLS with the given credentials. */
static struct resp tls(const char *method, const char *path,
                       const char *token, bool cert, bool rogue)
{
    struct req q = { .method = method, .path = path, .url = url,
                     .cacert = ca, .token = token };
    struct resp r;

    if (cert) {
        q.cert = rogue ? rogue_crt : cli_crt;
        q.key = rogue ? rogue_key : cli_key;
    }
    if (!strcmp(method, "POST") && !strcmp(path, "/v1/domains")) {
        static char *cfg;
        static int n;
        char name[16];
        free(cfg);
        snprintf(name, sizeof(name), "d%d", n++);
        cfg = domain_json(name, "counter", 16);
        q.body = cfg;
        q.ctype = "application/json";
    }
    if (http(&ad, &q, &r))
        fail_msg("%s %s over TLS: no answer", method, path);
    return r;
}

static void expect_status(struct resp r, long status)
{
    if (r.status != status)
        fail_msg("expected %ld, got %ld %s", status, r.status,
                 r.body ? r.body : "");
    resp_free(&r);
}

static void test_plain_tcp_refused(void **state)
{
    char listen_any[32];
    const char *any[] = { "--db", ad.db, "--rundir", ad.rundir, "--listen",
                          listen_any, NULL };
    const char *any_insecure[] = { "--db", ad.db, "--rundir", ad.rundir,
                                   "--listen", listen_any, "--insecure", NULL };
    const char *insecure[] = { "--insecure", NULL };
    struct req q = { .method = "GET", .path = "/v1/host" };
    struct resp r;

    snprintf(listen_any, sizeof(listen_any), "0.0.0.0:%s", port);
    assert_int_equal(run_hvctld(NULL, 0, any), 2);
    assert_int_equal(run_hvctld(NULL, 0, any_insecure), 2);

    /* Loopback and --insecure: plain HTTP, but still a token. */
    assert_int_equal(agentd_start_tcp(&ad, insecure, port, sizeof(port)), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%s", port);
    q.url = url;
    assert_int_equal(http(&ad, &q, &r), 0);
    assert_int_equal(r.status, 401);
    resp_free(&r);
    q.token = reader;
    assert_int_equal(http(&ad, &q, &r), 0);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_int_equal(agentd_stop(&ad), 0);
    snprintf(url, sizeof(url), "https://127.0.0.1:%s", port);
}

static void test_tls(void **state)
{
    char crt[200], key[200];
    const char *args[] = { "--tls-cert", crt, "--tls-key", key,
                           "--tls-ca", ca, NULL };
    struct resp r;

    snprintf(crt, sizeof(crt), "%s/srv.crt", pki);
    snprintf(key, sizeof(key), "%s/srv.key", pki);
    assert_int_equal(agentd_start_tcp(&ad, args, port, sizeof(port)), 0);
    snprintf(url, sizeof(url), "https://127.0.0.1:%s", port);

    /* Nobody: 401, even for a path that does not exist. */
    r = tls("GET", "/v1/domains", NULL, false, false);
    assert_int_equal(r.status, 401);
    assert_string_equal(jstr(r.json, "error.code"), "unauthorized");
    assert_string_equal(r.www_auth, "Bearer realm=\"hvctld\"");
    resp_free(&r);
    expect_status(tls("GET", "/v1/secret", NULL, false, false), 401);
    expect_status(tls("GET", "/v1/domains", "hvt_nottherighttoken", false,
                      false), 401);

    /* A read-only token reads. */
    expect_status(tls("GET", "/v1/domains", reader, false, false), 200);
    expect_status(tls("GET", "/metrics", reader, false, false), 200);
    r = tls("POST", "/v1/domains", reader, false, false);
    assert_int_equal(r.status, 403);
    assert_string_equal(jstr(r.json, "error.code"), "forbidden");
    assert_string_equal(jstr(r.json, "error.message"),
                        "token:reader: this token is read-only");
    resp_free(&r);
    expect_status(tls("DELETE", "/v1/jobs/1", reader, false, false), 403);

    /* An admin token, or a client certificate of the CA, may do all. */
    expect_status(tls("POST", "/v1/domains", admin, false, false), 201);
    expect_status(tls("POST", "/v1/domains", NULL, true, false), 201);
    /* A certificate of another CA proves nothing. */
    expect_status(tls("GET", "/v1/domains", NULL, true, true), 401);
    expect_status(tls("GET", "/v1/domains", reader, true, true), 200);
}

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
    (void)p;
    (void)arg;
    return size * n;
}

/*
 * A client that reconnects resumes its TLS session (curl does within a
 * handle, as most HTTP clients do).  With --tls-ca the server must still
 * complete that handshake, for a certificate client and a token client.
 */
static void test_tls_resume(void **state)
{
    char target[128], auth[128];

    snprintf(target, sizeof(target), "%s/v1/host", url);
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", reader);
    for (int withcert = 0; withcert < 2; withcert++) {
        struct curl_slist *h = NULL;
        CURL *c = curl_easy_init();

        assert_non_null(c);
        if (!withcert)
            h = curl_slist_append(NULL, auth);
        curl_easy_setopt(c, CURLOPT_URL, target);
        curl_easy_setopt(c, CURLOPT_CAINFO, ca);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
        /* A new connection each time, so the second one resumes. */
        curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
        curl_easy_setopt(c, CURLOPT_SSL_SESSIONID_CACHE, 1L);
        if (withcert) {
            curl_easy_setopt(c, CURLOPT_SSLCERT, cli_crt);
            curl_easy_setopt(c, CURLOPT_SSLKEY, cli_key);
        }
        for (int i = 0; i < 3; i++) {
            long status = 0;
            CURLcode rc = curl_easy_perform(c);

            if (rc != CURLE_OK)
                fail_msg("connection %d (%s): %s", i + 1,
                         withcert ? "certificate" : "token",
                         curl_easy_strerror(rc));
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
            assert_int_equal(status, 200);
        }
        curl_easy_cleanup(c);
        curl_slist_free_all(h);
    }
}

static void test_revoke_and_storage(void **state)
{
    const char *revoke[] = { "token", "revoke", "admin", "--db", ad.db, NULL };
    const char *again[] = { "token", "revoke", "admin", "--db", ad.db, NULL };
    const char *list[] = { "token", "list", "--db", ad.db, NULL };
    const char *dup[] = { "token", "create", "reader", "--db", ad.db, NULL };
    const char *badname[] = { "token", "create", "a b", "--db", ad.db, NULL };
    char out[1024], cmd[512];

    expect_status(tls("GET", "/v1/host", admin, false, false), 200);
    assert_int_equal(run_hvctld(NULL, 0, revoke), 0);
    expect_status(tls("GET", "/v1/host", admin, false, false), 401);
    assert_int_equal(run_hvctld(NULL, 0, again), 1);
    assert_int_equal(run_hvctld(out, sizeof(out), list), 0);
    assert_non_null(strstr(out, "reader                   read-only"));
    assert_null(strstr(out, "admin "));
    assert_int_equal(run_hvctld(NULL, 0, dup), 1);
    assert_int_equal(run_hvctld(NULL, 0, badname), 2);

    /* Neither secret is anywhere in the database files. */
    snprintf(cmd, sizeof(cmd), "cat %s* | grep -qaF -e %s -e %s", ad.db,
             admin, reader);
    assert_int_not_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_tcp_refused),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_tls_resume),
        cmocka_unit_test(test_revoke_and_storage),
    };
    if (system("openssl version >/dev/null 2>&1") != 0) {
        printf("SKIP: no openssl(1) to make test certificates\n");
        return 77;
    }
    return HARNESS_MAIN(tests, group_setup, group_teardown);
}
