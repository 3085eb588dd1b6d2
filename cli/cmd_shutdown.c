/*
 * cmd_shutdown.c - `hvctl shutdown [--wait [--timeout S]] DOMAIN|--all`.
 *
 * --all asks every running domain (a loop over the list through
 * libhvctl; hvctld's ordered host shutdown has no libhvctl call yet),
 * then, with --wait, waits for all of them together, so the wait is the
 * slowest guest's and not the sum of all.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cmdopts.h"

#define WAIT_POLL_MS 50

/*
 * A paused guest cannot see a shutdown request: asked anyway, the domain
 * would sit paused with the request pending and a wait would run out.
 * Unpausing behind the user's back is no better (they paused it for a
 * reason), so say what would work instead.  Whatever info cannot tell
 * is left to the shutdown itself to report.
 */
static int refuse_paused(struct cli *cli, struct backend *be, const char *ref)
{
    struct hv_fields f;
    int rc;

    cli->quiet = true;
    rc = be_info(be, cli, ref, &f);
    cli->quiet = false;
    if (rc == EXIT_OK && f.state == HV_STATE_PAUSED)
        return cli_fail(cli, "domain '%s' is paused: unpause it first, or "
                        "use destroy", f.name);
    return EXIT_OK;
}

/* Has the domain of uuid (name) ended: gone, or shut off? */
static bool ended(struct cli *cli, struct backend *be, const char *ref)
{
    struct hv_fields f;
    int rc;

    cli->quiet = true;
    rc = be_info(be, cli, ref, &f);
    cli->quiet = false;
    return rc != EXIT_OK || f.state == HV_STATE_SHUTOFF;
}

/* Ask every running domain, then wait for them together. */
static int shutdown_all(struct cli *cli, struct backend *be, bool wait,
                        int timeout_ms)
{
    uint64_t end = timeout_ms > 0 ? mono_ns() + (uint64_t)timeout_ms * 1000000
                                  : UINT64_MAX;
    struct dom_list l = { 0 };
    size_t left;
    int rc;

    if ((rc = be_list(be, cli, HV_LIST_RUNNING, NULL, &l)))
        return rc;
    dom_list_filter(&l, HV_LIST_RUNNING, NULL);
    for (size_t i = 0; i < l.n; i++) {
        cli_what(cli, "shutdown %s", l.rows[i].name);
        if ((rc = be_shutdown(be, cli, l.rows[i].uuid[0]
                                    ? l.rows[i].uuid : l.rows[i].name, 0)))
            goto out;
        if (!cli->json && !wait)
            printf("Domain '%s' is shutting down.\n", l.rows[i].name);
    }
    cli_what(cli, "shutdown --all");
    if (!wait || !l.n)
        goto out;
    if (sig_watch() < 0) {
        rc = cli_fail(cli, "cannot watch signals: %s", strerror(errno));
        goto out;
    }
    for (left = l.n; left;) {
        struct pollfd p = { .fd = sig_fd(), .events = POLLIN };

        left = 0;
        for (size_t i = 0; i < l.n; i++) {
            struct hv_fields *f = &l.rows[i];
            if (!f->name[0])
                continue;
            if (!ended(cli, be, f->uuid[0] ? f->uuid : f->name)) {
                left++;
                continue;
            }
            if (!cli->json)
                printf("Domain '%s' has shut down.\n", f->name);
            fflush(stdout);
            f->name[0] = '\0';
        }
        if (!left)
            break;
        if (mono_ns() >= end) {
            rc = cli_fail(cli, "%zu domain%s still running after %d.%03d s "
                          "(the requests stand)", left, left > 1 ? "s" : "",
                          timeout_ms / 1000, timeout_ms % 1000);
            break;
        }
        poll(&p, 1, WAIT_POLL_MS);
        if (sig_caught()) {
            rc = cli_fail(cli, "interrupted with %zu domain%s still running "
                          "(the requests stand)", left, left > 1 ? "s" : "");
            break;
        }
    }
out:
    dom_list_free(&l);
    return rc;
}

int cmd_shutdown(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = {
        { "all", no_argument, NULL, 'a' },
        { "wait", no_argument, NULL, 'w' },
        { "timeout", required_argument, NULL, 't' },
        { NULL, 0, NULL, 0 },
    };
    struct cmdopts o = { .cmd = "shutdown", .own = own, .shorts = "awt:" };
    struct backend *be;
    int c, rc, timeout_ms = 0;
    bool wait = false, all = false;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        switch (c) {
        case 'a':
            all = true;
            break;
        case 'w':
            wait = true;
            break;
        case 't':
            if (parse_seconds_ms(optarg, &timeout_ms) < 0 || !timeout_ms)
                return cli_usage("shutdown", "--timeout '%s': not a number "
                                 "of seconds above 0", optarg);
            wait = true;
            break;
        default:
            return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
        }
    }
    if (all && NARGS)
        return cli_usage("shutdown", "--all or a DOMAIN, not both");
    if (!all && (rc = cmd_operands("shutdown", NARGS, 1, 1)))
        return rc;
    if (wait && !timeout_ms)
        timeout_ms = -1;
    if (all)
        cli_what(cli, "shutdown --all");
    else
        cli_what(cli, "shutdown %s", argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if (all)
        return shutdown_all(cli, be, wait, timeout_ms);
    if ((rc = refuse_paused(cli, be, argv[optind])))
        return rc;
    if ((rc = be_shutdown(be, cli, argv[optind], timeout_ms)))
        return rc;
    if (!cli->json)
        printf(wait ? "Domain '%s' has shut down.\n"
                    : "Domain '%s' is shutting down.\n", argv[optind]);
    return EXIT_OK;
}
