/*
 * tls.c - see tls.h.  TLS 1.2 at least; OpenSSL's default cipher lists.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "tls.h"

static void ssl_err(char *err, size_t errlen, const char *what,
                    const char *file)
{
    unsigned long e = ERR_get_error();
    char buf[256];

    ERR_error_string_n(e, buf, sizeof(buf));
    snprintf(err, errlen, "%s %s: %s", what, file, e ? buf : "failed");
    ERR_clear_error();
}

/* Only the certificate's verdict matters; let the handshake go on so an
 * unauthenticated client gets a 401 it can read, not a TLS alert. */
static int verify_cb(int ok, X509_STORE_CTX *ctx)
{
    (void)ok;
    (void)ctx;
    return 1;
}

SSL_CTX *tls_server_ctx(const char *cert, const char *key, const char *ca,
                        char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

    if (!ctx) {
        ssl_err(err, errlen, "creating a TLS context", "");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        ssl_err(err, errlen, "loading the certificate", cert);
        goto fail;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        ssl_err(err, errlen, "loading the key", key);
        goto fail;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        ssl_err(err, errlen, "the key does not match the certificate", key);
        goto fail;
    }
    if (ca) {
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
        if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1 || !names) {
            ssl_err(err, errlen, "loading the CA", ca);
            goto fail;
        }
        SSL_CTX_set_client_CA_list(ctx, names);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb);
    }
    /* Sessions (and their verified client certificates) belong to this
     * server.  Without a context OpenSSL fails every resumption attempt
     * with an internal-error alert once SSL_VERIFY_PEER is on. */
    if (SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"hvctld",
                                       6) != 1) {
        ssl_err(err, errlen, "setting the session context", "");
        goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

bool tls_peer_verified(SSL *ssl, char *who, size_t wholen)
{
    X509 *peer;
    bool ok;

    if (!ssl)
        return false;
    peer = SSL_get0_peer_certificate(ssl);
    ok = peer && SSL_get_verify_result(ssl) == X509_V_OK;
    if (ok && who) {
        char cn[128] = "";
        X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName,
                                  cn, sizeof(cn));
        snprintf(who, wholen, "cert:%s", cn);
    }
    return ok;
}
