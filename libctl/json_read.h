/*
 * json_read.h - a config's or a device's JSON text read the one way both
 * are read, before either looks at what it means.
 */
#ifndef HVCTL_JSON_READ_H
#define HVCTL_JSON_READ_H

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
int json_read(const char *text, size_t len, const char *src, int max_depth,
              bool with_lines, json_object **root, struct json_scan *scan);

#endif /* HVCTL_JSON_READ_H */
