/*
 * cmd_config.c - configurations in and out: reading a file for create
 * and define (config_load), define itself, and the dumps.  (edit:
 * cmd_edit.c.)
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_config.h"
#include "cmdopts.h"
#include "output.h"

/*
 * One path of cfg (`what` is "kernel" or "initrd"), made absolute into
 * full[len]; EXIT_OK with full "" when it needs nothing.
 */
static int fix_path(struct cli *cli, struct backend *be, const char *what,
                    const char *path, char *full, size_t len)
{
    char cwd[PATH_MAX];
    struct stat st;

    full[0] = '\0';
    /* A name without a slash is hvcore's to find in its guest directory
     * (hvctl.xml(5)). */
    if (!path || path[0] == '/' || !strchr(path, '/'))
        return EXIT_OK;
    if (!be_same_host(be))
        return cli_fail(cli, "%s '%s' is a relative path, and the domain "
                        "runs on another host: give its absolute path there",
                        what, path);
    if (!getcwd(cwd, sizeof(cwd)))
        return cli_fail(cli, "%s '%s' is a relative path, and the current "
                        "directory is unknown: %s", what, path,
                        strerror(errno));
    snprintf(full, len, "%s/%s", strcmp(cwd, "/") ? cwd : "", path);
    if (stat(full, &st) < 0)
        return cli_fail(cli, "%s '%s' (%s): %s", what, path, full,
                        strerror(errno));
    return EXIT_OK;
}

int config_fix_paths(struct cli *cli, struct backend *be, hv_config *cfg)
{
    char full[PATH_MAX * 2];
    int rc;

    if ((rc = fix_path(cli, be, "kernel", hv_config_get_kernel(cfg), full,
                       sizeof(full))))
        return rc;
    if (full[0] && hv_config_set_kernel(cfg, full))
        return cli_fail(cli, "%s", hv_last_error());
    if ((rc = fix_path(cli, be, "initrd", hv_config_get_initrd(cfg), full,
                       sizeof(full))))
        return rc;
    if (full[0] && hv_config_set_initrd(cfg, full))
        return cli_fail(cli, "%s", hv_last_error());
    return EXIT_OK;
}

int config_load(struct cli *cli, struct backend *be, const char *path,
                hv_config **out)
{
    int rc;

    if (hv_config_load_file(path, out))
        return cli_fail(cli, "%s", hv_last_error());
    if ((rc = config_fix_paths(cli, be, *out))) {
        hv_config_free(*out);
        *out = NULL;
    }
    return rc;
}

/*
 * A file without a uuid is the domain of its name, as in virsh: give cfg
 * that domain's uuid, so that define replaces its definition instead of
 * being refused as another domain of the same name.  hv_config_load_file
 * gives a uuid-less file a fresh random uuid each time, so two loads
 * that disagree tell such a file.
 */
static void adopt_uuid(struct cli *cli, struct backend *be, const char *path,
                       hv_config *cfg)
{
    hv_config *again;
    struct hv_fields f;
    bool same;
    int rc;

    if (hv_config_load_file(path, &again))
        return;
    same = strcmp(hv_config_get_uuid(again), hv_config_get_uuid(cfg)) == 0;
    hv_config_free(again);
    if (same)
        return;
    cli->quiet = true;
    rc = be_info(be, cli, hv_config_get_name(cfg), &f);
    cli->quiet = false;
    if (rc == EXIT_OK && f.uuid[0] && !strcmp(f.name, hv_config_get_name(cfg)))
        hv_config_set_uuid(cfg, f.uuid);
}

int cmd_define(struct cli *cli, int argc, char **argv)
{
    struct cmdopts o = { .cmd = "define" };
    struct hv_fields f;
    struct backend *be;
    hv_config *cfg;
    int c, rc;

    if ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands("define", NARGS, 1, 1)))
        return rc;
    cli_what(cli, "define %s", argv[optind]);
    /* The file first: a bad one is told by its line, agent or not. */
    if (hv_config_load_file(argv[optind], &cfg))
        return cli_fail(cli, "%s", hv_last_error());
    if (!(be = cli_backend(cli))) {
        hv_config_free(cfg);
        return EXIT_FAIL;
    }
    adopt_uuid(cli, be, argv[optind], cfg);
    if (!(rc = config_fix_paths(cli, be, cfg)))
        rc = be_define(be, cli, cfg, &f);
    hv_config_free(cfg);
    if (rc)
        return rc;
    if (cli->json)
        print_json(fields_json(&f), false);
    else
        printf("Domain '%s' defined.\n", f.name);
    return EXIT_OK;
}

static int on_inactive(int c, void *opaque)
{
    *(bool *)opaque = c == 'i';
    return c == 'i' ? 0 : EXIT_USAGE;
}

static int dump(struct cli *cli, const char *cmd, int argc, char **argv,
                bool xml)
{
    static const struct option own[] = {
        { "inactive", no_argument, NULL, 'i' },
        { NULL, 0, NULL, 0 },
    };
    struct backend *be;
    hv_config *cfg;
    bool inactive = false;
    const char *ref;
    char *text;
    size_t n;
    int rc;

    if ((rc = cmd_one_domain(cli, cmd, own, "", on_inactive, &inactive, argc,
                             argv, &ref)) >= 0)
        return rc;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be_config(be, cli, ref, inactive, &cfg)))
        return rc;
    if (xml ? hv_config_to_xml(cfg, &text) : hv_config_to_json(cfg, &text))
        rc = cli_fail(cli, "%s", hv_last_error());
    hv_config_free(cfg);
    if (rc)
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
    return dump(cli, "dumpxml", argc, argv, true);
}

int cmd_dumpjson(struct cli *cli, int argc, char **argv)
{
    return dump(cli, "dumpjson", argc, argv, false);
}
