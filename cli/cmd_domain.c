/*
 * cmd_domain.c - the commands that act on one domain's life: create,
 * info, pause, unpause, reboot, destroy, start, mem-set.  (list:
 * cmd_list.c; shutdown: cmd_shutdown.c; configurations: cmd_config.c.)
 *
 * Each one parses its arguments, names what it does in cli->what (the
 * "<what failed>" of error messages) and asks the back end.  State
 * changes print one confirmation line, or nothing with --json: the exit
 * status is the result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"
#include "cmd_config.h"
#include "cmdopts.h"
#include "console.h"
#include "output.h"

/*
 * --console: the domain is created paused, the console attached, and only
 * then unpaused, so that nothing the guest prints is lost, even from a
 * guest that powers off at once (a console attached after the start
 * raced with it).
 */
static int console_from_the_start(struct cli *cli, struct backend *be,
                                  const struct hv_fields *f, bool paused)
{
    const char *ref = f->uuid[0] ? f->uuid : f->name;
    char name[64];
    int fd, rc;

    fflush(stdout);
    cli_what(cli, "console %s", f->name);
    rc = be_console(be, cli, ref, &fd, name);
    /* Never leave paused a domain the user did not ask to be. */
    if (!paused) {
        int urc = be_action(be, cli, ref, ACT_UNPAUSE);
        if (rc == EXIT_OK && urc != EXIT_OK) {
            close(fd);
            return urc;
        }
    }
    return rc ? rc : console_run(cli, be, fd, name);
}

int cmd_create(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = {
        { "console", no_argument, NULL, 'C' },
        { "paused", no_argument, NULL, 'p' },
        { NULL, 0, NULL, 0 },
    };
    struct cmdopts o = { .cmd = "create", .own = own, .shorts = "p" };
    struct hv_fields f;
    struct backend *be;
    hv_config *cfg;
    bool console = false, paused = false;
    int c, rc;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        if (c == 'C')
            console = true;
        else if (c == 'p')
            paused = true;
        else
            return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    }
    if ((rc = cmd_operands("create", NARGS, 1, 1)))
        return rc;
    cli_what(cli, "create %s", argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if (console && !be_same_host(be))
        return cli_fail(cli, "--console: the console needs a connection on "
                        "the domain's host (hvctl:///system, or "
                        "unix:///PATH/hvctld.sock)");
    if ((rc = config_load(cli, be, argv[optind], &cfg)))
        return rc;
    rc = be_create(be, cli, cfg, console || paused ? HV_CREATE_PAUSED : 0, &f);
    hv_config_free(cfg);
    if (rc)
        return rc;
    if (cli->json && !console)
        print_json(fields_json(&f), false);
    else if (!cli->json)
        printf(paused ? "Domain '%s' created paused (id %u).\n"
                      : "Domain '%s' created (id %u).\n", f.name, f.domid);
    return console ? console_from_the_start(cli, be, &f, paused) : EXIT_OK;
}

/*
 * The os type of the domain's configuration (the running one, else its
 * definition): "linux", "pv" or "auto" (hvcore recognised the kernel);
 * NULL when no configuration can be read (its hvcore died).
 */
static const char *info_os_type(struct cli *cli, struct backend *be,
                                const char *ref)
{
    const char *name = NULL;
    bool quiet = cli->quiet;
    hv_config *cfg = NULL;

    /* Not the command's failure: info stands without it. */
    cli->quiet = true;
    if (be_config(be, cli, ref, false, &cfg) == EXIT_OK)
        name = hv_os_type_name(hv_config_get_os_type(cfg));
    cli->quiet = quiet;
    hv_config_free(cfg);
    return name;
}

/*
 * The info, the os type, and a running domain's devices: in JSON always
 * ("os_type" null when not known, "devices" null when not running), as
 * text when it has any.
 */
static void info_devices(struct cli *cli, struct backend *be, const char *ref,
                         const struct hv_fields *f)
{
    const char *os = info_os_type(cli, be, ref);
    hv_devlist *l = NULL;
    bool quiet = cli->quiet;
    json_object *o;
    char *json;

    if (f->state != HV_STATE_SHUTOFF) {
        /* Not the command's failure: info stands without them. */
        cli->quiet = true;
        if (be_devices(be, cli, ref, &l) != EXIT_OK)
            l = NULL;
        cli->quiet = quiet;
    }
    if (cli->json) {
        /* "devices": the list (maybe empty), null when not known. */
        json_object *d = NULL, *arr = NULL;
        o = fields_json(f);
        if (l && hv_devlist_to_json(l, &json) == 0) {
            d = json_tokener_parse(json);
            free(json);
        }
        if (d && json_object_object_get_ex(d, "devices", &arr))
            json_object_get(arr);
        json_object_put(d);
        json_object_object_add(o, "os_type",
                               os ? json_object_new_string(os) : NULL);
        json_object_object_add(o, "devices", arr);
        print_json(o, false);
    } else {
        print_info(f);
        printf("%-15s %s\n", "OS type:", os ? os : "-");
        if (l && hv_devlist_count(l)) {
            printf("Devices:\n");
            print_devices(l, "  ");
        }
    }
    hv_devlist_free(l);
}

int cmd_info(struct cli *cli, int argc, char **argv)
{
    struct hv_fields f;
    struct backend *be;
    const char *ref;
    int rc;

    if ((rc = cmd_one_domain(cli, "info", NULL, NULL, NULL, NULL, argc, argv,
                             &ref)) >= 0)
        return rc;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be_info(be, cli, ref, &f)))
        return rc;
    info_devices(cli, be, ref, &f);
    return EXIT_OK;
}

/* pause, unpause, reboot, destroy, start: DOMAIN, one request. */
static int simple_action(struct cli *cli, const char *cmd, int argc,
                         char **argv, enum dom_action act, const char *done)
{
    struct backend *be;
    const char *ref;
    int rc;

    if ((rc = cmd_one_domain(cli, cmd, NULL, NULL, NULL, NULL, argc, argv,
                             &ref)) >= 0)
        return rc;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be_action(be, cli, ref, act)))
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

int cmd_mem_set(struct cli *cli, int argc, char **argv)
{
    struct cmdopts o = { .cmd = "mem-set" };
    struct backend *be;
    char why[160];
    uint64_t mib;
    int c, rc;

    if ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands("mem-set", NARGS, 2, 2)))
        return rc;
    if (parse_mem_mib(argv[optind + 1], &mib, why, sizeof(why)) < 0)
        return cli_usage("mem-set", "%s", why);
    cli_what(cli, "mem-set %s", argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be_mem_set(be, cli, argv[optind], mib)))
        return rc;
    if (!cli->json)
        printf("Domain '%s': memory target set to %llu MiB.\n", argv[optind],
               (unsigned long long)mib);
    return EXIT_OK;
}
