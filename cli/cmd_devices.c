/*
 * cmd_devices.c - attach-disk, attach-interface, attach-device,
 * detach-device and devices: a domain's disks and network interfaces
 * (hvctl.xml(5), DEVICES).  The first two build the device from their
 * options and hand it to libhvctl like attach-device's file, so every
 * check and message is the library's.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "backend.h"
#include "cli.h"
#include "cmdopts.h"
#include "output.h"

/* --live and --config, as virsh: neither is --live. */
enum { OPT_LIVE = 2000, OPT_CONFIG };

struct where {
    bool live, config;
};

static unsigned where_flags(const struct where *w)
{
    return (w->live || !w->config ? HV_DEVICE_LIVE : 0) |
           (w->config ? HV_DEVICE_CONFIG : 0);
}

static bool where_opt(int c, struct where *w)
{
    if (c == OPT_LIVE)
        w->live = true;
    else if (c == OPT_CONFIG)
        w->config = true;
    else
        return false;
    return true;
}

#define WHERE_OPTIONS                                                        \
    { "live", no_argument, NULL, OPT_LIVE },                                 \
    { "config", no_argument, NULL, OPT_CONFIG }

/* "to domain 'web'", "to domain 'web' and its definition", ... */
static void report(const char *verb, const char *id, const char *dom,
                   const struct where *w)
{
    const char *prep = strcmp(verb, "attached") == 0 ? "to" : "from";
    unsigned f = where_flags(w);

    if (f == HV_DEVICE_CONFIG)
        printf("Device '%s' %s %s the definition of domain '%s'.\n", id, verb,
               prep, dom);
    else if (f & HV_DEVICE_CONFIG)
        printf("Device '%s' %s %s domain '%s' and its definition.\n", id,
               verb, prep, dom);
    else
        printf("Device '%s' %s %s domain '%s'.\n", id, verb, prep, dom);
}

/* Attach dev (owned) to ref and say so. */
static int attach(struct cli *cli, const char *ref, hv_device *dev,
                  const struct where *w)
{
    struct backend *be;
    int rc;

    /* An interface without alias is given its id by the attach. */
    cli_what(cli, "attach %s to %s", hv_device_get_id(dev)
             ? hv_device_get_id(dev) : "an interface", ref);
    if (!(be = cli_backend(cli))) {
        hv_device_free(dev);
        return EXIT_FAIL;
    }
    rc = be_attach_device(be, cli, ref, dev, where_flags(w));
    if (rc == EXIT_OK && !cli->json)
        report("attached", hv_device_get_id(dev), ref, w);
    hv_device_free(dev);
    return rc;
}

/* A device from the options (a JSON object under key); owned by caller. */
static int device_from(const char *cmd, const char *key, json_object *o,
                       hv_device **out)
{
    json_object *root = json_object_new_object();
    const char *text;
    int rc;

    json_object_object_add(root, key, o);
    text = json_object_to_json_string(root);
    rc = hv_device_from_json(text, strlen(text), "options", out);
    json_object_put(root);
    if (rc) {
        /* "options:1: \"disk\": why": the options have no line to name. */
        const char *why = strstr(hv_last_error(), "\": ");
        return cli_usage(cmd, "%s", why ? why + 3 : hv_last_error());
    }
    return 0;
}

/* PATH made absolute against the current directory (the agent's differs). */
static char *absolute(const char *path)
{
    char cwd[4096], *out;

    if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
        return strdup(path);
    if (asprintf(&out, "%s/%s", cwd, path) < 0)
        return NULL;
    return out;
}

