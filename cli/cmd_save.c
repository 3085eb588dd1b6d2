/*
 * cmd_save.c - `hvctl save [--keep] DOMAIN FILE` and `hvctl restore
 * [--paused] [--verify] FILE`: a domain to a file and back, through
 * libhvctl (hv_domain_save, hv_domain_restore).  Ctrl-C during a save
 * cancels it and the domain runs on.
 */
#include <inttypes.h>
#include <stdio.h>

#include "backend.h"
#include "cmdopts.h"
#include "output.h"
#include "xfer_show.h"

/* With --json, the outcome as the last JSON line. */
static void save_json(const char *name, const char *file, bool keep,
                      const struct xfer_figures *f)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "type", json_object_new_string("result"));
    json_object_object_add(o, "operation", json_object_new_string("save"));
    json_object_object_add(o, "domain", json_object_new_string(name));
    json_object_object_add(o, "file", json_object_new_string(file));
    json_object_object_add(o, "keep", json_object_new_boolean(keep));
    json_object_object_add(o, "total_ns",
                           json_object_new_int64((int64_t)f->total_ns));
    json_object_object_add(o, "bytes_sent",
                           json_object_new_int64((int64_t)f->bytes_sent));
    print_json(o, true);
}

int cmd_save(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = {
        { "keep", no_argument, NULL, 'k' },
        { NULL, 0, NULL, 0 },
    };
    struct cmdopts o = { .cmd = "save", .own = own, .shorts = "k" };
    struct xfer_figures f;
    struct xfer_show *xs;
    struct backend *be;
    char name[64], size[32];
    bool keep = false;
    int c, rc;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        if (c == 'k')
            keep = true;
        else
            return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    }
    if ((rc = cmd_operands("save", NARGS, 2, 2)))
        return rc;
    cli_what(cli, "save %s", argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    xs = xfer_show_new(cli, cli->what);
    rc = be_save(be, cli, argv[optind], argv[optind + 1], keep,
                 xfer_show_update, xs, &f, name);
    xfer_show_done(xs);
    if (rc)
        return rc;
    if (cli->json) {
        save_json(name, argv[optind + 1], keep, &f);
        return EXIT_OK;
    }
    format_bytes(f.bytes_sent, size, sizeof(size));
    printf("Saved '%s' to %s in %.0f ms (%s written)%s.\n", name,
           argv[optind + 1], (double)f.total_ns / 1e6, size,
           keep ? "; it runs on" : "");
    return EXIT_OK;
}

int cmd_restore(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = {
        { "paused", no_argument, NULL, 'p' },
        { "verify", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    struct cmdopts o = { .cmd = "restore", .own = own, .shorts = "p" };
    struct hv_fields f;
    struct backend *be;
    unsigned flags = 0;
    int c, rc;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        if (c == 'p')
            flags |= HV_RESTORE_PAUSED;
        else if (c == 'V')
            flags |= HV_RESTORE_VERIFY;
        else
            return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    }
    if ((rc = cmd_operands("restore", NARGS, 1, 1)))
        return rc;
    cli_what(cli, "restore %s", argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be_restore(be, cli, argv[optind], flags, &f)))
        return rc;
    if (cli->json)
        print_json(fields_json(&f), false);
    else
        printf(flags & HV_RESTORE_PAUSED
               ? "Domain '%s' restored paused (id %u) from %s.\n"
               : "Domain '%s' restored (id %u) from %s.\n", f.name, f.domid,
               argv[optind]);
    return EXIT_OK;
}
