/*
 * bench_relay.c - what hvmigrate-relay costs a migration stream: 1 GiB
 * (by default; argv[1] in MiB) pushed from one socket pair to another
 * over loopback TCP, the way a migration between agents carries it:
 *
 *   direct   writer -> TCP -> reader (no relay: what hvcore to hvcore
 *            over plain TCP would cost)
 *   plain    writer -> relay --insecure -> TCP -> relay -> reader
 *   tls      the same with TLS 1.3 (PSK, AES-128-GCM)
 *
 * Each line: MiB, seconds, MiB/s, and the CPU time both relays used
 * (which, unlike the rate, does not depend on what else the machine
 * runs).  Run by `make bench-relay`; the figures are in
 * docs/migration.md.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CHUNK (1 << 20)
#define KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static uint64_t total;

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Write total bytes of a pseudo-random pattern (not compressible). */
static void *writer(void *arg)
{
    int fd = *(int *)arg;
    uint64_t *buf = malloc(CHUNK), x = 0x9e3779b97f4a7c15ull;

    for (size_t i = 0; buf && i < CHUNK / 8; i++)
        buf[i] = (x = x * 6364136223846793005ull + 1442695040888963407ull);
    for (uint64_t sent = 0; buf && sent < total;) {
        ssize_t k = write(fd, (char *)buf + sent % CHUNK,
                          CHUNK - sent % CHUNK);
        if (k <= 0)
            break;
        sent += (uint64_t)k;
    }
    shutdown(fd, SHUT_WR);
    free(buf);
    return NULL;
}

/* Read to the end; the bytes. */
static uint64_t reader(int fd)
{
    char *buf = malloc(CHUNK);
    uint64_t got = 0;
    ssize_t k;

    while (buf && (k = read(fd, buf, CHUNK)) > 0)
        got += (uint64_t)k;
    free(buf);
    return got;
}

static int listener(int *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0 ||
        listen(fd, 1) < 0 || getsockname(fd, (struct sockaddr *)&sa, &len))
        return -1;
    *port = ntohs(sa.sin_port);
    return fd;
}

/* hvmigrate-relay with net (listening socket, or -1: connect to port),
 * local and the key on fds 3, 4, 5. */
static pid_t relay(const char *path, int net, int port, int local,
                   bool tls)
{
    char where[32];
    const char *argv[16];
    posix_spawn_file_actions_t fa;
    int kp[2], n = 0;
    pid_t pid = -1;

    if (pipe(kp) < 0 || write(kp[1], KEY, strlen(KEY)) < 0)
        return -1;
    close(kp[1]);
    snprintf(where, sizeof(where), "127.0.0.1:%d", port);
    argv[n++] = path;
    if (net >= 0) {
        argv[n++] = "--listen-fd";
        argv[n++] = "3";
    } else {
        argv[n++] = "--connect";
        argv[n++] = where;
    }
    argv[n++] = "--local-fd";
    argv[n++] = "4";
    argv[n++] = "--key-fd";
    argv[n++] = "5";
    argv[n++] = "--identity";
    argv[n++] = "bench";
    if (!tls)
        argv[n++] = "--insecure";
    argv[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    if (net >= 0)
        posix_spawn_file_actions_adddup2(&fa, net, 3);
    posix_spawn_file_actions_adddup2(&fa, local, 4);
    posix_spawn_file_actions_adddup2(&fa, kp[0], 5);
    if (posix_spawn(&pid, path, &fa, NULL, (char *const *)argv, environ))
        pid = -1;
    posix_spawn_file_actions_destroy(&fa);
    close(kp[0]);
    return pid;
}

/* CPU seconds (user + system) of the children waited for so far. */
static double children_cpu(void)
{
    struct rusage ru;

    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int run(const char *mode, const char *path)
{
    int a[2], b[2], port, lfd = listener(&port), wfd, rfd;
    pid_t ra = -1, rb = -1;
    pthread_t t;
    double t0, t1, cpu0 = children_cpu();
    uint64_t got;

    if (lfd < 0)
        return -1;
    if (!strcmp(mode, "direct")) {
        struct sockaddr_in sa = { .sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)port) };
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        wfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(wfd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
            return -1;
        rfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
    } else {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) < 0 ||
            socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, b) < 0)
            return -1;
        rb = relay(path, lfd, 0, b[1], !strcmp(mode, "tls"));
        ra = relay(path, -1, port, a[1], !strcmp(mode, "tls"));
        close(a[1]);
        close(b[1]);
        wfd = a[0];
        rfd = b[0];
        if (ra < 0 || rb < 0)
            return -1;
    }
    close(lfd);
    t0 = now_s();
    pthread_create(&t, NULL, writer, &wfd);
    got = reader(rfd);
    t1 = now_s();
    shutdown(rfd, SHUT_WR);     /* the other direction ends too */
    pthread_join(t, NULL);
    close(wfd);
    close(rfd);
    if (ra > 0)
        waitpid(ra, NULL, 0);
    if (rb > 0)
        waitpid(rb, NULL, 0);
    /* The relays' CPU time does not depend on what else runs. */
    printf("%-7s %6llu MiB %7.3f s %8.0f MiB/s  relays' CPU %6.3f s\n",
           mode, (unsigned long long)(got >> 20), t1 - t0,
           (double)(got >> 20) / (t1 - t0), children_cpu() - cpu0);
    return got == total ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *path = getenv("HVMIGRATE_RELAY");
    static const char *const modes[] = { "direct", "plain", "tls" };

    total = (uint64_t)(argc > 1 ? atoi(argv[1]) : 1024) << 20;
    if (!path || !total) {
        fprintf(stderr, "usage: HVMIGRATE_RELAY=PATH bench_relay [MiB]\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (run(modes[i], path) < 0) {
            fprintf(stderr, "bench_relay: %s failed\n", modes[i]);
            return 1;
        }
    return 0;
}
