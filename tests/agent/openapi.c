/*
 * openapi.c - see openapi.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "openapi.h"

struct openapi {
    json_object *doc;
};

/* ---- YAML to json-c ---- */

static json_object *scalar(const yaml_event_t *e)
{
    const char *s = (const char *)e->data.scalar.value;
    size_t len = e->data.scalar.length;
    char *end;

    if (e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return json_object_new_string_len(s, (int)len);
    if (!strcmp(s, "true"))
        return json_object_new_boolean(1);
    if (!strcmp(s, "false"))
        return json_object_new_boolean(0);
    if (!strcmp(s, "null") || !strcmp(s, "~") || len == 0)
        return NULL;
    if (isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1]))) {
        long long v;
        double d;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (!*end && !errno)
            return json_object_new_int64(v);
        d = strtod(s, &end);
        if (!*end)
            return json_object_new_double(d);
    }
    return json_object_new_string_len(s, (int)len);
}

#define DEPTH_MAX 64

struct frame {
    json_object *node;          /* object or array */
    char *key;                  /* pending key in a mapping */
};

/* Put v into the container on top of the stack: -1 if it is a mapping
 * waiting for a key (a key must be a scalar). */
static int attach(struct frame *top, json_object *v)
{
    if (json_object_is_type(top->node, json_type_array)) {
        json_object_array_add(top->node, v);
        return 0;
    }
    if (!top->key)
        return -1;
    json_object_object_add(top->node, top->key, v);
    free(top->key);
    top->key = NULL;
    return 0;
}

struct openapi *oa_load(const char *path, char *err, size_t errlen)
{
    struct frame stack[DEPTH_MAX];
    yaml_parser_t p;
    json_object *root = NULL;
    struct openapi *oa;
    int depth = 0;
    bool done = false, ok = true;
    FILE *f = fopen(path, "re");

    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    yaml_parser_initialize(&p);
    yaml_parser_set_input_file(&p, f);
    while (!done && ok) {
        yaml_event_t e;
        json_object *v = NULL;

        if (!yaml_parser_parse(&p, &e)) {
            snprintf(err, errlen, "%s:%zu: %s", path,
                     p.problem_mark.line + 1, p.problem ? p.problem : "?");
            ok = false;
            break;
        }
        switch (e.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_ALIAS_EVENT:
            snprintf(err, errlen, "%s: anchors and aliases are not used "
                     "here", path);
            ok = false;
            break;
        case YAML_SCALAR_EVENT:
            if (depth > 0 && json_object_is_type(stack[depth - 1].node,
                                                 json_type_object) &&
                !stack[depth - 1].key) {
                stack[depth - 1].key = strndup((const char *)e.data.scalar.value,
                                               e.data.scalar.length);
                break;
            }
            v = scalar(&e);
            if (depth == 0)
                root = v;
            else
                attach(&stack[depth - 1], v);
            break;
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            v = e.type == YAML_MAPPING_START_EVENT ? json_object_new_object()
                                                   : json_object_new_array();
            if (depth == DEPTH_MAX) {
                snprintf(err, errlen, "%s: nested too deep", path);
                ok = false;
                json_object_put(v);
                break;
            }
            if (depth == 0) {
                root = v;
            } else {
                if (attach(&stack[depth - 1], v)) {
                    snprintf(err, errlen, "%s:%zu: a mapping key must be a "
                             "scalar", path, e.start_mark.line + 1);
                    ok = false;
                    json_object_put(v);
                    break;
                }
            }
            stack[depth].node = v;
            stack[depth].key = NULL;
            depth++;
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            depth--;
            free(stack[depth].key);
            break;
        default:
            break;
        }
        yaml_event_delete(&e);
    }
    while (depth > 0)
        free(stack[--depth].key);
    yaml_parser_delete(&p);
    fclose(f);
    if (!ok || !json_object_is_type(root, json_type_object)) {
        if (ok)
            snprintf(err, errlen, "%s: not a YAML mapping", path);
        json_object_put(root);
        return NULL;
    }
    oa = calloc(1, sizeof(*oa));
    oa->doc = root;
    return oa;
}

void oa_free(struct openapi *oa)
{
    if (!oa)
        return;
    json_object_put(oa->doc);
    free(oa);
}

json_object *oa_doc(struct openapi *oa)
{
    return oa->doc;
}

