/*
 * openapi.h - just enough OpenAPI 3 to hold hvctld to schema/openapi.yaml:
 * load the YAML (libyaml) as a json-c tree, find the operation a request
 * hit, and check a response's status, media type and JSON body against
 * what the spec documents.
 *
 * The schema checker knows the subset the spec uses: type, nullable,
 * enum, minimum/maximum, properties, required, additionalProperties,
 * items, allOf and $ref.
 */
#ifndef HVCTLD_TEST_OPENAPI_H
#define HVCTLD_TEST_OPENAPI_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

struct openapi;

/* NULL with err on a file that is not YAML (or uses anchors). */
struct openapi *oa_load(const char *path, char *err, size_t errlen);
void oa_free(struct openapi *oa);
/* The whole document (borrowed). */
json_object *oa_doc(struct openapi *oa);

/* The operation object for METHOD on a concrete path (of the first
 * template that matches it and has METHOD), or NULL. */
json_object *oa_operation(struct openapi *oa, const char *method,
                          const char *path, const char **template_out);

/*
 * Does the response match the spec?  status/ctype/body as received.
 * For a path the spec does not have, only 404 or 405 (or 401, which
 * comes before routing on TCP) with an Error body pass.  false with err explaining the first mismatch.
 */
bool oa_check_response(struct openapi *oa, const char *method,
                       const char *path, long status, const char *ctype,
                       const char *body, size_t len, char *err,
                       size_t errlen);

/* Validate a JSON value against a schema (resolving $ref). */
bool oa_validate(struct openapi *oa, json_object *schema, json_object *v,
                 const char *where, char *err, size_t errlen);

#endif /* HVCTLD_TEST_OPENAPI_H */
