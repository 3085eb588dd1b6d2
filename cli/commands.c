/*
 * commands.c - the command table (name, entry point, help text) and the
 * option parsing every command shares.
 *
 * The help texts here are what `hvctl help NAME` prints; man/hvctl.1 says
 * the same at more length.  tests/cli checks that the man page and the
 * bash completion name exactly the commands of this table.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cmdopts.h"

static const struct command commands[] = {
    { "create", cmd_create, "[--console] [--paused] FILE",
      "start a domain from an XML or JSON configuration file",
      "Starts the domain described by FILE (XML as in hvctl.xml(5), or JSON;\n"
      "told apart by the first character) and returns once it runs.  The\n"
      "domain is transient: it is not defined, and when it ends it is gone.\n"
      "A relative kernel or initrd path (with a slash) is taken from the\n"
      "current directory, now.\n"
      "  --console      attach to the console from the guest's first byte\n"
      "                 (`hvctl help console`)\n"
      "  -p, --paused   leave it paused before its first instruction\n"
      "                 (`hvctl unpause` runs it)\n" },
    { "list", cmd_list,
      "[--all] [--state S[,S...]] [--persistent|--transient] [--name GLOB]",
      "list domains (running ones unless asked for more)",
      "Lists domains: id, name, state, vCPUs, memory, CPU time and uptime.\n"
      "Without --all or --state, the running ones (running, paused,\n"
      "shutting down, crashed).  Filters combine:\n"
      "  -a, --all          also the defined domains that are not running\n"
      "                     (state shutoff), with an AUTOSTART column\n"
      "  -s, --state S,...  only these states: running, paused, shutdown,\n"
      "                     crashed, shutoff\n"
      "  -p, --persistent   only defined domains (needs hvctld)\n"
      "  -t, --transient    only domains that are not defined (needs hvctld)\n"
      "  -n, --name GLOB    only names that match the shell pattern GLOB\n" },
    { "info", cmd_info, "DOMAIN",
      "show one domain",
      "Shows a domain's id, uuid, state and why it is in it (Reason: booted,\n"
      "guest_crash, hvcore_died...), whether it is defined and autostarted,\n"
      "vCPUs, memory (current, balloon target, maximum), CPU time, uptime,\n"
      "boots, hvcore's pid and its exit and event counters, its os type\n"
      "(linux, pv, or auto: recognised by hvcore from the kernel), and the\n"
      "devices of a running domain that has any (as `hvctl devices`).\n" },
    { "console", cmd_console, "DOMAIN",
      "attach to a domain's console (Ctrl-] detaches)",
      "Connects the terminal to the domain's console: what the guest prints\n"
      "appears, what you type goes to the guest.  The terminal is put in raw\n"
      "mode (Ctrl-C goes to the guest) and restored however hvctl ends.\n"
      "Ctrl-] detaches and leaves the domain running.  If the domain ends\n"
      "without a shutdown (its hvcore died, the guest crashed), hvctl says\n"
      "so and exits with status 1.\n" },
    { "pause", cmd_pause, "DOMAIN",
      "stop running a domain's vCPUs",
      "Pauses the domain: its vCPUs stop, its memory and devices stay.\n" },
    { "unpause", cmd_unpause, "DOMAIN",
      "resume a paused domain",
      "Lets a paused domain run again.\n" },
    { "shutdown", cmd_shutdown, "[--wait [--timeout S]] DOMAIN|--all",
      "ask a domain (or every running one) to power off",
      "Asks the guest to power off and returns at once; with --wait, returns\n"
      "once the domain has ended.  A paused domain is refused (its guest\n"
      "could not see the request): unpause it first, or use destroy.\n"
      "  -a, --all          every running domain instead of DOMAIN\n"
      "  -w, --wait         wait until the domain has ended (Ctrl-C stops\n"
      "                     waiting)\n"
      "  -t, --timeout S    give up waiting after S seconds (exit status 1;\n"
      "                     the request stands); implies --wait\n" },
    { "reboot", cmd_reboot, "DOMAIN",
      "ask a domain to reboot",
      "Asks the guest to reboot; it restarts in the same hvcore.\n" },
    { "destroy", cmd_destroy, "DOMAIN",
      "end a domain at once",
      "Ends the domain now, without asking the guest, and returns once its\n"
      "hvcore has exited.  A domain defined in hvctld stays defined.\n" },
    { "mem-set", cmd_mem_set, "DOMAIN SIZE",
      "set a domain's memory (balloon) target",
      "Sets the balloon target: the guest gives memory back down to SIZE, or\n"
      "takes it back up to its maximum.  SIZE is in MiB, or has a unit:\n"
      "512M, 2G, 1048576K (K, M, G, T or KiB, MiB, GiB, TiB).\n" },
    { "dumpxml", cmd_dumpxml, "[--inactive] DOMAIN",
      "print a domain's configuration as XML",
      "Prints the domain's configuration, as XML (hvctl.xml(5)): the one\n"
      "a running domain runs with, else its definition.\n"
      "  --inactive  the definition (what the next start uses), even while\n"
      "              the domain runs with another configuration\n" },
    { "dumpjson", cmd_dumpjson, "[--inactive] DOMAIN",
      "print a domain's configuration as JSON",
      "Prints the domain's configuration, as JSON: the one a running\n"
      "domain runs with, else its definition.\n"
      "  --inactive  the definition, even while the domain runs\n" },
    { "devices", cmd_devices, "DOMAIN",
      "list a running domain's disks and interfaces with their counters",
      "Lists the devices the domain has now: id, type, state (connecting,\n"
      "ready, running, needs_reset), requests and bytes towards the guest\n"
      "(in: disk reads, frames received) and from it (out), errors, and what\n"
      "serves it.  A vhost-user back end behind a socket reports no counters\n"
      "(shown as -).  --json prints the REST API's device list.\n" },
    { "attach-disk", cmd_attach_disk,
      "[--readonly] [--direct] [--type T] [--live] [--config] DOMAIN SOURCE "
      "TARGET",
      "attach a disk to a domain",
      "Attaches SOURCE as disk TARGET (its id, e.g. vdb): a file or block\n"
      "device that hvblk serves, or the socket of a vhost-user back end.  A\n"
      "relative SOURCE is taken from the current directory.\n"
      "  -t, --type T    file, block or vhostuser (default: what SOURCE is)\n"
      "  -r, --readonly  a read-only disk\n"
      "  -d, --direct    O_DIRECT: bypass the host's page cache\n"
      "  --live          the running domain (the default)\n"
      "  --config        its definition too (hvctld), so that the disk is\n"
      "                  there at the next start; alone: only there\n" },
    { "attach-interface", cmd_attach_interface,
      "(--bridge BR | --tap NAME | --socket PATH) [--mac MAC] [--queues N] "
      "[--alias ID] [--live] [--config] DOMAIN",
      "attach a network interface to a domain",
      "Attaches a network card: hvnet's tap device in bridge BR, or a tap\n"
      "device NAME on its own (with --bridge: the tap's name), or the\n"
      "vhost-user back end at PATH.  Without --mac the interface gets\n"
      "52:54:00 and three random bytes; without --alias the id net<N>.\n"
      "  -m, --mac MAC     the guest's unicast MAC address\n"
      "  -q, --queues N    queue pairs, 1 to 7\n"
      "  -a, --alias ID    its id\n"
      "  --live, --config  as for attach-disk\n" },
    { "attach-device", cmd_attach_device, "[--live] [--config] DOMAIN FILE",
      "attach the disk or interface described in a file",
      "Attaches the <disk> or <interface> element in FILE (hvctl.xml(5)), or\n"
      "its JSON ({\"disk\": {...}} or {\"interface\": {...}}).\n"
      "  --live, --config  as for attach-disk\n" },
    { "detach-device", cmd_detach_device, "[--live] [--config] DOMAIN ID",
      "detach a disk or an interface",
      "Detaches the device with that id (a disk's target, an interface's\n"
      "alias).  Its back end stops at once; what the guest had in flight on\n"
      "it is lost, as with a pulled cable.\n"
      "  --live    the running domain (the default)\n"
      "  --config  the definition too; alone: only the definition\n" },
    { "define", cmd_define, "FILE",
      "define a domain in hvctld, or replace its definition",
      "Stores the configuration in FILE (XML or JSON) in hvctld, which keeps\n"
      "it across restarts; `hvctl start` runs it.  A definition with the\n"
      "same uuid is replaced (a running domain keeps its configuration until\n"
      "it next starts).  A relative kernel or initrd path (with a slash) is\n"
      "taken from the current directory, now.\n" },
    { "edit", cmd_edit, "DOMAIN",
      "edit a domain's definition in $EDITOR",
      "Opens the definition, as XML, in $VISUAL or $EDITOR (else vi).  When\n"
      "the editor exits, the text is checked; a valid one replaces the\n"
      "definition.  An invalid one is not saved: on a terminal, hvctl offers\n"
      "to edit it again; otherwise it fails (exit status 1).\n" },
    { "undefine", cmd_undefine, "DOMAIN",
      "remove a domain's definition from hvctld",
      "Removes the definition; a running domain keeps running until it\n"
      "ends.\n" },
    { "start", cmd_start, "DOMAIN",
      "start a domain defined in hvctld",
      "Starts a defined domain that is not running.\n" },
    { "autostart", cmd_autostart, "DOMAIN on|off",
      "start a defined domain whenever hvctld starts",
      "Sets whether hvctld starts the domain when hvctld itself starts.\n" },
    { "save", cmd_save, "[--keep] DOMAIN FILE",
      "save a domain to a file (it ends here)",
      "Writes the domain, memory and state, to FILE and ends it; `hvctl\n"
      "restore FILE` starts it again where it stopped.  The file is written\n"
      "as FILE.tmp and renamed once complete: a failed or cancelled save\n"
      "leaves an existing FILE as it was, and the domain runs on.  Ctrl-C\n"
      "cancels.  On a terminal a status line shows the progress.\n"
      "  -k, --keep   a checkpoint: the domain runs on after the save\n" },
    { "restore", cmd_restore, "[--paused] [--verify] FILE",
      "start a domain saved by `hvctl save`",
      "Starts the domain saved in FILE, under the name and uuid it had, and\n"
      "returns once it runs: the guest goes on where it stopped.  FILE is\n"
      "left as it is.\n"
      "  -p, --paused   leave it paused (`hvctl unpause` runs it)\n"
      "      --verify   also check the memory image's checksum (reads all\n"
      "                 of it)\n" },
    { "migrate", cmd_migrate,
      "[--live] [--paused] [--max-downtime MS] [--bandwidth MiB/s] "
      "[--max-iterations N] [--persistent] [--undefine-source] DOMAIN "
      "DEST_URL",
      "move a running domain to another host",
      "Moves the domain to the host of DEST_URL (a connection URI, e.g.\n"
      "hvctl:///system?driver=direct&rundir=DIR for another runtime\n"
      "directory of this host).  Exactly one copy runs at every instant: if\n"
      "the migration fails or is cancelled (Ctrl-C), the domain runs on\n"
      "here.  On a terminal a status line shows the progress; --json prints\n"
      "one JSON object per progress report and one for the result.\n"
      "  -l, --live               copy memory while it runs, then pause it\n"
      "                           only for the last pages\n"
      "  -p, --paused             leave it paused on the destination\n"
      "      --max-downtime MS    live: the pause it may see (default 300)\n"
      "      --bandwidth MiB/s    cap the transfer rate\n"
      "      --max-iterations N   live: at most N pre-copy rounds (default\n"
      "                           30)\n"
      "      --persistent         define it on the destination (hvctld)\n"
      "      --undefine-source    undefine it here (hvctld)\n" },
    { "domstats", cmd_domstats, "[DOMAIN...]",
      "print the raw figures and counters of domains",
      "Prints, for each DOMAIN (default: every running one), every field\n"
      "hvctl knows as key=value lines: state, vCPUs, memory in KiB, CPU time\n"
      "and uptime in ns, and hvcore's exit and event counters since it\n"
      "started.  Unknown values are \"-\" (null with --json).\n" },
    { "top", cmd_top, "[-n COUNT] [-d SECONDS]",
      "per-domain CPU, memory, exits and events per second, refreshed",
      "Shows every running domain with its CPU use (% of one CPU), memory,\n"
      "and exits and events per second, from two looks SECONDS apart, and\n"
      "refreshes until q or Ctrl-C.\n"
      "  -n, --iterations COUNT  stop after COUNT refreshes\n"
      "  -d, --delay SECONDS     between two refreshes (default 1)\n" },
    { "events", cmd_events, "",
      "print lifecycle events until interrupted",
      "Follows lifecycle events (started, paused, unpaused, shutdown,\n"
      "rebooted, crashed, destroyed, saved, migrated, restored, and\n"
      "hvctld's definition events) of every domain and prints one line\n"
      "each, until Ctrl-C (exit status 0).\n"
      "Through hvctld, it carries on across a restart of the agent.  With\n"
      "--json, one JSON object per line.\n" },
    { "version", cmd_version, "",
      "print the client, library, hypervisor and agent versions",
      "Prints the versions of hvctl, libhvctl, hvcore and, when it can be\n"
      "reached, hvctld.\n" },
    { "help", cmd_help, "[COMMAND]",
      "print help on hvctl or on one command",
      "Without COMMAND, lists the commands; with it, explains one.\n" },
};

/* virsh's words for the same commands. */
static const struct { const char *alias, *name; } aliases[] = {
    { "dominfo", "info" }, { "resume", "unpause" }, { "suspend", "pause" },
    { "setmem", "mem-set" },
};
#define N_ALIASES (sizeof(aliases) / sizeof(aliases[0]))

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

