/*
 * agent_bench.c - hvctld benchmarks for `make bench` (issue 4).
 *
 *   GET /v1/domains, 10 domains, keep-alive:
 *     plain loopback HTTP (--insecure)   wrk      >= 40,000 req/s, p99 < 2 ms
 *     loopback TCP + TLS                 wrk
 *     the Unix socket                    this program's own load generator
 *                                        (wrk cannot connect to a Unix
 *                                        socket); the same loop also runs
 *                                        against the plain TCP port, so the
 *                                        two transports compare like for like
 *   POST pause / resume on 10 domains, 10 clients in parallel (Unix socket)
 *
 * Every figure is the median of RUNS runs.  The domains run pvboot `shell`,
 * which idles until typed at: a host's usual domain, and one that leaves
 * the CPUs to the agent and the load generator.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hvctl.h"

#define RUNS 3
#define DOMAINS 10
#define CONNS 8                 /* keep-alive connections of a load run */
#define LOAD_S 5
#define PAUSE_S 3

static char dir[64], db[128], rundir[128], sock[160], token[80];
static char pki[128], tcp_port[8], tls_port[8];
static pid_t agent;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void cleanup(void);

static void die(const char *what)
{
    fprintf(stderr, "agent_bench: %s\n", what);
    cleanup();
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- a minimal HTTP/1.1 keep-alive client ---- */

static int connect_to(const char *port)
{
    int fd, one = 1;

    if (!port) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", sock);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
            die("cannot connect to the agent's socket");
        return fd;
    }
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)atoi(port)) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
        die("cannot connect to the agent's TCP port");
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static size_t request(char *buf, size_t len, const char *method,
                      const char *path, bool auth)
{
    return (size_t)snprintf(buf, len, "%s %s HTTP/1.1\r\nHost: bench\r\n"
                            "%s%s%s%s\r\n", method, path,
                            auth ? "Authorization: Bearer " : "",
                            auth ? token : "", auth ? "\r\n" : "",
                            strcmp(method, "POST") ? ""
                                                   : "Content-Length: 0\r\n");
}

struct conn {
    int fd;
    char in[8192];
    size_t len;
    double sent;
};

/* A whole response in c->in?  Its status, and consume it; 0 if not yet. */
static int take_response(struct conn *c)
{
    char *end = memmem(c->in, c->len, "\r\n\r\n", 4), *cl;
    size_t head, body = 0, total;
    int status;

    if (!end)
        return 0;
    head = (size_t)(end - c->in) + 4;
    cl = memmem(c->in, head, "Content-Length: ", 16);
    if (cl)
        body = strtoul(cl + 16, NULL, 10);
    total = head + body;
    if (c->len < total)
        return 0;
    status = atoi(c->in + 9);
    if (status != 200 && getenv("AGENT_BENCH_DEBUG"))
        fprintf(stderr, "%.*s\n", (int)total, c->in);
    memmove(c->in, c->in + total, c->len - total);
    c->len -= total;
    return status;
}

/* Latencies: 10 us buckets up to 100 ms. */
#define HBUCKETS 10000
struct hist {
    uint64_t b[HBUCKETS + 1];
    uint64_t n;
};

static void hist_add(struct hist *h, double s)
{
    size_t i = (size_t)(s * 1e5);

    h->b[i < HBUCKETS ? i : HBUCKETS]++;
    h->n++;
}

static double hist_pct(const struct hist *h, double p)
{
    uint64_t want = (uint64_t)(p * (double)h->n), seen = 0;

    for (size_t i = 0; i <= HBUCKETS; i++)
        if ((seen += h->b[i]) >= want && seen)
            return (double)(i + 1) * 1e-5;
    return 0;
}

/* GET /v1/domains on CONNS keep-alive connections for LOAD_S seconds, one
 * request in flight per connection (as wrk does). */
