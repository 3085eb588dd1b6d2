/*
 * migrate_relay.c - starting hvmigrate-relay for one migration, and the
 * notes that say where a domain went (migrate.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "migrate.h"

extern char **environ;

/* The build says where it installs the relay (agent/local.mk); a build
 * that does not (the fuzzers') gets the usual place. */
#ifndef RELAY_INSTALL_PATH
#define RELAY_INSTALL_PATH "/usr/local/libexec/hvctl/hvmigrate-relay"
#endif

/* Where the relay's fds land in it. */
#define RELAY_NET_FD   3
#define RELAY_LOCAL_FD 4
#define RELAY_KEY_FD   5

static const char *relay_path(void)
{
    const char *p = getenv("HVMIGRATE_RELAY");

    return p && *p ? p : RELAY_INSTALL_PATH;
}

/* A close-on-exec copy of fd above the ones we dup2 onto. */
static int high(int fd)
{
    return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 10);
}

int relay_spawn(int listen_fd, const char *connect, int local_fd,
                const char *key, const char *id, bool insecure,
                int stderr_fd, pid_t *pid, char *err, size_t errlen)
{
    char a_net[16], a_local[16], a_key[16], a_id[RELAY_ID_MAX + 1];
    const char *argv[16];
    posix_spawn_file_actions_t fa;
    int kp[2] = { -1, -1 }, hnet = -1, hlocal = -1, hkey = -1, n = 0, rc;

    *pid = -1;
    if (pipe2(kp, O_CLOEXEC) < 0 ||
        write(kp[1], key, strlen(key)) != (ssize_t)strlen(key)) {
        snprintf(err, errlen, "cannot pass the key to the relay: %s",
                 strerror(errno));
        rc = -1;
        goto out;
    }
    close(kp[1]);
    kp[1] = -1;
    hnet = high(listen_fd);
    hlocal = high(local_fd);
    hkey = high(kp[0]);
    snprintf(a_net, sizeof(a_net), "%d", RELAY_NET_FD);
    snprintf(a_local, sizeof(a_local), "%d", RELAY_LOCAL_FD);
    snprintf(a_key, sizeof(a_key), "%d", RELAY_KEY_FD);
    snprintf(a_id, sizeof(a_id), "%s", id);
    argv[n++] = relay_path();
    if (listen_fd >= 0) {
        argv[n++] = "--listen-fd";
        argv[n++] = a_net;
    } else {
        argv[n++] = "--connect";
        argv[n++] = connect;
    }
    argv[n++] = "--local-fd";
    argv[n++] = a_local;
    argv[n++] = "--key-fd";
    argv[n++] = a_key;
    argv[n++] = "--identity";
    argv[n++] = a_id;
    if (insecure)
        argv[n++] = "--insecure";
    argv[n] = NULL;
    posix_spawn_file_actions_init(&fa);
    if (hnet >= 0)
        posix_spawn_file_actions_adddup2(&fa, hnet, RELAY_NET_FD);
    posix_spawn_file_actions_adddup2(&fa, hlocal, RELAY_LOCAL_FD);
    posix_spawn_file_actions_adddup2(&fa, hkey, RELAY_KEY_FD);
    if (stderr_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, stderr_fd, STDERR_FILENO);
    rc = posix_spawn(pid, argv[0], &fa, NULL, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        snprintf(err, errlen, "cannot start %s: %s", argv[0], strerror(rc));
        *pid = -1;
        rc = -1;
    }
out:
    for (int i = 0; i < 2; i++)
        if (kp[i] >= 0)
            close(kp[i]);
    if (hnet >= 0)
        close(hnet);
    if (hlocal >= 0)
        close(hlocal);
    if (hkey >= 0)
        close(hkey);
    return rc;
}

int relay_reap(pid_t pid, int ms)
{
    int st = 0;

    if (pid <= 0)
        return -1;
    for (int waited = 0;; waited += 5) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            break;
        if (waited >= ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            break;
        }
        nanosleep(&(struct timespec){ .tv_nsec = 5000000 }, NULL);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

bool migrate_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (strcmp(host, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

/* ---- notes ----
 * Set on the event loop, and by a migration's worker just before it
 * destroys a source copy that the destination runs (migrate_out.c), so
 * guarded. */

static pthread_mutex_t notes_lock = PTHREAD_MUTEX_INITIALIZER;

struct mig_note {
    char name[64], type[16], detail[256];
    struct mig_note *next;
};

static bool take_locked(struct agent *a, const char *name, const char *type,
                        char *out, size_t len)
{
    for (struct mig_note **p = &a->mig_notes; *p; p = &(*p)->next) {
        struct mig_note *n = *p;
        if (strcmp(n->name, name) == 0 && strcmp(n->type, type) == 0) {
            snprintf(out, len, "%s", n->detail);
            *p = n->next;
            free(n);
            return true;
        }
    }
    return false;
}

void migrate_note_set(struct agent *a, const char *name, const char *type,
                      const char *detail)
{
    struct mig_note *n = calloc(1, sizeof(*n));
    char drop[256];

    if (!n)
        return;
    snprintf(n->name, sizeof(n->name), "%s", name);
    snprintf(n->type, sizeof(n->type), "%s", type);
    snprintf(n->detail, sizeof(n->detail), "%s", detail);
    pthread_mutex_lock(&notes_lock);
    /* One note per domain and type: the latest move's. */
    take_locked(a, name, type, drop, sizeof(drop));
    n->next = a->mig_notes;
    a->mig_notes = n;
    pthread_mutex_unlock(&notes_lock);
}

bool migrate_note_take(struct agent *a, const char *name, const char *type,
                       char *out, size_t len)
{
    bool found;

    pthread_mutex_lock(&notes_lock);
    found = take_locked(a, name, type, out, len);
    pthread_mutex_unlock(&notes_lock);
    return found;
}

void migrate_notes_free(struct agent *a)
{
    pthread_mutex_lock(&notes_lock);
    while (a->mig_notes) {
        struct mig_note *n = a->mig_notes;
        a->mig_notes = n->next;
        free(n);
    }
    pthread_mutex_unlock(&notes_lock);
}
