/*
 * device_list.c - hv_devlist: a running domain's devices with their state
 * and counters, from hvcore's device_info (direct_devices.c) or from
 * hvctld's JSON (the agent driver).  The JSON keys are defined once here,
 * for both directions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "device.h"

static const char *const state_names[] = {
    [HV_DEVICE_CONNECTING] = "connecting",
    [HV_DEVICE_READY] = "ready",
    [HV_DEVICE_RUNNING] = "running",
    [HV_DEVICE_NEEDS_RESET] = "needs_reset",
};

static const char *const counter_keys[DEV_COUNTER_MAX + 1] = {
    [HV_DEVICE_REQS_IN] = "reqs_in",       [HV_DEVICE_REQS_OUT] = "reqs_out",
    [HV_DEVICE_REQS_OTHER] = "reqs_other", [HV_DEVICE_BYTES_IN] = "bytes_in",
    [HV_DEVICE_BYTES_OUT] = "bytes_out",   [HV_DEVICE_ERRORS] = "errors",
    [HV_DEVICE_RECONNECTS] = "reconnects",
};

HV_EXPORT const char *hv_device_state_name(int state)
{
    if (state < HV_DEVICE_CONNECTING || state > HV_DEVICE_NEEDS_RESET)
        return "unknown";
    return state_names[state];
}

hv_devlist *devlist_new(size_t n)
{
    hv_devlist *l = calloc(1, sizeof(*l) + n * sizeof(l->e[0]));

    if (!l)
        err_set(HV_ENOMEM, "devices: out of memory");
    else
        l->n = n;
    return l;
}

HV_EXPORT void hv_devlist_free(hv_devlist *list)
{
    free(list);
}

HV_EXPORT size_t hv_devlist_count(const hv_devlist *list)
{
    return list ? list->n : 0;
}

#define ENTRY(list, i, fail)                                                 \
    do {                                                                     \
        if (!(list) || (i) >= (list)->n) {                                   \
            err_set(HV_EINVAL, "devices: no entry %zu", (size_t)(i));        \
            return fail;                                                     \
        }                                                                    \
    } while (0)

HV_EXPORT const char *hv_devlist_get_id(const hv_devlist *list, size_t i)
{
    ENTRY(list, i, NULL);
    return list->e[i].id;
}

HV_EXPORT int hv_devlist_get_type(const hv_devlist *list, size_t i)
{
    ENTRY(list, i, HV_EINVAL);
    return list->e[i].type;
}

HV_EXPORT int hv_devlist_get_state(const hv_devlist *list, size_t i)
{
    ENTRY(list, i, HV_EINVAL);
    return list->e[i].state;
}

HV_EXPORT const char *hv_devlist_get_backend(const hv_devlist *list, size_t i)
{
    ENTRY(list, i, NULL);
    return list->e[i].backend;
}

HV_EXPORT int hv_devlist_get_backend_pid(const hv_devlist *list, size_t i)
{
    ENTRY(list, i, HV_EINVAL);
    return list->e[i].backend_pid;
}

HV_EXPORT int hv_devlist_get_counter(const hv_devlist *list, size_t i,
                                     int counter, uint64_t *value)
{
    ENTRY(list, i, HV_EINVAL);
    if (!value || counter < HV_DEVICE_REQS_IN || counter > DEV_COUNTER_MAX)
        return err_set(HV_EINVAL, "devices: unknown counter %d", counter);
    if (!list->e[i].counters_known && counter != HV_DEVICE_RECONNECTS)
        return err_set(HV_EAGAIN, "device '%s': its back end reports no "
                       "counters", list->e[i].id);
    *value = list->e[i].counter[counter];
    return 0;
}

/* ---- JSON ---- */

/* v may be NULL: a counter that is not known is null. */
static bool add(json_object *o, const char *key, json_object *v)
{
    return json_object_object_add(o, key, v) == 0;
}

