/*
 * main.c - hvctld's entry point: the `token` subcommand, or the daemon.
 */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "options.h"
#include "token_cmd.h"

int main(int argc, char **argv)
{
    struct agent_opts opts;
    char err[512];

    if (argc > 1 && strcmp(argv[1], "token") == 0)
        return token_main(argc - 1, argv + 1);
    switch (opts_parse(argc, argv, &opts, stdout, err, sizeof(err))) {
    case OPTS_EXIT_OK:
        return 0;
    case OPTS_USAGE:
        fprintf(stderr, "hvctld: %s\nTry 'hvctld --help'.\n", err);
        return 2;
    default:
        return agent_run(&opts);
    }
}