int cmd_attach_disk(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = {
        { "readonly", no_argument, NULL, 'r' },
        { "direct", no_argument, NULL, 'd' },
        { "type", required_argument, NULL, 't' },
        WHERE_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    struct cmdopts o = { .cmd = "attach-disk", .own = own, .shorts = "rdt:" };
    const char *type = NULL;
    bool readonly = false, direct = false;
    struct where w = { 0 };
    json_object *d;
    hv_device *dev;
    struct stat st;
    char *src;
    int c, rc;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        if (c == 'r')
            readonly = true;
        else if (c == 'd')
            direct = true;
        else if (c == 't')
            type = optarg;
        else if (!where_opt(c, &w))
            return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    }
    if ((rc = cmd_operands("attach-disk", NARGS, 3, 3)))
        return rc;
    if (type && strcmp(type, "file") && strcmp(type, "block") &&
        strcmp(type, "vhostuser"))
        return cli_usage("attach-disk", "--type '%s': use file, block or "
                         "vhostuser", type);
    if (!(src = absolute(argv[optind + 1])))
        return cli_fail(cli, "out of memory");
    /* Without --type, what SOURCE is says it (it is on this host). */
    if (!type)
        type = stat(src, &st) == 0 && S_ISBLK(st.st_mode) ? "block"
             : stat(src, &st) == 0 && S_ISSOCK(st.st_mode) ? "vhostuser"
             : "file";
    d = json_object_new_object();
    json_object_object_add(d, "type", json_object_new_string(type));
    json_object_object_add(d, "source", json_object_new_string(src));
    json_object_object_add(d, "target",
                           json_object_new_string(argv[optind + 2]));
    if (readonly)
        json_object_object_add(d, "readonly", json_object_new_boolean(1));
    if (direct)
        json_object_object_add(d, "cache", json_object_new_string("none"));
    free(src);
    if ((rc = device_from("attach-disk", "disk", d, &dev)))
        return rc;
    return attach(cli, argv[optind], dev, &w);
}

int cmd_attach_interface(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = {
        { "bridge", required_argument, NULL, 'b' },
        { "tap", required_argument, NULL, 't' },
        { "socket", required_argument, NULL, 's' },
        { "mac", required_argument, NULL, 'm' },
        { "queues", required_argument, NULL, 'q' },
        { "alias", required_argument, NULL, 'a' },
        WHERE_OPTIONS,
        { NULL, 0, NULL, 0 },
    };
    struct cmdopts o = { .cmd = "attach-interface", .own = own,
                         .shorts = "b:t:s:m:q:a:" };
    const char *bridge = NULL, *tap = NULL, *sock = NULL, *mac = NULL;
    const char *alias = NULL;
    uint64_t queues = 0;
    struct where w = { 0 };
    json_object *i;
    hv_device *dev;
    char *path;
    int c, rc;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        switch (c) {
        case 'b': bridge = optarg; break;
        case 't': tap = optarg; break;
        case 's': sock = optarg; break;
        case 'm': mac = optarg; break;
        case 'a': alias = optarg; break;
        case 'q':
            if (parse_u64(optarg, 1, 7, &queues) < 0)
                return cli_usage("attach-interface", "--queues '%s': a "
                                 "number from 1 to 7", optarg);
            break;
        default:
            if (!where_opt(c, &w))
                return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
        }
    }
    if ((rc = cmd_operands("attach-interface", NARGS, 1, 1)))
        return rc;
    if (!bridge && !tap && !sock)
        return cli_usage("attach-interface", "say where it goes: --bridge "
                         "BR, --tap NAME or --socket PATH");
    if (sock && (bridge || tap))
        return cli_usage("attach-interface", "--socket is a vhost-user back "
                         "end: not with --bridge or --tap");
    i = json_object_new_object();
    json_object_object_add(i, "type", json_object_new_string(
                               sock ? "vhostuser" : bridge ? "bridge"
                                                           : "ethernet"));
    if (sock) {
        if (!(path = absolute(sock))) {
            json_object_put(i);
            return cli_fail(cli, "out of memory");
        }
        json_object_object_add(i, "source", json_object_new_string(path));
        free(path);
    } else if (bridge) {
        json_object_object_add(i, "source", json_object_new_string(bridge));
    }
    if (mac)
        json_object_object_add(i, "mac", json_object_new_string(mac));
    if (tap)
        json_object_object_add(i, "target", json_object_new_string(tap));
    if (queues)
        json_object_object_add(i, "queues",
                               json_object_new_int64((int64_t)queues));
    if (alias)
        json_object_object_add(i, "alias", json_object_new_string(alias));
    if ((rc = device_from("attach-interface", "interface", i, &dev)))
        return rc;
    return attach(cli, argv[optind], dev, &w);
}