static json_object *entry_json(const struct devlist_entry *e)
{
    json_object *o = json_object_new_object();
    bool ok = o != NULL;

    ok = ok && add(o, "id", json_object_new_string(e->id));
    ok = ok && add(o, "type", json_object_new_string(
                     e->type == HV_DEVICE_DISK ? "disk" : "interface"));
    ok = ok && add(o, "state",
                   json_object_new_string(hv_device_state_name(e->state)));
    ok = ok && add(o, "backend", json_object_new_string(e->backend));
    ok = ok && add(o, "backend_pid", json_object_new_int(e->backend_pid));
    ok = ok && add(o, "counters_known",
                   json_object_new_boolean(e->counters_known));
    for (int c = HV_DEVICE_REQS_IN; ok && c <= DEV_COUNTER_MAX; c++)
        ok = add(o, counter_keys[c],
                 e->counters_known || c == HV_DEVICE_RECONNECTS
                 ? json_object_new_uint64(e->counter[c]) : NULL);
    if (!ok) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

HV_EXPORT int hv_devlist_to_json(const hv_devlist *list, char **out)
{
    json_object *root = json_object_new_object(), *arr = NULL;
    const char *s;
    bool ok;

    if (!list || !out) {
        json_object_put(root);
        return err_set(HV_EINVAL, "devices: NULL argument");
    }
    *out = NULL;
    ok = root && (arr = json_object_new_array()) &&
         json_object_object_add(root, "devices", arr) == 0;
    if (!ok && arr && root)
        json_object_put(arr);
    for (size_t i = 0; ok && i < list->n; i++) {
        json_object *e = entry_json(&list->e[i]);
        ok = e && json_object_array_add(arr, e) == 0;
        if (!ok)
            json_object_put(e);
    }
    s = ok ? json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                            JSON_C_TO_STRING_NOSLASHESCAPE)
           : NULL;
    if (s)
        *out = strdup(s);
    json_object_put(root);
    return *out ? 0 : err_set(HV_ENOMEM, "devices: out of memory");
}

static int parse_entry(json_object *o, struct devlist_entry *e)
{
    json_object *v;
    const char *s;

    if (!json_object_is_type(o, json_type_object))
        return -1;
    if (!json_object_object_get_ex(o, "id", &v) ||
        !json_object_is_type(v, json_type_string) ||
        json_object_get_string_len(v) > DEV_ID_MAX)
        return -1;
    snprintf(e->id, sizeof(e->id), "%s", json_object_get_string(v));
    if (!json_object_object_get_ex(o, "type", &v) ||
        !json_object_is_type(v, json_type_string))
        return -1;
    s = json_object_get_string(v);
    e->type = strcmp(s, "disk") == 0 ? HV_DEVICE_DISK : HV_DEVICE_INTERFACE;
    e->state = 0;
    if (json_object_object_get_ex(o, "state", &v))
        for (int st = HV_DEVICE_CONNECTING; st <= HV_DEVICE_NEEDS_RESET; st++)
            if (strcmp(json_object_get_string(v), state_names[st]) == 0)
                e->state = st;
    if (json_object_object_get_ex(o, "backend", &v))
        snprintf(e->backend, sizeof(e->backend), "%s",
                 json_object_get_string(v));
    if (json_object_object_get_ex(o, "backend_pid", &v))
        e->backend_pid = json_object_get_int(v);
    e->counters_known = json_object_object_get_ex(o, "counters_known", &v) &&
                        json_object_get_boolean(v);
    for (int c = HV_DEVICE_REQS_IN; c <= DEV_COUNTER_MAX; c++)
        if (json_object_object_get_ex(o, counter_keys[c], &v) && v)
            e->counter[c] = json_object_get_uint64(v);
    return 0;
}

int devlist_from_json(const char *text, size_t len, const char *what,
                      hv_devlist **out)
{
    json_tokener *tok = json_tokener_new();
    json_object *root = NULL, *arr;
    hv_devlist *l = NULL;
    int rc = err_set(HV_EPROTO, "%s: the agent's device list is malformed",
                     what);

    *out = NULL;
    if (!tok)
        return err_set(HV_ENOMEM, "%s: out of memory", what);
    root = json_tokener_parse_ex(tok, text, (int)len);
    if (!root || !json_object_object_get_ex(root, "devices", &arr) ||
        !json_object_is_type(arr, json_type_array) ||
        json_object_array_length(arr) > HV_DEVICES_MAX * 4)
        goto out;
    l = devlist_new(json_object_array_length(arr));
    if (!l) {
        rc = HV_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < l->n; i++)
        if (parse_entry(json_object_array_get_idx(arr, i), &l->e[i]) < 0)
            goto out;
    *out = l;
    l = NULL;
    rc = 0;
    err_clear();
out:
    hv_devlist_free(l);
    json_object_put(root);
    json_tokener_free(tok);
    return rc;
}
