/*
 * fuzz_agent.c - see fuzz_agent.h.
 */
#include <arpa/inet.h>
#include <ftw.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "auth.h"
#include "fuzz_agent.h"
#include "fuzz_check.h"
#include "jobs.h"
#include "log.h"
#include "options.h"
#include "rest_local.h"
#include "store.h"

static struct agent agent;
static struct agent_opts opts;
static bool started;
static char tmpdir[256], rundir[300], dbpath[300], sockpath[300];
static int tcp_port;

static int rm_one(const char *path, const struct stat *st, int flag,
                  struct FTW *ftw)
{
    (void)st; (void)flag; (void)ftw;
    return remove(path);
}

static void remove_tmpdir(void)
{
    nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* A loopback port free a moment ago (the agent binds it next). */
static int free_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    FUZZ_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
               getsockname(fd, (struct sockaddr *)&sa, &len) == 0,
               "no free loopback port");
    port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static void add_tokens(void)
{
    static const struct { const char *name, *secret; enum store_role role; }
    t[] = { { "admin", FUZZ_ADMIN_SECRET, STORE_ROLE_ADMIN },
            { "reader", FUZZ_READER_SECRET, STORE_ROLE_READONLY } };
    struct store *st;
    char err[512];

    FUZZ_CHECK(store_open(dbpath, &st, err, sizeof(err)) == 0, "%s", err);
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        unsigned char hash[32];

        auth_token_hash(t[i].secret, strlen(t[i].secret), hash);
        FUZZ_CHECK(store_token_add(st, t[i].name, hash, t[i].role) == 0,
                   "token %s: %s", t[i].name, store_errmsg(st));
    }
    store_close(st);
}

struct agent *fuzz_agent(void)
{
    /* tmpfs when there is one: every definition is a database write. */
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    char listen[64], err[512];
    char *argv[] = { "hvctld", "--db", dbpath, "--rundir", rundir,
                     "--socket", sockpath, "--listen", listen, "--insecure",
                     "--no-autostart", "--workers", "2",
                     "--refresh-interval", "3600000",
                     "--event-log-max", "1000", NULL };

    if (started)
        return &agent;
    snprintf(tmpdir, sizeof(tmpdir), "%s/hvctl-fuzz.XXXXXX", base);
    FUZZ_CHECK(mkdtemp(tmpdir), "mkdtemp %s", tmpdir);
    atexit(remove_tmpdir);
    snprintf(rundir, sizeof(rundir), "%s/run", tmpdir);
    snprintf(dbpath, sizeof(dbpath), "%s/hvctl.db", tmpdir);
    snprintf(sockpath, sizeof(sockpath), "%s/hvctld.sock", tmpdir);
    tcp_port = free_port();
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", tcp_port);
    setenv("HVCORE_PATH", "/nonexistent/hvcore", 1);
    FUZZ_CHECK(opts_parse((int)(sizeof(argv) / sizeof(argv[0])) - 1, argv,
                          &opts, stderr, err, sizeof(err)) == OPTS_RUN,
               "options: %s", err);
    add_tokens();
    /* The port may have been taken since free_port(): then another. */
    for (int tries = 1; agent_start(&agent, &opts) != 0; tries++) {
        agent_stop(&agent);
        FUZZ_CHECK(tries < 5, "the agent did not start");
        tcp_port = free_port();
        snprintf(opts.listen[0].port, sizeof(opts.listen[0].port), "%d",
                 tcp_port);
    }
    log_set_level((enum log_level)0);       /* silence: not even errors */
    started = true;
    return &agent;
}

const char *fuzz_agent_socket(void)
{
    return sockpath;
}

int fuzz_agent_tcp_port(void)
{
    return tcp_port;
}

void fuzz_agent_reset(void)
{
    char names[64][64];
    size_t n = 0;

    while (jobs_running(agent.jobs))
        event_base_loop(agent.base, EVLOOP_ONCE);
    for (size_t i = 0; i < agent.doms.n && n < 64; i++)
        snprintf(names[n++], sizeof(names[0]), "%s", agent.doms.v[i]->name);
    for (size_t i = 0; i < n; i++) {
        struct rest_local_reply r;
        char uri[128];

        snprintf(uri, sizeof(uri), "/v1/domains/%s", names[i]);
        FUZZ_CHECK(rest_local_request(&agent, TR_UNIX, M_DELETE, uri, NULL,
                                      NULL, 0, &r) == 0, "DELETE %s", uri);
        FUZZ_CHECK(r.status == 204, "DELETE %s: %d\n%s", uri, r.status,
                   r.body);
        rest_local_reply_free(&r);
    }
    FUZZ_CHECK(agent.doms.n == 0, "%zu domains left after undefining all",
               agent.doms.n);
}
