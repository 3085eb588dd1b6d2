/*
 * cmd_migrate.c - `hvctl migrate [--live] [--paused] [--max-downtime MS]
 * [--bandwidth MiB/s] [--max-iterations N] [--persistent]
 * [--undefine-source] DOMAIN DEST_URL`, through hv_domain_migrate.
 * Progress on a terminal or as JSON lines (xfer_show.c); Ctrl-C cancels
 * and the domain runs on here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"
#include "cmdopts.h"
#include "output.h"
#include "xfer_show.h"

enum { OPT_LIVE = 'l', OPT_PAUSED = 'p', OPT_DOWNTIME = 1100, OPT_BANDWIDTH,
       OPT_ITERATIONS, OPT_PERSISTENT, OPT_UNDEFINE };

static void migrate_json(const char *name, const char *dest,
                         const struct xfer_figures *f)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "type", json_object_new_string("result"));
    json_object_object_add(o, "operation", json_object_new_string("migrate"));
    json_object_object_add(o, "domain", json_object_new_string(name));
    json_object_object_add(o, "destination", json_object_new_string(dest));
    json_object_object_add(o, "total_ns",
                           json_object_new_int64((int64_t)f->total_ns));
    json_object_object_add(o, "downtime_ns",
                           json_object_new_int64((int64_t)f->downtime_ns));
    json_object_object_add(o, "bytes_sent",
                           json_object_new_int64((int64_t)f->bytes_sent));
    json_object_object_add(o, "iterations",
                           json_object_new_int64((int64_t)f->iterations));
    print_json(o, true);
}

/* A whole number in [lo, hi] for option `opt`; 0 or a usage error. */
static int number(const char *opt, const char *s, uint64_t lo, uint64_t hi,
                  const char *what, uint64_t *out)
{
    if (parse_u64(s, lo, hi, out) < 0)
        return cli_usage("migrate", "%s '%s': not %s (%" PRIu64 " to %"
                         PRIu64 ")", opt, s, what, lo, hi);
    return 0;
}

int cmd_migrate(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = {
        { "live", no_argument, NULL, OPT_LIVE },
        { "paused", no_argument, NULL, OPT_PAUSED },
        { "max-downtime", required_argument, NULL, OPT_DOWNTIME },
        { "bandwidth", required_argument, NULL, OPT_BANDWIDTH },
        { "max-iterations", required_argument, NULL, OPT_ITERATIONS },
        { "persistent", no_argument, NULL, OPT_PERSISTENT },
        { "undefine-source", no_argument, NULL, OPT_UNDEFINE },
        { NULL, 0, NULL, 0 },
    };
    struct cmdopts o = { .cmd = "migrate", .own = own, .shorts = "lp" };
    struct migrate_opts mo = { 0 };
    struct xfer_figures f;
    struct xfer_show *xs;
    struct backend *be;
    char name[64], sent[32];
    uint64_t v;
    int c, rc;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        switch (c) {
        case OPT_LIVE:       mo.flags |= HV_MIGRATE_LIVE; break;
        case OPT_PAUSED:     mo.flags |= HV_MIGRATE_PAUSED; break;
        case OPT_PERSISTENT: mo.flags |= HV_MIGRATE_PERSIST; break;
        case OPT_UNDEFINE:   mo.flags |= HV_MIGRATE_UNDEFINE_SOURCE; break;
        case OPT_DOWNTIME:
            if ((rc = number("--max-downtime", optarg, 1, 3600000,
                             "a number of milliseconds", &v)))
                return rc;
            mo.max_downtime_ms = (unsigned)v;
            break;
        case OPT_BANDWIDTH:
            if ((rc = number("--bandwidth", optarg, 1, UINT64_C(1) << 40,
                             "a number of MiB/s", &v)))
                return rc;
            mo.bandwidth_mib = v;
            break;
        case OPT_ITERATIONS:
            if ((rc = number("--max-iterations", optarg, 1, 1000000,
                             "a number of rounds", &v)))
                return rc;
            mo.max_iterations = (unsigned)v;
            break;
        default:
            return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
        }
    }
    if ((rc = cmd_operands("migrate", NARGS, 2, 2)))
        return rc;
    cli_what(cli, "migrate %s", argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    xs = xfer_show_new(cli, cli->what);
    rc = be_migrate(be, cli, argv[optind], argv[optind + 1], &mo,
                    xfer_show_update, xs, &f, name);
    xfer_show_done(xs);
    if (rc)
        return rc;
    char dest[4096];
    hv_uri_redact(argv[optind + 1], dest, sizeof(dest));
    if (cli->json) {
        migrate_json(name, dest, &f);
        return EXIT_OK;
    }
    format_bytes(f.bytes_sent, sent, sizeof(sent));
    printf("Migrated '%s' to %s in %.0f ms (downtime %.1f ms, %s sent, %"
           PRIu64 " iteration%s)\n", name, dest,
           (double)f.total_ns / 1e6, (double)f.downtime_ns / 1e6, sent,
           f.iterations, f.iterations == 1 ? "" : "s");
    return EXIT_OK;
}
