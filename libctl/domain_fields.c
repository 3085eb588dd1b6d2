/*
 * domain_fields.c - the domain field table (domain_fields.h) read from an
 * hv_domain_info and written to and read from the REST domain object.
 * Compiled into libhvctl (its agent driver reads the agent's JSON), into
 * hvctld (which writes it) and into hvctl.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "domain_fields.h"

void fields_init(struct hv_fields *f)
{
    memset(f, 0, sizeof(*f));
    f->domid = HV_DOMID_NONE;
    f->persistent = f->autostart = -1;
}

/* ---- from an hv_domain_info, through the public getters ---- */

#define FROM_INFO_FK_STR(m, g) \
    snprintf(out->m, sizeof(out->m), "%s", hv_domain_info_get_##g(info));
#define FROM_INFO_VALUE(m, g) out->m = hv_domain_info_get_##g(info);
#define FROM_INFO_FK_DOMID  FROM_INFO_VALUE
#define FROM_INFO_FK_STATE  FROM_INFO_VALUE
#define FROM_INFO_FK_REASON FROM_INFO_VALUE
#define FROM_INFO_FK_TRI    FROM_INFO_VALUE
#define FROM_INFO_FK_BOOL(m, g) out->m = hv_domain_info_get_##g(info) != 0;
#define FROM_INFO_FK_DEF    FROM_INFO_VALUE
#define FROM_INFO_FK_RUN    FROM_INFO_VALUE
#define FROM_INFO(getter, member, ctype, kind, json, label)                  \
    FROM_INFO_##kind(member, getter)

void fields_from_info(struct hv_fields *out, const hv_domain_info *info)
{
    fields_init(out);
    if (info) {
        HV_DOMAIN_FIELDS(FROM_INFO)
    }
}

/* ---- to JSON ---- */

static json_object *num(uint64_t v)
{
    return json_object_new_int64((int64_t)v);
}

#define TO_JSON_FK_DOMID(m) \
    v = f->m == HV_DOMID_NONE ? NULL : num(f->m);
#define TO_JSON_FK_STR(m) \
    v = f->m[0] ? json_object_new_string(f->m) : NULL;
#define TO_JSON_FK_STATE(m) \
    v = json_object_new_string(hv_state_name(f->m));
#define TO_JSON_FK_REASON(m) \
    v = json_object_new_string(hv_reason_name(f->m));
#define TO_JSON_FK_TRI(m) \
    v = f->m < 0 ? NULL : json_object_new_boolean(f->m);
#define TO_JSON_FK_BOOL(m) \
    v = json_object_new_boolean(f->m);
#define TO_JSON_FK_DEF(m) \
    v = f->m ? num((uint64_t)f->m) : NULL;
#define TO_JSON_FK_RUN(m) \
    v = f->figures_known ? num((uint64_t)f->m) : NULL;
#define TO_JSON(getter, member, ctype, kind, json, label)                    \
    TO_JSON_##kind(member)                                                   \
    json_object_object_add(o, json, v);

json_object *fields_to_json(const struct hv_fields *f)
{
    json_object *o = json_object_new_object(), *v;

    if (!o)
        return NULL;
    HV_DOMAIN_FIELDS(TO_JSON)
    return o;
}

/* ---- from JSON ---- */

static int bad(char *err, size_t len, const char *key, const char *why)
{
    snprintf(err, len, "\"%s\": %s", key, why);
    return -1;
}

/* A non-negative integer that fits max; null reads as 0. */
static int get_num(json_object *v, uint64_t max, uint64_t *out)
{
    int64_t n;

    if (!v) {
        *out = 0;
        return 0;
    }
    if (!json_object_is_type(v, json_type_int))
        return -1;
    n = json_object_get_int64(v);
    if (n < 0 || (uint64_t)n > max)
        return -1;
    *out = (uint64_t)n;
    return 0;
}

/*
 * A uuid as every writer spells it (8-4-4-4-12 hex digits), or "" (none):
 * a reader gets an agent's text, which may come from another host.
 */
static bool is_uuid(const char *s)
{
    size_t i;

    for (i = 0; s[i] && i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
            return false;
    }
    return i == 0 || (i == 36 && !s[i]);
}

static int by_name(const char *(*name_of)(int), int lo, int hi,
                   const char *s, int *out)
{
    for (int i = lo; i <= hi; i++)
        if (strcmp(name_of(i), s) == 0) {
            *out = i;
            return 0;
        }
    return -1;
}

/* The largest value a member holds (JSON integers are int64). */
#define MAX_OF(x) _Generic((x), int: (uint64_t)INT_MAX,                    \
                           unsigned int: (uint64_t)UINT_MAX,               \
                           default: (uint64_t)INT64_MAX)