static json_object *get(json_object *o, const char *key)
{
    json_object *v = NULL;

    return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* "#/components/schemas/X" */
static json_object *resolve(struct openapi *oa, json_object *o)
{
    for (int hops = 0; hops < 16; hops++) {
        json_object *ref = get(o, "$ref");
        const char *s;
        char buf[256], *save = NULL, *tok;
        json_object *cur = oa->doc;

        if (!ref)
            return o;
        s = json_object_get_string(ref);
        if (strncmp(s, "#/", 2))
            return NULL;
        snprintf(buf, sizeof(buf), "%s", s + 2);
        for (tok = strtok_r(buf, "/", &save); tok && cur;
             tok = strtok_r(NULL, "/", &save))
            cur = get(cur, tok);
        if (!cur)
            return NULL;
        o = cur;
    }
    return NULL;
}

/* Does the concrete path match the template ("/v1/domains/{name}")? */
static bool path_matches(const char *tmpl, const char *path)
{
    while (*tmpl && *path) {
        if (*tmpl == '{') {
            const char *close = strchr(tmpl, '}');
            size_t n = strcspn(path, "/");
            if (!close || n == 0)
                return false;
            tmpl = close + 1;
            path += n;
            continue;
        }
        if (*tmpl++ != *path++)
            return false;
    }
    return !*tmpl && !*path;
}

json_object *oa_operation(struct openapi *oa, const char *method,
                          const char *path, const char **template_out)
{
    json_object *paths = get(oa->doc, "paths");
    char m[16];
    size_t i;

    for (i = 0; method[i] && i < sizeof(m) - 1; i++)
        m[i] = (char)tolower((unsigned char)method[i]);
    m[i] = '\0';
    /* A literal path ("/v1/domains/restore", POST) and a template that
     * also matches it ("/v1/domains/{name}", GET): the one with the
     * method, as the agent routes it. */
    if (template_out)
        *template_out = NULL;
    json_object_object_foreach(paths, tmpl, item) {
        json_object *op;
        if (!path_matches(tmpl, path))
            continue;
        if (template_out && !*template_out)
            *template_out = tmpl;
        if ((op = get(item, m))) {
            if (template_out)
                *template_out = tmpl;
            return op;
        }
    }
    return NULL;
}

/* ---- schemas ---- */

static bool fail(char *err, size_t errlen, const char *where,
                 const char *what, const char *detail)
{
    snprintf(err, errlen, "%s: %s%s", where, what, detail);
    return false;
}

static const char *jtype(json_object *v)
{
    return json_type_to_name(json_object_get_type(v));
}

bool oa_validate(struct openapi *oa, json_object *schema, json_object *v,
                 const char *where, char *err, size_t errlen)
{
    json_object *s = resolve(oa, schema), *t, *x;
    const char *type;
    char sub[1024];

    if (!s)
        return fail(err, errlen, where, "unresolvable $ref", "");
    if (!v) {
        if ((x = get(s, "nullable")) && json_object_get_boolean(x))
            return true;
        return fail(err, errlen, where, "null, which the schema does not "
                    "allow", "");
    }
    if ((t = get(s, "allOf")))
        for (size_t i = 0; i < json_object_array_length(t); i++)
            if (!oa_validate(oa, json_object_array_get_idx(t, i), v, where,
                             err, errlen))
                return false;
    type = (t = get(s, "type")) ? json_object_get_string(t) : NULL;
    if (type) {
        bool ok = !strcmp(type, "object") ? json_object_is_type(v, json_type_object)
            : !strcmp(type, "array") ? json_object_is_type(v, json_type_array)
            : !strcmp(type, "string") ? json_object_is_type(v, json_type_string)
            : !strcmp(type, "integer") ? json_object_is_type(v, json_type_int)
            : !strcmp(type, "boolean") ? json_object_is_type(v, json_type_boolean)
            : !strcmp(type, "number") ? (json_object_is_type(v, json_type_int) ||
                                         json_object_is_type(v, json_type_double))
            : false;
        if (!ok) {
            snprintf(sub, sizeof(sub), "%s where the schema wants %s",
                     jtype(v), type);
            return fail(err, errlen, where, sub, "");
        }
    }
    if ((t = get(s, "enum"))) {
        bool found = false;
        for (size_t i = 0; i < json_object_array_length(t) && !found; i++)
            found = !strcmp(json_object_get_string(json_object_array_get_idx(t, i)),
                            json_object_get_string(v));
        if (!found)
            return fail(err, errlen, where, "not in the enum: ",
                        json_object_get_string(v));
    }
    if ((t = get(s, "minimum")) &&
        json_object_get_double(v) < json_object_get_double(t))
        return fail(err, errlen, where, "below the minimum: ",
                    json_object_get_string(v));
    if ((t = get(s, "maximum")) &&
        json_object_get_double(v) > json_object_get_double(t))
        return fail(err, errlen, where, "above the maximum: ",
                    json_object_get_string(v));
    if (json_object_is_type(v, json_type_object)) {
        json_object *props = get(s, "properties");
        json_object *addl = get(s, "additionalProperties");

        if ((t = get(s, "required")))
            for (size_t i = 0; i < json_object_array_length(t); i++) {
                const char *k = json_object_get_string(json_object_array_get_idx(t, i));
                if (!json_object_object_get_ex(v, k, NULL))
                    return fail(err, errlen, where, "missing required key ",
                                k);
            }
        json_object_object_foreach(v, key, val) {
            json_object *ps = get(props, key);
            snprintf(sub, sizeof(sub), "%s.%s", where, key);
            if (ps) {
                if (!oa_validate(oa, ps, val, sub, err, errlen))
                    return false;
            } else if (addl && json_object_is_type(addl, json_type_boolean)) {
                if (!json_object_get_boolean(addl))
                    return fail(err, errlen, where, "key not in the "
                                "schema: ", key);
            } else if (addl) {
                if (!oa_validate(oa, addl, val, sub, err, errlen))
                    return false;
            }
        }
    }
    if (json_object_is_type(v, json_type_array) && (t = get(s, "items")))
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            snprintf(sub, sizeof(sub), "%s[%zu]", where, i);
            if (!oa_validate(oa, t, json_object_array_get_idx(v, i), sub, err,
                             errlen))
                return false;
        }
    return true;
}

