/*
 * test_cli_same.c - a domain looks the same through every connection
 * (issue 9): the same commands through hvctl:///system (which finds the
 * agent), hvctl:///system?driver=agent and unix:///SOCKET give the same
 * bytes, and the direct driver gives the agent's bytes for running
 * domains.  Only what must differ is masked: the figures that move while
 * the commands run (CPU time, uptime, exit and event counters), the
 * connection's own name in `version`, and, for the direct driver, what
 * it cannot know (whether hvctld defined the domain).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_harness.h"
#include "cli_harness.h"

static struct run r;
static struct agent agent;

/* What moves on its own, as JSON keys, domstats keys and info labels. */
static const char *const live[] = {
    "cpu_time_ns", "uptime_ns", "exits", "events", NULL,
};
static const char *const live_labels[] = {
    "CPU time:", "Uptime:", "Exits:", "Events:", "connection:", NULL,
};
/* What the direct driver cannot know. */
static const char *const persistence[] = { "persistent", "autostart", NULL };
static const char *const persistence_labels[] = {
    "Persistent:", "Autostart:", NULL,
};

static bool in(const char *const *list, const char *s, size_t n)
{
    for (; *list; list++)
        if (strlen(*list) == n && strncmp(*list, s, n) == 0)
            return true;
    return false;
}

/* The rest of the line, hidden. */
static char *hide_rest(char *out)
{
    *out++ = '#';
    return out;
}

/*
 * The masked text: in each line, the value of a masked JSON key
 * ("key": value), domstats key (  key=value) or info label (Label: value)
 * becomes "#", and in a `list` table the CPU(s) and UPTIME columns.
 */
static char *mask(const char *text, bool direct)
{
    char *out = malloc(strlen(text) + 1), *o = out;
    const char *line = text;
    long cpu_end = -1, up_end = -1;

    assert_non_null(out);
    while (*line) {
        const char *eol = strchr(line, '\n'), *p, *q;
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        bool hidden = false;

        if ((p = strstr(line, "CPU(s)")) && p < line + len &&
            (q = strstr(line, "UPTIME")) && q < line + len) {
            cpu_end = p - line + 6;
            up_end = q - line + 6;
        } else if (cpu_end >= 10 && (long)len >= up_end) {
            memcpy(o, line, len);
            memset(o + cpu_end - 10, '#', 10);
            memset(o + up_end - 10, '#', 10);
            o += len;
            hidden = true;
        }
        p = line + strspn(line, " ");
        if (!hidden && *p == '"' && (q = memchr(p + 1, '"', len)) &&
            q[1] == ':' && (in(live, p + 1, (size_t)(q - p - 1)) ||
                            (direct && in(persistence, p + 1,
                                          (size_t)(q - p - 1))))) {
            memcpy(o, line, (size_t)(q - line) + 2);
            o = hide_rest(o + (q - line) + 2);
            hidden = true;
        }
        if (!hidden && (q = memchr(line, '=', len)) && p != q &&
            (in(live, p, (size_t)(q - p)) ||
             (direct && in(persistence, p, (size_t)(q - p))))) {
            memcpy(o, line, (size_t)(q - line) + 1);
            o = hide_rest(o + (q - line) + 1);
            hidden = true;
        }
        if (!hidden && (q = memchr(line, ':', len)) &&
            (in(live_labels, line, (size_t)(q - line + 1)) ||
             (direct && in(persistence_labels, line,
                           (size_t)(q - line + 1))))) {
            memcpy(o, line, (size_t)(q - line) + 1);
            o = hide_rest(o + (q - line) + 1);
            hidden = true;
        }
        if (!hidden) {
            memcpy(o, line, len);
            o += len;
        }
        if (!eol)
            break;
        *o++ = '\n';
        line = eol + 1;
    }
    *o = '\0';
    return out;
}

