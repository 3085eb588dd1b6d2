/*
 * output.h - how results look: human tables and key/value lists, or JSON
 * with the stable keys documented in hvctl(1) ("JSON OUTPUT").  What is
 * shown of a domain is made from the field table (domain_fields.h), so
 * every connection shows a domain the same way.
 */
#ifndef HVCTL_CLI_OUTPUT_H
#define HVCTL_CLI_OUTPUT_H

#include <json-c/json.h>

#include "backend.h"

/*
 * One domain as a JSON object: every key of the field table (null when
 * unknown), and the older "vcpus" and "memory_kib" (vcpus_online and
 * memory_current_kib under the names hvctl 0.1 gave them).
 */
json_object *fields_json(const struct hv_fields *f);
/* An event as a JSON object. */
json_object *event_to_json(const struct dom_event *ev);
/* Print o (pretty unless `compact`) and a newline on stdout; drops o. */
int print_json(json_object *o, bool compact);

/* `list`: a table; the AUTOSTART column only when `all`. */
void print_table(const struct dom_list *l, bool all);
/* `info`: "Label:  value" lines, one per field. */
void print_info(const struct hv_fields *f);
/* `devices` and `info`: a table of devices, each line after indent
 * (cmd_devices.c). */
void print_devices(const hv_devlist *l, const char *indent);
/* `domstats`: "Domain: NAME" and "  key=value" lines, one per field. */
void print_stats(const struct hv_fields *f);
/* `events`: one line. */
void print_event(const struct dom_event *ev);

/*
 * The text of the field whose JSON key is `key` as `info` shows it (with
 * its unit), or bare as the table does; "-" when it is not known.
 */
const char *field_text(const struct hv_fields *f, const char *key, bool bare,
                       char *buf, size_t len);

/* "2026-11-25T16:30:00.123Z" from CLOCK_REALTIME nanoseconds. */
void format_time(uint64_t ns, char *buf, size_t len);
/* A buffer format_time never cuts, whatever range gcc assumes for the
 * fields of struct tm (it warns at -O3 of a smaller one). */
#define TIME_TEXT_MAX 96

#endif /* HVCTL_CLI_OUTPUT_H */
