/*
 * api_harness.c - see api_harness.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api_harness.h"

bool harness_can_run(char *why, size_t len)
{
    const char *core = getenv("HVCORE"), *boot = getenv("PVBOOT");
    int fd;

    if (!core || access(core, X_OK) != 0) {
        snprintf(why, len, "no hvcore at $HVCORE (%s)", core ? core : "unset");
        return false;
    }
    if (!boot || access(boot, R_OK) != 0) {
        snprintf(why, len, "no pvboot at $PVBOOT (%s)", boot ? boot : "unset");
        return false;
    }
    fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        snprintf(why, len, "/dev/kvm: %s", strerror(errno));
        return false;
    }
    close(fd);
    return true;
}

int harness_open(struct harness *h, const char *tag)
{
    return harness_open_in(h, "/tmp", tag);
}

int harness_open_in(struct harness *h, const char *dir, const char *tag)
{
    const char *boot = getenv("PVBOOT");

    memset(h, 0, sizeof(*h));
    snprintf(h->rundir, sizeof(h->rundir), "%s/hvctl-%s-XXXXXX", dir, tag);
    if (!mkdtemp(h->rundir))
        return HV_EIO;
    snprintf(h->pvboot, sizeof(h->pvboot), "%s", boot ? boot : "pvboot");
    /* The library finds hvcore through $HVCORE_PATH. */
    if (getenv("HVCORE"))
        setenv("HVCORE_PATH", getenv("HVCORE"), 1);
    return hv_conn_open(h->rundir, &h->conn);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void harness_close(struct harness *h)
{
    hv_domlist *l;

    if (h->conn && hv_domain_list(h->conn, &l) == 0) {
        for (size_t i = 0; i < hv_domlist_count(l); i++) {
            hv_domain *d;
            if (hv_domain_lookup_by_id(h->conn,
                    hv_domain_info_get_id(hv_domlist_get(l, i)), &d) == 0) {
                hv_domain_destroy(d, 0);
                hv_domain_free(d);
            }
        }
        hv_domlist_free(l);
    }
    hv_conn_free(h->conn);
    h->conn = NULL;
    if (h->rundir[0])
        nftw(h->rundir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

hv_config *harness_config(const struct harness *h, const char *name,
                          const char *cmdline)
{
    hv_config *c = hv_config_new();

    if (!c)
        return NULL;
    if (hv_config_set_name(c, name) || hv_config_set_kernel(c, h->pvboot) ||
        hv_config_set_memory(c, 32, 32) ||
        (cmdline && hv_config_set_cmdline(c, cmdline))) {
        hv_config_free(c);
        return NULL;
    }
    return c;
}

double harness_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int harness_nothing_left(struct harness *h)
{
    hv_domlist *l;
    size_t n;

    if (hv_domain_list(h->conn, &l) != 0)
        return -1;
    n = hv_domlist_count(l);
    for (size_t k = 0; k < n; k++)
        fprintf(stderr, "left behind: %s (%s)\n",
                hv_domain_info_get_name(hv_domlist_get(l, k)),
                hv_state_name(hv_domain_info_get_state(hv_domlist_get(l, k))));
    hv_domlist_free(l);
    return n == 0 ? 0 : -1;
}
