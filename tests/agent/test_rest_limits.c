/*
 * test_rest_limits.c - what clients can make hvctld hold:
 *   - 30 unauthenticated TCP clients each announce a 16 MiB body and
 *     stream 2 MiB of it: each gets its JSON 401 as soon as its headers
 *     are read, the agent's resident memory grows by less than a bound
 *     that no speed of the clients changes (the body is never kept), and
 *     a client with a token is served all the while;
 *   - --max-connections N: the TCP connection past N gets a JSON 503 and
 *     is closed, the Unix socket is still served; once one of the N
 *     closes, a new one is served;
 *   - a request head sent a byte at a time is cut off after
 *     --http-timeout, however steadily the bytes come.
 */
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "harness.h"

#define NCLIENTS 30
#define STREAM_BYTES (2 * 1024 * 1024)
/* Growth allowed: the heads and buffers of 30 refused connections, far
 * below the 60 MiB their bodies would take if they were kept. */
#define RSS_GROWTH_MAX_KIB (16 * 1024)

static const char unauth_body[] =
    "{\"error\":{\"code\":\"unauthorized\",\"message\":\"authentication "
    "required: a client certificate or 'Authorization: Bearer <token>'\"}}\n";

static long rss_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    fclose(f);
    assert_true(kib > 0);
    return kib;
}

static int tcp_connect(const char *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)atoi(port));
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/*
 * Bytes the agent has not read yet on its end (port aport) of our
 * connection cfd: rx_queue in /proc/net/tcp; 0 if that end is no longer
 * established (the agent hung up).
 */
static unsigned long agent_unread(const char *aport, int cfd)
{
    struct sockaddr_in sa;
    socklen_t slen = sizeof(sa);
    unsigned long rx = 0, q;
    unsigned lport, rport, st;
    char line[512];
    FILE *f;

    assert_int_equal(getsockname(cfd, (struct sockaddr *)&sa, &slen), 0);
    f = fopen("/proc/net/tcp", "re");
    assert_non_null(f);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, " %*u: %*x:%x %*x:%x %x %*x:%lx", &lport, &rport,
                   &st, &q) == 4 &&
            lport == (unsigned)atoi(aport) &&
            rport == ntohs(sa.sin_port) && st == 1 /* ESTABLISHED */)
            rx = q;
    fclose(f);
    return rx;
}

struct client {
    int fd;
    size_t sent;
    bool done;                  /* sent it all, or the agent hung up */
    char got[1024];
    size_t ngot;
};