#define FROM_JSON_NUM(m, ctype, key)                                         \
    if (get_num(v, MAX_OF(f->m), &n))                                       \
        return bad(err, len, key, "not a count");                            \
    f->m = (ctype)n;
#define FROM_JSON_FK_DOMID(m, ctype, key)                                    \
    if (!v)                                                                  \
        f->m = HV_DOMID_NONE;                                                \
    else if (get_num(v, UINT32_MAX - 1, &n) || n == 0)                       \
        return bad(err, len, key, "not a domain id");                        \
    else                                                                     \
        f->m = (uint32_t)n;
#define FROM_JSON_FK_STR(m, ctype, key)                                      \
    if (v && (!json_object_is_type(v, json_type_string) ||                   \
              (size_t)json_object_get_string_len(v) >= sizeof(f->m)))        \
        return bad(err, len, key, "not a string that fits");                 \
    if (v && !strcmp(key, "uuid") && !is_uuid(json_object_get_string(v)))    \
        return bad(err, len, key, "not a uuid");                             \
    snprintf(f->m, sizeof(f->m), "%s", v ? json_object_get_string(v) : "");
/*
 * A state this library does not know (a newer agent's) reads as 0,
 * "unknown" (hvctl.h: new enum values may appear), rather than failing
 * every list that holds such a domain.
 */
#define FROM_JSON_FK_STATE(m, ctype, key)                                    \
    if (!json_object_is_type(v, json_type_string))                           \
        return bad(err, len, key, "not a domain state");                     \
    if (by_name(hv_state_name, HV_STATE_RUNNING, HV_STATE_SHUTOFF,           \
                json_object_get_string(v), &f->m))                           \
        f->m = 0;
/* A reason this library does not know yet reads as unknown. */
#define FROM_JSON_FK_REASON(m, ctype, key)                                   \
    if (!json_object_is_type(v, json_type_string))                           \
        return bad(err, len, key, "not a reason");                           \
    if (by_name(hv_reason_name, 0, 64, json_object_get_string(v), &f->m))    \
        f->m = HV_REASON_UNKNOWN;
#define FROM_JSON_FK_TRI(m, ctype, key)                                      \
    if (v && !json_object_is_type(v, json_type_boolean))                     \
        return bad(err, len, key, "not true, false or null");                \
    f->m = v ? json_object_get_boolean(v) : -1;
#define FROM_JSON_FK_BOOL(m, ctype, key)                                     \
    if (!json_object_is_type(v, json_type_boolean))                          \
        return bad(err, len, key, "not true or false");                      \
    f->m = json_object_get_boolean(v);
#define FROM_JSON_FK_DEF(m, ctype, key) FROM_JSON_NUM(m, ctype, key)
#define FROM_JSON_FK_RUN(m, ctype, key) FROM_JSON_NUM(m, ctype, key)
/* Absent keys keep their value: an older agent simply says less. */
#define FROM_JSON(getter, member, ctype, kind, json, label)                  \
    if (json_object_object_get_ex(o, json, &v)) {                            \
        FROM_JSON_##kind(member, ctype, json)                                \
    }

int fields_from_json(struct hv_fields *f, json_object *o, char *err,
                     size_t len)
{
    json_object *v;
    uint64_t n;

    (void)n;
    if (!json_object_is_type(o, json_type_object))
        return bad(err, len, "domain", "not an object");
    HV_DOMAIN_FIELDS(FROM_JSON)
    return 0;
}
