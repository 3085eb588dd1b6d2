/*
 * domain_int.h - what conn.c, domctl_client.c, runtime.c, spawn.c,
 * domain*.c and event.c share.  Not part of the API.
 */
#ifndef HVCTL_DOMAIN_INT_H
#define HVCTL_DOMAIN_INT_H

#include <sys/types.h>

#include "domain_fields.h"
#include "internal.h"
#include "public/domctl.h"

/* How long a domctl round trip may take before hvcore counts as hung. */
#define DOMCTL_TIMEOUT_MS 10000
/* How long hvcore may take to start a domain. */
#define SPAWN_TIMEOUT_MS 30000

struct hv_domain {
    hv_conn *conn;              /* borrowed: outlives the handle (hvctl.h) */
    pthread_mutex_t lock;       /* serialises calls on ctl_fd             */
    uint32_t domid;
    pid_t pid;                  /* identifies this incarnation of domid   */
    char name[64];
    char uuid[37];
    int ctl_fd;                 /* connected control socket, or -1        */
    uint32_t seq;
    void *priv;                 /* the agent driver's (driver.h)          */
};

/* Its members come from the one table of domain fields. */
struct hv_domain_info {
    HV_DOMAIN_FIELD_MEMBERS
};

struct hv_domlist {
    size_t n;
    struct hv_domain_info *items;
};

/* ---- domctl_client.c: the wire ---- */

/*
 * Connect to <rundir>/domains/<domid>/control.  Returns the fd, or -errno
 * (-ENOENT: no socket; -ECONNREFUSED: nobody listening).
 */
int ctl_connect(const hv_conn *conn, uint32_t domid);
/* Fill the fixed header of a request. */
void ctl_req_init(struct hv_domctl *req, uint32_t cmd, uint32_t domid,
                  uint32_t seq);
int ctl_send(int fd, const struct hv_domctl *req);
/* The same with the descriptor `pass` as SCM_RIGHTS (save, migrate). */
int ctl_send_fd(int fd, const struct hv_domctl *req, int pass);
/* The request and `len` bytes after it in one message (device_attach). */
int ctl_send_tail(int fd, const struct hv_domctl *req, const void *tail,
                  size_t len);
/*
 * Wait for one reply (at most DOMCTL_TIMEOUT_MS, the socket's receive
 * timeout).  *passed_fd (if not NULL) gets an fd that came with it, else
 * -1.  0, or -errno (-EPIPE for end of stream, -ETIMEDOUT, -EPROTO for a
 * malformed reply).
 */
int ctl_recv(int fd, uint32_t seq, struct hv_domctl_reply *reply,
             int *passed_fd);
/* Both, for a one-shot exchange. */
int ctl_call(int fd, const struct hv_domctl *req,
             struct hv_domctl_reply *reply, int *passed_fd);
/* Map a -HVE_* reply status onto an HV_E* code. */
int ctl_status_to_hv(int32_t status);

/* ---- conn.c: the runtime directory itself ---- */

/* dirfd of <rundir>/domains and <rundir>/names, opened once they exist;
 * -1 while they do not (no domain was ever started there). */
int conn_domains_fd(const hv_conn *conn);
int conn_names_fd(const hv_conn *conn);
/* Create the runtime directory if need be (for what starts domains or
 * waits for them; never for what only reads): 0 or an HV_E* code. */
int conn_make_rundir(hv_conn *conn);

/* ---- runtime.c: the runtime directory ---- */

/* pid from <rundir>/domains/<domid>/pid: > 0, or -errno. */
pid_t rt_read_pid(const hv_conn *conn, uint32_t domid);
/* name from <rundir>/domains/<domid>/name into buf[64]: 0 or -errno. */
int rt_read_name(const hv_conn *conn, uint32_t domid, char buf[64]);
/*
 * Is pid a live process?  Zombies count as dead (an hvcore killed after
 * --detach may never be reaped where pid 1 does not reap), and so does a
 * pid that was reused after `since` (the pid file's mtime).
 */
bool rt_pid_alive(pid_t pid, const struct timespec *since);
/*
 * Liveness of a domain directory, by the flock its hvcore holds for life:
 * 1 alive (starting, running or exiting), 0 dead, -1 gone.  *pid gets the
 * pid file's pid, or 0.
 */
int rt_domain_alive(const hv_conn *conn, uint32_t domid, pid_t *pid);
/*
 * The same, for a domain whose control socket just refused or hung up: a
 * dying hvcore (socket still there, lock not yet released) is waited for,
 * up to DOMCTL_TIMEOUT_MS, so that it is told dead, not alive.
 */
int rt_domain_alive_after_hangup(const hv_conn *conn, uint32_t domid,
                                 pid_t *pid);
/*
 * Remove the entry of domid (and its name link) if its hvcore is dead and
 * (pid > 0) was pid, under the runtime lock that hvcore also takes.
 * Returns 1 if this call removed the entry of a domain that had been
 * published (its control socket existed), so that it is reported as
 * crashed exactly once; 0 otherwise (gone, alive, or died in start-up:
 * removed silently).  name gets the entry's name, or "".
 */