/* Run args through connection `uri` (NULL: none given); masked stdout. */
static char *through(const char *uri, const char *const *args, bool direct)
{
    const char *argv[16];
    size_t n = 0;

    if (uri) {
        argv[n++] = "-c";
        argv[n++] = uri;
    }
    for (; *args && n < 15; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    hvctl_run(&r, NULL, argv);
    if (r.status != 0)
        fail_msg("hvctl -c %s %s: status %d: %s", uri ? uri : "(none)",
                 argv[uri ? 2 : 0], r.status, r.err);
    return mask(r.out, direct);
}

static void assert_same(const char *uri_a, const char *uri_b,
                        const char *const *args, bool direct)
{
    char *a = through(uri_a, args, direct), *b = through(uri_b, args, direct);

    if (strcmp(a, b) != 0)
        fail_msg("`%s` differs:\n--- %s\n%s--- %s\n%s", args[0],
                 uri_a ? uri_a : "(default)", a, uri_b ? uri_b : "(default)",
                 b);
    free(a);
    free(b);
}

#define CMD(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void setup_domains(void)
{
    RUN_OK(&r, "define", cli_config("pweb", "counter", false, 64));
    RUN_OK(&r, "start", "pweb");
    RUN_OK(&r, "autostart", "pweb", "on");
    RUN_OK(&r, "define", cli_config("sweb", "counter", true, 48));
    /* Transient, made behind the agent's back: it sees it all the same. */
    RUN_OK(&r, "-c", "hvctl:///system?driver=direct", "create",
           cli_config("tweb", "counter", false, 0));
}

/* Every way to the agent answers every command alike. */
static void every_way_to_the_agent(void **state)
{
    static const char *const agent_uri = "hvctl:///system?driver=agent";
    const char *const *cmds[] = {
        CMD("list"), CMD("list", "--all"), CMD("list", "--json"),
        CMD("list", "--all", "--json"), CMD("list", "--persistent"),
        CMD("list", "--transient", "--json"), CMD("list", "--state",
                                                  "shutoff"),
        CMD("info", "pweb"), CMD("info", "--json", "pweb"),
        CMD("info", "sweb"), CMD("info", "--json", "sweb"),
        CMD("info", "tweb"), CMD("info", "--json", "tweb"),
        CMD("dumpxml", "pweb"), CMD("dumpxml", "--inactive", "pweb"),
        CMD("dumpjson", "sweb"), CMD("dumpxml", "tweb"),
        CMD("domstats", "pweb", "tweb"), CMD("domstats", "--json"),
        CMD("version"),
    };

    (void)state;
    setup_domains();
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        assert_same(agent_uri, agent.unix_url, cmds[i], false);
        assert_same(NULL, agent.unix_url, cmds[i], false);
    }
}

/* The direct driver and the agent show running domains alike. */
static void direct_and_agent(void **state)
{
    static const char *const direct = "hvctl:///system?driver=direct";
    const char *const *cmds[] = {
        CMD("list"), CMD("list", "--json"), CMD("list", "--name", "t*"),
        CMD("info", "tweb"), CMD("info", "--json", "tweb"),
        CMD("info", "pweb"), CMD("info", "--json", "pweb"),
        CMD("dumpxml", "tweb"), CMD("dumpjson", "tweb"),
        CMD("dumpxml", "pweb"), CMD("domstats", "tweb", "pweb"),
        CMD("domstats", "--json"),
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        assert_same(direct, agent.unix_url, cmds[i], true);
    /* The masks hide only what they must: the rest was compared. */
    {
        char *m = through(direct, CMD("info", "--json", "tweb"), true);
        assert_contains(m, "\"persistent\":#\n");
        assert_contains(m, "\"memory_current_kib\": 32768,");
        assert_contains(m, "\"cpu_time_ns\":#\n");
        free(m);
        m = through(direct, CMD("list"), true);
        assert_contains(m, "  tweb  running       1        32  ##########  "
                           "##########\n");
        free(m);
    }
}

static int setup(void **state)
{
    (void)state;
    cli_env_open("same");
    agent_prepare(&agent);
    agent_start(&agent);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    agent_stop(&agent);
    cli_env_close();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_way_to_the_agent),
        cmocka_unit_test(direct_and_agent),
    };

    if (!agent_domains_can_run())
        return 77;
    return cmocka_run_group_tests(tests, setup, teardown);
}
