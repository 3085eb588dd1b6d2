/*
 * output.h - how results look: human tables and key/value lists, or JSON
 * with the stable keys documented in hvctl(1) ("JSON OUTPUT").
 */
#ifndef HVCTL_CLI_OUTPUT_H
#define HVCTL_CLI_OUTPUT_H

#include <json-c/json.h>

#include "backend.h"

/* One domain as a JSON object (every key present; unknowns are null). */
json_object *row_to_json(const struct dom_row *r);
/* An event as a JSON object. */
json_object *event_to_json(const struct dom_event *ev);
/* Print o (pretty unless `compact`) and a newline on stdout; drops o. */
int print_json(json_object *o, bool compact);

/* `list`: a table; the AUTOSTART column only when `all`. */
void print_table(const struct dom_list *l, bool all);
/* `info`: "Key:  value" lines. */
void print_info(const struct dom_row *r);
/* `events`: one line. */
void print_event(const struct dom_event *ev);

/* "2026-11-25T16:30:00.123Z" from CLOCK_REALTIME nanoseconds. */
void format_time(uint64_t ns, char *buf, size_t len);

#endif /* HVCTL_CLI_OUTPUT_H */
