/*
 * internal.h - declarations shared between libhvctl's source files.
 * Nothing here is part of the API; hvctl.h is.
 */
#ifndef HVCTL_INTERNAL_H
#define HVCTL_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "hvctl.h"

#define HV_EXPORT __attribute__((visibility("default")))

/* error.c: record the failure of this thread; returns code for `return`. */
int err_set(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Like err_set, appending ": strerror(errnum)". */
int err_sys(int code, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Map an errno to the closest HV_E* code. */
int err_from_errno(int errnum);
void err_clear(void);

/* util.c */
char *xstrdup_or_null(const char *s);
bool uuid_parse(const char *s, uint8_t out[16]);
void uuid_format(const uint8_t in[16], char out[37]);
int uuid_generate(uint8_t out[16]);
/* Read a small file (<= max bytes) into a NUL-terminated buffer. */
int read_small_file(int dirfd, const char *path, char *buf, size_t max);
uint64_t now_mono_ns(void);
uint64_t now_real_ns(void);

/* conn.c */
struct ctl_cached {
    uint32_t domid;
    int fd;                  /* connected control socket               */
};

struct hv_driver;

struct hv_conn {
    const struct hv_driver *drv;    /* driver.h                        */
    char *uri;               /* canonical URI (hv_conn_get_uri)        */
    void *priv;              /* the agent driver's state               */
    char *rundir;            /* absolute path; NULL for a remote agent */
    int domains_fd;          /* dirfd of <rundir>/domains              */
    int names_fd;            /* dirfd of <rundir>/names                */
    char *hvcore_path;       /* what to exec                           */
    bool hvcore_from_env;    /* ... as $HVCORE_PATH named it           */
    /*
     * Control connections kept open for hv_domain_list: a connect costs
     * the hvcore an accept, and that, times 100 domains, is most of a
     * list.  A cached fd whose hvcore has gone fails at once (EPIPE) and
     * is replaced, so a reused domid cannot be answered by a dead hvcore.
     */
    pthread_mutex_t cache_lock;
    struct ctl_cached *cache;
    size_t ncache, capcache;
    uint32_t cache_seq;
    /* The hv_events open on this connection (event_created.c). */
    pthread_mutex_t events_lock;
    struct hv_events *events;
};

/*
 * event_created.c: a stream for hvcore's --event-fd, so that the first
 * hv_events of conn hears the domain `name` about to be created from its
 * first event.  hvcore's end (close-on-exec; the caller closes it once
 * hvcore has it), or -1: none open, or no resources (nothing is lost but
 * that guarantee).
 */
int ev_created_stream(hv_conn *conn, const char *name);

#endif /* HVCTL_INTERNAL_H */
