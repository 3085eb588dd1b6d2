/*
 * backend_lib_io.c - the long-lived streams of the libhvctl back end:
 * lifecycle events (hv_events, which on an agent connection reconnects
 * by itself after an agent restart and resumes with Last-Event-ID), and
 * the guest console with what its end meant (console_end.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "backend_lib.h"

static void event_fields(const hv_event *e, struct dom_event *de)
{
    int reason = hv_event_get_reason(e), cause = hv_event_get_cause(e);

    memset(de, 0, sizeof(*de));
    de->time_ns = hv_event_get_time_ns(e);
    str_copy(de->type, sizeof(de->type),
             hv_event_type_name(hv_event_get_type(e)));
    de->id = hv_event_get_domid(e);
    str_copy(de->name, sizeof(de->name), hv_event_get_name(e));
    str_copy(de->uuid, sizeof(de->uuid), hv_event_get_uuid(e));
    str_copy(de->detail, sizeof(de->detail), hv_event_get_detail(e));
    if (reason != HV_REASON_UNKNOWN)
        str_copy(de->reason, sizeof(de->reason), hv_reason_name(reason));
    if (cause != HV_CAUSE_UNKNOWN)
        str_copy(de->cause, sizeof(de->cause), hv_cause_name(cause));
}

/*
 * Until a signal, fn's word, or a failure of the source.  HV_EAGAIN is
 * "poll again", also while an agent connection is reconnecting: the
 * source keeps its fd and says when there is more.
 */
int be_events(struct backend *be, struct cli *cli, event_fn fn)
{
    hv_events *ev;
    int rc = EXIT_OK;

    if (hv_events_open(be->conn, &ev))
        return lib_fail(cli);
    if (sig_watch() < 0) {
        hv_events_free(ev);
        return cli_fail(cli, "cannot watch signals: %s", strerror(errno));
    }
    for (;;) {
        struct pollfd p[2] = {
            { .fd = hv_events_get_fd(ev), .events = POLLIN },
            { .fd = sig_fd(), .events = POLLIN },
        };
        struct dom_event de;
        hv_event *e;
        int r;

        if (poll(p, 2, -1) < 0 && errno != EINTR) {
            rc = cli_fail(cli, "poll: %s", strerror(errno));
            break;
        }
        if (sig_caught())
            break;
        while ((r = hv_event_next(ev, &e)) == 0) {
            event_fields(e, &de);
            hv_event_free(e);
            if (fn(cli, &de))
                goto out;
        }
        if (r != HV_EAGAIN) {
            rc = lib_fail(cli);
            break;
        }
    }
out:
    hv_events_free(ev);
    return rc;
}

int be_console(struct backend *be, struct cli *cli, const char *ref,
               int *fd, char name[64])
{
    struct backend *l = be;
    hv_domain *dom;
    int rc;

    if ((rc = lib_resolve(be, cli, ref, &dom)))
        return rc;
    str_copy(name, 64, hv_domain_get_name(dom));
    /* From before the console opens: its end must be seen. */
    console_end_free(l->con_end);
    l->con_end = console_end_watch(l->conn, dom);
    rc = hv_domain_console_open(dom, fd) ? lib_fail(cli) : EXIT_OK;
    hv_domain_free(dom);
    return rc;
}

int be_console_closed(struct backend *be, struct cli *cli, char *why,
                      size_t len)
{
    struct backend *l = be;
    struct console_end *w = l->con_end;

    (void)cli;
    l->con_end = NULL;
    return console_end_verdict(w, why, len);
}