const struct command *command_find(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    for (size_t i = 0; i < N_ALIASES; i++)
        if (strcmp(aliases[i].alias, name) == 0)
            return command_find(aliases[i].name);
    return NULL;
}

const char *alias_at(size_t i, const char **name)
{
    if (i >= N_ALIASES)
        return NULL;
    *name = aliases[i].name;
    return aliases[i].alias;
}

const struct command *command_at(size_t i)
{
    return i < N_COMMANDS ? &commands[i] : NULL;
}

void print_command_help(const struct command *cmd)
{
    printf("usage: hvctl [GLOBAL OPTIONS] %s%s%s\n\n%s.\n\n%s", cmd->name,
           cmd->synopsis[0] ? " " : "", cmd->synopsis, cmd->summary,
           cmd->help);
    if (strcmp(cmd->name, "help") != 0)
        printf("  -h, --help  this text\n"
               "  --json      machine-readable output (hvctl(1): JSON "
               "OUTPUT)\n");
    printf("\nDOMAIN is a name, a domid or a uuid.  Global options: "
           "`hvctl help`.\n");
}

void print_usage(void)
{
    printf("usage: hvctl [GLOBAL OPTIONS] COMMAND [ARGS]\n"
           "Manage hvcore domains on this host or through hvctld "
           "(-c URI).\n\nCommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        printf("  %-10s %s\n", commands[i].name, commands[i].summary);
    printf("\nAliases (as in virsh):");
    for (size_t i = 0; i < N_ALIASES; i++)
        printf("%s %s=%s", i ? "," : "", aliases[i].alias, aliases[i].name);
    printf("\n\nGlobal options:\n"
           "  -c, --connect URI  the connection (or $HVCTL_URL): "
           "hvctl:///system (this\n"
           "                     host: hvctld when it runs, else directly), "
           "unix:///PATH\n"
           "                     (hvctld's socket), https://host:port\n"
           "      --cacert FILE  CA certificate(s) to check the agent's "
           "certificate\n"
           "      --cert FILE    client certificate (PEM) for https\n"
           "      --key FILE     its private key (PEM)\n"
           "      --token TOKEN  bearer token for https (or $HVCTL_TOKEN)\n"
           "      --json         machine-readable output\n"
           "  -h, --help         this text\n"
           "  -V, --version      same as `hvctl version`\n"
           "\nExit status: 0 success, 1 the operation failed, 2 usage error.\n"
           "`hvctl help COMMAND` explains a command; man hvctl(1) all of "
           "them.\n");
}

/* ---- option parsing shared by every command ---- */

int cmdopt_next(struct cli *cli, struct cmdopts *o, int argc, char **argv)
{
    struct option all[16];
    char shorts[40];
    size_t n = 0;
    int c;

    if (!o->started) {
        optind = 0;             /* GNU: restart the scan from scratch */
        opterr = 0;             /* our own messages, in our own format */
        o->started = true;
    }
    for (const struct option *p = o->own; p && p->name && n < 13; p++)
        all[n++] = *p;
    all[n++] = (struct option){ "json", no_argument, NULL, OPT_JSON };
    all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
    all[n] = (struct option){ NULL, 0, NULL, 0 };
    snprintf(shorts, sizeof(shorts), ":h%s", o->shorts ? o->shorts : "");

    c = getopt_long(argc, argv, shorts, all, NULL);
    switch (c) {
    case -1:
        return OPT_END;
    case OPT_JSON:
        cli->json = true;
        return cmdopt_next(cli, o, argc, argv);
    case 'h':
        print_command_help(command_find(o->cmd));
        return OPT_HELP;
    case ':':
        cli_usage(o->cmd, "option '%s' needs a value", argv[optind - 1]);
        return OPT_BAD;
    case '?':
        if (optopt)
            cli_usage(o->cmd, "unknown option '-%c'", optopt);
        else
            cli_usage(o->cmd, "unknown option '%s'", argv[optind - 1]);
        return OPT_BAD;
    default:
        return c;
    }
}

int cmd_operands(const char *cmd, int n, int min, int max)
{
    const struct command *c = command_find(cmd);

    const char *syn = c ? c->synopsis : "";

    if (n < min)
        return cli_usage(cmd, "missing %s (usage: hvctl %s%s%s)",
                         min - n > 1 ? "arguments" : "argument", cmd,
                         *syn ? " " : "", syn);
    if (n > max)
        return cli_usage(cmd, "too many arguments (usage: hvctl %s%s%s)",
                         cmd, *syn ? " " : "", syn);
    return 0;
}

int cmd_one_domain(struct cli *cli, const char *cmd,
                   const struct option *own, const char *shorts,
                   int (*on_opt)(int c, void *opaque), void *opaque,
                   int argc, char **argv, const char **ref)
{
    struct cmdopts o = { .cmd = cmd, .own = own, .shorts = shorts };
    int c, rc;

    while ((c = cmdopt_next(cli, &o, argc, argv)) != OPT_END) {
        if (c == OPT_HELP)
            return EXIT_OK;
        if (c == OPT_BAD || !on_opt)
            return EXIT_USAGE;
        if ((rc = on_opt(c, opaque)))
            return rc;
    }
    if ((rc = cmd_operands(cmd, argc - optind, 1, 1)))
        return rc;
    *ref = argv[optind];
    cli_what(cli, "%s %s", cmd, *ref);
    return -1;
}