static void test_unauthenticated_bodies(void **state)
{
    static struct client cl[NCLIENTS];
    static char chunk[65536];
    const char *head = "POST /v1/domains HTTP/1.1\r\nHost: x\r\n"
                       "Content-Type: application/json\r\n"
                       "Content-Length: 16777216\r\n\r\n";
    char port[8], token[80], url[64];
    const char *tok_args[6];
    const char *extra[] = { "--insecure", NULL };
    struct agentd ad;
    double deadline;
    long before, after;
    size_t left, total = 0;
    struct req q = { .method = "GET", .path = "/v1/host" };
    struct resp r;

    agentd_init(&ad, "limits");
    tok_args[0] = "token";
    tok_args[1] = "create";
    tok_args[2] = "ci";
    tok_args[3] = "--db";
    tok_args[4] = ad.db;
    tok_args[5] = NULL;
    assert_int_equal(run_hvctld(token, sizeof(token), tok_args), 0);
    token[strcspn(token, "\n")] = '\0';
    assert_int_equal(agentd_start_tcp(&ad, extra, port, sizeof(port)), 0);
    snprintf(url, sizeof(url), "http://127.0.0.1:%s", port);
    q.url = url;
    q.token = token;
    assert_int_equal(http(&ad, &q, &r), 0);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    before = rss_kib(ad.pid);

    memset(chunk, ' ', sizeof(chunk));
    for (int i = 0; i < NCLIENTS; i++) {
        cl[i].fd = tcp_connect(port);
        assert_int_equal(write(cl[i].fd, head, strlen(head)),
                         (ssize_t)strlen(head));
        fcntl(cl[i].fd, F_SETFL, O_NONBLOCK);
    }
    /* Stream until every client has sent its share or was cut off; the
     * deadline only ends a test that already failed. */
    deadline = now_ms() + 60000;
    left = NCLIENTS;
    while (left && now_ms() < deadline) {
        struct pollfd p[NCLIENTS];
        for (int i = 0; i < NCLIENTS; i++) {
            p[i].fd = cl[i].fd;
            p[i].events = POLLIN | (cl[i].done ? 0 : POLLOUT);
        }
        assert_true(poll(p, NCLIENTS, 1000) >= 0);
        for (int i = 0; i < NCLIENTS; i++) {
            ssize_t n;
            if ((p[i].revents & POLLIN) &&
                cl[i].ngot < sizeof(cl[i].got) - 1) {
                n = read(cl[i].fd, cl[i].got + cl[i].ngot,
                         sizeof(cl[i].got) - 1 - cl[i].ngot);
                if (n > 0)
                    cl[i].ngot += (size_t)n;
            }
            if (cl[i].done || !(p[i].revents & (POLLOUT | POLLERR | POLLHUP)))
                continue;
            n = send(cl[i].fd, chunk, sizeof(chunk), MSG_NOSIGNAL);
            if (n > 0)
                cl[i].sent += (size_t)n;
            if ((n < 0 && errno != EAGAIN && errno != EINTR) ||
                cl[i].sent >= STREAM_BYTES) {
                cl[i].done = true;
                left--;
            }
        }
    }
    assert_int_equal(left, 0);
    /* Measure once the agent has read all that was sent (or hung up):
     * what it holds then does not depend on how fast it read.  Our send
     * queue empty (SIOCOUTQ 0) says only that the agent's kernel has the
     * bytes; its receive queue empty says the agent read them. */
    deadline = now_ms() + 30000;
    for (int i = 0; i < NCLIENTS; i++) {
        int queued = 1;
        while (now_ms() < deadline &&
               ((ioctl(cl[i].fd, SIOCOUTQ, &queued) == 0 && queued > 0) ||
                agent_unread(port, cl[i].fd) > 0))
            usleep(10000);
    }
    after = rss_kib(ad.pid);
    for (int i = 0; i < NCLIENTS; i++)
        total += cl[i].sent;
    print_message("# hvctld RSS %ld kB before, %ld kB after %d clients "
                  "sent %zu kB\n", before, after, NCLIENTS, total / 1024);
    if (after - before > RSS_GROWTH_MAX_KIB)
        fail_msg("hvctld grew by %ld kB (at most %d allowed)", after - before,
                 RSS_GROWTH_MAX_KIB);
    /* A client with a token is still served, the others still open. */
    assert_int_equal(http(&ad, &q, &r), 0);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    for (int i = 0; i < NCLIENTS; i++) {
        char *body;
        deadline = now_ms() + 30000;
        while (!strstr(cl[i].got, "\r\n\r\n{") || !strchr(strstr(cl[i].got,
                                                   "\r\n\r\n{"), '\n')) {
            struct pollfd p = { cl[i].fd, POLLIN, 0 };
            ssize_t n;
            if (now_ms() > deadline || poll(&p, 1, 1000) < 0)
                break;
            n = read(cl[i].fd, cl[i].got + cl[i].ngot,
                     sizeof(cl[i].got) - 1 - cl[i].ngot);
            if (n <= 0 && !(n < 0 && errno == EAGAIN))
                break;
            if (n > 0)
                cl[i].ngot += (size_t)n;
        }
        cl[i].got[cl[i].ngot] = '\0';
        body = strstr(cl[i].got, "\r\n\r\n");
        if (strncmp(cl[i].got, "HTTP/1.1 401 Unauthorized\r\n", 27) || !body ||
            strcmp(body + 4, unauth_body))
            fail_msg("client %d got: %s", i, cl[i].got);
        close(cl[i].fd);
    }
    assert_int_equal(agentd_stop(&ad), 0);
    agentd_cleanup(&ad);
}

/* Connect to the agent's socket and send a request; the fd. */
static int unix_request(struct agentd *ad, const char *req)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { 30, 0 };

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", ad->sock);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    return fd;
}

/* Read until the answer's JSON body has ended (a newline after it). */
static void read_answer(int fd, char *buf, size_t len)
{
    size_t n = 0;
    ssize_t r;

    buf[0] = '\0';
    while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0) {
        char *body;
        n += (size_t)r;
        buf[n] = '\0';
        body = strstr(buf, "\r\n\r\n");
        if (body && strchr(body + 4, '\n'))
            break;
    }
}

