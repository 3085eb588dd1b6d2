/*
 * relay.h - hvmigrate-relay (relay.c, relay_pump.c), and what hvctld
 * needs to start one (migrate_relay.c): the key's size, the identity's
 * limit, the usage text that hvmigrate-relay(8) documents.
 */
#ifndef HVCTLD_RELAY_H
#define HVCTLD_RELAY_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/ssl.h>

/* The one-time key: 32 random bytes, 64 hex digits in the REST answer. */
#define RELAY_KEY_BYTES 32
#define RELAY_ID_MAX 64
/* Connect, accept and handshake must be done within this. */
#define RELAY_TIMEOUT_MS 30000
/* An idle connection is probed after this, then every this, 3 times. */
#define RELAY_KEEPALIVE_S 10
/* TLS records read at once (OpenSSL's read-ahead buffer). */
#define RELAY_READ_AHEAD (256 * 1024)

#define RELAY_USAGE \
    "usage: hvmigrate-relay (--listen-fd FD | --connect HOST:PORT)\n" \
    "                       --local-fd FD --key-fd FD --identity ID\n" \
    "                       [--insecure] [--timeout-ms MS] [--stats]\n"

struct relay_buf {
    unsigned char *data;
    size_t off, len;
};

/* Both directions between local (hvcore's socket) and net (ssl or not). */
struct relay_pump {
    int local, net;
    SSL *ssl;                   /* NULL: plain */
    struct relay_buf out;       /* local -> net */
    struct relay_buf in;        /* net -> local */
    bool local_eof, net_eof, out_shut, in_shut;
    bool write_wants_read, read_wants_write;
    uint64_t bytes_out, bytes_in;
    /* Tests: cut both connections once this many bytes came in from the
     * network ($HVMIGRATE_RELAY_TEST_CUT_IN), as a network cut would;
     * -1: never. */
    int64_t cut_in;
};

void relay_pump_init(struct relay_pump *p, int local, int net, SSL *ssl);
/* Until both directions have ended: 0, or -1 when one broke (said on
 * stderr); either way the caller then closes both ends. */
int relay_pump_run(struct relay_pump *p);
void relay_pump_free(struct relay_pump *p);

#endif /* HVCTLD_RELAY_H */
