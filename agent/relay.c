/*
 * relay.c - hvmigrate-relay: carries one migration stream between two
 * hosts, so that hvcore (which speaks plain bytes on a socket and knows
 * nothing of TLS) never sees the network.  One relay per side and
 * migration, started by hvctld (docs/migration.md, hvmigrate-relay(8)):
 *
 *   hvcore --incoming <-socketpair-> relay (--listen-fd)
 *        <== TLS 1.3, PSK ==> relay (--connect) <-socketpair-> source hvcore
 *
 * Authentication is the one-time key the destination agent made for this
 * migration (an external TLS 1.3 PSK with ECDHE, so the key is never on
 * the wire and the session still has forward secrecy).  With --insecure
 * the TCP connection is plain and opens with the key in clear (hvctld
 * allows that only on loopback).
 *
 * The stream is bidirectional (hvcore's READY/GO/RUNNING handshake goes
 * back), and an end seen on one side is passed on: end of file as
 * close_notify or shutdown(SHUT_WR), a broken connection by closing the
 * other side, so that each hvcore sees what a direct connection would
 * have shown it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "relay.h"

static unsigned char psk[RELAY_KEY_BYTES];
static char identity[RELAY_ID_MAX + 1];

struct relay_opts {
    int listen_fd, local_fd, key_fd;
    const char *connect;        /* HOST:PORT */
    bool insecure, stats;
    int timeout_ms;
};

static void die_ssl(const char *what)
{
    unsigned long e = ERR_get_error();

    fprintf(stderr, "hvmigrate-relay: %s: %s\n", what,
            e ? ERR_reason_error_string(e) : "connection closed");
}

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Milliseconds left before deadline (at least 0). */
static int left_ms(uint64_t deadline)
{
    uint64_t now = now_ns();

    return now >= deadline ? 0 : (int)((deadline - now) / 1000000) + 1;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* The key: RELAY_KEY_BYTES as lower-case hex, read from fd to its end. */
static int read_key(int fd)
{
    char hex[2 * RELAY_KEY_BYTES + 2];
    size_t got = 0;

    while (got < sizeof(hex)) {
        ssize_t k = read(fd, hex + got, sizeof(hex) - got);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    if (got && hex[got - 1] == '\n')
        got--;
    if (got != 2 * RELAY_KEY_BYTES)
        return -1;
    for (size_t i = 0; i < RELAY_KEY_BYTES; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        psk[i] = (unsigned char)(hi << 4 | lo);
    }
    OPENSSL_cleanse(hex, sizeof(hex));
    return 0;
}

static unsigned int psk_client(SSL *ssl, const char *hint, char *id,
                               unsigned int max_id, unsigned char *key,
                               unsigned int max_key)
{
    (void)ssl;
    (void)hint;
    if (strlen(identity) + 1 > max_id || sizeof(psk) > max_key)
        return 0;
    memcpy(id, identity, strlen(identity) + 1);
    memcpy(key, psk, sizeof(psk));
    return sizeof(psk);
}

static unsigned int psk_server(SSL *ssl, const char *id, unsigned char *key,
                               unsigned int max_key)
{
    (void)ssl;
    /* Another migration's identity: no key, the handshake fails. */
    if (!id || strcmp(id, identity) != 0 || sizeof(psk) > max_key)
        return 0;
    memcpy(key, psk, sizeof(psk));
    return sizeof(psk);
}

static SSL_CTX *make_ctx(bool server)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method()
                                      : TLS_client_method());

    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    /* The PSK callbacks of TLS 1.2 serve TLS 1.3 with a SHA-256 suite. */
    if (SSL_CTX_set_ciphersuites(ctx, "TLS_AES_128_GCM_SHA256") != 1) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
                     SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    /* Many records per read(2), not one: fewer system calls. */
    SSL_CTX_set_read_ahead(ctx, 1);
    SSL_CTX_set_default_read_buffer_len(ctx, RELAY_READ_AHEAD);
    if (server)
        SSL_CTX_set_psk_server_callback(ctx, psk_server);
    else
        SSL_CTX_set_psk_client_callback(ctx, psk_client);
    return ctx;
}

