/*
 * test_cli_remote_fail.c - the ways a connection to hvctld goes wrong, each
 * told in one line that says what to do: bad configuration files (and a
 * relative kernel path, resolved before the agent sees it), certificates
 * nobody vouches for, tokens nobody issued, the wrong scheme for a port,
 * and no agent at all.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_harness.h"
#include "cli_harness.h"

static struct run r;
static struct agent agent;

/*
 * Bad files are refused before the agent is asked, naming the file and
 * line; a relative kernel path is taken from the current directory at
 * define time, not wherever the agent starts it from.
 */
static void bad_files(void **state)
{
    const char *prefix[] = { "-c", agent.unix_url, NULL };
    const char *bad = cli_file("remote-bad.xml", "<domain type=\"pv\">\n"
                               "<name>x</name></domain>\n");
    char want[2048], path[600], text[1024], cwd[PATH_MAX];
    const char *rel;

    (void)state;
    hvctl_prefix(prefix);
    snprintf(want, sizeof(want), "hvctl: error: define %s: %s:1: element "
             "<domain>: missing <memory>\n", bad, bad);
    RUN_FAIL(&r, 1, want, "define", bad);
    snprintf(path, sizeof(path), "%s/none.xml", cli_env.dir);
    snprintf(want, sizeof(want), "hvctl: error: create %s: %s: No such file "
             "or directory\n", path, path);
    RUN_FAIL(&r, 1, want, "create", path);

    snprintf(text, sizeof(text), "<domain type=\"pv\">\n  <name>rel</name>\n"
             "  <memory unit=\"MiB\">32</memory>\n  <os>\n    <kernel>"
             "guest/pvboot</kernel>\n    <cmdline>counter</cmdline>\n"
             "  </os>\n</domain>\n");
    rel = cli_file("rel.xml", text);
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(cli_env.dir), 0);
    snprintf(want, sizeof(want), "hvctl: error: define %s: kernel "
             "'guest/pvboot' (%s/guest/pvboot): No such file or directory\n",
             rel, cli_env.dir);
    RUN_FAIL(&r, 1, want, "define", rel);
    snprintf(path, sizeof(path), "%s/guest", cli_env.dir);
    assert_int_equal(mkdir(path, 0755), 0);
    snprintf(path, sizeof(path), "%s/guest/pvboot", cli_env.dir);
    assert_int_equal(symlink(cli_env.pvboot, path), 0);
    RUN_OK(&r, "define", rel);
    assert_int_equal(chdir("/"), 0);
    RUN_OK(&r, "dumpxml", "rel");
    snprintf(want, sizeof(want), "<kernel>%s/guest/pvboot</kernel>",
             cli_env.dir);
    assert_contains(r.out, want);
    /* ... and it starts from anywhere. */
    RUN_OK(&r, "start", "rel");
    RUN_OK(&r, "destroy", "rel");
    RUN_OK(&r, "undefine", "rel");
    assert_int_equal(chdir(cwd), 0);
    hvctl_prefix(NULL);
}

