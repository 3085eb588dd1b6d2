/*
 * device_harness.c - see device_harness.h.
 */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "api_assert.h"
#include "cli_harness.h"
#include "device_harness.h"

/* ---- qemu-storage-daemon ---- */

static bool can_connect(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool ok;

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%.107s", path);
    ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* Serve q->img on q->sock; wait until it listens. */
void qsd_run(struct qsd *q)
{
    char blk[400], exp[400];
    double end;

    unlink(q->sock);
    snprintf(blk, sizeof(blk), "driver=file,node-name=f,filename=%s", q->img);
    snprintf(exp, sizeof(exp), "type=vhost-user-blk,id=e,node-name=f,"
             "addr.type=unix,addr.path=%s,writable=on", q->sock);
    q->pid = fork();
    assert_true(q->pid >= 0);
    if (q->pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execl(QSD, QSD, "--blockdev", blk, "--export", exp, (char *)NULL);
        _exit(127);
    }
    /* It serves one front end at a time: a probe is dropped at once. */
    end = now_ms() + WAIT_MS;
    while (!can_connect(q->sock)) {
        assert_true(now_ms() < end);
        assert_int_equal(waitpid(q->pid, NULL, WNOHANG), 0);
        usleep(10000);
    }
}

void qsd_start(struct qsd *q, const char *tag)
{
    int fd;

    snprintf(q->sock, sizeof(q->sock), "%s/%s.sock", cli_env.dir, tag);
    snprintf(q->img, sizeof(q->img), "%s/%s.img", cli_env.dir, tag);
    fd = open(q->img, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 16 << 20), 0);
    close(fd);
    qsd_run(q);
}

void qsd_stop(struct qsd *q)
{
    if (q->pid > 0) {
        kill(q->pid, SIGKILL);
        waitpid(q->pid, NULL, 0);
    }
    q->pid = 0;
}

/* ---- helpers ---- */

hv_device *disk(const char *id, const char *sock)
{
    char xml[600];
    hv_device *d = NULL;

    snprintf(xml, sizeof(xml), "<disk type='vhostuser'><source type='unix' "
             "path='%s'/><target dev='%s'/></disk>", sock, id);
    OK(hv_device_from_xml(xml, strlen(xml), "test", &d));
    return d;
}

size_t count(hv_domain *dom)
{
    hv_devlist *l;
    size_t n;

    OK(hv_domain_get_devices(dom, 0, &l));
    n = hv_devlist_count(l);
    hv_devlist_free(l);
    return n;
}

/* The next event of `type` on ev (others are skipped), within WAIT_MS. */
int expect_event(hv_events *ev, int type, const char *detail)
{
    double end = now_ms() + WAIT_MS;

    while (now_ms() < end) {
        struct pollfd p = { .fd = hv_events_get_fd(ev), .events = POLLIN };
        hv_event *e;
        int rc = hv_event_next(ev, &e), cause;

        if (rc == HV_EAGAIN) {
            poll(&p, 1, 100);
            continue;
        }
        OK(rc);
        if (hv_event_get_type(e) == type) {
            assert_string_equal(hv_event_get_detail(e), detail);
            cause = hv_event_get_cause(e);
            hv_event_free(e);
            return cause;
        }
        hv_event_free(e);
    }
    fail_msg("no %s event '%s' within %d ms", hv_event_type_name(type),
             detail, WAIT_MS);
    return -1;
}

bool config_has(hv_config *cfg, const char *id)
{
    bool has = hv_config_find_device(cfg, id) != NULL;

    hv_config_free(cfg);
    return has;
}
