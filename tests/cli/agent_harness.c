/*
 * agent_harness.c - see agent_harness.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent_harness.h"
#include "cli_harness.h"

bool agent_can_run(char *why, size_t len)
{
    const char *build = getenv("HV_BUILDDIR");
    char path[1024];

    snprintf(path, sizeof(path), "%s/agent/hvctld", build ? build : ".");
    if (access(path, X_OK) != 0) {
        snprintf(why, len, "no built hvctld at %.200s", path);
        return false;
    }
    if (system("openssl version >/dev/null 2>&1") != 0) {
        snprintf(why, len, "no openssl(1) to make the test CA");
        return false;
    }
    return true;
}

/* Run a shell command in the scratch directory; fail the test if it fails. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[4096], full[4400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "cd '%s' && { %s; } >>openssl.log 2>&1",
             cli_env.dir, cmd);
    if (system(full) != 0)
        fail_msg("failed: %s (see %s/openssl.log)", cmd, cli_env.dir);
}

/* A key and a certificate for `cn` signed by `ca`, with extensions. */
static void issue(const char *ca, const char *name, const char *cn,
                  const char *ext)
{
    sh("printf '%%s\\n' '%s' >%s.ext && "
       "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
       "-nodes -keyout %s.key -out %s.csr -subj /CN=%s && "
       "openssl x509 -req -in %s.csr -CA %s.pem -CAkey %s.key "
       "-CAcreateserial -days 2 -out %s.pem -extfile %s.ext",
       ext, name, name, name, cn, name, ca, ca, name, name);
}

static void make_ca(const char *name, const char *cn)
{
    sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
       "-nodes -keyout %s.key -out %s.pem -days 2 -subj /CN=%s", name, name,
       cn);
}

/* A loopback port nobody listens on now. */
static int free_port(void)
{
    struct sockaddr_in sa = { .sin_family = AF_INET };
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
        fail_msg("finding a free port: %s", strerror(errno));
    port = ntohs(sa.sin_port);
    close(fd);
    return port;
}

static void path(char *out, size_t len, const char *base)
{
    snprintf(out, len, "%s/%s", cli_env.dir, base);
}

bool agent_domains_can_run(void)
{
    char why[256];

    if (cli_can_run_domains(why, sizeof(why)) &&
        agent_can_run(why, sizeof(why)))
        return true;
    printf("SKIP: %s\n", why);
    return false;
}

void agent_prepare(struct agent *a)
{
    const char *build = getenv("HV_BUILDDIR");
    char cmd[4096];
    FILE *p;

    memset(a, 0, sizeof(*a));
    a->pid = -1;
    snprintf(a->hvctld, sizeof(a->hvctld), "%s/agent/hvctld",
             build ? build : ".");
    path(a->db, sizeof(a->db), "hvctl.db");
    /* Where a local hvctl looks for it: <rundir>/hvctld.sock. */
    snprintf(a->sock, sizeof(a->sock), "%s/hvctld.sock", cli_env.rundir);
    path(a->log, sizeof(a->log), "hvctld.log");
    snprintf(a->unix_url, sizeof(a->unix_url), "unix://%s", a->sock);
    a->port = free_port();
    snprintf(a->https_url, sizeof(a->https_url), "https://127.0.0.1:%d",
             a->port);

    make_ca("ca", "hvctl-test-ca");
    issue("ca", "srv", "localhost",
          "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
          "extendedKeyUsage=serverAuth");
    issue("ca", "client", "hvctl-test-client",
          "extendedKeyUsage=clientAuth");
    make_ca("other-ca", "some-other-ca");
    issue("other-ca", "other", "hvctl-test-client",
          "extendedKeyUsage=clientAuth");
    path(a->ca, sizeof(a->ca), "ca.pem");
    path(a->srv_cert, sizeof(a->srv_cert), "srv.pem");
    path(a->srv_key, sizeof(a->srv_key), "srv.key");
    path(a->cli_cert, sizeof(a->cli_cert), "client.pem");
    path(a->cli_key, sizeof(a->cli_key), "client.key");
    path(a->other_ca, sizeof(a->other_ca), "other-ca.pem");
    path(a->other_cert, sizeof(a->other_cert), "other.pem");
    path(a->other_key, sizeof(a->other_key), "other.key");

    /* The token is printed once, on its own line. */
    snprintf(cmd, sizeof(cmd), "'%s' token create hvctl-tests --db '%s' "
             "2>>'%s'", a->hvctld, a->db, a->log);
    p = popen(cmd, "r");
    if (!p || !fgets(a->token, sizeof(a->token), p) || pclose(p) != 0)
        fail_msg("hvctld token create failed (see %s)", a->log);
    a->token[strcspn(a->token, "\r\n")] = '\0';
    if (!a->token[0])
        fail_msg("hvctld token create printed no token");
}

