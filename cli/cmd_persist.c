/*
 * cmd_persist.c - the commands about definitions kept by hvctld that
 * take no configuration: undefine, autostart.  (define and edit:
 * cmd_config.c, cmd_edit.c; start is a plain action: cmd_domain.c.)
 */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "cmdopts.h"

int cmd_undefine(struct cli *cli, int argc, char **argv)
{
    struct backend *be;
    const char *ref;
    int rc;

    if ((rc = cmd_one_domain(cli, "undefine", NULL, NULL, NULL, NULL, argc,
                             argv, &ref)) >= 0)
        return rc;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be_undefine(be, cli, ref)))
        return rc;
    if (!cli->json)
        printf("Domain '%s' undefined.\n", ref);
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
    if ((rc = be_autostart(be, cli, argv[optind], on)))
        return rc;
    if (!cli->json)
        printf("Domain '%s': autostart %s.\n", argv[optind],
               on ? "on" : "off");
    return EXIT_OK;
}