/* Connect to 127.0.0.1:port and send a request; the fd. */
static int tcp_request(const char *port, const char *req)
{
    int fd = tcp_connect(port);
    struct timeval tv = { 30, 0 };

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    return fd;
}

static void test_max_connections(void **state)
{
    char port[8], token[80], get[256], get_close[256], buf[2048];
    const char *extra[] = { "--insecure", "--max-connections", "3", NULL };
    const char *tok_args[] = { "token", "create", "ci", "--db", NULL, NULL };
    struct agentd ad;
    int held[3], fd;
    bool served = false;
    double deadline;

    agentd_init(&ad, "maxconn");
    tok_args[4] = ad.db;
    assert_int_equal(run_hvctld(token, sizeof(token), tok_args), 0);
    token[strcspn(token, "\n")] = '\0';
    assert_int_equal(agentd_start_tcp(&ad, extra, port, sizeof(port)), 0);
    snprintf(get, sizeof(get), "GET /v1/host HTTP/1.1\r\n"
             "Authorization: Bearer %s\r\n\r\n", token);
    snprintf(get_close, sizeof(get_close), "GET /v1/host HTTP/1.1\r\n"
             "Authorization: Bearer %s\r\nConnection: close\r\n\r\n", token);
    /* Three TCP connections, each answered (so the agent has them all). */
    for (int i = 0; i < 3; i++) {
        held[i] = tcp_request(port, get);
        read_answer(held[i], buf, sizeof(buf));
        assert_true(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
    }
    fd = tcp_request(port, get);
    read_answer(fd, buf, sizeof(buf));
    close(fd);
    if (strncmp(buf, "HTTP/1.1 503 Service Unavailable\r\n", 34) ||
        !strstr(buf, "\r\nConnection: close\r\n") ||
        !strstr(buf, "\r\n\r\n{\"error\":{\"code\":\"too_many_connections\","
                "\"message\":\"3 TCP connections are open already "
                "(--max-connections)\"}}\n"))
        fail_msg("the 4th connection got: %s", buf);
    /* The Unix socket is not counted: a local client always gets in. */
    fd = unix_request(&ad, "GET /v1/host HTTP/1.1\r\nConnection: close"
                      "\r\n\r\n");
    read_answer(fd, buf, sizeof(buf));
    close(fd);
    assert_true(strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0);
    /* One closes: the agent sees it close, and serves a new one. */
    close(held[0]);
    deadline = now_ms() + 30000;
    while (!served && now_ms() < deadline) {
        fd = tcp_request(port, get_close);
        read_answer(fd, buf, sizeof(buf));
        close(fd);
        served = strncmp(buf, "HTTP/1.1 200 OK\r\n", 17) == 0;
        if (!served)
            usleep(20000);
    }
    assert_true(served);
    close(held[1]);
    close(held[2]);
    assert_int_equal(agentd_stop(&ad), 0);
    agentd_cleanup(&ad);
}

/* A head sent a byte at a time does not hold the connection past
 * --http-timeout: the agent closes it, with nothing answered. */
static void test_slow_head(void **state)
{
    const char *extra[] = { "--http-timeout", "1", NULL };
    const char *head = "GET /v1/host HTTP/1.1\r\nX-Slow: "
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                       "\r\n\r\n";
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct agentd ad;
    bool closed = false;
    char buf[256];
    int fd;

    agentd_init(&ad, "slowhead");
    assert_int_equal(agentd_start(&ad, extra, NULL), 0);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", ad.sock);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    /* A byte every 100 ms: 15 s for the head, were it let through. */
    for (size_t i = 0; head[i] && !closed; i++) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (send(fd, head + i, 1, MSG_NOSIGNAL) != 1 ||
            (poll(&p, 1, 100) == 1 && read(fd, buf, sizeof(buf)) <= 0))
            closed = true;
    }
    close(fd);
    if (!closed)
        fail_msg("a head sent a byte every 100 ms held the connection past "
                 "--http-timeout 1");
    assert_int_equal(agentd_stop(&ad), 0);
    agentd_cleanup(&ad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unauthenticated_bodies),
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_slow_head),
    };
    return HARNESS_MAIN(tests, NULL, NULL);
}