static void load(const char *port, double *rps, double *p99)
{
    struct conn c[CONNS];
    struct hist *h = calloc(1, sizeof(*h));
    char req[256];
    size_t rlen = request(req, sizeof(req), "GET", "/v1/domains", port != NULL);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    double start = now_s(), end = start + LOAD_S;
    uint64_t done = 0;

    for (int i = 0; i < CONNS; i++) {
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        c[i].fd = connect_to(port);
        c[i].len = 0;
        epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev);
        c[i].sent = now_s();
        if (write(c[i].fd, req, rlen) != (ssize_t)rlen)
            die("write");
    }
    while (now_s() < end) {
        struct epoll_event evs[CONNS];
        int n = epoll_wait(ep, evs, CONNS, 100);

        for (int k = 0; k < n; k++) {
            struct conn *cc = &c[evs[k].data.u32];
            ssize_t r = read(cc->fd, cc->in + cc->len, sizeof(cc->in) - cc->len);
            int status;
            if (r <= 0)
                die("the agent closed a keep-alive connection");
            cc->len += (size_t)r;
            while ((status = take_response(cc))) {
                double t = now_s();
                if (status != 200)
                    die("GET /v1/domains did not answer 200");
                hist_add(h, t - cc->sent);
                done++;
                cc->sent = t;
                if (write(cc->fd, req, rlen) != (ssize_t)rlen)
                    die("write");
            }
        }
    }
    *rps = (double)done / (now_s() - start);
    *p99 = hist_pct(h, 0.99) * 1e3;
    for (int i = 0; i < CONNS; i++)
        close(c[i].fd);
    close(ep);
    free(h);
}

/* ---- pause / resume in parallel ---- */

struct pauser {
    int i;
    uint64_t ops;
    struct hist h;
};

static void *pause_loop(void *arg)
{
    struct pauser *p = arg;
    struct conn c = { .fd = connect_to(NULL) };
    char req[2][160], path[64];
    size_t len[2];
    double end = now_s() + PAUSE_S;

    snprintf(path, sizeof(path), "/v1/domains/b%d/pause", p->i);
    len[0] = request(req[0], sizeof(req[0]), "POST", path, false);
    snprintf(path, sizeof(path), "/v1/domains/b%d/resume", p->i);
    len[1] = request(req[1], sizeof(req[1]), "POST", path, false);
    /* Stops after a resume, so the next run starts from running. */
    for (int k = 0; k || now_s() < end; k ^= 1) {
        int status = 0;
        c.sent = now_s();
        if (write(c.fd, req[k], len[k]) != (ssize_t)len[k])
            die("write");
        while (!status) {
            ssize_t r = read(c.fd, c.in + c.len, sizeof(c.in) - c.len);
            if (r <= 0)
                die("the agent closed a connection");
            c.len += (size_t)r;
            status = take_response(&c);
        }
        if (status != 200) {
            fprintf(stderr, "agent_bench: %.*s\n", (int)strcspn(req[k], "\r"),
                    req[k]);
            die("pause/resume did not answer 200");
        }
        hist_add(&p->h, now_s() - c.sent);
        p->ops++;
    }
    close(c.fd);
    return NULL;
}

static void pause_resume(double *ops, double *p50, double *p99)
{
    struct pauser *p = calloc(DOMAINS, sizeof(*p));
    struct hist *all = calloc(1, sizeof(*all));
    pthread_t t[DOMAINS];
    double start = now_s();
    uint64_t total = 0;

    for (int i = 0; i < DOMAINS; i++) {
        p[i].i = i;
        pthread_create(&t[i], NULL, pause_loop, &p[i]);
    }
    for (int i = 0; i < DOMAINS; i++) {
        pthread_join(t[i], NULL);
        total += p[i].ops;
        for (size_t b = 0; b <= HBUCKETS; b++)
            all->b[b] += p[i].h.b[b];
        all->n += p[i].h.n;
    }
    *ops = (double)total / (now_s() - start);
    *p50 = hist_pct(all, 0.5) * 1e3;
    *p99 = hist_pct(all, 0.99) * 1e3;
    free(p);
    free(all);
}

/* ---- wrk ---- */

/* wrk's "99%    1.23ms" in ms; "Requests/sec: 12345.67". */
static double wrk_time(const char *s)
{
    char *end;
    double v = strtod(s, &end);

    return !strncmp(end, "us", 2) ? v / 1e3 : !strncmp(end, "ms", 2) ? v
           : v * 1e3;
}

static bool wrk(const char *url, double *rps, double *p99)
{
    char cmd[512], line[256];
    FILE *f;
    bool got = false;

    snprintf(cmd, sizeof(cmd), "wrk -t1 -c%d -d%ds --latency -H "
             "'Authorization: Bearer %s' %s/v1/domains 2>&1", CONNS, LOAD_S,
             token, url);
    f = popen(cmd, "r");
    if (!f)
        return false;
    while (fgets(line, sizeof(line), f)) {
        char *p = line;
        while (*p == ' ')
            p++;
        if (!strncmp(p, "99%", 3))
            *p99 = wrk_time(p + 3 + strspn(p + 3, " "));
        if (!strncmp(p, "Requests/sec:", 13)) {
            *rps = strtod(p + 13, NULL);
            got = true;
        }
        if (strstr(p, "Non-2xx"))
            die("wrk saw non-2xx answers");
    }
    return pclose(f) == 0 && got;
}

