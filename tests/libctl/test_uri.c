/*
 * test_uri.c - hv_conn_open_uri: which driver each URI form gets, the
 * canonical URI it reports, every malformed URI refused in one line, and
 * what the direct driver says about calls only an agent can serve.  The
 * agent driver's own behaviour is tested against a real hvctld in
 * tests/agent and tests/cli.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_assert.h"
#include "hvctl.h"

static char dir[64];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/hvctl-uri-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    setenv("HVCTL_RUNDIR", dir, 1);
    unsetenv("HVCTL_TOKEN");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rmdir(dir);
    return 0;
}

/* No agent listens in dir: hvctl:///system falls back to the direct driver. */
static void system_without_agent(void **state)
{
    const char *forms[] = { NULL, "", "hvctl:///system" };
    char want[256];
    hv_conn *c;

    (void)state;
    snprintf(want, sizeof(want), "hvctl:///system?rundir=%s", dir);
    for (size_t i = 0; i < 3; i++) {
        OK(hv_conn_open_uri(forms[i], 0, &c));
        assert_string_equal(hv_conn_get_driver(c), "direct");
        assert_string_equal(hv_conn_get_uri(c), want);
        assert_string_equal(hv_conn_get_rundir(c), dir);
        hv_conn_free(c);
    }
    /* The canonical form opens the same thing again. */
    OK(hv_conn_open_uri(want, 0, &c));
    assert_string_equal(hv_conn_get_uri(c), want);
    hv_conn_free(c);
}

static void system_params(void **state)
{
    hv_conn *c;

    (void)state;
    OK(hv_conn_open_uri("hvctl:///system?driver=direct&rundir=/tmp/a%20b%26c",
                        0, &c));
    assert_string_equal(hv_conn_get_driver(c), "direct");
    assert_string_equal(hv_conn_get_rundir(c), "/tmp/a b&c");
    assert_string_equal(hv_conn_get_uri(c),
                        "hvctl:///system?driver=direct&rundir=/tmp/a%20b%26c");
    hv_conn_free(c);
    /* hv_conn_open is the direct driver on a runtime directory. */
    OK(hv_conn_open(dir, &c));
    assert_string_equal(hv_conn_get_driver(c), "direct");
    hv_conn_free(c);
    /* driver=agent insists on the agent: nobody answers here. */
    assert_int_not_equal(hv_conn_open_uri("hvctl:///system?driver=agent", 0,
                                          &c), 0);
    assert_null(c);
}

static void malformed(void **state)
{
    static const struct { const char *uri, *why; } cases[] = {
        { "ftp://host:1", "unknown scheme (hvctl:///system, unix:///PATH, "
          "https://HOST:PORT or http://127.0.0.1:PORT)" },
        { "hvctl:///session", "expected hvctl:///system" },
        { "hvctl://system", "expected hvctl:///system" },
        { "hvctl:///system?driver=qemu", "driver= takes 'direct' or 'agent'" },
        { "hvctl:///system?cacert=x", "unknown parameter 'cacert' for this "
          "kind of connection" },
        { "hvctl:///system?rundir", "a query parameter has no '='" },
        { "hvctl:///system?rundir=", "parameter 'rundir' has an empty value" },
        { "hvctl:///system?rundir=%00", "parameter 'rundir' has a malformed "
          "value" },
        { "hvctl:///system?rundir=%4", "parameter 'rundir' has a malformed "
          "value" },
        { "hvctl:///system?rundir=/a&rundir=/b", "parameter 'rundir' given "
          "twice" },
        { "hvctl:///system#x", "fragments ('#') are not used" },
        { "unix://relative.sock", "expected unix:///ABSOLUTE/PATH" },
        { "unix:///a?cacert=x", "unknown parameter 'cacert' for this kind of "
          "connection" },
        { "https://host", "expected HOST:PORT after '//'" },
        { "https://host:", "the port is not a number from 1 to 65535" },
        { "https://host:0", "the port is not a number from 1 to 65535" },
        { "https://host:65536", "the port is not a number from 1 to 65535" },
        { "https://host:+1", "the port is not a number from 1 to 65535" },
        { "https://host:1/v1", "an agent URI has no path" },
        { "https://:1", "expected HOST:PORT after '//'" },
        { "https://h:1?rundir=/x", "unknown parameter 'rundir' for this kind "
          "of connection" },
        { "http://10.0.0.1:80", "plain http is for loopback only (127.0.0.1, "
          "[::1], localhost); use https:// for another host" },
        { "http://127.0.0.1:80?cacert=/x", "unknown parameter 'cacert' for "
          "this kind of connection" },
        /* A name that begins like a loopback address is still a name. */
        { "http://127.evil.example:80", "plain http is for loopback only "
          "(127.0.0.1, [::1], localhost); use https:// for another host" },
        { "http://127.0.0.1.evil.example:80", "plain http is for loopback "
          "only (127.0.0.1, [::1], localhost); use https:// for another "
          "host" },
    };
    hv_conn *c = (hv_conn *)1;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        expect_err(hv_conn_open_uri(cases[i].uri, 0, &c), HV_EINVAL,
                   "connection URI '%s': %s", cases[i].uri, cases[i].why);
        assert_null(c);
    }
    /* hv_uri_redact: what a program prints of a URI. */
    {
        char out[128], small[12];
        hv_uri_redact("https://h:1?cacert=/c&token=S3CRET&x=1", out, sizeof(out));
        assert_string_equal(out, "https://h:1?cacert=/c&token=***&x=1");
        hv_uri_redact("unix:///run/a?token=S3CRET", out, sizeof(out));
        assert_string_equal(out, "unix:///run/a?token=***");
        hv_uri_redact("https://h:1/token=x", out, sizeof(out));   /* a path, not a parameter */
        assert_string_equal(out, "https://h:1/token=x");
        hv_uri_redact("https://h:1?token=S3CRET", small, sizeof(small));
        assert_null(strstr(small, "S3"));
        assert_true(strlen(small) < sizeof(small));
    }
    /* A token never shows in a message, whatever else is wrong. */
    expect_err(hv_conn_open_uri("http://10.0.0.5:8443?token=S3CRET&x=1", 0,
                                &c), HV_EINVAL,
               "connection URI 'http://10.0.0.5:8443?token=***&x=1': plain "
               "http is for loopback only (127.0.0.1, [::1], localhost); use "
               "https:// for another host");
    expect_err(hv_conn_open_uri("https://h:1?token=S3CRET&token=AGAIN", 0,
                                &c), HV_EINVAL,
               "connection URI 'https://h:1?token=***&token=***': parameter "
               "'token' given twice");
    expect_err(hv_conn_open_uri(NULL, 1, &c), HV_EINVAL,
               "connection: unknown flags 0x1");
    expect_err(hv_conn_open_uri(NULL, 0, NULL), HV_EINVAL,
               "connection: no place for the result");
}