int rt_reap(const hv_conn *conn, uint32_t domid, pid_t pid, char name[64]);
/* Wait until process pid has exited: 0, or -ETIMEDOUT after timeout_ms. */
int rt_wait_exit(pid_t pid, int timeout_ms);
/* Staging directories (domains/.new-<pid>) hvcore builds an entry in. */
#define RT_STAGING_PREFIX ".new-"
/* Remove domains/<entry>, a staging directory, if its hvcore is dead. */
void rt_sweep_staging(const hv_conn *conn, const char *entry);
/* The same, waiting for <rundir>/.lock (rt_sweep_staging never waits). */
void rt_sweep_staging_wait(const hv_conn *conn, const char *entry);
/*
 * <rundir>/domains/<domid>/config.json: the configuration libhvctl wrote
 * after starting the domain (hvcore and rt_reap remove it, and the
 * temporary name, with the directory).
 */
#define RT_CONFIG     "config.json"
#define RT_CONFIG_TMP "config.json.tmp"
/*
 * Store json as domid's config.json (temporary file, then rename), but
 * only while the directory still belongs to the hvcore with pid `pid`.
 * 0 or -errno (-ESRCH: the domain has ended or its domid was reused).
 */
int rt_write_config(const hv_conn *conn, uint32_t domid, pid_t pid,
                    const char *json);
/*
 * Read domid's config.json into *out (malloc'ed, NUL-terminated), but
 * only while the directory belongs to pid.  0 or -errno (-ENOENT: no
 * config stored; -ESRCH: the domain has ended or its domid was reused).
 */
int rt_read_config(const hv_conn *conn, uint32_t domid, pid_t pid, char **out);
/* domid that names/<name> points at: > 0, or -errno. */
long rt_lookup_name(const hv_conn *conn, const char *name);
/* Sorted domids present in domains/ (malloc'ed array). */
int rt_list_domids(const hv_conn *conn, uint32_t **ids, size_t *n);

/* ---- spawn.c ---- */

struct hv_config;
/* Start hvcore for cfg (flags: HV_CREATE_*); on success *domid is the new
 * domain's id and *fg the foreground hvcore, exiting by now, which the
 * caller reaps with spawn_reap once it has done what it can meanwhile. */
int spawn_hvcore(hv_conn *conn, const struct hv_config *cfg, unsigned flags,
                 uint32_t *domid, pid_t *fg);
void spawn_reap(pid_t fg);
/*
 * What to start, for spawn_start: a config (create), a save file
 * (restore: hvcore --restore) or a socket a migration stream arrives on
 * (hvcore --incoming; "ready" as soon as it receives, paused).
 */
#define SPAWN_PAUSED HV_CREATE_PAUSED  /* --paused                        */
#define SPAWN_VERIFY (1u << 8)         /* --verify (restore)              */
struct spawn_req {
    const char *what;           /* message prefix: "domain 'web'"          */
    const char *name;           /* the domain's name if known, else ""     */
    const char *uuid;           /* its uuid text if known, else ""         */
    const struct hv_config *cfg; /* create; else NULL                      */
    const char *restore;        /* --restore FILE (absolute), or NULL      */
    int incoming;               /* --incoming: the socket (dup'ed), or -1  */
    uint64_t reserve_mib;       /* --incoming --reserve: the domain's size,
                                   made ready before the stream (0: none)  */
    unsigned flags;             /* SPAWN_*                                 */
};
/* Any of the three.  A refused stream is HV_ESTREAM with hvcore's line. */
int spawn_start(hv_conn *conn, const struct spawn_req *req, uint32_t *domid,
                pid_t *fg);

/* ---- domain.c ---- */

/* A handle for domid from a getinfo reply.  Caller frees. */
int dom_from_info(hv_conn *conn, const struct hv_domctl_info *info,
                  hv_domain **out);
/* One request on the handle's connection, with error mapping. */
int dom_call(hv_domain *dom, uint32_t cmd, const struct hv_domctl *args,
             struct hv_domctl_reply *reply, int *passed_fd);
/* The same; *sent tells whether the request left before a failure. */
int dom_call_sent(hv_domain *dom, uint32_t cmd, const struct hv_domctl *args,
                  struct hv_domctl_reply *reply, int *passed_fd, bool *sent);
/* dom_call with `len` bytes of tail after the request (device_attach). */
int dom_call_tail(hv_domain *dom, uint32_t cmd, const struct hv_domctl *args,
                  const void *tail, size_t len,
                  struct hv_domctl_reply *reply);
/* Fill an hv_domain_info from a getinfo reply. */
void info_from_wire(struct hv_domain_info *out, const struct hv_domctl_info *in);
/* One getinfo on a fresh connection to domid: 0 or -errno (as ctl_*). */
int query_info(const hv_conn *conn, uint32_t domid, struct hv_domctl_info *info);
/*
 * What to say when domid does not answer: reap a dead hvcore (HV_EDEAD,
 * once) or report that there is no such domain (HV_ENOENT).  `what`
 * names the domain in the message.
 */
int dom_gone(const hv_conn *conn, uint32_t domid, pid_t pid, const char *what);

#endif /* HVCTL_DOMAIN_INT_H */
