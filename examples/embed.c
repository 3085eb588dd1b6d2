/*
 * embed.c - the smallest useful program that embeds libhvctl.
 *
 * It starts a pvboot guest running the `counter` workload, reads a few
 * lines of its console, pauses it (the counter stops), unpauses it (the
 * counter goes on) and destroys it.  When the connection goes through the
 * agent (hvctld), it also defines a persistent domain, starts it, reads
 * back its stored definition, and undefines it: the definition outlives
 * this program, and the agent's restarts.
 *
 *   cc embed.c $(pkg-config --cflags --libs hvctl) -o embed
 *   ./embed /path/to/pvboot [URI]
 *
 * URI defaults to hvctl:///system: the local agent when it runs, else the
 * runtime directory $HVCTL_RUNDIR (default /run/hvctl) directly, with
 * hvcore found through $HVCORE_PATH or the installed path.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hvctl.h>

/*
 * Print console output for about `ms` milliseconds; return bytes seen.
 * With `wait`, first wait up to 30 s for the first byte, so that a slow
 * machine is not taken for a silent guest.
 */
static size_t show_console(int fd, int ms, int wait)
{
    char buf[512];
    size_t total = 0;

    if (wait) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 30000) <= 0)
            return 0;
    }
    for (int waited = 0; waited < ms; waited += 10) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, 10) <= 0)
            continue;
        n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        fwrite(buf, 1, (size_t)n, stdout);
        total += (size_t)n;
    }
    fflush(stdout);
    return total;
}

#define CHECK(call)                                                          \
    do {                                                                     \
        if ((call) < 0) {                                                    \
            fprintf(stderr, "embed: %s\n", hv_last_error());                 \
            goto out;                                                        \
        }                                                                    \
    } while (0)

/*
 * A persistent domain, through the agent: define it (the agent stores it),
 * start it, read back the definition the next start would use, stop it,
 * and forget it.
 */
static int persistent(hv_conn *conn, const hv_config *cfg)
{
    hv_config *def = NULL;
    hv_domain *dom = NULL;
    hv_domain_info *info = NULL;
    int autostart = -1, status = 1;

    CHECK(hv_domain_define(conn, cfg, 0, &dom));
    printf("defined %s\n", hv_domain_get_name(dom));
    CHECK(hv_domain_set_autostart(dom, 1, 0));
    CHECK(hv_domain_get_autostart(dom, &autostart));
    CHECK(hv_domain_start(dom, 0));
    CHECK(hv_domain_get_info(dom, &info));
    printf("started %s: id %u, %s, persistent %d, autostart %d\n",
           hv_domain_info_get_name(info), hv_domain_info_get_id(info),
           hv_state_name(hv_domain_info_get_state(info)),
           hv_domain_info_get_persistent(info), autostart);
    CHECK(hv_domain_get_definition(dom, 0, &def));
    printf("stored definition: %s, %s\n", hv_config_get_name(def),
           hv_config_get_cmdline(def));
    CHECK(hv_domain_destroy(dom, 0));
    hv_domain_info_free(info);
    CHECK(hv_domain_get_info(dom, &info));
    printf("destroyed: %s\n", hv_state_name(hv_domain_info_get_state(info)));
    CHECK(hv_domain_undefine(dom, 0));
    printf("undefined\n");
    status = 0;
out:
    hv_domain_info_free(info);
    hv_config_free(def);
    hv_domain_free(dom);
    return status;
}

int main(int argc, char **argv)
{
    hv_conn *conn = NULL;
    hv_config *cfg = NULL;
    hv_domain *dom = NULL;
    hv_domain_info *before = NULL, *after = NULL;
    int console = -1, status = 1;

    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: embed PVBOOT [URI]\n");
        return 2;
    }
    printf("libhvctl %#x\n", hv_version());

    CHECK(hv_conn_open_uri(argc == 3 ? argv[2] : NULL, 0, &conn));
    printf("connected to %s (%s driver)\n", hv_conn_get_uri(conn),
           hv_conn_get_driver(conn));
    cfg = hv_config_new();
    if (!cfg) {
        fprintf(stderr, "embed: %s\n", hv_last_error());
        goto out;
    }
    CHECK(hv_config_set_name(cfg, "embed-example"));
    CHECK(hv_config_set_kernel(cfg, argv[1]));
    CHECK(hv_config_set_cmdline(cfg, "counter"));
    CHECK(hv_config_set_memory(cfg, 32, 32));

    CHECK(hv_domain_create(conn, cfg, 0, &dom));
    printf("created domain %u (%s)\n", hv_domain_get_id(dom),
           hv_domain_get_name(dom));

    CHECK(hv_domain_console_open(dom, &console));
    if (show_console(console, 100, 1) == 0) {
        fprintf(stderr, "embed: the console stayed silent\n");
        goto out;
    }

    CHECK(hv_domain_pause(dom, 0));
    printf("\npaused\n");
    show_console(console, 50, 0);   /* what was printed before */
    /* A paused guest uses no CPU: its time stands still. */
    CHECK(hv_domain_get_info(dom, &before));
    usleep(100000);
    CHECK(hv_domain_get_info(dom, &after));
    if (hv_domain_info_get_cpu_time_ns(after) !=
        hv_domain_info_get_cpu_time_ns(before)) {
        fprintf(stderr, "embed: a paused guest kept running\n");
        goto out;
    }
    CHECK(hv_domain_unpause(dom, 0));
    printf("unpaused\n");
    if (show_console(console, 100, 1) == 0) {
        fprintf(stderr, "embed: the guest did not resume\n");
        goto out;
    }

    CHECK(hv_domain_destroy(dom, 0));
    printf("\ndestroyed\n");
    if (strcmp(hv_conn_get_driver(conn), "agent") == 0) {
        CHECK(hv_config_set_name(cfg, "embed-persistent"));
        CHECK(hv_config_set_uuid(cfg, "6d9c3c2e-8a3f-4c1e-9b7a-1f2e3d4c5b6a"));
        if (persistent(conn, cfg))
            goto out;
    }
    status = 0;
out:
    if (console >= 0)
        close(console);
    if (status && dom)
        hv_domain_destroy(dom, 0);
    hv_domain_info_free(before);
    hv_domain_info_free(after);
    hv_domain_free(dom);
    hv_config_free(cfg);
    hv_conn_free(conn);
    return status;
}
