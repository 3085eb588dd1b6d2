/*
 * cmd_shutdown.c - `hvctl shutdown [--wait [--timeout S]] DOMAIN|--all`.
 *
 * --all is hv_conn_shutdown_all: through hvctld, the agent's host
 * shutdown (domains without autostart first, then the autostart ones, the
 * last started first); directly, every running domain asked at once.
 * With --wait, the wait is for all of them together.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cmdopts.h"

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

/*
 * Every running domain.  A paused one is refused up front, as for one
 * domain: it could not act on the request, and a wait would run out.
 */
static int shutdown_all(struct cli *cli, struct backend *be, bool wait,
                        int timeout_ms)
{
    struct dom_list l = { 0 };
    int rc;

    if ((rc = be_list(be, cli, HV_LIST_RUNNING | HV_LIST_PAUSED, NULL, &l)))
        return rc;
    dom_list_filter(&l, HV_LIST_RUNNING | HV_LIST_PAUSED, NULL);
    for (size_t i = 0; i < l.n; i++)
        if (l.rows[i].state == HV_STATE_PAUSED) {
            rc = cli_fail(cli, "domain '%s' is paused: unpause it first, or "
                          "use destroy", l.rows[i].name);
            goto out;
        }
    if (!l.n)
        goto out;
    if ((rc = be_shutdown_all(be, cli, wait ? timeout_ms : 0)))
        goto out;
    for (size_t i = 0; i < l.n && !cli->json; i++)
        printf(wait ? "Domain '%s' has shut down.\n"
                    : "Domain '%s' is shutting down.\n", l.rows[i].name);
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
