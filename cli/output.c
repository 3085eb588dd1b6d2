/*
 * output.c - tables, key/value lists and JSON (json-c) for output.h, all
 * made from the rows of the field table (domain_fields.h).
 *
 * JSON keys and their types are a promise to scripts: never rename one,
 * never change its type, only add.  A value that is not known (the
 * memory of a domain that is not running, figures of a dead hvcore,
 * persistence on the direct driver) is null in JSON and "-" in text.
 * Units follow the key: *_kib is shown in MiB, uptime_ns as a duration,
 * other *_ns in seconds.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output.h"

/* The field table as data: where each field lives and how it reads. */
struct col {
    const char *json, *label;
    enum field_kind kind;
    size_t off, size;
};

#define COL(getter, member, ctype, kind, json, label)                        \
    { json, label, kind, offsetof(struct hv_fields, member),                 \
      sizeof(((struct hv_fields *)0)->member) },
static const struct col cols[] = { HV_DOMAIN_FIELDS(COL) };
#define N_COLS (sizeof(cols) / sizeof(cols[0]))

static const struct col *col_of(const char *key)
{
    for (size_t i = 0; i < N_COLS; i++)
        if (strcmp(cols[i].json, key) == 0)
            return &cols[i];
    return NULL;
}

/* A numeric member, whatever its width; 4-byte ones may be negative. */
static int64_t col_num(const struct hv_fields *f, const struct col *c)
{
    const char *p = (const char *)f + c->off;
    uint64_t u64;
    int32_t i32;
    bool b;

    switch (c->size) {
    case sizeof(bool):
        memcpy(&b, p, sizeof(b));
        return b;
    case sizeof(int32_t):
        memcpy(&i32, p, sizeof(i32));
        return c->kind == FK_DOMID ? (int64_t)(uint32_t)i32 : i32;
    default:
        memcpy(&u64, p, sizeof(u64));
        return (int64_t)u64;
    }
}

static bool ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);

    return n >= t && strcmp(s + n - t, tail) == 0;
}

/* "1d 02:03:04" or "02:03:04". */
static void fmt_uptime(char *buf, size_t len, uint64_t ns)
{
    uint64_t s = ns / 1000000000ull;

    if (s >= 86400)
        snprintf(buf, len, "%llud %02u:%02u:%02u",
                 (unsigned long long)(s / 86400),
                 (unsigned)(s % 86400 / 3600), (unsigned)(s % 3600 / 60),
                 (unsigned)(s % 60));
    else
        snprintf(buf, len, "%02u:%02u:%02u", (unsigned)(s / 3600),
                 (unsigned)(s % 3600 / 60), (unsigned)(s % 60));
}

/* A number with the unit its key implies. */
static void fmt_number(const struct col *c, uint64_t v, bool bare, char *buf,
                       size_t len)
{
    if (ends_with(c->json, "_kib"))
        snprintf(buf, len, bare ? "%" PRIu64 : "%" PRIu64 " MiB", v / 1024);
    else if (strcmp(c->json, "uptime_ns") == 0)
        fmt_uptime(buf, len, v);
    else if (ends_with(c->json, "_ns"))
        snprintf(buf, len, bare ? "%llu.%llu" : "%llu.%llu s",
                 (unsigned long long)(v / 1000000000ull),
                 (unsigned long long)(v % 1000000000ull / 100000000ull));
    else
        snprintf(buf, len, "%" PRIu64, v);
}

static const char *col_text(const struct hv_fields *f, const struct col *c,
                            bool bare, char *buf, size_t len)
{
    int64_t v;

    if (c->kind == FK_STR) {
        const char *s = (const char *)f + c->off;
        return *s ? s : "-";
    }
    v = col_num(f, c);
    switch (c->kind) {
    case FK_DOMID:
        if ((uint32_t)v == HV_DOMID_NONE)
            return "-";
        break;
    case FK_STATE:
        return hv_state_name((int)v);
    case FK_REASON:
        return v == HV_REASON_UNKNOWN ? "-" : hv_reason_name((int)v);
    case FK_TRI:
        return v < 0 ? "-" : v ? "yes" : "no";
    case FK_BOOL:
        return v ? "yes" : "no";
    case FK_DEF:
        if (v == 0)
            return "-";
        break;
    case FK_RUN:
        if (!f->figures_known)
            return "-";
        break;
    default:
        break;
    }
    fmt_number(c, (uint64_t)v, bare, buf, len);
    return buf;
}

const char *field_text(const struct hv_fields *f, const char *key, bool bare,
                       char *buf, size_t len)
{
    const struct col *c = col_of(key);

    return c ? col_text(f, c, bare, buf, len) : "-";
}

json_object *fields_json(const struct hv_fields *f)
{
    json_object *o = fields_to_json(f), *v;

    if (!o)
        return NULL;
    /* The keys of hvctl 0.1, kept for the scripts that read them. */
    if (json_object_object_get_ex(o, "vcpus_online", &v))
        json_object_object_add(o, "vcpus", json_object_get(v));
    if (json_object_object_get_ex(o, "memory_current_kib", &v))
        json_object_object_add(o, "memory_kib", json_object_get(v));
    return o;
}

