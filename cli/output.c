/*
 * output.c - tables, key/value lists and JSON (json-c) for output.h.
 *
 * JSON keys and their types are a promise to scripts: never rename one,
 * never change its type, only add.  A value that is not known (the memory
 * of a domain that is not running, autostart without hvctld) is null, so
 * that every object of a kind has the same keys.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "output.h"

static json_object *opt_int(bool known, int64_t v)
{
    return known ? json_object_new_int64(v) : NULL;
}

static json_object *opt_bool(int v)
{
    return v < 0 ? NULL : json_object_new_boolean(v);
}

json_object *row_to_json(const struct dom_row *r)
{
    json_object *o = json_object_new_object();
    bool live = r->live, size = r->have_size;

    json_object_object_add(o, "id", opt_int(r->id >= 0, r->id));
    json_object_object_add(o, "name", json_object_new_string(r->name));
    json_object_object_add(o, "uuid", r->uuid[0]
                           ? json_object_new_string(r->uuid) : NULL);
    json_object_object_add(o, "state", json_object_new_string(r->state));
    json_object_object_add(o, "vcpus", opt_int(size, r->vcpus));
    json_object_object_add(o, "vcpus_max", opt_int(live, r->vcpus_max));
    json_object_object_add(o, "memory_kib",
                           opt_int(size, (int64_t)r->mem_kib));
    json_object_object_add(o, "memory_target_kib",
                           opt_int(live, (int64_t)r->mem_target_kib));
    json_object_object_add(o, "memory_max_kib",
                           opt_int(live, (int64_t)r->mem_max_kib));
    json_object_object_add(o, "cpu_time_ns",
                           opt_int(live, (int64_t)r->cpu_time_ns));
    json_object_object_add(o, "uptime_ns",
                           opt_int(live, (int64_t)r->uptime_ns));
    json_object_object_add(o, "boot_count", opt_int(live, r->boot_count));
    json_object_object_add(o, "pid", opt_int(r->pid > 0, r->pid));
    json_object_object_add(o, "persistent", opt_bool(r->persistent));
    json_object_object_add(o, "autostart", opt_bool(r->autostart));
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

json_object *event_to_json(const struct dom_event *ev)
{
    json_object *o = json_object_new_object();
    char when[40];

    format_time(ev->time_ns, when, sizeof(when));
    json_object_object_add(o, "time", json_object_new_string(when));
    json_object_object_add(o, "type", json_object_new_string(ev->type));
    json_object_object_add(o, "id", opt_int(ev->id >= 0, ev->id));
    json_object_object_add(o, "name", json_object_new_string(ev->name));
    json_object_object_add(o, "detail", json_object_new_string(ev->detail));
    json_object_object_add(o, "cause", ev->cause[0]
                           ? json_object_new_string(ev->cause) : NULL);
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

/* "12.3" seconds, or "-" when unknown. */
static void fmt_secs(char *buf, size_t len, bool known, uint64_t ns)
{
    if (!known)
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "%llu.%llu",
                 (unsigned long long)(ns / 1000000000ull),
                 (unsigned long long)(ns % 1000000000ull / 100000000ull));
}

/* "1d 02:03:04", "02:03:04", or "-". */
static void fmt_uptime(char *buf, size_t len, bool known, uint64_t ns)
{
    uint64_t s = ns / 1000000000ull;

    if (!known)
        snprintf(buf, len, "-");
    else if (s >= 86400)
        snprintf(buf, len, "%llud %02u:%02u:%02u",
                 (unsigned long long)(s / 86400),
                 (unsigned)(s % 86400 / 3600), (unsigned)(s % 3600 / 60),
                 (unsigned)(s % 60));
    else
        snprintf(buf, len, "%02u:%02u:%02u", (unsigned)(s / 3600),
                 (unsigned)(s % 3600 / 60), (unsigned)(s % 60));
}

static void fmt_id(char *buf, size_t len, long id)
{
    if (id >= 0)
        snprintf(buf, len, "%ld", id);
    else
        snprintf(buf, len, "-");
}

static const char *yes_no(int v)
{
    return v < 0 ? "-" : v ? "yes" : "no";
}

void print_table(const struct dom_list *l, bool all)
{
    int w = 4;                  /* the width of "NAME" */

    for (size_t i = 0; i < l->n; i++)
        if ((int)strlen(l->rows[i].name) > w)
            w = (int)strlen(l->rows[i].name);
    printf("%5s  %-*s  %-8s  %5s  %8s  %10s  %10s%s\n", "ID", w, "NAME",
           "STATE", "VCPUS", "MEM(MiB)", "CPU(s)", "UPTIME",
           all ? "  AUTOSTART" : "");
    for (size_t i = 0; i < l->n; i++) {
        const struct dom_row *r = &l->rows[i];
        char id[24], vcpus[16], mem[24], cpu[32], up[32];

        fmt_id(id, sizeof(id), r->id);
        if (r->have_size) {
            snprintf(vcpus, sizeof(vcpus), "%u", r->vcpus);
            snprintf(mem, sizeof(mem), "%" PRIu64, r->mem_kib / 1024);
        } else {
            snprintf(vcpus, sizeof(vcpus), "-");
            snprintf(mem, sizeof(mem), "-");
        }
        fmt_secs(cpu, sizeof(cpu), r->live, r->cpu_time_ns);
        fmt_uptime(up, sizeof(up), r->live, r->uptime_ns);
        printf("%5s  %-*s  %-8s  %5s  %8s  %10s  %10s", id, w, r->name,
               r->state, vcpus, mem, cpu, up);
        if (all)
            printf("  %-9s", yes_no(r->autostart));
        printf("\n");
    }
}

void print_info(const struct dom_row *r)
{
    char buf[48];

    printf("Name:           %s\n", r->name);
    if (r->id >= 0)
        printf("ID:             %ld\n", r->id);
    else
        printf("ID:             -\n");
    printf("UUID:           %s\n", r->uuid[0] ? r->uuid : "-");
    printf("State:          %s\n", r->state);
    if (r->have_size && !r->live)
        printf("vCPUs:          %u\nMemory:         %llu MiB\n", r->vcpus,
               (unsigned long long)(r->mem_kib / 1024));
    if (r->live) {
        printf("vCPUs:          %u (max %u)\n", r->vcpus, r->vcpus_max);
        printf("Memory:         %" PRIu64 " MiB (target %" PRIu64
               " MiB, max %" PRIu64 " MiB)\n", r->mem_kib / 1024,
               r->mem_target_kib / 1024, r->mem_max_kib / 1024);
        fmt_secs(buf, sizeof(buf), true, r->cpu_time_ns);
        printf("CPU time:       %s s\n", buf);
        fmt_uptime(buf, sizeof(buf), true, r->uptime_ns);
        printf("Uptime:         %s\n", buf);
        printf("Boots:          %u\n", r->boot_count);
    }
    if (r->pid > 0)
        printf("hvcore pid:     %d\n", r->pid);
    printf("Persistent:     %s\n", yes_no(r->persistent));
    printf("Autostart:      %s\n", yes_no(r->autostart));
}

void print_event(const struct dom_event *ev)
{
    char when[40], id[24];

    format_time(ev->time_ns, when, sizeof(when));
    fmt_id(id, sizeof(id), ev->id);
    printf("%s  %-9s  %s (id %s)%s%s%s%s%s\n", when, ev->type, ev->name, id,
           ev->detail[0] ? ": " : "", ev->detail,
           ev->cause[0] ? " [" : "", ev->cause, ev->cause[0] ? "]" : "");
    fflush(stdout);
}