/* ---- the agent ---- */

static void run(const char *cmd)
{
    if (system(cmd) != 0) {
        fprintf(stderr, "agent_bench: failed: %s\n", cmd);
        die("setup");
    }
}

static bool answers(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    char buf[16];
    bool ok;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.100s", sock);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
         write(fd, "GET /v1/host HTTP/1.0\r\n\r\n", 25) == 25 &&
         read(fd, buf, sizeof(buf)) > 0;
    close(fd);
    return ok;
}

static void start_agent(bool tls)
{
    char listen[32], crt[160], key[160];
    const char *hvctld = getenv("HVCTLD");

    snprintf(listen, sizeof(listen), "127.0.0.1:%s", tls ? tls_port : tcp_port);
    snprintf(crt, sizeof(crt), "%s/srv.crt", pki);
    snprintf(key, sizeof(key), "%s/srv.key", pki);
    agent = fork();
    if (agent == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        if (tls)
            execl(hvctld, hvctld, "--db", db, "--rundir", rundir, "-q",
                  "--listen", listen, "--tls-cert", crt, "--tls-key", key,
                  (char *)NULL);
        else
            execl(hvctld, hvctld, "--db", db, "--rundir", rundir, "-q",
                  "--listen", listen, "--insecure", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 1000 && !answers(); i++)
        usleep(10000);
    if (!answers())
        die("hvctld did not start");
}

static void stop_agent(void)
{
    kill(agent, SIGTERM);
    waitpid(agent, NULL, 0);
    agent = 0;
}

static void free_port(char out[8])
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&sa, len);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    snprintf(out, 8, "%u", ntohs(sa.sin_port));
    close(fd);
}

static void setup(void)
{
    const char *hvctld = getenv("HVCTLD"), *pvboot = getenv("PVBOOT");
    char cmd[1024];
    FILE *f;

    snprintf(dir, sizeof(dir), "/tmp/hvctld-bench.XXXXXX");
    if (!mkdtemp(dir))
        die("mkdtemp");
    snprintf(db, sizeof(db), "%s/hvctl.db", dir);
    snprintf(rundir, sizeof(rundir), "%s/run", dir);
    snprintf(sock, sizeof(sock), "%s/run/hvctld.sock", dir);
    snprintf(pki, sizeof(pki), "%s/pki", dir);
    snprintf(cmd, sizeof(cmd), "%s token create bench --db %s 2>/dev/null",
             hvctld, db);
    f = popen(cmd, "r");
    if (!f || !fgets(token, sizeof(token), f))
        die("hvctld token create");
    pclose(f);
    token[strcspn(token, "\n")] = '\0';
    snprintf(cmd, sizeof(cmd), "set -e; mkdir -p %1$s; cd %1$s; "
             "printf 'subjectAltName=IP:127.0.0.1\\n' > ext; "
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
             "-nodes -keyout srv.key -out srv.crt -days 2 -subj /CN=127.0.0.1 "
             "-addext subjectAltName=IP:127.0.0.1 2>/dev/null", pki);
    run(cmd);
    free_port(tcp_port);
    free_port(tls_port);
    start_agent(false);
    for (int i = 0; i < DOMAINS; i++) {
        snprintf(cmd, sizeof(cmd), "curl -sf --unix-socket %s -H "
                 "'Content-Type: application/json' -o /dev/null "
                 "'http://x/v1/domains?start=true' -d '{\"type\": \"pv\", "
                 "\"name\": \"b%d\", \"memory\": {\"max_mib\": 16}, "
                 "\"os\": {\"kernel\": \"%s\", \"cmdline\": \"shell\"}}'",
                 sock, i, pvboot);
        run(cmd);
    }
    /* Wait for all of them to run (the starts are jobs). */
    for (int tries = 0; tries < 500; tries++) {
        snprintf(cmd, sizeof(cmd), "test $(curl -s --unix-socket %s "
                 "http://x/v1/domains | grep -o '\"state\":\"running\"' | "
                 "wc -l) -eq %d", sock, DOMAINS);
        if (system(cmd) == 0)
            return;
        usleep(10000);
    }
    die("the domains did not start");
}

