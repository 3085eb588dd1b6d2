/*
 * cmd_list.c - `hvctl list` and its filters, which are
 * hv_domain_list_filtered's: states, persistence, a name pattern.
 */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "cmdopts.h"
#include "output.h"

/* "running,paused" into state bits; 0 and a usage error when unknown. */
static int parse_states(const char *s, unsigned *flags)
{
    char buf[128], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", s);
    for (char *w = strtok_r(buf, ",", &save); w;
         w = strtok_r(NULL, ",", &save)) {
        int st;
        for (st = HV_STATE_RUNNING; st <= HV_STATE_SHUTOFF; st++)
            if (strcmp(w, hv_state_name(st)) == 0)
                break;
        if (st > HV_STATE_SHUTOFF)
            return cli_usage("list", "--state: unknown state '%s' (running, "
                             "paused, shutdown, crashed, shutoff)", w);
        *flags |= HV_LIST_STATE(st);
    }
    if (!(*flags & (HV_LIST_ACTIVE | HV_LIST_SHUTOFF)))
        return cli_usage("list", "--state: no state given");
    return 0;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = {
        { "all", no_argument, NULL, 'a' },
        { "state", required_argument, NULL, 's' },
        { "persistent", no_argument, NULL, 'p' },
        { "transient", no_argument, NULL, 't' },
        { "name", required_argument, NULL, 'n' },
        { NULL, 0, NULL, 0 },
    };
    struct cmdopts o = { .cmd = "list", .own = own, .shorts = "as:ptn:" };
    unsigned states = 0, persist = 0;
    const char *glob = NULL;
    struct dom_list l = { 0 };
    struct backend *be;
    bool all = false;
    int c, rc;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        switch (c) {
        case 'a': all = true; break;
        case 'p': persist |= HV_LIST_PERSISTENT; break;
        case 't': persist |= HV_LIST_TRANSIENT; break;
        case 'n': glob = optarg; break;
        case 's':
            if ((rc = parse_states(optarg, &states)))
                return rc;
            break;
        default:
            return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
        }
    }
    if ((rc = cmd_operands("list", NARGS, 0, 0)))
        return rc;
    if (persist == (HV_LIST_PERSISTENT | HV_LIST_TRANSIENT))
        return cli_usage("list", "--persistent or --transient, not both");
    /* --all: every state, unless --state chose. */
    if (!states)
        states = all ? HV_LIST_ACTIVE | HV_LIST_SHUTOFF : HV_LIST_ACTIVE;
    cli_what(cli, all ? "list --all" : "list");
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be_list(be, cli, states | persist, glob, &l)))
        goto out;
    dom_list_filter(&l, states | persist, glob);
    if (cli->json) {
        json_object *arr = json_object_new_array(), *top;
        for (size_t i = 0; i < l.n; i++)
            json_object_array_add(arr, fields_json(&l.rows[i]));
        top = json_object_new_object();
        json_object_object_add(top, "domains", arr);
        print_json(top, false);
    } else {
        print_table(&l, all || (states & HV_LIST_SHUTOFF) || persist);
    }
out:
    dom_list_free(&l);
    return rc;
}
