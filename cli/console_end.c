/*
 * console_end.c - see console_end.h.
 *
 * A console closes the same way whatever ended the domain, so the
 * console alone cannot tell a poweroff from a kill -9 of hvcore.  The
 * domain's event stream can: hvcore sends a last event (shutdown,
 * destroyed, crashed) before it exits, and libhvctl reports a stream
 * that ends without one as a crash whose detail is its own "hvcore (pid
 * N) died".
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "console_end.h"

/* How long the last event of a domain whose console closed may take. */
#define CONSOLE_END_WAIT_MS 30000
/* libhvctl's detail of a crash event for a dead hvcore. */
#define DIED_PREFIX "hvcore (pid "

struct console_end {
    hv_events *ev;
    uint32_t domid;
    int pid;                    /* its hvcore; 0 if unknown */
};

struct console_end *console_end_watch(hv_conn *conn, hv_domain *dom)
{
    struct console_end *w = calloc(1, sizeof(*w));
    hv_domain_info *info;

    if (!w)
        return NULL;
    if (hv_events_open(conn, &w->ev)) {
        free(w);
        return NULL;
    }
    w->domid = hv_domain_get_id(dom);
    if (hv_domain_get_info(dom, &info) == 0) {
        w->pid = hv_domain_info_get_pid(info);
        hv_domain_info_free(info);
    }
    return w;
}

void console_end_free(struct console_end *w)
{
    if (!w)
        return;
    hv_events_free(w->ev);
    free(w);
}

/*
 * What became of hvcore pid, which died.  A zombie nobody has reaped yet
 * still has its wait status in /proc/PID/stat (field 52, exit_code);
 * once reaped, only its parent knew, and hvcore is not hvctl's child.
 */
static void describe_death(int pid, char *why, size_t len)
{
    char path[64], buf[1024], *p;
    int fd, n, field, status = -1;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    fd = pid > 0 ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    n = fd >= 0 ? (int)read(fd, buf, sizeof(buf) - 1) : -1;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = '\0';
    /* "pid (comm) S ...": comm may hold spaces and parentheses. */
    p = strrchr(buf, ')');
    if (p && p[1] == ' ' && p[2] == 'Z') {
        for (p += 2, field = 3; field < 52 && p; field++)
            if ((p = strchr(p, ' ')))
                p++;
        if (p)
            status = atoi(p);
    }
    if (status >= 0 && WIFSIGNALED(status))
        snprintf(why, len, "hvcore (pid %d) was killed by signal %d (%s) "
                 "without shutting the domain down", pid, WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else if (status >= 0 && WIFEXITED(status))
        snprintf(why, len, "hvcore (pid %d) exited with status %d without "
                 "shutting the domain down", pid, WEXITSTATUS(status));
    else
        snprintf(why, len, "hvcore (pid %d) died without shutting the "
                 "domain down", pid);
}

/* The verdict of one event: -1 none yet, 0 ended well, 1 not (why). */
static int verdict_of(const struct console_end *w, const hv_event *e,
                      char *why, size_t len)
{
    const char *detail = hv_event_get_detail(e);

    switch (hv_event_get_type(e)) {
    case HV_EVENT_SHUTDOWN:
    case HV_EVENT_DESTROYED:
        return 0;
    case HV_EVENT_CRASHED:
        if (strncmp(detail, DIED_PREFIX, strlen(DIED_PREFIX)) == 0)
            describe_death(w->pid > 0 ? w->pid
                                      : atoi(detail + strlen(DIED_PREFIX)),
                           why, len);
        else
            snprintf(why, len, "the guest crashed%s%s", *detail ? ": " : "",
                     detail);
        return 1;
    default:
        return -1;
    }
}

int console_end_verdict(struct console_end *w, char *why, size_t len)
{
    uint64_t end = mono_ns() + CONSOLE_END_WAIT_MS * 1000000ull;
    int verdict = -1, r = HV_EAGAIN;

    while (w && verdict < 0) {
        struct pollfd p = { .fd = hv_events_get_fd(w->ev), .events = POLLIN };
        uint64_t now = mono_ns();
        hv_event *e;

        while (verdict < 0 && (r = hv_event_next(w->ev, &e)) == 0) {
            if (hv_event_get_domid(e) == w->domid)
                verdict = verdict_of(w, e, why, len);
            hv_event_free(e);
        }
        if (verdict >= 0 || r != HV_EAGAIN || now >= end)
            break;
        poll(&p, 1, (int)((end - now) / 1000000) + 1);
    }
    console_end_free(w);
    return verdict > 0;
}
