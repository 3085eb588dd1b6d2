/*
 * linux_fetch.c - run linux_fetch.sh and read its `ready` file
 * (linux_fetch.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linux_fetch.h"

#ifndef LINUX_FETCH_SCRIPT
#error "LINUX_FETCH_SCRIPT (the path of linux_fetch.sh) must be defined by the build"
#endif

const char *linux_cache_dir(void)
{
    const char *dir = getenv("HVCTL_KERNEL_CACHE");

    return dir && *dir ? dir : LINUX_CACHE_DEFAULT;
}

/* The script's status (0, 77, other), its stderr's first line in why. */
static int run_script(const char *cache, char *why, size_t why_len)
{
    int err[2], st;
    char buf[1024];
    size_t got = 0;
    ssize_t n;
    pid_t pid;

    if (pipe2(err, O_CLOEXEC) < 0) {
        snprintf(why, why_len, "linux_fetch: pipe: %s", strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        snprintf(why, why_len, "linux_fetch: fork: %s", strerror(errno));
        close(err[0]);
        close(err[1]);
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(err[1], 2);
        signal(SIGPIPE, SIG_DFL);       /* the caller may ignore it */
        execl("/bin/sh", "sh", LINUX_FETCH_SCRIPT, cache, (char *)NULL);
        _exit(126);
    }
    close(err[1]);
    while ((n = read(err[0], buf + got, sizeof(buf) - 1 - got)) > 0 ||
           (n < 0 && errno == EINTR))
        if (n > 0)
            got += (size_t)n;
    close(err[0]);
    buf[got] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            snprintf(why, why_len, "linux_fetch: waitpid: %s", strerror(errno));
            return -1;
        }
    if (!WIFEXITED(st)) {
        snprintf(why, why_len, "linux_fetch.sh was killed by signal %d", WTERMSIG(st));
        return -1;
    }
    if (WEXITSTATUS(st))
        snprintf(why, why_len, "%s", buf[0] ? buf : "linux_fetch.sh failed, saying nothing");
    return WEXITSTATUS(st);
}

/* Copy the value of "key=" from a ready line into dst. */
static void take(const char *line, const char *key, char *dst, size_t len)
{
    size_t k = strlen(key);

    if (strncmp(line, key, k) == 0 && line[k] == '=')
        snprintf(dst, len, "%.*s", (int)strcspn(line + k + 1, "\n"), line + k + 1);
}

int linux_fetch(struct linux_kit *kit, char *why, size_t why_len)
{
    const char *cache = linux_cache_dir();
    char path[PATH_MAX], line[PATH_MAX + 32];
    FILE *f;
    int r;

    memset(kit, 0, sizeof(*kit));
    r = run_script(cache, why, why_len);
    if (r == LINUX_FETCH_SKIP)
        return LINUX_FETCH_SKIP;
    if (r)
        return -1;
    snprintf(path, sizeof(path), "%s/ready", cache);
    f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_len, "linux_fetch: cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof(line), f)) {
        take(line, "release", kit->release, sizeof(kit->release));
        take(line, "vmlinuz", kit->vmlinuz, sizeof(kit->vmlinuz));
        take(line, "system_map", kit->system_map, sizeof(kit->system_map));
        take(line, "busybox", kit->busybox, sizeof(kit->busybox));
    }
    fclose(f);
    if (!kit->release[0] || !kit->vmlinuz[0] || !kit->busybox[0]) {
        snprintf(why, why_len, "linux_fetch: %s lacks release, vmlinuz or busybox", path);
        return -1;
    }
    if (access(kit->vmlinuz, R_OK) < 0 || access(kit->busybox, X_OK) < 0) {
        snprintf(why, why_len, "linux_fetch: %s names files that are gone (remove it to fetch "
                 "again)", path);
        return -1;
    }
    return 0;
}