/*
 * A peer that vanishes (its host down, the network cut without a reset)
 * must end the stream, not hang it: unacknowledged data fails after
 * RELAY_TIMEOUT_MS (TCP_USER_TIMEOUT), and an idle connection is probed
 * (keep-alive), so each hvcore sees its connection break as it would on
 * a direct one.
 */
static void net_opts(int fd)
{
    int on = 1, idle = RELAY_KEEPALIVE_S, intvl = RELAY_KEEPALIVE_S,
        cnt = 3;
    unsigned timeout = RELAY_TIMEOUT_MS;

    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &timeout,
               sizeof(timeout));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
}

/* Wait for fd to be ready for events until deadline: 1, 0 (timeout), -1. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
    struct pollfd p = { .fd = fd, .events = events };
    int r;

    do
        r = poll(&p, 1, left_ms(deadline));
    while (r < 0 && errno == EINTR);
    return r;
}

/* A TLS handshake on a non-blocking fd, within deadline. */
static int handshake(SSL *ssl, int fd, bool server, uint64_t deadline)
{
    for (;;) {
        int r = server ? SSL_accept(ssl) : SSL_connect(ssl);
        int e;

        if (r == 1)
            return 0;
        e = SSL_get_error(ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            return -1;
        if (wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT,
                    deadline) <= 0)
            return -1;
    }
}

/* Read exactly n bytes from a non-blocking fd within deadline. */
static int read_full(int fd, unsigned char *buf, size_t n, uint64_t deadline)
{
    size_t got = 0;

    while (got < n) {
        ssize_t k = read(fd, buf + got, n - got);
        if (k > 0) {
            got += (size_t)k;
        } else if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd, POLLIN, deadline) <= 0)
                return -1;
        } else {
            return -1;
        }
    }
    return 0;
}

/* Plain mode: the connection opens with the key; constant-time check. */
static bool plain_key_ok(int fd, uint64_t deadline)
{
    unsigned char got[RELAY_KEY_BYTES];

    return read_full(fd, got, sizeof(got), deadline) == 0 &&
           CRYPTO_memcmp(got, psk, sizeof(psk)) == 0;
}

/*
 * Listen side: accept until one peer proves the key, or the deadline.
 * A peer that fails is dropped and the relay waits on, so that a stray
 * connection cannot end the migration.
 */
