/*
 * json_util.h - json-c plumbing for config_json.c and device_json.c: a
 * config's or a device's JSON text read the one way both are read (before
 * either looks at what it means), and written out the one way.
 */
#ifndef HVCTL_JSON_UTIL_H
#define HVCTL_JSON_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "json_scan.h"

/*
 * At most HV_CONFIG_SIZE_MAX bytes, no NUL byte, strict UTF-8 JSON nested
 * at most max_depth deep with only blanks after it, then json_scan's
 * second look (duplicate keys, each key's line) into *scan.  0 with *root
 * set (json_object_put it), or an HV_E* code with the message set and
 * *root NULL; json_scan_free(scan) in either case.  with_lines: messages
 * name the line ("src:4: cause"), as a config's do; a device's name the
 * text alone ("src: cause"), except json_scan's.
 */
int jsonu_read(const char *text, size_t len, const char *src, int max_depth,
               bool with_lines, json_object **root, struct json_scan *scan);

/* Add val to obj under key: false, val released, when val is NULL or
 * memory ran out (so that one `ok = ok && jsonu_add(...)` chain builds). */
bool jsonu_add(json_object *obj, const char *key, json_object *val);
/* o as indented text ending in a newline; NULL when out of memory. */
char *jsonu_text(json_object *o);

#endif /* HVCTL_JSON_UTIL_H */