/* Does something accept on the loopback port yet? */
static bool port_open(int port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port) };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

void agent_start(struct agent *a)
{
    char listen[32];
    double end;
    int log;

    snprintf(listen, sizeof(listen), "127.0.0.1:%d", a->port);
    unlink(a->sock);
    a->pid = fork();
    if (a->pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (a->pid == 0) {
        log = open(a->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log >= 0) {
            dup2(log, 1);
            dup2(log, 2);
        }
        execl(a->hvctld, a->hvctld, "--db", a->db, "--rundir",
              cli_env.rundir, "--socket", a->sock, "--listen", listen,
              "--tls-cert", a->srv_cert, "--tls-key", a->srv_key,
              "--tls-ca", a->ca, "--no-autostart", "--refresh-interval",
              "200", (char *)NULL);
        _exit(127);
    }
    end = now_ms() + 30000;
    while (access(a->sock, F_OK) != 0 || !port_open(a->port)) {
        int status;
        if (waitpid(a->pid, &status, WNOHANG) == a->pid) {
            a->pid = -1;
            fail_msg("hvctld exited at start (see %s)", a->log);
        }
        if (now_ms() > end)
            fail_msg("hvctld did not listen within 30 s (see %s)", a->log);
        usleep(5000);
    }
}

void agent_stop(struct agent *a)
{
    int status;
    double end = now_ms() + 30000;

    if (a->pid <= 0)
        return;
    kill(a->pid, SIGTERM);
    while (waitpid(a->pid, &status, WNOHANG) == 0) {
        if (now_ms() > end) {
            kill(a->pid, SIGKILL);
            waitpid(a->pid, &status, 0);
            break;
        }
        usleep(5000);
    }
    a->pid = -1;
}

pid_t agent_start_plain(int *port)
{
    const char *build = getenv("HV_BUILDDIR");
    char listen[32], db[512], run[512], sock[600], log[512], bin[1024];
    double end;
    pid_t pid;

    *port = free_port();
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", *port);
    path(db, sizeof(db), "plain.db");
    path(run, sizeof(run), "plain-run");
    path(log, sizeof(log), "hvctld-plain.log");
    snprintf(sock, sizeof(sock), "%s/hvctld.sock", run);
    snprintf(bin, sizeof(bin), "%s/agent/hvctld", build ? build : ".");
    mkdir(run, 0700);
    pid = fork();
    if (pid < 0)
        fail_msg("fork: %s", strerror(errno));
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execl(bin, bin, "--db", db, "--rundir", run,
              "--socket", sock, "--listen", listen, "--insecure",
              "--no-autostart", (char *)NULL);
        _exit(127);
    }
    end = now_ms() + 30000;
    while (!port_open(*port)) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            fail_msg("hvctld --insecure exited at start (see %s)", log);
        if (now_ms() > end) {
            kill(pid, SIGKILL);
            fail_msg("hvctld --insecure did not listen within 30 s (see %s)",
                     log);
        }
        usleep(5000);
    }
    return pid;
}
