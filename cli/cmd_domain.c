/*
 * cmd_domain.c - the commands that act on running domains: create, list,
 * info, pause, unpause, shutdown, reboot, destroy, mem-set, and the
 * configuration dumps.
 *
 * Each one parses its arguments, names what it does in cli->what (the
 * "<what failed>" of error messages) and asks the backend.  State changes
 * print one confirmation line, or nothing with --json: the exit status is
 * the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cmdopts.h"
#include "console.h"
#include "output.h"

#define NARGS (argc - optind)

/*
 * `cmd [--json] DOMAIN`: *ref is the DOMAIN.  Returns -1 to go on, or
 * the exit status to return (help printed, usage error).
 */
static int one_domain(struct cli *cli, const char *cmd, int argc, char **argv,
                      const char **ref)
{
    struct cmdopts o = { .cmd = cmd };
    int c, rc;

    if ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands(cmd, NARGS, 1, 1)))
        return rc;
    *ref = argv[optind];
    cli_what(cli, "%s %s", cmd, *ref);
    return -1;
}

int cmd_create(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = {
        { "console", no_argument, NULL, 'C' },
        { NULL, 0, NULL, 0 },
    };
    struct cmdopts o = { .cmd = "create", .own = own };
    struct dom_row r = { 0 };
    struct backend *be;
    bool console = false;
    int c, rc;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        if (c == 'C')
            console = true;
        else
            return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    }
    if ((rc = cmd_operands("create", NARGS, 1, 1)))
        return rc;
    cli_what(cli, "create %s", argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if (console && !be->ops->console)
        return cli_fail(cli, "--console: the REST API has no console; "
                        "run `hvctl console` on the domain's host");
    if ((rc = be->ops->create(be, cli, argv[optind], &r)))
        return rc;
    if (cli->json && !console)
        print_json(row_to_json(&r), false);
    else if (!cli->json)
        printf("Domain '%s' created (id %ld).\n", r.name, r.id);
    if (!console)
        return EXIT_OK;
    fflush(stdout);
    cli_what(cli, "console %s", r.name);
    return console_attach(cli, r.name);
}

/* Running domains by domid, then the others (shutoff) by name. */
static int row_order(const void *a, const void *b)
{
    const struct dom_row *x = a, *y = b;

    if ((x->id < 0) != (y->id < 0))
        return x->id < 0 ? 1 : -1;
    if (x->id >= 0 && x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return strcmp(x->name, y->name);
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = {
        { "all", no_argument, NULL, 'a' },
        { NULL, 0, NULL, 0 },
    };
    struct cmdopts o = { .cmd = "list", .own = own, .shorts = "a" };
    struct dom_list l = { 0 };
    struct backend *be;
    bool all = false;
    int c, rc;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        if (c == 'a')
            all = true;
        else
            return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    }
    if ((rc = cmd_operands("list", NARGS, 0, 0)))
        return rc;
    cli_what(cli, all ? "list --all" : "list");
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be->ops->list(be, cli, all, &l)))
        goto out;
    if (l.n)
        qsort(l.rows, l.n, sizeof(l.rows[0]), row_order);
    if (cli->json) {
        json_object *arr = json_object_new_array(), *top;
        for (size_t i = 0; i < l.n; i++)
            json_object_array_add(arr, row_to_json(&l.rows[i]));
        top = json_object_new_object();
        json_object_object_add(top, "domains", arr);
        print_json(top, false);
    } else {
        print_table(&l, all);
    }
out:
    dom_list_free(&l);
    return rc;
}

int cmd_info(struct cli *cli, int argc, char **argv)
{
    struct dom_row r = { 0 };
    struct backend *be;
    const char *ref;
    int rc;

    if ((rc = one_domain(cli, "info", argc, argv, &ref)) >= 0)
        return rc;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be->ops->info(be, cli, ref, &r)))
        return rc;
    if (cli->json)
        print_json(row_to_json(&r), false);
    else
        print_info(&r);
    return EXIT_OK;
}

/* pause, unpause, reboot, destroy, start: DOMAIN, one request. */
static int simple_action(struct cli *cli, const char *cmd, int argc,
                         char **argv, enum dom_action act, const char *done)
{
    struct backend *be;
    const char *ref;
    int rc;

    if ((rc = one_domain(cli, cmd, argc, argv, &ref)) >= 0)
        return rc;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be->ops->action(be, cli, ref, act)))
        return rc;
    if (!cli->json)
        printf("Domain '%s' %s.\n", ref, done);
    return EXIT_OK;
}

int cmd_pause(struct cli *cli, int argc, char **argv)
{
    return simple_action(cli, "pause", argc, argv, ACT_PAUSE, "paused");
}

