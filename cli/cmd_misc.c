/*
 * cmd_misc.c - events, version, help.
 */
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "cmdopts.h"
#include "hvctl.h"
#include "output.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif


static int on_event(struct cli *cli, const struct dom_event *ev)
{
    if (cli->json) {
        print_json(event_to_json(ev), true);
        fflush(stdout);
    } else {
        print_event(ev);
    }
    /* A reader that went away (hvctl events | head -1) ends the stream. */
    return ferror(stdout) ? 1 : 0;
}

int cmd_events(struct cli *cli, int argc, char **argv)
{
    struct cmdopts o = { .cmd = "events" };
    struct backend *be;
    int c, rc;

    if ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands("events", NARGS, 0, 0)))
        return rc;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    return be_events(be, cli, on_event);
}

/* The version number alone: the first word of "0.1.0 (guest ABI 1...)". */
static json_object *version_word(const char *s)
{
    size_t n = strcspn(s, " ");

    return n ? json_object_new_string_len(s, (int)n) : NULL;
}

int cmd_version(struct cli *cli, int argc, char **argv)
{
    struct cmdopts o = { .cmd = "version" };
    struct version_info v = { 0 };
    unsigned lib = hv_version();
    struct backend *be;
    int c, rc;

    if ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands("version", NARGS, 0, 0)))
        return rc;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    rc = be_version(be, cli, &v);
    /* An agent that did not say: at least the library of this process. */
    if (!v.library[0])
        snprintf(v.library, sizeof(v.library), "%u.%u.%u", lib >> 16,
                 (lib >> 8) & 0xff, lib & 0xff);
    if (cli->json) {
        json_object *j = json_object_new_object();
        json_object_object_add(j, "client",
                               json_object_new_string(PACKAGE_VERSION));
        json_object_object_add(j, "library", version_word(v.library));
        json_object_object_add(j, "hypervisor", version_word(v.hypervisor));
        json_object_object_add(j, "agent", version_word(v.agent));
        json_object_object_add(j, "connection",
                               json_object_new_string(be_uri(be)));
        json_object_object_add(j, "driver",
                               json_object_new_string(be_driver(be)));
        print_json(j, false);
    } else {
        printf("client:      hvctl %s\n", PACKAGE_VERSION);
        printf("library:     libhvctl %s\n", v.library);
        printf("hypervisor:  %s%s\n", v.hypervisor[0] ? "hvcore " : "",
               v.hypervisor[0] ? v.hypervisor : "unknown");
        if (v.agent[0])
            printf("agent:       hvctld %s\n", v.agent);
        else
            printf("agent:       %s\n", v.agent_note[0] ? v.agent_note
                                                        : "unknown");
        printf("connection:  %s (%s driver)\n", be_uri(be), be_driver(be));
    }
    return rc;
}

int cmd_help(struct cli *cli, int argc, char **argv)
{
    struct cmdopts o = { .cmd = "help" };
    const struct command *cmd;
    int c, rc;

    if ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands("help", NARGS, 0, 1)))
        return rc;
    if (NARGS == 0) {
        print_usage();
        return EXIT_OK;
    }
    if (!(cmd = command_find(argv[optind])))
        return unknown_command("help", argv[optind]);
    print_command_help(cmd);
    return EXIT_OK;
}