/* ---- responses ---- */

static bool check_json(struct openapi *oa, json_object *schema,
                       const char *body, size_t len, const char *where,
                       char *err, size_t errlen)
{
    struct json_tokener *tok = json_tokener_new();
    json_object *v;
    bool ok;

    v = json_tokener_parse_ex(tok, body, (int)len);
    if (json_tokener_get_error(tok) != json_tokener_success) {
        json_tokener_free(tok);
        snprintf(err, errlen, "%s: the body is not JSON", where);
        return false;
    }
    json_tokener_free(tok);
    ok = oa_validate(oa, schema, v, where, err, errlen);
    json_object_put(v);
    return ok;
}

bool oa_check_response(struct openapi *oa, const char *method,
                       const char *path, long status, const char *ctype,
                       const char *body, size_t len, char *err, size_t errlen)
{
    const char *tmpl = NULL;
    json_object *op = oa_operation(oa, method, path, &tmpl), *resp, *content;
    char code[8], where[300], media[128];
    size_t mlen;

    snprintf(where, sizeof(where), "%s %s -> %ld", method, path, status);
    if (!op) {
        /* 401 first on TCP: unauthenticated, one learns no paths. */
        const char *name = status == 401 ? "Unauthorized" :
                           status == 404 ? "NotFound" :
                           status == 405 ? "MethodNotAllowed" : NULL;
        json_object *schema;

        if (!name) {
            snprintf(err, errlen, "%s: undocumented operation answered "
                     "other than 401/404/405", where);
            return false;
        }
        schema = get(get(get(get(get(oa->doc, "components"), "responses"),
                                 name), "content"), "application/json");
        schema = resolve(oa, get(schema, "schema"));
        if (!schema) {
            snprintf(err, errlen, "%s: no components.responses.%s with a "
                     "JSON schema", where, name);
            return false;
        }
        return check_json(oa, schema, body, len, where, err, errlen);
    }
    snprintf(code, sizeof(code), "%ld", status);
    resp = resolve(oa, get(get(op, "responses"), code));
    if (!resp) {
        snprintf(err, errlen, "%s: status %ld is not documented for %s %s",
                 where, status, method, tmpl);
        return false;
    }
    content = get(resp, "content");
    if (!content) {
        if (len) {
            snprintf(err, errlen, "%s: a body where none is documented",
                     where);
            return false;
        }
        return true;
    }
    mlen = ctype ? strcspn(ctype, ";") : 0;
    while (mlen && ctype[mlen - 1] == ' ')
        mlen--;
    snprintf(media, sizeof(media), "%.*s", (int)mlen, ctype ? ctype : "");
    if (!get(content, media)) {
        snprintf(err, errlen, "%s: media type '%s' is not documented", where,
                 media);
        return false;
    }
    if (strcmp(media, "application/json") == 0)
        return check_json(oa, get(get(content, media), "schema"), body, len,
                          where, err, errlen);
    return true;
}
