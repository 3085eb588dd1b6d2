/*
 * remote.c - reach another host's agent (hvctld) over TLS with libhvctl.
 *
 * The same calls as on this host: only the URI differs.  It lists every
 * domain the agent knows (running or defined), and, given the path of a
 * pvboot kernel on that host, defines a domain there, starts it, shows
 * it, stops it and undefines it.
 *
 *   cc remote.c $(pkg-config --cflags --libs hvctl) -o remote
 *   ./remote 'https://host:8443?cacert=ca.pem&cert=me.pem&key=me.key' \
 *            [/usr/local/share/hvcore/pvboot]
 *
 * A bearer token can come as token=... in the URI or as $HVCTL_TOKEN.
 * libhvctl loads its HTTP module (and with it libcurl) only now, for the
 * https:// URI: a program that stays local never does.
 */
#include <stdio.h>
#include <string.h>

#include <hvctl.h>

#define CHECK(call)                                                          \
    do {                                                                     \
        if ((call) < 0) {                                                    \
            fprintf(stderr, "remote: %s\n", hv_last_error());                \
            goto out;                                                        \
        }                                                                    \
    } while (0)

static void show(const hv_domain_info *i)
{
    int p = hv_domain_info_get_persistent(i);

    printf("  %-20s %-8s %-10s vcpus %u, memory %llu KiB\n",
           hv_domain_info_get_name(i),
           hv_domain_info_get_id(i) == HV_DOMID_NONE ? "-" : "running",
           hv_state_name(hv_domain_info_get_state(i)),
           hv_domain_info_get_vcpus_max(i),
           (unsigned long long)hv_domain_info_get_mem_max_kib(i));
    printf("  %-20s persistent %s, reason %s\n", "",
           p < 0 ? "unknown" : p ? "yes" : "no",
           hv_reason_name(hv_domain_info_get_reason(i)));
}

static int list(hv_conn *conn)
{
    hv_domlist *l = NULL;

    /* Flags 0: every domain, in every state, persistent or not. */
    if (hv_domain_list_filtered(conn, 0, NULL, &l) < 0) {
        fprintf(stderr, "remote: %s\n", hv_last_error());
        return -1;
    }
    printf("%zu domain(s)\n", hv_domlist_count(l));
    for (size_t k = 0; k < hv_domlist_count(l); k++)
        show(hv_domlist_get(l, k));
    hv_domlist_free(l);
    return 0;
}

/* Define, start, show, destroy and undefine a pvboot domain there. */
static int round_trip(hv_conn *conn, const char *kernel)
{
    hv_config *cfg = hv_config_new();
    hv_domain *dom = NULL;
    hv_domain_info *info = NULL;
    int status = 1;

    if (!cfg)
        return 1;
    CHECK(hv_config_set_name(cfg, "remote-example"));
    CHECK(hv_config_set_kernel(cfg, kernel));
    CHECK(hv_config_set_cmdline(cfg, "counter"));    /* runs until stopped */
    CHECK(hv_config_set_memory(cfg, 16, 16));
    CHECK(hv_domain_define(conn, cfg, 0, &dom));
    printf("defined remote-example\n");
    CHECK(hv_domain_start(dom, 0));
    CHECK(hv_domain_get_info(dom, &info));
    printf("started remote-example: %s\n",
           hv_state_name(hv_domain_info_get_state(info)));
    CHECK(hv_domain_destroy(dom, 0));
    printf("destroyed remote-example\n");
    CHECK(hv_domain_undefine(dom, 0));
    printf("undefined remote-example\n");
    status = 0;
out:
    hv_domain_info_free(info);
    hv_domain_free(dom);
    hv_config_free(cfg);
    return status;
}

int main(int argc, char **argv)
{
    hv_conn *conn = NULL;
    int status = 1;

    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: remote URI [PVBOOT-ON-THAT-HOST]\n");
        return 2;
    }
    CHECK(hv_conn_open_uri(argv[1], 0, &conn));
    /* The canonical URI: credentials are never part of it. */
    printf("connected to %s (%s driver)\n", hv_conn_get_uri(conn),
           hv_conn_get_driver(conn));
    if (list(conn) < 0 || (argc == 3 && round_trip(conn, argv[2])))
        goto out;
    status = 0;
out:
    hv_conn_free(conn);
    return status;
}
