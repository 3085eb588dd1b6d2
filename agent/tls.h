/*
 * tls.h - the OpenSSL side of the TCP listener.
 */
#ifndef HVCTLD_TLS_H
#define HVCTLD_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

/*
 * A server context with cert (chain) and key; with ca, client
 * certificates signed by it are requested and verified (but not
 * required, so that token clients can connect too).  NULL with err.
 */
SSL_CTX *tls_server_ctx(const char *cert, const char *key, const char *ca,
                        char *err, size_t errlen);

/* Did the peer present a certificate that verified?  who gets its CN. */
bool tls_peer_verified(SSL *ssl, char *who, size_t wholen);

#endif /* HVCTLD_TLS_H */