int cmd_attach_device(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = { WHERE_OPTIONS, { NULL, 0, NULL, 0 } };
    struct cmdopts o = { .cmd = "attach-device", .own = own, .shorts = "" };
    struct where w = { 0 };
    hv_device *dev;
    char *text;
    size_t len;
    int c, rc;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        if (!where_opt(c, &w))
            return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands("attach-device", NARGS, 2, 2)))
        return rc;
    cli_what(cli, "attach-device %s", argv[optind]);
    if ((rc = read_file(argv[optind + 1], HV_CONFIG_SIZE_MAX, &text, &len)))
        return cli_fail(cli, "%s: %s", argv[optind + 1], strerror(-rc));
    rc = text_is_xml(text, len)
         ? hv_device_from_xml(text, len, argv[optind + 1], &dev)
         : hv_device_from_json(text, len, argv[optind + 1], &dev);
    free(text);
    if (rc)
        return cli_fail(cli, "%s", hv_last_error());
    return attach(cli, argv[optind], dev, &w);
}

int cmd_detach_device(struct cli *cli, int argc, char **argv)
{
    static const struct option own[] = { WHERE_OPTIONS, { NULL, 0, NULL, 0 } };
    struct cmdopts o = { .cmd = "detach-device", .own = own, .shorts = "" };
    struct where w = { 0 };
    struct backend *be;
    int c, rc;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END)
        if (!where_opt(c, &w))
            return c == OPT_HELP ? EXIT_OK : EXIT_USAGE;
    if ((rc = cmd_operands("detach-device", NARGS, 2, 2)))
        return rc;
    cli_what(cli, "detach %s from %s", argv[optind + 1], argv[optind]);
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be_detach_device(be, cli, argv[optind], argv[optind + 1],
                               where_flags(&w))))
        return rc;
    if (!cli->json)
        report("detached", argv[optind + 1], argv[optind], &w);
    return EXIT_OK;
}

/* A counter as text: "-" when its back end does not report it. */
static const char *counter(const hv_devlist *l, size_t i, int which,
                           char buf[24])
{
    uint64_t v;

    if (hv_devlist_get_counter(l, i, which, &v))
        return "-";
    snprintf(buf, 24, "%llu", (unsigned long long)v);
    return buf;
}

void print_devices(const hv_devlist *l, const char *indent)
{
    char a[24], b[24], c[24], d[24], e[24];

    printf("%s%-8s %-9s %-11s %9s %9s %12s %12s %6s  %s\n", indent, "ID",
           "TYPE", "STATE", "REQS-IN", "REQS-OUT", "BYTES-IN", "BYTES-OUT",
           "ERRORS", "BACKEND");
    for (size_t i = 0; i < hv_devlist_count(l); i++)
        printf("%s%-8s %-9s %-11s %9s %9s %12s %12s %6s  %s\n", indent,
               hv_devlist_get_id(l, i),
               hv_devlist_get_type(l, i) == HV_DEVICE_DISK ? "disk"
                                                           : "interface",
               hv_device_state_name(hv_devlist_get_state(l, i)),
               counter(l, i, HV_DEVICE_REQS_IN, a),
               counter(l, i, HV_DEVICE_REQS_OUT, b),
               counter(l, i, HV_DEVICE_BYTES_IN, c),
               counter(l, i, HV_DEVICE_BYTES_OUT, d),
               counter(l, i, HV_DEVICE_ERRORS, e),
               hv_devlist_get_backend(l, i));
}

int cmd_devices(struct cli *cli, int argc, char **argv)
{
    struct backend *be;
    hv_devlist *l;
    const char *ref;
    char *json;
    int rc;

    if ((rc = cmd_one_domain(cli, "devices", NULL, NULL, NULL, NULL, argc,
                             argv, &ref)) >= 0)
        return rc;
    if (!(be = cli_backend(cli)))
        return EXIT_FAIL;
    if ((rc = be_devices(be, cli, ref, &l)))
        return rc;
    if (cli->json) {
        if (hv_devlist_to_json(l, &json) == 0) {
            print_json(json_tokener_parse(json), false);
            free(json);
        } else {
            rc = cli_fail(cli, "%s", hv_last_error());
        }
    } else if (hv_devlist_count(l) == 0) {
        printf("Domain '%s' has no devices.\n", ref);
    } else {
        print_devices(l, "");
    }
    hv_devlist_free(l);
    return rc;
}
