/*
 * cmd_persist.c - the commands about definitions kept by hvctld: define,
 * undefine, autostart.  (start is a plain action: cmd_domain.c.)
 */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "cmdopts.h"
#include "output.h"

#define NARGS (argc - optind)

int cmd_define(struct cli *cli, int argc, char **argv)
{
    struct cmdopts o = { .cmd = "define" };
    struct dom_row r = { 0 };
    struct backend *be;
    int c, rc;

    if ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands("define", NARGS, 1, 1)))
        return rc;
    cli_what(cli, "define %s", argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be->ops->define(be, cli, argv[optind], &r)))
        return rc;
    if (cli->json)
        print_json(row_to_json(&r), false);
    else
        printf("Domain '%s' defined.\n", r.name);
    return EXIT_OK;
}

int cmd_undefine(struct cli *cli, int argc, char **argv)
{
    struct cmdopts o = { .cmd = "undefine" };
    struct backend *be;
    int c, rc;

    if ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands("undefine", NARGS, 1, 1)))
        return rc;
    cli_what(cli, "undefine %s", argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be->ops->undefine(be, cli, argv[optind])))
        return rc;
    if (!cli->json)
        printf("Domain '%s' undefined.\n", argv[optind]);
    return EXIT_OK;
}

int cmd_autostart(struct cli *cli, int argc, char **argv)
{
    struct cmdopts o = { .cmd = "autostart" };
    struct backend *be;
    const char *v;
    bool on;
    int c, rc;

    if ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands("autostart", NARGS, 2, 2)))
        return rc;
    v = argv[optind + 1];
    if (strcmp(v, "on") == 0)
        on = true;
    else if (strcmp(v, "off") == 0)
        on = false;
    else
        return cli_usage("autostart", "'%s': say on or off", v);
    cli_what(cli, "autostart %s", argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be->ops->autostart(be, cli, argv[optind], on)))
        return rc;
    if (!cli->json)
        printf("Domain '%s': autostart %s.\n", argv[optind],
               on ? "on" : "off");
    return EXIT_OK;
}
