/*
 * agent_harness.h - a real hvctld for the remote tests: a test CA made
 * with openssl(1), server and client certificates, a bearer token, and
 * the daemon itself on a private database, runtime directory and Unix
 * socket, plus a TLS listener on a free loopback port.
 */
#ifndef HVCTL_TEST_AGENT_HARNESS_H
#define HVCTL_TEST_AGENT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct agent {
    char hvctld[1024];          /* the built daemon                      */
    char db[512], sock[512], log[512];
    char unix_url[600];         /* unix://<sock>                         */
    char https_url[64];         /* https://127.0.0.1:<port>              */
    int port;
    char token[256];
    /* PEM files: the test CA, the agent's and a client's certificate,
     * and an unrelated CA with a client certificate of its own. */
    char ca[512], srv_cert[512], srv_key[512];
    char cli_cert[512], cli_key[512];
    char other_ca[512], other_cert[512], other_key[512];
    pid_t pid;
};

/* Whether hvctld and openssl(1) are there; if not, why. */
bool agent_can_run(char *why, size_t len);
/*
 * Whether domains (cli_can_run_domains) and hvctld can run here, as the
 * tests of both need; if not, "SKIP: why" on stdout, and the test's main
 * returns 77.
 */
bool agent_domains_can_run(void);
/* Make the CA, certificates and token under cli_env.dir (once). */
void agent_prepare(struct agent *a);
/* Start hvctld and wait until both listeners accept. */
void agent_start(struct agent *a);
/* SIGTERM, and wait for it to exit. */
void agent_stop(struct agent *a);
/*
 * A second hvctld serving plain HTTP (--insecure) on a free loopback
 * port, with a database and runtime directory of its own; its pid (stop
 * it with agent_stop on a struct agent holding that pid).
 */
pid_t agent_start_plain(int *port);

#endif /* HVCTL_TEST_AGENT_HARNESS_H */
