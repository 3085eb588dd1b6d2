/*
 * agent_int.h - what the agent driver's files share: drv_agent.c (the
 * connection, requests, errors, jobs), agent_domain.c (the domain
 * calls), agent_events.c (the event stream) and agent_module.c (the
 * HTTP module).  Not part of the API.
 */
#ifndef HVCTL_AGENT_INT_H
#define HVCTL_AGENT_INT_H

#include <stdbool.h>

#include <json-c/json.h>

#include "domain_int.h"
#include "driver.h"
#include "http_transport.h"

/* conn->priv of an agent connection. */
struct agent {
    const struct hv_http_transport *t;
    struct ht_conn *hc;
    pthread_mutex_t lock;       /* one request at a time on hc          */
    struct ht_params params;    /* kept for streams: strings below      */
    char *base, *socket, *cacert, *cert, *key, *token;
    /*
     * An agent on this host (hvctl:///system, unix://): conn->rundir is
     * its runtime directory, where the console is reached directly.
     */
    bool local;
    hv_conn *direct;            /* a direct connection to it, once used */
};

static inline struct agent *AG(const hv_conn *conn)
{
    return conn->priv;
}

/* agent_module.c: libhvctl-http.so's table, loaded once (or HV_E*). */
int agent_http_module(const char *uri, const struct hv_http_transport **out);

/* drv_agent.c */

/*
 * One exchange: 0 and r (whatever its status), or an HV_E* code when no
 * answer came, with a message naming the connection's URI.
 */
int agent_call(hv_conn *conn, const char *method, const char *path,
               const char *body, const char *ctype, const char *accept,
               struct ht_response *r);
/* The same within timeout_ms (agent_call: REQUEST_TIMEOUT_MS). */
int agent_call_within(hv_conn *conn, const char *method, const char *path,
                      const char *body, const char *ctype,
                      const char *accept, int timeout_ms,
                      struct ht_response *r);
/* The failure an answer that is not 2xx says: its code, its message. */
int agent_fail(hv_conn *conn, const struct ht_response *r);
/*
 * A JSON exchange: 0 and *out (may be NULL: not wanted) for a 2xx
 * answer, whose status goes to *status if not NULL; else the agent's
 * failure.
 */
int agent_json(hv_conn *conn, const char *method, const char *path,
               const char *body, json_object **out, long *status);
/*
 * Follow a job (a 202 answer's body) until it ends: 0 when it
 * succeeded, else its error.  op (may be NULL) gets the job's steps and
 * may cancel it.  *domain (if not NULL) gets the job's domain name.
 */
int agent_follow_job(hv_conn *conn, json_object *job, hv_op *op,
                     char domain[64]);
/* What a start (or restore) job started: the job's result. */
struct started {
    char name[64];
    char uuid[37];
    uint32_t domid;             /* HV_DOMID_NONE: not said */
};
/*
 * Follow such a job (the 202 body) to its end, then read what it
 * started from its result.  1: it succeeded but its result does not
 * say (an agent from before start results).  agent_domain.c.
 */
int agent_follow_start(hv_conn *conn, json_object *job, hv_op *op,
                       struct started *s);
/* An error code of the REST API (and the HTTP status) as HV_E*. */
int agent_code_to_hv(const char *code, long status);
/* name percent-encoded for a path segment or query value, in out[200]. */
void agent_escape(const char *name, char out[200]);

/* agent_domain.c: "/v1/domains/{name}SUFFIX?uuid=U" for dom. */
void agent_dom_path(const hv_domain *dom, const char *suffix, char path[320]);
/*
 * agent_domain.c: GET the domain's SUFFIX as JSON.  0 with r a 200 answer
 * (ht_response_free it) and path the resource without the query, as
 * messages name it; else the failure, with nothing to free.
 */
int agent_dom_get(hv_domain *dom, const char *suffix, struct ht_response *r,
                  char path[320]);
/* agent_domain.c: the operations of struct hv_driver. */
int agent_create(hv_conn *conn, const hv_config *cfg, unsigned flags,
                 hv_domain **out);
int agent_define(hv_conn *conn, const hv_config *cfg, unsigned flags,
                 hv_domain **out);
int agent_lookup(hv_conn *conn, enum drv_key kind, const char *key,
                 uint32_t id, hv_domain **out);
int agent_list(hv_conn *conn, unsigned flags, const char *name_glob,
               hv_domlist **out);
int agent_get_info(hv_domain *dom, hv_domain_info **out);
int agent_get_config(hv_domain *dom, hv_config **out);
int agent_get_definition(hv_domain *dom, unsigned flags, hv_config **out);
int agent_action(hv_domain *dom, enum drv_action act, unsigned flags);
int agent_shutdown(hv_domain *dom, int timeout_ms, unsigned flags, hv_op *op);
int agent_set_memory(hv_domain *dom, uint64_t target_mib, unsigned flags);
int agent_get_autostart(hv_domain *dom, int *autostart);
int agent_set_autostart(hv_domain *dom, int autostart, unsigned flags);
int agent_console_open(hv_domain *dom, int *fd);

/* agent_xfer.c: save, restore and migrate as hvctld jobs; a running
 * job's "figures" into op (agent_follow_job). */
void agent_job_figures(hv_op *op, json_object *job);
int agent_save(hv_domain *dom, const char *path, unsigned flags, hv_op *op);
int agent_restore(hv_conn *conn, const char *path, unsigned flags,
                  hv_domain **out, hv_op *op);
int agent_migrate(hv_domain *dom, const char *dest_uri,
                  const struct hv_migrate_params *params, hv_op *op);

/* agent_devices.c: POST/DELETE/GET /v1/domains/{name}/devices. */
int agent_attach_device(hv_domain *dom, hv_device *dev, unsigned flags);
int agent_detach_device(hv_domain *dom, const char *id, unsigned flags);
int agent_get_devices(hv_domain *dom, hv_devlist **out);

/* agent_events.c */
int agent_events_open(hv_conn *conn, hv_events **out);
void agent_events_free(hv_events *ev);
int agent_events_fd(const hv_events *ev);
int agent_event_next(hv_events *ev, hv_event **out);

#endif /* HVCTL_AGENT_INT_H */
