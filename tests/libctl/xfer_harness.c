/*
 * xfer_harness.c - see xfer_harness.h.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_assert.h"
#include "xfer_harness.h"

#define WAIT_MS 30000

/* Append what fd says to buf for up to ms, until stop(buf) is true. */
static bool read_until(int fd, char *buf, size_t size, size_t *len,
                       bool (*stop)(const char *buf, const void *arg),
                       const void *arg)
{
    double end = harness_now_ms() + WAIT_MS;

    while (!stop(buf, arg) && harness_now_ms() < end) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, 100) <= 0)
            continue;
        if (*len + 1 >= size) {         /* keep the newest half */
            memmove(buf, buf + size / 2, *len - size / 2);
            *len -= size / 2;
        }
        n = read(fd, buf + *len, size - 1 - *len);
        if (n <= 0)
            break;
        *len += (size_t)n;
        buf[*len] = '\0';
    }
    return stop(buf, arg);
}

static bool has_text(const char *buf, const void *arg)
{
    return strstr(buf, arg) != NULL;
}

bool xfer_console_shows(hv_domain *d, const char *text)
{
    char buf[64 * 1024] = "";
    size_t len = 0;
    int fd = -1;
    bool seen;

    OK(hv_domain_console_open(d, &fd));
    seen = read_until(fd, buf, sizeof(buf), &len, has_text, text);
    close(fd);
    return seen;
}

hv_domain *xfer_start(struct harness *h, const char *name, unsigned mem_mib,
                      unsigned fill_mib)
{
    char cmdline[64];
    hv_config *cfg;
    hv_domain *d = NULL;

    snprintf(cmdline, sizeof(cmdline), "memcheck=%u", fill_mib);
    cfg = harness_config(h, name, cmdline);
    assert_non_null(cfg);
    OK(hv_config_set_memory(cfg, mem_mib, mem_mib));
    OK(hv_domain_create(h->conn, cfg, 0, &d));
    hv_config_free(cfg);
    if (!xfer_console_shows(d, "memcheck filled "))
        fail_msg("%s: memcheck did not fill its memory", name);
    return d;
}

struct newer {
    long long after, ticks;     /* ticks: -1 until a line is seen */
    bool failed;
};

/* A verify line newer than `after` ticks, or a failure. */
static bool verify_seen(const char *buf, const void *arg)
{
    struct newer *n = (struct newer *)arg;

    if (strstr(buf, "memcheck verify FAILED"))
        n->failed = true;
    for (const char *p = buf; (p = strstr(p, "memcheck verify ok ")); p++) {
        const char *t = strstr(p, " ticks=");
        long long v;
        if (t && sscanf(t, " ticks=%lld", &v) == 1 && v > n->after)
            n->ticks = v;
    }
    return n->failed || n->ticks >= 0;
}

long long xfer_verify(hv_domain *d, long long after_ticks)
{
    static char buf[64 * 1024];
    struct newer n = { .after = after_ticks, .ticks = -1 };
    size_t len = 0;
    int fd = -1;

    buf[0] = '\0';
    OK(hv_domain_console_open(d, &fd));
    assert_int_equal(write(fd, "v", 1), 1);
    read_until(fd, buf, sizeof(buf), &len, verify_seen, &n);
    close(fd);
    if (n.failed)
        fail_msg("%s: memcheck found damaged memory:\n%s",
                 hv_domain_get_name(d), strstr(buf, "memcheck verify FAILED"));
    if (n.ticks < 0)
        fail_msg("%s: no verify line after %lld ticks within %d ms:\n%s",
                 hv_domain_get_name(d), after_ticks, WAIT_MS, buf);
    return n.ticks;
}

void xfer_on_progress(const char *step, double fraction, void *opaque)
{
    struct xfer_rec *r = opaque;
    uint64_t sent, phase;

    (void)step;
    (void)fraction;
    if (hv_op_get_figure(r->op, HV_OP_BYTES_SENT, &sent) != 0 ||
        hv_op_get_figure(r->op, HV_OP_PHASE, &phase) != 0)
        return;                 /* libhvctl's own steps: no figures yet */
    if (r->calls++ == 0)
        r->first_sent = sent;
    else if (sent < r->last_sent)
        r->went_down = true;
    r->last_sent = sent;
    r->last_phase = (int)phase;
    if (!r->acted && r->kill_at_handshake > 0 &&
        phase == HV_OP_PHASE_HANDSHAKE) {
        kill(r->kill_at_handshake, SIGKILL);
        r->acted = true;
    }
    if (r->acted || sent == 0 || (phase != HV_OP_PHASE_PRECOPY &&
                                  phase != HV_OP_PHASE_FINAL))
        return;
    if (r->kill_at_precopy > 0) {
        if (r->kill_in)
            r->killed = xfer_only_pid(r->kill_in);
        kill(r->kill_at_precopy, SIGKILL);
        r->acted = true;
    } else if (r->cancel_at_first) {
        hv_op_cancel(r->op);
        r->acted = true;
    } else if (r->kill_in && (r->killed = xfer_only_pid(r->kill_in)) > 0) {
        kill(r->killed, SIGKILL);
        r->acted = true;
    }
}

void xfer_rec_init(struct xfer_rec *r)
{
    memset(r, 0, sizeof(*r));
    r->op = hv_op_new(xfer_on_progress, r);
    assert_non_null(r->op);
}

void xfer_rec_free(struct xfer_rec *r)
{
    hv_op_free(r->op);
    r->op = NULL;
}

/* Entries of domains/ that are domids. */
static int scan(const struct harness *h, pid_t *pid)
{
    char path[600], buf[32];
    struct dirent *de;
    DIR *dir;
    int n = 0;

    snprintf(path, sizeof(path), "%s/domains", h->rundir);
    if (!(dir = opendir(path)))
        return 0;
    while ((de = readdir(dir))) {
        FILE *f;
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        n++;
        snprintf(path, sizeof(path), "%s/domains/%s/pid", h->rundir,
                 de->d_name);
        if (pid && (f = fopen(path, "r"))) {
            if (fgets(buf, sizeof(buf), f))
                *pid = (pid_t)strtol(buf, NULL, 10);
            fclose(f);
        }
    }
    closedir(dir);
    return n;
}

pid_t xfer_only_pid(const struct harness *h)
{
    pid_t pid = 0;

    return scan(h, &pid) == 1 ? pid : 0;
}

int xfer_entries(const struct harness *h)
{
    return scan(h, NULL);
}

int xfer_nothing_left(struct harness *h)
{
    hv_domlist *l;
    int rc = harness_nothing_left(h);

    if (rc == 0 || hv_domain_list(h->conn, &l) != 0)
        return rc;
    for (size_t i = 0; i < hv_domlist_count(l); i++) {
        hv_domain *d;
        if (hv_domain_lookup_by_id(h->conn, hv_domain_info_get_id(
                hv_domlist_get(l, i)), &d) == 0) {
            hv_domain_destroy(d, 0);
            hv_domain_free(d);
        }
    }
    hv_domlist_free(l);
    return rc;
}
