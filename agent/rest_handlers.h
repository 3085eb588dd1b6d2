/*
 * rest_handlers.h - the handler of every route (route.c), and what the
 * handler files share.
 */
#ifndef HVCTLD_REST_HANDLERS_H
#define HVCTLD_REST_HANDLERS_H

#include <json-c/json.h>

#include "rest.h"

struct dom;
struct job;

/* rest_list.c */
void h_domains_list(struct rest_req *rr);

/* rest_domains.c */
void h_domains_define(struct rest_req *rr);
void h_domain_get(struct rest_req *rr);
void h_domain_put(struct rest_req *rr);
void h_domain_delete(struct rest_req *rr);

/*
 * rest_define.c: replace d's stored definition by cfg (the same uuid; a
 * running domain keeps what it runs); 0, or replies and -1.
 */
int rest_replace_definition(struct rest_req *rr, struct dom *d,
                            hv_config *cfg);
/* A boolean query parameter: 1, 0, -1 when absent; -2 replied 400. */
int rest_query_bool(struct rest_req *rr, const char *key);

/* rest_devices.c */
void h_devices_list(struct rest_req *rr);
void h_device_attach(struct rest_req *rr);
void h_device_detach(struct rest_req *rr);

/* rest_config.c */
void h_domain_config(struct rest_req *rr);
void h_domain_definition(struct rest_req *rr);
/*
 * Answer with a configuration kept as hv_config_to_json text, as m
 * (MEDIA_JSON or MEDIA_XML); source names it in a failure.
 */
void rest_reply_config(struct rest_req *rr, const char *json, enum media m,
                       const char *source);

/* rest_actions.c */
void h_action_start(struct rest_req *rr);
void h_action_pause(struct rest_req *rr);
void h_action_resume(struct rest_req *rr);
void h_action_shutdown(struct rest_req *rr);
void h_action_reboot(struct rest_req *rr);
void h_action_destroy(struct rest_req *rr);
void h_autostart(struct rest_req *rr);
void h_memory(struct rest_req *rr);

/* rest_misc.c */
void h_host(struct rest_req *rr);
void h_host_shutdown(struct rest_req *rr);
void h_jobs_list(struct rest_req *rr);
void h_job_get(struct rest_req *rr);
void h_job_cancel(struct rest_req *rr);
void h_metrics(struct rest_req *rr);

/* sse.c */
void h_events(struct rest_req *rr);

/*
 * The domain named by the path's {name}: replies 400 for a name that
 * cannot be one, 404 for an unknown one, and 404 when ?uuid=U names
 * another domain than the one of that name now (rest_uuid_mismatch), and
 * then returns NULL.
 */
struct dom *rest_domain_param(struct rest_req *rr);
/* ?uuid=U is given and d (NULL: none of that name) is not that domain:
 * replies 404 and returns true. */
bool rest_uuid_mismatch(struct rest_req *rr, const char *name,
                        const struct dom *d);
/* The full representation of a domain (GET /v1/domains/{name}). */
json_object *rest_domain_json(const struct dom *d);
/*
 * Start d as a job (d must be defined and shut off); cause is HV_CAUSE_API
 * or HV_CAUSE_AGENT.  The job, or NULL with *hv_rc set when it could not begin.
 */
struct job *rest_start_job(struct agent *a, struct dom *d, int cause,
                           int *hv_rc);
/* The same with this configuration (JSON text), e.g. a transient one,
 * and hv_domain_create flags (HV_CREATE_PAUSED). */
struct job *rest_start_config(struct agent *a, struct dom *d,
                              const char *config, int cause, unsigned flags,
                              int *hv_rc);
/* 202 with the job, and Location: /v1/jobs/{id}. */
void rest_reply_job(struct rest_req *rr, struct job *j);

#endif /* HVCTLD_REST_HANDLERS_H */