/* Certificates nobody vouches for, tokens nobody issued. */
static void bad_credentials(void **state)
{
    char want[1024], conn[128];
    const char *url = agent.https_url;

    (void)state;
    /* libhvctl names the connection; hvctl adds what its options can do. */
    snprintf(conn, sizeof(conn), "connection '%s'", url);
    /* The agent's certificate, checked against the wrong CA. */
    hvctl_runl(&r, "-c", url, "--cacert", agent.other_ca, "--token",
               agent.token, "list", NULL);
    assert_int_equal(r.status, 1);
    snprintf(want, sizeof(want), "hvctl: error: list: %s: cannot connect: "
             "SSL certificate problem: ", conn);
    assert_contains(r.err, want);
    /* ... and against the system's CAs, which never signed it. */
    hvctl_runl(&r, "-c", url, "--token", agent.token, "list", NULL);
    assert_int_equal(r.status, 1);
    assert_contains(r.err, want);
    /* A CA file that is not there. */
    hvctl_runl(&r, "-c", url, "--cacert", "/nonexistent/ca.pem", "list",
               NULL);
    assert_int_equal(r.status, 1);
    snprintf(want, sizeof(want), "hvctl: error: list: %s: cannot connect: ",
             conn);
    assert_contains(r.err, want);
    assert_contains(r.err, "/nonexistent/ca.pem");
    /* No credentials at all, a wrong token, a stranger's certificate. */
    snprintf(want, sizeof(want), "hvctl: error: list: %s: authentication "
             "required: a client certificate or 'Authorization: Bearer "
             "<token>' (give a token with --token or HVCTL_TOKEN, or a "
             "client certificate with --cert and --key)\n", conn);
    RUN_FAIL(&r, 1, want, "-c", url, "--cacert", agent.ca, "list");
    snprintf(want, sizeof(want), "hvctl: error: events: %s: authentication "
             "required: a client certificate or 'Authorization: Bearer "
             "<token>' (give a token with --token or HVCTL_TOKEN, or a "
             "client certificate with --cert and --key)\n", conn);
    RUN_FAIL(&r, 1, want, "-c", url, "--cacert", agent.ca, "events");
    snprintf(want, sizeof(want), "hvctl: error: list: %s: the bearer token "
             "is not valid (unknown or revoked)\n", conn);
    RUN_FAIL(&r, 1, want, "-c", url, "--cacert", agent.ca, "--token", "nope",
             "list");
    snprintf(want, sizeof(want), "hvctl: error: events: %s: the bearer token "
             "is not valid (unknown or revoked)\n", conn);
    RUN_FAIL(&r, 1, want, "-c", url, "--cacert", agent.ca, "--token", "nope",
             "events");
    snprintf(want, sizeof(want), "hvctl: error: list: %s: authentication "
             "required: a client certificate or 'Authorization: Bearer "
             "<token>' (hvctld did not accept the client certificate %s; "
             "give a token with --token or HVCTL_TOKEN)\n", conn,
             agent.other_cert);
    RUN_FAIL(&r, 1, want, "-c", url, "--cacert", agent.ca, "--cert",
             agent.other_cert, "--key", agent.other_key, "list");
    /* A client certificate that cannot be read. */
    hvctl_runl(&r, "-c", url, "--cacert", agent.ca, "--cert",
               "/nonexistent/c.pem", "list", NULL);
    assert_int_equal(r.status, 1);
    snprintf(want, sizeof(want), "hvctl: error: list: %s: cannot connect: "
             "could not load PEM client certificate from /nonexistent/c.pem",
             conn);
    assert_contains(r.err, want);
    /* Plain HTTP to the TLS port: say so, not "Empty reply". */
    {
        char plain[64];
        snprintf(plain, sizeof(plain), "http://127.0.0.1:%d", agent.port);
        snprintf(want, sizeof(want), "hvctl: error: list: connection '%s': "
                 "the server at 127.0.0.1:%d speaks TLS (try "
                 "https://127.0.0.1:%d)\n", plain, agent.port, agent.port);
        RUN_FAIL(&r, 1, want, "-c", plain, "list");
    }
}

/* TLS to a plain HTTP port: say so, not OpenSSL's "wrong version". */
static void tls_to_a_plain_port(void **state)
{
    struct agent plain = { .pid = -1 };
    char url[64], want[512];
    int port;

    (void)state;
    plain.pid = agent_start_plain(&port);
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
    snprintf(want, sizeof(want), "hvctl: error: list: connection '%s': the "
             "server at 127.0.0.1:%d does not speak TLS (try "
             "http://127.0.0.1:%d)\n", url, port, port);
    RUN_FAIL(&r, 1, want, "-c", url, "--cacert", agent.ca, "list");
    /* The advice works: hvctld answers (and wants a token). */
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    snprintf(want, sizeof(want), "hvctl: error: list: connection '%s': "
             "authentication required: a client certificate or "
             "'Authorization: Bearer <token>' (give a token with --token or "
             "HVCTL_TOKEN, or a client certificate with --cert and --key)\n",
             url);
    RUN_FAIL(&r, 1, want, "-c", url, "list");
    agent_stop(&plain);
}

/* Last: with the agent gone, every way of reaching it says so. */
static void agent_down(void **state)
{
    char want[1024];

    (void)state;
    agent_stop(&agent);
    snprintf(want, sizeof(want), "hvctl: error: list: connection '%s': "
             "cannot connect: No such file or directory (is hvctld "
             "running?)\n", agent.unix_url);
    RUN_FAIL(&r, 1, want, "-c", agent.unix_url, "list");
    snprintf(want, sizeof(want), "hvctl: error: list: connection '%s': "
             "cannot connect: Failed to connect to 127.0.0.1 port %d ",
             agent.https_url, agent.port);
    hvctl_runl(&r, "-c", agent.https_url, "--cacert", agent.ca, "--token",
               agent.token, "list", NULL);
    assert_int_equal(r.status, 1);
    assert_contains(r.err, want);
    hvctl_runl(&r, "-c", agent.https_url, "--cacert", agent.ca, "--token",
               agent.token, "events", NULL);
    assert_int_equal(r.status, 1);
    assert_contains(r.err, "hvctl: error: events: connection '");
    assert_contains(r.err, "': cannot connect: Failed to connect to ");
    /* Locally, running domains never need the agent: the direct driver. */
    RUN_OK(&r, "list");
    RUN_OK(&r, "version");
    assert_contains(r.out, "agent:       not running\n");
    assert_contains(r.out, " (direct driver)\n");
}

static int setup(void **state)
{
    (void)state;
    cli_env_open("remote-fail");
    agent_prepare(&agent);
    agent_start(&agent);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hvctl_prefix(NULL);
    agent_stop(&agent);
    cli_env_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bad_files),
        cmocka_unit_test(bad_credentials),
        cmocka_unit_test(tls_to_a_plain_port),
        cmocka_unit_test(agent_down),
    };

    if (!agent_domains_can_run())
        return 77;
    return cmocka_run_group_tests(tests, setup, teardown);
}