void format_time(uint64_t ns, char *buf, size_t len)
{
    time_t s = (time_t)(ns / 1000000000ull);
    struct tm tm;

    gmtime_r(&s, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (unsigned)(ns % 1000000000ull / 1000000));
}

static json_object *opt_str(const char *s)
{
    return *s ? json_object_new_string(s) : NULL;
}

json_object *event_to_json(const struct dom_event *ev)
{
    json_object *o = json_object_new_object();
    char when[TIME_TEXT_MAX];

    format_time(ev->time_ns, when, sizeof(when));
    json_object_object_add(o, "time", json_object_new_string(when));
    json_object_object_add(o, "type", json_object_new_string(ev->type));
    json_object_object_add(o, "id", ev->id == HV_DOMID_NONE ? NULL
                           : json_object_new_int64(ev->id));
    json_object_object_add(o, "name", json_object_new_string(ev->name));
    json_object_object_add(o, "detail", json_object_new_string(ev->detail));
    json_object_object_add(o, "cause", opt_str(ev->cause));
    /* Since 0.4. */
    json_object_object_add(o, "uuid", opt_str(ev->uuid));
    json_object_object_add(o, "reason", opt_str(ev->reason));
    return o;
}

int print_json(json_object *o, bool compact)
{
    int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
                (compact ? JSON_C_TO_STRING_PLAIN
                         : JSON_C_TO_STRING_PRETTY |
                           JSON_C_TO_STRING_SPACED);
    const char *s = json_object_to_json_string_ext(o, flags);
    int rc = printf("%s\n", s) < 0 ? -1 : 0;

    json_object_put(o);
    return rc;
}

/* The columns of `list`: a header, a width, and the field shown. */
static const struct {
    const char *head;
    int width;                  /* < 0: left-aligned */
    const char *key;
} table[] = {
    { "ID", 5, "id" }, { "NAME", 0, "name" }, { "STATE", -8, "state" },
    { "VCPUS", 5, "vcpus_online" }, { "MEM(MiB)", 8, "memory_current_kib" },
    { "CPU(s)", 10, "cpu_time_ns" }, { "UPTIME", 10, "uptime_ns" },
    { "AUTOSTART", -9, "autostart" },
};
#define N_TABLE (sizeof(table) / sizeof(table[0]))

void print_table(const struct dom_list *l, bool all)
{
    size_t n = all ? N_TABLE : N_TABLE - 1;
    int name_w = 4;             /* the width of "NAME" */
    char buf[64];

    for (size_t i = 0; i < l->n; i++)
        if ((int)strlen(l->rows[i].name) > name_w)
            name_w = (int)strlen(l->rows[i].name);
    for (size_t c = 0; c < n; c++) {
        int w = table[c].width ? table[c].width : -name_w;
        printf("%s%*s", c ? "  " : "", w, table[c].head);
    }
    printf("\n");
    for (size_t i = 0; i < l->n; i++) {
        for (size_t c = 0; c < n; c++) {
            int w = table[c].width ? table[c].width : -name_w;
            printf("%s%*s", c ? "  " : "", w,
                   field_text(&l->rows[i], table[c].key, true, buf,
                              sizeof(buf)));
        }
        printf("\n");
    }
}

void print_info(const struct hv_fields *f)
{
    char label[32], buf[64];

    for (size_t i = 0; i < N_COLS; i++) {
        if (cols[i].kind == FK_BOOL)
            continue;           /* figures_known: "-" says it */
        snprintf(label, sizeof(label), "%s:", cols[i].label);
        printf("%-15s %s\n", label, col_text(f, &cols[i], false, buf,
                                             sizeof(buf)));
    }
}

void print_stats(const struct hv_fields *f)
{
    char buf[64];

    printf("Domain: %s\n", f->name);
    for (size_t i = 0; i < N_COLS; i++) {
        const struct col *c = &cols[i];
        int64_t v;

        if (c->kind == FK_STR && strcmp(c->json, "name") == 0)
            continue;
        /* Raw numbers here, for scripts that diff two snapshots. */
        if (c->kind == FK_DEF || c->kind == FK_RUN) {
            v = col_num(f, c);
            if ((c->kind == FK_DEF && v == 0) ||
                (c->kind == FK_RUN && !f->figures_known))
                printf("  %s=-\n", c->json);
            else
                printf("  %s=%" PRId64 "\n", c->json, v);
            continue;
        }
        printf("  %s=%s\n", c->json, col_text(f, c, true, buf, sizeof(buf)));
    }
}

void print_event(const struct dom_event *ev)
{
    char when[TIME_TEXT_MAX], id[24];

    format_time(ev->time_ns, when, sizeof(when));
    if (ev->id == HV_DOMID_NONE)
        snprintf(id, sizeof(id), "-");
    else
        snprintf(id, sizeof(id), "%u", ev->id);
    printf("%s  %-9s  %s (id %s)%s%s%s%s%s\n", when, ev->type, ev->name, id,
           ev->detail[0] ? ": " : "", ev->detail,
           ev->cause[0] ? " [" : "", ev->cause, ev->cause[0] ? "]" : "");
    fflush(stdout);
}
