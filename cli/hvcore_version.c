/*
 * hvcore_version.c - the version of the hvcore this host would run, for
 * `hvctl version`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

#ifndef HVCORE_INSTALL_PATH
#define HVCORE_INSTALL_PATH "/usr/local/bin/hvcore"
#endif

/*
 * hvcore's version, from `hvcore --version`: hvctl.h has no call for it
 * (the domctl interface version is all libhvctl sees, and only through a
 * running domain).  Same search as libhvctl: $HVCORE_PATH, else the
 * installed hvcore.
 */
void hvcore_version(char *out, size_t len)
{
    const char *path = getenv("HVCORE_PATH");
    char buf[256];
    int p[2], status;
    ssize_t n = 0, r;
    pid_t pid;

    out[0] = '\0';
    if (!path || !*path)
        path = HVCORE_INSTALL_PATH;
    if (pipe(p) < 0)
        return;
    pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl(path, path, "--version", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    while (pid > 0 && n < (ssize_t)sizeof(buf) - 1 &&
           ((r = read(p[0], buf + n, sizeof(buf) - 1 - (size_t)n)) > 0 ||
            (r < 0 && errno == EINTR)))
        n += r > 0 ? r : 0;
    close(p[0]);
    if (pid > 0)
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
    buf[n] = '\0';
    buf[strcspn(buf, "\n")] = '\0';
    /* "hvcore 0.1.0 (guest ABI 1, domctl 0x10000)": drop the name. */
    if (strncmp(buf, "hvcore ", 7) == 0)
        str_copy(out, len, buf + 7);
}