/* Leave nothing behind: the agent, its domains, the directory. */
static void cleanup(void)
{
    static bool done;
    hv_conn *conn;
    hv_domlist *list;
    char cmd[160];

    if (done || !dir[0])
        return;
    done = true;
    if (agent > 0)
        stop_agent();
    if (hv_conn_open(rundir, &conn) == 0) {
        if (hv_domain_list(conn, &list) == 0) {
            for (size_t i = 0; i < hv_domlist_count(list); i++) {
                hv_domain *d;
                if (!hv_domain_lookup_by_id(conn, hv_domain_info_get_id(
                                                hv_domlist_get(list, i)), &d)) {
                    hv_domain_destroy(d, 0);
                    hv_domain_free(d);
                }
            }
            hv_domlist_free(list);
        }
        hv_conn_free(conn);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd))
        fprintf(stderr, "agent_bench: could not remove %s\n", dir);
}

int main(void)
{
    double rps[RUNS], p99[RUNS], ops[RUNS], p50[RUNS];
    double r_tcp, l_tcp, r_tls = 0, l_tls = 0, r_unix, l_unix, r_own, l_own;
    double r_pause, l50, l99;
    bool have_wrk = system("wrk --version >/dev/null 2>&1") == 0 ||
                    system("command -v wrk >/dev/null") == 0;
    char url[64];

    if (!getenv("HVCTLD") || !getenv("PVBOOT") || !getenv("HVCORE") ||
        access("/dev/kvm", R_OK | W_OK)) {
        printf("agent_bench: skipped: needs $HVCTLD, $PVBOOT, $HVCORE and "
               "/dev/kvm\n");
        return 0;
    }
    setenv("HVCORE_PATH", getenv("HVCORE"), 1);
    signal(SIGPIPE, SIG_IGN);
    setup();

    snprintf(url, sizeof(url), "http://127.0.0.1:%s", tcp_port);
    for (int i = 0; i < RUNS && have_wrk; i++)
        if (!wrk(url, &rps[i], &p99[i]))
            die("wrk failed");
    r_tcp = have_wrk ? median(rps, RUNS) : 0;
    l_tcp = have_wrk ? median(p99, RUNS) : 0;
    for (int i = 0; i < RUNS; i++)
        load(tcp_port, &rps[i], &p99[i]);
    r_own = median(rps, RUNS);
    l_own = median(p99, RUNS);
    for (int i = 0; i < RUNS; i++)
        load(NULL, &rps[i], &p99[i]);
    r_unix = median(rps, RUNS);
    l_unix = median(p99, RUNS);
    for (int i = 0; i < RUNS; i++)
        pause_resume(&ops[i], &p50[i], &p99[i]);
    r_pause = median(ops, RUNS);
    l50 = median(p50, RUNS);
    l99 = median(p99, RUNS);

    /* The same agent state behind a TLS listener: a restart re-adopts the
     * domains. */
    stop_agent();
    start_agent(true);
    snprintf(url, sizeof(url), "https://127.0.0.1:%s", tls_port);
    for (int i = 0; i < RUNS && have_wrk; i++)
        if (!wrk(url, &rps[i], &p99[i]))
            die("wrk (TLS) failed");
    if (have_wrk) {
        r_tls = median(rps, RUNS);
        l_tls = median(p99, RUNS);
    }
    cleanup();

    printf("hvctld benchmarks (medians of %d runs; %d domains, %d keep-alive "
           "connections, %d s each)\n", RUNS, DOMAINS, CONNS, LOAD_S);
    printf("%-40s %12s %10s %s\n", "GET /v1/domains", "requests/s", "p99",
           "target");
    if (have_wrk) {
        printf("%-40s %12.0f %7.2f ms %s\n", "loopback HTTP (--insecure), wrk",
               r_tcp, l_tcp, ">= 40000/s, p99 < 2 ms");
        printf("%-40s %12.0f %7.2f ms\n", "loopback TCP + TLS, wrk", r_tls,
               l_tls);
    } else {
        printf("(wrk is not installed: no wrk figures)\n");
    }
    printf("%-40s %12.0f %7.2f ms\n", "loopback HTTP, agent_bench client",
           r_own, l_own);
    printf("%-40s %12.0f %7.2f ms\n", "Unix socket, agent_bench client",
           r_unix, l_unix);
    printf("%-40s %12s %10s %10s\n", "POST pause/resume, 10 in parallel",
           "ops/s", "p50", "p99");
    printf("%-40s %12.0f %7.2f ms %7.2f ms\n", "Unix socket", r_pause, l50,
           l99);
    return 0;
}