int cmd_unpause(struct cli *cli, int argc, char **argv)
{
    return simple_action(cli, "unpause", argc, argv, ACT_UNPAUSE, "unpaused");
}

int cmd_reboot(struct cli *cli, int argc, char **argv)
{
    return simple_action(cli, "reboot", argc, argv, ACT_REBOOT,
                         "is rebooting");
}

int cmd_destroy(struct cli *cli, int argc, char **argv)
{
    return simple_action(cli, "destroy", argc, argv, ACT_DESTROY,
                         "destroyed");
}

int cmd_start(struct cli *cli, int argc, char **argv)
{
    return simple_action(cli, "start", argc, argv, ACT_START, "started");
}

/*
 * A paused guest cannot see a shutdown request: asked anyway, the domain
 * would sit paused with the request pending and a wait would run out.
 * Unpausing behind the user's back is no better (they paused it for a
 * reason), so say what would work instead.  Whatever info cannot tell
 * (no such domain, no agent) is left to the shutdown itself to report.
 */
static int refuse_paused(struct cli *cli, struct backend *be, const char *ref)
{
    struct dom_row r = { 0 };
    int rc;

    cli->quiet = true;
    rc = be->ops->info(be, cli, ref, &r);
    cli->quiet = false;
    if (rc == EXIT_OK && strcmp(r.state, "paused") == 0)
        return cli_fail(cli, "domain '%s' is paused: unpause it first, or "
                        "use destroy", r.name);
    return EXIT_OK;
}

int cmd_shutdown(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = {
        { "wait", no_argument, NULL, 'w' },
        { "timeout", required_argument, NULL, 't' },
        { NULL, 0, NULL, 0 },
    };
    struct cmdopts o = { .cmd = "shutdown", .own = own, .shorts = "wt:" };
    struct backend *be;
    int c, rc, timeout_ms = 0;
    bool wait = false;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        switch (c) {
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
    if ((rc = cmd_operands("shutdown", NARGS, 1, 1)))
        return rc;
    if (wait && !timeout_ms)
        timeout_ms = -1;
    cli_what(cli, "shutdown %s", argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = refuse_paused(cli, be, argv[optind])))
        return rc;
    if ((rc = be->ops->shutdown(be, cli, argv[optind], timeout_ms)))
        return rc;
    if (!cli->json)
        printf(wait ? "Domain '%s' has shut down.\n"
                    : "Domain '%s' is shutting down.\n", argv[optind]);
    return EXIT_OK;
}

int cmd_mem_set(struct cli *cli, int argc, char **argv)
{
    struct cmdopts o = { .cmd = "mem-set" };
    struct backend *be;
    uint64_t mib;
    int c, rc;

    if ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands("mem-set", NARGS, 2, 2)))
        return rc;
    if (parse_u64(argv[optind + 1], 1, UINT64_MAX >> 20, &mib) < 0)
        return cli_usage("mem-set", "'%s': not a size in MiB (a whole "
                         "number above 0)", argv[optind + 1]);
    cli_what(cli, "mem-set %s", argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be->ops->mem_set(be, cli, argv[optind], mib)))
        return rc;
    if (!cli->json)
        printf("Domain '%s': memory target set to %llu MiB.\n", argv[optind],
               (unsigned long long)mib);
    return EXIT_OK;
}

static int dump(struct cli *cli, const char *cmd, int argc, char **argv,
                enum cfg_format fmt)
{
    struct backend *be;
    const char *ref;
    char *text = NULL;
    size_t n;
    int rc;

    if ((rc = one_domain(cli, cmd, argc, argv, &ref)) >= 0)
        return rc;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be->ops->dump(be, cli, ref, fmt, &text)))
        return rc;
    n = strlen(text);
    fputs(text, stdout);
    if (n == 0 || text[n - 1] != '\n')
        putchar('\n');
    free(text);
    return EXIT_OK;
}

int cmd_dumpxml(struct cli *cli, int argc, char **argv)
{
    return dump(cli, "dumpxml", argc, argv, CFG_XML);
}

int cmd_dumpjson(struct cli *cli, int argc, char **argv)
{
    return dump(cli, "dumpjson", argc, argv, CFG_JSON);
}

void dom_list_free(struct dom_list *l)
{
    free(l->rows);
    l->rows = NULL;
    l->n = 0;
}

struct dom_row *dom_list_add(struct dom_list *l)
{
    struct dom_row *rows = realloc(l->rows, (l->n + 1) * sizeof(*rows)), *r;

    if (!rows)
        return NULL;
    l->rows = rows;
    r = &rows[l->n++];
    memset(r, 0, sizeof(*r));
    r->id = -1;
    r->persistent = r->autostart = -1;
    return r;
}