static int accept_peer(const struct relay_opts *o, SSL_CTX *ctx, SSL **out,
                       uint64_t deadline)
{
    for (;;) {
        int fd, r = wait_fd(o->listen_fd, POLLIN, deadline);
        SSL *ssl = NULL;

        if (r <= 0) {
            fprintf(stderr, "hvmigrate-relay: no source connected within "
                    "%d ms\n", o->timeout_ms);
            return -1;
        }
        fd = accept4(o->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        net_opts(fd);
        if (o->insecure) {
            if (plain_key_ok(fd, deadline))
                return fd;
            fprintf(stderr, "hvmigrate-relay: a peer without the key was "
                    "refused\n");
        } else if ((ssl = SSL_new(ctx)) && SSL_set_fd(ssl, fd) == 1 &&
                   handshake(ssl, fd, true, deadline) == 0) {
            *out = ssl;
            return fd;
        } else {
            die_ssl("a peer failed the TLS handshake");
        }
        SSL_free(ssl);
        close(fd);
    }
}

static int connect_peer(const struct relay_opts *o, SSL_CTX *ctx, SSL **out,
                        uint64_t deadline)
{
    char host[256], *port;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
    int fd = -1, r;

    snprintf(host, sizeof(host), "%s", o->connect);
    port = strrchr(host, ':');
    if (!port) {
        fprintf(stderr, "hvmigrate-relay: --connect %s: no port\n",
                o->connect);
        return -1;
    }
    *port++ = '\0';
    if (host[0] == '[' && port[-2] == ']') {
        port[-2] = '\0';
        memmove(host, host + 1, strlen(host));
    }
    if ((r = getaddrinfo(host, port, &hints, &ai)) != 0) {
        fprintf(stderr, "hvmigrate-relay: %s: %s\n", o->connect,
                gai_strerror(r));
        return -1;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                0);
    if (fd < 0 || (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
                   errno != EINPROGRESS)) {
        fprintf(stderr, "hvmigrate-relay: connect %s: %s\n", o->connect,
                strerror(errno));
        goto fail;
    }
    net_opts(fd);
    if (wait_fd(fd, POLLOUT, deadline) <= 0) {
        fprintf(stderr, "hvmigrate-relay: connect %s: no answer within "
                "%d ms\n", o->connect, o->timeout_ms);
        goto fail;
    }
    {
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err) {
            fprintf(stderr, "hvmigrate-relay: connect %s: %s\n", o->connect,
                    strerror(err));
            goto fail;
        }
    }
    if (o->insecure) {
        if (write(fd, psk, sizeof(psk)) != (ssize_t)sizeof(psk))
            goto fail;
    } else {
        SSL *ssl = SSL_new(ctx);
        if (!ssl || SSL_set_fd(ssl, fd) != 1 ||
            handshake(ssl, fd, false, deadline) < 0) {
            die_ssl("TLS handshake with the destination");
            SSL_free(ssl);
            goto fail;
        }
        *out = ssl;
    }
    freeaddrinfo(ai);
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    freeaddrinfo(ai);
    return -1;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "listen-fd", required_argument, NULL, 'l' },
        { "connect", required_argument, NULL, 'c' },
        { "local-fd", required_argument, NULL, 'f' },
        { "key-fd", required_argument, NULL, 'k' },
        { "identity", required_argument, NULL, 'i' },
        { "insecure", no_argument, NULL, 'I' },
        { "timeout-ms", required_argument, NULL, 't' },
        { "stats", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct relay_opts o = { .listen_fd = -1, .local_fd = -1, .key_fd = -1,
                            .timeout_ms = RELAY_TIMEOUT_MS };
    struct relay_pump pump;
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    uint64_t deadline, t0;
    int c, net = -1, rc = 1;

    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'l': o.listen_fd = atoi(optarg); break;
        case 'c': o.connect = optarg; break;
        case 'f': o.local_fd = atoi(optarg); break;
        case 'k': o.key_fd = atoi(optarg); break;
        case 'i': snprintf(identity, sizeof(identity), "%s", optarg); break;
        case 'I': o.insecure = true; break;
        case 't': o.timeout_ms = atoi(optarg); break;
        case 's': o.stats = true; break;
        case 'h':
            printf("%s", RELAY_USAGE);
            return 0;
        default:
            fprintf(stderr, "%s", RELAY_USAGE);
            return 2;
        }
    }
    if ((o.listen_fd < 0) == !o.connect || o.local_fd < 0 || o.key_fd < 0 ||
        !identity[0] || o.timeout_ms <= 0 || optind != argc) {
        fprintf(stderr, "%s", RELAY_USAGE);
        return 2;
    }
    if (read_key(o.key_fd) < 0) {
        fprintf(stderr, "hvmigrate-relay: the key must be %d hex digits\n",
                2 * RELAY_KEY_BYTES);
        return 2;
    }
    if (!o.insecure && !(ctx = make_ctx(o.listen_fd >= 0))) {
        die_ssl("TLS setup");
        goto out;
    }
    deadline = now_ns() + (uint64_t)o.timeout_ms * 1000000;
    if (o.listen_fd >= 0) {
        fcntl(o.listen_fd, F_SETFL, O_NONBLOCK);
        net = accept_peer(&o, ctx, &ssl, deadline);
        close(o.listen_fd);
    } else {
        net = connect_peer(&o, ctx, &ssl, deadline);
    }
    if (net < 0)
        goto out;
    t0 = now_ns();
    relay_pump_init(&pump, o.local_fd, net, ssl);
    if (getenv("HVMIGRATE_RELAY_TEST_CUT_IN"))
        pump.cut_in = atoll(getenv("HVMIGRATE_RELAY_TEST_CUT_IN"));
    rc = relay_pump_run(&pump) < 0;
    if (o.stats)
        fprintf(stderr, "hvmigrate-relay: %llu bytes out, %llu bytes in, "
                "%.3f s\n", (unsigned long long)pump.bytes_out,
                (unsigned long long)pump.bytes_in,
                (double)(now_ns() - t0) / 1e9);
    relay_pump_free(&pump);
out:
    if (ssl)
        SSL_free(ssl);
    if (net >= 0)
        close(net);
    SSL_CTX_free(ctx);
    OPENSSL_cleanse(psk, sizeof(psk));
    return rc;
}