/* What only an agent can do is refused by the direct driver, saying who can. */
static void direct_cannot(void **state)
{
    hv_conn *c;
    hv_config *cfg = hv_config_new();
    hv_domlist *l = NULL;
    char uri[256];

    (void)state;
    OK(hv_conn_open_uri("hvctl:///system?driver=direct", 0, &c));
    snprintf(uri, sizeof(uri), "%s", hv_conn_get_uri(c));
    OK(hv_config_set_name(cfg, "web"));
    expect_err(hv_domain_define(c, cfg, 0, NULL), HV_ENOTSUP,
               "domain 'web': define: not possible through %s: the direct "
               "driver runs transient domains only; definitions need hvctld "
               "(hvctl:///system with hvctld running, or "
               "unix:///PATH/hvctld.sock)", uri);
    expect_err(hv_domain_list_filtered(c, HV_LIST_PERSISTENT, NULL, &l),
               HV_ENOTSUP, "listing domains by persistence: not possible "
               "through %s: the direct driver runs transient domains only; "
               "definitions need hvctld (hvctl:///system with hvctld "
               "running, or unix:///PATH/hvctld.sock)", uri);
    expect_err(hv_domain_list_filtered(c, HV_LIST_PERSISTENT |
                                       HV_LIST_TRANSIENT, NULL, &l),
               HV_EINVAL, "listing domains: a domain is persistent or "
               "transient, not both");
    expect_err(hv_domain_list_filtered(c, 1u << 20, NULL, &l), HV_EINVAL,
               "listing domains: unknown flags 0x100000");
    /* No domain runs in dir: every filter gives an empty list. */
    OK(hv_domain_list_filtered(c, HV_LIST_SHUTOFF, "w*", &l));
    assert_int_equal(hv_domlist_count(l), 0);
    hv_domlist_free(l);
    hv_config_free(cfg);
    hv_conn_free(c);
}

static void names(void **state)
{
    (void)state;
    assert_string_equal(hv_state_name(HV_STATE_SHUTOFF), "shutoff");
    assert_string_equal(hv_reason_name(HV_REASON_HVCORE_DIED), "hvcore_died");
    assert_string_equal(hv_reason_name(99), "unknown");
    assert_string_equal(hv_cause_name(HV_CAUSE_GUEST), "guest");
    assert_string_equal(hv_event_type_name(HV_EVENT_AUTOSTART_ON),
                        "autostart_on");
    assert_string_equal(hv_event_type_name(HV_EVENT_NAME_CONFLICT),
                        "name_conflict");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(system_without_agent),
        cmocka_unit_test(system_params),
        cmocka_unit_test(malformed),
        cmocka_unit_test(direct_cannot),
        cmocka_unit_test(names),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
