/*
 * main.c - hvctl's entry point: global options, then one command.
 *
 *     hvctl [-c URI] [--cacert F] [--cert F --key F] [--token T] [--json]
 *           COMMAND [ARGS]
 *
 * Global options stop at the command name (so a command's options never
 * get mistaken for global ones); the command parses the rest.
 */
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cli.h"

enum { OPT_CACERT = 256, OPT_CERT, OPT_KEY, OPT_TOKEN, OPT_JSON_G };

static const struct option global_opts[] = {
    { "connect", required_argument, NULL, 'c' },
    { "cacert", required_argument, NULL, OPT_CACERT },
    { "cert", required_argument, NULL, OPT_CERT },
    { "key", required_argument, NULL, OPT_KEY },
    { "token", required_argument, NULL, OPT_TOKEN },
    { "json", no_argument, NULL, OPT_JSON_G },
    { "verbose", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
    struct cli cli = { .argv0 = argv[0] };
    const struct command *cmd;
    bool show_version = false;
    const char *env;
    int c, rc;

    setlocale(LC_ALL, "");
    /* A closed pipe (hvctl list | head) ends us quietly, as it should. */
    signal(SIGPIPE, SIG_DFL);

    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:c:vhV", global_opts, NULL)) != -1) {
        switch (c) {
        case 'c':        cli.url = optarg; break;
        case OPT_CACERT: cli.cacert = optarg; break;
        case OPT_CERT:   cli.cert = optarg; break;
        case OPT_KEY:    cli.key = optarg; break;
        case OPT_TOKEN:  cli.token = optarg; break;
        case OPT_JSON_G: cli.json = true; break;
        case 'v':        cli.verbose = true; break;
        case 'h':        print_usage(); return EXIT_OK;
        case 'V':        show_version = true; break;
        case ':':
            return cli_usage(NULL, "option '%s' needs a value",
                             argv[optind - 1]);
        default:
            if (optopt)
                return cli_usage(NULL, "unknown option '-%c'", optopt);
            return cli_usage(NULL, "unknown option '%s'", argv[optind - 1]);
        }
    }
    /* The environment fills in what the command line left out. */
    if (!cli.url && (env = getenv("HVCTL_URL")) && *env)
        cli.url = env;
    if (cli.url && strncmp(cli.url, "http", 4) == 0 && !cli.token &&
        (env = getenv("HVCTL_TOKEN")) && *env)
        cli.token = env;
    if ((rc = check_connect_options(&cli)))
        return rc;

    if (show_version) {
        /* -V is `version`, whatever follows. */
        static char *version_argv[] = { (char *)"version", NULL };
        argv = version_argv;
        argc = 1;
        optind = 0;
    }
    if (optind >= argc)
        return cli_usage(NULL, "no command given");
    cmd = command_find(argv[optind]);
    if (!cmd)
        return unknown_command(NULL, argv[optind]);
    cli_what(&cli, "%s", cmd->name);
    rc = cmd->run(&cli, argc - optind, argv + optind);
    if (cli.be)
        be_close(cli.be);
    if (fflush(stdout) != 0 && rc == EXIT_OK)
        rc = cli_fail_what(NULL, "cannot write the output");
    return rc;
}
