/*
 * rest.h - hvctld's REST API in its own terms (schema/openapi.yaml).
 *
 * Every function that fails has reported why (cli_fail) and returns
 * EXIT_FAIL; success is EXIT_OK.
 */
#ifndef HVCTL_CLI_REST_H
#define HVCTL_CLI_REST_H

#include <json-c/json.h>

#include "backend.h"
#include "http.h"

/* Fields of an object; NULL / false / -1 when absent or of another type.
 * Returned objects and strings are borrowed from o. */
json_object *rest_get(json_object *o, const char *key);
const char *rest_str(json_object *o, const char *key);
bool rest_int(json_object *o, const char *key, int64_t *out);
int rest_bool(json_object *o, const char *key);

/* A response body as JSON (caller puts it); NULL after reporting. */
json_object *rest_parse(struct cli *cli, const struct http_resp *r);
/*
 * A Domain or DomainSummary object as a row: "runtime", when present,
 * brings hvcore's figures (GET /v1/domains/{name} of a running domain).
 */
void rest_row(json_object *o, struct dom_row *r);

/*
 * One request whose answer must be 2xx; body is JSON (or ctype).  A 202
 * carries a job, which is followed (GET /v1/jobs/{id}) until it ends: its
 * failure is the request's, and Ctrl-C cancels it.  *out, when asked,
 * gets the parsed answer - after a 202, the job's final state.
 */
int rest_call(struct http *h, struct cli *cli, const char *method,
              const char *path, const char *body, const char *ctype,
              json_object **out);
/* Every domain the agent knows (GET /v1/domains), appended to l. */
int rest_domains(struct http *h, struct cli *cli, struct dom_list *l);
/*
 * The name the API knows ref by: a domid or uuid is looked up in the
 * list, where a name that merely looks like one also matches.
 */
int rest_resolve(struct http *h, struct cli *cli, const char *ref,
                 char name[64]);
/* "/v1/domains/<name><suffix>" for ref, escaped (malloc'ed in *path). */
int rest_domain_path(struct http *h, struct cli *cli, const char *ref,
                     const char *suffix, char **path);

#endif /* HVCTL_CLI_REST_H */
