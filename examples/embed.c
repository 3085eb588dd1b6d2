/*
 * embed.c - the smallest useful program that embeds libhvctl.
 *
 * It starts a pvboot guest running the `counter` workload, reads a few
 * lines of its console, pauses it (the counter stops), unpauses it (the
 * counter goes on) and destroys it.
 *
 *   cc embed.c $(pkg-config --cflags --libs hvctl) -o embed
 *   ./embed /path/to/pvboot
 *
 * The runtime directory is $HVCTL_RUNDIR (default /run/hvctl) and hvcore
 * is found through $HVCORE_PATH or the installed path.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <hvctl.h>

/* Print console output for about `ms` milliseconds; return bytes seen. */
static size_t show_console(int fd, int ms)
{
    char buf[512];
    size_t total = 0;

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

int main(int argc, char **argv)
{
    hv_conn *conn = NULL;
    hv_config *cfg = NULL;
    hv_domain *dom = NULL;
    int console = -1, status = 1;

    if (argc != 2) {
        fprintf(stderr, "usage: embed PVBOOT\n");
        return 2;
    }
    printf("libhvctl %#x\n", hv_version());

    CHECK(hv_conn_open(NULL, &conn));
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
    if (show_console(console, 100) == 0) {
        fprintf(stderr, "embed: the console stayed silent\n");
        goto out;
    }

    CHECK(hv_domain_pause(dom, 0));
    printf("\npaused\n");
    show_console(console, 50);      /* drain what was printed before */
    if (show_console(console, 100) != 0) {
        fprintf(stderr, "embed: a paused guest kept printing\n");
        goto out;
    }
    CHECK(hv_domain_unpause(dom, 0));
    printf("unpaused\n");
    if (show_console(console, 100) == 0) {
        fprintf(stderr, "embed: the guest did not resume\n");
        goto out;
    }

    CHECK(hv_domain_destroy(dom, 0));
    printf("\ndestroyed\n");
    status = 0;
out:
    if (console >= 0)
        close(console);
    if (status && dom)
        hv_domain_destroy(dom, 0);
    hv_domain_free(dom);
    hv_config_free(cfg);
    hv_conn_free(conn);
    return status;
}
